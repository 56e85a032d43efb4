"""format stage."""
