"""Matcher benchmark (issue 5 speed targets).

    python bench/match_bench.py [--data DIR] [--images DIR] [--db PATH] [--sboms N] [--workers N]

(a) Every package of the large benchmark image (cataloged once) matched against a database
    holding all shared advisories: target < 0.5 s. Timed on a freshly opened store and a new
    Matcher each round (what one ``scan`` does), median of 5.
(b) N (default 1,000) stored hullcheck JSON SBOMs re-matched with ``hullcheck.match.bulk``:
    target < 30 s on this 2-core machine. The SBOMs are the six benchmark images' catalogs with
    realistic variation: per SBOM a base image, and a share of its packages moved to a nearby
    version (patch/minor up or down, Debian revision bumps), so that SBOMs differ the way the
    same images at different build dates do.

Wall-clock figures depend on what else runs on the machine (the load average is printed); the
CPU seconds of this process and its workers are printed too, since they do not.

The database is built from ``<data>/advisories`` unless ``--db`` names an existing one.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from hullcheck.advisories.importer import import_paths
from hullcheck.advisories.store import AdvisoryStore
from hullcheck.format import render
from hullcheck.inventory import inventory
from hullcheck.match.bulk import rematch
from hullcheck.match.matcher import Matcher
from hullcheck.model import Package

IMAGES = ("debian-base", "python-app", "node-app", "misconfigured", "large", "example")
_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")


def shifted(version: str, rng: random.Random) -> str:
    """A nearby version of the same shape: the last number moved by -2..+3 (never below 0)."""
    m = _LAST_NUMBER.search(version)
    if not m:
        return version
    n = max(0, int(m.group(1)) + rng.choice((-2, -1, 1, 1, 2, 3)))
    return version[: m.start(1)] + str(n) + version[m.end(1) :]


def vary(packages: tuple[Package, ...], rng: random.Random, share: float) -> tuple[Package, ...]:
    out = []
    for p in packages:
        if rng.random() < share and p.version:
            v = shifted(p.version, rng)
            sv = shifted(p.source_version, rng) if p.source_version == p.version else p.source_version
            p = dataclasses.replace(p, version=v, source_version=sv)
        out.append(p)
    return tuple(out)


def cpu_seconds() -> float:
    """CPU time of this process and of its finished (waited-for) children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    repo = Path(__file__).resolve().parents[1]
    data = Path(os.environ.get("HULLCHECK_TEST_DATA") or repo.parent / "shared" / "data")
    ap.add_argument("--data", type=Path, default=data)
    ap.add_argument("--images", type=Path, default=repo / "bench" / "out")
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--sboms", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="hullcheck-match-bench-") as tmp:
        db = args.db or Path(tmp) / "advisories.db"
        if not db.exists():
            t = time.perf_counter()
            report = import_paths([str(args.data / "advisories")], db, fresh=True)
            print(f"built the database: {report.records} records in {time.perf_counter() - t:.1f} s")

        # (a) the large image
        catalogs = {}
        for name in IMAGES:
            t = time.perf_counter()
            inv = inventory(f"oci:{args.images / name / 'oci'}")
            catalogs[name] = (inv.metadata, inv.catalog)
            print(f"cataloged {name}: {len(inv.catalog.packages)} packages in {time.perf_counter() - t:.2f} s")
        packages = catalogs["large"][1].packages
        times = []
        cpu = []
        for _ in range(5):
            t, c = time.perf_counter(), time.process_time()
            with AdvisoryStore.open(db) as store:
                result = Matcher(store).match(packages)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        med = statistics.median(times)
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(
            f"(a) large image: {len(packages)} packages -> {len(result.findings)} findings, "
            f"{len(result.problems)} problems, {len(result.skipped)} skipped; "
            f"median {med:.3f} s (min {min(times):.3f}, CPU median {statistics.median(cpu):.3f}) "
            f"[target < 0.5 s] "
            f"{'OK' if med < 0.5 else 'MISSED'}"
        )

        # (b) 1,000 stored SBOMs
        rng = random.Random(20261128)
        sbom_dir = Path(tmp) / "sboms"
        sbom_dir.mkdir()
        paths = []
        t = time.perf_counter()
        for i in range(args.sboms):
            name = IMAGES[i % len(IMAGES)]
            meta, cat = catalogs[name]
            varied = dataclasses.replace(cat, packages=vary(cat.packages, rng, share=0.15))
            p = sbom_dir / f"{i:04d}-{name}.json"
            p.write_text(render("json", meta, varied, created="2026-11-28T00:00:00Z"))
            paths.append(p)
        total_pkgs = sum(len(catalogs[IMAGES[i % len(IMAGES)]][1].packages) for i in range(args.sboms))
        print(f"wrote {args.sboms} SBOMs ({total_pkgs} packages) in {time.perf_counter() - t:.1f} s")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        t, c = time.perf_counter(), cpu_seconds()
        findings = errors = 0
        for _path, res in rematch(paths, db, workers=args.workers):
            findings += len(res.findings)
            errors += bool(res.error)
        took, cpu_took = time.perf_counter() - t, cpu_seconds() - c
        print(
            f"(b) {args.sboms} SBOMs re-matched with {args.workers} workers: {findings} findings, "
            f"{errors} unreadable, {took:.1f} s wall, {cpu_took:.1f} CPU seconds in all processes "
            f"[target < 30 s] {'OK' if took < 30 else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
