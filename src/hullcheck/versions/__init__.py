"""Version ordering for every ecosystem: one module per scheme, one explicit registry.

    compare("Debian:12", "1:2.3-1", "1:2.3-1+deb12u1")   # -> -1
    key = parse("PyPI", "2.0rc1")                        # comparable, cached key

Ecosystems are named as OSV names them (``Debian:12``, ``Alpine:v3.20``, ``Ubuntu:22.04:LTS``,
``Red Hat:rhel_aus:8.4::appstream``, ``Maven``, ``PyPI`` ...): the part before the first ``:``
picks the scheme. Keys of one scheme compare with each other only. Parsing is cached per
scheme (``functools.lru_cache``) because matching compares the same versions millions of times.
A version a scheme cannot read raises ``InvalidVersion``; an unknown ecosystem raises
``UnknownEcosystemError`` (both ``VersionError``, a ``UsageError``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hullcheck.errors import InvalidVersion, UnknownEcosystemError, VersionError
from hullcheck.versions import (
    apk,
    dpkg,
    golang,
    maven,
    nuget,
    packagist,
    pep440,
    rpm,
    rubygems,
    semver,
)

__all__ = [
    "ECOSYSTEMS",
    "SCHEMES",
    "InvalidVersion",
    "Scheme",
    "UnknownEcosystemError",
    "VersionError",
    "compare",
    "parse",
    "scheme_for",
    "scheme_for_or_none",
    "semver2_parse",
    "validate",
]

_CACHE_SIZE = 1 << 16


@dataclass(frozen=True)
class Scheme:
    """One version scheme: a name, a cached ``parse`` giving comparable keys, an optional strict
    ``check`` (for schemes whose comparison is more lenient than their validity rules)."""

    name: str
    parse: Callable[[str], Any]
    check: Callable[[str], None] | None = None

    def compare(self, a: str, b: str) -> int:
        ka, kb = self.parse(a), self.parse(b)
        return int((ka > kb) - (ka < kb))


def _scheme(
    name: str, parse: Callable[[str], Any], check: Callable[[str], None] | None = None
) -> Scheme:
    return Scheme(name, functools.lru_cache(maxsize=_CACHE_SIZE)(parse), check)


SCHEMES: dict[str, Scheme] = {
    s.name: s
    for s in (
        _scheme(dpkg.NAME, dpkg.parse, dpkg.check),
        _scheme(apk.NAME, apk.parse, apk.check),
        _scheme(rpm.NAME, rpm.parse),
        _scheme(pep440.NAME, pep440.parse),
        _scheme(semver.NAME, semver.parse),
        _scheme(golang.NAME, golang.parse),
        _scheme(maven.NAME, maven.parse),
        _scheme(rubygems.NAME, rubygems.parse),
        _scheme(nuget.NAME, nuget.parse),
        _scheme(packagist.NAME, packagist.parse),
    )
}

# OSV ecosystem name (the part before the first ":") -> scheme name.
ECOSYSTEMS: dict[str, str] = {
    # Debian family
    "Debian": dpkg.NAME,
    "Ubuntu": dpkg.NAME,
    # apk family
    "Alpine": apk.NAME,
    "Wolfi": apk.NAME,
    "Chainguard": apk.NAME,
    "MinimOS": apk.NAME,
    "Alpaquita": apk.NAME,
    "BellSoft Hardened Containers": apk.NAME,
    # RPM family
    "AlmaLinux": rpm.NAME,
    "Rocky Linux": rpm.NAME,
    "Red Hat": rpm.NAME,
    "SUSE": rpm.NAME,
    "openSUSE": rpm.NAME,
    "Fedora": rpm.NAME,
    "Mageia": rpm.NAME,
    "openEuler": rpm.NAME,
    "Photon OS": rpm.NAME,
    "Azure Linux": rpm.NAME,
    "Oracle Linux": rpm.NAME,
    "Amazon Linux": rpm.NAME,
    "CentOS": rpm.NAME,
    # language ecosystems
    "PyPI": pep440.NAME,
    "npm": semver.NAME,
    "crates.io": semver.NAME,
    "Hex": semver.NAME,
    "Pub": semver.NAME,
    "SwiftURL": semver.NAME,
    "Go": golang.NAME,
    "Maven": maven.NAME,
    "RubyGems": rubygems.NAME,
    "NuGet": nuget.NAME,
    "Packagist": packagist.NAME,
}
_BY_LOWER = {k.lower(): v for k, v in ECOSYSTEMS.items()}


@functools.lru_cache(maxsize=1024)
def scheme_for(ecosystem: str) -> Scheme:
    """The scheme of an OSV ecosystem string; ``Root:Alpine:3.18`` resolves its inner part."""
    base, _, rest = ecosystem.strip().partition(":")
    if base == "Root" and rest:
        return scheme_for(rest)
    name = ECOSYSTEMS.get(base) or _BY_LOWER.get(base.lower())
    if name is None:
        raise UnknownEcosystemError(ecosystem)
    return SCHEMES[name]


def scheme_for_or_none(ecosystem: str) -> Scheme | None:
    try:
        return scheme_for(ecosystem)
    except UnknownEcosystemError:
        return None


def parse(ecosystem: str, version: str) -> Any:
    """A comparable key for ``version`` in ``ecosystem`` (cached). Raises InvalidVersion."""
    return scheme_for(ecosystem).parse(version)


def compare(ecosystem: str, a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` sorts before, with, or after ``b`` in ``ecosystem``."""
    return scheme_for(ecosystem).compare(a, b)


def validate(ecosystem: str, version: str) -> None:
    """Strict validity (raises InvalidVersion): the scheme's ``check`` where it has one."""
    s = scheme_for(ecosystem)
    if s.check is not None:
        s.check(version)
    s.parse(version)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def semver2_parse(version: str) -> tuple[object, ...]:
    """Key for OSV ``SEMVER`` ranges: SemVer 2.0 precedence whatever the ecosystem; a leading
    ``v`` (Go) is accepted."""
    return semver.parse_semver(version).key
