"""Getting real packages, cached under ``<out>/cache`` so that rebuilds run offline.

- Debian: ``debootstrap --variant=minbase`` (rootfs kept as a tarball), or a few ``.deb`` files
  fetched with ``apt-get download`` and unpacked with ``dpkg-deb`` plus a matching dpkg database.
- PyPI: wheels fetched with ``pip download`` for CPython 3.11 / manylinux x86_64 (Debian bookworm's
  Python), installed with ``pip install --no-index`` from the cache.
- npm: ``npm ci`` from a committed ``package-lock.json`` with a private npm cache.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY_VERSION = "3.11"  # Debian bookworm's python3
SITE_PACKAGES = f"usr/local/lib/python{PY_VERSION}/site-packages"
_PIP_TARGET = [
    "--only-binary=:all:",
    "--python-version",
    PY_VERSION,
    "--platform",
    "manylinux2014_x86_64",
    "--implementation",
    "cp",
    "--abi",
    "cp311",
]


def log(msg: str) -> None:
    print(f"  {msg}", file=sys.stderr, flush=True)


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    log("$ " + " ".join(cmd))
    return subprocess.run(cmd, check=True, text=True, **kw)  # type: ignore[call-overload,no-any-return]


# ------------------------------------------------------------------------------------ debian


def apt_mirror() -> str:
    """The Debian mirror this machine's apt uses (deb822 ``.sources`` or one-line format)."""
    files = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for f in files:
        if not f.is_file():
            continue
        text = f.read_text(errors="replace")
        if f.suffix == ".sources":
            for stanza in re.split(r"\n\s*\n", text):
                uris = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
                suites = re.search(r"^Suites:\s*(.+)$", stanza, re.M)
                if uris and suites and "bookworm" in suites.group(1).split():
                    return uris.group(1)
        else:
            for line in text.splitlines():
                parts = line.split()
                if len(parts) >= 3 and parts[0] == "deb" and "bookworm" in parts:
                    return next(p for p in parts[1:] if "://" in p)
    return "http://deb.debian.org/debian"


def _unmount_under(root: Path) -> None:
    # debootstrap mounts proc and sys inside the target and may leave them behind on failure.
    mounts = Path("/proc/mounts").read_text().splitlines()
    targets = [m.split()[1] for m in mounts if len(m.split()) > 1]
    for t in sorted((t for t in targets if t.startswith(str(root) + "/")), reverse=True):
        subprocess.run(["umount", "-l", t], check=False)


# Dropped from the debootstrap tree: mount points' and caches' contents, files with build times.
_DROP_CONTENTS = ("proc", "sys", "dev", "run", "tmp", "var/cache/apt/archives", "var/lib/apt/lists")
_DROP_FILES = (
    "debootstrap",
    "var/log/bootstrap.log",
    "var/cache/ldconfig/aux-cache",
    "var/cache/apt/pkgcache.bin",
    "var/cache/apt/srcpkgcache.bin",
)


def rootfs_exclude(rel: str) -> bool:
    return rel in _DROP_FILES or any(rel.startswith(d + "/") for d in _DROP_CONTENTS)


def debootstrap_tarball(cache: Path, suite: str = "bookworm") -> Path:
    """A ``--variant=minbase`` rootfs as a tarball (numeric owners kept), built once."""
    tarball = cache / f"debootstrap-{suite}-minbase.tar"
    if tarball.exists():
        return tarball
    root = cache / "work" / f"debootstrap-{suite}"
    debs = cache / "debootstrap-debs"
    debs.mkdir(parents=True, exist_ok=True)
    if root.exists():
        _unmount_under(root)
        shutil.rmtree(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    try:
        run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--cache-dir={debs}",
                suite,
                str(root),
                apt_mirror(),
            ],
            stdout=subprocess.DEVNULL,
        )
    finally:
        _unmount_under(root)
    tmp = tarball.with_suffix(".tar.tmp")
    # GNU tar keeps numeric owners and setuid bits; the writer normalises times later.
    run(["tar", "--numeric-owner", "--xattrs", "-C", str(root), "-cf", str(tmp), "."])
    os.replace(tmp, tarball)
    shutil.rmtree(root)
    return tarball


_TIMESTAMPED_LOGS = (
    "var/log/alternatives.log",
    "var/log/dpkg.log",
    "var/log/bootstrap.log",
    "var/log/apt/history.log",
    "var/log/apt/term.log",
    "var/log/apt/eipp.log.xz",
)


def normalize_rootfs(root: Path, epoch: int) -> None:
    """Removes what makes two debootstrap runs differ (as Debian's own image builds do with
    SOURCE_DATE_EPOCH): install logs with times, and the "last password change" day of every
    /etc/shadow entry, set to the epoch's day."""
    for rel in _TIMESTAMPED_LOGS:
        (root / rel).unlink(missing_ok=True)
    shadow = root / "etc/shadow"
    if shadow.is_file():
        day = str(epoch // 86400)
        lines = []
        for line in shadow.read_text().splitlines():
            f = line.split(":")
            if len(f) > 2 and f[2]:
                f[2] = day
            lines.append(":".join(f))
        st = shadow.stat()
        shadow.write_text("\n".join(lines) + "\n")
        os.chmod(shadow, st.st_mode)


def extract_tarball(tarball: Path, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    run(["tar", "--numeric-owner", "-p", "--xattrs", "-C", str(dest), "-xf", str(tarball)])
    return dest


def apt_download(packages: list[str], cache: Path) -> list[Path]:
    """``.deb`` files for ``packages`` (versions as apt's candidate), kept in ``cache/debs``."""
    dest = cache / "debs"
    dest.mkdir(parents=True, exist_ok=True)
    found: list[Path] = []
    missing: list[str] = []
    for p in packages:
        hits = sorted(dest.glob(f"{p}_*.deb"))
        if hits:
            found.append(hits[-1])
        else:
            missing.append(p)
    if missing:
        try:
            run(
                ["apt-get", "-o", "APT::Sandbox::User=root", "download", "-q", *missing],
                cwd=dest,
                stdout=subprocess.DEVNULL,
            )
        except subprocess.CalledProcessError:
            run(["apt-get", "update", "-qq"])
            run(
                ["apt-get", "-o", "APT::Sandbox::User=root", "download", "-q", *missing],
                cwd=dest,
                stdout=subprocess.DEVNULL,
            )
        for p in missing:
            found.append(sorted(dest.glob(f"{p}_*.deb"))[-1])
    return found


_USRMERGE = ("bin", "sbin", "lib", "lib64")


def debs_rootfs(debs: list[Path], dest: Path) -> Path:
    """A merged-/usr rootfs from ``debs``: their files plus a dpkg database (status, and per
    package ``.list``/``.md5sums``) as dpkg would have written it, without running scripts."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    usr = dest / "usr"
    usr.mkdir()
    for d in _USRMERGE:
        (usr / d).mkdir()
        (dest / d).symlink_to(f"usr/{d}")
    info = dest / "var/lib/dpkg/info"
    info.mkdir(parents=True)
    stanzas: list[str] = []
    for deb in debs:
        stage = dest.parent / (dest.name + ".stage")
        if stage.exists():
            shutil.rmtree(stage)
        run(["dpkg-deb", "-x", str(deb), str(stage)], stdout=subprocess.DEVNULL)
        paths = _merge_usr(stage, dest)
        shutil.rmtree(stage)
        ctrl = subprocess.run(
            ["dpkg-deb", "-f", str(deb)], check=True, capture_output=True, text=True
        ).stdout
        fields = _control_fields(ctrl)
        name = fields["Package"]
        if fields.get("Multi-Arch") == "same":
            name += ":" + fields["Architecture"]
        stanzas.append(_status_stanza(ctrl))
        (info / f"{name}.list").write_text("".join(f"{p}\n" for p in paths))
        cdir = dest.parent / (dest.name + ".control")
        if cdir.exists():
            shutil.rmtree(cdir)
        run(["dpkg-deb", "-e", str(deb), str(cdir)], stdout=subprocess.DEVNULL)
        for extra in ("md5sums", "conffiles"):
            if (cdir / extra).exists():
                shutil.copyfile(cdir / extra, info / f"{name}.{extra}")
        shutil.rmtree(cdir)
    (dest / "var/lib/dpkg/status").write_text("\n".join(sorted(stanzas)))
    for d in ("tmp", "root", "etc", "var/tmp"):
        (dest / d).mkdir(parents=True, exist_ok=True)
    (dest / "tmp").chmod(0o1777)
    (dest / "var/tmp").chmod(0o1777)
    (dest / "root").chmod(0o700)
    return dest


def _control_fields(ctrl: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in ctrl.splitlines():
        if line and not line[0].isspace() and ":" in line:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def _status_stanza(ctrl: str) -> str:
    lines = ctrl.rstrip("\n").splitlines()
    out: list[str] = []
    for line in lines:
        out.append(line)
        if line.startswith("Package:"):
            out.append("Status: install ok installed")
    return "\n".join(out) + "\n"


def _merge_usr(stage: Path, dest: Path) -> list[str]:
    """Moves the extracted package into ``dest`` (top-level bin/lib... into usr/) and returns
    the package's paths in dpkg ``.list`` form (as shipped: "/lib/...", directories too)."""
    listed: list[str] = ["/."]
    for cur, dirs, files in os.walk(stage):
        dirs.sort()
        rel_dir = os.path.relpath(cur, stage)
        for name in sorted(dirs) + sorted(files):
            rel = os.path.normpath(os.path.join(rel_dir, name))
            listed.append("/" + rel)
            src = Path(cur) / name
            parts = rel.split("/")
            if parts[0] in _USRMERGE:
                parts = ["usr", *parts]
            target = dest.joinpath(*parts)
            if src.is_dir() and not src.is_symlink():
                target.mkdir(exist_ok=True)
                shutil.copystat(src, target)
                st = src.lstat()
                os.chown(target, st.st_uid, st.st_gid)
            else:
                if target.exists() or target.is_symlink():
                    target.unlink()
                os.rename(src, target)
    return listed


# -------------------------------------------------------------------------------------- pypi


def read_pins(name: str) -> list[str]:
    """``bench/images/requirements/<name>.txt``: one ``name==version`` a line."""
    lines = (HERE / "requirements" / f"{name}.txt").read_text().splitlines()
    return [ln.split("#", 1)[0].strip() for ln in lines if ln.split("#", 1)[0].strip()]


def _batches(pins: list[str]) -> list[list[str]]:
    """Splits pins so that no batch names a project twice (pip refuses two versions at once)."""
    out: list[list[str]] = []
    for pin in pins:
        name = re.sub(r"[-_.]+", "-", pin.split("==")[0]).lower()
        for batch in out:
            if all(re.sub(r"[-_.]+", "-", q.split("==")[0]).lower() != name for q in batch):
                batch.append(pin)
                break
        else:
            out.append([pin])
    return out


def ensure_wheels(pins: list[str], cache: Path, sdists: tuple[str, ...] = ()) -> Path:
    """All ``pins`` as wheels in ``cache/wheels``; ``sdists`` names pins that PyPI has only as
    source (built here once into a wheel)."""
    wheels = cache / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip"]
    for batch in _batches(pins):
        offline = [*pip, "download", "-q", "--no-deps", "--no-index", "--find-links", str(wheels)]
        if (
            subprocess.run([*offline, "-d", str(wheels), *batch], capture_output=True).returncode
            == 0
        ):
            continue
        binary = [p for p in batch if p.split("==")[0] not in sdists]
        if binary:
            run([*pip, "download", "-qq", "--no-deps", *_PIP_TARGET, "-d", str(wheels), *binary])
        for p in batch:
            if p.split("==")[0] in sdists:
                no_binary = ["--no-binary", p.split("==")[0]]
                run([*pip, "wheel", "-qq", "--no-deps", *no_binary, "-w", str(wheels), p])
    return wheels


def pip_install(pins: list[str], wheels: Path, root: Path, prefix: str = "/usr/local") -> Path:
    """Installs ``pins`` from the wheel cache into ``root`` + ``prefix`` as pip would inside
    the image: no byte-code (it embeds times), scripts pointed at the image's python3."""
    run(
        [
            sys.executable, "-m", "pip", "install", "-qq", "--no-deps", "--no-index",
            "--no-compile", "--ignore-installed", "--root-user-action=ignore",
            "--no-warn-script-location", "--no-warn-conflicts",
            "--find-links", str(wheels), "--root", str(root), "--prefix", prefix, *pins,
        ]
    )  # fmt: skip
    bindir = root / prefix.lstrip("/") / "bin"
    if bindir.is_dir():
        for script in sorted(bindir.iterdir()):
            if script.is_file() and not script.is_symlink():
                data = script.read_bytes()
                if data.startswith(b"#!") and b"python" in data.split(b"\n", 1)[0]:
                    rest = data.split(b"\n", 1)[1] if b"\n" in data else b""
                    script.write_bytes(b"#!/usr/bin/python3\n" + rest)
    return root


def dist_dir_names(root: Path, project: str) -> list[str]:
    """site-packages entries (relative to root) that belong to an installed ``project``,
    read from its dist-info RECORD: what ``pip uninstall`` would remove."""
    site = root / SITE_PACKAGES
    norm = re.sub(r"[-_.]+", "_", project).lower()
    for d in site.glob("*.dist-info"):
        dist_name = d.name.removesuffix(".dist-info").rsplit("-", 1)[0]
        if re.sub(r"[-_.]+", "_", dist_name).lower() == norm:
            tops: set[str] = set()
            for line in (d / "RECORD").read_text().splitlines():
                first = line.split(",", 1)[0].split("/", 1)[0]
                if first and not first.startswith(".."):
                    tops.add(first)
            return sorted(f"{SITE_PACKAGES}/{t}" for t in tops)
    raise SystemExit(f"{project} is not installed under {site}")


# --------------------------------------------------------------------------------------- npm


def npm_ci(project: str, cache: Path, dest: Path) -> Path:
    """Copies ``bench/images/npm/<project>/{package.json,package-lock.json}`` to ``dest`` and
    installs exactly the lock file's packages there (scripts off: nothing runs at build)."""
    src = HERE / "npm" / project
    dest.mkdir(parents=True, exist_ok=True)
    for f in ("package.json", "package-lock.json"):
        shutil.copyfile(src / f, dest / f)
    npm_cache = cache / "npm"
    base = ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--cache", str(npm_cache)]
    base += ["--loglevel=error", "--omit-lockfile-registry-resolved"]
    # Offline first (every tarball and packument cached), else fill the cache from the registry.
    if subprocess.run([*base, "--offline"], cwd=dest, capture_output=True).returncode != 0:
        run([*base, "--prefer-offline"], cwd=dest, stdout=subprocess.DEVNULL)
    return dest
