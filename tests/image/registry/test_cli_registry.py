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


def test_download_progress_on_a_terminal(registry_server: RegistryServer, tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    from tests.conftest import REPO

    spec = ImageSpec(layers=[[f("big.bin", os.urandom(2_000_000))]])
    registry_server.push_layout(oci_layout(tmp_path / "layout", {"v1": spec}), "v1", "team/big", "v1")
    master, slave = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), HULLCHECK_CACHE_DIR=str(tmp_path / "cache"),
               HULLCHECK_REGISTRY_USERNAME=registry_server.username,
               HULLCHECK_REGISTRY_PASSWORD=registry_server.password)
    try:
        p = subprocess.run([sys.executable, "-m", "hullcheck", "image", "ls", f"{registry_server.host}/team/big:v1"],
                           stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, env=env, timeout=120)
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
    assert p.returncode == 0
    assert b"/big.bin" in p.stdout
    assert b"pull " in seen  # the download bar was drawn on the terminal, not on stdout
    assert b"pull " not in p.stdout
