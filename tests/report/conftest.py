from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hullcheck.advisories.store import AdvisoryStore

from .fixtures import build_db


@pytest.fixture(scope="session")
def report_db(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_db(shared_data, tmp_path_factory.mktemp("reportdb"))


@pytest.fixture(scope="session")
def store(report_db: Path) -> Iterator[AdvisoryStore]:
    s = AdvisoryStore.open(report_db)
    yield s
    s.close()
