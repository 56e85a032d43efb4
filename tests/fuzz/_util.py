"""Helpers of the fuzz harnesses: byte mutations, a watchdog, JSON tree mutation."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import strategies as st

T = TypeVar("T")

# (where as a fraction of the length, what to write, how many bytes it replaces)
EDIT = st.tuples(st.floats(0, 1, exclude_max=True), st.binary(min_size=0, max_size=8), st.integers(0, 8))
EDITS = st.lists(EDIT, max_size=8)
CUT = st.one_of(st.none(), st.floats(0, 1))  # None: keep the whole input


def mutate_bytes(data: bytes, edits: list[tuple[float, bytes, int]], cut: float | None) -> bytes:
    """Overwrite, insert or delete small runs at the given places, then maybe truncate."""
    buf = bytearray(data)
    for where, what, replaced in edits:
        at = int(where * len(buf)) if buf else 0
        buf[at : at + replaced] = what
    if cut is not None:
        buf = buf[: int(len(buf) * cut)]
    return bytes(buf)


def within(seconds: float, fn: Callable[[], T]) -> T:
    """Run ``fn`` on a thread and fail if it does not finish in time (a hang is a bug too)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"did not finish within {seconds} s (hang?)"
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


# JSON values that are wrong in every way a parser might not expect.
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["", "..", "/", "\x00", "../../etc/passwd", "a" * 600, "sha256:", "sha256:zz", "1.0", "*",
                     "²", "١٢", "1" * 5000, "-1", "\udcff"]),  # "²".isdigit() is True but int("²") fails
    st.lists(st.integers() | st.text(max_size=4), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers() | st.text(max_size=4) | st.none(), max_size=3),
    st.just([[[[]]]]),
    st.just({"": {"": {}}}),
)


def paths_of(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every node of a JSON tree, as a key path (the root is ``()``)."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.extend(paths_of(v, (*prefix, k)))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.extend(paths_of(v, (*prefix, i)))
    return out


def replace_at(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A deep copy of ``doc`` with the node at ``path`` replaced by ``value``."""
    doc = json.loads(json.dumps(doc))
    if not path:
        return value
    node = doc
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return doc


@st.composite
def json_mutations(draw: st.DrawFn, doc: Any, max_edits: int = 4) -> Any:
    """``doc`` with 1..max_edits nodes replaced by junk or deleted (absent and null are
    different mistakes, so both are tried)."""
    for _ in range(draw(st.integers(1, max_edits))):
        paths = paths_of(doc)
        path = draw(st.sampled_from(paths))
        if path and draw(st.integers(0, 4)) == 0:
            doc = json.loads(json.dumps(doc))
            node = doc
            for k in path[:-1]:
                node = node[k]
            del node[path[-1]]
        else:
            doc = replace_at(doc, path, draw(JUNK))
    return doc
