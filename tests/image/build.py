"""Build test images byte by byte (tarfile, json, hashlib), including hostile ones.

Kept separate from ``hullcheck.image.writer`` on purpose: these builders must be able to write
what no honest writer would (traversal names, lying digests, truncated blobs).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zstandard


@dataclass
class Member:
    name: str
    data: bytes = b""
    kind: bytes = tarfile.REGTYPE
    mode: int = 0o644
    linkname: str = ""


def f(name: str, data: bytes | str = b"", mode: int = 0o644) -> Member:
    return Member(name, data.encode() if isinstance(data, str) else data, tarfile.REGTYPE, mode)


def d(name: str, mode: int = 0o755) -> Member:
    return Member(name, b"", tarfile.DIRTYPE, mode)


def sym(name: str, target: str) -> Member:
    return Member(name, b"", tarfile.SYMTYPE, 0o777, target)


def hard(name: str, target: str) -> Member:
    return Member(name, b"", tarfile.LNKTYPE, 0o644, target)


def layer_tar(members: list[Member], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for m in members:
            ti = tarfile.TarInfo(m.name)
            ti.type = m.kind
            ti.mode = m.mode
            ti.mtime = 1_700_000_000
            ti.linkname = m.linkname
            if m.kind == tarfile.REGTYPE:
                ti.size = len(m.data)
                tf.addfile(ti, io.BytesIO(m.data))
            else:
                tf.addfile(ti)
    return buf.getvalue()


def compress(tar: bytes, how: str) -> bytes:
    if how == "gzip":
        return gzip.compress(tar, mtime=0)
    if how == "zstd":
        return zstandard.ZstdCompressor().compress(tar)
    return tar


def sha(b: bytes) -> str:
    return "sha256:" + hashlib.sha256(b).hexdigest()


MEDIA = {
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
    "none": "application/vnd.oci.image.layer.v1.tar",
}


@dataclass
class ImageSpec:
    layers: list[list[Member]]
    history: list[dict[str, Any]] | None = None
    config: dict[str, Any] = field(default_factory=dict)
    compression: str = "gzip"
    arch: str = "amd64"
    diff_ids: list[str] | None = None  # what the config claims; default: the real ones

    def build(self) -> tuple[list[bytes], list[bytes], bytes]:
        """Returns (layer tars, stored layer blobs, config bytes)."""
        tars = [layer_tar(m) for m in self.layers]
        blobs = [compress(t, self.compression) for t in tars]
        history = self.history
        if history is None:
            history = [{"created_by": f"RUN step {i}", "created": "2024-01-01T00:00:00Z"} for i in range(len(tars))]
        cfg = {
            "architecture": self.arch,
            "os": "linux",
            "created": "2024-01-01T00:00:00Z",
            "config": self.config,
            "rootfs": {"type": "layers", "diff_ids": self.diff_ids or [sha(t) for t in tars]},
            "history": history,
        }
        return tars, blobs, json.dumps(cfg, sort_keys=True).encode()


def write_blob(root: Path, data: bytes) -> str:
    digest = sha(data)
    p = root / "blobs" / "sha256" / digest.split(":")[1]
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return digest


def manifest_for(img: ImageSpec, root: Path) -> tuple[bytes, str]:
    _tars, blobs, cfg = img.build()
    cdigest = write_blob(root, cfg)
    layers = []
    for b in blobs:
        layers.append({"mediaType": MEDIA[img.compression], "digest": write_blob(root, b), "size": len(b)})
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cdigest, "size": len(cfg)},
        "layers": layers,
    }
    mbytes = json.dumps(manifest, sort_keys=True).encode()
    return mbytes, write_blob(root, mbytes)


def oci_layout(root: Path, images: dict[str, ImageSpec]) -> Path:
    """An OCI layout with one tagged manifest per entry of ``images``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    manifests = []
    for tag, img in images.items():
        mbytes, mdigest = manifest_for(img, root)
        manifests.append({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": mdigest,
            "size": len(mbytes),
            "annotations": {"org.opencontainers.image.ref.name": tag},
            "platform": {"os": "linux", "architecture": img.arch},
        })
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": manifests}))
    return root


def multiarch_layout(root: Path, images: dict[str, ImageSpec], tag: str = "latest") -> Path:
    """An OCI layout whose index.json points at a nested index of per-arch manifests."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    subs = []
    for arch, img in images.items():
        img.arch = arch
        mbytes, mdigest = manifest_for(img, root)
        subs.append({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": mdigest,
            "size": len(mbytes),
            "platform": {"os": "linux", "architecture": arch},
        })
    ibytes = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": subs
    }).encode()
    idigest = write_blob(root, ibytes)
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": idigest, "size": len(ibytes),
        "annotations": {"org.opencontainers.image.ref.name": tag},
    }]}))
    return root


def tar_dir(src: Path, out: Path) -> Path:
    with tarfile.open(out, "w") as tf:
        for p in sorted(src.rglob("*")):
            tf.add(p, arcname=p.relative_to(src).as_posix(), recursive=False)
    return out


def docker_archive(out: Path, img: ImageSpec, tags: tuple[str, ...] = ("example/app:1.0",)) -> Path:
    """The classic ``docker save`` layout: <hex>.json config, <hex>/layer.tar, manifest.json."""
    tars, _blobs, cfg = img.build()
    cname = sha(cfg).split(":")[1] + ".json"
    files: dict[str, bytes] = {cname: cfg}
    layer_paths = []
    for t in tars:
        lp = sha(t).split(":")[1] + "/layer.tar"
        files[lp] = t
        layer_paths.append(lp)
    files["manifest.json"] = json.dumps([{"Config": cname, "RepoTags": list(tags), "Layers": layer_paths}]).encode()
    with tarfile.open(out, "w") as tf:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    return out
