"""Images built from real packages for the comparison, with the benchmark's builder.

``peers-mixed``: one image with each kind of package a peer may treat differently:

1. ``ADD rootfs.tar``: Debian bookworm ``.deb`` files unpacked with their dpkg database
   (status and ``info/*.list``), among them two that install language packages: python3-six
   (a Python egg-info under ``/usr/lib/python3/dist-packages``) and node-ms (npm packages under
   ``/usr/share/nodejs``), and zlib1g, whose version has an epoch;
2. ``pip install`` of old wheels from PyPI (the example image's pins);
3. ``npm ci`` of the node-app project's lock file (56 packages) into ``/app``.

No debootstrap: the real dpkg databases come from the fixture trees (Ubuntu's 90-package status
written by dpkg itself, distroless ``status.d``), and debootstrap would cost ~80 s of a CI run.

Downloads and built images are cached under ``HULLCHECK_BENCH_OUT`` (default ``bench/out``, the
benchmark's own output directory, git-ignored): a CI run builds once, later tests, pytest-xdist
workers and the benchmark reuse it; a file lock keeps two workers from building at once.
"""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench" / "images"))
import fetch
import ocibuild
import recipes
from ocibuild import Context, Recipe, Steps

from hullcheck.image.writer import EmptyHistory, ImageConfig, LayerSpec

OWNING_DEBS = ["python3-six", "node-ms"]  # Debian packages that install language packages
DEBS = [*recipes.EXAMPLE_DEBS, *OWNING_DEBS]


def _mixed(ctx: Context) -> Steps:
    debs = fetch.apt_download(DEBS, ctx.cache)
    work = ctx.work("peers-mixed")
    rootfs = fetch.debs_rootfs(debs, work / "rootfs")
    pins = fetch.read_pins("example")
    site = fetch.pip_install(pins, fetch.ensure_wheels(pins, ctx.cache), work / "pip")
    return [
        LayerSpec("ADD rootfs.tar / # " + " ".join(d.name for d in debs), tree=rootfs, keep_owners=True),
        LayerSpec("RUN /bin/sh -c pip install --no-cache-dir " + " ".join(pins) + " # buildkit", tree=site),
        EmptyHistory("WORKDIR /app"),
        *recipes._npm_layers(ctx, "node-app", work),
        EmptyHistory('CMD ["node", "index.js"]'),
    ]


MIXED = Recipe(
    name="peers-mixed",
    description="Debian packages (some owning Python/npm packages) + old wheels + npm ci with its lock",
    prepare=_mixed,
    config=ImageConfig(env=(recipes.PATH_ENV,), cmd=("node", "index.js"), working_dir="/app"),
    inputs={"debs": DEBS, "pins": "requirements/example.txt", "lock": "npm/node-app/package-lock.json"},
)


def out_dir() -> Path:
    return Path(os.environ.get("HULLCHECK_BENCH_OUT") or REPO / "bench" / "out").resolve()


def build(recipe: Recipe = MIXED) -> Path:
    """The recipe's OCI layout, built (or found up to date) under ``out_dir()``."""
    out = out_dir()
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".peers-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ocibuild.build(recipe, Context(out=out))
    return ocibuild.outputs(out, recipe.name)["oci"]
