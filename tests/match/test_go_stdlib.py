"""A real Go binary in a real image: its ``stdlib`` matches go-vulndb exactly as the records say.

The binary is built here with Debian's ``go`` (stdlib only, main module ``(devel)``), put in an
OCI image, cataloged by hullcheck, and matched against every go-vulndb record that names
``stdlib``. The expected ids are computed from the records' SEMVER events with a small Go
version comparison written here (plain ``1.x.y`` and prerelease ``1.x.y-...`` forms), not with
the range evaluator under test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hullcheck.advisories.importer import import_paths
from hullcheck.advisories.store import AdvisoryStore
from hullcheck.inventory import inventory
from hullcheck.match.matcher import Matcher
from tests.conftest import need
from tests.image.build import ImageSpec, f, oci_layout

HELLO = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n'
_GO_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?(-.+)?$")


def go_key(v: str) -> tuple[int, int, int, int, str]:
    """Go release order for '1.21.5', '1.21' (= 1.21.0) and prereleases like '1.21.0-0' or
    '1.21.0-rc.2' (before the release of the same number)."""
    m = _GO_VERSION.match(v)
    assert m, f"not a Go version: {v}"
    major, minor, patch, pre = int(m[1]), int(m[2]), int(m[3] or 0), m[4] or ""
    return (major, minor, patch, 0 if pre else 1, pre)


def affected_by(events: list[dict[str, str]], version: str) -> bool:
    v = go_key(version)
    ordered = sorted(((go_key(val) if val != "0" else (0, 0, 0, 0, ""), kind) for e in events for kind, val in e.items()))
    state = False
    for key, kind in ordered:
        if kind == "introduced" and v >= key:
            state = True
        elif kind == "fixed" and v >= key:
            state = False
    return state


@pytest.fixture(scope="module")
def go_binary(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    need(shutil.which("go"), "go not installed (apt-get install golang-go)")
    root = tmp_path_factory.mktemp("gohello")
    (root / "go.mod").write_text("module example.com/hello\n\ngo 1.19\n")
    (root / "main.go").write_text(HELLO)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GO", "CGO_"))} | {
        "GOCACHE": str(root / "cache"), "GOPATH": str(root / "gopath"), "GOFLAGS": "-buildvcs=false",
        "GOTOOLCHAIN": "local", "GOPROXY": "off", "CGO_ENABLED": "0", "HOME": str(root),
    }
    out = root / "hello"
    subprocess.run(["go", "build", "-trimpath", "-o", str(out), "."], cwd=root, env=env, check=True,
                   capture_output=True, timeout=300)
    version = subprocess.run(["go", "env", "GOVERSION"], env=env, capture_output=True, text=True,
                             check=True).stdout.strip()
    return out, version


def test_stdlib_of_a_go_binary_matches_go_vulndb(go_binary: tuple[Path, str], shared_data: Path, tmp_path: Path) -> None:
    binary, goversion = go_binary
    m = re.match(r"^go(\d+\.\d+(?:\.\d+)?)$", goversion)
    need(m, f"the toolchain is not a plain release: {goversion}")
    assert m
    toolchain = m.group(1)

    layout = oci_layout(tmp_path / "img", {"t": ImageSpec(layers=[[f("usr/local/bin/hello", binary.read_bytes(), 0o755)]])})
    catalog = inventory(f"oci:{layout}:t").catalog
    by_name = {p.name: p for p in catalog.packages}
    stdlib = by_name["stdlib"]
    assert stdlib.ecosystem == "Go" and go_key(stdlib.version)[:3] == go_key(toolchain)[:3]
    main = by_name["example.com/hello"]
    assert main.version == "(devel)" and main.metadata.get("skip_match")

    records = []
    for line in (shared_data / "advisories/osv/index.jsonl").read_text().splitlines():
        d = json.loads(line)
        if d["path"].startswith("go-vulndb/") and "stdlib" in d["packages"]:
            records.append(shared_data / "advisories/osv" / d["path"])
    assert len(records) > 100
    db = tmp_path / "adv.db"
    import_paths([str(p) for p in records], db, fresh=True)

    expected = set()
    for p in records:
        rec = json.loads(p.read_text())
        if rec.get("withdrawn"):
            continue
        for a in rec["affected"]:
            is_stdlib = a["package"]["name"] == "stdlib" and a["package"]["ecosystem"] == "Go"
            if is_stdlib and any(r["type"] == "SEMVER" and affected_by(r["events"], stdlib.version)
                                 for r in a["ranges"]):
                expected.add(rec["id"])
    assert expected, f"go-vulndb has stdlib advisories for {toolchain}"

    with AdvisoryStore.open(db) as store:
        result = Matcher(store).match(catalog.packages)
    assert not result.problems
    got = {d.advisory_id for fd in result.findings for d in fd.details}
    assert got == expected
    assert {fd.package.name for fd in result.findings} == {"stdlib"}
    for fd in result.findings:
        assert fd.fixed_versions, "every stdlib advisory here names a fixed Go release"
        assert all(go_key(v) > go_key(stdlib.version) for v in fd.fixed_versions)
    # the (devel) main module was not queried: counted as skipped, not a problem
    assert [s.package.name for s in result.skipped] == ["example.com/hello"]
    assert "devel" in result.skipped[0].reason
