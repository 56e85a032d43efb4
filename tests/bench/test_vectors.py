"""The versions section of bench/run: pass rates of hullcheck.versions on the shared version vectors."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bench.harness import vectors
from bench.harness.render import versions_block

from tests.conftest import REPO


@pytest.fixture
def vector_root(shared_data: Path) -> Path:
    return shared_data / "version-vectors"


def _data_rows(path: Path) -> int:
    """Rows of a vector file counted independently of the harness: non-blank lines."""
    with path.open(encoding="utf-8", newline="") as f:
        return sum(1 for line in f if line.strip("\r\n\t "))


def test_every_vector_file_is_covered(vector_root: Path) -> None:
    on_disk = {str(p.relative_to(vector_root)) for p in vector_root.glob("*/*.tsv")}
    assert on_disk == {vf.path for vf in vectors.FILES}


def test_counts_come_from_the_files_and_all_pass(vector_root: Path) -> None:
    results = vectors.run_all(vector_root)
    assert [r.suite for r in results] == list(dict.fromkeys(vf.suite for vf in vectors.FILES))
    for r in results:
        for f in r.files:
            assert f.vectors == _data_rows(vector_root / f.path), f.path
        # tests/versions asserts each of these files passes; the harness must agree
        assert r.failures == [], r.failures[:3]
        assert r.rate == 1.0
    assert sum(r.vectors for r in results) > 10_000


def test_wrong_answers_and_crashes_are_reported_not_raised(vector_root: Path) -> None:
    rpm_file = next(vf for vf in vectors.FILES if vf.path.startswith("rpm/"))
    reversed_cmp = dataclasses.replace(rpm_file, check=vectors._pairs(lambda a, b: -vectors.rpm.vercmp(a, b)))

    def boom(row: list[str]) -> str | None:
        raise RuntimeError("broken scheme")

    crashing = dataclasses.replace(rpm_file, suite="crash", check=boom)
    results = vectors.run_all(vector_root, (reversed_cmp, crashing))
    rows = vectors.read_rows(vector_root / rpm_file.path, 3)
    nonzero = sum(1 for r in rows if r[2] != "0")
    assert results[0].vectors == len(rows)
    assert results[0].passed == len(rows) - nonzero  # only the equal pairs survive a reversed order
    assert results[1].passed == 0 and "raised RuntimeError: broken scheme" in results[1].failures[0]
    text = "\n".join(versions_block(results, "version-vectors/", n_failures=2))
    assert f"| Red Hat (rpm) | {len(rows)} | {len(rows) - nonzero} |" in text
    assert f"Failures, Red Hat (rpm) ({nonzero}, first 2):" in text
    assert text.count("- `rpm/rpm_rpmvercmp_at.tsv:") == 4  # two shown for each of the two suites


def test_bench_run_versions_section_needs_no_images_or_peers(vector_root: Path, tmp_path: Path) -> None:
    env = {**os.environ, "HULLCHECK_BENCH_IMAGES": str(tmp_path / "no-images")}
    p = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run"), "--sections", "versions", "--vectors", str(vector_root)],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert "## Accuracy: version vectors" in p.stdout
    assert "| Maven | " in p.stdout and "## Speed and memory" not in p.stdout
