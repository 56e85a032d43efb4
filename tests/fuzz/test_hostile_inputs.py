"""Hostile inputs the fuzz harnesses found (or that no CLI-level test covered yet), run as a
user would: each gives the documented exit code and a one-line message, never a traceback.

docs/hostile-inputs.md lists these together with the cases tested elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz.test_image_layout import SPEC, _build, _docker_archive, _set
from tests.fuzz.test_layer import _rle_zstd_bomb
from tests.image.build import oci_layout, sha, write_blob

Case = Callable[[Path], list[str]]


def _layout_with(which: str, where: tuple[Any, ...], value: Any) -> Case:
    def build(t: Path) -> list[str]:
        return ["image", "ls", f"oci:{_build(t, which, lambda doc: _set(doc, where, value))}"]
    return build


def zstd_rle_bomb(t: Path) -> list[str]:
    root = oci_layout(t / "l", {"latest": SPEC})
    idx = json.loads((root / "index.json").read_text())
    mpath = root / "blobs/sha256" / idx["manifests"][0]["digest"].split(":")[1]
    m = json.loads(mpath.read_text())
    blob = _rle_zstd_bomb(16_000)  # 64 KB stored, 2 GB inflated
    m["layers"][0] = {"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd", "digest": write_blob(root, blob),
                      "size": len(blob)}
    mb = json.dumps(m).encode()
    idx["manifests"][0].update(digest=write_blob(root, mb), size=len(mb))
    (root / "index.json").write_text(json.dumps(idx))
    return ["image", "ls", f"oci:{root}"]


def docker_repotags_not_strings(t: Path) -> list[str]:
    tars, _blobs, cfg = SPEC.build()
    entry = [{"Config": sha(cfg).split(":")[1] + ".json", "RepoTags": [5, None],
              "Layers": [sha(x).split(":")[1] + "/layer.tar" for x in tars]}]
    return ["image", "ls", f"docker-archive:{_docker_archive(t / 'a.tar', entry, cfg)}"]


def _feed(name: str, content: str) -> Case:
    def build(t: Path) -> list[str]:
        (t / "feed").mkdir()
        (t / "feed" / name).write_text(content)
        return ["db", "import", str(t / "feed")]
    return build


def _sbom(content: bytes) -> Case:
    def build(t: Path) -> list[str]:
        (t / "x.json").write_bytes(content)
        return ["sbom", f"sbom:{t / 'x.json'}"]
    return build


OSV_BAD_RANGE = json.dumps({"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-01T00:00:00Z", "affected": [
    {"package": {"ecosystem": "PyPI", "name": "x"}, "ranges": [{"type": ["ECOSYSTEM"], "events": [{"introduced": "0"}]}]}]})
SECDB_BLANK_ID = json.dumps({"distroversion": "v3.19", "reponame": "main", "apkurl": "x", "packages": [
    {"pkg": {"name": "musl", "secfixes": {"1.2.4-r1": [" ", "CVE-2024-0001"]}}}]})

# name -> (build, exit code, text expected in stderr (errors) or stdout (reports))
CASES: dict[str, tuple[Case, int, str]] = {
    "zstd RLE bomb (64 KB -> 2 GB)": (zstd_rle_bomb, 3, "compression bomb"),
    "manifest annotations not an object": (_layout_with("manifest", ("annotations",), "x"), 0, "/etc/os-release"),
    "manifest mediaType not a string": (_layout_with("manifest", ("mediaType",), [0]), 3, "malformed mediaType"),
    "index of non-object descriptors": (_layout_with("index", ("manifests",), [[[]]]), 3, "no manifest descriptors"),
    "platform os not a string": (_layout_with("nested-index", ("manifests", 0, "platform", "os"), True), 3,
                                 "has no image for platform"),
    "docker-archive RepoTags not strings": (docker_repotags_not_strings, 0, "/etc/os-release"),
    "OSV range type not a string": (_feed("bad.json", OSV_BAD_RANGE), 0, "is not SEMVER, ECOSYSTEM or GIT"),
    "recursive YAML alias in a feed": (_feed("x.yaml", "a: &a [*a]\n"), 0, "refers to itself"),
    "secdb without packages": (_feed("s.json", json.dumps({"apkurl": "x", "urlprefix": "https://packages.wolfi.dev"})),
                               0, "alpine-secdb"),
    "secdb fix id of blanks": (_feed("m.json", SECDB_BLANK_ID), 0, "not an advisory id"),
    "SBOM that is not JSON": (_sbom(b"{"), 3, "not valid JSON"),
    "SBOM of no known format": (_sbom(b'{"bomFormat": "Other"}'), 3, "not a hullcheck, CycloneDX or SPDX"),
    "version with whitespace": (lambda t: ["version", "compare", "Debian", "1.0", "x y"], 2, "embedded whitespace"),
    "unknown ecosystem": (lambda t: ["version", "compare", "Nope", "1", "2"], 2, "unknown ecosystem"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input(name: str, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    build, code, text = CASES[name]
    (tmp_path / "in").mkdir()
    r = run_cli(*build(tmp_path / "in"), timeout=120)
    assert r.returncode == code, (r.returncode, r.stdout[-500:], r.stderr[-500:])
    assert "Traceback" not in r.stderr
    if code in (2, 3):
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert text in r.stderr, r.stderr
    else:
        assert text in r.stdout + r.stderr, (r.stdout[-800:], r.stderr[-800:])
