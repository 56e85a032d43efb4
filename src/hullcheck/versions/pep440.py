"""Python package versions (PEP 440), through ``packaging``, the reference implementation.

``packaging`` parses; the key is a plain tuple built from the parsed ``Version``'s public parts
with the same order as packaging's own comparison (PEP 440's rules: release with trailing zeros
ignored; a dev-only release before its pre-releases; pre-releases before the release;
post-releases after; local labels last, numbers after words). Plain tuples compare in C, about
five times faster than ``Version.__lt__``; the shared vectors check that both orders agree.
"""

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion as _PackagingInvalid
from packaging.version import Version

from hullcheck.errors import InvalidVersion, VersionError

NAME = "pep440"

Key = tuple[object, ...]

_LOW, _HIGH = (0,), (2,)


def parse_version(version: str) -> Version:
    try:
        return Version(version)
    except _PackagingInvalid as e:
        raise InvalidVersion(NAME, version, "not a PEP 440 version") from e


def key_of(v: Version) -> Key:
    release = list(v.release)
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    if v.pre is None and v.post is None and v.dev is not None:
        pre: tuple[object, ...] = _LOW  # 1.0.dev0 < 1.0a0
    elif v.pre is None:
        pre = _HIGH
    else:
        pre = (1, *v.pre)
    post = _LOW if v.post is None else (1, v.post)
    dev = _HIGH if v.dev is None else (1, v.dev)
    if v.local is None:
        local: tuple[object, ...] = _LOW
    else:
        parts = v.local.split(".")
        local = (1, tuple((1, int(p)) if p.isdigit() else (0, p) for p in parts))
    return (v.epoch, tuple(release), pre, post, dev, local)


def parse(version: str) -> Key:
    return key_of(parse_version(version))


def satisfies(version: str, specifier: str, prereleases: bool | None = None) -> bool:
    """Whether ``version`` is inside a PEP 440 specifier set (``>=1.0,<2``)."""
    try:
        spec = SpecifierSet(specifier)
    except InvalidSpecifier as e:
        raise VersionError(f"invalid PEP 440 specifier {specifier!r}") from e
    return spec.contains(parse_version(version), prereleases=prereleases)
