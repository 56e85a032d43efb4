"""Manifest, index and config parsing (image/local.py, manifest.py, config.py) on mutated OCI
layouts and docker-archives built with tests/image/build.py.

A mutated document is written back "honestly" (new blob, parent re-pointed at its digest), so
the parsers see the hostile content rather than stopping at a digest mismatch; the byte-level
variant also exercises the digest checks. Contract: only ``HullcheckError`` escapes.
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hullcheck.catalog.registry import default_analyzers
from hullcheck.config import Limits
from hullcheck.errors import HullcheckError
from hullcheck.image.config import build_metadata
from hullcheck.image.local import read_docker_archive, read_oci_layout
from hullcheck.image.open import Image
from hullcheck.model import Platform
from tests.fuzz._util import CUT, EDITS, json_mutations, mutate_bytes, within
from tests.fuzz.conftest import fuzz
from tests.image.build import ImageSpec, f, oci_layout, sha, write_blob

LIMITS = Limits(max_layer_bytes=4 << 20, max_entries=200, max_manifest_bytes=1 << 20)
ANALYZERS = default_analyzers()
SPEC = ImageSpec(
    layers=[[f("etc/os-release", 'ID=debian\nVERSION_ID="12"\n'), f("app/package.json", '{"name":"a","version":"1"}')],
            [f("app/x", "y")]],
    config={"User": "app", "Env": ["A=1"], "Labels": {"k": "v"}, "ExposedPorts": {"80/tcp": {}}},
)
PLATFORMS = st.sampled_from([None, Platform("linux", "amd64"), Platform("linux", "arm64", "v8"), Platform("", "")])
TAGS = st.sampled_from([None, "latest", "nope", ""])


def _docs(root: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    index = json.loads((root / "index.json").read_text())
    mdigest = index["manifests"][0]["digest"]
    manifest = json.loads((root / "blobs" / "sha256" / mdigest.split(":")[1]).read_text())
    cdigest = manifest["config"]["digest"]
    config = json.loads((root / "blobs" / "sha256" / cdigest.split(":")[1]).read_text())
    return index, manifest, config


def _link(parent: Any, key: str, blob: bytes, root: Path) -> None:
    """Point ``parent[key]`` (a descriptor) at ``blob``, if the mutation left it a descriptor."""
    digest = write_blob(root, blob)
    if isinstance(parent, dict):
        desc = parent.get(key)
        if isinstance(desc, list) and desc and isinstance(desc[0], dict):
            desc = desc[0]
        if isinstance(desc, dict):
            desc["digest"] = digest
            desc["size"] = len(blob)


def _open_and_scan(root: Path, tag: str | None, platform: Platform | None) -> None:
    raw = read_oci_layout(root, tag=tag, platform=platform, limits=LIMITS)
    meta = build_metadata(raw)
    assert len(meta.layers) == len(raw.layers)
    Image(metadata=meta, raw=raw, rootfs=None, limits=LIMITS).scan(ANALYZERS, use_cache=False, workers=1)


def _build(tmp: Path, which: str, mutate: Any) -> Path:
    root = oci_layout(tmp / "l", {"latest": SPEC})
    index, manifest, config = _docs(root)
    if which == "config":
        blob = mutate(config)
        _link(manifest, "config", blob, root)
        _link(index, "manifests", json.dumps(manifest).encode(), root)
    elif which == "manifest":
        _link(index, "manifests", mutate(manifest), root)
    elif which == "nested-index":
        # an index blob in between, as multi-platform images have
        sub = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
               "manifests": [dict(index["manifests"][0])]}
        _link(index, "manifests", mutate(sub), root)
    if which == "index":
        (root / "index.json").write_bytes(mutate(index))
    else:
        (root / "index.json").write_text(json.dumps(index))
    if which == "oci-layout":
        (root / "oci-layout").write_bytes(mutate({"imageLayoutVersion": "1.0.0"}))
    return root


WHICH = st.sampled_from(["config", "manifest", "nested-index", "index", "oci-layout"])


@fuzz(1)
@given(which=WHICH, data=st.data(), tag=TAGS, platform=PLATFORMS)
def test_mutated_json_documents(which: str, data: st.DataObject, tag: str | None,
                                platform: Platform | None) -> None:
    def mutate(doc: Any) -> bytes:
        return json.dumps(data.draw(json_mutations(doc), label=which)).encode()

    with tempfile.TemporaryDirectory() as t:
        root = _build(Path(t), which, mutate)
        try:
            within(20, lambda: _open_and_scan(root, tag, platform))
        except HullcheckError as e:
            assert "\n" not in e.diagnostics()


@fuzz(1)
@given(which=WHICH, edits=EDITS, cut=CUT, tag=TAGS)
def test_mutated_bytes(which: str, edits: list[tuple[float, bytes, int]], cut: float | None,
                       tag: str | None) -> None:
    with tempfile.TemporaryDirectory() as t:
        root = _build(Path(t), which, lambda doc: mutate_bytes(json.dumps(doc).encode(), edits, cut))
        try:
            within(20, lambda: _open_and_scan(root, tag, None))
        except HullcheckError as e:
            assert "\n" not in e.diagnostics()


def _docker_archive(out: Path, entry: Any, config: bytes) -> Path:
    tars, _blobs, _cfg = SPEC.build()
    files: dict[str, bytes] = {sha(config).split(":")[1] + ".json": config}
    for t in tars:
        files[sha(t).split(":")[1] + "/layer.tar"] = t
    files["manifest.json"] = json.dumps(entry).encode()
    with tarfile.open(out, "w") as tf:
        for name, blob in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(blob)
            tf.addfile(ti, io.BytesIO(blob))
    return out


@fuzz(1)
@given(target=st.sampled_from(["manifest.json", "config"]), data=st.data(),
       tag=st.sampled_from([None, "1.0", "example/app:1.0", "x"]))
def test_mutated_docker_archive(target: str, data: st.DataObject | None, tag: str | None) -> None:
    tars, _blobs, cfg = SPEC.build()
    config = json.loads(cfg)
    entry = [{"Config": sha(cfg).split(":")[1] + ".json", "RepoTags": ["example/app:1.0"],
              "Layers": [sha(t).split(":")[1] + "/layer.tar" for t in tars]}]
    if target == "manifest.json":
        entry = data.draw(json_mutations(entry))
    else:
        config = data.draw(json_mutations(config))
        if isinstance(entry, list):
            entry[0]["Config"] = sha(json.dumps(config).encode()).split(":")[1] + ".json"
    with tempfile.TemporaryDirectory() as t:
        path = _docker_archive(Path(t) / "a.tar", entry, json.dumps(config).encode())
        _check_docker_archive(path, tag)


def _check_docker_archive(path: Path, tag: str | None) -> None:
    def run() -> None:
        raw = read_docker_archive(path, tag=tag, limits=LIMITS)
        meta = build_metadata(raw)
        Image(metadata=meta, raw=raw, rootfs=None, limits=LIMITS).scan(ANALYZERS, use_cache=False, workers=1)

    try:
        within(20, run)
    except HullcheckError as e:
        assert "\n" not in e.diagnostics()


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> bytes:
    node = doc
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return json.dumps(doc).encode()


# Crashes the harnesses found, kept as plain cases: (document, where, value, tag, expected
# error text or None when the image must open fine).
REGRESSIONS = [
    ("manifest", ("annotations",), "x", None, None),  # dict("x"): ValueError
    ("manifest", ("mediaType",), [0], None, "malformed mediaType"),  # list in a set: TypeError
    ("index", ("manifests",), [[[[]]]], None, "no manifest descriptors"),  # chosen[0]: IndexError
    ("index", ("manifests", 0, "annotations"), ["x"], "latest", "no image tagged"),  # list.get
    ("nested-index", ("manifests", 0, "platform", "os"), True, None, "has no image for platform"),  # join(bool)
    ("nested-index", ("manifests", 0, "platform", "variant"), 7, None, None),  # Platform(variant=7)
]


@pytest.mark.parametrize(("which", "where", "value", "tag", "expected"), REGRESSIONS)
def test_regressions(tmp_path: Path, which: str, where: tuple[Any, ...], value: Any, tag: str | None,
                     expected: str | None) -> None:
    root = _build(tmp_path, which, lambda doc: _set(doc, where, value))
    if expected is None:
        _open_and_scan(root, tag, Platform("linux", "amd64"))
        return
    with pytest.raises(HullcheckError, match=expected):
        _open_and_scan(root, tag, Platform("linux", "amd64"))


def test_regression_docker_repotags_not_strings(tmp_path: Path) -> None:
    tars, _blobs, cfg = SPEC.build()
    entry = [{"Config": sha(cfg).split(":")[1] + ".json", "RepoTags": [5, None],
              "Layers": [sha(t).split(":")[1] + "/layer.tar" for t in tars]}]
    path = _docker_archive(tmp_path / "a.tar", entry, cfg)
    with pytest.raises(HullcheckError, match="no image tagged"):
        read_docker_archive(path, tag="1.0", limits=LIMITS)  # int.endswith: AttributeError
    assert read_docker_archive(path, limits=LIMITS).repo_tags == ()


REF_PREFIXES = st.sampled_from(["", "oci:", "oci-archive:", "docker-archive:", "rootfs:", "sbom:", "docker://",
                                "registry.test:5000/", "localhost/", "a/b:", "@sha256:"])


@fuzz(3)
@given(prefix=REF_PREFIXES, rest=st.text(max_size=60))
def test_reference_parser_is_total(prefix: str, rest: str) -> None:
    """Any reference text a user types parses or is a one-line usage error."""
    from hullcheck.errors import UsageError
    from hullcheck.image.open import parse_ref

    try:
        parse_ref(prefix + rest)
    except UsageError as e:
        assert "\n" not in e.diagnostics()
