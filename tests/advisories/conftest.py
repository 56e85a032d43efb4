"""Advisory test helpers: the real feeds in the shared data, and a store built from some."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hullcheck.advisories.importer import ImportReport, import_paths
from hullcheck.advisories.osv import load_yaml
from hullcheck.advisories.store import AdvisoryStore


@pytest.fixture(scope="session")
def adv(shared_data: Path) -> Path:
    return shared_data / "advisories"


Built = tuple[AdvisoryStore, ImportReport]


@pytest.fixture
def build(tmp_path: Path) -> Iterator[Callable[..., Built]]:
    """Build a fresh database from paths; the store is closed after the test."""
    opened: list[AdvisoryStore] = []
    n = [0]

    def _build(*paths: Path | str) -> Built:
        n[0] += 1
        db = tmp_path / f"db{n[0]}" / "advisories.db"
        report = import_paths([str(p) for p in paths], db, fresh=True)
        store = AdvisoryStore.open(db)
        opened.append(store)
        return store, report

    yield _build
    for s in opened:
        s.close()


def read_record(path: Path) -> Any:
    data = path.read_bytes()
    return json.loads(data) if path.suffix == ".json" else load_yaml(data)


def every_nth(paths: list[Path], n: int) -> list[Path]:
    """A stable subset that keeps unit tests quick; the slow test imports everything."""
    return sorted(paths)[::n]


# The real docker-registry server (htpasswd auth) for the 'db push' / 'db pull' tests.
from tests.image.registry import servers  # noqa: E402

registry_server = servers.registry_server
