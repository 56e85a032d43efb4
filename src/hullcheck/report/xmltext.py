"""JUnit XML building blocks both ``scan`` and ``check`` use: safe text, suite totals, the document.

Elements are built with ``xml.etree`` so every text and attribute is escaped; characters XML 1.0
cannot carry at all (control characters from hostile names) are replaced first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def x(text: object) -> str:
    """``text`` with the characters XML 1.0 forbids replaced by U+FFFD."""
    return _BAD_XML.sub("\ufffd", str(text))


def suite_totals(suite: ET.Element) -> tuple[int, int, int]:
    """Set a testsuite's counting attributes from its testcases; returns (tests, failures, skipped)."""
    cases = suite.findall("testcase")
    fails = sum(1 for c in cases if c.find("failure") is not None)
    skips = sum(1 for c in cases if c.find("skipped") is not None)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(fails))
    suite.set("errors", "0")
    suite.set("skipped", str(skips))
    suite.set("time", "0")
    return len(cases), fails, skips


def set_root_totals(root: ET.Element, totals: list[tuple[int, int, int]]) -> None:
    root.set("tests", str(sum(t[0] for t in totals)))
    root.set("failures", str(sum(t[1] for t in totals)))
    root.set("errors", "0")
    root.set("skipped", str(sum(t[2] for t in totals)))


def document(root: ET.Element) -> str:
    """The indented document with its XML declaration."""
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
