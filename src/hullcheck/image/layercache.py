"""Per-layer scan results cached by content digest and analyzer set.

A layer's scan depends only on its content and on the analyzers that ran, so an image that
shares its base with one already scanned reads nothing from the shared layers again. An entry
is filed only under digests that were verified while streaming that layer: always its blob
digest (compressed), and its diff_id when that was checked too (plain layers, whose diff_id
is their blob digest, or ``HULLCHECK_VERIFY_DIFF_IDS``). A layer claiming someone else's
diff_id can therefore never plant results that another image would read. Lookups try the
diff_id first (it is shared across compressions of one layer), then the blob digest. (An image
whose own diff_id lies gets the results of the layer it names: it describes a layer that no
runtime would unpack, since runtimes check diff_ids.)
Entries are written atomically; a corrupt or foreign entry is ignored and rewritten.

An entry is one JSON document on one line. The file records, whiteouts and opaque markers of a
layer spilled to disk (an image with very many files, see ``filetable``) are not put in it: they
follow, one line per chunk, and are read back a chunk at a time into a table that spills again,
so that neither writing nor reading holds them all in memory.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hullcheck.catalog.interface import Analyzer, Artifact, OwnedFiles
from hullcheck.config import cache_dir
from hullcheck.image.filetable import CHUNK, FileRecord, FileTable, SpillPolicy
from hullcheck.image.walk import LayerScan
from hullcheck.model.checks import SecretFinding
from hullcheck.model.finding import SeverityLevel
from hullcheck.model.serde import distro_from_dict, distro_to_dict, package_from_dict, package_to_dict

FORMAT = 3  # 3: records and markers of spilled layers follow the document by chunks


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

    def _path(self, key: str, fingerprint: str) -> Path:
        algo, _, hexpart = key.partition(":")
        if algo != "sha256" or len(hexpart) != 64 or not all(c in "0123456789abcdef" for c in hexpart):
            raise ValueError("not a sha256 diff_id")
        return self.root / f"{hexpart}-{fingerprint}.json"

    def get(
        self, keys: Sequence[str], index: int, diff_id: str, fingerprint: str, policy: SpillPolicy | None = None
    ) -> LayerScan | None:
        """The first entry filed under one of ``keys`` (verified digests of this layer); its file
        records count in ``policy``'s budget, as if the layer had been read."""
        for key in keys:
            hit = self._get(key, index, diff_id, fingerprint, policy)
            if hit is not None:
                return hit
        return None

    def _get(
        self, key: str, index: int, diff_id: str, fingerprint: str, policy: SpillPolicy | None
    ) -> LayerScan | None:
        try:
            p = self._path(key, fingerprint)
            with open(p, "rb") as f:
                d = json.loads(f.readline())
                if d.get("format") != FORMAT or key not in d.get("keys", ()):
                    return None
                chunked = bool(d.get("chunked"))
                files = FileTable(() if chunked else [tuple(r) for r in d["files"]], policy, index)
                scan = LayerScan(
                    index=index,
                    diff_id=diff_id,
                    files=files,
                    whiteouts=[] if chunked else d["whiteouts"],
                    opaque=[] if chunked else d["opaque"],
                    artifacts=[_artifact_from_dict(a) for a in d["artifacts"]],
                    uncompressed_bytes=int(d.get("bytes", 0)),
                    from_cache=True,
                )
                if chunked:
                    # records and markers by chunks, into a table that spills as the scan's would
                    for line in f:
                        (kind, items), = json.loads(line).items()
                        if kind == "f":
                            files.extend(tuple(r) for r in items)
                        else:
                            {"w": scan.whiteouts, "o": scan.opaque}[kind].extend(items)
                    if [len(files), len(scan.whiteouts), len(scan.opaque)] != d["count"]:
                        return None  # not the entry that was written
                    files.finish()
            return scan
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, scan: LayerScan, keys: Sequence[str], fingerprint: str) -> None:
        """File ``scan`` under ``keys``: only digests verified while reading this layer."""
        try:
            paths = [self._path(k, fingerprint) for k in dict.fromkeys(keys)]
        except ValueError:
            return
        if not paths:
            return
        doc: dict[str, Any] = {
            "format": FORMAT,
            "keys": list(dict.fromkeys(keys)),
            "artifacts": [_artifact_to_dict(a) for a in scan.artifacts],
            "bytes": scan.uncompressed_bytes,
        }
        chunked = scan.files.spilled
        if chunked:
            doc["chunked"] = True
            doc["count"] = [len(scan.files), len(scan.whiteouts), len(scan.opaque)]
        else:  # nothing spilled: the lists hold everything
            doc["files"] = scan.files.buffer
            doc["whiteouts"] = scan.whiteouts.buffer
            doc["opaque"] = scan.opaque.buffer
        # json.dumps, not json.dump: only the one-shot call uses the C encoder (5x faster here).
        text = json.dumps(doc, separators=(",", ":"))
        first: Path | None = None
        for p in paths:
            p.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=p.parent, suffix=".part")
            try:
                with os.fdopen(fd, "w") as f:
                    if first is not None:  # the same entry under another key: copy the first
                        f.close()
                        shutil.copyfile(first, tmp)
                    else:
                        f.write(text)
                        if chunked:
                            _write_chunks(f, "f", scan.files)
                            _write_chunks(f, "w", scan.whiteouts)
                            _write_chunks(f, "o", scan.opaque)
                os.replace(tmp, p)
                first = first or p
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise


def _write_chunks(f: Any, kind: str, items: Iterable[FileRecord | str]) -> None:
    """One line per chunk: {"f": [records...]}, {"w": [whiteouts...]} or {"o": [opaque dirs...]}."""
    chunk: list[FileRecord | str] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == CHUNK:
            f.write("\n" + json.dumps({kind: chunk}, separators=(",", ":")))
            chunk.clear()
    if chunk:
        f.write("\n" + json.dumps({kind: chunk}, separators=(",", ":")))
