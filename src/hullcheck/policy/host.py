"""Host configuration files: Docker's ``daemon.json`` and OpenSSH's ``sshd_config``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from hullcheck.model.finding import SeverityLevel
from hullcheck.model.violation import ResourceRef
from hullcheck.policy.rules import Context, Hit, Rule

MAX_BYTES = 1024 * 1024


@dataclass(frozen=True)
class HostFile:
    resource: ResourceRef  # kind "DockerDaemonConfig" or "SshdConfig", name = the file path
    settings: dict[str, Any]  # daemon.json as parsed; sshd: lower-cased keyword -> (value, line)
    lines: dict[str, int] = field(default_factory=dict)


def host_file_kind(name: str) -> str | None:
    if name == "daemon.json":
        return "DockerDaemonConfig"
    if name == "sshd_config" or name.endswith(".sshd_config"):
        return "SshdConfig"
    return None


def parse_daemon_json(text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise ValueError(f"invalid daemon.json: {str(e)[:120]}") from None
    if not isinstance(doc, dict):
        raise ValueError("daemon.json must be a JSON object")
    return doc


def parse_sshd_config(text: str) -> tuple[dict[str, Any], dict[str, int]]:
    """Global settings (before the first ``Match``): for each keyword the *first* value, as sshd uses it."""
    settings: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.replace("=", " ", 1).partition(" ")
        key = key.lower()
        if key == "match":
            break
        if key not in settings:
            settings[key] = value.strip().strip('"')
            lines[key] = n
    return settings, lines


def load_host_file(kind: str, path: str, text: str) -> HostFile:
    ref = ResourceRef(kind, path, "", path)
    if kind == "DockerDaemonConfig":
        return HostFile(ref, parse_daemon_json(text))
    settings, lines = parse_sshd_config(text)
    return HostFile(ref, settings, lines)


ROOT_FILES = (
    ("etc/docker/daemon.json", "DockerDaemonConfig"),
    ("etc/ssh/sshd_config", "SshdConfig"),
)
DOCKER_SOCKETS = ("run/docker.sock", "var/run/docker.sock")


def socket_file(path: str, st_mode: int, uid: int, gid: int) -> HostFile:
    """The Docker socket's ownership and permission bits (from ``lstat`` in a mounted root)."""
    return HostFile(ResourceRef("DockerSocket", path, "", path), {"mode": st_mode & 0o7777, "uid": uid, "gid": gid})


def check_docker_socket(h: HostFile, ctx: Context) -> Iterator[Hit]:
    """CIS Docker 3.15/3.16: docker.sock owned by root, mode 660 or stricter."""
    if h.resource.kind != "DockerSocket":
        return
    mode, uid = h.settings["mode"], h.settings["uid"]
    if mode & 0o007:
        yield Hit(f"docker.sock has mode {mode:04o}: every local user can control Docker (root)", "mode")
    elif mode & 0o777 & ~0o660:
        yield Hit(f"docker.sock has mode {mode:04o}, more permissive than 0660", "mode")
    if uid != 0:
        yield Hit(f"docker.sock is owned by uid {uid}, not root", "owner")


def _daemon(h: HostFile) -> bool:
    return h.resource.kind == "DockerDaemonConfig"


def check_daemon(h: HostFile, ctx: Context) -> Iterator[Hit]:
    if not _daemon(h):
        return
    s = h.settings
    if not s.get("userns-remap"):
        yield Hit("userns-remap is not set: root in a container is root on the host", "userns-remap")
    if s.get("icc") is not False:
        yield Hit("icc is not false: containers on the default bridge can talk to each other", "icc")
    if s.get("live-restore") is not True:
        yield Hit("live-restore is not true: a daemon restart stops every container", "live-restore")
    if s.get("no-new-privileges") is not True:
        yield Hit("no-new-privileges is not true by default", "no-new-privileges")


def check_daemon_tcp(h: HostFile, ctx: Context) -> Iterator[Hit]:
    if not _daemon(h):
        return
    hosts = h.settings.get("hosts")
    for i, host in enumerate(hosts if isinstance(hosts, list) else []):
        if isinstance(host, str) and host.startswith("tcp://") and h.settings.get("tlsverify") is not True:
            yield Hit(f"the daemon listens on {host} without tlsverify: anyone reaching it is root", f"hosts[{i}]")


def check_daemon_insecure_registries(h: HostFile, ctx: Context) -> Iterator[Hit]:
    if not _daemon(h):
        return
    regs = h.settings.get("insecure-registries")
    for i, reg in enumerate(regs if isinstance(regs, list) else []):
        yield Hit(f"insecure registry {reg}: images are pulled without TLS verification", f"insecure-registries[{i}]")


def _sshd(h: HostFile, key: str, bad_default: str) -> tuple[str, str]:
    value = str(h.settings.get(key, bad_default)).lower()
    where = f"line {h.lines[key]}" if key in h.lines else "(default)"
    return value, where


def check_sshd_root_login(h: HostFile, ctx: Context) -> Iterator[Hit]:
    if h.resource.kind != "SshdConfig":
        return
    value, where = _sshd(h, "permitrootlogin", "prohibit-password")
    if value != "no":
        yield Hit(f"PermitRootLogin {value}: root can log in over SSH", f"{where}: PermitRootLogin")


def check_sshd_password(h: HostFile, ctx: Context) -> Iterator[Hit]:
    if h.resource.kind != "SshdConfig":
        return
    value, where = _sshd(h, "passwordauthentication", "yes")
    if value != "no":
        yield Hit(f"PasswordAuthentication {value}: passwords can be guessed", f"{where}: PasswordAuthentication")


H, M = SeverityLevel.HIGH, SeverityLevel.MEDIUM


def _rule(rid: str, title: str, sev: SeverityLevel, why: str, fix: str, fn: Any, ref: str) -> Rule:
    return Rule(rid, title, sev, why, fix, fn, ("hullcheck production profile", ref), target="host")


HOST_RULES: tuple[Rule, ...] = (
    _rule("HC-HOST-001", "Docker daemon hardening settings", M,
          "userns-remap, icc=false, live-restore and no-new-privileges limit what a container can do to the host.",
          "Set them in /etc/docker/daemon.json.", check_daemon, "CIS Docker Benchmark 2.x"),
    _rule("HC-HOST-002", "Docker daemon on TCP without TLS", SeverityLevel.CRITICAL,
          "An unauthenticated Docker API is root on the host for anyone who reaches it.",
          "Listen on the Unix socket only, or set tlsverify with client certificates.", check_daemon_tcp,
          "CIS Docker Benchmark 2.6"),
    _rule("HC-HOST-003", "Insecure registries", H, "Images from insecure registries can be swapped in transit.",
          "Remove insecure-registries; give the registry a trusted certificate.", check_daemon_insecure_registries,
          "CIS Docker Benchmark 2.4"),
    _rule("HC-HOST-004", "Docker socket permissions", SeverityLevel.CRITICAL,
          "Whoever can write to docker.sock controls the Docker daemon, which is root on the host.",
          "chown root:docker /var/run/docker.sock; chmod 660 /var/run/docker.sock.", check_docker_socket,
          "CIS Docker Benchmark 3.15, 3.16"),
    _rule("HC-HOST-010", "SSH root login", H, "Direct root login bypasses individual accountability.",
          "Set PermitRootLogin no.", check_sshd_root_login, "CIS Distribution Independent Linux 5.2.10"),
    _rule("HC-HOST-011", "SSH password authentication", H, "Passwords can be brute-forced; keys cannot.",
          "Set PasswordAuthentication no.", check_sshd_password, "CIS Distribution Independent Linux 5.2.x"),
)
