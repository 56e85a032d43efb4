"""Dockerfiles: parsed into instructions (with line numbers), and the security-relevant rules."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hullcheck.model.finding import SeverityLevel
from hullcheck.model.violation import ResourceRef
from hullcheck.policy.production import _DIGEST, registry_allowed
from hullcheck.policy.rules import Context, Hit, Rule

MAX_INSTRUCTIONS = 100_000
_DIRECTIVE = re.compile(r"#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*\Z")
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")


@dataclass(frozen=True)
class Instruction:
    line: int  # 1-based line of the instruction's first line
    keyword: str  # upper case: FROM, RUN, ...
    args: str  # the arguments, continuation lines joined; heredoc bodies appended


@dataclass(frozen=True)
class Dockerfile:
    resource: ResourceRef  # kind "Dockerfile", name = the file path
    instructions: tuple[Instruction, ...]


def is_dockerfile_name(name: str) -> bool:
    n = name.lower()
    return n in ("dockerfile", "containerfile") or n.endswith(".dockerfile") or n.startswith("dockerfile.")


def parse_dockerfile(text: str) -> list[Instruction]:
    """Logical instructions: comments dropped, escaped line ends joined (``# escape=`` honoured),
    heredoc bodies (``RUN <<EOF``) kept with their instruction."""
    lines = text.splitlines()
    escape = "\\"
    i = 0
    # parser directives: only at the very top, before any instruction or other comment
    while i < len(lines):
        m = _DIRECTIVE.match(lines[i].strip())
        if not m:
            break
        if m.group(1).lower() == "escape" and m.group(2) in ("\\", "`"):
            escape = m.group(2)
        i += 1
    out: list[Instruction] = []
    while i < len(lines):
        raw = lines[i]
        start = i + 1
        i += 1
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parts = [stripped]
        while parts[-1].endswith(escape) and i < len(lines):
            parts[-1] = parts[-1][:-1]
            # comment and blank lines inside a continued instruction are dropped, as Docker does
            while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
                i += 1
            if i < len(lines):
                parts.append(lines[i].strip())
                i += 1
        logical = " ".join(p for p in parts if p).strip()
        keyword, _, args = logical.partition(" ")
        for m in _HEREDOC.finditer(args) if keyword.upper() in ("RUN", "COPY", "ADD") else ():
            strip_tabs, word = m.group(1) == "-", m.group(3)
            body: list[str] = []
            while i < len(lines):
                line = lines[i]
                i += 1
                if (line.lstrip("\t") if strip_tabs else line) == word:
                    break
                body.append(line)
            args += "\n" + "\n".join(body)
        out.append(Instruction(start, keyword.upper(), args.strip()))
        if len(out) > MAX_INSTRUCTIONS:
            raise ValueError(f"more than {MAX_INSTRUCTIONS} instructions")
    return out


def _flags(args: str) -> tuple[dict[str, str], str]:
    """``--name=value`` flags at the start of the arguments, and the rest."""
    flags: dict[str, str] = {}
    rest = args
    while rest.startswith("--"):
        word, _, rest = rest.partition(" ")
        name, _, value = word[2:].partition("=")
        flags[name.lower()] = value
        rest = rest.lstrip()
    return flags, rest


@dataclass(frozen=True)
class Stage:
    index: int
    image: str
    name: str
    line: int


def stages(df: Dockerfile) -> list[Stage]:
    out: list[Stage] = []
    for ins in df.instructions:
        if ins.keyword == "FROM":
            _, rest = _flags(ins.args)
            words = rest.split()
            if not words:
                continue
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else ""
            out.append(Stage(len(out), words[0], name.lower(), ins.line))
    return out


def _hit(df: Dockerfile, ins: Instruction, message: str, stage: str = "") -> Hit:
    return Hit(message, f"line {ins.line}: {ins.keyword}", stage)


def check_user(df: Dockerfile, ctx: Context) -> Iterator[Hit]:
    """The final stage must switch to a non-root USER (the last USER wins)."""
    last_from: Instruction | None = None
    user: Instruction | None = None
    for ins in df.instructions:
        if ins.keyword == "FROM":
            last_from, user = ins, None
        elif ins.keyword == "USER":
            user = ins
    if last_from is None:
        return
    if user is None:
        yield _hit(df, last_from, "the final stage never sets USER: the container runs as the image's user (root?)")
    elif re.fullmatch(r"(root|0)(:\S*)?", user.args.strip()):
        yield _hit(df, user, f"USER {user.args.strip()} runs the container as root")


def check_add_url(df: Dockerfile, ctx: Context) -> Iterator[Hit]:
    for ins in df.instructions:
        if ins.keyword == "ADD":
            flags, rest = _flags(ins.args)
            for src in rest.split()[:-1]:
                if re.match(r"(https?|ftp)://", src, re.I):
                    extra = "" if "checksum" in flags else " without --checksum"
                    yield _hit(df, ins, f"ADD downloads {src}{extra}: use a verified download in RUN or COPY")


_PIPE_TO_SHELL = re.compile(
    r"\b(curl|wget)\b[^|;&\n]*\|\s*(sudo\s+(-\S+\s+)*)?(env\s+\S+\s+)?(ba|z|k|da|a)?sh\b"
    r"|\b(curl|wget)\b[^|;&\n]*\|\s*(sudo\s+)?(python[0-9.]*|perl|ruby|node)\b"
    r"|\b(ba|z|da)?sh\s+-c\s+[\"']?\$\((curl|wget)\b"
    r"|\b(ba|z|da)?sh\s+<\(\s*(curl|wget)\b",
    re.I,
)


def check_curl_pipe_shell(df: Dockerfile, ctx: Context) -> Iterator[Hit]:
    for ins in df.instructions:
        if ins.keyword == "RUN" and _PIPE_TO_SHELL.search(ins.args):
            yield _hit(df, ins, "RUN pipes a download into a shell (curl | sh): the script is not verified")


def _image_tag(image: str) -> str | None:
    name = image.split("@", 1)[0]
    slash, colon = name.rfind("/"), name.rfind(":")
    return name[colon + 1:] if colon > slash else None


def _external(image: str, names: set[str]) -> bool:
    low = image.lower()
    return low != "scratch" and low not in names and "$" not in image


def check_from_latest(df: Dockerfile, ctx: Context) -> Iterator[Hit]:
    names: set[str] = set()
    by_line = {i.line: i for i in df.instructions}
    for st in stages(df):
        if _external(st.image, names) and not _DIGEST.search(st.image):
            tag = _image_tag(st.image)
            if tag is None or tag == "latest":
                yield _hit(df, by_line[st.line], f"FROM {st.image} uses {'latest' if tag else 'no tag (latest)'}",
                           st.name)
        if st.name:
            names.add(st.name)


def check_from_digest(df: Dockerfile, ctx: Context) -> Iterator[Hit]:
    names: set[str] = set()
    by_line = {i.line: i for i in df.instructions}
    for st in stages(df):
        if _external(st.image, names) and not _DIGEST.search(st.image):
            yield _hit(df, by_line[st.line], f"FROM {st.image} is not pinned by digest", st.name)
        if st.name:
            names.add(st.name)


def check_registries(df: Dockerfile, ctx: Context) -> Iterator[Hit]:
    """FROM images and ``COPY --from=IMAGE`` (an image, not an earlier stage) from allowed registries."""
    allowed = [str(x) for x in ctx.params.get("allowed_registries") or []]
    names: set[str] = set()
    count = 0
    for ins in df.instructions:
        if ins.keyword == "FROM":
            st = stages(Dockerfile(df.resource, (ins,)))
            if st:
                if _external(st[0].image, names) and not registry_allowed(st[0].image, allowed):
                    yield _hit(df, ins, f"FROM {st[0].image} is not from an allowed registry", st[0].name)
                if st[0].name:
                    names.add(st[0].name)
                count += 1
        elif ins.keyword == "COPY":
            flags, _ = _flags(ins.args)
            src = flags.get("from")
            if src and not src.isdigit() and _external(src, names) and not registry_allowed(src, allowed):
                yield _hit(df, ins, f"COPY --from={src} copies from an image that is not from an allowed registry")


_SECRET_NAME = re.compile(r"(pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|credential)",
                          re.I)


def _assignments(keyword: str, args: str) -> Iterator[tuple[str, str]]:
    try:
        words = shlex.split(args, posix=True)
    except ValueError:
        words = args.split()
    if keyword == "ENV" and words and "=" not in words[0]:
        yield words[0], " ".join(words[1:])  # legacy form: ENV KEY VALUE
        return
    for w in words:
        key, eq, value = w.partition("=")
        yield key, value if eq else ""


def check_secrets(df: Dockerfile, ctx: Context) -> Iterator[Hit]:
    for ins in df.instructions:
        if ins.keyword in ("ENV", "ARG"):
            for key, value in _assignments(ins.keyword, ins.args):
                if value and _SECRET_NAME.search(key) and not value.startswith("$"):
                    yield _hit(df, ins, f"{ins.keyword} {key} holds a secret-looking value: it stays in the image "
                                        "metadata; use a build secret (RUN --mount=type=secret)")


H, M = SeverityLevel.HIGH, SeverityLevel.MEDIUM
REF = ("hullcheck production profile", "CIS Docker Benchmark 4.1, 4.9, 4.10")


def _rule(rid: str, title: str, sev: SeverityLevel, why: str, fix: str, fn: Any, **kw: Any) -> Rule:
    return Rule(rid, title, sev, why, fix, fn, REF, target="dockerfile", **kw)


DOCKERFILE_RULES: tuple[Rule, ...] = (
    _rule("HC-DF-001", "Dockerfile runs as root", H, "Without a non-root USER the container runs as root.",
          "Add USER <non-root uid> to the final stage.", check_user),
    _rule("HC-DF-002", "ADD from a URL", M, "ADD downloads without verification and hides what was fetched.",
          "Download in RUN with a checksum check, or COPY a vendored file.", check_add_url),
    _rule("HC-DF-003", "Download piped into a shell", H, "curl | sh runs whatever the server sends.",
          "Download, verify a checksum or signature, then run.", check_curl_pipe_shell),
    _rule("HC-DF-004", "FROM latest or untagged", M, "latest changes under you; builds are not reproducible.",
          "Pin the base image by tag and digest.", check_from_latest),
    _rule("HC-DF-005", "FROM not pinned by digest", M, "Only a digest names exactly the base image that was checked.",
          "Use FROM name:tag@sha256:<digest>.", check_from_digest),
    _rule("HC-DF-006", "Base image from a registry that is not allowed", H,
          "Base images and COPY --from images must come from the private registry.",
          "Mirror the image into an allowed registry.", check_registries, params={"allowed_registries": []}),
    _rule("HC-DF-007", "Secret in ENV or ARG", H, "ENV and ARG values are stored in the image config and history.",
          "Use build secrets (RUN --mount=type=secret) or runtime configuration.", check_secrets),
)
