"""What the policy checks find: one violation of one rule by one resource (and container)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hullcheck.model.finding import SeverityLevel


class Mode(StrEnum):
    """What a violation does: ``enforce`` fails the run, ``warn`` prints, ``audit`` only records."""

    ENFORCE = "enforce"
    WARN = "warn"
    AUDIT = "audit"


@dataclass(frozen=True)
class ResourceRef:
    """The checked object: a Kubernetes workload (or a compose service, a Dockerfile...)."""

    kind: str
    name: str
    namespace: str = ""
    file: str = ""
    document: int = 0  # 0-based index of the YAML document in the file


@dataclass(frozen=True)
class ExceptionInfo:
    """The policy exception that matched this violation (applied, or expired and so ignored)."""

    reason: str
    owner: str
    expires: str  # ISO date
    expired: bool


@dataclass(frozen=True)
class Violation:
    rule: str  # stable id, "HC-K8S-003"
    title: str
    severity: SeverityLevel
    resource: ResourceRef
    message: str
    field: str = ""  # path into the document: "spec.template.spec.containers[0].securityContext.privileged"
    container: str = ""
    mode: Mode = Mode.ENFORCE
    exception: ExceptionInfo | None = None  # set when an exception matched (then excepted or expired)
    line: int | None = None  # 1-based line of the field (or its nearest present ancestor) in resource.file

    @property
    def excepted(self) -> bool:
        """True when a valid (unexpired) exception covers this violation."""
        return self.exception is not None and not self.exception.expired
