"""Checks on what is installed: package manager caches, SSH servers, sudo."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import re2

from hullcheck.catalog.runner import OS_TYPES
from hullcheck.image.tarstream import DIR, REG
from hullcheck.image.walk import FileRecord
from hullcheck.imagecheck import catalog as C
from hullcheck.imagecheck.context import CheckContext
from hullcheck.model.checks import Misconfiguration


@dataclass(frozen=True)
class CacheKind:
    name: str
    where: str  # shown to the user
    matches: Callable[[str], bool]


def _under(*prefixes: str) -> Callable[[str], bool]:
    return lambda p: p.startswith(prefixes)


def _containing(part: str) -> Callable[[str], bool]:
    return lambda p: part in p


def _apt_lists(p: str) -> bool:
    # `lock` and `partial/` exist (empty) even in cleaned images.
    return p.startswith("/var/lib/apt/lists/") and not p.startswith("/var/lib/apt/lists/partial/") \
        and p != "/var/lib/apt/lists/lock"


CACHES: tuple[CacheKind, ...] = (
    CacheKind("apt package lists", "/var/lib/apt/lists", _apt_lists),
    CacheKind("apt downloaded packages", "/var/cache/apt/archives",
              lambda p: p.startswith("/var/cache/apt/archives/") and p.endswith(".deb")),
    CacheKind("apt package cache", "/var/cache/apt/*.bin",
              lambda p: p.startswith("/var/cache/apt/") and p.count("/") == 4 and p.endswith(".bin")),
    CacheKind("apk cache", "/var/cache/apk", _under("/var/cache/apk/", "/etc/apk/cache/")),
    CacheKind("yum/dnf cache", "/var/cache/yum, /var/cache/dnf", _under("/var/cache/yum/", "/var/cache/dnf/")),
    CacheKind("pip cache", "~/.cache/pip", _containing("/.cache/pip/")),
    CacheKind("npm cache", "~/.npm/_cacache", _containing("/.npm/_cacache/")),
    CacheKind("yarn cache", "~/.cache/yarn", _containing("/.cache/yarn/")),
    CacheKind("Go build cache", "~/.cache/go-build", _containing("/.cache/go-build/")),
)

SSH_PACKAGES = frozenset({"openssh-server", "openssh-server-pam", "dropbear", "dropbear-bin", "tinysshd"})
SSH_FILES = ("/usr/sbin/sshd", "/usr/sbin/dropbear", "/usr/bin/dropbear")
SUDO_PACKAGES = frozenset({"sudo", "sudo-ldap", "doas", "opendoas"})
SUDO_FILES = ("/usr/bin/sudo", "/usr/bin/doas")
_SUDO_RUN = re2.compile(r"(?:^|[;&|(]\s*|\s)(?:sudo|doas)\s")


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    v = float(n)
    for unit in ("KiB", "MiB"):
        v /= 1024
        if v < 1024:
            return f"{v:.1f} {unit}"
    return f"{v / 1024:.1f} GiB"


# Cheap first filter on every path; CacheKind.matches then decides.
_CACHE_PREFIXES = ("/var/lib/apt/lists/", "/var/cache/", "/etc/apk/cache/")
_CACHE_PARTS = ("/.cache/", "/.npm/")


def _maybe_cache(rec: FileRecord) -> bool:
    path = rec[0]
    if not (path.startswith(_CACHE_PREFIXES) or ("/." in path and any(p in path for p in _CACHE_PARTS))):
        return False
    return rec[1] == REG and rec[2] > 0


def check_caches(ctx: CheckContext) -> Iterator[Misconfiguration]:
    cands = ctx.candidates(_maybe_cache)
    # kind -> layer -> [files, bytes]
    found: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for (path, _kind, size, *_rest), layer in ctx.visible(cands):
        for kind in CACHES:
            if kind.matches(path):
                acc = found[kind.name][layer]
                acc[0] += 1
                acc[1] += size
                break
    for kind in CACHES:
        per_layer = found.get(kind.name)
        if not per_layer:
            continue
        files = sum(v[0] for v in per_layer.values())
        size = sum(v[1] for v in per_layer.values())
        main_layer = max(per_layer, key=lambda k: (per_layer[k][1], k))
        layers = ", ".join(str(k) for k in sorted(per_layer))
        yield C.PACKAGE_CACHE.finding(
            f"{kind.name} left in {kind.where}: {files} file(s), {_size(size)} (layer {layers})",
            evidence=kind.where,
            layer_index=main_layer,
        )


def _installed(
    ctx: CheckContext, names: frozenset[str], paths: tuple[str, ...]
) -> tuple[str, str, int | None] | None:
    """(what, evidence, layer) of the first matching OS package, else of the first present file."""
    for p in ctx.packages:
        if p.type in OS_TYPES and p.name in names:
            return f"package {p.name} {p.version}", f"{p.type.value}:{p.name}@{p.version}", p.layer_index
    for path in paths:
        hit = ctx.final.find(path)
        if hit is not None and hit[1] != DIR:
            return path, path, hit[0]
    return None


def check_ssh_server(ctx: CheckContext) -> Iterator[Misconfiguration]:
    hit = _installed(ctx, SSH_PACKAGES, SSH_FILES)
    if hit:
        what, evidence, layer = hit
        yield C.SSH_SERVER.finding(f"an SSH server is installed: {what}", evidence=evidence, layer_index=layer)


def check_sudo(ctx: CheckContext) -> Iterator[Misconfiguration]:
    hit = _installed(ctx, SUDO_PACKAGES, SUDO_FILES)
    if hit:
        what, evidence, layer = hit
        yield C.SUDO.finding(f"a privilege-raising tool is installed: {what}", evidence=evidence, layer_index=layer)
    for ins in ctx.instructions:
        if ins.keyword == "RUN" and _SUDO_RUN.search(ins.text):
            yield C.SUDO.finding(
                f"history entry {ins.index} runs a command through sudo",
                evidence=f"RUN {ins.text[:200]}",
                layer_index=ins.layer_index,
            )
