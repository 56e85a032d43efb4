"""Every built-in rule: true positives in the documented formats, and near misses that must not
match. Secrets are generated (tests/secrets/fakes.py); the expected masked form is computed by
``mask`` from the planted value, and the planted value must never appear in a finding."""

from __future__ import annotations

import dataclasses

import pytest

from hullcheck.model.finding import SeverityLevel
from hullcheck.secrets import default_ruleset, mask, scan_bytes
from hullcheck.secrets.rules import builtin_rules
from tests.secrets import fakes as fk

GH = fk.token("ghp_", 36)
AWS_ID = fk.aws_key_id()
AWS_SECRET = fk.aws_secret()
AZ_KEY = fk.b64("azure-storage", 64)  # 64 bytes -> 86 base64 characters and "=="
AZ_SAS_SIG = fk.chars("sas", 43, fk.B62) + "%3D"
AZ_SHARED = fk.b64("servicebus", 32)  # 32 bytes -> 43 characters and "="
AZ_CLIENT = fk.chars("aad", 3) + "8Q~" + fk.chars("aad-rest", 34, fk.B62 + "_~.-")
GCP_JSON, GCP_KEY = fk.gcp_service_account()
PW = "Zq7" + fk.chars("pw", 11)
JWT = fk.jwt()
EC_PEM = fk.ec_pem("ec", "traditional")
PKCS8_PEM = fk.ec_pem("pkcs8")
SSH_PEM = fk.openssh_pem("ssh")
RSA_PEM = fk.pem_block("RSA PRIVATE KEY", "rsa")
DSA_PEM = fk.pem_block("DSA PRIVATE KEY", "dsa", 400)
ENC_PEM = fk.pem_block("RSA PRIVATE KEY", "enc", headers="Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,"
                       + fk.chars("iv", 32, "0123456789ABCDEF") + "\n\n")
PGP = fk.pem_block("PGP PRIVATE KEY BLOCK", "pgp", 900, headers="Version: GnuPG v2\n\n")
DOCKER_AUTH = fk.docker_auth("ci-bot", "Dk9" + fk.chars("docker", 17))

# (rule id, text holding the secret, the secret as the rule delimits it)
POSITIVES: list[tuple[str, str, str]] = [
    ("gcp-service-account", GCP_JSON, GCP_KEY),
    ("private-key", RSA_PEM, fk.pem_body(RSA_PEM)),
    ("private-key", "key = '''\n" + EC_PEM + "'''\n", fk.pem_body(EC_PEM)),
    ("private-key", PKCS8_PEM, fk.pem_body(PKCS8_PEM)),
    ("private-key", SSH_PEM, fk.pem_body(SSH_PEM)),
    ("private-key", DSA_PEM, fk.pem_body(DSA_PEM)),
    ("private-key", ENC_PEM, fk.pem_body(ENC_PEM)),
    ("private-key", PGP, fk.pem_body(PGP)),
    ("aws-access-key-id", f'AWS_ACCESS_KEY_ID = "{AWS_ID}"\n', AWS_ID),
    ("aws-access-key-id", "creds: ASIA" + fk.chars("sts", 16, fk.B32) + "\n", "ASIA" + fk.chars("sts", 16, fk.B32)),
    ("aws-access-key-id", "AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),  # AWS's example: reported
    ("aws-secret-access-key", f"[default]\naws_secret_access_key = {AWS_SECRET}\n", AWS_SECRET),
    ("aws-secret-access-key", f'{{"SecretAccessKey": "{AWS_SECRET}"}}', AWS_SECRET),
    ("aws-secret-access-key", f"export AWS_SECRET_ACCESS_KEY='{AWS_SECRET}'", AWS_SECRET),
    ("azure-storage-account-key",
     f"DefaultEndpointsProtocol=https;AccountName=hcfake;AccountKey={AZ_KEY};EndpointSuffix=core.windows.net",
     AZ_KEY),
    ("azure-storage-account-key", f'AZURE_STORAGE_KEY="{AZ_KEY}"', AZ_KEY),
    ("azure-shared-access-key",
     f"Endpoint=sb://hcfake.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
     f"SharedAccessKey={AZ_SHARED}", AZ_SHARED),
    ("azure-sas-token",
     f"https://hcfake.blob.core.windows.net/c/b.txt?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01&spr=https&sig={AZ_SAS_SIG}",
     AZ_SAS_SIG),
    ("azure-client-secret", f'AZURE_CLIENT_SECRET="{AZ_CLIENT}"', AZ_CLIENT),
    ("github-pat", f"GITHUB_TOKEN={GH}\n", GH),
    ("github-oauth", "x " + fk.token("gho_", 36), fk.token("gho_", 36)),
    ("github-app-token", fk.token("ghs_", 36), fk.token("ghs_", 36)),
    ("github-app-token", fk.token("ghu_", 36), fk.token("ghu_", 36)),
    ("github-refresh-token", fk.token("ghr_", 76), fk.token("ghr_", 76)),
    ("github-fine-grained-pat", f"t={fk.token('github_pat_', 22)}_{fk.chars('fg', 59)}",
     f"{fk.token('github_pat_', 22)}_{fk.chars('fg', 59)}"),
    ("gitlab-pat", f"GITLAB_TOKEN: {fk.token('glpat-', 20)}", fk.token("glpat-", 20)),
    ("gitlab-token", f"--token {fk.token('glrt-', 24)}", fk.token("glrt-", 24)),
    ("slack-token", "SLACK=xoxb-1234567890-1234567890123-" + fk.chars("slack", 24),
     "xoxb-1234567890-1234567890123-" + fk.chars("slack", 24)),
    ("slack-webhook", "https://hooks.slack.com/services/T0HCFAKE1/B0HCFAKE2/" + fk.chars("hook", 24),
     "T0HCFAKE1/B0HCFAKE2/" + fk.chars("hook", 24)),
    ("stripe-secret-key", "key: " + fk.token("sk_live_", 24), fk.token("sk_live_", 24)),
    ("stripe-secret-key", fk.token("rk_live_", 24), fk.token("rk_live_", 24)),
    ("stripe-test-key", fk.token("sk_test_", 24), fk.token("sk_test_", 24)),
    ("npm-access-token", "NPM_TOKEN=" + fk.token("npm_", 36), fk.token("npm_", 36)),
    ("npmrc-auth", "//registry.npmjs.org/:_authToken=" + fk.chars("npmrc", 32, fk.HEX),
     fk.chars("npmrc", 32, fk.HEX)),
    ("pypi-upload-token", "password = " + fk.token("pypi-AgEIcHlwaS5vcmc", 80, "pypi"),
     fk.token("pypi-AgEIcHlwaS5vcmc", 80, "pypi")),
    ("docker-config-auth", f'{{"auths": {{"registry.hcfake.io": {{"auth": "{DOCKER_AUTH}"}}}}}}', DOCKER_AUTH),
    ("hugging-face-token", "HF_TOKEN=" + fk.token("hf_", 34), fk.token("hf_", 34)),
    ("openai-api-key", f"sk-proj-{fk.chars('oa1', 20)}T3BlbkFJ{fk.chars('oa2', 20)}",
     f"sk-proj-{fk.chars('oa1', 20)}T3BlbkFJ{fk.chars('oa2', 20)}"),
    ("sendgrid-api-key", f"SG.{fk.chars('sg1', 22)}.{fk.chars('sg2', 43)}", f"SG.{fk.chars('sg1', 22)}.{fk.chars('sg2', 43)}"),
    ("google-api-key", f"key={fk.token('AIza', 35)}&q=1", fk.token("AIza", 35)),
    ("jwt", f"Authorization: Bearer {JWT}\n", JWT),
    ("password-in-url", f"DATABASE_URL=postgres://admin:{PW}@db.internal.example:5432/app", PW),
    ("password-in-url", f"amqp://:{PW}@[fd00::1]:5672/", PW),
    ("generic-secret", f'DB_PASSWORD = "{PW}"\n', PW),
    ("generic-secret", f"  clientSecret: '{PW}',\n", PW),
    ("generic-secret", f"export API_TOKEN={PW}\n", PW),
    ("generic-secret", f"[db]\npassword = {PW}\n", PW),
    ("generic-secret", f"RUN |1 SERVICE_PASS={PW} /bin/sh -c make", PW),
    ("generic-secret", f'{{"privateKey": "{PW}"}}', PW),
]

# (rule id that must NOT report, text)
NEAR_MISSES: list[tuple[str, str]] = [
    ("gcp-service-account", GCP_JSON.replace("service_account", "authorized_user")),
    ("private-key", 'if data.startswith(b"-----BEGIN RSA PRIVATE KEY-----"):\n    return load(data)\n'),
    ("private-key", fk.pem_block("PUBLIC KEY", "pub")),
    ("private-key", fk.pem_block("CERTIFICATE", "cert")),
    ("private-key", "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n"),
    ("aws-access-key-id", "AKIA" + fk.chars("id", 15, fk.B32)),  # one short
    ("aws-access-key-id", "X" + AWS_ID),  # inside a longer word
    ("aws-access-key-id", "AKIA0000111188889999"),  # 0, 1, 8, 9 are not base32: cannot be a key id
    ("aws-access-key-id", AWS_ID.lower()),
    ("aws-secret-access-key", f"aws_secret_access_key = {AWS_SECRET[:39]}"),
    ("aws-secret-access-key", f"aws_secret_access_key = {AWS_SECRET}x"),  # 41 characters
    ("aws-secret-access-key", f"checksum = {AWS_SECRET}"),  # no AWS context
    ("azure-storage-account-key", f"AccountName=hcfake;AccountKey={AZ_KEY[:40]}=="),
    ("azure-shared-access-key", "SharedAccessKeyName=RootManageSharedAccessKey"),
    ("azure-sas-token", "https://hcfake.blob.core.windows.net/c/b.txt?sv=2022-11-02&sp=r&se=2030-01-01"),
    ("azure-client-secret", f'X="{fk.chars("aad", 3)}xQ~{fk.chars("aad-rest", 34)}"'),  # 4th must be a digit
    ("github-pat", fk.token("ghp_", 35)),
    ("github-pat", fk.token("ghp_", 37)),  # longer: some other token
    ("github-pat", "ghp_" + "_" * 36),
    ("gitlab-pat", fk.token("glpat-", 19)),
    ("slack-token", "xoxb-12345"),
    ("slack-token", "xoxq-" + fk.chars("slack", 24)),
    ("slack-webhook", "https://hooks.slack.com/services/"),
    ("stripe-secret-key", fk.token("pk_live_", 24)),  # publishable keys are public
    ("stripe-secret-key", fk.token("sk_live_", 10)),
    ("npm-access-token", "npm_config_cache=/tmp/npm"),
    ("npmrc-auth", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}"),
    ("pypi-upload-token", fk.token("pypi-AgEIcHlwaS5vcmc", 10)),
    ("docker-config-auth", f'{{"auths": {{"r.io": {{"auth": "{fk.b64("nocolon", 12)}"}}}}}}'),
    ("docker-config-auth", '{"auths": {"r.io": {"auth": ""}}}'),
    ("hugging-face-token", "from huggingface_hub import hf_hub_download"),
    ("openai-api-key", "sk-" + fk.chars("oa", 48)),
    ("sendgrid-api-key", f"SG.{fk.chars('sg1', 21)}.{fk.chars('sg2', 43)}"),
    ("google-api-key", fk.token("AIza", 34)),
    ("jwt", "eyJmb28iOiJiYXIiLCJiYXoiOjF9.eyJzdWIiOiJ4eHh4eHh4In0." + fk.chars("sig", 43)),  # no "alg"
    ("password-in-url", "postgres://app:${DB_PASSWORD}@db:5432/app"),
    ("password-in-url", "http://user:password@proxy:3128"),
    ("password-in-url", "mysql://root:<password>@localhost/db"),
    ("password-in-url", f"https://bot:{PW}@www.example.com/hook"),  # documentation domain
    ("password-in-url", "git@github.com:org/repo.git"),
    ("password-in-url", "https://host/path/user@example"),
    ("password-in-url", "engine = create_engine('postgresql://scott:tiger@localhost/test')"),
    ("generic-secret", 'password = "changeme"'),
    ("generic-secret", 'DB_PASSWORD = "${DB_PASSWORD}"'),
    ("generic-secret", "password_file = /run/secrets/db9x8y7z"),
    ("generic-secret", '"NextToken": "abc123def456ghi789"'),
    ("generic-secret", '"output_token": "DistributionList.NextMarker"'),
    ("generic-secret", "token: secondToken.value"),
    ("generic-secret", 'password = "aaaaaaa1"'),
    ("generic-secret", 'secret_key = "1234567890123"'),  # digits only
    ("generic-secret", "PWD=/home/build2"),
    ("generic-secret", "\tSIOCGLIFTOKEN                 = -0x3f879678\n"),  # a constant, not a secret
    ("generic-secret", "MAX_TOKENS_PER_SECOND = 1e10\n"),
    ("generic-secret", '    "AWS::SecretsManager::Secret": "c85175a4ebcce361",\n'),  # a resource type name
    ("generic-secret", "X25519PrivateKey = rust_openssl.hpke.X25519PrivateKey\n"),
    ("generic-secret", "    private_key: x25519.X25519PrivateKey\n"),
    ("generic-secret", 'password = "<your-password>"'),
    ("generic-secret", "password: str = field(default=None)"),
]


def _findings(text: str, path: str = "/app/config.txt") -> list:
    return scan_bytes(text.encode(), path=path)


@pytest.mark.parametrize(("rule_id", "text", "secret"), POSITIVES, ids=[f"{c[0]}-{i}" for i, c in enumerate(POSITIVES)])
def test_rule_finds_its_secret(rule_id: str, text: str, secret: str) -> None:
    found = _findings(text)
    mine = [f for f in found if f.rule_id == rule_id]
    assert len(mine) == 1, found
    f = mine[0]
    assert f.match == mask(secret)
    assert f.line == text[: text.index(secret)].count("\n") + 1
    rule = default_ruleset().get(rule_id)
    assert rule is not None and f.severity == rule.severity and f.title == rule.title
    for other in found:
        for value in dataclasses.asdict(other).values():
            assert secret not in str(value)


@pytest.mark.parametrize(("rule_id", "text"), NEAR_MISSES, ids=[f"{c[0]}-{i}" for i, c in enumerate(NEAR_MISSES)])
def test_near_miss_is_not_reported(rule_id: str, text: str) -> None:
    assert [f for f in _findings(text) if f.rule_id == rule_id] == []


def test_every_builtin_rule_has_positive_and_negative_cases() -> None:
    ids = {r.id for r in builtin_rules()}
    assert ids == {c[0] for c in POSITIVES}
    assert ids - {"github-oauth", "github-app-token", "github-refresh-token", "github-fine-grained-pat",
                  "gitlab-token", "stripe-test-key"} <= {c[0] for c in NEAR_MISSES}


def test_builtin_rules_are_well_formed() -> None:
    rules = builtin_rules()
    assert len({r.id for r in rules}) == len(rules)
    for r in rules:
        assert r.id == r.id.lower() and " " not in r.id and r.title and r.category
        assert r.severity in (SeverityLevel.CRITICAL, SeverityLevel.HIGH, SeverityLevel.MEDIUM, SeverityLevel.LOW)
        assert r.keywords or r.prefilter, f"{r.id} would run on every file"
        assert all(k == k.lower() for k in r.keywords)
        for rx in r.patterns:
            assert type(rx).__module__.startswith("re2"), "every pattern is re2"
            assert any(name.startswith(b"secret") for name in rx.groupindex), r.id


def test_specific_rule_wins_over_generic_on_the_same_bytes() -> None:
    found = _findings(f'GITHUB_TOKEN = "{GH}"\naws_secret_access_key = "{AWS_SECRET}"\n')
    assert sorted(f.rule_id for f in found) == ["aws-secret-access-key", "github-pat"]


def test_gcp_service_account_reported_once_not_also_as_private_key() -> None:
    assert [f.rule_id for f in _findings(GCP_JSON)] == ["gcp-service-account"]


def test_token_in_a_url_password_is_the_token() -> None:
    assert [f.rule_id for f in _findings(f"https://x-access-token:{GH}@github.com/org/repo.git")] == ["github-pat"]


def test_free_form_rules_skip_third_party_tests_and_examples_fixed_formats_do_not() -> None:
    text = f'password = "{PW}"\nurl = "postgres://u:{PW}@db/app"\ntoken = "{GH}"\n'
    for path in ("/usr/lib/python3/site-packages/pkg/tests/test_db.py", "/app/node_modules/url/test.js",
                 "/srv/botocore/data/iam/examples-1.json", "/app/node_modules/axios/README.md"):
        assert [f.rule_id for f in _findings(text, path)] == ["github-pat"], path
    assert sorted(f.rule_id for f in _findings(text, "/app/settings.py")) == [
        "generic-secret", "github-pat", "password-in-url"]
