"""Coverage-guided long run for the layer reader (LayerPipeline + TarStream) with atheris.

Not part of the test suite (atheris is optional: ``pip install atheris``). Run from the
repository root, for as long as you like (see docs/fuzzing.md):

    PYTHONPATH=src:. python tests/fuzz/atheris_tar.py -max_total_time=3600 -rss_limit_mb=1024 corpus/

The first input byte picks the stored form (plain tar, gzip or zstd of the remaining bytes, or
the bytes as given so that the compressed stream itself is mutated). Anything but a
``HullcheckError`` escaping, a hang (-timeout) or memory over -rss_limit_mb is a finding.
"""

from __future__ import annotations

import gzip
import io
import sys

import atheris

with atheris.instrument_imports(include=["hullcheck"]):
    from hullcheck.config import Limits
    from hullcheck.errors import HullcheckError
    from hullcheck.image.blobio import LayerPipeline
    from hullcheck.image.tarstream import TarStream

import zstandard

LIMITS = Limits(max_layer_bytes=64 << 20, max_entries=10_000, max_ratio_floor=4 << 20, max_compression_ratio=200)


def one_input(data: bytes) -> None:
    if not data:
        return
    how, body = data[0] % 4, data[1:]
    if how == 1:
        body = gzip.compress(body, mtime=0)
    elif how == 2:
        body = zstandard.ZstdCompressor().compress(body)
    pipe = LayerPipeline(io.BytesIO(body), LIMITS, digest=None, diff_id=None, what="layer")
    try:
        ts = TarStream(pipe, LIMITS)  # type: ignore[arg-type]
        for e in ts:
            if e.kind == "f":
                ts.read(1 << 16)
    except HullcheckError:
        pass
    finally:
        pipe.close()


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
