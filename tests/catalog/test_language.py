"""The language analyzers as a set: stable unique ids, cheap ``wants``, and each real fixture
claimed by the analyzer meant for it."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from pathlib import Path

from hullcheck.catalog.language import language_analyzers
from tests.catalog.langutil import FIXTURES, run_tree


def test_ids_are_unique_kebab_case() -> None:
    analyzers = language_analyzers()
    ids = [a.id for a in analyzers]
    assert len(ids) == len(set(ids)) == 12
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)
    assert all(isinstance(a.version, int) and a.version >= 1 for a in analyzers)


def test_wants_is_cheap_and_selective() -> None:
    analyzers = language_analyzers()
    paths = [f"/usr/lib/x86_64-linux-gnu/lib{i}.so.{i % 7}" for i in range(20_000)] + [
        f"/usr/share/doc/pkg{i}/copyright" for i in range(20_000)
    ]
    t0 = time.monotonic()
    hits = sum(a.wants(p, 1000, 0o100644) for p in paths for a in analyzers)
    elapsed = time.monotonic() - t0
    assert hits == 0
    assert elapsed < 30  # a hang guard only: 440k calls take well under a second


def test_each_kind_of_file_has_exactly_one_taker() -> None:
    analyzers = language_analyzers()
    cases = {
        "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA": "python-dist-info",
        "/usr/lib/python3/dist-packages/six-1.16.0.egg-info": "python-dist-info",
        "/opt/eggs/six-1.16.0-py3.8.egg": "python-egg-zip",
        "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/RECORD": "python-record",
        "/app/node_modules/lodash/package.json": "npm-package-json",
        "/app/package-lock.json": "npm-lock",
        "/app/node_modules/.package-lock.json": "npm-lock",
        "/app/yarn.lock": "yarn-lock",
        "/app/pnpm-lock.yaml": "pnpm-lock",
        "/usr/local/bundle/specifications/rack-2.2.4.gemspec": "gemspec",
        "/var/www/vendor/composer/installed.json": "composer-installed",
        "/var/www/composer.lock": "composer-lock",
        "/app/MyApp.deps.json": "dotnet-deps",
        "/src/Cargo.lock": "cargo-lock",
    }
    for path, want in cases.items():
        takers = [a.id for a in analyzers if a.wants(path, 100, 0o100644)]
        assert takers == [want], path


def test_every_fixture_file_gives_a_well_formed_artifact(shared_data: Path) -> None:
    # All the peers' package-db fixtures (hundreds of files, some deliberately broken), offered
    # to every language analyzer as a layer walk would: nothing raises, unknowns are one line,
    # and every package is complete.
    analyzers = language_analyzers()
    by_id = {a.id: a for a in analyzers}
    arts = run_tree(analyzers, shared_data / FIXTURES, "/fx")
    assert len(arts) >= 100
    assert {a.analyzer for a in arts} >= set(by_id) - {"composer-installed", "python-egg-zip"}
    for art in arts:
        json.dumps(dataclasses.asdict(art))  # artifacts are cached per layer as JSON
        assert art.analyzer in by_id and art.path.startswith("/fx/")
        if art.unknown is not None:
            assert art.packages == () and "\n" not in art.unknown and art.unknown
            continue
        for p in art.packages:
            assert p.name and p.version and p.ecosystem and p.purl.startswith("pkg:")
            assert p.found_by == art.analyzer
            assert p.locations[0].path == art.path
        for owned in art.owned:
            assert owned.package and all(f.startswith("/") for f in owned.files)
