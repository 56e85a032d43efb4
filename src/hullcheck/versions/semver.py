"""npm / crates.io versions and ranges with node-semver's rules (the ``semver`` package, v7).

- ``SemVer``: ``1.2.3-pre.1+build``; ``loose`` also takes ``=v 1.2.3beta`` and leading zeros.
  Order: major, minor, patch, then a pre-release sorts before its release; pre-release ids
  compare numerically when both are numbers, numbers before words, shorter list first. Build
  metadata never takes part.
- ``Range``: ``||``-separated sets of space-separated comparators, with node-semver's sugar
  (``1.2.3 - 2.3``, ``~1.2``, ``^0.1``, ``1.x``, ``*``) rewritten to plain comparators exactly as
  node-semver does, so ``Range.format()`` prints what ``semver.validRange`` prints.
- ``satisfies(version, range, include_prerelease=False, loose=False)``: a pre-release version
  only matches a set that names a pre-release of the same ``major.minor.patch`` unless
  ``include_prerelease``.
- ``outside`` / ``gtr`` / ``ltr``: whether a version is above / below every set of a range.

Written from node-semver's documented behaviour and its test fixtures; numbers above 2**53-1
are refused as node-semver refuses them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from hullcheck.errors import InvalidVersion, VersionError

NAME = "semver"

MAX_LENGTH = 256
MAX_SAFE_INTEGER = 2**53 - 1

# --- the grammar, as node-semver spells it ---------------------------------------------------
_NUMID = r"0|[1-9]\d*"
_NUMID_LOOSE = r"\d+"
_NONNUMID = r"\d*[a-zA-Z-][a-zA-Z0-9-]*"
_MAIN = rf"({_NUMID})\.({_NUMID})\.({_NUMID})"
_MAIN_LOOSE = rf"({_NUMID_LOOSE})\.({_NUMID_LOOSE})\.({_NUMID_LOOSE})"
_PREID = rf"(?:{_NUMID}|{_NONNUMID})"
_PREID_LOOSE = rf"(?:{_NUMID_LOOSE}|{_NONNUMID})"
_PRE = rf"(?:-({_PREID}(?:\.{_PREID})*))"
_PRE_LOOSE = rf"(?:-?({_PREID_LOOSE}(?:\.{_PREID_LOOSE})*))"
_BUILDID = r"[a-zA-Z0-9-]+"
_BUILD = rf"(?:\+({_BUILDID}(?:\.{_BUILDID})*))"
_FULLPLAIN = rf"v?{_MAIN}{_PRE}?{_BUILD}?"
_LOOSEPLAIN = rf"[v=\s]*{_MAIN_LOOSE}{_PRE_LOOSE}?{_BUILD}?"
_GTLT = r"((?:<|>)?=?)"
_XRID = rf"{_NUMID}|x|X|\*"
_XRID_LOOSE = rf"{_NUMID_LOOSE}|x|X|\*"
_XRANGEPLAIN = (
    rf"[v=\s]*({_XRID})(?:\.({_XRID})(?:\.({_XRID})(?:{_PRE})?{_BUILD}?)?)?"
)
_XRANGEPLAIN_LOOSE = (
    rf"[v=\s]*({_XRID_LOOSE})(?:\.({_XRID_LOOSE})(?:\.({_XRID_LOOSE})(?:{_PRE_LOOSE})?{_BUILD}?)?)?"
)

_RE_FULL = re.compile(rf"^{_FULLPLAIN}$")
_RE_LOOSE = re.compile(rf"^{_LOOSEPLAIN}$")
_RE_XRANGE = re.compile(rf"^{_GTLT}\s*{_XRANGEPLAIN}$")
_RE_XRANGE_LOOSE = re.compile(rf"^{_GTLT}\s*{_XRANGEPLAIN_LOOSE}$")
_RE_TILDE = re.compile(rf"^(?:~>?){_XRANGEPLAIN}$")
_RE_TILDE_LOOSE = re.compile(rf"^(?:~>?){_XRANGEPLAIN_LOOSE}$")
_RE_TILDE_TRIM = re.compile(r"(\s*)(?:~>?)\s+")
_RE_CARET = re.compile(rf"^(?:\^){_XRANGEPLAIN}$")
_RE_CARET_LOOSE = re.compile(rf"^(?:\^){_XRANGEPLAIN_LOOSE}$")
_RE_CARET_TRIM = re.compile(r"(\s*)(?:\^)\s+")
_RE_COMPARATOR = re.compile(rf"^{_GTLT}\s*({_FULLPLAIN})$|^$")
_RE_COMPARATOR_LOOSE = re.compile(rf"^{_GTLT}\s*({_LOOSEPLAIN})$|^$")
_RE_COMPARATOR_TRIM = re.compile(rf"(\s*){_GTLT}\s*({_LOOSEPLAIN}|{_XRANGEPLAIN})")
_RE_HYPHEN = re.compile(rf"^\s*({_XRANGEPLAIN})\s+-\s+({_XRANGEPLAIN})\s*$")
_RE_HYPHEN_LOOSE = re.compile(rf"^\s*({_XRANGEPLAIN_LOOSE})\s+-\s+({_XRANGEPLAIN_LOOSE})\s*$")
_RE_STAR = re.compile(r"(<|>)?=?\s*\*")
_RE_GTE0 = re.compile(r"^\s*>=\s*0\.0\.0\s*$")
_RE_GTE0PRE = re.compile(r"^\s*>=\s*0\.0\.0-0\s*$")
_RE_BUILD = re.compile(_BUILD)
_RE_NUMERIC = re.compile(r"^[0-9]+$")


# --- versions --------------------------------------------------------------------------------
def _pre_key(pre: tuple[int | str, ...]) -> tuple[object, ...]:
    if not pre:
        return (1,)
    return (0, tuple((0, p) if isinstance(p, int) else (1, p) for p in pre))


@dataclass(frozen=True, slots=True)
class SemVer:
    major: int
    minor: int
    patch: int
    prerelease: tuple[int | str, ...] = ()
    build: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[object, ...]:
        return (self.major, self.minor, self.patch, _pre_key(self.prerelease))

    @property
    def version(self) -> str:
        v = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            v += "-" + ".".join(str(p) for p in self.prerelease)
        return v

    def __str__(self) -> str:
        return self.version

    def compare(self, other: SemVer) -> int:
        a, b = self.key, other.key
        return (a > b) - (a < b)


def parse_semver(version: str, loose: bool = False) -> SemVer:
    """node-semver's ``new SemVer(version, {loose})``; raises InvalidVersion."""
    if len(version) > MAX_LENGTH:
        raise InvalidVersion(NAME, version, f"longer than {MAX_LENGTH} characters")
    m = (_RE_LOOSE if loose else _RE_FULL).match(version.strip())
    if m is None:
        raise InvalidVersion(NAME, version, "not a semantic version")
    nums = [int(m.group(i)) for i in (1, 2, 3)]
    if any(n > MAX_SAFE_INTEGER for n in nums):
        raise InvalidVersion(NAME, version, "number too big")
    pre: list[int | str] = []
    if m.group(4):
        for ident in m.group(4).split("."):
            if _RE_NUMERIC.match(ident) and int(ident) <= MAX_SAFE_INTEGER:
                pre.append(int(ident))
            else:
                pre.append(ident)
    build = tuple(m.group(5).split(".")) if m.group(5) else ()
    return SemVer(nums[0], nums[1], nums[2], tuple(pre), build)


def parse(version: str) -> tuple[object, ...]:
    """Registry entry: strict node-semver first, then its loose form (``v1.2.3``, ``1.2.3beta``)."""
    try:
        return parse_semver(version).key
    except InvalidVersion:
        return parse_semver(version, loose=True).key


def valid(version: str, loose: bool = False) -> bool:
    try:
        parse_semver(version, loose)
    except InvalidVersion:
        return False
    return True


# --- comparators and ranges ------------------------------------------------------------------
class _Any:
    """The comparator that matches everything (``*``, ``""``)."""

    def __repr__(self) -> str:
        return "ANY"


ANY = _Any()


def _cmp(a: SemVer, op: str, b: SemVer) -> bool:
    c = a.compare(b)
    if op in ("", "="):
        return c == 0
    if op == ">":
        return c > 0
    if op == ">=":
        return c >= 0
    if op == "<":
        return c < 0
    if op == "<=":
        return c <= 0
    raise VersionError(f"invalid comparator operator {op!r}")


@dataclass(frozen=True, slots=True)
class Comparator:
    operator: str
    semver: SemVer | _Any

    @property
    def value(self) -> str:
        return "" if isinstance(self.semver, _Any) else self.operator + self.semver.version

    def test(self, version: SemVer) -> bool:
        if isinstance(self.semver, _Any):
            return True
        return _cmp(version, self.operator, self.semver)


def _parse_comparator_value(comp: str, loose: bool) -> Comparator:
    comp = " ".join(comp.split())
    m = (_RE_COMPARATOR_LOOSE if loose else _RE_COMPARATOR).match(comp)
    if m is None:
        raise VersionError(f"invalid semver comparator {comp!r}")
    op = m.group(1) or ""
    if op == "=":
        op = ""
    if not m.group(2):
        return Comparator(op, ANY)
    return Comparator(op, parse_semver(m.group(2), loose))


def _is_x(ident: str | None) -> bool:
    return not ident or ident.lower() == "x" or ident == "*"


def _check_x_order(*parts: str | None) -> None:
    """``1.x.5`` and ``x.1`` are refused: a wildcard may only be followed by wildcards."""
    wild = False
    for p in parts:
        if p is None:
            break
        if _is_x(p):
            wild = True
        elif wild:
            raise VersionError(f"invalid x-range: {'.'.join(q for q in parts if q is not None)}")


def _replace_caret(comp: str, loose: bool, inc_pre: bool) -> str:
    z = "-0" if inc_pre else ""

    def repl(m: re.Match[str]) -> str:
        maj, mnr, pat, pre = m.group(1), m.group(2), m.group(3), m.group(4)
        _check_x_order(maj, mnr, pat)
        if _is_x(maj):
            return ""
        if _is_x(mnr):
            return f">={maj}.0.0{z} <{int(maj) + 1}.0.0-0"
        if _is_x(pat):
            if maj == "0":
                return f">={maj}.{mnr}.0{z} <{maj}.{int(mnr) + 1}.0-0"
            return f">={maj}.{mnr}.0{z} <{int(maj) + 1}.0.0-0"
        if pre:
            if maj == "0":
                if mnr == "0":
                    return f">={maj}.{mnr}.{pat}-{pre} <{maj}.{mnr}.{int(pat) + 1}-0"
                return f">={maj}.{mnr}.{pat}-{pre} <{maj}.{int(mnr) + 1}.0-0"
            return f">={maj}.{mnr}.{pat}-{pre} <{int(maj) + 1}.0.0-0"
        if maj == "0":
            if mnr == "0":
                return f">={maj}.{mnr}.{pat} <{maj}.{mnr}.{int(pat) + 1}-0"
            return f">={maj}.{mnr}.{pat} <{maj}.{int(mnr) + 1}.0-0"
        return f">={maj}.{mnr}.{pat} <{int(maj) + 1}.0.0-0"

    rx = _RE_CARET_LOOSE if loose else _RE_CARET
    return " ".join(rx.sub(repl, c, count=1) for c in comp.strip().split())


def _replace_tilde(comp: str, loose: bool, inc_pre: bool) -> str:
    z = "-0" if inc_pre else ""

    def repl(m: re.Match[str]) -> str:
        maj, mnr, pat, pre = m.group(1), m.group(2), m.group(3), m.group(4)
        _check_x_order(maj, mnr, pat)
        if _is_x(maj):
            return ""
        if _is_x(mnr):
            return f">={maj}.0.0{z} <{int(maj) + 1}.0.0-0"
        if _is_x(pat):
            return f">={maj}.{mnr}.0{z} <{maj}.{int(mnr) + 1}.0-0"
        if pre:
            return f">={maj}.{mnr}.{pat}-{pre} <{maj}.{int(mnr) + 1}.0-0"
        return f">={maj}.{mnr}.{pat} <{maj}.{int(mnr) + 1}.0-0"

    rx = _RE_TILDE_LOOSE if loose else _RE_TILDE
    return " ".join(rx.sub(repl, c, count=1) for c in comp.strip().split())


def _replace_xrange(comp: str, loose: bool, inc_pre: bool) -> str:
    def repl(m: re.Match[str]) -> str:
        ret = m.group(0)
        gtlt, maj, mnr, pat = m.group(1), m.group(2), m.group(3), m.group(4)
        _check_x_order(maj, mnr, pat)
        xmaj = _is_x(maj)
        xmin = xmaj or _is_x(mnr)
        xpat = xmin or _is_x(pat)
        any_x = xpat
        if gtlt == "=" and any_x:
            gtlt = ""
        pr = "-0" if inc_pre else ""
        if xmaj:
            return "<0.0.0-0" if gtlt in (">", "<") else "*"
        if gtlt and any_x:
            mj, mn, pt = int(maj), (0 if xmin else int(mnr)), 0
            if gtlt == ">":
                gtlt = ">="
                if xmin:
                    mj, mn, pt = mj + 1, 0, 0
                else:
                    mn, pt = mn + 1, 0
            elif gtlt == "<=":
                gtlt = "<"
                if xmin:
                    mj += 1
                else:
                    mn += 1
            if gtlt == "<":
                pr = "-0"
            return f"{gtlt}{mj}.{mn}.{pt}{pr}"
        if xmin:
            return f">={maj}.0.0{pr} <{int(maj) + 1}.0.0-0"
        if xpat:
            return f">={maj}.{mnr}.0{pr} <{maj}.{int(mnr) + 1}.0-0"
        return ret

    rx = _RE_XRANGE_LOOSE if loose else _RE_XRANGE
    return " ".join(rx.sub(repl, c.strip(), count=1) for c in comp.split())


def _hyphen_replace(inc_pre: bool) -> Callable[[re.Match[str]], str]:
    z = "-0" if inc_pre else ""

    def repl(m: re.Match[str]) -> str:
        frm, fmaj, fmin, fpat, fpre = m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)
        to, tmaj, tmin, tpat, tpre = m.group(7), m.group(8), m.group(9), m.group(10), m.group(11)
        _check_x_order(fmaj, fmin, fpat)
        _check_x_order(tmaj, tmin, tpat)
        if _is_x(fmaj):
            frm = ""
        elif _is_x(fmin):
            frm = f">={fmaj}.0.0{z}"
        elif _is_x(fpat):
            frm = f">={fmaj}.{fmin}.0{z}"
        elif fpre:
            frm = f">={frm}"
        else:
            frm = f">={frm}{z}"
        if _is_x(tmaj):
            to = ""
        elif _is_x(tmin):
            to = f"<{int(tmaj) + 1}.0.0-0"
        elif _is_x(tpat):
            to = f"<{tmaj}.{int(tmin) + 1}.0-0"
        elif tpre:
            to = f"<={tmaj}.{tmin}.{tpat}-{tpre}"
        elif inc_pre:
            to = f"<{tmaj}.{tmin}.{int(tpat) + 1}-0"
        else:
            to = f"<={to}"
        return f"{frm} {to}".strip()

    return repl


def _is_null_set(c: Comparator) -> bool:
    return c.value == "<0.0.0-0"


def _parse_set(rng: str, loose: bool, inc_pre: bool) -> list[Comparator]:
    rng = (_RE_HYPHEN_LOOSE if loose else _RE_HYPHEN).sub(_hyphen_replace(inc_pre), rng, count=1)
    rng = _RE_COMPARATOR_TRIM.sub(r"\1\2\3", rng)
    rng = _RE_TILDE_TRIM.sub(r"\1~", rng)
    rng = _RE_CARET_TRIM.sub(r"\1^", rng)
    parts: list[str] = []
    for comp in rng.split(" "):
        comp = _RE_BUILD.sub("", comp, count=1)
        comp = _replace_caret(comp, loose, inc_pre)
        comp = _replace_tilde(comp, loose, inc_pre)
        comp = _replace_xrange(comp, loose, inc_pre)
        comp = _RE_STAR.sub("", comp.strip())
        parts.append(comp)
    gte0 = _RE_GTE0PRE if inc_pre else _RE_GTE0
    comps = [gte0.sub("", c.strip()) for c in re.split(r"\s+", " ".join(parts))]
    if loose:
        comps = [c for c in comps if _RE_COMPARATOR_LOOSE.match(c)]
    by_value: dict[str, Comparator] = {}
    for text in comps:
        c = _parse_comparator_value(text, loose)
        if _is_null_set(c):
            return [c]
        by_value[c.value] = c
    if len(by_value) > 1 and "" in by_value:
        del by_value[""]
    return list(by_value.values())


@dataclass(frozen=True)
class Range:
    raw: str
    sets: tuple[tuple[Comparator, ...], ...]
    loose: bool = False
    include_prerelease: bool = False

    def format(self) -> str:
        """node-semver's ``range.range``; ``valid_range`` turns "" into ``*``."""
        return "||".join(" ".join(c.value for c in s).strip() for s in self.sets).strip()

    def test(self, version: SemVer) -> bool:
        return any(self._test_set(s, version) for s in self.sets)

    def _test_set(self, comps: tuple[Comparator, ...], version: SemVer) -> bool:
        if not all(c.test(version) for c in comps):
            return False
        if version.prerelease and not self.include_prerelease:
            # A pre-release only matches when some comparator names a pre-release of the same
            # major.minor.patch: ">1.2.3-alpha" admits 1.2.3-beta but not 1.2.4-beta.
            for c in comps:
                s = c.semver
                if isinstance(s, _Any) or not s.prerelease:
                    continue
                if (s.major, s.minor, s.patch) == (version.major, version.minor, version.patch):
                    return True
            return False
        return True


def parse_range(rng: str, loose: bool = False, include_prerelease: bool = False) -> Range:
    """node-semver's ``new Range(rng, options)``; raises VersionError when it does not parse."""
    if len(rng) > 4 * MAX_LENGTH * 16:
        raise VersionError("semver range too long")
    raw = " ".join(rng.strip().split())
    sets: list[list[Comparator]] = []
    for part in raw.split("||"):
        try:
            s = _parse_set(part.strip(), loose, include_prerelease)
        except VersionError as e:
            raise VersionError(f"invalid semver range {rng!r}: {e.message}") from e
        if s:
            sets.append(s)
    if not sets:
        raise VersionError(f"invalid semver range {rng!r}")
    if len(sets) > 1:
        first = sets[0]
        sets = [s for s in sets if not _is_null_set(s[0])]
        if not sets:
            sets = [first]
        elif len(sets) > 1:
            for s in sets:
                if len(s) == 1 and isinstance(s[0].semver, _Any):
                    sets = [s]
                    break
    return Range(raw, tuple(tuple(s) for s in sets), loose, include_prerelease)


def valid_range(rng: str, loose: bool = False, include_prerelease: bool = False) -> str | None:
    """node-semver's ``validRange``: the normalised range, ``*`` for "any", None if invalid."""
    try:
        return parse_range(rng, loose, include_prerelease).format() or "*"
    except VersionError:
        return None


def satisfies(
    version: str, rng: str, include_prerelease: bool = False, loose: bool = False
) -> bool:
    """node-semver's ``satisfies``: False (not an error) for an invalid version or range."""
    try:
        r = parse_range(rng, loose, include_prerelease)
        v = parse_semver(version, loose)
    except VersionError:
        return False
    return r.test(v)


def outside(
    version: str, rng: str, hilo: str, include_prerelease: bool = False, loose: bool = False
) -> bool:
    """True when ``version`` is above (``hilo=">"``) or below (``"<"``) every set of ``rng``."""
    v = parse_semver(version, loose)
    r = parse_range(rng, loose, include_prerelease)
    if hilo == ">":
        comp, ecomp = ">", ">="

        def gtfn(a: SemVer, b: SemVer) -> bool:
            return a.compare(b) > 0

        def ltfn(a: SemVer, b: SemVer) -> bool:
            return a.compare(b) < 0

        def ltefn(a: SemVer, b: SemVer) -> bool:
            return a.compare(b) <= 0
    elif hilo == "<":
        comp, ecomp = "<", "<="

        def gtfn(a: SemVer, b: SemVer) -> bool:
            return a.compare(b) < 0

        def ltfn(a: SemVer, b: SemVer) -> bool:
            return a.compare(b) > 0

        def ltefn(a: SemVer, b: SemVer) -> bool:
            return a.compare(b) >= 0
    else:
        raise VersionError("hilo must be '<' or '>'")
    if r.test(v):
        return False
    zero = Comparator(">=", SemVer(0, 0, 0))
    for comps in r.sets:
        high: Comparator | None = None
        low: Comparator | None = None
        for c in comps:
            if isinstance(c.semver, _Any):
                c = zero
            high = high or c
            low = low or c
            assert isinstance(c.semver, SemVer)
            assert isinstance(high.semver, SemVer) and isinstance(low.semver, SemVer)
            if gtfn(c.semver, high.semver):
                high = c
            elif ltfn(c.semver, low.semver):
                low = c
        assert high is not None and low is not None
        assert isinstance(low.semver, SemVer)
        if high.operator in (comp, ecomp):
            return False
        if (not low.operator or low.operator == comp) and ltefn(v, low.semver):
            return False
        if low.operator == ecomp and ltfn(v, low.semver):
            return False
    return True


def gtr(version: str, rng: str, include_prerelease: bool = False, loose: bool = False) -> bool:
    return outside(version, rng, ">", include_prerelease, loose)


def ltr(version: str, rng: str, include_prerelease: bool = False, loose: bool = False) -> bool:
    return outside(version, rng, "<", include_prerelease, loose)
