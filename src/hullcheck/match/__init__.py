"""match stage."""

# The ignore file's default name, here so that the CLI can show it without importing the
# ignore-file parser (and YAML) on every run.
DEFAULT_IGNORE_NAME = ".hullcheckignore"
