"""Root file systems assembled from the real package databases in ``package-db-fixtures``.

Each tree puts fixture files where they sit in a real system (``var/lib/dpkg/status``,
``lib/apk/db/installed``, ``var/lib/rpm/...``, ``site-packages/*.dist-info``, a project's lock
file...), in a temporary directory (the shared data is read, never copied into the repository).

OS trees get an ``/etc/os-release`` naming the distribution the fixture came from (the fixture
README or the packages' own release strings say which): both peers report OS packages only once
they know the OS. The release number only shows in purl qualifiers (``distro=...``), which the
comparison leaves out.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FIX = "package-db-fixtures"
SYFT = f"{FIX}/syft/syft/pkg/cataloger"
TRIVY_DEP = f"{FIX}/trivy/pkg/dependency/parser"
TRIVY_PKG = f"{FIX}/trivy/pkg/fanal/analyzer/pkg"
RPMDB = f"{FIX}/go-rpmdb/pkg/testdata"


def os_release(id_: str, version_id: str, name: str, **extra: str) -> str:
    lines = [f'NAME="{name}"', f"ID={id_}", f'VERSION_ID="{version_id}"', f'PRETTY_NAME="{name} {version_id}"']
    lines += [f"{k.upper()}={v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def untxtar(archive: Path, dest: Path) -> list[str]:
    """Unpacks a Go txtar bundle (``-- path --`` lines between file bodies); returns the paths."""
    names: list[str] = []
    current: list[str] | None = None
    body: list[str] = []

    def flush() -> None:
        if current is not None:
            target = dest / current[0]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("".join(body))

    for line in archive.read_text().splitlines(keepends=True):
        m = re.fullmatch(r"-- (\S.*?) --\n?", line)
        if m:
            flush()
            current, body = [m.group(1)], []
            names.append(m.group(1))
        elif current is not None:
            body.append(line)
    flush()
    return names


def _put(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dest, dirs_exist_ok=True)
    else:
        shutil.copyfile(src, dest)


def _text(dest: Path, text: str) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text)


# ------------------------------------------------------------------------------------ trees


def ubuntu_dpkg(data: Path, root: Path) -> None:
    """Ubuntu 18.04's dpkg status (90 installed packages of 91 stanzas), from trivy's tests."""
    untxtar(data / TRIVY_PKG / "dpkg/testdata/valid.txtar", root)
    # syft names deb purls only for a distro that is, or is like, debian; trivy knows Ubuntu by
    # its lsb-release
    _text(root / "etc/os-release", os_release("ubuntu", "18.04", "Ubuntu", ID_LIKE="debian",
                                              VERSION_CODENAME="bionic"))
    _text(root / "etc/lsb-release", "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=18.04\nDISTRIB_CODENAME=bionic\n")


def debian_distroless(data: Path, root: Path) -> None:
    """Distroless-style ``status.d/`` files (one per package) and a dpkg status with ``info/``
    files, from syft's tests (Debian, as the image-dpkg fixture's os-release says)."""
    _put(data / SYFT / "debian/testdata/image-dpkg", root)
    _put(data / SYFT / "debian/testdata/var/lib/dpkg/status.d", root / "var/lib/dpkg/status.d")
    _put(data / SYFT / "debian/testdata/image-distroless-deb/var/lib/dpkg/status.d",
         root / "var/lib/dpkg/status.d")
    _text(root / "etc/debian_version", "12.5\n")  # trivy knows Debian by this file


def alpine_apk(data: Path, root: Path) -> None:
    """An apk ``installed`` database with one version-less entry (trivy's tests); musl 1.1.14
    and busybox 1.24 are Alpine 3.4's."""
    _put(data / TRIVY_PKG / "apk/testdata/apk", root / "lib/apk/db/installed")
    _text(root / "etc/os-release", os_release("alpine", "3.4.6", "Alpine Linux"))
    _text(root / "etc/alpine-release", "3.4.6\n")


def rpm_sqlite(data: Path, root: Path) -> None:
    _put(data / RPMDB / "cbl-mariner-2.0/rpmdb.sqlite", root / "var/lib/rpm/rpmdb.sqlite")
    _text(root / "etc/os-release", os_release("mariner", "2.0", "Common Base Linux Mariner"))


def rpm_ndb(data: Path, root: Path) -> None:
    _put(data / RPMDB / "sle15-bci/Packages.db", root / "usr/lib/sysimage/rpm/Packages.db")
    _text(root / "etc/os-release", os_release("sles", "15.3", "SLES"))


def rpm_bdb(data: Path, root: Path) -> None:
    # libuuid 2.32.1-42.el8_8: Red Hat Enterprise Linux 8.8
    _put(data / RPMDB / "libuuid/Packages", root / "var/lib/rpm/Packages")
    _text(root / "etc/os-release", os_release("rhel", "8.8", "Red Hat Enterprise Linux"))
    _text(root / "etc/redhat-release", "Red Hat Enterprise Linux release 8.8 (Ootpa)\n")


SITE = "usr/local/lib/python3.11/site-packages"


def python_site(data: Path, root: Path) -> None:
    """Installed Python distributions: syft's site-packages fixtures as they are, and trivy's
    METADATA / PKG-INFO files put into the dist-info / egg-info directories they come from."""
    site = root / SITE
    _put(data / SYFT / "python/testdata/site-packages", site)
    src = data / TRIVY_DEP / "python/packaging/testdata"
    for f in sorted(src.iterdir()):
        if f.name.endswith(".METADATA"):
            _put(f, site / f"{f.name.removesuffix('.METADATA')}.dist-info" / "METADATA")
        elif f.name.endswith(".PKG-INFO"):
            stem = f.name.removesuffix(".PKG-INFO").removesuffix(".egg-info")
            _put(f, site / f"{stem}.egg-info" / "PKG-INFO")
        elif f.name.endswith(".egg-info"):  # the single-file form
            _put(f, site / f.name)


def npm_projects(data: Path, root: Path) -> None:
    """npm projects: each lock file of trivy's and syft's tests as ``/srv/<name>/package-lock.json``,
    and syft's project with its installed ``node_modules``."""
    for f in sorted((data / TRIVY_DEP / "nodejs/npm/testdata").glob("package-lock_*.json")):
        _put(f, root / "srv" / f"trivy-{f.stem}" / "package-lock.json")
    for f in sorted((data / SYFT / "javascript/testdata/pkg-lock").glob("*.json")):
        if f.name != "package-lock.json":
            _put(f, root / "srv" / f"syft-{f.stem}" / "package-lock.json")
    _put(data / SYFT / "javascript/testdata/pkg-lock/package-lock.json", root / "srv/syft-installed/package-lock.json")
    _put(data / SYFT / "javascript/testdata/pkg-lock/node_modules", root / "srv/syft-installed/node_modules")


def npm_installed(data: Path, root: Path) -> None:
    """An application with an npm install: lock entries npm skipped, vendored copies, manifests
    that are not packages (``npmtree``: written here, no fixture holds an installed Next.js)."""
    from . import npmtree

    npmtree.write(root)


def js_other_locks(data: Path, root: Path) -> None:
    """yarn and pnpm lock files (trivy's tests), one project each."""
    for f in sorted((data / TRIVY_DEP / "nodejs/yarn/testdata").glob("*.lock")):
        _put(f, root / "srv" / f"yarn-{f.stem}" / "yarn.lock")
    for f in sorted((data / TRIVY_DEP / "nodejs/pnpm/testdata").glob("*.yaml")):
        _put(f, root / "srv" / f"pnpm-{f.stem}" / "pnpm-lock.yaml")


def other_languages(data: Path, root: Path) -> None:
    """Ruby gemspecs where gems install them, PHP composer ``installed.json`` (v1, v2), .NET
    ``*.deps.json`` and Rust ``Cargo.lock`` files."""
    specs = root / "usr/local/lib/ruby/gems/3.2.0/specifications"
    for f in sorted((data / TRIVY_DEP / "ruby/gemspec/testdata").glob("*.gemspec")):
        _put(f, specs / f.name)
    for f in sorted((data / SYFT / "ruby/testdata").glob("*.gemspec")):
        _put(f, specs / f.name)
    for v in ("composer_1", "composer_2"):
        _put(data / SYFT / f"php/testdata/vendor/{v}/installed.json", root / f"srv/php-{v}/vendor/composer/installed.json")
    for f in sorted((data / TRIVY_DEP / "dotnet/core_deps/testdata").glob("*.deps.json")):
        _put(f, root / "srv" / f"dotnet-{f.name.removesuffix('.deps.json')}" / f.name)
    for f in sorted((data / SYFT / "rust/testdata").glob("Cargo.lock*")):
        _put(f, root / "srv" / f"rust-{f.name.replace('.', '-')}" / "Cargo.lock")
    _put(data / SYFT / "rust/testdata/path-deps/Cargo.lock", root / "srv/rust-path-deps/Cargo.lock")


def go_binary(data: Path, root: Path) -> None:
    """A Go binary (not a fixture: the fixtures hold no compiled files) built here, offline, from
    real module zips, with a module replaced by another and one by a local directory."""
    from . import gobinary, images

    gobinary.build_app(root / "usr/local/bin/app", images.out_dir() / "cache" / "go-build")
    gobinary.build_app(root / "usr/local/bin/app-vcs", images.out_dir() / "cache" / "go-build", vcs=True)


@dataclass(frozen=True)
class Tree:
    name: str
    build: Callable[[Path, Path], None]
    # what the files are: "installed" packages (read by trivy's rootfs mode and syft's image
    # catalogers), a "project"'s lock files (trivy's fs mode, syft's directory catalogers), or
    # both. Each peer leaves the other kind out in each mode.
    kinds: tuple[str, ...]

    @property
    def trivy_modes(self) -> tuple[str, ...]:
        return tuple({"installed": "rootfs", "project": "fs"}[k] for k in self.kinds)

    @property
    def syft_catalogers(self) -> str:
        # one syft run with both sets where both apply: each run costs ~3 s of start-up
        return ",".join({"installed": "image", "project": "directory"}[k] for k in self.kinds)


TREES = (
    Tree("ubuntu-dpkg", ubuntu_dpkg, ("installed",)),
    Tree("debian-distroless", debian_distroless, ("installed",)),
    Tree("alpine-apk", alpine_apk, ("installed",)),
    Tree("rpm-sqlite", rpm_sqlite, ("installed",)),
    Tree("rpm-ndb", rpm_ndb, ("installed",)),
    Tree("rpm-bdb", rpm_bdb, ("installed",)),
    Tree("python-site", python_site, ("installed",)),
    Tree("npm-projects", npm_projects, ("installed", "project")),
    Tree("npm-installed", npm_installed, ("installed", "project")),
    Tree("js-other-locks", js_other_locks, ("project",)),
    Tree("other-languages", other_languages, ("installed", "project")),
    Tree("go-binary", go_binary, ("installed",)),
)
BY_NAME = {t.name: t for t in TREES}


def build_tree(name: str, data: Path, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    BY_NAME[name].build(data, dest)
    return dest
