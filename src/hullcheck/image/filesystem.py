"""The two views of an image's files, built from the layer scans.

- ``SquashedView``: what a container sees. Layers apply in order; a whiteout ``.wh.NAME``
  deletes NAME (and everything under it) from lower layers, an opaque marker hides the lower
  content of its directory. Every file knows the layer it comes from.
- ``all_files``: every file of every layer, including those a later layer deleted (a secret
  "removed" in the next RUN is still in the image).

Symlinks resolve inside the image root only: ``..`` stops at ``/`` and absolute targets are
taken relative to the image root, as a container would see them; loops are bounded.

When the layers' file records went to disk (an image with very many files, see ``filetable``),
``SquashedView(scans)`` is a ``SpilledView``: the same queries, answered from a table of
visible paths computed in the same temporary database, so that memory stays flat.
"""

from __future__ import annotations

import itertools
import posixpath
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from hullcheck.image.filetable import (
    CHUNK,
    SHIFT,
    FileRecord,
    SpillStore,
    decode,
    encode,
    row_record,
    spill_all,
)
from hullcheck.image.tarstream import DIR, HARDLINK, SYMLINK
from hullcheck.image.walk import LayerScan


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

    Built over layers whose records spilled to disk, it is a ``SpilledView`` instead.
    """

    def __new__(cls, scans: Sequence[LayerScan]) -> SquashedView:
        if cls is SquashedView and any(s.files.spilled for s in scans):
            return super().__new__(SpilledView)
        return super().__new__(cls)

    def __init__(self, scans: Sequence[LayerScan]) -> None:
        self._scans = list(scans)
        self._lists = [s.files.buffer for s in self._scans]  # all in memory: nothing spilled
        self._files: dict[str, int] = {}
        self._children: dict[str, str | set[str]] = {}
        for pos, scan in enumerate(self._scans):
            self._apply(pos, scan)

    # -- building ------------------------------------------------------------------------
    def _entry(self, v: int) -> tuple[FileRecord, int]:
        pos = v >> 32
        return self._lists[pos][v & _MASK], self._scans[pos].index

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
        for i, rec in enumerate(self._lists[pos]):
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
            hit = self.record(path)
            if hit is None:
                break
            rec = hit[0]
            if rec[1] != SYMLINK:
                return rec[1] == DIR
            target = rec[6]
            if not target.startswith("/"):
                target = posixpath.join(posixpath.dirname(path), target)
            path = "/" + posixpath.normpath(target).lstrip("/")  # ".." stops at the image root
        else:
            return False
        return self._has_below(path)

    def _has_below(self, path: str) -> bool:
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

    def sorted_entries(self) -> Iterator[FileEntry]:
        """Every visible entry, by path (Python's string order)."""
        for path in sorted(self._files):
            yield FileEntry.of(*self._entry(self._files[path]))

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
            hit = self.record(candidate)
            if hit is None:
                return None
            rec = hit[0]
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


_SEL = "SELECT r.ord, r.key, r.kind, r.size, r.mode, r.uid, r.gid, r.link"


class SpilledView(SquashedView):
    """The squashed view of layers whose records are in a ``SpillStore``: a table of the
    visible paths (path -> record), computed in one pass over the records in subtree order.

    The rows come ordered by ``key`` (the path with "/" as NUL), so a directory's subtree
    follows the directory itself; a stack of the ancestors that delete something below them
    gives, for each path, the horizon under which lower entries are gone: a whiteout or an
    opaque marker deletes what lower layers put there, a file replacing a directory deletes
    what was added before it. A path's last entry (in layer, then archive order) is visible
    when it is newer than that horizon and than a whiteout of the path itself: the same
    rules as the in-memory view, applied in order of paths instead of order of entries.
    """

    def __init__(self, scans: Sequence[LayerScan]) -> None:
        self._scans = list(scans)
        store = spill_all(s.files for s in self._scans)
        self._store: SpillStore = store
        self._index = {s.files.table_id: s.index for s in self._scans}  # table id -> layer index
        self._table = f"view_{store.new_view()}"
        with store.lock:
            store.conn.execute(
                f"CREATE TABLE {self._table} (path BLOB PRIMARY KEY, ord INTEGER NOT NULL) WITHOUT ROWID"
            )
            self._len = self._build()

    def _build(self) -> int:
        tids = [s.files.table_id for s in self._scans]
        mask = (1 << SHIFT) - 1
        # Entries compare by (layer position, archive position). With table ids in layer order
        # (the usual case: ids are reserved by layer index) that is the order of ``ord`` itself;
        # otherwise ords are mapped to position << SHIFT | index, and back for the lookup.
        if all(a < b for a, b in itertools.pairwise(tids)):
            v_expr, h_expr = "ord", f"tid << {SHIFT}"
        else:
            cases = " ".join(f"WHEN {t} THEN {p}" for p, t in enumerate(tids))
            v_expr = f"((CASE ord >> {SHIFT} {cases} END) << {SHIFT} | (ord & {mask}))"
            h_expr = f"((CASE tid {cases} END) << {SHIFT})"
        remap = v_expr != "ord"
        ids = ",".join(str(t) for t in tids)
        conn = self._store.conn
        # Per path, the horizons of its whiteouts (for the path itself and what lies below) and
        # of its opaque markers (below only): a horizon deletes the entries before it, i.e. of
        # lower layers. In key order from the index, like the records below (INDEXED BY: a
        # plan that sorts would hold every row in memory, temp_store being memory).
        events = conn.execute(
            f"SELECT key, max(CASE WHEN kind = 'w' THEN h ELSE -1 END), max(h) FROM"
            f" (SELECT key, kind, {h_expr} AS h FROM mark INDEXED BY mark_key WHERE tid IN ({ids}))"
            " GROUP BY key ORDER BY key"
        )
        done = (b"\xff", -1, -1)  # after every key: UTF-8 has no 0xff byte
        ev = next(events, done)
        stack: list[tuple[bytes, int]] = []  # (ancestor key + NUL, horizon below it)
        out: list[tuple[bytes, int]] = []
        count = 0
        insert = f"INSERT INTO {self._table} VALUES (?, ?)"
        # per path: its last entry, its last entry that is not a directory (in subtree order:
        # the index on ``key`` gives the rows grouped and ordered, nothing is sorted)
        cursor = conn.execute(
            f"SELECT key, max(v), max(CASE WHEN kind <> 'd' THEN v ELSE -1 END) FROM"
            f" (SELECT key, kind, {v_expr} AS v FROM rec INDEXED BY rec_key WHERE ord >> {SHIFT} IN ({ids}))"
            " GROUP BY key ORDER BY key"
        )
        for row in cursor:
            key = row[0]
            while True:
                if ev[0] < key:  # a deleted path with no entry of its own
                    k, last, last_nondir = ev[0], -1, -1
                    own, below = ev[1], ev[2]
                    ev = next(events, done)
                else:
                    k, last, last_nondir = row
                    if ev[0] == key:
                        own, below = ev[1], ev[2]
                        ev = next(events, done)
                    else:
                        own = below = -1
                while stack and not k.startswith(stack[-1][0]):
                    stack.pop()
                inherited = stack[-1][1] if stack else -1
                if last >= 0 and last >= inherited and last >= own:
                    if remap:
                        last = tids[last >> SHIFT] << SHIFT | (last & mask)
                    out.append((k.replace(b"\0", b"/"), last))
                    count += 1
                    if len(out) >= CHUNK:
                        self._store.insert_rows(insert, out)
                        out.clear()
                h = max(inherited, below, last_nondir)
                if h > inherited:
                    stack.append((k if k == b"\0" else k + b"\0", h))  # the root's key is NUL
                if k is key:
                    break
        if out:
            self._store.insert_rows(insert, out)
        return count

    def _fetch(self, sql: str, args: tuple[object, ...]) -> list[tuple[Any, ...]]:
        with self._store.lock:
            return self._store.conn.execute(sql, args).fetchall()

    # -- queries -------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._len

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self.layer_of(path) is not None

    def record(self, path: str) -> tuple[FileRecord, int] | None:
        rows = self._fetch(f"{_SEL} FROM {self._table} v JOIN rec r ON r.ord = v.ord WHERE v.path = ?",
                           (encode(path),))
        return (row_record(rows[0]), self._index[rows[0][0] >> SHIFT]) if rows else None

    def get(self, path: str) -> FileEntry | None:
        hit = self.record(path)
        return FileEntry.of(*hit) if hit is not None else None

    def find(self, path: str) -> tuple[int, str] | None:
        hit = self.record(path)
        return (hit[1], hit[0][1]) if hit is not None else None

    def layer_of(self, path: str) -> int | None:
        rows = self._fetch(f"SELECT ord FROM {self._table} WHERE path = ?", (encode(path),))
        return self._index[rows[0][0] >> SHIFT] if rows else None

    def _has_below(self, path: str) -> bool:
        lo = encode(path.rstrip("/")) + b"/"
        hi = lo[:-1] + b"0"  # "0" follows "/": [P/, P0) holds exactly the paths under P
        return bool(self._fetch(f"SELECT 1 FROM {self._table} WHERE path > ? AND path < ? LIMIT 1", (lo, hi)))

    def _pages(self, sql: str) -> Iterator[tuple[Any, ...]]:
        """Rows of ``sql`` (whose first column is the view's path, and which takes the last
        path seen) a chunk at a time, in path order: the lock is not held between chunks."""
        last = b""
        while True:
            rows = self._fetch(sql, (last, CHUNK))
            yield from rows
            if len(rows) < CHUNK:
                return
            last = rows[-1][0]

    def paths(self) -> Iterator[str]:
        for row in self._pages(f"SELECT path FROM {self._table} WHERE path > ? ORDER BY path LIMIT ?"):
            yield decode(row[0])

    def sorted_entries(self) -> Iterator[FileEntry]:
        index = self._index
        sql = (f"SELECT v.path, r.kind, r.size, r.mode, r.uid, r.gid, r.link, r.ord FROM {self._table} v"
               " JOIN rec r ON r.ord = v.ord WHERE v.path > ? ORDER BY v.path LIMIT ?")
        for p, kind, size, mode, uid, gid, link, o in self._pages(sql):
            yield FileEntry(p.decode("utf-8", "surrogatepass"), kind, size, mode, uid, gid,
                            link.decode("utf-8", "surrogatepass") if link else "", index[o >> SHIFT])

    def __iter__(self) -> Iterator[FileEntry]:
        return self.sorted_entries()


def all_files(scans: Sequence[LayerScan]) -> Iterator[FileEntry]:
    """Every file of every layer, deleted or not."""
    for scan in scans:
        for rec in scan.files:
            yield FileEntry.of(rec, scan.index)
