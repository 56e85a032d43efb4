"""Markdown for docs/benchmarks.md."""

from __future__ import annotations

from collections.abc import Sequence

from .accuracy import by_type, examples
from .machine import Machine
from .sections import AccuracyResult, SecretsResult, TimedResult
from .stats import ratios
from .vectors import SuiteResult


def fmt_ratio(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def _types(counts: dict[str, int]) -> str:
    return ", ".join(f"{t} {n}" for t, n in counts.items()) or "none"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def timed(res: TimedResult) -> list[str]:
    lines = [
        f"### {res.title}",
        "",
        f"{res.rounds} rounds, variants alternated in this order each round; "
        "medians of wall and CPU time, largest peak RSS of any round, wall range in brackets.",
        "",
    ]
    rows = []
    for name, s in res.summaries.items():
        rows.append(
            [
                name,
                f"{s.wall:.2f} [{s.wall_min:.2f}-{s.wall_max:.2f}]",
                f"{s.cpu:.2f}",
                f"{s.rss_mb:.0f}",
                res.commands.get(name, "").replace("|", "\\|"),
            ]
        )
    lines += table(["variant", "wall s", "CPU s", "peak RSS MB", "what runs"], rows)
    lines += ["", "Ratios (first / second; below 1 means the first is cheaper):", ""]
    rrows = []
    for a, b in res.pairs:
        r = ratios(res.summaries[a], res.summaries[b])
        rrows.append([f"{a} / {b}", fmt_ratio(r.wall), fmt_ratio(r.cpu), fmt_ratio(r.rss)])
    lines += table(["pair", "wall", "CPU", "peak RSS"], rrows)
    if res.targets:
        lines += ["", "Targets:", ""]
        lines += table(
            ["target", "measured", "limit", "met"],
            [
                [
                    t.label,
                    fmt_ratio(t.value),
                    ("<= " if t.inclusive else "< ") + f"{t.limit:g}",
                    "yes" if t.met else "**no**",
                ]
                for t in res.targets
            ],
        )
    for e in res.extra:
        lines += ["", e]
    return [*lines, ""]


def accuracy_block(res: AccuracyResult, n_examples: int = 5) -> list[str]:
    lines = [f"### Packages: `{res.image}`", ""]
    if res.truth is not None:
        lines.append(f"Ground truth (expected.json): {len(res.truth)} packages ({_types(by_type(res.truth))}).")
        lines.append("")
    header = ["tool", "entries", "distinct", "no version", "by type", "only this tool", "missed (others found)"]
    if res.truth is not None:
        header += ["truth missing", "not in truth"]
    rows = []
    for d in res.diffs:
        row = [
            d.tool,
            str(d.entries),
            str(len(d.found)),
            str(sum(1 for k in d.found if not k.version)),
            _types(by_type(d.found)),
            str(len(d.only)),
            str(len(d.missed)),
        ]
        if d.truth_missing is not None and d.truth_extra is not None:
            row += [str(len(d.truth_missing)), str(len(d.truth_extra))]
        rows.append(row)
    lines += table(header, rows)
    lines.append("")
    for d in res.diffs:
        cats = [("only", d.only), ("missed", d.missed)]
        if d.truth_missing is not None and d.truth_extra is not None:
            cats += [("truth missing", d.truth_missing), ("not in truth", d.truth_extra)]
        for label, ks in cats:
            if ks:
                lines.append(
                    f"- {d.tool}, {label} ({len(ks)}: {_types(by_type(ks))}): "
                    + ", ".join(f"`{e}`" for e in examples(ks, n_examples))
                    + (" ..." if len(ks) > n_examples else "")
                )
    for c in res.consistency:
        lines.append(f"- {c}")
    if res.times:
        lines += [
            "",
            "Single cold run each (indicative only): "
            + ", ".join(f"{t} {w:.2f} s" for t, w in res.times.items())
            + ".",
        ]
    return [*lines, ""]


def secrets_block(res: SecretsResult) -> list[str]:
    lines = [f"### Secrets and misconfigurations: `{res.image}`", ""]
    lines += table(
        ["planted secret", "kind", "trivy", "hullcheck"],
        [[f"`{w}`", k, "found" if t else "missed", "found" if h else "missed"] for w, k, t, h in res.rows],
    )
    lines += [""]
    if res.trivy_extra or res.hullcheck_extra:
        lines.append(
            f"Secrets in other files: trivy {res.trivy_extra or 'none'}, hullcheck {res.hullcheck_extra or 'none'}."
        )
    lines.append(
        f"Failed misconfiguration checks: trivy {', '.join(res.trivy_misconfig) or 'none'}; "
        f"hullcheck {', '.join(res.hullcheck_misconfig) or 'none'}."
    )
    return [*lines, ""]


def machine_block(m: Machine, load_end: tuple[float, float, float], versions: dict[str, str]) -> list[str]:
    rows = [
        ["CPU", m.cpu_model],
        ["cores (nproc)", str(m.nproc)],
        ["memory", f"{m.mem_total_gb:.1f} GiB"],
        ["kernel", m.kernel],
        ["load average at start (1/5/15 min)", " / ".join(f"{x:.2f}" for x in m.load)],
        ["load average at end (1/5/15 min)", " / ".join(f"{x:.2f}" for x in load_end)],
    ]
    rows += [[k, v] for k, v in versions.items()]
    return [*table(["", ""], rows), ""]


def headline(timed_results: Sequence[TimedResult]) -> list[str]:
    """The targets of every timed section, in one table at the top."""
    rows = []
    for res in timed_results:
        for t in res.targets:
            limit = ("<= " if t.inclusive else "< ") + f"{t.limit:g}"
            met = "yes" if t.met else "**no**"
            rows.append([f"{res.key} (`{res.image}`)", t.label, fmt_ratio(t.value), limit, met])
    if not rows:
        return []
    return ["## Headline", "", *table(["section", "measure", "value", "target", "met"], rows), ""]


def versions_block(results: Sequence[SuiteResult], source: str, n_failures: int = 5) -> list[str]:
    """Per ecosystem: vectors, passed, pass rate; then each file's counts and its first failures."""
    lines = [
        "## Accuracy: version vectors",
        "",
        f"Version comparison (and validity, range) cases from the native tools' own test suites "
        f"(`{source}`), checked with `hullcheck.versions`. A row that raises counts as failed.",
        "",
    ]
    rows = [[r.suite, str(r.vectors), str(r.passed), f"{100 * r.rate:.2f}%"] for r in results]
    total = sum(r.vectors for r in results)
    passed = sum(r.passed for r in results)
    rows.append(["**all**", str(total), str(passed), f"{100 * passed / total:.2f}%" if total else "n/a"])
    lines += table(["ecosystem", "vectors", "passed", "pass rate"], rows)
    lines += ["", "Per file:", ""]
    lines += table(
        ["ecosystem", "file", "tests", "vectors", "passed"],
        [[r.suite, f"`{f.path}`", f.what, str(f.vectors), str(f.passed)] for r in results for f in r.files],
    )
    failing = [r for r in results if r.failures]
    lines.append("")
    if not failing:
        lines.append("No failures.")
    for r in failing:
        fs = r.failures
        lines.append(f"Failures, {r.suite} ({len(fs)}" + (f", first {n_failures}" if len(fs) > n_failures else "")
                     + "):")
        lines.append("")
        lines += [f"- `{m}`".replace("|", "\\|") for m in fs[:n_failures]]
        lines.append("")
    return [*lines, ""]
