"""Where the blobs of a local image live: an OCI layout directory or an indexed tar archive.

An archive is never extracted: its members are indexed once (offset, size) and read in place
through a bounded slice of the file.
"""

from __future__ import annotations

import io
import os
import re
import tarfile
from pathlib import Path
from typing import BinaryIO, Protocol

from hullcheck.config import Limits
from hullcheck.errors import ImageError, LimitExceededError, UnsafeContentError
from hullcheck.image.blobio import verify_bytes
from hullcheck.image.tarstream import normalize

DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$|^sha512:[0-9a-f]{128}$")


def check_digest(digest: object) -> str:
    if not isinstance(digest, str) or not DIGEST_RE.match(digest):
        raise ImageError(f"invalid digest {str(digest)[:80]!r}")
    return digest


class BlobStore(Protocol):
    def open_path(self, path: str) -> BinaryIO: ...

    def size_of(self, path: str) -> int: ...

    def exists(self, path: str) -> bool: ...


def blob_path(digest: str) -> str:
    algo, _, hexpart = check_digest(digest).partition(":")
    return f"blobs/{algo}/{hexpart}"


def read_small(store: BlobStore, path: str, limits: Limits, what: str) -> bytes:
    """Read a manifest/config-sized member, refusing oversized ones before reading."""
    if not store.exists(path):
        raise ImageError(f"{what} is missing ({path})")
    size = store.size_of(path)
    if size > limits.max_manifest_bytes:
        raise LimitExceededError(
            f"{what} is {size} bytes, over the limit of {limits.max_manifest_bytes} "
            "(HULLCHECK_MAX_MANIFEST_BYTES)"
        )
    with store.open_path(path) as f:
        return f.read(limits.max_manifest_bytes + 1)


def read_blob_verified(store: BlobStore, digest: str, limits: Limits, what: str) -> bytes:
    data = read_small(store, blob_path(digest), limits, what)
    verify_bytes(data, digest, what)
    return data


class DirStore:
    """Members of a directory (OCI layout, extracted docker-archive), confined to it."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _resolve(self, path: str) -> Path:
        rel = normalize(path, what="archive member").lstrip("/")
        p = (self.root / rel).resolve()
        if p != self.root and self.root not in p.parents:
            raise UnsafeContentError(f"{path!r} points outside {self.root}")
        return p

    def exists(self, path: str) -> bool:
        try:
            return self._resolve(path).is_file()
        except UnsafeContentError:
            raise
        except OSError:
            return False

    def size_of(self, path: str) -> int:
        return self._resolve(path).stat().st_size

    def open_path(self, path: str) -> BinaryIO:
        try:
            return open(self._resolve(path), "rb")
        except FileNotFoundError:
            raise ImageError(f"{path} is missing from {self.root}") from None
        except IsADirectoryError:
            raise ImageError(f"{path} in {self.root} is a directory, not a blob") from None


class _Slice(io.RawIOBase):
    """A read-only window [offset, offset+size) of a file, with its own file handle."""

    def __init__(self, path: str, offset: int, size: int) -> None:
        self._f = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._f.seek(offset)
        self._left = size

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        if n is None or n < 0 or n > self._left:
            n = self._left
        data = self._f.read(n)
        if len(data) < n and len(data) == 0:
            raise ImageError("archive member is truncated")
        self._left -= len(data)
        return data

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._f.close()
        super().close()


class TarStore:
    """Members of an uncompressed tar archive, indexed once, read in place."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path = str(path)
        self._members: dict[str, tuple[int, int]] = {}
        self._links: dict[str, str] = {}
        file_size = os.path.getsize(path)
        count = 0
        try:
            with tarfile.open(path, mode="r:") as tf:
                for m in tf:
                    count += 1
                    if count > 100_000:
                        raise LimitExceededError(f"{path} has too many members for an image archive")
                    name = normalize(m.name, what="archive member").lstrip("/")
                    if m.isfile():
                        if m.offset_data + m.size > file_size:
                            raise ImageError(f"{path} is truncated (member {m.name})")
                        self._members[name] = (m.offset_data, m.size)
                    elif m.issym() or m.islnk():
                        # docker save links identical layers; resolve within the archive only
                        target = m.linkname if m.islnk() else os.path.join(os.path.dirname(name), m.linkname)
                        self._links[name] = normalize(target, what="archive link").lstrip("/")
        except tarfile.ReadError as e:
            raise ImageError(f"{path} is not a readable tar archive ({e})") from None
        except (EOFError, OSError) as e:
            raise ImageError(f"{path} is truncated or unreadable ({e})") from None

    def _lookup(self, path: str) -> tuple[int, int] | None:
        name = normalize(path, what="archive member").lstrip("/")
        for _ in range(8):
            if name in self._members:
                return self._members[name]
            if name not in self._links:
                return None
            name = self._links[name]
        return None

    def exists(self, path: str) -> bool:
        return self._lookup(path) is not None

    def size_of(self, path: str) -> int:
        m = self._lookup(path)
        if m is None:
            raise ImageError(f"{path} is missing from {self.path}")
        return m[1]

    def open_path(self, path: str) -> BinaryIO:
        m = self._lookup(path)
        if m is None:
            raise ImageError(f"{path} is missing from {self.path}")
        return io.BufferedReader(_Slice(self.path, m[0], m[1]), 1 << 20)
