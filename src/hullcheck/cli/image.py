"""``hullcheck image ...``: look at an image without scanning it."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import typer

from hullcheck.cli.common import INSECURE, PASSWORD_STDIN, PLATFORM, USERNAME, registry_options
from hullcheck.errors import UsageError

REF_HELP = (
    "docker-archive:PATH, oci-archive:PATH, oci:DIR[:TAG|@DIGEST], rootfs:DIR, "
    "a registry reference, or a bare path."
)

app = typer.Typer(help="Inspect images.", no_args_is_help=True)


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


def metadata_json(meta: Any) -> dict[str, Any]:
    d = asdict(meta)
    d["platform"] = str(meta.platform)
    d["labels"] = dict(meta.labels)
    return d


@app.command("inspect")
def inspect(
    ref: str = typer.Argument(..., help=REF_HELP),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
    platform: str = PLATFORM,
    insecure: list[str] = INSECURE,
    username: str = USERNAME,
    password_stdin: bool = PASSWORD_STDIN,
) -> None:
    """Show an image's metadata and its layers (size, diff_id, created_by)."""
    from hullcheck.image.open import open_image
    from hullcheck.image.platform import parse_platform

    if fmt not in ("table", "json"):
        raise UsageError(f"unknown format {fmt!r} (table, json)")
    # stream_layers: nothing here reads a layer, so a registry image's layers are not downloaded
    with open_image(ref, platform=parse_platform(platform) if platform else None,
                    registry_options=registry_options(insecure, username, password_stdin),
                    stream_layers=True) as img:
        meta = img.metadata
    if fmt == "json":
        typer.echo(json.dumps(metadata_json(meta), indent=2))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{escape(meta.ref)}[/bold]  {meta.platform}")
    for label, value in (
        ("manifest", meta.manifest_digest),
        ("config", meta.config_digest),
        ("created", meta.created),
        ("user", meta.user or "(root)"),
        ("entrypoint", " ".join(meta.entrypoint) if meta.entrypoint else None),
        ("cmd", " ".join(meta.cmd) if meta.cmd else None),
        ("ports", ", ".join(meta.exposed_ports) or None),
        ("tags", ", ".join(meta.repo_tags) or None),
    ):
        if value:
            console.print(f"  {label:<11} {escape(str(value))}")
    table = Table(show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("size", justify="right")
    table.add_column("diff_id")
    table.add_column("created by", overflow="fold")
    for layer in meta.layers:
        table.add_row(str(layer.index), _human(layer.size), layer.diff_id[:19], layer.created_by[:200])
    console.print(table)


@app.command("ls")
def list_files(
    ref: str = typer.Argument(..., help=REF_HELP),
    all_layers: bool = typer.Option(False, "--all-layers", help="every file of every layer, deleted ones too"),
    platform: str = PLATFORM,
    fmt: str = typer.Option("text", "--format", "-f", help="text or json"),
    insecure: list[str] = INSECURE,
    username: str = USERNAME,
    password_stdin: bool = PASSWORD_STDIN,
) -> None:
    """List the files of an image with the layer each comes from (reads every layer once)."""
    from hullcheck.image.filesystem import FileEntry, SquashedView, all_files
    from hullcheck.image.open import open_image
    from hullcheck.image.platform import parse_platform

    if fmt not in ("text", "json"):
        raise UsageError(f"unknown format {fmt!r} (text, json)")
    from hullcheck.cli.progress import layer_progress

    # stream_layers: a registry image's layers are read as they download
    with open_image(ref, platform=parse_platform(platform) if platform else None,
                    registry_options=registry_options(insecure, username, password_stdin),
                    stream_layers=True) as img, layer_progress(len(img.metadata.layers)) as obs:
        scans = img.scan(observer=obs)
    entries: Iterator[FileEntry] = all_files(scans) if all_layers else SquashedView(scans).sorted_entries()
    # Streamed, one entry per line: a listing of a million files must not be built in memory.
    out = sys.stdout
    if fmt == "json":
        out.write("[")
        sep = "\n"
        for e in entries:
            item = {"path": e.path, "kind": e.kind, "size": e.size, "mode": f"{e.mode:o}", "layer": e.layer}
            if e.linkname:
                item["link"] = e.linkname
            out.write(sep + json.dumps(item))
            sep = ",\n"
        out.write("\n]\n")
        return
    for e in entries:
        link = f" -> {e.linkname}" if e.linkname else ""
        out.write(f"{e.layer:>3} {e.kind} {e.mode:04o} {e.size:>10} {e.path}{link}\n")
