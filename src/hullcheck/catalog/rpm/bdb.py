"""Berkeley DB hash files (rpm < 4.16 ``/var/lib/rpm/Packages``), read in pure Python.

Only what rpm uses is supported: a hash database whose values are header blobs, stored inline
(``H_KEYDATA``) or, as almost always, on chains of overflow pages (``H_OFFPAGE``). Pages are
scanned in order rather than walked through buckets, so no bucket chain can loop; overflow
chains are followed with a visited set and a length budget, so a page that points back into its
own chain is reported instead of looping. Encrypted or checksummed databases are refused.

Page layouts follow Berkeley DB's ``db_page.h``: a 72-byte generic metadata header on page 0,
a 26-byte header on every other page (lsn, pgno, prev/next pgno, entry count, high free offset,
level, type), then an array of 16-bit item offsets.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

HASH_MAGIC = 0x061561
P_HASH_UNSORTED = 2
P_OVERFLOW = 7
P_HASHMETA = 8
P_HASH = 13
H_KEYDATA = 1
H_OFFPAGE = 3
PAGE_HEADER = 26
DBMETA_CHKSUM = 0x01

MAX_BLOB = 256 * 1024**2
MAX_VALUES = 500_000
_MIN_HEADER_BLOB = 8 + 16  # il, dl and one index entry


class BdbError(ValueError):
    """Not a Berkeley DB hash file, or one that is damaged beyond reading."""


class _BudgetExceeded(BdbError):
    """Fatal for the whole file, unlike a damaged record."""


class _Db:
    def __init__(self, data: bytes) -> None:
        if len(data) < 512:
            raise BdbError("file shorter than a metadata page")
        if struct.unpack_from("<I", data, 12)[0] == HASH_MAGIC:
            self.e = "<"
        elif struct.unpack_from(">I", data, 12)[0] == HASH_MAGIC:
            self.e = ">"
        else:
            raise BdbError("no Berkeley DB hash magic")
        version, pagesize = struct.unpack_from(self.e + "II", data, 16)
        encrypt_alg, ptype, metaflags = data[24], data[25], data[26]
        if ptype != P_HASHMETA:
            raise BdbError(f"page 0 is type {ptype}, not hash metadata")
        if version not in (8, 9, 10):
            raise BdbError(f"unsupported hash version {version}")
        if pagesize < 512 or pagesize > 65536 or pagesize & (pagesize - 1):
            raise BdbError(f"bad page size {pagesize}")
        if encrypt_alg or metaflags & DBMETA_CHKSUM:
            raise BdbError("encrypted or checksummed databases are not supported")
        (last_pgno,) = struct.unpack_from(self.e + "I", data, 32)
        (self.nelem,) = struct.unpack_from(self.e + "I", data, 88)  # keys in the table
        self.claimed_last = last_pgno
        self.data = data
        self.pagesize = pagesize
        # Every value is copied out of pages of this file; items that share one overflow chain
        # would make the work quadratic, so all values together may not exceed about twice
        # the file.
        self.budget = 2 * len(data) + 16 * 1024**2
        # trust the file's real size over the header's claim
        self.last = min(last_pgno, len(data) // pagesize - 1)

    def page(self, pgno: int) -> bytes:
        if pgno < 1 or pgno > self.last:
            raise BdbError(f"page {pgno} out of range")
        start = pgno * self.pagesize
        return self.data[start : start + self.pagesize]

    def overflow(self, pgno: int, tlen: int) -> bytes:
        if tlen > MAX_BLOB:
            raise BdbError(f"item of {tlen} bytes exceeds {MAX_BLOB}")
        out = bytearray()
        seen: set[int] = set()
        while len(out) < tlen:
            if pgno == 0:
                raise BdbError("overflow chain ends early")
            if pgno in seen:
                raise BdbError(f"overflow chain loops at page {pgno}")
            seen.add(pgno)
            page = self.page(pgno)
            if page[25] != P_OVERFLOW:
                raise BdbError(f"page {pgno} in an overflow chain is type {page[25]}")
            (next_pgno,) = struct.unpack_from(self.e + "I", page, 16)
            (used,) = struct.unpack_from(self.e + "H", page, 22)  # bytes on this page
            if used == 0 or used > self.pagesize - PAGE_HEADER:
                raise BdbError(f"overflow page {pgno} claims {used} bytes")
            out += page[PAGE_HEADER : PAGE_HEADER + used]
            self.budget -= used
            if self.budget < 0:
                raise _BudgetExceeded("values add up to more than twice the file size")
            pgno = next_pgno
        return bytes(out[:tlen])

    def values(self, errors: list[str]) -> Iterator[bytes]:
        count = 0
        pairs = 0
        ps = self.pagesize
        if self.claimed_last > self.last:
            errors.append(
                f"file truncated: {self.claimed_last + 1} pages claimed, {self.last + 1} present"
            )
        for pgno in range(1, self.last + 1):
            page = self.page(pgno)
            if page[25] not in (P_HASH, P_HASH_UNSORTED):
                continue
            (entries,) = struct.unpack_from(self.e + "H", page, 20)
            if PAGE_HEADER + 2 * entries > ps:
                raise BdbError(f"hash page {pgno} claims {entries} entries")
            offsets = struct.unpack_from(f"{self.e}{entries}H", page, PAGE_HEADER)
            # items alternate key, value; values are at odd indexes
            pairs += entries // 2
            for i in range(1, entries, 2):
                off = offsets[i]
                if off >= ps:
                    raise BdbError(f"hash page {pgno}: item offset {off} outside the page")
                kind = page[off]
                if kind == H_OFFPAGE:
                    if off + 12 > ps:
                        raise BdbError(f"hash page {pgno}: truncated off-page item")
                    ov_pgno, tlen = struct.unpack_from(self.e + "II", page, off + 4)
                    try:
                        value = self.overflow(ov_pgno, tlen)
                    except _BudgetExceeded:
                        raise
                    except BdbError as e:  # one damaged record; the others may be fine
                        errors.append(str(e))
                        continue
                elif kind == H_KEYDATA:
                    # an item runs up to the start of the previous one (items fill from the end)
                    end = offsets[i - 1]
                    if end <= off or end > ps:
                        raise BdbError(f"hash page {pgno}: bad item bounds")
                    value = page[off + 1 : end]
                else:
                    continue  # duplicates are not used by rpm's Packages
                if len(value) < _MIN_HEADER_BLOB:
                    continue  # rpm's record 0 holds the next instance number, not a header
                count += 1
                if count > MAX_VALUES:
                    raise BdbError(f"more than {MAX_VALUES} values")
                yield value
        if pairs < self.nelem:
            # the metadata counts every key: fewer found means damaged or lost pages
            errors.append(f"{self.nelem - pairs} of {self.nelem} records not found")


def iter_bdb_values(data: bytes, errors: list[str] | None = None) -> Iterator[bytes]:
    """Every value (header blob) of an rpm Berkeley DB hash ``Packages`` file.

    A damaged record is skipped and described in ``errors``; ``BdbError`` is raised for a file
    that is not a readable hash database at all.
    """
    yield from _Db(data).values(errors if errors is not None else [])
