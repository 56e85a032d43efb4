"""Line numbers for violation fields: ``spec.template.spec.containers[0].securityContext`` -> line 23.

Done after checking, and only for files that have violations: the loader that feeds the rules keeps
no positions (it is the hot path). Here the file's event stream is walked again, recording the line
of every node by its path; a field that is absent from the document (a missing setting) gets the
line of its nearest present ancestor.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import yaml

from hullcheck.model.violation import Violation
from hullcheck.policy.yamlload import MAX_BYTES, MAX_DEPTH

Key = str | int
_TOKEN = re.compile(r"\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]|\.?([^.\[]+)")


def parse_field(field: str) -> tuple[Key, ...] | None:
    """``a.b[0]['x.y/z']`` -> ("a", "b", 0, "x.y/z"); None for fields that are not paths ("line 3: RUN")."""
    if not field or " " in field.split("[", 1)[0]:
        return None
    out: list[Key] = []
    pos = 0
    while pos < len(field):
        m = _TOKEN.match(field, pos)
        if not m or m.end() == pos:
            return None
        if m.group(1) is not None:
            out.append(m.group(1))
        elif m.group(2) is not None:
            out.append(int(m.group(2)))
        else:
            out.append(m.group(3))
        pos = m.end()
    return tuple(out)


def node_lines(text: str) -> dict[int, dict[tuple[Key, ...], int]]:
    """Per document index, the 1-based line of every node by its path. Aliases point at nothing new."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    parser = loader(text)
    out: dict[int, dict[tuple[Key, ...], int]] = {}
    doc = -1
    lines: dict[tuple[Key, ...], int] = {}
    # frames: [is_mapping, path, next index (sequences) or pending key (mappings) or None, the key's line]
    stack: list[list[object]] = []

    def child_path() -> tuple[Key, ...] | None:
        """Path of the node that starts now; None when it is a mapping key."""
        if not stack:
            return ()
        top = stack[-1]
        path = top[1]
        assert isinstance(path, tuple)
        if top[0]:
            if top[2] is None:
                return None
            return (*path, top[2])
        index = top[2]
        assert isinstance(index, int)
        top[2] = index + 1
        return (*path, index)

    def after_value() -> None:
        if stack and stack[-1][0]:
            stack[-1][2] = None

    def where(ev: yaml.Event) -> int:
        """A mapping value is reported at its key's line (``securityContext:``), other nodes at their own."""
        if stack and stack[-1][0] and isinstance(stack[-1][3], int):
            return stack[-1][3]
        mark = ev.start_mark
        return mark.line + 1 if mark is not None else 0

    try:
        while True:
            ev = parser.get_event()
            if ev is None or isinstance(ev, yaml.StreamEndEvent):
                break
            if isinstance(ev, yaml.DocumentStartEvent):
                doc += 1
                lines = out.setdefault(doc, {})
            elif isinstance(ev, yaml.ScalarEvent | yaml.AliasEvent):
                path = child_path()
                if path is None:  # a key: the next node is its value
                    stack[-1][2] = ev.value if isinstance(ev, yaml.ScalarEvent) else "*"
                    stack[-1][3] = ev.start_mark.line + 1 if ev.start_mark is not None else None
                    continue
                lines.setdefault(path, where(ev))
                after_value()
            elif isinstance(ev, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                path = child_path()
                if path is None or len(stack) >= MAX_DEPTH:
                    break  # a complex key or absurd nesting: positions beyond here are not needed
                lines.setdefault(path, where(ev))
                is_map = isinstance(ev, yaml.MappingStartEvent)
                stack.append([is_map, path, None if is_map else 0, None])
            elif isinstance(ev, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                stack.pop()
                after_value()
    except yaml.YAMLError:
        pass  # the file was loaded fine before; whatever was recorded is still right
    finally:
        parser.dispose()
    return out


def line_of(lines: dict[tuple[Key, ...], int], path: tuple[Key, ...]) -> int | None:
    for n in range(len(path), -1, -1):
        line = lines.get(path[:n])
        if line is not None:
            return line
    return None


def add_lines(violations: Iterable[Violation]) -> list[Violation]:
    """The violations with ``line`` set where the field is a path into a YAML/JSON file."""
    vs = list(violations)
    by_file: dict[str, dict[int, dict[tuple[Key, ...], int]]] = {}
    out: list[Violation] = []
    for v in vs:
        path = parse_field(v.field)
        f = v.resource.file
        if path is None or not f or not f.endswith((".yaml", ".yml", ".json")):
            out.append(v)
            continue
        if f not in by_file:
            try:
                with Path(f).open("rb") as fh:
                    data = fh.read(MAX_BYTES + 1)
                by_file[f] = node_lines(data.decode("utf-8", errors="replace"))
            except OSError:
                by_file[f] = {}
        line = line_of(by_file[f].get(v.resource.document, {}), path)
        out.append(replace(v, line=line) if line is not None else v)
    return out
