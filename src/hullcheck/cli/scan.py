"""``hullcheck scan REF``: image -> packages -> vulnerabilities -> reports and an exit code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from hullcheck.cli.common import (
    INSECURE,
    PASSWORD_STDIN,
    PLATFORM,
    USERNAME,
    parse_outputs,
    registry_options,
    write_atomic,
)
from hullcheck.cli.image import REF_HELP
from hullcheck.errors import UsageError
from hullcheck.match import DEFAULT_IGNORE_NAME as DEFAULT_IGNORE
from hullcheck.model.finding import SeverityLevel

if TYPE_CHECKING:
    from hullcheck.match.ignore import IgnoreEntry


def _levels(text: str) -> frozenset[SeverityLevel]:
    try:
        return frozenset(SeverityLevel(x.strip().lower()) for x in text.split(",") if x.strip())
    except ValueError:
        raise UsageError(f"invalid severity list {text!r}: use {', '.join(s.value for s in SeverityLevel)}") from None


def scan(
    ref: str = typer.Argument(..., help=REF_HELP),
    formats: list[str] = typer.Option(
        None, "--format", "-f",
        help="FORMAT or FORMAT=FILE; repeatable (table, json, sarif, cyclonedx, junit, markdown, html). "
        "Default: table.",
    ),
    ignorefile: Path = typer.Option(
        None, "--ignorefile", envvar="HULLCHECK_IGNOREFILE",
        help=f"ignore file (YAML); default {DEFAULT_IGNORE} in the current directory if present",
    ),
    vex: list[Path] = typer.Option(None, "--vex", help="OpenVEX or CycloneDX VEX document; repeatable"),
    policy: Path = typer.Option(
        None, "--policy", "-p", help="policy file (apiVersion: hullcheck.dev/v1): its ignore: entries apply too",
    ),
    db: Path = typer.Option(None, "--db", envvar="HULLCHECK_DB", help="advisory database file"),
    severity: str = typer.Option(None, "--severity", help="only these severities, e.g. critical,high"),
    ignore_unfixed: bool = typer.Option(False, "--ignore-unfixed", help="drop findings without a fixed version"),
    fail_on: str = typer.Option(
        None, "--fail-on", help="exit non-zero if a finding at or above this remains after the ignore file and VEX",
    ),
    exit_code: int = typer.Option(1, "--exit-code", help="the exit code for --fail-on"),
    scanners: str = typer.Option("vuln,secret,config", "--scanners", help="any of vuln, secret, config"),
    secret_rules: Path = typer.Option(None, "--secret-config", help="custom secret rules (YAML)"),
    platform: str = PLATFORM,
    insecure: list[str] = INSECURE,
    username: str = USERNAME,
    password_stdin: bool = PASSWORD_STDIN,
) -> None:
    """Scan an image (or sbom:FILE) for vulnerable packages, secrets and configuration problems."""
    from hullcheck.cli.progress import layer_progress
    from hullcheck.image.platform import parse_platform
    from hullcheck.report import REPORT_FORMATS
    from hullcheck.scan import ScanOptions
    from hullcheck.scan import scan as run_scan

    outputs = parse_outputs(formats, REPORT_FORMATS)
    gate = _levels(fail_on) if fail_on else None
    if gate is not None and len(gate) != 1:
        raise UsageError("--fail-on takes one severity")
    from hullcheck.scan import SCANNERS

    chosen = frozenset(x.strip() for x in scanners.split(",") if x.strip())
    if not chosen or chosen - set(SCANNERS):
        raise UsageError(f"invalid --scanners {scanners!r}: choose from {', '.join(SCANNERS)}")
    if secret_rules is not None and not secret_rules.is_file():
        raise UsageError(f"secret rules file {secret_rules} not found")
    opts = ScanOptions(
        scanners=chosen,
        secret_rules=secret_rules,
        db_path=db,
        platform=parse_platform(platform) if platform else None,
        severities=_levels(severity) if severity else None,
        ignore_unfixed=ignore_unfixed,
        registry_options=registry_options(insecure, username, password_stdin),
        ignore_file=_ignore_file(ignorefile),
        ignore_entries=_policy_ignore(policy),
        vex_files=tuple(vex or ()),
    )
    with layer_progress(0) as obs:
        report = run_scan(ref, opts, observer=obs)
    for w in report.warnings:
        print(f"hullcheck: warning: {w}", file=sys.stderr)
    for name, dest in outputs:
        text = REPORT_FORMATS[name](report)
        if dest:
            write_atomic(Path(dest), text)
        else:
            sys.stdout.write(text)
    if gate is not None:
        (level,) = gate
        if report.failing(level):  # only what remains after the ignore file and VEX
            raise typer.Exit(exit_code)


def _policy_ignore(policy: Path | None) -> tuple[IgnoreEntry, ...]:
    if policy is None:
        return ()
    from hullcheck.policy.config import load_policy

    return load_policy(policy).ignore


def _ignore_file(given: Path | None) -> Path | None:
    if given is not None:
        if not given.is_file():
            raise UsageError(f"ignore file {given} not found")
        return given
    default = Path(DEFAULT_IGNORE)  # relative: reports then say ".hullcheckignore:12"
    return default if default.is_file() else None
