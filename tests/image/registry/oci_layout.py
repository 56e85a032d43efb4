"""Build small OCI layouts in tests: real gzip tar layers, configs, manifests and an index."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


@dataclass
class BuiltImage:
    os: str
    architecture: str
    variant: str | None
    manifest: bytes
    config: bytes
    layers: list[bytes]  # gzip-compressed blobs, in manifest order

    @property
    def manifest_digest(self) -> str:
        return sha256(self.manifest)

    @property
    def config_digest(self) -> str:
        return sha256(self.config)

    @property
    def layer_digests(self) -> list[str]:
        return [sha256(b) for b in self.layers]

    @property
    def platform_text(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


@dataclass
class Layout:
    path: Path
    images: dict[str, BuiltImage]  # by "os/arch[/variant]"
    index: bytes  # the multi-platform index (ref name "multi")
    single: BuiltImage  # also referenced alone (ref name "single")

    @property
    def index_digest(self) -> str:
        return sha256(self.index)


def _tar_gz(files: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 1_700_000_000
            tf.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def _write_blob(root: Path, data: bytes) -> dict[str, Any]:
    digest = sha256(data)
    (root / "blobs" / "sha256" / digest[7:]).write_bytes(data)
    return {"digest": digest, "size": len(data)}


def build_layout(root: Path, platforms: tuple[tuple[str, str, str | None], ...]) -> Layout:
    """An OCI layout with one image per platform (a shared base layer plus an own layer),
    a multi-platform index tagged ``multi`` and the first image tagged ``single``."""
    (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    base = _tar_gz({"etc/os-release": b'ID=hulltest\nVERSION_ID="1"\n', "etc/hostname": b"test\n"})
    images: dict[str, BuiltImage] = {}
    index_entries = []
    for os_, arch, variant in platforms:
        own = _tar_gz(
            {
                "app/platform.txt": f"{os_}/{arch}/{variant}\n".encode(),
                "app/data.bin": os.urandom(2048),
            }
        )
        layers = [base, own]
        diff_ids = [sha256(gzip.decompress(b)) for b in layers]
        config_obj: dict[str, Any] = {
            "architecture": arch,
            "os": os_,
            "config": {"Env": ["PATH=/usr/bin"], "Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created_by": "base"}, {"created_by": "app"}],
        }
        if variant:
            config_obj["variant"] = variant
        config = canonical(config_obj)
        manifest_obj = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, **_write_blob(root, config)},
            "layers": [{"mediaType": OCI_LAYER_GZIP, **_write_blob(root, b)} for b in layers],
        }
        manifest = canonical(manifest_obj)
        desc = _write_blob(root, manifest)
        plat = {"os": os_, "architecture": arch, **({"variant": variant} if variant else {})}
        index_entries.append({"mediaType": OCI_MANIFEST, **desc, "platform": plat})
        img = BuiltImage(os_, arch, variant, manifest, config, layers)
        images[img.platform_text] = img
    index = canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": index_entries})
    index_desc = _write_blob(root, index)
    first = next(iter(images.values()))
    top = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_INDEX, **index_desc, "annotations": {REF_NAME: "multi"}},
            {
                "mediaType": OCI_MANIFEST,
                "digest": first.manifest_digest,
                "size": len(first.manifest),
                "annotations": {REF_NAME: "single"},
            },
        ],
    }
    (root / "index.json").write_bytes(canonical(top))
    return Layout(root, images, index, first)
