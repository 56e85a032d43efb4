"""NuGet package versions (NuGet.Versioning).

Syntax: ``Major.Minor[.Patch[.Revision]][-label.label][+meta]``.

Missing parts are 0, leading zeros are allowed (``1.01`` == ``1.1``), a release sorts after its
pre-releases, labels compare as in SemVer 2.0 but case-insensitively (numeric labels by value,
before alphanumeric ones), and metadata after ``+`` is ignored.
"""

from __future__ import annotations

import re

from hullcheck.errors import InvalidVersion

NAME = "nuget"

_VERSION = re.compile(
    r"[vV]?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:\.([0-9]+))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)

Key = tuple[object, ...]


def parse(version: str) -> Key:
    m = _VERSION.fullmatch(version.strip())
    if m is None:
        raise InvalidVersion(NAME, version, "not a NuGet version")
    nums = tuple(int(g) if g else 0 for g in m.groups()[:4])
    label = m.group(5)
    if label is None:
        pre: tuple[object, ...] = (1,)
    else:
        pre = (
            0,
            tuple((0, int(p)) if p.isdigit() else (1, p.lower()) for p in label.split(".")),
        )
    return (*nums, pre)
