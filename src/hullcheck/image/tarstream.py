"""A streaming, bounded tar reader for image layers.

Written by hand rather than on ``tarfile`` for two reasons: speed (``tarfile`` builds a
``TarInfo`` with many attributes per member and re-reads data in small pieces; a large image
has hundreds of thousands of entries, and header parsing must stay well under the
decompression time), and safety (every limit is enforced before the data is touched, pax and
GNU long-name records are bounded, and the checksum is verified so that garbage fails fast).

Entries are yielded in archive order; the consumer may call ``read()`` / ``readinto_file()``
on the current entry before asking for the next one, otherwise its data is skipped.
"""

from __future__ import annotations

import posixpath
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from hullcheck.config import Limits
from hullcheck.errors import ImageError, LimitExceededError, UnsafeContentError

BLOCK = 512
_CHUNK = 1 << 20
_READ = 8 << 20

# Entry kinds (the values appear in JSON output and caches).
REG, DIR, SYMLINK, HARDLINK, CHAR, BLOCKDEV, FIFO, OTHER = "f", "d", "l", "h", "c", "b", "p", "?"
_TYPEMAP = {
    b"0": REG,
    b"\0": REG,
    b"7": REG,
    b"1": HARDLINK,
    b"2": SYMLINK,
    b"3": CHAR,
    b"4": BLOCKDEV,
    b"5": DIR,
    b"6": FIFO,
}
_MAX_META = 1 << 20  # pax/GNU long-name records larger than this are hostile
_META_TYPES = frozenset({b"x", b"g", b"L", b"K"})


class TarFormatError(ImageError):
    pass


@dataclass(slots=True)
class TarEntry:
    path: str  # absolute, normalised: "/usr/bin/env"; "/" for the root itself
    kind: str
    size: int
    mode: int
    uid: int
    gid: int
    linkname: str = ""  # symlink target as stored; hardlink target normalised like ``path``


_SMALL: dict[bytes, int] = {}


def _octal_small(field: bytes) -> int:
    """mode/uid/gid fields repeat across entries: memoise them (bounded)."""
    v = _SMALL.get(field)
    if v is None:
        v = _octal(field)
        if len(_SMALL) < 4096:
            _SMALL[field] = v
    return v


def _octal(field: bytes) -> int:
    if field and field[0] & 0x80:
        # GNU base-256: big-endian two's complement in the remaining bytes.
        value = int.from_bytes(field[1:], "big")
        if field[0] & 0x40:
            raise TarFormatError("negative number in tar header")
        return value
    try:
        return int(field.split(b"\0", 1)[0] or b"0", 8)  # int() ignores surrounding spaces
    except ValueError:
        pass
    s = field.split(b"\0", 1)[0].strip(b" ")
    if not s:
        return 0
    try:
        return int(s, 8)
    except ValueError:
        raise TarFormatError("invalid number in tar header") from None


def _checksum_ok(header: bytes, stored: int) -> bool:
    # The checksum field itself counts as eight spaces. The byte sum of the header comes from
    # zlib's Adler-32 (its low half is 1 + sum mod 65521, computed in C): a 512-byte header sums
    # to at most 130560, so the sum is A-1 or A-1+65521, and the stored value picks which.
    chk = sum(header[148:156])
    a = (zlib.adler32(header) & 0xFFFF) - 1
    expected = stored + chk - 8 * 32
    if 0 <= expected <= 130560 and (expected - a) % 65521 == 0:
        return True
    unsigned = sum(header) - chk + 8 * 32
    if unsigned == stored:
        return True
    signed = sum(b - 256 if b > 127 else b for b in header[:148]) + 256
    signed += sum(b - 256 if b > 127 else b for b in header[156:])
    return signed == stored


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def normalize(name: str, *, what: str = "entry") -> str:
    # Fast path for the names image builders write ("usr/bin/x", "./usr/lib/", "etc").
    n = name[2:] if name.startswith("./") else name
    if (
        n
        and n[0] != "/"
        and ".." not in n
        and "//" not in n
        and "/./" not in n
        and "\0" not in n
        and n != "."
        and not n.endswith("/.")
    ):
        return "/" + (n[:-1] if n.endswith("/") else n)
    return _normalize_slow(name, what)


def _normalize_slow(name: str, what: str) -> str:
    """Map a tar member name to an absolute path inside the image root.

    ``./a/b/`` -> ``/a/b``. A name that leaves the root (``../x``, ``a/../../x``) or that is
    absolute is refused: no image builder writes either, and a runtime that cleaned them would
    put the file somewhere other than where it claims to be.
    """
    if name.startswith("/"):
        raise UnsafeContentError(f"absolute path in layer {what}: {name[:200]!r}")
    if "\0" in name:
        raise UnsafeContentError(f"NUL byte in layer {what} name")
    depth = 0
    parts: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            depth -= 1
            if depth < 0:
                raise UnsafeContentError(f"path traversal in layer {what}: {name[:200]!r}")
            parts.pop()
            continue
        depth += 1
        parts.append(part)
    return "/" + "/".join(parts)


def _pax_id(value: str | None, default: int) -> int:
    """A pax uid/gid: ASCII digits only (``str.isdigit`` also accepts "²", which ``int`` refuses)
    and at most 20 of them (``int`` refuses over 4300); anything else keeps the header's value."""
    if value and len(value) <= 20 and value.isascii() and value.isdigit():
        return int(value)
    return default


def _parse_pax(data: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    n = len(data)
    while pos < n:
        if data[pos] == 0:
            break
        sp = data.find(b" ", pos)
        if sp < 0:
            raise TarFormatError("malformed pax header")
        try:
            length = int(data[pos:sp])
        except ValueError:
            raise TarFormatError("malformed pax header length") from None
        if length <= sp - pos or pos + length > n:
            raise TarFormatError("malformed pax header record")
        record = data[sp + 1 : pos + length - 1]  # drop trailing newline
        key, eq, value = record.partition(b"=")
        if not eq:
            raise TarFormatError("malformed pax header record")
        out[key.decode("utf-8", "replace")] = _decode(value)
        pos += length
    return out


class TarStream:
    """Iterate the entries of one tar stream with limits.

    ``stream`` yields uncompressed tar bytes. ``limits.max_entries`` and
    ``limits.max_layer_bytes`` bound the work; the caller bounds compression ratios.
    """

    def __init__(self, stream: BinaryIO, limits: Limits, what: str = "layer") -> None:
        self._f = stream
        self._limits = limits
        self._what = what
        self._buf = b""
        self._pos = 0
        self._remaining = 0  # data bytes of the current entry not yet consumed
        self._padding = 0
        self.entries = 0
        self.bytes_read = 0

    # -- buffered primitives -------------------------------------------------------------
    def _more(self) -> bytes:
        # Ask for more than a decompressor chunk: the pipeline then hands over whole chunks
        # without slicing (copying) them.
        chunk = self._f.read(_READ)
        if chunk:
            self.bytes_read += len(chunk)
            if self.bytes_read > self._limits.max_layer_bytes:
                raise LimitExceededError(
                    f"{self._what} is larger than the limit of {self._limits.max_layer_bytes} bytes "
                    "uncompressed (HULLCHECK_MAX_LAYER_BYTES)"
                )
        return chunk

    def _take_or_eof(self, n: int) -> bytes | None:
        """The next n bytes, copying only those n; None at a clean EOF, error if cut short."""
        pos = self._pos
        end = pos + n
        buf = self._buf
        if end <= len(buf):
            self._pos = end
            return buf[pos:end]
        parts = [buf[pos:]]
        need = end - len(buf)
        while True:
            chunk = self._more()
            if not chunk:
                self._buf, self._pos = b"", 0
                if need == n:
                    return None
                raise TarFormatError(f"truncated tar stream in {self._what}")
            if len(chunk) >= need:
                parts.append(chunk[:need])
                self._buf, self._pos = chunk, need
                return b"".join(parts)
            parts.append(chunk)
            need -= len(chunk)

    def _take(self, n: int) -> bytes:
        data = self._take_or_eof(n)
        if data is None:
            raise TarFormatError(f"truncated tar stream in {self._what}")
        return data

    def _skip(self, n: int) -> None:
        avail = len(self._buf) - self._pos
        if n <= avail:
            self._pos += n
            return
        n -= avail
        while True:
            chunk = self._more()
            if not chunk:
                self._buf, self._pos = b"", 0
                raise TarFormatError(f"truncated tar stream in {self._what}")
            if len(chunk) >= n:
                self._buf, self._pos = chunk, n
                return
            n -= len(chunk)

    # -- entry data ----------------------------------------------------------------------
    def read(self, limit: int | None = None) -> bytes:
        """All (or the first ``limit``) bytes of the current entry's data."""
        n = self._remaining if limit is None else min(limit, self._remaining)
        data = self._take(n)
        self._remaining -= n
        return data

    def peek(self, n: int) -> bytes:
        """Up to ``n`` first bytes of the current entry's remaining data, left unconsumed."""
        n = min(n, self._remaining)
        avail = len(self._buf) - self._pos
        if avail < n:
            # Rare (the entry starts at the end of a read): join the rest with the next chunk.
            rest = self._buf[self._pos :]
            while len(rest) < n:
                chunk = self._more()
                if not chunk:
                    raise TarFormatError(f"truncated tar stream in {self._what}")
                rest += chunk
            self._buf, self._pos = rest, 0
        return self._buf[self._pos : self._pos + n]

    def skip_data(self, n: int) -> None:
        """Pass over the next ``n`` bytes (at most what is left) of the current entry's data."""
        n = min(n, self._remaining)
        if n > 0:
            self._skip(n)
            self._remaining -= n

    def copy_to(self, out: BinaryIO) -> int:
        """Stream the current entry's remaining data into ``out`` in bounded chunks."""
        total = 0
        while self._remaining:
            n = min(self._remaining, _CHUNK)
            out.write(self._take(n))
            self._remaining -= n
            total += n
        return total

    def contains_any(self, needles: tuple[bytes, ...]) -> bool:
        """Consume the current entry's data, telling whether one of ``needles`` occurs in it.

        The data is searched where it lies in the read buffer (``bytes.find`` with bounds) and
        not kept: a 60 MB shared library that holds no marker costs a scan at memory speed
        instead of a copy to a spool file.
        """
        keep = max(len(n) for n in needles) - 1
        tail = b""
        found = False
        while self._remaining:
            avail = len(self._buf) - self._pos
            if avail <= 0:
                chunk = self._more()
                if not chunk:
                    self._buf, self._pos = b"", 0
                    raise TarFormatError(f"truncated tar stream in {self._what}")
                self._buf, self._pos = chunk, 0
                avail = len(chunk)
            n = min(avail, self._remaining)
            buf, start, end = self._buf, self._pos, self._pos + n
            if not found:
                if tail:  # a needle across the boundary of two reads
                    joined = tail + buf[start : start + keep]
                    found = any(x in joined for x in needles)
                found = found or any(buf.find(x, start, end) >= 0 for x in needles)
                # the stream's last ``keep`` bytes, however short the reads
                tail = (tail + buf[start:end])[-keep:] if n < keep else buf[end - keep : end]
            self._pos = end
            self._remaining -= n
        return found

    # -- headers -------------------------------------------------------------------------
    def __iter__(self) -> Iterator[TarEntry]:
        for rec in self.records():
            yield TarEntry(*rec)

    def records(self) -> Iterator[tuple[str, str, int, int, int, int, str]]:
        """Each entry as ``(path, kind, size, mode, uid, gid, linkname)``: the hot loop of every
        layer read, so it builds one tuple per entry and nothing else."""
        pax_global: dict[str, str] = {}
        pending: dict[str, str] = {}
        long_name: str | None = None
        long_link: str | None = None
        limits = self._limits
        max_entries = limits.max_entries
        max_bytes = limits.max_layer_bytes
        max_path = limits.max_path_length
        typemap_get = _TYPEMAP.get
        small_get = _SMALL.get
        adler32 = zlib.adler32
        take = self._take_or_eof
        # The loop inlines the common cases of _skip, _take_or_eof, _octal and _checksum_ok
        # (whole blocks in the read buffer, plain octal fields, the Adler-32 checksum test):
        # a function call per field was a third of the cost of an entry.
        while True:
            skip = self._remaining + self._padding
            if skip:
                self._remaining = self._padding = 0
                if self._pos + skip <= len(self._buf):
                    self._pos += skip
                else:
                    self._skip(skip)
            pos = self._pos
            if pos + BLOCK <= len(self._buf):
                header = self._buf[pos : pos + BLOCK]
                self._pos = pos + BLOCK
            else:
                header = take(BLOCK)  # type: ignore[assignment]
                if header is None:
                    return  # EOF without end-of-archive blocks (or an empty layer): accepted, as tar does
            if header[0] == 0 and header.count(0) == BLOCK:
                return  # end-of-archive marker
            field = header[148:156]
            try:
                stored = int(field.split(b"\0", 1)[0] or b"0", 8)
            except ValueError:
                try:
                    stored = _octal(field)
                except TarFormatError:
                    stored = -1
            expected = stored + sum(field) - 8 * 32
            if not (
                0 <= expected <= 130560 and (expected - (adler32(header) & 0xFFFF) + 1) % 65521 == 0
            ) and not _checksum_ok(header, stored):
                raise TarFormatError(f"{self._what} is not a valid tar stream (bad header checksum)")
            self.entries += 1
            if self.entries > max_entries:
                raise LimitExceededError(
                    f"{self._what} has more than {max_entries} entries (HULLCHECK_MAX_ENTRIES)"
                )
            typeflag = header[156:157]
            try:
                size = int(header[124:136].split(b"\0", 1)[0] or b"0", 8)
            except ValueError:
                size = _octal(header[124:136])
            if size < 0 or size > max_bytes:
                raise LimitExceededError(f"entry of {size} bytes in {self._what} exceeds the layer limit")
            if typeflag in _META_TYPES:
                if size > _MAX_META:
                    raise LimitExceededError(f"oversized tar metadata record in {self._what}")
                data = self._take(size)
                self._skip((-size) % BLOCK)
                if typeflag == b"x":
                    pending = _parse_pax(data)
                elif typeflag == b"g":
                    pax_global.update(_parse_pax(data))
                elif typeflag == b"L":
                    long_name = _decode(data.split(b"\0", 1)[0])
                else:
                    long_link = _decode(data.split(b"\0", 1)[0])
                continue

            # ustar prefix (only when the magic says ustar; old GNU uses those bytes otherwise)
            name_raw = header[0:100].split(b"\0", 1)[0]
            if header[345] != 0 and header[257:262] == b"ustar" and header[263:265] != b" \0":
                prefix = header[345:500].split(b"\0", 1)[0]
                name_raw = prefix + b"/" + name_raw
            name = name_raw.decode("utf-8", "surrogateescape")
            link = header[157:257].split(b"\0", 1)[0].decode("utf-8", "surrogateescape") if header[157] else ""
            if long_name is not None:
                name = long_name
                long_name = None
            if long_link is not None:
                link = long_link
                long_link = None
            if pending or pax_global:
                meta = {**pax_global, **pending} if pax_global else pending
                pending = {}
                name = meta.get("path", name)
                link = meta.get("linkpath", link)
                if "size" in meta:
                    try:
                        size = int(meta["size"])
                    except ValueError:
                        raise TarFormatError("invalid pax size") from None
                    if size < 0 or size > max_bytes:
                        raise LimitExceededError(f"entry size in {self._what} exceeds the layer limit")
                uid = _pax_id(meta.get("uid"), _octal_small(header[108:116]))
                gid = _pax_id(meta.get("gid"), _octal_small(header[116:124]))
            else:
                field = header[108:116]
                uid = small_get(field, -1)
                if uid < 0:
                    uid = _octal_small(field)
                field = header[116:124]
                gid = small_get(field, -1)
                if gid < 0:
                    gid = _octal_small(field)
            if len(name) > max_path:
                raise LimitExceededError(f"path longer than {max_path} in {self._what}")

            kind = typemap_get(typeflag, OTHER)
            if kind == REG and name[-1:] == "/":
                kind = DIR  # pre-POSIX archives mark directories by a trailing slash
            path = normalize(name, what=self._what)
            if kind == HARDLINK:
                link = normalize(link, what=f"{self._what} hardlink target")
            padding = (-size) % BLOCK
            # Hardlinks, symlinks, devices, dirs carry no data even if size says so (GNU tar
            # writes 0; a hostile one might not). Skip whatever the header claims.
            if kind in (REG, OTHER):
                self._remaining = size
                self._padding = padding
            else:
                self._padding = size + padding
                size = 0
            field = header[100:108]
            mode = small_get(field, -1)
            if mode < 0:
                mode = _octal_small(field)
            yield (path, kind, size if kind == REG else 0, mode, uid, gid, link)


def safe_join_parent(path: str) -> str:
    """Parent directory of a normalised absolute path."""
    return posixpath.dirname(path) or "/"
