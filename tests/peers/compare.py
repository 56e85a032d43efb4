"""hullcheck's catalog against a peer's listing: every difference must have a stated reason.

Packages are compared by purl, reduced to (type, namespace, name, version). What is left over
on either side goes through the rules below, in order:

- an *equivalence* says the peer spells the same package differently (trivy puts a deb epoch in
  a purl qualifier, ...): it maps the peer's key to hullcheck's, and both sides are paired;
- an *explanation* is a predicate on one left-over package and the file system it was read from
  (it re-reads the dpkg paragraph, the lock file entry, the Cargo.lock stanza...): it holds only
  when the stated reason is true of that package.

Anything no rule accounts for is *unexplained*, and the tests fail on it: a new difference
needs a new, checked reason (or a fix in hullcheck).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from itertools import permutations
from pathlib import Path
from typing import Any

import yaml

from .peers import Found, Key

OS_TYPES = frozenset({"deb", "rpm", "apk"})
BOTH = frozenset({"syft", "trivy"})


@dataclass(frozen=True)
class Target:
    """What was scanned: a name, the file system as the image shows it, hullcheck's findings."""

    name: str
    root: Path
    ours: tuple[Found, ...]
    unknown_paths: frozenset[str] = frozenset()

    def read(self, path: str) -> bytes | None:
        p = (self.root / path.lstrip("/")).resolve()
        if not p.is_relative_to(self.root.resolve()) or not p.is_file():
            return None
        return p.read_bytes()


@dataclass(frozen=True)
class Equivalence:
    name: str
    why: str
    tools: frozenset[str]
    to_ours: Callable[[Found, Target], Key | None]


@dataclass(frozen=True)
class Explanation:
    name: str
    why: str
    tools: frozenset[str]
    side: str  # "peer": the peer reports it, hullcheck does not; "ours": the other way round
    holds: Callable[[Found, Target], bool]


@dataclass
class Diff:
    tool: str
    target: str
    same: int = 0
    explained: dict[str, list[Key]] = field(default_factory=dict)
    unexplained_peer: list[Found] = field(default_factory=list)
    unexplained_ours: list[Found] = field(default_factory=list)

    def count(self, category: str) -> int:
        return len(self.explained.get(category, []))

    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in sorted(self.explained.items())}

    def problems(self) -> str:
        lines = [f"{self.tool} vs hullcheck on {self.target}: unexplained differences"]
        lines += [f"  only {self.tool}: {f.key} at {f.paths} ({f.kind})" for f in self.unexplained_peer]
        lines += [f"  only hullcheck: {f.key} at {f.paths} ({f.kind})" for f in self.unexplained_ours]
        return "\n".join(lines)


# ------------------------------------------------------------------------------ file readers


def _paragraphs(text: str) -> list[dict[str, str]]:
    out = []
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line and not line[0].isspace() and ":" in line:
                k, _, v = line.partition(":")
                fields[k.strip().lower()] = v.strip()
        if fields:
            out.append(fields)
    return out


def _json(t: Target, path: str) -> Any:
    data = t.read(path)
    try:
        return json.loads(data) if data is not None else None
    except ValueError:
        return None


def _yaml_docs(t: Target, path: str) -> list[Any]:
    data = t.read(path)
    return list(yaml.safe_load_all(data)) if data is not None else []


def _npm_name(k: Key) -> str:
    return f"{k[1]}/{k[2]}" if k[1] else k[2]


def _paths(f: Found, *names: str) -> list[str]:
    return [p for p in f.paths if p.rsplit("/", 1)[-1] in names]


# ----------------------------------------------------------------------------- equivalences


def _epoch_qualifier(f: Found, t: Target) -> Key | None:
    epoch = f.qualifiers.get("epoch")
    k = f.key
    if k[0] in ("deb", "rpm") and epoch and epoch != "0":
        return (k[0], k[1], k[2], f"{epoch}:{k[3]}")
    return None


# (peer's namespace, hullcheck's): the same distribution
_DISTRO_NAMES = {
    # os-release ID "sles"; hullcheck names SUSE's packages "suse", as the purl spec's rpm
    # examples and SUSE's own SBOMs do
    "sles": "suse",
    # trivy names the distribution by its family "cbl-mariner"; os-release ID is "mariner"
    "cbl-mariner": "mariner",
}


def _distro_namespace(f: Found, t: Target) -> Key | None:
    k = f.key
    if k[0] in OS_TYPES and k[1] in _DISTRO_NAMES:
        return (k[0], _DISTRO_NAMES[k[1]], k[2], k[3])
    return None


def _npm_alias(f: Found, t: Target) -> Key | None:
    # trivy names an aliased dependency ("case-alias": "npm:case@1.6.3") by the alias, with the
    # real package in its version; hullcheck reports the package that is installed
    m = re.fullmatch(r"npm:(?:(@[^/]+)/)?([^@/]+)@(.+)", f.key[3]) if f.key[0] == "npm" else None
    return ("npm", m.group(1) or "", m.group(2), m.group(3)) if m else None


def _pnpm_url_version(f: Found, t: Target) -> Key | None:
    # syft names a pnpm package fetched from a tarball URL by that URL; the lock file writes
    # the package's own version next to it, which hullcheck reports
    k = f.key
    if k[0] != "npm" or "/" not in k[3] or k[3].startswith("file:"):
        return None
    for path in _paths(f, "pnpm-lock.yaml"):
        for doc in _yaml_docs(t, path):
            for key, entry in ((doc or {}).get("packages") or {}).items():
                if k[3] in key and isinstance(entry, dict) and entry.get("version"):
                    return (k[0], k[1], k[2], str(entry["version"]))
    return None


def _pnpm_peer_suffix(f: Found, t: Target) -> Key | None:
    # lockfile v5 keys carry peer dependencies after "_" (/debug/4.3.4_supports-color@8.1.1);
    # syft keeps the suffix in the version, hullcheck (like pnpm itself) drops it
    k = f.key
    if k[0] == "npm" and _paths(f, "pnpm-lock.yaml") and re.fullmatch(r"\d[^_]*_.+", k[3]):
        return (k[0], k[1], k[2], k[3].split("_", 1)[0])
    return None


def _go_devel(f: Found, t: Target) -> Key | None:
    # Go's "(devel)": built from a source tree, no version; hullcheck writes no version
    k = f.key
    return (k[0], k[1], k[2], "") if k[0] == "golang" and k[3] == "(devel)" else None


def _go_vcs_pseudo_version(f: Found, t: Target) -> Key | None:
    # syft makes a pseudo-version for a main module built from a git checkout out of the build
    # info's vcs.time and vcs.revision; hullcheck (like trivy and `go version -m`) reports no
    # version: v0.0.0-... sorts below every release, so it would match every advisory of the module
    from . import gobinary

    k = f.key
    m = re.fullmatch(r"v0\.0\.0-(\d{14})-([0-9a-f]{12})", k[3]) if k[0] == "golang" else None
    if m is None:
        return None
    for path in f.paths:
        vcs = gobinary.vcs_settings(t.root / path.lstrip("/"))
        stamp = re.sub(r"\D", "", vcs.get("vcs.time", ""))[:14]
        if vcs.get("vcs.revision", "").startswith(m.group(2)) and stamp == m.group(1):
            return (k[0], k[1], k[2], "")
    return None


def _go_stdlib_v(f: Found, t: Target) -> Key | None:
    # trivy writes the toolchain as a module version ("v1.19.8"), hullcheck and syft as Go
    # prints it without "go" ("1.19.8")
    k = f.key
    if k[:3] == ("golang", "", "stdlib") and re.fullmatch(r"v\d+\.\d+(\.\d+)?.*", k[3]):
        return (k[0], k[1], k[2], k[3][1:])
    return None


def _go_local_replace(f: Found, t: Target) -> Key | None:
    # syft names a module replaced by a local directory after the directory ("../greet");
    # hullcheck keeps the required module's path, with no version, as `go version -m` shows it
    from . import gobinary

    k = f.key
    if k[0] != "golang" or not k[1].startswith("."):
        return None
    directory = f"{k[1]}/{k[2]}"
    for path in f.paths:
        binary = t.root / path.lstrip("/")
        for module, replacement in gobinary.local_replacements(binary).items():
            if replacement == directory:
                ns, _, name = module.rpartition("/")
                return ("golang", ns, name, "")
    return None


EQUIVALENCES = (
    Equivalence("epoch-in-qualifier", "trivy writes a deb/rpm epoch as the purl qualifier epoch=N, "
                "hullcheck (and syft) in the version, as dpkg and rpm print it", frozenset({"trivy"}),
                _epoch_qualifier),
    Equivalence("distro-namespace", "the peer names the distribution differently in the purl namespace",
                frozenset({"syft", "trivy"}), _distro_namespace),
    Equivalence("npm-alias", "trivy reports an npm alias under the alias name, version 'npm:<package>@<version>'",
                frozenset({"trivy"}), _npm_alias),
    Equivalence("url-version", "syft gives a pnpm package fetched from a tarball URL the URL as version",
                frozenset({"syft"}), _pnpm_url_version),
    Equivalence("go-devel", "the peer writes Go's '(devel)' (no version) as a version", BOTH, _go_devel),
    Equivalence("go-vcs-pseudo-version", "syft makes a pseudo-version (v0.0.0-<vcs.time>-<vcs.revision>) "
                "for a main module built from a VCS checkout; hullcheck reports no version", frozenset({"syft"}),
                _go_vcs_pseudo_version),
    Equivalence("go-stdlib-version", "trivy writes the Go toolchain's version with a 'v'", frozenset({"trivy"}),
                _go_stdlib_v),
    Equivalence("go-local-replace", "syft names a module replaced by a local directory after the directory",
                frozenset({"syft"}), _go_local_replace),
    Equivalence("peer-suffix", "syft keeps a pnpm v5 key's peer suffix (_peer@x.y) in the version",
                frozenset({"syft"}), _pnpm_peer_suffix),
)


# ---------------------------------------------------------------------- peer-only reasons


@cache
def _dpkg_owned(root: Path) -> frozenset[str]:
    """Every path a dpkg package installed: its ``info/*.list`` file (or a distroless
    ``status.d/*.md5sums``, relative paths)."""
    owned: set[str] = set()
    for lst in (root / "var/lib/dpkg/info").glob("*.list"):
        owned.update(line for line in lst.read_text(errors="replace").splitlines() if line.startswith("/"))
    for md5 in (root / "var/lib/dpkg/status.d").glob("*.md5sums"):
        owned.update("/" + line.split(None, 1)[1] for line in md5.read_text(errors="replace").splitlines()
                     if len(line.split(None, 1)) == 2)
    return frozenset(owned)


def _os_owned(f: Found, t: Target) -> bool:
    """A language package that a Debian package installed (its metadata files are in the
    package's file list): hullcheck reports it once, as part of the OS package (whose advisories
    cover it), as trivy does; syft lists it twice."""
    owned = _dpkg_owned(t.root)
    return f.key[0] not in OS_TYPES and bool(f.paths) and all(_usrmerged(p) & owned for p in f.paths)


def _usrmerged(path: str) -> set[str]:
    # dpkg lists a file as the package shipped it ("/lib/..."), a merged-/usr image holds it
    # under "/usr/lib/..." (and the other way round)
    alt = {path}
    for d in ("bin", "sbin", "lib", "lib64"):
        if path.startswith(f"/usr/{d}/"):
            alt.add(path.removeprefix("/usr"))
        elif path.startswith(f"/{d}/"):
            alt.add("/usr" + path)
    return alt


def _dpkg_not_installed(f: Found, t: Target) -> bool:
    """The package's paragraph says it is not installed (Status "deinstall ok config-files")."""
    if f.key[0] != "deb" or not f.paths:
        return False
    for path in f.paths:
        data = t.read(path)
        paras = [p for p in _paragraphs((data or b"").decode("utf-8", "replace")) if p.get("package") == f.key[2]]
        # distroless status.d files have no Status: installed by construction
        default = "installed" if "/status.d/" in path else ""
        if not paras or any(p.get("status", default).split()[-1:] == ["installed"] for p in paras):
            return False
    return True


def _lock_project(f: Found, t: Target) -> bool:
    """The project itself, or one of its workspace members: what the lock file was written for
    (the root, "packages" entries outside node_modules, links to local folders), not a package
    installed from a registry."""
    k = f.key
    if k[0] != "npm":
        return False
    name = _npm_name(k)
    paths = _paths(f, "package-lock.json")
    if not paths:
        return False
    for path in paths:
        doc = _json(t, path)
        if not isinstance(doc, dict):
            return False
        own = {(doc.get("name"), doc.get("version"))}
        for key, entry in (doc.get("packages") or {}).items():
            if not isinstance(entry, dict):
                continue
            if entry.get("link") or "node_modules/" not in key:
                own.add((entry.get("name") or key.rsplit("/", 1)[-1] or doc.get("name"), entry.get("version")))
                own.add((key.rsplit("node_modules/", 1)[-1], entry.get("version")))
        if not any(n == name and (v or "") == k[3] for n, v in own):
            return False
    return True


def _package_json_project(f: Found, t: Target) -> bool:
    """An application's own package.json (not inside node_modules): the project, not an
    installed dependency (hullcheck reads installed packages and lock files)."""
    if f.key[0] != "npm":
        return False
    paths = [p for p in f.paths if p.endswith("/package.json")]
    if not paths:
        return False
    for path in paths:
        doc = _json(t, path)
        if "/node_modules/" in path or not isinstance(doc, dict):
            return False
        if (doc.get("name"), doc.get("version") or "") != (_npm_name(f.key), f.key[3]):
            return False
    return True


def _yarn_or_pnpm_local(f: Found, t: Target) -> bool:
    """From the project's own tree: a yarn workspace ("0.0.0-use.local", "workspace:"), a
    file:/link: dependency, or a pnpm local directory or tarball."""
    k = f.key
    if k[0] != "npm":
        return False
    if k[3].startswith(("file:", "link:")):
        return True
    name = _npm_name(k)
    for path in _paths(f, "yarn.lock"):
        text = (t.read(path) or b"").decode("utf-8", "replace")
        for block in re.split(r"\n\s*\n", text):
            header = block.lstrip().split("\n", 1)[0]
            if re.search(rf'(^|[\s",]){re.escape(name)}@', header) and re.search(
                    r"(workspace:|file:|link:|0\.0\.0-use\.local)", block):
                return True
    for path in _paths(f, "pnpm-lock.yaml"):
        for doc in _yaml_docs(t, path):
            for key, entry in ((doc or {}).get("packages") or {}).items():
                res = (entry or {}).get("resolution") or {} if isinstance(entry, dict) else {}
                if name in key and ("directory" in res or str(res.get("tarball", "")).startswith("file:")):
                    return True
    return False


def _pnpm_tooling(f: Found, t: Target) -> bool:
    """In a multi-document pnpm lock, only in the document of pnpm's own package-manager
    dependencies (``packageManagerDependencies``), not in the project's."""
    name = _npm_name(f.key)
    for path in _paths(f, "pnpm-lock.yaml"):
        docs = [d for d in _yaml_docs(t, path) if isinstance(d, dict)]
        if len(docs) < 2:
            return False
        where = [any(str(key).lstrip("/").startswith(f"{name}@{f.key[3]}") for key in (d.get("packages") or {}))
                 for d in docs]
        tooling = ["packageManagerDependencies" in json.dumps(d.get("importers") or {}) for d in docs]
        if not any(where) or any(w and not tl for w, tl in zip(where, tooling, strict=True)):
            return False
    return bool(_paths(f, "pnpm-lock.yaml"))


def _cargo_local(f: Found, t: Target) -> bool:
    """A crate of the project's own workspace or a path dependency: no ``source`` in Cargo.lock."""
    if f.key[0] != "cargo":
        return False
    paths = _paths(f, "Cargo.lock")
    for path in paths:
        try:
            doc = tomllib.loads((t.read(path) or b"").decode())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            return False
        if not any(p.get("name") == f.key[2] and p.get("version") == f.key[3] and "source" not in p
                   for p in doc.get("package", [])):
            return False
    return bool(paths)


def _dotnet_project(f: Found, t: Target) -> bool:
    """A .NET project of the application itself (``"type": "project"`` in deps.json)."""
    if f.key[0] != "nuget":
        return False
    files = [p for p in f.paths if p.endswith(".deps.json")]
    if not files:
        # trivy names a deps.json package's file only through its application: look for one
        files = [str("/" + p.relative_to(t.root).as_posix()) for p in t.root.rglob("*.deps.json")]
    for path in files:
        doc = _json(t, path)
        lib = ((doc or {}).get("libraries") or {}).get(f"{f.key[2]}/{f.key[3]}")
        if isinstance(lib, dict) and lib.get("type") == "project":
            return True
    return False


def _no_version(f: Found, t: Target) -> bool:
    """The file names a package without a version (nothing an advisory can match), and
    hullcheck records that file as an unknown, with the reason, instead of a package."""
    return f.key[3] == "" and any(p in t.unknown_paths for p in f.paths)


# Folders of an installed package that hold sample projects (tests, fixtures, examples,
# benchmarks): what the package's authors ship to test it, not code it runs.
_SAMPLE_FOLDERS = frozenset({"test", "tests", "__tests__", "__mocks__", "fixture", "fixtures", "__fixtures__",
                             "test-fixtures", "testdata", "example", "examples", "benchmark", "benchmarks"})


def _inside_package(path: str) -> tuple[str, list[str]] | None:
    """For ``.../node_modules/<pkg>/<folders...>/package.json`` with at least one folder: the
    installed package's name and the folders; None for an installed package's own manifest
    and for anything outside node_modules."""
    if not path.endswith("/package.json") or "/node_modules/" not in path:
        return None
    parts = path.rpartition("/node_modules/")[2].split("/")[:-1]
    n = 2 if parts[0].startswith("@") else 1
    if len(parts) <= n:
        return None
    return "/".join(parts[:n]), parts[n:]


def _manifests_inside(f: Found) -> list[str]:
    """The peer's paths for ``f``, when every one is a package.json inside an installed package."""
    paths = [p for p in f.paths if p.endswith("/package.json")]
    return paths if paths and len(paths) == len(f.paths) and all(_inside_package(p) for p in paths) else []


def _inside_without_version(f: Found, t: Target) -> bool:
    """A package.json inside an installed package that has a name and no version: a bundler's
    marker (Next.js keeps only the name of what it compiles into ``dist/compiled``). Nothing an
    advisory could match; hullcheck leaves it out."""
    paths = _manifests_inside(f)
    return f.key[0] == "npm" and f.key[3] == "" and bool(paths) and all(
        isinstance(doc := _json(t, p), dict) and not doc.get("version") for p in paths)


def _inside_private(f: Found, t: Target) -> bool:
    """A package.json inside an installed package marked ``"private": true``: never published
    (npm refuses to), so no advisory names it; terser's ``dist`` and ``bin`` folders carry such
    markers named after the folder, version 1.0.0."""
    paths = _manifests_inside(f)
    return f.key[0] == "npm" and bool(paths) and all(
        isinstance(doc := _json(t, p), dict) and doc.get("private") is True
        and (doc.get("name"), doc.get("version") or "") == (_npm_name(f.key), f.key[3]) for p in paths)


def _inside_sample(f: Found, t: Target) -> bool:
    """A package.json in a test, fixture, example or benchmark folder of an installed package:
    a sample project the package ships, not code it runs."""
    paths = _manifests_inside(f)
    return f.key[0] == "npm" and bool(paths) and all(
        any(folder.lower() in _SAMPLE_FOLDERS for folder in (_inside_package(p) or ("", []))[1]) for p in paths)


def _lock_install_dirs(doc: dict[str, Any], name: str, version: str) -> list[str]:
    """Where a lock file says copies of name@version are installed (relative to its folder)."""
    out = []
    packages = doc.get("packages")
    if isinstance(packages, dict):
        for key, entry in packages.items():
            if "node_modules/" in key and isinstance(entry, dict) and entry.get("version") == version \
                    and (entry.get("name") or key.rsplit("node_modules/", 1)[1]) == name:
                out.append(key)
        return out
    stack = [(doc.get("dependencies") or {}, "")]
    while stack:
        level, parent = stack.pop()
        for key, entry in level.items():
            if isinstance(entry, dict):
                here = f"{parent}node_modules/{key}"
                if (key, entry.get("version")) == (name, version) or entry.get("version") == f"npm:{name}@{version}":
                    out.append(here)
                stack.append((entry.get("dependencies") or {}, here + "/"))
    return out


def _lock_not_installed(f: Found, t: Target) -> bool:
    """A package-lock entry that npm did not install: the lock sits next to a node_modules
    folder (the install happened) and the entry's install folder has no package.json (npm
    skips optional packages for other platforms: esbuild's @esbuild/<os>-<cpu>). The peers
    report every lock entry; hullcheck what is installed."""
    paths = _paths(f, "package-lock.json", "npm-shrinkwrap.json")
    if f.key[0] != "npm" or not paths or len(paths) != len(f.paths):
        return False
    for path in paths:
        doc = _json(t, path)
        folder = path.rsplit("/", 1)[0]
        if not isinstance(doc, dict) or not (t.root / folder.lstrip("/") / "node_modules").is_dir():
            return False
        dirs = _lock_install_dirs(doc, _npm_name(f.key), f.key[3])
        if not dirs or any(t.read(f"{folder}/{d}/package.json") is not None for d in dirs):
            return False
    return True


# ---------------------------------------------------------------------- hullcheck-only reasons


def _v1_entries(deps: Any, dev: bool = False, depth: int = 0) -> Iterator[tuple[str, Any, bool, int]]:
    """(name, version, dev, depth) of a lockfileVersion 1 ``dependencies`` tree; a package
    nested under a dev-only one is dev-only too."""
    for name, entry in (deps or {}).items():
        if isinstance(entry, dict):
            is_dev = dev or entry.get("dev") is True
            yield name, entry.get("version"), is_dev, depth
            yield from _v1_entries(entry.get("dependencies"), is_dev, depth + 1)


@cache
def _dev_in_lock(text: str, name: str, version: str) -> bool:
    doc = json.loads(text)
    if "packages" not in doc:
        return any(n == name and v == version and dev for n, v, dev, _ in _v1_entries(doc.get("dependencies")))
    for key, entry in (doc.get("packages") or {}).items():
        if key.rsplit("node_modules/", 1)[-1] == name and isinstance(entry, dict) and entry.get("version") == version:
            if entry.get("dev") or entry.get("devOptional"):
                return True
            # nested under a dev-only package
            parent = key.rsplit("/node_modules/", 1)[0] if "/node_modules/" in key else ""
            if parent and (doc["packages"].get(parent) or {}).get("dev"):
                return True
    return False


def _dev_dependency(f: Found, t: Target) -> bool:
    """hullcheck reports development-only packages of a lock file, flagged ``dev``; the peers
    leave them out by default. For package-lock.json the lock's own dev marks are re-checked."""
    if f.metadata.get("dev") is not True:
        return False
    for path in _paths(f, "package-lock.json"):
        data = t.read(path)
        if data is None or not _dev_in_lock(data.decode(), _npm_name(f.key), f.key[3]):
            return False
    return True


def _ours_version_less(f: Found, t: Target) -> bool:
    """An apk database entry without a version ("P:" with no "V:"): hullcheck keeps the entry
    so that nothing installed goes unlisted; trivy drops it. The entry is re-read to check it
    has no version. (A dpkg paragraph without Version is no package for hullcheck either: no
    .deb lacks one; it is noted as an unknown, see ``_no_version``.)"""
    if f.key[3] != "" or f.key[0] != "apk" or not f.paths:
        return False
    for path in f.paths:
        text = (t.read(path) or b"").decode("utf-8", "replace")
        # (the purl spec lower-cases apk names; the database keeps the packager's case)
        blocks = [b for b in re.split(r"\n\s*\n", text) if f"\np:{f.key[2]}\n" in f"\n{b}\n".lower()]
        if not blocks or any(re.search(r"^V:.", b, re.M) for b in blocks):
            return False
    return True


def _yarn_git(f: Found, t: Target) -> bool:
    """A yarn dependency fetched from git: trivy leaves those out, hullcheck reports the version
    yarn recorded."""
    name = _npm_name(f.key)
    for path in _paths(f, "yarn.lock"):
        text = (t.read(path) or b"").decode("utf-8", "replace")
        for block in re.split(r"\n\s*\n", text):
            if block.lstrip().startswith((f'"{name}@git', f"{name}@git")) and f'"{f.key[3]}"' in block:
                return True
    return False


def _go_local_dir(f: Found, t: Target) -> bool:
    """A Go module replaced by a local directory (``go version -m`` shows ``=> ../dir``): trivy
    leaves it out; hullcheck lists it, without a version (no advisory can name source code)."""
    from . import gobinary

    if f.key[0] != "golang" or f.key[3] != "":
        return False
    module = f"{f.key[1]}/{f.key[2]}" if f.key[1] else f.key[2]
    return bool(f.paths) and all(module in gobinary.local_replacements(t.root / p.lstrip("/")) for p in f.paths)


def _dotnet_without_dll(f: Found, t: Target) -> bool:
    """syft reports a deps.json library only when its assembly (``<name>.dll``) is next to the
    deps.json; hullcheck reports what deps.json declares (the runtime loads what it lists)."""
    if f.key[0] != "nuget":
        return False
    files = [p for p in f.paths if p.endswith(".deps.json")]
    return bool(files) and all(not (t.root / p.lstrip("/")).with_name(f"{f.key[2]}.dll").exists() for p in files)


def _syft_v1_nested(f: Found, t: Target) -> bool:
    """syft reads only the top level of a lockfileVersion 1 ``dependencies`` tree; hullcheck
    (and trivy) also report the copies nested under other packages."""
    paths = _paths(f, "package-lock.json")
    for path in paths:
        doc = _json(t, path)
        if not isinstance(doc, dict) or "packages" in doc:
            return False
        at = {d for n, v, _dev, d in _v1_entries(doc.get("dependencies")) if (n, v) == (_npm_name(f.key), f.key[3])}
        if not at or 0 in at:
            return False
    return bool(paths)


def _yarn_patch(f: Found, t: Target) -> bool:
    """A yarn berry ``patch:`` entry (the npm package with a patch applied at install): trivy
    leaves those out, hullcheck reports the package and version it patches."""
    name = _npm_name(f.key)
    for path in _paths(f, "yarn.lock"):
        text = (t.read(path) or b"").decode("utf-8", "replace")
        for block in re.split(r"\n\s*\n", text):
            if block.lstrip().startswith(f'"{name}@patch:') and f"version: {f.key[3]}" in block:
                return True
    return False


def _composer_v1(f: Found, t: Target) -> bool:
    """syft reads composer 2's installed.json (an object with "packages"), not composer 1's
    (a plain list of packages)."""
    files = _paths(f, "installed.json")
    return bool(files) and all(isinstance(_json(t, p), list) for p in files)


PEER_ONLY = "peer"
OURS_ONLY = "ours"

EXPLANATIONS = (
    Explanation("os-owned", "a language package installed by an OS package: reported as part of it",
                frozenset({"syft"}), PEER_ONLY, _os_owned),
    Explanation("not-installed", "the dpkg paragraph's Status is not installed (deinstall, config-files)",
                BOTH, PEER_ONLY, _dpkg_not_installed),
    Explanation("project-itself", "the lock file's own project or workspace member, not an installed package",
                BOTH, PEER_ONLY, _lock_project),
    Explanation("project-itself", "an application's own package.json, outside node_modules", BOTH, PEER_ONLY,
                _package_json_project),
    Explanation("project-itself", "a crate of the project's workspace / a path dependency (no source)", BOTH,
                PEER_ONLY, _cargo_local),
    Explanation("project-itself", "a .NET project of the application (deps.json type 'project')", BOTH,
                PEER_ONLY, _dotnet_project),
    Explanation("local-source", "a workspace, file: or link: dependency from the project's own tree", BOTH,
                PEER_ONLY, _yarn_or_pnpm_local),
    Explanation("pnpm-tooling", "pnpm's own package-manager dependencies, in a separate lock document",
                BOTH, PEER_ONLY, _pnpm_tooling),
    Explanation("no-version", "the peer lists a package without a version", BOTH, PEER_ONLY, _no_version),
    Explanation("no-version", "the peer lists a versionless package.json inside an installed package", BOTH,
                PEER_ONLY, _inside_without_version),
    Explanation("sample-project", "a package.json in a test/fixture/example/benchmark folder of a package", BOTH,
                PEER_ONLY, _inside_sample),
    Explanation("private-marker", "a private package.json inside an installed package (never published)", BOTH,
                PEER_ONLY, _inside_private),
    Explanation("lock-not-installed", "a lock entry npm did not install (node_modules has no such folder)", BOTH,
                PEER_ONLY, _lock_not_installed),
    Explanation("dev-dependency", "hullcheck reports dev-only lock entries flagged dev; the peers omit them",
                BOTH, OURS_ONLY, _dev_dependency),
    Explanation("version-less-entry", "trivy drops package database entries without a version",
                frozenset({"trivy"}), OURS_ONLY, _ours_version_less),
    Explanation("git-source", "trivy leaves out yarn dependencies fetched from git", frozenset({"trivy"}),
                OURS_ONLY, _yarn_git),
    Explanation("lock-v1-nested", "syft reads only the top level of a v1 package-lock", frozenset({"syft"}),
                OURS_ONLY, _syft_v1_nested),
    Explanation("yarn-patch", "trivy leaves out yarn 'patch:' entries", frozenset({"trivy"}), OURS_ONLY,
                _yarn_patch),
    Explanation("composer-v1", "syft does not read composer 1's installed.json", frozenset({"syft"}), OURS_ONLY,
                _composer_v1),
    Explanation("go-local-replace", "trivy leaves out Go modules replaced by a local directory",
                frozenset({"trivy"}), OURS_ONLY, _go_local_dir),
    Explanation("deps-json-without-dll", "syft needs the assembly next to deps.json", frozenset({"syft"}),
                OURS_ONLY, _dotnet_without_dll),
)


# ------------------------------------------------------------------------------- compare


def _group(found: list[Found] | tuple[Found, ...]) -> dict[Key, list[Found]]:
    out: dict[Key, list[Found]] = {}
    for f in found:
        out.setdefault(f.key, []).append(f)
    return out


def _equivalent(tool: str, founds: list[Found], t: Target, ours: dict[Key, list[Found]]) -> tuple[str, Key] | None:
    rules = [e for e in EQUIVALENCES if tool in e.tools]
    for n in (1, 2):
        for combo in permutations(rules, n):
            f = founds[0]
            key: Key | None = f.key
            for rule in combo:
                key = rule.to_ours(f, t) if key is not None else None
                if key is None:
                    break
                f = Found(f.tool, _purl_of(key), f.paths, f.kind, f.metadata)
            if key is not None and key in ours:
                return "+".join(r.name for r in combo), key
    return None


def _purl_of(key: Key) -> str:
    from packageurl import PackageURL

    return PackageURL(type=key[0], namespace=key[1] or None, name=key[2], version=key[3] or None).to_string()


def _explain(tool: str, side: str, founds: list[Found], t: Target) -> str | None:
    """The first reason that accounts for every report of the package; a reason may have
    several checks (the project itself: its package.json, its lock file's root entry...),
    each report must pass one of them."""
    names = list(dict.fromkeys(e.name for e in EXPLANATIONS if tool in e.tools and e.side == side))
    for name in names:
        rules = [e for e in EXPLANATIONS if e.name == name and tool in e.tools and e.side == side]
        if all(any(e.holds(f, t) for e in rules) for f in founds):
            return name
    return None


def compare(tool: str, peer: list[Found], t: Target) -> Diff:
    theirs, ours = _group(peer), _group(t.ours)
    diff = Diff(tool=tool, target=t.name, same=len(theirs.keys() & ours.keys()))
    paired: set[Key] = set()
    for key in sorted(theirs.keys() - ours.keys()):
        eq = _equivalent(tool, theirs[key], t, ours)
        if eq is not None:
            diff.explained.setdefault(eq[0], []).append(key)
            paired.add(eq[1])
            continue
        why = _explain(tool, PEER_ONLY, theirs[key], t)
        if why is None:
            diff.unexplained_peer.extend(theirs[key][:1])
        else:
            diff.explained.setdefault(why, []).append(key)
    for key in sorted(ours.keys() - theirs.keys() - paired):
        why = _explain(tool, OURS_ONLY, ours[key], t)
        if why is None:
            diff.unexplained_ours.extend(ours[key][:1])
        else:
            diff.explained.setdefault("hullcheck+" + why, []).append(key)
    return diff
