"""The Debian security tracker JSON (https://security-tracker.debian.org/tracker/data/json).

Shape: ``{source package: {CVE or TEMP id: {description, scope, debianbug, releases: {codename:
{status, repositories, fixed_version, urgency, nodsa, nodsa_reason}}}}}``.

Each vulnerability id becomes one OSV record ``DEBIAN-<id>`` (alias: the CVE) with one affected
entry per (source package, release), ecosystem ``Debian:<N>``:
- ``resolved`` with ``fixed_version`` "0": the release never had the flaw -> no range, fix state
  ``not-affected``;
- ``resolved`` with a version: ECOSYSTEM range introduced 0 / fixed that version, ``fixed``;
- ``open``: introduced 0 and no fix; ``wont-fix`` when the tracker says so (``nodsa`` with reason
  ``ignored``, or urgency ``end-of-life``), else ``not-fixed`` (a ``postponed`` no-DSA is still
  expected to be fixed in a point release);
- ``undetermined``: introduced 0, fix state ``unknown``.
The urgency goes to ``ecosystem_specific.urgency`` (Debian's severity, see severity.py); the
status, fix state and no-DSA fields to ``database_specific``.

Codenames map to release numbers; ``sid`` (unstable, which has no number) becomes ``Debian:sid``
and a codename this table does not know yet is kept as ``Debian:<codename>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from hullcheck.advisories.records import FixState

CODENAMES = {
    "buzz": "1.1",
    "rex": "1.2",
    "bo": "1.3",
    "hamm": "2.0",
    "slink": "2.1",
    "potato": "2.2",
    "woody": "3.0",
    "sarge": "3.1",
    "etch": "4",
    "lenny": "5",
    "squeeze": "6",
    "wheezy": "7",
    "jessie": "8",
    "stretch": "9",
    "buster": "10",
    "bullseye": "11",
    "bookworm": "12",
    "trixie": "13",
    "forky": "14",
    "duke": "15",
    "sid": "sid",
}
_VULN_ID = re.compile(r"^(CVE-\d{4}-\d+|TEMP-\d+-[0-9A-Fa-f]+)$")
TRACKER_URL = "https://security-tracker.debian.org/tracker/"


def ecosystem_for(codename: str) -> str:
    return f"Debian:{CODENAMES.get(codename, codename)}"


def looks_like_tracker(obj: object) -> bool:
    """A dict of package -> dict of CVE/TEMP id -> entry with ``releases`` (first few checked;
    other feeds, e.g. Echo's, share the outer shape but have no per-release data)."""
    if not isinstance(obj, dict) or not obj:
        return False
    seen = 0
    for cves in list(obj.values())[:5]:
        if isinstance(cves, dict) and cves:
            if not all(isinstance(k, str) and _VULN_ID.match(k) for k in list(cves)[:5]):
                return False
            if not any(isinstance(v, dict) and "releases" in v for v in list(cves.values())[:5]):
                return False
            seen += 1
    return seen > 0


def _fix_state(status: str, rel: dict[str, Any]) -> FixState:
    if status == "resolved":
        return FixState.NOT_AFFECTED if rel.get("fixed_version") == "0" else FixState.FIXED
    if status == "undetermined":
        return FixState.UNKNOWN
    urgency = str(rel.get("urgency", ""))
    if rel.get("nodsa_reason") == "ignored" or urgency == "end-of-life":
        return FixState.WONT_FIX
    return FixState.NOT_FIXED


def _affected(pkg: str, codename: str, rel: object) -> dict[str, Any] | str:
    """One OSV affected entry, or the reason the release entry is unusable."""
    if not isinstance(rel, dict):
        return "release entry is not an object"
    status = rel.get("status")
    if status not in ("resolved", "open", "undetermined"):
        return f"unknown status {status!r}"
    fixed = rel.get("fixed_version")
    if status == "resolved" and (not isinstance(fixed, str) or not fixed):
        return "resolved without a fixed_version"
    state = _fix_state(status, rel)
    entry: dict[str, Any] = {
        "package": {
            "ecosystem": ecosystem_for(codename),
            "name": pkg,
            "purl": f"pkg:deb/debian/{pkg}?arch=source",
        },
    }
    if state is FixState.FIXED:
        entry["ranges"] = [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]
    elif state is not FixState.NOT_AFFECTED:
        entry["ranges"] = [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]
    if isinstance(rel.get("urgency"), str):
        entry["ecosystem_specific"] = {"urgency": rel["urgency"]}
    dbs: dict[str, Any] = {"status": status, "fix_state": state.value, "release": codename}
    for k in ("nodsa", "nodsa_reason"):
        if isinstance(rel.get(k), str):
            dbs[k] = rel[k]
    entry["database_specific"] = dbs
    return entry


def convert(tracker: dict[str, Any], modified: str, origin: str) -> Iterator[tuple[str, object]]:
    """Yield (origin, OSV record) per vulnerability id, or (origin, reason) for unusable parts.

    A package whose CVE entry has ``releases: []`` (seen in the real feed for packages no
    release ships) contributes no affected entry; that is not malformed.
    """
    records: dict[str, dict[str, Any]] = {}
    for pkg, cves in tracker.items():
        if not isinstance(cves, dict):
            yield f"{origin}#{pkg}", "package entry is not an object"
            continue
        for vid, info in cves.items():
            where = f"{origin}#{pkg}/{vid}"
            if not isinstance(vid, str) or not _VULN_ID.match(vid) or not isinstance(info, dict):
                yield where, "not a CVE/TEMP id with an object"
                continue
            rid = f"DEBIAN-{vid}"
            rec = records.get(rid)
            if rec is None:
                rec = {
                    "id": rid,
                    "modified": modified,
                    "aliases": [vid] if vid.startswith("CVE-") else [],
                    "details": info.get("description")
                    if isinstance(info.get("description"), str)
                    else "",
                    "affected": [],
                    "references": [{"type": "ADVISORY", "url": TRACKER_URL + vid}],
                    "database_specific": {"scope": info.get("scope")}
                    if isinstance(info.get("scope"), str)
                    else {},
                }
                records[rid] = rec
            bug = info.get("debianbug")
            if isinstance(bug, int):
                ref = {"type": "REPORT", "url": f"https://bugs.debian.org/{bug}"}
                if ref not in rec["references"]:
                    rec["references"].append(ref)
            releases = info.get("releases")
            if releases in ([], None):
                continue
            if not isinstance(releases, dict):
                yield where, "releases is not an object"
                continue
            for codename, rel in releases.items():
                entry = _affected(pkg, str(codename), rel)
                if isinstance(entry, str):
                    yield f"{where}@{codename}", entry
                else:
                    rec["affected"].append(entry)
    for rid, rec in records.items():
        yield f"{origin}#{rid}", rec
