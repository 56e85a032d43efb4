"""Production rules about images themselves: vulnerabilities, provenance labels, age.

The subject is a scanned image (``hullcheck.scan``'s report): ``hullcheck check --image REF``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hullcheck.model.finding import SeverityLevel
from hullcheck.model.violation import ResourceRef
from hullcheck.policy.rules import Context, Hit, Rule

PROVENANCE_LABELS = ("org.opencontainers.image.source", "org.opencontainers.image.revision")


@dataclass(frozen=True)
class ImageSubject:
    resource: ResourceRef  # kind "Image", name = the reference as given
    report: Any  # hullcheck.scan.ScanReport (kept untyped here: importing scan pulls in the whole pipeline)
    today: dt.date | None = None  # for tests; None = today (UTC)


def check_vulnerabilities(s: ImageSubject, ctx: Context) -> Iterator[Hit]:
    """Every vulnerability is a violation; an exception's ``container:`` names the vulnerability to except (its id
    or any alias)."""
    for f in s.report.findings:
        p = f.package
        fixed = f", fixed in {', '.join(f.fixed_versions)}" if f.fixed_versions else ", no fix yet"
        yield Hit(f"{f.id} in {p.name} {p.version} ({f.severity.level.value}{fixed})",
                  f"package {p.type.value}:{p.name}@{p.version}", f.id, f.severity.level, tuple(f.aliases))


def check_provenance(s: ImageSubject, ctx: Context) -> Iterator[Hit]:
    md = s.report.metadata
    labels = dict(md.labels) if md is not None else {}
    missing = [k for k in PROVENANCE_LABELS if not labels.get(k)]
    if missing:
        yield Hit(f"image has no {' / '.join(missing)} label (provenance)", "config.Labels")


def _created(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def check_age(s: ImageSubject, ctx: Context) -> Iterator[Hit]:
    max_days = int(ctx.params.get("max_age_days", 90))
    md = s.report.metadata
    created = _created(md.created if md is not None else None)
    today = s.today or dt.datetime.now(dt.UTC).date()
    if created is None:
        yield Hit("image has no (valid) creation date", "config.created")
    elif (today - created).days > max_days:
        yield Hit(f"image was built on {created.isoformat()}, {(today - created).days} days ago "
                  f"(at most {max_days})", "config.created")


def _rule(rid: str, title: str, sev: SeverityLevel, why: str, fix: str, fn: Any, **kw: Any) -> Rule:
    return Rule(rid, title, sev, why, fix, fn, ("hullcheck production profile",), target="image", **kw)


IMAGE_RULES: tuple[Rule, ...] = (
    _rule("HC-PRD-001", "Vulnerable package in the image", SeverityLevel.HIGH,
          "Production images must have no known vulnerabilities of any severity unless excepted.",
          "Update the package (see the fixed version) or add an exception with reason, owner and expiry.",
          check_vulnerabilities),
    _rule("HC-PRD-002", "Image without provenance labels", SeverityLevel.MEDIUM,
          "The source repository and revision tie an image to the code it was built from.",
          "Set the OCI labels org.opencontainers.image.source and org.opencontainers.image.revision at build time.",
          check_provenance),
    _rule("HC-PRD-003", "Image too old", SeverityLevel.MEDIUM,
          "Old images miss base-image fixes even when no vulnerability is known yet.",
          "Rebuild the image regularly.", check_age, params={"max_age_days": 90}),
)
