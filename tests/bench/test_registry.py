"""The registry section on a tiny image: a real docker-registry on 127.0.0.1 with basic auth, the
image pushed with skopeo, hullcheck, trivy and syft pulling it, and the server gone afterwards."""

from __future__ import annotations

import json
import shutil
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from bench.harness import accuracy as acc
from bench.harness.registry import RegistryFailed, layout_tag, serving
from bench.harness.render import timed
from bench.harness.sections import registry_consistency, registry_section
from bench.harness.tools import MissingTool, find_tools

from tests.bench.test_peers import _image
from tests.conftest import need


def _require_programs() -> None:
    for prog in ("docker-registry", "htpasswd", "skopeo"):
        need(shutil.which(prog), f"{prog} not installed")


def _refuses(host: str) -> bool:
    addr, port = host.rsplit(":", 1)
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex((addr, int(port))) != 0


def test_layout_tag_is_the_ref_name_of_the_only_image(tmp_path: Path) -> None:
    img = _image(tmp_path / "img")
    index = json.loads((img.oci_dir / "index.json").read_text())
    assert layout_tag(img.oci_dir) == index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]
    (img.oci_dir / "index.json").write_text(json.dumps({**index, "manifests": index["manifests"] * 2}))
    with pytest.raises(RegistryFailed, match="expected one named image"):
        layout_tag(img.oci_dir)


def test_serving_pushes_with_auth_and_stops_even_on_error(tmp_path: Path) -> None:
    _require_programs()
    img = _image(tmp_path / "img")
    workdir = tmp_path / "server"
    with pytest.raises(ZeroDivisionError), serving(img.name, img.oci_dir, workdir) as served:
        host, rest = served.ref.split("/", 1)
        repo, tag = rest.rsplit(":", 1)
        url = f"http://{host}/v2/{repo}/manifests/{tag}"
        accept = {"Accept": "application/vnd.oci.image.manifest.v1+json"}
        with pytest.raises(urllib.error.HTTPError) as anon:
            urllib.request.urlopen(urllib.request.Request(url, headers=accept), timeout=10)
        assert anon.value.code == 401  # the registry asks for credentials
        pw = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        pw.add_password(None, f"http://{host}/", served.login.username, served.login.password)
        opener = urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(pw))
        with opener.open(urllib.request.Request(url, headers=accept), timeout=10) as r:
            digest = r.headers["Docker-Content-Digest"]
        # --preserve-digests: the registry serves the layout's own manifest.
        assert digest == json.loads((img.oci_dir / "index.json").read_text())["manifests"][0]["digest"]
        1 / 0  # noqa: B018  the section failing mid-way must still stop the server
    assert _refuses(host)
    assert not workdir.exists()


def test_registry_section_end_to_end(tmp_path: Path) -> None:
    _require_programs()
    try:
        tools = find_tools()
    except MissingTool as e:
        need(False, str(e))
        raise
    img = _image(tmp_path / "img")
    work = tmp_path / "work"
    res = registry_section(tools, img, 1, work, progress=lambda _msg: None)
    assert list(res.summaries) == ["hullcheck registry", "trivy registry", "syft registry"]
    assert all(s.wall > 0 and s.rss_mb > 0 for s in res.summaries.values())
    assert not (work / "registry-server").exists()  # the server's storage is gone
    ref = res.commands["hullcheck registry"].split(" sbom ", 1)[1].split()[0]
    assert _refuses(ref.split("/", 1)[0])  # and the server stopped
    keep = work / "registry" / img.name
    truth = acc.truth_keys(json.loads((img.root / "expected.json").read_text()))
    for tool in ("hullcheck", "trivy", "syft"):
        found, _ = acc.load_keys(keep / f"{tool} registry.out")
        assert found == truth, tool  # every tool pulled the whole image with the credentials
    # Each tool's registry SBOM lists what its OCI-layout SBOM lists.
    same = [line for line in res.extra if "registry and OCI layout give the same" in line]
    assert [line.split(":")[0] for line in same] == ["hullcheck", "trivy", "syft"]
    text = "\n".join(timed(res))
    for name in res.summaries:
        assert f"| {name} | " in text
    assert "| hullcheck registry / trivy registry |" in text
    assert "| hullcheck registry / syft registry |" in text


def test_consistency_reports_a_difference(tmp_path: Path) -> None:
    comps = [{"type": "library", "purl": f"pkg:npm/p{i}@1.0.{i}"} for i in range(3)]
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "hullcheck registry.out").write_text(json.dumps({"components": comps[:2]}))
    layout = tmp_path / "layout.json"
    layout.write_text(json.dumps({"components": comps}))
    lines = registry_consistency(keep, {"hullcheck": layout})
    assert lines[0] == (
        "hullcheck: registry and OCI layout **differ**: 2 / 3 packages, 2 / 3 entries, "
        "0 only from the registry, 1 only from the layout."
    )
    assert lines[1:] == ["trivy: no registry or OCI-layout SBOM to compare.",
                         "syft: no registry or OCI-layout SBOM to compare."]
