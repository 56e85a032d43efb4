"""The two views of an image's files, built from the layer scans.

- ``SquashedView``: what a container sees. Layers apply in order; a whiteout ``.wh.NAME``
  deletes NAME (and everything under it) from lower layers, an opaque marker hides the lower
  content of its directory. Every file knows the layer it comes from.
- ``all_files``: every file of every layer, including those a later layer deleted (a secret
  "removed" in the next RUN is still in the image).

Symlinks resolve inside the image root only: ``..`` stops at ``/`` and absolute targets are
taken relative to the image root, as a container would see them; loops are bounded.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from hullcheck.image.tarstream import DIR, HARDLINK, SYMLINK
from hullcheck.image.walk import FileRecord, LayerScan


@dataclass(frozen=True, slots=True)
class FileEntry:
    path: str
    kind: str
    size: int
    mode: int
    uid: int
    gid: int
    linkname: str
    layer: int

    @classmethod
    def of(cls, rec: FileRecord, layer: int) -> FileEntry:
        return cls(rec[0], rec[1], rec[2], rec[3], rec[4], rec[5], rec[6], layer)


class SquashedView:
    def __init__(self, scans: Sequence[LayerScan]) -> None:
        self._files: dict[str, tuple[FileRecord, int]] = {}
        self._children: dict[str, set[str]] = {}
        for scan in scans:
            self._apply(scan)

    # -- building ------------------------------------------------------------------------
    def _add(self, rec: FileRecord, layer: int) -> None:
        path = rec[0]
        if rec[1] != DIR and self._children.get(path):
            # a file replacing a directory hides its content (whether or not the directory
            # itself had an entry: tars need not list it)
            self._remove_tree(path)
        self._files[path] = (rec, layer)
        if path != "/":
            parent = path[: path.rfind("/")] or "/"  # paths are normalised: cheaper than dirname
            kids = self._children.get(parent)
            if kids is None:
                self._children[parent] = {path}
            else:
                kids.add(path)

    def _remove_tree(self, path: str, below_layer: int | None = None) -> None:
        """Remove ``path``'s children (from layers below ``below_layer`` when given)."""
        stack = [path]
        while stack:
            p = stack.pop()
            kids = self._children.get(p)
            if not kids:
                continue
            for k in list(kids):
                entry = self._files.get(k)
                if entry is None:
                    kids.discard(k)
                    continue
                if below_layer is not None and entry[1] >= below_layer:
                    if entry[0][1] == DIR:
                        stack.append(k)  # a dir of this layer may hold lower-layer children
                    continue
                stack.append(k)
                del self._files[k]
                kids.discard(k)

    def _delete(self, path: str, layer: int) -> None:
        # Children may exist without an entry for the directory itself (tars need not list it).
        self._remove_tree(path, below_layer=layer)
        entry = self._files.get(path)
        if entry is not None and entry[1] < layer:
            del self._files[path]
            parent = posixpath.dirname(path)
            kids = self._children.get(parent)
            if kids:
                kids.discard(path)

    def _apply(self, scan: LayerScan) -> None:
        i = scan.index
        # Whiteouts and opaque markers act on lower layers only, wherever they appear in the tar.
        for d in scan.opaque:
            self._remove_tree(d, below_layer=i)
        for p in scan.whiteouts:
            self._delete(p, i)
        for rec in scan.files:
            self._add(rec, i)

    # -- queries -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._files)

    def __contains__(self, path: str) -> bool:
        return path in self._files

    def get(self, path: str) -> FileEntry | None:
        e = self._files.get(path)
        return FileEntry.of(e[0], e[1]) if e else None

    def is_dir(self, path: str) -> bool:
        """A directory the container sees: a directory entry, or an ancestor of visible files
        (tars need not list directories); symlinks are followed. Without an entry this looks
        through every directory once: for occasional questions, not per file."""
        for _ in range(40):  # symlink hops, as resolve bounds them
            e = self._files.get(path)
            if e is None or e[0][1] != SYMLINK:
                break
            target = e[0][6]
            if not target.startswith("/"):
                target = posixpath.join(posixpath.dirname(path), target)
            path = "/" + posixpath.normpath(target).lstrip("/")  # ".." stops at the image root
        else:
            return False
        if e is not None:
            return e[0][1] == DIR
        if self._children.get(path):
            return True
        prefix = path.rstrip("/") + "/"
        return any(kids and d.startswith(prefix) for d, kids in self._children.items())

    def layer_of(self, path: str) -> int | None:
        e = self._files.get(path)
        return e[1] if e else None

    def __iter__(self) -> Iterator[FileEntry]:
        for rec, layer in self._files.values():
            yield FileEntry.of(rec, layer)

    def resolve(self, path: str, max_depth: int = 40) -> str | None:
        """Follow symlinks (in every component) inside the image root; None if dangling/looping."""
        parts = [p for p in path.split("/") if p]
        resolved = "/"
        depth = 0
        while parts:
            part = parts.pop(0)
            if part == ".":
                continue
            if part == "..":
                resolved = posixpath.dirname(resolved) or "/"
                continue
            candidate = posixpath.join(resolved, part)
            e = self._files.get(candidate)
            if e is None:
                return None
            rec = e[0]
            if rec[1] == SYMLINK:
                depth += 1
                if depth > max_depth:
                    return None
                target = rec[6]
                if target.startswith("/"):
                    resolved = "/"
                parts = [p for p in target.split("/") if p] + parts
                continue
            if rec[1] == HARDLINK:
                candidate = rec[6]
            resolved = candidate
        return resolved


def all_files(scans: Sequence[LayerScan]) -> Iterator[FileEntry]:
    """Every file of every layer, deleted or not."""
    for scan in scans:
        for rec in scan.files:
            yield FileEntry.of(rec, scan.index)
