"""Go modules compiled into executables (ELF, PE, Mach-O), from their embedded build info.

One binary yields:
- ``stdlib`` at the toolchain version (``go1.21.5`` -> ``1.21.5``): the standard library is
  compiled in and has advisories of its own (go-vulndb names it ``stdlib``);
- the main module (``mod`` line); built from a checkout its version is ``(devel)``;
- every dependency (``dep`` lines), with ``=>`` replacements applied as Go tooling does: a module
  replaced by another module version is reported under the replacement's path and version; one
  replaced by a local directory keeps its own path with version ``(devel)``. The original
  requirement is kept in ``metadata["replaces"]``.

Packages that carry no version an advisory range can be evaluated against (``(devel)`` main
modules, local-directory replacements, development toolchains) get
``metadata["skip_match"]`` set to the reason; matchers skip them, SBOMs still list them.
Go versions stay as Go writes them (``v1.2.3``, pseudo-versions, ``+incompatible``).
"""

from __future__ import annotations

from typing import Any

from packageurl import PackageURL

from hullcheck.catalog.exeformat import (
    BINARY_INTEREST,
    ExeFormatError,
    elf_section_names,
    parse_executable,
    stream_size,
    wants_binary,
)
from hullcheck.catalog.gobuildinfo import (
    MAGIC,
    GoBuildInfo,
    GoBuildInfoError,
    GoModule,
    go_toolchain_semver,
    read_build_info,
)
from hullcheck.catalog.interface import Artifact, FileInput
from hullcheck.model import Location, Package, PackageType

ANALYZER_ID = "go-module-binary"
ECOSYSTEM = "Go"
DEVEL = "(devel)"
SKIP_MATCH = "skip_match"  # metadata key: why matching must not use this package

# Build settings worth keeping on the main module (the rest are compiler details).
_KEPT_SETTINGS = (
    "GOOS",
    "GOARCH",
    "GOAMD64",
    "GOARM",
    "CGO_ENABLED",
    "-ldflags",
    "-tags",
    "-trimpath",
    "-buildmode",
    "vcs",
    "vcs.revision",
    "vcs.time",
    "vcs.modified",
)


class GoBinaryAnalyzer:
    id = ANALYZER_ID
    interest = BINARY_INTEREST
    # build data cannot exist without these bytes (see walk.scan_tar: large files are searched,
    # not spooled)
    content_markers = (MAGIC,)
    # an ELF file with a section-name table holds build info only under this name
    section_names = (b".go.buildinfo",)
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        return wants_binary(path, size, mode)

    def analyze(self, f: FileInput) -> Artifact | None:
        if f.data is not None:
            names = elf_section_names(f.data)
            # With section headers, Go always emits .go.buildinfo; without them (or not ELF),
            # no header bytes anywhere means no build info either (a C-speed search).
            if (names is not None and b".go.buildinfo" not in names) or (names is None and MAGIC not in f.data):
                return None
        try:
            with f.open() as stream:
                size = stream_size(stream)
                infos = [
                    info
                    for exe in parse_executable(stream, size)
                    if (info := read_build_info(stream, exe, size)) is not None
                ]
        except (ExeFormatError, GoBuildInfoError) as e:
            return Artifact(self.id, f.path, unknown=f"Go build info: {e}"[:300])
        except Exception as e:  # the contract: bad content never raises
            reason = f"Go build info: {type(e).__name__}: {e}"
            return Artifact(self.id, f.path, unknown=reason[:300])
        if not infos:
            return None  # not a Go binary
        packages: list[Package] = []
        seen: set[tuple[str, str]] = set()
        problems: list[str] = []
        for info in infos:  # a universal Mach-O has one build info per architecture
            for p in packages_from_build_info(info, f.path):
                if (p.name, p.version) not in seen:
                    seen.add((p.name, p.version))
                    packages.append(p)
            if info.errors:
                problems.append(f"{len(info.errors)} build info line(s) did not parse")
        return Artifact(
            self.id, f.path, packages=tuple(packages), unknown="; ".join(problems) or None
        )


def packages_from_build_info(info: GoBuildInfo, path: str) -> list[Package]:
    """The packages one build info describes, in the order stdlib, main module, dependencies."""
    settings = info.setting_map
    common: dict[str, Any] = {"go_version": info.go_version}
    if info.path:
        common["main_path"] = info.path
    for key in ("GOOS", "GOARCH"):
        if key in settings:
            common[key.lower()] = settings[key]
    out = [_stdlib(info, path, common)]
    if info.main is not None:
        out.append(_main_module(info.main, path, common, settings))
    for dep in info.deps:
        out.append(_dependency(dep, path, common))
    return out


def _stdlib(info: GoBuildInfo, path: str, common: dict[str, Any]) -> Package:
    semver = go_toolchain_semver(info.go_version)
    meta = dict(common)
    if semver is None:
        meta[SKIP_MATCH] = f"not a released Go toolchain: {info.go_version!r}"
    version = semver or info.go_version.split(" ", 1)[0]
    return _package("stdlib", version, path, meta, purl_version=semver)


def _main_module(
    mod: GoModule, path: str, common: dict[str, Any], settings: dict[str, str]
) -> Package:
    meta = dict(common)
    meta["main_module"] = True
    for key in _KEPT_SETTINGS:
        if key in settings:
            meta.setdefault("build_settings", {})[key] = settings[key]
    effective = mod.replace if mod.replace is not None and mod.replace.version else mod
    if effective is not mod:
        meta["replaces"] = {"path": mod.path, "version": mod.version}
    version = effective.version
    if not version or version == DEVEL:
        meta[SKIP_MATCH] = "main module built from a source tree: version (devel)"
        return _package(mod.path, DEVEL, path, meta, purl_version=None)
    if effective.sum:
        meta["sum"] = effective.sum
    return _package(effective.path, version, path, meta, purl_version=version)


def _dependency(dep: GoModule, path: str, common: dict[str, Any]) -> Package:
    meta = dict(common)
    repl = dep.replace
    if repl is None:
        if dep.sum:
            meta["sum"] = dep.sum
        if not dep.version or dep.version == DEVEL:
            meta[SKIP_MATCH] = "dependency without a version"
            return _package(dep.path, dep.version or DEVEL, path, meta, purl_version=None)
        return _package(dep.path, dep.version, path, meta, purl_version=dep.version)
    meta["replaces"] = {"path": dep.path, "version": dep.version}
    if not repl.version or repl.version == DEVEL or _is_local_path(repl.path):
        # A directory on the build machine: no module identity or version to match on.
        meta["replaced_by_directory"] = repl.path
        meta[SKIP_MATCH] = f"replaced by local directory {repl.path}"
        return _package(dep.path, DEVEL, path, meta, purl_version=None)
    if repl.sum:
        meta["sum"] = repl.sum
    return _package(repl.path, repl.version, path, meta, purl_version=repl.version)


def _is_local_path(p: str) -> bool:
    # cmd/go treats a replacement path as a directory when it is absolute or starts with ./ ../
    return p.startswith(("/", "./", "../", ".\\", "..\\")) or (len(p) > 2 and p[1:3] == ":\\")


def _package(
    name: str, version: str, path: str, meta: dict[str, Any], purl_version: str | None
) -> Package:
    return Package(
        name=name,
        version=version,
        type=PackageType.GO_MODULE,
        ecosystem=ECOSYSTEM,
        purl=go_purl(name, purl_version),
        locations=(Location(path),),
        found_by=ANALYZER_ID,
        metadata=meta,
    )


def go_purl(module_path: str, version: str | None) -> str:
    """``pkg:golang/<module path>@<version>``: namespace is all but the last path element."""
    namespace, _, name = module_path.rpartition("/")
    if not name:
        return ""
    try:
        return PackageURL(
            type="golang", namespace=namespace or None, name=name, version=version or None
        ).to_string()
    except ValueError:
        return ""
