"""advisories stage."""
