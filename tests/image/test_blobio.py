"""The layer pipeline: gzip members, padding and digests, whatever the read boundaries."""

from __future__ import annotations

import gzip
import hashlib
import io

import pytest

from hullcheck.config import Limits
from hullcheck.errors import DigestMismatchError, ImageError
from hullcheck.image.blobio import LayerPipeline


def sha(b: bytes) -> str:
    return "sha256:" + hashlib.sha256(b).hexdigest()


def inflate(blob: bytes, *, read_size: int | None = None, diff_id: str | None = None, verify: bool = True,
            monkeypatch: pytest.MonkeyPatch | None = None, inline: bool = False) -> bytes:
    if read_size is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(LayerPipeline, "_IN", read_size)
    pipe = LayerPipeline(io.BytesIO(blob), Limits(), digest=sha(blob), diff_id=diff_id, what="layer",
                         verify_diff_id=verify, inline=inline)
    try:
        out = pipe.read()
        chunks = [out]
        while out:
            out = pipe.read()
            chunks.append(out)
        pipe.finish()
        return b"".join(chunks)
    finally:
        pipe.close()


A = b"first member " * 1000
B = b"second member " * 1000


def test_two_members_in_one_read() -> None:
    assert inflate(gzip.compress(A) + gzip.compress(B)) == A + B


def test_a_member_ending_exactly_on_a_read_boundary_is_not_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    first = gzip.compress(A)
    assert inflate(first + gzip.compress(B), read_size=len(first), monkeypatch=monkeypatch) == A + B


@pytest.mark.parametrize("read_size", [7, 64, 1 << 20])
def test_zero_padding_after_the_last_member_is_tolerated(read_size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    assert inflate(gzip.compress(A) + b"\0" * 1000, read_size=read_size, monkeypatch=monkeypatch) == A


@pytest.mark.parametrize("read_size", [7, 1 << 20])
def test_data_after_the_padding_is_refused(read_size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImageError, match=r"after the end of the gzip stream|corrupt compressed data"):
        inflate(gzip.compress(A) + b"\0" * 100 + b"hidden", read_size=read_size, monkeypatch=monkeypatch)


def test_truncated_member_is_an_error() -> None:
    with pytest.raises(ImageError, match="ends early"):
        inflate(gzip.compress(A)[:-20])


def test_diff_id_of_a_compressed_layer_is_checked_on_request_only() -> None:
    blob = gzip.compress(A)
    assert inflate(blob, diff_id=sha(b"other"), verify=False) == A
    with pytest.raises(DigestMismatchError, match="diff_id"):
        inflate(blob, diff_id=sha(b"other"), verify=True)
    assert inflate(blob, diff_id=sha(A), verify=True) == A


def test_plain_layer_diff_id_is_always_checked() -> None:
    with pytest.raises(DigestMismatchError, match="diff_id"):
        inflate(A, diff_id=sha(b"other"), verify=False)


@pytest.mark.parametrize("inline", [False, True])
def test_both_modes_give_the_same_bytes_and_the_same_errors(inline: bool) -> None:
    """Decompressing on its own thread or on the reader's: one behaviour."""
    assert inflate(gzip.compress(A) + gzip.compress(B), inline=inline) == A + B
    with pytest.raises(ImageError, match="ends early"):
        inflate(gzip.compress(A)[:-20], inline=inline)
    with pytest.raises(DigestMismatchError, match="diff_id"):
        inflate(gzip.compress(A), diff_id=sha(b"other"), verify=True, inline=inline)
    bomb = gzip.compress(b"\0" * (80 << 20))  # over the ratio floor, ratio ~1000:1
    with pytest.raises(ImageError, match="compression bomb"):
        inflate(bomb, inline=inline)
