"""Hostile and broken images: each gives a one-line error with the documented exit code.

Every case builds its input in the test, runs ``hullcheck image ls`` (which reads every layer)
as a user would, and checks: the exit code, a one-line message naming the problem, no
traceback, and nothing written outside the cache directory.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard

from .build import ImageSpec, d, docker_archive, f, hard, layer_tar, oci_layout, sha, tar_dir, write_blob


def _raw_layer_image(root: Path, tar_bytes: bytes, compression: str = "gzip", diff_id: str | None = None) -> Path:
    """An OCI layout with one layer whose tar bytes are given verbatim."""
    if compression == "gzip":
        blob = gzip.compress(tar_bytes, mtime=0)
    elif compression == "zstd":
        blob = zstandard.ZstdCompressor().compress(tar_bytes)
    else:
        blob = tar_bytes
    root.mkdir(parents=True)
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    cfg = json.dumps({"os": "linux", "architecture": "amd64",
                      "rootfs": {"type": "layers", "diff_ids": [diff_id or sha(tar_bytes)]}}).encode()
    cd = write_blob(root, cfg)
    ld = write_blob(root, blob)
    m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": len(cfg)},
                    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld, "size": len(blob)}]}).encode()
    md = write_blob(root, m)
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": len(m)}]}))
    return root


def _raw_tar(entries: list[tarfile.TarInfo], data: dict[str, bytes] | None = None, fmt: int = tarfile.GNU_FORMAT) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for ti in entries:
            content = (data or {}).get(ti.name)
            if content is not None:
                ti.size = len(content)
                tf.addfile(ti, io.BytesIO(content))
            else:
                tf.addfile(ti)
    return buf.getvalue()


def _ti(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.linkname = link
    return ti


def _good(root: Path) -> Path:
    return oci_layout(root, {"t": ImageSpec(layers=[[d("etc"), f("etc/hostname", "x")], [f("b", "2")]])})


def _layer_blob_path(root: Path, i: int = 0) -> Path:
    idx = json.loads((root / "index.json").read_text())
    m = json.loads((root / "blobs/sha256" / idx["manifests"][0]["digest"].split(":")[1]).read_text())
    return root / "blobs/sha256" / m["layers"][i]["digest"].split(":")[1]


def _manifest_path(root: Path) -> Path:
    idx = json.loads((root / "index.json").read_text())
    return root / "blobs/sha256" / idx["manifests"][0]["digest"].split(":")[1]


def traversal(t: Path) -> tuple[str, dict[str, str]]:
    return f"oci:{_raw_layer_image(t / 'i', _raw_tar([_ti('../../etc/passwd')], {'../../etc/passwd': b'x'}))}", {}


def traversal_inner(t: Path) -> tuple[str, dict[str, str]]:
    return f"oci:{_raw_layer_image(t / 'i', _raw_tar([_ti('a/../../x')], {'a/../../x': b'x'}))}", {}


def absolute(t: Path) -> tuple[str, dict[str, str]]:
    return f"oci:{_raw_layer_image(t / 'i', _raw_tar([_ti('/etc/cron.d/x')], {'/etc/cron.d/x': b'x'}))}", {}


def hardlink_escape(t: Path) -> tuple[str, dict[str, str]]:
    return f"oci:{_raw_layer_image(t / 'i', _raw_tar([_ti('x', tarfile.LNKTYPE, '../../../etc/shadow')]))}", {}


def gzip_bomb(t: Path) -> tuple[str, dict[str, str]]:
    big = layer_tar([f("zeros", b"\0" * (20 * 1024 * 1024))])
    env = {"HULLCHECK_MAX_COMPRESSION_RATIO": "50", "HULLCHECK_MAX_RATIO_FLOOR": "1000000"}
    return f"oci:{_raw_layer_image(t / 'i', big)}", env


def zstd_bomb(t: Path) -> tuple[str, dict[str, str]]:
    big = layer_tar([f("zeros", b"\0" * (20 * 1024 * 1024))])
    env = {"HULLCHECK_MAX_COMPRESSION_RATIO": "50", "HULLCHECK_MAX_RATIO_FLOOR": "1000000"}
    return f"oci:{_raw_layer_image(t / 'i', big, 'zstd')}", env


def too_many_entries(t: Path) -> tuple[str, dict[str, str]]:
    tar = layer_tar([f(f"f{i}", "x") for i in range(50)])
    return f"oci:{_raw_layer_image(t / 'i', tar)}", {"HULLCHECK_MAX_ENTRIES": "20"}


def layer_too_big(t: Path) -> tuple[str, dict[str, str]]:
    tar = layer_tar([f("big", b"\1" * 200_000)])
    return f"oci:{_raw_layer_image(t / 'i', tar)}", {"HULLCHECK_MAX_LAYER_BYTES": "100000"}


def truncated_blob(t: Path) -> tuple[str, dict[str, str]]:
    root = _good(t / "i")
    p = _layer_blob_path(root)
    p.write_bytes(p.read_bytes()[:-30])
    return f"oci:{root}", {}


def truncated_gzip_matching_digest(t: Path) -> tuple[str, dict[str, str]]:
    tar = layer_tar([f("a", os.urandom(50_000))])
    root = _raw_layer_image(t / "i", tar)
    # rebuild with a truncated gzip stream whose digest and size the manifest agrees with
    blob = gzip.compress(tar, mtime=0)[:-5000]
    return f"oci:{_rewrite_layer(root, blob)}", {}


def _rewrite_layer(root: Path, blob: bytes) -> Path:
    mp = _manifest_path(root)
    m = json.loads(mp.read_text())
    m["layers"][0]["digest"] = write_blob(root, blob)
    m["layers"][0]["size"] = len(blob)
    mb = json.dumps(m).encode()
    md = write_blob(root, mb)
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": len(mb)}]}))
    return root


def garbage_blob(t: Path) -> tuple[str, dict[str, str]]:
    root = _good(t / "i")
    return f"oci:{_rewrite_layer(root, os.urandom(4096))}", {}


def wrong_blob_digest(t: Path) -> tuple[str, dict[str, str]]:
    root = _good(t / "i")
    p = _layer_blob_path(root)
    other = gzip.compress(layer_tar([f("evil", "x")]), mtime=0)
    data = (other + b"\0" * p.stat().st_size)[: p.stat().st_size]
    p.write_bytes(data)
    return f"oci:{root}", {}


def wrong_diff_id(t: Path) -> tuple[str, dict[str, str]]:
    # A compressed layer's diff_id is only hashed on request (its blob digest pins the content).
    tar = layer_tar([f("a", "1")])
    return f"oci:{_raw_layer_image(t / 'i', tar, diff_id=sha(b'something else'))}", {"HULLCHECK_VERIFY_DIFF_IDS": "1"}


def wrong_diff_id_plain(t: Path) -> tuple[str, dict[str, str]]:
    # A plain layer's diff_id is its blob digest: always checked.
    tar = layer_tar([f("a", "1")])
    return f"oci:{_raw_layer_image(t / 'i', tar, compression='none', diff_id=sha(b'something else'))}", {}


def invalid_index_json(t: Path) -> tuple[str, dict[str, str]]:
    root = _good(t / "i")
    (root / "index.json").write_text("{not json")
    return f"oci:{root}", {}


def deeply_nested_json(t: Path) -> tuple[str, dict[str, str]]:
    root = _good(t / "i")
    (root / "index.json").write_text("[" * 100_000 + "]" * 100_000)
    return f"oci:{root}", {}


def oversized_manifest(t: Path) -> tuple[str, dict[str, str]]:
    return f"oci:{_good(t / 'i')}", {"HULLCHECK_MAX_MANIFEST_BYTES": "200"}


def schema1(t: Path) -> tuple[str, dict[str, str]]:
    root = _good(t / "i")
    m = json.dumps({"schemaVersion": 1, "name": "x", "tag": "y", "fsLayers": []}).encode()
    md = write_blob(root, m)
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{"digest": md, "size": len(m)}]}))
    return f"oci:{root}", {}


def missing_blob(t: Path) -> tuple[str, dict[str, str]]:
    root = _good(t / "i")
    _layer_blob_path(root).unlink()
    return f"oci:{root}", {}


def digest_traversal(t: Path) -> tuple[str, dict[str, str]]:
    root = _good(t / "i")
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"digest": "sha256:../../../../etc/passwd", "size": 10}]}))
    return f"oci:{root}", {}


def blob_symlink_outside(t: Path) -> tuple[str, dict[str, str]]:
    root = _good(t / "i")
    p = _layer_blob_path(root)
    outside = t / "outside"
    outside.write_bytes(p.read_bytes())
    p.unlink()
    p.symlink_to(outside)
    return f"oci:{root}", {}


def index_loop(t: Path) -> tuple[str, dict[str, str]]:
    root = t / "i"
    root.mkdir()
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    # an index that names itself can't be built (its digest would change); chain 6 indexes instead
    digest, size = "", 0
    for level in range(6):
        manifests = [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "size": size,
                      "platform": {"os": "linux", "architecture": "amd64"}}] if digest else [
            {"mediaType": "application/vnd.oci.image.index.v1+json",
             "digest": "sha256:" + "0" * 64, "size": 1, "platform": {"os": "linux", "architecture": "amd64"}}]
        b = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": manifests, "n": level}).encode()
        digest, size = write_blob(root, b), len(b)
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "size": size}]}))
    return f"oci:{root}", {}


def diff_id_count_mismatch(t: Path) -> tuple[str, dict[str, str]]:
    tar = layer_tar([f("a", "1")])
    root = _raw_layer_image(t / "i", tar)
    mp = _manifest_path(root)
    m = json.loads(mp.read_text())
    m["layers"].append(m["layers"][0])
    mb = json.dumps(m).encode()
    md = write_blob(root, mb)
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{"digest": md, "size": len(mb)}]}))
    return f"oci:{root}", {}


def docker_archive_layer_traversal(t: Path) -> tuple[str, dict[str, str]]:
    out = t / "evil.tar"
    with tarfile.open(out, "w") as tf:
        data = json.dumps([{"Config": "c.json", "Layers": ["../../../etc/passwd"]}]).encode()
        ti = tarfile.TarInfo("manifest.json")
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
        cfg = b'{"rootfs": {"diff_ids": []}}'
        ti = tarfile.TarInfo("c.json")
        ti.size = len(cfg)
        tf.addfile(ti, io.BytesIO(cfg))
    return f"docker-archive:{out}", {}


def docker_archive_wrong_config_name(t: Path) -> tuple[str, dict[str, str]]:
    good = docker_archive(t / "good.tar", ImageSpec(layers=[[f("a", "1")]], compression="none"))
    out = t / "bad.tar"
    with tarfile.open(good) as src, tarfile.open(out, "w") as dst:
        for m in src:
            data = src.extractfile(m).read() if m.isfile() else None  # type: ignore[union-attr]
            if m.name.endswith(".json") and m.name != "manifest.json":
                data = data.replace(b'"os": "linux"', b'"os": "linux", "x": 1')  # type: ignore[union-attr]
                m.size = len(data)
            dst.addfile(m, io.BytesIO(data) if data is not None else None)
    return f"docker-archive:{out}", {}


def not_an_archive(t: Path) -> tuple[str, dict[str, str]]:
    p = t / "random.bin"
    p.write_bytes(os.urandom(10_000))
    return f"oci-archive:{p}", {}


def bad_tar_checksum(t: Path) -> tuple[str, dict[str, str]]:
    tar = bytearray(layer_tar([f("a", "hello")]))
    tar[0] ^= 0xFF  # corrupt the name: the checksum no longer matches
    return f"oci:{_raw_layer_image(t / 'i', bytes(tar))}", {}


def huge_pax_header(t: Path) -> tuple[str, dict[str, str]]:
    tar = _raw_tar([_ti("a" * 50 + "/" + "b" * 2_000_000)], {"a" * 50 + "/" + "b" * 2_000_000: b"x"}, tarfile.PAX_FORMAT)
    return f"oci:{_raw_layer_image(t / 'i', tar)}", {}


def missing_path(t: Path) -> tuple[str, dict[str, str]]:
    return f"oci-archive:{t / 'nope.tar'}", {}


def truncated_archive(t: Path) -> tuple[str, dict[str, str]]:
    root = _good(t / "i")
    archive = tar_dir(root, t / "a.tar")
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    return f"oci-archive:{archive}", {}


def hardlink_in_archive_outside(t: Path) -> tuple[str, dict[str, str]]:
    out = t / "a.tar"
    with tarfile.open(out, "w") as tf:
        tf.addfile(_ti("index.json", tarfile.SYMTYPE, "../../../../etc/passwd"))
        data = b'{"imageLayoutVersion": "1.0.0"}'
        ti = tarfile.TarInfo("oci-layout")
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
    return f"oci-archive:{out}", {}


CASES: dict[str, tuple[Callable[[Path], tuple[str, dict[str, str]]], int, str]] = {
    "path traversal": (traversal, 3, "path traversal"),
    "path traversal inside a name": (traversal_inner, 3, "path traversal"),
    "absolute path": (absolute, 3, "absolute path"),
    "hardlink escape": (hardlink_escape, 3, "path traversal"),
    "gzip bomb": (gzip_bomb, 3, "compression bomb"),
    "zstd bomb": (zstd_bomb, 3, "compression bomb"),
    "tar bomb (entries)": (too_many_entries, 3, "more than 20 entries"),
    "layer over the byte limit": (layer_too_big, 3, "HULLCHECK_MAX_LAYER_BYTES"),
    "truncated blob": (truncated_blob, 3, "bytes, the manifest says"),
    "truncated gzip stream": (truncated_gzip_matching_digest, 3, "corrupt compressed data"),
    "garbage blob": (garbage_blob, 3, "not a valid tar stream"),
    "wrong blob digest": (wrong_blob_digest, 3, "digest mismatch"),
    "wrong diff_id": (wrong_diff_id, 3, "digest mismatch"),
    "wrong diff_id, plain layer": (wrong_diff_id_plain, 3, "digest mismatch"),
    "invalid index.json": (invalid_index_json, 3, "not valid JSON"),
    "deeply nested JSON": (deeply_nested_json, 3, "not valid JSON"),
    "oversized manifest": (oversized_manifest, 3, "over the limit"),
    "schema 1 manifest": (schema1, 3, "schema 1"),
    "missing blob": (missing_blob, 3, "missing"),
    "digest with traversal": (digest_traversal, 3, "invalid digest"),
    "blob symlink outside the layout": (blob_symlink_outside, 3, "outside"),
    "nested index chain": (index_loop, 3, "nested too deeply"),
    "layers vs diff_ids": (diff_id_count_mismatch, 3, "diff_ids"),
    "docker-archive layer traversal": (docker_archive_layer_traversal, 3, "path traversal"),
    "docker-archive config digest": (docker_archive_wrong_config_name, 3, "does not match its digest"),
    "not an archive": (not_an_archive, 3, "not a readable tar archive"),
    "bad tar header checksum": (bad_tar_checksum, 3, "not a valid tar stream"),
    "oversized pax header": (huge_pax_header, 3, "oversized tar metadata"),
    "missing path": (missing_path, 3, "does not exist"),
    "truncated archive": (truncated_archive, 3, "truncated"),
    "archive symlink outside": (hardlink_in_archive_outside, 3, "path traversal"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_image(name: str, tmp_path: Path, run_cli) -> None:
    build, code, message = CASES[name]
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    ref, env = build(inputs)
    home, work, cache = tmp_path / "home", tmp_path / "work", tmp_path / "cache"
    for p in (home, work, cache):
        p.mkdir()
    before = {p for p in inputs.rglob("*")}
    r = run_cli("image", "ls", ref, env={"HOME": str(home), "HULLCHECK_CACHE_DIR": str(cache), **env}, timeout=120)
    assert r.returncode == code, (r.returncode, r.stderr)
    err = r.stderr.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert message in err, err
    # nothing written outside the cache dir; no temporary leftovers inside it
    assert not any(home.iterdir()) and not any(work.iterdir())
    assert {p for p in inputs.rglob("*")} == before
    assert not [p for p in cache.rglob("*") if p.name.endswith(".part")]


def test_device_files_are_listed_never_read(tmp_path: Path, run_cli) -> None:
    tar = _raw_tar([_ti("dev/null", tarfile.CHRTYPE), _ti("dev/sda", tarfile.BLKTYPE), _ti("fifo", tarfile.FIFOTYPE)])
    ref = f"oci:{_raw_layer_image(tmp_path / 'i', tar)}"
    r = run_cli("image", "ls", ref, "--format", "json")
    assert r.returncode == 0, r.stderr
    kinds = {x["path"]: x["kind"] for x in json.loads(r.stdout)}
    assert kinds == {"/dev/null": "c", "/dev/sda": "b", "/fifo": "p"}


def test_hardlink_inside_image_is_fine(tmp_path: Path, run_cli) -> None:
    root = oci_layout(tmp_path / "i", {"t": ImageSpec(layers=[[f("a", "1"), hard("b", "a")]])})
    r = run_cli("image", "ls", f"oci:{root}", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert {x["path"]: x.get("link") for x in json.loads(r.stdout)}["/b"] == "/a"
