"""Go module versions, as golang.org/x/mod/semver reads them.

Go versions are semver with a ``v`` (``v1.2.3``, ``v1.2.3-pre.1``, ``v0.0.0-20210101000000-abcdef
123456`` pseudo-versions, ``v2.0.0+incompatible``); ``v1`` and ``v1.2`` are shorthands for
``v1.0.0`` / ``v1.2.0``. Build metadata (``+incompatible``) does not take part in ordering, and
pseudo-versions order correctly as ordinary pre-releases. OSV writes Go versions without the
``v`` (and the standard library as ``1.21.3``), so ``parse`` adds it when it is missing and
accepts a ``go`` prefix (``go1.21.3``).
"""

from __future__ import annotations

import re

from hullcheck.errors import InvalidVersion

NAME = "go"

_NUM = r"0|[1-9][0-9]*"
_IDENT = r"[0-9A-Za-z-]+"
_SEMVER = re.compile(
    rf"v({_NUM})(?:\.({_NUM})(?:\.({_NUM})"
    rf"(?:-({_IDENT}(?:\.{_IDENT})*))?"
    rf"(?:\+({_IDENT}(?:\.{_IDENT})*))?)?)?"
)
_NUMERIC = re.compile(r"[0-9]+")

# A pre-release list is less than the absence of one; ids: numbers < words; shorter list less.
_RELEASE = (1,)

Key = tuple[object, ...]


def _prerelease_key(pre: str) -> tuple[object, ...]:
    ids: list[tuple[int, object]] = []
    for ident in pre.split("."):
        if _NUMERIC.fullmatch(ident):
            ids.append((0, int(ident)))
        else:
            ids.append((1, ident))
    return (0, tuple(ids))


def _match(v: str) -> re.Match[str] | None:
    m = _SEMVER.fullmatch(v)
    if m is None:
        return None
    _major, minor, patch, pre, _build = m.groups()
    if minor is None or patch is None:
        # The shorthands take neither a pre-release nor build metadata (the regex enforces it).
        return m
    if pre is not None:
        for ident in pre.split("."):
            if len(ident) > 1 and ident[0] == "0" and ident.isdigit():
                return None  # numeric identifiers have no leading zeros
    return m


def is_valid(v: str) -> bool:
    """``semver.IsValid``: the exact x/mod/semver syntax, ``v`` required."""
    return _match(v) is not None


def _key(m: re.Match[str]) -> Key:
    major, minor, patch, pre, _build = m.groups()
    return (
        1,
        int(major),
        int(minor or 0),
        int(patch or 0),
        _prerelease_key(pre) if pre is not None else _RELEASE,
    )


def semver_key(v: str) -> Key:
    """``semver.Compare`` order: every invalid string equals every other and sorts first."""
    m = _match(v)
    return (0,) if m is None else _key(m)


def canonical(v: str) -> str:
    """``semver.Canonical``: ``v1.2`` -> ``v1.2.0``; build metadata dropped; "" if invalid."""
    m = _match(v)
    if m is None:
        return ""
    major, minor, patch, pre, _build = m.groups()
    out = f"v{major}.{minor or 0}.{patch or 0}"
    return out + (f"-{pre}" if pre is not None else "")


def parse(version: str) -> Key:
    """Key for a Go module version; raises InvalidVersion instead of sorting it first."""
    v = version.strip()
    if v.startswith("go"):
        v = v[2:]
    if not v.startswith("v"):
        v = "v" + v
    m = _match(v)
    if m is None:
        raise InvalidVersion(NAME, version, "not a Go semantic version")
    return _key(m)
