"""``hullcheck check PATH...``: manifests against a policy profile; exit 1 when an enforced rule fails."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from hullcheck.cli.common import (
    INSECURE,
    PASSWORD_STDIN,
    PLATFORM,
    USERNAME,
    parse_outputs,
    registry_options,
    write_atomic,
)
from hullcheck.errors import UsageError

PROVENANCE_RULE = "HC-PRD-002"  # the one rule that reads attestations from the registry

if TYPE_CHECKING:
    from hullcheck.image.registry import RegistryOptions
    from hullcheck.model import Platform
    from hullcheck.policy.config import Policy, PolicyException
    from hullcheck.policy.image_rules import ImageSubject


def check(
    paths: list[Path] = typer.Argument(None, help="Kubernetes manifests, compose files, Dockerfiles, or directories"),
    root: Path = typer.Option(None, "--root", help="a mounted root filesystem: check its Docker and SSH setup"),
    images: list[str] = typer.Option(None, "--image", help="image to scan for the production image rules; repeatable"),
    db: Path = typer.Option(None, "--db", envvar="HULLCHECK_DB", help="advisory database file (for --image)"),
    policy: Path = typer.Option(None, "--policy", "-p", help="policy file (apiVersion: hullcheck.dev/v1)"),
    profile: str = typer.Option(None, "--profile", help="pss-baseline, pss-restricted or production"),
    k8s_version: str = typer.Option(None, "--k8s-version", help="Kubernetes version, e.g. v1.30 (default: latest)"),
    formats: list[str] = typer.Option(
        None, "--format", "-f",
        help="FORMAT or FORMAT=FILE; repeatable (table, json, sarif, junit, markdown, html). Default: table.",
    ),
    platform: str = PLATFORM,
    insecure: list[str] = INSECURE,
    username: str = USERNAME,
    password_stdin: bool = PASSWORD_STDIN,
) -> None:
    """Check manifests against the Pod Security Standards or the production profile."""
    from hullcheck.policy.catalog import PROFILES
    from hullcheck.policy.config import Policy, load_policy
    from hullcheck.policy.engine import evaluate
    from hullcheck.policy.inputs import load_inputs, load_root, merge
    from hullcheck.policy.locate import add_lines
    from hullcheck.policy.report import FORMATS
    from hullcheck.policy.rules import parse_version

    outputs = parse_outputs(formats, FORMATS)
    pol = load_policy(policy) if policy else Policy()
    if profile is not None and profile not in PROFILES:  # before minutes of image scanning, not after
        raise UsageError(f"unknown profile {profile!r} (choose from {', '.join(PROFILES)})")
    version = parse_version(k8s_version or pol.k8s_version)
    if not paths and root is None and not images:
        raise UsageError("give at least one PATH (or --root DIR, --image REF)")
    inputs = load_inputs(list(paths or []))
    if root is not None:
        inputs = merge(inputs, load_root(root))
    subjects: list[ImageSubject] = []
    if images:
        from hullcheck.image.platform import parse_platform

        reg = registry_options(insecure, username, password_stdin)
        plat = parse_platform(platform) if platform else None
        chosen = profile or pol.profile
        # Attestations are looked up only when HC-PRD-002 runs and would read them.
        params = pol.params_for(PROVENANCE_RULE)
        lookup = None
        if chosen == "production" and PROVENANCE_RULE not in pol.disabled:
            from hullcheck.policy.image_rules import attestation_keys

            attestation_keys(params)  # a missing key file fails now, not after the scans
            lookup = "always" if params.get("require_attestation") else "unlabelled"
        subjects = [_scan_image(ref, db, pol, reg, plat, lookup) for ref in images]
    result = evaluate(inputs.workloads, pol, profile or pol.profile, version,
                      services=inputs.services, dockerfiles=inputs.dockerfiles, host_files=inputs.host_files,
                      azure=inputs.azure, images=subjects)
    result = dataclasses.replace(result, violations=tuple(add_lines(result.violations)),
                                 expired_exceptions=result.expired_exceptions + _expired_ignores(subjects))
    for v in result.violations:
        if v.mode.value == "warn" and not v.excepted:
            print(f"hullcheck: warning: {v.rule} {v.resource.kind}/{v.resource.name}: {v.message}", file=sys.stderr)
    for e in result.expired_exceptions:
        print(f"hullcheck: warning: exception for {e.rule} (owner {e.owner}) expired on {e.expires.isoformat()}",
              file=sys.stderr)
    for name, dest in outputs:
        text = FORMATS[name](result)
        if dest:
            write_atomic(Path(dest), text)
        else:
            sys.stdout.write(text)
    if result.failing:
        raise typer.Exit(1)


def _scan_image(ref: str, db: Path | None, pol: Policy, reg: RegistryOptions, plat: Platform | None,
                lookup: str | None) -> ImageSubject:
    from hullcheck.cli.progress import layer_progress
    from hullcheck.image.reference import parse_reference
    from hullcheck.model import Transport
    from hullcheck.model.violation import ResourceRef
    from hullcheck.policy.image_rules import PROVENANCE_LABELS, ImageSubject
    from hullcheck.scan import ScanOptions, scan

    with layer_progress(0) as obs:
        # the policy's ignore: entries hide findings as in `scan --policy`, before HC-PRD-001 sees them
        report = scan(ref, ScanOptions(db_path=db, ignore_entries=pol.ignore, platform=plat, registry_options=reg),
                      observer=obs)
    for w in report.warnings:
        print(f"hullcheck: warning: {w}", file=sys.stderr)
    subject = ImageSubject(ResourceRef("Image", ref), report)
    parsed = parse_reference(ref)
    if lookup == "unlabelled" and report.metadata is not None:
        labels = dict(report.metadata.labels)
        if all(labels.get(k) for k in PROVENANCE_LABELS):
            lookup = None  # the labels are enough
    found = None
    if lookup and parsed.transport is Transport.REGISTRY:
        from hullcheck.image.registry.attestations import find_attestations

        found = find_attestations(parsed, sorted(subject.digests), options=reg)
    elif lookup and parsed.transport is Transport.OCI_LAYOUT and parsed.path:
        from hullcheck.image.attestations import find_layout_attestations

        found = find_layout_attestations(Path(parsed.path), sorted(subject.digests))
    if found is not None:
        for problem in found.problems:
            print(f"hullcheck: warning: {ref}: attestation: {problem}", file=sys.stderr)
        subject = dataclasses.replace(subject, attestations=found)
    return subject


def _expired_ignores(subjects: list[ImageSubject]) -> tuple[PolicyException, ...]:
    """The policy's ignore: entries that matched a vulnerability but have expired, listed with the
    expired rule exceptions (the vulnerability HC-PRD-001 reports again, in ``container``)."""
    import datetime as dt

    from hullcheck.model.finding import Finding
    from hullcheck.policy.config import PolicyException

    out: dict[PolicyException, None] = {}
    for s in subjects:
        for a in s.report.annotations:
            v = a.verdict
            if a.expired and isinstance(a.finding, Finding) and v.expires:
                out[PolicyException(rule="HC-PRD-001", reason=f"{v.reason} [{v.source}]", owner=v.owner or "*",
                                    expires=dt.date.fromisoformat(v.expires), kind="Image", namespace="*",
                                    name=s.resource.name, container=a.finding.id)] = None
    return tuple(out)
