#!/usr/bin/env python3
"""Peak memory of hullcheck on images with very many files (issue 2: "peak memory under 200 MB
whatever the image size").

    python bench/many_files.py [--files 300000 1000000 3000000] [--dir /tmp/hullcheck-many]

Builds (once, kept under ``--dir``) an OCI layout per size: 3 gzip layers of single-file
directories (``/lK/dNNNNNNN/f``), ``--files`` tar entries in all (half directories, half files).
Then runs, each in a fresh process with an empty cache dir, ``hullcheck sbom IMG -o FILE`` and
``hullcheck image ls IMG`` (output to /dev/null) and prints peak RSS (wait4) and wall time.
Memory figures are reliable on a busy machine; wall times are not (other processes share the
cores): take them as an order of magnitude.

The layer tars are written here by hand (ustar headers) rather than with ``hullcheck.image.writer``:
building millions of ``Member`` objects would take minutes and gigabytes in the builder itself.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from isal import igzip

REPO = Path(__file__).resolve().parents[1]
LAYERS = 3


def _header(name: str, typeflag: bytes, size: int, mode: int) -> bytes:
    h = bytearray(512)
    h[0 : len(name)] = name.encode()
    h[100:108] = b"%07o\0" % mode
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = b"%011o\0" % size
    h[136:148] = b"%011o\0" % 1_700_000_000
    h[148:156] = b"        "
    h[156:157] = typeflag
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def _layer_tar(layer: int, dirs: int) -> Iterator[bytes]:
    data = b"x\n"
    pad = b"\0" * (512 - len(data))
    yield _header(f"l{layer}/", b"5", 0, 0o755)
    for i in range(dirs):
        d = f"l{layer}/d{i:07d}/"
        yield _header(d, b"5", 0, 0o755)
        yield _header(d + "f", b"0", len(data), 0o644) + data + pad
    yield b"\0" * 1024


def _blob(blobs: Path, data_iter: Iterator[bytes], compress: bool) -> tuple[str, str, int]:
    """Write a blob; returns (blob digest, diff_id, blob size)."""
    fd, tmp = tempfile.mkstemp(dir=blobs)
    diff = hashlib.sha256()
    with os.fdopen(fd, "wb") as raw:
        out = igzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) if compress else raw
        for chunk in data_iter:
            diff.update(chunk)
            out.write(chunk)
        if out is not raw:
            out.close()
    with open(tmp, "rb") as f:
        blob = hashlib.file_digest(f, "sha256").hexdigest()
    os.replace(tmp, blobs / blob)
    return f"sha256:{blob}", f"sha256:{diff.hexdigest()}", (blobs / blob).stat().st_size


def _put(blobs: Path, doc: object) -> tuple[str, int]:
    data = json.dumps(doc, sort_keys=True).encode()
    h = hashlib.sha256(data).hexdigest()
    (blobs / h).write_bytes(data)
    return f"sha256:{h}", len(data)


def build(dest: Path, entries: int) -> Path:
    if (dest / "index.json").exists():
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    blobs = dest / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    dirs = max(1, entries // (2 * LAYERS))
    layers = [_blob(blobs, _layer_tar(k, dirs), compress=True) for k in range(LAYERS)]
    config = {
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [d for _b, d, _s in layers]},
        "history": [{"created_by": f"RUN make layer {k}"} for k in range(LAYERS)],
    }
    cdig, csize = _put(blobs, config)
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cdig, "size": csize},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": b, "size": s}
                   for b, _d, s in layers],
    }
    mdig, msize = _put(blobs, manifest)
    (dest / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (dest / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdig, "size": msize}]}))
    return dest


def run(argv: list[str], cache: Path, src: Path) -> tuple[float, float, int]:
    """(wall s, peak RSS MB, exit code) of ``python -m hullcheck argv`` with a fresh cache dir."""
    shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, "HULLCHECK_CACHE_DIR": str(cache), "PYTHONPATH": str(src)}
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as null:
        p = subprocess.Popen([sys.executable, "-m", "hullcheck", *argv], stdout=null, env=env)
        _pid, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, nargs="+", default=[300_000, 1_000_000, 3_000_000],
                    help="tar entries per image (all layers)")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/hullcheck-many"))
    ap.add_argument("--src", type=Path, default=REPO / "src", help="the hullcheck sources to measure")
    ns = ap.parse_args()
    ns.dir.mkdir(parents=True, exist_ok=True)
    print(f"{'entries':>10} {'command':<10} {'wall s':>8} {'peak MB':>8} {'exit':>5}")
    for n in ns.files:
        img = build(ns.dir / f"img-{n}", n)
        ref = f"oci:{img}"
        out = ns.dir / f"sbom-{n}.json"
        for name, argv in (("sbom", ["sbom", ref, "-o", str(out)]), ("image ls", ["image", "ls", ref])):
            wall, rss, code = run(argv, ns.dir / "cache", ns.src)
            print(f"{n:>10} {name:<10} {wall:>8.1f} {rss:>8.0f} {code:>5}", flush=True)
    shutil.rmtree(ns.dir / "cache", ignore_errors=True)


if __name__ == "__main__":
    main()
