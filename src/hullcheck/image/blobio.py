"""Stored blobs: digest verification and decompression with bomb limits.

Compression is told by the bytes themselves (gzip ``1f 8b``, zstd ``28 b5 2f fd``), not by the
media type: docker-archive layers are plain or gzip whatever the manifest says, and a lying
media type must not turn into a confusing error.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from collections.abc import Generator, Iterator
from typing import Any, BinaryIO

from hullcheck.config import Limits
from hullcheck.errors import DigestMismatchError, HullcheckError, ImageError, LimitExceededError

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def verify_bytes(data: bytes, digest: str, what: str) -> None:
    """Check a small blob (manifest, config) against its digest."""
    algo, _, expected = digest.partition(":")
    actual = hashlib.new(algo, data).hexdigest() if algo in ("sha256", "sha512") else ""
    if actual != expected:
        raise DigestMismatchError(what, digest, f"{algo}:{actual}")


class _Stop(Exception):
    pass


class LayerAbandoned(Exception):
    """Raised to a layer's reader once another layer of the same image failed (see
    ``walk.scan_layers``): never reported, the other layer's error is."""


def _put(q: Any, item: object, stop: Any) -> None:
    """Put into a bounded queue, giving up (``_Stop``) once the consumer has gone away."""
    import queue

    while True:
        if stop.is_set():
            raise _Stop
        try:
            q.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


class _ThreadedSha256:
    """sha256 computed on its own thread (hashlib releases the GIL), fed through a small queue.

    Hashing the uncompressed stream costs about as much as inflating it; on its own thread it
    overlaps with decompression and tar parsing instead of adding to them.
    """

    def __init__(self, stop: Any) -> None:
        import queue
        import threading

        self._h = hashlib.sha256()
        self._q: queue.Queue[bytes | None] = queue.Queue(16)
        self._stop = stop
        self._t = threading.Thread(target=self._run, name="sha256", daemon=True)
        self._t.start()

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                return
            self._h.update(item)

    def update(self, data: bytes) -> None:
        _put(self._q, data, self._stop)

    def close(self) -> None:
        import queue

        while self._t.is_alive():
            try:
                self._q.put(None, timeout=0.1)
                break
            except queue.Full:
                if self._stop.is_set():
                    return  # the thread is daemonic; an abandoned hash needs no result
        self._t.join()

    def hexdigest(self) -> str:
        self.close()
        return self._h.hexdigest()


class LayerPipeline(io.RawIOBase):
    """Decompress and hash a stored layer in a worker thread; read the tar bytes from here.

    The worker reads the stored blob, hashes it (blob digest), decompresses it (isal for gzip,
    zstandard for zstd; both release the GIL) and enforces the size and ratio limits, handing
    chunks over through a small bounded queue. A plain layer's diff_id is its blob digest and is
    always checked. A compressed layer's diff_id costs a second sha256 over the uncompressed
    bytes (as much CPU as inflating them), so it is checked only when asked
    (``verify_diff_id``): the content read is already pinned by the verified blob digest, a
    runtime refuses to unpack a layer whose diff_id lies, and the layer cache only files a
    result under a diff_id that was verified (see ``layercache``). The consumer (the tar
    parser, which holds the GIL) overlaps with all of that: this is what keeps header reading
    close to the cost of decompression alone. Memory is bounded by the queue depth.
    """

    _DEPTH = 4
    _IN = 1 << 20
    _OUT = 1 << 20

    def __init__(
        self,
        raw: BinaryIO,
        limits: Limits,
        *,
        digest: str | None,
        diff_id: str | None,
        what: str,
        verify_diff_id: bool = True,
        inline: bool = False,
        cancel: Any = None,
    ) -> None:
        import queue
        import threading

        self._raw = raw
        self._limits = limits
        self._digest = digest if digest and digest.startswith("sha256:") else None
        self._diff_id = diff_id if diff_id and diff_id.startswith("sha256:") else None
        self._what = what
        self._verify_diff_id = verify_diff_id
        self.diff_id_verified = False  # set once the stream's end has matched the diff_id
        self._cancel = cancel  # a threading.Event: set, the next read raises LayerAbandoned
        self._q: queue.Queue[bytes | BaseException | None] = queue.Queue(self._DEPTH)
        self._stop = threading.Event()
        self._buf = b""
        self._eof = False
        self.stored_bytes = 0
        self.uncompressed_bytes = 0
        self._gen: Generator[bytes, None, None] | None = None
        self._thread: threading.Thread | None = None
        if inline:
            self._gen = self._produce()
        else:
            self._thread = threading.Thread(target=self._work, name=f"decompress {what}", daemon=True)
            self._thread.start()

    # -- worker --------------------------------------------------------------------------
    def _put(self, item: bytes | BaseException | None) -> None:
        _put(self._q, item, self._stop)

    def _check(self, data: bytes, hu: Any) -> None:
        """Limits and the optional diff_id hash, for each chunk before it is handed on."""
        self.uncompressed_bytes += len(data)
        lim = self._limits
        if self.uncompressed_bytes > lim.max_layer_bytes:
            raise LimitExceededError(
                f"{self._what} decompresses to more than {lim.max_layer_bytes} bytes (HULLCHECK_MAX_LAYER_BYTES)"
            )
        if (
            self.uncompressed_bytes > lim.max_ratio_floor
            and self.uncompressed_bytes > lim.max_compression_ratio * max(self.stored_bytes, 1)
        ):
            raise LimitExceededError(
                f"{self._what} looks like a compression bomb (ratio over {lim.max_compression_ratio}:1)"
            )
        if hu is not None:
            hu.update(data)

    def _work(self) -> None:
        try:
            for chunk in self._produce():
                self._put(chunk)
            self._put(None)
        except _Stop:
            return
        except BaseException as e:  # handed to the reader, raised on its thread
            with contextlib.suppress(_Stop):
                self._put(e)

    def _produce(self) -> Generator[bytes, None, None]:
        """The uncompressed stream in chunks; the digests are checked after the last one."""
        hc = hashlib.sha256() if self._digest or self._diff_id else None
        hu = None
        first = self._raw.read(self._IN)
        self.stored_bytes = len(first)
        if hc is not None:
            hc.update(first)
        head = first[:4]
        compressed = head[:2] == GZIP_MAGIC or head == ZSTD_MAGIC
        if compressed and self._diff_id and self._verify_diff_id:
            hu = _ThreadedSha256(self._stop)
        if head[:2] == GZIP_MAGIC:
            yield from self._gunzip(first, hc, hu)
        elif head == ZSTD_MAGIC:
            yield from self._unzstd(first, hc, hu)
        else:
            chunk = first
            while chunk:
                self._check(chunk, None)
                yield chunk
                chunk = self._read_raw(hc)
        raw_digest = "sha256:" + hc.hexdigest() if hc is not None else ""
        if self._digest and raw_digest != self._digest:
            raise DigestMismatchError(f"{self._what} blob", self._digest, raw_digest)
        # A plain layer's diff_id is its blob's digest: checking it costs nothing.
        uncompressed = raw_digest if not compressed else ("sha256:" + hu.hexdigest() if hu else "")
        if self._diff_id and uncompressed:
            if uncompressed != self._diff_id:
                raise DigestMismatchError(f"{self._what} (diff_id)", self._diff_id, uncompressed)
            self.diff_id_verified = True

    def _read_raw(self, hc: Any) -> bytes:
        chunk = self._raw.read(self._IN)
        if chunk:
            self.stored_bytes += len(chunk)
            if hc is not None:
                hc.update(chunk)
        return chunk

    def _gunzip(self, first: bytes, hc: Any, hu: Any) -> Iterator[bytes]:
        # isal's IgzipDecompressor rather than its zlib-compatible decompressobj: it keeps
        # unconsumed input inside (no tail copied per call) and inflates ~15% faster here.
        from isal import igzip_lib

        def member() -> Any:
            return igzip_lib.IgzipDecompressor(flag=igzip_lib.DECOMP_GZIP)

        d = member()
        data = first
        try:
            while True:
                out = d.decompress(data, self._OUT)
                if out:
                    self._check(out, hu)
                    yield out
                while not d.eof and not d.needs_input:
                    out = d.decompress(b"", self._OUT)
                    if out:
                        self._check(out, hu)
                        yield out
                if d.eof:
                    # Another member may follow (in what was fed, or only in the next read:
                    # a member can end exactly on a read boundary); zeros after the last
                    # member are padding, which gzip tolerates; anything else is refused
                    # rather than silently left unread.
                    rest = d.unused_data
                    while not rest.strip(b"\0"):
                        more = self._read_raw(hc)
                        if not more:
                            return
                        rest = more if not rest else rest + more
                        if rest[:1] == b"\0":
                            if rest.strip(b"\0"):
                                raise ImageError(f"{self._what}: data after the end of the gzip stream")
                            rest = b""
                    d = member()
                    data = rest
                    continue
                data = self._read_raw(hc)
                if not data:
                    raise ImageError(f"{self._what}: corrupt compressed data (gzip stream ends early)")
        except (HullcheckError, _Stop):
            raise
        except Exception as e:  # isal raises its own error types
            raise ImageError(f"{self._what}: corrupt compressed data ({e})") from None

    def _unzstd(self, first: bytes, hc: Any, hu: Any) -> Iterator[bytes]:
        import zstandard

        dctx = zstandard.ZstdDecompressor()
        d = dctx.decompressobj()
        fed = False  # whether the current frame has started: a frame cut short raises no error
        data = first
        # decompressobj has no output bound, and one zstd block of 4 bytes (an RLE block) can
        # stand for 128 KiB: a 64 KiB slice could inflate to 2 GiB before any limit is checked.
        # Slices of 512 bytes bound one call's output to 16 MiB and cost little (the slicing is
        # cheap next to decompression); small outputs are gathered into ~1 MiB chunks for the queue.
        step = 512
        pending: list[bytes] = []
        npending = 0
        try:
            while True:
                if not data:
                    data = self._read_raw(hc)
                    if not data:
                        break
                view = memoryview(data)
                pos = 0
                while pos < len(data):
                    out = d.decompress(view[pos : pos + step])
                    fed = True
                    pos += step
                    if out:
                        pending.append(out)
                        npending += len(out)
                        if npending >= self._IN:
                            out = b"".join(pending)
                            self._check(out, hu)
                            yield out
                            pending, npending = [], 0
                    if d.eof:
                        rest = d.unused_data + bytes(view[pos:])
                        d = dctx.decompressobj()
                        fed = False
                        data = rest
                        view = memoryview(data)
                        pos = 0
                        if not data:
                            break
                data = b""
            if pending:
                out = b"".join(pending)
                self._check(out, hu)
                yield out
            if fed and not d.eof:
                raise ImageError(f"{self._what}: corrupt compressed data (zstd frame ends early)")
        except zstandard.ZstdError as e:
            raise ImageError(f"{self._what}: corrupt zstd data ({e})") from None

    # -- reader --------------------------------------------------------------------------
    def readable(self) -> bool:
        return True

    def _next(self) -> bytes:
        if self._cancel is not None and self._cancel.is_set():
            self._eof = True
            raise LayerAbandoned(self._what)
        if self._gen is not None:
            try:
                return next(self._gen)
            except StopIteration:
                self._eof = True
                return b""
            except BaseException:
                self._eof = True
                raise
        item = self._q.get()
        if item is None:
            self._eof = True
            return b""
        if isinstance(item, BaseException):
            self._eof = True
            raise item
        return item

    def read(self, size: int = -1) -> bytes:
        if self._buf:
            if size < 0 or size >= len(self._buf):
                b, self._buf = self._buf, b""
                return b
            b, self._buf = self._buf[:size], self._buf[size:]
            return b
        if self._eof:
            return b""
        chunk = self._next()
        if size < 0 or size >= len(chunk):
            return chunk
        self._buf = chunk[size:]
        return chunk[:size]

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def finish(self) -> None:
        """Read to the end of the stream, so that both digests are checked."""
        self._buf = b""
        while not self._eof:
            self._next()

    def close(self) -> None:
        self._stop.set()
        if self._gen is not None:
            self._gen.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with contextlib.suppress(Exception):
            self._raw.close()
        super().close()
