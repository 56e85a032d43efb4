"""The ignore file: parsing (errors name the file and line), matching by id/alias, package, path, expiry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hullcheck.advisories.store import AdvisoryStore
from hullcheck.errors import UsageError
from hullcheck.match import ignore
from hullcheck.match.suppress import Status
from hullcheck.scan import ScanReport, apply_exceptions
from tests.report.fixtures import build_db, make_report

DAY = date(2026, 11, 28)


@pytest.fixture(scope="module")
def store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdvisoryStore]:
    s = AdvisoryStore.open(build_db(shared_data, tmp_path_factory.mktemp("ignoredb")))
    yield s
    s.close()


def _apply(report: ScanReport, text: str, today: date = DAY) -> ScanReport:
    return apply_exceptions(report, ignore.rules(ignore.parse(text, ".hullcheckignore"), today))


def test_alias_hides_the_finding_shown_under_another_id(store: AdvisoryStore) -> None:
    r = make_report(store)
    shown = next(f for f in r.findings if "GHSA-v845-jxx5-vc9f" in f.aliases)
    assert shown.id != "GHSA-v845-jxx5-vc9f"
    out = _apply(r, "ignore:\n  - id: ghsa-v845-jxx5-vc9f\n    reason: redirects are disabled\n    owner: web\n")
    assert shown not in out.findings
    (s,) = out.suppressed
    assert s.finding is shown and s.status is Status.IGNORED
    assert s.reason == "redirects are disabled" and s.verdict.owner == "web" and s.source == ".hullcheckignore:2"
    assert len(out.findings) == len(r.findings) - 1


def test_package_name_purl_prefix_and_path(store: AdvisoryStore) -> None:
    r = make_report(store)
    ids = {f.id for f in r.findings if f.package.name == "urllib3"}
    cve = sorted(ids)[0]
    for pkg, hidden in (("urllib3", True), ("URLLIB3", True), ("pkg:pypi/urllib3", True), ("pkg:pypi/urllib3@1.24.1", True),
                        ("pkg:pypi/urllib", False), ("pkg:pypi/urllib3@2.0.0", False), ("jinja2", False)):
        out = _apply(r, f"- id: {cve}\n  package: '{pkg}'\n  reason: r\n")
        assert bool(out.suppressed) is hidden, pkg
    out = _apply(r, f"- id: {cve}\n  path: /usr/local/lib/python3.11/site-packages/*\n  reason: r\n")
    assert len(out.suppressed) == 1
    for where in ("/usr/local/lib", "usr/local/lib/", "/usr/local/lib/python3.11/site-packages/urllib3-1.24.1.dist-info/METADATA"):
        assert len(_apply(r, f"- id: {cve}\n  path: {where}\n  reason: r\n").suppressed) == 1, where
    for where in ("/opt/*", "/usr/local/li", "usr/local/lib/python3.11/site-packages/urllib3-1.24.1.dist-info/RECORD"):
        assert not _apply(r, f"- id: {cve}\n  path: {where}\n  reason: r\n").suppressed, where
    # a distro package by its source package name
    deb = next(f for f in r.findings if f.package.name == "libssl3")
    out = _apply(r, f"- id: {deb.id}\n  package: openssl\n  reason: r\n")
    assert [s.finding for s in out.suppressed] == [deb]


def test_secrets_and_checks_by_rule_id_and_path(store: AdvisoryStore) -> None:
    r = make_report(store)
    out = _apply(r, "- id: private-key\n  path: root/.ssh/*\n  reason: test key\n- id: HC-IMG-002\n  reason: k8s probes\n")
    assert {s.kind for s in out.suppressed} == {"secret", "misconfiguration"}
    assert [x.rule_id for x in out.secrets] == [x.rule_id for x in r.secrets if x.rule_id != "private-key"]
    assert [m.check_id for m in out.misconfigurations] == ["HC-IMG-001"]


def test_expired_entry_no_longer_hides_and_is_reported(store: AdvisoryStore) -> None:
    r = make_report(store)
    f = r.findings[0]
    text = f"- id: {f.id}\n  reason: waiting for upstream\n  expires: 2026-11-27\n"
    out = _apply(r, text)
    assert f in out.findings and not out.suppressed
    (a,) = out.annotations
    assert a.finding is f and a.expired and a.verdict.expires == "2026-11-27"
    # valid through its last day
    still = _apply(r, text.replace("2026-11-27", "2026-11-28"))
    assert f not in still.findings and still.suppressed[0].verdict.expires == "2026-11-28"
    assert not still.annotations


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("ignore:\n  - id: CVE-1\n    reason: x\n  - id: CVE-2\n", 4, "'reason' is required"),
        ("ignore:\n  - id: CVE-1\n    reason: x\n    expire: 2027-01-01\n", 2, "unknown key 'expire'"),
        ("- id: CVE-1\n  reason: x\n  expires: next week\n", 1, "expires must be a date"),
        ("ignore:\n  - id: CVE-1\n   reason: x\n", 3, "not valid YAML"),
        ("ignore:\n  - id: [a, b]\n    reason: x\n", 2, "'id' must be text"),
        ("ignore: 5\n", 1, "must be a list"),
        ("rules:\n  - id: x\n", 1, "unknown key 'rules'"),
        ("ignore:\n  - just-a-string\n", 1, "must be a mapping"),
    ],
)
def test_malformed_files_name_file_and_line(text: str, line: int, what: str) -> None:
    with pytest.raises(UsageError) as e:
        ignore.parse(text, "ci/.hullcheckignore")
    msg = e.value.diagnostics()
    assert msg.startswith(f"ci/.hullcheckignore:{line}:"), msg
    assert what in msg


def test_load_limits_and_encoding(tmp_path: Path) -> None:
    p = tmp_path / ".hullcheckignore"
    p.write_bytes(b"\xff\xfe- id: x\n")
    with pytest.raises(UsageError, match="not UTF-8"):
        ignore.load(p)
    with pytest.raises(UsageError, match="cannot read"):
        ignore.load(tmp_path / "missing")
    p.write_text("")
    assert ignore.load(p) == []


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(["ignore:", "- id: x", "  reason: y", "  expires: 2020-13-45", "  - id:", "&a [*a]",
                              "  path: [1]", "!!python/object:os.system", "? [a]", "\t- id: z", "  owner: {a: 1}",
                              "- {id: 1, reason: 2, expires: 2027-01-01}", "%YAML 9.9", "---", "..."]),
             max_size=12).map("\n".join),
))
def test_any_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        entries = ignore.parse(text, "f")
    except UsageError as e:
        assert e.diagnostics().startswith("f")
    else:
        assert all(x.id and x.reason for x in entries)


def test_valid_entry_wins_over_an_expired_one_and_many_entries_are_fast(store: AdvisoryStore) -> None:
    import time

    r = make_report(store)
    f = r.findings[0]
    text = (f"- id: {f.id}\n  reason: old\n  expires: 2020-01-01\n"
            f"- id: {f.aliases[0] if f.aliases else f.id}\n  reason: renewed\n  expires: 2027-01-01\n")
    out = _apply(r, text)
    assert [s.reason for s in out.suppressed] == ["renewed"] and not out.annotations
    many = "".join(f"- id: CVE-2000-{i:05d}\n  reason: r\n" for i in range(5000)) + text
    big = make_report(store, extra=2000)
    rules = ignore.rules(ignore.parse(many, ".hullcheckignore"), DAY)
    t = time.perf_counter()
    out = apply_exceptions(big, rules)
    # indexed by id: 2,000 findings x 5,000 entries would be 10 million comparisons otherwise
    assert time.perf_counter() - t < 20
    assert [s.reason for s in out.suppressed] == ["renewed"]
