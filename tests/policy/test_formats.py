"""``hullcheck check -f junit/markdown/html``: the scan formats for check results, run through the CLI
on real-shaped manifests. Every violation of the JSON output must appear in each format (the
expectations are derived from that JSON), hostile names stay text, the HTML fetches nothing, and
the exit code is the same whatever the formats."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from hullcheck.policy import markdown as check_markdown
from hullcheck.policy.config import Policy
from hullcheck.policy.engine import evaluate
from hullcheck.policy.inputs import load_inputs
from hullcheck.policy.rules import LATEST
from hullcheck.report.mdtext import MAX_CHARS, code, esc
from tests.conftest import REPO
from tests.report.junit_schema import validate

from .test_production import PRODUCTION_DEPLOYMENT
from .test_sarif import _policy, _write_inputs

HOSTILE = '<script>alert("x")</script>&"@everyone|`*_[x](javascript:alert(1))'
HOSTILE_POD = f"""
apiVersion: v1
kind: Pod
metadata:
  name: '{HOSTILE.replace("'", "''")}'
  namespace: evil
spec:
  containers:
    - name: '<img src=https://tracker.example/x.png>'
      image: nginx
      securityContext: {{privileged: true}}
"""


def _label(v: dict[str, Any]) -> str:
    r = v["resource"]
    return f"{r['kind']}/{r['namespace'] + '/' if r['namespace'] else ''}{r['name']}"


def _where(v: dict[str, Any]) -> str:
    f = v["resource"]["file"]
    return f"{f}:{v['line']}" if f and v["line"] is not None else f


def _failing(v: dict[str, Any]) -> bool:
    return v["mode"] == "enforce" and not v["excepted"]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One CLI run writing every format, and a json-only run for the exit code (run here, not through
    the function-scoped ``run_cli``, so the module's tests share them)."""
    tmp = tmp_path_factory.mktemp("formats")
    _write_inputs(tmp)
    (tmp / "k8s" / "hostile.yaml").write_text(HOSTILE_POD)
    pol = _policy(tmp)
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), HULLCHECK_CACHE_DIR=str(tmp / "cache"))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "hullcheck", "check", str(tmp / "k8s"), str(tmp / "Dockerfile"),
                               str(tmp / "compose.yaml"), "--policy", str(pol), *args],
                              capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)

    full = run("-f", f"json={tmp / 'out.json'}", "-f", f"junit={tmp / 'out.xml'}", "-f", "markdown",
               "-f", f"html={tmp / 'out.html'}")
    alone = run("-f", "json")
    return {"rc": full.returncode, "rc_json": alone.returncode, "stderr": full.stderr,
            "json": json.loads((tmp / "out.json").read_text()), "junit": (tmp / "out.xml").read_text(),
            "markdown": full.stdout, "html": (tmp / "out.html").read_text()}


def test_exit_code_is_unchanged_by_the_formats(outputs: dict[str, Any]) -> None:
    doc = outputs["json"]
    assert doc["summary"]["failing"] > 0
    assert outputs["rc"] == outputs["rc_json"] == 1, outputs["stderr"]
    # the inputs cover every status a format has to show
    vs = doc["violations"]
    assert any(v["mode"] == "warn" for v in vs) and any(v["excepted"] for v in vs)
    assert any(v["exception"] and v["exception"]["expired"] for v in vs) and doc["expired_exceptions"]
    assert any(v["resource"]["name"] == HOSTILE for v in vs)


def test_junit_has_every_violation_and_fails_exactly_the_enforced(outputs: dict[str, Any]) -> None:
    root = validate(outputs["junit"])
    vs = outputs["json"]["violations"]
    cases: dict[tuple[str, str, str], Any] = {}
    for suite in root.findall("testsuite"):
        for c in suite.findall("testcase"):
            cases[(suite.get("name"), c.get("classname"), c.get("name"))] = c
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for v in vs:
        container = f" [{v['container']}]" if v["container"] else ""
        suite = v["resource"]["file"] or f"{v['resource']['kind']} resources"
        groups.setdefault((suite, _label(v), f"{v['rule']}{container}: {v['title']}"), []).append(v)
    assert set(cases) == set(groups)  # one testcase per (rule, resource, container), no others
    for key, group in groups.items():
        c = cases[key]
        failure, skipped = c.find("failure"), c.find("skipped")
        if any(_failing(v) for v in group):
            assert failure is not None and skipped is None
            assert failure.get("type") in {v["severity"] for v in group}
        else:
            assert failure is None and skipped is not None  # warn/audit/excepted: visible, not failing
        text = "".join(e.text or "" for e in c.iter() if e.tag in ("failure", "system-out"))
        for v in group:
            assert v["field"] in text and v["message"] in text, (key, v["field"])
            if v["excepted"]:
                assert v["exception"]["reason"] in skipped.get("message") and v["exception"]["owner"] in text
    failing_groups = sum(1 for g in groups.values() if any(_failing(v) for v in g))
    assert int(root.get("failures")) == failing_groups > 0  # exit 1 <=> failures, as CI sees it
    assert int(root.get("skipped")) == len(groups) - failing_groups
    expired = next(s for s in root.findall("testsuite") if s.get("name") == "expired exceptions")
    assert all(e["owner"] in expired.find("system-out").text for e in outputs["json"]["expired_exceptions"])


def test_junit_reads_in_junitparser(outputs: dict[str, Any], tmp_path: Path) -> None:
    import junitparser

    p = tmp_path / "j.xml"
    p.write_text(outputs["junit"])
    xml = junitparser.JUnitXml.fromfile(str(p))
    assert sum(s.failures for s in xml) == int(validate(outputs["junit"]).get("failures"))
    names = [c.classname for s in xml for c in s]
    assert any(HOSTILE in n for n in names)  # the hostile name is an attribute value, intact


def test_junit_validator_rejects_what_the_schema_does() -> None:
    bad_order = ('<testsuites><testsuite name="s" tests="1"><testcase name="c"><system-out>x</system-out>'
                 '<skipped/></testcase></testsuite></testsuites>')
    with pytest.raises(AssertionError, match="order"):
        validate(bad_order)
    with pytest.raises(AssertionError, match="not in the schema"):
        validate('<testsuites><testsuite name="s" tests="1"><testcase name="c" file="x"/></testsuite></testsuites>')


def _md_tables(text: str) -> dict[str, list[list[str]]]:
    """Header line -> rows (cells as written), for each table in the comment."""
    tables: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for line in text.splitlines():
        if not line.startswith("| "):
            current = None
            continue
        cells = line[2:-2].split(" | ")
        if current is None:
            current = tables.setdefault(line, [])
        elif not line.startswith("| ---"):
            current.append(cells)
    return tables


def test_markdown_lists_every_violation_escaped(outputs: dict[str, Any]) -> None:
    text, doc = outputs["markdown"], outputs["json"]
    vs = doc["violations"]
    tables = _md_tables(text)
    main = tables["| " + " | ".join(check_markdown.COLUMNS) + " |"]
    assert all(len(r) == len(check_markdown.COLUMNS) for r in main)  # no cell broke the table
    got = Counter(tuple(r[2:7]) for r in main)
    want = Counter((code(v["rule"]), code(_label(v)), code(v["container"]), code(v["field"]), code(_where(v)))
                   for v in vs if not v["excepted"])
    assert got == want
    for r in main:
        assert r[0].strip("*") in {"enforce", "warn", "audit"} and r[1].split()[-1] in {v["severity"] for v in vs}
    excepted = next(rows for head, rows in tables.items() if head.endswith("| exception |"))
    assert Counter(tuple(r[:5]) for r in excepted) == Counter(
        (code(v["rule"]), code(_label(v)), code(v["container"]), code(v["field"]), code(_where(v)))
        for v in vs if v["excepted"])
    # the summary line and the counts table come from the same violations
    n = sum(1 for v in vs if not v["excepted"])
    assert f"**{n} violations** in {doc['resources']} resources" in text
    assert f"**{doc['summary']['failing']} enforced**" in text
    enforced_row = next(r for r in tables[next(h for h in tables if h.startswith("|  |"))] if r[0] == "enforced")
    assert sum(int(x) for x in enforced_row[1:]) == doc["summary"]["failing"]
    for e in doc["expired_exceptions"]:
        assert esc(e["reason"]) in text and e["expires"] in text
    # hostile text: every code span closed on its line, nothing live outside them
    assert all(line.count("`") % 2 == 0 for line in text.splitlines())
    outside = re.sub(r"`[^`]*`", "", text)
    for bad in ("<script", "<img", "@everyone", "javascript:", "](", "<a "):
        assert bad not in outside, bad


def test_markdown_is_capped_under_the_comment_limit(tmp_path: Path) -> None:
    pods = "".join(f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: pod-{i:04d}, namespace: ns}}\n"
                   "spec:\n  containers:\n    - {name: app, image: nginx, securityContext: {privileged: true}}\n"
                   for i in range(600))
    (tmp_path / "many.yaml").write_text(pods)
    inputs = load_inputs([tmp_path / "many.yaml"])
    result = evaluate(inputs.workloads, Policy(), "production", LATEST)
    rows = len(result.violations)
    text = check_markdown.render(result)
    assert len(text) <= MAX_CHARS < 65_536
    m = re.search(r"\*\*Note:\*\* (\d+) more row\(s\) did not fit", text)
    assert m is not None
    shown = len(_md_tables(text)["| " + " | ".join(check_markdown.COLUMNS) + " |"])
    assert 0 < shown < rows and shown + int(m.group(1)) == rows
    small = check_markdown.render(result, max_chars=5_000)
    assert len(small) <= 5_000 and "did not fit" in small


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self._row = []
        elif tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def test_html_is_self_contained_escaped_and_complete(outputs: dict[str, Any]) -> None:
    page, doc = outputs["html"], outputs["json"]
    p = _Page()
    p.feed(page)
    tags = [t for t, _ in p.tags]
    for banned in ("script", "link", "iframe", "img", "object", "embed", "a", "base", "form"):
        assert banned not in tags, banned
    for tag, attrs in p.tags:
        assert "src" not in attrs and "href" not in attrs, tag
        for k, v in attrs.items():
            assert not (v and re.search(r"(https?:|//|javascript:)", v, re.I)), (tag, k, v)
    assert "@import" not in page and "url(" not in page and "@font-face" not in page
    csp = next(a["content"] for t, a in p.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert csp and "default-src 'none'" in csp
    # the hostile names are text, not markup
    assert any(HOSTILE in chunk for chunk in p.text)
    assert any("<img src=https://tracker.example/x.png>" in chunk for chunk in p.text)
    # every violation is a row: status, severity, rule (+ title), resource, container, field, where, message
    vs = doc["violations"]
    got = Counter((r[0], r[1], r[3], r[4], r[5], r[6]) for r in p.rows if len(r) == 8)
    want = Counter(("excepted" if v["excepted"] else v["mode"], v["severity"], _label(v), v["container"], v["field"],
                    _where(v)) for v in vs)
    assert got == want
    rows_by_msg = Counter(r[7] for r in p.rows if len(r) == 8)
    assert all(any(r.startswith(v["message"]) for r in rows_by_msg) for v in vs)
    # charts: by severity (counts from the violations that apply), by rule and by kind
    assert tags.count("svg") == 3
    applying = Counter(v["severity"] for v in vs if not v["excepted"])
    for level in ("critical", "high", "medium", "low", "negligible", "unknown"):
        assert f"<title>{level}: {applying.get(level, 0)}</title>" in page
    by_rule = Counter((v["rule"], v["severity"]) for v in vs if not v["excepted"])
    for (rule, sev), n in by_rule.items():
        assert f"<title>{rule}, {sev}: {n}</title>" in page
    for e in doc["expired_exceptions"]:
        assert any(e["reason"] in t for t in p.text)


def test_compliant_manifest_in_every_format_exits_zero(run_cli: Callable, tmp_path: Path) -> None:
    f = tmp_path / "deploy.yaml"
    f.write_text(PRODUCTION_DEPLOYMENT)
    pol = tmp_path / "policy.yaml"
    pol.write_text("apiVersion: hullcheck.dev/v1\nkind: Policy\nparameters: {allowed_registries: [registry.example.com]}\n")
    out = tmp_path / "out.xml"
    r = run_cli("check", str(f), "--policy", str(pol), "-f", f"junit={out}", "-f", "markdown",
                "-f", f"html={tmp_path / 'r.html'}")
    assert r.returncode == 0, r.stderr
    root = validate(out.read_text())
    assert root.get("failures") == "0" and root.get("tests") == "1"  # the one summary testcase
    assert "No violations." in r.stdout and "**0 violations** in 1 resources" in r.stdout
    assert "No violations." in (tmp_path / "r.html").read_text()


def test_unknown_format_names_the_new_ones(run_cli: Callable, tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(PRODUCTION_DEPLOYMENT)
    r = run_cli("check", str(tmp_path / "d.yaml"), "-f", "pdf")
    assert r.returncode == 2
    assert all(n in r.stderr for n in ("junit", "markdown", "html"))
