"""A user's view: the CLI reads an image from a real registry, layers and all."""

from __future__ import annotations

import json
from pathlib import Path

from tests.image.build import ImageSpec, d, f, oci_layout
from tests.image.registry.servers import RegistryServer


def test_inspect_and_ls_from_registry(registry_server: RegistryServer, tmp_path: Path, run_cli) -> None:
    spec = ImageSpec(layers=[[d("etc"), f("etc/os-release", "ID=debian\nVERSION_ID=12\n")], [f("app.txt", "hi")]],
                     config={"User": "app"})
    layout = oci_layout(tmp_path / "layout", {"v1": spec})
    registry_server.push_layout(layout, "v1", "team/app", "v1")
    ref = f"{registry_server.host}/team/app:v1"
    env = {"HULLCHECK_REGISTRY_USERNAME": registry_server.username,
           "HULLCHECK_REGISTRY_PASSWORD": registry_server.password}
    r = run_cli("image", "inspect", ref, "--format", "json", env=env)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["user"] == "app" and len(doc["layers"]) == 2 and doc["manifest_digest"].startswith("sha256:")
    r = run_cli("image", "ls", ref, "--format", "json", env=env)
    assert r.returncode == 0, r.stderr
    assert {x["path"]: x["layer"] for x in json.loads(r.stdout)}["/app.txt"] == 1
    # wrong password: a one-line auth error with the image exit code
    bad = run_cli("image", "inspect", ref, env={**env, "HULLCHECK_REGISTRY_PASSWORD": "nope"})
    assert bad.returncode == 3 and "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
