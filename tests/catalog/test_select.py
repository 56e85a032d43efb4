"""The selector gives exactly the analyzers whose ``wants`` accepts a file: the declared
interests are supersets, never filters that drop a file an analyzer wants."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hullcheck.catalog.interface import Analyzer
from hullcheck.catalog.osrelease import DISTRO_FILE_PRIORITY
from hullcheck.catalog.registry import default_analyzers
from hullcheck.catalog.select import Selector
from hullcheck.secrets.analyzer import SecretAnalyzer

# Path pieces that some analyzer cares about, and some that none does.
SEGMENTS = [
    "usr", "lib", "var", "etc", "app", "opt", "dpkg", "status", "status.d", "info", "a.list", "a.md5sums",
    "apk", "db", "installed", "rpm", "sysimage", "Packages", "Packages.db", "rpmdb.sqlite",
    "x-1.0.dist-info", "X-1.0.DIST-INFO", "METADATA", "PKG-INFO", "RECORD", "installed-files.txt",
    "x-1.0.egg-info", "X.EGG-INFO", "x.egg", "x.EGG", "node_modules", "package.json", "package-lock.json",
    "npm-shrinkwrap.json", ".package-lock.json", "yarn.lock", "pnpm-lock.yaml", ".pnpm", "lock.yaml",
    "specifications", "x.gemspec", "vendor", "composer", "installed.json", "composer.lock",
    "App.deps.json", "Cargo.lock", "x.jar", "X.WAR", "x.ear", "libc.so.6", "libz.so", "x.SO.1", "a.dll",
    "b.EXE", "c.dylib", "bin", "ls", "README.md", "copyright", "os-release", "alpine-release",
    "debian_version", "redhat-release", "lib", "apk", "local",
    *{p.rsplit("/", 1)[-1] for p in DISTRO_FILE_PRIORITY},
]
MODES = [0o644, 0o755, 0o600, 0o4755, 0o100, 0o010, 0o001, 0]
SIZES = [0, 1, 21, 22, 63, 64, 1000, 10**9]


def analyzers() -> list[Analyzer]:
    return [*default_analyzers(), SecretAnalyzer()]


def expected(all_: list[Analyzer], path: str, size: int, mode: int) -> list[str]:
    return [a.id for a in all_ if a.wants(path, size, mode)]


@settings(max_examples=3000)
@given(st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=6), st.sampled_from(MODES), st.sampled_from(SIZES))
def test_selector_equals_asking_every_analyzer(parts: list[str], mode: int, size: int) -> None:
    all_ = analyzers()
    path = "/" + "/".join(parts)
    assert [a.id for a in Selector(all_)(path, size, mode)] == expected(all_, path, size, mode)


def test_known_paths_reach_their_analyzer() -> None:
    all_ = analyzers()
    select = Selector(all_)
    paths = [
        "/var/lib/dpkg/status", "/var/lib/dpkg/status.d/base", "/var/lib/dpkg/info/libc6:amd64.list",
        "/lib/apk/db/installed", "/var/lib/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/Packages.db",
        "/etc/os-release", "/usr/lib/os-release", "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
        "/app/node_modules/lodash/package.json", "/app/x.JAR", "/usr/lib/libssl.so.3", "/usr/local/bin/app",
    ]
    for path in paths:
        for mode in (0o644, 0o755):
            got = [a.id for a in select(path, 4096, mode)]
            assert got == expected(all_, path, 4096, mode), path
            assert [g for g in got if g != "secret"], path  # some package analyzer takes each


def test_unwanted_files_ask_no_package_analyzer() -> None:
    class Counting:
        def __init__(self, inner: Analyzer) -> None:
            self.inner, self.calls = inner, 0
            self.id, self.version = inner.id, inner.version
            self.interest = getattr(inner, "interest", None)

        def wants(self, path: str, size: int, mode: int) -> bool:
            self.calls += 1
            return self.inner.wants(path, size, mode)

    counting = [Counting(a) for a in default_analyzers()]
    select = Selector(counting)  # type: ignore[arg-type]
    for i in range(1000):
        assert select(f"/usr/share/doc/pkg{i}/copyright", 1000, 0o644) == []
    assert sum(c.calls for c in counting) == 0
