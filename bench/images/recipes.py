"""The benchmark images: what goes into each layer and each config.

History texts follow what BuildKit writes (``RUN /bin/sh -c ... # buildkit``), so history-based
checks see the same shapes as on real images.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import fetch
import truth
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from ocibuild import Context, Recipe, Steps

from hullcheck.image.writer import DEFAULT_EPOCH, EmptyHistory, ImageConfig, LayerSpec, Member

SITE = fetch.SITE_PACKAGES
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HEALTHCHECK = {
    "Test": ["CMD-SHELL", "wget -qO- http://127.0.0.1:8000/health || exit 1"],
    "Interval": 30_000_000_000,
    "Timeout": 5_000_000_000,
    "Retries": 3,
}


def _bk(cmd: str) -> str:
    return f"RUN /bin/sh -c {cmd} # buildkit"


# ------------------------------------------------------------------------------ debian-base


def _debian_base(ctx: Context) -> Steps:
    tarball = fetch.debootstrap_tarball(ctx.cache)
    tree = fetch.extract_tarball(tarball, ctx.work("debian-base") / "rootfs")
    fetch.normalize_rootfs(tree, DEFAULT_EPOCH)
    ctx.truth["debian-base"] = {"os": truth.os_release(tree), "dpkg": truth.dpkg_packages(tree)}
    return [
        LayerSpec(
            "ADD rootfs.tar / # debootstrap --variant=minbase bookworm",
            tree=tree,
            keep_owners=True,
            exclude=fetch.rootfs_exclude,
        ),
        EmptyHistory('CMD ["bash"]'),
    ]


DEBIAN_BASE = Recipe(
    name="debian-base",
    description="debootstrap --variant=minbase bookworm",
    prepare=_debian_base,
    config=ImageConfig(env=(PATH_ENV,), cmd=("bash",)),
    inputs={"suite": "bookworm", "variant": "minbase"},
)


# ------------------------------------------------------------------------------- python-app

PYAPP_UPGRADE = "urllib3==1.24.1"
PY_SDIST_ONLY = ("PyYAML",)


def _python_app(ctx: Context) -> Steps:
    pins = fetch.read_pins("python-app")
    wheels = fetch.ensure_wheels([*pins, PYAPP_UPGRADE], ctx.cache, sdists=PY_SDIST_ONLY)
    work = ctx.work("python-app")
    site1 = fetch.pip_install(pins, wheels, work / "pip1")
    removed = fetch.dist_dir_names(site1, "itsdangerous")
    old_urllib3 = [p for p in fetch.dist_dir_names(site1, "urllib3") if p.endswith(".dist-info")]
    site2 = fetch.pip_install([PYAPP_UPGRADE], wheels, work / "pip2")
    ctx.truth["python-app"] = {
        "python": truth.python_dists(site1, SITE) + truth.python_dists(site2, SITE),
        "removed_paths": [f"/{p}" for p in [*removed, *old_urllib3] if p.endswith(".dist-info")],
    }
    app = (
        "import flask\n\napp = flask.Flask(__name__)\n\n\n"
        "@app.route('/health')\ndef health():\n    return 'ok'\n"
    )
    return [
        EmptyHistory("ENV PYTHONUNBUFFERED=1"),
        EmptyHistory("WORKDIR /app"),
        LayerSpec(
            "COPY requirements.txt /app/ # buildkit",
            members=(Member.file("app/requirements.txt", "\n".join(pins) + "\n"),),
        ),
        LayerSpec(_bk("pip install --no-cache-dir --no-deps -r requirements.txt"), tree=site1),
        LayerSpec("COPY app.py /app/ # buildkit", members=(Member.file("app/app.py", app),)),
        # Deleting installed files: one whiteout per removed top-level entry.
        LayerSpec(
            _bk("pip uninstall -y itsdangerous"),
            members=tuple(Member.whiteout(p) for p in removed),
        ),
        # pip removes the old package directory and recreates it: overlayfs makes it opaque.
        LayerSpec(
            _bk(f"pip install --no-cache-dir --no-deps --upgrade {PYAPP_UPGRADE}"),
            tree=site2,
            members=(
                Member.opaque(f"{SITE}/urllib3"),
                *(Member.whiteout(p) for p in old_urllib3),
            ),
        ),
        EmptyHistory("EXPOSE map[8000/tcp:{}]"),
        EmptyHistory("USER 1000:1000"),
        EmptyHistory('HEALTHCHECK &{["CMD-SHELL" "wget -qO- http://127.0.0.1:8000/health"]}'),
        EmptyHistory('CMD ["python3" "-m" "flask" "run"]'),
    ]


PYTHON_APP = Recipe(
    name="python-app",
    description="debian-base + old wheels, a whiteout layer and an opaque directory",
    prepare=_python_app,
    base="debian-base",
    config=ImageConfig(
        user="1000:1000",
        env=(PATH_ENV, "PYTHONUNBUFFERED=1"),
        cmd=("python3", "-m", "flask", "run"),
        working_dir="/app",
        exposed_ports=("8000/tcp",),
        healthcheck=HEALTHCHECK,
        labels=(("org.opencontainers.image.title", "python-app"),),
    ),
    inputs={"pins": "requirements/python-app.txt", "upgrade": PYAPP_UPGRADE},
)


# --------------------------------------------------------------------------------- node-app


def _npm_layers(ctx: Context, project: str, work: Path) -> list[LayerSpec]:
    stage = work / "npm"
    fetch.npm_ci(project, ctx.cache, stage / "app")
    ctx.truth.setdefault(project, {})["npm"] = truth.npm_packages(
        stage / "app/package-lock.json", "/app"
    )
    manifests = ("app/package.json", "app/package-lock.json")
    return [
        LayerSpec(
            "COPY package.json package-lock.json ./ # buildkit",
            members=tuple(Member.file(m, (stage / m).read_bytes()) for m in manifests),
        ),
        LayerSpec(
            _bk("npm ci --omit=dev --ignore-scripts"),
            tree=stage,
            exclude=lambda rel: rel in manifests,
        ),
    ]


def _node_app(ctx: Context) -> Steps:
    work = ctx.work("node-app")
    index = (
        "const express = require('express');\nconst app = express();\n"
        "app.get('/health', (req, res) => res.send('ok'));\napp.listen(3000);\n"
    )
    return [
        EmptyHistory("ENV NODE_ENV=production"),
        EmptyHistory("WORKDIR /app"),
        *_npm_layers(ctx, "node-app", work),
        LayerSpec("COPY index.js ./ # buildkit", members=(Member.file("app/index.js", index),)),
        EmptyHistory("EXPOSE map[3000/tcp:{}]"),
        EmptyHistory("USER 1000:1000"),
        EmptyHistory('CMD ["node" "index.js"]'),
    ]


NODE_APP = Recipe(
    name="node-app",
    description="debian-base + npm packages with known advisories and their lock file",
    prepare=_node_app,
    base="debian-base",
    config=ImageConfig(
        user="1000:1000",
        env=(PATH_ENV, "NODE_ENV=production"),
        cmd=("node", "index.js"),
        working_dir="/app",
        exposed_ports=("3000/tcp",),
        healthcheck={
            **HEALTHCHECK,
            "Test": ["CMD", "wget", "-qO-", "http://127.0.0.1:3000/health"],
        },
    ),
    inputs={"lock": "npm/node-app/package-lock.json"},
)


# ---------------------------------------------------------------------------- misconfigured

# FAKE credentials in the shapes scanners look for. The AWS pair is AWS's documented example.
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _fake_token(prefix: str, seed: str, n: int) -> str:
    digest = hashlib.sha256(seed.encode()).digest() * 2
    return prefix + "".join(_B62[b % 62] for b in digest[:n])


GITHUB_TOKEN = _fake_token("ghp_", "hullcheck fake github token", 36)
DB_URL = "postgres://admin:S3cretPassw0rd@db.internal.example:5432/app"


def fake_private_key(seed: str) -> bytes:
    """A PEM EC private key made by ``cryptography`` from a fixed seed: real key syntax, known
    to nobody, and the same bytes on every build (so the image stays reproducible)."""
    scalar = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")
    key = ec.derive_private_key(scalar, ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _misconfigured(ctx: Context) -> Steps:
    settings = (
        "# application settings\n"
        f'AWS_ACCESS_KEY_ID = "{AWS_KEY_ID}"\n'
        f'AWS_SECRET_ACCESS_KEY = "{AWS_SECRET}"\n'
        'REGION = "us-east-1"\n'
    )
    dotenv = f"GITHUB_TOKEN={GITHUB_TOKEN}\nDEBUG=true\n"
    installer = "#!/bin/sh\n# stands in for a script fetched with curl | sh\necho installed\n"
    ctx.truth["misconfigured"] = {
        "user": "root",
        "healthcheck": False,
        "planted_secrets": [
            {"file": "/opt/app/config/settings.py", "kind": "aws-access-key-id"},
            {"file": "/opt/app/config/settings.py", "kind": "aws-secret-access-key"},
            {"file": "/opt/app/.env", "kind": "github-pat"},
            {"file": "/opt/app/certs/server.key", "kind": "private-key"},
            {"file": "/root/.ssh/id_ecdsa", "kind": "private-key", "deleted_in_later_layer": True},
            {"env": "DATABASE_URL", "kind": "password-in-url"},
        ],
        "planted_setuid": ["/usr/local/bin/helper"],
        "planted_world_writable": ["/opt/app/data/shared.cfg", "/opt/app/uploads"],
        "planted_history": ["curl ... | sh", "ADD http://..."],
    }
    return [
        LayerSpec(
            _bk("curl -fsSL https://install.example.com/setup.sh | sh"),
            members=(Member.file("usr/local/bin/setup-tool", installer, 0o755),),
        ),
        LayerSpec(
            "ADD http://downloads.example.com/app.tar.gz /opt/app/ # buildkit",
            members=(
                Member.file("opt/app/config/settings.py", settings),
                Member.file("opt/app/.env", dotenv),
                Member.file(
                    "opt/app/certs/server.key", fake_private_key("hullcheck server key"), 0o600
                ),
                Member.file("opt/app/data/shared.cfg", "mode=shared\n", 0o666),  # world-writable
                Member.dir("opt/app/uploads", 0o777),  # world-writable, no sticky bit
            ),
        ),
        # A key copied in for a build step and deleted in the next layer: still in the image.
        LayerSpec(
            "COPY id_ecdsa /root/.ssh/id_ecdsa # buildkit",
            members=(
                Member.dir("root", 0o700),
                Member.dir("root/.ssh", 0o700),
                Member.file("root/.ssh/id_ecdsa", fake_private_key("hullcheck deploy key"), 0o600),
            ),
        ),
        LayerSpec(
            _bk("git clone git@git.example.com:org/app.git /src && rm /root/.ssh/id_ecdsa"),
            members=(
                Member.dir("root", 0o700),
                Member.dir("root/.ssh", 0o700),
                Member.whiteout("root/.ssh/id_ecdsa"),
            ),
        ),
        LayerSpec(
            _bk("cp setup-tool helper && chmod 4755 /usr/local/bin/helper"),
            members=(Member.file("usr/local/bin/helper", installer, 0o4755),),
        ),
        EmptyHistory(f"ENV DATABASE_URL={DB_URL}"),
        EmptyHistory("EXPOSE map[22/tcp:{} 8080/tcp:{}]"),
        EmptyHistory('CMD ["/usr/local/bin/setup-tool"]'),
    ]


MISCONFIGURED = Recipe(
    name="misconfigured",
    description="debian-base + root user, fake secrets, setuid and world-writable files",
    prepare=_misconfigured,
    base="debian-base",
    config=ImageConfig(
        env=(PATH_ENV, f"DATABASE_URL={DB_URL}"),
        cmd=("/usr/local/bin/setup-tool",),
        exposed_ports=("22/tcp", "8080/tcp"),
    ),
    inputs={"secrets": [AWS_KEY_ID, GITHUB_TOKEN, DB_URL]},
)


# ------------------------------------------------------------------------------------ large


def _large(ctx: Context) -> Steps:
    sci, web = fetch.read_pins("large-sci"), fetch.read_pins("large-web")
    wheels = fetch.ensure_wheels([*sci, *web], ctx.cache)
    work = ctx.work("large")
    site1 = fetch.pip_install(sci, wheels, work / "pip1")
    site2 = fetch.pip_install(web, wheels, work / "pip2")
    ctx.truth["large"] = {
        "python": truth.python_dists(site1, SITE) + truth.python_dists(site2, SITE)
    }
    app = "import numpy, pandas, django\nprint('large app')\n"
    return [
        EmptyHistory("WORKDIR /app"),
        LayerSpec(_bk("pip install --no-cache-dir " + " ".join(sci[:6])), tree=site1),
        LayerSpec(_bk("pip install --no-cache-dir " + " ".join(web[:6])), tree=site2),
        *_npm_layers(ctx, "large", work),
        LayerSpec(
            "COPY . /app # buildkit",
            members=(
                Member.file("app/main.py", app),
                Member.file("app/requirements.txt", "\n".join(sci + web) + "\n"),
            ),
        ),
        EmptyHistory('CMD ["python3", "/app/main.py"]'),
    ]


LARGE = Recipe(
    name="large",
    description="debian-base + a big Python stack and a big node_modules (> 1 GB uncompressed)",
    prepare=_large,
    base="debian-base",
    config=ImageConfig(env=(PATH_ENV,), cmd=("python3", "/app/main.py"), working_dir="/app"),
    inputs={"pins": ["requirements/large-sci.txt", "requirements/large-web.txt"]},
)


# ---------------------------------------------------------------------------------- example

EXAMPLE_DEBS = ["base-files", "netbase", "libc6", "libgcc-s1", "zlib1g", "libssl3", "libexpat1"]


def _example(ctx: Context) -> Steps:
    debs = fetch.apt_download(EXAMPLE_DEBS, ctx.cache)
    work = ctx.work("example")
    rootfs = fetch.debs_rootfs(debs, work / "rootfs")
    pins = fetch.read_pins("example")
    site = fetch.pip_install(pins, fetch.ensure_wheels(pins, ctx.cache), work / "pip")
    ctx.truth["example"] = {
        "os": truth.os_release(rootfs),
        "dpkg": truth.dpkg_packages(rootfs),
        "python": truth.python_dists(site, SITE),
    }
    return [
        LayerSpec(
            "ADD rootfs.tar / # " + " ".join(d.name for d in debs), tree=rootfs, keep_owners=True
        ),
        LayerSpec(_bk("pip install --no-cache-dir " + " ".join(pins)), tree=site),
        EmptyHistory('CMD ["python3"]'),
    ]


EXAMPLE = Recipe(
    name="example",
    description="a few Debian packages (no debootstrap) + a few old wheels: small and fast",
    prepare=_example,
    config=ImageConfig(env=(PATH_ENV,), cmd=("python3",)),
    inputs={"debs": EXAMPLE_DEBS, "pins": "requirements/example.txt"},
)

ALL = (DEBIAN_BASE, PYTHON_APP, NODE_APP, MISCONFIGURED, LARGE, EXAMPLE)
BY_NAME = {r.name: r for r in ALL}
