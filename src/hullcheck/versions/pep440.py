"""Python package versions (PEP 440), through ``packaging``, the reference implementation.

``packaging.version.Version`` already carries a precomputed comparison key, so it is the key.
"""

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion as _PackagingInvalid
from packaging.version import Version

from hullcheck.errors import InvalidVersion, VersionError

NAME = "pep440"

Key = Version


def parse(version: str) -> Key:
    try:
        return Version(version)
    except _PackagingInvalid as e:
        raise InvalidVersion(NAME, version, "not a PEP 440 version") from e


def satisfies(version: str, specifier: str, prereleases: bool | None = None) -> bool:
    """Whether ``version`` is inside a PEP 440 specifier set (``>=1.0,<2``)."""
    try:
        spec = SpecifierSet(specifier)
    except InvalidSpecifier as e:
        raise VersionError(f"invalid PEP 440 specifier {specifier!r}") from e
    return spec.contains(parse(version), prereleases=prereleases)
