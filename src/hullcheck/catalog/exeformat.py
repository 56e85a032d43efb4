"""Just enough of ELF, PE and Mach-O to find sections and map virtual addresses to file offsets.

The Go and Rust binary analyzers need the same three things from an executable: its named
sections, which parts of the file are mapped at which address (to follow pointers), and the
pointer size and byte order. ``parse_executable`` gives exactly that, reading only headers
through a seekable stream; section contents are read on demand with ``read`` (bounded), never
the whole binary.

All three are parsed here by hand: only the fixed-size headers and the section/segment tables
are needed. The libraries that exist do far more and are slow for that (pyelftools, see below) or
load the whole file (pefile) and are not dependencies (pefile, macholib).
Every failure of a malformed file is an ``ExeFormatError``; nothing else escapes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from hullcheck.catalog.interface import Interest

ELF_MAGIC = b"\x7fELF"
PE_MAGIC = b"MZ"
_MACHO_MAGICS = {
    b"\xfe\xed\xfa\xce": (">", 4),  # MH_MAGIC, big-endian 32-bit
    b"\xce\xfa\xed\xfe": ("<", 4),  # MH_CIGAM, little-endian 32-bit
    b"\xfe\xed\xfa\xcf": (">", 8),  # MH_MAGIC_64
    b"\xcf\xfa\xed\xfe": ("<", 8),  # MH_CIGAM_64
}
_FAT_MAGIC = b"\xca\xfe\xba\xbe"  # universal binary; Java class files share this magic
_FAT_MAGIC_64 = b"\xca\xfe\xba\xbf"

# Limits against hostile headers: real binaries stay far below them.
MAX_SECTIONS = 65535
MAX_LOAD_COMMANDS = 4096
MAX_LOAD_COMMANDS_BYTES = 4 << 20
MAX_FAT_ARCHES = 16


class ExeFormatError(ValueError):
    """The file claims to be an executable but its headers do not hold together."""


@dataclass(frozen=True)
class Region:
    """A section or a mapped segment: ``file_size`` bytes at ``offset`` appear at ``addr``.

    ``offset`` is absolute in the file (a slice of a universal binary is already accounted for).
    ``segment`` is the Mach-O segment a section belongs to ("" elsewhere).
    """

    name: str
    addr: int
    file_size: int
    offset: int
    writable: bool = False
    executable: bool = False
    segment: str = ""
    initialized_data: bool = False  # PE IMAGE_SCN_CNT_INITIALIZED_DATA
    declared_size: int = 0  # what the headers claim; more than file_size when the file is cut

    @property
    def truncated(self) -> bool:
        return self.declared_size > self.file_size


@dataclass(frozen=True)
class Executable:
    """The parts of one executable image the binary analyzers use."""

    format: str  # "elf", "pe" or "macho"
    ptr_size: int  # 4 or 8
    big_endian: bool
    sections: tuple[Region, ...]
    segments: tuple[Region, ...]  # the address space: ELF PT_LOAD, PE sections, Mach-O segments
    machine: str = ""

    def section(self, name: str, segment: str | None = None) -> Region | None:
        for s in self.sections:
            if s.name == name and (segment is None or s.segment == segment):
                return s
        return None


def sniff(head: bytes) -> str | None:
    """The container kind from the first bytes, or None for anything that is not a binary."""
    if head.startswith(ELF_MAGIC):
        return "elf"
    if head.startswith(PE_MAGIC):
        return "pe"
    if head[:4] in _MACHO_MAGICS:
        return "macho"
    if head[:4] in (_FAT_MAGIC, _FAT_MAGIC_64) and len(head) >= 8:
        # A Java class file has the same magic followed by minor/major version (major >= 45);
        # a universal binary has a small architecture count there.
        nfat = struct.unpack(">I", head[4:8])[0]
        if 0 < nfat <= MAX_FAT_ARCHES:
            return "fat"
    return None


def read_at(stream: BinaryIO, offset: int, size: int, file_size: int) -> bytes:
    """Exactly ``size`` bytes at ``offset`` or an ``ExeFormatError`` (never past the file)."""
    if offset < 0 or size < 0 or offset + size > file_size:
        raise ExeFormatError(f"read of {size} bytes at {offset} is outside the file")
    stream.seek(offset)
    data = stream.read(size)
    if len(data) != size:
        raise ExeFormatError("unexpected end of file")
    return data


def read_addr(stream: BinaryIO, exe: Executable, addr: int, size: int, file_size: int) -> bytes:
    """``size`` bytes at virtual address ``addr``, which must lie inside one mapped region."""
    for seg in exe.segments:
        if seg.addr <= addr and addr + size <= seg.addr + seg.file_size:
            return read_at(stream, seg.offset + (addr - seg.addr), size, file_size)
    raise ExeFormatError(f"address {addr:#x} (+{size}) is not mapped from the file")


def parse_executable(stream: BinaryIO, file_size: int) -> list[Executable]:
    """The executable images in the file (several for a universal Mach-O); [] if not a binary.

    Raises ``ExeFormatError`` when the magic says binary but the headers are broken.
    """
    stream.seek(0)
    head = stream.read(16)
    kind = sniff(head)
    try:
        if kind == "elf":
            return [_parse_elf(stream, file_size)]
        if kind == "pe":
            pe = _parse_pe(stream, file_size)
            return [pe] if pe is not None else []
        if kind == "macho":
            return [_parse_macho(stream, 0, file_size, file_size)]
        if kind == "fat":
            return _parse_fat(stream, file_size)
    except ExeFormatError:
        raise
    except (struct.error, ValueError, OverflowError, IndexError, KeyError, TypeError) as e:
        raise ExeFormatError(f"malformed {kind} headers: {type(e).__name__}") from e
    return []


# --- ELF ------------------------------------------------------------------------------------
# pyelftools parses ELF correctly but builds rich objects for every section and segment (dynamic
# tables, hash sections...): about 10 ms per binary, which adds up to minutes over the thousands of
# executables and libraries of a large image. Only the two header tables and the section names
# are needed here, which is a handful of reads.

_SHT_NOBITS = 8
_SHF_WRITE = 0x1
_SHF_EXECINSTR = 0x4
_PT_LOAD = 1
_PF_X = 0x1
_PF_W = 0x2
_SHN_XINDEX = 0xFFFF
_PN_XNUM = 0xFFFF
MAX_SHSTRTAB = 1 << 20


def _parse_elf(stream: BinaryIO, file_size: int) -> Executable:
    ident = read_at(stream, 0, 16, file_size)
    ei_class, ei_data = ident[4], ident[5]
    if ei_class not in (1, 2) or ei_data not in (1, 2):
        raise ExeFormatError(f"unknown ELF class {ei_class} or data encoding {ei_data}")
    is64 = ei_class == 2
    bo = "<" if ei_data == 1 else ">"
    # e_type, e_machine, e_version, e_entry, e_phoff, e_shoff, e_flags, e_ehsize, e_phentsize,
    # e_phnum, e_shentsize, e_shnum, e_shstrndx; addresses and offsets are 4 or 8 bytes wide.
    hdr_fmt = bo + ("HHIQQQIHHHHHH" if is64 else "HHIIIIIHHHHHH")
    fields = struct.unpack(hdr_fmt, read_at(stream, 16, struct.calcsize(hdr_fmt), file_size))
    machine, phoff, shoff = fields[1], fields[4], fields[5]
    phentsize, phnum, shentsize, shnum, shstrndx = fields[8:13]
    # Section headers have the same field order in both classes; program headers do not.
    sh_fmt = bo + ("IIQQQQIIQQ" if is64 else "IIIIIIIIII")
    ph_fmt = bo + ("IIQQQQQQ" if is64 else "IIIIIIII")
    sh_size, ph_size = struct.calcsize(sh_fmt), struct.calcsize(ph_fmt)

    def section_header(i: int) -> tuple[int, ...]:
        # (name, type, flags, addr, offset, size, link, info)
        raw = read_at(stream, shoff + i * shentsize, sh_size, file_size)
        return struct.unpack(sh_fmt, raw)[:8]

    # Extended numbering: counts that do not fit in 16 bits live in section header 0.
    if shoff and (shnum == 0 or shstrndx == _SHN_XINDEX or phnum == _PN_XNUM):
        if shentsize < sh_size:
            raise ExeFormatError("ELF section header entries are too small")
        h0 = section_header(0)
        if shnum == 0:
            shnum = h0[5]
        if shstrndx == _SHN_XINDEX:
            shstrndx = h0[6]
        if phnum == _PN_XNUM:
            phnum = h0[7]
    if shnum > MAX_SECTIONS or phnum > MAX_SECTIONS:
        raise ExeFormatError(f"ELF claims {shnum} sections and {phnum} program headers")

    headers: list[tuple[int, ...]] = []
    if shoff and shnum:
        if shentsize < sh_size:
            raise ExeFormatError("ELF section header entries are too small")
        table = read_at(stream, shoff, shnum * shentsize, file_size)
        for i in range(shnum):
            f = struct.unpack_from(sh_fmt, table, i * shentsize)
            headers.append(f[:8])
    names = b""
    if headers and shstrndx < len(headers):
        st = headers[shstrndx]
        if st[1] != _SHT_NOBITS:
            names = read_at(stream, st[4], min(st[5], MAX_SHSTRTAB), file_size)
    sections: list[Region] = []
    for name_off, sh_type, flags, addr, offset, size, _link, _info in headers:
        end = names.find(b"\0", name_off) if name_off < len(names) else -1
        name = names[name_off:end].decode("latin-1") if end >= 0 else ""
        in_file = 0 if sh_type == _SHT_NOBITS else size
        sections.append(
            Region(
                name=name,
                addr=addr,
                file_size=_clip(offset, in_file, file_size),
                declared_size=in_file,
                offset=offset,
                writable=bool(flags & _SHF_WRITE),
                executable=bool(flags & _SHF_EXECINSTR),
            )
        )

    segments: list[Region] = []
    if phoff and phnum:
        if phentsize < ph_size:
            raise ExeFormatError("ELF program header entries are too small")
        table = read_at(stream, phoff, phnum * phentsize, file_size)
        for i in range(phnum):
            f = struct.unpack_from(ph_fmt, table, i * phentsize)
            if is64:
                p_type, p_flags, p_offset, p_vaddr, _paddr, p_filesz, p_memsz, _align = f
            else:
                p_type, p_offset, p_vaddr, _paddr, p_filesz, p_memsz, p_flags, _align = f
            if p_type != _PT_LOAD:
                continue
            segments.append(
                Region(
                    name="PT_LOAD",
                    addr=p_vaddr,
                    file_size=_clip(p_offset, min(p_filesz, p_memsz), file_size),
                    declared_size=min(p_filesz, p_memsz),
                    offset=p_offset,
                    writable=bool(p_flags & _PF_W),
                    executable=bool(p_flags & _PF_X),
                )
            )
    return Executable(
        format="elf",
        ptr_size=8 if is64 else 4,
        big_endian=bo == ">",
        sections=tuple(sections),
        segments=tuple(segments),
        machine=str(machine),
    )


@dataclass(frozen=True)
class _ElfTable:
    """Where an ELF file's section header table lies and how to read its entries."""

    shoff: int
    shentsize: int
    shnum: int
    shstrndx: int
    sh_fmt: str

    @property
    def end(self) -> int:
        return self.shoff + self.shnum * self.shentsize


def _elf_table(head: bytes) -> _ElfTable | None:
    """The section header table of an ELF file from its first 64 bytes, or None (not ELF,
    no table, extended numbering, anything odd)."""
    if len(head) < 64 or head[:4] != ELF_MAGIC or head[4] not in (1, 2) or head[5] not in (1, 2):
        return None
    bo = "<" if head[5] == 1 else ">"
    if head[4] == 2:
        shoff = struct.unpack_from(bo + "Q", head, 0x28)[0]
        shentsize, shnum, shstrndx = struct.unpack_from(bo + "HHH", head, 0x3A)
        sh_fmt = bo + "IIQQQQ"
    else:
        shoff = struct.unpack_from(bo + "I", head, 0x20)[0]
        shentsize, shnum, shstrndx = struct.unpack_from(bo + "HHH", head, 0x2E)
        sh_fmt = bo + "IIIIII"
    if not shoff or shnum == 0 or shstrndx == 0 or shstrndx >= shnum or shstrndx == _SHN_XINDEX:
        return None
    if shentsize < struct.calcsize(sh_fmt):
        return None
    return _ElfTable(shoff, shentsize, shnum, shstrndx, sh_fmt)


def _shstrtab_range(table: _ElfTable, entry: bytes) -> tuple[int, int] | None:
    """(offset, size) of the section-name table from its section header entry."""
    try:
        fields = struct.unpack_from(table.sh_fmt, entry)
    except struct.error:
        return None
    offset, size = fields[4], fields[5]
    if fields[1] == _SHT_NOBITS or size > MAX_SHSTRTAB:
        return None
    return offset, size


def elf_section_names(data: bytes) -> bytes | None:
    """The raw section-name table of an in-memory ELF file, or None when it cannot be had cheaply.

    Analyzers that look for one named section (``.go.buildinfo``, ``.dep-v0``) use it to turn
    away the thousands of ordinary shared libraries and executables of an image after reading
    two headers, instead of parsing every section header in Python or searching every byte.
    None (not ELF, stripped or extended section numbering, anything odd) means: no shortcut,
    do the full parse.
    """
    table = _elf_table(data[:64])
    if table is None:
        return None
    at = table.shoff + table.shstrndx * table.shentsize
    found = _shstrtab_range(table, data[at : at + table.shentsize])
    if found is None or found[0] + found[1] > len(data):
        return None
    return data[found[0] : found[0] + found[1]]


ELF_WINDOW = 64 << 10  # bytes kept before the section header table, where linkers put the name table


def elf_names_reachable(head: bytes, size: int) -> bool:
    """Whether ``elf_section_names_forward`` can be tried on a file of ``size`` bytes that starts
    with ``head`` (its first 64 bytes): an ELF file with a section header table inside it."""
    table = _elf_table(head)
    return table is not None and table.shoff >= 64 and table.end <= size


def elf_section_names_forward(head: bytes, read: Callable[[int], bytes], skip: Callable[[int], None],
                              size: int) -> bytes | None:
    """The section-name table of an ELF file read once, front to back, keeping a few KiB.

    For files too large to hold in memory. ``head``: the file's first 64 bytes, already
    consumed; ``read(n)`` / ``skip(n)``: the next n bytes of the file, returned or passed over.
    The header says where the section header table is; the name table's own entry in it says
    where the names are. GNU ld writes the names just before the table at the end of the file
    (kept by a window of ``ELF_WINDOW`` bytes before the table); Go's linker writes the table
    near the start and the names later (read when reached). None: undecided (not ELF, or the
    names lay behind the point reached): the caller must not conclude anything.
    """
    table = _elf_table(head)
    if table is None or table.end > size:
        return None
    pos = len(head)
    start = max(pos, table.shoff - ELF_WINDOW)
    if start > table.shoff:
        return None
    skip(start - pos)
    kept = read(table.end - start)
    pos = table.end
    if len(kept) != table.end - start:
        return None
    at = table.shoff - start + table.shstrndx * table.shentsize
    found = _shstrtab_range(table, kept[at : at + table.shentsize])
    if found is None or found[0] + found[1] > size:
        return None
    offset, length = found
    if start <= offset and offset + length <= pos:
        return kept[offset - start : offset - start + length]
    if offset < pos:
        return None
    skip(offset - pos)
    names = read(length)
    return names if len(names) == length else None


def _clip(offset: int, size: int, file_size: int) -> int:
    """How much of [offset, offset+size) really lies inside the file."""
    if offset < 0 or offset >= file_size or size <= 0:
        return 0
    return min(size, file_size - offset)


# --- PE -------------------------------------------------------------------------------------

_IMAGE_SCN_CNT_CODE = 0x20
_IMAGE_SCN_CNT_INITIALIZED_DATA = 0x40
_IMAGE_SCN_MEM_EXECUTE = 0x20000000
_IMAGE_SCN_MEM_WRITE = 0x80000000


def _parse_pe(stream: BinaryIO, file_size: int) -> Executable | None:
    dos = read_at(stream, 0, 64, file_size)
    e_lfanew = struct.unpack_from("<I", dos, 0x3C)[0]
    if e_lfanew + 24 > file_size:
        return None  # an MZ stub without a PE header (DOS program or just text starting "MZ")
    sig = read_at(stream, e_lfanew, 4, file_size)
    if sig != b"PE\0\0":
        return None
    coff = read_at(stream, e_lfanew + 4, 20, file_size)
    machine, nsections, _ts, symtab_ptr, nsyms, opt_size, _chars = struct.unpack("<HHIIIHH", coff)
    opt_off = e_lfanew + 24
    opt = read_at(stream, opt_off, opt_size, file_size) if opt_size else b""
    image_base = 0
    ptr_size = 4
    if len(opt) >= 2:
        magic = struct.unpack_from("<H", opt, 0)[0]
        if magic == 0x20B and len(opt) >= 32:  # PE32+
            image_base = struct.unpack_from("<Q", opt, 24)[0]
            ptr_size = 8
        elif magic == 0x10B and len(opt) >= 32:  # PE32
            image_base = struct.unpack_from("<I", opt, 28)[0]
    table = read_at(stream, opt_off + opt_size, 40 * nsections, file_size)
    strtab_off = symtab_ptr + 18 * nsyms if symtab_ptr else 0
    regions: list[Region] = []
    for i in range(nsections):
        raw = table[40 * i : 40 * (i + 1)]
        name_b = raw[:8].rstrip(b"\0")
        vsize, vaddr, raw_size, raw_ptr = struct.unpack_from("<IIII", raw, 8)
        chars = struct.unpack_from("<I", raw, 36)[0]
        name = _pe_section_name(stream, name_b, strtab_off, file_size)
        size = min(vsize, raw_size) if vsize else raw_size
        regions.append(
            Region(
                name=name,
                addr=image_base + vaddr,
                file_size=_clip(raw_ptr, size, file_size),
                declared_size=size,
                offset=raw_ptr,
                writable=bool(chars & _IMAGE_SCN_MEM_WRITE),
                executable=bool(chars & (_IMAGE_SCN_MEM_EXECUTE | _IMAGE_SCN_CNT_CODE)),
                initialized_data=bool(chars & _IMAGE_SCN_CNT_INITIALIZED_DATA),
            )
        )
    return Executable(
        format="pe",
        ptr_size=ptr_size,
        big_endian=False,
        sections=tuple(regions),
        segments=tuple(regions),
        machine=f"{machine:#06x}",
    )


def _pe_section_name(stream: BinaryIO, raw: bytes, strtab_off: int, file_size: int) -> str:
    # Names longer than 8 bytes are "/<decimal offset>" into the COFF string table.
    if raw.startswith(b"/") and raw[1:].isdigit() and strtab_off:
        off = strtab_off + int(raw[1:])
        if off < file_size:
            stream.seek(off)
            return stream.read(256).split(b"\0", 1)[0].decode("latin-1")
    return raw.decode("latin-1")


# --- Mach-O ---------------------------------------------------------------------------------

_LC_SEGMENT = 0x1
_LC_SEGMENT_64 = 0x19
_VM_PROT_WRITE = 0x2
_VM_PROT_EXECUTE = 0x4


def _parse_macho(stream: BinaryIO, base: int, size: int, file_size: int) -> Executable:
    """One Mach-O image of ``size`` bytes at ``base`` (non-zero inside a universal binary)."""
    end = base + size
    if end > file_size:
        raise ExeFormatError("Mach-O slice extends past the end of the file")
    magic = read_at(stream, base, 4, file_size)
    bo, ptr_size = _MACHO_MAGICS[magic]
    hdr_size = 32 if ptr_size == 8 else 28
    hdr = read_at(stream, base, hdr_size, end)
    cputype, _sub, _ftype, ncmds, sizeofcmds, _flags = struct.unpack_from(bo + "iiIIII", hdr, 4)
    if ncmds > MAX_LOAD_COMMANDS or sizeofcmds > MAX_LOAD_COMMANDS_BYTES:
        raise ExeFormatError("Mach-O load commands exceed limits")
    cmds = read_at(stream, base + hdr_size, sizeofcmds, end)
    sections: list[Region] = []
    segments: list[Region] = []
    pos = 0
    for _ in range(ncmds):
        if pos + 8 > len(cmds):
            raise ExeFormatError("Mach-O load command runs past the command area")
        cmd, cmdsize = struct.unpack_from(bo + "II", cmds, pos)
        if cmdsize < 8 or pos + cmdsize > len(cmds):
            raise ExeFormatError("Mach-O load command has a bad size")
        body = cmds[pos : pos + cmdsize]
        if cmd in (_LC_SEGMENT, _LC_SEGMENT_64):
            is64 = cmd == _LC_SEGMENT_64
            seg_fmt = bo + ("16sQQQQiiII" if is64 else "16sIIIIiiII")
            sect_fmt = bo + ("16s16sQQIIIIIIII" if is64 else "16s16sIIIIIIIII")
            segname_b, vmaddr, _vmsize, fileoff, filesz, _maxprot, initprot, nsects, _f = (
                struct.unpack_from(seg_fmt, body, 8)
            )
            segname = segname_b.rstrip(b"\0").decode("latin-1")
            segments.append(
                Region(
                    name=segname,
                    addr=vmaddr,
                    file_size=_clip(base + fileoff, filesz, end),
                    declared_size=filesz,
                    offset=base + fileoff,
                    writable=bool(initprot & _VM_PROT_WRITE),
                    executable=bool(initprot & _VM_PROT_EXECUTE),
                    segment=segname,
                )
            )
            sect_size = struct.calcsize(sect_fmt)
            off = 8 + struct.calcsize(seg_fmt)
            if off + nsects * sect_size > cmdsize:
                raise ExeFormatError("Mach-O segment lists more sections than it holds")
            for j in range(nsects):
                fields = struct.unpack_from(sect_fmt, body, off + j * sect_size)
                sname = fields[0].rstrip(b"\0").decode("latin-1")
                ssegname = fields[1].rstrip(b"\0").decode("latin-1")
                saddr, ssize, soff = fields[2], fields[3], fields[4]
                stype = fields[7] & 0xFF
                # S_ZEROFILL, S_GB_ZEROFILL, S_THREAD_LOCAL_ZEROFILL: no bytes in the file
                zerofill = stype in (0x1, 0xC, 0x12)
                sections.append(
                    Region(
                        name=sname,
                        addr=saddr,
                        file_size=0 if zerofill else _clip(base + soff, ssize, end),
                        declared_size=0 if zerofill else ssize,
                        offset=base + soff,
                        writable=bool(initprot & _VM_PROT_WRITE),
                        segment=ssegname,
                    )
                )
        pos += cmdsize
    return Executable(
        format="macho",
        ptr_size=ptr_size,
        big_endian=bo == ">",
        sections=tuple(sections),
        segments=tuple(segments),
        machine=str(cputype),
    )


def _parse_fat(stream: BinaryIO, file_size: int) -> list[Executable]:
    head = read_at(stream, 0, 8, file_size)
    is64 = head[:4] == _FAT_MAGIC_64
    nfat = struct.unpack(">I", head[4:8])[0]
    entry = 32 if is64 else 20
    table = read_at(stream, 8, nfat * entry, file_size)
    out: list[Executable] = []
    for i in range(nfat):
        if is64:
            _cpu, _sub, offset, size, _align, _res = struct.unpack_from(">iiQQII", table, i * entry)
        else:
            _cpu, _sub, offset, size, _align = struct.unpack_from(">iiIII", table, i * entry)
        magic = read_at(stream, offset, 4, file_size)
        if magic not in _MACHO_MAGICS:
            raise ExeFormatError("universal binary slice is not Mach-O")
        out.append(_parse_macho(stream, offset, size, file_size))
    return out


# --- which files are worth opening -------------------------------------------------------------

_LIB_SUFFIXES = (".so", ".dll", ".exe", ".dylib")
MIN_BINARY_SIZE = 64
# Beyond this a file is not an executable anyone ships in an image (and would only cost time).
MAX_BINARY_SIZE = 4 << 30


# The selector's superset of ``wants_binary`` (see ``catalog.select``).
BINARY_INTEREST = Interest(suffixes=_LIB_SUFFIXES, contains=(".so.",), mode_bits=0o111)


def wants_binary(path: str, size: int, mode: int) -> bool:
    """Executable regular files and shared libraries by name; the magic is checked later."""
    if not MIN_BINARY_SIZE <= size <= MAX_BINARY_SIZE:
        return False
    if mode & 0o111:
        return True
    base = path.rsplit("/", 1)[-1].lower()
    return base.endswith(_LIB_SUFFIXES) or ".so." in base


def stream_size(stream: BinaryIO) -> int:
    """The real size of a seekable stream (a declared size may lie)."""
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size
