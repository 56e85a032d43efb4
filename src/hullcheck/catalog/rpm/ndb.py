"""rpm's NDB ``Packages.db`` (SUSE since rpm 4.16), read in pure Python.

Layout (little-endian, rpm ``lib/backend/ndb/rpmpkg.c``): a 32-byte header (magic "RpmP",
version 0, generation, number of 4 KiB slot pages) that occupies the first two 16-byte slots;
then slots of (magic "Slot", package index, block offset, block count) filling the slot pages;
each used slot points at a blob in 16-byte blocks: (magic "BlbS", package index, timestamp,
length), the header blob, padding, and a 12-byte tail.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

HEADER_MAGIC = int.from_bytes(b"RpmP", "little")
SLOT_MAGIC = int.from_bytes(b"Slot", "little")
BLOB_MAGIC = int.from_bytes(b"BlbS", "little")
SLOT_SIZE = 16
BLK_SIZE = 16
PAGE_SIZE = 4096
BLOB_HEAD = 16
BLOB_TAIL = 12
SLOT_START = 2  # the header takes the first two slots
MAX_BLOB = 256 * 1024**2
MAX_SLOT_PAGES = 2048  # 524,288 slots; real databases use a handful of pages


class NdbError(ValueError):
    """Not an NDB package database, or a damaged one."""


def iter_ndb_blobs(data: bytes, errors: list[str] | None = None) -> Iterator[bytes]:
    """Every header blob of an NDB ``Packages.db``, in slot order.

    A damaged slot or blob is skipped and described in ``errors``; ``NdbError`` is raised for a
    file that is not an NDB database at all.
    """
    errs = errors if errors is not None else []
    if len(data) < 32:
        raise NdbError("file shorter than the NDB header")
    magic, version, _generation, slot_pages = struct.unpack_from("<IIII", data, 0)
    if magic != HEADER_MAGIC:
        raise NdbError("no NDB magic")
    if version != 0:
        raise NdbError(f"unsupported NDB version {version}")
    if slot_pages == 0 or slot_pages > MAX_SLOT_PAGES or slot_pages * PAGE_SIZE > len(data):
        raise NdbError(f"bad slot page count {slot_pages}")
    min_blkoff = slot_pages * (PAGE_SIZE // BLK_SIZE)
    # slots pointing at the same blob would make the work quadratic: all blobs together may
    # not exceed the file's size
    budget = len(data)
    nslots = slot_pages * (PAGE_SIZE // SLOT_SIZE)
    for slot in range(SLOT_START, nslots):
        smagic, pkgidx, blkoff, blkcnt = struct.unpack_from("<IIII", data, slot * SLOT_SIZE)
        if smagic != SLOT_MAGIC:
            errs.append(f"slot {slot}: bad magic")
            continue
        if blkoff == 0:
            continue  # free slot
        if pkgidx == 0 or blkoff < min_blkoff:
            errs.append(f"slot {slot}: bad entry")
            continue
        start = blkoff * BLK_SIZE
        if start + BLOB_HEAD > len(data) or (blkoff + blkcnt) * BLK_SIZE > len(data):
            errs.append(f"slot {slot}: blob outside the file")
            continue
        bmagic, bidx, _tstamp, blen = struct.unpack_from("<IIII", data, start)
        if bmagic != BLOB_MAGIC or bidx != pkgidx:
            errs.append(f"slot {slot}: bad blob header")
            continue
        if blen > MAX_BLOB or BLOB_HEAD + blen + BLOB_TAIL > blkcnt * BLK_SIZE:
            errs.append(f"slot {slot}: blob length {blen} exceeds its blocks")
            continue
        budget -= blen
        if budget < 0:
            raise NdbError("blobs add up to more than the file size (slots share blobs)")
        yield data[start + BLOB_HEAD : start + BLOB_HEAD + blen]
