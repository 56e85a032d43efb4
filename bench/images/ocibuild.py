"""Build one recipe into its outputs, skipping the work when nothing that went into it changed.

Outputs of image NAME under OUT/NAME/: ``oci/`` (OCI layout, ref "latest"), ``NAME.oci.tar``
(OCI archive), ``NAME.docker.tar`` (classic ``docker save``), ``NAME.docker25.tar`` (Docker 25+
``docker save``: OCI layout plus manifest.json), ``build.json`` (inputs key, digests, sizes,
seconds) and ``expected.json`` (what is in the image, known from the inputs: see truth.py).
All images share one blob store, OUT/blobs, that the layouts hard-link into.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import truth

from hullcheck.image import writer
from hullcheck.image.writer import BuiltImage, EmptyHistory, ImageConfig, LayerSpec

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TAG = "latest"
REPO_PREFIX = "hullcheck-bench"


@dataclass
class Context:
    out: Path
    force: bool = False
    built: dict[str, BuiltImage] = field(default_factory=dict)
    # what a recipe's own layers add, set by its prepare(); see truth.py
    truth: dict[str, truth.Truth] = field(default_factory=dict)

    @property
    def cache(self) -> Path:
        return self.out / "cache"

    @property
    def blobs(self) -> Path:
        return self.out / "blobs"

    def work(self, name: str) -> Path:
        d = self.cache / "work" / name
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        return d


Steps = Sequence[LayerSpec | EmptyHistory]


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    prepare: Callable[[Context], Steps]  # fetches (cached) and stages trees; returns the steps
    config: ImageConfig
    inputs: dict[str, Any]  # everything that decides the content, for the cache key
    base: str | None = None
    compression: writer.Compression = writer.Compression.GZIP


def _sources_hash() -> str:
    # The code that writes the bytes is an input too.
    h = hashlib.sha256()
    # build.py is left out: it only drives the build (CLI, push, verify).
    files = [p for p in sorted(HERE.rglob("*.py")) if p.name != "build.py"]
    files.append(REPO / "src/hullcheck/image/writer.py")
    files += sorted((HERE / "requirements").glob("*.txt")) + sorted((HERE / "npm").rglob("*.json"))
    for f in files:
        h.update(f.relative_to(REPO).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def outputs(out: Path, name: str) -> dict[str, Path]:
    d = out / name
    return {
        "oci": d / "oci",
        "oci-archive": d / f"{name}.oci.tar",
        "docker-archive": d / f"{name}.docker.tar",
        "docker25-archive": d / f"{name}.docker25.tar",
    }


def _key(recipe: Recipe, ctx: Context) -> str:
    base = ctx.built[recipe.base].manifest_digest if recipe.base else None
    blob = {
        "name": recipe.name,
        "inputs": recipe.inputs,
        "config": recipe.config.to_json(),
        "compression": recipe.compression.value,
        "base": base,
        "sources": _sources_hash(),
    }
    return hashlib.sha256(json.dumps(blob, sort_keys=True, default=str).encode()).hexdigest()


def build(recipe: Recipe, ctx: Context) -> dict[str, Any]:
    """Builds ``recipe`` (its base must be in ``ctx.built``) and returns its build record."""
    key = _key(recipe, ctx)
    rec_path = ctx.out / recipe.name / "build.json"
    outs = outputs(ctx.out, recipe.name)
    if not ctx.force and rec_path.exists():
        rec: dict[str, Any] = json.loads(rec_path.read_text())
        img = BuiltImage.from_record(ctx.blobs, rec["image"])
        blobs_ok = all(p.exists() for _, p in img.blobs())
        have = [*outs.values(), rec_path.parent / "expected.json"]
        have_all = all(p.exists() for p in have)
        if rec.get("key") == key and blobs_ok and have_all:
            ctx.built[recipe.name] = img
            rec["skipped"] = True
            return rec

    print(f"[{recipe.name}] building: {recipe.description}", file=sys.stderr, flush=True)
    t0 = time.monotonic()
    steps = recipe.prepare(ctx)
    t_prep = time.monotonic()
    base = ctx.built[recipe.base] if recipe.base else None
    img = writer.build_image(
        steps, recipe.config, ctx.blobs, compression=recipe.compression, base=base
    )
    t_layers = time.monotonic()
    (ctx.out / recipe.name).mkdir(parents=True, exist_ok=True)
    ref = f"{REPO_PREFIX}/{recipe.name}:{TAG}"
    writer.write_oci_layout(outs["oci"], [(img, TAG)])
    writer.write_oci_archive(outs["oci-archive"], [(img, TAG)])
    writer.write_docker_archive(outs["docker-archive"], img, [ref])
    writer.write_docker_archive(outs["docker25-archive"], img, [ref], layout="oci")
    t_end = time.monotonic()
    base_truth: truth.Truth = {}
    if recipe.base:
        base_truth = json.loads((ctx.out / recipe.base / "expected.json").read_text())
    expected = truth.merge(base_truth, ctx.truth.pop(recipe.name, {}))
    (ctx.out / recipe.name / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    work = ctx.cache / "work" / recipe.name
    if work.exists():
        shutil.rmtree(work)
    ctx.built[recipe.name] = img
    rec = {
        "name": recipe.name,
        "key": key,
        "ref": ref,
        "manifest_digest": img.manifest_digest,
        "config_digest": img.config_digest,
        "layers": len(img.layers),
        "compressed_bytes": sum(ly.size for ly in img.layers),
        "uncompressed_bytes": sum(ly.diff_size for ly in img.layers),
        "files": {k: _size(p) for k, p in outs.items()},
        "seconds": {
            "fetch_and_stage": round(t_prep - t0, 1),
            "layers": round(t_layers - t_prep, 1),
            "outputs": round(t_end - t_layers, 1),
            "total": round(t_end - t0, 1),
        },
        "image": img.to_record(),
    }
    rec_path.write_text(json.dumps(rec, indent=1, sort_keys=True) + "\n")
    rec["skipped"] = False
    return rec


def _size(p: Path) -> int:
    if p.is_dir():
        return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
    return p.stat().st_size
