"""Package type, ecosystem and name from a purl, for SBOMs that other tools wrote.

hullcheck's own documents carry type and ecosystem explicitly; syft's and trivy's only have the
purl (and tool-specific properties), so the catalog's naming is rebuilt from it: Maven
``group:artifact``, npm ``@scope/name``, Go module paths, OSV ecosystem names.
"""

from __future__ import annotations

from dataclasses import dataclass

from packageurl import PackageURL

from hullcheck.model import Distro, PackageType

# purl type -> (package type, OSV ecosystem, separator between namespace and name in our names;
# None: the namespace is a vendor, not part of the name)
_LANG: dict[str, tuple[PackageType, str, str | None]] = {
    "pypi": (PackageType.PYTHON, "PyPI", None),
    "npm": (PackageType.NPM, "npm", "/"),
    "golang": (PackageType.GO_MODULE, "Go", "/"),
    "cargo": (PackageType.RUST_CRATE, "crates.io", None),
    "maven": (PackageType.JAVA_ARCHIVE, "Maven", ":"),
    "gem": (PackageType.GEM, "RubyGems", None),
    "composer": (PackageType.COMPOSER, "Packagist", "/"),
    "nuget": (PackageType.NUGET, "NuGet", None),
}
_OS = {"deb": PackageType.DEB, "apk": PackageType.APK, "rpm": PackageType.RPM}


@dataclass(frozen=True)
class PurlFacts:
    type: PackageType
    name: str
    version: str
    ecosystem: str  # "" for OS packages until the distro is known
    arch: str
    source_name: str
    source_version: str
    distro_qualifier: str  # "debian-12" for OS packages that name it


def parse_purl(text: str) -> PackageURL | None:
    if not text or len(text) > 4096:
        return None
    try:
        return PackageURL.from_string(text)
    except ValueError:
        return None


def purl_facts(text: str) -> PurlFacts | None:
    """What a purl says about a package; None for types hullcheck cannot match on."""
    purl = parse_purl(text)
    if purl is None:
        return None
    quals = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    version = purl.version or ""
    if purl.type in _LANG:
        ptype, eco, sep = _LANG[purl.type]
        name = f"{purl.namespace}{sep}{purl.name}" if purl.namespace and sep else purl.name
        return PurlFacts(ptype, name, stdlib_version(ptype, name, version), eco, "", "", "", "")
    if purl.type in _OS:
        src_name, src_version = _upstream(quals.get("upstream", ""))
        if purl.type == "rpm" and quals.get("epoch") and version and ":" not in version:
            version = f"{quals['epoch']}:{version}"
        return PurlFacts(_OS[purl.type], purl.name, version, "", quals.get("arch", ""), src_name, src_version,
                         quals.get("distro", ""))
    return None


def _upstream(value: str) -> tuple[str, str]:
    """syft writes ``upstream=glibc`` or ``upstream=db5.3@5.3.28+dfsg2-1``; for rpm the source
    rpm file name, which names the source package well enough for matching."""
    if not value:
        return "", ""
    if value.endswith(".src.rpm"):
        base = value[: -len(".src.rpm")]
        parts = base.rsplit("-", 2)
        return (parts[0], f"{parts[1]}-{parts[2]}") if len(parts) == 3 else (base, "")
    name, _, version = value.partition("@")
    return name, version


def distro_from_qualifier(text: str) -> Distro | None:
    """``debian-12`` / ``alpine-3.20.3`` / ``ubuntu-22.04`` -> a Distro with its ecosystem."""
    if not text:
        return None
    did, _, vid = text.partition("-")
    return make_distro(did, vid)


def make_distro(did: str, version_id: str, pretty_name: str = "", codename: str = "") -> Distro | None:
    did = did.strip().lower()
    if not did or did == "none" or len(did) > 64:  # trivy names an undetected OS "none"
        return None
    fields = {"ID": did, "VERSION_ID": version_id, "PRETTY_NAME": pretty_name, "VERSION_CODENAME": codename}
    try:
        from hullcheck.catalog.osrelease import distro_from_fields  # the OS cataloger's naming
    except ImportError:  # pragma: no cover - until the OS catalogers land
        return Distro(id=did, version_id=version_id, version_codename=codename, pretty_name=pretty_name,
                      ecosystem=_fallback_ecosystem(did, version_id, pretty_name))
    # Ubuntu's LTS mark comes from the pretty name, where the producer kept it.
    return distro_from_fields(fields)


def _fallback_ecosystem(did: str, vid: str, pretty_name: str) -> str:
    """The common distros' OSV names, until ``catalog.osrelease`` (the full table) is there."""
    major = vid.split(".")[0]
    mm = ".".join(vid.split(".")[:2])
    if did == "debian":
        return f"Debian:{major}" if major else "Debian"
    if did == "ubuntu":
        return (f"Ubuntu:{mm}:LTS" if "LTS" in pretty_name else f"Ubuntu:{mm}") if mm else "Ubuntu"
    if did == "alpine":
        return f"Alpine:v{mm}" if mm else "Alpine"
    if did in ("almalinux", "rocky"):
        name = {"almalinux": "AlmaLinux", "rocky": "Rocky Linux"}[did]
        return f"{name}:{major}" if major else name
    if did == "rhel":
        return "Red Hat"
    return ""


def default_source(ptype: PackageType, name: str, version: str, src_name: str, src_version: str) -> tuple[str, str]:
    """The OS catalogers' convention: a deb or apk package without a separate source package is its
    own source, and a source named without a version has the binary's version."""
    if ptype in (PackageType.DEB, PackageType.APK):
        return src_name or name, src_version or version
    return src_name, src_version


def stdlib_version(ptype: PackageType, name: str, version: str) -> str:
    """Go's standard library is versioned like the toolchain: ``go1.21.5`` / ``v1.21.5`` -> ``1.21.5``."""
    if ptype is PackageType.GO_MODULE and name == "stdlib":
        for prefix in ("go", "v"):
            if version.startswith(prefix) and version[len(prefix):][:1].isdigit():
                return version[len(prefix):]
    return version


def package_name(facts: PurlFacts, given: str) -> str:
    """The name a document gives, except for Maven, where tools disagree (artifact alone, or
    group and artifact) and the purl has both: hullcheck names it ``group:artifact``."""
    if facts.type is PackageType.JAVA_ARCHIVE or not given:
        return facts.name
    return given
