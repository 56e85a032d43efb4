"""Advisory store benchmark: import all shared advisories, then time single-package lookups.

    python bench/advisories_bench.py [--data DIR] [--lookups N]

Targets (issue 4): import < 60 s; one package's advisories looked up in < 100 µs median.
Lookups are timed on a freshly opened store, each key once, so the in-process cache never
answers; the cached figure is reported separately.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from hullcheck.advisories.importer import import_paths
from hullcheck.advisories.store import AdvisoryStore


def main() -> int:
    ap = argparse.ArgumentParser()
    default = os.environ.get("HULLCHECK_TEST_DATA") or str(
        Path(__file__).resolve().parents[2] / "shared/data"
    )
    ap.add_argument("--data", default=str(Path(default) / "advisories"))
    ap.add_argument("--lookups", type=int, default=5000)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "advisories.db"
        t0 = time.perf_counter()
        report = import_paths([args.data], db, fresh=True)
        import_s = time.perf_counter() - t0

        with AdvisoryStore.open(db) as store:
            keys = store._db.execute("SELECT DISTINCT ecosystem, package FROM affected").fetchall()
            st = store.status()
        rng = random.Random(4)
        sample = rng.sample(keys, min(args.lookups, len(keys)))
        sample += [("PyPI", f"no-such-package-{i}") for i in range(len(sample) // 10)]
        rng.shuffle(sample)

        cold: list[float] = []
        hits = 0
        slowest = (0.0, "")
        with AdvisoryStore.open(db) as store:
            for eco, name in sample:
                t = time.perf_counter_ns()
                res = store.lookup(eco, name)
                cold.append((time.perf_counter_ns() - t) / 1000)
                hits += len(res)
                slowest = max(slowest, (cold[-1], f"{eco}/{name} ({len(res)} entries)"))
            warm: list[float] = []
            for eco, name in sample[-2000:]:  # the most recent keys: still in the cache
                t = time.perf_counter_ns()
                store.lookup(eco, name)
                warm.append((time.perf_counter_ns() - t) / 1000)

    out = {
        "import_seconds": round(import_s, 2),
        "records": report.records,
        "malformed": report.malformed,
        "duplicates": report.duplicates,
        "ignored_files": len(report.ignored),
        "advisories": st.advisories,
        "affected_entries": st.affected,
        "db_mb": round(st.size_bytes / 1e6, 1),
        "lookups": len(cold),
        "entries_returned": hits,
        "lookup_us_median": round(statistics.median(cold), 1),
        "lookup_us_p95": round(statistics.quantiles(cold, n=20)[18], 1),
        "lookup_us_max": round(max(cold), 1),
        "slowest_lookup": slowest[1],
        "lookup_cached_us_median": round(statistics.median(warm), 2),
    }
    print(json.dumps(out, indent=2))
    ok = import_s < 60 and out["lookup_us_median"] < 100
    print("targets met" if ok else "TARGETS MISSED", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
