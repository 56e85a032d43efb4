"""Per-layer scan results cached by diff_id and analyzer set.

A layer's scan depends only on its uncompressed content (named by its diff_id, verified while
streaming) and on the analyzers that ran, so an image that shares its base with one already
scanned reads nothing from the shared layers again. Entries are written atomically; a corrupt
or foreign entry is ignored and rewritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hullcheck.catalog.interface import Analyzer, Artifact, OwnedFiles
from hullcheck.config import cache_dir
from hullcheck.image.walk import LayerScan
from hullcheck.model.checks import SecretFinding
from hullcheck.model.finding import SeverityLevel
from hullcheck.model.serde import distro_from_dict, distro_to_dict, package_from_dict, package_to_dict

FORMAT = 1


def analyzer_fingerprint(analyzers: Sequence[Analyzer]) -> str:
    ids = ",".join(sorted(f"{a.id}@{a.version}" for a in analyzers))
    return hashlib.sha256(f"{FORMAT};{ids}".encode()).hexdigest()[:16]


def _artifact_to_dict(a: Artifact) -> dict[str, Any]:
    d: dict[str, Any] = {"analyzer": a.analyzer, "path": a.path}
    if a.packages:
        d["packages"] = [package_to_dict(p) for p in a.packages]
    if a.distro:
        d["distro"] = distro_to_dict(a.distro)
    if a.owned:
        d["owned"] = [[o.package, list(o.files)] for o in a.owned]
    if a.unknown:
        d["unknown"] = a.unknown
    if a.secrets:
        d["secrets"] = [_secret_to_dict(s) for s in a.secrets]
    return d


def _secret_to_dict(s: SecretFinding) -> dict[str, Any]:
    # ``match`` is already masked; layer and deletion are set later, from the image's scans.
    return {"rule": s.rule_id, "title": s.title, "severity": s.severity.value, "source": s.source,
            "path": s.path, "line": s.line, "match": s.match}


def _secret_from_dict(d: dict[str, Any]) -> SecretFinding:
    return SecretFinding(
        rule_id=d["rule"], title=d["title"], severity=SeverityLevel(d["severity"]), source=d["source"],
        path=d["path"], line=d.get("line"), match=d["match"],
    )


def _artifact_from_dict(d: dict[str, Any]) -> Artifact:
    return Artifact(
        analyzer=d["analyzer"],
        path=d["path"],
        packages=tuple(package_from_dict(p) for p in d.get("packages", ())),
        distro=distro_from_dict(d["distro"]) if d.get("distro") else None,
        owned=tuple(OwnedFiles(o[0], tuple(o[1])) for o in d.get("owned", ())),
        unknown=d.get("unknown"),
        secrets=tuple(_secret_from_dict(s) for s in d.get("secrets", ())),
    )


class LayerCache:
    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or cache_dir()) / "layers"

    def _path(self, diff_id: str, fingerprint: str) -> Path:
        algo, _, hexpart = diff_id.partition(":")
        if algo != "sha256" or len(hexpart) != 64 or not all(c in "0123456789abcdef" for c in hexpart):
            raise ValueError("not a sha256 diff_id")
        return self.root / f"{hexpart}-{fingerprint}.json"

    def get(self, diff_id: str, index: int, fingerprint: str) -> LayerScan | None:
        try:
            p = self._path(diff_id, fingerprint)
            with open(p, "rb") as f:
                d = json.load(f)
            if d.get("format") != FORMAT or d.get("diff_id") != diff_id:
                return None
            return LayerScan(
                index=index,
                diff_id=diff_id,
                files=[tuple(r) for r in d["files"]],
                whiteouts=list(d["whiteouts"]),
                opaque=list(d["opaque"]),
                artifacts=[_artifact_from_dict(a) for a in d["artifacts"]],
                uncompressed_bytes=int(d.get("bytes", 0)),
                from_cache=True,
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, scan: LayerScan, fingerprint: str) -> None:
        if not scan.diff_id:
            return
        try:
            p = self._path(scan.diff_id, fingerprint)
        except ValueError:
            return
        doc = {
            "format": FORMAT,
            "diff_id": scan.diff_id,
            "files": scan.files,
            "whiteouts": scan.whiteouts,
            "opaque": scan.opaque,
            "artifacts": [_artifact_to_dict(a) for a in scan.artifacts],
            "bytes": scan.uncompressed_bytes,
        }
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, suffix=".part")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(doc, f, separators=(",", ":"))
            os.replace(tmp, p)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
