"""The rule catalog: what a secret looks like, and what is allowed.

Every pattern is a google-re2 expression (``import re2``), compiled for bytes: matching is
linear in the input, whatever the input, so no file can make a scan hang. RE2 has no lookaround
and no backreferences, so patterns mark word edges with ``\\b`` (or consume one boundary
character) and name the secret itself with a ``(?P<secret>...)`` group; where a pattern also
has a ``(?P<key>...)`` group, its text is handed to the rule's check (the generic rule uses it).

Before any pattern runs, a cheap prefilter asks which rule keywords occur in the content at
all (case-insensitive, one RE2 ``Set`` pass of literal strings over the bytes), and only those
rules run. Measured on the large benchmark image's 383 MB of text files: the Set takes 0.65 s of
CPU; lowercasing each file and testing the 54 keywords with ``in`` takes 10.3 s. Two rules whose
keywords would be everywhere (``://``, ``token``) give the Set a small expression instead.

Allow-lists:
- per rule and global ``allow_paths`` (re2 patterns searched in the file path) and per rule
  ``allow_values`` (searched in the secret);
- placeholders (``${VAR}``, ``$VAR``, ``{{ x }}``, ``%(x)s``, ``<password>``, ``xxxx``, ``****``,
  and whole-value words such as ``changeme``; see ``checks.is_placeholder``) are dropped by the
  rules whose values are free-form: passwords in URLs, the generic assignment rule, npm and
  Docker auth entries. Rules for formats with a fixed shape (``ghp_...``, ``AKIA...``) flag any
  value of that shape: AWS's documented example keys (``AKIAIOSFODNN7EXAMPLE``) ARE reported,
  as other scanners' users expect (they are the first thing people paste into a config).

Custom rules come from a mapping (a YAML file or a section of the policy file)::

    rules:
      - id: acme-api-token          # kebab-case; a built-in id replaces that built-in rule
        title: ACME API token
        severity: high              # critical, high, medium, low
        pattern: 'acme_(?P<secret>[a-z0-9]{32})'
        keywords: [acme_]           # optional; a rule without keywords runs on every file
        category: ACME              # optional
        allow_paths: ['^/opt/acme/fixtures/']
        allow_values: ['^acme_0+$']
    disable: [jwt]                  # built-in rule ids to turn off
    allow_paths: ['^/srv/testdata/']  # skipped by every rule
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import re2
import yaml

from hullcheck.errors import UsageError
from hullcheck.model.finding import SeverityLevel
from hullcheck.secrets import checks

Regex = Any  # re2._Regexp: the package ships no type information

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a bad custom pattern is reported as a UsageError, not to stderr
_OPTIONS.max_mem = 32 << 20  # room for the DFA on big files, so re2 does not fall back to NFA


def compile_pattern(pattern: str | bytes, what: str) -> Regex:
    """Compile one re2 pattern for bytes input, or raise ``UsageError`` saying why not."""
    raw = pattern.encode() if isinstance(pattern, str) else pattern
    try:
        return re2.compile(raw, _OPTIONS)
    except re2.error as e:
        msg = e.args[0] if e.args else e
        if isinstance(msg, bytes):
            msg = msg.decode("utf-8", "replace")
        raise UsageError(f"{what}: invalid pattern {raw.decode('utf-8', 'replace')!r}: {msg}") from None


@dataclass(frozen=True)
class Rule:
    """One kind of secret. ``patterns`` are compiled re2 (bytes) expressions; each one's
    ``secret`` group (or, without one, the whole match) is the secret."""

    id: str
    title: str
    severity: SeverityLevel
    category: str
    patterns: tuple[Regex, ...] = field(compare=False)
    keywords: tuple[str, ...] = ()  # lowercase literals for the prefilter
    prefilter: tuple[str, ...] = ()  # re2 sources for the prefilter, where a keyword is too common
    allow_paths: tuple[Regex, ...] = field(default=(), compare=False)
    allow_values: tuple[Regex, ...] = field(default=(), compare=False)
    placeholders: bool = False  # drop placeholder values (free-form values only)
    generic: bool = False  # yields to a specific rule that matched the same bytes
    # (key, secret) -> keep?; "key" is the pattern's ``key`` group: the assigned name, or the host
    check: Callable[[str, str], bool] | None = field(default=None, compare=False)
    source: str = "builtin"  # or "custom"

    def path_allowed(self, path: str) -> bool:
        raw = path.encode("utf-8", "surrogateescape")
        return any(p.search(raw) for p in self.allow_paths)


def _rule(
    id: str,
    title: str,
    severity: SeverityLevel,
    category: str,
    patterns: Sequence[str],
    keywords: Sequence[str],
    **kw: Any,
) -> Rule:
    allow = kw.pop("allow_paths", ())
    return Rule(
        id=id,
        title=title,
        severity=severity,
        category=category,
        patterns=tuple(compile_pattern(p, f"secret rule {id}") for p in patterns),
        keywords=tuple(k.lower() for k in keywords),
        allow_paths=tuple(compile_pattern(p, f"secret rule {id} allow_paths") for p in allow),
        **kw,
    )


C, H, M, L = SeverityLevel.CRITICAL, SeverityLevel.HIGH, SeverityLevel.MEDIUM, SeverityLevel.LOW

# Pieces shared by assignment-shaped patterns.
_Q = r"""["'`]?"""
_SEP = r"""\s*(?::=|=>|=|:)\s*"""
_B64 = r"A-Za-z0-9+/"

# Keys the generic rule looks at; the exact test is checks.secretish_key.
_GKEY_WORD = r"""(?i:pass|pwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key|credential|auth[_\-]?key)"""
_GKEY = r"""[A-Za-z0-9_.\-]*""" + _GKEY_WORD + r"""[A-Za-z0-9_.\-]*"""

# Test suites, examples and documentation of third-party packages are full of fake credentials
# in free-form shapes (``scott:tiger@localhost``, ``password: 'rapunz3l'`` in a README); the
# free-form rules (generic assignments, passwords in URLs, .npmrc _auth entries) skip them.
# Rules for fixed token formats do not: a ``ghp_`` token in a test directory or a README is
# still reported.
_TEST_PATHS = (
    r"""(?i)/(?:tests?|testing|test_?data|__tests__|fixtures?|examples?|samples?|docs?|man)/""",
    r"""(?i)/(?:tests?[^/]*|[^/]*[_.\-](?:tests?|spec)\.[a-z0-9]+|[^/]*examples?[^/]*)$""",
    r"""(?i)\.(?:md|markdown|rst|adoc)$""",
)
_GVAL_UNQUOTED = r"""[A-Za-z0-9+/=_.~!@#%^&*\-]"""


def _builtin() -> tuple[Rule, ...]:
    """Specific rules first: when two rules match the same bytes, the earlier one reports."""
    return (
        _rule("gcp-service-account", "Google Cloud service-account key (JSON)", C, "Google", (
            r'(?s)"type"\s*:\s*"service_account".*?"private_key"\s*:\s*"(?P<secret>-----BEGIN[^"]{32,})"',
            r'(?s)"private_key"\s*:\s*"(?P<secret>-----BEGIN[^"]{32,})".*?"type"\s*:\s*"service_account"',
        ), ["service_account"]),
        _rule("private-key", "Private key (PEM, OpenSSH or PGP)", H, "AsymmetricPrivateKey", (
            # The body may carry PEM headers (Proc-Type, DEK-Info, PGP Version) and, inside JSON
            # strings, literal "\n" escapes; 64+ characters keeps "BEGIN ... PRIVATE KEY" in code
            # that only checks for the header from matching.
            r"""-----BEGIN[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----"""
            r"""(?P<secret>[A-Za-z0-9+/=\s\\:,.\-]{64,}?)-----END[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----""",
        ), ["private key"]),
        _rule("aws-access-key-id", "AWS access key ID", H, "AWS", (
            # Long-term (AKIA) and temporary (ASIA) key ids; the rest of an id is base32.
            # An id alone does not authenticate, hence high rather than critical.
            r"""\b(?P<secret>(?:AKIA|ASIA)[A-Z2-7]{16})\b""",
        ), ["akia", "asia"]),
        _rule("aws-secret-access-key", "AWS secret access key", C, "AWS", (
            r"""(?i)(?:aws[_.\-]?secret[_.\-]?(?:access[_.\-]?)?key|secret[_.\-]?access[_.\-]?key)"""
            + _Q + _SEP + _Q + rf"""(?P<secret>[{_B64}]{{40}})(?:[^{_B64}=]|$)""",
        ), ["secret_access_key", "secretaccesskey", "secret-access-key", "secret.access.key", "aws_secret",
            "awssecret", "aws-secret"]),
        _rule("azure-storage-account-key", "Azure storage account key", C, "Azure", (
            # Also the AccountKey= part of a storage connection string.
            r"""(?i)(?:account_?key|storage_?(?:account_?)?(?:access_?)?key)""" + _Q + r"""\s*[:=]\s*""" + _Q
            + rf"""(?P<secret>[{_B64}]{{86}}==)""",
        ), ["accountkey", "account_key", "storagekey", "storage_key", "storage_account", "storageaccount"]),
        _rule("azure-shared-access-key", "Azure Service Bus / Event Hubs / IoT shared access key", H, "Azure", (
            rf"""(?i)SharedAccessKey\s*=\s*(?P<secret>[{_B64}]{{42,43}}=)""",
        ), ["sharedaccesskey="]),
        _rule("azure-sas-token", "Azure shared access signature (SAS) token", H, "Azure", (
            r"""[?&]sv=\d{4}-\d{2}-\d{2}&[^\s"'<>]*?\bsig=(?P<secret>[A-Za-z0-9%+/]{40,}(?:%3[Dd]|=){0,2})""",
        ), ["sig="]),
        _rule("azure-client-secret", "Azure Entra ID (AAD) client secret", H, "Azure", (
            # Current client secrets carry "<3 chars><digit>Q~" in front (Microsoft's format).
            r"""(?:^|[\s"'`=:(,>])(?P<secret>[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.\-]{31,34})(?:$|[\s"'`<),;])""",
        ), ["q~"]),
        _rule("github-pat", "GitHub personal access token", C, "GitHub",
              (r"""\b(?P<secret>ghp_[A-Za-z0-9]{36})\b""",), ["ghp_"]),
        _rule("github-oauth", "GitHub OAuth access token", C, "GitHub",
              (r"""\b(?P<secret>gho_[A-Za-z0-9]{36})\b""",), ["gho_"]),
        _rule("github-app-token", "GitHub App token", C, "GitHub",
              (r"""\b(?P<secret>gh[us]_[A-Za-z0-9]{36})\b""",), ["ghu_", "ghs_"]),
        _rule("github-refresh-token", "GitHub refresh token", C, "GitHub",
              (r"""\b(?P<secret>ghr_[A-Za-z0-9]{36,76})\b""",), ["ghr_"]),
        _rule("github-fine-grained-pat", "GitHub fine-grained personal access token", C, "GitHub",
              (r"""\b(?P<secret>github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b""",), ["github_pat_"]),
        _rule("gitlab-pat", "GitLab personal access token", C, "GitLab",
              (r"""\b(?P<secret>glpat-[A-Za-z0-9_\-]{20,})""",), ["glpat-"]),
        _rule("gitlab-token", "GitLab deploy, runner, trigger or feed token", H, "GitLab",
              (r"""\b(?P<secret>gl(?:dt|rt|ptt|ft|soat|cbt)-[A-Za-z0-9_\-]{20,})""",),
              ["gldt-", "glrt-", "glptt-", "glft-", "glsoat-", "glcbt-"]),
        _rule("slack-token", "Slack token", H, "Slack",
              (r"""\b(?P<secret>xox[abeoprs]-[A-Za-z0-9\-]{10,})""",),
              ["xoxa-", "xoxb-", "xoxe-", "xoxo-", "xoxp-", "xoxr-", "xoxs-"]),
        _rule("slack-webhook", "Slack incoming webhook URL", M, "Slack", (
            r"""https://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>[A-Za-z0-9_/+\-]{30,})""",
        ), ["hooks.slack.com"]),
        _rule("stripe-secret-key", "Stripe live secret or restricted key", C, "Stripe",
              (r"""\b(?P<secret>[rs]k_live_[A-Za-z0-9]{20,})\b""",), ["sk_live_", "rk_live_"]),
        _rule("stripe-test-key", "Stripe test-mode secret key", L, "Stripe",
              (r"""\b(?P<secret>[rs]k_test_[A-Za-z0-9]{20,})\b""",), ["sk_test_", "rk_test_"]),
        _rule("npm-access-token", "npm access token", C, "Npm",
              (r"""\b(?P<secret>npm_[A-Za-z0-9]{36})\b""",), ["npm_"]),
        _rule("npmrc-auth", "npm registry credential (.npmrc _auth / _authToken)", H, "Npm", (
            r"""(?i)(?:^|[\s:])_auth(?:token)?\s*=\s*["']?(?P<secret>[A-Za-z0-9+/=_.\-]{8,})""",
        ), ["_auth"], placeholders=True, allow_paths=_TEST_PATHS),
        _rule("pypi-upload-token", "PyPI upload token", H, "PyPI", (
            r"""\b(?P<secret>pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_\-]{50,})""",
        ), ["pypi-age"]),
        _rule("docker-config-auth", "Docker registry credential (config.json auths)", H, "Docker", (
            rf'''"auth"\s*:\s*"(?P<secret>[{_B64}]{{4,}}={{0,2}})"''',
        ), ['"auth"'], check=lambda _k, s: checks.docker_auth_ok(s)),
        _rule("hugging-face-token", "Hugging Face access token", H, "HuggingFace",
              (r"""\b(?P<secret>hf_[A-Za-z0-9]{34,40})\b""",), ["hf_"]),
        _rule("openai-api-key", "OpenAI API key", C, "OpenAI",
              (r"""\b(?P<secret>sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}T3BlbkFJ[A-Za-z0-9_\-]{16,})""",),
              ["t3blbkfj"]),
        _rule("sendgrid-api-key", "SendGrid API key", H, "SendGrid",
              (r"""\b(?P<secret>SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})\b""",), ["sg."]),
        _rule("google-api-key", "Google API key", M, "Google",
              (r"""\b(?P<secret>AIza[0-9A-Za-z_\-]{35})(?:[^0-9A-Za-z_\-]|$)""",), ["aiza"]),
        _rule("jwt", "JSON Web Token", M, "JWT", (
            r"""\b(?P<secret>eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{16,})""",
        ), ["eyj"], check=lambda _k, s: checks.jwt_header_ok(s)),
        _rule("password-in-url", "Password in a URL", H, "PasswordInURL", (
            # The host is the "key" group: documentation hosts are dropped by the check.
            r"""(?i)\b[a-z][a-z0-9+.\-]{1,30}://[^\s:/?#@"'<>\[\]{}\\|]*:(?P<secret>[^\s:/?#@"'<>\[\]\\|]+)@(?P<key>[a-z0-9\-._~%]+|\[[0-9a-f:.]+\])""",
        ), (), prefilter=(r"""://[^\s/@:]*:[^\s/@]+@""",), placeholders=True, allow_paths=_TEST_PATHS,
            check=checks.url_credential_ok),
        _rule("generic-secret", "Secret assigned to a credential-like name", M, "Generic", (
            # quoted value: password = "...", "apiKey": "...", token: '...'
            r"""(?:^|[^A-Za-z0-9_.\-:])(?P<key>""" + _GKEY + r""")""" + _Q + _SEP
            + r"""(?:[bru]?["'`])(?P<secret>[^"'`\s\\]{8,})["'`]"""
            # shell/env assignment: DB_PASSWORD=..., export TOKEN=..., RUN |1 API_KEY=... sh -c
            + r"""|(?:^|[\s;&|(])(?:export\s+)?(?P<key2>""" + _GKEY + r""")=(?P<secret2>""" + _GVAL_UNQUOTED
            + r"""{8,})(?:$|[\s;&|)])"""
            # ini/properties/YAML line: password = ..., secret: ...
            + r"""|(?m:^)[ \t]*(?P<key3>""" + _GKEY + r""")[ \t]*[=:][ \t]*(?P<secret3>""" + _GVAL_UNQUOTED
            + r"""{8,})[ \t]*\r?(?m:$)""",
        ), (), prefilter=(_GKEY_WORD + r"""[A-Za-z0-9_.\-]*["'`]?[ \t]*(?::=|=>|=|:)""",),
            generic=True, placeholders=True, check=checks.plausible_assigned_secret, allow_paths=_TEST_PATHS),
    )


_BUILTIN: tuple[Rule, ...] | None = None


def builtin_rules() -> tuple[Rule, ...]:
    global _BUILTIN
    if _BUILTIN is None:
        _BUILTIN = _builtin()
    return _BUILTIN


class RuleSet:
    """Rules in evaluation order, global allow paths, and the keyword prefilter."""

    def __init__(self, rules: Iterable[Rule], allow_paths: Sequence[Regex] = (), fingerprint_extra: str = "") -> None:
        self.rules: tuple[Rule, ...] = tuple(sorted(rules, key=lambda r: r.generic))  # generic last
        ids = [r.id for r in self.rules]
        if len(set(ids)) != len(ids):
            raise UsageError(f"duplicate secret rule ids: {sorted({i for i in ids if ids.count(i) > 1})}")
        self.allow_paths = tuple(allow_paths)
        self._always = tuple(i for i, r in enumerate(self.rules) if not r.keywords and not r.prefilter)
        members: list[bytes] = []  # re2 sources: escaped keywords and prefilter expressions
        self._member_rules: list[list[int]] = []
        index: dict[bytes, int] = {}
        for i, r in enumerate(self.rules):
            for src in [re2.escape(k.encode()) for k in r.keywords] + [p.encode() for p in r.prefilter]:
                if src not in index:
                    index[src] = len(members)
                    members.append(src)
                    self._member_rules.append([])
                self._member_rules[index[src]].append(i)
        self._set: Any = None
        if members:
            # Literals (and two small expressions) only: the Set's DFA stays small, so it
            # cannot run out of memory (a Set has no slower fallback and would match nothing).
            opts = re2.Options()
            opts.case_sensitive = False
            opts.log_errors = False
            opts.max_mem = 32 << 20
            s = re2.Set.SearchSet(opts)
            for src in members:
                if s.Add(src) < 0:
                    raise UsageError(f"secret rules: invalid prefilter {src.decode('utf-8', 'replace')!r}")
            s.Compile()
            self._set = s
        h = hashlib.sha256(fingerprint_extra.encode())
        for r in self.rules:
            h.update(repr((r.id, r.severity.value, r.keywords, r.prefilter, r.placeholders, r.generic, r.source,
                           [p.pattern for p in r.patterns], [p.pattern for p in r.allow_paths],
                           [p.pattern for p in r.allow_values])).encode())
        h.update(repr([p.pattern for p in self.allow_paths]).encode())
        self.fingerprint = h.hexdigest()

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def path_allowed(self, path: str) -> bool:
        raw = path.encode("utf-8", "surrogateescape")
        return any(p.search(raw) for p in self.allow_paths)

    def candidates(self, data: bytes) -> list[Rule]:
        """The rules worth running on ``data`` (a keyword of theirs occurs), in order."""
        picked = set(self._always)
        if self._set is not None:
            for k in self._set.Match(data) or ():
                picked.update(self._member_rules[k])
        return [self.rules[i] for i in sorted(picked)]


_DEFAULT: RuleSet | None = None


def default_ruleset() -> RuleSet:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = RuleSet(builtin_rules())
    return _DEFAULT


# ---------------------------------------------------------------------------------- config

_SEVERITIES = {s.value: s for s in SeverityLevel if s not in (SeverityLevel.UNKNOWN, SeverityLevel.NEGLIGIBLE)}
_RULE_KEYS = frozenset({"id", "title", "severity", "pattern", "patterns", "keywords", "category",
                        "allow_paths", "allow_values", "placeholders"})


def _str_list(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise UsageError(f"{what}: expected a string or a list of strings")


def _kebab(rule_id: str) -> bool:
    return bool(rule_id) and len(rule_id) <= 80 and all(c.islower() or c.isdigit() or c == "-" for c in rule_id) \
        and rule_id[0].isalnum() and rule_id[-1].isalnum()


def custom_rule(spec: Mapping[str, Any]) -> Rule:
    """One rule from its config mapping (see the module docstring); ``UsageError`` if invalid."""
    if not isinstance(spec, Mapping):
        raise UsageError("secret rule: expected a mapping")
    rid = spec.get("id")
    if not isinstance(rid, str) or not _kebab(rid):
        raise UsageError(f"secret rule id {rid!r}: expected kebab-case (lowercase letters, digits, '-')")
    what = f"secret rule {rid}"
    unknown = sorted(set(spec) - _RULE_KEYS)
    if unknown:
        raise UsageError(f"{what}: unknown field(s) {', '.join(map(str, unknown))}")
    sev = str(spec.get("severity", "medium")).lower()
    if sev not in _SEVERITIES:
        raise UsageError(f"{what}: severity {spec.get('severity')!r} is not one of {', '.join(_SEVERITIES)}")
    pats = _str_list(spec.get("pattern"), f"{what} pattern") + _str_list(spec.get("patterns"), f"{what} patterns")
    if not pats:
        raise UsageError(f"{what}: a pattern is required")
    compiled = []
    for p in pats:
        rx = compile_pattern(p, what)
        if rx.fullmatch(b"") is not None:
            raise UsageError(f"{what}: pattern {p!r} matches the empty string")
        compiled.append(rx)
    keywords = [k.lower() for k in _str_list(spec.get("keywords"), f"{what} keywords")]
    if any(not k for k in keywords):
        raise UsageError(f"{what}: empty keyword")
    return Rule(
        id=rid,
        title=str(spec.get("title") or rid),
        severity=_SEVERITIES[sev],
        category=str(spec.get("category") or "Custom"),
        patterns=tuple(compiled),
        keywords=tuple(keywords),
        allow_paths=tuple(compile_pattern(p, f"{what} allow_paths")
                          for p in _str_list(spec.get("allow_paths"), f"{what} allow_paths")),
        allow_values=tuple(compile_pattern(p, f"{what} allow_values")
                           for p in _str_list(spec.get("allow_values"), f"{what} allow_values")),
        placeholders=bool(spec.get("placeholders", False)),
        source="custom",
    )


def load_ruleset(source: Mapping[str, Any] | str | Path | None = None) -> RuleSet:
    """The built-in rules adjusted by a config: a mapping, or a YAML file path.

    The mapping may be the secret section itself or a document holding it under ``secrets``.
    Custom rules with a built-in id replace that rule; ``disable`` removes rules by id.
    """
    if source is None:
        return default_ruleset()
    if isinstance(source, (str, Path)):
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise UsageError(f"cannot read secret rules file {source}: {e}") from None
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise UsageError(f"secret rules file {source} is not valid YAML: {str(e).splitlines()[0]}") from None
        if doc is None:
            doc = {}
        source = doc
    if not isinstance(source, Mapping):
        raise UsageError("secret rules config: expected a mapping")
    cfg: Any = source.get("secrets", source)
    if not isinstance(cfg, Mapping):
        raise UsageError("secret rules config: 'secrets' must be a mapping")
    unknown = sorted(set(cfg) - {"rules", "disable", "allow_paths"})
    if unknown:
        raise UsageError(f"secret rules config: unknown field(s) {', '.join(map(str, unknown))}")
    specs = cfg.get("rules") or []
    if not isinstance(specs, list):
        raise UsageError("secret rules config: 'rules' must be a list")
    custom = [custom_rule(s) for s in specs]
    disabled = set(_str_list(cfg.get("disable"), "secret rules config disable"))
    builtin_ids = {r.id for r in builtin_rules()}
    unknown_ids = disabled - builtin_ids - {r.id for r in custom}
    if unknown_ids:
        raise UsageError(f"secret rules config: cannot disable unknown rule(s) {', '.join(sorted(unknown_ids))}")
    replaced = {r.id for r in custom}
    rules = [r for r in builtin_rules() if r.id not in disabled and r.id not in replaced]
    rules += [r for r in custom if r.id not in disabled]
    allow = tuple(compile_pattern(p, "secret rules config allow_paths")
                  for p in _str_list(cfg.get("allow_paths"), "secret rules config allow_paths"))
    return RuleSet(rules, allow)
