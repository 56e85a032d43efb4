"""Reading OCI layouts, OCI archives, docker archives and root filesystems."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hullcheck.errors import ImageError
from hullcheck.image.filesystem import SquashedView, all_files
from hullcheck.image.open import open_image
from hullcheck.model import Platform

from .build import ImageSpec, d, docker_archive, f, hard, layer_tar, multiarch_layout, oci_layout, sha, sym, tar_dir


def app_image(compression: str = "gzip") -> ImageSpec:
    return ImageSpec(
        layers=[
            [d("etc"), f("etc/os-release", "ID=debian\nVERSION_ID=12\n"), d("usr"), d("usr/lib"),
             f("usr/lib/libx.so", b"\x7fELF" + b"\0" * 60), d("app"), f("app/old.txt", "v1"),
             d("cache"), f("cache/a", "a"), d("cache/sub"), f("cache/sub/b", "b")],
            [d("app"), f("app/secret.pem", "-----BEGIN PRIVATE KEY-----"), f("app/new.txt", "v2")],
            # deletes the secret (whiteout) and hides cache/ (opaque), adds cache/c
            [d("app"), f("app/.wh.secret.pem"), f("app/.wh.old.txt"), d("cache"), f("cache/.wh..wh..opq"),
             f("cache/c", "c"), sym("etc/alt", "../../../../etc/os-release"), hard("usr/lib/libx-link.so", "usr/lib/libx.so")],
        ],
        history=[
            {"created_by": "ADD rootfs.tar /"},
            {"created_by": "ENV A=1", "empty_layer": True},
            {"created_by": "COPY app /app"},
            {"created_by": "USER 1000", "empty_layer": True},
            {"created_by": "RUN rm /app/secret.pem /app/old.txt && rm -rf /cache/*"},
        ],
        config={"User": "1000", "Env": ["PATH=/usr/bin", "A=1"], "Labels": {"org.opencontainers.image.source": "x"}},
        compression=compression,
    )


def check_app(img_ref: str) -> None:
    img = open_image(img_ref)
    meta = img.metadata
    assert len(meta.layers) == 3
    assert [layer.created_by for layer in meta.layers] == [
        "ADD rootfs.tar /", "COPY app /app", "RUN rm /app/secret.pem /app/old.txt && rm -rf /cache/*"]
    assert meta.user == "1000"
    assert meta.env == ("PATH=/usr/bin", "A=1")
    assert meta.label_map["org.opencontainers.image.source"] == "x"
    scans = img.scan()
    view = SquashedView(scans)
    paths = {e.path for e in view}
    assert "/app/secret.pem" not in paths and "/app/old.txt" not in paths
    assert {"/app/new.txt", "/cache/c", "/etc/os-release"} <= paths
    assert "/cache/a" not in paths and "/cache/sub" not in paths and "/cache/sub/b" not in paths
    assert view.layer_of("/app/new.txt") == 1
    assert view.layer_of("/cache/c") == 2
    assert view.layer_of("/etc/os-release") == 0
    # the deleted secret is still in the image, in layer 1
    deleted = [e for e in all_files(scans) if e.path == "/app/secret.pem"]
    assert [e.layer for e in deleted] == [1]
    # symlinks resolve inside the image root only
    assert view.resolve("/etc/alt") == "/etc/os-release"
    assert view.resolve("/usr/lib/libx-link.so") == "/usr/lib/libx.so"


@pytest.mark.parametrize("compression", ["gzip", "zstd", "none"])
def test_oci_layout(tmp_path: Path, compression: str) -> None:
    root = oci_layout(tmp_path / "layout", {"1.0": app_image(compression)})
    check_app(f"oci:{root}")
    check_app(f"oci:{root}:1.0")
    check_app(str(root))  # a bare path is recognised by its content


def test_oci_archive(tmp_path: Path) -> None:
    root = oci_layout(tmp_path / "layout", {"1.0": app_image()})
    archive = tar_dir(root, tmp_path / "img.tar")
    check_app(f"oci-archive:{archive}")
    check_app(str(archive))


def test_docker_archive(tmp_path: Path) -> None:
    archive = docker_archive(tmp_path / "img.tar", app_image("none"))
    check_app(f"docker-archive:{archive}")
    check_app(str(archive))
    meta = open_image(f"docker-archive:{archive}").metadata
    assert meta.repo_tags == ("example/app:1.0",)


def test_layout_selects_by_tag_and_digest(tmp_path: Path) -> None:
    a, b = app_image(), ImageSpec(layers=[[f("only-b", "b")]])
    root = oci_layout(tmp_path / "layout", {"a": a, "b": b})
    with pytest.raises(ImageError, match="several images"):
        open_image(f"oci:{root}")
    mb = open_image(f"oci:{root}:b").metadata
    assert len(mb.layers) == 1
    assert open_image(f"oci:{root}@{mb.manifest_digest}").metadata.config_digest == mb.config_digest
    with pytest.raises(ImageError, match="no image tagged"):
        open_image(f"oci:{root}:missing")


def test_multiarch_platform_selection(tmp_path: Path) -> None:
    root = multiarch_layout(tmp_path / "layout", {
        "amd64": ImageSpec(layers=[[f("arch", "amd64")]]),
        "arm64": ImageSpec(layers=[[f("arch", "arm64")], [f("extra", "x")]]),
    })
    arm = open_image(f"oci:{root}", platform=Platform("linux", "arm64"))
    assert arm.metadata.platform.architecture == "arm64"
    assert len(arm.metadata.layers) == 2
    amd = open_image(f"oci:{root}", platform=Platform("linux", "amd64"))
    assert len(amd.metadata.layers) == 1
    with pytest.raises(ImageError, match="no image for platform linux/s390x"):
        open_image(f"oci:{root}", platform=Platform("linux", "s390x"))


def test_history_with_missing_entries_maps_to_top_layers(tmp_path: Path) -> None:
    img = ImageSpec(layers=[[f("a", "1")], [f("b", "2")], [f("c", "3")]],
                    history=[{"created_by": "RUN b"}, {"created_by": "CMD x", "empty_layer": True}, {"created_by": "RUN c"}])
    root = oci_layout(tmp_path / "l", {"x": img})
    layers = open_image(f"oci:{root}").metadata.layers
    assert [x.created_by for x in layers] == ["", "RUN b", "RUN c"]


def test_layer_cache_reads_nothing_again(tmp_path: Path) -> None:
    root = oci_layout(tmp_path / "layout", {"1.0": app_image()})
    img = open_image(f"oci:{root}")
    first = img.scan()
    assert not any(s.from_cache for s in first)
    # spoil the layer blobs (same size, zero bytes): a cached scan must not read them
    for layer in img.metadata.layers:
        blob = root / "blobs" / "sha256" / layer.digest.split(":")[1]
        blob.write_bytes(b"\0" * blob.stat().st_size)
    second = open_image(f"oci:{root}", ).scan()
    assert all(s.from_cache for s in second)
    assert [s.files for s in second] == [[tuple(r) for r in s.files] for s in first]


def test_a_lying_diff_id_cannot_plant_cached_results(tmp_path: Path) -> None:
    good = ImageSpec(layers=[[f("good", "1")]])
    real = sha(layer_tar(good.layers[0]))
    liar = ImageSpec(layers=[[f("evil", "2")]], diff_ids=[real])  # claims the good layer's diff_id
    root = oci_layout(tmp_path / "layout", {"liar": liar, "good": good, "good-zstd": ImageSpec(
        layers=good.layers, compression="zstd")})
    # the liar is read (its blob digest is right) and reports what it really holds
    assert [r[0] for r in open_image(f"oci:{root}:liar").scan()[0].files] == ["/evil"]
    # the good image, scanned next, gets its own content, not the liar's cached results
    first = open_image(f"oci:{root}:good").scan()[0]
    assert not first.from_cache and [r[0] for r in first.files] == ["/good"]
    again = open_image(f"oci:{root}:good").scan()[0]
    assert again.from_cache and [r[0] for r in again.files] == ["/good"]
    # an unverified diff_id files nothing under it: the zstd copy of the same layer is read
    assert not open_image(f"oci:{root}:good-zstd").scan()[0].from_cache


def test_verified_diff_id_is_shared_across_compressions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HULLCHECK_VERIFY_DIFF_IDS", "1")
    good = ImageSpec(layers=[[f("good", "1")]])
    root = oci_layout(tmp_path / "layout", {"gz": good, "zst": ImageSpec(layers=good.layers, compression="zstd")})
    first = open_image(f"oci:{root}:gz").scan()[0]
    assert not first.from_cache and first.diff_id_verified
    second = open_image(f"oci:{root}:zst").scan()[0]
    assert second.from_cache and [r[0] for r in second.files] == ["/good"]


def test_rootfs(tmp_path: Path) -> None:
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text("ID=alpine\n")
    (root / "loop").symlink_to("loop")
    (root / "escape").symlink_to("/../../../../etc/shadow")
    os.mkfifo(root / "fifo")  # must never be opened (it would block)
    img = open_image(f"rootfs:{root}")
    scans = img.scan()
    view = SquashedView(scans)
    assert view.get("/etc/os-release") is not None
    assert view.resolve("/loop") is None
    assert view.resolve("/escape") is None  # /etc/shadow is not in this root
    assert "/fifo" not in view
    assert open_image(str(root)).rootfs == root


def test_inspect_cli_json(tmp_path: Path, run_cli) -> None:
    root = oci_layout(tmp_path / "layout", {"1.0": app_image()})
    r = run_cli("image", "inspect", f"oci:{root}", "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["user"] == "1000"
    assert [x["created_by"] for x in doc["layers"]][1] == "COPY app /app"
    tars, _blobs, _cfg = app_image().build()
    assert [x["diff_id"] for x in doc["layers"]] == [sha(t) for t in tars]
    r = run_cli("image", "inspect", f"oci:{root}")
    assert r.returncode == 0 and "COPY app /app" in r.stdout


def test_ls_cli(tmp_path: Path, run_cli) -> None:
    root = oci_layout(tmp_path / "layout", {"1.0": app_image()})
    r = run_cli("image", "ls", f"oci:{root}", "--format", "json")
    assert r.returncode == 0, r.stderr
    files = {x["path"]: x["layer"] for x in json.loads(r.stdout)}
    assert files["/cache/c"] == 2 and "/app/secret.pem" not in files
    r = run_cli("image", "ls", f"oci:{root}", "--all-layers")
    assert "/app/secret.pem" in r.stdout
