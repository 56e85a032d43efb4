"""Options several commands share: registry access and the platform."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import typer

from hullcheck.errors import UsageError

INSECURE = typer.Option(
    None, "--insecure-registry", help="HOST[:PORT] to reach over plain HTTP or unverified TLS (repeatable)"
)
USERNAME = typer.Option(None, "--username", envvar="HULLCHECK_REGISTRY_USERNAME", help="registry user")
PASSWORD_STDIN = typer.Option(False, "--password-stdin", help="read the registry password from standard input")
PLATFORM = typer.Option(None, "--platform", help="OS/ARCH or OS/ARCH/VARIANT, default the host's")


def registry_options(insecure: list[str] | None, username: str | None, password_stdin: bool) -> Any:
    from hullcheck.image.registry import RegistryOptions

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    observer = None
    if sys.stderr.isatty():
        from hullcheck.cli.progress import TerminalDownloads

        observer = TerminalDownloads()
    return RegistryOptions.from_env(
        insecure_registries=tuple(insecure) if insecure else None,
        username=username,
        password=password,
        observer=observer,
    )


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same directory, so readers never see half a file
    (a device or FIFO is written directly)."""
    path = path.absolute()
    if path.is_dir():
        raise UsageError(f"{path} is a directory")
    if path.exists() and not path.is_file():
        # /dev/null, /dev/stdout, a FIFO: written to, never replaced by a regular file
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as e:
            raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
        return
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


def parse_outputs(specs: list[str] | None, known: Any) -> list[tuple[str, str | None]]:
    """``--format NAME[=FILE]`` values -> (name, file or None for stdout); at most one on stdout."""
    outputs: list[tuple[str, str | None]] = []
    for spec in specs or ["table"]:
        name, _, target = spec.partition("=")
        if name not in known:
            raise UsageError(f"unknown format {name!r} (choose from {', '.join(known)})")
        outputs.append((name, target or None))
    if sum(1 for _, t in outputs if t is None) > 1:
        raise UsageError("only one format can go to standard output; give the others a file: --format json=out.json")
    return outputs
