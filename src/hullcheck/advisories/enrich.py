"""Enrichment feeds: CISA Known Exploited Vulnerabilities (JSON) and FIRST EPSS (CSV).

KEV: ``{catalogVersion, vulnerabilities: [{cveID, dateAdded, dueDate, knownRansomwareCampaignUse,
vulnerabilityName, ...}]}``. EPSS: a ``#model_version:...,score_date:...`` comment line, then the
header ``cve,epss,percentile`` and one row per CVE. A bad row is counted, not fatal; a file whose
header is not that header is rejected as a whole (its columns cannot be trusted).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

_CVE = re.compile(r"^CVE-\d{4}-\d+$")


@dataclass
class Parsed:
    rows: list[Any] = field(default_factory=list)
    malformed: list[tuple[str, str]] = field(default_factory=list)  # (where, why)


def looks_like_kev(obj: object) -> bool:
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("vulnerabilities"), list)
        and "catalogVersion" in obj
    )


def parse_kev(doc: dict[str, Any], origin: str) -> Parsed:
    out = Parsed()
    for i, v in enumerate(doc["vulnerabilities"]):
        cve = v.get("cveID") if isinstance(v, dict) else None
        if not isinstance(cve, str) or not _CVE.match(cve):
            out.malformed.append((f"{origin}#vulnerabilities[{i}]", "no valid cveID"))
            continue
        out.rows.append(
            (
                cve,
                str(v.get("dateAdded", "")),
                str(v.get("dueDate", "")),
                str(v.get("knownRansomwareCampaignUse", "")),
                str(v.get("vulnerabilityName", "")),
            )
        )
    return out


def looks_like_epss(head: bytes) -> bool:
    return head.lstrip().startswith(b"#model_version") or head.lstrip().startswith(
        b"cve,epss,percentile"
    )


def parse_epss(data: bytes, origin: str) -> Parsed:
    out = Parsed()
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    score_date = ""
    if lines and lines[0].startswith("#"):
        m = re.search(r"score_date:([0-9T:+\-]+)", lines[0])
        score_date = m.group(1)[:10] if m else ""
        lines = lines[1:]
    if not lines or [c.strip() for c in lines[0].split(",")] != ["cve", "epss", "percentile"]:
        out.malformed.append((origin, "header is not cve,epss,percentile"))
        return out
    for n, row in enumerate(csv.reader(io.StringIO("\n".join(lines[1:]))), 2):
        if not row:
            continue
        try:
            cve, epss, pct = row[0].strip(), float(row[1]), float(row[2])
        except (IndexError, ValueError):
            out.malformed.append((f"{origin}:{n}", "row is not cve,float,float"))
            continue
        if not _CVE.match(cve) or not (0.0 <= epss <= 1.0 and 0.0 <= pct <= 1.0):
            out.malformed.append((f"{origin}:{n}", "invalid CVE id or probability"))
            continue
        out.rows.append((cve, epss, pct, score_date))
    return out
