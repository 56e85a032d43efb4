"""Alternate variants A, B, A, B ... for N rounds, each run in a fresh scratch directory.

Every run gets its own empty scratch directory, which the variant uses for its caches (hullcheck's
HULLCHECK_CACHE_DIR, trivy's --cache-dir, syft's cache and TMPDIR): no tool ever sees what an
earlier run left. The OS page cache is NOT dropped (that needs root-wide side effects on a shared
machine); instead the inputs the variants read (``inputs``) are read once before every run, so
that each run finds them in memory whatever the previous run evicted (a tool that writes
gigabytes, or the kernel's proactive reclaim, would otherwise leave the next run reading disk).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .proc import Measurement, measure


@dataclass(frozen=True)
class Invocation:
    """What one run executes. `output` is the file the tool writes (kept from the first round)."""

    argv: list[str]
    env: Mapping[str, str]
    stdout: Path | None = None
    output: Path | None = None
    ok_codes: tuple[int, ...] = (0,)


@dataclass(frozen=True)
class Variant:
    name: str
    # Given a fresh, empty scratch directory, say what to run.
    build: Callable[[Path], Invocation]
    notes: str = ""
    tags: frozenset[str] = field(default_factory=frozenset)


def _warm(inputs: Sequence[Path]) -> None:
    """Read every file under ``inputs`` (into the page cache; the bytes are discarded)."""
    for root in inputs:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for f in files:
            with open(f, "rb", buffering=0) as fh:
                while fh.read(8 << 20):
                    pass


def alternate(
    variants: Sequence[Variant],
    rounds: int,
    *,
    keep_dir: Path,
    scratch_root: Path | None = None,
    progress: Callable[[str], None] | None = None,
    inputs: Sequence[Path] = (),
) -> dict[str, list[Measurement]]:
    """Run every variant once per round, in the given order, `rounds` times. The first round's
    output of each variant is copied to keep_dir/NAME.out for the accuracy comparison."""
    results: dict[str, list[Measurement]] = {v.name: [] for v in variants}
    keep_dir.mkdir(parents=True, exist_ok=True)
    for rnd in range(rounds):
        for v in variants:
            scratch = Path(tempfile.mkdtemp(prefix="hcbench-", dir=scratch_root))
            try:
                inv = v.build(scratch)
                # Flush what the previous run wrote (syft unpacks every layer to disk): its
                # writeback would otherwise slow whichever tool happens to run next.
                os.sync()
                _warm(inputs)
                m = measure(inv.argv, env=inv.env, stdout=inv.stdout, ok_codes=inv.ok_codes)
                results[v.name].append(m)
                if rnd == 0:
                    src = inv.output or inv.stdout
                    if src is not None and src.exists():
                        shutil.copyfile(src, keep_dir / f"{v.name}.out")
                if progress:
                    progress(f"round {rnd + 1}/{rounds} {v.name}: {m.wall:.2f} s, {m.rss_mb:.0f} MB")
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
    return results
