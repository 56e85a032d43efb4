"""Platforms: the host's, ``--platform`` parsing, and which image platform can serve which."""

from __future__ import annotations

import platform as _stdlib_platform

from hullcheck.errors import UsageError
from hullcheck.model import Platform

# platform.machine() / uname names -> (OCI architecture, variant)
_MACHINE = {
    "x86_64": ("amd64", None),
    "amd64": ("amd64", None),
    "aarch64": ("arm64", None),
    "arm64": ("arm64", None),
    "armv8l": ("arm", "v8"),
    "armv7l": ("arm", "v7"),
    "armv7": ("arm", "v7"),
    "armv6l": ("arm", "v6"),
    "armv5tel": ("arm", "v5"),
    "i386": ("386", None),
    "i686": ("386", None),
    "x86": ("386", None),
    "ppc64le": ("ppc64le", None),
    "s390x": ("s390x", None),
    "riscv64": ("riscv64", None),
    "mips64": ("mips64", None),
    "loongarch64": ("loong64", None),
}
# Variants a CPU of the given variant can run, best first.
_ARM_COMPAT = {
    "v8": ("v8", "v7", "v6", "v5"),
    "v7": ("v7", "v6", "v5"),
    "v6": ("v6", "v5"),
    "v5": ("v5",),
}


def normalise(p: Platform) -> Platform:
    arch, variant = p.architecture.lower(), p.variant.lower() if p.variant else None
    mapped, implied = _MACHINE.get(arch, (arch, None))
    variant = variant or implied
    if mapped == "arm64" and variant == "v8":
        variant = None  # arm64 and arm64/v8 are the same platform
    return Platform(p.os.lower(), mapped, variant)


def host_platform() -> Platform:
    return normalise(Platform("linux", _stdlib_platform.machine() or "amd64"))


def parse_platform(text: str) -> Platform:
    """``os/arch[/variant]`` as users type it for ``--platform``."""
    parts = text.strip().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise UsageError(
            f"invalid platform {text!r}: expected os/arch or os/arch/variant, e.g. linux/arm64"
        )
    return normalise(Platform(parts[0], parts[1], parts[2] if len(parts) == 3 else None))


def matches(wanted: Platform, have: Platform) -> bool:
    return rank(wanted, have) is not None


def rank(wanted: Platform, have: Platform) -> int | None:
    """None if ``have`` cannot serve ``wanted``; else lower is better."""
    w, h = normalise(wanted), normalise(have)
    if w.os != h.os or w.architecture != h.architecture:
        return None
    if w.variant is None:
        return 0 if h.variant is None else 1
    if w.architecture == "arm":
        order = _ARM_COMPAT.get(w.variant, (w.variant,))
        if h.variant is None:
            return len(order)
        return order.index(h.variant) if h.variant in order else None
    if h.variant is None:
        return 1
    return 0 if h.variant == w.variant else None


