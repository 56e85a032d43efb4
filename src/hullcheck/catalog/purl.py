"""Package URLs (purl) for every package type, built with packageurl-python.

Catalogers build a purl from what one file tells them; OS package purls are completed later
(``with_distro``) once the image's distro is known, because the package database never says
which distro it belongs to.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from packageurl import PackageURL

from hullcheck.model import Distro, Package, PackageType

# purl namespace for an OS package by os-release ID, where it differs from the ID itself.
# The purl spec and vendors' own SBOMs name Red Hat "redhat" and SUSE "suse"/"opensuse".
_RPM_NAMESPACE = {
    "rhel": "redhat",
    "sles": "suse",
    "sled": "suse",
    "sles_sap": "suse",
    "sle-micro": "suse",
    "opensuse": "opensuse",
    "opensuse-leap": "opensuse",
    "opensuse-tumbleweed": "opensuse",
    "opensuse-leap-micro": "opensuse",
    "opensuse-microos": "opensuse",
}

_OS_TYPES = (PackageType.DEB, PackageType.APK, PackageType.RPM)


def build_purl(
    type_: str,
    name: str,
    version: str = "",
    namespace: str = "",
    qualifiers: Mapping[str, str] | None = None,
    subpath: str = "",
) -> str:
    """A canonical purl string; empty qualifier values are dropped. Never raises for odd input.

    ``type_`` is the purl type (``deb``, ``apk``, ``rpm``, ``pypi``, ``npm``, ``golang``, ...),
    which is not always the ``PackageType`` value (``python`` -> ``pypi``).
    """
    if not name:
        return ""
    quals = {k: v for k, v in (qualifiers or {}).items() if v}
    fast = _fast_os_purl(type_, name, version, namespace, quals) if not subpath else None
    if fast is not None:
        return fast
    try:
        return PackageURL(
            type=type_,
            namespace=namespace or None,
            name=name,
            version=version or None,
            qualifiers=quals or None,
            subpath=subpath or None,
        ).to_string()
    except (ValueError, TypeError):
        # packageurl-python rejects some input (an empty name after normalisation, a bad
        # qualifier key); a package without a purl is still worth reporting.
        return ""


# Characters packageurl's percent-encoding leaves alone, plus "+" (always "%2B"). OS package
# names and versions almost always fit, and formatting them directly is ~5x cheaper than the
# library's generic normalisation (which dominated parsing a dpkg status file); tests check
# both paths give the same string.
_PLAIN = re.compile(r"[A-Za-z0-9._~:+\-]+\Z")
_PLAIN_KEY = re.compile(r"[a-z0-9._\-]+\Z")
_LOWER_NAME_TYPES = frozenset({"apk"})


def _fast_os_purl(
    type_: str, name: str, version: str, namespace: str, quals: Mapping[str, str]
) -> str | None:
    if type_ not in ("deb", "rpm", "apk"):
        return None
    if not _PLAIN.match(name) or (version and not _PLAIN.match(version)):
        return None
    if namespace and not _PLAIN.match(namespace):
        return None
    for k, v in quals.items():
        if not _PLAIN_KEY.match(k) or not _PLAIN.match(v):
            return None
    name, namespace = name.replace("+", "%2B"), namespace.replace("+", "%2B")
    if type_ in _LOWER_NAME_TYPES:  # packageurl lower-cases after encoding ("%2b")
        name, namespace = name.lower(), namespace.lower()
    out = f"pkg:{type_}/{namespace}/{name}" if namespace else f"pkg:{type_}/{name}"
    if version:
        out += "@" + version.replace("+", "%2B")
    if quals:
        out += "?" + "&".join(f"{k}={quals[k].replace('+', '%2B')}" for k in sorted(quals))
    return out


def distro_namespace(distro: Distro) -> str:
    """The purl namespace of an OS package on ``distro`` (``debian``, ``ubuntu``, ``redhat``)."""
    did = distro.id.lower()
    return _RPM_NAMESPACE.get(did, did)


def distro_qualifier(distro: Distro) -> str:
    """``distro=`` qualifier value: ``<id>-<version_id>`` (``debian-12``, ``alpine-3.20.3``)."""
    if not distro.id:
        return ""
    return f"{distro.id}-{distro.version_id}" if distro.version_id else distro.id


def with_distro(pkg: Package, distro: Distro | None) -> Package:
    """Fill the OSV ecosystem and the purl namespace/``distro`` qualifier of an OS package.

    Language packages (and OS packages when the distro is unknown) come back unchanged.
    """
    if distro is None or pkg.type not in _OS_TYPES:
        return pkg
    namespace = distro_namespace(distro)
    purl = pkg.purl
    try:
        parsed = PackageURL.from_string(purl) if purl else None
    except ValueError:
        parsed = None
    if parsed is not None:
        quals = dict(parsed.qualifiers) if isinstance(parsed.qualifiers, dict) else {}
        quals["distro"] = distro_qualifier(distro)
        purl = build_purl(
            parsed.type,
            parsed.name,
            parsed.version or "",
            namespace or (parsed.namespace or ""),
            quals,
            parsed.subpath or "",
        )
    else:
        purl = build_purl(
            pkg.type.value,
            pkg.name,
            pkg.version,
            namespace,
            {"arch": pkg.arch, "distro": distro_qualifier(distro)},
        )
    return dataclasses.replace(pkg, ecosystem=distro.ecosystem or pkg.ecosystem, purl=purl)
