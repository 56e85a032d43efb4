"""Options several commands share: registry access and the platform."""

from __future__ import annotations

import sys
from typing import Any

import typer

INSECURE = typer.Option(
    None, "--insecure-registry", help="HOST[:PORT] to reach over plain HTTP or unverified TLS (repeatable)"
)
USERNAME = typer.Option(None, "--username", envvar="HULLCHECK_REGISTRY_USERNAME", help="registry user")
PASSWORD_STDIN = typer.Option(False, "--password-stdin", help="read the registry password from standard input")
PLATFORM = typer.Option(None, "--platform", help="OS/ARCH or OS/ARCH/VARIANT, default the host's")


def registry_options(insecure: list[str] | None, username: str | None, password_stdin: bool) -> Any:
    from hullcheck.image.registry import RegistryOptions

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    return RegistryOptions.from_env(
        insecure_registries=tuple(insecure) if insecure else None, username=username, password=password
    )
