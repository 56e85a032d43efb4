"""Versions that are plain lists of numbers.

- ``pvp`` (Hackage, GHC): Haskell's Package Versioning Policy, ``1.2.0.3``; ``Data.Version``
  orders the number lists lexicographically, so a prefix sorts first (``1.2`` < ``1.2.0``).
- ``r`` (CRAN, Bioconductor): R's ``package_version``, numbers separated by ``.`` or ``-``
  (``1.2-3`` == ``1.2.3``), compared the same way.
"""

from __future__ import annotations

import re

from hullcheck.errors import InvalidVersion

PVP = "pvp"
R = "r"

_PVP = re.compile(r"[0-9]+(?:\.[0-9]+)*")
_R = re.compile(r"[0-9]+(?:[.-][0-9]+)+")

Key = tuple[int, ...]


def parse_pvp(version: str) -> Key:
    v = version.strip()
    if not _PVP.fullmatch(v):
        raise InvalidVersion(PVP, version, "not a dotted list of numbers")
    return tuple(int(p) for p in v.split("."))


def parse_r(version: str) -> Key:
    v = version.strip()
    if not _R.fullmatch(v):
        raise InvalidVersion(R, version, "not an R package version (numbers joined by . or -)")
    return tuple(int(p) for p in re.split(r"[.-]", v))
