"""The ``secret-scanner`` analyzer and ``collect_secrets`` on small images built byte by byte:
a key deleted by a later layer, a file replaced by a later layer, secrets in ENV, history and
labels, and the files the analyzer must leave alone (docs, binaries, big files)."""

from __future__ import annotations

from pathlib import Path

from hullcheck.image.open import open_image
from hullcheck.model.checks import SecretFinding
from hullcheck.secrets import ScanSettings, SecretAnalyzer, collect_secrets, mask
from hullcheck.secrets.analyzer import SKIP_PREFIXES
from tests.image.build import ImageSpec, f, oci_layout
from tests.secrets import fakes as fk

PW = "Zq7" + fk.chars("cfg-pw", 13)
DB_PW = "Db4" + fk.chars("db-pw", 13)
OLD_PW = "Ol5" + fk.chars("old-pw", 13)
ENV_TOKEN = "Tk6" + fk.chars("env-token", 20)
GH = fk.token("ghp_", 36, "image")
GH_DOC = fk.token("ghp_", 36, "doc")
NPM = fk.token("npm_", 36, "history")
GL = fk.token("glpat-", 20, "label")
AWS_ID, AWS_SECRET = fk.aws_key_id("image"), fk.aws_secret("image")
SSH_KEY = fk.openssh_pem("deploy")
MiB = 1 << 20

DB_URL = f"postgres://app:{DB_PW}@db.internal:5432/app"


def _image() -> ImageSpec:
    return ImageSpec(
        layers=[
            [
                f("etc/app/config.yml", f"db:\n  host: db\n  password: {PW}\n"),
                f("usr/share/doc/app/README", f"token {GH_DOC}\n"),  # documentation: not read
                f("usr/bin/tool", b"\x7fELF\x02\x01\x01\x00" + AWS_ID.encode()),  # binary: skipped
                f("opt/big.txt", b"x" * MiB + b"\n" + GH_DOC.encode()),  # over 1 MiB: not read
            ],
            [
                f("root/.ssh/id_ed25519", SSH_KEY, 0o600),
                f("app/settings.py", f'AWS_ACCESS_KEY_ID = "{AWS_ID}"\nAWS_SECRET_ACCESS_KEY = "{AWS_SECRET}"\n'),
            ],
            [
                f("root/.ssh/.wh.id_ed25519"),  # rm -f /root/.ssh/id_ed25519
                f("app/settings.py", f'AWS_ACCESS_KEY_ID = "{AWS_ID}"\n'),  # the secret key removed
                f("app/.env", f"DEBUG=1\nGITHUB_TOKEN={GH}\n"),
            ],
        ],
        history=[
            {"created_by": "ADD rootfs.tar / # buildkit"},
            {"created_by": f"RUN |1 NPM_TOKEN={NPM} /bin/sh -c npm ci # buildkit"},
            {"created_by": f"ENV DATABASE_URL={DB_URL}", "empty_layer": True},
            {"created_by": f"ENV LEGACY_URL=https://ci:{OLD_PW}@api.internal/v1", "empty_layer": True},
            {"created_by": "COPY . /app # buildkit"},
        ],
        config={
            "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", f"DATABASE_URL={DB_URL}", f"API_TOKEN={ENV_TOKEN} x"],
            "Labels": {"org.opencontainers.image.source": "https://github.com/hcfake/app",
                       "ci.gitlab-token": GL},
        },
    )


def _key(s: SecretFinding) -> tuple:
    return (s.source, s.path, s.rule_id, s.layer_index, s.deleted, s.line, s.match)


EXPECTED = {
    ("file", "/etc/app/config.yml", "generic-secret", 0, False, 3, mask(PW)),
    ("file", "/root/.ssh/id_ed25519", "private-key", 1, True, 2, mask(fk.pem_body(SSH_KEY))),
    ("file", "/app/settings.py", "aws-access-key-id", 1, True, 1, mask(AWS_ID)),
    ("file", "/app/settings.py", "aws-secret-access-key", 1, True, 2, mask(AWS_SECRET)),
    ("file", "/app/settings.py", "aws-access-key-id", 2, False, 1, mask(AWS_ID)),
    ("file", "/app/.env", "github-pat", 2, False, 2, mask(GH)),
    ("env", "DATABASE_URL", "password-in-url", None, False, None, mask(DB_PW)),
    ("env", "API_TOKEN", "generic-secret", None, False, None, mask(f"{ENV_TOKEN} x")),
    ("history", "history[1]", "npm-access-token", 1, False, None, mask(NPM)),
    # history[2] repeats the DATABASE_URL still in Env: reported once, as env
    ("history", "history[3]", "password-in-url", None, False, None, mask(OLD_PW)),
    ("label", "ci.gitlab-token", "gitlab-pat", None, False, None, mask(GL)),
}


def test_image_secrets_in_every_layer_and_the_config(tmp_path: Path) -> None:
    root = oci_layout(tmp_path / "layout", {"1.0": _image()})
    img = open_image(f"oci:{root}:1.0")
    scans = img.scan([SecretAnalyzer()])
    found = collect_secrets(scans, img.metadata)
    assert {_key(s) for s in found} == EXPECTED
    assert len(found) == len(EXPECTED)
    planted = [PW, DB_PW, OLD_PW, ENV_TOKEN, GH, GH_DOC, NPM, GL, AWS_ID, AWS_SECRET, fk.pem_body(SSH_KEY)]
    for s in found:
        assert not any(p in repr(s) for p in planted)

    # A second scan is served from the layer cache, secrets included.
    again = img.scan([SecretAnalyzer()])
    assert all(s.from_cache for s in again)
    assert collect_secrets(again, img.metadata) == found

    # Other rules or settings are another analyzer version: the cache is not reused.
    other = img.scan([SecretAnalyzer(settings=ScanSettings(max_file_size=2 * MiB))])
    assert not any(s.from_cache for s in other)
    big = [s for s in collect_secrets(other) if s.path == "/opt/big.txt"]
    assert [(s.rule_id, s.match) for s in big] == [("github-pat", mask(GH_DOC))]


def test_binaries_scanned_only_when_asked(tmp_path: Path) -> None:
    root = oci_layout(tmp_path / "layout", {"1.0": _image()})
    img = open_image(f"oci:{root}:1.0")
    scans = img.scan([SecretAnalyzer(settings=ScanSettings(skip_binaries=False))], use_cache=False)
    tool = [s for s in collect_secrets(scans) if s.path == "/usr/bin/tool"]
    assert [(s.rule_id, s.match) for s in tool] == [("aws-access-key-id", mask(AWS_ID))]


def test_rootfs_directory(tmp_path: Path) -> None:
    (tmp_path / "srv").mkdir()
    (tmp_path / "srv/.env").write_text(f"GITHUB_TOKEN={GH}\n")
    img = open_image(f"rootfs:{tmp_path}")
    found = collect_secrets(img.scan([SecretAnalyzer()]), img.metadata)
    assert [_key(s) for s in found] == [("file", "/srv/.env", "github-pat", 0, False, 1, mask(GH))]


def test_wants_is_cheap_and_skips_the_documented_places() -> None:
    a = SecretAnalyzer()
    assert a.id == "secret-scanner"
    assert a.wants("/app/.env", 100, 0o644)
    assert not a.wants("/app/empty", 0, 0o644)
    assert not a.wants("/app/huge.json", MiB + 1, 0o644)
    assert a.wants("/app/ok.json", MiB, 0o644)
    for prefix in SKIP_PREFIXES:
        assert not a.wants(prefix + "x/y.txt", 10, 0o644)
    for name in ("/usr/share/locale/de/LC_MESSAGES/x.mo", "/srv/logo.png", "/srv/app.jar", "/srv/a.tar.gz"):
        assert not a.wants(name, 10, 0o644)
    assert SecretAnalyzer().version == a.version
    assert SecretAnalyzer(settings=ScanSettings(max_file_size=10)).version != a.version


def test_collect_reports_each_layer_copy_once() -> None:
    from hullcheck.catalog.interface import Artifact
    from hullcheck.image.walk import LayerScan
    from hullcheck.secrets import scan_bytes

    [s] = scan_bytes(f"T={GH}".encode(), path="/app/.env")
    art = Artifact(analyzer="secret-scanner", path="/app/.env", secrets=(s,))
    rec = ("/app/.env", "file", 10, 0o644, 0, 0, "")
    scans = [
        LayerScan(index=0, diff_id="sha256:" + "0" * 64, files=[rec], artifacts=[art, art]),  # same copy twice
        LayerScan(index=1, diff_id="sha256:" + "1" * 64, files=[rec], artifacts=[art]),  # rewritten, same token
    ]
    found = collect_secrets(scans)
    assert [(f.layer_index, f.deleted) for f in found] == [(0, True), (1, False)]
    assert all(f.match == mask(GH) for f in found)


def test_a_failing_check_never_leaks_the_secret_into_unknowns() -> None:
    import io

    from hullcheck.catalog.interface import FileInput
    from hullcheck.secrets.rules import Rule, RuleSet, compile_pattern

    def boom(_key: str, secret: str) -> bool:
        raise ValueError(f"cannot handle {secret}")

    from hullcheck.model.finding import SeverityLevel

    rule = Rule(id="boom", title="boom", severity=SeverityLevel.HIGH, category="X",
                patterns=(compile_pattern(r"(?P<secret>ghp_[A-Za-z0-9]{36})", "boom"),), keywords=("ghp_",), check=boom)
    data = f"T={GH}\n".encode()
    art = SecretAnalyzer(RuleSet([rule])).analyze(
        FileInput(path="/app/.env", size=len(data), mode=0o644, opener=lambda: io.BytesIO(data)))
    assert art is not None and art.secrets == ()
    assert art.unknown == "secret scan failed: ValueError" and GH not in repr(art)
