"""The measured sections of bench/run: each alternates its variants and returns plain results."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import accuracy, secrets, vectors
from .alternate import Variant, alternate
from .floor import FLOOR, HULLCHECK_READ
from .proc import measure
from .registry import serving
from .stats import Summary, ratio, summarise
from .tools import (
    Tools,
    hullcheck_env,
    hullcheck_ls,
    hullcheck_registry_sbom,
    hullcheck_sbom,
    hullcheck_scan,
    python_child,
    syft_sbom,
    trivy_registry_sbom,
    trivy_sbom,
    trivy_scan,
)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Image:
    name: str
    root: Path  # IMAGES/NAME: oci/, NAME.docker.tar, expected.json

    @property
    def oci_dir(self) -> Path:
        return self.root / "oci"

    @property
    def docker_tar(self) -> Path:
        return self.root / f"{self.name}.docker.tar"

    @property
    def expected(self) -> dict[str, object] | None:
        p = self.root / "expected.json"
        return json.loads(p.read_text()) if p.exists() else None


@dataclass(frozen=True)
class Target:
    label: str
    value: float | None
    limit: float
    inclusive: bool = False  # "<=" rather than "<"

    @property
    def met(self) -> bool:
        if self.value is None:
            return False
        return self.value <= self.limit if self.inclusive else self.value < self.limit


@dataclass
class TimedResult:
    key: str
    title: str
    image: str
    rounds: int
    commands: dict[str, str]  # variant -> what it runs
    summaries: dict[str, Summary]
    pairs: list[tuple[str, str]]  # (ours, peer) rows of the ratio table
    targets: list[Target] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)


def _run(
    variants: list[Variant], rounds: int, keep: Path, progress: Progress, inputs: tuple[Path, ...] = ()
) -> dict[str, Summary]:
    rows = alternate(variants, rounds, keep_dir=keep, progress=progress, inputs=inputs)
    return {name: summarise(ms) for name, ms in rows.items()}


def _half_of_peers(summaries: dict[str, Summary], where: str) -> list[Target]:
    """Issue 3's SBOM targets: hullcheck under half of trivy's and syft's wall time and peak RSS."""
    targets = []
    ours = summaries[f"hullcheck {where}"]
    for peer in ("trivy", "syft"):
        theirs = summaries[f"{peer} {where}"]
        targets.append(Target(f"wall hullcheck / {peer}", ratio(ours.wall, theirs.wall), 0.5))
        targets.append(Target(f"peak RSS hullcheck / {peer}", ratio(ours.rss_mb, theirs.rss_mb), 0.5))
    return targets


def sbom_section(tools: Tools, img: Image, rounds: int, work: Path, progress: Progress) -> TimedResult:
    oci_ref, docker_ref = f"oci:{img.oci_dir}", f"docker-archive:{img.docker_tar}"
    variants = [
        Variant("hullcheck oci", hullcheck_sbom(oci_ref)),
        Variant("trivy oci", trivy_sbom(tools, img.oci_dir)),
        Variant("syft oci", syft_sbom(tools, f"oci-dir:{img.oci_dir}")),
        Variant("hullcheck docker", hullcheck_sbom(docker_ref)),
        Variant("syft docker", syft_sbom(tools, docker_ref)),
    ]
    commands = {
        "hullcheck oci": f"hullcheck sbom {oci_ref} -f cyclonedx-json -o FILE",
        "trivy oci": f"trivy image --input {img.oci_dir} --format cyclonedx --cache-dir FRESH (offline flags)",
        "syft oci": f"syft oci-dir:{img.oci_dir} -o cyclonedx-json=FILE",
        "hullcheck docker": f"hullcheck sbom {docker_ref} -f cyclonedx-json -o FILE",
        "syft docker": f"syft {docker_ref} -o cyclonedx-json=FILE",
    }
    summaries = _run(variants, rounds, work / "sbom" / img.name, progress, (img.oci_dir, img.docker_tar))
    targets = _half_of_peers(summaries, "oci")
    return TimedResult(
        key="sbom",
        title=f"SBOM, cold caches: `{img.name}`",
        image=img.name,
        rounds=rounds,
        commands=commands,
        summaries=summaries,
        pairs=[("hullcheck oci", "trivy oci"), ("hullcheck oci", "syft oci"), ("hullcheck docker", "syft docker")],
        targets=targets,
    )


def registry_section(
    tools: Tools,
    img: Image,
    rounds: int,
    work: Path,
    progress: Progress,
    layout_outputs: dict[str, Path] | None = None,
) -> TimedResult:
    """The SBOM runs again, pulling from a loopback registry (htpasswd basic auth, plain HTTP).

    layout_outputs: tool -> the CycloneDX file of that tool's OCI-layout run (the SBOM section's
    first round); tools without one get one untimed layout run here, for the package comparison."""
    keep = work / "registry" / img.name
    with serving(img.name, img.oci_dir, work / "registry-server") as served:
        progress(f"registry: pushed {img.name} to {served.ref} in {served.push_seconds:.1f} s")
        ref, login = served.ref, served.login
        variants = [
            Variant("hullcheck registry", hullcheck_registry_sbom(ref, login)),
            Variant("trivy registry", trivy_registry_sbom(tools, ref, login)),
            Variant("syft registry", syft_sbom(tools, f"registry:{ref}", login)),
        ]
        summaries = _run(variants, rounds, keep, progress)
    commands = {
        "hullcheck registry": (
            f"HULLCHECK_REGISTRY_USERNAME=U HULLCHECK_REGISTRY_PASSWORD=P hullcheck sbom {ref} "
            "-f cyclonedx-json -o FILE (loopback: plain HTTP without a flag)"
        ),
        "trivy registry": (
            f"TRIVY_USERNAME=U TRIVY_PASSWORD=P trivy image --image-src remote --insecure --format cyclonedx "
            f"--cache-dir FRESH (offline flags) {ref}"
        ),
        "syft registry": (
            f"SYFT_REGISTRY_INSECURE_USE_HTTP=true SYFT_REGISTRY_AUTH_USERNAME=U SYFT_REGISTRY_AUTH_PASSWORD=P "
            f"syft registry:{ref} -o cyclonedx-json=FILE"
        ),
    }
    outputs = dict(layout_outputs or {})
    builders = {
        "hullcheck": hullcheck_sbom(f"oci:{img.oci_dir}"),
        "trivy": trivy_sbom(tools, img.oci_dir),
        "syft": syft_sbom(tools, f"oci-dir:{img.oci_dir}"),
    }
    todo = [Variant(f"{tool} oci", b) for tool, b in builders.items() if tool not in outputs]
    if todo:
        alternate(todo, 1, keep_dir=keep, progress=progress)
        outputs.update({v.name.split()[0]: keep / f"{v.name}.out" for v in todo})
    extra = [
        f"The image was pushed once with `skopeo copy --preserve-digests` (not measured, "
        f"{served.push_seconds:.1f} s) to Debian's docker-registry on 127.0.0.1 with htpasswd basic auth; "
        "every run pulls it whole over plain HTTP into its own empty cache.",
        *registry_consistency(keep, outputs),
    ]
    targets = _half_of_peers(summaries, "registry")
    return TimedResult(
        key="registry",
        title=f"SBOM from a registry, cold caches: `{img.name}`",
        image=img.name,
        rounds=rounds,
        commands=commands,
        summaries=summaries,
        pairs=[("hullcheck registry", "trivy registry"), ("hullcheck registry", "syft registry")],
        targets=targets,
        extra=extra,
    )


def registry_consistency(keep: Path, layout_outputs: dict[str, Path]) -> list[str]:
    """One line per tool: does its registry SBOM list the packages of its OCI-layout SBOM?"""
    lines = []
    for tool in ("hullcheck", "trivy", "syft"):
        reg, lay = keep / f"{tool} registry.out", layout_outputs.get(tool)
        if lay is None or not reg.exists() or not lay.exists():
            lines.append(f"{tool}: no registry or OCI-layout SBOM to compare.")
            continue
        kr, nr = accuracy.load_keys(reg)
        kl, nl = accuracy.load_keys(lay)
        if kr == kl and nr == nl:
            lines.append(f"{tool}: registry and OCI layout give the same {len(kr)} packages ({nr} entries).")
        else:
            lines.append(
                f"{tool}: registry and OCI layout **differ**: {len(kr)} / {len(kl)} packages, {nr} / {nl} entries, "
                f"{len(kr - kl)} only from the registry, {len(kl - kr)} only from the layout."
            )
    return lines


def read_section(img: Image, rounds: int, work: Path, progress: Progress) -> TimedResult:
    ref = f"oci:{img.oci_dir}"
    cores = os.cpu_count() or 1
    variants = [
        Variant("floor serial", python_child(FLOOR, ref, "1")),
        Variant("floor parallel", python_child(FLOOR, ref, str(cores))),
        Variant("hullcheck read", python_child(HULLCHECK_READ, ref)),
        Variant("hullcheck image ls", hullcheck_ls(ref)),
    ]
    commands = {
        "floor serial": "decompress every layer with isal, one layer after the other, discard the bytes",
        "floor parallel": f"the same, one layer per worker, {cores} workers",
        "hullcheck read": "Image.scan(): every tar header of every layer, blob digests verified",
        "hullcheck image ls": f"hullcheck image ls --all-layers -f json {ref} > FILE (the CLI, output included)",
    }
    keep = work / "read" / img.name
    summaries = _run(variants, rounds, keep, progress, (img.oci_dir,))
    extra = []
    out = keep / "hullcheck read.out"
    if out.exists():
        info = json.loads(out.read_text())
        extra.append(
            f"{info.get('files')} tar entries, {info.get('bytes', 0) / 1e9:.2f} GB uncompressed, {cores} cores"
        )
    hc = summaries["hullcheck read"]
    targets = [
        Target("read / floor parallel (wall)", ratio(hc.wall, summaries["floor parallel"].wall), 1.3, inclusive=True),
        Target("read peak RSS, MB", hc.rss_mb, 200),
        Target("image ls peak RSS, MB", summaries["hullcheck image ls"].rss_mb, 200),
    ]
    return TimedResult(
        key="read",
        title=f"Layer reading against the decompression floor: `{img.name}`",
        image=img.name,
        rounds=rounds,
        commands=commands,
        summaries=summaries,
        pairs=[
            ("hullcheck read", "floor parallel"),
            ("hullcheck read", "floor serial"),
            ("hullcheck image ls", "floor parallel"),
        ],
        targets=targets,
        extra=extra,
    )


def import_db(advisories: Path, db: Path) -> float:
    """Import the advisory data once into db; returns the wall time."""
    argv = [sys.executable, "-m", "hullcheck", "db", "import", "--fresh", "--db", str(db), str(advisories)]
    scratch = db.parent / "import-scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    m = measure(argv, env=hullcheck_env(scratch))
    shutil.rmtree(scratch, ignore_errors=True)
    return m.wall


def scan_section(tools: Tools, img: Image, db: Path, rounds: int, work: Path, progress: Progress) -> TimedResult:
    ref = f"oci:{img.oci_dir}"
    warm = work / "scan-warm-cache"
    shutil.rmtree(warm, ignore_errors=True)
    # Warm the cache once (the first scan of this image); the warm variant then rescans.
    with tempfile.TemporaryDirectory() as tmp:
        inv = hullcheck_scan(ref, db, warm)(Path(tmp))
        measure(inv.argv, env=inv.env, stdout=inv.stdout)
    variants = [
        Variant("hullcheck scan", hullcheck_scan(ref, db)),
        Variant("trivy scan", trivy_scan(tools, img.oci_dir)),
        Variant("hullcheck rescan (warm)", hullcheck_scan(ref, db, warm)),
    ]
    commands = {
        "hullcheck scan": f"hullcheck scan {ref} --db ADVISORIES.db -f json=FILE (fresh cache)",
        "trivy scan": (
            f"trivy image --input {img.oci_dir} --scanners vuln,secret,misconfig "
            "--image-config-scanners misconfig,secret --list-all-pkgs -f json (fresh cache dir "
            "holding an empty trivy.db)"
        ),
        "hullcheck rescan (warm)": "the same hullcheck scan with the cache of an earlier scan of this image",
    }
    keep = work / "scan" / img.name
    summaries = _run(variants, rounds, keep, progress, (img.oci_dir,))
    extra = []
    hc_out, tr_out = keep / "hullcheck scan.out", keep / "trivy scan.out"
    if hc_out.exists() and tr_out.exists():
        hc_doc, tr_doc = json.loads(hc_out.read_text()), json.loads(tr_out.read_text())
        n_tr = sum(len(r.get("Vulnerabilities") or []) for r in tr_doc.get("Results") or [])
        extra.append(
            f"hullcheck: {len(hc_doc.get('findings') or [])} findings from the imported advisories, "
            f"{len(hc_doc.get('secrets') or [])} secrets, "
            f"{len(hc_doc.get('misconfigurations') or [])} misconfigurations; "
            f"trivy: {n_tr} vulnerabilities (its DB is empty), "
            f"{sum(len(r.get('Secrets') or []) for r in tr_doc.get('Results') or [])} secrets, "
            f"{len(secrets.trivy_misconfig_ids(tr_doc))} misconfiguration checks failed. "
            "The work differs (trivy matches nothing but runs its secret and misconfiguration scanners; "
            "hullcheck matches real advisories): compare the times with that in mind."
        )
    hc = summaries["hullcheck scan"]
    targets = [
        Target("wall hullcheck scan / trivy scan", ratio(hc.wall, summaries["trivy scan"].wall), 0.5),
        Target("warm rescan wall, s", summaries["hullcheck rescan (warm)"].wall, 1.0),
    ]
    return TimedResult(
        key="scan",
        title=f"Scan, cold caches: `{img.name}`",
        image=img.name,
        rounds=rounds,
        commands=commands,
        summaries=summaries,
        pairs=[("hullcheck scan", "trivy scan")],
        targets=targets,
        extra=extra,
    )


@dataclass
class AccuracyResult:
    image: str
    truth: frozenset[accuracy.PkgKey] | None
    diffs: list[accuracy.ToolDiff]
    times: dict[str, float]  # single run, indicative
    consistency: list[str] = field(default_factory=list)


def accuracy_section(
    tools: Tools, img: Image, work: Path, progress: Progress, outputs: dict[str, Path] | None = None
) -> AccuracyResult:
    """outputs: tool -> CycloneDX file already produced (the SBOM section's first round); tools
    without one are run once here, on the OCI layout."""
    outputs = dict(outputs or {})
    times: dict[str, float] = {}
    keep = work / "accuracy" / img.name
    builders = {
        "hullcheck": hullcheck_sbom(f"oci:{img.oci_dir}"),
        "trivy": trivy_sbom(tools, img.oci_dir),
        "syft": syft_sbom(tools, f"oci-dir:{img.oci_dir}"),
    }
    for tool, build in builders.items():
        if tool in outputs:
            continue
        rows = alternate([Variant(tool, build)], 1, keep_dir=keep, progress=progress)
        times[tool] = rows[tool][0].wall
        outputs[tool] = keep / f"{tool}.out"
    found, entries = {}, {}
    for tool, path in outputs.items():
        found[tool], entries[tool] = accuracy.load_keys(path)
    expected = img.expected
    truth = accuracy.truth_keys(expected) if expected is not None else None
    return AccuracyResult(image=img.name, truth=truth, diffs=accuracy.compare(found, truth, entries), times=times)


def same_packages(a: Path, b: Path) -> tuple[bool, int, int]:
    ka, _ = accuracy.load_keys(a)
    kb, _ = accuracy.load_keys(b)
    return ka == kb, len(ka - kb), len(kb - ka)


@dataclass
class SecretsResult:
    image: str
    rows: list[tuple[str, str, bool, bool]]  # where, kind, trivy found, hullcheck found
    trivy_extra: list[str]
    hullcheck_extra: list[str]
    trivy_misconfig: list[str]
    hullcheck_misconfig: list[str]


def secrets_section(tools: Tools, img: Image, db: Path, work: Path, progress: Progress) -> SecretsResult:
    keep = work / "secrets" / img.name
    variants = [
        Variant("hullcheck", hullcheck_scan(f"oci:{img.oci_dir}", db)),
        Variant("trivy", trivy_scan(tools, img.oci_dir)),
    ]
    alternate(variants, 1, keep_dir=keep, progress=progress)
    hc_doc = json.loads((keep / "hullcheck.out").read_text())
    tr_doc = json.loads((keep / "trivy.out").read_text())
    tr_places, hc_places = secrets.trivy_secret_places(tr_doc), secrets.hullcheck_secret_places(hc_doc)
    planted = secrets.planted(img.expected or {})
    rows = [(w, k, secrets.found(w, tr_places), secrets.found(w, hc_places)) for w, k in planted]
    planted_files = {w for w, _ in planted}
    hc_mis = sorted({str(m.get("check_id") or m.get("id") or "?") for m in hc_doc.get("misconfigurations") or []})
    return SecretsResult(
        image=img.name,
        rows=rows,
        trivy_extra=sorted(p for p in tr_places if p not in planted_files and p != "config"),
        hullcheck_extra=sorted(p for p in hc_places if p not in planted_files and p != "config"),
        trivy_misconfig=secrets.trivy_misconfig_ids(tr_doc),
        hullcheck_misconfig=hc_mis,
    )


def versions_section(root: Path, progress: Progress) -> list[vectors.SuiteResult]:
    """Pass rates of hullcheck.versions on the version vectors under ``root`` (in process: nothing
    here is timed)."""
    results = vectors.run_all(root)
    for r in results:
        progress(f"versions: {r.suite}: {r.passed}/{r.vectors}")
    return results
