"""The authentication half of a registry conversation: which header to send, and what to do
about a 401 (basic credentials, or a bearer token from the realm the challenge names).

Tokens are cached per (realm, service, scope) until shortly before they expire; a 401 is
answered at most once per request by the client, so nothing here can loop.
"""

from __future__ import annotations

import threading
from urllib.parse import urlencode, urlsplit

import httpx

from hullcheck.errors import AuthError
from hullcheck.image.registry.auth import (
    MAX_TOKEN_RESPONSE_BYTES,
    Challenge,
    TokenCache,
    basic_header,
    parse_challenges,
    parse_token_response,
)
from hullcheck.image.registry.credentials import Credentials, resolve_credentials
from hullcheck.image.registry.http import HttpSession, read_limited, status_error
from hullcheck.image.registry.options import RegistryOptions


class Authenticator:
    """Auth state for one registry host; thread-safe."""

    def __init__(
        self, registry: str, host: str, options: RegistryOptions, http: HttpSession
    ) -> None:
        self.registry = registry
        self.host = host
        self.options = options
        self._http = http
        self._lock = threading.Lock()
        self._token_lock = threading.Lock()
        self._creds: Credentials | None = None
        self._creds_loaded = False
        self._challenge: Challenge | None = None
        self._tokens = TokenCache()
        self.token_requests = 0  # how many tokens were fetched (tests check the cache works)

    def credentials(self) -> Credentials | None:
        with self._lock:
            if not self._creds_loaded:
                self._creds = resolve_credentials(
                    self.registry,
                    username=self.options.username,
                    password=self.options.password,
                    config_dir=self.options.docker_config_dir,
                )
                self._creds_loaded = True
            return self._creds

    def adopt(self, header: str | None) -> Challenge | None:
        """Remember the registry's challenge (bearer preferred over basic)."""
        challenges = parse_challenges(header)
        chosen = next((c for c in challenges if c.scheme == "bearer"), None) or next(
            (c for c in challenges if c.scheme == "basic"), None
        )
        if chosen is not None:
            with self._lock:
                self._challenge = chosen
        return chosen

    def header(self, scope: str) -> str | None:
        return self.header_and_freshness(scope)[0]

    def header_and_freshness(self, scope: str) -> tuple[str | None, bool]:
        """The ``Authorization`` value for ``scope`` and whether a token was fetched for it
        just now (a fresh token that is refused will not be fetched again)."""
        with self._lock:
            ch = self._challenge
        if ch is None:
            return None, False
        if ch.scheme == "basic":
            creds = self.credentials()
            if creds and (creds.username or creds.password):
                return basic_header(creds), False
            return None, False
        token, fresh = self._token(ch, scope)
        return "Bearer " + token, fresh

    def on_unauthorized(self, header: str | None, scope: str, sent: str | None) -> None:
        ch = self.adopt(header)
        if ch is None:
            raise AuthError(
                f"{self.host} requires authentication with a scheme hullcheck does not support"
            )
        if ch.scheme == "basic":
            creds = self.credentials()
            if not creds or not (creds.username or creds.password):
                raise AuthError(
                    f"{self.host} requires authentication and no credentials were found "
                    "(docker login, or HULLCHECK_REGISTRY_USERNAME/HULLCHECK_REGISTRY_PASSWORD)"
                )
            if sent and sent.startswith("Basic "):
                raise AuthError(f"{self.host} rejected the credentials of user {creds.username!r}")
            return
        if not ch.realm:
            raise AuthError(f"{self.host} sent a bearer challenge without a realm")
        # A token we sent was refused (expired or revoked early): forget it, fetch a fresh one.
        self._tokens.drop(TokenCache.key(ch.realm, ch.service or "", (scope,)))

    def denied(self, scope: str) -> AuthError:
        creds = self.credentials()
        repo = scope.split(":")[1] if scope.count(":") >= 2 else scope
        if creds and (creds.username or creds.identity_token):
            who = f"user {creds.username!r}" if creds.username else "the identity token"
            return AuthError(
                f"{self.host} denied access to {repo} for {who} "
                "(wrong credentials or no permission)"
            )
        return AuthError(
            f"{self.host} denied anonymous access to {repo}; log in (docker login) or set "
            "HULLCHECK_REGISTRY_USERNAME/HULLCHECK_REGISTRY_PASSWORD"
        )

    def _token(self, ch: Challenge, scope: str) -> tuple[str, bool]:
        realm = ch.realm or ""
        service = ch.service or ""
        key = TokenCache.key(realm, service, (scope,))
        cached = self._tokens.get(key)
        if cached:
            return cached, False
        with self._token_lock:  # one fetch even when many layer threads ask at once
            cached = self._tokens.get(key)
            if cached:
                return cached, False
            scopes = [scope, *(s for s in ch.scopes if s != scope)]
            token, lifetime = self._fetch_token(realm, service, scopes)
            self._tokens.put(key, token, lifetime)
            return token, True

    def _fetch_token(self, realm: str, service: str, scopes: list[str]) -> tuple[str, float]:
        parts = urlsplit(realm)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise AuthError(f"{self.host} names an invalid token realm {realm[:100]!r}")
        creds = self.credentials()
        has_secret = bool(creds and (creds.username or creds.password or creds.identity_token))
        if has_secret and parts.scheme == "http" and not self.options.is_insecure(parts.netloc):
            raise AuthError(
                f"refusing to send credentials over plain HTTP to the token service {realm}"
            )
        headers: dict[str, str] = {}
        content: bytes | None = None
        self.token_requests += 1
        if creds and creds.identity_token:
            # OAuth2 refresh-token grant, as Docker does with an identity token.
            form = [
                ("grant_type", "refresh_token"),
                ("refresh_token", creds.identity_token),
                ("client_id", "hullcheck"),
                ("scope", " ".join(scopes)),
            ]
            if service:
                form.append(("service", service))
            content = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            resp = self._http.send("POST", realm, headers, content)
        else:
            params: list[tuple[str, str]] = [("scope", s) for s in scopes]
            if service:
                params.insert(0, ("service", service))
            if creds and creds.username:
                params.append(("account", creds.username))
                headers["Authorization"] = basic_header(creds)
            url = str(httpx.URL(realm).copy_merge_params(tuple(params)))
            resp = self._http.send("GET", url, headers, None)
        try:
            if resp.status_code in (401, 403):
                who = (
                    f"the credentials of {creds.username!r}"
                    if creds and creds.username
                    else "an anonymous token"
                )
                if creds and creds.identity_token and not creds.username:
                    who = "the identity token"
                raise AuthError(
                    f"token service {parts.netloc} refused {who} (HTTP {resp.status_code})"
                )
            if resp.status_code != 200:
                raise status_error(resp, self.host, f"token request to {parts.netloc}")
            body = read_limited(resp, MAX_TOKEN_RESPONSE_BYTES, f"token response of {parts.netloc}")
        finally:
            resp.close()
        return parse_token_response(body, parts.netloc)
