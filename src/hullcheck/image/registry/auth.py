"""Registry authentication pieces: ``WWW-Authenticate`` challenges and the bearer-token cache.

The HTTP exchange itself (token requests with retries) lives in the client; this module is
pure parsing and bookkeeping so that it can be reasoned about and tested on its own.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field

from hullcheck.errors import AuthError
from hullcheck.image.registry.credentials import Credentials

# auth-param = token "=" ( token / quoted-string ), RFC 7235.
_PARAM_RE = re.compile(r'\s*([A-Za-z][A-Za-z0-9_.-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*)\s*,?')
_SCHEME_RE = re.compile(r"\s*([A-Za-z][A-Za-z0-9_-]*)(?:\s+|$)")
MAX_TOKEN_RESPONSE_BYTES = 1024**2
DEFAULT_TOKEN_LIFETIME = 60  # seconds; the token spec's default for a missing expires_in


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lowercased: "bearer" or "basic"
    params: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def realm(self) -> str | None:
        return self.params.get("realm")

    @property
    def service(self) -> str | None:
        return self.params.get("service")

    @property
    def scopes(self) -> tuple[str, ...]:
        raw = self.params.get("scope")
        return tuple(raw.split(" ")) if raw else ()


def parse_challenges(header: str | None) -> list[Challenge]:
    """Parse one ``WWW-Authenticate`` value (possibly several challenges); junk is skipped."""
    out: list[Challenge] = []
    if not header:
        return out
    pos, n = 0, len(header)
    while pos < n:
        m = _SCHEME_RE.match(header, pos)
        if not m:
            break
        scheme = m.group(1).lower()
        pos = m.end()
        params: dict[str, str] = {}
        while pos < n:
            pm = _PARAM_RE.match(header, pos)
            if not pm:
                break
            name, value = pm.group(1).lower(), pm.group(2)
            if value.startswith('"'):
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            params[name] = value
            pos = pm.end()
        out.append(Challenge(scheme, params))
        while pos < n and header[pos] in ", ":
            pos += 1
    return out


def basic_header(creds: Credentials) -> str:
    raw = f"{creds.username}:{creds.password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def parse_token_response(body: bytes, realm: str) -> tuple[str, float]:
    """Token and its lifetime in seconds from a token endpoint's JSON answer."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise AuthError(f"token service {realm} answered something that is not JSON") from None
    if not isinstance(data, dict):
        raise AuthError(f"token service {realm} answered a JSON value that is not an object")
    token = data.get("token") or data.get("access_token")
    if not isinstance(token, str) or not token or any(c in token for c in "\r\n"):
        raise AuthError(f"token service {realm} answered without a usable token")
    expires = data.get("expires_in")
    lifetime = (
        float(expires)
        if isinstance(expires, int | float) and expires > 0
        else DEFAULT_TOKEN_LIFETIME
    )
    return token, lifetime


class TokenCache:
    """Bearer tokens per (realm, service, scopes) until shortly before they expire."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str, tuple[str, ...]], tuple[str, float]] = {}

    @staticmethod
    def key(realm: str, service: str, scopes: tuple[str, ...]) -> tuple[str, str, tuple[str, ...]]:
        return (realm, service, tuple(sorted(set(scopes))))

    def get(self, key: tuple[str, str, tuple[str, ...]]) -> str | None:
        with self._lock:
            hit = self._tokens.get(key)
            if hit is None:
                return None
            token, expires_at = hit
            if time.monotonic() >= expires_at:
                del self._tokens[key]
                return None
            return token

    def put(self, key: tuple[str, str, tuple[str, ...]], token: str, lifetime: float) -> None:
        # Renew a little early so that a token does not expire between check and use.
        margin = min(10.0, lifetime / 2)
        with self._lock:
            self._tokens[key] = (token, time.monotonic() + lifetime - margin)

    def drop(self, key: tuple[str, str, tuple[str, ...]]) -> None:
        with self._lock:
            self._tokens.pop(key, None)
