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


class TerminalDownloads:
    """Registry download progress (a PullObserver): a bar per layer while any is downloading.

    Started on the first download and stopped when none is left, so commands need no extra
    context; methods are called from download threads, hence the lock.
    """

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}

    def blob_started(self, digest: str, size: int) -> None:
        with self._lock:
            if self._progress is None:
                from rich.console import Console
                from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

                self._progress = Progress(
                    TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                    console=Console(stderr=True), transient=True,
                )
                self._progress.start()
            self._tasks[digest] = self._progress.add_task(f"pull {digest[7:19]}", total=size or None)

    def blob_progress(self, digest: str, nbytes: int) -> None:
        with self._lock:
            task = self._tasks.get(digest)
            if task is not None and self._progress is not None:
                self._progress.advance(task, nbytes)

    def blob_done(self, digest: str, cached: bool) -> None:
        with self._lock:
            task = self._tasks.pop(digest, None)
            if task is not None and self._progress is not None:
                self._progress.remove_task(task)
            if not self._tasks and self._progress is not None:
                self._progress.stop()
                self._progress = None
