#!/usr/bin/env python3
"""Layer-reading speed against the floor: the time to only decompress the same layers.

    python bench/image_read.py oci:bench/out/large/oci [--rounds 5]

Runs, alternately and each in a fresh process (peak RSS from wait4), with cold caches:
  floor-serial    decompress every layer, one after the other, with the fastest decompressor
                  installed (isal), discarding the bytes
  floor-parallel  the same across all cores (one layer per worker)
  hullcheck       read every tar header of every layer (Image.scan, no analyzers), verifying
                  blob digests and diff_ids, in parallel across cores
and prints medians and the ratio hullcheck / floor. The issue's target: <= 1.3x the floor,
peak RSS < 200 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD_FLOOR = r"""
import sys, os, json
from concurrent.futures import ThreadPoolExecutor
from hullcheck.image.open import open_image
from isal import igzip_threaded, isal_zlib
img = open_image(sys.argv[1])
def drain(blob):
    with blob.opener() as raw:
        with igzip_threaded.open(raw, "rb", threads=1) as f:
            n = 0
            while True:
                b = f.read(1 << 20)
                if not b:
                    return n
                n += len(b)
workers = int(sys.argv[2])
with ThreadPoolExecutor(workers) as ex:
    total = sum(ex.map(drain, img.raw.layers))
print(json.dumps({"bytes": total}))
"""

CHILD_HULLCHECK = r"""
import sys, json
from hullcheck.image.open import open_image
img = open_image(sys.argv[1])
scans = img.scan(use_cache=False)
print(json.dumps({"bytes": sum(s.uncompressed_bytes for s in scans), "files": sum(len(s.files) for s in scans)}))
"""


def run_child(code: str, args: list[str]) -> tuple[float, float, int, dict[str, object]]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO / "src")
    with tempfile.TemporaryDirectory() as cache:
        env["HULLCHECK_CACHE_DIR"] = cache
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, env=env)
        assert p.stdout is not None
        out = p.stdout.read()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        if status != 0:
            raise SystemExit(f"child failed: {status}")
    cpu = ru.ru_utime + ru.ru_stime
    return wall, cpu, ru.ru_maxrss // 1024, json.loads(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("ref")
    ap.add_argument("--rounds", type=int, default=5)
    ns = ap.parse_args()
    cores = os.cpu_count() or 1
    variants = {
        "floor-serial": (CHILD_FLOOR, [ns.ref, "1"]),
        "floor-parallel": (CHILD_FLOOR, [ns.ref, str(cores)]),
        "hullcheck": (CHILD_HULLCHECK, [ns.ref]),
    }
    results: dict[str, list[tuple[float, float, int]]] = {k: [] for k in variants}
    info: dict[str, object] = {}
    for _ in range(ns.rounds):
        for name, (code, args) in variants.items():
            wall, cpu, rss, out = run_child(code, args)
            results[name].append((wall, cpu, rss))
            info.update(out)
    print(f"image: {ns.ref}  uncompressed bytes: {info.get('bytes')}  files: {info.get('files')}  cores: {cores}")
    print(f"{'variant':<16}{'wall s':>9}{'cpu s':>9}{'peak MB':>9}")
    med = {}
    for name, rows in results.items():
        wall = statistics.median(r[0] for r in rows)
        cpu = statistics.median(r[1] for r in rows)
        rss = max(r[2] for r in rows)
        med[name] = wall
        print(f"{name:<16}{wall:>9.2f}{cpu:>9.2f}{rss:>9}")
    print(f"ratio hullcheck/floor-serial:   {med['hullcheck'] / med['floor-serial']:.2f}")
    print(f"ratio hullcheck/floor-parallel: {med['hullcheck'] / med['floor-parallel']:.2f}")


if __name__ == "__main__":
    main()
