"""The language-package analyzers that read text and metadata files, as one explicit tuple
for the catalog registry to include."""

from __future__ import annotations

from hullcheck.catalog.cargo_lock import CargoLockAnalyzer
from hullcheck.catalog.dotnet import DotnetDepsAnalyzer
from hullcheck.catalog.interface import Analyzer
from hullcheck.catalog.npm_lock import NpmLockAnalyzer
from hullcheck.catalog.npm_package_json import NpmPackageJsonAnalyzer
from hullcheck.catalog.php import ComposerInstalledAnalyzer, ComposerLockAnalyzer
from hullcheck.catalog.pnpm_lock import PnpmLockAnalyzer
from hullcheck.catalog.python import PythonDistInfoAnalyzer
from hullcheck.catalog.python_egg import PythonEggZipAnalyzer
from hullcheck.catalog.python_record import PythonRecordAnalyzer
from hullcheck.catalog.ruby import GemspecAnalyzer
from hullcheck.catalog.yarn_lock import YarnLockAnalyzer


def language_analyzers() -> tuple[Analyzer, ...]:
    return (
        PythonDistInfoAnalyzer(),
        PythonEggZipAnalyzer(),
        PythonRecordAnalyzer(),
        NpmPackageJsonAnalyzer(),
        NpmLockAnalyzer(),
        YarnLockAnalyzer(),
        PnpmLockAnalyzer(),
        GemspecAnalyzer(),
        ComposerInstalledAnalyzer(),
        ComposerLockAnalyzer(),
        DotnetDepsAnalyzer(),
        CargoLockAnalyzer(),
    )
