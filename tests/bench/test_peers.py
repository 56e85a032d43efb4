"""End to end with the real tools: one small image, every tool run by the harness, package sets
compared with what the image holds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bench.harness import accuracy as acc
from bench.harness.sections import Image, accuracy_section
from bench.harness.tools import MissingTool, find_tools

from tests.conftest import need
from tests.image.build import ImageSpec, f, oci_layout

DPKG = [("zlib1g", "1:1.2.13.dfsg-1", "zlib"), ("libc6", "2.36-9+deb12u4", "glibc")]
PYTHON = [("PyYAML", "5.3.1"), ("Jinja2", "2.10")]
NPM = [("lodash", "4.17.15"), ("@babel/core", "7.22.0")]


def _image(root: Path) -> Image:
    status = "".join(
        f"Package: {n}\nStatus: install ok installed\nArchitecture: amd64\nSource: {s}\nVersion: {v}\n\n"
        for n, v, s in DPKG
    )
    site = "usr/local/lib/python3.11/site-packages"
    files = [f("etc/os-release", 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'),
             f("etc/debian_version", "12.5\n"), f("var/lib/dpkg/status", status)]
    files += [f(f"{site}/{n}-{v}.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {n}\nVersion: {v}\n")
              for n, v in PYTHON]
    files += [f(f"{site}/{n}-{v}.dist-info/RECORD", "") for n, v in PYTHON]
    files += [f(f"app/node_modules/{n}/package.json", json.dumps({"name": n, "version": v})) for n, v in NPM]
    oci_layout(root / "oci", {"latest": ImageSpec(layers=[files])})
    expected = {"dpkg": [{"name": n, "version": v} for n, v, _ in DPKG],
                "python": [{"name": n, "version": v} for n, v in PYTHON],
                "npm": [{"name": n, "version": v} for n, v in NPM]}
    (root / "expected.json").write_text(json.dumps(expected))
    return Image("tiny", root)


def test_all_three_find_what_the_image_holds(tmp_path: Path) -> None:
    try:
        tools = find_tools()
    except MissingTool as e:
        need(False, str(e))
        raise
    need(shutil.which("trivy"), "trivy not installed")
    img = _image(tmp_path / "img")
    res = accuracy_section(tools, img, tmp_path / "work", progress=lambda _msg: None)
    truth = acc.truth_keys(json.loads((img.root / "expected.json").read_text()))
    assert res.truth == truth and len(truth) == len(DPKG) + len(PYTHON) + len(NPM)
    by_tool = {d.tool: d for d in res.diffs}
    assert set(by_tool) == {"hullcheck", "trivy", "syft"}
    for tool, d in by_tool.items():
        # The epoch (a qualifier in Trivy's purl) and the scoped npm name compare equal across tools.
        assert d.truth_missing == frozenset(), (tool, d.truth_missing)
        assert d.truth_extra == frozenset(), (tool, d.truth_extra)
        assert d.only == frozenset() and d.missed == frozenset()
    assert set(res.times) == {"hullcheck", "trivy", "syft"}
