"""A layer blob read straight from the registry while it downloads, stored into the blob cache
on the way.

Downloading every layer before reading any left the network idle while layers were parsed
and the cores idle while they downloaded: a layer scanned as it arrives overlaps the two.
The bytes are hashed and written to the cache as they pass (``BlobWriter``); the end of the
stream is signalled only after the size and digest matched and the blob was published, so a
reader that reaches the end has read verified bytes (and one that stops early, or sees an
error, leaves nothing in the cache). A connection dropped mid-blob is opened again and the
bytes already handed out are skipped; the digest still covers every byte.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx

from hullcheck.errors import RegistryError
from hullcheck.image.cache import BlobCache
from hullcheck.image.registry.http import describe
from hullcheck.image.registry.manifest import Descriptor
from hullcheck.image.registry.options import PullObserver

if TYPE_CHECKING:
    from hullcheck.image.registry.client import RegistryClient

CHUNK = 1 << 20  # what one read hands out: a whole decompressor input chunk


class LayerStream(io.RawIOBase):
    def __init__(
        self, client: RegistryClient, repo: str, desc: Descriptor, cache: BlobCache, observer: PullObserver
    ) -> None:
        self._client = client
        self._repo = repo
        self._desc = desc
        self._observer = observer
        self._what = f"blob {desc.digest} of {client.registry}/{repo}"
        self._attempts = max(1, client.options.max_attempts)
        self._attempt = 0
        self._resp: httpx.Response | None = None
        self._chunks: Iterator[bytes] = iter(())
        self._skip = 0  # bytes a re-opened download sends again before the new ones
        self._buf = b""
        self._ended = False
        self._writer = cache.writer(desc.digest, expected_size=desc.size, what=self._what)
        try:
            self._connect()
        except BaseException:
            self._writer.abort()
            raise
        observer.blob_started(desc.digest, desc.size)

    def _connect(self) -> None:
        self._attempt += 1
        self._resp = self._client.open_blob(self._repo, self._desc.digest, self._desc.size)
        self._chunks = self._resp.iter_raw(CHUNK)
        self._skip = self._writer.size

    def _next_chunk(self) -> bytes:
        """The next bytes not yet handed out (b"" at the end of the download)."""
        while True:
            try:
                chunk = next(self._chunks, b"")
            except httpx.TransportError as e:
                if self._attempt >= self._attempts:
                    raise RegistryError(
                        f"download of blob {self._desc.digest} from {self._client.host} failed: {describe(e)}"
                    ) from None
                assert self._resp is not None
                self._resp.close()
                time.sleep(self._client.retry_delay(self._attempt))
                self._connect()
                continue
            if self._skip and chunk:
                drop = min(self._skip, len(chunk))
                self._skip -= drop
                chunk = chunk[drop:]
                if not chunk:
                    continue
            return chunk

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        if not self._buf:
            if self._ended:
                return b""
            chunk = self._next_chunk()
            if not chunk:
                self._writer.commit()  # raises on a wrong size or digest: no end-of-stream then
                self._ended = True
                self._observer.blob_done(self._desc.digest, False)
                self._release()
                return b""
            self._writer.write(chunk)
            self._observer.blob_progress(self._desc.digest, len(chunk))
            self._buf = chunk
        if size >= len(self._buf):
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:size], self._buf[size:]
        return out

    def readall(self) -> bytes:
        parts = []
        while chunk := self.read(CHUNK):
            parts.append(chunk)
        return b"".join(parts)

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def _release(self) -> None:
        if self._resp is not None:
            self._resp.close()
            self._resp = None

    def close(self) -> None:
        self._writer.abort()  # unless committed: a blob read only in part is not kept
        self._release()
        super().close()
