"""Every analyzer of the default registry on mutated real files and on noise.

Seeds are real files from the shared fixtures (the peers' test data) where they exist, and small
archives/binaries built here for the zip- and ELF-based analyzers. Each example mutates one seed
(bytes, lines, or JSON nodes) or replaces it with noise. Contract (catalog/interface.py): an
analyzer never raises for bad content and returns an ``Artifact`` (possibly an "unknown") or
None, in bounded time.
"""

from __future__ import annotations

import io
import json
import shutil
import stat
import subprocess
import tempfile
import zipfile
import zlib
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hullcheck.catalog.interface import Analyzer, Artifact, FileInput
from hullcheck.catalog.registry import default_analyzers
from hullcheck.model import Package
from tests.catalog._osdb_helpers import txtar
from tests.conftest import data_root, need
from tests.fuzz._util import CUT, EDITS, json_mutations, mutate_bytes, within
from tests.fuzz.conftest import fuzz

ANALYZERS: dict[str, Analyzer] = {a.id: a for a in default_analyzers()}
FIX = "package-db-fixtures"
SYFT, TRIVY = "syft/syft/pkg/cataloger", "trivy/pkg/fanal/analyzer"

# analyzer id -> (path in the image, fixture files under package-db-fixtures)
FIXTURE_SEEDS: dict[str, tuple[str, list[str]]] = {
    "os-release": ("/etc/os-release", [f"{SYFT}/debian/testdata/image-dpkg/etc/os-release"]),
    "dpkg-db": ("/var/lib/dpkg/status", [f"{TRIVY}/pkg/dpkg/testdata/valid.txtar"]),
    "apk-db": ("/lib/apk/db/installed", [f"{TRIVY}/pkg/apk/testdata/apk"]),
    "python-dist-info": ("/usr/lib/python3/site-packages/x-1.0.dist-info/METADATA", [
        f"{SYFT}/python/testdata/site-packages/partial.dist-info/METADATA",
        f"{SYFT}/python/testdata/site-packages/nested/egg-name/egg-info/PKG-INFO"]),
    "python-record": ("/usr/lib/python3/site-packages/x-1.0.dist-info/RECORD", [
        f"{SYFT}/python/testdata/site-packages/license/with-license-file-declared.dist-info/RECORD"]),
    "npm-package-json": ("/app/node_modules/x/package.json", [f"{SYFT}/javascript/testdata/pkg-json/package.json"]),
    "npm-lock": ("/app/package-lock.json", [f"{SYFT}/javascript/testdata/pkg-lock/package-lock.json"]),
    "yarn-lock": ("/app/yarn.lock", [f"{SYFT}/javascript/testdata/yarn/yarn.lock"]),
    "pnpm-lock": ("/app/pnpm-lock.yaml", [f"{SYFT}/javascript/testdata/pnpm/pnpm-lock.yaml"]),
    "gemspec": ("/usr/lib/ruby/gems/3.1.0/specifications/x-1.0.gemspec", [
        f"{SYFT}/ruby/testdata/bundler.gemspec", f"{SYFT}/ruby/testdata/formatador.gemspec"]),
    "composer-installed": ("/app/vendor/composer/installed.json", [
        f"{SYFT}/php/testdata/vendor/composer_2/installed.json"]),
    "composer-lock": ("/app/composer.lock", [f"{SYFT}/php/testdata/composer.lock"]),
    "dotnet-deps": ("/app/x.deps.json", [f"{TRIVY}/language/dotnet/deps/testdata/datacollector.deps.json"]),
    "cargo-lock": ("/src/Cargo.lock", [f"{SYFT}/rust/testdata/Cargo.lock"]),
}
BINARY_ANALYZERS = {"go-module-binary", "rust-cargo-auditable"}


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _built_seeds() -> dict[str, tuple[str, list[bytes]]]:
    pom = b"groupId=org.example\nartifactId=lib\nversion=1.2.3\n"
    inner = _zip({"META-INF/maven/org.example/inner/pom.properties":
                  b"groupId=org.example\nartifactId=inner\nversion=2.0\n"})
    jar = _zip({"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\nImplementation-Title: lib\nImplementation-Version: 1.2.3\n\n",
                "META-INF/maven/org.example/lib/pom.properties": pom, "lib/inner.jar": inner})
    egg = _zip({"EGG-INFO/PKG-INFO": b"Metadata-Version: 1.1\nName: oldpkg\nVersion: 0.9\nLicense: MIT\n"})
    return {"java-archive": ("/opt/app/lib.jar", [jar]), "python-egg-zip": ("/usr/lib/python3/x-0.9-py3.egg", [egg])}


@cache
def _go_binary() -> bytes | None:
    """A real Go executable of the toolchain (golang-go is in .ci/run's apt packages)."""
    tools = sorted(Path("/usr/lib").glob("go*/pkg/tool/*/buildid"))
    return tools[0].read_bytes() if tools else None


@cache
def _rust_audit_binary() -> bytes | None:
    """A real ELF with a cargo-auditable ``.dep-v0`` section added by objcopy, as
    tests/catalog/test_rust_audit.py builds them (here with a small hand-written dependency list)."""
    objcopy, true = shutil.which("objcopy"), shutil.which("true")
    if not objcopy or not true:
        return None
    audit = {"packages": [
        {"name": "app", "version": "0.1.0", "source": "local", "root": True, "dependencies": [1]},
        {"name": "serde", "version": "1.0.190", "source": "crates.io"},
    ]}
    with tempfile.TemporaryDirectory() as t:
        sec, out = Path(t) / "dep", Path(t) / "bin"
        sec.write_bytes(zlib.compress(json.dumps(audit).encode()))
        subprocess.run([objcopy, "--add-section", f".dep-v0={sec}", true, str(out)], check=True, capture_output=True)
        return out.read_bytes()


@cache
def seeds() -> dict[str, tuple[str, tuple[bytes, ...]]]:
    root = data_root() / FIX
    out: dict[str, tuple[str, tuple[bytes, ...]]] = {}
    for aid, (path, rels) in FIXTURE_SEEDS.items():
        datas = []
        for rel in rels:
            p = root / rel
            if p.is_file():
                datas.append(txtar(p)["var/lib/dpkg/status"] if rel.endswith(".txtar") else p.read_bytes())
        out[aid] = (path, tuple(datas))
    for aid, (path, datas_) in _built_seeds().items():
        out[aid] = (path, tuple(datas_))
    go = _go_binary()
    out["go-module-binary"] = ("/usr/local/bin/tool", (go,) if go else ())
    rust = _rust_audit_binary()
    out["rust-cargo-auditable"] = ("/usr/local/bin/app", (rust,) if rust else ())
    # rpm: three database formats behind one analyzer
    for key, path, rel in (
        ("rpm-db", "/var/lib/rpm/Packages", "go-rpmdb/pkg/testdata/libuuid/Packages"),
        ("rpm-db:ndb", "/usr/lib/sysimage/rpm/Packages.db", "go-rpmdb/pkg/testdata/sle15-bci/Packages.db"),
        ("rpm-db:sqlite", "/var/lib/rpm/rpmdb.sqlite", "go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite"),
    ):
        p = root / rel
        out[key] = (path, (p.read_bytes(),) if p.is_file() else ())
    return out


def test_every_analyzer_has_a_harness() -> None:
    assert set(ANALYZERS) <= {k.split(":")[0] for k in FIXTURE_SEEDS} | set(_built_seeds()) | BINARY_ANALYZERS | {"rpm-db"}


def _input(path: str, data: bytes) -> FileInput:
    executable = path.startswith("/usr/local/bin/")  # where the binary seeds are placed
    mode = stat.S_IFREG | (0o755 if executable else 0o644)
    return FileInput(path=path, size=len(data), mode=mode, opener=lambda: io.BytesIO(data))


def check_artifact(analyzer: Analyzer, path: str, data: bytes) -> Artifact | None:
    art = within(20, lambda: analyzer.analyze(_input(path, data)))
    if art is None:
        return None
    assert isinstance(art, Artifact), art
    assert art.analyzer == analyzer.id and art.path == path
    assert art.unknown is None or (isinstance(art.unknown, str) and "\n" not in art.unknown), art.unknown
    for p in art.packages:
        assert isinstance(p, Package)
        assert isinstance(p.name, str) and isinstance(p.version, str) and isinstance(p.purl, str)
        assert all(isinstance(x, str) for x in p.licenses)
    return art


def _lines(data: bytes, ops: list[tuple[int, float, float, bytes]]) -> bytes:
    lines = data.split(b"\n")
    for op, a, b, junk in ops:
        if not lines:
            lines = [b""]
        i, j = int(a * len(lines)), int(b * len(lines))
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[j])
        elif op == 2:
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3:
            lines.insert(i, junk)
        else:
            lines[i] = lines[i][: len(lines[i]) // 2] + junk
    return b"\n".join(lines)


LINE_OPS = st.lists(
    st.tuples(st.integers(0, 4), st.floats(0, 1, exclude_max=True), st.floats(0, 1, exclude_max=True),
              st.sampled_from([b"", b":", b"Package:", b"Version: \xff\xfe", b" continuation", b"{", b"[[package]]",
                               b'"x@1":', b"  version: ", b"P:x", b"V:", b"\x00" * 3, b"a" * 5000])),
    max_size=8,
)

KEYS = sorted(k for k in [*FIXTURE_SEEDS, *_built_seeds(), *BINARY_ANALYZERS, "rpm-db:ndb", "rpm-db:sqlite"])
# Heavier inputs get fewer examples so that the bounded run stays bounded.
WEIGHT = {"go-module-binary": 0.3, "rust-cargo-auditable": 0.5, "rpm-db:sqlite": 0.3, "rpm-db": 0.5, "rpm-db:ndb": 0.5}


def _seed(key: str) -> tuple[Analyzer, str, tuple[bytes, ...]]:
    path, datas = seeds()[key]
    need(datas, f"no seed for {key} (shared fixtures, or objcopy / golang-go for the binaries)")
    return ANALYZERS[key.split(":")[0]], path, datas


def _harness(key: str) -> None:
    @fuzz(WEIGHT.get(key, 1.0))
    @given(pick=st.integers(0, 7), how=st.sampled_from(["bytes", "lines", "json", "noise"]),
           edits=EDITS, cut=CUT, line_ops=LINE_OPS, noise=st.binary(max_size=600), data=st.data())
    def run(pick: int, how: str, edits: list[tuple[float, bytes, int]], cut: float | None,
            line_ops: list[tuple[int, float, float, bytes]], noise: bytes, data: st.DataObject) -> None:
        analyzer, path, datas = _seed(key)
        seed = datas[pick % len(datas)]
        if how == "bytes" or (how in ("lines", "json") and len(seed) > 256 * 1024):
            mutated = mutate_bytes(seed, edits, cut)
        elif how == "lines":
            mutated = _lines(seed, line_ops)
        elif how == "json":
            try:
                doc = json.loads(seed)
            except ValueError:
                doc = None
            if doc is None or len(seed) > 64 * 1024:
                mutated = _lines(seed, line_ops)
            else:
                mutated = json.dumps(data.draw(json_mutations(doc))).encode()
        else:
            mutated = noise
        check_artifact(analyzer, path, mutated)

    run()


@pytest.mark.parametrize("key", KEYS)
def test_mutated_inputs(key: str) -> None:
    _harness(key)


@pytest.mark.parametrize("key", KEYS)
def test_seed_parses(key: str) -> None:
    """The unmutated seed gives packages (or a distro, or owned files): the harness mutates
    something real, and every listed fixture exists."""
    analyzer, path, datas = _seed(key)
    for seed in datas:
        art = check_artifact(analyzer, path, seed)
        assert art is not None and (art.packages or art.distro or art.owned), (key, art)
    if key in FIXTURE_SEEDS:
        assert len(datas) == len(FIXTURE_SEEDS[key][1]), "a listed fixture is missing"


@fuzz(2)
@given(path=st.text(max_size=60) | st.sampled_from([p for p, _ in FIXTURE_SEEDS.values()]),
       size=st.integers(-1, 2**40), mode=st.integers(0, 0o177777))
def test_wants_is_total(path: str, size: int, mode: int) -> None:
    for a in ANALYZERS.values():
        assert isinstance(a.wants(path, size, mode), bool)
