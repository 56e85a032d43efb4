"""Runs a profile's rules over workloads and applies the policy: modes, parameters, exceptions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from hullcheck.model.violation import ExceptionInfo, Mode, Violation
from hullcheck.policy.azure import AzureResource
from hullcheck.policy.catalog import profile_rules
from hullcheck.policy.cel import compile_rule
from hullcheck.policy.compose import Service
from hullcheck.policy.config import Policy, PolicyException
from hullcheck.policy.dockerfile import Dockerfile
from hullcheck.policy.host import HostFile
from hullcheck.policy.image_rules import ImageSubject
from hullcheck.policy.manifests import Workload
from hullcheck.policy.rules import Context, Hit, Rule, Version

DISTINCT_IMAGES_RULE = "HC-K8S-049"


@dataclass(frozen=True)
class CheckResult:
    profile: str
    version: Version
    violations: tuple[Violation, ...]
    expired_exceptions: tuple[PolicyException, ...]  # exceptions past their expiry that matched something
    resources: int  # workloads checked
    rules: tuple[Rule, ...] = ()  # the rules evaluated (built-in and custom): their metadata for reports

    @property
    def failing(self) -> tuple[Violation, ...]:
        """Violations that fail the run: enforce mode and not covered by a valid exception."""
        return tuple(v for v in self.violations if v.mode is Mode.ENFORCE and not v.excepted)


def _distinct_image_hits(workloads: Sequence[Workload], max_images: int) -> dict[int, list[Hit]]:
    """Per workload index, the containers whose image is beyond the first ``max_images`` distinct ones."""
    seen: dict[str, int] = {}
    out: dict[int, list[Hit]] = {}
    for i, w in enumerate(workloads):
        for c in w.containers:
            image = c.spec.get("image")
            if not isinstance(image, str) or image in seen:
                continue
            seen[image] = len(seen) + 1
            if seen[image] > max_images:
                out.setdefault(i, []).append(Hit(
                    f"image {image!r} is distinct image number {seen[image]}; at most {max_images} allowed",
                    f"{c.path}.image", c.name))
    return out


def evaluate(workloads: Sequence[Workload], policy: Policy, profile: str, version: Version,
             today: dt.date | None = None, services: Sequence[Service] = (),
             dockerfiles: Sequence[Dockerfile] = (), host_files: Sequence[HostFile] = (),
             azure: Sequence[AzureResource] = (), images: Sequence[ImageSubject] = ()) -> CheckResult:
    """Violations of ``profile`` at ``version`` by the given workloads (and compose services, Dockerfiles)."""
    today = today or dt.date.today()
    level, rules = profile_rules(profile, version)
    rules = [*rules, *(compile_rule(c) for c in policy.custom_rules)]
    rules = [r for r in rules if r.id not in policy.disabled]
    contexts: dict[str, Context] = {r.id: Context(version, level, policy.params_for(r.id)) for r in rules}
    cross: dict[int, list[Hit]] = {}
    per_doc: list[Rule] = []
    others: list[Rule] = []
    for r in rules:
        if r.id == DISTINCT_IMAGES_RULE:
            cross = _distinct_image_hits(workloads, int(contexts[r.id].params.get("max_images", 20)))
        elif r.target == "workload":
            per_doc.append(r)
        else:
            others.append(r)
    by_rule = {r.id: r for r in rules}
    exceptions_by_rule: dict[str, list[PolicyException]] = {}
    for e in policy.exceptions:
        exceptions_by_rule.setdefault(e.rule, []).append(e)
    expired_hit: dict[PolicyException, None] = {}
    out: list[Violation] = []

    def emit(rule: Rule, subject: Workload | Service | Dockerfile | HostFile | AzureResource | ImageSubject,
             hit: Hit) -> None:
        res = subject.resource
        info = None
        for e in exceptions_by_rule.get(rule.id, ()):
            if any(e.matches(rule.id, res.kind, res.namespace, res.name, c) for c in (hit.container, *hit.aliases)):
                expired = e.expired(today)
                info = ExceptionInfo(e.reason, e.owner, e.expires.isoformat(), expired)
                if expired:
                    expired_hit[e] = None
                    continue  # a later, valid exception may still cover it
                break
        out.append(Violation(rule.id, rule.title, hit.severity or rule.severity, res, hit.message, hit.field,
                             hit.container, policy.mode_of(rule.id), info))

    for i, w in enumerate(workloads):
        for rule in per_doc:
            for hit in rule.check(w, contexts[rule.id]):
                emit(rule, w, hit)
        for hit in cross.get(i, ()):
            emit(by_rule[DISTINCT_IMAGES_RULE], w, hit)
    subjects: dict[str, Sequence[Service | Dockerfile | HostFile | AzureResource | ImageSubject]] = {
        "compose": services, "dockerfile": dockerfiles, "host": host_files, "azure": azure, "image": images}
    for rule in others:
        for subject in subjects[rule.target]:
            for hit in rule.check(subject, contexts[rule.id]):
                emit(rule, subject, hit)
    return CheckResult(profile, version, tuple(out), tuple(expired_hit),
                       len(workloads) + len(services) + len(dockerfiles) + len(host_files) + len(azure) + len(images),
                       tuple(rules))
