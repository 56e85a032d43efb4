"""SBOMs of a catalog the runner builds from a real image: layers and attribution survive each format."""

from __future__ import annotations

from pathlib import Path

import pytest

from hullcheck.format import WRITERS, read_sbom, render
from hullcheck.inventory import inventory

from .analyzers import ANALYZERS
from .images import DPKG_ADDED, DPKG_BASE, NPM, PYTHON, sample_layout


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_runner_catalog_survives(tmp_path: Path, fmt: str) -> None:
    root = sample_layout(tmp_path / "img")
    inv = inventory(f"oci:{root}", analyzers=ANALYZERS)
    cat = inv.catalog
    # the catalog is what the image holds (derived from the data the image was built from)
    names = {p.name for p in cat.packages}
    assert names == {x[0] for x in DPKG_BASE + DPKG_ADDED} | {x[0] for x in PYTHON} | {x[0] for x in NPM}
    by_name = {p.name: p for p in cat.packages}
    assert by_name["libc6"].layer_index == 0 and by_name["libssl3"].layer_index == 1
    assert by_name["lodash"].layer_index == 2
    out = tmp_path / "sbom.json"
    out.write_text(render(fmt, inv.metadata, cat))
    back = read_sbom(out)
    assert back.catalog == cat
    again = {p.name: p for p in back.catalog.packages}
    assert again["libdb5.3"].source_name == "db5.3" and again["libdb5.3"].source_version == "5.3.28+dfsg2-1"
    assert again["libc6"].created_by == inv.metadata.layers[0].created_by
    assert again["libc6"].locations[0].layer_diff_id == inv.metadata.layers[1].diff_id  # the visible status file
    assert back.source.manifest_digest == inv.metadata.manifest_digest
    assert [x.diff_id for x in back.source.layers] == [x.diff_id for x in inv.metadata.layers]
