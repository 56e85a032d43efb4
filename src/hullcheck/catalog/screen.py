"""Whether a file too large to hold in memory can matter to the analyzers that want it.

Large executables and libraries (60 MB shared objects in Python wheels, Go toolchains) are
wanted by the Go and Rust binary analyzers, which learn something from one file in hundreds.
Rather than spooling each to disk, the file is judged on its way past in the layer stream:
- an ELF file by its section-name table (``section_names``: with a name table, Go always
  writes ``.go.buildinfo`` and cargo-auditable ``.dep-v0``), keeping a few KiB;
- anything else by searching every byte for the analyzers' ``content_markers``.
A file that may matter is read again in a second pass over the layer (see ``image.walk``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from hullcheck.catalog.exeformat import elf_names_reachable, elf_section_names_forward
from hullcheck.catalog.interface import Analyzer


class EntryReader(Protocol):
    """The current entry of a layer stream, read forward only."""

    def peek(self, n: int) -> bytes: ...

    def read(self, limit: int | None = None) -> bytes: ...

    def skip_data(self, n: int) -> None: ...

    def contains_any(self, needles: tuple[bytes, ...]) -> bool: ...


def _declared(wanting: Sequence[Analyzer], attr: str) -> tuple[bytes, ...] | None:
    out: list[bytes] = []
    for a in wanting:
        values = getattr(a, attr, None)
        if not values:
            return None
        out.extend(values)
    return tuple(out)


def content_markers(wanting: Sequence[Analyzer]) -> tuple[bytes, ...] | None:
    """The byte strings without which none of ``wanting`` can learn anything from a file, or None
    when one of them declares none (then the file must be read whole)."""
    return _declared(wanting, "content_markers")


def may_hold(entry: EntryReader, wanting: Sequence[Analyzer], markers: tuple[bytes, ...], size: int) -> bool:
    """Whether the entry may hold what ``wanting`` look for (``markers``: their content
    markers), consuming it. True may be wrong (the caller reads the file again); False is not."""
    sections = _declared(wanting, "section_names")
    if sections is not None:
        head = entry.peek(64)
        if elf_names_reachable(head, size):
            names = elf_section_names_forward(entry.read(64), entry.read, entry.skip_data, size)
            # None: the names went by unseen (a table pointing backwards); only a second
            # reading can tell
            return names is None or any(s in names for s in sections)
    return entry.contains_any(markers)
