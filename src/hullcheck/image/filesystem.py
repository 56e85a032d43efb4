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


_MASK = (1 << 32) - 1


class SquashedView:
    """The squashed filesystem, as compact as Python allows (it holds every path of the image).

    The records stay in the layer scans; the view maps each visible path to where its record
    is (an int: scan position << 32 | record index) instead of holding a tuple per path, and a
    directory with a single child keeps that child's path itself rather than a set of one.
    On a 300k-file image this halves the memory of the view.
    """

    def __init__(self, scans: Sequence[LayerScan]) -> None:
        self._scans = list(scans)
        self._files: dict[str, int] = {}
        self._children: dict[str, str | set[str]] = {}
        for pos, scan in enumerate(self._scans):
            self._apply(pos, scan)

    # -- building ------------------------------------------------------------------------
    def _entry(self, v: int) -> tuple[FileRecord, int]:
        scan = self._scans[v >> 32]
        return scan.files[v & _MASK], scan.index

    def _add(self, path: str, kind: str, v: int) -> None:
        if kind != DIR and path in self._children:
            # a file replacing a directory hides its content (whether or not the directory
            # itself had an entry: tars need not list it)
            self._remove_tree(path)
        self._files[path] = v
        # Link the path to its parent, and an unlisted parent to its own parent, up to a
        # directory already known: deleting a tree must reach through directories that no
        # tar listed.
        while path != "/":
            parent = path[: path.rfind("/")] or "/"  # paths are normalised: cheaper than dirname
            kids = self._children.get(parent)
            if kids is None:
                self._children[parent] = path
                if parent in self._files:
                    return
                path = parent
                continue
            if isinstance(kids, set):
                kids.add(path)
            elif kids != path:
                self._children[parent] = {kids, path}
            return

    def _unlink_child(self, parent: str, path: str) -> None:
        kids = self._children.get(parent)
        if kids is None:
            return
        if isinstance(kids, set):
            kids.discard(path)
            if not kids:
                del self._children[parent]
        elif kids == path:
            del self._children[parent]

    def _remove_tree(self, path: str, below_pos: int | None = None) -> None:
        """Remove ``path``'s descendants (those from scans before ``below_pos`` when given)."""
        stack = [path]
        while stack:
            p = stack.pop()
            kids = self._children.get(p)
            if kids is None:
                continue
            for k in ([kids] if isinstance(kids, str) else list(kids)):
                v = self._files.get(k)
                if v is None:
                    if k in self._children:
                        stack.append(k)  # an unlisted directory: its children are still there
                    if below_pos is None:
                        self._unlink_child(p, k)
                    continue
                if below_pos is not None and v >> 32 >= below_pos:
                    if self._entry(v)[0][1] == DIR:
                        stack.append(k)  # a dir of this layer may hold lower-layer children
                    continue
                stack.append(k)
                del self._files[k]
                if below_pos is None:
                    self._unlink_child(p, k)
                # Otherwise the link stays: upper-layer entries added later under ``k`` must
                # stay reachable from ``p`` (a stale link to nothing costs a lookup, no more).

    def _delete(self, path: str, pos: int) -> None:
        # Children may exist without an entry for the directory itself (tars need not list it).
        self._remove_tree(path, below_pos=pos)
        v = self._files.get(path)
        if v is not None and v >> 32 < pos:
            del self._files[path]  # its link to its parent stays, as in _remove_tree

    def _apply(self, pos: int, scan: LayerScan) -> None:
        # Whiteouts and opaque markers act on lower layers only, wherever they appear in the tar.
        for d in scan.opaque:
            self._remove_tree(d, below_pos=pos)
        for p in scan.whiteouts:
            self._delete(p, pos)
        base = pos << 32
        for i, rec in enumerate(scan.files):
            self._add(rec[0], rec[1], base | i)

    # -- queries -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._files)

    def __contains__(self, path: str) -> bool:
        return path in self._files

    def get(self, path: str) -> FileEntry | None:
        v = self._files.get(path)
        return FileEntry.of(*self._entry(v)) if v is not None else None

    def record(self, path: str) -> tuple[FileRecord, int] | None:
        """(record, layer index) of the visible entry at ``path``."""
        v = self._files.get(path)
        return self._entry(v) if v is not None else None

    def find(self, path: str) -> tuple[int, str] | None:
        """(layer index, kind) of the visible entry at ``path``."""
        v = self._files.get(path)
        if v is None:
            return None
        rec, layer = self._entry(v)
        return layer, rec[1]

    def is_dir(self, path: str) -> bool:
        """A directory the container sees: a directory entry, or an ancestor of visible files
        (tars need not list directories); symlinks are followed."""
        for _ in range(40):  # symlink hops, as resolve bounds them
            v = self._files.get(path)
            if v is None:
                break
            rec = self._entry(v)[0]
            if rec[1] != SYMLINK:
                return rec[1] == DIR
            target = rec[6]
            if not target.startswith("/"):
                target = posixpath.join(posixpath.dirname(path), target)
            path = "/" + posixpath.normpath(target).lstrip("/")  # ".." stops at the image root
        else:
            return False
        # No entry: a directory if something visible lies below (unlisted directories are
        # linked to their parents, and links may be stale after deletions).
        stack = [path]
        while stack:
            kids = self._children.get(stack.pop())
            for k in ([kids] if isinstance(kids, str) else kids or ()):
                if k in self._files:
                    return True
                stack.append(k)
        return False

    def layer_of(self, path: str) -> int | None:
        v = self._files.get(path)
        return self._scans[v >> 32].index if v is not None else None

    def paths(self) -> Iterator[str]:
        return iter(self._files)

    def __iter__(self) -> Iterator[FileEntry]:
        for v in self._files.values():
            yield FileEntry.of(*self._entry(v))

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
            v = self._files.get(candidate)
            if v is None:
                return None
            rec = self._entry(v)[0]
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
