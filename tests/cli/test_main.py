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


def test_output_to_a_fifo_writes_into_it_and_leaves_it_a_fifo(run_cli, tmp_path):
    """``-o /dev/null`` or ``-o /dev/stdout`` must not replace the device with a regular file
    (atomic writes rename a temporary file over the target): a FIFO stands in for them here."""
    import os
    import stat
    import threading

    from tests.image.build import ImageSpec, f, oci_layout

    root = oci_layout(tmp_path / "img", {"t": ImageSpec([[f("etc/os-release", 'ID=debian\nVERSION_ID="12"\n')]])})
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    r = run_cli("sbom", f"oci:{root}:t", "-f", "json", "-o", str(fifo))
    reader.join(timeout=60)
    assert r.returncode == 0, r.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert b'"packages"' in got[0]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
