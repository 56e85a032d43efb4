"""A Node.js application tree written by hand, with what the ``large`` benchmark image showed
the peers and hullcheck disagree on (no fixture holds an installed Next.js):

- ``/app``: a v3 package-lock with esbuild's optional platform binaries, of which npm installed
  the linux-x64 one only, next to a ``node_modules`` holding what npm installed;
- ``next/dist/compiled``: packages Next.js bundles, some with a name and version, most with a
  name only;
- other ``package.json`` files inside installed packages that are not packages: private
  folder markers (terser's ``dist``), a sub-path manifest repeating its package's name and
  version, test fixtures (resolve's ``test/resolver``), a benchmark project;
- ``/srv/shipped``: a lock file shipped without ``node_modules`` (another esbuild version, so
  that its entries do not hide the skipped ones of ``/app`` in a comparison by purl).

``FILES`` is the whole tree (path -> JSON document); the tests derive expectations from it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ESBUILD = "0.19.10"
PLATFORMS = ("linux-x64", "darwin-arm64", "win32-x64", "aix-ppc64")
INSTALLED_PLATFORM = "linux-x64"

# install path (under /app) -> the package's manifest
INSTALLED: dict[str, dict[str, Any]] = {
    "node_modules/esbuild": {"name": "esbuild", "version": ESBUILD, "license": "MIT"},
    f"node_modules/@esbuild/{INSTALLED_PLATFORM}": {"name": f"@esbuild/{INSTALLED_PLATFORM}", "version": ESBUILD},
    "node_modules/next": {"name": "next", "version": "13.5.6", "license": "MIT"},
    "node_modules/terser": {"name": "terser", "version": "5.26.0"},
    "node_modules/resolve": {"name": "resolve", "version": "1.22.8"},
    "node_modules/fast-uri": {"name": "fast-uri", "version": "2.3.0"},
    "node_modules/@bcoe/v8-coverage": {"name": "@bcoe/v8-coverage", "version": "0.2.3"},
}

# below installed packages: (path under /app/node_modules, manifest)
INSIDE: dict[str, dict[str, Any]] = {
    "next/dist/compiled/@babel/runtime": {"name": "@babel/runtime", "version": "7.22.5", "license": "MIT"},
    "next/dist/compiled/@edge-runtime/cookies": {"name": "@edge-runtime/cookies", "version": "4.0.2"},
    "next/dist/compiled/react-is": {"name": "react-is", "version": "18.2.0"},
    "next/dist/compiled/regenerator-runtime": {"name": "regenerator-runtime", "version": "0.13.4"},
    "next/dist/compiled/acorn": {"name": "acorn", "main": "acorn.js", "license": "MIT"},
    "next/dist/compiled/babel": {"name": "@babel/core", "main": "bundle.js"},
    "next/dist/compiled/web-vitals": {"name": "web-vitals", "main": "web-vitals.js"},
    "terser/dist": {"name": "dist", "version": "1.0.0", "private": True, "type": "commonjs"},
    "@bcoe/v8-coverage/dist/lib": {"name": "@bcoe/v8-coverage", "version": "0.2.3", "main": "index.js"},
    "resolve/test/resolver/multirepo": {"name": "ljharb-monorepo-symlink-test", "version": "0.0.0",
                                        "private": True},
    "resolve/test/resolver/published": {"name": "left-pad", "version": "1.0.0"},
    "fast-uri/benchmark": {"name": "benchmark", "version": "1.0.0", "private": True},
}

APP = {"name": "tree-app", "version": "1.0.0", "dependencies": {"next": "13.5.6", "esbuild": ESBUILD}}


SHIPPED_ESBUILD = "0.18.20"


def lock(esbuild: str = ESBUILD) -> dict[str, Any]:
    packages: dict[str, Any] = {"": {"name": APP["name"], "version": APP["version"]}}
    for path, doc in INSTALLED.items():
        packages[path] = {"version": esbuild if doc["name"].startswith(("esbuild", "@esbuild/")) else doc["version"]}
    for platform in PLATFORMS:
        packages[f"node_modules/@esbuild/{platform}"] = {"version": esbuild, "optional": True}
    return {"name": APP["name"], "version": APP["version"], "lockfileVersion": 3, "requires": True,
            "packages": packages}


def files() -> dict[str, Any]:
    out: dict[str, Any] = {"app/package.json": APP, "app/package-lock.json": lock(),
                           "srv/shipped/package-lock.json": lock(SHIPPED_ESBUILD)}
    for path, doc in INSTALLED.items():
        out[f"app/{path}/package.json"] = doc
    for path, doc in INSIDE.items():
        out[f"app/node_modules/{path}/package.json"] = doc
    return out


def write(root: Path) -> None:
    for rel, doc in files().items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(doc, indent=2))
