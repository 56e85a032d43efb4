"""``hullcheck.match.bulk.rematch``: stored SBOMs re-matched in worker processes give exactly what
the in-process matcher gives for the same packages read back."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from hullcheck.advisories.importer import import_paths
from hullcheck.advisories.store import AdvisoryStore
from hullcheck.catalog.runner import Catalog
from hullcheck.errors import AdvisoryDBError
from hullcheck.format import read_sbom, render
from hullcheck.match.bulk import rematch
from hullcheck.match.matcher import Matcher
from hullcheck.model import ImageMetadata, Location, Package, PackageType, Platform

PYPA = "advisories/osv/pypa-advisory-database/vulns"
META = ImageMetadata(ref="example/app:1", platform=Platform(), manifest_digest=None, config_digest=None, layers=())


def _versions(shared: Path, package: str) -> list[str]:
    """Versions the real records list for a package, plus one that none lists."""
    import yaml

    seen: set[str] = set()
    for p in sorted((shared / PYPA / package).glob("*.yaml")):
        for a in yaml.safe_load(p.read_text())["affected"]:
            seen.update(a.get("versions", []))
    return [*sorted(seen)[:: max(1, len(seen) // 6)], "999.0"]


@pytest.fixture(scope="module")
def db(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "adv.db"
    import_paths([str(shared_data / PYPA / "urllib3"), str(shared_data / PYPA / "jinja2")], path, fresh=True)
    return path


def test_rematch_equals_the_matcher(db: Path, shared_data: Path, tmp_path: Path) -> None:
    paths = []
    for i, (name, version) in enumerate(
        [(n, v) for n in ("urllib3", "jinja2") for v in _versions(shared_data, n)]
    ):
        pkgs = (
            Package(name=name, version=version, type=PackageType.PYTHON, ecosystem="PyPI",
                    locations=(Location(f"/usr/lib/python3/site-packages/{name}-{version}.dist-info/METADATA"),)),
            Package(name="example.com/app", version="(devel)", type=PackageType.GO_MODULE, ecosystem="Go",
                    metadata={"skip_match": "main module built from a source tree: version (devel)"}),
        )
        p = tmp_path / f"{i:03d}.json"
        p.write_text(render("json", META, Catalog(distro=None, packages=pkgs, unknowns=())))
        paths.append(p)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    paths.insert(3, broken)

    got = list(rematch(paths, db, workers=2))
    assert [p for p, _ in got] == [str(p) for p in paths]  # input order kept
    by_path = dict(got)
    assert by_path[str(broken)].error and not by_path[str(broken)].findings
    with AdvisoryStore.open(db) as store:
        total = 0
        for p in paths:
            if p == broken:
                continue
            want = Matcher(store).match(read_sbom(p).catalog.packages)
            res = by_path[str(p)]
            assert not res.error and res.packages == 2 and res.skipped == 1
            assert [dataclasses.asdict(f) for f in res.findings] == [dataclasses.asdict(f) for f in want.findings]
            total += len(res.findings)
    assert total > 0, "the listed versions must produce findings"
    # one process gives the same
    assert [(p, [f.id for f in r.findings]) for p, r in rematch(paths, db, workers=1)] == \
        [(p, [f.id for f in r.findings]) for p, r in got]


def test_missing_database_fails_once(tmp_path: Path) -> None:
    sbom = tmp_path / "s.json"
    sbom.write_text(json.dumps({}))
    with pytest.raises(AdvisoryDBError):
        list(rematch([sbom], tmp_path / "none.db", workers=2))
