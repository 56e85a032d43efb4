#!/usr/bin/env python3
"""Layer-reading speed against the floor: the time to only decompress the same layers.

    python bench/image_read.py oci:bench/out/large/oci [--rounds 5]

Runs, alternately and each in a fresh process (peak RSS from wait4), with cold caches:
  floor-serial    decompress every layer, one after the other, with the fastest decompressor
                  installed (isal), discarding the bytes
  floor-parallel  the same across all cores (one layer per worker)
  hullcheck       read every tar header of every layer (Image.scan, no analyzers), verifying
                  blob digests (and diff_ids where they are the blob digest), in parallel across cores
and prints medians and the ratio hullcheck / floor. The issue's target: <= 1.3x the floor,
peak RSS < 200 MB. `bench/run --sections read` runs the same variants (plus `image ls`) into
docs/benchmarks.md; the child code and the process runner are shared (bench/harness).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.harness.alternate import Variant, alternate  # noqa: E402
from bench.harness.floor import FLOOR, HULLCHECK_READ  # noqa: E402
from bench.harness.stats import summarise  # noqa: E402
from bench.harness.tools import python_child  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("ref")
    ap.add_argument("--rounds", type=int, default=5)
    ns = ap.parse_args()
    cores = os.cpu_count() or 1
    variants = [
        Variant("floor-serial", python_child(FLOOR, ns.ref, "1")),
        Variant("floor-parallel", python_child(FLOOR, ns.ref, str(cores))),
        Variant("hullcheck", python_child(HULLCHECK_READ, ns.ref)),
    ]
    with tempfile.TemporaryDirectory() as keep:
        results = alternate(variants, ns.rounds, keep_dir=Path(keep))
        info = json.loads((Path(keep) / "hullcheck.out").read_text())
    print(f"image: {ns.ref}  uncompressed bytes: {info.get('bytes')}  files: {info.get('files')}  cores: {cores}")
    print(f"{'variant':<16}{'wall s':>9}{'cpu s':>9}{'peak MB':>9}")
    med = {}
    for name, rows in results.items():
        s = summarise(rows)
        med[name] = s.wall
        print(f"{name:<16}{s.wall:>9.2f}{s.cpu:>9.2f}{s.rss_mb:>9.0f}")
    print(f"ratio hullcheck/floor-serial:   {med['hullcheck'] / med['floor-serial']:.2f}")
    print(f"ratio hullcheck/floor-parallel: {med['hullcheck'] / med['floor-parallel']:.2f}")


if __name__ == "__main__":
    main()
