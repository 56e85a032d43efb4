"""The contract between the image stage and the catalogers.

The image stage streams every layer once. For each regular file it asks the registered
analyzers whether they want it (``wants`` must be cheap: it runs for every file of every layer)
and, if one does, hands it the file through ``FileInput``. An analyzer turns one file into an
``Artifact``: small, JSON-serialisable facts (packages, the distro, files a package owns, or an
"unknown" when the file does not parse). Artifacts are cached per layer by diff_id, so a layer
shared with an already scanned image is never read again.

After all layers are analysed, the catalog runner merges the artifacts into the squashed view
(what a container sees: later layers override, whiteouts delete) and resolves ownership and
layer attribution. Analyzers never walk the filesystem and never raise for bad content: they
return ``Artifact(unknown=...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from hullcheck.model import Distro, Package
from hullcheck.model.checks import SecretFinding


@dataclass(frozen=True)
class FileInput:
    """A regular file inside one layer, offered to an analyzer.

    ``path`` is absolute and normalised (``/usr/lib/python3/dist-packages/x.dist-info/METADATA``).
    ``open`` returns a seekable binary stream of the content (in memory for small files, a
    spooled temporary file in the cache dir for large ones); ``read`` returns all bytes.
    """

    path: str
    size: int
    mode: int
    opener: Callable[[], BinaryIO]
    data: bytes | None = None  # the content, when it is in memory anyway (cheap prefilters)

    def open(self) -> BinaryIO:
        return self.opener()

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        with self.opener() as f:
            return f.read()


@dataclass(frozen=True)
class OwnedFiles:
    """Files an OS package installed (dpkg info/*.list, apk and rpm file lists)."""

    package: str  # package name as its database names it
    files: tuple[str, ...]


@dataclass(frozen=True)
class Artifact:
    """What one analyzer learnt from one file."""

    analyzer: str
    path: str
    packages: tuple[Package, ...] = ()
    distro: Distro | None = None
    owned: tuple[OwnedFiles, ...] = ()
    unknown: str | None = None  # why the file could not be parsed
    secrets: tuple[SecretFinding, ...] = ()  # found by the secret scanner in this file


@dataclass(frozen=True)
class Interest:
    """A cheap superset of the files an analyzer's ``wants`` accepts (any one clause suffices).

    Optional (an analyzer's ``interest`` attribute): with it, ``wants`` runs only on the
    candidates it names (see ``catalog.select``); without it, on every file.
    """

    names: frozenset[str] = frozenset()  # exact base names
    suffixes: tuple[str, ...] = ()  # endings of the lower-cased base name
    contains: tuple[str, ...] = ()  # substrings of the lower-cased base name
    prefixes: tuple[str, ...] = ()  # path prefixes
    mode_bits: int = 0  # any of these permission bits set (0o111: executables)


class Analyzer(Protocol):
    """One per file kind. ``id`` is stable, kebab-case, and appears in output as ``found_by``.

    Optional attributes: ``interest`` (an ``Interest``: which files to ask ``wants`` about) and
    ``content_markers`` (byte strings without which the analyzer learns nothing from a file: a
    file too large for memory is then searched for them instead of being spooled to disk) and
    ``section_names`` (ELF section names without which it learns nothing from an ELF file that
    has a section-name table: such a large file is judged by that table alone; see
    ``catalog.screen``).
    """

    id: str
    version: int  # bump when output changes, to invalidate per-layer caches

    def wants(self, path: str, size: int, mode: int) -> bool: ...

    def analyze(self, f: FileInput) -> Artifact | None: ...
