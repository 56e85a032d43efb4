"""Real Go binaries for the binary-cataloger tests, built once per test process.

Building needs no network: the dependencies come from a file:// module proxy written here (real
module zips, so the binary records real versions and h1: sums), a local directory replacement
and a module-to-module replacement. ``go version -m`` on the result is the oracle the tests
compare against. Cross builds give PE (windows/386: 32-bit), Mach-O (darwin/arm64) and a
big-endian ELF (linux/s390x).
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MODULES = {
    # module path -> (version, file name, source)
    "example.com/dep": ("v1.4.2", "dep.go", 'package dep\n\nfunc Name() string { return "dep" }\n'),
    "example.com/fork": (
        "v0.2.0",
        "orig.go",
        'package orig\n\nfunc Name() string { return "fork" }\n',
    ),
}

APP_GO_MOD = """module example.com/app

go 1.19

require (
\texample.com/dep v1.4.2
\texample.com/greet v1.0.0
\texample.com/orig v1.0.0
)

replace example.com/greet v1.0.0 => ../greet

replace example.com/orig => example.com/fork v0.2.0
"""

APP_MAIN = """package main

import (
\t"example.com/dep"
\t"example.com/greet"
\t"example.com/orig"
)

var version = "dev"

func main() { println(dep.Name(), greet.Hello(), orig.Name(), version) }
"""

LDFLAGS = "-X main.version=1.0 -s -w"

# name -> (GOOS, GOARCH, extra go build flags)
TARGETS = {
    "linux-amd64": ("linux", "amd64", ["-trimpath"]),
    "linux-amd64-ldflags": ("linux", "amd64", ["-ldflags", LDFLAGS]),
    "windows-386": ("windows", "386", ["-trimpath"]),
    "darwin-arm64": ("darwin", "arm64", ["-trimpath"]),
    "linux-s390x": ("linux", "s390x", ["-trimpath"]),
}


@dataclass
class Oracle:
    """What ``go version -m`` says about a binary."""

    go_version: str
    path: str = ""
    main: tuple[str, str, str] | None = None
    deps: list[dict[str, str]] = field(default_factory=list)
    build: list[str] = field(default_factory=list)  # raw "key=value" as printed (Go-quoted)


@dataclass
class GoBuilds:
    root: Path
    binaries: dict[str, Path]
    env: dict[str, str]

    def oracle(self, binary: Path) -> Oracle:
        return go_version_m(binary, self.env)


def go_version_m(binary: Path, env: dict[str, str]) -> Oracle:
    out = subprocess.run(
        ["go", "version", "-m", str(binary)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    lines = out.split("\n")
    oracle = Oracle(go_version=lines[0].rsplit(": ", 1)[1].strip())
    last: dict[str, str] | None = None
    for line in lines[1:]:
        cols = line.split("\t")
        if len(cols) < 3:
            continue
        word, rest = cols[1], cols[2:]
        if word == "path":
            oracle.path = rest[0]
        elif word == "mod":
            oracle.main = (rest[0], rest[1], rest[2] if len(rest) > 2 else "")
        elif word == "dep":
            last = {"path": rest[0], "version": rest[1], "sum": rest[2] if len(rest) > 2 else ""}
            oracle.deps.append(last)
        elif word == "=>":
            assert last is not None
            last["replace_path"] = rest[0]
            last["replace_version"] = rest[1]
            last["replace_sum"] = rest[2] if len(rest) > 2 else ""
        elif word == "build":
            oracle.build.append("\t".join(rest))
    return oracle


def _write_proxy(proxy: Path) -> None:
    for path, (version, name, src) in MODULES.items():
        d = proxy / path / "@v"
        d.mkdir(parents=True)
        gomod = f"module {path}\n\ngo 1.19\n"
        (d / f"{version}.mod").write_text(gomod)
        info = {"Version": version, "Time": "2023-01-02T03:04:05Z"}
        (d / f"{version}.info").write_text(json.dumps(info))
        (d / "list").write_text(version + "\n")
        with zipfile.ZipFile(d / f"{version}.zip", "w") as z:
            z.writestr(f"{path}@{version}/go.mod", gomod)
            z.writestr(f"{path}@{version}/{name}", src)


@functools.lru_cache(maxsize=1)
def go_builds() -> GoBuilds:
    """Build every target once per process (about half a minute on a cold cache)."""
    root = Path(tempfile.mkdtemp(prefix="hullcheck-gobuild-"))
    atexit.register(shutil.rmtree, root, True)
    _write_proxy(root / "proxy")
    greet = root / "greet"
    greet.mkdir()
    (greet / "go.mod").write_text("module example.com/greet\n\ngo 1.19\n")
    (greet / "greet.go").write_text('package greet\n\nfunc Hello() string { return "hello" }\n')
    app = root / "app"
    app.mkdir()
    (app / "go.mod").write_text(APP_GO_MOD)
    (app / "main.go").write_text(APP_MAIN)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GO", "CGO_"))} | {
        "GOCACHE": str(root / "cache"),
        "GOPATH": str(root / "gopath"),
        "GOMODCACHE": str(root / "gopath" / "mod"),
        "GOPROXY": (root / "proxy").as_uri(),
        "GOSUMDB": "off",
        "GONOSUMDB": "*",
        "GOFLAGS": "-buildvcs=false -mod=mod",
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
        "HOME": str(root),
    }
    binaries: dict[str, Path] = {}
    for name, (goos, goarch, flags) in TARGETS.items():
        out = root / "bin" / (name + (".exe" if goos == "windows" else ""))
        r = subprocess.run(
            ["go", "build", *flags, "-o", str(out), "."],
            cwd=app,
            env=env | {"GOOS": goos, "GOARCH": goarch},
            capture_output=True,
            text=True,
            timeout=300,
        )
        if r.returncode != 0:
            raise RuntimeError(f"go build for {name} failed:\n{r.stderr}")
        binaries[name] = out
    return GoBuilds(root=root, binaries=binaries, env=env)
