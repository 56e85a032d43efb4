"""Shared plumbing for the language-package analyzers (Python, npm, Ruby, PHP, .NET, Rust).

Each language module keeps a pure ``parse_*(data: bytes, path: str) -> list[Package]`` function
(what the tests drive) and a tiny analyzer class. ``analyze_with`` is the one place that turns a
``FileInput`` into an ``Artifact``: it bounds the size, runs the parser and turns every failure
into an "unknown" so a hostile or broken file never aborts a scan.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from packageurl import PackageURL

from hullcheck.catalog.interface import Artifact, FileInput
from hullcheck.model import Location, Package, PackageType

# Metadata files (METADATA, package.json, gemspec) are a few KiB; 8 MiB is far beyond any real one.
MAX_MANIFEST_BYTES = 8 << 20
# Lock files of large monorepos reach tens of MiB; beyond 64 MiB we refuse rather than balloon.
MAX_LOCKFILE_BYTES = 64 << 20
# Strings we keep (names, versions, licenses) are short; longer ones are garbage or hostile.
MAX_FIELD_CHARS = 512


class ParseError(ValueError):
    """The file is not what its name says (malformed, wrong shape, missing required fields)."""


Parser = Callable[[bytes, str], list[Package]]


def analyze_with(analyzer_id: str, f: FileInput, limit: int, parse: Parser) -> Artifact:
    """Read ``f`` (at most ``limit`` bytes) and run ``parse``; failures become an unknown."""
    if f.size > limit:
        return unknown(analyzer_id, f.path, f"file too large ({f.size} > {limit} bytes)")
    try:
        with f.open() as stream:
            data = stream.read(limit + 1)  # the declared size may lie: never read past the limit
        if len(data) > limit:
            return unknown(analyzer_id, f.path, f"file too large (> {limit} bytes)")
        packages = parse(data, f.path)
    except ParseError as e:
        return unknown(analyzer_id, f.path, str(e) or "malformed")
    except RecursionError:
        return unknown(analyzer_id, f.path, "nesting too deep")
    except Exception as e:  # last resort: the contract says bad content never raises
        return unknown(analyzer_id, f.path, f"unreadable: {type(e).__name__}: {e}")
    return Artifact(analyzer_id, f.path, packages=tuple(packages))


def unknown(analyzer_id: str, path: str, reason: str) -> Artifact:
    """An unknown with a one-line, bounded reason (parser messages span lines)."""
    return Artifact(analyzer_id, path, unknown=" ".join(reason.split())[:300])


def decode_text(data: bytes) -> str:
    """UTF-8 with a BOM tolerated; undecodable bytes are replaced (descriptions carry junk)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="replace")


def load_json(data: bytes) -> Any:
    """Parse JSON; any failure (syntax, encoding, nesting) is a ``ParseError``."""
    try:
        return json.loads(decode_text(data))
    except RecursionError as e:
        raise ParseError("JSON nesting too deep") from e
    except ValueError as e:
        raise ParseError(f"invalid JSON: {e}"[:200]) from e


def clean(value: object) -> str:
    """A usable scalar string field, or "" when absent, not a string, or absurdly long."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        s = str(value).strip()
        if len(s) <= MAX_FIELD_CHARS:
            return s
    return ""


def make_purl(
    ptype: str,
    name: str,
    version: str,
    namespace: str | None = None,
    qualifiers: dict[str, str] | None = None,
) -> str:
    """The package URL; "" when packageurl refuses the parts (the package is still reported)."""
    try:
        return PackageURL(
            type=ptype,
            namespace=namespace or None,
            name=name,
            version=version or None,
            qualifiers=qualifiers or None,
        ).to_string()
    except ValueError:
        return ""


def new_package(
    *,
    name: str,
    version: str,
    ptype: PackageType,
    ecosystem: str,
    purl: str,
    path: str,
    found_by: str,
    licenses: Iterable[str] = (),
    metadata: dict[str, Any] | None = None,
) -> Package:
    seen: list[str] = []
    for lic in licenses:
        lic = lic.strip()
        if lic and len(lic) <= MAX_FIELD_CHARS and lic not in seen:
            seen.append(lic)
    return Package(
        name=name,
        version=version,
        type=ptype,
        ecosystem=ecosystem,
        purl=purl,
        licenses=tuple(seen),
        locations=(Location(path=path),),
        found_by=found_by,
        metadata=metadata or {},
    )


def basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def parent_name(path: str) -> str:
    """The name of the directory holding ``path`` ("" at the root)."""
    parts = path.rsplit("/", 2)
    return parts[-2] if len(parts) >= 2 else ""


# -- YAML -----------------------------------------------------------------------------------------

MAX_YAML_DEPTH = 64
_AWAIT_KEY = object()


def load_yaml_documents(data: bytes, max_depth: int = MAX_YAML_DEPTH) -> list[Any]:
    """All documents of a YAML stream as plain dicts, lists and *strings* (no type resolution).

    Built from libyaml's event stream by hand instead of ``yaml.safe_load``: PyYAML's composer
    recurses per nesting level (the C loader segfaults on a few hundred thousand ``[``), and
    aliases let a small file expand into an exponential tree. Here nesting is bounded before the
    parser goes deeper, aliases are refused (lock files never use them), and every scalar stays
    a string, which is what lock-file fields are anyway.
    """
    import yaml  # here: PyYAML costs 15 ms to import, and most images have no YAML lock file

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    docs: list[Any] = []
    stack: list[list[Any]] = []  # [container, pending key or _AWAIT_KEY for mappings]

    def put(value: Any) -> None:
        if not stack:
            docs.append(value)
            return
        top = stack[-1]
        container = top[0]
        if isinstance(container, list):
            container.append(value)
        elif top[1] is _AWAIT_KEY:
            if not isinstance(value, str):
                raise ParseError("YAML mapping with a non-scalar key")
            top[1] = value
        else:
            container[top[1]] = value
            top[1] = _AWAIT_KEY

    parser = loader(decode_text(data))
    try:
        # get_event directly (not yaml.parse's generator): this loop is the hot path
        while True:
            event = parser.get_event()
            kind = type(event)
            if kind is yaml.ScalarEvent:
                put(event.value)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                if len(stack) >= max_depth:
                    raise ParseError("YAML nested too deep")
                new: dict[str, Any] | list[Any] = {} if kind is yaml.MappingStartEvent else []
                put(new)
                stack.append([new, _AWAIT_KEY])
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                stack.pop()
            elif kind is yaml.AliasEvent:
                raise ParseError("YAML aliases are not allowed here")
            elif kind is yaml.StreamEndEvent or event is None:
                break
    except yaml.YAMLError as e:
        raise ParseError(f"invalid YAML: {e}"[:200]) from e
    finally:
        parser.dispose()
    return docs
