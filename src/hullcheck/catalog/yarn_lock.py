"""``yarn.lock``: the classic v1 format and the berry (v2+) format, in one line-based pass.

Both are "a key line at column 0, then two-space-indented fields": v1 writes ``version "1.2.3"``,
berry (a YAML subset) writes ``version: 1.2.3`` plus ``resolution: "name@npm:1.2.3"``. A small
line reader handles both and is linear in the file size; a general YAML parser is not needed
(v1 is not YAML at all) and would build the whole document for three fields per entry.
"""

from __future__ import annotations

import re

from hullcheck.catalog.interface import Artifact, FileInput, Interest
from hullcheck.catalog.langbase import (
    MAX_FIELD_CHARS,
    MAX_LOCKFILE_BYTES,
    ParseError,
    analyze_with,
    basename,
    decode_text,
)
from hullcheck.catalog.npm_common import Collector, valid_name
from hullcheck.model import Package

# Local code, not a published package: the workspace itself, folders, tarballs on disk.
_LOCAL_PROTOCOLS = ("workspace:", "portal:", "link:", "file:", "exec:")
_REGISTRY_URL = re.compile(r"^https?://registry\.(?:yarnpkg\.com|npmjs\.org)/(.+?)/-/([^/#]+)")
_FIELD = re.compile(r'^  ("(?:[^"\\]|\\.)*"|[^\s:"]+):?(?:\s+(.*))?$')


def _unquote(s: str) -> str:
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] == '"':
        return s[1:-1].replace('\\"', '"')
    return s


def split_descriptor(desc: str) -> tuple[str, str]:
    """``@scope/name@range`` -> (``@scope/name``, ``range``); the ``@`` of a scope is skipped."""
    at = desc.find("@", 1)
    if at < 0:
        return desc, ""
    return desc[:at], desc[at + 1 :]


def _registry_name(resolved: str) -> str:
    """The package a v1 entry was fetched as, from a public-registry tarball URL
    (``https://registry.yarnpkg.com/@s/n/-/n-1.0.0.tgz#sha``); "" for anything else."""
    m = _REGISTRY_URL.match(resolved)
    if not m or not m.group(2).startswith(m.group(1).rsplit("/", 1)[-1] + "-"):
        return ""
    return m.group(1) if valid_name(m.group(1)) else ""


def _entry(key: str, fields: dict[str, str], out: Collector) -> None:
    version = fields.get("version", "")
    first = _unquote(key.split(",")[0])
    name, spec = split_descriptor(first)
    resolution = fields.get("resolution")
    if resolution:  # berry: authoritative name and protocol
        name, spec = split_descriptor(resolution)
    target = spec[4:] if spec.startswith("npm:") else ""
    if target[:1].isalpha() or target.startswith("@"):
        # an alias ("alias@npm:real-name@^1.0.0", "alias@npm:real-name") installs real-name;
        # a plain "npm:^1.2" range starts with a digit or an operator instead.
        real, _ = split_descriptor(target)
        if valid_name(real):
            name = real
    registry_name = _registry_name(fields.get("resolved", ""))
    if registry_name:
        name = registry_name  # what was fetched, even when the key names an alias
    if spec.startswith(_LOCAL_PROTOCOLS) or fields.get("linkType") == "soft":
        return
    if not version or version.endswith("-use.local") or not valid_name(name):
        return
    out.add(name, version)


def parse_yarn_lock(data: bytes, path: str, found_by: str = "yarn-lock") -> list[Package]:
    text = decode_text(data)
    berry = False
    out = Collector(path, found_by, "yarn.lock")
    key: str | None = None
    fields: dict[str, str] = {}
    entries = 0
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] not in " \t":
            if key is not None:
                _entry(key, fields, out)
            if not line.endswith(":"):
                raise ParseError(f"not a yarn.lock: unexpected line {line[:60]!r}")
            key, fields = line[:-1], {}
            if key == "__metadata":
                berry, key = True, None  # berry's header block, not a package
            entries += 1
            continue
        if key is None or line.startswith("   "):
            continue  # nested blocks (dependencies, peerDependenciesMeta) or the header's fields
        m = _FIELD.match(line)
        if m and m.group(2) is not None:
            value = _unquote(m.group(2))
            if len(value) <= MAX_FIELD_CHARS:
                fields[_unquote(m.group(1))] = value
    if key is not None:
        _entry(key, fields, out)
    if entries == 0 and text.strip() and not text.lstrip().startswith("#"):
        raise ParseError("not a yarn.lock: no entries")
    out.origin = "yarn-berry" if berry else "yarn-v1"
    return out.packages()


class YarnLockAnalyzer:
    id = "yarn-lock"
    interest = Interest(names=frozenset({"yarn.lock"}))
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        return basename(path) == "yarn.lock" and "/node_modules/" not in path

    def analyze(self, f: FileInput) -> Artifact:
        return analyze_with(self.id, f, MAX_LOCKFILE_BYTES, parse_yarn_lock)
