"""Settings for talking to registries, and the observer that reports download progress."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from typing import Protocol

from hullcheck.config import Limits


class PullObserver(Protocol):
    """Told about layer downloads; the CLI draws progress from it. Methods are called from
    worker threads, so implementations must be thread-safe."""

    def blob_started(self, digest: str, size: int) -> None: ...

    def blob_progress(self, digest: str, nbytes: int) -> None: ...

    def blob_done(self, digest: str, cached: bool) -> None: ...


class NullObserver:
    def blob_started(self, digest: str, size: int) -> None:
        pass

    def blob_progress(self, digest: str, nbytes: int) -> None:
        pass

    def blob_done(self, digest: str, cached: bool) -> None:
        pass


@dataclass(frozen=True)
class RegistryOptions:
    """How to reach registries.

    ``insecure_registries`` lists hosts (``HOST[:PORT]``) for which TLS is not verified and
    plain HTTP is used when HTTPS fails; loopback hosts are treated so unless
    ``loopback_insecure`` is off. An entry ``http://HOST`` means plain HTTP only.
    ``username``/``password`` override every stored credential.
    ``docker_config_dir`` overrides ``DOCKER_CONFIG`` (tests, CI).
    """

    insecure_registries: tuple[str, ...] = ()
    username: str | None = None
    password: str | None = None
    docker_config_dir: str | None = None
    ca_file: str | None = None  # extra CA certificates (PEM) trusted besides the system's
    loopback_insecure: bool = True  # Docker's rule: 127.0.0.0/8 and localhost skip TLS checks
    connect_timeout: float = 15.0
    read_timeout: float = 60.0
    max_attempts: int = 4  # per request, for 429/5xx and connection failures
    backoff_base: float = 0.5  # seconds, doubled per attempt
    max_retry_wait: float = 30.0  # longest single wait, also caps Retry-After
    max_redirects: int = 5
    concurrency: int = 4  # parallel layer downloads (streamed layers: as many as are read at once)
    user_agent: str = "hullcheck"
    limits: Limits = field(default_factory=Limits.from_env)
    observer: PullObserver = field(default_factory=NullObserver, compare=False)

    @classmethod
    def from_env(cls, **overrides: object) -> RegistryOptions:
        """Options with ``HULLCHECK_REGISTRY_USERNAME``/``_PASSWORD``,
        ``HULLCHECK_REGISTRY_CA_FILE`` and ``HULLCHECK_INSECURE_REGISTRY`` (comma separated)
        applied; ``overrides`` that are not None win."""
        values: dict[str, object] = {}
        user = os.environ.get("HULLCHECK_REGISTRY_USERNAME")
        password = os.environ.get("HULLCHECK_REGISTRY_PASSWORD")
        if user:
            values["username"] = user
        if password:
            values["password"] = password
        ca_file = os.environ.get("HULLCHECK_REGISTRY_CA_FILE")
        if ca_file:
            values["ca_file"] = ca_file
        insecure = os.environ.get("HULLCHECK_INSECURE_REGISTRY", "")
        hosts = tuple(h.strip() for h in insecure.split(",") if h.strip())
        if hosts:
            values["insecure_registries"] = hosts
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def plain_http(self, host: str) -> bool:
        """Hosts listed as ``http://HOST``: plain HTTP only, no HTTPS attempt first."""
        return f"http://{host.lower()}" in {h.lower() for h in self.insecure_registries}

    def is_insecure(self, host: str) -> bool:
        """Listed hosts, and loopback ones as Docker does (no one can sit in the middle)."""
        name = host.lower()
        listed = {
            h.lower().removeprefix("http://").removeprefix("https://")
            for h in self.insecure_registries
        }
        if name in listed:
            return True
        if not self.loopback_insecure:
            return False
        bare = name.rsplit(":", 1)[0] if not name.startswith("[") else name[1:].split("]", 1)[0]
        if bare == "localhost":
            return True
        try:
            return ipaddress.ip_address(bare).is_loopback
        except ValueError:
            return False  # a name like 127.example.com is not loopback
