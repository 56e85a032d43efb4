"""HTTP for registries: one pooled client per TLS mode, retries with backoff, bounded reads.

``HttpSession.send`` is one logical request: it retries 429/5xx answers and connection
failures with exponential backoff, honouring ``Retry-After`` up to a cap, and always streams
so that callers bound what they read (``read_limited``).
"""

from __future__ import annotations

import email.utils
import json
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import httpx

from hullcheck.errors import LimitExceededError, RegistryError, UsageError
from hullcheck.image.registry.options import RegistryOptions

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_ERROR_BODY = 64 * 1024

Content = bytes | Callable[[], Iterable[bytes]] | None


def origin(url: str) -> tuple[str, str]:
    """(scheme, host[:port]): credentials only go where this equals the registry's."""
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.rsplit("@", 1)[-1].lower()


class HttpSession:
    """Thread-safe; shared by the layer download threads."""

    def __init__(self, options: RegistryOptions) -> None:
        self.options = options
        self._timeout = httpx.Timeout(options.read_timeout, connect=options.connect_timeout)
        self._clients: dict[bool, httpx.Client] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            for c in self._clients.values():
                c.close()
            self._clients.clear()

    def client(self, verify: bool) -> httpx.Client:
        with self._lock:
            c = self._clients.get(verify)
            if c is None:
                c = httpx.Client(
                    verify=self._ssl_context() if verify else False,
                    timeout=self._timeout,
                    follow_redirects=False,
                    headers={"User-Agent": self.options.user_agent},
                    trust_env=True,  # HTTPS_PROXY/NO_PROXY, as users of registries expect
                )
                self._clients[verify] = c
            return c

    def _ssl_context(self) -> ssl.SSLContext:
        # The system trust store (honouring SSL_CERT_FILE/SSL_CERT_DIR), not certifi's copy:
        # private registries are usually signed by a CA the administrator installed there.
        ctx = ssl.create_default_context()
        if self.options.ca_file:
            try:
                ctx.load_verify_locations(cafile=self.options.ca_file)
            except (OSError, ssl.SSLError) as e:
                raise UsageError(
                    f"cannot load CA file {self.options.ca_file}: {describe(e)}"
                ) from None
        return ctx

    def send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        content: Content,
        *,
        retry_transport: bool = True,
        verify: bool | None = None,
    ) -> httpx.Response:
        """One logical request with retries on 429/5xx and connection failures (streamed)."""
        netloc = origin(url)[1]
        if verify is None:
            verify = not self.options.is_insecure(netloc)
        client = self.client(verify)
        attempts = max(1, self.options.max_attempts)
        for attempt in range(1, attempts + 1):
            body = content() if callable(content) else content
            failure: RegistryError
            try:
                req = client.build_request(method, url, headers=headers, content=body)
                resp = client.send(req, stream=True)
            except httpx.TimeoutException:
                failure = RegistryError(
                    f"{netloc} did not answer {method} {urlsplit(url).path} in time "
                    f"(timeout {self.options.read_timeout:g}s)"
                )
            except httpx.TransportError as e:
                if "CERTIFICATE_VERIFY_FAILED" in str(e):  # permanent: no retry
                    raise RegistryError(
                        f"the TLS certificate of {netloc} is not trusted ({describe(e)}); "
                        "pass its CA with HULLCHECK_REGISTRY_CA_FILE or mark the registry insecure"
                    ) from None
                failure = RegistryError(f"cannot reach {netloc}: {describe(e)}")
            else:
                if resp.status_code in RETRY_STATUSES and attempt < attempts:
                    wait = self._retry_wait(resp, attempt, netloc)
                    resp.close()
                    time.sleep(wait)
                    continue
                return resp
            if not retry_transport or attempt == attempts:
                raise failure
            time.sleep(self.backoff(attempt))
        raise AssertionError("unreachable")

    def backoff(self, attempt: int) -> float:
        base = self.options.backoff_base * (2 ** (attempt - 1))
        return min(
            self.options.max_retry_wait, base + random.uniform(0, self.options.backoff_base / 2)
        )

    def _retry_wait(self, resp: httpx.Response, attempt: int, netloc: str) -> float:
        raw = resp.headers.get("retry-after")
        if raw:
            wait: float | None = None
            if raw.strip().isascii() and raw.strip().isdigit():  # "²".isdigit() is True too
                wait = float(raw.strip())
            else:
                try:
                    when = email.utils.parsedate_to_datetime(raw)
                    wait = max(0.0, when.timestamp() - time.time())
                except (TypeError, ValueError, IndexError):
                    wait = None
            if wait is not None:
                if wait > self.options.max_retry_wait:
                    resp.close()
                    raise RegistryError(
                        f"{netloc} is rate limiting (HTTP {resp.status_code}) "
                        f"and asks to wait {wait:.0f}s; "
                        "try again later"
                    )
                return wait
        return self.backoff(attempt)


def read_limited(resp: httpx.Response, limit: int, what: str, *, hard: bool = True) -> bytes:
    """The body of a streamed response, refusing more than ``limit`` bytes."""
    length = resp.headers.get("content-length")
    if hard and length and length.isascii() and length.isdigit() and int(length) > limit:
        raise LimitExceededError(f"{what} is {int(length)} bytes, more than the {limit}-byte limit")
    out = bytearray()
    for chunk in resp.iter_bytes(64 * 1024):
        out += chunk
        if len(out) > limit:
            if not hard:
                return bytes(out[:limit])
            raise LimitExceededError(f"{what} is more than the {limit}-byte limit")
    return bytes(out)


def describe(e: Exception) -> str:
    text = str(e).strip() or type(e).__name__
    return " ".join(text.split())[:200]


def status_error(resp: httpx.Response, host: str, what: str) -> RegistryError:
    """A one-line error for an unexpected status, with the registry's own error code."""
    detail = ""
    try:
        body = read_limited(resp, MAX_ERROR_BODY, "error body", hard=False)
        data = json.loads(body) if body else None
        if isinstance(data, dict) and isinstance(data.get("errors"), list) and data["errors"]:
            first = data["errors"][0]
            if isinstance(first, dict):
                detail = f": {first.get('code', '')} {first.get('message', '')}".rstrip()
    except (ValueError, UnicodeDecodeError, httpx.HTTPError, LimitExceededError):
        pass
    detail = " ".join(detail.split())[:200]
    return RegistryError(f"{host}: {what} failed with HTTP {resp.status_code}{detail}")
