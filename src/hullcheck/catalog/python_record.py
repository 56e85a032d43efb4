"""Which files a Python distribution installed: dist-info ``RECORD`` and egg-info
``installed-files.txt``, as ownership keyed by the PEP 503 name."""

from __future__ import annotations

import csv
import posixpath
import re
from collections.abc import Iterable

from packaging.utils import canonicalize_name

from hullcheck.catalog.interface import Artifact, FileInput, Interest, OwnedFiles
from hullcheck.catalog.langbase import (
    MAX_MANIFEST_BYTES,
    ParseError,
    basename,
    decode_text,
    parent_name,
    unknown,
)

MAX_OWNED_FILES = 200_000  # the largest real distributions install a few tens of thousands
# "<name>-<version>.dist-info", "<name>-<version>[-pyX.Y].egg-info": how pip and setuptools
# name them
_INFO_DIR = re.compile(r"^(?P<name>[^-/]+)(?:-[^-/]+(?:-py\d[\d.]*)?)?\.(?:dist|egg)-info$", re.I)


def dist_name_from_dir(info_dir: str) -> str:
    """The PEP 503 name from a ``*.dist-info`` / ``*.egg-info`` directory name, or ""."""
    m = _INFO_DIR.match(info_dir)
    return str(canonicalize_name(m.group("name"))) if m else ""


def parse_owned_files(data: bytes, path: str) -> OwnedFiles:
    """Installed files from ``RECORD`` (CSV: path, hash, size) or ``installed-files.txt`` (one
    path a line, egg-info), made absolute. RECORD paths are relative to the directory holding
    the dist-info, installed-files.txt paths to the egg-info itself; paths that climb above the
    image root are dropped."""
    info_dir = posixpath.dirname(path)
    name = dist_name_from_dir(posixpath.basename(info_dir))
    if not name:
        raise ParseError("RECORD outside a <name>-<version>.dist-info directory")
    base = posixpath.dirname(info_dir) if path.endswith("/RECORD") else info_dir
    text = decode_text(data)
    lines = text.splitlines()
    rows: Iterable[str]
    if not path.endswith("/RECORD"):
        rows = (line.strip() for line in lines)
    elif '"' in text:
        rows = (row[0] for row in csv.reader(lines) if row)
    else:  # nothing quoted (the usual RECORD): the path is what precedes the first comma
        rows = (line.partition(",")[0] for line in lines)
    prefix = base.rstrip("/") + "/"
    files: list[str] = []
    for rel in rows:
        if not rel or len(rel) > 4096 or rel.startswith(("<<<<<<<", "=======", ">>>>>>>")):
            continue  # blank, absurd, or merge-conflict debris (seen in the wild)
        if rel[0] != "/" and "//" not in rel and "/." not in "/" + rel and rel[-1] != "/":
            full = prefix + rel  # already normal: what normpath would return
        else:
            full = posixpath.normpath(posixpath.join(base, rel))
        if not full.startswith("/") or full.startswith("//") or "/../" in full + "/":
            continue
        files.append(full)
        if len(files) > MAX_OWNED_FILES:
            raise ParseError(f"more than {MAX_OWNED_FILES} installed files")
    return OwnedFiles(package=name, files=tuple(files))


class PythonRecordAnalyzer:
    """Which files a distribution installed (dist-info ``RECORD``, egg-info
    ``installed-files.txt``): ownership, keyed by the PEP 503 name, which is what
    ``metadata["normalized_name"]`` of the distribution's package carries."""

    id = "python-record"
    interest = Interest(names=frozenset({"RECORD", "installed-files.txt"}))
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        base = basename(path)
        if base == "RECORD":
            return parent_name(path).lower().endswith(".dist-info")
        return base == "installed-files.txt" and parent_name(path).lower().endswith(".egg-info")

    def analyze(self, f: FileInput) -> Artifact:
        if f.size > MAX_MANIFEST_BYTES:
            return unknown(self.id, f.path, f"file too large ({f.size} bytes)")
        try:
            with f.open() as stream:
                data = stream.read(MAX_MANIFEST_BYTES + 1)
            if len(data) > MAX_MANIFEST_BYTES:
                return unknown(self.id, f.path, "file too large")
            owned = parse_owned_files(data, f.path)
        except ParseError as e:
            return unknown(self.id, f.path, str(e))
        except Exception as e:  # the contract: bad content never raises
            return unknown(self.id, f.path, f"unreadable: {type(e).__name__}: {e}")
        return Artifact(self.id, f.path, owned=(owned,))
