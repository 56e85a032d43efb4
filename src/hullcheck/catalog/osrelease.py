"""The image's operating system, from /etc/os-release and the older release files.

Several files can name the distro; each yields its own ``Artifact(distro=...)`` and the merge
picks the one earliest in ``DISTRO_FILE_PRIORITY`` (``best_distro``). The ``ecosystem`` field
uses OSV ecosystem names (``Debian:12``, ``Ubuntu:22.04:LTS``, ``Alpine:v3.20``) so distro
advisories can be looked up directly; where OSV has no ecosystem for a distro we still produce a
stable ``Name:release`` string in the same style (``Amazon Linux:2``, ``CentOS:7``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from hullcheck.catalog.interface import Artifact, FileInput, Interest
from hullcheck.model import Distro

# Most to least trusted. os-release is the standard; the others are read only when it is
# missing (old or stripped images). debian_version comes last because Ubuntu ships one too
# (holding the Debian base codename, e.g. "bookworm/sid").
DISTRO_FILE_PRIORITY: tuple[str, ...] = (
    "/etc/os-release",
    "/usr/lib/os-release",
    "/etc/alpine-release",
    "/etc/redhat-release",
    "/etc/centos-release",
    "/etc/system-release",
    "/etc/debian_version",
)

_MAX_BYTES = 64 * 1024  # a real os-release is < 1 KiB; anything bigger is not one
_MAX_VALUE = 512

_KEY_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_ID_RE = re.compile(r"^[a-z0-9._-]{1,64}$")
_ESCAPE_RE = re.compile(r"\\([$`\"\\\\])")  # what a backslash escapes in sh double quotes


def parse_os_release(data: bytes) -> dict[str, str]:
    """os-release ``KEY=value`` lines (shell-style quoting, ``#`` comments) as a dict."""
    text = data[:_MAX_BYTES].decode("utf-8", errors="replace")
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip()
        if not _KEY_RE.match(key):
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            quote, value = value[0], value[1:-1]
            if quote == '"':
                value = _ESCAPE_RE.sub(r"\1", value)
        out[key] = value[:_MAX_VALUE]
    return out


def _major(version_id: str) -> str:
    m = re.match(r"\d+", version_id)
    return m.group(0) if m else ""


def _major_minor(version_id: str) -> str:
    m = re.match(r"\d+(?:\.\d+)?", version_id)
    return m.group(0) if m else ""


def _strip_prefix(text: str, prefix: str) -> str:
    return text[len(prefix) :].strip() if text.lower().startswith(prefix.lower()) else text


def osv_ecosystem(fields: Mapping[str, str]) -> str:
    """The OSV ecosystem string for os-release ``fields`` ("" when the distro is unknown)."""
    did = fields.get("ID", "").lower()
    vid = fields.get("VERSION_ID", "")
    version = fields.get("VERSION", "")
    pretty = fields.get("PRETTY_NAME", "")
    if did == "debian":
        # testing/sid have no VERSION_ID: OSV's bare "Debian" covers them; the codename
        # stays in Distro.version_codename.
        major = _major(vid)
        return f"Debian:{major}" if major else "Debian"
    if did == "ubuntu":
        mm = _major_minor(vid)
        if not mm:
            return "Ubuntu"
        lts = "LTS" in version or "LTS" in pretty
        return f"Ubuntu:{mm}:LTS" if lts else f"Ubuntu:{mm}"
    if did == "alpine":
        mm = _major_minor(vid)
        # edge reports the next release with a suffix (3.21.0_alpha2024...): its advisories
        # land under that branch once it is cut.
        return f"Alpine:v{mm}" if mm else "Alpine"
    if did in ("sles", "sled", "sles_sap", "sle-micro", "sle_hpc"):
        # OSV: "SUSE:<PRETTY_NAME without the vendor>", e.g. "SUSE:Linux Enterprise Server 15 SP5".
        name = _strip_prefix(pretty, "SUSE ")
        return f"SUSE:{name}" if name else "SUSE"
    if did.startswith("opensuse"):
        name = _strip_prefix(pretty, "openSUSE ")  # "openSUSE:Leap 15.5", "openSUSE:Tumbleweed"
        return f"openSUSE:{name}" if name else "openSUSE"
    if did == "rhel":
        # OSV's Red Hat ecosystem is scoped by CPE product stream ("Red Hat:enterprise_linux:9
        # ::baseos"), which os-release does not carry; the major version is in version_id.
        return "Red Hat"
    if did == "openeuler":
        # VERSION="22.03 (LTS-SP1)" -> "openEuler:22.03-LTS-SP1"
        m = re.search(r"\(([^)]*)\)", version)
        suffix = m.group(1).strip().replace(" ", "-") if m else ""
        if not vid:
            return "openEuler"
        return f"openEuler:{vid}-{suffix}" if suffix else f"openEuler:{vid}"
    if did in _ROLLING:
        return _ROLLING[did]
    if did in _BY_MAJOR:
        major = _major(vid)
        return f"{_BY_MAJOR[did]}:{major}" if major else _BY_MAJOR[did]
    if did in _BY_VERSION_ID:
        return f"{_BY_VERSION_ID[did]}:{vid}" if vid else _BY_VERSION_ID[did]
    return ""


# Distros whose ecosystem carries no release.
_ROLLING = {"wolfi": "Wolfi", "chainguard": "Chainguard", "minimos": "MinimOS", "echo": "Echo"}
# Distros scoped by their major release. CentOS, Amazon Linux, Oracle Linux and Fedora have no
# OSV ecosystem; the names follow the same pattern so a future feed can key on them.
_BY_MAJOR = {
    "almalinux": "AlmaLinux",
    "rocky": "Rocky Linux",
    "mageia": "Mageia",
    "centos": "CentOS",
    "amzn": "Amazon Linux",
    "ol": "Oracle Linux",
    "fedora": "Fedora",
}
# Distros whose release is the full VERSION_ID ("Photon OS:5.0", "Azure Linux:3.0").
_BY_VERSION_ID = {
    "photon": "Photon OS",
    "azurelinux": "Azure Linux",
    "mariner": "Azure Linux",  # CBL-Mariner was renamed Azure Linux from 3.0 on
    "alpaquita": "Alpaquita",
}


def distro_from_fields(fields: Mapping[str, str]) -> Distro | None:
    did = fields.get("ID", "").strip().lower()
    if not _ID_RE.match(did):  # os-release: lower-case letters, digits, "._-"
        return None
    vid = fields.get("VERSION_ID", "")
    codename = fields.get("VERSION_CODENAME", "")
    pretty = fields.get("PRETTY_NAME", "")
    if did == "debian" and not vid and not codename:
        # testing/sid: PRETTY_NAME="Debian GNU/Linux trixie/sid"
        m = re.search(r"([a-z]+)/sid", pretty)
        codename = m.group(1) if m else ""
    if did == "alpine" and ("_alpha" in vid or "edge" in pretty.lower()):
        codename = "edge"
    id_like = tuple(x for x in fields.get("ID_LIKE", "").lower().split() if x)[:16]
    return Distro(
        id=did,
        version_id=vid,
        version_codename=codename,
        pretty_name=pretty,
        id_like=id_like,
        ecosystem=osv_ecosystem(fields),
    )


# "<Name> release <version> (<codename>)" as in redhat-release, centos-release, system-release.
_RELEASE_RE = re.compile(
    r"^(?P<name>[^\n]{1,80}?)\s+release\s+(?P<version>[0-9][0-9.]*)\s*(?:\((?P<code>[^)]*)\))?"
)
_RELEASE_NAMES = (
    ("red hat enterprise linux", "rhel"),
    ("centos stream", "centos"),
    ("centos", "centos"),
    ("rocky linux", "rocky"),
    ("almalinux", "almalinux"),
    ("fedora", "fedora"),
    ("amazon linux", "amzn"),
    ("oracle linux", "ol"),
    ("cbl-mariner", "mariner"),
    ("azure linux", "azurelinux"),
)


def parse_release_file(path: str, data: bytes) -> Distro | None:
    """A ``Distro`` from one of the pre-os-release files (``None`` when it does not parse)."""
    text = data[:4096].decode("utf-8", errors="replace").strip()
    line = text.splitlines()[0].strip()[:256] if text else ""
    if not line:
        return None
    name = path.rsplit("/", 1)[-1]
    if name == "os-release":
        return distro_from_fields(parse_os_release(data))
    if name == "alpine-release":
        if not re.match(r"^\d+\.\d+", line):
            return None
        pretty = f"Alpine Linux v{_major_minor(line)}"
        return distro_from_fields({"ID": "alpine", "VERSION_ID": line[:64], "PRETTY_NAME": pretty})
    if name == "debian_version":
        # "12.5" on releases, "trixie/sid" on testing and on Ubuntu
        if re.match(r"^\d+", line):
            return distro_from_fields({"ID": "debian", "VERSION_ID": _major(line)})
        m = re.match(r"^([a-z]+)(?:/sid)?$", line)
        if not m:
            return None
        return distro_from_fields({"ID": "debian", "VERSION_CODENAME": m.group(1)})
    m = _RELEASE_RE.match(line)
    if not m:
        return None
    lname = m.group("name").lower()
    did = next((d for prefix, d in _RELEASE_NAMES if lname.startswith(prefix)), "")
    if not did:
        return None
    version = m.group("version")
    fields = {"ID": did, "VERSION_ID": version, "PRETTY_NAME": line[:_MAX_VALUE]}
    return distro_from_fields(fields)


def best_distro(found: Mapping[str, Distro]) -> Distro | None:
    """The distro from the most trusted file among ``found`` (path -> Distro)."""
    for path in DISTRO_FILE_PRIORITY:
        d = found.get(path)
        if d is not None:
            return d
    return None


class OsReleaseAnalyzer:
    id = "os-release"
    interest = Interest(names=frozenset(p.rsplit("/", 1)[-1] for p in DISTRO_FILE_PRIORITY))
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        return path in _WANTED and size <= _MAX_BYTES

    def analyze(self, f: FileInput) -> Artifact | None:
        try:
            with f.open() as fh:
                data = fh.read(_MAX_BYTES)
            distro = parse_release_file(f.path, data)
        except (OSError, ValueError) as e:
            return Artifact(analyzer=self.id, path=f.path, unknown=f"unreadable: {e}")
        if distro is None:
            return Artifact(analyzer=self.id, path=f.path, unknown="no distro identification found")
        return Artifact(analyzer=self.id, path=f.path, distro=distro)


_WANTED = frozenset(DISTRO_FILE_PRIORITY)
