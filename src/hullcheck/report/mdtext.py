"""Markdown building blocks for pull-request comments (``scan`` and ``check`` share them).

Everything taken from user input is escaped: no raw HTML, no table breaks, no ``@mentions``
(names such as ``@babel/core`` would notify people), no links. The text is kept under GitHub's
comment limit (65,536 characters) by a budget that drops rows and counts them for a closing note.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_CHARS = 60_000
ICON = {"critical": "🟥", "high": "🟧", "medium": "🟨", "low": "🟦", "negligible": "⬜", "unknown": "⬜"}


def esc(text: object) -> str:
    """Plain text inside Markdown (and inside a table cell)."""
    s = " ".join(str(text).split())
    for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "&#124;"), ("@", "&#64;"),
                 ("[", "&#91;"), ("]", "&#93;"), ("`", "&#96;"), ("*", "&#42;"), ("_", "&#95;"), ("\\", "&#92;")):
        s = s.replace(a, b)
    return s


def code(text: object) -> str:
    """A code span: Markdown is inert inside; a backtick or pipe cannot be, so they become look-alikes."""
    s = " ".join(str(text).split()).replace("`", "ˋ").replace("|", "¦")
    return f"`{s}`" if s else ""


def table_head(columns: Sequence[str], right: Sequence[str] = ()) -> list[str]:
    """A table's header and delimiter rows; columns named in ``right`` are right-aligned (numbers)."""
    return ["| " + " | ".join(columns) + " |",
            "|" + "".join(" ---: |" if c in right else " --- |" for c in columns)]


def table_row(cells: Sequence[str]) -> str:
    """One row of already escaped cells."""
    return "| " + " | ".join(cells) + " |"


class Budget:
    """Lines of a comment within ``limit`` characters; optional lines that do not fit are counted."""

    def __init__(self, limit: int) -> None:
        self.parts: list[str] = []
        self.left = limit
        self.dropped = 0

    def add(self, text: str, *, required: bool = False) -> bool:
        if not required and len(text) + 1 > self.left:
            self.dropped += 1
            return False
        self.parts.append(text)
        self.left -= len(text) + 1
        return True

    def text(self) -> str:
        """The comment: its lines, and a closing note when rows were dropped."""
        text = "\n".join(self.parts)
        if self.dropped:
            text += (f"\n> **Note:** {self.dropped} more row(s) did not fit in this comment; "
                     "the full list is in the JSON or SARIF report.\n")
        return text + "\n"
