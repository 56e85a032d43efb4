"""YAML loading: ``catalog.langbase.load_yaml_documents`` (pnpm lock files) and the OSV/secdb YAML
reader ``advisories.osv.read_yaml_bytes``.

Contract: any bytes give a list of documents made of dicts, lists and strings, or a
``ParseError``; nesting and aliases are refused before they cost memory or recursion.
"""

from __future__ import annotations

import contextlib
from typing import Any

import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from hullcheck.advisories import osv
from hullcheck.catalog.langbase import ParseError, load_yaml_documents
from tests.fuzz._util import CUT, EDITS, mutate_bytes, within
from tests.fuzz.conftest import fuzz

TOKENS = st.sampled_from(["a", "b:", " ", "  ", "\n", "- ", "[", "]", "{", "}", ",", ":", "? ", "&x ", "*x", "!!str ",
                          "!!python/object:os.system ", "|", ">", "'", '"', "#", "---\n", "...\n", "%YAML 1.2\n",
                          "\t", "\\", "\ufeff", "\x00", "é", "1.10", "null", "~", "<<: *x"])
YAMLISH = st.lists(TOKENS, max_size=40).map("".join)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


def _plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return isinstance(value, str)


def _load(data: bytes) -> None:
    try:
        docs = within(20, lambda: load_yaml_documents(data))
    except ParseError as e:
        assert str(e)  # a reason, which the analyzer flattens to one line
        return
    assert isinstance(docs, list) and all(_plain(d) for d in docs)


@fuzz(4)
@given(text=YAMLISH)
@example(text="[" * 100_000)
@example(text="a: &x [1]\nb: *x\n")
@example(text="? [a]\n: b\n")
@example(text="!!python/object/apply:os.system ['true']\n")
def test_yamlish_text(text: str) -> None:
    _load(text.encode("utf-8", "surrogatepass"))


@fuzz(2)
@given(value=JSONISH, edits=EDITS, cut=CUT, flow=st.booleans())
def test_mutated_dumps(value: Any, edits: list[tuple[float, bytes, int]], cut: float | None, flow: bool) -> None:
    raw = yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True).encode()
    _load(mutate_bytes(raw, edits, cut))


@fuzz(2)
@given(data=st.binary(max_size=300) | YAMLISH.map(str.encode))
@example(data=b"a: &a [*a]\n")
@example(data=b"- &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
    b"- &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n" % ((98 + i,) + (97 + i,) * 9) for i in range(9)))
def test_osv_yaml_reader(data: bytes) -> None:
    with contextlib.suppress(osv.ParseError):
        within(20, lambda: osv.read_yaml_bytes(data))


def test_regression_recursive_alias_is_refused_at_once() -> None:
    """Found by test_osv_yaml_reader: ``a: &a [*a]`` builds a cyclic list, and the expansion
    budget was walked to its end (2 million steps, ~2 s per document) before refusing it."""
    import time

    for data in (b"a: &a [*a]\n", b"a: &a {b: *a}\n", b"- &a [1, [2, *a]]\n"):
        start = time.monotonic()
        try:
            osv.read_yaml_bytes(data)
        except osv.ParseError as e:
            assert "refers to itself" in str(e)
        else:
            raise AssertionError(f"{data!r} must be refused")
        assert time.monotonic() - start < 0.5
    # sharing without a cycle is fine and counted once per reference
    assert osv.read_yaml_bytes(b"- &a [1, 2]\n- *a\n- *a\n") == [["1", "2"]] * 3
