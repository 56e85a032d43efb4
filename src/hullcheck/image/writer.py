"""Write container images: OCI layout, OCI archive and docker-archive, reproducibly.

Used by the benchmark image builder (``bench/images``) and by tests that need real images. The
input is a list of layers (a directory tree and/or explicit tar members, each with its history
text) plus a config; the output is byte-for-byte reproducible: every member gets a fixed mtime,
entries are sorted, owners are root unless asked otherwise, gzip headers carry no time or name.

The flow: ``build_image`` streams each layer once (tar -> sha256 for the diff_id -> compressor
-> sha256 for the blob digest -> blob file) into a blob store, then writes config and manifest.
The resulting ``BuiltImage`` is written out in any format without recompressing; a
docker-archive, whose layers are plain tars, decompresses the stored blob on the fly.

Written here rather than driving skopeo/umoci/buildah because those need a daemon, a registry or
non-reproducible metadata, and because tests want precise control over tar members (whiteouts,
hardlinks, hostile paths) that no image builder exposes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, Literal, Protocol

import zstandard

try:  # isal's igzip is several times faster than zlib for the same deflate stream format
    from isal import igzip as _gzip_mod
except ImportError:  # pragma: no cover - isal is a declared dependency
    import gzip as _gzip_mod  # type: ignore[no-redef]

# 2023-11-14T22:13:20Z: a fixed, non-zero time (some tools treat mtime 0 as "unset").
DEFAULT_EPOCH = 1_700_000_000
_CHUNK = 1 << 20

MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
REF_NAME = "org.opencontainers.image.ref.name"

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"


class Compression(StrEnum):
    """Layer compression; the value is the media-type suffix."""

    GZIP = "gzip"
    ZSTD = "zstd"
    NONE = "none"

    @property
    def media_type(self) -> str:
        return MT_OCI_LAYER if self is Compression.NONE else f"{MT_OCI_LAYER}+{self.value}"


MemberKind = Literal["file", "dir", "symlink", "hardlink", "fifo", "chardev", "blockdev"]


@dataclass(frozen=True)
class Member:
    """One explicit tar member. ``path`` is relative to the image root ("usr/bin/x"); a leading
    "/" or "./" is dropped. ``target`` is the link target for symlinks and hardlinks (for a
    hardlink: another member's path). ``pax`` adds PAX records (e.g. ``SCHILY.xattr.*``)."""

    path: str
    kind: MemberKind = "file"
    data: bytes = b""
    mode: int | None = None  # None: 0o755 for dirs, 0o644 otherwise (setuid etc. allowed)
    target: str = ""
    uid: int = 0
    gid: int = 0
    mtime: int | None = None  # None: the layer's epoch
    devmajor: int = 0
    devminor: int = 0
    pax: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def file(path: str, data: bytes | str, mode: int = 0o644, **kw: Any) -> Member:
        raw = data.encode() if isinstance(data, str) else data
        return Member(path, "file", raw, mode, **kw)

    @staticmethod
    def dir(path: str, mode: int = 0o755, **kw: Any) -> Member:
        return Member(path, "dir", mode=mode, **kw)

    @staticmethod
    def symlink(path: str, target: str, **kw: Any) -> Member:
        return Member(path, "symlink", mode=0o777, target=target, **kw)

    @staticmethod
    def hardlink(path: str, target: str, **kw: Any) -> Member:
        return Member(path, "hardlink", target=target, **kw)

    @staticmethod
    def whiteout(path: str) -> Member:
        """Deletes ``path`` (file or directory) of lower layers: an empty ``.wh.<name>`` file."""
        parent, _, name = _clean(path).rpartition("/")
        return Member(f"{parent}/{WHITEOUT_PREFIX}{name}" if parent else f"{WHITEOUT_PREFIX}{name}")

    @staticmethod
    def opaque(dir_path: str) -> Member:
        """Hides everything lower layers put in ``dir_path``; this layer's own entries remain."""
        return Member(f"{_clean(dir_path)}/{OPAQUE_MARKER}")


@dataclass(frozen=True)
class LayerSpec:
    """One layer: the contents of ``tree`` (its root becomes the image root) merged with
    ``members`` (an explicit member replaces the tree's entry at the same path).

    ``keep_owners`` keeps the tree's numeric uid/gid (a rootfs made by dpkg as root has real
    group owners such as shadow); otherwise every entry is root-owned. ``exclude`` is called
    with each tree-relative path and drops it (and, for a directory, its contents) when true.
    ``add_parents`` adds missing parent directories of explicit members, as docker does.
    ``allow_unsafe`` lets ``..`` and absolute targets through unchanged, for hostile-input tests.
    """

    created_by: str
    tree: Path | None = None
    members: tuple[Member, ...] = ()
    comment: str = ""
    keep_owners: bool = False
    exclude: Callable[[str], bool] | None = None
    add_parents: bool = True
    allow_unsafe: bool = False


@dataclass(frozen=True)
class EmptyHistory:
    """A history entry with no layer (ENV, CMD, LABEL...: ``empty_layer: true``)."""

    created_by: str
    comment: str = ""


@dataclass(frozen=True)
class ImageConfig:
    """The runtime config (the OCI config's ``config`` object) plus platform."""

    user: str = ""
    env: tuple[str, ...] = ("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",)
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    working_dir: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    exposed_ports: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    stop_signal: str = ""
    healthcheck: dict[str, Any] | None = field(default=None, hash=False, compare=False)
    architecture: str = "amd64"
    os: str = "linux"
    variant: str | None = None
    author: str = ""

    def to_json(self) -> dict[str, Any]:
        c: dict[str, Any] = {}
        if self.user:
            c["User"] = self.user
        if self.env:
            c["Env"] = list(self.env)
        if self.entrypoint is not None:
            c["Entrypoint"] = list(self.entrypoint)
        if self.cmd is not None:
            c["Cmd"] = list(self.cmd)
        if self.working_dir:
            c["WorkingDir"] = self.working_dir
        if self.labels:
            c["Labels"] = dict(self.labels)
        if self.exposed_ports:
            c["ExposedPorts"] = {p: {} for p in self.exposed_ports}
        if self.volumes:
            c["Volumes"] = {v: {} for v in self.volumes}
        if self.stop_signal:
            c["StopSignal"] = self.stop_signal
        if self.healthcheck is not None:
            c["Healthcheck"] = self.healthcheck
        return c


@dataclass(frozen=True)
class BuiltLayer:
    digest: str  # of the stored blob
    diff_id: str  # of the uncompressed tar
    size: int  # stored blob size
    diff_size: int  # uncompressed tar size
    media_type: str
    compression: Compression
    created_by: str


@dataclass(frozen=True)
class BuiltImage:
    """An image whose blobs sit in ``blob_dir`` (``<blob_dir>/<hex>``); write it out with
    ``write_oci_layout``, ``write_oci_archive`` or ``write_docker_archive``."""

    blob_dir: Path
    layers: tuple[BuiltLayer, ...]
    config: bytes
    config_digest: str
    manifest: bytes
    manifest_digest: str
    platform: dict[str, str]
    epoch: int

    def to_record(self) -> dict[str, Any]:
        """A JSON-able record, so a later run can stack on this image without rebuilding it."""
        return {
            "layers": [{**ly.__dict__, "compression": ly.compression.value} for ly in self.layers],
            "config": self.config.decode(),
            "manifest": self.manifest.decode(),
            "platform": self.platform,
            "epoch": self.epoch,
        }

    @staticmethod
    def from_record(blob_dir: Path, rec: dict[str, Any]) -> BuiltImage:
        layers = tuple(
            BuiltLayer(**{**ly, "compression": Compression(ly["compression"])})
            for ly in rec["layers"]
        )
        config, manifest = rec["config"].encode(), rec["manifest"].encode()
        return BuiltImage(
            blob_dir=blob_dir,
            layers=layers,
            config=config,
            config_digest=sha256_digest(config),
            manifest=manifest,
            manifest_digest=sha256_digest(manifest),
            platform=dict(rec["platform"]),
            epoch=int(rec["epoch"]),
        )

    def blob_path(self, digest: str) -> Path:
        return self.blob_dir / digest.split(":", 1)[1]

    def blobs(self) -> list[tuple[str, Path]]:
        """(digest, path) of every blob the OCI layout needs, deduplicated, in a fixed order."""
        seen: dict[str, Path] = {}
        for d in [self.manifest_digest, self.config_digest, *(ly.digest for ly in self.layers)]:
            seen.setdefault(d, self.blob_path(d))
        return sorted(seen.items())


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _clean(path: str) -> str:
    p = path
    while p.startswith("./"):
        p = p[2:]
    return p.strip("/")


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


# --------------------------------------------------------------------------------- streaming


class Writable(Protocol):
    """Where layer tars go: anything with ``write`` (a file, a compressor, a socket wrapper)."""

    def write(self, data: bytes, /) -> int: ...


class _Sink(Writable, Protocol):
    def close(self) -> None: ...


class _HashingWriter:
    """Hashes and counts everything written and forwards it to ``sink`` in ~1 MiB pieces.

    It also answers ``tell()``, which lets ``tarfile`` write to it in plain "w" mode: the
    stream mode ("w|") appends each write to a bytes buffer, which is slow for big trees."""

    def __init__(self, sink: Writable | None, hashing: bool = True) -> None:
        self.sink = sink
        self.hash = hashlib.sha256() if hashing else None
        self.count = 0
        self._buf = bytearray()

    def write(self, b: Any) -> int:
        n = len(b) if isinstance(b, bytes | bytearray) else memoryview(b).nbytes
        self.count += n
        if n >= _CHUNK:
            self.flush()
            self._emit(b)
        else:
            self._buf += b
            if len(self._buf) >= _CHUNK:
                self.flush()
        return n

    def tell(self) -> int:
        return self.count

    def _emit(self, b: Any) -> None:
        if self.hash is not None:
            self.hash.update(b)
        if self.sink is not None:
            self.sink.write(b)

    def flush(self) -> None:
        if self._buf:
            self._emit(bytes(self._buf))
            self._buf.clear()

    def close(self) -> None:
        self.flush()

    @property
    def digest(self) -> str:
        self.flush()
        assert self.hash is not None
        return "sha256:" + self.hash.hexdigest()


def _compressor(kind: Compression, out: _HashingWriter, level: int | None) -> _Sink:
    if kind is Compression.GZIP:
        lvl = 1 if level is None else level
        # filename "" and mtime 0: the gzip header must not depend on when or where we ran.
        return _gzip_mod.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=lvl, mtime=0)
    if kind is Compression.ZSTD:
        cctx = zstandard.ZstdCompressor(level=3 if level is None else level, threads=0)
        return cctx.stream_writer(out, closefd=False)  # type: ignore[arg-type]
    return out


# ----------------------------------------------------------------------------- tar members


def _tarinfo_for_member(m: Member, epoch: int, allow_unsafe: bool) -> tarfile.TarInfo:
    path = m.path if allow_unsafe else _clean(m.path)
    if not allow_unsafe and (not path or ".." in path.split("/")):
        raise ValueError(f"unsafe member path: {m.path!r}")
    ti = tarfile.TarInfo(path)
    ti.uid, ti.gid, ti.uname, ti.gname = m.uid, m.gid, "", ""
    ti.mtime = epoch if m.mtime is None else m.mtime
    kinds = {
        "file": tarfile.REGTYPE,
        "dir": tarfile.DIRTYPE,
        "symlink": tarfile.SYMTYPE,
        "hardlink": tarfile.LNKTYPE,
        "fifo": tarfile.FIFOTYPE,
        "chardev": tarfile.CHRTYPE,
        "blockdev": tarfile.BLKTYPE,
    }
    ti.type = kinds[m.kind]
    ti.mode = m.mode if m.mode is not None else (0o755 if m.kind == "dir" else 0o644)
    if m.kind == "file":
        ti.size = len(m.data)
    if m.kind in ("symlink", "hardlink"):
        ti.linkname = m.target if (allow_unsafe or m.kind == "symlink") else _clean(m.target)
    if m.kind in ("chardev", "blockdev"):
        ti.devmajor, ti.devminor = m.devmajor, m.devminor
    if m.pax:
        ti.pax_headers = dict(m.pax)
    return ti


def _sort_key(path: str) -> tuple[str, ...]:
    # Component-wise order puts every directory right before its contents.
    return tuple(path.split("/"))


@dataclass
class _TreeEntry:
    rel: str
    full: Path
    st: os.stat_result


def _children(rel_dir: str, full_dir: Path) -> Iterator[tuple[str, Path]]:
    with os.scandir(full_dir) as it:
        names = sorted(e.name for e in it)
    for name in names:
        yield (f"{rel_dir}/{name}" if rel_dir else name), full_dir / name


def _walk_tree(root: Path, exclude: Callable[[str], bool] | None) -> Iterator[_TreeEntry]:
    """Yields every entry under ``root`` (not root itself) depth-first, siblings by name: the
    same order as ``_sort_key``, so explicit members can be merged in."""
    stack = [_children("", root)]
    while stack:
        nxt = next(stack[-1], None)
        if nxt is None:
            stack.pop()
            continue
        rel, full = nxt
        if exclude is not None and exclude(rel):
            continue
        st = full.lstat()
        yield _TreeEntry(rel, full, st)
        if stat.S_ISDIR(st.st_mode):
            stack.append(_children(rel, full))


def _tree_tarinfo(
    e: _TreeEntry, epoch: int, keep_owners: bool, inodes: dict[tuple[int, int], str]
) -> tarfile.TarInfo | None:
    st = e.st
    ti = tarfile.TarInfo(e.rel)
    ti.mode = stat.S_IMODE(st.st_mode)
    ti.mtime = epoch
    ti.uid, ti.gid = (st.st_uid, st.st_gid) if keep_owners else (0, 0)
    ti.uname = ti.gname = ""
    m = st.st_mode
    if stat.S_ISREG(m):
        key = (st.st_dev, st.st_ino)
        if st.st_nlink > 1 and key in inodes:
            ti.type, ti.linkname = tarfile.LNKTYPE, inodes[key]
        else:
            if st.st_nlink > 1:
                inodes[key] = e.rel
            ti.type, ti.size = tarfile.REGTYPE, st.st_size
    elif stat.S_ISDIR(m):
        ti.type = tarfile.DIRTYPE
    elif stat.S_ISLNK(m):
        ti.type, ti.linkname = tarfile.SYMTYPE, os.readlink(e.full)
    elif stat.S_ISFIFO(m):
        ti.type = tarfile.FIFOTYPE
    elif stat.S_ISCHR(m) or stat.S_ISBLK(m):
        ti.type = tarfile.CHRTYPE if stat.S_ISCHR(m) else tarfile.BLKTYPE
        ti.devmajor, ti.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
    else:  # sockets and the like have no tar form
        return None
    return ti


def write_layer_tar(spec: LayerSpec, out: Writable, epoch: int = DEFAULT_EPOCH) -> None:
    """Writes the uncompressed layer tar of ``spec`` to ``out`` (a stream: only ``write``)."""
    explicit: dict[str, Member] = {}
    for m in spec.members:
        key = m.path if spec.allow_unsafe else _clean(m.path)
        if key in explicit:
            raise ValueError(f"duplicate member path in layer: {key!r}")
        explicit[key] = m
    auto: set[str] = set()  # added parents: a tree entry at the same path wins over them
    if spec.add_parents:
        for key in list(explicit):
            parts = key.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                parent = "/".join(parts[:i])
                if parent and parent not in explicit:
                    explicit[parent] = Member.dir(parent)
                    auto.add(parent)

    tree_entries: Iterator[_TreeEntry] = (
        _walk_tree(spec.tree, spec.exclude) if spec.tree is not None else iter(())
    )
    # Merge the (sorted) tree walk with the sorted explicit members; explicit wins on a tie.
    explicit_sorted = sorted(explicit, key=_sort_key)
    inodes: dict[tuple[int, int], str] = {}
    sink = out if isinstance(out, _HashingWriter) else _HashingWriter(out, hashing=False)
    # copybufsize: the 16 KiB default costs time on big trees
    with tarfile.TarFile(
        fileobj=sink,  # type: ignore[arg-type]
        mode="w",
        format=tarfile.PAX_FORMAT,
        copybufsize=_CHUNK,
    ) as tf:

        def add_member(key: str) -> None:
            m = explicit[key]
            ti = _tarinfo_for_member(m, epoch, spec.allow_unsafe)
            tf.addfile(ti, io.BytesIO(m.data) if m.kind == "file" else None)

        ei = 0
        for te in tree_entries:
            tkey = _sort_key(te.rel)
            while ei < len(explicit_sorted) and _sort_key(explicit_sorted[ei]) < tkey:
                add_member(explicit_sorted[ei])
                ei += 1
            if ei < len(explicit_sorted) and explicit_sorted[ei] == te.rel:
                ei += 1
                if te.rel not in auto:
                    add_member(te.rel)
                    continue
            ti = _tree_tarinfo(te, epoch, spec.keep_owners, inodes)
            if ti is None:
                continue
            if ti.type == tarfile.REGTYPE:
                with open(te.full, "rb") as f:
                    tf.addfile(ti, f)
            else:
                tf.addfile(ti)
        for key in explicit_sorted[ei:]:
            add_member(key)
    sink.flush()


# ----------------------------------------------------------------------------------- build


def _store_layer(
    spec: LayerSpec, blob_dir: Path, compression: Compression, level: int | None, epoch: int
) -> BuiltLayer:
    fd, tmp_name = tempfile.mkstemp(dir=blob_dir, prefix=".tmp-layer-")
    try:
        with os.fdopen(fd, "wb") as raw:
            blob_hash = _HashingWriter(raw)
            comp = _compressor(compression, blob_hash, level)
            tar_hash = _HashingWriter(comp)
            write_layer_tar(spec, tar_hash, epoch)
            tar_hash.flush()
            if comp is not blob_hash:
                comp.close()
            blob_hash.flush()
        digest = blob_hash.digest
        os.replace(tmp_name, blob_dir / digest.split(":", 1)[1])
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return BuiltLayer(
        digest=digest,
        diff_id=tar_hash.digest,
        size=blob_hash.count,
        diff_size=tar_hash.count,
        media_type=compression.media_type,
        compression=compression,
        created_by=spec.created_by,
    )


def _put_blob(blob_dir: Path, data: bytes) -> str:
    digest = sha256_digest(data)
    path = blob_dir / digest.split(":", 1)[1]
    if not path.exists():
        path.write_bytes(data)
    return digest


def build_image(
    steps: Sequence[LayerSpec | EmptyHistory],
    config: ImageConfig,
    blob_dir: Path,
    *,
    compression: Compression = Compression.GZIP,
    level: int | None = None,
    epoch: int = DEFAULT_EPOCH,
    manifest_annotations: dict[str, str] | None = None,
    base: BuiltImage | None = None,
    on_layer: Callable[[BuiltLayer], None] | None = None,
) -> BuiltImage:
    """Builds the layers of ``steps`` into ``blob_dir`` and returns the image.

    ``base`` puts another built image's layers and history underneath (its blobs must be in the
    same ``blob_dir``), as ``FROM`` does: the base's layers are reused, not rebuilt.
    """
    blob_dir.mkdir(parents=True, exist_ok=True)
    created = _iso(epoch)
    layers: list[BuiltLayer] = []
    history: list[dict[str, Any]] = []
    if base is not None:
        layers.extend(base.layers)
        history.extend(json.loads(base.config)["history"])
    for step in steps:
        if isinstance(step, EmptyHistory):
            h: dict[str, Any] = {"created": created, "created_by": step.created_by}
            if step.comment:
                h["comment"] = step.comment
            h["empty_layer"] = True
            history.append(h)
            continue
        built = _store_layer(step, blob_dir, compression, level, epoch)
        layers.append(built)
        if on_layer is not None:
            on_layer(built)
        h = {"created": created, "created_by": step.created_by}
        if step.comment:
            h["comment"] = step.comment
        history.append(h)

    platform = {"architecture": config.architecture, "os": config.os}
    if config.variant:
        platform["variant"] = config.variant
    cfg: dict[str, Any] = {
        "created": created,
        **platform,
        "config": config.to_json(),
        "rootfs": {"type": "layers", "diff_ids": [ly.diff_id for ly in layers]},
        "history": history,
    }
    if config.author:
        cfg["author"] = config.author
    config_bytes = _json_bytes(cfg)
    config_digest = _put_blob(blob_dir, config_bytes)
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": MT_OCI_MANIFEST,
        "config": {"mediaType": MT_OCI_CONFIG, "digest": config_digest, "size": len(config_bytes)},
        "layers": [
            {"mediaType": ly.media_type, "digest": ly.digest, "size": ly.size} for ly in layers
        ],
    }
    if manifest_annotations:
        manifest["annotations"] = dict(manifest_annotations)
    manifest_bytes = _json_bytes(manifest)
    manifest_digest = _put_blob(blob_dir, manifest_bytes)
    return BuiltImage(
        blob_dir=blob_dir,
        layers=tuple(layers),
        config=config_bytes,
        config_digest=config_digest,
        manifest=manifest_bytes,
        manifest_digest=manifest_digest,
        platform=platform,
        epoch=epoch,
    )


# ---------------------------------------------------------------------------------- output


def _descriptor(img: BuiltImage, tag: str | None) -> dict[str, Any]:
    d: dict[str, Any] = {
        "mediaType": MT_OCI_MANIFEST,
        "digest": img.manifest_digest,
        "size": len(img.manifest),
        "platform": img.platform,
    }
    if tag:
        d["annotations"] = {REF_NAME: tag}
    return d


def _index_json(obj_manifests: list[dict[str, Any]]) -> bytes:
    return _json_bytes({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": obj_manifests})


def _layout_index(
    images: Sequence[tuple[BuiltImage, str | None]], index_tag: str | None
) -> tuple[bytes, dict[str, bytes]]:
    """index.json for ``images``, plus extra blobs: with ``index_tag`` the images go into one
    nested image index (a multi-platform image) that index.json names ``index_tag``."""
    if index_tag is None:
        return _index_json([_descriptor(img, tag) for img, tag in images]), {}
    nested = _index_json([_descriptor(img, None) for img, _ in images])
    digest = sha256_digest(nested)
    top = {"mediaType": MT_OCI_INDEX, "digest": digest, "size": len(nested)}
    top["annotations"] = {REF_NAME: index_tag}
    return _index_json([top]), {digest: nested}


_OCI_LAYOUT = _json_bytes({"imageLayoutVersion": "1.0.0"})


def write_oci_layout(
    dest: Path, images: Sequence[tuple[BuiltImage, str | None]], *, index_tag: str | None = None
) -> Path:
    """Writes an OCI image layout directory holding ``images`` (each with an optional ref name
    such as "latest"; or, with ``index_tag``, all under one multi-platform index of that name).
    Blobs are hard-linked from the blob store when possible, else copied."""
    if dest.exists():
        shutil.rmtree(dest)
    blobs = dest / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    index, extra = _layout_index(images, index_tag)
    for img, _ in images:
        for digest, src in img.blobs():
            target = blobs / digest.split(":", 1)[1]
            if target.exists():
                continue
            try:
                os.link(src, target)
            except OSError:
                shutil.copyfile(src, target)
    for digest, data in extra.items():
        (blobs / digest.split(":", 1)[1]).write_bytes(data)
    (dest / "oci-layout").write_bytes(_OCI_LAYOUT)
    (dest / "index.json").write_bytes(index)
    return dest


class _TarOut:
    """A deterministic outer tar (archives of layouts and docker-archives)."""

    def __init__(self, path: Path, epoch: int) -> None:
        self.epoch = epoch
        self._fh = open(path, "wb")  # noqa: SIM115 - closed in close()
        self.tf = tarfile.TarFile(
            fileobj=self._fh, mode="w", format=tarfile.PAX_FORMAT, copybufsize=_CHUNK
        )
        self._dirs: set[str] = set()

    def _info(self, name: str, kind: bytes, mode: int, size: int = 0) -> tarfile.TarInfo:
        ti = tarfile.TarInfo(name)
        ti.type, ti.mode, ti.size, ti.mtime = kind, mode, size, self.epoch
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = ""
        return ti

    def dir(self, name: str) -> None:
        if name not in self._dirs:
            self._dirs.add(name)
            self.tf.addfile(self._info(name, tarfile.DIRTYPE, 0o755))

    def bytes(self, name: str, data: bytes) -> None:
        self.tf.addfile(self._info(name, tarfile.REGTYPE, 0o644, len(data)), io.BytesIO(data))

    def file(self, name: str, src: Path) -> None:
        with open(src, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            self.tf.addfile(self._info(name, tarfile.REGTYPE, 0o644, size), f)

    def stream(self, name: str, src: BinaryIO, size: int) -> None:
        self.tf.addfile(self._info(name, tarfile.REGTYPE, 0o644, size), src)

    def close(self) -> None:
        self.tf.close()
        self._fh.close()


def write_oci_archive(
    dest: Path, images: Sequence[tuple[BuiltImage, str | None]], *, index_tag: str | None = None
) -> Path:
    """Writes an OCI archive: the OCI layout as one tar (what ``oci-archive:`` reads)."""
    epoch = images[0][0].epoch if images else DEFAULT_EPOCH
    index, extra = _layout_index(images, index_tag)
    blobs: dict[str, Path | bytes] = dict(extra)
    for img, _ in images:
        for digest, src in img.blobs():
            blobs.setdefault(digest, src)
    out = _TarOut(dest, epoch)
    try:
        out.bytes("oci-layout", _OCI_LAYOUT)
        out.bytes("index.json", index)
        out.dir("blobs/")
        out.dir("blobs/sha256/")
        for digest in sorted(blobs):
            name, blob = f"blobs/sha256/{digest.split(':', 1)[1]}", blobs[digest]
            if isinstance(blob, bytes):
                out.bytes(name, blob)
            else:
                out.file(name, blob)
    finally:
        out.close()
    return dest


def open_uncompressed(img: BuiltImage, layer: BuiltLayer) -> BinaryIO:
    """The layer's tar stream, decompressing the stored blob."""
    f = open(img.blob_path(layer.digest), "rb")  # noqa: SIM115 - handed to the caller
    if layer.compression is Compression.GZIP:
        return _gzip_mod.GzipFile(fileobj=f, mode="rb")  # type: ignore[return-value]
    if layer.compression is Compression.ZSTD:
        return zstandard.ZstdDecompressor().stream_reader(f, closefd=True)
    return f


def _v1_ids(img: BuiltImage) -> list[str]:
    """Docker's legacy per-layer ids: a chain over the diff_ids (only their being stable and
    distinct per chain matters to readers)."""
    ids: list[str] = []
    parent = ""
    for ly in img.layers:
        parent = hashlib.sha256(_json_bytes({"layer_id": ly.diff_id, "parent": parent})).hexdigest()
        ids.append(parent)
    return ids


def write_docker_archive(
    dest: Path,
    img: BuiltImage,
    repo_tags: Iterable[str] = (),
    *,
    layout: Literal["classic", "oci"] = "classic",
    keep_compressed: bool = False,
) -> Path:
    """Writes what ``docker save`` writes.

    ``classic`` (Docker < 25): ``manifest.json``, ``<config hex>.json``, ``<id>/layer.tar`` (+
    ``VERSION`` and legacy ``json``), ``repositories``. ``oci`` (Docker 25+): an OCI layout with
    uncompressed layer blobs plus ``manifest.json`` pointing into ``blobs/sha256/``.
    ``keep_compressed`` stores the blobs as built instead of plain tars (docker loads both).
    """
    tags = list(repo_tags)
    out = _TarOut(dest, img.epoch)
    try:
        if layout == "classic":
            _docker_classic(out, img, tags, keep_compressed)
        else:
            _docker_oci(out, img, tags, keep_compressed)
    finally:
        out.close()
    return dest


def _layer_member(out: _TarOut, name: str, img: BuiltImage, ly: BuiltLayer, keep: bool) -> None:
    if keep or ly.compression is Compression.NONE:
        out.file(name, img.blob_path(ly.digest))
        return
    with open_uncompressed(img, ly) as src:
        out.stream(name, src, ly.diff_size)


def _docker_classic(out: _TarOut, img: BuiltImage, tags: list[str], keep: bool) -> None:
    cfg_hex = img.config_digest.split(":", 1)[1]
    ids = _v1_ids(img)
    cfg = json.loads(img.config)
    layer_paths: list[str] = []
    created = _iso(img.epoch)
    for i, (ly, lid) in enumerate(zip(img.layers, ids, strict=True)):
        name = f"{lid}/layer.tar"
        layer_paths.append(name)
        out.dir(f"{lid}/")
        out.bytes(f"{lid}/VERSION", b"1.0")
        v1: dict[str, Any] = {"id": lid, "created": created, "os": cfg.get("os", "linux")}
        if i:
            v1["parent"] = ids[i - 1]
        if i == len(ids) - 1:
            v1["config"] = cfg.get("config", {})
            v1["architecture"] = cfg.get("architecture", "amd64")
        out.bytes(f"{lid}/json", _json_bytes(v1))
        _layer_member(out, name, img, ly, keep)
    out.bytes(f"{cfg_hex}.json", img.config)
    manifest = [{"Config": f"{cfg_hex}.json", "RepoTags": tags or None, "Layers": layer_paths}]
    out.bytes("manifest.json", json.dumps(manifest, separators=(",", ":")).encode())
    if tags and ids:
        repos: dict[str, dict[str, str]] = {}
        for t in tags:
            repo, _, tag = t.rpartition(":")
            repos.setdefault(repo, {})[tag] = ids[-1]
        out.bytes("repositories", _json_bytes(repos))


def _docker_full_name(tag: str) -> str:
    """ "app:1" -> "docker.io/library/app:1", as Docker 25+ writes it in index.json."""
    first, sep, _ = tag.partition("/")
    if not sep:
        return f"docker.io/library/{tag}"
    if "." in first or ":" in first or first == "localhost":
        return tag
    return f"docker.io/{tag}"


def _docker_oci(out: _TarOut, img: BuiltImage, tags: list[str], keep: bool) -> None:
    # Docker 25+ stores layers uncompressed, so the manifest and its digest differ from the
    # built (compressed) one: write a matching manifest for the plain-tar blobs.
    layers: list[tuple[str, str, int, BuiltLayer]] = []  # digest, media type, size, layer
    for ly in img.layers:
        if keep:
            layers.append((ly.digest, ly.media_type, ly.size, ly))
        else:
            layers.append((ly.diff_id, MT_OCI_LAYER, ly.diff_size, ly))
    manifest = _json_bytes(
        {
            "schemaVersion": 2,
            "mediaType": MT_OCI_MANIFEST,
            "config": {
                "mediaType": MT_OCI_CONFIG,
                "digest": img.config_digest,
                "size": len(img.config),
            },
            "layers": [{"mediaType": mt, "digest": d, "size": s} for d, mt, s, _ in layers],
        }
    )
    mdigest = sha256_digest(manifest)
    out.dir("blobs/")
    out.dir("blobs/sha256/")
    done: set[str] = set()
    for d, _, _, ly in layers:
        if d in done:
            continue
        done.add(d)
        _layer_member(out, f"blobs/sha256/{d.split(':', 1)[1]}", img, ly, keep)
    out.bytes(f"blobs/sha256/{img.config_digest.split(':', 1)[1]}", img.config)
    out.bytes(f"blobs/sha256/{mdigest.split(':', 1)[1]}", manifest)
    index_entries: list[dict[str, Any]] = []
    for t in tags or [""]:
        e: dict[str, Any] = {"mediaType": MT_OCI_MANIFEST, "digest": mdigest, "size": len(manifest)}
        if t:
            full = _docker_full_name(t)
            e["annotations"] = {"io.containerd.image.name": full, REF_NAME: t.rpartition(":")[2]}
        index_entries.append(e)
    out.bytes("index.json", _index_json(index_entries))
    out.bytes("oci-layout", _OCI_LAYOUT)
    dm = [
        {
            "Config": f"blobs/sha256/{img.config_digest.split(':', 1)[1]}",
            "RepoTags": tags or None,
            "Layers": [f"blobs/sha256/{d.split(':', 1)[1]}" for d, _, _, _ in layers],
        }
    ]
    out.bytes("manifest.json", json.dumps(dm, separators=(",", ":")).encode())
    if tags and layers:
        top = _v1_ids(img)[-1]
        repos: dict[str, dict[str, str]] = {}
        for t in tags:
            repo, _, tag = t.rpartition(":")
            repos.setdefault(repo, {})[tag] = top
        out.bytes("repositories", _json_bytes(repos))


def write_all(
    out_dir: Path,
    steps: Sequence[LayerSpec | EmptyHistory],
    config: ImageConfig | None = None,
    *,
    tag: str = "latest",
    repo: str = "example/image",
    compression: Compression = Compression.GZIP,
) -> dict[str, Path]:
    """One call for tests: builds ``steps`` and writes every format into ``out_dir``.

    Returns the paths by transport name: ``oci`` (layout dir, ref ``tag``), ``oci-archive``,
    ``docker-archive`` (classic, tagged ``repo:tag``) and ``docker25-archive``."""
    img = build_image(steps, config or ImageConfig(), out_dir / "blobs", compression=compression)
    ref = f"{repo}:{tag}"
    return {
        "oci": write_oci_layout(out_dir / "oci", [(img, tag)]),
        "oci-archive": write_oci_archive(out_dir / "image.oci.tar", [(img, tag)]),
        "docker-archive": write_docker_archive(out_dir / "image.docker.tar", img, [ref]),
        "docker25-archive": write_docker_archive(
            out_dir / "image.docker25.tar", img, [ref], layout="oci"
        ),
    }
