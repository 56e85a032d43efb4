"""``hullcheck rules list`` and ``hullcheck rules explain ID``: the policy rule catalog."""

from __future__ import annotations

import typer

app = typer.Typer(help="The policy rule catalog.", no_args_is_help=True)


@app.command("list")
def list_rules(
    profile: str = typer.Option(None, "--profile", help="only the rules of this profile"),
    k8s_version: str = typer.Option(None, "--k8s-version", help="Kubernetes policy version for PSS profiles"),
) -> None:
    """List the rules: id, severity, title, references."""
    from hullcheck.policy.catalog import RULES, profile_rules
    from hullcheck.policy.rules import parse_version

    rules = list(RULES.values()) if not profile else profile_rules(profile, parse_version(k8s_version))[1]
    for r in sorted(rules, key=lambda r: r.id):
        ref = r.references[0] if r.references else ""
        typer.echo(f"{r.id}  {r.severity.value:<8} {r.title}  [{ref}]")


@app.command("explain")
def explain(rule_id: str = typer.Argument(..., help="rule id, e.g. HC-K8S-003")) -> None:
    """Everything about one rule: rationale, remediation, references, profiles, parameters."""
    from hullcheck.policy.catalog import get_rule, rule_profiles

    r = get_rule(rule_id)
    lines = [
        f"{r.id}: {r.title}",
        f"severity: {r.severity.value}",
        f"profiles: {', '.join(rule_profiles(r.id)) or '-'}",
        f"rationale: {r.rationale}",
        f"remediation: {r.remediation}",
    ]
    if any(x.startswith("PSS") for x in r.references):
        lines.insert(3, f"since Kubernetes policy version: v{r.min_version[0]}.{r.min_version[1]}")
    if r.overrides:
        lines.append("replaces (pss-restricted): " + ", ".join(f"{i} from v{v[0]}.{v[1]}" for i, v in r.overrides))
    if r.params:
        lines.append("parameters: " + ", ".join(f"{k} (default {v!r})" for k, v in r.params.items()))
    lines += [f"reference: {x}" for x in r.references]
    doc = (r.check.__doc__ or "").strip()
    if doc:
        lines.append("checks: " + " ".join(doc.split()))
    typer.echo("\n".join(lines))
