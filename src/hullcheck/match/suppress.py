"""Exceptions applied after matching: what an ignore file or a VEX statement says about a finding.

Every source of exceptions (``ignore.py``, ``vex.py``) turns its file into ``Rule`` objects; a rule
looks at a ``Subject`` (a finding reduced to its ids, package and paths) and returns a ``Verdict``
or ``None``. ``apply`` runs the rules over every finding: a hiding verdict moves the finding to
``suppressed``; a verdict that does not hide (an expired ignore entry, "under investigation") is
kept as an annotation next to the finding, so reports can say why it is still shown.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from hullcheck.model import Package
from hullcheck.model.checks import Misconfiguration, SecretFinding
from hullcheck.model.finding import Finding

AnyFinding = Finding | SecretFinding | Misconfiguration


class Status(StrEnum):
    """What an exception says; the values appear in reports."""

    IGNORED = "ignored"  # an ignore-file entry (risk accepted or false positive, see its reason)
    NOT_AFFECTED = "not_affected"  # VEX
    FIXED = "fixed"  # VEX
    UNDER_INVESTIGATION = "under_investigation"  # VEX: still shown, annotated
    AFFECTED = "affected"  # VEX confirms it: still shown, annotated
    EXPIRED = "expired"  # an ignore entry past its date: still shown, annotated

    @property
    def hides(self) -> bool:
        return self in (Status.IGNORED, Status.NOT_AFFECTED, Status.FIXED)


@dataclass(frozen=True)
class Verdict:
    status: Status
    reason: str  # the entry's reason, the VEX impact statement or detail
    source: str  # where it was said: "path:line" for an ignore entry, "path#statement" for VEX
    justification: str = ""  # VEX justification (OpenVEX or CycloneDX vocabulary)
    owner: str = ""
    expires: str = ""  # ISO date, ignore entries only


@dataclass(frozen=True)
class Suppressed:
    """A finding together with the exception that hides it (or annotates it)."""

    finding: AnyFinding
    verdict: Verdict

    @property
    def kind(self) -> str:
        return kind_of(self.finding)

    @property
    def status(self) -> Status:
        return self.verdict.status

    @property
    def reason(self) -> str:
        return self.verdict.reason

    @property
    def source(self) -> str:
        return self.verdict.source

    @property
    def expired(self) -> bool:
        return self.verdict.status is Status.EXPIRED


def kind_of(f: AnyFinding) -> str:
    if isinstance(f, Finding):
        return "vulnerability"
    if isinstance(f, SecretFinding):
        return "secret"
    return "misconfiguration"


@dataclass(frozen=True)
class ImageIdentity:
    """What VEX products can name the scanned image by."""

    ref: str = ""
    digests: frozenset[str] = frozenset()  # manifest, config and repo digests ("sha256:...")
    names: frozenset[str] = frozenset()  # repository names without tag/digest, lower-case


@dataclass(frozen=True)
class Subject:
    """A finding as rules see it."""

    kind: str
    ids: frozenset[str]  # upper-case: the id and every alias, or the rule/check id
    package: Package | None = None
    paths: tuple[str, ...] = ()  # without a leading slash
    bom_ref: str = ""  # the package's bom-ref in hullcheck's CycloneDX documents


class Rule(Protocol):
    def judge(self, subject: Subject, image: ImageIdentity) -> Verdict | None: ...


def norm_path(p: str) -> str:
    return p.lstrip("/")


def path_matches(pattern: str, paths: Iterable[str]) -> bool:
    """A glob (``*`` crosses ``/``), or a directory (with or without a trailing ``/``) covering
    everything under it; leading slashes do not matter."""
    pat = norm_path(pattern)
    under = pat if pat.endswith("/") else pat + "/"
    return any(p == pat or p.startswith(under) or fnmatch.fnmatchcase(p, pat) for p in paths)


def subject_of(f: AnyFinding, bom_refs: Mapping[Package, str]) -> Subject:
    if isinstance(f, Finding):
        return Subject(
            kind="vulnerability",
            ids=frozenset(x.upper() for x in (f.id, *f.aliases)),
            package=f.package,
            paths=tuple(norm_path(loc.path) for loc in f.package.locations),
            bom_ref=bom_refs.get(f.package, ""),
        )
    if isinstance(f, SecretFinding):
        return Subject(kind="secret", ids=frozenset({f.rule_id.upper()}), paths=(norm_path(f.path),) if f.path else ())
    return Subject(kind="misconfiguration", ids=frozenset({f.check_id.upper()}),
                   paths=(norm_path(f.evidence),) if f.evidence else ())


@dataclass
class Applied:
    findings: list[Finding] = field(default_factory=list)
    secrets: list[SecretFinding] = field(default_factory=list)
    misconfigurations: list[Misconfiguration] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)
    annotations: list[Suppressed] = field(default_factory=list)  # shown, with a note


def decide(subject: Subject, rules: Sequence[Rule], image: ImageIdentity) -> Verdict | None:
    """The first hiding verdict wins; else the first annotation; rules are in priority order."""
    note: Verdict | None = None
    for rule in rules:
        v = rule.judge(subject, image)
        if v is None:
            continue
        if v.status.hides:
            return v
        if note is None:
            note = v
    return note


def apply(
    findings: Sequence[Finding],
    secrets: Sequence[SecretFinding],
    misconfigurations: Sequence[Misconfiguration],
    rules: Sequence[Rule],
    image: ImageIdentity,
    bom_refs: Mapping[Package, str] | None = None,
) -> Applied:
    out = Applied()
    refs = bom_refs or {}

    def keep(f: AnyFinding) -> bool:
        v = decide(subject_of(f, refs), rules, image) if rules else None
        if v is not None and v.status.hides:
            out.suppressed.append(Suppressed(f, v))
            return False
        if v is not None:
            out.annotations.append(Suppressed(f, v))
        return True

    out.findings = [f for f in findings if keep(f)]
    out.secrets = [s for s in secrets if keep(s)]
    out.misconfigurations = [m for m in misconfigurations if keep(m)]
    return out
