"""The image writer: outputs that skopeo and umoci accept, correct digests, reproducible bytes.

Each test builds a small image from a real directory tree plus explicit members, then checks it
three ways: by re-reading the JSON and blobs here (digests, diff_ids, sizes, tar members), with
skopeo (inspect and copy, which verifies every digest), and with umoci (unpack, which applies
whiteouts and opaque directories).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
import zstandard

from hullcheck.image.writer import (
    DEFAULT_EPOCH,
    BuiltImage,
    Compression,
    EmptyHistory,
    ImageConfig,
    LayerSpec,
    Member,
    build_image,
    write_all,
    write_docker_archive,
    write_oci_archive,
    write_oci_layout,
)
from tests.conftest import need

SITE = "usr/local/lib/python3.11/site-packages"


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _make_tree(root: Path) -> Path:
    """A small rootfs: files, a hardlink, a symlink, a setuid file, a nested package dir."""
    (root / "etc").mkdir(parents=True)
    (root / "etc/os-release").write_text('ID=debian\nVERSION_ID="12"\n')
    (root / "etc/secret.conf").write_text("password=hunter2\n")
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/tool").write_bytes(b"#!/bin/sh\necho tool\n")
    (root / "usr/bin/tool").chmod(0o4755)
    os.link(root / "usr/bin/tool", root / "usr/bin/tool-alias")
    (root / "usr/bin/sh").symlink_to("dash")
    pkg = root / SITE / "urllib3"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("__version__ = '1.23'\n")
    (pkg / "old_module.py").write_text("x = 1\n")
    return root


def _steps(tree: Path) -> list[LayerSpec | EmptyHistory]:
    return [
        LayerSpec("ADD rootfs /", tree=tree),
        EmptyHistory("ENV A=1"),
        LayerSpec(
            "RUN rm /etc/secret.conf && pip install -U urllib3",
            members=(
                Member.whiteout("etc/secret.conf"),
                Member.opaque(f"{SITE}/urllib3"),
                Member.file(f"{SITE}/urllib3/__init__.py", "__version__ = '1.24.1'\n"),
            ),
        ),
        LayerSpec(
            "COPY . /app",
            members=(
                Member.file("app/run.sh", "#!/bin/sh\n", 0o755),
                Member.file("app/data.bin", os.urandom(0) + bytes(range(256)) * 64),
            ),
        ),
    ]


CONFIG = ImageConfig(
    user="1000:1000",
    cmd=("/app/run.sh",),
    working_dir="/app",
    labels=(("org.example.k", "v"),),
    exposed_ports=("8080/tcp",),
    healthcheck={"Test": ["CMD", "true"], "Interval": 30_000_000_000},
)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _make_tree(tmp_path_factory.mktemp("tree") / "rootfs")


def _build(tmp: Path, tree: Path, comp: Compression = Compression.GZIP) -> BuiltImage:
    return build_image(_steps(tree), CONFIG, tmp / "blobs", compression=comp)


def _decompress(data: bytes, media_type: str) -> bytes:
    if media_type.endswith("+gzip"):
        return gzip.decompress(data)
    if media_type.endswith("+zstd"):
        return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read()
    return data


def _members(tar: bytes) -> list[tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
        return tf.getmembers()


def _read_member(tar: bytes, name: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
        f = tf.extractfile(name)
        assert f is not None
        return f.read()


def _read_layout(layout: Path) -> tuple[dict[str, Any], dict[str, Any], list[bytes]]:
    """Re-reads an OCI layout, checking every digest and size on the way; returns the manifest,
    the config and the uncompressed layer tars."""
    assert json.loads((layout / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads((layout / "index.json").read_text())
    (desc,) = index["manifests"]

    def blob(d: dict[str, Any]) -> bytes:
        data = (layout / "blobs/sha256" / d["digest"].split(":")[1]).read_bytes()
        assert _sha(data) == d["digest"]
        assert len(data) == d["size"]
        return data

    manifest = json.loads(blob(desc))
    config = json.loads(blob(manifest["config"]))
    tars = [_decompress(blob(ly), ly["mediaType"]) for ly in manifest["layers"]]
    assert [_sha(t) for t in tars] == config["rootfs"]["diff_ids"]
    return manifest, config, tars


@pytest.mark.parametrize("comp", list(Compression))
def test_layout_digests_config_and_history(tmp_path: Path, tree: Path, comp: Compression) -> None:
    img = _build(tmp_path, tree, comp)
    layout = write_oci_layout(tmp_path / "oci", [(img, "latest")])
    manifest, config, tars = _read_layout(layout)
    assert [ly["mediaType"] for ly in manifest["layers"]] == [comp.media_type] * 3
    # diff_ids and sizes the builder reports are those of the bytes on disk
    assert config["rootfs"]["diff_ids"] == [ly.diff_id for ly in img.layers]
    assert [len(t) for t in tars] == [ly.diff_size for ly in img.layers]
    if comp is Compression.NONE:
        assert [ly.digest for ly in img.layers] == [ly.diff_id for ly in img.layers]
    c = config["config"]
    assert c["User"] == "1000:1000" and c["Cmd"] == ["/app/run.sh"] and c["WorkingDir"] == "/app"
    assert c["Labels"] == {"org.example.k": "v"} and c["ExposedPorts"] == {"8080/tcp": {}}
    assert c["Healthcheck"]["Test"] == ["CMD", "true"]
    steps = _steps(tree)
    assert [h["created_by"] for h in config["history"]] == [s.created_by for s in steps]
    assert [h.get("empty_layer", False) for h in config["history"]] == [
        isinstance(s, EmptyHistory) for s in steps
    ]


def test_layer_tar_members(tmp_path: Path, tree: Path) -> None:
    img = _build(tmp_path, tree)
    _, _, tars = _read_layout(write_oci_layout(tmp_path / "oci", [(img, None)]))
    members = _members(tars[0])
    names = [m.name for m in members]
    expected = sorted(
        (p.relative_to(tree).as_posix() for p in tree.rglob("*")), key=lambda s: s.split("/")
    )
    assert names == expected  # every tree entry, parents before children, sorted
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in members} == {
        (0, 0, "", "", DEFAULT_EPOCH)
    }
    by = {m.name: m for m in members}
    assert by["usr/bin/tool"].mode == 0o4755 and by["usr/bin/tool"].isreg()
    assert by["usr/bin/tool-alias"].islnk() and by["usr/bin/tool-alias"].linkname == "usr/bin/tool"
    assert by["usr/bin/sh"].issym() and by["usr/bin/sh"].linkname == "dash"
    assert _read_member(tars[0], "etc/os-release") == (tree / "etc/os-release").read_bytes()

    upper = [m.name for m in _members(tars[1])]
    # parents of explicit members are added (as docker does), before their contents
    assert upper == [
        "etc",
        "etc/.wh.secret.conf",
        "usr",
        "usr/local",
        "usr/local/lib",
        "usr/local/lib/python3.11",
        SITE,
        f"{SITE}/urllib3",
        f"{SITE}/urllib3/.wh..wh..opq",
        f"{SITE}/urllib3/__init__.py",
    ]


def test_reproducible_bytes(tmp_path: Path, tree: Path) -> None:
    outs = []
    for run in ("a", "b"):
        img = build_image(_steps(tree), CONFIG, tmp_path / run / "blobs")
        arch = write_oci_archive(tmp_path / run / "img.oci.tar", [(img, "latest")])
        dock = write_docker_archive(tmp_path / run / "img.docker.tar", img, ["x/y:1"])
        outs.append((img.manifest_digest, arch.read_bytes(), dock.read_bytes()))
    assert outs[0] == outs[1]
    # and a changed input changes the digest
    other = build_image(_steps(tree)[:1], CONFIG, tmp_path / "c" / "blobs")
    assert other.manifest_digest != outs[0][0]


def test_docker_archive_classic(tmp_path: Path, tree: Path) -> None:
    img = _build(tmp_path, tree)
    path = write_docker_archive(tmp_path / "d.tar", img, ["bench/app:1", "bench/app:latest"])
    with tarfile.open(path) as tf:
        (entry,) = json.loads(tf.extractfile("manifest.json").read())  # type: ignore[union-attr]
        assert entry["RepoTags"] == ["bench/app:1", "bench/app:latest"]
        config = tf.extractfile(entry["Config"]).read()  # type: ignore[union-attr]
        assert entry["Config"] == img.config_digest.split(":")[1] + ".json"
        assert config == img.config
        diff_ids = json.loads(config)["rootfs"]["diff_ids"]
        assert len(entry["Layers"]) == len(diff_ids) == 3
        for name, diff_id in zip(entry["Layers"], diff_ids, strict=True):
            assert name.endswith("/layer.tar")
            assert _sha(tf.extractfile(name).read()) == diff_id  # type: ignore[union-attr]
        repos = json.loads(tf.extractfile("repositories").read())  # type: ignore[union-attr]
        assert set(repos["bench/app"]) == {"1", "latest"}
        assert entry["Layers"][-1].split("/")[0] == repos["bench/app"]["latest"]


def test_docker_archive_docker25(tmp_path: Path, tree: Path) -> None:
    img = _build(tmp_path, tree, Compression.ZSTD)
    path = write_docker_archive(tmp_path / "d.tar", img, ["bench/app:1"], layout="oci")
    with tarfile.open(path) as tf:
        (entry,) = json.loads(tf.extractfile("manifest.json").read())  # type: ignore[union-attr]
        index = json.loads(tf.extractfile("index.json").read())  # type: ignore[union-attr]
        mdesc = index["manifests"][0]
        assert mdesc["annotations"] == {
            "io.containerd.image.name": "docker.io/bench/app:1",
            "org.opencontainers.image.ref.name": "1",
        }
        manifest_bytes = tf.extractfile("blobs/sha256/" + mdesc["digest"][7:]).read()  # type: ignore[union-attr]
        assert _sha(manifest_bytes) == mdesc["digest"]
        manifest = json.loads(manifest_bytes)
        # Docker 25+ keeps layers as plain tars: the layer digests are the diff_ids
        assert [ly["digest"] for ly in manifest["layers"]] == [ly.diff_id for ly in img.layers]
        assert entry["Layers"] == [f"blobs/sha256/{ly.diff_id[7:]}" for ly in img.layers]
        for name in entry["Layers"]:
            assert _sha(tf.extractfile(name).read()) == "sha256:" + name.rsplit("/", 1)[1]  # type: ignore[union-attr]


def test_base_stacking_and_record_roundtrip(tmp_path: Path, tree: Path) -> None:
    blobs = tmp_path / "blobs"
    base = build_image(_steps(tree)[:2], ImageConfig(), blobs)
    restored = BuiltImage.from_record(blobs, json.loads(json.dumps(base.to_record())))
    assert restored == base
    child = build_image(
        [LayerSpec("COPY x /x", members=(Member.file("x", "x"),))],
        ImageConfig(),
        blobs,
        base=restored,
    )
    cfg = json.loads(child.config)
    assert child.layers[:1] == base.layers and len(child.layers) == 2
    assert [h["created_by"] for h in cfg["history"]] == ["ADD rootfs /", "ENV A=1", "COPY x /x"]


def test_unsafe_and_duplicate_members_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unsafe"):
        build_image(
            [LayerSpec("x", members=(Member.file("../etc/passwd", "x"),))], ImageConfig(), tmp_path
        )
    with pytest.raises(ValueError, match="duplicate"):
        build_image(
            [LayerSpec("x", members=(Member.file("a", "1"), Member.file("/a", "2")))],
            ImageConfig(),
            tmp_path,
        )
    # hostile-input tests can still ask for them
    img = build_image(
        [
            LayerSpec(
                "x", members=(Member.file("../evil", "x"),), allow_unsafe=True, add_parents=False
            )
        ],
        ImageConfig(),
        tmp_path,
    )
    data = gzip.decompress(img.blob_path(img.layers[0].digest).read_bytes())
    assert [m.name for m in _members(data)] == ["../evil"]


# ------------------------------------------------------------------------ external validators


def _skopeo(*args: str) -> Any:
    out = subprocess.run(["skopeo", *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out) if out.strip().startswith(("{", "[")) else out


@pytest.mark.parametrize("comp", [Compression.GZIP, Compression.ZSTD])
def test_skopeo_reads_every_format(tmp_path: Path, tree: Path, comp: Compression) -> None:
    need(shutil.which("skopeo"), "skopeo is not installed (apt-get install skopeo)")
    img = _build(tmp_path, tree, comp)
    layout = write_oci_layout(tmp_path / "oci", [(img, "v1")])
    archive = write_oci_archive(tmp_path / "img.oci.tar", [(img, "v1")])
    classic = write_docker_archive(tmp_path / "img.docker.tar", img, ["bench/app:v1"])
    d25 = write_docker_archive(tmp_path / "img.d25.tar", img, ["bench/app:v1"], layout="oci")
    blob_digests = [ly.digest for ly in img.layers]
    diff_ids = [ly.diff_id for ly in img.layers]
    for ref in (f"oci:{layout}:v1", f"oci-archive:{archive}:v1"):
        info = _skopeo("inspect", ref)
        assert info["Digest"] == img.manifest_digest
        assert info["Layers"] == blob_digests
        config = _skopeo("inspect", "--config", ref)
        assert config["rootfs"]["diff_ids"] == diff_ids
        assert config["config"]["User"] == "1000:1000"
    for ref in (f"docker-archive:{classic}", f"docker-archive:{d25}"):
        info = _skopeo("inspect", ref)
        assert info["Layers"] == diff_ids  # docker-archives hold plain tars
        assert _skopeo("inspect", "--config", ref)["config"]["Cmd"] == ["/app/run.sh"]
    # skopeo copy verifies every blob digest on the way and re-reads the result
    _skopeo("copy", "--quiet", f"oci:{layout}:v1", f"dir:{tmp_path / 'copied'}")
    _skopeo("copy", "--quiet", f"docker-archive:{classic}", f"oci:{tmp_path / 'fromdocker'}:x")
    assert (
        _skopeo("inspect", "--config", f"oci:{tmp_path / 'fromdocker'}:x")["rootfs"]["diff_ids"]
        == diff_ids
    )


def test_umoci_applies_whiteouts_opaque_dirs_and_modes(tmp_path: Path, tree: Path) -> None:
    need(shutil.which("umoci"), "umoci is not installed (apt-get install umoci)")
    img = _build(tmp_path, tree)
    layout = write_oci_layout(tmp_path / "oci", [(img, "latest")])
    subprocess.run(
        ["umoci", "unpack", "--image", f"{layout}:latest", str(tmp_path / "bundle")],
        check=True,
        capture_output=True,
    )
    root = tmp_path / "bundle" / "rootfs"
    assert not (root / "etc/secret.conf").exists()  # whiteout applied
    assert (root / "etc/os-release").read_bytes() == (tree / "etc/os-release").read_bytes()
    # the opaque directory hid the lower layer's files; this layer's file remains
    assert sorted(p.name for p in (root / SITE / "urllib3").iterdir()) == ["__init__.py"]
    assert "1.24.1" in (root / SITE / "urllib3/__init__.py").read_text()
    tool = (root / "usr/bin/tool").stat()
    assert tool.st_mode & 0o7777 == 0o4755
    assert tool.st_ino == (root / "usr/bin/tool-alias").stat().st_ino  # hardlink kept
    assert os.readlink(root / "usr/bin/sh") == "dash"
    assert (root / "app/data.bin").read_bytes() == bytes(range(256)) * 64
    runtime = json.loads((tmp_path / "bundle" / "config.json").read_text())
    assert runtime["process"]["user"]["uid"] == 1000
    assert runtime["process"]["args"] == ["/app/run.sh"]


def test_multi_platform_index(tmp_path: Path) -> None:
    need(shutil.which("skopeo"), "skopeo is not installed (apt-get install skopeo)")
    blobs = tmp_path / "blobs"
    imgs = {
        arch: build_image(
            [LayerSpec("ADD arch /", members=(Member.file("etc/arch", arch),))],
            ImageConfig(architecture=arch, variant="v8" if arch == "arm64" else None),
            blobs,
        )
        for arch in ("amd64", "arm64")
    }
    pairs = [(img, None) for img in imgs.values()]
    layout = write_oci_layout(tmp_path / "oci", pairs, index_tag="multi")
    archive = write_oci_archive(tmp_path / "multi.tar", pairs, index_tag="multi")
    for ref in (f"oci:{layout}:multi", f"oci-archive:{archive}:multi"):
        nested = _skopeo("inspect", "--raw", ref)
        assert nested["mediaType"] == "application/vnd.oci.image.index.v1+json"
        assert [m["platform"]["architecture"] for m in nested["manifests"]] == ["amd64", "arm64"]
        for arch, img in imgs.items():
            # skopeo picks the platform's manifest and hands back exactly its config bytes
            raw = subprocess.run(
                ["skopeo", "--override-arch", arch, "inspect", "--config", "--raw", ref],
                check=True,
                capture_output=True,
            ).stdout
            assert _sha(raw) == img.config_digest


def test_write_all_gives_every_format(tmp_path: Path) -> None:
    paths = write_all(
        tmp_path, [LayerSpec("COPY x /x", members=(Member.file("x", "x"),))], tag="t1"
    )
    assert set(paths) == {"oci", "oci-archive", "docker-archive", "docker25-archive"}
    _, _, tars = _read_layout(paths["oci"])
    index = json.loads((paths["oci"] / "index.json").read_text())
    assert index["manifests"][0]["annotations"] == {"org.opencontainers.image.ref.name": "t1"}
    assert [m.name for m in _members(tars[0])] == ["x"]
    for kind in ("docker-archive", "docker25-archive"):
        with tarfile.open(paths[kind]) as tf:
            f = tf.extractfile("manifest.json")
            assert f is not None
            assert json.loads(f.read())[0]["RepoTags"] == ["example/image:t1"]


def test_keep_owners_and_exclude(tmp_path: Path) -> None:
    need(os.geteuid() == 0, "changing file owners needs root")
    tree = tmp_path / "rootfs"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc/shadow").write_text("root:*:19675:0:99999:7:::\n")
    os.chown(tree / "etc/shadow", 0, 42)
    (tree / "proc/1").mkdir(parents=True)
    (tree / "proc/1/status").write_text("x")
    spec = LayerSpec(
        "ADD rootfs /", tree=tree, keep_owners=True, exclude=lambda rel: rel.startswith("proc/")
    )
    img = build_image([spec], ImageConfig(), tmp_path / "blobs", compression=Compression.NONE)
    tar = img.blob_path(img.layers[0].digest).read_bytes()
    owners = {m.name: (m.uid, m.gid) for m in _members(tar)}
    assert owners == {"etc": (0, 0), "etc/shadow": (0, 42), "proc": (0, 0)}
