"""One registry host over the OCI distribution API: auth, redirects, manifests and blobs.

Every request goes through ``request``: it adds the right ``Authorization`` (basic or a
cached bearer token) only while talking to the registry's own origin, answers one 401 by
authenticating and then gives up (no 401 loops), and follows redirects by hand with a hop
limit (dropping credentials when the origin changes). Retries and bounded reads are the
``HttpSession``'s job (``http.py``).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit

import httpx

from hullcheck.errors import (
    DigestMismatchError,
    LimitExceededError,
    RegistryError,
)
from hullcheck.image.cache import BlobCache
from hullcheck.image.reference import api_host
from hullcheck.image.registry.authenticator import Authenticator
from hullcheck.image.registry.credentials import Credentials
from hullcheck.image.registry.http import (
    Content,
    HttpSession,
    describe,
    origin,
    read_limited,
    status_error,
)
from hullcheck.image.registry.manifest import ACCEPT, valid_digest
from hullcheck.image.registry.options import RegistryOptions

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class FetchedManifest:
    body: bytes
    media_type: str | None  # Content-Type as sent
    digest: str  # sha256 of ``body``, verified against what was asked for and the header


def pull_scope(repo: str) -> str:
    return f"repository:{repo}:pull"


def push_scope(repo: str) -> str:
    return f"repository:{repo}:pull,push"


class _Cancelled(Exception):
    """Raised inside a download when a sibling download already failed."""


class RegistryClient:
    """Talks to one registry; thread-safe (layer downloads share it)."""

    def __init__(self, registry: str, options: RegistryOptions) -> None:
        self.registry = registry
        self.host = api_host(registry)
        self.options = options
        self._http = HttpSession(options)
        self._auth = Authenticator(registry, self.host, options, self._http)
        self._lock = threading.Lock()
        self._base: str | None = None

    @property
    def token_requests(self) -> int:
        return self._auth.token_requests

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- base URL ----------------------------------------------------------

    def credentials(self) -> Credentials | None:
        return self._auth.credentials()

    def base_url(self) -> str:
        """``scheme://host``, found by pinging ``/v2/`` (HTTPS, or HTTP for insecure hosts)."""
        with self._lock:
            if self._base is not None:
                return self._base
        base = self._ping()
        with self._lock:
            self._base = base
        return base

    def _ping(self) -> str:
        insecure = self.options.is_insecure(self.host) or self.options.is_insecure(self.registry)
        if self.options.plain_http(self.host) or self.options.plain_http(self.registry):
            schemes: tuple[str, ...] = ("http",)
        else:
            schemes = ("https", "http") if insecure else ("https",)
        failure: RegistryError | None = None
        for scheme in schemes:
            url = f"{scheme}://{self.host}/v2/"
            last = scheme == schemes[-1]
            try:
                # A TLS failure against a plain-HTTP registry is final for HTTPS: do not retry it.
                resp = self._http.send(
                    "GET", url, {}, None, retry_transport=last, verify=not insecure
                )
            except RegistryError as e:
                failure = e
                continue
            try:
                if resp.status_code == 401:
                    self._auth.adopt(resp.headers.get("www-authenticate"))
                elif resp.status_code == 404:
                    raise RegistryError(
                        f"{self.host} does not serve the registry API (/v2/ answered 404)"
                    )
                elif resp.status_code >= 400 and resp.status_code != 403:
                    raise status_error(resp, self.host, "GET /v2/")
            finally:
                resp.close()
            return f"{scheme}://{self.host}"
        assert failure is not None
        raise failure

    # -- the one request path --------------------------------------------------------------

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        scope: str,
        headers: dict[str, str] | None = None,
        content: Content = None,
        follow_redirects: bool = False,
    ) -> httpx.Response:
        """Send with auth, retries and redirects; the caller must close the (streamed) response."""
        base = self.base_url()
        url = base + path_or_url if path_or_url.startswith("/") else path_or_url
        home = origin(base)
        sent_auth: str | None = None
        authenticated = False
        redirects = 0
        while True:
            send_headers = dict(headers or {})
            own = origin(url) == home
            sent_auth, fresh = self._auth.header_and_freshness(scope) if own else (None, False)
            if sent_auth:
                send_headers["Authorization"] = sent_auth
            resp = self._http.send(method, url, send_headers, content)
            if resp.status_code == 401 and own:
                challenge_header = resp.headers.get("www-authenticate")
                resp.close()
                if authenticated or fresh:  # a token fetched just now was refused: final
                    raise self._auth.denied(scope)
                authenticated = True
                self._auth.on_unauthorized(challenge_header, scope, sent_auth)
                continue
            if follow_redirects and resp.status_code in REDIRECT_STATUSES:
                location = resp.headers.get("location")
                status = resp.status_code
                resp.close()
                redirects += 1
                if not location:
                    raise RegistryError(f"{self.host} sent a redirect without a Location")
                if redirects > self.options.max_redirects:
                    raise RegistryError(
                        f"{self.host}: more than {self.options.max_redirects} redirects "
                        f"for {method} {path_or_url}"
                    )
                url = urljoin(url, location)
                if urlsplit(url).scheme not in ("http", "https"):
                    raise RegistryError(f"{self.host} redirected to a non-HTTP location")
                if status == 303:
                    method, content = "GET", None
                continue
            return resp

    # -- operations ------------------------------------------------------------------------

    def _get_ok(self, repo: str, path: str, headers: dict[str, str], missing: str, doing: str) -> httpx.Response:
        """GET that must answer 200 (404: ``missing``; anything else: a status error about
        ``doing``); the caller reads the streamed response and closes it."""
        resp = self.request("GET", path, scope=pull_scope(repo), headers=headers, follow_redirects=True)
        if resp.status_code != 200:
            try:
                if resp.status_code == 404:
                    raise RegistryError(missing)
                raise status_error(resp, self.host, doing)
            finally:
                resp.close()
        return resp

    def get_manifest(self, repo: str, reference: str, what: str) -> FetchedManifest:
        resp = self._get_ok(
            repo,
            f"/v2/{repo}/manifests/{reference}",
            {"Accept": ACCEPT},
            f"{what}: manifest {reference} not found on {self.registry}",
            f"fetching the manifest of {what}",
        )
        try:
            limit = self.options.limits.max_manifest_bytes
            body = read_limited(resp, limit, f"manifest of {what}")
            content_type = resp.headers.get("content-type")
            header_digest = resp.headers.get("docker-content-digest")
        except httpx.TransportError as e:
            raise RegistryError(
                f"cannot read the manifest of {what} from {self.host}: {describe(e)}"
            ) from None
        finally:
            resp.close()
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        if reference.startswith("sha256:") and digest != reference:
            raise DigestMismatchError(f"manifest of {what}", reference, digest)
        if (
            header_digest
            and header_digest.startswith("sha256:")
            and header_digest.strip() != digest
        ):
            raise DigestMismatchError(
                f"manifest of {what} (Docker-Content-Digest header)", header_digest.strip(), digest
            )
        return FetchedManifest(body, content_type, digest)

    def head_manifest(self, repo: str, reference: str, what: str) -> str:
        """The digest ``reference`` resolves to, without downloading the manifest when the
        registry names it in ``Docker-Content-Digest`` (a GET and a hash otherwise)."""
        resp = self.request(
            "HEAD",
            f"/v2/{repo}/manifests/{reference}",
            scope=pull_scope(repo),
            headers={"Accept": ACCEPT},
            follow_redirects=True,
        )
        try:
            if resp.status_code == 404:
                raise RegistryError(f"{what}: manifest {reference} not found on {self.registry}")
            if resp.status_code != 200:
                raise status_error(resp, self.host, f"resolving {what}")
            header = (resp.headers.get("docker-content-digest") or "").strip()
        finally:
            resp.close()
        if valid_digest(header) and (not reference.startswith("sha256:") or header == reference):
            return header
        return self.get_manifest(repo, reference, what).digest

    def retry_delay(self, attempt: int) -> float:
        """How long to wait before attempt ``attempt + 1`` of something that failed in transit."""
        return self._http.backoff(attempt)

    def open_blob(self, repo: str, digest: str, size: int) -> httpx.Response:
        """GET a blob as a streamed response, status and declared length checked; the caller
        reads ``iter_raw()`` and closes it."""
        # Blobs are taken as stored: no transfer decoding, so a server or CDN that labels a
        # gzip layer "Content-Encoding: gzip" cannot make us hash the decompressed bytes.
        resp = self._get_ok(
            repo,
            f"/v2/{repo}/blobs/{digest}",
            {"Accept-Encoding": "identity"},
            f"blob {digest} of {self.registry}/{repo} not found",
            f"fetching blob {digest}",
        )
        length = resp.headers.get("content-length")
        if length and length.isascii() and length.isdigit() and int(length) > size:
            resp.close()
            raise LimitExceededError(
                f"blob {digest} of {self.registry}/{repo} is larger than the "
                f"{size} bytes its descriptor declares"
            )
        return resp

    def download_blob(
        self,
        repo: str,
        digest: str,
        size: int,
        cache: BlobCache,
        *,
        on_chunk: Callable[[int], None] | None = None,
    ) -> bool:
        """Fetch a blob into the cache, verified; False when it was cached already."""
        if cache.has(digest):
            return False
        attempts = max(1, self.options.max_attempts)
        for attempt in range(1, attempts + 1):
            resp = self.open_blob(repo, digest, size)
            try:
                cache.put_stream(
                    digest,
                    resp.iter_raw(),  # as it arrives: progress and cancellation stay prompt
                    expected_size=size,
                    what=f"blob {digest} of {self.registry}/{repo}",
                    on_chunk=on_chunk,
                )
                return True
            except httpx.TransportError as e:
                if attempt == attempts:
                    raise RegistryError(
                        f"download of blob {digest} from {self.host} failed: {describe(e)}"
                    ) from None
            finally:
                resp.close()
            time.sleep(self._http.backoff(attempt))
        raise AssertionError("unreachable")

    def blob_exists(self, repo: str, digest: str) -> bool:
        resp = self.request(
            "HEAD", f"/v2/{repo}/blobs/{digest}", scope=push_scope(repo), follow_redirects=True
        )
        try:
            if resp.status_code == 200:
                return True
            if resp.status_code == 404:
                return False
            raise status_error(resp, self.host, f"checking blob {digest}")
        finally:
            resp.close()

    def upload_blob(
        self, repo: str, digest: str, size: int, opener: Callable[[], BinaryIO]
    ) -> None:
        """Monolithic upload: POST to open a session, PUT the bytes with ``?digest=``."""
        scope = push_scope(repo)
        resp = self.request(
            "POST", f"/v2/{repo}/blobs/uploads/", scope=scope, headers={"Content-Length": "0"}
        )
        try:
            if resp.status_code not in (201, 202):
                raise status_error(resp, self.host, f"starting the upload of blob {digest}")
            location = resp.headers.get("location")
        finally:
            resp.close()
        if not location:
            raise RegistryError(f"{self.host} opened an upload without a Location")
        url = urljoin(self.base_url() + f"/v2/{repo}/blobs/uploads/", location)
        url = str(httpx.URL(url).copy_merge_params({"digest": digest}))

        def chunks() -> Iterable[bytes]:
            with opener() as f:
                while block := f.read(CHUNK):
                    yield block

        resp = self.request(
            "PUT",
            url,
            scope=scope,
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
            content=chunks,
        )
        try:
            if resp.status_code not in (201, 204):
                raise status_error(resp, self.host, f"uploading blob {digest}")
        finally:
            resp.close()

    def put_manifest(self, repo: str, reference: str, body: bytes, media_type: str) -> str:
        return self.put_manifest_with_subject(repo, reference, body, media_type)[0]

    def put_manifest_with_subject(
        self, repo: str, reference: str, body: bytes, media_type: str
    ) -> tuple[str, str | None]:
        """Push a manifest; returns its digest and the ``OCI-Subject`` header, which a registry
        with the referrers API sends for a manifest that has a ``subject``."""
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        resp = self.request(
            "PUT",
            f"/v2/{repo}/manifests/{reference}",
            scope=push_scope(repo),
            headers={"Content-Type": media_type},
            content=body,
        )
        try:
            if resp.status_code not in (200, 201, 202):
                raise status_error(resp, self.host, f"pushing manifest {reference} to {repo}")
            header = resp.headers.get("docker-content-digest")
            subject = resp.headers.get("oci-subject")
        finally:
            resp.close()
        if header and header.startswith("sha256:") and header.strip() != digest:
            raise DigestMismatchError(
                f"pushed manifest {reference} of {repo}", digest, header.strip()
            )
        return digest, subject
