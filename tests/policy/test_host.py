"""Host files under the production profile: Docker daemon.json and sshd_config."""

from __future__ import annotations

import json
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
