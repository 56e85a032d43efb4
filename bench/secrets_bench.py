#!/usr/bin/env python3
"""Secret-scanner throughput.

    python bench/secrets_bench.py --dir /usr/share [--rounds 3]
    python bench/secrets_bench.py --image oci:bench/out/large/oci [--rounds 3] [--trivy]

``--dir``: the scanner alone, in this process. Every file the ``secret-scanner`` analyzer would
take (its ``wants``, binaries dropped as ``analyze`` drops them) is read into memory once; then
each round times the keyword prefilter alone and the whole scan (``find_hits``) over all of them.
Throughput is text bytes scanned per second of CPU time (one core).

``--image``: the whole pipeline, each run in a fresh process with cold layer caches, alternating:
  walk      read every layer (Image.scan with no analyzers): the floor
  secrets   the same walk with the secret-scanner analyzer, then collect_secrets (config included)
  trivy     (with --trivy) trivy image --scanners secret --image-config-scanners secret, fresh cache
and prints medians of wall time and peak RSS; the scanner's own cost is secrets - walk.
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
sys.path.insert(0, str(REPO / "src"))

from hullcheck.secrets import SecretAnalyzer, default_ruleset  # noqa: E402
from hullcheck.secrets.scanner import find_hits, looks_binary  # noqa: E402

CHILD_WALK = r"""
import sys, json
from hullcheck.image.open import open_image
img = open_image(sys.argv[1])
scans = img.scan(use_cache=False)
print(json.dumps({"bytes": sum(s.uncompressed_bytes for s in scans)}))
"""

CHILD_SECRETS = r"""
import sys, json
from hullcheck.image.open import open_image
from hullcheck.secrets import SecretAnalyzer, collect_secrets
img = open_image(sys.argv[1])
scans = img.scan([SecretAnalyzer()], use_cache=False)
found = collect_secrets(scans, img.metadata)
print(json.dumps({"bytes": sum(s.uncompressed_bytes for s in scans), "findings": len(found),
                  "by_rule": {r: sum(f.rule_id == r for f in found) for r in sorted({f.rule_id for f in found})}}))
"""


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """(wall s, CPU s, peak RSS MB, stdout) of one child process (rusage from wait4)."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, stdin=subprocess.DEVNULL)
    assert p.stdout is not None
    out = p.stdout.read()
    _pid, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        raise SystemExit(f"{cmd[0]} failed with status {status}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, out.decode()


def bench_dir(root: Path, rounds: int) -> None:
    analyzer = SecretAnalyzer()
    rs = default_ruleset()
    files: list[tuple[str, bytes]] = []
    skipped_binary = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            full = Path(dirpath) / name
            try:
                st = full.lstat()
            except OSError:
                continue
            if not full.is_file() or full.is_symlink():
                continue
            path = "/" + full.relative_to(root).as_posix()
            if not analyzer.wants(path, st.st_size, st.st_mode & 0o7777):
                continue
            try:
                data = full.read_bytes()
            except OSError:
                continue
            if looks_binary(data):
                skipped_binary += 1
                continue
            files.append((path, data))
    total = sum(len(d) for _p, d in files)
    print(f"{root}: {len(files)} text files, {total / 1e6:.1f} MB ({skipped_binary} binaries skipped)")
    pre, full_t, hits = [], [], 0
    for _ in range(rounds):
        t = time.process_time()
        for _p, d in files:
            rs.candidates(d)
        pre.append(time.process_time() - t)
        t = time.process_time()
        hits = sum(len(find_hits(d, rs, path=p)) for p, d in files)
        full_t.append(time.process_time() - t)
    p, f = statistics.median(pre), statistics.median(full_t)
    print(f"prefilter only: {p:.2f} s CPU, {total / 1e6 / p:.0f} MB/s")
    print(f"full scan:      {f:.2f} s CPU, {total / 1e6 / f:.0f} MB/s, {hits} findings")


def bench_image(ref: str, rounds: int, trivy: bool) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    results: dict[str, list[tuple[float, float, float]]] = {"walk": [], "secrets": []}
    if trivy:
        results["trivy"] = []
    info: dict[str, object] = {}
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            env["HULLCHECK_CACHE_DIR"] = tmp
            results["walk"].append(_run([sys.executable, "-c", CHILD_WALK, ref], env)[:3])
            *row, out = _run([sys.executable, "-c", CHILD_SECRETS, ref], env)
            results["secrets"].append(tuple(row))  # type: ignore[arg-type]
            info = json.loads(out)
            if trivy:
                layout = ref.split(":", 1)[1]
                results["trivy"].append(_run(
                    ["trivy", "image", "--input", layout, "--scanners", "secret", "--image-config-scanners", "secret",
                     "--format", "json", "--cache-dir", str(Path(tmp) / "trivy"), "--quiet"],
                    dict(env, HOME=tmp),
                )[:3])
    mb = float(str(info["bytes"])) / 1e6
    print(f"{ref}: {mb:.0f} MB uncompressed; {info['findings']} findings {info['by_rule']}")
    print(f"{'run':<9}{'wall s':>8}{'cpu s':>8}{'peak MB':>9}   (medians of {rounds})")
    med = {}
    for name, rows in results.items():
        med[name] = tuple(statistics.median(r[i] for r in rows) for i in range(3))
        print(f"{name:<9}{med[name][0]:>8.2f}{med[name][1]:>8.2f}{med[name][2]:>9.0f}")
    print(f"secret scanning adds {med['secrets'][0] - med['walk'][0]:.2f} s wall, "
          f"{med['secrets'][1] - med['walk'][1]:.2f} s CPU over the walk")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path)
    ap.add_argument("--image")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--trivy", action="store_true")
    a = ap.parse_args()
    if not a.dir and not a.image:
        ap.error("give --dir or --image")
    if a.dir:
        bench_dir(a.dir, a.rounds)
    if a.image:
        bench_image(a.image, a.rounds, a.trivy)


if __name__ == "__main__":
    main()
