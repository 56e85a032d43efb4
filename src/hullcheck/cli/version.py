"""``hullcheck version ...``: compare versions the way matching compares them."""

from __future__ import annotations

import typer

app = typer.Typer(help="Compare package versions by ecosystem rules.", no_args_is_help=True)

_SYMBOL = {-1: "<", 0: "=", 1: ">"}


@app.command("compare")
def compare(
    ecosystem: str = typer.Argument(..., help="OSV ecosystem: Debian:12, Alpine, PyPI, npm..."),
    a: str = typer.Argument(..., help="First version."),
    b: str = typer.Argument(..., help="Second version."),
) -> None:
    """Print <, = or > as A sorts before, with, or after B in ECOSYSTEM."""
    from hullcheck import versions

    typer.echo(_SYMBOL[versions.compare(ecosystem, a, b)])
