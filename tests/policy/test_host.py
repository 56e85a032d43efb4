"""Host files under the production profile: Docker daemon.json and sshd_config."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from hullcheck.policy.config import Policy
from hullcheck.policy.engine import evaluate
from hullcheck.policy.inputs import load_inputs
from hullcheck.policy.manifests import ManifestError
from hullcheck.policy.rules import LATEST

HARDENED_DAEMON = {"userns-remap": "default", "icc": False, "live-restore": True, "no-new-privileges": True,
                   "hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"], "tlsverify": True}


def check(path: Path) -> list[tuple[str, str]]:
    inputs = load_inputs([path])
    result = evaluate([], Policy(), "production", LATEST, host_files=inputs.host_files)
    return [(v.rule, v.field) for v in result.violations]


def test_hardened_daemon_json_passes(tmp_path: Path) -> None:
    (tmp_path / "daemon.json").write_text(json.dumps(HARDENED_DAEMON))
    assert check(tmp_path / "daemon.json") == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"userns-remap": ""}, [("HC-HOST-001", "userns-remap")]),
        ({"icc": True}, [("HC-HOST-001", "icc")]),
        ({"live-restore": False}, [("HC-HOST-001", "live-restore")]),
        ({"no-new-privileges": None}, [("HC-HOST-001", "no-new-privileges")]),
        ({"tlsverify": False}, [("HC-HOST-002", "hosts[1]")]),
        ({"insecure-registries": ["10.0.0.5:5000"]}, [("HC-HOST-003", "insecure-registries[0]")]),
    ],
)
def test_daemon_json_settings(tmp_path: Path, change: dict[str, object], expected: list[tuple[str, str]]) -> None:
    (tmp_path / "daemon.json").write_text(json.dumps({**HARDENED_DAEMON, **change}))
    assert check(tmp_path / "daemon.json") == expected


def test_sshd_first_value_wins_and_match_blocks_are_not_global(tmp_path: Path) -> None:
    f = tmp_path / "sshd_config"
    f.write_text("# hardened\nPermitRootLogin no\nPermitRootLogin yes\npasswordauthentication=no\n"
                 "Match User backup\n  PasswordAuthentication yes\n")
    assert check(f) == []


def test_sshd_defaults_and_explicit_values(tmp_path: Path) -> None:
    f = tmp_path / "sshd_config"
    f.write_text("Port 22\nPermitRootLogin yes\n")
    # PasswordAuthentication defaults to yes; PermitRootLogin is named with its line
    assert check(f) == [("HC-HOST-010", "line 2: PermitRootLogin"),
                        ("HC-HOST-011", "(default): PasswordAuthentication")]


def test_bad_daemon_json_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "daemon.json").write_text("{not json")
    with pytest.raises(ManifestError, match=r"invalid daemon\.json"):
        load_inputs([tmp_path])


def _root_with_socket(tmp_path: Path, mode: int) -> Path:
    import os
    import socket

    root = tmp_path / "root"
    (root / "run").mkdir(parents=True)
    (root / "etc" / "ssh").mkdir(parents=True)
    (root / "etc" / "ssh" / "sshd_config").write_text("PermitRootLogin no\nPasswordAuthentication no\n")
    (root / "usr").mkdir()
    (root / "usr" / "pod.yaml").write_text("kind: Pod\nspec: {hostNetwork: true}\n")  # not walked: only known files
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(root / "run" / "docker.sock"))
    s.close()
    os.chmod(root / "run" / "docker.sock", mode)
    return root


@pytest.mark.parametrize(("mode", "expected"), [(0o660, []), (0o600, []), (0o666, ["mode"]), (0o770, ["mode"])])
def test_mounted_root_docker_socket(tmp_path: Path, mode: int, expected: list[str]) -> None:
    import os

    from hullcheck.policy.inputs import load_root

    root = _root_with_socket(tmp_path, mode)
    inputs = load_root(root)
    assert sorted(h.resource.kind for h in inputs.host_files) == ["DockerSocket", "SshdConfig"]
    result = evaluate([], Policy(), "production", LATEST, host_files=inputs.host_files)
    fields = [v.field for v in result.violations if v.rule == "HC-HOST-004"]
    owner = [] if os.stat(root / "run" / "docker.sock").st_uid == 0 else ["owner"]
    assert fields == expected + owner
    assert [v for v in result.violations if v.rule != "HC-HOST-004"] == []


def test_cli_root_option(run_cli: Callable, tmp_path: Path) -> None:
    root = _root_with_socket(tmp_path, 0o666)
    r = run_cli("check", "--root", str(root), "--format", "json")
    assert r.returncode == 1, r.stderr
    assert {v["rule"] for v in json.loads(r.stdout)["violations"]} == {"HC-HOST-004"}
