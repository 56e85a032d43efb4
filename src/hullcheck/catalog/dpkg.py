"""Debian packages: /var/lib/dpkg/status, distroless status.d/ files, and info/*.list.

The status file is a sequence of deb822 paragraphs (``Field: value``, continuation lines start
with a space or tab, paragraphs are separated by blank lines). Only packages whose files are on
disk are reported; distroless images keep one paragraph file per package under ``status.d/``
with no ``Status`` field, and those are installed by construction.

A paragraph without ``Version`` is not reported: it cannot describe an installed package (every
.deb's control file has a Version, which is what distroless copies into ``status.d``, and dpkg
refuses an installed package without one), and nothing could match it. The file is noted as an
unknown naming those paragraphs, so they are not silently lost.

Ecosystem and purl distro are left for ``hullcheck.catalog.purl.with_distro``: the database does
not know which distro it belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from hullcheck.catalog.interface import Artifact, FileInput, Interest, OwnedFiles
from hullcheck.catalog.purl import build_purl
from hullcheck.model import Location, Package, PackageType

ANALYZER_ID = "dpkg-db"

STATUS_PATH = "/var/lib/dpkg/status"
STATUS_D = "/var/lib/dpkg/status.d/"
INFO_D = "/var/lib/dpkg/info/"

# dpkg states in which the package's files are on disk. "config-files" (removed, conffiles
# kept) and "not-installed" are not; "half-installed" is a failed unpack we cannot trust.
# unpacked/half-configured/triggers-* packages are not fully configured but their (possibly
# vulnerable) files are present, so they count.
INSTALLED_STATES = frozenset(
    {"installed", "unpacked", "half-configured", "triggers-awaiting", "triggers-pending"}
)

MAX_BYTES = 128 * 1024**2  # a real status file is a few MiB
MAX_PARAGRAPHS = 500_000
MAX_VALUE = 64 * 1024  # longer field values are cut: only short fields are used
MAX_NAME = 512
MAX_FILES = 2_000_000  # paths in one file list

# status.d siblings that are not package paragraphs (maintainer scripts and metadata files).
_NOT_PARAGRAPH_SUFFIXES = (
    ".md5sums",
    ".preinst",
    ".postinst",
    ".prerm",
    ".postrm",
    ".conffiles",
    ".list",
    ".triggers",
    ".shlibs",
    ".symbols",
    ".templates",
    ".config",
    ".control",
)

_SOURCE_RE = re.compile(r"^(\S+)\s*(?:\(\s*([^)\s]+)\s*\))?")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+\-_]*$")


class ControlError(ValueError):
    """Content that is not deb822 at all."""


# The fields parse_dpkg_status needs are single-line, so each paragraph is searched for them
# with bytes.find (C speed) instead of being parsed line by line: most of a status file is
# Description continuation lines nobody needs. dpkg writes field names in canonical case; a
# paragraph that does not have "Package:" in that case goes through the case-insensitive regex.
_FIELDS = (
    ("package", b"\nPackage:"),
    ("status", b"\nStatus:"),
    ("version", b"\nVersion:"),
    ("architecture", b"\nArchitecture:"),
    ("source", b"\nSource:"),
)
_FIELD_RE = re.compile(
    rb"^(package|status|version|architecture|source)[ \t]*:[ \t]*([^\n]*)", re.M | re.I
)


def _text(raw: bytes) -> str:
    return raw.strip()[:MAX_VALUE].decode("utf-8", errors="replace")


def _fast_paragraphs(data: bytes) -> Iterator[dict[str, str]]:
    """Paragraphs of a status file, reduced to the fields parse_dpkg_status uses.

    Works on bytes: decoding a whole multi-MiB file costs more than the search itself.
    """
    count = 0
    for chunk in data.split(b"\n\n"):
        if not chunk or chunk.isspace():
            continue
        count += 1
        if count > MAX_PARAGRAPHS:
            raise ControlError(f"more than {MAX_PARAGRAPHS} paragraphs")
        chunk = b"\n" + chunk
        para: dict[str, str] = {}
        for key, marker in _FIELDS:
            i = chunk.find(marker)
            if i < 0:
                continue
            start = i + len(marker)
            end = chunk.find(b"\n", start)
            para[key] = _text(chunk[start : end if end >= 0 else len(chunk)])
        if "package" not in para:
            para = {}
            for m in _FIELD_RE.finditer(chunk):
                para.setdefault(m.group(1).decode().lower(), _text(m.group(2)))
        if para:
            yield para


def _is_installed(status: str) -> bool:
    # "want flag state", e.g. "install ok installed", "hold ok installed", "deinstall ok
    # config-files"; the last word is the state.
    parts = status.split()
    return len(parts) == 3 and parts[2] in INSTALLED_STATES


def _package(para: dict[str, str], path: str) -> Package | None:
    name = para.get("package", "").strip()
    if not name or len(name) > MAX_NAME or not _NAME_RE.match(name):
        return None
    version = para.get("version", "").strip()[:MAX_NAME]
    arch = para.get("architecture", "").strip()[:64]
    source_name, source_version = name, version
    source = para.get("source", "").strip()
    if source:
        m = _SOURCE_RE.match(source)
        if m:
            source_name = m.group(1)[:MAX_NAME]
            source_version = (m.group(2) or version)[:MAX_NAME]
    qualifiers = {"arch": arch}
    if source_name != name:
        qualifiers["upstream"] = source_name
    return Package(
        name=name,
        version=version,
        type=PackageType.DEB,
        purl=build_purl("deb", name, version, "debian", qualifiers),
        source_name=source_name,
        source_version=source_version,
        arch=arch,
        locations=(Location(path),),
        found_by=ANALYZER_ID,
    )


_BLANKISH_LINE = re.compile(rb"\n[ \t]+(?=\n)")


def _normalize_newlines(data: bytes) -> bytes:
    if b"\x00" in data[:65536]:
        raise ControlError("binary content")
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
    # deb822 lets a line of only blanks separate paragraphs (it cannot be a continuation)
    return _BLANKISH_LINE.sub(b"\n", data)


def _decode(data: bytes) -> str:
    if b"\x00" in data[:65536]:
        raise ControlError("binary content")
    text = data.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n") if "\r" in text else text


def parse_dpkg_status(data: bytes, path: str) -> list[Package]:
    """Installed packages of a dpkg status file or a distroless ``status.d`` file.

    ``path`` decides the rule for a missing ``Status`` field: not installed in the main status
    file (a stub paragraph), installed in ``status.d``. Raises ``ControlError`` for content that
    is not a status file.
    """
    return parse_dpkg_db(data, path)[0]


def parse_dpkg_db(data: bytes, path: str) -> tuple[list[Package], list[str]]:
    """``parse_dpkg_status``, plus the names of the installed paragraphs left out for having
    no Version."""
    if len(data) > MAX_BYTES:
        raise ControlError(f"larger than {MAX_BYTES} bytes")
    in_status_d = "/status.d/" in path
    out: list[Package] = []
    versionless: list[str] = []
    saw_package = False
    data = _normalize_newlines(data)
    for para in _fast_paragraphs(data):
        if "package" not in para:
            continue
        saw_package = True
        status = para.get("status")
        if status is None:
            if not in_status_d:
                continue
        elif not _is_installed(status):
            continue
        pkg = _package(para, path)
        if pkg is None:
            continue
        if not pkg.version:
            versionless.append(pkg.name)
            continue
        out.append(pkg)
    if not saw_package and data.strip():
        raise ControlError("no Package field")
    return out, versionless


def package_from_filename(path: str, suffix: str) -> str:
    """``/var/lib/dpkg/info/libc6:amd64.list`` -> ``libc6``."""
    base = path.rsplit("/", 1)[-1]
    if base.endswith(suffix):
        base = base[: -len(suffix)]
    return base.split(":", 1)[0]


def parse_dpkg_list(data: bytes) -> tuple[str, ...]:
    """The absolute paths of an ``info/*.list`` file (directories included, ``/.`` dropped)."""
    text = _decode(data)
    out: list[str] = []
    for line in text.split("\n"):
        if not line.startswith("/") or line == "/." or len(line) > 4096:
            continue
        out.append(line)
        if len(out) >= MAX_FILES:
            break
    return tuple(out)


def parse_md5sums(data: bytes) -> tuple[str, ...]:
    """The paths of a ``<md5>  <relative path>`` list (distroless ``status.d/*.md5sums``)."""
    text = _decode(data)
    out: list[str] = []
    for line in text.split("\n"):
        digest, sep, rel = line.partition("  ")
        if not sep or not rel or len(digest) != 32 or len(rel) > 4096:
            continue
        out.append("/" + rel.lstrip("/"))
        if len(out) >= MAX_FILES:
            break
    return tuple(out)


class DpkgAnalyzer:
    id = ANALYZER_ID
    interest = Interest(names=frozenset({"status"}), prefixes=(STATUS_D, INFO_D))
    version = 2  # 2: paragraphs without Version are an unknown, not a package

    def wants(self, path: str, size: int, mode: int) -> bool:
        if path == STATUS_PATH:
            return True
        if path.startswith(STATUS_D):
            rest = path[len(STATUS_D) :]
            if not rest or "/" in rest:
                return False
            return rest.endswith(".md5sums") or not rest.endswith(_NOT_PARAGRAPH_SUFFIXES)
        if path.startswith(INFO_D) and path.endswith(".list"):
            return "/" not in path[len(INFO_D) :]
        return False

    def analyze(self, f: FileInput) -> Artifact | None:
        try:
            if f.size > MAX_BYTES:
                return self._unknown(f, f"larger than {MAX_BYTES} bytes")
            data = f.read()
            if f.path.endswith(".list") and f.path.startswith(INFO_D):
                files = parse_dpkg_list(data)
                name = package_from_filename(f.path, ".list")
                return Artifact(analyzer=self.id, path=f.path, owned=(OwnedFiles(name, files),))
            if f.path.endswith(".md5sums"):
                files = parse_md5sums(data)
                name = package_from_filename(f.path, ".md5sums")
                return Artifact(analyzer=self.id, path=f.path, owned=(OwnedFiles(name, files),))
            pkgs, versionless = parse_dpkg_db(data, f.path)
        except (ControlError, OSError, MemoryError) as e:
            return self._unknown(f, f"not a dpkg database: {e}")
        note = None
        if versionless:
            shown = ", ".join(versionless[:5]) + (f" and {len(versionless) - 5} more" if len(versionless) > 5 else "")
            note = f"{len(versionless)} paragraph(s) without Version, not reported as packages: {shown}"[:300]
        return Artifact(analyzer=self.id, path=f.path, packages=tuple(pkgs), unknown=note)

    def _unknown(self, f: FileInput, reason: str) -> Artifact:
        return Artifact(analyzer=self.id, path=f.path, unknown=reason)
