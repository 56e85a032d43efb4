"""Helpers shared by the OS package database tests: peers' expected lists, txtar, FileInput."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

from hullcheck.catalog.interface import FileInput

FIX = "package-db-fixtures"


def file_input(path: str, data: bytes) -> FileInput:
    return FileInput(path=path, size=len(data), mode=0o644, opener=lambda: io.BytesIO(data))


def txtar(path: Path) -> dict[str, bytes]:
    """Files of a txtar bundle ("-- name --" lines separate them)."""
    parts = re.split(rb"^-- (.+?) --\n", path.read_bytes(), flags=re.M)
    return {name.decode(): body for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def expected(shared: Path, fixture: str) -> list[dict[str, Any]]:
    """The package list a peer's test expects for ``fixture`` (path under package-db-fixtures)."""
    index = (shared / FIX / "expected" / "INDEX.tsv").read_text().splitlines()
    for line in index[1:]:
        cols = line.split("\t")
        if cols[1] == fixture:
            packages: list[dict[str, Any]] = json.loads(
                (shared / FIX / "expected" / cols[0]).read_text()
            )["packages"]
            return packages
    raise AssertionError(f"{fixture} not in INDEX.tsv")
