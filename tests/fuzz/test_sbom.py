"""The SBOM readers (hullcheck json, CycloneDX JSON, SPDX 2 JSON) on mutated documents.

Seeds are documents our writers produce for a sample catalog; Hypothesis replaces or deletes
nodes (wrong types, huge numbers, deep lists) or mutates the bytes. Contract (format/__init__.py):
a document is read into a well-typed catalog or refused with a one-line ``ImageError``; what
was read can be written again in every format.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from hullcheck.catalog.runner import Catalog
from hullcheck.errors import ImageError
from hullcheck.format import WRITERS, SbomDocument, read_sbom, read_sbom_doc, render
from hullcheck.model import ImageMetadata, LayerInfo, Platform
from tests.format.catalogs import sample_catalog
from tests.fuzz._util import CUT, EDITS, json_mutations, mutate_bytes, within
from tests.fuzz.conftest import fuzz

META = ImageMetadata(
    ref="oci:/x", platform=Platform(), manifest_digest="sha256:" + "a" * 64, config_digest="sha256:" + "b" * 64,
    layers=tuple(LayerInfo(index=i, digest=f"sha256:{i}", diff_id=f"sha256:d{i}", media_type="m", size=1,
                           created_by=f"RUN {i}") for i in range(3)),
)
DOCS = {fmt: json.loads(render(fmt, META, sample_catalog(META))) for fmt in WRITERS}
FORMATS = sorted(DOCS)


def _check(out: SbomDocument) -> None:
    assert isinstance(out.catalog, Catalog)
    for p in out.catalog.packages:
        assert isinstance(p.name, str) and isinstance(p.version, str)
        assert all(isinstance(loc.path, str) for loc in p.locations)
        assert all(isinstance(x, str) for x in p.licenses)
    for fmt in WRITERS:  # what was read must be writable again (sbom convert does this)
        render(fmt, out.source, out.catalog, created="2024-01-01T00:00:00Z")


def _read(doc: Any) -> None:
    try:
        out = within(20, lambda: read_sbom_doc(doc))
    except ImageError as e:
        assert "\n" not in e.diagnostics()
        return
    _check(out)


@fuzz(1.5)
@given(fmt=st.sampled_from(FORMATS), data=st.data())
def test_mutated_documents(fmt: str, data: st.DataObject) -> None:
    _read(data.draw(json_mutations(DOCS[fmt], max_edits=6)))


@fuzz(2)
@given(fmt=st.sampled_from(FORMATS), edits=EDITS, cut=CUT)
def test_mutated_bytes(fmt: str, edits: list[tuple[float, bytes, int]], cut: float | None) -> None:
    raw = mutate_bytes(json.dumps(DOCS[fmt]).encode(), edits, cut)
    with tempfile.TemporaryDirectory() as t:
        p = Path(t) / "sbom.json"
        p.write_bytes(raw)
        try:
            out = within(20, lambda: read_sbom(p))
        except ImageError as e:
            assert "\n" not in e.diagnostics()
            return
        _check(out)


def test_regression_unicode_digits_in_cyclonedx_properties() -> None:
    """Found with "²" in the junk values: ``"²".isdigit()`` is True but ``int("²")`` fails
    (format/common.py and cyclonedx_read.py took isdigit() as proof of a number)."""
    for index, (field, value) in enumerate([("name", "hullcheck:image:layer:²:digest"), ("value", "²")]):
        doc = json.loads(json.dumps(DOCS["cyclonedx-json"]))
        props = doc["metadata"]["component"]["properties"]
        target = next(p for p in props if p["name"].endswith(":size" if index else ":digest"))
        target[field] = value
        out = read_sbom_doc(doc)  # was: ValueError
        _check(out)
