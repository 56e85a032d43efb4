"""Markdown rendering and the machine description."""

from __future__ import annotations

from bench.harness import accuracy as acc
from bench.harness.machine import cpu_model, mem_total_gb
from bench.harness.proc import Measurement
from bench.harness.render import accuracy_block, fmt_ratio, table, timed
from bench.harness.sections import AccuracyResult, Target, TimedResult
from bench.harness.stats import summarise


def _s(wall: float, rss: float) -> object:
    return summarise([Measurement(wall=wall, cpu=wall / 2, rss_mb=rss, returncode=0)])


def test_timed_section_rows_ratios_and_targets() -> None:
    res = TimedResult(
        key="sbom", title="SBOM", image="large", rounds=1,
        commands={"ours": "hullcheck sbom X", "peer": "trivy | x"},
        summaries={"ours": _s(2.0, 100), "peer": _s(8.0, 250)},  # type: ignore[dict-item]
        pairs=[("ours", "peer")],
        targets=[Target("wall ours / peer", 0.25, 0.5), Target("rss", 0.4, 0.3)],
    )
    text = "\n".join(timed(res))
    assert "| ours / peer | 0.25 | 0.25 | 0.40 |" in text
    assert "| wall ours / peer | 0.25 | < 0.5 | yes |" in text
    assert "| rss | 0.40 | < 0.3 | **no** |" in text
    assert "trivy \\| x" in text  # a pipe in a command does not break the table


def test_accuracy_block_lists_differences() -> None:
    a, b = acc.PkgKey("npm", "a", "1"), acc.PkgKey("npm", "b", "")
    res = AccuracyResult(image="img", truth=frozenset({a}),
                         diffs=acc.compare({"x": frozenset({a, b}), "y": frozenset({a})}, frozenset({a})), times={})
    text = "\n".join(accuracy_block(res))
    assert "| x | 2 | 2 | 1 | npm 2 | 1 | 0 | 0 | 1 |" in text
    assert "- x, only (1: npm 1): `npm:b (no version)`" in text


def test_table_and_ratio_format() -> None:
    assert table(["a", "b"], [["1", "2"]]) == ["| a | b |", "| --- | --- |", "| 1 | 2 |"]
    assert fmt_ratio(None) == "n/a" and fmt_ratio(1 / 3) == "0.33"


def test_machine_parsing() -> None:
    cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n\nprocessor\t: 1\n"
    assert cpu_model(cpuinfo) == "AMD EPYC 7B13"
    assert mem_total_gb("MemTotal:       24683520 kB\nMemFree: 1 kB\n") == 24683520 / (1024 * 1024)
