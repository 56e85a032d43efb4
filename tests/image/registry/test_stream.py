"""Layers read while they download (``pull(stream_layers=True)``): verified bytes, nothing kept
that did not verify, dropped connections resumed, and scans from a real registry that agree with
scans from the layout."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from hullcheck.errors import DigestMismatchError, RegistryError
from hullcheck.image.reference import parse_reference
from hullcheck.image.registry import pull
from hullcheck.image.source import RawImage
from tests.image.build import ImageSpec, d, f, oci_layout
from tests.image.registry.conftest import Sandbox
from tests.image.registry.hostile_server import HostileRegistry, Reply, hostile
from tests.image.registry.oci_layout import OCI_CONFIG, OCI_LAYER_GZIP, OCI_MANIFEST, canonical, sha256
from tests.image.registry.servers import RegistryServer
from tests.image.registry.test_hostile import LAYER, good, plain

LAYER_PATH = f"/v2/img/blobs/{sha256(LAYER)}"


def streamed(server: HostileRegistry, sb: Sandbox, **kw: object) -> RawImage:
    return pull(parse_reference(f"{server.host}/img:1"), options=plain(server, **kw), cache=sb.cache,
                stream_layers=True)


def read_in_pieces(img: RawImage, step: int = 7) -> bytes:
    out = b""
    with img.layers[0].opener() as fh:
        while chunk := fh.read(step):
            out += chunk
    return out


def test_a_streamed_layer_is_cached_only_once_read_to_the_end(sandbox: Sandbox) -> None:
    with hostile(good) as server:
        img = streamed(server, sandbox)
        assert not sandbox.cache.has(img.layers[0].digest)  # nothing downloaded yet
        assert img.layers[0].verified
        with img.layers[0].opener() as fh:
            assert fh.read(100) == LAYER[:100]
        assert not sandbox.cache.has(img.layers[0].digest)  # read in part: not kept
        assert sandbox.outside() == []
        assert read_in_pieces(img) == LAYER
        assert sandbox.cache.has(img.layers[0].digest)
        gets = [p for m, p, _h in server.requests if m == "GET" and p == LAYER_PATH]
        assert read_in_pieces(img) == LAYER  # read again: from the cache
        assert [p for m, p, _h in server.requests if m == "GET" and p == LAYER_PATH] == gets
        assert img.closer is not None
        img.closer()
    assert sandbox.outside() == []


def test_wrong_bytes_fail_at_the_end_of_the_stream_and_leave_nothing(sandbox: Sandbox) -> None:
    forged = LAYER[:-1] + bytes([LAYER[-1] ^ 1])

    def route(method: str, path: str, headers: dict[str, str]) -> Reply:
        return Reply(200, {}, forged) if path == LAYER_PATH else good(method, path, headers)

    with hostile(route) as server:
        img = streamed(server, sandbox)
        with pytest.raises(DigestMismatchError) as info:
            read_in_pieces(img, 4096)
        assert "\n" not in info.value.diagnostics()
        assert not sandbox.cache.has(img.layers[0].digest)
        assert sandbox.outside() == []


def test_a_dropped_connection_is_resumed_and_the_digest_still_covers_every_byte(sandbox: Sandbox) -> None:
    served: list[int] = []

    def route(method: str, path: str, headers: dict[str, str]) -> Reply:
        if path == LAYER_PATH:
            served.append(1)
            if len(served) == 1:
                return Reply(200, {}, LAYER, cut_after=len(LAYER) // 2)
        return good(method, path, headers)

    with hostile(route) as server:
        img = streamed(server, sandbox)
        assert read_in_pieces(img, 64) == LAYER
    assert len(served) == 2
    assert sandbox.cache.has(img.layers[0].digest) and sandbox.outside() == []


def test_a_connection_that_keeps_dropping_is_a_registry_error(sandbox: Sandbox) -> None:
    def route(method: str, path: str, headers: dict[str, str]) -> Reply:
        if path == LAYER_PATH:
            return Reply(200, {}, LAYER, cut_after=10)
        return good(method, path, headers)

    with hostile(route) as server:
        img = streamed(server, sandbox, max_attempts=2)
        with pytest.raises(RegistryError, match="download of blob"):
            read_in_pieces(img)
    assert sandbox.outside() == []


def test_sbom_from_a_registry_streams_layers_and_a_warm_rescan_downloads_none(
    registry_server: RegistryServer, tmp_path: Path, run_cli
) -> None:
    spec = ImageSpec(layers=[[d("etc"), f("etc/os-release", "ID=debian\nVERSION_ID=12\n")],
                             [f("usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
                                "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n")]])
    layout = oci_layout(tmp_path / "layout", {"v1": spec})
    registry_server.push_layout(layout, "v1", "team/app", "v1")
    env = {"HULLCHECK_REGISTRY_USERNAME": registry_server.username,
           "HULLCHECK_REGISTRY_PASSWORD": registry_server.password,
           "HULLCHECK_CACHE_DIR": str(tmp_path / "cache")}
    ref = f"{registry_server.host}/team/app:v1"
    r = run_cli("sbom", ref, "-f", "json", env=env)
    assert r.returncode == 0, r.stderr
    from_layout = run_cli("sbom", f"oci:{layout}:v1", "-f", "json", env={"HULLCHECK_CACHE_DIR": str(tmp_path / "c2")})
    assert from_layout.returncode == 0, from_layout.stderr

    def packages(text: str) -> list[tuple[str, str, int]]:
        return sorted((p["name"], p["version"], p["locations"][0]["layer"]) for p in json.loads(text)["packages"])

    assert packages(r.stdout) == packages(from_layout.stdout) and ("six", "1.16.0", 1) in packages(r.stdout)
    blobs = tmp_path / "cache" / "blobs" / "sha256"
    layer_digests = [x["digest"] for x in json.loads((layout / "blobs" / "sha256" / json.loads(
        (layout / "index.json").read_text())["manifests"][0]["digest"][7:]).read_text())["layers"]]
    assert all((blobs / dg[7:]).is_file() for dg in layer_digests)  # streamed into the blob cache
    for dg in layer_digests:
        (blobs / dg[7:]).unlink()
    again = run_cli("sbom", ref, "-f", "json", env=env)
    assert again.returncode == 0 and packages(again.stdout) == packages(r.stdout)
    assert not any((blobs / dg[7:]).exists() for dg in layer_digests)  # results came from the layer cache


def test_inspect_from_a_registry_downloads_no_layer(registry_server: RegistryServer, tmp_path: Path, run_cli) -> None:
    spec = ImageSpec(layers=[[f("etc/motd", "hello\n")], [f("app/data.bin", b"\0" * 100_000)]])
    registry_server.push_layout(oci_layout(tmp_path / "layout", {"v1": spec}), "v1", "team/inspect", "v1")
    cache = tmp_path / "cache"
    r = run_cli("image", "inspect", f"{registry_server.host}/team/inspect:v1", "-f", "json",
                env={"HULLCHECK_REGISTRY_USERNAME": registry_server.username,
                     "HULLCHECK_REGISTRY_PASSWORD": registry_server.password, "HULLCHECK_CACHE_DIR": str(cache)})
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert len(doc["layers"]) == 2
    stored = {p.name for p in (cache / "blobs" / "sha256").iterdir()}
    assert doc["config_digest"][7:] in stored
    assert not stored & {layer["digest"][7:] for layer in doc["layers"]}


def _tar_image() -> tuple[bytes, bytes, bytes]:
    """(manifest, config, gzip layer) of a one-file image: a real tar this time."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        ti = tarfile.TarInfo("etc/os-release")
        body = b"ID=debian\nVERSION_ID=12\n"
        ti.size = len(body)
        tf.addfile(ti, io.BytesIO(body))
    layer = gzip.compress(buf.getvalue(), mtime=0)
    config = canonical({"architecture": "amd64", "os": "linux",
                        "rootfs": {"type": "layers", "diff_ids": [sha256(buf.getvalue())]}})
    manifest = canonical({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": sha256(config), "size": len(config)},
        "layers": [{"mediaType": OCI_LAYER_GZIP, "digest": sha256(layer), "size": len(layer)}],
    })
    return manifest, config, layer


def test_sbom_of_a_registry_layer_with_wrong_bytes_is_a_one_line_image_error(tmp_path: Path, run_cli) -> None:
    """As a user meets it: exit 3, one line naming the digest mismatch, nothing kept but the
    verified config. The forged layer is a valid gzip of the same tar (only the gzip header's
    mtime differs), so only the digest can tell."""
    manifest, config, layer = _tar_image()
    forged = layer[:4] + bytes([layer[4] ^ 1]) + layer[5:]
    blobs = {sha256(config): config, sha256(layer): forged}

    def route(method: str, path: str, headers: dict[str, str]) -> Reply:
        if path == "/v2/":
            return Reply(200, {"Content-Type": "application/json"}, b"{}")
        if path.startswith("/v2/img/manifests/"):
            return Reply(200, {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": sha256(manifest)}, manifest)
        blob = blobs.get(path.rsplit("/", 1)[1])
        return Reply(200, {}, blob) if blob is not None else Reply(404, {}, b"")

    cache = tmp_path / "cache"
    with hostile(route) as server:
        r = run_cli("sbom", f"{server.host}/img:1", "--insecure-registry", server.host,
                    env={"HULLCHECK_CACHE_DIR": str(cache)})
    assert r.returncode == 3, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert "digest mismatch" in r.stderr and sha256(layer) in r.stderr
    assert sorted(p.name for p in (cache / "blobs" / "sha256").iterdir()) == [sha256(config)[7:]]
    assert not (cache / "tmp").exists() or not any(p.is_file() for p in (cache / "tmp").rglob("*"))
