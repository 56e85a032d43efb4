"""Checks on file modes and names, from the layer headers (no file content is read)."""

from __future__ import annotations

import posixpath
import stat
from collections import defaultdict
from collections.abc import Iterator

from hullcheck.image.tarstream import DIR, HARDLINK, REG
from hullcheck.image.walk import FileRecord
from hullcheck.imagecheck import catalog as C
from hullcheck.imagecheck.context import CheckContext, capped
from hullcheck.model.checks import Misconfiguration
from hullcheck.model.finding import SeverityLevel

LIST_IN_MESSAGE = 10
LIST_IN_EVIDENCE = 100

# setuid/setgid programs that Debian, Ubuntu, Alpine and RHEL-family base images ship on purpose
# (login, password and mount tools); reported at LOW, anything else at the check's MEDIUM.
_COMMON_PRIVILEGED = frozenset(
    f"{d}/{name}"
    for d in ("/bin", "/usr/bin", "/sbin", "/usr/sbin")
    for name in (
        "passwd", "chfn", "chsh", "chage", "expiry", "gpasswd", "newgrp", "su", "mount", "umount",
        "wall", "write", "write.ul", "crontab", "ssh-agent", "unix_chkpwd", "pam_extrausers_chkpwd",
        "newuidmap", "newgidmap", "ping", "pam_timestamp_check", "bbsuid", "sudo",
    )
) | frozenset({
    "/usr/lib/openssh/ssh-keysign", "/usr/libexec/openssh/ssh-keysign",
    "/usr/lib/dbus-1.0/dbus-daemon-launch-helper", "/usr/libexec/dbus-daemon-launch-helper",
})
_SCRATCH_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock")

# File names that usually hold keys or credentials.
_SECRET_NAMES = frozenset({
    "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk", ".env",
    "credentials", "credentials.json", ".netrc", "_netrc", ".git-credentials", ".pgpass",
    ".pypirc", ".npmrc", ".htpasswd", "secrets.json", "secrets.yaml", "secrets.yml",
    "service-account.json", "terraform.tfstate",
})
_SECRET_SUFFIXES = (".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".kdbx", ".ovpn", ".tfvars")
_SECRET_PATH_SUFFIXES = ("/.docker/config.json", "/.aws/credentials", "/.kube/config", "/.ssh/authorized_keys")
# Public certificates and test fixtures shipped inside packages are not secrets.
_NOT_SECRET_DIRS = ("/etc/ssl/certs/", "/usr/share/", "/usr/lib/", "/usr/local/lib/", "/etc/pki/ca-trust/")
_NOT_SECRET_PARTS = ("/site-packages/", "/dist-packages/", "/node_modules/", "/test/", "/tests/")
_FILE_KINDS = (REG, HARDLINK)

Hits = dict[tuple[int, SeverityLevel], list[tuple[str, str]]]  # (layer, severity) -> (path, label)


def _grouped(check: C.Check, what: str, hits: Hits) -> Iterator[Misconfiguration]:
    """One finding per (layer, severity), so output stays bounded however many files match. The
    message shows labelled paths, the evidence one path per line (capped)."""
    for (layer, severity), found in sorted(hits.items(), key=lambda kv: (-kv[0][1].rank, kv[0][0])):
        found.sort()
        n = len(found)
        paths = [p for p, _label in found[:LIST_IN_EVIDENCE]]
        if n > LIST_IN_EVIDENCE:
            paths.append(f"... and {n - LIST_IN_EVIDENCE} more")
        yield check.finding(
            f"{n} {what} in layer {layer}: {capped([label for _p, label in found], LIST_IN_MESSAGE)}",
            evidence="\n".join(paths),
            layer_index=layer,
            severity=severity,
        )


def check_setuid(ctx: CheckContext) -> Iterator[Misconfiguration]:
    hits: Hits = defaultdict(list)
    cands = ctx.candidates(lambda r: bool(r[3] & (stat.S_ISUID | stat.S_ISGID)) and r[1] in _FILE_KINDS)
    for (path, _kind, _size, mode, *_rest), layer in ctx.visible(cands):
        bits = "+".join(b for b, m in (("setuid", stat.S_ISUID), ("setgid", stat.S_ISGID)) if mode & m)
        sev = SeverityLevel.LOW if path in _COMMON_PRIVILEGED else C.SETUID.severity
        hits[(layer, sev)].append((path, f"{path} ({bits}, {stat.S_IMODE(mode):04o})"))
    yield from _grouped(C.SETUID, "setuid/setgid file(s)", hits)


def _in_scratch(path: str) -> bool:
    return any(path == d or path.startswith(d + "/") for d in _SCRATCH_DIRS)


def _world_writable(rec: FileRecord) -> bool:
    mode, kind = rec[3], rec[1]
    if not mode & stat.S_IWOTH or _in_scratch(posixpath.dirname(rec[0])):
        return False  # what lies inside /tmp & co is scratch; /tmp itself is judged below
    if kind == DIR:
        return not mode & stat.S_ISVTX  # sticky: others cannot replace each other's files
    return kind in _FILE_KINDS  # symlinks are always 0777; device nodes are the runtime's business


def check_world_writable(ctx: CheckContext) -> Iterator[Misconfiguration]:
    hits: Hits = defaultdict(list)
    for (path, kind, _size, mode, *_rest), layer in ctx.visible(ctx.candidates(_world_writable)):
        what = "directory, " if kind == DIR else ""
        label = f"{path}{'/' if kind == DIR else ''} ({what}{stat.S_IMODE(mode):04o})"
        hits[(layer, C.WORLD_WRITABLE.severity)].append((path, label))
    yield from _grouped(C.WORLD_WRITABLE, "world-writable path(s)", hits)


# One str.endswith over every path (it runs for each file of each layer).
_SECRET_ENDINGS = tuple("/" + n for n in _SECRET_NAMES) + _SECRET_SUFFIXES + _SECRET_PATH_SUFFIXES


def secret_file_name(path: str) -> bool:
    if not (path.endswith(_SECRET_ENDINGS) or "/.env." in path):
        return False
    return not (path.startswith(_NOT_SECRET_DIRS) or any(p in path for p in _NOT_SECRET_PARTS))


def check_deleted_secret_files(ctx: CheckContext) -> Iterator[Misconfiguration]:
    named = [(rec, scan.index) for scan in ctx.scans for rec in scan.files if secret_file_name(rec[0])]
    for (path, kind, size, *_rest), layer in named:
        if kind != REG or size == 0:
            continue
        final = ctx.final.layer_of(path)
        if final == layer:
            continue  # still visible: the secret scanner looks at its content
        how = "deleted" if final is None else f"replaced by layer {final}"
        yield C.DELETED_SECRET_FILE.finding(
            f"{path} ({size} bytes) was added in layer {layer} and {how}; it is still in layer {layer}",
            evidence=path,
            layer_index=layer,
        )
