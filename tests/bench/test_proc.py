"""The process runner: the child's own CPU time and peak RSS, failures reported."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from bench.harness.proc import ToolFailed, measure, python_argv


def test_peak_rss_is_the_childs(tmp_path: Path) -> None:
    # The child holds 150 MiB; the harness itself holds nothing like it.
    mib = 150
    out = tmp_path / "out"
    res = measure(python_argv(f"b = bytearray({mib} << 20); b[::4096] = b'x' * len(b[::4096]); print(len(b))"),
                  stdout=out)
    assert res.returncode == 0
    assert res.rss_mb >= mib
    assert out.read_text().strip() == str(mib << 20)


def test_small_child_reports_small_rss() -> None:
    # On Linux a child's ru_maxrss includes the pages it shared with its parent before exec, so
    # under a big parent (a pytest worker) the floor is the parent's size, not 0: compare with it.
    import resource

    parent_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res = measure([sys.executable, "-c", "pass"])
    assert 0 < res.rss_mb < max(100, parent_mb + 50) and res.wall > 0 and res.cpu >= 0


def test_cpu_time_counts_the_childs_work() -> None:
    res = measure(python_argv("import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass"))
    assert res.cpu >= 0.3


def test_failure_raises_with_stderr_tail() -> None:
    with pytest.raises(ToolFailed, match=r"exited 3: .*boom"):
        measure(python_argv("import sys; print('boom', file=sys.stderr); sys.exit(3)"))


def test_accepted_nonzero_exit() -> None:
    assert measure(python_argv("raise SystemExit(1)"), ok_codes=(0, 1)).returncode == 1


def test_environment_is_passed(tmp_path: Path) -> None:
    out = tmp_path / "o"
    measure(python_argv("import os; print(os.environ['HCBENCH_X'])"), env={"HCBENCH_X": "42"}, stdout=out)
    assert out.read_text().strip() == "42"


def test_interrupted_measure_kills_the_child(tmp_path: Path) -> None:
    import os
    import signal

    class Interrupted(Exception):
        pass

    def interrupt(*_: object) -> None:
        raise Interrupted

    pid_file = tmp_path / "pid"
    old = signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(1)
    try:
        with pytest.raises(Interrupted):
            measure(["sh", "-c", f"echo $$ > {pid_file}; exec sleep 30"])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):  # killed and reaped, not left running
        os.kill(pid, 0)
