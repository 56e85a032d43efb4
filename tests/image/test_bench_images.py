"""The benchmark image builder's offline parts: the rootfs made from .deb files (with a real
package built here by dpkg-deb), the build cache, and the planted fake secrets."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from hullcheck.image.writer import ImageConfig, LayerSpec, Member
from tests.conftest import REPO, need

sys.path.insert(0, str(REPO / "bench" / "images"))
import fetch
import ocibuild
import recipes
import truth


def _make_deb(tmp: Path) -> Path:
    """A Multi-Arch: same library package with a conffile, shipped under /lib (pre-usrmerge)."""
    root = tmp / "pkg"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "lib/x86_64-linux-gnu").mkdir(parents=True)
    (root / "lib/x86_64-linux-gnu/libdemo.so.1").write_bytes(b"\x7fELF demo")
    (root / "etc").mkdir()
    (root / "etc/demo.conf").write_text("level=1\n")
    (root / "DEBIAN/control").write_text(
        "Package: libdemo1\nVersion: 1.2-3\nArchitecture: amd64\nMulti-Arch: same\n"
        "Maintainer: Nobody <nobody@example.org>\nSource: demo\nDescription: demo library\n"
        " A library for the test.\n"
    )
    (root / "DEBIAN/conffiles").write_text("/etc/demo.conf\n")
    md5 = hashlib.md5(b"\x7fELF demo").hexdigest()
    (root / "DEBIAN/md5sums").write_text(f"{md5}  lib/x86_64-linux-gnu/libdemo.so.1\n")
    deb = tmp / "libdemo1_1.2-3_amd64.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-b", str(root), str(deb)],
        check=True,
        capture_output=True,
    )
    return deb


def test_debs_rootfs_builds_a_dpkg_database(tmp_path: Path) -> None:
    need(shutil.which("dpkg-deb"), "dpkg-deb is not installed")
    deb = _make_deb(tmp_path)
    root = fetch.debs_rootfs([deb], tmp_path / "rootfs")
    # merged /usr: the package's /lib file lands in /usr/lib, /lib is a symlink
    assert (root / "lib").readlink() == Path("usr/lib")
    assert (root / "usr/lib/x86_64-linux-gnu/libdemo.so.1").read_bytes() == b"\x7fELF demo"
    status = (root / "var/lib/dpkg/status").read_text()
    fields = dict(ln.split(": ", 1) for ln in status.splitlines() if ": " in ln)
    assert fields["Package"] == "libdemo1" and fields["Version"] == "1.2-3"
    assert fields["Status"] == "install ok installed" and fields["Source"] == "demo"
    info = root / "var/lib/dpkg/info"
    listed = (info / "libdemo1:amd64.list").read_text().splitlines()
    assert "/lib/x86_64-linux-gnu/libdemo.so.1" in listed and "/etc/demo.conf" in listed
    assert (info / "libdemo1:amd64.conffiles").read_text() == "/etc/demo.conf\n"
    assert "lib/x86_64-linux-gnu/libdemo.so.1" in (info / "libdemo1:amd64.md5sums").read_text()


def test_pin_batches_and_rootfs_exclusions() -> None:
    batches = fetch._batches(["urllib3==1.23", "requests==2.19.1", "URLLib3==1.24.1"])
    assert batches == [["urllib3==1.23", "requests==2.19.1"], ["URLLib3==1.24.1"]]
    assert fetch.rootfs_exclude("proc/1") and fetch.rootfs_exclude("var/lib/apt/lists/x_Packages")
    assert not fetch.rootfs_exclude("proc") and not fetch.rootfs_exclude("var/lib/dpkg/status")
    # every committed pin file parses to exact name==version pins
    for name in ("example", "python-app", "large-sci", "large-web"):
        pins = fetch.read_pins(name)
        assert pins and all(p.count("==") == 1 for p in pins)


def test_normalize_rootfs_removes_build_times(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "var/log/apt").mkdir(parents=True)
    (tmp_path / "var/log/dpkg.log").write_text("2026-11-28 21:40:00 install x\n")
    (tmp_path / "var/log/apt/term.log").write_text("Log started: 2026-11-28\n")
    (tmp_path / "etc/shadow").write_text("root:*:20785:0:99999:7:::\nnobody:*::0:99999:7:::\n")
    (tmp_path / "etc/shadow").chmod(0o640)
    fetch.normalize_rootfs(tmp_path, 1_700_000_000)
    assert not (tmp_path / "var/log/dpkg.log").exists()
    assert not (tmp_path / "var/log/apt/term.log").exists() and (tmp_path / "var/log/apt").is_dir()
    day = str(1_700_000_000 // 86400)
    assert (tmp_path / "etc/shadow").read_text() == (
        f"root:*:{day}:0:99999:7:::\nnobody:*::0:99999:7:::\n"
    )
    assert (tmp_path / "etc/shadow").stat().st_mode & 0o777 == 0o640


def test_fake_secrets_are_real_syntax_and_stable() -> None:
    pem = recipes.fake_private_key("seed")
    assert pem == recipes.fake_private_key("seed") != recipes.fake_private_key("other")
    assert load_pem_private_key(pem, password=None).key_size == 256  # type: ignore[union-attr]
    assert recipes.GITHUB_TOKEN.startswith("ghp_") and len(recipes.GITHUB_TOKEN) == 40
    assert recipes.AWS_KEY_ID.startswith("AKIA") and len(recipes.AWS_KEY_ID) == 20


def test_build_writes_every_format_and_skips_when_unchanged(tmp_path: Path) -> None:
    calls: list[int] = []

    def prepare(ctx: ocibuild.Context) -> list[LayerSpec]:
        calls.append(1)
        return [LayerSpec("COPY a /a", members=(Member.file("a/hello.txt", "hello\n"),))]

    recipe = ocibuild.Recipe("tiny", "test image", prepare, ImageConfig(cmd=("true",)), {"v": 1})
    ctx = ocibuild.Context(out=tmp_path)
    first = ocibuild.build(recipe, ctx)
    assert not first["skipped"] and calls == [1]
    outs = ocibuild.outputs(tmp_path, "tiny")
    assert all(p.exists() for p in outs.values())
    second = ocibuild.build(recipe, ocibuild.Context(out=tmp_path))
    assert second["skipped"] and calls == [1]
    assert second["manifest_digest"] == first["manifest_digest"]
    # other inputs: rebuilt
    changed = ocibuild.Recipe("tiny", "test image", prepare, ImageConfig(cmd=("false",)), {"v": 1})
    assert not ocibuild.build(changed, ocibuild.Context(out=tmp_path))["skipped"]
    rec = json.loads((tmp_path / "tiny/build.json").read_text())
    assert rec["uncompressed_bytes"] == sum(ly["diff_size"] for ly in rec["image"]["layers"])
    # the archive is tagged as recorded: skopeo finds the image by that tag, and only by it
    need(shutil.which("skopeo"), "skopeo is not installed (apt-get install skopeo)")
    assert rec["ref"] == "hullcheck-bench/tiny:latest"

    def inspect(tag: str) -> subprocess.CompletedProcess[str]:
        ref = f"docker-archive:{outs['docker-archive']}:{tag}"
        return subprocess.run(
            ["skopeo", "inspect", "--config", ref], capture_output=True, text=True
        )

    found = inspect(rec["ref"])
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["config"]["Cmd"] == ["false"]  # the rebuilt one
    assert inspect("hullcheck-bench/tiny:other").returncode != 0


def test_truth_from_inputs(tmp_path: Path) -> None:
    # npm: every locked package, at its node_modules path, with the exact pins of package.json
    project = REPO / "bench/images/npm/node-app"
    pkgs = truth.npm_packages(project / "package-lock.json", "/app")
    lock = json.loads((project / "package-lock.json").read_text())
    assert len(pkgs) == len([k for k in lock["packages"] if k])
    by_path = {p["path"]: p for p in pkgs}
    for name, pin in json.loads((project / "package.json").read_text())["dependencies"].items():
        assert by_path[f"/app/node_modules/{name}"] == {
            "name": name,
            "version": pin,
            "path": f"/app/node_modules/{name}",
        }
    # after `npm ci`: only what it installed (not the optional binaries for other platforms)
    staged = tmp_path / "staged"
    (staged / "node_modules/@esbuild/linux-x64").mkdir(parents=True)
    (staged / "node_modules/@esbuild/linux-x64/package.json").write_text("{}")
    optional = {f"node_modules/@esbuild/{p}": {"version": "0.19.10", "optional": True}
                for p in ("linux-x64", "darwin-arm64")}
    (staged / "package-lock.json").write_text(json.dumps({"lockfileVersion": 3, "packages": {"": {}, **optional}}))
    assert [p["name"] for p in truth.npm_packages(staged / "package-lock.json", "/app")] == ["@esbuild/linux-x64"]
    # python: name and version from METADATA
    site = "usr/local/lib/python3.11/site-packages"
    d = tmp_path / site / "Demo_Pkg-1.0.dist-info"
    d.mkdir(parents=True)
    (d / "METADATA").write_text("Metadata-Version: 2.1\nName: Demo-Pkg\nVersion: 1.0\n\nbody\n")
    (dist,) = truth.python_dists(tmp_path, site)
    assert dist == {"name": "Demo-Pkg", "version": "1.0", "path": f"/{site}/{d.name}"}
    # merge: upper adds, replaces the same path, and drops removed paths
    base = {"os": {"ID": "debian"}, "python": [dist, {"name": "x", "version": "1", "path": "/x"}]}
    upper = {"python": [{"name": "y", "version": "2", "path": "/y"}], "removed_paths": ["/x"]}
    merged = truth.merge(base, upper)
    assert merged["os"] == {"ID": "debian"}
    assert [p["name"] for p in merged["python"]] == ["Demo-Pkg", "y"]
    assert "removed_paths" not in merged


@pytest.mark.parametrize("name", [r.name for r in recipes.ALL])
def test_recipes_have_bases_that_exist(name: str) -> None:
    base = recipes.BY_NAME[name].base
    assert base is None or base in recipes.BY_NAME
