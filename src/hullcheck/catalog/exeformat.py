"""Just enough of ELF, PE and Mach-O to find sections and map virtual addresses to file offsets.

The Go and Rust binary analyzers need the same three things from an executable: its named
sections, which parts of the file are mapped at which address (to follow pointers), and the
pointer size and byte order. ``parse_executable`` gives exactly that, reading only headers
through a seekable stream; section contents are read on demand with ``read`` (bounded), never
the whole binary.

ELF goes through pyelftools. PE and Mach-O are parsed here by hand: only the fixed-size headers
and the section/segment tables are needed, the libraries that exist for them (pefile, macholib)
load far more than that (pefile maps the whole file) and are not dependencies of hullcheck.
Every failure of a malformed file is an ``ExeFormatError``; nothing else escapes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from elftools.elf.elffile import ELFFile

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
    except Exception as e:  # pyelftools raises its own (and construct's) error types
        raise ExeFormatError(f"malformed {kind} headers: {type(e).__name__}: {e}"[:200]) from e
    return []


# --- ELF ------------------------------------------------------------------------------------

_SHT_NOBITS = 8
_SHF_WRITE = 0x1
_SHF_EXECINSTR = 0x4
_PF_X = 0x1
_PF_W = 0x2


def _parse_elf(stream: BinaryIO, file_size: int) -> Executable:
    elf = ELFFile(stream)
    nsec = elf.num_sections()
    if nsec > MAX_SECTIONS:
        raise ExeFormatError(f"ELF claims {nsec} sections")
    if elf.num_segments() > MAX_SECTIONS:
        raise ExeFormatError("ELF claims too many program headers")
    sections: list[Region] = []
    for sec in elf.iter_sections():
        h = sec.header
        in_file = 0 if h["sh_type"] == "SHT_NOBITS" or h["sh_type"] == _SHT_NOBITS else h["sh_size"]
        sections.append(
            Region(
                name=sec.name,
                addr=h["sh_addr"],
                file_size=_clip(h["sh_offset"], in_file, file_size),
                offset=h["sh_offset"],
                writable=bool(h["sh_flags"] & _SHF_WRITE),
                executable=bool(h["sh_flags"] & _SHF_EXECINSTR),
            )
        )
    segments: list[Region] = []
    for seg in elf.iter_segments():
        h = seg.header
        if h["p_type"] != "PT_LOAD":
            continue
        segments.append(
            Region(
                name="PT_LOAD",
                addr=h["p_vaddr"],
                file_size=_clip(h["p_offset"], min(h["p_filesz"], h["p_memsz"]), file_size),
                offset=h["p_offset"],
                writable=bool(h["p_flags"] & _PF_W),
                executable=bool(h["p_flags"] & _PF_X),
            )
        )
    return Executable(
        format="elf",
        ptr_size=8 if elf.elfclass == 64 else 4,
        big_endian=not elf.little_endian,
        sections=tuple(sections),
        segments=tuple(segments),
        machine=str(elf.header["e_machine"]),
    )


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
