from __future__ import annotations

from hullcheck import __version__


def test_version(run_cli):
    r = run_cli("--version")
    assert r.returncode == 0
    assert r.stdout.strip() == f"hullcheck {__version__}"


def test_unknown_command_is_usage_error(run_cli):
    r = run_cli("no-such-command")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
