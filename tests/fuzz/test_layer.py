"""The layer reader end to end: stored blob -> LayerPipeline (gzip/zstd/plain, digests, bomb
limits) -> TarStream -> analyzers, on random and mutated streams.

Contract: only ``HullcheckError`` subclasses escape, nothing hangs, and memory stays bounded.
"""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import tarfile
import textwrap

import zstandard
from hypothesis import example, given
from hypothesis import strategies as st

from hullcheck.catalog.registry import default_analyzers
from hullcheck.config import Limits
from hullcheck.errors import HullcheckError
from hullcheck.image.blobio import LayerPipeline
from hullcheck.image.filesystem import SquashedView
from hullcheck.image.tarstream import TarStream
from hullcheck.image.walk import scan_layer_blob
from tests.conftest import REPO
from tests.fuzz._util import CUT, EDITS, mutate_bytes, within
from tests.fuzz.conftest import fuzz
from tests.image.build import Member, layer_tar, sha

ANALYZERS = default_analyzers()
# Small limits, so that bombs and tar bombs trip quickly inside the bounded run.
LIMITS = Limits(
    max_layer_bytes=8 << 20, max_entries=300, max_ratio_floor=1 << 20, max_compression_ratio=200,
    max_file_read=1 << 20, max_path_length=1024,
)

NAMES = st.sampled_from(
    ["etc/os-release", "var/lib/dpkg/status", "lib/apk/db/installed", "app/package.json",
     "app/package-lock.json", "app/yarn.lock", "srv/Cargo.lock", "a/b.jar", "usr/bin/x", "x.egg",
     ".wh.gone", "d/.wh..wh..opq", "d/f", "../up", "/abs", "a//b/./c", "long/" + "n" * 200, "é/ü"]
)
MEMBERS = st.lists(
    st.builds(
        Member,
        name=NAMES,
        data=st.binary(max_size=300),
        kind=st.sampled_from([tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE,
                              tarfile.CHRTYPE, tarfile.FIFOTYPE]),
        mode=st.integers(0, 0o7777),
        linkname=st.sampled_from(["", "d/f", "../../etc/passwd", "/etc/shadow", "x" * 120]),
    ),
    max_size=8,
)
COMPRESSION = st.sampled_from(["gzip", "zstd", "none", "gzip2", "zstd2"])


def _compress(tar: bytes, how: str) -> bytes:
    if how == "gzip":
        return gzip.compress(tar, mtime=0)
    if how == "gzip2":  # two members, as pigz and concatenated layers produce
        half = len(tar) // 2
        return gzip.compress(tar[:half], mtime=0) + gzip.compress(tar[half:], mtime=0)
    if how == "zstd":
        return zstandard.ZstdCompressor().compress(tar)
    if how == "zstd2":  # two frames
        half = len(tar) // 2
        c = zstandard.ZstdCompressor()
        return c.compress(tar[:half]) + c.compress(tar[half:])
    return tar


def _safe_tar(members: list[Member], fmt: int) -> bytes:
    try:
        return layer_tar(members, fmt)
    except (ValueError, tarfile.TarError):  # names the chosen tar format cannot hold
        return layer_tar([], fmt)


def _scan(blob: bytes, digest: str | None, diff_id: str) -> None:
    scan = scan_layer_blob(lambda: io.BytesIO(blob), index=0, digest=digest, diff_id=diff_id,
                           analyzers=ANALYZERS, limits=LIMITS, what="layer 0")
    view = SquashedView([scan])
    for entry in view:
        view.resolve(entry.path)


@fuzz(2)
@given(
    members=MEMBERS,
    fmt=st.sampled_from([tarfile.PAX_FORMAT, tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT]),
    how=COMPRESSION,
    edits=EDITS,
    cut=CUT,
    honest_digests=st.booleans(),
)
def test_mutated_layers(members: list[Member], fmt: int, how: str, edits: list[tuple[float, bytes, int]],
                        cut: float | None, honest_digests: bool) -> None:
    tar = _safe_tar(members, fmt)
    blob = mutate_bytes(_compress(tar, how), edits, cut)
    # Honest digests describe the mutated bytes (a hostile image that is self-consistent);
    # otherwise they are those of the original, so the digest checks must catch the change.
    digest = sha(blob) if honest_digests else sha(_compress(tar, how))
    diff_id = sha(tar)
    try:
        within(20, lambda: _scan(blob, digest, diff_id))
    except HullcheckError as e:
        assert "\n" not in e.diagnostics()


@fuzz(2)
@given(
    magic=st.sampled_from([b"", b"\x1f\x8b", b"\x1f\x8b\x08\x00", b"\x28\xb5\x2f\xfd", b"\x28\xb5\x2f\xfd\x00"]),
    body=st.binary(max_size=2048),
)
@example(magic=b"\x28\xb5\x2f\xfd", body=b"\x00\x38" + b"\x12\x00\x10\x00" * 200)  # RLE blocks: a small zstd bomb
@example(magic=b"", body=b"")
def test_random_streams(magic: bytes, body: bytes) -> None:
    blob = magic + body

    def read_all() -> None:
        pipe = LayerPipeline(io.BytesIO(blob), LIMITS, digest=None, diff_id=None, what="layer")
        try:
            for e in TarStream(pipe, LIMITS):  # type: ignore[arg-type]
                assert e.path.startswith("/")
        finally:
            pipe.close()

    try:
        within(20, read_all)
    except HullcheckError as e:
        assert "\n" not in e.diagnostics()


def _rle_zstd_bomb(blocks: int) -> bytes:
    """A zstd frame of RLE blocks by hand: 4 input bytes stand for 128 KiB of zeros each."""
    def block(last: int) -> bytes:
        return ((131072 << 3) | (1 << 1) | last).to_bytes(3, "little") + b"\0"
    # frame header: magic, descriptor 0 (no content size, no checksum), window 128 KiB
    return b"\x28\xb5\x2f\xfd\x00\x38" + block(0) * (blocks - 1) + block(1)


def test_zstd_rle_bomb_memory_is_bounded() -> None:
    """Regression: 64 KB of RLE blocks once inflated to 2 GiB inside one decompress call (the
    bomb limit only runs between calls). Measured in a child so its peak RSS is its own."""
    blob = _rle_zstd_bomb(16_000)  # 64 KB stored, 2 GB inflated
    code = textwrap.dedent(
        """
        import io, sys
        from hullcheck.config import Limits
        from hullcheck.errors import LimitExceededError
        from hullcheck.image.blobio import LayerPipeline
        blob = sys.stdin.buffer.read()
        p = LayerPipeline(io.BytesIO(blob), Limits(), digest=None, diff_id=None, what="bomb")
        try:
            while p.read(1 << 20):
                pass
        except LimitExceededError as e:
            print("LIMIT", e)
        p.close()
        # VmHWM is this process's own peak (ru_maxrss would include what the forked parent held)
        hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
        print("RSS_MB", int(hwm) // 1024)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = subprocess.run([sys.executable, "-c", code], input=blob, capture_output=True, env=env,
                         timeout=120, check=True).stdout.decode()
    assert "LIMIT" in out and "compression bomb" in out, out
    rss = int(out.split("RSS_MB")[1])
    # The default limits let 64 MiB through before the ratio is enforced; 2 GB was the bug.
    assert rss < 400, out


def test_zstd_rle_bomb_is_a_limit_error() -> None:
    blob = _rle_zstd_bomb(2_000)  # 250 MiB inflated, over LIMITS.max_layer_bytes
    try:
        within(30, lambda: _scan(blob, None, sha(b"")))
    except HullcheckError as e:
        assert "compression bomb" in str(e) or "HULLCHECK_MAX_LAYER_BYTES" in str(e)
    else:
        raise AssertionError("a zstd bomb must be refused")


PAX_KEYS = st.sampled_from(["path", "linkpath", "size", "uid", "gid", "uname", "mtime", "GNU.sparse.size",
                            "SCHILY.xattr.user.x", "hdrcharset", "", "=", "comment"])
PAX_VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["²", "١٢", "1" * 5000, "-1", " 12 ", "1_0", "0x10", "9" * 25, "../../x", "/abs", "a\x00b", "\udcff"]),
)


@fuzz(2)
@given(headers=st.dictionaries(PAX_KEYS, PAX_VALUES, max_size=5), glob=st.booleans(), data=st.binary(max_size=64))
@example(headers={"uid": "²"}, glob=False, data=b"")  # was: ValueError from int("²") ("²".isdigit() is True)
@example(headers={"gid": "1" * 5000}, glob=True, data=b"")  # was: ValueError, int() refuses over 4300 digits
def test_pax_records(headers: dict[str, str], glob: bool, data: bytes) -> None:
    ti = tarfile.TarInfo("a/b")
    ti.size = len(data)
    buf = io.BytesIO()
    try:
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT,
                          pax_headers=headers if glob else None, errors="surrogateescape") as tf:
            if not glob:
                ti.pax_headers = headers
            tf.addfile(ti, io.BytesIO(data))
    except (ValueError, UnicodeError, tarfile.TarError):
        return  # a record tarfile itself will not write
    ts = TarStream(io.BytesIO(buf.getvalue()), LIMITS)
    try:
        for e in ts:
            assert isinstance(e.uid, int) and isinstance(e.gid, int) and e.path.startswith("/")
            if e.kind == "f":
                ts.read()
    except HullcheckError as e:
        assert "\n" not in e.diagnostics()
