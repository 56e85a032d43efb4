"""Overlay rules of the squashed view, on hand-made layer scans."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hullcheck.image.filesystem import SquashedView
from hullcheck.image.walk import LayerScan


def test_file_over_an_unlisted_directory_hides_its_content() -> None:
    scans = [
        LayerScan(0, "sha256:0", files=[("/a/b", "f", 1, 0o4755, 0, 0, "")]),
        LayerScan(1, "sha256:1", files=[("/a", "f", 1, 0o644, 0, 0, "")]),
    ]
    view = SquashedView(scans)
    assert view.get("/a/b") is None
    assert view.layer_of("/a") == 1


def test_opaque_directory_keeps_its_own_layer_content() -> None:
    scans = [
        LayerScan(0, "sha256:0", files=[("/d", "d", 0, 0o755, 0, 0, ""), ("/d/old", "f", 1, 0o644, 0, 0, "")]),
        LayerScan(1, "sha256:1", files=[("/d", "d", 0, 0o755, 0, 0, ""), ("/d/new", "f", 1, 0o644, 0, 0, "")],
                  opaque=["/d"]),
    ]
    view = SquashedView(scans)
    assert view.get("/d/old") is None and view.layer_of("/d/new") == 1


def test_whiteout_reaches_through_an_unlisted_directory() -> None:
    scans = [
        LayerScan(0, "sha256:0", files=[("/a", "d", 0, 0o755, 0, 0, ""), ("/a/b/c", "f", 1, 0o644, 0, 0, "")]),
        LayerScan(1, "sha256:1", whiteouts=["/a"]),
    ]
    view = SquashedView(scans)
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


NAMES = st.sampled_from(["/a", "/a/b", "/a/b/c", "/a/d", "/e", "/e/f", "/a/b/c/g"])


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.tuples(
    st.lists(st.tuples(NAMES, st.sampled_from(["d", "f", "l"])), max_size=6),
    st.lists(NAMES, max_size=2),
    st.lists(NAMES, max_size=2),
), min_size=1, max_size=4))
def test_view_agrees_with_the_brute_force_overlay(layers: list[tuple[list[tuple[str, str]], list[str], list[str]]]) -> None:
    scans = [
        LayerScan(i, f"sha256:{i}", files=[(p, k, 0, 0o644, 0, 0, "") for p, k in files],
                  whiteouts=whiteouts, opaque=opaque)
        for i, (files, whiteouts, opaque) in enumerate(layers)
    ]
    view = SquashedView(scans)
    assert {e.path: e.layer for e in view} == _reference(scans)


def test_is_dir_listed_unlisted_linked_and_deleted() -> None:
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
    view = SquashedView(scans)
    assert view.is_dir("/app") and view.is_dir("/srv/x/node_modules") and view.is_dir("/srv/x/node_modules/a")
    assert view.is_dir("/srv/y/node_modules")  # a link to a directory
    assert not view.is_dir("/srv/z")  # a link to a file
    assert not view.is_dir("/app/node_modules")  # deleted by the later layer
    assert not view.is_dir("/file") and not view.is_dir("/nowhere") and not view.is_dir("/sr")
