"""Production rules about images themselves: vulnerabilities, provenance, age.

The subject is a scanned image (``hullcheck.scan``'s report) and the attestations found attached to
it in its registry (looked up by the CLI before the rules run: rules do no network I/O):
``hullcheck check --image REF``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from hullcheck.errors import UsageError
from hullcheck.model.finding import SeverityLevel
from hullcheck.model.violation import ResourceRef
from hullcheck.policy.rules import Context, Hit, Rule

if TYPE_CHECKING:
    from hullcheck.image.attestations import AttestationLookup, FoundAttestation

PROVENANCE_LABELS = ("org.opencontainers.image.source", "org.opencontainers.image.revision")


@dataclass(frozen=True)
class ImageSubject:
    resource: ResourceRef  # kind "Image", name = the reference as given
    report: Any  # hullcheck.scan.ScanReport (kept untyped here: importing scan pulls in the whole pipeline)
    today: dt.date | None = None  # for tests; None = today (UTC)
    attestations: AttestationLookup | None = None  # None: not looked up (not a registry image)

    @property
    def digests(self) -> frozenset[str]:
        """The image's manifest digests: the platform manifest and what the reference resolved to
        (an index, for a multi-platform image). An attestation may name either as its subject."""
        md = self.report.metadata
        out: set[str] = set(self.attestations.image_digests) if self.attestations is not None else set()
        if md is not None:
            if md.manifest_digest:
                out.add(md.manifest_digest)
            out.update(r.rsplit("@", 1)[1] for r in md.repo_digests if "@" in r)
        return frozenset(d.lower() for d in out)


def check_vulnerabilities(s: ImageSubject, ctx: Context) -> Iterator[Hit]:
    """Every vulnerability is a violation; an exception's ``container:`` names the vulnerability to except (its id
    or any alias)."""
    for f in s.report.findings:
        p = f.package
        fixed = f", fixed in {', '.join(f.fixed_versions)}" if f.fixed_versions else ", no fix yet"
        yield Hit(f"{f.id} in {p.name} {p.version} ({f.severity.level.value}{fixed})",
                  f"package {p.type.value}:{p.name}@{p.version}", f.id, f.severity.level, tuple(f.aliases))


def check_provenance(s: ImageSubject, ctx: Context) -> Iterator[Hit]:
    """OCI source/revision labels, or an attached SLSA provenance attestation about this image (its
    statement's subject names one of the image's digests; signed by a configured key, if any)."""
    md = s.report.metadata
    labels = dict(md.labels) if md is not None else {}
    missing = [k for k in PROVENANCE_LABELS if not labels.get(k)]
    require = bool(ctx.params.get("require_attestation", False))
    if not missing and not require:
        return
    good, why = _attested(s, attestation_keys(ctx.params))
    if good:
        return
    if missing and not require:
        yield Hit(f"image has no {' / '.join(missing)} label and {why} (provenance)", "config.Labels")
    else:
        yield Hit(f"{why} (provenance attestation required)", "attestations")


def attestation_keys(params: Mapping[str, Any]) -> tuple[Any, ...]:
    """HC-PRD-002's ``attestation_keys``, loaded (a usage error when a file is missing or not a key)."""
    value = params.get("attestation_keys")
    if not value:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise UsageError("HC-PRD-002: attestation_keys must be a list of PEM public key files")
    return _load_keys(tuple(value))


@lru_cache(maxsize=8)
def _load_keys(paths: tuple[str, ...]) -> tuple[Any, ...]:
    from hullcheck.image.intoto import load_public_keys

    return load_public_keys(paths)


def _attested(s: ImageSubject, keys: tuple[Any, ...]) -> tuple[bool, str]:
    """(an acceptable provenance attestation is attached, else why not, as a clause)."""
    lookup = s.attestations
    if lookup is None:
        return False, "no provenance attestation could be looked up (not a registry image or OCI layout)"
    provenance = [a for a in lookup.found if a.statement.is_provenance]
    if not provenance:
        where = "referrers, cosign .att tag, image index"
        extra = f"; {len(lookup.problems)} lookup problem(s), first: {lookup.problems[0]}" if lookup.problems else ""
        return False, f"no SLSA provenance attestation is attached ({where}{extra})"
    from hullcheck.image.intoto import subject_matches, verify_envelope

    digests = s.digests
    about = [a for a in provenance if subject_matches(a.statement, digests)]
    if not about:
        return False, (f"the provenance attestation {_name(provenance[0])} is about "
                       f"{', '.join(sorted(provenance[0].statement.subject_digests)) or 'no digest'}, not this image")
    if not keys:
        return True, ""
    if any(a.envelope is not None and verify_envelope(a.envelope, keys) for a in about):
        return True, ""
    return False, f"the provenance attestation {_name(about[0])} is not signed by a configured attestation key"


def _name(a: FoundAttestation) -> str:
    return f"{a.manifest_digest[:19]} ({a.via})"


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
    _rule("HC-PRD-002", "Image without provenance", SeverityLevel.MEDIUM,
          "The source repository and revision (OCI labels) or a SLSA provenance attestation tie an image to the "
          "code and build it came from.",
          "Set the OCI labels org.opencontainers.image.source and org.opencontainers.image.revision at build time, "
          "or attach a SLSA provenance attestation (cosign attest --type slsaprovenance, docker buildx "
          "--provenance, or an OCI referrer).",
          check_provenance, params={"require_attestation": False, "attestation_keys": []}),
    _rule("HC-PRD-003", "Image too old", SeverityLevel.MEDIUM,
          "Old images miss base-image fixes even when no vulnerability is known yet.",
          "Rebuild the image regularly.", check_age, params={"max_age_days": 90}),
)
