"""hullcheck: container security from build to production."""

__version__ = "0.1.0"
