"""Shared settings of the fuzz harnesses: two Hypothesis profiles and the ``fuzz`` decorator.

- ``ci`` (the default): bounded and derandomized, so that the whole directory runs in a minute or
  two on 2 cores and gives the same verdict every run.
- ``long``: many more examples per harness, for a run of hours (``HYPOTHESIS_PROFILE=long``).

The profiles are registered here but never *loaded* globally: loading one would change the
example counts of every other Hypothesis test in the session. Each harness takes its settings
from ``fuzz(weight)``: the active profile with ``max_examples`` scaled by ``weight`` (a cheap
harness gets more examples, one that builds an image per example fewer).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")

_COMMON = {
    "deadline": None,  # wall time is checked by the harnesses themselves where it matters
    "print_blob": True,  # a failure prints the @reproduce_failure line to keep as a regression
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
}
# ci: the same examples every run (derandomized), so a CI run never fails on a new random draw;
# finding new inputs is the long run's job.
settings.register_profile("ci", max_examples=200, derandomize=True, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("long", max_examples=20_000, **_COMMON)  # type: ignore[arg-type]


def fuzz(weight: float = 1.0) -> settings:
    """The active profile's settings with ``max_examples`` scaled by ``weight``."""
    name = PROFILE if PROFILE in ("ci", "long") else "ci"
    base = settings.get_profile(name)
    return settings(base, max_examples=max(5, int(base.max_examples * weight)))
