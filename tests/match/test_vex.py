"""VEX input: OpenVEX and CycloneDX VEX documents, written here in the shapes those specs give."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hullcheck.advisories.store import AdvisoryStore
from hullcheck.errors import UsageError
from hullcheck.match import vex
from hullcheck.match.suppress import Status
from hullcheck.scan import ScanReport, apply_exceptions, bom_refs
from tests.report.fixtures import DIGEST, build_db, make_report

IMAGE_PURL = f"pkg:oci/app@{DIGEST.replace(':', '%3A')}?repository_url=registry.example.com/team/app"


@pytest.fixture(scope="module")
def store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdvisoryStore]:
    s = AdvisoryStore.open(build_db(shared_data, tmp_path_factory.mktemp("vexdb")))
    yield s
    s.close()


def openvex(*statements: dict[str, Any], ts: str = "2026-11-01T12:00:00Z") -> dict[str, Any]:
    return {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/app-2026-11",
        "author": "Platform Security <security@example.com>",
        "timestamp": ts,
        "version": 1,
        "statements": list(statements),
    }


def _apply(report: ScanReport, *docs: dict[str, Any], tmp: Path) -> ScanReport:
    paths = []
    for i, d in enumerate(docs):
        p = tmp / f"doc{i}.vex.json"
        p.write_text(json.dumps(d))
        paths.append(p)
    return apply_exceptions(report, [vex.load(paths)])


def test_openvex_image_product_with_subcomponent(store: AdvisoryStore, tmp_path: Path) -> None:
    r = make_report(store)
    target = next(f for f in r.findings if f.id == "CVE-2023-43804")
    doc = openvex({
        "vulnerability": {"@id": "https://nvd.nist.gov/vuln/detail/CVE-2023-43804", "name": "CVE-2023-43804",
                          "aliases": ["GHSA-v845-jxx5-vc9f"]},
        "products": [{"@id": IMAGE_PURL, "subcomponents": [{"@id": "pkg:pypi/urllib3@1.24.1"}]}],
        "status": "not_affected",
        "justification": "vulnerable_code_not_in_execute_path",
        "impact_statement": "the app never sets a Cookie header on redirected requests",
    })
    out = _apply(r, doc, tmp=tmp_path)
    (s,) = out.suppressed
    assert s.finding is target and s.status is Status.NOT_AFFECTED
    assert s.verdict.justification == "vulnerable_code_not_in_execute_path"
    assert "Cookie header" in s.reason and s.source.endswith("doc0.vex.json#statements[0]")
    # the same statement about another image does nothing
    other = json.loads(json.dumps(doc).replace("abab", "efef"))
    assert not _apply(r, other, tmp=tmp_path).suppressed


def test_openvex_by_alias_and_versionless_purl(store: AdvisoryStore, tmp_path: Path) -> None:
    r = make_report(store)
    jinja = [f for f in r.findings if f.package.name == "jinja2"]
    alias = next(a for a in jinja[0].aliases if a.startswith("GHSA-"))
    doc = openvex({"vulnerability": {"name": alias}, "products": [{"@id": "pkg:pypi/Jinja2"}], "status": "fixed",
                   "action_statement": "patched in our fork"})
    out = _apply(r, doc, tmp=tmp_path)
    assert [s.finding for s in out.suppressed] == [jinja[0]]
    assert out.suppressed[0].status is Status.FIXED


def test_openvex_qualifiers_must_agree(store: AdvisoryStore, tmp_path: Path) -> None:
    r = make_report(store)
    deb = next(f for f in r.findings if f.package.name == "libssl3")
    st = {"vulnerability": {"name": deb.id}, "status": "not_affected", "justification": "component_not_present"}
    arm = openvex({**st, "products": [{"@id": "pkg:deb/debian/libssl3?arch=arm64"}]})
    amd = openvex({**st, "products": [{"@id": "pkg:deb/debian/libssl3?arch=amd64"}]})
    assert not _apply(r, arm, tmp=tmp_path).suppressed
    assert [s.finding for s in _apply(r, amd, tmp=tmp_path).suppressed] == [deb]


def test_under_investigation_annotates_and_newest_statement_wins(store: AdvisoryStore, tmp_path: Path) -> None:
    r = make_report(store)
    f = next(x for x in r.findings if x.id == "CVE-2023-45803")
    old = openvex({"vulnerability": {"name": f.id}, "products": [{"@id": DIGEST}], "status": "not_affected",
                   "justification": "inline_mitigations_already_exist"}, ts="2026-10-01T00:00:00Z")
    new = openvex({"vulnerability": {"name": f.id}, "products": [{"@id": DIGEST}], "status": "under_investigation",
                   "status_notes": "re-opened after the proxy change"}, ts="2026-11-20T00:00:00Z")
    out = _apply(r, new, old, tmp=tmp_path)  # order of files does not matter, time does
    assert f in out.findings and not out.suppressed
    (a,) = out.annotations
    assert a.status is Status.UNDER_INVESTIGATION and "proxy change" in a.reason
    only_old = _apply(r, old, tmp=tmp_path)
    assert [s.finding for s in only_old.suppressed] == [f]


def test_openvex_v001_plain_strings(store: AdvisoryStore, tmp_path: Path) -> None:
    r = make_report(store)
    f = next(x for x in r.findings if x.package.name == "urllib3")
    doc = {"@context": "https://openvex.dev/ns", "@id": "x", "author": "a", "timestamp": "2023-01-01T00:00:00Z",
           "statements": [{"vulnerability": f.id, "products": ["pkg:pypi/urllib3@1.24.1"], "status": "not_affected",
                           "justification": "vulnerable_code_not_present"}]}
    assert [s.finding for s in _apply(r, doc, tmp=tmp_path).suppressed] == [f]


def cdx_vex(vulns: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "metadata": {"timestamp": "2026-11-01T00:00:00Z",
                     "component": {"bom-ref": "app", "type": "container", "name": "registry.example.com/team/app"}},
        "components": [
            {"bom-ref": "urllib3-ref", "type": "library", "name": "urllib3", "version": "1.24.1",
             "purl": "pkg:pypi/urllib3@1.24.1"},
        ],
        "vulnerabilities": vulns,
    }


def test_cyclonedx_vex_states_and_refs(store: AdvisoryStore, tmp_path: Path) -> None:
    r = make_report(store)
    u = [f for f in r.findings if f.package.name == "urllib3" and any(a.startswith("GHSA-") for a in f.aliases)]
    jinja = next(f for f in r.findings if f.package.name == "jinja2")
    ghsa = next(a for a in u[1].aliases if a.startswith("GHSA-"))
    jinja_ref = bom_refs(r.catalog.packages)[jinja.package]
    doc = cdx_vex([
        {"id": u[0].id, "analysis": {"state": "not_affected", "justification": "code_not_reachable",
                                     "detail": "no redirects"}, "affects": [{"ref": "urllib3-ref"}]},
        {"id": ghsa, "analysis": {"state": "in_triage"}, "affects": [{"ref": "urllib3-ref"}]},
        # a BOM-link into hullcheck's own SBOM of this image
        {"id": jinja.id, "analysis": {"state": "resolved"},
         "affects": [{"ref": f"urn:cdx:0f7e2c6a-0000-4000-8000-000000000000/1#{jinja_ref}"}]},
        {"id": "HC-IMG-001", "analysis": {"state": "false_positive", "detail": "USER set at runtime"},
         "affects": [{"ref": "app"}]},
        {"id": "CVE-2019-0000", "affects": [{"ref": "urllib3-ref"}]},  # no analysis: says nothing
    ])
    out = _apply(r, doc, tmp=tmp_path)
    hidden = {(s.kind, getattr(s.finding, "id", getattr(s.finding, "check_id", ""))): s for s in out.suppressed}
    assert set(hidden) == {("vulnerability", u[0].id), ("vulnerability", jinja.id), ("misconfiguration", "HC-IMG-001")}
    assert hidden[("vulnerability", u[0].id)].verdict.justification == "code_not_reachable"
    assert hidden[("vulnerability", jinja.id)].status is Status.FIXED
    (a,) = out.annotations
    assert a.finding is u[1] and a.status is Status.UNDER_INVESTIGATION


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'{"hello": 1}', "not an OpenVEX or CycloneDX VEX document"),
        (json.dumps(openvex({"vulnerability": {"name": "CVE-1"}, "products": [{"@id": DIGEST}],
                             "status": "maybe"})).encode(), "needs a vulnerability and a status"),
        (json.dumps(openvex({"vulnerability": {"name": "CVE-1"}, "status": "fixed"})).encode(), "names no product"),
        (json.dumps(cdx_vex([{"id": "CVE-1", "analysis": {"state": "sort_of"}, "affects": [{"ref": "x"}]}])).encode(),
         "unknown analysis.state"),
    ],
)
def test_malformed_documents(data: bytes, what: str, tmp_path: Path) -> None:
    p = tmp_path / "bad.json"
    p.write_bytes(data)
    with pytest.raises(UsageError) as e:
        vex.load([p])
    assert str(p) in e.value.diagnostics() and what in e.value.diagnostics()


def test_purl_matching_rules() -> None:
    assert vex.purl_matches("pkg:pypi/urllib3", "pkg:pypi/urllib3@1.24.1")
    assert vex.purl_matches("pkg:pypi/Jinja_2", "pkg:pypi/jinja-2@1")
    assert not vex.purl_matches("pkg:pypi/urllib3@1.24.2", "pkg:pypi/urllib3@1.24.1")
    assert not vex.purl_matches("pkg:npm/urllib3", "pkg:pypi/urllib3@1.24.1")
    assert vex.purl_matches("pkg:deb/debian/libssl3@3.0.11-1~deb12u2", "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64")
    assert not vex.purl_matches("not a purl", "pkg:pypi/x@1")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
        st.sampled_from(["statements", "vulnerability", "name", "products", "@id", "status", "subcomponents",
                         "bomFormat", "vulnerabilities", "analysis", "state", "affects", "ref", "id", "@context",
                         "components", "bom-ref", "metadata", "component", "aliases", "references"]),
        kids, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(_json, st.sampled_from([None, "CycloneDX"]))
def test_any_json_reads_or_fails_cleanly(doc: Any, fmt: str | None) -> None:
    if fmt and isinstance(doc, dict):
        doc = {**doc, "bomFormat": fmt}
    try:
        statements = vex.parse(json.dumps(doc).encode(), "d.json")
    except UsageError as e:
        assert e.diagnostics().startswith("d.json")
    else:
        assert all(s.ids and s.products for s in statements)
