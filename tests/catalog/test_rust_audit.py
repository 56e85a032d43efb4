"""cargo-auditable data in real executables.

cargo-auditable itself cannot be installed here (no crates.io), so the tests do what it does: turn
a real Cargo.lock (syft's fixture with crates.io, git and local crates) into its JSON format,
zlib-compress it and put it in a ``.dep-v0`` section of a real compiled binary with objcopy.
"""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess
import time
import tomllib
import zlib
from pathlib import Path
from typing import Any

import pytest

from hullcheck.catalog.interface import Artifact, FileInput
from hullcheck.catalog.rust_audit import MAX_JSON, SKIP_MATCH, RustAuditAnalyzer
from hullcheck.model import PackageType
from tests.catalog.gobuild import go_builds
from tests.conftest import need

ANALYZER = RustAuditAnalyzer()
LOCK = "package-db-fixtures/syft/syft/pkg/cataloger/rust/testdata/Cargo.lock-with-git-deps"
CRATES_IO = (
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
)


def source_kind(source: str | None) -> str:
    """cargo-auditable's ``source`` for a Cargo.lock source string."""
    if source is None:
        return "local"
    if source in CRATES_IO:
        return "crates.io"
    if source.startswith("git+"):
        return "git"
    return "registry"


def audit_json_from_lock(lock: dict[str, Any], root: str) -> dict[str, Any]:
    """The VersionInfo cargo-auditable would embed for this lock file (packages sorted by name,
    version and source; dependencies as indices into that list)."""
    pkgs = sorted(
        lock["package"], key=lambda p: (p["name"], p["version"], source_kind(p.get("source")))
    )

    def resolve(dep: str) -> int:
        # "name", "name version" or "name version (source)", as Cargo.lock writes them.
        parts = dep.split(" ", 2)
        for i, p in enumerate(pkgs):
            if p["name"] != parts[0]:
                continue
            if len(parts) > 1 and p["version"] != parts[1]:
                continue
            # A git source in [[package]] carries "#<commit>", the reference does not.
            if len(parts) > 2 and p.get("source", "").split("#")[0] != parts[2].strip("()"):
                continue
            return i
        raise AssertionError(f"unresolved dependency {dep}")

    entries = []
    for p in pkgs:
        e: dict[str, Any] = {
            "name": p["name"],
            "version": p["version"],
            "source": source_kind(p.get("source")),
        }
        deps = sorted(resolve(d) for d in p.get("dependencies", []))
        if deps:
            e["dependencies"] = deps
        if p["name"] == root:
            e["root"] = True
        entries.append(e)
    return {"packages": entries}


@pytest.fixture(scope="session")
def lock(shared_data: Path) -> dict[str, Any]:
    return tomllib.loads((shared_data / LOCK).read_text())


@pytest.fixture(scope="session")
def tools() -> tuple[str, str]:
    cc = shutil.which("gcc") or shutil.which("cc")
    objcopy = shutil.which("objcopy")
    need(cc and objcopy, "gcc and objcopy (Debian gcc, binutils)")
    assert cc and objcopy
    return cc, objcopy


@pytest.fixture(scope="session")
def c_binary(tools: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("rust")
    (d / "main.c").write_text("int main(void) { return 0; }\n")
    out = d / "main"
    subprocess.run([tools[0], "-O0", "-o", str(out), str(d / "main.c")], check=True)
    return out


def with_section(objcopy: str, binary: Path, payload: bytes, out: Path) -> Path:
    blob = out.with_suffix(".blob")
    blob.write_bytes(payload)
    subprocess.run(
        [objcopy, f"--add-section=.dep-v0={blob}", str(binary), str(out)],
        check=True,
        capture_output=True,
    )
    return out


def analyze_path(p: Path) -> Artifact | None:
    return ANALYZER.analyze(
        FileInput(path=str(p), size=p.stat().st_size, mode=0o755, opener=lambda: p.open("rb"))
    )


def analyze_bytes(data: bytes, path: str = "/usr/bin/app") -> Artifact | None:
    return ANALYZER.analyze(
        FileInput(path=path, size=len(data), mode=0o755, opener=lambda: io.BytesIO(data))
    )


def check_against_lock(art: Artifact | None, doc: dict[str, Any], path: str) -> None:
    assert art is not None and art.unknown is None
    entries = doc["packages"]
    got = {(p.name, p.version, p.metadata["source"]): p for p in art.packages}
    assert set(got) == {(e["name"], e["version"], e["source"]) for e in entries}
    sources = {e["source"] for e in entries}
    assert {"crates.io", "git", "local"} <= sources  # the fixture covers every kind
    for e in entries:
        p = got[(e["name"], e["version"], e["source"])]
        assert p.type is PackageType.RUST_CRATE
        assert p.found_by == "rust-cargo-auditable"
        assert [loc.path for loc in p.locations] == [path]
        if e["source"] == "crates.io":
            assert p.ecosystem == "crates.io"
            assert p.purl == f"pkg:cargo/{e['name']}@{e['version']}"
            assert SKIP_MATCH not in p.metadata
        else:
            assert p.ecosystem == "" and p.purl == ""
            assert e["source"] in p.metadata[SKIP_MATCH]
        assert p.metadata.get("root", False) == e.get("root", False)
        deps = [f"{entries[i]['name']} {entries[i]['version']}" for i in e.get("dependencies", [])]
        assert p.metadata.get("dependencies", []) == deps


def test_elf_with_audit_data_from_a_real_lock_file(
    lock: dict[str, Any], tools: tuple[str, str], c_binary: Path, tmp_path: Path
) -> None:
    doc = audit_json_from_lock(lock, root="hello_world")
    binary = with_section(
        tools[1], c_binary, zlib.compress(json.dumps(doc).encode()), tmp_path / "app"
    )
    check_against_lock(analyze_path(binary), doc, str(binary))


def test_pe_with_audit_data(lock: dict[str, Any], tools: tuple[str, str], tmp_path: Path) -> None:
    need(shutil.which("go"), "the go toolchain, to build a PE to add the section to")
    doc = audit_json_from_lock(lock, root="hello_world")
    doc["format"] = 1
    exe = with_section(
        tools[1],
        go_builds().binaries["windows-386"],
        zlib.compress(json.dumps(doc).encode()),
        tmp_path / "app.exe",
    )
    assert exe.read_bytes()[:2] == b"MZ"
    art = analyze_path(exe)
    check_against_lock(art, doc, str(exe))
    assert art is not None and all(p.metadata["audit_format"] == 1 for p in art.packages)


def macho_with_section(thin: bytes, payload: bytes) -> bytes:
    """The Go darwin build with its ``__DATA,__noptrdata`` section renamed to ``.dep-v0`` and
    filled with ``payload`` (binutils cannot add sections to Mach-O files)."""
    data = bytearray(thin)
    at = data.find(b"__noptrdata\0\0\0\0\0__DATA\0")
    assert at > 0
    size = struct.unpack_from("<Q", data, at + 40)[0]
    offset = struct.unpack_from("<I", data, at + 48)[0]
    assert len(payload) <= size
    data[at : at + 16] = b".dep-v0".ljust(16, b"\0")
    struct.pack_into("<Q", data, at + 40, len(payload))
    data[offset : offset + len(payload)] = payload
    return bytes(data)


def test_macho_with_audit_data(lock: dict[str, Any]) -> None:
    need(shutil.which("go"), "the go toolchain, to build a Mach-O")
    doc = audit_json_from_lock(lock, root="hello_world")
    thin = go_builds().binaries["darwin-arm64"].read_bytes()
    data = macho_with_section(thin, zlib.compress(json.dumps(doc).encode()))
    check_against_lock(analyze_bytes(data, "/usr/local/bin/app"), doc, "/usr/local/bin/app")
    # The same section name in another segment is not audit data.
    other = data.replace(
        b".dep-v0".ljust(16, b"\0") + b"__DATA\0", b".dep-v0".ljust(16, b"\0") + b"__DATX\0", 1
    )
    assert analyze_bytes(other) is None


def test_kind_and_odd_fields(tools: tuple[str, str], c_binary: Path, tmp_path: Path) -> None:
    doc = {
        "packages": [
            {
                "name": "app",
                "version": "0.1.0",
                "source": "local",
                "root": True,
                "dependencies": [1, 7, -1, "x"],
            },
            {"name": "cc", "version": "1.0.83", "source": "crates.io", "kind": "build"},
            {"name": "mine", "version": "2.0.0", "source": "registry"},
            {"name": "hg", "version": "0.1.0", "source": {"Other": "Mercurial"}},
        ]
    }
    binary = with_section(
        tools[1], c_binary, zlib.compress(json.dumps(doc).encode()), tmp_path / "a"
    )
    art = analyze_path(binary)
    assert art is not None and art.unknown is None
    got = {p.name: p for p in art.packages}
    assert got["app"].metadata["dependencies"] == ["cc 1.0.83"]  # bad indices dropped
    assert got["cc"].metadata["kind"] == "build" and got["cc"].ecosystem == "crates.io"
    assert got["app"].metadata["kind"] == "runtime"
    assert got["mine"].ecosystem == "" and "registry" in got["mine"].metadata[SKIP_MATCH]
    assert got["hg"].metadata["source"] == "mercurial"


def test_binaries_without_audit_data_are_ignored(c_binary: Path) -> None:
    assert analyze_path(c_binary) is None
    assert analyze_bytes(b"#!/bin/sh\nexit 0\n" * 8) is None


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (zlib.compress(b"\0" * (MAX_JSON + 1)), "inflates beyond"),  # zlib bomb
        (b"this is not zlib", "not zlib"),
        (zlib.compress(b"{not json"), "invalid JSON"),
        (zlib.compress(b'{"packages": {"a": 1}}'), "no 'packages' list"),
        (zlib.compress(b'{"packages": [{"name": "x"}]}'), "without name or version"),
        (zlib.compress(b'{"packages": [1, 2]}'), "not an object"),
        (zlib.compress(b"[" * 100_000 + b"]" * 100_000), "invalid JSON"),
    ],
)
def test_bad_audit_data_is_unknown(
    tools: tuple[str, str], c_binary: Path, tmp_path: Path, payload: bytes, reason: str
) -> None:
    binary = with_section(tools[1], c_binary, payload, tmp_path / "bad")
    start = time.monotonic()
    art = analyze_path(binary)
    assert time.monotonic() - start < 5
    assert art is not None and not art.packages
    assert art.unknown and reason in art.unknown


def test_truncated_binary_is_unknown(
    lock: dict[str, Any], tools: tuple[str, str], c_binary: Path, tmp_path: Path
) -> None:
    doc = audit_json_from_lock(lock, root="hello_world")
    data = with_section(
        tools[1], c_binary, zlib.compress(json.dumps(doc).encode()), tmp_path / "t"
    ).read_bytes()
    for cut in (64, 1000, len(data) - 200):
        art = analyze_bytes(data[:cut])
        assert art is not None and art.unknown and not art.packages, cut


def test_wants() -> None:
    assert ANALYZER.wants("/usr/local/bin/rg", 5_000_000, 0o755)
    assert ANALYZER.wants("/usr/lib/libfoo.so", 5_000, 0o644)
    assert not ANALYZER.wants("/usr/share/doc/README", 5_000, 0o644)
