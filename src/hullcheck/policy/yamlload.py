"""A bounded, typed YAML loader for manifests (Kubernetes, policy files).

Built on libyaml's event stream, like ``catalog.langbase.load_yaml_documents``, and for the same
reasons: PyYAML's composer recurses per nesting level (the C loader crashes on very deep input)
and aliases let a few bytes expand into an exponential tree. Differences from that loader:

- plain scalars are resolved to YAML 1.1 types (null, bool incl. yes/no/on/off, int, float), as
  Kubernetes' go-yaml does, because ``privileged: true`` must be a bool and ``runAsUser: 0`` an int;
  quoted scalars stay strings; mapping keys always stay strings;
- aliases are allowed (hand-written manifests use them) but share the anchored object instead of
  copying it, and every alias adds the anchored node count to an expansion budget: an alias bomb
  fails fast with a clear error instead of exhausting memory when something walks the tree;
- ``<<`` merge keys are honoured;
- errors carry the 1-based line number.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

MAX_DEPTH = 100
MAX_NODES = 2_000_000  # expanded nodes per stream (aliases counted at their expanded size)
MAX_BYTES = 64 * 1024 * 1024

_STR_TAG = "tag:yaml.org,2002:str"
_AWAIT_KEY = object()

_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})
_FALSE = frozenset({"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)\Z")
_INT_HEX = re.compile(r"[-+]?0x[0-9a-fA-F_]+\Z")
_INT_OCT = re.compile(r"[-+]?0o?[0-7_]+\Z")
_INT_BIN = re.compile(r"[-+]?0b[01_]+\Z")
_FLOAT = re.compile(r"[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?\Z|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+\Z")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)\Z")


class YamlError(ValueError):
    """The YAML is malformed or hostile; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def resolve_plain(text: str) -> Any:
    """The YAML 1.1 type of a plain (unquoted) scalar."""
    if text in _NULL:
        return None
    if len(text) <= 5:
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    c = text[0]
    if not (c.isdigit() or c in "+-."):
        return text  # the common case: a word
    try:
        if _INT.match(text):
            return int(text.replace("_", ""))
        if _INT_HEX.match(text):
            return int(text.replace("_", ""), 16)
        if _INT_BIN.match(text):
            return int(text.replace("_", ""), 2)
        if _INT_OCT.match(text):
            t = text.replace("_", "")
            sign = -1 if t[0] == "-" else 1
            digits = t.lstrip("+-")
            digits = digits[2:] if digits.startswith("0o") else digits[1:]
            return sign * int(digits or "0", 8)
        if _FLOAT.match(text) and any(ch.isdigit() for ch in text):
            return float(text.replace("_", ""))
        if _INF.match(text):
            return float("-inf") if text[0] == "-" else float("inf")
        if _NAN.match(text):
            return float("nan")
    except ValueError:
        return text
    return text


def _scalar(event: Any) -> Any:
    if not event.style and event.implicit[0]:  # plain, untagged (libyaml says style '', PyYAML None)
        return resolve_plain(event.value)
    tag = event.tag
    if tag is None or tag == _STR_TAG or tag == "!":
        return event.value
    if tag.startswith("tag:yaml.org,2002:"):
        typed = resolve_plain(event.value)
        kind = tag.rsplit(":", 1)[1]
        if (kind == "int" and isinstance(typed, int) and not isinstance(typed, bool)) or (
            kind == "bool" and isinstance(typed, bool)) or (kind == "null" and typed is None) or (
            kind == "float" and isinstance(typed, int | float) and not isinstance(typed, bool)
        ):
            return float(typed) if kind == "float" and typed is not None else typed
    return event.value


def _line(event: Any) -> int | None:
    mark = getattr(event, "start_mark", None)
    return mark.line + 1 if mark is not None else None


def load_documents(text: str | bytes, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES) -> list[Any]:
    """All documents of a YAML stream as dicts, lists and typed scalars. Raises ``YamlError``."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise YamlError(f"YAML larger than {MAX_BYTES} bytes")
        if text.startswith(b"\xef\xbb\xbf"):
            text = text[3:]
        text = text.decode("utf-8", errors="replace")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    docs: list[Any] = []
    # frame: [container, pending key or _AWAIT_KEY, node count, anchor, merge-pending flag]
    stack: list[list[Any]] = []
    anchors: dict[str, tuple[Any, int]] = {}
    total = 0

    def put(value: Any, size: int, event: Any, key_plain: bool = False) -> None:
        if not stack:
            docs.append(value)
            return
        top = stack[-1]
        top[2] += size
        container = top[0]
        if isinstance(container, list):
            container.append(value)
        elif top[1] is _AWAIT_KEY:
            if isinstance(value, dict | list):
                raise YamlError("mapping key is not a scalar", _line(event))
            top[1] = value if isinstance(value, str) else str(value)
            top[4] = key_plain and value == "<<"
        else:
            if top[4]:  # YAML 1.1 merge key: earlier explicit keys win, later ones override
                sources = value if isinstance(value, list) else [value]
                for src in reversed(sources):
                    if not isinstance(src, dict):
                        raise YamlError("merge key '<<' needs a mapping or a list of mappings", _line(event))
                    for k, v in src.items():
                        container.setdefault(k, v)
                top[4] = False
            else:
                container[top[1]] = value
            top[1] = _AWAIT_KEY

    ScalarEvent = yaml.ScalarEvent
    parser = loader(text)
    try:
        while True:
            event = parser.get_event()
            kind = type(event)
            if kind is ScalarEvent:
                total += 1
                if total > max_nodes:
                    raise YamlError(f"YAML has more than {max_nodes} nodes", _line(event))
                top = stack[-1] if stack else None
                if top is not None and top[1] is _AWAIT_KEY and type(top[0]) is dict:
                    value = event.value  # keys stay strings
                    if value == "<<" or event.anchor:
                        put(value, 1, event, key_plain=not event.style)
                    else:  # fast path: the most frequent event of all
                        top[1] = value
                        top[2] += 1
                else:
                    value = _scalar(event)
                    if top is not None and type(top[0]) is dict and not top[4] and not event.anchor:
                        top[0][top[1]] = value  # fast path: a scalar value in a mapping
                        top[1] = _AWAIT_KEY
                        top[2] += 1
                    else:
                        put(value, 1, event)
                if event.anchor:
                    anchors[event.anchor] = (value, 1)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                total += 1
                if len(stack) >= max_depth:
                    raise YamlError(f"YAML nested deeper than {max_depth} levels", _line(event))
                new: dict[str, Any] | list[Any] = {} if kind is yaml.MappingStartEvent else []
                stack.append([new, _AWAIT_KEY, 1, event.anchor, False])
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                frame = stack.pop()
                if isinstance(frame[0], dict) and frame[1] is not _AWAIT_KEY:
                    raise YamlError("mapping ended without a value", _line(event))
                if frame[3]:
                    anchors[frame[3]] = (frame[0], frame[2])
                put(frame[0], frame[2], event)
            elif kind is yaml.AliasEvent:
                target = anchors.get(event.anchor)
                if target is None:
                    raise YamlError(f"unknown alias *{event.anchor}", _line(event))
                total += target[1]
                if total > max_nodes:
                    raise YamlError(
                        f"YAML aliases expand to more than {max_nodes} nodes (alias bomb?)", _line(event)
                    )
                put(target[0], target[1], event)
            elif kind is yaml.DocumentStartEvent:
                anchors.clear()
            elif kind is yaml.StreamEndEvent or event is None:
                break
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlError(f"invalid YAML: {e.problem or e.context or 'syntax error'}", line) from e
    except yaml.YAMLError as e:
        raise YamlError(f"invalid YAML: {e}"[:200]) from e
    except RecursionError as e:  # libyaml itself is iterative; this guards the pure-Python fallback
        raise YamlError("YAML nested too deep") from e
    finally:
        parser.dispose()
    return docs
