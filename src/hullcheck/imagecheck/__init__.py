"""Image-configuration checks (CIS Docker Benchmark section 4, Dockle-like): ``run_checks``."""

from hullcheck.imagecheck.runner import run_checks

__all__ = ["run_checks"]
