"""Each check against small images built for it: one that must trigger it, one that must not."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from hullcheck.imagecheck import catalog as C
from hullcheck.imagecheck.runner import CHECKS, run_checks
from hullcheck.inventory import inventory
from hullcheck.model import ImageMetadata, Platform
from hullcheck.model.finding import SeverityLevel
from tests.image.build import ImageSpec, d, f, oci_layout
from tests.imagecheck.helpers import check_image, dpkg_status, of

GOOD_CONFIG: dict[str, Any] = {
    "User": "app",
    "Healthcheck": {"Test": ["CMD", "/app/health"]},
    "Labels": {
        "org.opencontainers.image.source": "https://git.example.com/app",
        "org.opencontainers.image.revision": "0123abcd",
    },
}


def spec(layers: list[list[Any]] | None = None, history: list[str] | None = None, **config: Any) -> ImageSpec:
    """An image that passes every check except what the arguments plant."""
    cfg = {**GOOD_CONFIG, **config}
    cfg = {k: v for k, v in cfg.items() if v is not None}
    layers = layers if layers is not None else [[f("app/main", "x")]]
    hist = None
    if history is not None:
        hist = [{"created_by": h, "created": "2024-01-01T00:00:00Z"} for h in history]
        # history entries beyond the layers are config-only instructions
        for h in hist[len(layers):]:
            h["empty_layer"] = True
    return ImageSpec(layers=layers, history=hist, config=cfg)


def test_clean_image_passes_every_check(tmp_path: Path) -> None:
    assert check_image(tmp_path, spec()) == []


def test_registry_and_catalog_agree() -> None:
    ids = [cid for cid, _fn, _cfg in CHECKS]
    assert sorted(ids) == sorted(c.id for c in C.ALL)
    assert len(set(ids)) == len(ids)
    for c in C.ALL:
        assert c.id.startswith("HC-IMG-") and len(c.id) == 10
        assert c.title and c.rationale and c.remediation


# -- HC-IMG-001 runs as root -------------------------------------------------------------------
@pytest.mark.parametrize("user", [None, "", "root", "0", "0:0", "root:root", "root:app"])
def test_root_user(tmp_path: Path, user: str | None) -> None:
    found = of(check_image(tmp_path, spec(User=user)), C.ROOT_USER.id)
    assert len(found) == 1
    assert ("no USER" in found[0].message) == (not user)


@pytest.mark.parametrize("user", ["app", "1000", "1000:0", "nobody:nogroup", "10"])
def test_non_root_user(tmp_path: Path, user: str) -> None:
    assert of(check_image(tmp_path, spec(User=user)), C.ROOT_USER.id) == []


# -- HC-IMG-002 HEALTHCHECK ---------------------------------------------------------------------
def test_no_healthcheck(tmp_path: Path) -> None:
    found = of(check_image(tmp_path, spec(Healthcheck=None)), C.NO_HEALTHCHECK.id)
    assert [m.severity for m in found] == [SeverityLevel.LOW]


def test_healthcheck_none(tmp_path: Path) -> None:
    found = of(check_image(tmp_path, spec(Healthcheck={"Test": ["NONE"]})), C.NO_HEALTHCHECK.id)
    assert len(found) == 1 and "NONE" in found[0].message


# -- HC-IMG-003 secrets in ENV ------------------------------------------------------------------
def test_env_secrets_are_reported_masked(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY",
        "dbPassword": "hunter2hunter2",
        "DATABASE_URL": "postgres://admin:S3cretPassw0rd@db:5432/app",
        "API_KEY": "",  # empty: nothing leaked
        "GPG_KEY": "A035C8C19219BA821ECEA86B64E628F8D684696D",  # a public key id
        "PASSWORD_FILE": "/run/secrets/db",  # points at a secret
        "TOKENIZERS_PARALLELISM": "false",
        "HTTP_PROXY": "http://proxy.example:3128",
    }
    found = of(check_image(tmp_path, spec(Env=[f"{k}={v}" for k, v in env.items()])), C.ENV_SECRET.id)
    assert sorted(m.evidence.partition("=")[0] for m in found) == ["AWS_SECRET_ACCESS_KEY", "DATABASE_URL", "dbPassword"]
    for m in found:
        value = env[m.evidence.partition("=")[0]]
        assert value not in m.message and value not in m.evidence
        assert "S3cretPassw0rd" not in m.message + m.evidence


# -- HC-IMG-004 secrets in build args / history ---------------------------------------------------
def test_build_arg_and_history_env_secrets(tmp_path: Path) -> None:
    history = [
        "RUN |2 GITHUB_TOKEN=ghp_abcdefghijklmnop VERSION=1.2 /bin/sh -c make # buildkit",
        "|1 NPM_TOKEN=npm_secretvalue /bin/sh -c npm ci",  # classic builder form
        "ENV DB_PASSWORD=hunter2",  # later unset: gone from Env, still in history
        "ARG SIGNING_KEY=topsecretsigning",
        "ENV DB_PASSWORD=",
    ]
    found = of(check_image(tmp_path, spec(layers=[[f("a", "1")], [f("b", "2")]], history=history)),
               C.BUILD_ARG_SECRET.id)
    names = sorted(m.evidence.split(" ")[2].partition("=")[0] for m in found)
    assert names == ["DB_PASSWORD", "GITHUB_TOKEN", "NPM_TOKEN", "SIGNING_KEY"]
    assert {m.layer_index for m in found if "TOKEN" in m.evidence} == {0, 1}
    for m in found:
        for secret in ("ghp_abcdefghijklmnop", "npm_secretvalue", "hunter2", "topsecretsigning"):
            assert secret not in m.message + m.evidence


def test_password_in_url_in_run(tmp_path: Path) -> None:
    history = ["RUN /bin/sh -c git clone https://deploy:glpat-Planted123@git.example.com/org/app.git # buildkit",
               "RUN /bin/sh -c git clone https://oauth2:${TOKEN}@git.example.com/org/lib.git # buildkit",
               "RUN /bin/sh -c curl -fsSL https://example.com/x.tgz | tar xz # buildkit"]
    layers = [[f("a", "1")], [f("b", "2")], [f("c", "3")]]
    (m,) = of(check_image(tmp_path, spec(layers=layers, history=history)), C.BUILD_ARG_SECRET.id)
    assert m.layer_index == 0
    assert m.evidence == "history[0] RUN https://deploy:<masked, 16 chars>@git.example.com"
    assert "glpat-Planted123" not in m.message + m.evidence


def test_harmless_build_args(tmp_path: Path) -> None:
    history = ["RUN |2 VERSION=1.2 TARGETARCH=amd64 /bin/sh -c make # buildkit", "ENV PATH=/usr/bin"]
    assert of(check_image(tmp_path, spec(history=history)), C.BUILD_ARG_SECRET.id) == []


# -- HC-IMG-005 ADD from URL, HC-IMG-006 pipe to shell, HC-IMG-014 upgrade, HC-IMG-015 chmod -----
HISTORY_CASES = [
    (C.ADD_URL.id, "ADD https://downloads.example.com/app.tar.gz /opt/app/ # buildkit", True),
    (C.ADD_URL.id, "/bin/sh -c #(nop) ADD http://example.com/x.tgz /opt/", True),
    (C.ADD_URL.id, "ADD --checksum=sha256:24454f830cdd /x https://example.com/x /opt/ # buildkit", False),
    (C.ADD_URL.id, "/bin/sh -c #(nop) ADD file:4b03b5f551e3fbdf47ec609712007 in / ", False),
    (C.ADD_URL.id, "COPY https-notes.txt /opt/ # buildkit", False),
    (C.PIPE_TO_SHELL.id, "RUN /bin/sh -c curl -fsSL https://install.example.com/setup.sh | sh # buildkit", True),
    (C.PIPE_TO_SHELL.id, "/bin/sh -c wget -qO- https://example.com/i.sh | sudo -E bash -", True),
    (C.PIPE_TO_SHELL.id, "RUN /bin/sh -c sh -c \"$(curl -fsSL https://example.com/i.sh)\" # buildkit", True),
    (C.PIPE_TO_SHELL.id, "RUN /bin/sh -c curl -fsSL https://x/i.tgz | tar xz # buildkit", False),
    (C.PIPE_TO_SHELL.id, "RUN /bin/sh -c curl -o /tmp/i.sh https://x/i.sh && sha256sum -c s && sh /tmp/i.sh", False),
    (C.SYSTEM_UPGRADE.id, "RUN /bin/sh -c apt-get update && apt-get -y dist-upgrade # buildkit", True),
    (C.SYSTEM_UPGRADE.id, "/bin/sh -c apk upgrade --no-cache", True),
    (C.SYSTEM_UPGRADE.id, "/bin/sh -c dnf -y update && dnf clean all", True),
    (C.SYSTEM_UPGRADE.id, "RUN /bin/sh -c apt-get update && apt-get install -y curl # buildkit", False),
    (C.SYSTEM_UPGRADE.id, "/bin/sh -c yum update openssl", False),
    (C.CHMOD_WORLD.id, "RUN /bin/sh -c chmod -R 777 /app # buildkit", True),
    (C.CHMOD_WORLD.id, "RUN /bin/sh -c chmod a+rwx /data # buildkit", True),
    (C.CHMOD_WORLD.id, "RUN /bin/sh -c chmod 4755 /usr/local/bin/helper # buildkit", False),
    (C.CHMOD_WORLD.id, "RUN /bin/sh -c chmod +x /entrypoint.sh # buildkit", False),
    (C.SUDO.id, "RUN /bin/sh -c apt-get update && sudo apt-get install -y vim # buildkit", True),
    (C.SUDO.id, "/bin/sh -c sudo -u app make", True),
    (C.SUDO.id, "RUN /bin/sh -c apt-get install -y pseudo # buildkit", False),
]


@pytest.mark.parametrize(("check_id", "created_by", "hit"), HISTORY_CASES)
def test_history_checks(tmp_path: Path, check_id: str, created_by: str, hit: bool) -> None:
    history = ["ADD rootfs.tar / # buildkit", created_by]
    layers = [[f("etc/os-release", "ID=test\n")], [f("opt/app/x", "1")]]
    found = of(check_image(tmp_path, spec(layers=layers, history=history)), check_id)
    if not hit:
        assert found == []
        return
    assert len(found) == 1
    assert found[0].layer_index == 1  # the layer the instruction produced
    assert "history entry 1" in found[0].message


def test_hostile_history_stays_fast(tmp_path: Path) -> None:
    nasty = "RUN /bin/sh -c " + "curl " * 200_000 + "| tee"
    t0 = time.monotonic()
    found = check_image(tmp_path, spec(history=[nasty]))
    assert time.monotonic() - t0 < 10
    assert of(found, C.PIPE_TO_SHELL.id) == []


# -- HC-IMG-007 setuid/setgid ----------------------------------------------------------------
def test_setuid_files(tmp_path: Path) -> None:
    layers = [
        [f("usr/bin/passwd", "x", 0o4755), f("usr/bin/chage", "x", 0o2755), f("usr/bin/ls", "x", 0o755)],
        [f("usr/local/bin/helper", "x", 0o4755), f("opt/gone", "x", 0o6755), d("srv/shared", 0o2775)],
        [f("opt/.wh.gone")],  # deleted: not in the final filesystem
    ]
    found = of(check_image(tmp_path, spec(layers=layers)), C.SETUID.id)
    by_layer = {m.layer_index: m for m in found}
    assert sorted(by_layer) == [0, 1]
    assert by_layer[0].severity == SeverityLevel.LOW
    assert by_layer[0].evidence.splitlines() == ["/usr/bin/chage", "/usr/bin/passwd"]
    assert by_layer[1].severity == SeverityLevel.MEDIUM
    assert by_layer[1].evidence.splitlines() == ["/usr/local/bin/helper"]
    assert found[0].layer_index == 1  # most severe first


def test_setuid_list_is_capped(tmp_path: Path) -> None:
    layers = [[f(f"opt/bin/t{i:03d}", "x", 0o4755) for i in range(150)]]
    (m,) = of(check_image(tmp_path, spec(layers=layers)), C.SETUID.id)
    assert m.message.startswith("150 setuid")
    assert m.message.endswith("and 140 more")
    assert len(m.evidence.splitlines()) == 101 and m.evidence.endswith("... and 50 more")


# -- HC-IMG-008 world-writable ---------------------------------------------------------------
def test_world_writable(tmp_path: Path) -> None:
    layers = [[
        d("tmp", 0o1777), f("tmp/scratch", "x", 0o666), d("var/tmp", 0o1777), f("var/tmp/y", "y", 0o666),
        d("tmp/shared", 0o777), d("dev/shm/x", 0o777),
        d("opt/app/uploads", 0o777), f("opt/app/data/shared.cfg", "c", 0o666), d("opt/drop", 0o1777),
        f("opt/app/ok.cfg", "c", 0o664),
    ]]
    (m,) = of(check_image(tmp_path, spec(layers=layers)), C.WORLD_WRITABLE.id)
    assert m.evidence.splitlines() == ["/opt/app/data/shared.cfg", "/opt/app/uploads"]


def test_tmp_without_sticky_bit_is_reported(tmp_path: Path) -> None:
    (m,) = of(check_image(tmp_path, spec(layers=[[d("tmp", 0o777)]])), C.WORLD_WRITABLE.id)
    assert m.evidence == "/tmp"


# -- HC-IMG-009 package manager caches -----------------------------------------------------------
def test_package_caches(tmp_path: Path) -> None:
    layers = [
        [d("var/lib/apt/lists/partial"), f("var/lib/apt/lists/lock", "")],  # what a cleaned image keeps
        [f("var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease", "r" * 2048),
         f("var/cache/apt/archives/curl_7.88.1-10_amd64.deb", "d" * 100),
         f("root/.cache/pip/http-v2/a/b/c", "p" * 10),
         f("home/app/.npm/_cacache/index-v5/aa/bb", "n" * 10)],
    ]
    found = of(check_image(tmp_path, spec(layers=layers)), C.PACKAGE_CACHE.id)
    assert sorted(m.evidence for m in found) == sorted(
        ["/var/lib/apt/lists", "/var/cache/apt/archives", "~/.cache/pip", "~/.npm/_cacache"])
    lists = next(m for m in found if m.evidence == "/var/lib/apt/lists")
    assert "1 file(s), 2.0 KiB" in lists.message and lists.layer_index == 1


def test_cleaned_apt_is_not_a_cache(tmp_path: Path) -> None:
    layers = [[d("var/lib/apt/lists/partial"), f("var/lib/apt/lists/lock", ""), d("var/cache/apt/archives")]]
    assert of(check_image(tmp_path, spec(layers=layers)), C.PACKAGE_CACHE.id) == []


# -- HC-IMG-010 SSH server, HC-IMG-013 sudo (from the package catalog or the binaries) ---------------
def _debian(*pkgs: tuple[str, str]) -> list[Any]:
    return [f("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"), f("var/lib/dpkg/status", dpkg_status(*pkgs))]


def test_ssh_server_and_sudo_packages(tmp_path: Path) -> None:
    layers = [_debian(("base-files", "12.4")), _debian(("base-files", "12.4"), ("openssh-server", "1:9.2p1-2"),
                                                       ("sudo", "1.9.13p3-1"))]
    found = check_image(tmp_path, spec(layers=layers))
    (ssh,) = of(found, C.SSH_SERVER.id)
    (sudo,) = of(found, C.SUDO.id)
    assert ssh.evidence == "deb:openssh-server@1:9.2p1-2" and ssh.layer_index == 1
    assert sudo.evidence == "deb:sudo@1.9.13p3-1" and sudo.layer_index == 1


def test_ssh_server_and_sudo_binaries(tmp_path: Path) -> None:
    layers = [[f("usr/sbin/sshd", "\x7fELF", 0o755), f("usr/bin/sudo", "\x7fELF", 0o4755)]]
    found = check_image(tmp_path, spec(layers=layers))
    assert [m.evidence for m in of(found, C.SSH_SERVER.id)] == ["/usr/sbin/sshd"]
    assert [m.evidence for m in of(found, C.SUDO.id)] == ["/usr/bin/sudo"]


def test_no_ssh_server_or_sudo(tmp_path: Path) -> None:
    layers = [_debian(("base-files", "12.4"), ("openssh-client", "1:9.2p1-2"), ("login", "1:4.13"))]
    found = check_image(tmp_path, spec(layers=layers))
    assert of(found, C.SSH_SERVER.id) == [] and of(found, C.SUDO.id) == []


# -- HC-IMG-011 port 22 ------------------------------------------------------------------------
def test_port_22(tmp_path: Path) -> None:
    found = check_image(tmp_path, spec(ExposedPorts={"22/tcp": {}, "8080/tcp": {}}))
    assert [m.evidence for m in of(found, C.SSH_PORT.id)] == ["ExposedPorts: 22/tcp"]
    other = check_image(tmp_path, spec(ExposedPorts={"2222/tcp": {}, "22/udp": {}}), "other")
    assert of(other, C.SSH_PORT.id) == []


# -- HC-IMG-012 unpinned base, HC-IMG-017 provenance labels --------------------------------------
@pytest.mark.parametrize(("labels", "expect"), [
    ({"org.opencontainers.image.base.name": "docker.io/library/debian:latest"}, "latest"),
    ({"org.opencontainers.image.base.name": "docker.io/library/debian"}, "latest"),
    ({"org.opencontainers.image.base.name": "registry.example:5000/base:1.2"}, "without a digest"),
    ({"org.opencontainers.image.base.name": "debian:12@sha256:" + "a" * 64}, None),
    ({"org.opencontainers.image.base.name": "debian:12", "org.opencontainers.image.base.digest": "sha256:" + "b" * 64},
     None),
    ({}, None),
])
def test_unpinned_base(tmp_path: Path, labels: dict[str, str], expect: str | None) -> None:
    found = of(check_image(tmp_path, spec(Labels={**GOOD_CONFIG["Labels"], **labels})), C.UNPINNED_BASE.id)
    if expect is None:
        assert found == []
    else:
        assert len(found) == 1 and expect in found[0].message


@pytest.mark.parametrize(("comment", "expect"), [
    ("FROM docker.io/library/fedora:latest", "latest"),
    ("FROM registry.example:5000/team/base:2.1", "without a digest"),
    ("FROM docker.io/library/alpine@sha256:" + "c" * 64, None),
    ("", None),
])
def test_unpinned_base_from_buildah_history(tmp_path: Path, comment: str, expect: str | None) -> None:
    history = [{"created_by": "/bin/sh -c #(nop) ADD file:abc in / ", "created": "2024-01-01T00:00:00Z"},
               {"created_by": "/bin/sh -c dnf install -y httpd", "comment": comment, "created": "2024-01-01T00:00:00Z"}]
    img = ImageSpec(layers=[[f("a", "1")], [f("b", "2")]], history=history, config=GOOD_CONFIG)
    found = of(check_image(tmp_path, img), C.UNPINNED_BASE.id)
    if expect is None:
        assert found == []
    else:
        (m,) = found
        assert expect in m.message and m.evidence == f"history[1] comment: {comment.split()[1]}"


def test_provenance_labels(tmp_path: Path) -> None:
    found = of(check_image(tmp_path, spec(Labels={"org.opencontainers.image.source": "https://x"})),
               C.PROVENANCE_LABELS.id)
    assert [m.evidence for m in found] == ["org.opencontainers.image.revision"]
    assert found[0].severity == SeverityLevel.NEGLIGIBLE


# -- HC-IMG-016 secret-looking file deleted later ---------------------------------------------------
def test_deleted_secret_files(tmp_path: Path) -> None:
    layers = [
        [f("root/.ssh/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----"), f("app/.env", "A=1"),
         f("etc/ssl/certs/old-ca.pem", "cert"), f("app/server.pem", "cert+key"), f("app/notes.txt", "n")],
        [f("root/.ssh/.wh.id_rsa"), f("etc/ssl/certs/.wh.old-ca.pem"), f("app/server.pem", "replaced"),
         f("app/.wh.notes.txt")],
    ]
    found = of(check_image(tmp_path, spec(layers=layers)), C.DELETED_SECRET_FILE.id)
    assert sorted((m.evidence, m.layer_index) for m in found) == [("/app/server.pem", 0), ("/root/.ssh/id_rsa", 0)]
    assert any("replaced by layer 1" in m.message for m in found)


# -- a root filesystem has no config: only the filesystem checks run ------------------------------
def test_rootfs_runs_filesystem_checks_only(tmp_path: Path) -> None:
    root = tmp_path / "rootfs"
    (root / "usr/local/bin").mkdir(parents=True)
    tool = root / "usr/local/bin/tool"
    tool.write_text("x")
    tool.chmod(0o4755)
    inv = inventory(f"rootfs:{root}")
    found = run_checks(inv.metadata, inv.scans, inv.catalog)
    assert [m.check_id for m in found] == [C.SETUID.id]


def test_skip(tmp_path: Path) -> None:
    inv = inventory(f"oci:{oci_layout(tmp_path / 'i', {'latest': spec(User=None, Healthcheck=None)})}")
    found = run_checks(inv.metadata, inv.scans, None, skip={C.ROOT_USER.id})
    assert [m.check_id for m in found] == [C.NO_HEALTHCHECK.id]


def test_documentation_lists_every_check() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "image-checks.md").read_text()
    for c in C.ALL:
        assert f"| {c.id} | {c.severity.value} | {c.title} |" in doc
        assert c.rationale in doc and c.remediation in doc


def test_hostile_config_values(tmp_path: Path) -> None:
    """Odd types and huge values in the config: findings, never a crash or a slow regex."""
    config = {
        "User": 0,
        "Env": ["A" * 1_000_000 + "_TOKEN=" + "x" * 1_000_000, "=novalue", "NOEQUALS", "API_KEY=" + "y" * 100],
        "Healthcheck": {"Test": "NONE"},
        "Labels": {"org.opencontainers.image.base.name": "x" * 100_000 + ":latest", "n": 5},
        "ExposedPorts": {"22": {}, "/tcp": {}, "": {}},
    }
    t0 = time.monotonic()
    found = check_image(tmp_path, ImageSpec(layers=[[f("a", "1")]], config=config,
                                            history=[{"created_by": "ENV " + "=" * 100_000}]))
    assert time.monotonic() - t0 < 10
    ids = {m.check_id for m in found}
    assert {C.ROOT_USER.id, C.SSH_PORT.id, C.UNPINNED_BASE.id, C.ENV_SECRET.id} <= ids
    assert all("y" * 20 not in m.message + m.evidence for m in found)


def test_no_layers_and_no_config() -> None:
    """An SBOM input has neither layers nor a config: nothing to judge, nothing reported."""
    meta = ImageMetadata(ref="sbom:x.json", platform=Platform(), manifest_digest=None, config_digest=None, layers=())
    assert run_checks(meta, []) == []
