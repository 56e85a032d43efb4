"""SBOM formats: one module per format, and the explicit registries below.

- ``WRITERS``: format id -> ``write(metadata, catalog, *, created=None) -> str``.
- ``READERS``: (format id, detect(doc), read(doc, name)) in the order they are tried.
- ``read_sbom(path)``: any supported SBOM file -> ``SbomDocument(source, catalog, format, tool)``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from hullcheck.catalog.runner import Catalog
from hullcheck.errors import ImageError, UsageError
from hullcheck.format import cyclonedx, cyclonedx_read, hcjson, spdx, spdx_read
from hullcheck.format.common import SbomDocument, load_json
from hullcheck.model import ImageMetadata

Writer = Callable[..., str]

WRITERS: dict[str, Writer] = {
    hcjson.FORMAT_ID: hcjson.write,
    cyclonedx.FORMAT_ID: cyclonedx.write,
    spdx.FORMAT_ID: spdx.write,
}

READERS: tuple[tuple[str, Callable[[Any], bool], Callable[[Any, str], SbomDocument]], ...] = (
    (hcjson.FORMAT_ID, hcjson.detect, hcjson.read),
    (cyclonedx_read.FORMAT_ID, cyclonedx_read.detect, cyclonedx_read.read),
    (spdx_read.FORMAT_ID, spdx_read.detect, spdx_read.read),
)

__all__ = ["READERS", "WRITERS", "SbomDocument", "read_sbom", "read_sbom_doc", "render"]


def render(fmt: str, metadata: ImageMetadata, catalog: Catalog, *, created: str | None = None) -> str:
    try:
        writer = WRITERS[fmt]
    except KeyError:
        raise UsageError(f"unknown SBOM format {fmt!r} ({', '.join(WRITERS)})") from None
    text = writer(metadata, catalog, created=created)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # lone surrogates (undecodable bytes kept by a cataloger) cannot be written as UTF-8
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def read_sbom_doc(doc: Any, name: str = "SBOM") -> SbomDocument:
    """An already parsed JSON document in any supported format."""
    for _fid, detect, read in READERS:
        if detect(doc):
            return read(doc, name)
    raise ImageError(f"{name}: not a hullcheck, CycloneDX or SPDX 2 JSON SBOM")


def read_sbom(path: str | Path) -> SbomDocument:
    """Read an SBOM file (hullcheck json, CycloneDX JSON, SPDX 2 JSON; the format is detected)."""
    return read_sbom_doc(load_json(path), str(path))
