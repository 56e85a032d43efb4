"""The hand-written executable header parsers, checked against independent readers: pyelftools for
ELF, binutils' objdump for PE; universal Mach-O and hostile headers."""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from hypothesis import given, settings
from hypothesis import strategies as st

from hullcheck.catalog.exeformat import (
    ELF_WINDOW,
    ExeFormatError,
    elf_names_reachable,
    elf_section_names,
    elf_section_names_forward,
    parse_executable,
    sniff,
)
from tests.catalog.gobuild import go_builds
from tests.conftest import need


def parse(data: bytes) -> list:
    return parse_executable(io.BytesIO(data), len(data))


def system_elves() -> list[Path]:
    candidates = [
        Path("/bin/ls"),
        Path(os.path.realpath(shutil.which("python3") or "/usr/bin/python3")),
        Path("/lib/x86_64-linux-gnu/libc.so.6"),
        Path(os.path.realpath(shutil.which("go") or "/usr/bin/go")),
    ]
    return [p.resolve() for p in candidates if p.exists()]


def pyelftools_view(
    data: bytes,
) -> tuple[list[tuple[str, int, int, int]], list[tuple[int, int, int]]]:
    elf = ELFFile(io.BytesIO(data))
    sections = [
        (
            s.name,
            s["sh_addr"],
            s["sh_offset"],
            0 if s["sh_type"] == "SHT_NOBITS" else s["sh_size"],
        )
        for s in elf.iter_sections()
    ]
    loads = [
        (p["p_vaddr"], p["p_offset"], min(p["p_filesz"], p["p_memsz"]))
        for p in elf.iter_segments()
        if p["p_type"] == "PT_LOAD"
    ]
    return sections, loads


def check_elf_against_pyelftools(data: bytes) -> None:
    [exe] = parse(data)
    sections, loads = pyelftools_view(data)
    assert [(s.name, s.addr, s.offset, s.file_size) for s in exe.sections] == sections
    assert [(s.addr, s.offset, s.file_size) for s in exe.segments] == loads
    elf = ELFFile(io.BytesIO(data))
    assert exe.ptr_size * 8 == elf.elfclass
    assert exe.big_endian == (not elf.little_endian)


def test_system_elf_files_match_pyelftools() -> None:
    paths = system_elves()
    assert paths, "no system ELF files found"
    for p in paths:
        check_elf_against_pyelftools(p.read_bytes())


def test_go_elf_builds_match_pyelftools() -> None:
    need(shutil.which("go"), "the go toolchain (Debian golang-go)")
    builds = go_builds()
    for name in ("linux-amd64", "linux-s390x"):  # little- and big-endian
        check_elf_against_pyelftools(builds.binaries[name].read_bytes())


def test_elf32_object_matches_pyelftools(tmp_path: Path) -> None:
    cc, objcopy = shutil.which("gcc"), shutil.which("objcopy")
    need(cc and objcopy, "gcc and objcopy")
    assert cc and objcopy
    (tmp_path / "o.c").write_text("int x = 5;\nint f(void) { return x; }\n")
    subprocess.run([cc, "-c", "-o", str(tmp_path / "o.o"), str(tmp_path / "o.c")], check=True)
    subprocess.run(
        [objcopy, "-O", "elf32-i386", str(tmp_path / "o.o"), str(tmp_path / "o32.o")], check=True
    )
    data = (tmp_path / "o32.o").read_bytes()
    assert data[4] == 1  # ELFCLASS32
    check_elf_against_pyelftools(data)


def test_pe_sections_match_objdump() -> None:
    need(shutil.which("go") and shutil.which("objdump"), "go and objdump")
    exe_path = go_builds().binaries["windows-386"]
    out = subprocess.run(
        ["objdump", "-h", str(exe_path)], capture_output=True, text=True, check=True
    ).stdout
    expected = []
    for line in out.splitlines():
        cols = line.split()
        if len(cols) >= 7 and cols[0].isdigit():
            expected.append((cols[1], int(cols[3], 16), int(cols[5], 16)))
    [exe] = parse(exe_path.read_bytes())
    assert exe.format == "pe" and exe.ptr_size == 4
    got = [(s.name, s.addr, s.offset) for s in exe.sections]
    # objdump leaves out sections without contents in the file (e.g. .bss-like ones).
    assert expected and all(e in got for e in expected)


def universal(slices: list[tuple[int, bytes]]) -> bytes:
    """A fat Mach-O holding ``slices`` (cputype, image) at 4 KiB-aligned offsets."""
    header = struct.pack(">II", 0xCAFEBABE, len(slices))
    body = b""
    offset = 4096
    entries = b""
    for cputype, image in slices:
        entries += struct.pack(">iiIII", cputype, 0, offset, len(image), 12)
        pad = (-len(image)) % 4096
        body += image + b"\0" * pad
        offset += len(image) + pad
    head = header + entries
    return head + b"\0" * (4096 - len(head)) + body


def test_universal_binary_yields_each_slice() -> None:
    need(shutil.which("go"), "the go toolchain (Debian golang-go)")
    thin = go_builds().binaries["darwin-arm64"].read_bytes()
    [one] = parse(thin)
    fat = universal([(0x0100000C, thin), (0x0100000C, thin)])
    assert sniff(fat[:16]) == "fat"
    exes = parse(fat)
    assert len(exes) == 2
    for exe in exes:
        assert exe.format == "macho"
        assert [s.name for s in exe.sections] == [s.name for s in one.sections]
    assert (
        exes[1].sections[0].offset - one.sections[0].offset
        > exes[0].sections[0].offset - one.sections[0].offset
    )


def test_java_class_file_is_not_a_universal_binary() -> None:
    # Same magic; the next word is the class file version (major 52 for Java 8).
    cls = b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + b"\0" * 100
    assert sniff(cls) is None
    assert parse(cls) == []


def test_extended_section_numbering_pointing_nowhere_is_an_error() -> None:
    data = bytearray(Path("/bin/ls").read_bytes())
    # e_shnum = 0 means "the count is in section header 0"; point e_shoff past the file.
    struct.pack_into("<Q", data, 0x28, len(data) + 4096)
    struct.pack_into("<H", data, 0x3C, 0)
    with pytest.raises(ExeFormatError):
        parse(bytes(data))


@settings(max_examples=150, deadline=None)
@given(
    which=st.sampled_from(["elf", "pe", "macho"]),
    pos=st.integers(0, 511),
    patch=st.binary(min_size=1, max_size=8),
)
def test_fuzzed_headers_raise_only_exe_format_error(which: str, pos: int, patch: bytes) -> None:
    data = bytearray(_sample(which))
    data[pos : pos + len(patch)] = patch
    try:
        exes = parse(bytes(data))
    except ExeFormatError:
        return
    # Whatever parsed is consistent: every region claims only bytes inside the file.
    for exe in exes:
        for r in (*exe.sections, *exe.segments):
            assert r.file_size == 0 or r.offset + r.file_size <= len(data)


_SAMPLES: dict[str, bytes] = {}


def _sample(which: str) -> bytes:
    if which not in _SAMPLES:
        if which == "elf":
            _SAMPLES[which] = Path("/bin/ls").read_bytes()
        else:
            need(shutil.which("go"), "the go toolchain (Debian golang-go)")
            name = "windows-386" if which == "pe" else "darwin-arm64"
            _SAMPLES[which] = go_builds().binaries[name].read_bytes()
    return _SAMPLES[which]


class Forward:
    """A file read front to back only, as a layer stream hands it out; counts what was kept."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos, self.kept = data, 0, 0

    def read(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        self.pos += len(out)
        self.kept += len(out)
        return out

    def skip(self, n: int) -> None:
        assert n >= 0, "reads go forward only"
        self.pos += n


def names_forward(data: bytes) -> tuple[bytes | None, int]:
    r = Forward(data)
    head = r.read(64)
    if not elf_names_reachable(head, len(data)):
        return None, r.kept
    return elf_section_names_forward(head, r.read, r.skip, len(data)), r.kept


def pyelftools_names(data: bytes) -> list[str]:
    return [s.name for s in ELFFile(io.BytesIO(data)).iter_sections() if s.name]


def test_section_names_read_forward_match_pyelftools() -> None:
    """GNU ld puts the names just before the section table at the end; Go's linker puts the table
    near the start and the names far after it: both are found reading once, keeping little."""
    need(shutil.which("go"), "the go toolchain (Debian golang-go)")
    builds = go_builds()
    files = [p.read_bytes() for p in system_elves()]
    files += [builds.binaries[n].read_bytes() for n in ("linux-amd64", "linux-s390x")]
    for data in files:
        names, kept = names_forward(data)
        assert names is not None and names == elf_section_names(data)
        listed = names.split(b"\0")
        assert all(n.encode() in listed or any(n.encode() in x for x in listed) for n in pyelftools_names(data))
        assert kept <= 64 + ELF_WINDOW + len(data) // 100 + (1 << 16)
    go = builds.binaries["linux-amd64"].read_bytes()
    assert b".go.buildinfo" in (names_forward(go)[0] or b"")


def test_section_names_behind_the_window_are_undecided() -> None:
    """A name table placed before the window kept ahead of the section table cannot be seen
    any more: the answer is None (read again), never a wrong 'no such section'."""
    data = bytearray(Path("/bin/ls").read_bytes())
    elf = ELFFile(io.BytesIO(bytes(data)))
    shoff, shentsize, shstrndx = elf["e_shoff"], elf["e_shentsize"], elf["e_shstrndx"]
    entry = shoff + shstrndx * shentsize
    struct.pack_into("<Q", data, entry + 24, 64)  # sh_offset of the name table: right after the header
    assert shoff - 64 > ELF_WINDOW
    names, _kept = names_forward(bytes(data))
    assert names is None
    assert elf_section_names(bytes(data)) is not None  # in memory it is simply read (garbage names)


def test_files_without_a_reachable_table_are_not_tried() -> None:
    data = Path("/bin/ls").read_bytes()
    assert not elf_names_reachable(data[:64], len(data) // 2)  # the table lies past the end
    assert not elf_names_reachable(b"MZ" + b"\0" * 62, 10_000)
    stripped = bytearray(data[:64])
    struct.pack_into("<Q", stripped, 0x28, 0)  # no section header table
    assert not elf_names_reachable(bytes(stripped), len(data))
