"""RPM header blobs, as the rpm databases store them (no lead, no header magic).

Layout (all big-endian): ``il`` (int32, number of index entries), ``dl`` (int32, size of the
data store), ``il`` entries of 16 bytes (tag, type, offset, count), then ``dl`` bytes of data.
Strings are NUL-terminated inside the data store. Every read is bounds-checked: a header that
lies about sizes or offsets raises ``HeaderError``, never reads outside the blob.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

# Tags (rpmtag.h)
TAG_NAME = 1000
TAG_VERSION = 1001
TAG_RELEASE = 1002
TAG_EPOCH = 1003
TAG_SUMMARY = 1004
TAG_SIZE = 1009
TAG_VENDOR = 1011
TAG_LICENSE = 1014
TAG_ARCH = 1022
TAG_OLDFILENAMES = 1027
TAG_SOURCERPM = 1044
TAG_DIRINDEXES = 1116
TAG_BASENAMES = 1117
TAG_DIRNAMES = 1118
TAG_MODULARITYLABEL = 5096

# Types (rpmtag.h)
TYPE_INT8 = 2
TYPE_INT16 = 3
TYPE_INT32 = 4
TYPE_INT64 = 5
TYPE_STRING = 6
TYPE_BIN = 7
TYPE_STRING_ARRAY = 8
TYPE_I18NSTRING = 9

# rpm's own limits (header.c: hdrchkTags / hdrchkData)
MAX_INDEX_ENTRIES = 0x0000FFFF
MAX_DATA = 0x0FFFFFFF
MAX_FILES = 1_000_000  # files listed by one package
MAX_STRING = 64 * 1024  # longer strings are cut

_WANTED = frozenset(
    {
        TAG_NAME,
        TAG_VERSION,
        TAG_RELEASE,
        TAG_EPOCH,
        TAG_SUMMARY,
        TAG_SIZE,
        TAG_VENDOR,
        TAG_LICENSE,
        TAG_ARCH,
        TAG_OLDFILENAMES,
        TAG_SOURCERPM,
        TAG_DIRINDEXES,
        TAG_BASENAMES,
        TAG_DIRNAMES,
        TAG_MODULARITYLABEL,
    }
)
_INT_FORMATS = {
    TYPE_INT8: ("B", 1),
    TYPE_INT16: ("H", 2),
    TYPE_INT32: ("I", 4),
    TYPE_INT64: ("Q", 8),
}


class HeaderError(ValueError):
    """A header blob that does not parse."""


@dataclass(frozen=True)
class RpmHeader:
    """The parts of an installed package's header hullcheck uses."""

    name: str
    version: str
    release: str
    epoch: int | None
    arch: str
    source_rpm: str = ""
    license: str = ""
    vendor: str = ""
    summary: str = ""
    size: int | None = None
    modularity_label: str = ""
    files: tuple[str, ...] = field(default=(), repr=False)

    @property
    def evr(self) -> str:
        """``[epoch:]version-release``, the form rpm compares and advisories name."""
        vr = f"{self.version}-{self.release}" if self.release else self.version
        return f"{self.epoch}:{vr}" if self.epoch is not None else vr


def _strings(data: bytes, offset: int, count: int) -> list[str]:
    """``count`` NUL-terminated strings starting at ``offset``."""
    if count == 1:
        end = data.find(b"\x00", offset)
        if end < 0:
            raise HeaderError("unterminated string")
        return [data[offset : min(end, offset + MAX_STRING)].decode("utf-8", errors="replace")]
    parts = data[offset:].split(b"\x00", count)
    if len(parts) <= count:  # fewer than count terminators
        raise HeaderError("unterminated string array")
    del parts[count]
    return [p[:MAX_STRING].decode("utf-8", errors="replace") for p in parts]


def parse_header(blob: bytes) -> dict[int, object]:
    """Index of the wanted tags: tag -> str | list[str] | list[int] | bytes."""
    if len(blob) < 8:
        raise HeaderError("header shorter than 8 bytes")
    il, dl = struct.unpack_from(">ii", blob, 0)
    if il <= 0 or il > MAX_INDEX_ENTRIES:
        raise HeaderError(f"bad index count {il}")
    if dl < 0 or dl > MAX_DATA:
        raise HeaderError(f"bad data length {dl}")
    data_start = 8 + il * 16
    if data_start + dl > len(blob):
        raise HeaderError("header truncated")
    data = blob[data_start : data_start + dl]
    out: dict[int, object] = {}
    for i in range(il):
        tag, typ, offset, count = struct.unpack_from(">iIiI", blob, 8 + i * 16)
        if tag not in _WANTED:
            continue
        if offset < 0 or offset >= dl or count == 0:
            raise HeaderError(f"tag {tag}: bad offset {offset} or count {count}")
        if typ in (TYPE_STRING, TYPE_I18NSTRING):
            # I18NSTRING holds one string per locale; the first is the default ("C")
            out[tag] = _strings(data, offset, 1)[0]
        elif typ == TYPE_STRING_ARRAY:
            if count > MAX_FILES or count > dl:
                raise HeaderError(f"tag {tag}: too many strings ({count})")
            out[tag] = _strings(data, offset, count)
        elif typ in _INT_FORMATS:
            fmt, size = _INT_FORMATS[typ]
            if count > MAX_FILES or offset + size * count > dl:
                raise HeaderError(f"tag {tag}: integer array out of bounds")
            out[tag] = list(struct.unpack_from(f">{count}{fmt}", data, offset))
        elif typ == TYPE_BIN:
            if offset + count > dl:
                raise HeaderError(f"tag {tag}: binary out of bounds")
            out[tag] = data[offset : offset + count]
    return out


def _str(index: dict[int, object], tag: int) -> str:
    v = index.get(tag)
    if isinstance(v, str):
        return v
    if isinstance(v, list) and v and isinstance(v[0], str):
        return v[0]
    return ""


def _int(index: dict[int, object], tag: int) -> int | None:
    v = index.get(tag)
    if isinstance(v, list) and v and isinstance(v[0], int):
        return v[0]
    return None


def _files(index: dict[int, object]) -> tuple[str, ...]:
    """The package's file paths. A damaged file list loses its bad entries, not the package:
    the package identity is what matching needs."""
    basenames = index.get(TAG_BASENAMES)
    dirnames = index.get(TAG_DIRNAMES)
    dirindexes = index.get(TAG_DIRINDEXES)
    if isinstance(basenames, list) and isinstance(dirnames, list) and isinstance(dirindexes, list):
        if len(dirindexes) != len(basenames):
            return ()
        ndirs = len(dirnames)
        return tuple(
            f"{dirnames[di]}{base}"
            for base, di in zip(basenames, dirindexes, strict=True)
            if isinstance(di, int) and 0 <= di < ndirs
        )
    old = index.get(TAG_OLDFILENAMES)  # rpm < 4.0 stored full paths
    if isinstance(old, list):
        return tuple(x for x in old if isinstance(x, str))
    return ()


def read_header(blob: bytes, with_files: bool = True) -> RpmHeader:
    """Parse one header blob; ``HeaderError`` when it is damaged or has no name."""
    index = parse_header(blob)
    name = _str(index, TAG_NAME)
    if not name:
        raise HeaderError("header without NAME")
    return RpmHeader(
        name=name,
        version=_str(index, TAG_VERSION),
        release=_str(index, TAG_RELEASE),
        epoch=_int(index, TAG_EPOCH),
        arch=_str(index, TAG_ARCH),
        source_rpm=_str(index, TAG_SOURCERPM),
        license=_str(index, TAG_LICENSE),
        vendor=_str(index, TAG_VENDOR),
        summary=_str(index, TAG_SUMMARY),
        size=_int(index, TAG_SIZE),
        modularity_label=_str(index, TAG_MODULARITYLABEL),
        files=_files(index) if with_files else (),
    )


def split_source_rpm(source_rpm: str) -> tuple[str, str, str]:
    """``util-linux-2.32.1-42.el8_8.src.rpm`` -> (``util-linux``, ``2.32.1``, ``42.el8_8``)."""
    s = source_rpm
    for suffix in (".src.rpm", ".nosrc.rpm"):
        if s.endswith(suffix):
            s = s[: -len(suffix)]
            break
    else:
        return "", "", ""
    parts = s.rsplit("-", 2)
    if len(parts) != 3 or not all(parts):
        return "", "", ""
    return parts[0], parts[1], parts[2]
