"""Go build information: find it in an executable and parse its module text.

Every Go binary built in module mode carries a 32-byte header starting with the magic
``\\xff Go buildinf:`` followed by pointer size, a flags byte, and either two pointers to Go string
headers (runtime.buildVersion, runtime.modinfo; before Go 1.18) or, when flags bit 2 is set, the
two strings inline right after the header as uvarint-length-prefixed bytes (Go 1.18 and later).
The linker puts the header in its own section (ELF ``.go.buildinfo``, Mach-O
``__DATA,__go_buildinfo``) or at the start of the first writable data section (PE, and ELF files
whose section headers were stripped); it is always 16-byte aligned. The search follows those rules
so a magic string that is merely present in a binary's constants (a tool that itself inspects Go
binaries) is not taken for build info.

The module text has tab-separated lines: ``path``, ``mod`` (the main module), ``dep`` (path,
version, sum), ``=>`` (the replacement of the line above), ``build`` (key=value, Go-quoted where
needed). The text is framed by two 16-byte sentinels which are stripped here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal

from hullcheck.catalog.exeformat import (
    Executable,
    ExeFormatError,
    Region,
    read_addr,
    read_at,
)

MAGIC = b"\xff Go buildinf:"
_ALIGN = 16
_HEADER = 32
# How far into a data region the header may sit (the linker puts it at the start; Go's own
# reader looks at the first 64 KiB).
_SEARCH_WINDOW = 64 << 10
# The module text of the largest real binaries (Kubernetes components) is a few hundred KiB.
MAX_STRING = 4 << 20


class GoBuildInfoError(ValueError):
    """Build info was found but cannot be decoded."""


@dataclass(frozen=True)
class GoModule:
    path: str
    version: str = ""
    sum: str = ""
    replace: GoModule | None = None


@dataclass(frozen=True)
class GoBuildInfo:
    go_version: str  # as embedded: "go1.21.5", "go1.22.0 X:nocoverageredesign", "devel ..."
    path: str = ""  # the main package's import path
    main: GoModule | None = None
    deps: tuple[GoModule, ...] = ()
    settings: tuple[tuple[str, str], ...] = ()
    inline: bool = True  # Go >= 1.18 layout (strings inline) rather than pointers
    ptr_size: int = 8
    big_endian: bool = False
    errors: tuple[str, ...] = field(default=())  # lines of the module text that did not parse

    @property
    def setting_map(self) -> dict[str, str]:
        return dict(self.settings)


# --- locating and reading the two strings ------------------------------------------------------


def _candidates(exe: Executable) -> list[Region]:
    """Where the header may be, in the order Go's own reader looks."""
    named = [s for s in exe.sections if s.name in (".go.buildinfo", "__go_buildinfo")]
    if any(s.truncated for s in named):
        raise GoBuildInfoError("the build info section lies past the end of the file")
    named = [s for s in named if s.file_size >= _HEADER]
    if named:
        return named
    if exe.format == "elf":
        return [s for s in exe.segments if s.writable and not s.executable and s.file_size][:1]
    if exe.format == "pe":
        return [
            s
            for s in exe.sections
            if s.writable and s.initialized_data and not s.executable and s.file_size
        ][:1]
    # Mach-O: the first writable data segment.
    return [s for s in exe.segments if s.writable and not s.executable and s.file_size][:1]


def find_header(stream: BinaryIO, exe: Executable, file_size: int) -> tuple[int, bytes] | None:
    """(file offset, 32 header bytes) of the build info header, or None if this is not Go."""
    for region in _candidates(exe):
        window = read_at(stream, region.offset, min(region.file_size, _SEARCH_WINDOW), file_size)
        start = 0
        while True:
            i = window.find(MAGIC, start)
            if i < 0 or len(window) - i < _HEADER:
                break
            if i % _ALIGN == 0:
                return region.offset + i, window[i : i + _HEADER]
            start = i + 1
    return None


def read_raw(
    stream: BinaryIO, exe: Executable, file_size: int
) -> tuple[str, bytes, dict[str, Any]] | None:
    """(Go version, module text with framing, layout facts), or None when there is no header.

    Raises ``GoBuildInfoError`` (or ``ExeFormatError``) for a header whose contents are garbage.
    """
    found = find_header(stream, exe, file_size)
    if found is None:
        return None
    offset, header = found
    ptr_size = header[14]
    flags = header[15]
    layout: dict[str, Any] = {
        "inline": bool(flags & 2),
        "ptr_size": ptr_size,
        "big_endian": bool(flags & 1),
    }
    if flags & 2:
        pos = offset + _HEADER
        version_b, pos = _read_varint_string(stream, pos, file_size)
        modinfo, _ = _read_varint_string(stream, pos, file_size)
        layout["big_endian"] = exe.big_endian
    else:
        if ptr_size not in (4, 8):
            raise GoBuildInfoError(f"bad pointer size {ptr_size} in build info header")
        order: Literal["big", "little"] = "big" if flags & 1 else "little"
        vers_ptr = int.from_bytes(header[16 : 16 + ptr_size], order)
        mod_ptr = int.from_bytes(header[16 + ptr_size : 16 + 2 * ptr_size], order)
        version_b = _read_go_string(stream, exe, file_size, vers_ptr, ptr_size, order)
        modinfo = _read_go_string(stream, exe, file_size, mod_ptr, ptr_size, order)
    version = version_b.decode("utf-8", errors="replace")
    if not version:
        raise GoBuildInfoError("build info header without a Go version")
    return version, modinfo, layout


def _read_varint_string(stream: BinaryIO, pos: int, file_size: int) -> tuple[bytes, int]:
    length = 0
    shift = 0
    for _ in range(10):
        b = read_at(stream, pos, 1, file_size)[0]
        pos += 1
        length |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    else:
        raise GoBuildInfoError("overlong length in build info")
    if length > MAX_STRING:
        raise GoBuildInfoError(f"build info string of {length} bytes exceeds the limit")
    return read_at(stream, pos, length, file_size), pos + length


def _read_go_string(
    stream: BinaryIO,
    exe: Executable,
    file_size: int,
    addr: int,
    ptr_size: int,
    order: Literal["big", "little"],
) -> bytes:
    """A Go string whose header (data pointer, length) is at virtual address ``addr``."""
    try:
        hdr = read_addr(stream, exe, addr, 2 * ptr_size, file_size)
    except ExeFormatError as e:
        raise GoBuildInfoError(f"build info pointer {addr:#x} does not point into the file") from e
    data_ptr = int.from_bytes(hdr[:ptr_size], order)
    length = int.from_bytes(hdr[ptr_size:], order)
    if length == 0:
        return b""
    if length > MAX_STRING:
        raise GoBuildInfoError(f"build info string of {length} bytes exceeds the limit")
    try:
        return read_addr(stream, exe, data_ptr, length, file_size)
    except ExeFormatError as e:
        raise GoBuildInfoError(f"build info string at {data_ptr:#x} is not in the file") from e


def strip_framing(modinfo: bytes) -> str:
    """The module text without the 16-byte sentinels; "" when absent (GOPATH-mode builds)."""
    if len(modinfo) >= 33 and modinfo[-17:-16] == b"\n":
        return modinfo[16:-16].decode("utf-8", errors="replace")
    return ""


def read_build_info(stream: BinaryIO, exe: Executable, file_size: int) -> GoBuildInfo | None:
    """The parsed build info of a Go executable, or None when it is not a Go binary."""
    raw = read_raw(stream, exe, file_size)
    if raw is None:
        return None
    version, modinfo, layout = raw
    info = parse_modinfo(strip_framing(modinfo))
    return GoBuildInfo(
        go_version=version,
        path=info.path,
        main=info.main,
        deps=info.deps,
        settings=info.settings,
        inline=layout["inline"],
        ptr_size=layout["ptr_size"],
        big_endian=layout["big_endian"],
        errors=info.errors,
    )


# --- the module text ---------------------------------------------------------------------------


def parse_modinfo(text: str) -> GoBuildInfo:
    """Parse the module text (already without framing). Bad lines are collected, not fatal."""
    path = ""
    main: GoModule | None = None
    deps: list[GoModule] = []
    settings: list[tuple[str, str]] = []
    errors: list[str] = []
    last: str | None = None  # "mod" or "dep": what a following "=>" line replaces
    for line in text.split("\n"):
        if not line:
            continue
        word, _, rest = line.partition("\t")
        if word == "path":
            path = rest
            last = None
        elif word in ("mod", "dep"):
            mod = _module_line(rest)
            if mod is None:
                errors.append(line[:200])
                last = None
                continue
            if word == "mod":
                main = mod
            else:
                deps.append(mod)
            last = word
        elif word == "=>":
            repl = _module_line(rest)
            if repl is None or last is None:
                errors.append(line[:200])
            elif last == "mod" and main is not None:
                main = GoModule(main.path, main.version, main.sum, repl)
            elif deps:
                d = deps[-1]
                deps[-1] = GoModule(d.path, d.version, d.sum, repl)
            last = None
        elif word == "build":
            kv = _setting(rest)
            if kv is None:
                errors.append(line[:200])
            else:
                settings.append(kv)
            last = None
        elif word == "go":
            last = None  # "go\tgo1.x" appears in printed form only; the version comes separately
        else:
            errors.append(line[:200])
            last = None
    return GoBuildInfo(
        go_version="",
        path=path,
        main=main,
        deps=tuple(deps),
        settings=tuple(settings),
        errors=tuple(errors),
    )


def _module_line(rest: str) -> GoModule | None:
    cols = rest.split("\t")
    if len(cols) not in (2, 3) or not cols[0]:
        return None
    return GoModule(path=cols[0], version=cols[1], sum=cols[2] if len(cols) == 3 else "")


def _setting(rest: str) -> tuple[str, str] | None:
    if rest.startswith('"'):
        key_lit, tail = _split_go_literal(rest)
        if key_lit is None or not tail.startswith("="):
            return None
        key = _go_unquote(key_lit)
        value_raw = tail[1:]
    else:
        key, eq, value_raw = rest.partition("=")
        if not eq:
            return None
    if key is None or not key:
        return None
    if value_raw.startswith('"'):
        lit, tail = _split_go_literal(value_raw)
        value = _go_unquote(lit) if lit is not None and not tail else None
        if value is None:
            value = value_raw
    else:
        value = value_raw
    return key, value


def _split_go_literal(s: str) -> tuple[str | None, str]:
    """The leading double-quoted literal of ``s`` and what follows it."""
    i = 1
    while i < len(s):
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return s[: i + 1], s[i + 1 :]
        i += 1
    return None, s


_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
    "'": "'",
}
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)", re.S)


def _go_unquote(lit: str) -> str | None:
    """strconv.Unquote for a double-quoted literal (what Go uses to quote build settings)."""
    if len(lit) < 2 or lit[0] != '"' or lit[-1] != '"':
        return None
    body = lit[1:-1]
    out = bytearray()
    pos = 0
    for m in _ESCAPE.finditer(body):
        out += body[pos : m.start()].encode("utf-8")
        esc = m.group(1)
        if esc[0] == "x" and len(esc) == 3:
            out.append(int(esc[1:], 16))
        elif esc[0] in "uU" and len(esc) > 1:
            cp = int(esc[1:], 16)
            if cp > 0x10FFFF:
                return None
            out += chr(cp).encode("utf-8", errors="surrogatepass")
        elif esc[0] in "01234567" and len(esc) == 3:
            v = int(esc, 8)
            if v > 255:
                return None
            out.append(v)
        elif esc in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[esc].encode()
        else:
            return None
        pos = m.end()
    out += body[pos:].encode("utf-8")
    return out.decode("utf-8", errors="replace")


# --- versions ------------------------------------------------------------------------------------

_GO_VERSION = re.compile(r"^go(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta|alpha)(\d+))?$")


def go_toolchain_semver(go_version: str) -> str | None:
    """``go1.21.5`` -> ``1.21.5``; ``go1.21`` -> ``1.21.0``; ``go1.21rc2`` -> ``1.21.0-rc.2``.

    The first word only (``go1.22.0 X:boringcrypto`` -> ``1.22.0``). None for development
    toolchains (``devel +abc``) and anything else that is not a release name, since no advisory
    range can be evaluated against it.
    """
    word = go_version.split(" ", 1)[0].strip()
    m = _GO_VERSION.match(word)
    if not m:
        return None
    major, minor, patch, pre, pre_n = m.groups()
    v = f"{major}.{minor or 0}.{patch or 0}"
    if pre:
        v += f"-{pre}.{pre_n}"
    return v
