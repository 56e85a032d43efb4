"""Streams over stored blobs: counting, digest verification, decompression with bomb limits.

Compression is told by the bytes themselves (gzip ``1f 8b``, zstd ``28 b5 2f fd``), not by the
media type: docker-archive layers are plain or gzip whatever the manifest says, and a lying
media type must not turn into a confusing error.
"""

from __future__ import annotations

import hashlib
import io
from typing import BinaryIO

from hullcheck.config import Limits
from hullcheck.errors import DigestMismatchError, ImageError, LimitExceededError

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class CountingReader(io.RawIOBase):
    """Counts (and optionally hashes) what passes through; verifies the digest at EOF."""

    def __init__(self, raw: BinaryIO, expected_digest: str | None = None, what: str = "blob") -> None:
        self._raw = raw
        self.count = 0
        self._expected = expected_digest
        self._hash = hashlib.sha256() if expected_digest and expected_digest.startswith("sha256:") else None
        self._what = what
        self._verified = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(b))
        n = len(data)
        if n == 0:
            self.verify()
            return 0
        b[:n] = data
        self.count += n
        if self._hash is not None:
            self._hash.update(data)
        return n

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read() if size is None or size < 0 else self._raw.read(size)
        if not data:
            self.verify()
            return b""
        self.count += len(data)
        if self._hash is not None:
            self._hash.update(data)
        return data

    def verify(self) -> None:
        if self._hash is None or self._verified:
            return
        self._verified = True
        actual = "sha256:" + self._hash.hexdigest()
        if actual != self._expected:
            raise DigestMismatchError(self._what, str(self._expected), actual)

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


class BoundedDecompressed(io.RawIOBase):
    """Decompressed bytes with a total-size limit and a compression-ratio limit (bomb guard)."""

    def __init__(
        self, inner: BinaryIO, counter: CountingReader, limits: Limits, what: str
    ) -> None:
        self._inner = inner
        self._counter = counter
        self._limits = limits
        self._what = what
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        try:
            data = self._inner.read(size if size and size > 0 else 1 << 20)
        except (OSError, EOFError, ValueError) as e:
            raise ImageError(f"{self._what}: corrupt compressed data ({e})") from None
        except Exception as e:  # zstandard raises its own ZstdError
            if type(e).__name__ == "ZstdError":
                raise ImageError(f"{self._what}: corrupt zstd data ({e})") from None
            raise
        n = len(data)
        self.count += n
        lim = self._limits
        if self.count > lim.max_layer_bytes:
            raise LimitExceededError(
                f"{self._what} decompresses to more than {lim.max_layer_bytes} bytes "
                "(HULLCHECK_MAX_LAYER_BYTES)"
            )
        if self.count > lim.max_ratio_floor and self.count > lim.max_compression_ratio * max(
            self._counter.count, 1
        ):
            raise LimitExceededError(
                f"{self._what} looks like a compression bomb (ratio over {lim.max_compression_ratio}:1)"
            )
        return data

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._counter.close()
            super().close()


def _gzip_reader(f: BinaryIO) -> BinaryIO:
    try:
        # isal's threaded reader decompresses in its own thread (outside the GIL), so tar parsing
        # and hashing on this thread overlap with inflate.
        from isal import igzip_threaded

        return igzip_threaded.open(f, "rb", threads=1)
    except ImportError:  # pragma: no cover - isal is a dependency, zlib is the fallback
        import gzip

        return gzip.GzipFile(fileobj=f, mode="rb")  # type: ignore[return-value]


def open_layer(
    raw: BinaryIO, limits: Limits, *, digest: str | None = None, what: str = "layer"
) -> tuple[BinaryIO, CountingReader]:
    """Open a stored layer for reading its uncompressed tar bytes.

    Returns the decompressed stream and the counter of stored bytes (its digest is verified
    against ``digest`` when the stored bytes reach EOF).
    """
    counter = CountingReader(raw, digest, what=f"{what} blob")
    buffered = io.BufferedReader(counter, 1 << 20)
    head = buffered.peek(4)[:4]
    inner: BinaryIO
    if head[:2] == GZIP_MAGIC:
        inner = _gzip_reader(buffered)
    elif head == ZSTD_MAGIC:
        import zstandard

        inner = zstandard.ZstdDecompressor().stream_reader(buffered, read_across_frames=True)
    else:
        return buffered, counter
    return BoundedDecompressed(inner, counter, limits, what), counter  # type: ignore[return-value]


class HashingReader(io.RawIOBase):
    """sha256 of everything read through it, compared with ``expected`` by ``verify()``."""

    def __init__(self, inner: BinaryIO, expected: str | None, what: str) -> None:
        self._inner = inner
        self._expected = expected
        self._hash = hashlib.sha256()
        self._what = what

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._inner.read(size)
        if data:
            self._hash.update(data)
        return data

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def drain(self) -> None:
        """Read to EOF (the tar end marker may leave trailing padding unread)."""
        while self.read(1 << 20):
            pass

    def verify(self) -> None:
        if not self._expected:
            return
        actual = "sha256:" + self._hash.hexdigest()
        if actual != self._expected:
            raise DigestMismatchError(self._what, self._expected, actual)
