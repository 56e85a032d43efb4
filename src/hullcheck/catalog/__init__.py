"""Catalog stage: what is installed in an image."""
