"""Credential lookup in Docker's config.json and through credential helpers."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from hullcheck.errors import AuthError
from hullcheck.image.registry.credentials import Credentials, resolve_credentials


def write(cfg_dir: Path, data: object) -> None:
    cfg_dir.mkdir(exist_ok=True)
    (cfg_dir / "config.json").write_text(json.dumps(data))


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def test_docker_hub_key_and_normalised_keys(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "auths": {
                "https://index.docker.io/v1/": {"auth": b64("hubuser:hubpass")},
                "https://ghcr.io": {"username": "gh", "password": "tok"},
                "reg.local:5000": {"auth": b64("a:b:c")},  # passwords may contain ':'
                "id.example": {"identitytoken": "refresh-me"},
            }
        },
    )
    d = str(tmp_path)
    assert resolve_credentials("docker.io", config_dir=d) == Credentials("hubuser", "hubpass")
    assert resolve_credentials("ghcr.io", config_dir=d) == Credentials("gh", "tok")
    assert resolve_credentials("reg.local:5000", config_dir=d) == Credentials("a", "b:c")
    assert resolve_credentials("id.example", config_dir=d) == Credentials("", "", "refresh-me")
    assert resolve_credentials("other.example", config_dir=d) is None
    # explicit credentials win over the file
    assert resolve_credentials("ghcr.io", username="x", password="y", config_dir=d) == Credentials(
        "x", "y"
    )


def test_docker_config_env_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "cfg", {"auths": {"q.example": {"auth": b64("u:p")}}})
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "cfg"))
    assert resolve_credentials("q.example") == Credentials("u", "p")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "absent"))
    assert resolve_credentials("q.example") is None


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("{", "not valid JSON"),
        ("[]", "not a JSON object"),
        (json.dumps({"auths": {"q.example": {"auth": "!!!"}}}), "not valid base64"),
        (json.dumps({"auths": {"q.example": {"auth": b64("nocolon")}}}), "not 'user:password'"),
        (json.dumps({"credsStore": "../../bin/sh"}), "invalid credential helper"),
    ],
)
def test_broken_configs(tmp_path: Path, content: str, text: str) -> None:
    (tmp_path / "config.json").write_text(content)
    with pytest.raises(AuthError, match=text):
        resolve_credentials("q.example", config_dir=str(tmp_path))


def _helper(bindir: Path, body: str) -> None:
    bindir.mkdir(exist_ok=True)
    p = bindir / "docker-credential-unit"
    p.write_text("#!/bin/sh\nread server\n" + body)
    p.chmod(0o755)


def test_helper_protocol(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bindir = tmp_path / "bin"
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    write(tmp_path, {"credsStore": "unit", "auths": {"fallback.example": {"auth": b64("f:g")}}})
    d = str(tmp_path)
    # Docker Hub is asked for by its historical URL; "<token>" marks an identity token
    _helper(
        bindir,
        'if [ "$server" = "https://index.docker.io/v1/" ]; then '
        'echo \'{"Username":"<token>","Secret":"idtok"}\'; exit 0; fi\n'
        "echo 'credentials not found in native keychain'; exit 1\n",
    )
    assert resolve_credentials("docker.io", config_dir=d) == Credentials("", "", "idtok")
    # a helper miss falls back to the file's auths
    assert resolve_credentials("fallback.example", config_dir=d) == Credentials("f", "g")
    _helper(bindir, "echo 'keychain locked' >&2; exit 3\n")
    with pytest.raises(AuthError, match="keychain locked"):
        resolve_credentials("docker.io", config_dir=d)
    _helper(bindir, "echo 'not json'\n")
    with pytest.raises(AuthError, match="not JSON"):
        resolve_credentials("docker.io", config_dir=d)


def test_missing_helper_is_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    write(tmp_path, {"credsStore": "does-not-exist", "auths": {"a.example": {"auth": b64("u:p")}}})
    assert resolve_credentials("a.example", config_dir=str(tmp_path)) == Credentials("u", "p")


def test_repr_hides_secrets() -> None:
    text = repr(Credentials("user", "hunter2", "tok"))
    assert "hunter2" not in text and "tok" not in text.replace("token", "")
