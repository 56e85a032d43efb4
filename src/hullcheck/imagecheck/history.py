"""Checks on the build history: what the RUN and ADD instructions did."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import re2

from hullcheck.imagecheck import catalog as C
from hullcheck.imagecheck.context import CheckContext, Instruction
from hullcheck.model.checks import Misconfiguration

_EVIDENCE_CHARS = 200

# ADD [--flags] <src>... where a source is a URL (a git URL counts: also fetched unverified).
_ADD_URL = re2.compile(r"(?:^|\s)((?:https?|ftp)://\S+|git@\S+)")
_ADD_CHECKSUM = re2.compile(r"--checksum=")

_INTERPRETER = r"(?:sudo\s+(?:-\S+\s+)*)?(?:env\s+(?:\S+=\S*\s+)*)?(?:/usr)?(?:/bin/)?" \
    r"(?:ba|da|z|k|c|tc|fi|a)?sh|(?:/usr)?(?:/bin/)?(?:python[0-9.]*|perl|ruby|node|php)"
_PIPE_TO_SHELL = re2.compile(
    r"(?i)\b(?:curl|wget|fetch)\b[^|;&\n]*\|\s*(?:" + _INTERPRETER + r")(?:\s|$|;|&|\))"
)
# sh -c "$(curl ...)" and bash <(curl ...) run the download just the same.
_SUBST_TO_SHELL = re2.compile(
    r"(?i)\b(?:" + _INTERPRETER + r")\s+(?:-\S+\s+)*(?:\"?\$\(|<\()\s*(?:curl|wget)\b"
)

_UPGRADE = re2.compile(
    r"(?i)\b(?:"
    r"(?:apt-get|apt|aptitude)\s+(?:-\S+\s+)*(?:upgrade|dist-upgrade|full-upgrade|safe-upgrade)"
    r"|apk\s+(?:-\S+\s+)*upgrade"
    r"|(?:yum|dnf|microdnf|tdnf)\s+(?:-\S+\s+)*(?:upgrade|update|distro-sync)(?:\s+-\S+)*\s*(?:$|&&|;|\|)"
    r"|zypper\s+(?:-\S+\s+)*(?:up|update|dup|dist-upgrade)\b"
    r")"
)
# chmod with an octal mode granting write to others (..2 ..3 ..6 ..7), or o+w / a+w / ugo=rwx.
_CHMOD_WORLD = re2.compile(
    r"\bchmod\s+(?:-\S+\s+)*(?:[0-7]?[0-7][0-7][2367]|[ugo]*[ao][ugo]*[+=][rwxXst]*w[rwxXst]*)(?:\s|$)"
)


def _excerpt(ins: Instruction) -> str:
    text = f"{ins.keyword} {ins.text}"
    return text if len(text) <= _EVIDENCE_CHARS else text[: _EVIDENCE_CHARS - 1] + "…"


def check_add_url(ctx: CheckContext) -> Iterator[Misconfiguration]:
    for ins in ctx.instructions:
        if ins.keyword != "ADD":
            continue
        m = _ADD_URL.search(ins.text)
        if m is None or _ADD_CHECKSUM.search(ins.text):
            continue
        yield C.ADD_URL.finding(
            f"history entry {ins.index} adds {m.group(1)} without a checksum",
            evidence=_excerpt(ins),
            layer_index=ins.layer_index,
        )


def check_pipe_to_shell(ctx: CheckContext) -> Iterator[Misconfiguration]:
    for ins in ctx.instructions:
        if ins.keyword != "RUN":
            continue
        if _PIPE_TO_SHELL.search(ins.text) or _SUBST_TO_SHELL.search(ins.text):
            yield C.PIPE_TO_SHELL.finding(
                f"history entry {ins.index} runs a downloaded script without verifying it",
                evidence=_excerpt(ins),
                layer_index=ins.layer_index,
            )


def _run_matches(ctx: CheckContext, pattern: Any, check: Any, message: str) -> Iterator[Misconfiguration]:
    """One finding per RUN entry that ``pattern`` matches; ``message`` gets ``index`` and ``match``."""
    for ins in ctx.instructions:
        if ins.keyword != "RUN":
            continue
        m = pattern.search(ins.text)
        if m:
            yield check.finding(
                message.format(index=ins.index, match=m.group(0).strip()),
                evidence=_excerpt(ins),
                layer_index=ins.layer_index,
            )


def check_upgrade(ctx: CheckContext) -> Iterator[Misconfiguration]:
    return _run_matches(ctx, _UPGRADE, C.SYSTEM_UPGRADE, "history entry {index} upgrades every package: `{match}`")


def check_chmod(ctx: CheckContext) -> Iterator[Misconfiguration]:
    return _run_matches(ctx, _CHMOD_WORLD, C.CHMOD_WORLD, "history entry {index} runs `{match}`")
