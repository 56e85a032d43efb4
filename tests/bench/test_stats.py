"""Medians, ratios and targets."""

from __future__ import annotations

import pytest
from bench.harness.proc import Measurement
from bench.harness.sections import Target
from bench.harness.stats import meets, ratio, ratios, summarise


def m(wall: float, cpu: float = 1.0, rss: float = 100.0) -> Measurement:
    return Measurement(wall=wall, cpu=cpu, rss_mb=rss, returncode=0)


def test_summary_median_and_worst_memory() -> None:
    s = summarise([m(3.0, 2.0, 100), m(1.0, 1.0, 300), m(2.0, 9.0, 200)])
    assert (s.rounds, s.wall, s.cpu, s.rss_mb, s.wall_min, s.wall_max) == (3, 2.0, 2.0, 300, 1.0, 3.0)


def test_summary_even_rounds_median_is_the_mean_of_the_middle_two() -> None:
    assert summarise([m(1.0), m(2.0), m(4.0), m(10.0)]).wall == 3.0


def test_summary_needs_rows() -> None:
    with pytest.raises(ValueError):
        summarise([])


def test_ratio() -> None:
    assert ratio(3.0, 6.0) == 0.5
    assert ratio(1.0, 0.0) is None


def test_ratios_of_summaries() -> None:
    ours, peer = summarise([m(2.0, 1.0, 50)]), summarise([m(8.0, 4.0, 400)])
    r = ratios(ours, peer)
    assert (r.wall, r.cpu, r.rss) == (0.25, 0.25, 0.125)


def test_targets_strict_and_inclusive() -> None:
    assert meets(0.49, 0.5) and not meets(0.5, 0.5) and not meets(None, 0.5)
    assert Target("x", 1.3, 1.3, inclusive=True).met
    assert not Target("x", 1.3, 1.3).met
    assert not Target("x", None, 1.3, inclusive=True).met
