"""The scanner: masking (never the whole secret, anywhere), de-duplication, bounds on hostile
input, and custom rules from a config."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullcheck.errors import UsageError
from hullcheck.model.finding import SeverityLevel
from hullcheck.secrets import ScanSettings, load_ruleset, mask, scan_bytes
from hullcheck.secrets.checks import is_placeholder, secretish_key, shannon_entropy
from tests.secrets import fakes as fk

# ------------------------------------------------------------------------------------ masking


@given(st.text(min_size=1, max_size=300).filter(lambda s: "*" not in s and s.strip()))
def test_mask_never_contains_the_secret(secret: str) -> None:
    m = mask(secret)
    assert secret.strip() not in m
    s = secret.strip()
    k = min(4, len(s) // 5)
    assert m.startswith("".join(c if c.isprintable() and not c.isspace() else "*" for c in s[:k]))
    assert sum(c != "*" for c in m) <= 2 * k <= 8
    assert "\n" not in m


def test_mask_examples() -> None:
    assert mask("AKIAIOSFODNN7EXAMPLE") == "AKIA************MPLE"
    assert mask("S3cretPassw0rd") == "S3**********rd"
    assert mask("abcd") == "****"
    assert mask("x" * 500) == "xxxx" + "*" * 32 + "xxxx"


_B62 = st.text(alphabet=fk.B62, min_size=1, max_size=1)

# (strategy for a secret, how it is written into a file)
_SHAPES = [
    (st.text(alphabet=fk.B62, min_size=36, max_size=36).map(lambda s: "ghp_" + s), "GITHUB_TOKEN={}"),
    (st.text(alphabet=fk.B32, min_size=16, max_size=16).map(lambda s: "AKIA" + s), 'key_id = "{}"'),
    (st.text(alphabet=fk.B64, min_size=40, max_size=40), "aws_secret_access_key = {}"),
    (st.text(alphabet=fk.B62 + "_-", min_size=20, max_size=40).map(lambda s: "glpat-" + s), "token: {}"),
    (st.text(alphabet=fk.B62, min_size=8, max_size=30).map(lambda s: "Q9z" + s), "postgres://app:{}@db:5432/x"),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.sampled_from(range(len(_SHAPES))),
    data=st.data(),
    before=st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    after=st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
)
def test_no_finding_field_ever_holds_the_full_secret(shape: int, data: st.DataObject, before: str, after: str) -> None:
    strategy, template = _SHAPES[shape]
    secret = data.draw(strategy)
    text = before + "\n" + template.format(secret) + "\n" + after
    found = scan_bytes(text.encode(), path="/app/settings.txt")
    assert found, "the planted secret is found"
    for f in found:
        for value in dataclasses.asdict(f).values():
            assert secret not in str(value)
        assert "*" in f.match


# ------------------------------------------------------------------------------- scanning


def test_same_secret_twice_in_one_file_is_reported_once_at_its_first_line() -> None:
    gh = fk.token("ghp_", 36)
    other = fk.token("ghp_", 36, "other")
    text = f"a={gh}\nb={other}\nc={gh}\n"
    found = scan_bytes(text.encode())
    assert [(f.rule_id, f.line, f.match) for f in found] == [
        ("github-pat", 1, mask(gh)), ("github-pat", 2, mask(other))]


def test_line_numbers_count_from_one_and_follow_crlf() -> None:
    gh = fk.token("ghp_", 36)
    found = scan_bytes(f"x\r\ny\r\n\r\nT={gh}\r\n".encode())
    assert [f.line for f in found] == [4]


def test_non_file_sources_have_no_line() -> None:
    gh = fk.token("ghp_", 36)
    [f] = scan_bytes(f"GH={gh}".encode(), source="env", path="GH")
    assert (f.source, f.path, f.line) == ("env", "GH", None)


def test_findings_per_file_are_bounded() -> None:
    tokens = [fk.token("ghp_", 36, f"t{i}") for i in range(500)]
    found = scan_bytes(" ".join(tokens).encode())  # one long line
    assert len(found) == ScanSettings().max_findings_per_file
    assert [f.match for f in found] == [mask(t) for t in tokens[:100]]
    few = scan_bytes("\n".join(tokens).encode(), settings=ScanSettings(max_findings_per_file=7))
    assert len(few) == 7


@pytest.mark.parametrize(
    "hostile",
    [
        b"a" * (1 << 20),
        b"password=" * 110_000,
        b'password = "' * 80_000,
        b"-----BEGIN RSA PRIVATE KEY-----" * 30_000,
        b"-----BEGIN RSA PRIVATE KEY-----\n" + b"A" * (1 << 20),
        b"http://a:" * 100_000 + b"@",
        b"eyJ" + b"A" * 500_000 + b".eyJ" + b"A" * 500_000,
        b'"type": "service_account"' + b" " * (1 << 20),
        (b"x" * 100 + b"://u:${P}@h ") * 8000,
        b"\n" * (1 << 20),
    ],
    ids=["one-char", "assignments", "open-quotes", "pem-headers", "pem-no-end", "url-colons", "jwt-long",
         "gcp-no-key", "url-placeholders", "newlines"],
)
def test_hostile_input_scans_in_linear_time(hostile: bytes) -> None:
    t = time.perf_counter()
    found = scan_bytes(hostile)
    elapsed = time.perf_counter() - t
    assert len(found) <= 100
    assert elapsed < 3.0, f"{elapsed:.2f}s for {len(hostile)} bytes"


def test_hostile_jwt_header_is_not_a_jwt() -> None:
    import base64

    head = base64.urlsafe_b64encode(b'{"a":' + b"[" * 3000).rstrip(b"=")
    assert head.startswith(b"eyJ")
    token = head + b".eyJzdWIiOiJ4eHh4eHh4eCJ9." + b"A" * 43
    assert [f for f in scan_bytes(token) if f.rule_id == "jwt"] == []


def test_many_placeholder_candidates_stop_early() -> None:
    text = b"".join(b'password = "${P%d}"\n' % i for i in range(50_000))
    assert scan_bytes(text) == []


# ------------------------------------------------------------------------------ helpers


def test_entropy_and_keys() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == 2.0
    assert secretish_key("DB_PASSWORD") and secretish_key("clientSecret") and secretish_key("db-pass")
    assert not secretish_key("password_file") and not secretish_key("tokenUrl") and not secretish_key("PWD")
    assert not secretish_key("bypass") and not secretish_key("NextPageToken")
    for p in ("${DB_PASSWORD}", "$DB_PASSWORD", "{{ vault.db }}", "%(password)s", "<password>", "xxxxxxxx",
              "********", "changeme", "your_api_key_here"):
        assert is_placeholder(p), p
    assert not is_placeholder("Zq7abc9KLm2")


# --------------------------------------------------------------------------- custom rules


def test_custom_rules_from_yaml_file(tmp_path: Path) -> None:
    cfg = tmp_path / "secrets.yaml"
    cfg.write_text(
        "secrets:\n"
        "  rules:\n"
        "    - id: acme-api-token\n"
        "      title: ACME API token\n"
        "      severity: HIGH\n"
        "      pattern: 'acme_(?P<secret>[a-z0-9]{32})'\n"
        "      keywords: [ACME_]\n"
        "      allow_paths: ['^/opt/acme/fixtures/']\n"
        "      allow_values: ['^0+$']\n"
        "  disable: [jwt]\n"
        "  allow_paths: ['^/srv/testdata/']\n"
    )
    rs = load_ruleset(cfg)
    token = fk.chars("acme", 32, fk.HEX)
    text = f"ACME_KEY=acme_{token}\nzero=acme_{'0' * 32}\njwt={fk.jwt()}\n".encode()
    found = scan_bytes(text, rs, path="/etc/acme.conf")
    assert [(f.rule_id, f.severity, f.line, f.match) for f in found] == [
        ("acme-api-token", SeverityLevel.HIGH, 1, mask(token))]
    assert scan_bytes(text, rs, path="/opt/acme/fixtures/a.conf") == []
    assert scan_bytes(text, rs, path="/srv/testdata/a.conf") == []
    assert rs.get("jwt") is None and rs.get("github-pat") is not None
    assert rs.fingerprint != load_ruleset().fingerprint


def test_custom_rule_replaces_builtin_of_the_same_id() -> None:
    rs = load_ruleset({"rules": [{"id": "github-pat", "severity": "low", "pattern": r"ghp_(?P<secret>[A-Za-z0-9]{36})",
                                  "keywords": ["ghp_"]}]})
    [f] = scan_bytes(fk.token("ghp_", 36).encode(), rs)
    assert f.severity is SeverityLevel.LOW and f.title == "github-pat"


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ({"rules": [{"id": "x-rule", "pattern": r"(?<=a)b"}]}, "invalid pattern"),
        ({"rules": [{"id": "x-rule", "pattern": r"(a)\1"}]}, "invalid pattern"),
        ({"rules": [{"id": "x-rule", "pattern": "a*"}]}, "matches the empty string"),
        ({"rules": [{"id": "x-rule"}]}, "a pattern is required"),
        ({"rules": [{"id": "X_Rule", "pattern": "a"}]}, "kebab-case"),
        ({"rules": [{"id": "x-rule", "pattern": "a", "severity": "urgent"}]}, "severity"),
        ({"rules": [{"id": "x-rule", "pattern": "a", "colour": "red"}]}, "unknown field"),
        ({"rules": [{"id": "x-rule", "pattern": "a"}, {"id": "x-rule", "pattern": "b"}]}, "duplicate"),
        ({"disable": ["no-such-rule"]}, "cannot disable unknown"),
        ({"rules": "nope"}, "must be a list"),
        ({"allow_paths": ["(unclosed"]}, "invalid pattern"),
        ({"colour": 1}, "unknown field"),
    ],
)
def test_bad_config_is_a_usage_error(cfg: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        load_ruleset(cfg)


def test_unreadable_or_invalid_yaml_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read"):
        load_ruleset(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [\n")
    with pytest.raises(UsageError, match="not valid YAML"):
        load_ruleset(bad)
