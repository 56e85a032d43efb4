"""One-file export of the database: a header line, then the SQLite file compressed with zstd.

Layout: ``HULLCHECK-ADVISORY-DB 1\n`` + one JSON line ``{"sha256", "size", "schema_version",
"built_at"}`` + a zstd frame of the database file. Import streams it into a temporary file next
to the target, checks size and SHA-256 of the decompressed bytes and that the result opens with
this hullcheck's schema, and only then swaps it in.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path

import zstandard

from hullcheck.advisories.store import SCHEMA_VERSION, AdvisoryStore
from hullcheck.errors import AdvisoryDBError

MAGIC = b"HULLCHECK-ADVISORY-DB 1\n"
CHUNK = 1 << 20
MAX_HEADER = 4096


def is_export_file(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def export_db(db_path: Path, out: Path) -> dict[str, object]:
    """Write ``db_path`` (a consistent copy of it) to ``out``; returns the header."""
    store = AdvisoryStore(db_path)
    built_at = store.built_at
    store.close()
    # One open file for both passes: the database is only ever replaced by rename, so this
    # descriptor sees one consistent version even if an update swaps the file meanwhile.
    src = open(db_path, "rb")  # noqa: SIM115 - closed below
    h = hashlib.sha256()
    size = 0
    for chunk in iter(lambda: src.read(CHUNK), b""):
        h.update(chunk)
        size += len(chunk)
    src.seek(0)
    header = {
        "sha256": h.hexdigest(),
        "size": size,
        "schema_version": SCHEMA_VERSION,
        "built_at": built_at,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as dst, src:
            dst.write(MAGIC)
            dst.write(json.dumps(header, sort_keys=True).encode() + b"\n")
            cctx = zstandard.ZstdCompressor(level=10, write_checksum=True, threads=-1)
            cctx.copy_stream(src, dst, size=size)
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return header


def import_export(path: Path, db_path: Path) -> dict[str, object]:
    """Replace the database at ``db_path`` with the export file ``path``, once verified."""
    try:
        src = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as e:
        raise AdvisoryDBError(f"cannot read {path}: {e.strerror}") from None
    with src:
        if src.read(len(MAGIC)) != MAGIC:
            raise AdvisoryDBError(f"{path} is not a hullcheck database export")
        line = src.readline(MAX_HEADER)
        try:
            header = json.loads(line)
            want_sha, want_size = str(header["sha256"]), int(header["size"])
        except (ValueError, KeyError, TypeError):
            raise AdvisoryDBError(f"{path}: the export header is damaged") from None
        db_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{db_path.name}.", suffix=".tmp", dir=db_path.parent)
        try:
            h = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "wb") as dst:
                reader = zstandard.ZstdDecompressor().stream_reader(src)
                try:
                    for chunk in iter(lambda: reader.read(CHUNK), b""):
                        size += len(chunk)
                        if size > want_size:
                            raise AdvisoryDBError(f"{path}: more data than the header announces")
                        h.update(chunk)
                        dst.write(chunk)
                except zstandard.ZstdError as e:
                    raise AdvisoryDBError(f"{path}: the compressed data is damaged ({e})") from None
                dst.flush()
                os.fsync(dst.fileno())
            if size != want_size or h.hexdigest() != want_sha:
                raise AdvisoryDBError(
                    f"{path}: checksum mismatch, the export is damaged or incomplete"
                )
            AdvisoryStore(Path(tmp)).close()
            os.replace(tmp, db_path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    return header
