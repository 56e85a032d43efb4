"""The content-addressed blob cache: verified, atomic, and safe against hostile digests."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hullcheck.errors import DigestMismatchError, ImageError, LimitExceededError
from hullcheck.image.cache import BlobCache


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_put_and_read_back(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    data = b"hello blob" * 1000
    path = cache.put_stream(digest(data), iter([data[:7], data[7:]]), expected_size=len(data))
    assert path == tmp_path / "sha256" / digest(data)[7:]
    assert cache.has(digest(data))
    with cache.open(digest(data)) as f:
        assert f.read() == data
    assert cache.temp_files() == []


def test_default_root_is_under_the_cache_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HULLCHECK_CACHE_DIR", str(tmp_path / "c"))
    cache = BlobCache()
    d = digest(b"x")
    cache.put_bytes(d, b"x")
    assert (tmp_path / "c" / "blobs" / "sha256" / d[7:]).read_bytes() == b"x"


def test_mismatch_leaves_nothing(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    claimed = digest(b"good")
    with pytest.raises(DigestMismatchError) as info:
        cache.put_stream(claimed, [b"evil"], what="layer X")
    assert info.value.expected == claimed and info.value.actual == digest(b"evil")
    assert "layer X" in info.value.diagnostics()
    assert not cache.has(claimed)
    assert list((tmp_path / "sha256").iterdir()) == []


def test_size_checks(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    data = b"0123456789"

    def endless() -> Iterator[bytes]:
        while True:
            yield data

    with pytest.raises(LimitExceededError):
        cache.put_stream(digest(data), endless(), expected_size=len(data))
    with pytest.raises(ImageError, match="declares 11"):
        cache.put_stream(digest(data), [data], expected_size=11)
    assert list((tmp_path / "sha256").iterdir()) == []


def test_interrupted_stream_cleans_up(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)

    def broken() -> Iterator[bytes]:
        yield b"partial"
        raise ConnectionError("peer went away")

    with pytest.raises(ConnectionError):
        cache.put_stream(digest(b"partial and more"), broken())
    assert cache.temp_files() == []


@pytest.mark.parametrize(
    "bad",
    [
        "sha256:../../../etc/passwd",
        "sha256:" + "A" * 64,
        "sha256:" + "a" * 63,
        "sha256:" + "a" * 64 + "/x",
        "sha512:" + "a" * 128,
        "../" + "a" * 64,
        "",
    ],
)
def test_hostile_digests_never_become_paths(tmp_path: Path, bad: str) -> None:
    cache = BlobCache(tmp_path / "c")
    with pytest.raises(ImageError, match="invalid digest"):
        cache.path(bad)
    with pytest.raises(ImageError, match="invalid digest"):
        cache.put_bytes(bad, b"x")
    assert not (tmp_path / "c").exists()


def test_concurrent_writers_of_one_blob(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    data = bytes(range(256)) * 4096
    errors: list[BaseException] = []

    def write() -> None:
        try:
            cache.put_stream(
                digest(data), (data[i : i + 65536] for i in range(0, len(data), 65536))
            )
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=write) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert cache.path(digest(data)).read_bytes() == data
    assert cache.temp_files() == []


def test_read_bytes_limit(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    cache.put_bytes(digest(b"x" * 100), b"x" * 100)
    assert cache.read_bytes(digest(b"x" * 100), 100) == b"x" * 100
    with pytest.raises(LimitExceededError):
        cache.read_bytes(digest(b"x" * 100), 99)
    with pytest.raises(ImageError, match="not in the cache"):
        cache.open(digest(b"absent"))
