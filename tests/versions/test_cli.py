"""``hullcheck version compare`` as a user runs it."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("args", "symbol"),
    [
        (("Debian:12", "1.0-1", "1:0.9-1"), "<"),
        (("PyPI", "1.0", "1.0.0"), "="),
        (("npm", "1.0.0", "1.0.0-rc.1"), ">"),
        (("Alpine:v3.20", "1.2.3-r1", "1.2.3-r0"), ">"),
    ],
)
def test_compare(run_cli, args, symbol):
    r = run_cli("version", "compare", *args)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == symbol


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("NoSuchEcosystem", "1", "2"), "unknown ecosystem"),
        (("PyPI", "1.0", "not/a/version"), "invalid pep440 version"),
    ],
)
def test_bad_input_is_a_one_line_usage_error(run_cli, args, needle):
    r = run_cli("version", "compare", *args)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]
    assert "Traceback" not in r.stderr
