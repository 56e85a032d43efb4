"""Scan bytes for secrets: prefilter, run the candidate rules, check, de-duplicate, mask.

The raw secret exists only inside this module while a scan runs (to check it and to tell two
copies apart); what leaves is a ``SecretFinding`` whose ``match`` is masked by ``mask``.

Bounds, so hostile content costs little: re2 matching is linear; at most
``max_findings_per_file`` findings per input and at most ``max_candidates_per_pattern`` matches
examined per pattern (a file of a million placeholder assignments stops early).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from hullcheck.model.checks import SecretFinding
from hullcheck.secrets import checks
from hullcheck.secrets.rules import Regex, Rule, RuleSet, default_ruleset

MiB = 1 << 20


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, "") or default)
    except ValueError:
        return default


@dataclass(frozen=True)
class ScanSettings:
    max_file_size: int = MiB  # larger files are not read (generated data, bundles, databases)
    skip_binaries: bool = True  # a NUL byte in the first ``binary_probe`` bytes: not text
    binary_probe: int = 8192
    max_findings_per_file: int = 100
    max_candidates_per_pattern: int = 1000

    @classmethod
    def from_env(cls) -> ScanSettings:
        """``HULLCHECK_SECRET_MAX_FILE_SIZE`` (bytes), ``HULLCHECK_SECRET_SCAN_BINARIES=1``."""
        d = cls()
        return cls(
            max_file_size=_env_int("HULLCHECK_SECRET_MAX_FILE_SIZE", d.max_file_size),
            skip_binaries=os.environ.get("HULLCHECK_SECRET_SCAN_BINARIES", "").lower() not in ("1", "true", "yes"),
        )

    @property
    def key(self) -> str:
        return f"{self.max_file_size}:{int(self.skip_binaries)}:{self.binary_probe}:" \
               f"{self.max_findings_per_file}:{self.max_candidates_per_pattern}"


DEFAULT_SETTINGS = ScanSettings()

_MAX_SHOWN = 4  # characters kept at each end of a long secret
_MAX_STARS = 32


def mask(secret: str) -> str:
    """At most the first and last 4 characters of ``secret``, the rest as ``*``.

    Short secrets show less (``len // 5`` characters at each end: nothing under 5 characters);
    whitespace and control characters at the kept ends are masked too, and the run of ``*`` is
    capped so a long key stays one short line.
    """
    s = secret.strip()
    n = len(s)
    k = min(_MAX_SHOWN, n // 5)

    def shown(part: str) -> str:
        return "".join(c if c.isprintable() and not c.isspace() else "*" for c in part)

    head, tail = (shown(s[:k]), shown(s[n - k:])) if k else ("", "")
    return head + "*" * min(max(n - 2 * k, 1), _MAX_STARS) + tail


def looks_binary(data: bytes, probe: int = 8192) -> bool:
    return b"\0" in data[:probe]


@dataclass(frozen=True)
class Hit:
    """A checked match, with the raw secret: internal to the secrets package, never stored."""

    rule: Rule
    start: int
    end: int
    secret: bytes = field(repr=False)
    line: int = 1


def _overlaps(spans: list[tuple[int, int]], s: int, e: int) -> bool:
    return any(s < e2 and s2 < e for s2, e2 in spans)


def _secret_groups(rx: Regex) -> list[tuple[int, int | None]]:
    """(secret group, key group) index pairs: ``secret``/``key``, ``secret2``/``key2``, ...
    (alternatives of one pattern, since re2 names a group once)."""
    names = rx.groupindex
    out = []
    for name, gi in names.items():
        if name.startswith(b"secret"):
            suffix = name[len(b"secret"):]
            out.append((gi, names.get(b"key" + suffix)))
    return sorted(out)


def _matches(rule: Rule, data: bytes, settings: ScanSettings) -> Iterator[tuple[int, int, bytes, str]]:
    """(start, end, secret, key) for each match of each pattern of ``rule`` that passes its checks."""
    for rx in rule.patterns:
        groups = _secret_groups(rx)
        for n, m in enumerate(rx.finditer(data)):
            if n >= settings.max_candidates_per_pattern:
                break
            s, e, ki = -1, -1, None
            if not groups:
                s, e = m.span()
            for gi, kgi in groups:
                s, e = m.span(gi)
                if s >= 0:
                    ki = kgi
                    break
            if s < 0 or e <= s:
                continue
            raw = data[s:e]
            stripped = raw.strip()
            if not stripped:
                continue
            s += len(raw) - len(raw.lstrip())
            e = s + len(stripped)
            if rule.allow_values and any(v.search(stripped) for v in rule.allow_values):
                continue
            key = m.group(ki).decode("utf-8", "replace") if ki else ""
            if rule.placeholders or rule.check:
                text = stripped.decode("utf-8", "replace")
                if rule.placeholders and checks.is_placeholder(text, key):
                    continue
                if rule.check is not None and not rule.check(key, text):
                    continue
            yield s, e, stripped, key


def find_hits(
    data: bytes,
    ruleset: RuleSet | None = None,
    *,
    path: str = "",
    settings: ScanSettings = DEFAULT_SETTINGS,
) -> list[Hit]:
    """Checked matches in ``data``, in order of position.

    A match overlapping an earlier rule's match is dropped (rules run specific first, generic
    last: ``token = "ghp_..."`` is one GitHub token, not also a generic secret), and the same
    secret found twice by one rule in one input is reported once, at its first position.
    """
    rs = ruleset or default_ruleset()
    if rs.allow_paths and path and rs.path_allowed(path):
        return []
    spans: list[tuple[int, int]] = []
    seen: set[tuple[str, bytes]] = set()
    found: list[tuple[int, int, bytes, Rule]] = []
    limit = settings.max_findings_per_file
    for rule in rs.candidates(data):
        if rule.allow_paths and path and rule.path_allowed(path):
            continue
        for s, e, secret, _key in _matches(rule, data, settings):
            if _overlaps(spans, s, e) or (rule.id, secret) in seen:
                continue
            seen.add((rule.id, secret))
            spans.append((s, e))
            found.append((s, e, secret, rule))
            if len(found) >= limit:
                break
        if len(found) >= limit:
            break
    found.sort(key=lambda t: t[0])
    hits = []
    line, pos = 1, 0
    for s, e, secret, rule in found:
        line += data.count(b"\n", pos, s)
        pos = s
        hits.append(Hit(rule, s, e, secret, line))
    return hits


def finding(hit: Hit, *, source: str, path: str, line: int | None = None) -> SecretFinding:
    return SecretFinding(
        rule_id=hit.rule.id,
        title=hit.rule.title,
        severity=hit.rule.severity,
        source=source,
        path=path,
        line=line,
        match=mask(hit.secret.decode("utf-8", "replace")),
    )


def scan_bytes(
    data: bytes,
    ruleset: RuleSet | None = None,
    *,
    path: str = "",
    source: str = "file",
    settings: ScanSettings = DEFAULT_SETTINGS,
) -> list[SecretFinding]:
    """Masked findings in ``data`` (a file's content, or one config value), in position order.
    Files get line numbers; other sources do not."""
    return [
        finding(h, source=source, path=path, line=h.line if source == "file" else None)
        for h in find_hits(data, ruleset, path=path, settings=settings)
    ]
