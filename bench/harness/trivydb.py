"""An empty, valid Trivy vulnerability DB, so `trivy image` runs its vulnerability path offline.

Trivy keeps its DB as a BoltDB file (`db/trivy.db`) next to `db/metadata.json`. No DB can be
downloaded here, and an empty one gives zero findings while exercising the same code path (every
package is looked up, nothing matches). No Python library writes BoltDB, and the empty file is
four pages, so it is written here from the file format (bbolt's layout):

  page 0, 1  meta pages (magic, version 2, page size, root bucket page, freelist page,
             high-water page id, txid, FNV-1a 64 checksum of the fields before it)
  page 2     an empty freelist page
  page 3     an empty leaf page: the root bucket with no buckets in it
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

PAGE_SIZE = 4096
BOLT_MAGIC = 0xED0CDAED
BOLT_VERSION = 2
_META_FLAG, _FREELIST_FLAG, _LEAF_FLAG = 0x04, 0x10, 0x02
# trivy-db's schema version for Trivy 0.x (metadata.json "Version").
TRIVY_DB_SCHEMA = 2


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def _page_header(pgid: int, flags: int) -> bytes:
    # id u64, flags u16, count u16, overflow u32
    return struct.pack("<QHHI", pgid, flags, 0, 0)


def empty_bolt(page_size: int = PAGE_SIZE) -> bytes:
    buf = bytearray(page_size * 4)
    for txid in (0, 1):
        # magic, version, pageSize, flags, root bucket {root pgid, sequence}, freelist pgid,
        # high-water pgid, txid; then the checksum of exactly those bytes.
        meta = struct.pack("<IIIIQQQQQ", BOLT_MAGIC, BOLT_VERSION, page_size, 0, 3, 0, 2, 4, txid)
        meta += struct.pack("<Q", fnv1a64(meta))
        off = txid * page_size
        buf[off : off + 16 + len(meta)] = _page_header(txid, _META_FLAG) + meta
    buf[2 * page_size : 2 * page_size + 16] = _page_header(2, _FREELIST_FLAG)
    buf[3 * page_size : 3 * page_size + 16] = _page_header(3, _LEAF_FLAG)
    return bytes(buf)


def metadata() -> dict[str, object]:
    # A NextUpdate far ahead so that Trivy never wants a newer DB.
    return {
        "Version": TRIVY_DB_SCHEMA,
        "NextUpdate": "2099-01-01T00:00:00Z",
        "UpdatedAt": "2026-01-01T00:00:00Z",
        "DownloadedAt": "2026-01-01T00:00:00Z",
    }


def install_empty_db(cache_dir: Path) -> Path:
    """Write CACHE/db/trivy.db and CACHE/db/metadata.json; return the db directory."""
    db = cache_dir / "db"
    db.mkdir(parents=True, exist_ok=True)
    (db / "trivy.db").write_bytes(empty_bolt())
    (db / "metadata.json").write_text(json.dumps(metadata()))
    return db
