"""The bounded typed YAML loader: YAML 1.1 types for plain scalars, aliases within a budget, hostile input."""

from __future__ import annotations

import time

import pytest

from hullcheck.policy.yamlload import MAX_DEPTH, YamlError, load_documents, resolve_plain


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # YAML 1.1 booleans, as go-yaml (Kubernetes) reads them
        ("true", True), ("True", True), ("yes", True), ("on", True), ("ON", True), ("y", True),
        ("false", False), ("no", False), ("off", False), ("N", False),
        ("~", None), ("null", None), ("", None),
        ("0", 0), ("1000", 1000), ("-5", -5), ("1_000", 1000), ("0x1F", 31), ("010", 8), ("0o17", 15),
        ("0b101", 5), ("1.5", 1.5), ("1e3", 1000.0), (".5", 0.5),
        ("nginx", "nginx"), ("1.25.3", "1.25.3"), ("v1", "v1"), ("500m", "500m"), ("1Gi", "1Gi"),
        ("12:30", "12:30"), ("2026-12-31", "2026-12-31"),
    ],
)
def test_plain_scalars_resolve_to_yaml11_types(text: str, expected: object) -> None:
    got = resolve_plain(text)
    assert got == expected and type(got) is type(expected)


def test_quoted_and_tagged_scalars_stay_strings_and_keys_stay_strings() -> None:
    (doc,) = load_documents('a: "true"\nb: \'0\'\nc: !!str yes\nyes: 1\n1: x\n')
    assert doc == {"a": "true", "b": "0", "c": "yes", "yes": 1, "1": "x"}


def test_aliases_share_the_anchored_node_and_merge_keys_apply() -> None:
    (doc,) = load_documents("base: &b {cpu: 1, mem: 2}\nx: *b\ny:\n  <<: *b\n  mem: 3\n")
    assert doc["x"] is doc["base"]
    assert doc["y"] == {"cpu": 1, "mem": 3}


def test_multi_document_stream() -> None:
    docs = load_documents("a: 1\n---\nb: 2\n---\n")
    assert docs[:2] == [{"a": 1}, {"b": 2}]


def test_alias_bomb_fails_fast_with_a_clear_error() -> None:
    # the classic "billion laughs": 9 levels of 9 aliases each -> 9**9 expanded nodes
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    start = time.monotonic()
    with pytest.raises(YamlError, match="alias bomb"):
        load_documents("\n".join(lines))
    assert time.monotonic() - start < 20


def test_deep_nesting_is_refused_before_recursion() -> None:
    start = time.monotonic()
    with pytest.raises(YamlError, match="nested deeper"):
        load_documents("[" * 200_000)
    with pytest.raises(YamlError, match="nested deeper"):
        load_documents("a:\n" + "".join(" " * i + "b:\n" for i in range(1, MAX_DEPTH + 5)))
    assert time.monotonic() - start < 20


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: 1\nb: [1, 2\nc: 3\n", 3),
        ("a: 1\n  b: 2\n", 2),
        ("a: *missing\n", 1),
    ],
)
def test_syntax_errors_carry_the_line(text: str, line: int) -> None:
    with pytest.raises(YamlError) as e:
        load_documents(text)
    assert e.value.line == line
