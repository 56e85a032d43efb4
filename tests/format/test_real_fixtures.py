"""SBOMs of the real package databases in the shared fixtures, through whatever catalogers are
registered: valid in every format and read back unchanged (real license texts, odd names)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hullcheck.format import WRITERS, read_sbom, render
from hullcheck.format.common import jsonable
from hullcheck.inventory import inventory


@pytest.fixture(scope="module")
def fixture_inventory(shared_data: Path):  # type: ignore[no-untyped-def]
    root = shared_data / "package-db-fixtures"
    if not root.is_dir():
        pytest.fail(f"{root} missing from the shared data")
    return inventory(f"rootfs:{root}")


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_fixture_tree(tmp_path: Path, fmt: str, fixture_inventory) -> None:  # type: ignore[no-untyped-def]
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    inv = fixture_inventory
    out = tmp_path / f"fixtures.{fmt}.json"
    out.write_text(render(fmt, inv.metadata, inv.catalog), encoding="utf-8")
    if fmt == "cyclonedx-json":
        assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(out.read_text()) is None
    if fmt == "spdx-json":
        assert [m.validation_message for m in validate_full_spdx_document(parse_file(str(out)))] == []
    back = read_sbom(out)
    assert back.catalog == inv.catalog
    assert [p.metadata for p in back.catalog.packages] == [
        json.loads(json.dumps(p.metadata, default=jsonable)) for p in inv.catalog.packages]
