"""``hullcheck sbom REF``: catalog an image and write its SBOM."""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import threading
from pathlib import Path

import typer

from hullcheck.cli.image import REF_HELP
from hullcheck.errors import UsageError
from hullcheck.image.walk import LayerScan


class _Progress:
    """Layer progress on stderr (the CLI's observer; library code never prints)."""

    def __init__(self) -> None:
        self.done = 0
        self._lock = threading.Lock()  # layers finish on worker threads

    def layer_started(self, index: int, size: int) -> None:
        pass

    def layer_done(self, index: int, scan: LayerScan) -> None:
        with self._lock:
            self.done += 1
            sys.stderr.write(f"\rhullcheck: {self.done} layer(s) read")
            sys.stderr.flush()

    def finish(self) -> None:
        if self.done:
            sys.stderr.write("\n")


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same directory, so readers never see half a file."""
    path = path.absolute()
    if path.is_dir():
        raise UsageError(f"{path} is a directory")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sbom(
    ref: str = typer.Argument(..., help=REF_HELP + " Or sbom:FILE to convert an SBOM."),
    fmt: str = typer.Option("cyclonedx-json", "--format", "-f", help="cyclonedx-json, spdx-json or json"),
    output: Path = typer.Option(None, "--output", "-o", help="write to FILE (atomically); - or none: stdout"),
    platform: str = typer.Option(None, "--platform", help="OS/ARCH or OS/ARCH/VARIANT (default: the host's)"),
) -> None:
    """Catalog every package of an image and write a CycloneDX, SPDX or hullcheck JSON SBOM.

    ``sbom:FILE`` as the reference converts an existing SBOM (hullcheck, CycloneDX or SPDX JSON).
    """
    from hullcheck.format import WRITERS, read_sbom, render
    from hullcheck.inventory import inventory

    try:
        from hullcheck.image.platform import parse_platform
    except ImportError:  # the sbom branch's base predates image.platform; drop this after the merge
        parse_platform = importlib.import_module("hullcheck.image.manifest").parse_platform

    if fmt not in WRITERS:
        raise UsageError(f"unknown SBOM format {fmt!r} ({', '.join(WRITERS)})")
    if ref.startswith("sbom:"):
        doc = read_sbom(ref[len("sbom:"):])
        metadata, catalog = doc.source, doc.catalog
    else:
        progress = _Progress() if sys.stderr.isatty() else None
        try:
            inv = inventory(ref, platform=parse_platform(platform) if platform else None, observer=progress)
        finally:
            if progress is not None:
                progress.finish()
        metadata, catalog = inv.metadata, inv.catalog
    text = render(fmt, metadata, catalog)
    if output is None or str(output) == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))  # UTF-8 whatever the locale says
        sys.stdout.buffer.flush()
    else:
        write_atomic(output, text)
