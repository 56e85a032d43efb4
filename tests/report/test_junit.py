"""JUnit XML: parses with xml.etree and junitparser; one suite per scanner; hostile names stay text."""

from __future__ import annotations

from pathlib import Path

from hullcheck.advisories.store import AdvisoryStore
from hullcheck.match.suppress import ImageIdentity, Status, Subject, Verdict
from hullcheck.model.finding import Finding
from hullcheck.report import junit
from hullcheck.scan import apply_exceptions
from tests.conftest import need

from .fixtures import HOSTILE, make_report
from .junit_schema import validate


class _Hide:
    def __init__(self, ids: set[str]) -> None:
        self.ids = ids

    def judge(self, s: Subject, image: ImageIdentity) -> Verdict | None:
        return Verdict(Status.IGNORED, "accepted", "x:1") if s.ids & self.ids else None


def test_suites_cases_and_failures(store: AdvisoryStore) -> None:
    r = make_report(store)
    root = validate(junit.render(r))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"vulnerabilities", "secrets", "misconfigurations"}
    vs = suites["vulnerabilities"]
    assert int(vs.get("tests")) == len(r.catalog.packages)
    vulnerable = {f.package.name for f in r.findings}
    failed = {c.get("name").split("@")[0] for c in vs.findall("testcase") if c.find("failure") is not None}
    assert failed == vulnerable
    assert int(vs.get("failures")) == len(vulnerable)
    urllib3 = next(c for c in vs.findall("testcase") if c.get("name").startswith("urllib3@"))
    text = urllib3.find("failure").text
    assert all(f.id in text for f in r.findings if f.package.name == "urllib3")
    assert int(suites["secrets"].get("failures")) == len({(s.source, s.path) for s in r.secrets})
    assert int(suites["misconfigurations"].get("failures")) == len(r.misconfigurations)
    assert int(root.get("failures")) == sum(int(s.get("failures")) for s in suites.values())


def test_fully_suppressed_package_is_skipped(store: AdvisoryStore) -> None:
    r = make_report(store)
    ids = {f.id for f in r.findings if f.package.name == "jinja2"}
    r = apply_exceptions(r, [_Hide(ids)])
    root = validate(junit.render(r))
    case = next(c for c in root.iter("testcase") if c.get("name").startswith("jinja2@"))
    assert case.find("failure") is None and case.find("skipped") is not None
    assert all(i in case.find("skipped").get("message") for i in ids)


def test_hostile_names_and_junitparser(store: AdvisoryStore, tmp_path: Path) -> None:
    r = make_report(store, hostile=True)
    bad = next(f for f in r.findings if f.package.name == HOSTILE)
    r.findings[r.findings.index(bad)] = Finding(**{**bad.__dict__, "summary": "ctrl \x01\x1b chars"})
    text = junit.render(r)
    root = validate(text)
    assert any(c.get("name").startswith(HOSTILE) for c in root.iter("testcase"))
    try:
        import junitparser
    except ImportError:
        need(False, "junitparser is not installed")
    p = tmp_path / "junit.xml"
    p.write_text(text)
    xml = junitparser.JUnitXml.fromfile(str(p))
    suites = {s.name: s for s in xml}
    assert suites["vulnerabilities"].failures == len({f.package.name for f in r.findings})
