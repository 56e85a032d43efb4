"""Overlay rules of the squashed view, on hand-made layer scans: every test runs on both
backends, the in-memory view and the view over records spilled to a temporary database."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hullcheck.image.filesystem import SpilledView, SquashedView
from hullcheck.image.filetable import spill_all
from hullcheck.image.walk import LayerScan

View = Callable[[Sequence[LayerScan]], SquashedView]


def _memory(scans: Sequence[LayerScan]) -> SquashedView:
    view = SquashedView(scans)
    assert type(view) is SquashedView
    return view


def _spilled(scans: Sequence[LayerScan]) -> SquashedView:
    spill_all(s.files for s in scans)
    view = SquashedView(scans)
    assert isinstance(view, SpilledView)
    return view


def _spilled_reversed(scans: Sequence[LayerScan]) -> SquashedView:
    """Spilled in reverse order: table ids no longer follow the layers (the view maps them)."""
    spill_all(s.files for s in reversed(scans))
    view = SquashedView(scans)
    assert isinstance(view, SpilledView)
    return view


BACKENDS = [_memory, _spilled, _spilled_reversed]
IDS = ["memory", "spilled", "spilled-reversed"]


@pytest.fixture(params=BACKENDS, ids=IDS)
def make_view(request: pytest.FixtureRequest) -> View:
    return request.param  # type: ignore[no-any-return]


def test_file_over_an_unlisted_directory_hides_its_content(make_view: View) -> None:
    scans = [
        LayerScan(0, "sha256:0", files=[("/a/b", "f", 1, 0o4755, 0, 0, "")]),
        LayerScan(1, "sha256:1", files=[("/a", "f", 1, 0o644, 0, 0, "")]),
    ]
    view = make_view(scans)
    assert view.get("/a/b") is None
    assert view.layer_of("/a") == 1


def test_opaque_directory_keeps_its_own_layer_content(make_view: View) -> None:
    scans = [
        LayerScan(0, "sha256:0", files=[("/d", "d", 0, 0o755, 0, 0, ""), ("/d/old", "f", 1, 0o644, 0, 0, "")]),
        LayerScan(1, "sha256:1", files=[("/d", "d", 0, 0o755, 0, 0, ""), ("/d/new", "f", 1, 0o644, 0, 0, "")],
                  opaque=["/d"]),
    ]
    view = make_view(scans)
    assert view.get("/d/old") is None and view.layer_of("/d/new") == 1


def test_whiteout_reaches_through_an_unlisted_directory(make_view: View) -> None:
    scans = [
        LayerScan(0, "sha256:0", files=[("/a", "d", 0, 0o755, 0, 0, ""), ("/a/b/c", "f", 1, 0o644, 0, 0, "")]),
        LayerScan(1, "sha256:1", whiteouts=["/a"]),
    ]
    view = make_view(scans)
    assert len(view) == 0


def _reference(scans: list[LayerScan]) -> dict[str, int]:
    """The overlay rules, by brute force over every path (what SquashedView must agree with)."""
    files: dict[str, tuple[int, str]] = {}  # path -> (layer, kind)

    def under(p: str) -> list[str]:
        return [q for q in files if q.startswith(p.rstrip("/") + "/")]

    for scan in scans:
        for d in scan.opaque:
            for q in under(d):
                if files[q][0] < scan.index:
                    del files[q]
        for p in scan.whiteouts:
            for q in [*under(p), p]:
                if q in files and files[q][0] < scan.index:
                    del files[q]
        for rec in scan.files:
            if rec[1] != "d":
                for q in under(rec[0]):
                    del files[q]
            files[rec[0]] = (scan.index, rec[1])
    return {p: v[0] for p, v in files.items()}


# "/a-b" and "/a-b/c" sort between "/a" and "/a/b" as strings, after them in subtree order.
NAMES = st.sampled_from(["/a", "/a/b", "/a/b/c", "/a/d", "/e", "/e/f", "/a/b/c/g", "/a-b", "/a-b/c"])


@pytest.mark.parametrize("make_view", BACKENDS, ids=IDS)
@settings(max_examples=1500, deadline=None)
@given(st.lists(st.tuples(
    st.lists(st.tuples(NAMES, st.sampled_from(["d", "f", "l"])), max_size=6),
    st.lists(NAMES, max_size=2),
    st.lists(NAMES, max_size=2),
), min_size=1, max_size=4))
def test_view_agrees_with_the_brute_force_overlay(
    make_view: View, layers: list[tuple[list[tuple[str, str]], list[str], list[str]]]
) -> None:
    scans = [
        LayerScan(i, f"sha256:{i}", files=[(p, k, 0, 0o644, 0, 0, "") for p, k in files],
                  whiteouts=whiteouts, opaque=opaque)
        for i, (files, whiteouts, opaque) in enumerate(layers)
    ]
    view = make_view(scans)
    want = _reference(scans)
    assert {e.path: e.layer for e in view} == want
    assert len(view) == len(want)
    assert [e.path for e in view.sorted_entries()] == sorted(want)
    for p in ("/a", "/a/b", "/a-b/c", "/e/f"):
        assert view.layer_of(p) == want.get(p) and (p in view) == (p in want)


def test_is_dir_listed_unlisted_linked_and_deleted(make_view: View) -> None:
    scans = [
        LayerScan(0, "sha256:0", files=[
            ("/app", "d", 0, 0o755, 0, 0, ""),
            ("/app/node_modules", "d", 0, 0o755, 0, 0, ""),
            ("/srv/x/node_modules/a/package.json", "f", 1, 0o644, 0, 0, ""),  # no directory entries
            ("/srv", "d", 0, 0o755, 0, 0, ""),
            ("/srv/x", "d", 0, 0o755, 0, 0, ""),
            ("/srv/y", "d", 0, 0o755, 0, 0, ""),
            ("/srv/y/node_modules", "l", 0, 0o777, 0, 0, "../x/node_modules"),
            ("/srv/z", "l", 0, 0o777, 0, 0, "/file"),
            ("/file", "f", 1, 0o644, 0, 0, ""),
        ]),
        LayerScan(1, "sha256:1", files=[], whiteouts=["/app/node_modules"]),
    ]
    view = make_view(scans)
    assert view.is_dir("/app") and view.is_dir("/srv/x/node_modules") and view.is_dir("/srv/x/node_modules/a")
    assert view.is_dir("/srv/y/node_modules")  # a link to a directory
    assert not view.is_dir("/srv/z")  # a link to a file
    assert not view.is_dir("/app/node_modules")  # deleted by the later layer
    assert not view.is_dir("/file") and not view.is_dir("/nowhere") and not view.is_dir("/sr")
