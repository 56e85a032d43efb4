"""Walking Java archives (jar, war, ear, ...) safely, and reading their metadata files.

``walk_archive`` visits an archive and, recursively, every archive stored inside it
(``WEB-INF/lib/*.jar``, ``BOOT-INF/lib/*.jar``, ``lib/*.jar`` in an ear), yielding for each one its
manifest and its ``pom.properties`` files. Archives are hostile input, so every read is bounded:

- the central directory is checked (entry count, size) from the end record before ``zipfile``
  loads it, so a forged directory cannot make it build millions of entries;
- each entry is read with an explicit byte limit (a forged uncompressed size cannot lie past it)
  and every decompressed byte counts against one budget for the whole outer file, which bounds
  the time a zip bomb (including overlapping-entry bombs) can cost;
- nested archives are read into memory only within a per-archive limit, and not beyond a depth.

Whatever was skipped for a limit is reported in ``WalkResult.problems``; what was found before
stays valid.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

ARCHIVE_SUFFIXES = (".jar", ".war", ".ear", ".par", ".jpi", ".hpi", ".sar", ".nar", ".kar")


@dataclass(frozen=True)
class Limits:
    max_depth: int = 4  # nested archives below the outer one
    max_entries: int = 200_000  # per archive
    max_central_directory: int = 32 << 20  # bytes, per archive
    max_nested_size: int = 64 << 20  # one nested archive held in memory
    max_total_read: int = 512 << 20  # decompressed bytes across the outer file and all nested ones
    max_metadata_size: int = 1 << 20  # MANIFEST.MF, pom.properties
    max_poms: int = 10_000  # pom.properties per archive
    max_archives: int = 10_000  # nested archives per outer file
    max_total_entries: int = 1_000_000  # entries across the outer file and all nested ones


@dataclass(frozen=True)
class ArchiveInfo:
    """One archive: its place in the nesting and the metadata files it holds."""

    chain: tuple[str, ...]  # entry names from the outer file down to this archive; () = outer
    name: str  # file name of this archive (last path element)
    manifest: dict[str, str] | None  # main section of META-INF/MANIFEST.MF
    poms: tuple[tuple[str, dict[str, str]], ...]  # (entry path, properties)


@dataclass
class _Budget:
    limits: Limits
    read: int = 0
    archives: int = 0
    entries: int = 0
    # kind of problem -> (first few details, how many): a bomb of 10,000 oversized entries is
    # a short line in the report, not 10,000 of them.
    notes: dict[str, tuple[list[str], list[int]]] = field(default_factory=dict)

    def note(self, kind: str, detail: str) -> None:
        details, count = self.notes.setdefault(kind, ([], [0]))
        count[0] += 1
        if len(details) < _DETAILS_PER_KIND:
            details.append(detail[:200])

    @property
    def problems(self) -> list[str]:
        out: list[str] = []
        for details, (count,) in self.notes.values():
            out.extend(details)
            if count > len(details):
                out[-1] += f" (and {count - len(details)} more like it)"
        return out


_DETAILS_PER_KIND = 3


class ArchiveError(ValueError):
    """The outer file is not a readable zip archive."""


@dataclass
class WalkResult:
    archives: list[ArchiveInfo]
    problems: list[str]


def is_archive_name(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def walk_archive(stream: BinaryIO, name: str, limits: Limits | None = None) -> WalkResult:
    """Every archive in ``stream`` (the outer first, then nested ones depth-first).

    Raises ``ArchiveError`` only when the outer file itself is not a zip archive; problems with
    nested archives or limits are collected in ``problems``.
    """
    budget = _Budget(limits or Limits())
    archives: list[ArchiveInfo] = []
    try:
        zf = _open_zip(stream, budget.limits)
    except ArchiveError:
        raise
    except Exception as e:
        raise ArchiveError(f"not a readable zip archive: {type(e).__name__}: {e}"[:200]) from e
    with zf:
        archives.extend(_walk(zf, (), name, 0, budget))
    return WalkResult(archives, budget.problems)


def _open_zip(stream: BinaryIO, limits: Limits) -> zipfile.ZipFile:
    entries, cd_size = central_directory_stats(stream)
    if entries > limits.max_entries:
        raise ArchiveError(f"{entries} entries exceed the limit of {limits.max_entries}")
    if cd_size > limits.max_central_directory:
        raise ArchiveError(f"central directory of {cd_size} bytes exceeds the limit")
    stream.seek(0)
    try:
        zf = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        raise ArchiveError(f"not a readable zip archive: {e}"[:200]) from e
    if len(zf.infolist()) > limits.max_entries:
        raise ArchiveError("entry count exceeds the limit")
    return zf


_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"


def central_directory_stats(stream: BinaryIO) -> tuple[int, int]:
    """(entry count, central directory size) from the end record, before anything else is read."""
    stream.seek(0, 2)
    size = stream.tell()
    tail_len = min(size, 22 + 65535)
    stream.seek(size - tail_len)
    tail = stream.read(tail_len)
    i = tail.rfind(_EOCD)
    if i < 0 or len(tail) - i < 22:
        raise ArchiveError("not a zip archive (no end of central directory record)")
    entries, cd_size = struct.unpack_from("<HI", tail, i + 10)
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF:
        # Zip64: the locator sits right before the end record and points at the zip64 record.
        loc_at = size - tail_len + i - 20
        if loc_at < 0:
            raise ArchiveError("truncated zip64 locator")
        stream.seek(loc_at)
        loc = stream.read(20)
        if len(loc) == 20 and loc[:4] == _ZIP64_LOCATOR:
            rec_at = struct.unpack_from("<Q", loc, 8)[0]
            if rec_at + 56 > size:
                raise ArchiveError("zip64 record outside the file")
            stream.seek(rec_at)
            rec = stream.read(56)
            if rec[:4] != _ZIP64_EOCD:
                raise ArchiveError("bad zip64 end record")
            entries, cd_size = struct.unpack_from("<QQ", rec, 32)
    return entries, cd_size


def _walk(
    zf: zipfile.ZipFile, chain: tuple[str, ...], name: str, depth: int, budget: _Budget
) -> Iterator[ArchiveInfo]:
    limits = budget.limits
    where = _where(chain)
    budget.entries += len(zf.infolist())
    manifest: dict[str, str] | None = None
    poms: list[tuple[str, dict[str, str]]] = []
    nested: list[zipfile.ZipInfo] = []
    seen_names: set[str] = set()
    for info in zf.infolist():
        entry = info.filename
        if info.is_dir() or entry in seen_names:
            continue  # a duplicated name is a trick; only its first entry is considered
        seen_names.add(entry)
        upper = entry.upper()
        if upper == "META-INF/MANIFEST.MF":
            data = _read_entry(zf, info, limits.max_metadata_size, budget, where)
            if data is not None:
                manifest = parse_manifest(data)
        elif upper.startswith("META-INF/MAVEN/") and entry.endswith("/pom.properties"):
            if len(poms) >= limits.max_poms:
                budget.note(
                    "poms", f"{where}: more than {limits.max_poms} pom.properties, rest skipped"
                )
                continue
            data = _read_entry(zf, info, limits.max_metadata_size, budget, where)
            if data is not None:
                poms.append((entry, parse_properties(data)))
        elif is_archive_name(entry):
            nested.append(info)
    yield ArchiveInfo(chain=chain, name=name, manifest=manifest, poms=tuple(poms))

    for info in nested:
        entry = info.filename
        inner_chain = (*chain, entry)
        inner_where = _where(inner_chain)
        if depth + 1 > limits.max_depth:
            budget.note(
                "depth", f"{inner_where}: nested deeper than {limits.max_depth} archives, skipped"
            )
            continue
        if budget.entries > limits.max_total_entries:
            budget.note(
                "entries", f"more than {limits.max_total_entries} entries in all, rest skipped"
            )
            break
        if budget.archives >= limits.max_archives:
            budget.note(
                "archives", f"more than {limits.max_archives} nested archives, rest skipped"
            )
            break
        budget.archives += 1
        if info.file_size > limits.max_nested_size:
            budget.note(
                "nested-size",
                f"{inner_where}: {info.file_size} bytes exceeds the nested archive limit",
            )
            continue
        data = _read_entry(zf, info, limits.max_nested_size, budget, inner_where)
        if data is None:
            continue
        if not data.startswith(b"PK"):
            budget.note("nested-bad", f"{inner_where}: not a zip archive")
            continue
        try:
            inner = _open_zip(io.BytesIO(data), limits)
        except Exception as e:
            budget.note("nested-bad", f"{inner_where}: {e}")
            continue
        with inner:
            yield from _walk(inner, inner_chain, entry.rsplit("/", 1)[-1], depth + 1, budget)


def _where(chain: tuple[str, ...]) -> str:
    return "!/".join(chain) if chain else "archive"


def _read_entry(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, budget: _Budget, where: str
) -> bytes | None:
    """The entry's bytes, or None (with a note) when it is too big, over budget or broken."""
    remaining = budget.limits.max_total_read - budget.read
    if remaining <= 0:
        budget.note("budget", f"read budget of {budget.limits.max_total_read} bytes exhausted")
        return None
    cap = min(limit, remaining)
    try:
        with zf.open(info) as fh:
            data = fh.read(cap + 1)
    except Exception as e:  # bad CRC, encryption, unsupported method, truncated data
        budget.note("unreadable", f"{where}: cannot read {info.filename}: {type(e).__name__}")
        budget.read += info.compress_size
        return None
    budget.read += len(data)
    if len(data) > cap:
        if cap < limit:
            budget.note("budget", f"read budget of {budget.limits.max_total_read} bytes exhausted")
        else:
            budget.note("entry-size", f"{where}: {info.filename} exceeds {limit} bytes, skipped")
        return None
    return data


# --- metadata files ------------------------------------------------------------------------------


def parse_manifest(data: bytes) -> dict[str, str]:
    """The main section of a JAR manifest (attributes before the first blank line).

    Lines are ``Name: value``; a line starting with one space continues the previous value.
    """
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    attrs: dict[str, str] = {}
    key: str | None = None
    for line in text.split("\n"):
        if not line:
            if attrs:
                break  # end of the main section
            continue
        if line.startswith(" ") and key is not None:
            attrs[key] += line[1:]
            continue
        k, sep, v = line.partition(":")
        if not sep or not k.strip():
            key = None
            continue
        key = k.strip()
        attrs[key] = v[1:] if v.startswith(" ") else v
    return {k: v.strip() for k, v in attrs.items()}


_PROP_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_UNICODE_ESCAPE = re.compile(r"u([0-9a-fA-F]{4})")


def parse_properties(data: bytes) -> dict[str, str]:
    """A Java ``.properties`` file.

    ``key=value``, ``key: value`` or ``key value`` lines, ``#``/``!`` comments, backslash line
    continuation and escapes (ISO-8859-1 by specification; UTF-8 in practice for files Maven
    writes, both are accepted).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    props: dict[str, str] = {}
    logical: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.lstrip(" \t\f")  # leading blanks never count, on continuations either
        if not logical and (not line or line[0] in "#!"):
            continue
        # A line ending in an odd number of backslashes continues on the next line.
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2 == 1:
            logical.append(line[:-1])
            continue
        logical.append(line)
        _add_property("".join(logical), props)
        logical = []
    if logical:
        _add_property("".join(logical), props)
    return props


def _add_property(line: str, props: dict[str, str]) -> None:
    i = 0
    n = len(line)
    while i < n:
        c = line[i]
        if c == "\\":
            i += 2
            continue
        if c in "=: \t\f":
            break
        i += 1
    key = line[:i]
    rest = line[i:].lstrip(" \t\f")
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(" \t\f")
    k = _unescape(key)
    if k:
        props[k] = _unescape(rest)


def _unescape(s: str) -> str:
    if "\\" not in s:
        return s
    out: list[str] = []
    i = 0
    while i < len(s):
        c = s[i]
        if c != "\\" or i + 1 >= len(s):
            out.append(c)
            i += 1
            continue
        nxt = s[i + 1]
        if nxt == "u":
            m = _UNICODE_ESCAPE.match(s, i + 1)
            if m:
                out.append(chr(int(m.group(1), 16)))
                i = m.end()
                continue
        out.append(_PROP_ESCAPES.get(nxt, nxt))
        i += 2
    return "".join(out)
