"""Ecosystem names and package-name normalisation, the way each registry compares names.

A lookup key is (ecosystem, normalised name). Only ecosystems whose registry treats two spellings
as the same package fold them: PyPI (PEP 503), NuGet and Packagist and GitHub Actions
(case-insensitive). Go, Maven, crates.io, RubyGems, npm (legacy mixed-case names exist) and the
distros keep the name exactly, because their registries do.
"""

from __future__ import annotations

import re

_PEP503 = re.compile(r"[-_.]+")
_LOWERCASE = frozenset({"NuGet", "Packagist", "GitHub Actions", "Hex", "Pub"})


def base_ecosystem(ecosystem: str) -> str:
    """``Debian:12`` -> ``Debian``; ``Ubuntu:Pro:22.04:LTS`` -> ``Ubuntu``; ``PyPI`` -> ``PyPI``."""
    return ecosystem.split(":", 1)[0]


def normalize_name(ecosystem: str, name: str) -> str:
    base = base_ecosystem(ecosystem)
    if base == "PyPI":
        return _PEP503.sub("-", name).lower()
    if base in _LOWERCASE:
        return name.lower()
    return name
