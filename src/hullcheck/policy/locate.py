"""Line numbers for violation fields: ``spec.template.spec.containers[0].securityContext`` -> line 23.

Done after checking, and only for files that have violations: the loader that feeds the rules keeps
no positions (it is the hot path). Here the file's event stream is walked again, recording the line
of every node by its path; a field that is absent from the document (a missing setting) gets the
line of its nearest present ancestor.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

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


def node_lines(text: str, wanted: set[int] | None = None) -> dict[int, dict[tuple[Key, ...], int]]:
    """Per document index (only ``wanted`` ones, if given), the 1-based line of every node by its path;
    a mapping value is placed at its key's line. Aliases add nothing new."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    parser = loader(text)
    out: dict[int, dict[tuple[Key, ...], int]] = {}
    doc = -1
    lines: dict[tuple[Key, ...], int] = {}
    record = True
    # frames: [is_mapping, path, next index (sequence) / pending key or None (mapping), the key's line]
    stack: list[list[Any]] = []
    Scalar, Alias = yaml.ScalarEvent, yaml.AliasEvent
    MapStart, SeqStart = yaml.MappingStartEvent, yaml.SequenceStartEvent
    MapEnd, SeqEnd = yaml.MappingEndEvent, yaml.SequenceEndEvent
    DocStart, StreamEnd = yaml.DocumentStartEvent, yaml.StreamEndEvent
    try:
        while True:
            ev = parser.get_event()
            kind = type(ev)
            if ev is None or kind is StreamEnd:
                break
            if kind is DocStart:
                doc += 1
                record = wanted is None or doc in wanted
                lines = out.setdefault(doc, {}) if record else {}
                continue
            is_start = kind is MapStart or kind is SeqStart
            if kind is Scalar or kind is Alias or is_start:
                if stack:
                    top = stack[-1]
                    if top[0]:
                        if top[2] is None:  # a key: the next node is its value
                            if is_start:
                                break  # a complex key: positions beyond here are not needed
                            top[2] = ev.value if kind is Scalar else "*"
                            top[3] = ev.start_mark.line + 1
                            continue
                        path = (*top[1], top[2])
                        line = top[3]
                        top[2] = None
                    else:
                        path = (*top[1], top[2])
                        top[2] += 1
                        line = ev.start_mark.line + 1
                else:
                    path = ()
                    line = ev.start_mark.line + 1
                if record:
                    lines[path] = line
                if is_start:
                    if len(stack) >= MAX_DEPTH:
                        break
                    stack.append([kind is MapStart, path, None if kind is MapStart else 0, None])
            elif kind is MapEnd or kind is SeqEnd:
                stack.pop()
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


def _file_lines(job: tuple[str, set[int]]) -> dict[int, dict[tuple[Key, ...], int]]:
    f, wanted = job
    try:
        with Path(f).open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError:
        return {}
    return node_lines(data.decode("utf-8", errors="replace"), wanted)


PARALLEL_MIN_BYTES = 4 * 1024 * 1024


def add_lines(violations: Iterable[Violation], jobs: int | None = None) -> list[Violation]:
    """The violations with ``line`` set where the field is a path into a YAML/JSON file. Many large files
    are walked in worker processes, like the loader does."""
    vs = list(violations)
    wanted: dict[str, set[int]] = {}
    for v in vs:
        f = v.resource.file
        if f and f.endswith((".yaml", ".yml", ".json")) and parse_field(v.field) is not None:
            wanted.setdefault(f, set()).add(v.resource.document)
    files = sorted(wanted)
    jobs = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    size = sum(os.stat(f).st_size for f in files if os.path.exists(f))
    if jobs > 1 and len(files) > 1 and size >= PARALLEL_MIN_BYTES:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            maps = list(pool.map(_file_lines, [(f, wanted[f]) for f in files],
                                 chunksize=max(1, len(files) // (jobs * 4))))
    else:
        maps = [_file_lines((f, wanted[f])) for f in files]
    by_file = dict(zip(files, maps, strict=True))
    out: list[Violation] = []
    for v in vs:
        path = parse_field(v.field)
        lines = by_file.get(v.resource.file)
        line = line_of(lines.get(v.resource.document, {}), path) if lines is not None and path is not None else None
        out.append(replace(v, line=line) if line is not None else v)
    return out
