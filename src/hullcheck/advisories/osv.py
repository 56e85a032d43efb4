"""OSV records (schema 1.x) from JSON, YAML, JSON lines and the per-ecosystem ``all.zip``.

``check(record)`` is the structural validation the store relies on: it returns why a record is
unusable (then the importer skips and counts it) or None. It is deliberately narrower than the
JSON schema: a non-canonical ecosystem name, an unparseable CVSS string or a short git hash in a
GIT range do not make a record unusable; a range without a type or without an ``introduced``
event, a package without a name, or wrongly typed fields do. ``versions: null`` is read as absent.
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

import yaml

OSV_FIELDS = frozenset(
    {
        "schema_version",
        "id",
        "modified",
        "published",
        "withdrawn",
        "aliases",
        "related",
        "upstream",
        "summary",
        "details",
        "severity",
        "affected",
        "references",
        "credits",
        "database_specific",
    }
)
_EVENT_KINDS = frozenset({"introduced", "fixed", "last_affected", "limit"})
_RANGE_TYPES = frozenset({"SEMVER", "ECOSYSTEM", "GIT"})
MAX_MEMBER_BYTES = 64 * 1024**2  # one record inside all.zip; real ones are < 2 MiB


# YAML: only null and booleans are implicit; everything else stays a string, so timestamps are
# not turned into datetimes and versions such as 1.10 are not turned into floats.
_YamlBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictStringLoader(_YamlBase):
    pass


_StrictStringLoader.yaml_implicit_resolvers = {}
_StrictStringLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_StrictStringLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


MAX_YAML_NODES = 2_000_000  # containers and items in one document; real records have < 50,000


def load_yaml(data: bytes | str) -> Any:
    """Load one YAML document. Anchors and aliases make shared sub-trees that would multiply when
    the record is written out again ("billion laughs"), so a document whose expanded size passes
    ``MAX_YAML_NODES`` is refused."""
    doc = yaml.load(data, Loader=_StrictStringLoader)
    _check_size(doc)
    return doc


def _check_size(doc: object) -> None:
    """Refuse a document whose expanded size passes the bound, or that contains itself.

    Sizes are computed once per container (post-order, memoised by identity), so shared
    sub-trees cost one visit however often they are referenced, and an alias cycle
    (``a: &a [*a]``) is refused at once instead of being walked until the budget runs out.
    """
    size: dict[int, int] = {}  # finished containers -> expanded size
    open_: set[int] = set()  # containers on the current path
    stack: list[tuple[Any, bool]] = [(doc, False)]
    while stack:
        node, finished = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        key = id(node)
        children = list(node.values()) if isinstance(node, dict) else node
        if finished:
            open_.discard(key)
            total = len(node) + sum(size[id(c)] for c in children if isinstance(c, (dict, list)))
            if total > MAX_YAML_NODES:
                raise ValueError("document expands past the size bound (YAML aliases?)")
            size[key] = total
            continue
        if key in size:
            continue
        if key in open_:
            raise ValueError("document refers to itself (recursive YAML alias)")
        open_.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if isinstance(c, (dict, list)))


def looks_like_osv(obj: object) -> bool:
    """An object with ``id`` and ``modified`` and only OSV top-level fields (the schema forbids
    others), which tells OSV records from indexes and other feeds that also carry an ``id``."""
    return (
        isinstance(obj, dict)
        and "id" in obj
        and "modified" in obj
        and all(k in OSV_FIELDS for k in obj)
    )


def _str_list(v: object) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def check(rec: object) -> str | None:
    """Why ``rec`` cannot be stored, or None when it can."""
    if not isinstance(rec, dict):
        return "record is not an object"
    rid = rec.get("id")
    if not isinstance(rid, str) or not rid.strip():
        return "id missing or not a string"
    if not isinstance(rec.get("modified"), str):
        return "modified missing or not a string"
    for f in ("published", "withdrawn", "summary", "details", "schema_version"):
        if rec.get(f) is not None and not isinstance(rec[f], str):
            return f"{f} is not a string"
    for f in ("aliases", "related", "upstream"):
        if rec.get(f) is not None and not _str_list(rec[f]):
            return f"{f} is not a list of strings"
    for f in ("severity", "references", "credits"):
        v = rec.get(f)
        if v is not None and not (isinstance(v, list) and all(isinstance(x, dict) for x in v)):
            return f"{f} is not a list of objects"
    if rec.get("database_specific") is not None and not isinstance(rec["database_specific"], dict):
        return "database_specific is not an object"
    affected = rec.get("affected")
    if affected is None:
        return None
    if not isinstance(affected, list):
        return "affected is not a list"
    for i, a in enumerate(affected):
        why = _check_affected(a)
        if why:
            return f"affected[{i}]: {why}"
    return None


def _check_affected(a: object) -> str | None:
    if not isinstance(a, dict):
        return "not an object"
    pkg = a.get("package")
    if pkg is not None:
        if not isinstance(pkg, dict):
            return "package is not an object"
        if not isinstance(pkg.get("ecosystem"), str) or not pkg["ecosystem"]:
            return "package.ecosystem missing"
        if not isinstance(pkg.get("name"), str) or not pkg["name"]:
            return "package.name missing"
    if a.get("versions") is not None and not _str_list(a["versions"]):
        return "versions is not a list of strings"
    for f in ("ecosystem_specific", "database_specific"):
        if a.get(f) is not None and not isinstance(a[f], dict):
            return f"{f} is not an object"
    ranges = a.get("ranges")
    if ranges is None:
        return None
    if not isinstance(ranges, list):
        return "ranges is not a list"
    for j, r in enumerate(ranges):
        if not isinstance(r, dict):
            return f"ranges[{j}] is not an object"
        if not isinstance(r.get("type"), str) or r["type"] not in _RANGE_TYPES:
            return f"ranges[{j}].type {r.get('type')!r} is not SEMVER, ECOSYSTEM or GIT"
        events = r.get("events")
        if not isinstance(events, list) or not events:
            return f"ranges[{j}].events missing or empty"
        seen_intro = False
        for ev in events:
            if not isinstance(ev, dict) or len(ev) != 1:
                return f"ranges[{j}] has an event that is not a single-key object"
            ((k, v),) = ev.items()
            if k not in _EVENT_KINDS or not isinstance(v, str):
                return f"ranges[{j}] has an invalid event {k!r}"
            seen_intro = seen_intro or k == "introduced"
        if not seen_intro:
            return f"ranges[{j}] has no introduced event"
    return None


def normalize(rec: dict[str, Any]) -> dict[str, Any]:
    """Tolerated deviations made regular: ``versions: null`` -> absent."""
    for a in rec.get("affected") or ():
        if "versions" in a and a["versions"] is None:
            del a["versions"]
    return rec


# -- reading files ---------------------------------------------------------------------------------
# Each reader yields (origin, object-or-exception); the importer classifies and validates.

Item = tuple[str, object]


class ParseError(Exception):
    pass


def read_json_bytes(data: bytes) -> object:
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as e:
        raise ParseError(f"invalid JSON: {e}") from None


def read_yaml_bytes(data: bytes) -> object:
    try:
        return load_yaml(data)
    except (yaml.YAMLError, ValueError, RecursionError) as e:
        raise ParseError(
            f"invalid YAML: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
        ) from None


def iter_jsonl(data: bytes, origin: str) -> Iterator[Item]:
    for n, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield f"{origin}:{n}", read_json_bytes(line)
        except ParseError as e:
            yield f"{origin}:{n}", e


def iter_zip(path: str) -> Iterator[Item]:
    """Members of an OSV ``all.zip``; a member over the size bound is reported, not read."""
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.is_dir() or not info.filename.endswith(".json"):
                continue
            origin = f"{path}!{PurePosixPath(info.filename).name}"
            if info.file_size > MAX_MEMBER_BYTES:
                yield (
                    origin,
                    ParseError(f"archive member is {info.file_size} bytes, over the bound"),
                )
                continue
            try:
                data = zf.read(info)
            # corrupt deflate data, CRC errors, encrypted or unsupported compression methods
            except (
                zipfile.BadZipFile,
                zlib.error,
                OSError,
                EOFError,
                ValueError,
                NotImplementedError,
                RuntimeError,
            ) as e:
                yield origin, ParseError(f"unreadable archive member: {e}")
                continue
            try:
                yield origin, read_json_bytes(data)
            except ParseError as e:
                yield origin, e
