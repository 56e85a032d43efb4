"""Planted secrets (expected.json) against what each tool reports, matched by file or env name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def planted(expected: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(where, kind): where is a file path or "env:NAME"."""
    out = []
    for s in expected.get("planted_secrets") or []:
        where = s.get("file") or (f"env:{s['env']}" if s.get("env") else "?")
        out.append((str(where), str(s.get("kind", "?"))))
    return out


def trivy_secret_places(doc: Mapping[str, Any]) -> set[str]:
    """Files in which Trivy reports a secret (Results of class "secret", Target is the path);
    secrets in the image config (environment, history) count as "config"."""
    places = set()
    for res in doc.get("Results") or []:
        if res.get("Secrets"):
            target = str(res.get("Target", ""))
            places.add("/" + target.lstrip("/") if res.get("Class") == "secret" else "config")
    return places


def trivy_misconfig_ids(doc: Mapping[str, Any]) -> list[str]:
    return sorted({str(m.get("ID")) for res in doc.get("Results") or [] for m in res.get("Misconfigurations") or []})


def hullcheck_secret_places(doc: Mapping[str, Any]) -> set[str]:
    places = set()
    for s in doc.get("secrets") or []:
        path = s.get("path") or (s.get("location") or {}).get("path")
        source = s.get("source") or "file"
        if source == "file" and path:
            places.add(str(path))
            continue
        places.add("config")  # the image config: environment, history, labels
        if source == "env" and path:
            places.add(f"env:{path}")
    return places


def found(where: str, places: set[str]) -> bool:
    if where.startswith("env:"):
        return "config" in places
    return where in places
