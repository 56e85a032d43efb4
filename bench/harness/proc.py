"""Run one command in a fresh process and measure it: wall time, CPU time, peak RSS.

Peak RSS and CPU come from ``os.wait4`` on the child itself (its own rusage, not the whole
harness's). A Go binary is timed directly, never through a Python shim, so the shim's interpreter
does not count.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measurement:
    wall: float  # seconds
    cpu: float  # user + system seconds of the child
    rss_mb: float  # peak resident set size of the child, MiB
    returncode: int


class ToolFailed(RuntimeError):
    """A measured command exited non-zero (the message carries the end of its stderr)."""


def measure(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdout: Path | None = None,
    ok_codes: Sequence[int] = (0,),
) -> Measurement:
    """Run argv to completion; stdout goes to the file `stdout` (or is discarded), stderr is kept
    in memory only for the error message."""
    out = open(stdout, "wb") if stdout is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        t0 = time.perf_counter()
        p = subprocess.Popen(
            list(argv), stdout=out, stderr=subprocess.PIPE, env=dict(env) if env is not None else None, cwd=cwd
        )
        assert p.stderr is not None
        try:
            # Drain stderr while the child runs so a chatty tool cannot block on a full pipe.
            err = p.stderr.read()
            _, status, ru = os.wait4(p.pid, 0)
        except BaseException:
            # Interrupted (Ctrl-C, a TERM turned into SystemExit): the child must not outlive us,
            # nor keep pulling from a registry the harness is about to stop.
            p.kill()
            p.wait()
            raise
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        p.stderr.close()
    finally:
        if stdout is not None:
            out.close()  # type: ignore[union-attr]
    code = p.returncode
    if code not in ok_codes:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise ToolFailed(f"{argv[0]} exited {code}: " + " | ".join(tail))
    return Measurement(wall=wall, cpu=ru.ru_utime + ru.ru_stime, rss_mb=ru.ru_maxrss / 1024, returncode=code)


def python_argv(code: str, *args: str) -> list[str]:
    """argv for running a snippet in a fresh interpreter (the one running the harness)."""
    return [sys.executable, "-c", code, *args]
