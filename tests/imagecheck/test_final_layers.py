"""FinalLayers answers what SquashedView answers, for every path of random layer stacks."""

from __future__ import annotations

import posixpath

from hypothesis import given, settings
from hypothesis import strategies as st

from hullcheck.image.filesystem import SquashedView
from hullcheck.image.walk import FileRecord, LayerScan
from hullcheck.imagecheck.context import FinalLayers

_PATHS = st.lists(st.sampled_from("abc"), min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts))


@st.composite
def layer(draw: st.DrawFn, index: int) -> LayerScan:
    leaves = draw(st.dictionaries(_PATHS, st.sampled_from("fdl"), max_size=6))
    dirs = set()
    for p in leaves:
        a = posixpath.dirname(p)
        while a != "/":
            dirs.add(a)
            a = posixpath.dirname(a)
    kinds = {**leaves, **dict.fromkeys(dirs, "d")}  # parents are listed, as real tars do
    files: list[FileRecord] = [(p, kinds[p], 1, 0o644, 0, 0, "") for p in sorted(kinds)]
    whiteouts = draw(st.lists(_PATHS, max_size=2)) if index else []
    opaque = draw(st.lists(_PATHS, max_size=1)) if index else []
    return LayerScan(index=index, diff_id=f"sha256:{index}", files=files, whiteouts=whiteouts, opaque=opaque)


@st.composite
def stacks(draw: st.DrawFn) -> list[LayerScan]:
    n = draw(st.integers(min_value=1, max_value=4))
    return [draw(layer(i)) for i in range(n)]


@settings(max_examples=200, deadline=None)
@given(stacks())
def test_same_answers_as_squashed_view(scans: list[LayerScan]) -> None:
    view = SquashedView(scans)
    final = FinalLayers(scans)
    paths = {rec[0] for s in scans for rec in s.files} | {w for s in scans for w in s.whiteouts}
    for p in sorted(paths):
        assert final.layer_of(p) == view.layer_of(p), p
        e = view.get(p)
        assert final.find(p) == ((e.layer, e.kind) if e else None)


def test_file_over_an_unlisted_directory_hides_its_content() -> None:
    """Layer 0 lists /a/b but not /a; layer 1 makes /a a file: a container sees no /a/b."""
    scans = [
        LayerScan(0, "sha256:0", files=[("/a/b", "f", 1, 0o4755, 0, 0, "")]),
        LayerScan(1, "sha256:1", files=[("/a", "f", 1, 0o644, 0, 0, "")]),
    ]
    assert FinalLayers(scans).find("/a/b") is None
    assert FinalLayers(scans).find("/a") == (1, "f")
