"""Markdown (pull-request comment) and HTML (self-contained file): counts, caps, escaping."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hullcheck.advisories.store import AdvisoryStore
from hullcheck.match.suppress import ImageIdentity, Status, Subject, Verdict
from hullcheck.model.finding import SeverityLevel
from hullcheck.report import html, markdown
from hullcheck.report.common import severity_counts
from hullcheck.scan import apply_exceptions

from .fixtures import HOSTILE, make_report


class _Rule:
    def __init__(self, vid: str, status: Status) -> None:
        self.vid, self.status = vid, status

    def judge(self, s: Subject, image: ImageIdentity) -> Verdict | None:
        if self.vid in s.ids:
            return Verdict(self.status, "owned by the base image team", ".hullcheckignore:7", expires="2026-01-31")
        return None


def test_markdown_counts_tables_and_exceptions(store: AdvisoryStore) -> None:
    r = apply_exceptions(make_report(store), [_Rule("CVE-2099-0102", Status.IGNORED),
                                              _Rule("CVE-2023-45803", Status.EXPIRED)])
    text = markdown.render(r)
    counts = severity_counts(r.findings)
    row = next(line for line in text.splitlines() if line.startswith("| vulnerabilities |"))
    assert [int(x) for x in row.strip("|").split("|")[1:]] == [counts[s] for s in counts]
    assert f"**{len(r.findings)} vulnerabilities**" in text
    for f in r.findings:
        assert f.id in text
    cve = next(f for f in r.findings if f.id == "CVE-2023-43804")
    assert f"[{cve.id}]({cve.url})" in text and "1.26.17, 2.0.6" in text
    assert "<details><summary>Hidden by exceptions (1)</summary>" in text
    assert "owned by the base image team" in text
    assert "1 exception(s) expired" in text
    assert "HC-IMG-001" in text and "aws-access-key-id" in text and "AKIA************MPLE" in text


def test_markdown_is_capped_with_a_note(store: AdvisoryStore) -> None:
    r = make_report(store, extra=3000)
    text = markdown.render(r, max_chars=20_000)
    assert len(text) <= 20_000
    m = re.search(r"\*\*Note:\*\* (\d+) more row\(s\) did not fit", text)
    assert m
    shown = sum(1 for line in text.splitlines() if line.startswith("| 🟨 medium |"))
    medium = sum(1 for f in r.findings if f.severity.level is SeverityLevel.MEDIUM)
    assert shown < medium and int(m.group(1)) > 0
    assert len(markdown.render(r)) <= markdown.MAX_CHARS


def test_markdown_escapes_hostile_text(store: AdvisoryStore) -> None:
    text = markdown.render(make_report(store, hostile=True))
    # inside code spans Markdown and HTML are inert; every span is closed on its line
    assert all(line.count("`") % 2 == 0 for line in text.splitlines())
    # outside code spans no raw HTML, mention or script link survives
    outside = re.sub(r"`[^`]*`", "", text)
    assert "@everyone" not in outside and "<script" not in outside
    assert "javascript:" not in outside
    bad_row = next(line for line in text.splitlines() if "GHSA-xxxx-yyyy-zzzz" in line)
    assert bad_row.count(" | ") == 5  # the table row is not broken by the '|' in the name


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_self_contained_and_escaped(store: AdvisoryStore) -> None:
    r = apply_exceptions(make_report(store, hostile=True), [_Rule("CVE-2099-0102", Status.NOT_AFFECTED)])
    page = html.render(r)
    p = _Collect()
    p.feed(page)
    tags = [t for t, _ in p.tags]
    assert "script" not in tags and "link" not in tags and "iframe" not in tags and "img" not in tags
    assert "<script src=" not in page.lower() and "@import" not in page and "url(" not in page
    for tag, attrs in p.tags:
        assert "src" not in attrs, tag
        for k, v in attrs.items():
            if v and re.match(r"\s*(https?:|//|javascript:)", v, re.I):
                assert (tag, k) == ("a", "href") and v.startswith("https://"), (tag, k, v)
    csp = next(a["content"] for t, a in p.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp
    # the hostile name is text, not markup
    assert any(HOSTILE in chunk for chunk in p.text)
    assert tags.count("svg") == 2 and "rect" in tags
    # one bar per severity in the severity chart, its count equal to the findings'
    counts = severity_counts([*r.findings, *r.secrets, *r.misconfigurations])
    for level, n in counts.items():
        assert f"<title>{level.value}: {n}</title>" in page
    assert "owned by the base image team" in page  # the hidden finding and why
