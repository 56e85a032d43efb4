"""Go binaries: real builds (ELF, PE, Mach-O, big-endian ELF) checked against ``go version -m``,
the pre-1.18 pointer layout built with a C compiler, and hostile variants."""

from __future__ import annotations

import dataclasses
import io
import shutil
import struct
import subprocess
import time
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hullcheck.catalog.exeformat import parse_executable
from hullcheck.catalog.gobinary import SKIP_MATCH, GoBinaryAnalyzer, packages_from_build_info
from hullcheck.catalog.gobuildinfo import go_toolchain_semver, parse_modinfo, read_build_info
from hullcheck.catalog.interface import Artifact, FileInput
from hullcheck.model import PackageType
from tests.catalog.gobuild import LDFLAGS, TARGETS, GoBuilds, Oracle, go_builds
from tests.conftest import need

ANALYZER = GoBinaryAnalyzer()

# cmd/go frames the module text with these 16-byte sentinels (modload infoStart / infoEnd).
INFO_START = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
INFO_END = bytes.fromhex("f932433186182072008242104116d8f2")


def file_input(path: str, data: bytes, mode: int = 0o755) -> FileInput:
    return FileInput(path=path, size=len(data), mode=mode, opener=lambda: io.BytesIO(data))


def analyze_file(p: Path) -> Artifact | None:
    return ANALYZER.analyze(
        FileInput(path=str(p), size=p.stat().st_size, mode=0o755, opener=lambda: p.open("rb"))
    )


@pytest.fixture(scope="session")
def builds() -> GoBuilds:
    need(shutil.which("go"), "the go toolchain (Debian golang-go)")
    return go_builds()


@pytest.fixture(scope="session")
def cc() -> str:
    path = shutil.which("gcc") or shutil.which("cc")
    need(path, "a C compiler (gcc)")
    assert path
    return path


def expected_from_oracle(o: Oracle) -> dict[str, dict[str, object]]:
    """name -> facts the analyzer must report, derived from ``go version -m`` alone."""
    exp: dict[str, dict[str, object]] = {
        "stdlib": {
            "version": o.go_version.removeprefix("go"),
            "purl": f"pkg:golang/stdlib@{o.go_version.removeprefix('go')}",
        }
    }
    assert o.main is not None
    exp[o.main[0]] = {"version": "(devel)", "purl": f"pkg:golang/{o.main[0]}", "skip": True}
    for d in o.deps:
        rp = d.get("replace_path")
        if rp is None:
            exp[d["path"]] = {
                "version": d["version"],
                "sum": d["sum"],
                "purl": f"pkg:golang/{d['path']}@{d['version']}",
            }
        elif rp.startswith("."):
            exp[d["path"]] = {
                "version": "(devel)",
                "purl": f"pkg:golang/{d['path']}",
                "skip": True,
                "dir": rp,
                "replaces": {"path": d["path"], "version": d["version"]},
            }
        else:
            exp[rp] = {
                "version": d["replace_version"],
                "sum": d["replace_sum"],
                "purl": f"pkg:golang/{rp}@{d['replace_version']}",
                "replaces": {"path": d["path"], "version": d["version"]},
            }
    return exp


def oracle_setting(o: Oracle, key: str) -> str:
    for kv in o.build:
        k, _, v = kv.partition("=")
        if k == key:
            return v
    raise KeyError(key)


@pytest.mark.parametrize("target", list(TARGETS))
def test_real_binaries_match_go_version_m(builds: GoBuilds, target: str) -> None:
    binary = builds.binaries[target]
    oracle = builds.oracle(binary)
    art = analyze_file(binary)
    assert art is not None and art.unknown is None
    assert art.analyzer == "go-module-binary" and art.path == str(binary)
    got = {p.name: p for p in art.packages}
    expected = expected_from_oracle(oracle)
    assert set(got) == set(expected)
    # The fixture really exercises all three kinds of dependency line.
    assert any("dir" in e for e in expected.values())
    assert any("replaces" in e and "dir" not in e for e in expected.values())
    assert any(e.get("sum") and "replaces" not in e for e in expected.values())
    for name, exp in expected.items():
        p = got[name]
        assert p.type is PackageType.GO_MODULE
        assert p.ecosystem == "Go"
        assert p.found_by == "go-module-binary"
        assert [loc.path for loc in p.locations] == [str(binary)]
        assert p.version == exp["version"], name
        assert p.purl == exp["purl"], name
        assert (SKIP_MATCH in p.metadata) == bool(exp.get("skip")), name
        if "sum" in exp:
            assert p.metadata.get("sum") == exp["sum"], name
        if "dir" in exp:
            assert p.metadata["replaced_by_directory"] == exp["dir"]
        if "replaces" in exp:
            assert p.metadata["replaces"] == exp["replaces"]
        assert p.metadata["go_version"] == oracle.go_version
        assert p.metadata["goos"] == oracle_setting(oracle, "GOOS")
        assert p.metadata["goarch"] == oracle_setting(oracle, "GOARCH")
    main = got[oracle.main[0] if oracle.main else ""]
    assert main.metadata["main_module"] is True
    assert main.metadata["main_path"] == oracle.path


def test_container_formats_are_what_the_targets_say(builds: GoBuilds) -> None:
    # Guard the parametrised test above: each cross build really is the format we claim.
    facts = {}
    for name, path in builds.binaries.items():
        with path.open("rb") as f:
            exes = parse_executable(f, path.stat().st_size)
            assert len(exes) == 1
            info = read_build_info(f, exes[0], path.stat().st_size)
        assert info is not None and info.inline  # Go >= 1.18 layout
        facts[name] = (exes[0].format, exes[0].ptr_size, exes[0].big_endian, info.ptr_size)
    assert facts["linux-amd64"] == ("elf", 8, False, 8)
    assert facts["windows-386"] == ("pe", 4, False, 4)
    assert facts["darwin-arm64"] == ("macho", 8, False, 8)
    assert facts["linux-s390x"] == ("elf", 8, True, 8)


def test_quoted_build_settings_are_unquoted(builds: GoBuilds) -> None:
    binary = builds.binaries["linux-amd64-ldflags"]
    oracle = builds.oracle(binary)
    # go quotes a value with spaces; the analyzer must report the flag as it was given.
    assert oracle_setting(oracle, "-ldflags") == f'"{LDFLAGS}"'
    art = analyze_file(binary)
    assert art is not None
    main = next(p for p in art.packages if p.metadata.get("main_module"))
    assert main.metadata["build_settings"]["-ldflags"] == LDFLAGS
    assert "-trimpath" not in main.metadata["build_settings"]


def test_universal_macho_reports_each_module_once(builds: GoBuilds) -> None:
    thin = builds.binaries["darwin-arm64"].read_bytes()
    # A fat header with two slices (arm64 twice: the format does not care), 4 KiB aligned.
    pad = (-len(thin)) % 4096
    head = struct.pack(">II", 0xCAFEBABE, 2)
    head += struct.pack(">iiIII", 0x0100000C, 0, 4096, len(thin), 12)
    head += struct.pack(">iiIII", 0x0100000C, 0, 4096 + len(thin) + pad, len(thin), 12)
    fat = head.ljust(4096, b"\0") + thin + b"\0" * pad + thin
    art_fat = ANALYZER.analyze(file_input("/usr/local/bin/app", fat))
    art_thin = analyze_file(builds.binaries["darwin-arm64"])
    assert art_fat is not None and art_thin is not None and art_fat.unknown is None
    assert [(p.name, p.version) for p in art_fat.packages] == [
        (p.name, p.version) for p in art_thin.packages
    ]


# --- the pre-Go-1.18 layout: two pointers to string headers ----------------------------------

POINTER_LAYOUT_C = r"""
#include <stddef.h>
struct gostring { const void *p; size_t n; };
static const unsigned char vers[] = { %(vers)s };
static const unsigned char mod[] = { %(mod)s };
struct gostring go_build_version = { vers, sizeof vers };
struct gostring go_modinfo = { mod, sizeof mod };
struct buildinfo {
    unsigned char magic[14]; unsigned char ptr_size; unsigned char flags;
    const void *vers; const void *mod;
};
__attribute__((section(".go.buildinfo"), aligned(16), used))
struct buildinfo go_buildinfo = {
    { 0xff, ' ', 'G', 'o', ' ', 'b', 'u', 'i', 'l', 'd', 'i', 'n', 'f', ':' },
    sizeof(void *), 0, &go_build_version, &go_modinfo
};
int main(void) { return 0; }
"""

OLD_GO = "go1.16.15"


def _c_bytes(b: bytes) -> str:
    return ", ".join(str(x) for x in b)


@pytest.fixture(scope="session")
def pointer_layout(builds: GoBuilds, cc: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A non-PIE ELF whose .go.buildinfo uses the pointer layout, with the module text of a
    real build (taken from ``go version -m``) inside cmd/go's framing."""
    mod = module_text(builds, "linux-amd64")
    d = tmp_path_factory.mktemp("ptr")
    src = d / "ptr.c"
    src.write_text(POINTER_LAYOUT_C % {"vers": _c_bytes(OLD_GO.encode()), "mod": _c_bytes(mod)})
    binary = d / "ptr"
    subprocess.run([cc, "-no-pie", "-O0", "-o", str(binary), str(src)], check=True)
    return binary


def test_pointer_layout_gives_the_same_modules(builds: GoBuilds, pointer_layout: Path) -> None:
    with pointer_layout.open("rb") as f:
        exe = parse_executable(f, pointer_layout.stat().st_size)[0]
        info = read_build_info(f, exe, pointer_layout.stat().st_size)
    assert info is not None and not info.inline and info.ptr_size == 8
    assert info.go_version == OLD_GO
    old = analyze_file(pointer_layout)
    new = analyze_file(builds.binaries["linux-amd64"])
    assert old is not None and new is not None and old.unknown is None

    def ident(a: Artifact) -> set[tuple[str, str, str]]:
        return {(p.name, p.version, p.purl) for p in a.packages if p.name != "stdlib"}

    assert ident(old) == ident(new) and len(ident(old)) == 4
    stdlib = next(p for p in old.packages if p.name == "stdlib")
    assert stdlib.version == OLD_GO.removeprefix("go")
    assert stdlib.purl == f"pkg:golang/stdlib@{stdlib.version}"


def rewrite_as_pointer_layout(
    data: bytes, vaddr: int, offset: int, ptr_size: int, big_endian: bool, mod: bytes
) -> bytes:
    """Replace the inline build info at file ``offset`` (virtual address ``vaddr``) with the
    pointer layout: header, two string headers, then the string bytes, all addressed
    virtually. What follows the header region is overwritten (the binary no longer runs)."""
    order = "big" if big_endian else "little"

    def ptr(v: int) -> bytes:
        return v.to_bytes(ptr_size, order)

    vers = OLD_GO.encode()
    hdr_v, hdr_m = vaddr + 32, vaddr + 32 + 2 * ptr_size
    str_v = vaddr + 32 + 4 * ptr_size
    str_m = str_v + len(vers)
    blob = data[offset : offset + 14] + bytes([ptr_size, 1 if big_endian else 0])
    blob += ptr(hdr_v) + ptr(hdr_m)
    blob = blob.ljust(32, b"\0")
    blob += ptr(str_v) + ptr(len(vers)) + ptr(str_m) + ptr(len(mod)) + vers + mod
    out = bytearray(data)
    out[offset : offset + len(blob)] = blob
    return bytes(out)


def module_text(builds: GoBuilds, target: str) -> bytes:
    """cmd/go's framed module text, rebuilt from what ``go version -m`` prints."""
    out = subprocess.run(
        ["go", "version", "-m", str(builds.binaries[target])],
        env=builds.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    text = "".join(line[1:] + "\n" for line in out.split("\n")[1:] if line.startswith("\t"))
    return INFO_START + text.encode() + INFO_END


def test_pointer_layout_big_endian_and_32_bit(builds: GoBuilds) -> None:
    need(shutil.which("objdump"), "objdump (binutils)")
    cases = []
    # Big-endian 64-bit ELF: the .go.buildinfo section, located with pyelftools.
    data = builds.binaries["linux-s390x"].read_bytes()
    sec = ELFFile(io.BytesIO(data)).get_section_by_name(".go.buildinfo")
    cases.append(("linux-s390x", data, sec["sh_addr"], sec["sh_offset"], 8, True))
    # 32-bit PE: Go puts the header at the start of .data, located with objdump.
    exe = builds.binaries["windows-386"]
    dump = subprocess.run(["objdump", "-h", str(exe)], capture_output=True, text=True).stdout
    cols = next(line.split() for line in dump.splitlines() if line.split()[1:2] == [".data"])
    data = exe.read_bytes()
    cases.append(("windows-386", data, int(cols[3], 16), int(cols[5], 16), 4, False))
    for target, data, vaddr, offset, ptr_size, big in cases:
        assert data[offset : offset + 14] == b"\xff Go buildinf:"
        mod = module_text(builds, target)
        rewritten = rewrite_as_pointer_layout(data, vaddr, offset, ptr_size, big, mod)
        with io.BytesIO(rewritten) as f:
            [exe_info] = parse_executable(f, len(rewritten))
            info = read_build_info(f, exe_info, len(rewritten))
        assert info is not None and not info.inline, target
        assert (info.ptr_size, info.big_endian, info.go_version) == (ptr_size, big, OLD_GO)
        old = ANALYZER.analyze(file_input("/app", rewritten))
        new = analyze_file(builds.binaries[target])
        assert old is not None and new is not None and old.unknown is None
        assert {(p.name, p.version) for p in old.packages if p.name != "stdlib"} == {
            (p.name, p.version) for p in new.packages if p.name != "stdlib"
        }


def _buildinfo_offset(data: bytes) -> int:
    sec = ELFFile(io.BytesIO(data)).get_section_by_name(".go.buildinfo")
    assert sec is not None
    return int(sec["sh_offset"])


@pytest.mark.parametrize("pointer_bytes", [b"\xef\xbe\xad\xde" * 4, b"\xff" * 16, b"\x00" * 16])
def test_garbage_pointers_are_unknown(pointer_layout: Path, pointer_bytes: bytes) -> None:
    data = bytearray(pointer_layout.read_bytes())
    off = _buildinfo_offset(bytes(data))
    data[off + 16 : off + 32] = pointer_bytes
    art = ANALYZER.analyze(file_input("/usr/bin/ptr", bytes(data)))
    assert art is not None and not art.packages
    assert art.unknown and "build info" in art.unknown


def test_string_header_with_huge_length_is_unknown(pointer_layout: Path) -> None:
    data = bytearray(pointer_layout.read_bytes())
    off = _buildinfo_offset(bytes(data))
    mod_ptr = int.from_bytes(data[off + 24 : off + 32], "little")
    # Find the file offset of the modinfo string header through the program headers.
    elf = ELFFile(io.BytesIO(bytes(data)))
    for seg in elf.iter_segments():
        lo = seg["p_vaddr"]
        if seg["p_type"] == "PT_LOAD" and lo <= mod_ptr < lo + seg["p_filesz"]:
            hdr = seg["p_offset"] + mod_ptr - lo
            break
    else:
        raise AssertionError("modinfo header not mapped")
    data[hdr + 8 : hdr + 16] = (1 << 40).to_bytes(8, "little")
    art = ANALYZER.analyze(file_input("/usr/bin/ptr", bytes(data)))
    assert art is not None and not art.packages
    assert art.unknown and "exceeds the limit" in art.unknown


# --- hostile and non-Go input ------------------------------------------------------------------


def test_non_go_binaries_and_scripts_are_ignored(cc: str, tmp_path: Path) -> None:
    src = tmp_path / "hello.c"
    src.write_text("int main(void) { return 0; }\n")
    c_binary = tmp_path / "hello"
    subprocess.run([cc, "-o", str(c_binary), str(src)], check=True)
    assert analyze_file(c_binary) is None
    assert ANALYZER.analyze(file_input("/usr/bin/script", b"#!/bin/sh\necho hi\n" * 10)) is None
    # "MZ" at the start of a text file is not a PE without the PE header it points to.
    assert ANALYZER.analyze(file_input("/x.exe", b"MZ is a text file" + b" " * 100)) is None


def test_truncated_and_garbage_elf_are_unknown(builds: GoBuilds) -> None:
    data = builds.binaries["linux-amd64"].read_bytes()
    # Cut in the headers, in the middle, and inside the build info strings themselves.
    for cut in (100, 4096, len(data) // 2, _buildinfo_offset(data) + 40):
        art = ANALYZER.analyze(file_input("/usr/bin/app", data[:cut]))
        assert art is not None, cut
        assert art.unknown and not art.packages, cut
    garbage = b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 40
    art = ANALYZER.analyze(file_input("/usr/bin/junk", garbage))
    assert art is not None and art.unknown


def test_inline_layout_with_huge_length_is_unknown(builds: GoBuilds) -> None:
    data = bytearray(builds.binaries["linux-amd64"].read_bytes())
    off = _buildinfo_offset(bytes(data))
    assert data[off + 15] & 2  # inline layout
    data[off + 32 : off + 37] = b"\xff\xff\xff\xff\x0f"  # uvarint 2**32 - 1
    art = ANALYZER.analyze(file_input("/usr/bin/app", bytes(data)))
    assert art is not None and not art.packages
    assert art.unknown and "exceeds the limit" in art.unknown


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    where=st.sampled_from(["elf-header", "buildinfo", "section-headers"]),
    pos=st.integers(0, 63),
    patch=st.binary(min_size=1, max_size=8),
)
def test_fuzzed_headers_never_raise(builds: GoBuilds, where: str, pos: int, patch: bytes) -> None:
    data = bytearray(_cached_linux_binary(builds))
    base = {
        "elf-header": 0,
        "buildinfo": _buildinfo_offset(bytes(data)),
        "section-headers": int.from_bytes(data[0x28:0x30], "little"),
    }[where]
    data[base + pos : base + pos + len(patch)] = patch
    start = time.monotonic()
    art = ANALYZER.analyze(file_input("/usr/bin/app", bytes(data)))
    assert time.monotonic() - start < 5
    assert art is None or isinstance(art, Artifact)
    if art is not None and art.packages:
        assert {"stdlib"} <= {p.name for p in art.packages}


_BINARY_CACHE: dict[str, bytes] = {}


def _cached_linux_binary(builds: GoBuilds) -> bytes:
    if "b" not in _BINARY_CACHE:
        _BINARY_CACHE["b"] = builds.binaries["linux-amd64"].read_bytes()
    return _BINARY_CACHE["b"]


# --- selection and the module text --------------------------------------------------------------


def test_wants_executables_and_libraries_only() -> None:
    a = GoBinaryAnalyzer()
    assert a.wants("/usr/local/bin/app", 2_000_000, 0o100755)
    assert a.wants("/usr/lib/libx.so.1", 50_000, 0o100644)
    assert a.wants("/app/plugin.so", 50_000, 0o644)
    assert a.wants("/app/tool.exe", 50_000, 0o644)
    assert not a.wants("/etc/passwd", 2_000, 0o644)
    assert not a.wants("/usr/bin/tiny", 10, 0o755)


def test_parse_modinfo_replacements_quotes_and_bad_lines() -> None:
    text = (
        "path\texample.com/cmd/x\n"
        "mod\texample.com\tv1.0.0\th1:abc=\n"
        "=>\texample.org/fork\tv1.0.1\th1:def=\n"
        "dep\tgolang.org/x/text\tv0.3.7\th1:ghi=\n"
        'build\t"weird key"="a b\\tc"\n'
        "build\tvcs.revision=0123abcd\n"
        "dep\tonly-one-column\n"
        "nonsense line\n"
    )
    info = parse_modinfo(text)
    assert info.path == "example.com/cmd/x"
    assert info.main is not None and info.main.replace is not None
    assert info.main.replace.path == "example.org/fork"
    assert [d.path for d in info.deps] == ["golang.org/x/text"]
    assert info.setting_map == {"weird key": "a b\tc", "vcs.revision": "0123abcd"}
    assert len(info.errors) == 2


@pytest.mark.parametrize(
    ("go", "semver"),
    [
        ("go1.21.5", "1.21.5"),
        ("go1.21", "1.21.0"),
        ("go1.9", "1.9.0"),
        ("go1.21rc2", "1.21.0-rc.2"),
        ("go1.20beta1", "1.20.0-beta.1"),
        ("go1.22.0 X:nocoverageredesign", "1.22.0"),
        ("devel go1.22-abcdef Tue", None),
        ("", None),
    ],
)
def test_toolchain_versions(go: str, semver: str | None) -> None:
    assert go_toolchain_semver(go) == semver


def test_stamped_main_module_and_development_toolchain() -> None:
    # Go 1.24 stamps the main module with its VCS version; a toolchain built from source
    # calls itself "devel ...". Neither can be produced by the Go 1.19 used in the tests.
    text = (
        "path\texample.com/tool/cmd/tool\n"
        "mod\texample.com/tool\tv1.2.3\th1:abc=\n"
        "dep\tgolang.org/x/net\tv0.0.0-20220722155237-a158d28d115b\th1:def=\n"
        "build\tvcs.revision=0123abcd\n"
    )
    info = dataclasses.replace(parse_modinfo(text), go_version="devel go1.24-abcdef")
    pkgs = {p.name: p for p in packages_from_build_info(info, "/usr/bin/tool")}
    main = pkgs["example.com/tool"]
    assert main.version == "v1.2.3" and SKIP_MATCH not in main.metadata
    assert main.purl == "pkg:golang/example.com/tool@v1.2.3"
    assert main.metadata["build_settings"] == {"vcs.revision": "0123abcd"}
    net = pkgs["golang.org/x/net"]
    assert net.version == "v0.0.0-20220722155237-a158d28d115b"
    assert net.purl == "pkg:golang/golang.org/x/net@v0.0.0-20220722155237-a158d28d115b"
    stdlib = pkgs["stdlib"]
    assert SKIP_MATCH in stdlib.metadata and stdlib.purl == "pkg:golang/stdlib"


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(
        st.tuples(
            st.sampled_from(["path", "mod", "dep", "=>", "build", "go", "x", ""]),
            st.text(alphabet='ab\t="\\.vx0', max_size=30),
        ),
        max_size=12,
    )
)
@example(text=[("build", 'k="\\x"')])  # a \x escape without its two hex digits once raised ValueError
def test_parse_modinfo_accepts_any_text(text: list[tuple[str, str]]) -> None:
    info = parse_modinfo("\n".join(f"{w}\t{rest}" for w, rest in text))
    pkgs = packages_from_build_info(dataclasses.replace(info, go_version="go1.21.0"), "/b")
    assert pkgs[0].name == "stdlib" and pkgs[0].version == "1.21.0"
    assert len(pkgs) == 1 + (info.main is not None) + len(info.deps)
