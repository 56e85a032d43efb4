"""Zipped ``.egg`` files (easy_install, old setuptools): ``EGG-INFO/PKG-INFO`` inside, read
with bounds so a hostile archive (zip bomb, huge central directory) costs nothing."""

from __future__ import annotations

import io
import struct
import zipfile
from typing import BinaryIO

from hullcheck.catalog.interface import Artifact, FileInput, Interest
from hullcheck.catalog.langbase import MAX_MANIFEST_BYTES, ParseError, unknown
from hullcheck.catalog.python import parse_metadata
from hullcheck.model import Package

# A zipped egg is a whole library; we only read its central directory and one small member.
MAX_EGG_BYTES = 64 << 20
MAX_EGG_ENTRIES = 65535  # eggs never need zip64; more entries than that is not an egg
MAX_EGG_DIRECTORY_BYTES = 16 << 20  # zipfile holds the whole central directory in memory


def _egg_directory(f: BinaryIO) -> tuple[int, int]:
    """(entries, central directory bytes) as the end-of-central-directory record declares them,
    read from the tail only, so a hostile archive is refused before ``zipfile`` loads it."""
    size = f.seek(0, io.SEEK_END)
    tail_len = min(size, 22 + 65535)
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        raise ParseError("not a zip archive (no end of central directory)")
    entries, directory_size = struct.unpack_from("<HI", tail, at + 10)
    f.seek(0)
    return int(entries), int(directory_size)


def parse_egg_zip(f: FileInput) -> list[Package]:
    """``EGG-INFO/PKG-INFO`` from a zipped egg, reading at most ``MAX_MANIFEST_BYTES`` of it."""
    with f.open() as stream:
        entries, directory_size = _egg_directory(stream)
        if entries >= MAX_EGG_ENTRIES:
            raise ParseError(f"zip with {entries} entries is not an egg")
        if directory_size > MAX_EGG_DIRECTORY_BYTES:
            raise ParseError(f"zip central directory of {directory_size} bytes is not an egg")
        try:
            with zipfile.ZipFile(stream) as zf:
                try:
                    info = zf.getinfo("EGG-INFO/PKG-INFO")
                except KeyError as e:
                    raise ParseError("egg without EGG-INFO/PKG-INFO") from e
                with zf.open(info) as member:
                    # file_size in the header may lie (zip bomb): bound what we inflate.
                    data = member.read(MAX_MANIFEST_BYTES + 1)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as e:
            raise ParseError(f"bad egg zip: {e}"[:200]) from e
    if len(data) > MAX_MANIFEST_BYTES:
        raise ParseError("EGG-INFO/PKG-INFO too large")
    return parse_metadata(data, f.path, found_by=PythonEggZipAnalyzer.id)


class PythonEggZipAnalyzer:
    """Zipped ``.egg`` files (easy_install, old setuptools)."""

    id = "python-egg-zip"
    interest = Interest(suffixes=(".egg",))
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        return path.endswith(".egg")

    def analyze(self, f: FileInput) -> Artifact:
        if f.size > MAX_EGG_BYTES:
            return unknown(self.id, f.path, f"egg too large ({f.size} bytes)")
        try:
            packages = parse_egg_zip(f)
        except ParseError as e:
            return unknown(self.id, f.path, str(e))
        except Exception as e:  # the contract: bad content never raises
            return unknown(self.id, f.path, f"unreadable egg: {type(e).__name__}: {e}")
        return Artifact(self.id, f.path, packages=tuple(packages))
