"""What every check reads: the config, the history as instructions, the final filesystem."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import re2

from hullcheck.image.filesystem import SquashedView
from hullcheck.image.walk import FileRecord, LayerScan
from hullcheck.model import ImageMetadata
from hullcheck.model.package import Package

# History text is attacker-controlled: patterns run on re2 (linear time) over a bounded prefix.
MAX_TEXT = 64 * 1024

_BUILDKIT_SUFFIX = re2.compile(r"\s+#\s*buildkit\s*$")
# `|2 A=1 B=2 ` is how both builders record the build args a RUN saw.
_ARGS_PREFIX = re2.compile(r"^\|(\d{1,3})\s+")
_SHELL_PREFIX = re2.compile(r"^(?:/bin/)?(?:ba)?sh\s+-c\s+")


@dataclass(frozen=True)
class Instruction:
    """One history entry as a Dockerfile instruction: ``keyword`` (``RUN``, ``ADD``...) and the
    rest, with shell wrappers, the buildkit marker and the recorded build args taken off."""

    index: int  # position in the config's history
    keyword: str
    text: str
    build_args: tuple[tuple[str, str], ...]
    layer_index: int | None
    raw: str


def parse_instruction(index: int, created_by: str, layer_index: int | None = None) -> Instruction:
    s = created_by[:MAX_TEXT].strip()
    s = _BUILDKIT_SUFFIX.sub("", s)
    keyword = ""
    if s.startswith("RUN "):  # buildkit: "RUN |1 A=b /bin/sh -c cmd" or "RUN /bin/sh -c cmd"
        keyword, s = "RUN", s[4:].lstrip()
    args: list[tuple[str, str]] = []
    m = _ARGS_PREFIX.match(s)
    if m:
        count = int(m.group(1))
        rest = s[m.end():]
        for _ in range(count):
            token, _sep, rest = rest.partition(" ")
            key, eq, value = token.partition("=")
            if not eq:
                break
            args.append((key, value))
        s = rest.lstrip()
    nop = s.find("#(nop)")  # classic builder: "/bin/sh -c #(nop)  ENV A=b" for non-RUN steps
    # (only when nothing but the shell comes before the marker: a RUN may echo "#(nop)")
    if nop != -1 and _SHELL_PREFIX.match(s[:nop]) is not None and s[:nop].strip().endswith("-c"):
        s = s[nop + 6:].strip()
        keyword = ""
    else:
        shell = _SHELL_PREFIX.match(s)
        if shell:
            keyword, s = "RUN", s[shell.end():]
    if not keyword:
        head, _sep, tail = s.partition(" ")
        if head.isupper() and head.isalpha():
            keyword, s = head, tail.strip()
        else:
            keyword = "RUN"  # other builders (kaniko, podman) may record the bare command
    return Instruction(index, keyword, s, tuple(args), layer_index, created_by)


@dataclass
class CheckContext:
    metadata: ImageMetadata
    scans: Sequence[LayerScan]
    packages: Sequence[Package] = ()
    view: SquashedView | None = None  # the squashed filesystem, when the caller built it already

    @property
    def has_config(self) -> bool:
        """False for a plain root filesystem, which has no USER, history or labels to judge."""
        return self.metadata.config_digest is not None

    @cached_property
    def final(self) -> SquashedView:
        """What a container sees: which layer's copy of a path is visible."""
        return self.view if self.view is not None else SquashedView(self.scans)

    def candidates(self, want: Callable[[FileRecord], bool]) -> dict[str, tuple[FileRecord, int]]:
        """Path -> (last record, its layer) over every layer, for the records ``want`` selects.

        ``want`` runs on every record of every layer, so it must be cheap; ``visible`` then
        checks the few hits against the final filesystem."""
        return {rec[0]: (rec, scan.index) for scan in self.scans for rec in scan.files if want(rec)}

    def visible(self, candidates: dict[str, tuple[FileRecord, int]]) -> Iterator[tuple[FileRecord, int]]:
        """The candidates (path -> last record seen and its layer) still in the final filesystem."""
        for path, (rec, layer) in candidates.items():
            if self.final.layer_of(path) == layer:
                yield rec, layer

    @cached_property
    def instructions(self) -> tuple[Instruction, ...]:
        return tuple(
            parse_instruction(i, h.created_by, h.layer_index)
            for i, h in enumerate(self.metadata.history)
            if h.created_by
        )


def mask(value: str) -> str:
    """Never show a secret: only its length survives."""
    return f"<masked, {len(value)} chars>" if value else "<empty>"


def capped(items: Sequence[str], limit: int) -> str:
    shown = ", ".join(items[:limit])
    more = len(items) - limit
    return f"{shown} and {more} more" if more > 0 else shown
