"""Where registry credentials come from: explicit options, then Docker's ``config.json``.

``config.json`` (in ``$DOCKER_CONFIG`` or ``~/.docker``) holds ``credHelpers`` (per registry),
``credsStore`` (default helper) and ``auths`` entries (base64 ``auth``, or ``username`` and
``password``, or an ``identitytoken``). Helpers are the ``docker-credential-NAME`` programs
speaking the credential-helper protocol: server URL on stdin, JSON on stdout.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hullcheck.errors import AuthError
from hullcheck.image.reference import DOCKER_HUB

log = logging.getLogger(__name__)

# Docker keys Docker Hub credentials by this historical URL.
DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/"
_HUB_NAMES = frozenset(
    {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
)
_HELPER_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_MAX_CONFIG_BYTES = 4 * 1024**2
_HELPER_TIMEOUT = 30.0


@dataclass(frozen=True)
class Credentials:
    username: str = ""
    password: str = ""
    identity_token: str | None = None  # an OAuth2 refresh token, sent to the token endpoint

    def __repr__(self) -> str:  # never print secrets
        token = "***" if self.identity_token else None
        return f"Credentials(username={self.username!r}, password=***, identity_token={token})"


def docker_config_path(config_dir: str | None = None) -> Path:
    base = config_dir or os.environ.get("DOCKER_CONFIG")
    return Path(base) / "config.json" if base else Path.home() / ".docker" / "config.json"


def _normalise_key(key: str) -> str:
    """``https://host:5000/v1/`` -> ``host:5000``; Docker Hub's names -> ``docker.io``."""
    k = key.strip()
    for scheme in ("https://", "http://"):
        if k.lower().startswith(scheme):
            k = k[len(scheme) :]
    k = k.split("/", 1)[0].lower()
    return DOCKER_HUB if k in _HUB_NAMES else k


def _server_url(registry: str) -> str:
    """What a credential helper is asked for: Docker Hub by its historical URL."""
    return DOCKER_HUB_AUTH_KEY if registry == DOCKER_HUB else registry


def resolve_credentials(
    registry: str,
    *,
    username: str | None = None,
    password: str | None = None,
    config_dir: str | None = None,
) -> Credentials | None:
    """Credentials for ``registry`` (normalised name, e.g. ``docker.io``), or None."""
    if username or password:
        return Credentials(username or "", password or "")
    cfg = _load_config(docker_config_path(config_dir))
    if not cfg:
        return None
    want = _normalise_key(registry)
    helpers = cfg.get("credHelpers")
    if isinstance(helpers, dict):
        for key, helper in helpers.items():
            if isinstance(key, str) and isinstance(helper, str) and _normalise_key(key) == want:
                found = _from_helper(helper, registry)
                if found:
                    return found
    store = cfg.get("credsStore")
    if isinstance(store, str) and store:
        found = _from_helper(store, registry)
        if found:
            return found
    auths = cfg.get("auths")
    if isinstance(auths, dict):
        for key, entry in auths.items():
            if isinstance(key, str) and isinstance(entry, dict) and _normalise_key(key) == want:
                found = _from_auth_entry(entry, key)
                if found:
                    return found
    return None


def _load_config(path: Path) -> dict[str, Any] | None:
    try:
        if path.stat().st_size > _MAX_CONFIG_BYTES:
            raise AuthError(f"docker config {path} is too large to be a credentials file")
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise AuthError(f"cannot read docker config {path}: {e.strerror or e}") from None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise AuthError(f"docker config {path} is not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise AuthError(f"docker config {path} is not a JSON object")
    return data


def _from_auth_entry(entry: dict[str, Any], key: str) -> Credentials | None:
    token = entry.get("identitytoken")
    auth = entry.get("auth")
    user, password = entry.get("username"), entry.get("password")
    if isinstance(auth, str) and auth:
        try:
            decoded = base64.b64decode(auth, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise AuthError(
                f"docker config: the 'auth' entry for {key} is not valid base64"
            ) from None
        user, sep, password = decoded.partition(":")
        if not sep:
            raise AuthError(f"docker config: the 'auth' entry for {key} is not 'user:password'")
    user = user if isinstance(user, str) else ""
    password = password if isinstance(password, str) else ""
    token = token if isinstance(token, str) and token else None
    if not (user or password or token):
        return None
    return Credentials(user, password, token)


def _from_helper(name: str, registry: str) -> Credentials | None:
    if not _HELPER_NAME_RE.match(name):
        raise AuthError(f"docker config names an invalid credential helper {name!r}")
    program = f"docker-credential-{name}"
    try:
        proc = subprocess.run(
            [program, "get"],
            input=_server_url(registry).encode(),
            capture_output=True,
            timeout=_HELPER_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        log.warning("credential helper %s is not installed; continuing without it", program)
        return None
    except subprocess.TimeoutExpired:
        raise AuthError(
            f"credential helper {program} did not answer within {_HELPER_TIMEOUT:g}s"
        ) from None
    if proc.returncode != 0:
        # "credentials not found" is the protocol's normal miss; other failures are real.
        message = (
            proc.stdout.decode(errors="replace").strip()
            or proc.stderr.decode(errors="replace").strip()
        )
        if "not found" in message.lower():
            return None
        raise AuthError(
            f"credential helper {program} failed: "
            f"{message.splitlines()[0] if message else proc.returncode}"
        )
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        raise AuthError(f"credential helper {program} printed something that is not JSON") from None
    if not isinstance(data, dict):
        raise AuthError(f"credential helper {program} printed something that is not a JSON object")
    user, secret = data.get("Username"), data.get("Secret")
    if not isinstance(user, str) or not isinstance(secret, str) or not secret:
        return None
    if user == "<token>":  # the helper protocol's marker for an identity token
        return Credentials("", "", secret)
    return Credentials(user, secret)
