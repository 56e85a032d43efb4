"""Medians and ratios over alternated rounds."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from .proc import Measurement


@dataclass(frozen=True)
class Summary:
    """One variant over N rounds: median wall and CPU, the largest peak RSS seen, the spread."""

    rounds: int
    wall: float
    cpu: float
    rss_mb: float
    wall_min: float
    wall_max: float


def summarise(rows: Sequence[Measurement]) -> Summary:
    if not rows:
        raise ValueError("no measurements")
    walls = [r.wall for r in rows]
    return Summary(
        rounds=len(rows),
        wall=statistics.median(walls),
        cpu=statistics.median(r.cpu for r in rows),
        # Peak memory is a property of the run, not noise: report the worst round.
        rss_mb=max(r.rss_mb for r in rows),
        wall_min=min(walls),
        wall_max=max(walls),
    )


def ratio(a: float, b: float) -> float | None:
    """a / b, or None when b is zero (nothing to compare against)."""
    if b == 0:
        return None
    return a / b


@dataclass(frozen=True)
class Ratios:
    wall: float | None
    cpu: float | None
    rss: float | None


def ratios(ours: Summary, peer: Summary) -> Ratios:
    return Ratios(wall=ratio(ours.wall, peer.wall), cpu=ratio(ours.cpu, peer.cpu), rss=ratio(ours.rss_mb, peer.rss_mb))


def meets(value: float | None, target: float) -> bool:
    """A ratio target such as "< 0.5": met only when the ratio is known and strictly below."""
    return value is not None and value < target
