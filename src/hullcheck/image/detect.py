"""Recognise a bare path by its content: OCI layout dir, rootfs dir, OCI or docker archive."""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

from hullcheck.errors import ImageError, UsageError
from hullcheck.image.blobio import GZIP_MAGIC, ZSTD_MAGIC
from hullcheck.model import ImageRef, Transport


def _archive_kind(path: Path) -> Transport:
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:2] == GZIP_MAGIC or head == ZSTD_MAGIC:
        # Compressed archives are indexed after decompression; decide by the inner names.
        from hullcheck.config import Limits
        from hullcheck.image.blobio import LayerPipeline

        pipe = LayerPipeline(open(path, "rb"),  # noqa: SIM115 - the pipeline owns and closes it
                             Limits.from_env(), digest=None, diff_id=None, what=str(path))
        try:
            names = _first_names(pipe)
        finally:
            pipe.close()
    else:
        with open(path, "rb") as f:
            names = _first_names(f)
    if "manifest.json" in names:
        return Transport.DOCKER_ARCHIVE
    if "index.json" in names or "oci-layout" in names:
        return Transport.OCI_ARCHIVE
    raise ImageError(f"{path} is a tar archive but neither a docker-archive nor an OCI archive")


def _first_names(f: Any, limit: int = 10_000) -> set[str]:
    names: set[str] = set()
    try:
        with tarfile.open(fileobj=f, mode="r|") as tf:
            for i, m in enumerate(tf):
                names.add(m.name.lstrip("./"))
                if i >= limit or {"manifest.json", "index.json"} & names:
                    break
    except (tarfile.TarError, EOFError, OSError) as e:
        raise ImageError(f"not a readable image archive ({e})") from None
    return names


def detect_path(text: str) -> ImageRef:
    path = Path(text)
    if path.is_dir():
        if (path / "index.json").is_file() and (path / "oci-layout").is_file():
            return ImageRef(Transport.OCI_LAYOUT, path=str(path))
        if (path / "index.json").is_file() and (path / "blobs").is_dir():
            return ImageRef(Transport.OCI_LAYOUT, path=str(path))
        return ImageRef(Transport.ROOTFS, path=str(path))
    if path.is_file():
        return ImageRef(_archive_kind(path), path=str(path))
    raise UsageError(f"{text} is neither an image reference nor an existing path")
