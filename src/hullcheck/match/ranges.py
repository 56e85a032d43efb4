"""OSV range evaluation, in exactly one function: ``is_affected``.

It follows the evaluation algorithm of the OSV schema (https://ossf.github.io/osv-schema/):

- every ``SEMVER`` or ``ECOSYSTEM`` range of the ``affected`` entry is tried; ``GIT`` ranges
  name commits, not versions, and are ignored here;
- a range's events are sorted by version in the range's order (``introduced: "0"`` first;
  equal versions keep the record's order), then walked: at or past an
  ``introduced`` the version is affected, at or past a ``fixed`` or past a ``last_affected`` it
  is not;
- ``limit`` events cap the range: when a range has any, the version must be below one of them
  (``limit: "*"`` is no cap);
- ``SEMVER`` ranges use SemVer 2.0 precedence whatever the ecosystem (a Go ``v`` is accepted);
  ``ECOSYSTEM`` ranges use the ecosystem's own order (``hullcheck.versions``);
- finally the explicit ``versions`` list is checked (same string, or an equal version).

A version in the record that does not parse is skipped and reported (appended to ``skipped``
when the caller passes a list), never raised; so is a range that cannot be read at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hullcheck import versions
from hullcheck.errors import VersionError
from hullcheck.versions import golang

SEMVER = "SEMVER"
ECOSYSTEM = "ECOSYSTEM"
GIT = "GIT"

VIA_RANGE = "range"
VIA_VERSIONS = "versions"

_EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")


@dataclass(frozen=True)
class Skipped:
    """A version string of the record (or the package's own version) that could not be read."""

    range_index: int | None  # None: the ``versions`` list or the package version itself
    kind: str  # event kind, "versions" or "package"
    version: str
    reason: str


@dataclass(frozen=True)
class AffectedHit:
    """Why a version is affected: which range and event, or the explicit ``versions`` list."""

    via: str  # VIA_RANGE or VIA_VERSIONS
    range_index: int | None = None  # index into affected["ranges"]
    range_type: str | None = None  # SEMVER or ECOSYSTEM
    introduced: str | None = None  # the event that opened the interval holding the version
    closed_by: str | None = None  # the next fixed / last_affected event after it, if any
    fixed: tuple[str, ...] = ()  # fixed versions above the package's version, lowest first
    last_affected: str | None = None


def _events(rng: Mapping[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for ev in rng.get("events") or ():
        if not isinstance(ev, Mapping):
            continue
        for kind in _EVENT_KINDS:
            val = ev.get(kind)
            if isinstance(val, str):
                out.append((kind, val))
    return out


def is_affected(
    ecosystem: str,
    version: str,
    affected: Mapping[str, Any],
    *,
    skipped: list[Skipped] | None = None,
) -> AffectedHit | None:
    """Whether ``version`` of a package in ``ecosystem`` is affected by one OSV ``affected`` entry.

    Returns the first matching range's hit (ranges in record order), else a ``versions`` hit,
    else None. Raises only ``UnknownEcosystemError`` when an ECOSYSTEM range must be evaluated
    for an ecosystem without a version scheme.
    """

    def skip(ri: int | None, kind: str, v: str, why: str) -> None:
        if skipped is not None:
            skipped.append(Skipped(ri, kind, v, why))

    ranges: Sequence[Any] = affected.get("ranges") or ()
    all_fixed: list[tuple[Any, str]] = []  # for a ``versions`` hit: fixes of every range
    pkg_keys: dict[str, Any] = {}

    for ri, rng in enumerate(ranges):
        if not isinstance(rng, Mapping):
            skip(ri, "range", repr(rng)[:80], "range is not an object")
            continue
        rtype = rng.get("type")
        if rtype == GIT:
            continue
        parse: Callable[[str], Any]
        if rtype == SEMVER:
            parse = versions.semver2_parse
        elif rtype == ECOSYSTEM:
            scheme = versions.scheme_for(ecosystem)
            parse = scheme.parse
        else:
            skip(ri, "range", str(rtype), "unknown range type")
            continue

        if rtype not in pkg_keys:
            try:
                pkg_keys[rtype] = _package_key(ecosystem, rtype, version, parse)
            except VersionError as e:
                pkg_keys[rtype] = None
                skip(None, "package", version, f"{rtype}: {e.message}")
        v = pkg_keys[rtype]

        # Parse and sort the events; unreadable ones are skipped.
        parsed: list[tuple[Any, int, str, str]] = []  # (key, position, kind, version)
        zeros: list[tuple[str, str]] = []
        limits: list[Any] = []
        unlimited = False
        for pos, (kind, val) in enumerate(_events(rng)):
            if kind == "introduced" and val == "0":
                zeros.append((kind, val))
                continue
            if kind == "limit" and val == "*":
                unlimited = True
                continue
            try:
                key = parse(val)
            except VersionError as e:
                skip(ri, kind, val, e.message)
                continue
            if kind == "limit":
                limits.append(key)
            else:
                parsed.append((key, pos, kind, val))
            if kind == "fixed":
                all_fixed.append((key, val))
        if v is None:
            continue
        # Sort by version only; equal versions keep the record's order (a stable sort), which is
        # how osv.dev reads "fixed X, introduced X" (adjacent) and "introduced X, fixed X" (empty).
        parsed.sort(key=lambda e: (e[0], e[1]))

        if limits and not unlimited and not any(v < lim for lim in limits):
            continue

        # The schema's walk: at/after introduced -> affected; at/after fixed or after
        # last_affected -> not. Also note the interval's opening event and closing bound.
        state = False
        opened_by: str | None = None
        closed_by: str | None = None
        sequence: list[tuple[Any, str, str]] = [(None, k, val) for k, val in zeros]
        sequence += [(key, kind, val) for key, _o, kind, val in parsed]
        for key, kind, val in sequence:
            if kind == "introduced" and (key is None or v >= key):
                state, opened_by, closed_by = True, val, None
            elif (kind == "fixed" and v >= key) or (kind == "last_affected" and v > key):
                state = False
            elif state and closed_by is None and kind != "introduced":
                closed_by = val
        if state:
            return AffectedHit(
                via=VIA_RANGE,
                range_index=ri,
                range_type=str(rtype),
                introduced=opened_by,
                closed_by=closed_by,
                fixed=tuple(val for key, _o, kind, val in parsed if kind == "fixed" and key > v),
                last_affected=next(
                    (val for key, _o, kind, val in parsed
                     if kind == "last_affected" and not v > key),
                    None,
                ),
            )

    listed = affected.get("versions") or ()
    if listed and isinstance(listed, Sequence) and not isinstance(listed, str):
        if version in listed:
            return _versions_hit(version, all_fixed, pkg_keys.get(ECOSYSTEM))
        try:
            scheme = versions.scheme_for(ecosystem)
            v = scheme.parse(version)
        except VersionError as e:
            if ECOSYSTEM not in pkg_keys:  # not reported yet by an ECOSYSTEM range
                skip(None, "package", version, e.message)
            return None
        for item in listed:
            if not isinstance(item, str):
                continue
            try:
                if scheme.parse(item) == v:
                    return _versions_hit(version, all_fixed, v)
            except VersionError as e:
                skip(None, VIA_VERSIONS, item, e.message)
    return None


def _package_key(ecosystem: str, rtype: str, version: str, parse: Callable[[str], Any]) -> Any:
    """The package's own version as a key for one range type. A Go version is first made
    canonical for SEMVER ranges (``1.19`` -> ``1.19.0``, ``go1.21`` -> ``1.21.0``), as Go
    itself reads it; OSV's Go records write full versions without the ``v``."""
    if rtype == SEMVER and versions.scheme_for_or_none(ecosystem) is versions.SCHEMES["go"]:
        v = version.strip()
        v = v[2:] if v.startswith("go") else v
        canon = golang.canonical(v if v.startswith("v") else "v" + v)
        if canon:
            return parse(canon[1:])
    return parse(version)


def _versions_hit(version: str, all_fixed: list[tuple[Any, str]], v: Any) -> AffectedHit:
    fixed: tuple[str, ...] = ()
    if v is not None:
        try:
            fixed = tuple(s for _k, s in sorted(f for f in all_fixed if f[0] > v))
        except TypeError:  # keys of SEMVER and ECOSYSTEM ranges do not compare with each other
            fixed = ()
    return AffectedHit(via=VIA_VERSIONS, fixed=fixed)
