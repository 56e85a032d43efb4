"""The image of the end-to-end scan test, made with the benchmark's builder from real packages:

0. ``ADD rootfs.tar``: Debian bookworm ``.deb`` files (the example image's set: libc6, libssl3,
   zlib1g, ...) unpacked with their dpkg database, then ``CMD ["bash"]`` as a base image ends;
1. ``pip install`` of the example image's old wheels from PyPI (requests, urllib3, Jinja2);
2. ``npm ci`` of the node-app project's lock file (lodash 4.17.15, minimist 1.2.0, ...);
3. a config file with a planted fake GitHub token; no ``USER``, so the image runs as root.

No debootstrap (it would cost minutes and a mirror per CI run); the .deb files, wheels and npm
tarballs are cached under ``HULLCHECK_BENCH_OUT`` like the peers test's image, which downloads the
same packages (``tests.peers.images``), and the built image is reused while its inputs are the same.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.conftest import REPO
from tests.peers import images as peer_images

sys.path.insert(0, str(REPO / "bench" / "images"))
import fetch
import recipes
import truth
from ocibuild import Context, Recipe, Steps

from hullcheck.image.writer import EmptyHistory, ImageConfig, LayerSpec, Member

NAME = "scan-e2e"
SECRET_PATH = "app/config/deploy.env"
TOKEN = recipes.GITHUB_TOKEN  # a fake token in the real format (ghp_ + 36 base62 characters)


def _steps(ctx: Context) -> Steps:
    debs = fetch.apt_download(recipes.EXAMPLE_DEBS, ctx.cache)
    work = ctx.work(NAME)
    rootfs = fetch.debs_rootfs(debs, work / "rootfs")
    pins = fetch.read_pins("example")
    site = fetch.pip_install(pins, fetch.ensure_wheels(pins, ctx.cache), work / "pip")
    npm = recipes._npm_layers(ctx, "node-app", work)
    ctx.truth[NAME] = {
        "os": truth.os_release(rootfs),
        "dpkg": truth.dpkg_packages(rootfs),
        "python": truth.python_dists(site, recipes.SITE),
        "npm": ctx.truth.pop("node-app")["npm"],
        "secret": {"path": "/" + SECRET_PATH, "token": TOKEN},
    }
    return [
        LayerSpec("ADD rootfs.tar / # " + " ".join(d.name for d in debs), tree=rootfs, keep_owners=True),
        EmptyHistory('CMD ["bash"]'),
        LayerSpec("RUN /bin/sh -c pip install --no-cache-dir " + " ".join(pins) + " # buildkit", tree=site),
        EmptyHistory("WORKDIR /app"),
        *npm,
        LayerSpec("COPY config/ /app/config/ # buildkit",
                  members=(Member.file(SECRET_PATH, f"# deploy settings\nGITHUB_TOKEN={TOKEN}\nREGION=eu-west-1\n"),)),
        EmptyHistory('CMD ["node" "index.js"]'),
    ]


RECIPE = Recipe(
    name=NAME,
    description="Debian .debs + old wheels + npm ci + a planted token, running as root",
    prepare=_steps,
    config=ImageConfig(env=(recipes.PATH_ENV,), cmd=("node", "index.js"), working_dir="/app"),
    inputs={"debs": recipes.EXAMPLE_DEBS, "pins": "requirements/example.txt", "lock": "npm/node-app/package-lock.json",
            "secret": SECRET_PATH},
)


def build() -> tuple[Path, dict[str, Any]]:
    """(the OCI layout, what went into it)."""
    layout = peer_images.build(RECIPE)
    return layout, json.loads((layout.parent / "expected.json").read_text())
