"""Check results as JUnit XML (``hullcheck check -f junit=FILE``) for CI test-report views.

One testsuite per input file (subjects without a file, such as images, get one per kind); one
testcase per (rule, resource, container) that was evaluated and failed, listing every offending
field. Only rules that failed are listed: a check evaluates hundreds of rule/resource pairs and
a report of passes would bury the failures (an empty run gets one passing summary testcase, so
CI views show that the check ran).

Outcomes, so the report's failures are exactly what makes ``hullcheck check`` exit 1:
- enforce mode, not excepted: ``failure`` (type = severity);
- warn and audit modes: ``skipped``, with the mode and messages in its message. Not a failure,
  which would fail CI jobs the run itself passes; not a pass, which would claim the rule held:
  skipped is the one neutral outcome that every reader (GitLab, Jenkins, GitHub reporters)
  still shows;
- covered by a valid exception: ``skipped`` too, naming the exception's reason, owner, expiry.
A violation whose exception expired is reported by its mode, with the expired exception noted.
Expired exceptions are also listed in the ``system-out`` of a last, testcase-less suite.

The XML frame (safe text, totals, document) is the scan report's (``hullcheck.report.xmltext``);
the element order and attributes follow the Jenkins JUnit schema (junit-10.xsd) CI readers use.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hullcheck.model.violation import Mode, Violation
from hullcheck.policy.engine import CheckResult
from hullcheck.policy.present import exception_note, expired_line, resource_label, version_text, where
from hullcheck.report.xmltext import document, set_root_totals, suite_totals, x

Key = tuple[str, str, str, str, str, str]  # suite, rule, kind, namespace, name, container


def _suite_name(v: Violation) -> str:
    return v.resource.file or f"{v.resource.kind} resources"


def _case_name(v: Violation) -> str:
    container = f" [{v.container}]" if v.container else ""
    return f"{v.rule}{container}: {v.title}"


def _detail(v: Violation) -> str:
    parts = [f"{v.rule} [{v.severity.value}, {v.mode.value}] {resource_label(v.resource)}"]
    if v.container:
        parts.append(f"container {v.container}")
    if v.field:
        parts.append(f"field {v.field}")
    if where(v):
        parts.append(f"at {where(v)}")
    line = ", ".join(parts) + f": {v.message}"
    note = exception_note(v)
    return line + (f"\n  {note}" if note else "")


def _case(suite: ET.Element, group: list[Violation]) -> None:
    first = group[0]
    case = ET.SubElement(suite, "testcase", classname=x(resource_label(first.resource)), name=x(_case_name(first)),
                         time="0")
    failing = [v for v in group if v.mode is Mode.ENFORCE and not v.excepted]
    others = [v for v in group if v not in failing]
    if failing:
        worst = max(failing, key=lambda v: v.severity.rank)
        msg = failing[0].message if len(failing) == 1 else f"{len(failing)} violations: {failing[0].message}"
        fail = ET.SubElement(case, "failure", message=x(msg[:500]), type=worst.severity.value)
        fail.text = x("\n".join(_detail(v) for v in failing))
    else:
        why = "; ".join(exception_note(v) if v.excepted else f"{v.mode.value} mode: {v.message}" for v in others)
        # schema order: skipped before system-out
        ET.SubElement(case, "skipped", message=x(why[:2000]))
    if others:
        out = ET.SubElement(case, "system-out")
        out.text = x("\n".join(_detail(v) for v in others))


def build(result: CheckResult) -> ET.Element:
    root = ET.Element("testsuites", name=x(f"hullcheck check {result.profile} (Kubernetes {version_text(result)})"))
    groups: dict[Key, list[Violation]] = {}
    for v in result.violations:
        r = v.resource
        groups.setdefault((_suite_name(v), v.rule, r.kind, r.namespace, r.name, v.container), []).append(v)
    suites: dict[str, ET.Element] = {}
    for key, group in groups.items():
        suite = suites.get(key[0])
        if suite is None:
            suite = suites[key[0]] = ET.SubElement(root, "testsuite", name=x(key[0]))
        _case(suite, group)
    if not groups:
        suite = suites[result.profile] = ET.SubElement(root, "testsuite", name=x(result.profile))
        ET.SubElement(suite, "testcase", classname="hullcheck.check", time="0",
                      name=x(f"{result.resources} resources checked against {result.profile}"))
    totals = [suite_totals(s) for s in suites.values()]
    if result.expired_exceptions:
        # a suite without testcases: the expired exceptions are not failures of their own
        expired = ET.SubElement(root, "testsuite", name="expired exceptions")
        suite_totals(expired)
        out = ET.SubElement(expired, "system-out")
        out.text = x("\n".join(expired_line(e) for e in result.expired_exceptions))
    set_root_totals(root, totals)
    return root


def render(result: CheckResult) -> str:
    return document(build(result))
