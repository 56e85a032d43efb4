"""RubyGems versions (``Gem::Version``) and requirements (``Gem::Requirement``).

A version is dot-separated numbers and letter runs (``1.2.0.rc1`` -> 1, 2, 0, "rc", 1); a ``-``
means ``.pre.``; an empty version is ``0``. Any letter run makes the version a pre-release.
Comparison pads with zeros, strings sort before numbers, and trailing zeros of the numeric part
and of the pre-release part do not count (``1.0`` == ``1``, ``1.0.a`` == ``1.a``).

The key encodes the zero-padded segment list so that tuple comparison is ``<=>``: each
non-zero segment is stored with the count of zeros before it, numbers in class 1 (fewer zeros
before a number = bigger), strings in class 0 (fewer zeros before a string = smaller), and the
end (zeros forever) sits between the two classes.
"""

from __future__ import annotations

import re

from hullcheck.errors import InvalidVersion, VersionError

NAME = "rubygems"

_VALID = re.compile(r"\s*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?\s*")
_SEGMENT = re.compile(r"[0-9]+|[a-zA-Z]+")
_END: tuple[float, ...] = (0.5,)

Key = tuple[tuple[object, ...], ...]


def segments(version: str) -> list[int | str]:
    """``Gem::Version#canonical_segments``."""
    if not _VALID.fullmatch(version):
        raise InvalidVersion(NAME, version, "malformed version number string")
    v = version.strip() or "0"
    v = v.replace("-", ".pre.")
    segs: list[int | str] = [int(s) if s.isdigit() else s for s in _SEGMENT.findall(v)]
    cut = next((i for i, s in enumerate(segs) if isinstance(s, str)), len(segs))
    numeric, pre = segs[:cut], segs[cut:]
    while numeric and numeric[-1] == 0:
        numeric.pop()
    while pre and pre[-1] == 0:
        pre.pop()
    return numeric + pre


def parse(version: str) -> Key:
    out: list[tuple[object, ...]] = []
    zeros = 0
    for s in segments(version):
        if s == 0:
            zeros += 1
            continue
        if isinstance(s, str):
            out.append((0, zeros, s))
        else:
            out.append((1, -zeros, s))
        zeros = 0
    out.append(_END)
    return tuple(out)


def is_prerelease(version: str) -> bool:
    return any(isinstance(s, str) for s in segments(version))


def _written(version: str) -> list[int]:
    """The numeric segments as written, up to the first letter (``Gem::Version#release``)."""
    segments(version)  # validates
    v = (version.strip() or "0").replace("-", ".pre.")
    nums: list[int] = []
    for s in _SEGMENT.findall(v):
        if not s.isdigit():
            break
        nums.append(int(s))
    return nums


def _release(version: str) -> Key:
    return parse(".".join(str(n) for n in _written(version)) or "0")


def _bump(version: str) -> Key:
    """``Gem::Version#bump``: drop pre-release parts and the last part, increment the new last."""
    nums = _written(version) or [0]
    if len(nums) > 1:
        nums.pop()
    nums[-1] += 1
    return parse(".".join(str(n) for n in nums))


_REQ = re.compile(r"\s*(=|!=|>=|<=|>|<|~>)?\s*(\S.*?)?\s*")


def _satisfies_one(version: str, v: Key, op: str, target: str) -> bool:
    t = parse(target)
    if op == "=":
        return v == t
    if op == "!=":
        return v != t
    if op == ">":
        return v > t
    if op == "<":
        return v < t
    if op == ">=":
        return v >= t
    if op == "<=":
        return v <= t
    # "~> 1.4.4" means >= 1.4.4 and < 1.5 (the pessimistic operator)
    return v >= t and _release(version) < _bump(target)


def satisfies(version: str, requirement: str) -> bool:
    """``Gem::Requirement.new(*requirement.split(",")).satisfied_by?(Gem::Version.new(version))``."""
    v = parse(version)
    for part in requirement.split(","):
        m = _REQ.fullmatch(part)
        if m is None or m.group(2) is None:
            raise VersionError(f"invalid RubyGems requirement {requirement!r}")
        if not _satisfies_one(version, v, m.group(1) or "=", m.group(2)):
            return False
    return True
