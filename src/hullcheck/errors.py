"""The one error root of hullcheck, and the table of exit codes.

Every error a user can cause (a bad reference, a broken image, a missing database) is a
``HullcheckError`` subclass carrying a one-line human message and an exit code. The CLI catches
the root in exactly one place (``hullcheck.cli.main``) and prints ``diagnostics()``; anything
else that escapes is a bug and exits with ``ExitCode.INTERNAL``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes; README.md documents this same table."""

    OK = 0
    FINDINGS = 1  # policy violations or findings at/above --fail-on
    USAGE = 2  # bad flags, bad reference syntax, unreadable policy/config file
    IMAGE = 3  # the image cannot be read: missing, corrupt, hostile, wrong digest, registry failure
    ADVISORY_DB = 4  # the advisory database is missing, corrupt, or cannot be updated
    INTERNAL = 5  # a bug in hullcheck


class HullcheckError(Exception):
    """Root of every error meant for the user."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def diagnostics(self) -> str:
        """One line, no traceback: what went wrong and, where known, what to do."""
        return " ".join(self.message.split())


class UsageError(HullcheckError):
    exit_code = ExitCode.USAGE


class ImageError(HullcheckError):
    """The image cannot be read or is not what it claims to be."""

    exit_code = ExitCode.IMAGE


class ReferenceError_(UsageError):
    """An image reference that does not parse."""


class DigestMismatchError(ImageError):
    def __init__(self, what: str, expected: str, actual: str) -> None:
        super().__init__(f"digest mismatch for {what}: expected {expected}, got {actual}")
        self.expected = expected
        self.actual = actual


class LimitExceededError(ImageError):
    """A configured safety limit (bytes, entries, depth, size) was exceeded."""


class UnsafeContentError(ImageError):
    """Content that tries to escape: path traversal, link escapes, device files where refused."""


class RegistryError(ImageError):
    """The registry refused, failed, or answered something invalid."""


class AuthError(RegistryError):
    pass


class AdvisoryDBError(HullcheckError):
    exit_code = ExitCode.ADVISORY_DB


class FindingsFail(HullcheckError):
    """Not an error as such: the gate (--fail-on, policy enforce) says no."""

    exit_code = ExitCode.FINDINGS


class VersionError(UsageError):
    """A version or an ecosystem that the version schemes cannot handle."""


class UnknownEcosystemError(VersionError):
    def __init__(self, ecosystem: str) -> None:
        super().__init__(f"unknown ecosystem {ecosystem!r}: no version scheme is registered for it")
        self.ecosystem = ecosystem


class InvalidVersion(VersionError):
    """One version string does not parse under its scheme; callers catch it per package."""

    def __init__(self, scheme: str, version: str, why: str = "") -> None:
        shown = version if len(version) <= 80 else version[:77] + "..."
        super().__init__(
            f"invalid {scheme} version {shown!r}" + (f": {why}" if why else "")
        )
        self.scheme = scheme
        self.version = version
