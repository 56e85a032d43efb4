"""The JUnit XML shape CI readers validate: the Jenkins schema (junit-10.xsd), checked here without
an XSD engine (lxml is not a dependency). Each element's allowed attributes, required attributes and
child sequence (name, min, max) are written down as the schema states them; ``validate`` walks the
document and fails on anything else, naming where. Used for both ``scan`` and ``check`` JUnit output.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass

INF = math.inf


@dataclass(frozen=True)
class Shape:
    required: frozenset[str]
    optional: frozenset[str]
    children: tuple[tuple[str, float, float], ...]  # the xs:sequence: (element, minOccurs, maxOccurs)
    text: bool = False  # character content allowed (mixed / xs:string)


def _s(required: str, optional: str, children: tuple[tuple[str, float, float], ...] = (), text: bool = False) -> Shape:
    return Shape(frozenset(required.split()), frozenset(optional.split()), children, text)


SHAPES = {
    "testsuites": _s("", "name time tests failures disabled errors skipped", (("testsuite", 0, INF),)),
    "testsuite": _s("name tests", "failures errors time disabled skipped timestamp hostname id package",
                    (("properties", 0, 1), ("testcase", 0, INF), ("system-out", 0, 1), ("system-err", 0, 1))),
    "properties": _s("", "", (("property", 1, INF),)),
    "property": _s("name value", ""),
    "testcase": _s("name", "assertions time classname status",
                   (("skipped", 0, 1), ("error", 0, INF), ("failure", 0, INF), ("system-out", 0, INF),
                    ("system-err", 0, INF))),
    "failure": _s("", "type message", text=True),
    "error": _s("", "type message", text=True),
    "skipped": _s("", "message", text=True),
    "system-out": _s("", "", text=True),
    "system-err": _s("", "", text=True),
}
COUNTS = ("tests", "failures", "errors", "skipped", "disabled")


def _check(el: ET.Element, where: str) -> None:
    shape = SHAPES.get(el.tag)
    assert shape is not None, f"{where}: element <{el.tag}> is not in the schema"
    attrs = set(el.attrib)
    assert shape.required <= attrs, f"{where}: missing attributes {sorted(shape.required - attrs)}"
    extra = attrs - shape.required - shape.optional
    assert not extra, f"{where}: attributes not in the schema {sorted(extra)}"
    for a in COUNTS:
        if a in el.attrib:
            assert el.attrib[a].isdigit(), f"{where}: {a}={el.attrib[a]!r} is not a count"
    if "time" in el.attrib:
        float(el.attrib["time"])
    if not shape.text:
        assert not (el.text or "").strip(), f"{where}: text where the schema has none"
    # the child sequence, in order, each within its occurrence bounds
    kids = list(el)
    i = 0
    for name, lo, hi in shape.children:
        n = 0
        while i < len(kids) and kids[i].tag == name:
            n += 1
            i += 1
        assert lo <= n <= hi, f"{where}: {n} <{name}> where the schema allows {lo}..{hi}"
    assert i == len(kids), f"{where}: <{kids[i].tag}> out of the schema's order" if i < len(kids) else ""
    for k, child in enumerate(kids):
        _check(child, f"{where}/{child.tag}[{k}]")


def validate(text: str) -> ET.Element:
    """Parse ``text`` and check it against the schema; returns the root (``testsuites`` or ``testsuite``)."""
    root = ET.fromstring(text)
    assert root.tag in ("testsuites", "testsuite"), f"root element <{root.tag}>"
    _check(root, root.tag)
    for suite in ([root] if root.tag == "testsuite" else root.findall("testsuite")):
        cases = suite.findall("testcase")
        # the counts CI readers show must agree with the testcases
        assert int(suite.get("tests", "0")) == len(cases), suite.get("name")
        assert int(suite.get("failures", "0")) == sum(1 for c in cases if c.find("failure") is not None)
        assert int(suite.get("skipped", "0")) == sum(1 for c in cases if c.find("skipped") is not None)
    return root
