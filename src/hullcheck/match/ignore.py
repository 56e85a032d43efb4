"""The ignore file (``.hullcheckignore``, YAML): exceptions a team keeps next to its code.

```yaml
ignore:
  - id: CVE-2023-43804          # a vulnerability id or any alias, a secret rule id, a check id
    package: pkg:pypi/urllib3   # optional: a package name or a purl prefix
    path: usr/lib/python3/*     # optional: a glob over the package's (or secret's) paths
    reason: only used against our own registry   # required
    expires: 2027-01-31         # optional; after that day the entry stops hiding the finding
    owner: platform-team        # optional
```

A top-level list (without ``ignore:``) is read the same way, and so is the ``ignore:`` section of
a policy file (``hullcheck.policy.config``): ``entries`` is the one parser behind both. Unknown
keys are errors, so a typo (``expire:``) cannot silently make an exception permanent.
``expires`` is optional: some entries (a false positive) are meant to last; teams that want every
entry dated can say so in review.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from hullcheck.errors import UsageError
from hullcheck.match import DEFAULT_IGNORE_NAME
from hullcheck.match.suppress import ImageIdentity, Status, Subject, Verdict, path_matches

DEFAULT_NAME = DEFAULT_IGNORE_NAME
MAX_BYTES = 4 * 1024**2  # a hand-written file; anything larger is a mistake
_KEYS = frozenset({"id", "package", "path", "reason", "expires", "owner"})
_LINE = "__line__"


@dataclass(frozen=True)
class IgnoreEntry:
    id: str
    reason: str
    source: str  # "file:line"
    package: str = ""
    path: str = ""
    expires: date | None = None
    owner: str = ""

    def expired(self, today: date) -> bool:
        return self.expires is not None and today > self.expires  # valid through its last day

    def covers(self, s: Subject) -> bool:
        if self.id.upper() not in s.ids:
            return False
        if self.package and not _package_matches(self.package, s):
            return False
        return not (self.path and not path_matches(self.path, s.paths))


@dataclass(frozen=True)
class IgnoreRule:
    """An ignore entry bound to the date the scan runs on."""

    entry: IgnoreEntry
    today: date

    def judge(self, subject: Subject, image: ImageIdentity) -> Verdict | None:
        e = self.entry
        if not e.covers(subject):
            return None
        return Verdict(
            status=Status.EXPIRED if e.expired(self.today) else Status.IGNORED,
            reason=e.reason,
            source=e.source,
            owner=e.owner,
            expires=e.expires.isoformat() if e.expires else "",
        )


def _norm_name(name: str) -> str:
    # PEP 503-style folding; harmless for other ecosystems' names.
    return re.sub(r"[-_.]+", "-", name).lower()


def _package_matches(want: str, s: Subject) -> bool:
    p = s.package
    if p is None:
        return False
    if want.startswith("pkg:"):
        if not p.purl:
            return False
        purl, pre = p.purl.lower(), want.lower()
        # a prefix ending at a component boundary: pkg:pypi/urllib3 is not pkg:pypi/urllib3-mock
        return purl.startswith(pre) and (len(purl) == len(pre) or pre[-1] in "@?#/" or purl[len(pre)] in "@?#")
    names = {_norm_name(p.name), _norm_name(p.source_name)} - {""}
    return _norm_name(want) in names


class _LineLoader(yaml.SafeLoader):
    """Records each mapping's line so errors can point at the entry."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        m = super().construct_mapping(node, deep=deep)
        m[_LINE] = node.start_mark.line + 1
        return m


def _date(v: Any, where: str) -> date:
    if isinstance(v, datetime):
        return v.astimezone(UTC).date() if v.tzinfo else v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v.strip()[:10])
        except ValueError:
            pass
    raise UsageError(f"{where}: expires must be a date (YYYY-MM-DD), got {str(v)[:40]!r}")


def _text(entry: dict[str, Any], key: str, where: str, required: bool = False) -> str:
    v = entry.get(key)
    if v is None:
        if required:
            raise UsageError(f"{where}: {key!r} is required")
        return ""
    if isinstance(v, bool) or not isinstance(v, str | int | float):
        raise UsageError(f"{where}: {key!r} must be text")
    text = str(v).strip()
    if required and not text:
        raise UsageError(f"{where}: {key!r} must not be empty")
    return text


def parse(text: str, name: str) -> list[IgnoreEntry]:
    """Entries of an ignore file; any mistake is a ``UsageError`` naming the file and line."""
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise UsageError(f"{name}{line}: not valid YAML: {e.problem or e.context}") from None
    except yaml.YAMLError as e:
        raise UsageError(f"{name}: not valid YAML: {str(e).splitlines()[0][:120]}") from None
    except (ValueError, TypeError, RecursionError) as e:  # e.g. a date such as 2027-13-45
        msg = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
        raise UsageError(f"{name}: not valid YAML: {msg}") from None
    if doc is None:
        return []
    if isinstance(doc, dict):
        extra = set(doc) - {"ignore", _LINE}
        if extra:
            raise UsageError(f"{name}:{doc[_LINE]}: unknown key {sorted(map(str, extra))[0]!r} (expected 'ignore')")
        items = doc.get("ignore") or []
        top_line = doc[_LINE]
    else:
        items, top_line = doc, 1
    return entries(items, f"{name}:{top_line}", lambda _i, item: f"{name}:{item[_LINE]}")


def entries(items: Any, where: str, where_of: Callable[[int, dict[str, Any]], str]) -> list[IgnoreEntry]:
    """Validated entries from a loaded YAML list: the one parser behind ``.hullcheckignore`` and
    the policy file's ``ignore:`` section. ``where`` names the list in errors, ``where_of(i, item)``
    an entry (``FILE:LINE``), which is also the entry's ``source`` in reports."""
    if not isinstance(items, list):
        raise UsageError(f"{where}: 'ignore' must be a list of entries")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise UsageError(f"{where}: each entry must be a mapping with at least 'id' and 'reason'")
        at = where_of(i, item)
        unknown = set(item) - _KEYS - {_LINE}
        if unknown:
            allowed = ", ".join(sorted(_KEYS))
            raise UsageError(f"{at}: unknown key {sorted(map(str, unknown))[0]!r} (allowed: {allowed})")
        exp = item.get("expires")
        out.append(IgnoreEntry(
            id=_text(item, "id", at, required=True),
            reason=_text(item, "reason", at, required=True),
            source=at,
            package=_text(item, "package", at),
            path=_text(item, "path", at),
            expires=_date(exp, at) if exp is not None else None,
            owner=_text(item, "owner", at),
        ))
    return out


def load(path: Path) -> list[IgnoreEntry]:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise UsageError(f"{path}: ignore file of {size} bytes is larger than {MAX_BYTES} bytes")
        data = path.read_bytes()
    except OSError as e:
        raise UsageError(f"cannot read ignore file {path}: {e.strerror or e}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: ignore file is not UTF-8 text") from None
    return parse(text, str(path))


class IgnoreRules:
    """All entries of one file, indexed by id (a file can hold thousands, a scan as many findings).

    The first entry in file order that still hides the finding wins; failing that, the first
    expired one is reported, so an expired entry never shadows a valid one."""

    def __init__(self, entries: list[IgnoreEntry], today: date) -> None:
        self.rules = [IgnoreRule(e, today) for e in entries]
        self._by_id: dict[str, list[tuple[int, IgnoreRule]]] = {}
        for n, r in enumerate(self.rules):
            self._by_id.setdefault(r.entry.id.upper(), []).append((n, r))

    def judge(self, subject: Subject, image: ImageIdentity) -> Verdict | None:
        candidates = sorted((pair for i in subject.ids for pair in self._by_id.get(i, ())), key=lambda p: p[0])
        note: Verdict | None = None
        for _n, rule in candidates:
            v = rule.judge(subject, image)
            if v is None:
                continue
            if v.status.hides:
                return v
            note = note or v
        return note


def rules(entries: list[IgnoreEntry], today: date | None = None) -> list[IgnoreRules]:
    return [IgnoreRules(entries, today or datetime.now(UTC).date())] if entries else []
