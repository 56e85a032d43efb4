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


def test_every_command_has_working_help(run_cli):
    for cmd in (["scan"], ["image", "inspect"], ["image", "ls"], ["db", "status"], ["db", "import"],
                ["db", "export"], ["db", "update"], ["version", "compare"]):
        r = run_cli(*cmd, "--help")
        assert r.returncode == 0, (cmd, r.stderr)
        assert "Usage" in r.stdout
