#!/usr/bin/env python3
"""Build the benchmark and example images from real packages, reproducibly and cached.

    python bench/images/build.py all --out bench/out         # every image
    python bench/images/build.py example --out examples/out  # the small quick-start image
    python bench/images/build.py python-app node-app         # some images (bases come along)
    python bench/images/build.py push --registry 127.0.0.1:5000   # all built OCI layouts
    python bench/images/build.py verify                      # re-read every output with skopeo
    python bench/images/build.py list

Each image lands in OUT/NAME/ as an OCI layout (oci/), an OCI archive, a classic docker-archive
and a Docker 25+ docker-archive. Downloads are cached under OUT/cache, so a rebuild is offline;
an image whose inputs did not change is skipped (``--force`` rebuilds). Needs root (debootstrap,
file owners), pip, npm, apt-get and dpkg-deb; ``push`` needs skopeo.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "src"))  # run from a checkout without installing

import ocibuild  # noqa: E402
import recipes  # noqa: E402


def _with_bases(names: list[str]) -> list[str]:
    order: list[str] = []

    def add(n: str) -> None:
        base = recipes.BY_NAME[n].base
        if base:
            add(base)
        if n not in order:
            order.append(n)

    for n in names:
        add(n)
    return order


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def cmd_build(names: list[str], out: Path, force: bool) -> int:
    ctx = ocibuild.Context(out=out.resolve(), force=force)
    ctx.out.mkdir(parents=True, exist_ok=True)
    rows = []
    t0 = time.monotonic()
    for name in _with_bases(names):
        t = time.monotonic()
        rec = ocibuild.build(recipes.BY_NAME[name], ctx)
        took = time.monotonic() - t
        rows.append((name, rec, took))
        state = "cached" if rec["skipped"] else f"built in {took:.1f} s"
        print(
            f"{name:14} {state:18} layers={rec['layers']:<3} "
            f"compressed={_mb(rec['compressed_bytes']):>12} "
            f"uncompressed={_mb(rec['uncompressed_bytes']):>12}  {rec['manifest_digest']}",
            flush=True,
        )
    print(f"total {time.monotonic() - t0:.1f} s; outputs under {ctx.out}/<image>/")
    return 0


def cmd_push(
    out: Path,
    registry: str,
    names: list[str],
    tls_verify: bool,
    creds: str | None = None,
    fmt: str = "oci",
) -> int:
    """Copies each built OCI layout to REGISTRY/hullcheck-bench/NAME:latest with skopeo.
    ``oci`` keeps the digests (the registry serves the layout's manifest digest); ``v2s2``
    converts to Docker's schema 2 media types (new manifest and config digests)."""
    out = out.resolve()
    todo = names or [r.name for r in recipes.ALL if (out / r.name / "build.json").exists()]
    if not todo:
        print(f"nothing built under {out}", file=sys.stderr)
        return 2
    for name in todo:
        rec = json.loads((out / name / "build.json").read_text())
        dest = f"docker://{registry}/{ocibuild.REPO_PREFIX}/{name}:{ocibuild.TAG}"
        src = f"oci:{out / name / 'oci'}:{ocibuild.TAG}"
        cmd = ["skopeo", "copy", "--quiet"]
        cmd += ["--preserve-digests"] if fmt == "oci" else ["--format", "v2s2"]
        cmd += [f"--dest-tls-verify={'true' if tls_verify else 'false'}"]
        cmd += [f"--dest-creds={creds}"] if creds else []
        cmd += [src, dest]
        t = time.monotonic()
        subprocess.run(cmd, check=True)
        took = time.monotonic() - t
        digest = rec["manifest_digest"] if fmt == "oci" else "(converted to v2s2)"
        print(f"{name:14} pushed in {took:.1f} s  {dest}@{digest}")
    return 0


def _skopeo_json(*args: str) -> dict[str, object]:
    p = subprocess.run(["skopeo", *args], check=True, capture_output=True, text=True)
    result: dict[str, object] = json.loads(p.stdout)
    return result


def cmd_verify(out: Path, names: list[str]) -> int:
    """Reads every output of every built image with skopeo and compares the manifest digest
    (OCI outputs) and the diff_ids (docker-archives) with build.json."""
    out = out.resolve()
    todo = names or [r.name for r in recipes.ALL if (out / r.name / "build.json").exists()]
    bad = 0
    for name in todo:
        rec = json.loads((out / name / "build.json").read_text())
        diff_ids = [ly["diff_id"] for ly in rec["image"]["layers"]]
        outs = ocibuild.outputs(out, name)
        checks = {
            "oci": _skopeo_json("inspect", f"oci:{outs['oci']}:{ocibuild.TAG}")["Digest"]
            == rec["manifest_digest"],
            "oci-archive": _skopeo_json(
                "inspect", f"oci-archive:{outs['oci-archive']}:{ocibuild.TAG}"
            )["Digest"]
            == rec["manifest_digest"],
        }
        for kind in ("docker-archive", "docker25-archive"):
            ref = f"docker-archive:{outs[kind]}:{rec['ref']}"
            checks[kind] = _skopeo_json("inspect", ref)["Layers"] == diff_ids
        failed = [k for k, ok in checks.items() if not ok]
        bad += len(failed)
        print(f"{name:14} {'ok' if not failed else 'MISMATCH in ' + ', '.join(failed)}")
    return 1 if bad else 0


def cmd_list(out: Path) -> int:
    for r in recipes.ALL:
        rec_path = out / r.name / "build.json"
        state = ""
        if rec_path.exists():
            rec = json.loads(rec_path.read_text())
            state = (
                f"built: {_mb(rec['uncompressed_bytes'])} uncompressed, {rec['seconds']['total']} s"
            )
        print(f"{r.name:14} {r.description}  {state}")
    return 0


def main(argv: list[str] | None = None) -> int:
    names = [r.name for r in recipes.ALL]
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "what", nargs="+", help=f"all, push, verify, list, or image names: {', '.join(names)}"
    )
    p.add_argument(
        "--out", type=Path, default=HERE.parent / "out", help="output dir (default bench/out)"
    )
    p.add_argument(
        "--force", action="store_true", help="rebuild even when the inputs did not change"
    )
    p.add_argument("--registry", help="push: HOST:PORT of the registry")
    p.add_argument("--format", choices=("oci", "v2s2"), default="oci", help="push: manifest format")
    p.add_argument("--creds", help="push: USER:PASSWORD for a registry with basic auth")
    p.add_argument("--tls-verify", action="store_true", help="push: verify the registry's TLS")
    a = p.parse_intermixed_args(argv)
    first = a.what[0]
    if first == "list":
        return cmd_list(a.out)
    if first == "verify":
        return cmd_verify(a.out, a.what[1:])
    if first == "push":
        if not a.registry:
            p.error("push needs --registry HOST:PORT")
        return cmd_push(a.out, a.registry, a.what[1:], a.tls_verify, a.creds, a.format)
    wanted = names if first == "all" else a.what
    unknown = [n for n in wanted if n not in recipes.BY_NAME]
    if unknown:
        p.error(f"unknown image(s): {', '.join(unknown)}; known: {', '.join(names)}")
    return cmd_build(wanted, a.out, a.force)


def _main() -> int:
    try:
        return main()
    except subprocess.CalledProcessError as e:
        cmd = " ".join(str(c) for c in e.cmd)
        print(f"build.py: a step failed (exit {e.returncode}): {cmd}", file=sys.stderr)
    except FileNotFoundError as e:
        print(f"build.py: a needed tool or file is missing: {e.filename}", file=sys.stderr)
    except PermissionError as e:
        print(f"build.py: permission denied ({e.filename}): run as root", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(_main())
