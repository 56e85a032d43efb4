"""Secrets in the config's environment and in the history (ENV/ARG instructions, RUN build args,
URLs with a password in RUN commands).

Judged by the variable's name (PASSWORD, SECRET, TOKEN, API_KEY, ...) with a non-empty value,
or by a value carrying a password in a URL (``scheme://user:pass@host``). The value itself is
never reported. Content rules (AWS key shapes, JWTs...) are the secret scanner's job.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import pairwise

import re2

from hullcheck.imagecheck import catalog as C
from hullcheck.imagecheck.context import MAX_TEXT, CheckContext, Instruction, mask
from hullcheck.model.checks import Misconfiguration

# Whole words of the name (split on _ - . and camelCase) that mark a secret.
_SECRET_WORDS = frozenset({
    "PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "SECRETS", "TOKEN", "APIKEY", "CREDENTIAL",
    "CREDENTIALS", "PRIVATEKEY", "ACCESSKEY", "SECRETKEY",
})
_SECRET_PAIRS = frozenset({
    ("API", "KEY"), ("ACCESS", "KEY"), ("PRIVATE", "KEY"), ("SECRET", "KEY"), ("AUTH", "KEY"),
    ("CLIENT", "SECRET"), ("DB", "PASS"), ("ENCRYPTION", "KEY"), ("SIGNING", "KEY"),
})
# Names that point at a secret rather than hold one.
_REFERENCE_SUFFIXES = frozenset({"FILE", "PATH", "DIR", "LOCATION", "NAME", "ID", "LENGTH", "ENABLED"})
_HARMLESS_VALUES = frozenset({"true", "false", "yes", "no", "on", "off", "none", "null"})
_URL_PASSWORD = re2.compile(r"[A-Za-z][A-Za-z0-9+.\-]{0,30}://[^/\s:@]{1,256}:([^/\s@]{1,256})@")
# The host part after the userinfo, for a masked excerpt.
_URL_HOST = re2.compile(r"^[^/\s\"']{0,256}")


def _words(name: str) -> list[str]:
    out: list[str] = []
    word = ""
    prev_lower = False
    for ch in name:
        if not ch.isalnum():
            if word:
                out.append(word.upper())
            word, prev_lower = "", False
            continue
        if ch.isupper() and prev_lower and word:  # camelCase boundary
            out.append(word.upper())
            word = ""
        word += ch
        prev_lower = ch.islower() or ch.isdigit()
    if word:
        out.append(word.upper())
    return out


def secret_name(name: str) -> bool:
    words = _words(name[:256])
    if not words or words[-1] in _REFERENCE_SUFFIXES:
        return False
    if any(w in _SECRET_WORDS for w in words):
        return True
    return any(pair in _SECRET_PAIRS for pair in pairwise(words))


def secret_reason(name: str, value: str) -> str | None:
    """Why ``name=value`` looks like a secret, or None."""
    value = value[:MAX_TEXT].strip()
    if not value or value.lower() in _HARMLESS_VALUES or value.startswith("$"):
        return None
    m = _URL_PASSWORD.search(value)
    if m and not m.group(1).startswith("$"):
        return "its value holds a password in a URL"
    if secret_name(name):
        return "its name marks a secret and it has a value"
    return None


def _assignments(text: str) -> Iterator[tuple[str, str]]:
    """``ENV A=1 B=2`` / ``ENV A 1`` / ``ARG A=1`` bodies as (name, value); values unquoted."""
    text = text.strip()
    if not text:
        return
    first, _sep, rest = text.partition(" ")
    if "=" not in first:  # legacy `ENV NAME value with spaces`
        yield first, rest.strip()
        return
    for token in text.split():
        name, eq, value = token.partition("=")
        if eq:
            yield name, value.strip("\"'")


def check_env(ctx: CheckContext) -> Iterator[Misconfiguration]:
    for entry in ctx.metadata.env:
        name, eq, value = entry.partition("=")
        reason = secret_reason(name, value) if eq else None
        if reason:
            yield C.ENV_SECRET.finding(
                f"environment variable {name} looks like a secret: {reason}",
                evidence=f"{name}={mask(value)}",
            )


def check_history_secrets(ctx: CheckContext) -> Iterator[Misconfiguration]:
    # Variables still in the final environment are reported once, by check_env.
    in_env = {e.partition("=")[0] for e in ctx.metadata.env}
    seen: set[tuple[str, str]] = set()
    for ins in ctx.instructions:
        found: Iterable[tuple[str, str, str]]
        if ins.keyword in ("ENV", "ARG"):
            found = ((ins.keyword, n, v) for n, v in _assignments(ins.text))
        else:
            found = (("build-arg", n, v) for n, v in ins.build_args)
        if ins.keyword == "RUN":
            yield from _url_passwords(ins)
        for kind, name, value in found:
            if kind == "ENV" and name in in_env:
                continue
            reason = secret_reason(name, value)
            if reason is None or (kind, name) in seen:
                continue
            seen.add((kind, name))
            yield C.BUILD_ARG_SECRET.finding(
                f"{kind} {name} in history entry {ins.index} looks like a secret: {reason}",
                evidence=f"history[{ins.index}] {kind} {name}={mask(value)}",
                layer_index=ins.layer_index,
            )


def _url_passwords(ins: Instruction) -> Iterator[Misconfiguration]:
    """``git clone https://user:token@host/...`` and the like in a RUN command."""
    m = _URL_PASSWORD.search(ins.text)
    if m is None or m.group(1).startswith("$"):
        return
    host = _URL_HOST.search(ins.text[m.end():])
    masked = ins.text[m.start():m.start(1)] + mask(m.group(1)) + "@" + (host.group(0) if host else "")
    yield C.BUILD_ARG_SECRET.finding(
        f"RUN in history entry {ins.index} has a password in a URL",
        evidence=f"history[{ins.index}] RUN {masked}",
        layer_index=ins.layer_index,
    )
