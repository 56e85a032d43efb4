"""Shared test plumbing.

- ``shared_data``: the real data under ``../shared/data`` (``HULLCHECK_TEST_DATA`` overrides),
  read in place, never copied into the repository.
- ``need(cond, why)``: a test that needs a server, a tool or data calls it; under ``CI=true`` a
  missing requirement fails the test instead of skipping it, so a skip can never hide a gap.
- ``run_cli``: runs ``python -m hullcheck`` in a subprocess, as a user would, with a private cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# Under CI every property test draws the same examples each run (no flaky verdicts); locally
# they stay random, which is how new failures are found.
hypothesis_settings.register_profile("hullcheck-ci", derandomize=True, deadline=None)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    hypothesis_settings.load_profile("hullcheck-ci")

REPO = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(condition: object, why: str) -> None:
    """Skip locally, fail under CI=true, when a requirement of the test is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required under CI but missing: {why}")
    pytest.skip(why)


def data_root() -> Path:
    env = os.environ.get("HULLCHECK_TEST_DATA")
    return Path(env) if env else (REPO.parent / "shared" / "data")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    root = data_root()
    need(root.is_dir(), f"shared test data not found at {root} (set HULLCHECK_TEST_DATA)")
    return root


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # No test may touch the user's ~/.cache/hullcheck.
    monkeypatch.setenv("HULLCHECK_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., CliResult]:
    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> CliResult:
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + full_env.get("PYTHONPATH", "")
        full_env.setdefault("HULLCHECK_CACHE_DIR", str(tmp_path / "cli-cache"))
        full_env.pop("HULLCHECK_DEBUG", None)
        if env:
            full_env.update(env)
        p = subprocess.run(
            [sys.executable, "-m", "hullcheck", *args],
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        return CliResult(p.returncode, p.stdout, p.stderr)

    return run
