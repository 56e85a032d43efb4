"""Secrets in the image config: environment variables, history commands and labels.

Each ``Env`` entry and each label is scanned as one ``KEY=VALUE`` line, so the same rules apply
as in files; in addition a credential-named key (``DB_PASSWORD``, ``API_TOKEN``) holding a
plausible secret is reported by the generic rule even when its value has characters the
line-oriented generic patterns stop at (spaces, colons). History ``created_by`` commands are
scanned as text; an ``ENV`` instruction's secret that is still in ``Env`` is reported once, as
the env finding (the history entry only repeats it).
"""

from __future__ import annotations

import dataclasses

from hullcheck.model import ImageMetadata
from hullcheck.model.checks import SecretFinding
from hullcheck.secrets.rules import RuleSet, default_ruleset
from hullcheck.secrets.scanner import DEFAULT_SETTINGS, Hit, ScanSettings, find_hits, finding

GENERIC_RULE = "generic-secret"


def _hits_for_pair(key: str, value: str, rs: RuleSet, settings: ScanSettings) -> list[Hit]:
    """Specific rules on ``KEY=VALUE``; failing those, the generic rule on the whole value (a
    variable's value is one thing, spaces and all), then the generic patterns on the line."""
    line = f"{key}={value}".encode("utf-8", "surrogateescape")
    hits = find_hits(line, rs, settings=settings)
    if any(not h.rule.generic for h in hits):
        return hits
    generic = rs.get(GENERIC_RULE)
    v = value.strip()
    if generic is not None and generic.check is not None and v and generic.check(key, v):
        start = len(key) + 1 + (len(value) - len(value.lstrip()))
        raw = v.encode("utf-8", "surrogateescape")
        return [Hit(generic, start, start + len(raw), raw, 1)]
    return hits


def scan_image_config(
    metadata: ImageMetadata, ruleset: RuleSet | None = None, settings: ScanSettings = DEFAULT_SETTINGS
) -> list[SecretFinding]:
    """Findings with source ``env`` (path: the variable), ``history`` (path: ``history[N]``,
    ``layer_index``: the layer the entry made, if any) and ``label`` (path: the label key)."""
    rs = ruleset or default_ruleset()
    out: list[SecretFinding] = []
    in_env: set[tuple[str, bytes]] = set()
    for env in metadata.env:
        key, _, value = env.partition("=")
        for hit in _hits_for_pair(key, value, rs, settings):
            in_env.add((hit.rule.id, hit.secret))
            out.append(finding(hit, source="env", path=key))
    for i, entry in enumerate(metadata.history):
        if not entry.created_by:
            continue
        for hit in find_hits(entry.created_by.encode("utf-8", "surrogateescape"), rs, settings=settings):
            if (hit.rule.id, hit.secret) in in_env:
                continue
            out.append(dataclasses.replace(
                finding(hit, source="history", path=f"history[{i}]"), layer_index=entry.layer_index
            ))
    for key, value in metadata.labels:
        for hit in _hits_for_pair(key, value, rs, settings):
            out.append(finding(hit, source="label", path=key))
    return out
