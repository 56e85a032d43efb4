"""Alpine secdb (https://secdb.alpinelinux.org/<release>/<repo>.json; YAML in the legacy repo).

Shape: ``{distroversion: "v3.20", reponame: "main", packages: [{pkg: {name, secfixes: {fixed
version: [CVE ...]}}}]}``. Each vulnerability id becomes one OSV record ``ALPINE-<id>`` with an
affected entry per (release, package): ECOSYSTEM range introduced 0 / fixed <version>, or, for the
secdb convention fixed version ``0`` ("this release was never affected"), no range and fix state
``not-affected``. Wolfi and Chainguard publish the same format without ``distroversion``; their
ecosystem comes from ``urlprefix``. Secfix items can carry a note after the id
("CVE-2021-1234 (something)"): the first word is the id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from hullcheck.advisories.records import FixState

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*-[0-9][0-9A-Za-z._:-]*$")
_PREFIXES = (("wolfi.dev", "Wolfi"), ("chainguard.dev", "Chainguard"))


def ecosystem_of(doc: dict[str, Any]) -> str | None:
    dv = doc.get("distroversion")
    if isinstance(dv, str) and dv:
        return f"Alpine:{dv if dv.startswith('v') or dv == 'edge' else 'v' + dv}"
    prefix = str(doc.get("urlprefix", ""))
    for host, eco in _PREFIXES:
        if host in prefix:
            return eco
    return None


def looks_like_secdb(obj: object) -> bool:
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("packages"), (list, type(None)))  # an empty repo has packages: null
        and ("apkurl" in obj or "distroversion" in obj)
        and ecosystem_of(obj) is not None
    )


def convert(doc: dict[str, Any], modified: str, origin: str) -> Iterator[tuple[str, object]]:
    """Yield (origin, OSV record) per vulnerability id, or (origin, reason) for unusable parts."""
    eco = ecosystem_of(doc)
    assert eco is not None  # looks_like_secdb() was checked
    repo = str(doc.get("reponame", ""))
    records: dict[str, dict[str, Any]] = {}
    for n, item in enumerate(doc.get("packages") or ()):  # absent passes looks_like_secdb too
        pkg = item.get("pkg") if isinstance(item, dict) else None
        name = pkg.get("name") if isinstance(pkg, dict) else None
        secfixes = pkg.get("secfixes") if isinstance(pkg, dict) else None
        where = f"{origin}#packages[{n}]"
        if not isinstance(name, str) or not name or not isinstance(secfixes, dict):
            yield where, "package without a name or secfixes"
            continue
        for version, ids in secfixes.items():
            v = str(version).strip()
            if not v or " " in v or not isinstance(ids, list):
                yield f"{where}/{version}", "fixed version is not a version or has no id list"
                continue
            for raw in ids:
                words = str(raw).split() if raw else []
                vid = words[0] if words else ""  # " " has no first word
                if not _ID.match(vid):
                    yield f"{where}/{version}", f"not an advisory id: {raw!r}"
                    continue
                rid = f"{eco.split(':')[0].upper()}-{vid}"
                rec = records.setdefault(
                    rid,
                    {
                        "id": rid,
                        "modified": modified,
                        "aliases": [vid] if vid.startswith(("CVE-", "GHSA-")) else [],
                        "affected": [],
                    },
                )
                entry: dict[str, Any] = {"package": {"ecosystem": eco, "name": name}}
                if v == "0":
                    entry["database_specific"] = {
                        "fix_state": FixState.NOT_AFFECTED.value,
                        "repo": repo,
                    }
                else:
                    entry["ranges"] = [
                        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": v}]}
                    ]
                    entry["database_specific"] = {"fix_state": FixState.FIXED.value, "repo": repo}
                rec["affected"].append(entry)
    for rid, rec in records.items():
        yield f"{origin}#{rid}", rec
