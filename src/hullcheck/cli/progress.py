"""Progress display for the CLI: a rich bar on a terminal, nothing otherwise.

Library code never prints; it reports to an observer, and this is the CLI's observer.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hullcheck.image.walk import LayerScan


class LayerProgress:
    def __init__(self, progress: Any, total_layers: int) -> None:
        self._p = progress
        self._task = progress.add_task("reading layers", total=total_layers or None)

    def layer_started(self, index: int, size: int) -> None:
        pass

    def layer_done(self, index: int, scan: LayerScan) -> None:
        self._p.advance(self._task)


class _Null:
    def layer_started(self, index: int, size: int) -> None:
        pass

    def layer_done(self, index: int, scan: LayerScan) -> None:
        pass


@contextmanager
def layer_progress(total_layers: int, *, enabled: bool | None = None) -> Iterator[LayerProgress | _Null]:
    show = sys.stderr.isatty() if enabled is None else enabled
    if not show:
        yield _Null()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=True,
    ) as p:
        yield LayerProgress(p, total_layers)
