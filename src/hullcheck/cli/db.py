"""``hullcheck db ...``: the local advisory database (status, import, export, update, push, pull)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from hullcheck.cli.common import INSECURE, PASSWORD_STDIN, USERNAME, registry_options

app = typer.Typer(help="Manage the local advisory database.", no_args_is_help=True)

_DB_HELP = "Database file (default: $HULLCHECK_DB or <cache>/db/advisories.db)."


def _db_path(db: Path | None) -> Path:
    from hullcheck.advisories.store import default_db_path

    return db if db is not None else default_db_path()


@app.command("status")
def status(
    db: Path | None = typer.Option(None, "--db", help=_DB_HELP),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
    max_age: str | None = typer.Option(
        None,
        "--max-age",
        help="Warn when a source is older than this (e.g. 3d, 72h); $HULLCHECK_DB_MAX_AGE.",
    ),
) -> None:
    """Show schema version, build time and, per source, its origin, time and record counts."""
    from hullcheck.advisories.store import AdvisoryStore, max_age_from_env, parse_age
    from hullcheck.errors import UsageError

    if fmt not in ("table", "json"):
        raise UsageError(f"unknown format {fmt!r}: use table or json")
    limit = parse_age(max_age) if max_age else max_age_from_env()
    with AdvisoryStore.open(_db_path(db)) as store:
        st = store.status()
    warning = st.staleness_warning(limit)
    if fmt == "json":
        out = st.to_json()
        out["stale"] = warning is not None
        out["max_age_seconds"] = int(limit.total_seconds())
        typer.echo(json.dumps(out, indent=2))
    else:
        typer.echo(f"database:        {st.path}")
        typer.echo(f"schema version:  {st.schema_version}")
        typer.echo(f"built at:        {st.built_at}")
        typer.echo(
            f"advisories:      {st.advisories}  (affected entries {st.affected}, "
            f"alias groups {st.alias_groups}, KEV {st.kev}, EPSS {st.epss})"
        )
        typer.echo(f"size:            {st.size_bytes / 1e6:.1f} MB")
        typer.echo("sources:")
        for s in st.sources:
            typer.echo(f"  {s.name}")
            typer.echo(f"    url {s.url}  timestamp {s.timestamp or '-'}  etag {s.etag or '-'}")
            typer.echo(
                f"    files {s.files}  records {s.records}  malformed {s.malformed}  "
                f"duplicates {s.duplicates}  imported {s.imported_at}"
            )
    if warning:
        print(f"hullcheck: warning: {warning}", file=sys.stderr)


@app.command("import")
def import_(
    paths: list[str] = typer.Argument(
        ..., help="Feed files or directories, or one 'db export' file."
    ),
    db: Path | None = typer.Option(None, "--db", help=_DB_HELP),
    fresh: bool = typer.Option(
        False, "--fresh", help="Build from nothing instead of adding to the database."
    ),
) -> None:
    """Import advisories from disk: OSV (JSON, YAML, JSON lines, all.zip), Debian tracker JSON,
    Alpine secdb, CISA KEV, EPSS; or restore a 'db export' file."""
    from hullcheck.advisories.export import import_export, is_export_file
    from hullcheck.advisories.importer import import_paths
    from hullcheck.errors import UsageError

    target = _db_path(db)
    exports = [p for p in paths if Path(p).is_file() and is_export_file(Path(p))]
    if exports:
        if len(paths) != 1:
            raise UsageError("a 'db export' file replaces the whole database: import it on its own")
        header = import_export(Path(exports[0]), target)
        typer.echo(
            f"restored {target} from {exports[0]} "
            f"(built {header.get('built_at')}, checksum verified)"
        )
        return
    for p in paths:
        if not Path(p).exists():
            raise UsageError(f"no such file or directory: {p}")
    counter = {"files": 0}

    def observe(_: str) -> None:
        counter["files"] += 1
        if sys.stderr.isatty() and counter["files"] % 500 == 0:
            print(f"\r  read {counter['files']} files...", end="", file=sys.stderr, flush=True)

    report = import_paths(paths, target, observer=observe, fresh=fresh)
    if sys.stderr.isatty() and counter["files"] >= 500:
        print(file=sys.stderr)
    for s in report.sources.values():
        typer.echo(
            f"{s.name}: {s.files} files, {s.records} records, {s.malformed} malformed, "
            f"{s.duplicates} duplicates"
        )
        for where, why in s.problems[:5]:
            typer.echo(f"  skipped {where}: {why}")
        if s.malformed > 5:
            typer.echo(f"  ... and {s.malformed - 5} more")
    typer.echo(f"ignored {len(report.ignored)} files of no known feed format")
    typer.echo(f"imported {report.records} records into {target}")


@app.command("export")
def export(
    file: Path = typer.Argument(..., help="Output file (one compressed file with a checksum)."),
    db: Path | None = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """Write the database to one compressed file that 'db import' verifies and restores."""
    from hullcheck.advisories.export import export_db

    header = export_db(_db_path(db), file)
    typer.echo(f"wrote {file} ({file.stat().st_size / 1e6:.1f} MB, sha256 {header['sha256']})")


@app.command("update")
def update(
    db: Path | None = typer.Option(None, "--db", help=_DB_HELP),
    sources: str = typer.Option(
        "osv,debian,alpine,kev,epss", "--sources", help="Comma-separated feeds to download."
    ),
    mirror: list[str] = typer.Option(
        [], "--mirror", help="NAME=URL base address for a feed (osv, debian, alpine, kev, epss)."
    ),
    force: bool = typer.Option(False, "--force", help="Rebuild even when nothing changed."),
    timeout: float = typer.Option(60.0, "--timeout", help="Network timeout in seconds."),
) -> None:
    """Download the feeds (conditional requests) and rebuild the database atomically.

    The database is rebuilt from the feeds alone: records added with 'db import' are not kept.
    Downloads are kept next to the database (feeds/) for the next conditional request."""
    from hullcheck.advisories import update as upd

    cfg = upd.UpdateConfig.from_env(
        sources=tuple(s.strip() for s in sources.split(",") if s.strip()),
        mirrors=upd.parse_mirrors(mirror),
        timeout=timeout,
    )
    target = _db_path(db)
    if sys.stderr.isatty():
        from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

        with Progress(
            *Progress.get_default_columns(),
            DownloadColumn(),
            TransferSpeedColumn(),
            transient=True,
        ) as bars:
            tasks: dict[str, object] = {}

            def progress(name: str, done: int, total: int | None) -> None:
                if name not in tasks:
                    tasks[name] = bars.add_task(name, total=total)
                bars.update(tasks[name], completed=done)  # type: ignore[arg-type]

            report = upd.update(target, cfg, progress=progress, force=force)
    else:
        report = upd.update(target, cfg, force=force)
    for f in report.fetched:
        typer.echo(f"{f.feed.name}: {'downloaded' if f.changed else 'unchanged (304)'}")
    if not report.rebuilt:
        typer.echo(f"{target} is up to date")
        return
    assert report.imported is not None
    typer.echo(
        f"rebuilt {target}: {report.imported.records} records, "
        f"{report.imported.malformed} malformed skipped"
    )


@app.command("show")
def show(
    vuln_id: str = typer.Argument(..., help="Advisory id (GHSA-..., GO-..., DEBIAN-CVE-..., ...)."),
    db: Path | None = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """Print one stored advisory as JSON, with its alias group and scored severities."""
    from hullcheck.advisories.store import AdvisoryStore
    from hullcheck.errors import UsageError

    with AdvisoryStore.open(_db_path(db)) as store:
        adv = store.get(vuln_id)
        if adv is None:
            raise UsageError(f"no advisory {vuln_id!r} in the database")
        group = store.group(vuln_id)
    out = {
        "id": adv.id,
        "modified": adv.modified,
        "published": adv.published,
        "withdrawn": adv.withdrawn,
        "summary": adv.summary,
        "aliases": list(adv.aliases),
        "related": list(adv.related),
        "alias_group": list(group),
        "severity": [s.to_json() for s in adv.severity],
        "affected": [dict(a.affected) for a in adv.affected],
        "references": [dict(r) for r in adv.references],
        "source": adv.source,
        "origin": adv.origin,
    }
    typer.echo(json.dumps(out, indent=2))


@app.command("search")
def search(
    ecosystem: str = typer.Argument(
        ..., help="OSV ecosystem, with the release for distros: Debian:12."
    ),
    name: str = typer.Argument(..., help="Package name (source package for distros)."),
    db: Path | None = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """List the advisories stored for one package, with the severity that applies to it."""
    from hullcheck.advisories.severity import effective_severity
    from hullcheck.advisories.store import AdvisoryStore

    with AdvisoryStore.open(_db_path(db)) as store:
        hits = store.lookup(ecosystem, name)
        for h in hits:
            adv = store.get(h.advisory_id)
            sev = effective_severity(adv, h) if adv else None
            fix = (h.affected.get("database_specific") or {}).get("fix_state", "")
            events = [e for r in h.affected.get("ranges") or [] for e in r.get("events", [])]
            rating = f"{sev.rating.value} ({sev.type})" if sev and sev.type else "unknown"
            line = f"{h.advisory_id}\t{rating}\t{json.dumps(events)}"
            typer.echo(f"{line}\t{fix}" if fix else line)
    if not hits:
        typer.echo(f"no advisories for {ecosystem}/{name}", err=True)


@app.command("push")
def push(
    ref: str = typer.Argument(..., help="Registry reference HOST[:PORT]/REPO[:TAG] (default tag latest)."),
    db: Path | None = typer.Option(None, "--db", help=_DB_HELP),
    insecure: list[str] = INSECURE,
    username: str = USERNAME,
    password_stdin: bool = PASSWORD_STDIN,
) -> None:
    """Push the database to a registry as an OCI artifact (application/vnd.hullcheck.advisory-db.v1)."""
    from hullcheck.advisories.oci import push_db

    pushed = push_db(_db_path(db), ref, registry_options(insecure, username, password_stdin))
    typer.echo(f"pushed {pushed.ref}@{pushed.digest} ({pushed.size / 1e6:.1f} MB)")


@app.command("pull")
def pull(
    ref: str = typer.Argument(..., help="Registry reference of a database pushed with 'db push'."),
    db: Path | None = typer.Option(None, "--db", help=_DB_HELP),
    insecure: list[str] = INSECURE,
    username: str = USERNAME,
    password_stdin: bool = PASSWORD_STDIN,
) -> None:
    """Fetch a database pushed with 'db push', verify digest and checksum, and install it
    atomically (on any failure the previous database stays in place)."""
    from hullcheck.advisories.oci import pull_db

    pulled = pull_db(ref, _db_path(db), registry_options(insecure, username, password_stdin))
    counts = ", ".join(f"{k} {v}" for k, v in sorted(pulled.sources.items()))
    typer.echo(f"installed {pulled.db_path} from {pulled.ref}@{pulled.digest} (built {pulled.built_at}; {counts})")
