"""The streaming tar reader, checked against Python's tarfile as the oracle, and fuzzed."""

from __future__ import annotations

import io
import tarfile

from hypothesis import given, settings
from hypothesis import strategies as st

from hullcheck.config import Limits
from hullcheck.errors import HullcheckError
from hullcheck.image.tarstream import TarStream, normalize

NAME_PART = st.text(alphabet="abcdefghijklmnopqrstuvwxyzé-_.0123456789", min_size=1, max_size=40).filter(
    lambda s: s not in (".", "..") and not s.startswith(".wh.")
)
MEMBER = st.tuples(
    st.lists(NAME_PART, min_size=1, max_size=12).map("/".join),
    st.sampled_from([tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE]),
    st.binary(max_size=3000),
    st.integers(min_value=0, max_value=0o7777),
    st.integers(min_value=0, max_value=70000),
)


def _write(members: list[tuple[str, bytes, bytes, int, int]], fmt: int) -> bytes:
    buf = io.BytesIO()
    seen = set()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for name, kind, data, mode, uid in members:
            if name in seen:
                continue
            seen.add(name)
            ti = tarfile.TarInfo(name)
            ti.type = kind
            ti.mode = mode
            ti.uid = uid
            if kind == tarfile.SYMTYPE:
                ti.linkname = "../" + name[::-1]
                tf.addfile(ti)
            elif kind == tarfile.REGTYPE:
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
            else:
                tf.addfile(ti)
    return buf.getvalue()


@settings(max_examples=150, deadline=None)
@given(st.lists(MEMBER, max_size=25), st.sampled_from([tarfile.PAX_FORMAT, tarfile.GNU_FORMAT]))
def test_matches_tarfile(members, fmt) -> None:
    raw = _write(members, fmt)
    expected = []
    with tarfile.open(fileobj=io.BytesIO(raw)) as tf:
        for m in tf:
            data = tf.extractfile(m).read() if m.isfile() else b""  # type: ignore[union-attr]
            expected.append((normalize(m.name), m.mode, m.uid, m.linkname if m.issym() else "", data))
    got = []
    ts = TarStream(io.BytesIO(raw), Limits())
    for e in ts:
        data = ts.read() if e.kind == "f" else b""
        got.append((e.path, e.mode, e.uid, e.linkname, data))
    assert got == expected


def test_long_names_and_ustar_prefix() -> None:
    long = "/".join(["d" * 60] * 5) + "/file"
    for fmt in (tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT):
        name = long if fmt != tarfile.USTAR_FORMAT else "p" * 90 + "/" + "n" * 90
        raw = _write([(name, tarfile.REGTYPE, b"abc", 0o644, 0)], fmt)
        ts = TarStream(io.BytesIO(raw), Limits())
        entries = [(e.path, ts.read()) for e in ts]
        assert entries == [("/" + name, b"abc")]


def test_base256_size_field() -> None:
    # GNU tar writes sizes >= 8 GiB in base-256; build such a header by hand (data not included)
    ti = tarfile.TarInfo("huge")
    ti.size = 9 * 1024**3
    header = ti.tobuf(format=tarfile.GNU_FORMAT)
    ts = TarStream(io.BytesIO(header), Limits())
    it = iter(ts)
    e = next(it)
    assert e.size == 9 * 1024**3
    try:
        next(it)
    except HullcheckError as err:
        assert "truncated" in str(err)
    else:
        raise AssertionError("a truncated entry must be an error")


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=4096))
def test_garbage_never_crashes(data: bytes) -> None:
    ts = TarStream(io.BytesIO(data), Limits(max_entries=100))
    try:
        for e in ts:
            if e.kind == "f":
                ts.read(1000)
    except HullcheckError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.lists(MEMBER, min_size=1, max_size=5), st.integers(min_value=0, max_value=10_000), st.binary(min_size=1, max_size=8))
def test_mutated_archives_never_crash(members, pos, noise) -> None:
    raw = bytearray(_write(members, tarfile.PAX_FORMAT))
    p = pos % len(raw)
    raw[p : p + len(noise)] = noise
    ts = TarStream(io.BytesIO(bytes(raw)), Limits(max_entries=100))
    try:
        for e in ts:
            if e.kind == "f":
                ts.read()
    except HullcheckError:
        pass
