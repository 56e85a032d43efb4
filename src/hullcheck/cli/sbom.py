"""``hullcheck sbom REF``: catalog an image and write its SBOM."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from hullcheck.cli.common import INSECURE, PASSWORD_STDIN, PLATFORM, USERNAME, registry_options, write_atomic
from hullcheck.cli.image import REF_HELP
from hullcheck.errors import UsageError


def sbom(
    ref: str = typer.Argument(..., help=REF_HELP + " Or sbom:FILE to convert an SBOM."),
    fmt: str = typer.Option("cyclonedx-json", "--format", "-f", help="cyclonedx-json, spdx-json or json"),
    output: Path = typer.Option(None, "--output", "-o", help="write to FILE (atomically); - or none: stdout"),
    platform: str = PLATFORM,
    insecure: list[str] = INSECURE,
    username: str = USERNAME,
    password_stdin: bool = PASSWORD_STDIN,
) -> None:
    """Catalog every package of an image and write a CycloneDX, SPDX or hullcheck JSON SBOM.

    ``sbom:FILE`` as the reference converts an existing SBOM (hullcheck, CycloneDX or SPDX JSON).
    """
    from hullcheck.cli.progress import layer_progress
    from hullcheck.format import WRITERS, read_sbom, render
    from hullcheck.image.platform import parse_platform
    from hullcheck.inventory import inventory

    if fmt not in WRITERS:
        raise UsageError(f"unknown SBOM format {fmt!r} ({', '.join(WRITERS)})")
    if ref.startswith("sbom:"):
        doc = read_sbom(ref[len("sbom:"):])
        metadata, catalog = doc.source, doc.catalog
    else:
        if fmt != "json":  # CycloneDX and SPDX name licenses by SPDX id
            from hullcheck.format.licenses import warm_up

            warm_up()
        with layer_progress(0) as progress:
            inv = inventory(
                ref,
                platform=parse_platform(platform) if platform else None,
                observer=progress,
                registry_options=registry_options(insecure, username, password_stdin),
            )
        metadata, catalog = inv.metadata, inv.catalog
    text = render(fmt, metadata, catalog)
    if output is None or str(output) == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))  # UTF-8 whatever the locale says
        sys.stdout.buffer.flush()
    else:
        write_atomic(output, text)
