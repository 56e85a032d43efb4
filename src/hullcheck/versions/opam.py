"""OCaml opam versions: opam orders whole version strings with Debian's algorithm (dpkg's
``verrevcmp``: ``~`` first, then the end, letters, other characters; digit runs as numbers),
without splitting off an epoch or a revision."""

from __future__ import annotations

from hullcheck.errors import InvalidVersion
from hullcheck.versions.dpkg import verrevcmp_key

NAME = "opam"

Key = tuple[int, ...]


def parse(version: str) -> Key:
    v = version.strip()
    if not v or any(c.isspace() for c in v):
        raise InvalidVersion(NAME, version, "empty or with spaces")
    return verrevcmp_key(v)
