"""The decompression floor and hullcheck's bare layer read, as code for a fresh interpreter.

Shared by bench/image_read.py and bench/run. Each snippet prints one JSON line.
"""

from __future__ import annotations

# Decompress every layer with the fastest decompressor installed (isal), discarding the bytes;
# argv: REF WORKERS (1 = one layer after the other; cores = one layer per worker).
FLOOR = r"""
import sys, json
from concurrent.futures import ThreadPoolExecutor
from hullcheck.image.open import open_image
from isal import igzip_threaded
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

# Read every tar header of every layer (Image.scan, no analyzers), verifying blob digests and
# diff_ids where they are the blob digest (plain layers), in parallel across cores; argv: REF.
HULLCHECK_READ = r"""
import sys, json
from hullcheck.image.open import open_image
img = open_image(sys.argv[1])
scans = img.scan(use_cache=False)
print(json.dumps({"bytes": sum(s.uncompressed_bytes for s in scans), "files": sum(len(s.files) for s in scans)}))
"""
