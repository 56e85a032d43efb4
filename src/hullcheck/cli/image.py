"""``hullcheck image ...``: look at an image without scanning it."""

from __future__ import annotations

import typer

app = typer.Typer(help="Inspect images.", no_args_is_help=True)


@app.command("inspect")
def inspect(
    ref: str = typer.Argument(..., help="Image reference (docker-archive:, oci-archive:, oci:, rootfs:, or registry)."),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
) -> None:
    """Show an image's metadata and its layers (size, diff_id, created_by)."""
    from hullcheck.errors import UsageError

    raise UsageError("image inspect is not implemented yet")
