"""The catalog analyzer ``secret-scanner``: every text file of every layer through the scanner.

``wants`` takes regular files up to ``ScanSettings.max_file_size`` (1 MiB by default) except a
short, fixed list of places that are large in number and never hold credentials:

- ``/usr/share/doc/``, ``/usr/share/man/``, ``/usr/share/info/`` (documentation),
  ``/usr/share/locale/``, ``/usr/share/i18n/``, ``/usr/lib/locale/`` (translations, locale data),
  ``/usr/share/zoneinfo/`` (time zones);
- ``*.mo`` (compiled translations) and a few media/archive formats that are never text
  (images, fonts, compressed archives), so they are not even read.

``analyze`` skips binaries (a NUL byte in the first 8 KiB) unless ``skip_binaries`` is off.
Findings carry no layer: ``collect_secrets`` sets the layer and ``deleted`` from the scans.
"""

from __future__ import annotations

import hashlib

from hullcheck.catalog.interface import Artifact, FileInput
from hullcheck.secrets.rules import RuleSet, default_ruleset
from hullcheck.secrets.scanner import DEFAULT_SETTINGS, ScanSettings, looks_binary, scan_bytes

SKIP_PREFIXES: tuple[str, ...] = (
    "/usr/share/doc/",
    "/usr/share/man/",
    "/usr/share/info/",
    "/usr/share/locale/",
    "/usr/share/i18n/",
    "/usr/share/zoneinfo/",
    "/usr/lib/locale/",
)
SKIP_SUFFIXES: tuple[str, ...] = (
    ".mo",
    ".png", ".jpg", ".jpeg", ".gif", ".ico", ".webp",
    ".woff", ".woff2", ".ttf", ".otf",
    ".gz", ".xz", ".bz2", ".zst", ".zip", ".whl", ".jar",
)

BASE_VERSION = 1


class SecretAnalyzer:
    id = "secret-scanner"

    def __init__(self, ruleset: RuleSet | None = None, settings: ScanSettings = DEFAULT_SETTINGS) -> None:
        self.ruleset = ruleset or default_ruleset()
        self.settings = settings
        # The layer cache keys results by analyzer id and version: fold the rules and settings
        # in, so changing either rescans layers instead of serving stale findings.
        both = hashlib.sha256(f"{self.ruleset.fingerprint};{settings.key}".encode()).hexdigest()
        self.version: int = (BASE_VERSION << 32) | int(both[:8], 16)

    def wants(self, path: str, size: int, mode: int) -> bool:
        return (
            0 < size <= self.settings.max_file_size
            and not path.startswith(SKIP_PREFIXES)
            and not path.endswith(SKIP_SUFFIXES)
        )

    def analyze(self, f: FileInput) -> Artifact | None:
        with f.open() as fh:
            data = fh.read(self.settings.max_file_size)
        if self.settings.skip_binaries and looks_binary(data, self.settings.binary_probe):
            return None
        try:
            found = scan_bytes(data, self.ruleset, path=f.path, source="file", settings=self.settings)
        except Exception as e:  # a bug, but its message could quote the file: keep only the type
            return Artifact(analyzer=self.id, path=f.path, unknown=f"secret scan failed: {type(e).__name__}")
        if not found:
            return None
        return Artifact(analyzer=self.id, path=f.path, secrets=tuple(found))
