"""Alpine (and Wolfi/Chainguard) packages: /lib/apk/db/installed.

The database is a sequence of records separated by blank lines; each line is one letter, a colon
and a value (``P:`` name, ``V:`` version, ``A:`` arch, ``o:`` origin = source package, ``L:``
license, ``F:`` a directory and the ``R:`` files in it, ...). Everything listed is installed.
"""

from __future__ import annotations

from collections.abc import Iterator

from hullcheck.catalog.interface import Artifact, FileInput, Interest, OwnedFiles
from hullcheck.catalog.purl import build_purl
from hullcheck.model import Location, Package, PackageType

ANALYZER_ID = "apk-db"
INSTALLED_PATH = "/lib/apk/db/installed"
# usr-merged images may carry the database under /usr/lib (with /lib a symlink to usr/lib)
INSTALLED_PATHS = frozenset({INSTALLED_PATH, "/usr/lib/apk/db/installed"})

MAX_BYTES = 256 * 1024**2
MAX_RECORDS = 200_000
MAX_VALUE = 4096
MAX_FILES_PER_PACKAGE = 1_000_000
MAX_FILES_TOTAL = 5_000_000


class ApkDbError(ValueError):
    """Content that is not an apk installed database."""


def _records(text: str) -> Iterator[list[tuple[str, str]]]:
    record: list[tuple[str, str]] = []
    count = 0
    malformed = 0
    good = 0
    for line in text.split("\n"):
        if not line.strip(" \t\r"):
            if record:
                yield record
                record = []
            continue
        if len(line) < 2 or line[1] != ":":
            malformed += 1
            continue
        good += 1
        if not record:
            count += 1
            if count > MAX_RECORDS:
                raise ApkDbError(f"more than {MAX_RECORDS} records")
        record.append((line[0], line[2:]))
    if record:
        yield record
    if good == 0 and malformed:
        raise ApkDbError("no 'X:value' lines")


def split_licenses(value: str) -> tuple[str, ...]:
    """``L:`` as licenses: an SPDX expression stays whole, an old space-separated list splits.

    Modern Alpine writes SPDX expressions (``MIT AND BSD-2-Clause``); older releases wrote a
    plain list (``MIT BSD GPL2+``). Normalising names (``GPL2`` -> ``GPL-2.0-only``) is left to
    a license stage: the raw names are what the package says.
    """
    value = value.strip()
    if not value:
        return ()
    words = value.split()
    if "(" in value or any(w.upper() in ("AND", "OR", "WITH") for w in words):
        return (value,)
    return tuple(dict.fromkeys(words))


def parse_apk_installed(
    data: bytes, path: str = INSTALLED_PATH
) -> tuple[list[Package], list[OwnedFiles]]:
    """Packages and their file lists from an apk ``installed`` database.

    Records without a ``P:`` name are dropped; a record without ``V:`` is kept with an empty
    version (it is installed; the matcher skips what it cannot compare). Raises ``ApkDbError``
    for content that is not an apk database.
    """
    if len(data) > MAX_BYTES:
        raise ApkDbError(f"larger than {MAX_BYTES} bytes")
    if b"\x00" in data[:65536]:
        raise ApkDbError("binary content")
    text = data.decode("utf-8", errors="replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    packages: list[Package] = []
    owned: list[OwnedFiles] = []
    total_files = 0
    saw_name = False
    for record in _records(text):
        fields: dict[str, str] = {}
        files: list[str] = []
        directory = ""
        for key, value in record:
            if key == "F":
                directory = value.strip().strip("/")[:MAX_VALUE]
            elif key == "R":
                if len(files) < MAX_FILES_PER_PACKAGE and total_files < MAX_FILES_TOTAL:
                    name = value.strip()[:MAX_VALUE]
                    files.append(f"/{directory}/{name}" if directory else f"/{name}")
                    total_files += 1
            elif key not in fields:
                fields[key] = value.strip()[:MAX_VALUE]
        name = fields.get("P", "")
        if not name:
            continue
        saw_name = True
        if any(c.isspace() for c in name) or len(name) > 512:
            continue
        version = fields.get("V", "")
        arch = fields.get("A", "")
        origin = fields.get("o", "") or name
        qualifiers = {"arch": arch}
        if origin != name:
            qualifiers["upstream"] = origin
        metadata = {k: fields[v] for k, v in (("commit", "c"), ("maintainer", "m")) if v in fields}
        packages.append(
            Package(
                name=name,
                version=version,
                type=PackageType.APK,
                purl=build_purl("apk", name, version, "alpine", qualifiers),
                source_name=origin,
                source_version=version,
                arch=arch,
                licenses=split_licenses(fields.get("L", "")),
                locations=(Location(path),),
                found_by=ANALYZER_ID,
                metadata=metadata,
            )
        )
        if files:
            owned.append(OwnedFiles(name, tuple(files)))
    if not saw_name and data.strip():
        raise ApkDbError("no package record (P:) found")
    return packages, owned


class ApkAnalyzer:
    id = ANALYZER_ID
    interest = Interest(names=frozenset({"installed"}))
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        return path in INSTALLED_PATHS

    def analyze(self, f: FileInput) -> Artifact | None:
        try:
            if f.size > MAX_BYTES:
                raise ApkDbError(f"larger than {MAX_BYTES} bytes")
            pkgs, owned = parse_apk_installed(f.read(), f.path)
        except (ApkDbError, OSError, MemoryError) as e:
            return Artifact(analyzer=self.id, path=f.path, unknown=f"not an apk database: {e}")
        return Artifact(analyzer=self.id, path=f.path, packages=tuple(pkgs), owned=tuple(owned))
