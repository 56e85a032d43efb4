"""Files too large to hold in memory: searched for their analyzers' markers on the fly, and read
again (a second pass over the layer) only when a marker is there."""

from __future__ import annotations

import io
import tarfile
import threading
import time
from functools import partial
from pathlib import Path

import pytest

from hullcheck.config import Limits
from hullcheck.errors import ImageError
from hullcheck.image import walk
from hullcheck.image.tarstream import TarStream
from hullcheck.inventory import inventory

from ..catalog.gobuild import go_builds
from .build import ImageSpec, f, oci_layout

PAD = 17 << 20  # over walk._IN_MEMORY: the file is not read into memory


class Trickle(io.RawIOBase):
    """Hands out a stream a few bytes at a time, so that needles straddle reads."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.pos, self.step = data, 0, step

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        chunk = self.data[self.pos : self.pos + self.step]
        self.pos += len(chunk)
        return chunk


def _tar(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in entries:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize("step", [1, 7, 512, 4096, 1 << 20])
def test_contains_any_finds_needles_across_reads_and_leaves_the_stream_in_place(step: int) -> None:
    needle = b"\xff Go buildinf:"
    body = b"x" * 5000 + needle + b"y" * 3000
    data = _tar([("a", body), ("b", b"z" * 9000), ("c", b"after")])
    tar = TarStream(Trickle(data, step), Limits())  # type: ignore[arg-type]
    seen = []
    for rec in tar.records():
        seen.append(rec[0])
        if rec[0] in ("/a", "/b"):
            assert tar.contains_any((b".dep-v0", needle)) is (rec[0] == "/a")
        else:
            assert tar.read() == b"after"  # positioned at the next entry's data
    assert seen == ["/a", "/b", "/c"]


def test_contains_any_on_a_truncated_entry_is_an_error() -> None:
    data = _tar([("a", b"q" * 10000)])[:3000]
    tar = TarStream(io.BytesIO(data), Limits())
    with pytest.raises(ImageError, match="truncated"):
        for _rec in tar.records():
            tar.contains_any((b"needle",))


def test_large_binaries_are_searched_not_spooled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    go = go_builds().binaries["linux-amd64"].read_bytes()
    plain = Path("/bin/ls").read_bytes()  # an ELF without Go or Rust build data
    assert b"\xff Go buildinf:" not in plain and b".dep-v0" not in plain
    layer = [
        f("usr/bin/small", go, 0o755),  # in memory: the reference
        f("usr/bin/big", go + b"\0" * PAD, 0o755),  # trailing bytes: still the same ELF
        f("usr/lib/libbig.so", plain + b"\0" * PAD, 0o755),
        # not ELF: searched byte by byte (the marker makes it read again, and it is no Go binary)
        f("usr/bin/big.sh", b"#!/bin/sh\n# \xff Go buildinf:\n" + b"#" * PAD, 0o755),
    ]
    spooled: list[str] = []
    searched: list[int] = []
    real = walk._spool_and_run
    real_search = TarStream.contains_any

    def search_spy(self: TarStream, needles: tuple[bytes, ...]) -> bool:
        searched.append(self._remaining)
        return real_search(self, needles)

    monkeypatch.setattr(TarStream, "contains_any", search_spy)

    def spy(tar, wanting, rec, spool_dir):  # type: ignore[no-untyped-def]
        spooled.append(rec[0])
        return real(tar, wanting, rec, spool_dir)

    monkeypatch.setattr(walk, "_spool_and_run", spy)
    root = oci_layout(tmp_path / "img", {"1": ImageSpec([layer]), "2": ImageSpec([layer, [f("x", "1")]])})
    for tag in ("1", "2"):  # one layer (own decompression thread) and two (decompressed inline)
        monkeypatch.setenv("HULLCHECK_CACHE_DIR", str(tmp_path / f"cache-{tag}"))  # no layer-cache hits
        spooled.clear()
        searched.clear()
        pkgs = inventory(f"oci:{root}:{tag}", analyzers=None).catalog.packages

        by_path: dict[str, set[tuple[str, str]]] = {}
        for p in pkgs:
            by_path.setdefault(p.locations[0].path if p.locations else "", set()).add((p.name, p.version))
        assert by_path.get("/usr/bin/small") and by_path.get("/usr/bin/big") == by_path["/usr/bin/small"]
        # the library without markers was never written out; the ELF files were judged by their
        # section names, only the script was searched
        assert sorted(spooled) == ["/usr/bin/big", "/usr/bin/big.sh"], tag
        assert searched == [len(b"#!/bin/sh\n# \xff Go buildinf:\n") + PAD], tag


@pytest.mark.parametrize("step", [1, 7, 512, 4096, 1 << 20])
def test_peek_and_skip_data_stay_inside_the_entry(step: int) -> None:
    body = bytes(range(256)) * 40
    data = _tar([("a", body), ("b", b"next"), ("c", b"xy")])
    tar = TarStream(Trickle(data, step), Limits())  # type: ignore[arg-type]
    for rec in tar.records():
        if rec[0] == "/a":
            assert tar.peek(64) == body[:64]
            assert tar.peek(64) == body[:64]  # nothing consumed
            tar.skip_data(1000)
            assert tar.read(10) == body[1000:1010]
            tar.skip_data(10**9)  # clipped at the entry's end
            assert tar.read() == b""
        elif rec[0] == "/b":
            assert tar.peek(100) == b"next"  # no further than the entry
        else:
            assert tar.read() == b"xy"


class EndlessTar(io.RawIOBase):
    """One tar entry of a terabyte of zeros, made up as it is read; counts what was read."""

    def __init__(self) -> None:
        ti = tarfile.TarInfo("huge")
        ti.size = 1 << 40
        self.head = ti.tobuf(format=tarfile.GNU_FORMAT)
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = 1 << 20 if n < 0 else min(n, 1 << 20)
        out = (self.head + b"\0" * (n - len(self.head))) if self.read_bytes == 0 else b"\0" * n
        self.read_bytes += len(out)
        return out


def test_a_failing_layer_stops_the_others_promptly() -> None:
    """The first error wins at once: the other layers stop at their next chunk instead of being
    read (or, from a registry, downloaded) to their end, and the error reported is the real one."""
    endless = EndlessTar()
    cancel = threading.Event()
    limits = Limits(max_layer_bytes=1 << 41, max_image_bytes=1 << 42)

    def fails() -> walk.LayerScan:
        time.sleep(0.3)  # the endless layer is well under way
        raise ImageError("layer 1 (sha256:bad): not a valid tar stream")

    jobs = [
        partial(walk.scan_layer_blob, lambda: endless, index=0, digest=None, diff_id="sha256:" + "0" * 64,
                analyzers=(), limits=limits, what="layer 0", cancel=cancel),
        fails,
    ]
    with pytest.raises(ImageError, match="not a valid tar stream"):
        walk.scan_layers(jobs, workers=2, cancel=cancel)
    assert cancel.is_set()
    assert 0 < endless.read_bytes < 1 << 36  # stopped long before the end
