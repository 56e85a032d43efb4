"""Advisory store benchmark: import all shared advisories, time single-package lookups, and a
``db update`` from a local mirror (first run, then a run where nothing changed).

    python bench/advisories_bench.py [--data DIR] [--lookups N]

Targets (issue 4): import < 60 s; one package's advisories looked up in < 100 µs median; an
update that changes nothing < 2 s. Lookups are timed on a freshly opened store, each key once,
so the in-process cache never answers; the cached figure is reported separately. The mirror is
Python's http.server (Last-Modified / If-Modified-Since, no ETag) serving per-ecosystem all.zip
archives built from the shared OSV folders, the Debian tracker excerpt and the Alpine secdb.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from hullcheck.advisories.importer import import_paths
from hullcheck.advisories.store import AdvisoryStore
from hullcheck.advisories.update import UpdateConfig, update


def bench_update(data: Path) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "mirror"
        for eco, folder, pattern in (
            ("Go", "osv/go-vulndb/data/osv", "*.json"),
            ("crates.io", "osv/rustsec-osv/crates", "*.json"),
            ("AlmaLinux", "distro/almalinux-osv/advisories", "*/*.json"),
        ):
            (root / "osv" / eco).mkdir(parents=True)
            with zipfile.ZipFile(root / "osv" / eco / "all.zip", "w", zipfile.ZIP_DEFLATED) as zf:
                for f in sorted((data / folder).glob(pattern)):
                    # AlmaLinux repeats identical copies of an advisory per release folder
                    zf.write(f, f.relative_to(data / folder).as_posix())
        vunnel = data / "distro/vunnel-provider-fixtures/tests/unit/providers"
        (root / "debian").mkdir()
        shutil.copy(vunnel / "debian/test-fixtures/input/debian.json", root / "debian/json")
        releases = sorted(p.name for p in (data / "distro/alpine-secdb-legacy").glob("v*"))
        for rel in releases:
            (root / "alpine" / rel).mkdir(parents=True)
            for repo in ("main", "community"):
                src = data / "distro/alpine-secdb-legacy" / rel / f"{repo}.yaml"
                doc = yaml.load(src.read_bytes(), Loader=yaml.BaseLoader)
                (root / "alpine" / rel / f"{repo}.json").write_text(json.dumps(doc))
        handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
        SimpleHTTPRequestHandler.log_message = lambda *a: None  # type: ignore[method-assign]
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        cfg = UpdateConfig(
            sources=("osv", "debian", "alpine"),
            mirrors={
                "osv": f"{base}/osv",
                "debian": f"{base}/debian/json",
                "alpine": f"{base}/alpine",
            },
            osv_ecosystems=("Go", "crates.io", "AlmaLinux"),
            alpine_releases=tuple(releases),
        )
        db = Path(tmp) / "db" / "advisories.db"
        try:
            t = time.perf_counter()
            first = update(db, cfg)
            t_first = time.perf_counter() - t
            t = time.perf_counter()
            again = update(db, cfg)
            t_again = time.perf_counter() - t
        finally:
            server.shutdown()
            server.server_close()
        assert first.rebuilt and not again.rebuilt
        return t_first, t_again, first.imported.records if first.imported else 0


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

    upd_first, upd_again, upd_records = bench_update(Path(args.data))
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
        "update_first_seconds": round(upd_first, 2),
        "update_first_records": upd_records,
        "update_unchanged_seconds": round(upd_again, 2),
    }
    print(json.dumps(out, indent=2))
    ok = import_s < 60 and out["lookup_us_median"] < 100 and upd_again < 2
    print("targets met" if ok else "TARGETS MISSED", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
