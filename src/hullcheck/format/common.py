"""Pieces every SBOM format shares: the document a reader returns, stable package ids, limits."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hullcheck import __version__
from hullcheck.catalog.runner import Catalog
from hullcheck.errors import ImageError
from hullcheck.model import ImageMetadata, Package, Platform

TOOL_NAME = "hullcheck"
TOOL_VERSION = __version__

# An SBOM is read whole (json.loads); this bounds the memory a hostile file can take.
MAX_SBOM_BYTES = 512 * 1024**2


@dataclass(frozen=True)
class SbomDocument:
    """What a reader returns: the image the SBOM describes and its catalog."""

    source: ImageMetadata
    catalog: Catalog
    format: str  # the format id it was read from: json, cyclonedx-json, spdx-json
    tool: str = ""  # the producing tool, where the document names it


def jsonable(obj: Any) -> Any:
    """``json.dumps`` fallback for cataloger metadata that is not plain JSON (sets, bytes, ...)."""
    if isinstance(obj, set | frozenset):
        return sorted(obj, key=str)
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    return str(obj)


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def package_id(p: Package) -> str:
    """A short id that stays the same for the same package at the same place, run after run."""
    first = p.locations[0].path if p.locations else ""
    raw = "\x00".join((p.type.value, p.name, p.version, p.arch, first))
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def unique_ids(packages: tuple[Package, ...]) -> list[str]:
    """``package_id`` for each package, with a suffix where two packages would collide."""
    seen: dict[str, int] = {}
    out = []
    for p in packages:
        pid = package_id(p)
        n = seen.get(pid, 0)
        seen[pid] = n + 1
        out.append(pid if n == 0 else f"{pid}-{n}")
    return out


def parse_platform_text(text: str) -> Platform:
    parts = text.split("/")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return Platform()
    return Platform(os=parts[0], architecture=parts[1], variant=parts[2] if len(parts) > 2 and parts[2] else None)


def load_json(path: str | Path, data: bytes | None = None) -> Any:
    """Read and parse a JSON file with a size bound; bad input is an ``ImageError``."""
    p = Path(path)
    if data is None:
        try:
            size = p.stat().st_size
            if size > MAX_SBOM_BYTES:
                raise ImageError(f"{p}: SBOM of {size} bytes is larger than the limit of {MAX_SBOM_BYTES} bytes")
            data = p.read_bytes()
        except OSError as e:
            raise ImageError(f"cannot read SBOM {p}: {e.strerror or e}") from None
    if len(data) > MAX_SBOM_BYTES:
        raise ImageError(f"{p}: SBOM larger than the limit of {MAX_SBOM_BYTES} bytes")
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as e:
        # ValueError covers JSONDecodeError and UnicodeDecodeError; RecursionError deep nesting.
        msg = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
        raise ImageError(f"{p}: not valid JSON: {msg}") from None


def as_int(v: Any) -> int | None:
    """An optional layer index or size from untrusted input: ints (and digit strings) only."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v if v >= 0 else None
    if isinstance(v, str) and v.isascii() and v.isdigit() and len(v) < 12:  # "²".isdigit() too
        return int(v)
    return None


def as_str(v: Any) -> str:
    return v if isinstance(v, str) else ""


def get_dict(obj: Any, key: str) -> dict[str, Any]:
    v = obj.get(key) if isinstance(obj, dict) else None
    return v if isinstance(v, dict) else {}


def get_list(obj: Any, key: str) -> list[Any]:
    v = obj.get(key) if isinstance(obj, dict) else None
    return v if isinstance(v, list) else []
