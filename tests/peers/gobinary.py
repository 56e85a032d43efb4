"""A real Go binary for the fixture trees: the catalog tests' module set (a file:// module proxy
with real module zips, a module-to-module replacement and a local-directory replacement), built
offline with the machine's Go toolchain. ``go version -m`` is the oracle for its build info."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.catalog import gobuild


def _env(root: Path, cache: Path) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("GO", "CGO_"))} | {
        "GOCACHE": str(cache),  # shared, so that the standard library is compiled once per run
        "GOPATH": str(root / "gopath"),
        "GOMODCACHE": str(root / "gopath" / "mod"),
        "GOPROXY": (root / "proxy").as_uri(),
        "GOSUMDB": "off",
        "GOFLAGS": "-buildvcs=false -mod=mod",
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
        "HOME": str(root),
    }


def build_app(dest: Path, cache: Path, *, vcs: bool = False) -> Path:
    """``dest``: the binary to write (linux/amd64, -trimpath). ``vcs``: built from a git checkout,
    so that the build info carries vcs.revision and vcs.time (a fixed commit, for reproducibility)."""
    root = Path(tempfile.mkdtemp(prefix="hullcheck-peers-go-"))
    try:
        gobuild._write_proxy(root / "proxy")
        greet = root / "greet"
        greet.mkdir()
        (greet / "go.mod").write_text("module example.com/greet\n\ngo 1.19\n")
        (greet / "greet.go").write_text('package greet\n\nfunc Hello() string { return "hello" }\n')
        app = root / "app"
        app.mkdir()
        (app / "go.mod").write_text(gobuild.APP_GO_MOD)
        (app / "main.go").write_text(gobuild.APP_MAIN)
        dest.parent.mkdir(parents=True, exist_ok=True)
        env = _env(root, cache) | {"GOOS": "linux", "GOARCH": "amd64"}
        if vcs:
            stamp = "2024-01-02T03:04:05+00:00"
            git_env = env | {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "GIT_CONFIG_GLOBAL": "/dev/null"}
            for args in (["init", "-q"], ["add", "."],
                         ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "app"]):
                subprocess.run(["git", *args], cwd=app, env=git_env, check=True, capture_output=True, timeout=60)
            env["GOFLAGS"] = "-buildvcs=true -mod=mod"
        subprocess.run(["go", "build", "-trimpath", "-o", str(dest), "."], cwd=app, env=env, check=True,
                       capture_output=True, timeout=300)
    finally:
        # the module cache is written read-only
        subprocess.run(["chmod", "-R", "u+w", str(root)], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)
    return dest


def local_replacements(binary: Path) -> dict[str, str]:
    """module path -> local directory it was replaced by, as ``go version -m`` prints them."""
    out = subprocess.run(["go", "version", "-m", str(binary)], capture_output=True, text=True, check=True,
                         env={k: v for k, v in os.environ.items() if not k.startswith("GO")} | {"GOTOOLCHAIN": "local"},
                         timeout=60).stdout
    found, last = {}, ""
    for line in out.splitlines():
        parts = line.strip().split("\t")
        if parts[0] == "dep" and len(parts) >= 2:
            last = parts[1]
        elif parts[0] == "=>" and len(parts) >= 2 and re.match(r"\.{0,2}/", parts[1]) and last:
            found[last] = parts[1]
    return found


def vcs_settings(binary: Path) -> dict[str, str]:
    """The ``build vcs.*`` settings ``go version -m`` prints for a binary."""
    out = subprocess.run(["go", "version", "-m", str(binary)], capture_output=True, text=True, check=True,
                         env={k: v for k, v in os.environ.items() if not k.startswith("GO")} | {"GOTOOLCHAIN": "local"},
                         timeout=60).stdout
    found = {}
    for line in out.splitlines():
        parts = line.strip().split("\t")
        if len(parts) >= 2 and parts[0] == "build" and parts[1].startswith("vcs."):
            key, _, value = parts[1].partition("=")
            found[key] = value
    return found
