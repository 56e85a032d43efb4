"""Helpers shared by the language-analyzer tests: feed real files to analyzers as the image stage
would (a ``FileInput`` per regular file) and read the peers' expected package lists."""

from __future__ import annotations

import io
import json
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hullcheck.catalog.interface import Artifact, FileInput

FIXTURES = "package-db-fixtures"


def file_input(path: str, data: bytes) -> FileInput:
    return FileInput(
        path=path, size=len(data), mode=stat.S_IFREG | 0o644, opener=lambda: io.BytesIO(data)
    )


def disk_input(real: Path, image_path: str) -> FileInput:
    return FileInput(
        path=image_path,
        size=real.stat().st_size,
        mode=stat.S_IFREG | 0o644,
        opener=lambda: real.open("rb"),
    )


def run_tree(analyzers: Iterable[Any], root: Path, prefix: str = "") -> list[Artifact]:
    """Offer every regular file under ``root`` to the analyzers, as the layer walk does."""
    analyzers = list(analyzers)
    out: list[Artifact] = []
    for real in sorted(root.rglob("*")):
        if not real.is_file() or real.is_symlink():
            continue
        image_path = prefix + "/" + real.relative_to(root).as_posix()
        st = real.stat()
        for a in analyzers:
            if a.wants(image_path, st.st_size, st.st_mode):
                art = a.analyze(disk_input(real, image_path))
                if art is not None:
                    out.append(art)
    return out


def expected(shared_data: Path, fixture: str) -> dict[str, Any]:
    """The peer's expected list for ``fixture`` (a path under package-db-fixtures)."""
    root = shared_data / FIXTURES / "expected"
    for line in (root / "INDEX.tsv").read_text().splitlines()[1:]:
        cols = line.split("\t")
        if cols[1] == fixture:
            return json.loads((root / cols[0]).read_text())
    raise AssertionError(f"no expected list for {fixture}")


def name_versions(packages: Iterable[Any]) -> set[tuple[str, str]]:
    return {(p.name, p.version) for p in packages}


def expected_name_versions(exp: dict[str, Any]) -> set[tuple[str, str]]:
    return {(p["Name"], p.get("Version", "")) for p in exp["packages"]}
