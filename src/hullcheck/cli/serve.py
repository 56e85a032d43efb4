"""``hullcheck serve admission``: the policy as a Kubernetes validating admission webhook."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Run hullcheck as a server.", no_args_is_help=True)


@app.command("admission")
def admission(
    policy: Path = typer.Option(None, "--policy", "-p", help="policy file (apiVersion: hullcheck.dev/v1)"),
    tls_cert: Path = typer.Option(None, "--tls-cert", help="server certificate (PEM, chain first)"),
    tls_key: Path = typer.Option(None, "--tls-key", help="private key of the certificate (PEM)"),
    port: int = typer.Option(8443, "--port", help="port to listen on"),
    host: str = typer.Option("0.0.0.0", "--host", help="address to listen on"),
    profile: str = typer.Option(
        None, "--profile", help="pss-baseline, pss-restricted or production (default: the policy's)"
    ),
    k8s_version: str = typer.Option(
        None, "--k8s-version", help="Kubernetes version, e.g. v1.30 (default: the policy's, else latest)"
    ),
    exempt_namespaces: list[str] = typer.Option(
        None, "--exempt-namespace", help="allow requests in this namespace unchecked; repeatable"
    ),
    insecure_http: bool = typer.Option(False, "--insecure-http", help="serve plain HTTP (local testing only)"),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning or error"),
) -> None:
    """Serve POST /validate (AdmissionReview v1/v1beta1) and GET /healthz over HTTPS."""
    import dataclasses

    from hullcheck.admission.decide import Settings
    from hullcheck.admission.server import serve
    from hullcheck.errors import UsageError
    from hullcheck.policy.catalog import PROFILES
    from hullcheck.policy.config import Policy, load_policy
    from hullcheck.policy.rules import parse_version

    if not 0 < port < 65536:
        raise UsageError(f"--port must be 1-65535, not {port}")
    if log_level.lower() not in ("debug", "info", "warning", "error"):
        raise UsageError(f"--log-level must be debug, info, warning or error, not {log_level!r}")
    pol = load_policy(policy) if policy else Policy()
    if exempt_namespaces:
        pol = dataclasses.replace(pol, exempt_namespaces=pol.exempt_namespaces | frozenset(exempt_namespaces))
    name = profile or pol.profile
    if name not in PROFILES:
        raise UsageError(f"unknown profile {name!r} (choose from {', '.join(PROFILES)})")
    settings = Settings(pol, name, parse_version(k8s_version or pol.k8s_version))
    serve(settings, host, port, tls_cert, tls_key, insecure_http, log_level.lower())
