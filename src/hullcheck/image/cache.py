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
        final = self.path(digest)
        label = what or f"blob {digest}"
        self._dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=self._dir)
        h = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if expected_size is not None and size > expected_size:
                        raise LimitExceededError(
                            f"{label} is larger than the {expected_size} bytes "
                            "its descriptor declares"
                        )
                    h.update(chunk)
                    out.write(chunk)
                    if on_chunk is not None:
                        on_chunk(len(chunk))
                out.flush()
                os.fsync(out.fileno())
            if expected_size is not None and size != expected_size:
                raise ImageError(
                    f"{label} has {size} bytes, its descriptor declares {expected_size}"
                )
            actual = "sha256:" + h.hexdigest()
            if actual != digest:
                raise DigestMismatchError(label, digest, actual)
            os.replace(tmp_name, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        return final

    def temp_files(self) -> list[Path]:
        """Leftover temporary files (from a killed process); tests use it to prove cleanliness."""
        if not self._dir.is_dir():
            return []
        return sorted(p for p in self._dir.iterdir() if p.name.startswith(_TMP_PREFIX))
