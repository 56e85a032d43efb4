"""Installed Ruby gems: ``specifications/*.gemspec`` (and ``specifications/default/``).

These are the specs RubyGems *generates* at install time, a fixed Ruby subset
(``s.name = "rake".freeze``). We read them with a few anchored patterns instead of evaluating
Ruby: the attribute assignments on the spec block's variable, string literals with an optional
``.freeze``, ``Gem::Version.new("...")`` for versions, and a string or an array for licenses.
"""

from __future__ import annotations

import re

from hullcheck.catalog.interface import Artifact, FileInput, Interest
from hullcheck.catalog.langbase import (
    MAX_FIELD_CHARS,
    MAX_MANIFEST_BYTES,
    ParseError,
    analyze_with,
    decode_text,
    make_purl,
    new_package,
)
from hullcheck.model import Package, PackageType

ECOSYSTEM = "RubyGems"

_BLOCK = re.compile(r"Gem::Specification\.new\s+do\s*\|\s*([A-Za-z_]\w*)\s*\|")
_STRING = r"""(?:"((?:[^"\\\n]|\\.){0,512})"|'((?:[^'\\\n]|\\.){0,512})')(?:\.freeze)?"""
_STRING_RE = re.compile(_STRING)
_GEM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_VERSION = re.compile(r"^[0-9]+(?:\.[0-9A-Za-z]+)*(?:-[0-9A-Za-z.]+)?$")


def _assignment(var: str, attr: str, value: str) -> re.Pattern[str]:
    return re.compile(rf"^[ \t]*{re.escape(var)}\.{attr}[ \t]*=[ \t]*{value}", re.MULTILINE)


def _string_value(m: re.Match[str] | None) -> str:
    if m is None:
        return ""
    raw = m.group(1) if m.group(1) is not None else m.group(2)
    return raw or ""


def parse_gemspec(data: bytes, path: str, found_by: str = "gemspec") -> list[Package]:
    text = decode_text(data)
    block = _BLOCK.search(text)
    if block is None:
        raise ParseError("not a generated gemspec (no Gem::Specification.new block)")
    var = block.group(1)  # Ruby would fail on assignments to any other variable
    name = _string_value(_assignment(var, "name", _STRING).search(text))
    version_m = _assignment(var, "version", _STRING).search(text) or _assignment(
        var, "version", r"Gem::Version\.new\(\s*" + _STRING + r"\s*\)"
    ).search(text)
    version = _string_value(version_m)
    if not name or not _GEM_NAME.match(name):
        raise ParseError(f"gemspec without a usable name (spec variable {var!r})")
    if not version or not _VERSION.match(version):
        raise ParseError(f"gem {name!r} without a usable version")
    licenses: list[str] = []
    lic = _assignment(var, r"licenses?", r"(\[[^\]\n]{0,4096}\]|" + _STRING + ")").search(text)
    if lic:
        licenses = [_string_value(m) for m in _STRING_RE.finditer(lic.group(1))]
    platform = _string_value(_assignment(var, "platform", _STRING).search(text))
    qualifiers = {"platform": platform} if platform and platform != "ruby" else None
    metadata = {"platform": platform} if qualifiers else {}
    return [
        new_package(
            name=name,
            version=version,
            ptype=PackageType.GEM,
            ecosystem=ECOSYSTEM,
            purl=make_purl("gem", name, version, qualifiers=qualifiers),
            path=path,
            found_by=found_by,
            licenses=[x for x in licenses if x and len(x) <= MAX_FIELD_CHARS],
            metadata=metadata,
        )
    ]


class GemspecAnalyzer:
    id = "gemspec"
    interest = Interest(suffixes=(".gemspec",))
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        # Installed specs live under .../specifications/ (default gems in specifications/default/);
        # a *.gemspec elsewhere is a gem's source tree: arbitrary Ruby, not an installation.
        return path.endswith(".gemspec") and "/specifications/" in path

    def analyze(self, f: FileInput) -> Artifact:
        return analyze_with(self.id, f, MAX_MANIFEST_BYTES, parse_gemspec)
