"""JUnit XML for CI test-report views: one testsuite per scanner.

- ``vulnerabilities``: one testcase per cataloged package; a package with findings fails, with
  one ``failure`` naming them all (CI views show one failure per testcase); a package whose
  findings were all hidden by exceptions is ``skipped`` with the reasons.
- ``secrets``: one testcase per place a secret was found (file or config field).
- ``misconfigurations``: one testcase per failed check.

The XML frame (safe text, suite totals, the document) is ``hullcheck.report.xmltext``'s, which
``check``'s JUnit output shares.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from hullcheck.match.suppress import AnyFinding, Suppressed
from hullcheck.model import Package
from hullcheck.model.checks import Misconfiguration, SecretFinding
from hullcheck.model.finding import Finding
from hullcheck.report.common import fixed_text, id_of, level_of, suppression_note, title_of, where_of
from hullcheck.report.xmltext import document, set_root_totals, suite_totals
from hullcheck.report.xmltext import x as _x
from hullcheck.scan import ScanReport


def _line(f: AnyFinding) -> str:
    if isinstance(f, Finding):
        return f"{f.id} [{f.severity.level.value}] fixed in: {fixed_text(f)} {f.summary}".rstrip()
    return f"{id_of(f)} [{level_of(f).value}] {title_of(f)} at {where_of(f)}"


def _suite(root: ET.Element, name: str) -> ET.Element:
    return ET.SubElement(root, "testsuite", name=name)


def _case(suite: ET.Element, classname: str, name: str, failed: Sequence[AnyFinding],
          hidden: Sequence[Suppressed], notes: dict[int, Suppressed]) -> None:
    case = ET.SubElement(suite, "testcase", classname=_x(classname), name=_x(name), time="0")
    if failed:
        worst = max(failed, key=lambda f: level_of(f).rank)
        ids = ", ".join(id_of(f) for f in failed)
        fail = ET.SubElement(case, "failure", message=_x(f"{len(failed)} finding(s): {ids}"[:500]),
                             type=level_of(worst).value)
        lines = []
        for f in failed:
            lines.append(_line(f))
            if id(f) in notes:
                lines.append(f"  note: {suppression_note(notes[id(f)])}")
        fail.text = _x("\n".join(lines))
    elif hidden:
        ET.SubElement(case, "skipped", message=_x("; ".join(f"{id_of(s.finding)}: {suppression_note(s)}"
                                                            for s in hidden)[:2000]))
    if hidden and failed:
        out = ET.SubElement(case, "system-out")
        out.text = _x("suppressed:\n" + "\n".join(f"{id_of(s.finding)}: {suppression_note(s)}" for s in hidden))



def _pkg_name(p: Package) -> str:
    loc = f" ({p.locations[0].path})" if p.locations else ""
    return f"{p.name}@{p.version}{loc}"


def build(r: ScanReport) -> ET.Element:
    root = ET.Element("testsuites", name=_x(f"hullcheck {r.ref}"))
    notes = {id(a.finding): a for a in r.annotations}

    vs = _suite(root, "vulnerabilities")
    by_pkg: dict[int, list[Finding]] = {}
    hidden_pkg: dict[int, list[Suppressed]] = {}
    for f in r.findings:
        by_pkg.setdefault(id(f.package), []).append(f)
    for s in r.suppressed:
        if isinstance(s.finding, Finding):
            hidden_pkg.setdefault(id(s.finding.package), []).append(s)
    packages: list[Package] = list(r.catalog.packages)
    known = {id(p) for p in packages}
    # findings whose package object is not one of the catalog's (a report built elsewhere)
    for f in [*r.findings, *(s.finding for s in r.suppressed if isinstance(s.finding, Finding))]:
        if isinstance(f, Finding) and id(f.package) not in known:
            known.add(id(f.package))
            packages.append(f.package)
    for p in packages:
        _case(vs, p.ecosystem or p.type.value, _pkg_name(p), by_pkg.get(id(p), []), hidden_pkg.get(id(p), []), notes)

    ss = _suite(root, "secrets")
    places: dict[str, tuple[list[AnyFinding], list[Suppressed]]] = {}
    for sec in r.secrets:
        places.setdefault(_secret_place(sec), ([], []))[0].append(sec)
    for s in r.suppressed:
        if isinstance(s.finding, SecretFinding):
            places.setdefault(_secret_place(s.finding), ([], []))[1].append(s)
    for place, (failed, hidden) in places.items():
        _case(ss, "secrets", place, failed, hidden, notes)

    ms = _suite(root, "misconfigurations")
    checks: dict[str, tuple[list[AnyFinding], list[Suppressed]]] = {}
    for m in r.misconfigurations:
        checks.setdefault(_check_name(m), ([], []))[0].append(m)
    for s in r.suppressed:
        if isinstance(s.finding, Misconfiguration):
            checks.setdefault(_check_name(s.finding), ([], []))[1].append(s)
    for name, (failed, hidden) in checks.items():
        _case(ms, "misconfigurations", name, failed, hidden, notes)

    set_root_totals(root, [suite_totals(s) for s in (vs, ss, ms)])
    return root


def _secret_place(s: SecretFinding) -> str:
    layer = f" (layer {s.layer_index})" if s.layer_index is not None else ""
    return (s.path if s.source == "file" else f"{s.source}:{s.path}") + layer


def _check_name(m: Misconfiguration) -> str:
    return f"{m.check_id} {m.title}"


def render(r: ScanReport) -> str:
    return document(build(r))
