"""Java archives (jar, war, ear, par, jpi, hpi, ...) and the archives nested inside them.

Where a package's identity comes from, most to least trustworthy:
1. ``META-INF/maven/<group>/<artifact>/pom.properties`` (groupId, artifactId, version), written
   by Maven itself. A shaded or fat jar holds one per bundled artifact; each becomes a package
   (``metadata["confidence"] = "high"``).
2. The manifest (``Implementation-Version``, ``Bundle-Version``, ``Specification-Version``; the
   group from ``Implementation-Vendor-Id``; Jenkins plugins' ``Short-Name``, ``Group-Id`` and
   ``Plugin-Version``), used for an archive none of whose pom.properties describes the archive
   itself (``"medium"``).
3. The file name ``name-1.2.3.jar`` (``"low"``).

Names are ``group:artifact`` (what Maven advisories name); without a known group the name is the
bare artifact and ``metadata["skip_match"]`` says why it cannot be matched. Packages found in a
nested archive keep the outer file as their location; ``metadata["archive_path"]`` is the full
path ``/app/x.war!/WEB-INF/lib/y.jar`` and ``metadata["nested_path"]`` the part inside.
"""

from __future__ import annotations

import re
from typing import Any

from packageurl import PackageURL

from hullcheck.catalog.interface import Artifact, FileInput, Interest
from hullcheck.catalog.java_archive import (
    ARCHIVE_SUFFIXES,
    ArchiveError,
    ArchiveInfo,
    Limits,
    walk_archive,
)
from hullcheck.model import Location, Package, PackageType

ANALYZER_ID = "java-archive"
ECOSYSTEM = "Maven"
SKIP_MATCH = "skip_match"
MAX_ARCHIVE_SIZE = 4 << 30
_MAX_FIELD = 256

# "commons-lang3-3.12.0", "guava-31.1-jre", "spring-core-5.3.20.RELEASE": the version starts at
# the first "-<digit>" after the name.
_NAME_VERSION = re.compile(
    r"^(?P<name>[A-Za-z0-9_.]+(?:-[A-Za-z_.][A-Za-z0-9_.]*)*)-(?P<version>\d.*)$"
)
# Maven coordinates: no whitespace, slashes or colons; versions without unresolved ${...}.
_COORD = re.compile(r"^[A-Za-z0-9_.\-]+$")
_VERSION = re.compile(r"^[^\s/\\${}]+$")


class JavaArchiveAnalyzer:
    id = ANALYZER_ID
    interest = Interest(suffixes=ARCHIVE_SUFFIXES)
    version = 1

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()

    def wants(self, path: str, size: int, mode: int) -> bool:
        return 22 <= size <= MAX_ARCHIVE_SIZE and path.lower().endswith(ARCHIVE_SUFFIXES)

    def analyze(self, f: FileInput) -> Artifact | None:
        name = f.path.rsplit("/", 1)[-1]
        try:
            with f.open() as stream:
                result = walk_archive(stream, name, self.limits)
            packages = packages_from_archives(result.archives, f.path)
        except ArchiveError as e:
            return Artifact(self.id, f.path, unknown=str(e)[:300])
        except Exception as e:  # the contract: bad content never raises
            return Artifact(self.id, f.path, unknown=f"{type(e).__name__}: {e}"[:300])
        problems = "; ".join(result.problems)[:1000] or None
        if not packages and problems is None:
            return None
        return Artifact(self.id, f.path, packages=tuple(packages), unknown=problems)


def packages_from_archives(archives: list[ArchiveInfo], outer_path: str) -> list[Package]:
    out: list[Package] = []
    seen: set[tuple[str, str, str]] = set()
    for arc in archives:
        archive_path = "!/".join((outer_path, *arc.chain))
        for p in _archive_packages(arc, outer_path, archive_path):
            key = (p.name, p.version, p.metadata["archive_path"])
            if key not in seen:
                seen.add(key)
                out.append(p)
    return out


def _archive_packages(arc: ArchiveInfo, outer_path: str, archive_path: str) -> list[Package]:
    base: dict[str, Any] = {"archive_path": archive_path}
    if arc.chain:
        base["nested_path"] = "!/".join(arc.chain)
    manifest = arc.manifest or {}
    file_name, file_version = split_file_name(arc.name)
    # Names under which a pom.properties is the archive's own rather than a bundled one's.
    self_names = {file_name, _clean(manifest.get("Implementation-Title"))}
    symbolic = _clean(manifest.get("Bundle-SymbolicName")).split(";", 1)[0].strip()
    # Jenkins plugins (.hpi/.jpi) name themselves in Short-Name / Group-Id / Plugin-Version.
    jenkins_name = _clean(manifest.get("Short-Name"))
    self_names |= {symbolic, symbolic.rsplit(".", 1)[-1], jenkins_name}
    self_names.discard("")
    out: list[Package] = []
    describes_self = False
    for entry, props in arc.poms:
        group = _clean(props.get("groupId"))
        artifact = _clean(props.get("artifactId"))
        version = _clean(props.get("version"))
        if not (group and artifact and version) or not (
            _COORD.match(group) and _COORD.match(artifact) and _VERSION.match(version)
        ):
            continue
        if len(arc.poms) == 1 or artifact in self_names:
            describes_self = True
        meta = dict(base, pom_properties=entry, source="pom.properties", confidence="high")
        out.append(_package(group, artifact, version, outer_path, meta))
    if describes_self:
        return out
    # Nothing says what this archive itself is: fall back to the manifest, then the file name.
    version = ""
    source = ""
    versions = (
        "Plugin-Version",
        "Implementation-Version",
        "Bundle-Version",
        "Specification-Version",
    )
    for key in versions:
        v = _clean(manifest.get(key))
        if v and _VERSION.match(v):
            version, source = v, "manifest"
            break
    if not version and file_version and _VERSION.match(file_version):
        version, source = file_version, "filename"
    artifact = jenkins_name if jenkins_name and _COORD.match(jenkins_name) else file_name
    if not version or not artifact or not _COORD.match(artifact):
        return out
    group = _clean(manifest.get("Group-Id")) or _clean(manifest.get("Implementation-Vendor-Id"))
    if group and not _COORD.match(group):
        group = ""
    meta = dict(base, source=source, confidence="medium" if source == "manifest" else "low")
    for key in ("Implementation-Title", "Bundle-SymbolicName", "Bundle-Name"):
        v = _clean(manifest.get(key))
        if v:
            meta.setdefault("manifest_name", v.split(";", 1)[0].strip())
    out.append(_package(group, artifact, version, outer_path, meta))
    return out


def split_file_name(name: str) -> tuple[str, str]:
    """(artifact, version) from ``name-1.2.3.jar``; version "" when the name has none."""
    stem = name
    for suffix in ARCHIVE_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    m = _NAME_VERSION.match(stem)
    if m:
        return m.group("name"), m.group("version")
    return stem, ""


def _clean(v: object) -> str:
    if isinstance(v, str):
        v = v.strip()
        if 0 < len(v) <= _MAX_FIELD:
            return v
    return ""


def _package(
    group: str, artifact: str, version: str, outer_path: str, meta: dict[str, Any]
) -> Package:
    if group:
        meta["group_id"] = group
    else:
        meta[SKIP_MATCH] = "no Maven groupId known"
    meta["artifact_id"] = artifact
    return Package(
        name=f"{group}:{artifact}" if group else artifact,
        version=version,
        type=PackageType.JAVA_ARCHIVE,
        ecosystem=ECOSYSTEM,
        purl=maven_purl(group, artifact, version),
        locations=(Location(outer_path),),
        found_by=ANALYZER_ID,
        metadata=meta,
    )


def maven_purl(group: str, artifact: str, version: str) -> str:
    try:
        return PackageURL(
            type="maven", namespace=group or None, name=artifact, version=version or None
        ).to_string()
    except ValueError:
        return ""
