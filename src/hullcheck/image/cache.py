"""Content-addressed blob cache: ``<cache_dir>/blobs/sha256/<hex>``.

A blob only appears under its digest after its bytes were hashed while streaming in and
matched; writes go to a temporary file in the same directory and are published with an
atomic ``os.replace``, so readers never see a partial or unverified blob, and concurrent
writers of the same blob are harmless.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from hullcheck import config
from hullcheck.errors import DigestMismatchError, ImageError, LimitExceededError

_DIGEST_RE = re.compile(r"^sha256:([0-9a-f]{64})$")
_TMP_PREFIX = ".tmp-"


def digest_hex(digest: str) -> str:
    """The hex part of a ``sha256:`` digest; anything else is refused before it nears a path."""
    m = _DIGEST_RE.match(digest) if isinstance(digest, str) else None
    if not m:
        raise ImageError(f"invalid digest {digest!r}: expected sha256: and 64 lowercase hex digits")
    return m.group(1)


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class BlobCache:
    """Verified blobs by digest. ``root`` defaults to ``config.cache_dir()/blobs``."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else config.cache_dir() / "blobs"
        self._dir = self.root / "sha256"

    def path(self, digest: str) -> Path:
        return self._dir / digest_hex(digest)

    def has(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def open(self, digest: str) -> BinaryIO:
        try:
            return open(self.path(digest), "rb")
        except FileNotFoundError:
            raise ImageError(f"blob {digest} is not in the cache") from None

    def read_bytes(self, digest: str, max_bytes: int) -> bytes:
        p = self.path(digest)
        if p.stat().st_size > max_bytes:
            raise LimitExceededError(f"blob {digest} is larger than the {max_bytes}-byte limit")
        return p.read_bytes()

    def put_bytes(self, digest: str, data: bytes) -> Path:
        return self.put_stream(digest, [data], expected_size=len(data))

    def put_stream(
        self,
        digest: str,
        chunks: Iterable[bytes],
        *,
        expected_size: int | None = None,
        what: str | None = None,
        on_chunk: Callable[[int], None] | None = None,
    ) -> Path:
        """Store the bytes of ``chunks`` as ``digest``; verify while writing.

        More bytes than ``expected_size`` stop the download at once (a hostile server cannot
        fill the disk); fewer, or a different hash, raise and leave nothing behind.
        """
        w = self.writer(digest, expected_size=expected_size, what=what)
        try:
            for chunk in chunks:
                w.write(chunk)
                if on_chunk is not None:
                    on_chunk(len(chunk))
            return w.commit()
        finally:
            w.abort()  # no-op once committed

    def writer(self, digest: str, *, expected_size: int | None = None, what: str | None = None) -> BlobWriter:
        """A blob to be written piece by piece (``put_stream`` when the pieces come as they are
        read by someone else, e.g. a layer scanned while it downloads)."""
        return BlobWriter(self, digest, expected_size, what or f"blob {digest}")

    def temp_files(self) -> list[Path]:
        """Leftover temporary files (from a killed process); tests use it to prove cleanliness."""
        if not self._dir.is_dir():
            return []
        return sorted(p for p in self._dir.iterdir() if p.name.startswith(_TMP_PREFIX))


class BlobWriter:
    """A blob on its way into the cache: hashed and written to a temporary file in the cache
    directory, published under its digest only by ``commit`` once size and hash match."""

    def __init__(self, cache: BlobCache, digest: str, expected_size: int | None, label: str) -> None:
        self._final = cache.path(digest)
        self._digest = digest
        self._expected = expected_size
        self._label = label
        cache._dir.mkdir(parents=True, exist_ok=True)
        fd, self._tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=cache._dir)
        self._out: BinaryIO | None = os.fdopen(fd, "wb")
        self._h = hashlib.sha256()
        self.size = 0
        self.committed = False

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self._expected is not None and self.size > self._expected:
            raise LimitExceededError(f"{self._label} is larger than the {self._expected} bytes its descriptor declares")
        self._h.update(chunk)
        assert self._out is not None
        self._out.write(chunk)

    def commit(self) -> Path:
        """Check size and digest, then publish; raises (leaving nothing behind) on a mismatch."""
        assert self._out is not None
        try:
            self._out.flush()
            os.fsync(self._out.fileno())
            self._out.close()
            self._out = None
            if self._expected is not None and self.size != self._expected:
                raise ImageError(f"{self._label} has {self.size} bytes, its descriptor declares {self._expected}")
            actual = "sha256:" + self._h.hexdigest()
            if actual != self._digest:
                raise DigestMismatchError(self._label, self._digest, actual)
            os.replace(self._tmp, self._final)
        except BaseException:
            self.abort()
            raise
        self.committed = True
        return self._final

    def abort(self) -> None:
        """Drop the temporary file (nothing once committed)."""
        if self.committed:
            return
        if self._out is not None:
            with contextlib.suppress(OSError):
                self._out.close()
            self._out = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._tmp)
