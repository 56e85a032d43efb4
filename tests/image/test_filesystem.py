"""Overlay rules of the squashed view, on hand-made layer scans."""

from __future__ import annotations

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
