"""One admission decision: the request's object through the policy engine, then the AdmissionReview
response (same apiVersion and uid as the request).

- ``enforce`` violations (not covered by a valid exception) deny: ``allowed: false`` with a status of
  code 403 whose message lists the violated rules;
- ``warn`` violations become ``warnings`` (kubectl prints them), expired exceptions too;
- ``audit`` violations become ``auditAnnotations`` (the API server writes them, prefixed with the
  webhook's name, into its audit log);
- DELETE and CONNECT, subresources other than ``ephemeralcontainers``, kinds that carry no pod
  template, exempt namespaces and users are allowed without evaluation;
- a Pod UPDATE that leaves ``spec`` unchanged is allowed without evaluation, as PSA does: an
  existing pod's metadata (labels, finalizers) must stay editable, and it was checked at creation.

``dryRun`` does not change the verdict (``kubectl apply --dry-run=server`` shows what would
happen); the decision has no side effects either way, only the log line says it was a dry run.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from hullcheck.admission.review import AdmissionRequest
from hullcheck.model.violation import Mode, Violation
from hullcheck.policy.config import Policy
from hullcheck.policy.engine import evaluate
from hullcheck.policy.manifests import Workload, workload_from
from hullcheck.policy.rules import Version

EVALUATED_SUBRESOURCES = ("", "ephemeralcontainers")  # a pod's ephemeral containers arrive as a subresource
MAX_MESSAGE = 4096  # the denial is shown by kubectl; keep it readable
MAX_WARNING = 256  # the API server may truncate warnings longer than this
MAX_WARNINGS = 30
MAX_ANNOTATION = 1024
_KEY_OK = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class Settings:
    """What the server was started with: the policy and the profile/version it resolves to."""

    policy: Policy
    profile: str
    version: Version


@dataclass(frozen=True)
class Decision:
    allowed: bool
    message: str = ""  # the denial (status.message)
    warnings: tuple[str, ...] = ()
    audit_annotations: dict[str, str] = field(default_factory=dict)
    skipped: str = ""  # why the object was not evaluated ("DELETE", "exempt namespace kube-system", ...)
    violations: tuple[Violation, ...] = ()


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def prepared_object(req: AdmissionRequest) -> dict[str, Any] | None:
    """The request's object with what the API server leaves to the request filled in: kind (from
    ``request.kind``), namespace and name (a CREATE's object has none yet when the namespace comes
    from the URL or the name from ``generateName``). Exceptions match on these."""
    if req.object is None:
        return None
    obj = dict(req.object)
    if not isinstance(obj.get("kind"), str) or not obj["kind"]:
        obj["kind"] = req.kind.kind
    meta = obj.get("metadata")
    meta = dict(meta) if isinstance(meta, dict) else {}
    if not meta.get("namespace") and req.namespace:
        meta["namespace"] = req.namespace
    if not meta.get("name"):
        name = req.name or meta.get("generateName")
        if isinstance(name, str) and name:
            meta["name"] = name
    obj["metadata"] = meta
    return obj


def _pod_spec_unchanged(req: AdmissionRequest, new: Workload) -> bool:
    if new.resource.kind != "Pod" or req.operation != "UPDATE" or req.old_object is None:
        return False
    old = workload_from({**req.old_object, "kind": "Pod"})
    return old is not None and old.pod_spec == new.pod_spec


def _skip(req: AdmissionRequest, policy: Policy) -> str:
    if req.operation in ("DELETE", "CONNECT"):
        return req.operation
    if req.sub_resource not in EVALUATED_SUBRESOURCES:
        return f"subresource {req.sub_resource}"
    if req.namespace and req.namespace in policy.exempt_namespaces:
        return f"exempt namespace {req.namespace}"
    if req.user.username and req.user.username in policy.exempt_usernames:
        return f"exempt user {req.user.username}"
    return ""


def _where(w: Workload) -> str:
    r = w.resource
    return f"{r.kind} {r.namespace + '/' if r.namespace else ''}{r.name or '(unnamed)'}"


def _line(v: Violation) -> str:
    return f"{v.rule} {v.title}: {v.message}"


def _annotation_key(rule: str) -> str:
    """An audit annotation key is the name part of a qualified name once the API server prefixes
    it with the webhook's name: alphanumerics, '-', '_', '.', starting and ending alphanumeric, 63 max."""
    key = _KEY_OK.sub("-", f"violation.{rule}").strip("-_.")
    return key[:63].rstrip("-_.") or "violation"


def decide(req: AdmissionRequest, settings: Settings, today: dt.date | None = None) -> Decision:
    skipped = _skip(req, settings.policy)
    if skipped:
        notes = {"exempt": skipped} if skipped.startswith("exempt") else {}
        return Decision(True, skipped=skipped, audit_annotations=notes)
    obj = prepared_object(req)
    workload = workload_from(obj) if obj is not None else None
    if workload is None:
        return Decision(True, skipped=f"kind {req.kind.kind} carries no pod template")
    if _pod_spec_unchanged(req, workload):
        return Decision(True, skipped="pod spec unchanged")
    result = evaluate([workload], settings.policy, settings.profile, settings.version, today)
    shown = [v for v in result.violations if not v.excepted]
    failing = [v for v in shown if v.mode is Mode.ENFORCE]
    warns = [v for v in shown if v.mode is Mode.WARN]
    audits = [v for v in shown if v.mode is Mode.AUDIT]

    warnings = [_clip(_line(v), MAX_WARNING) for v in warns]
    warnings += [_clip(f"hullcheck: exception for {e.rule} (owner {e.owner}) expired on {e.expires.isoformat()}",
                       MAX_WARNING) for e in result.expired_exceptions]
    if len(warnings) > MAX_WARNINGS:
        warnings = [*warnings[: MAX_WARNINGS - 1], f"... and {len(warnings) - MAX_WARNINGS + 1} more warnings"]

    annotations: dict[str, list[str]] = {}
    for v in audits:
        annotations.setdefault(_annotation_key(v.rule), []).append(v.message)
    audit = {k: _clip("; ".join(msgs), MAX_ANNOTATION) for k, msgs in annotations.items()}

    message = ""
    if failing:
        head = (f"hullcheck denied {_where(workload)}: {len(failing)} violation(s) of policy {result.profile} "
                f"(Kubernetes v{result.version[0]}.{result.version[1]}): ")
        message = _clip(head + "; ".join(_line(v) for v in failing), MAX_MESSAGE)
    return Decision(not failing, message, tuple(warnings), audit, violations=tuple(result.violations))


def response(req: AdmissionRequest, decision: Decision) -> dict[str, Any]:
    """The AdmissionReview to send back: the request's apiVersion, its uid, the verdict."""
    resp: dict[str, Any] = {"uid": req.uid, "allowed": decision.allowed}
    if not decision.allowed:
        resp["status"] = {"code": 403, "reason": "Forbidden", "status": "Failure", "message": decision.message}
    if decision.warnings:
        resp["warnings"] = list(decision.warnings)
    if decision.audit_annotations:
        resp["auditAnnotations"] = dict(decision.audit_annotations)
    return {"apiVersion": req.api_version, "kind": "AdmissionReview", "response": resp}
