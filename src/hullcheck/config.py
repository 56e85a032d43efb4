"""Runtime settings shared by the stages: cache location and safety limits.

Every setting has a ``HULLCHECK_*`` environment variable; CLI flags override them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def cache_dir() -> Path:
    """``HULLCHECK_CACHE_DIR`` or ``$XDG_CACHE_HOME/hullcheck`` or ``~/.cache/hullcheck``."""
    env = os.environ.get("HULLCHECK_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "hullcheck"


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        return default


@dataclass(frozen=True)
class Limits:
    """Bounds that keep hostile images from exhausting disk, memory or time."""

    max_layer_bytes: int = 32 * 1024**3  # uncompressed bytes of one layer
    max_image_bytes: int = 128 * 1024**3  # uncompressed bytes of all layers
    max_entries: int = 5_000_000  # tar entries in one layer
    max_compression_ratio: int = 1000  # uncompressed/compressed, checked past max_ratio_floor
    max_ratio_floor: int = 64 * 1024**2  # bytes read before the ratio is enforced
    max_manifest_bytes: int = 4 * 1024**2  # manifests, indexes, configs
    max_file_read: int = 256 * 1024**2  # largest single file handed to an analyzer
    max_path_length: int = 4096
    max_link_depth: int = 40  # symlinks followed while resolving a path
    # File records an image scan keeps in memory (all layers together); past this, the records
    # and the squashed view go to a temporary database in the cache dir, so that memory does not
    # grow with the number of files (``image.filetable``). 0 always spills (for tests).
    spill_files: int = 150_000
    # Hash the uncompressed stream of compressed layers to check their diff_ids (see
    # ``image.blobio.LayerPipeline``); off by default: it doubles the hashing for no safety
    # the verified blob digest does not already give.
    verify_diff_ids: bool = False

    @classmethod
    def from_env(cls) -> Limits:
        d = cls()
        return cls(
            max_layer_bytes=_env_int("HULLCHECK_MAX_LAYER_BYTES", d.max_layer_bytes),
            max_image_bytes=_env_int("HULLCHECK_MAX_IMAGE_BYTES", d.max_image_bytes),
            max_entries=_env_int("HULLCHECK_MAX_ENTRIES", d.max_entries),
            max_compression_ratio=_env_int("HULLCHECK_MAX_COMPRESSION_RATIO", d.max_compression_ratio),
            max_ratio_floor=_env_int("HULLCHECK_MAX_RATIO_FLOOR", d.max_ratio_floor),
            max_manifest_bytes=_env_int("HULLCHECK_MAX_MANIFEST_BYTES", d.max_manifest_bytes),
            max_file_read=_env_int("HULLCHECK_MAX_FILE_READ", d.max_file_read),
            spill_files=_env_int("HULLCHECK_SPILL_FILES", d.spill_files),
            verify_diff_ids=os.environ.get("HULLCHECK_VERIFY_DIFF_IDS", "") not in ("", "0", "false", "no"),
        )
