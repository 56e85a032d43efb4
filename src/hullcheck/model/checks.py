"""What the secret scanner and the image-configuration checks find."""

from __future__ import annotations

from dataclasses import dataclass

from hullcheck.model.finding import SeverityLevel


@dataclass(frozen=True)
class SecretFinding:
    """A secret in a file of a layer or in the image config. ``match`` is always masked.

    ``source`` is ``file``, ``env``, ``history`` or ``label``; for files, ``layer_index`` is the
    layer holding that copy and ``deleted`` tells whether a later layer removed it (it is still
    in the image, in that layer).
    """

    rule_id: str
    title: str
    severity: SeverityLevel
    source: str
    path: str = ""  # file path, or the env/label key, or "history[N]"
    line: int | None = None
    match: str = ""  # masked excerpt, e.g. "AKIA************MPLE"
    layer_index: int | None = None
    deleted: bool = False


@dataclass(frozen=True)
class Misconfiguration:
    """A failed image-configuration check (CIS Docker Benchmark section 4, Dockle-like)."""

    check_id: str  # stable: "HC-IMG-001"
    title: str
    severity: SeverityLevel
    message: str  # what was found, specifically
    rationale: str = ""
    remediation: str = ""
    evidence: str = ""  # a path, an instruction, an env key
    layer_index: int | None = None
    references: tuple[str, ...] = ()
