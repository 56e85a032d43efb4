"""Local image sources: OCI image layouts (directory or archive) and ``docker save`` archives."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hullcheck.config import Limits, cache_dir
from hullcheck.errors import ImageError
from hullcheck.image.blobio import GZIP_MAGIC, ZSTD_MAGIC
from hullcheck.image.blobstore import (
    BlobStore,
    DirStore,
    TarStore,
    blob_path,
    check_digest,
    read_blob_verified,
    read_small,
)
from hullcheck.image.manifest import (
    INDEX_TYPES,
    MANIFEST_TYPES,
    parse_json,
    parse_json_list,
    select_platform,
)
from hullcheck.image.source import LayerBlob, RawImage
from hullcheck.model import Platform

REF_NAME = "org.opencontainers.image.ref.name"


def _annotations(obj: Any) -> dict[str, str]:
    """A descriptor's or manifest's annotations; anything but a JSON object counts as none."""
    ann = obj.get("annotations") if isinstance(obj, dict) else None
    return {str(k): str(v) for k, v in ann.items()} if isinstance(ann, dict) else {}


def _ref_name(desc: dict[str, Any]) -> str | None:
    name = _annotations(desc).get(REF_NAME)
    return name or None


def _repo_tags(entry: Any) -> list[str]:
    """A docker-archive entry's RepoTags; anything but strings in a list is ignored."""
    tags = entry.get("RepoTags") if isinstance(entry, dict) else None
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def _layer_blob(store: BlobStore, path: str, digest: str, media_type: str, size: int) -> LayerBlob:
    return LayerBlob(digest=digest, media_type=media_type, size=size, opener=lambda: store.open_path(path))


def _pick_manifest(
    store: BlobStore,
    index: dict[str, Any],
    *,
    tag: str | None,
    digest: str | None,
    platform: Platform | None,
    limits: Limits,
    where: str,
) -> tuple[dict[str, Any], str, str]:
    """Walk index -> (nested indexes) -> one image manifest; returns (manifest, digest, media type)."""
    manifests = index.get("manifests")
    if not isinstance(manifests, list) or not manifests:
        raise ImageError(f"{where}: index.json lists no manifests")
    if digest:
        chosen = [m for m in manifests if isinstance(m, dict) and m.get("digest") == digest]
        if not chosen:
            # the digest may name an image inside a nested index: accept it if the blob exists
            chosen = [{"digest": digest, "mediaType": ""}]
    elif tag:
        chosen = [
            m
            for m in manifests
            if isinstance(m, dict) and _ref_name(m) == tag
        ]
        if not chosen:
            names = sorted(
                str(_ref_name(m)) for m in manifests if isinstance(m, dict) and _ref_name(m)
            )
            raise ImageError(f"{where}: no image tagged {tag!r} (tags: {', '.join(names) or 'none'})")
    else:
        chosen = [m for m in manifests if isinstance(m, dict)]
        if not chosen:
            raise ImageError(f"{where}: index.json lists no manifest descriptors (only malformed entries)")
    desc: dict[str, Any]
    if len(chosen) > 1:
        if all(isinstance(m.get("platform"), dict) for m in chosen):
            desc = select_platform(chosen, platform, where, unique=True)
        else:
            names = sorted({str(_ref_name(m) or m.get("digest")) for m in chosen})
            raise ImageError(f"{where} holds several images; pick one with :TAG or @DIGEST ({', '.join(names)})")
    else:
        desc = chosen[0]
    for _depth in range(4):
        d = check_digest(desc.get("digest"))
        raw = read_blob_verified(store, d, limits, f"manifest {d}")
        doc = parse_json(raw, f"manifest {d}")
        mt = doc.get("mediaType") or desc.get("mediaType") or ""
        if not isinstance(mt, str):
            raise ImageError(f"{where}: manifest {d} has a malformed mediaType")
        if mt in INDEX_TYPES or ("manifests" in doc and "layers" not in doc):
            subs = doc.get("manifests")
            if not isinstance(subs, list) or not subs:
                raise ImageError(f"{where}: index {d} lists no manifests")
            desc = select_platform([m for m in subs if isinstance(m, dict)], platform, where)
            continue
        if mt and mt not in MANIFEST_TYPES:
            raise ImageError(f"{where}: unsupported manifest media type {mt!r}")
        return doc, d, mt or "application/vnd.oci.image.manifest.v1+json"
    raise ImageError(f"{where}: indexes nested too deeply")


def _from_manifest(
    store: BlobStore, manifest: dict[str, Any], mdigest: str, mtype: str, *, source: str,
    limits: Limits, tags: tuple[str, ...] = (),
) -> RawImage:
    cfg = manifest.get("config")
    if not isinstance(cfg, dict):
        raise ImageError(f"{source}: manifest {mdigest} has no config")
    cdigest = check_digest(cfg.get("digest"))
    config_bytes = read_blob_verified(store, cdigest, limits, f"config {cdigest}")
    layers = []
    raw_layers = manifest.get("layers")
    if not isinstance(raw_layers, list):
        raise ImageError(f"{source}: manifest {mdigest} has no layers list")
    for lay in raw_layers:
        if not isinstance(lay, dict):
            raise ImageError(f"{source}: malformed layer descriptor")
        ld = check_digest(lay.get("digest"))
        path = blob_path(ld)
        if not store.exists(path):
            raise ImageError(f"{source}: layer blob {ld} is missing")
        size = store.size_of(path)
        declared = lay.get("size")
        if isinstance(declared, int) and declared != size:
            raise ImageError(f"{source}: layer {ld} is {size} bytes, the manifest says {declared}")
        layers.append(_layer_blob(store, path, ld, str(lay.get("mediaType", "")), size))
    return RawImage(
        source=source,
        config_bytes=config_bytes,
        config_digest=cdigest,
        layers=tuple(layers),
        manifest_digest=mdigest,
        manifest_media_type=mtype,
        repo_tags=tags,
        annotations=_annotations(manifest),
    )


def _read_layout(store: BlobStore, *, source: str, tag: str | None, digest: str | None,
                 platform: Platform | None, limits: Limits) -> RawImage:
    if not store.exists("index.json"):
        raise ImageError(f"{source}: not an OCI image layout (no index.json)")
    if store.exists("oci-layout"):
        layout = parse_json(read_small(store, "oci-layout", limits, "oci-layout"), "oci-layout")
        version = layout.get("imageLayoutVersion")
        if version is not None and not str(version).startswith("1."):
            raise ImageError(f"{source}: unsupported OCI layout version {version!r}")
    index = parse_json(read_small(store, "index.json", limits, "index.json"), f"{source} index.json")
    manifest, mdigest, mtype = _pick_manifest(
        store, index, tag=tag, digest=digest, platform=platform, limits=limits, where=source
    )
    tags = (tag,) if tag else ()
    return _from_manifest(store, manifest, mdigest, mtype, source=source, limits=limits, tags=tags)


def read_oci_layout(path: Path, *, tag: str | None = None, digest: str | None = None,
                    platform: Platform | None = None, limits: Limits | None = None) -> RawImage:
    if not path.is_dir():
        raise ImageError(f"{path} is not a directory")
    lim = limits or Limits.from_env()
    return _read_layout(DirStore(path), source=f"oci:{path}", tag=tag, digest=digest,
                        platform=platform, limits=lim)


def _open_archive(path: Path, limits: Limits) -> TarStore:
    """Index an archive; a compressed one is decompressed once into the cache first."""
    if not path.is_file():
        raise ImageError(f"{path} does not exist or is not a file")
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:2] != GZIP_MAGIC and head != ZSTD_MAGIC:
        return TarStore(path, limits)
    st = path.stat()
    key = hashlib.sha256(f"{path.resolve()}\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()
    target_dir = cache_dir() / "archives"
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{key}.tar"
    if not target.exists():
        from hullcheck.image.blobio import LayerPipeline

        pipe = LayerPipeline(open(path, "rb"),  # noqa: SIM115 - the pipeline owns and closes it
                             limits, digest=None, diff_id=None, what=str(path))
        fd, tmp = tempfile.mkstemp(dir=target_dir, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(pipe, out, 1 << 20)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
        finally:
            pipe.close()
    return TarStore(target, limits)


def read_oci_archive(path: Path, *, tag: str | None = None, digest: str | None = None,
                     platform: Platform | None = None, limits: Limits | None = None) -> RawImage:
    lim = limits or Limits.from_env()
    return _read_layout(_open_archive(path, lim), source=f"oci-archive:{path}", tag=tag,
                        digest=digest, platform=platform, limits=lim)


def read_docker_archive(path: Path, *, tag: str | None = None, limits: Limits | None = None,
                        platform: Platform | None = None) -> RawImage:
    """``docker save`` output: ``manifest.json`` naming the config and layer tars.

    Docker 25+ writes an OCI layout inside the same archive; ``manifest.json`` still names the
    blobs by path, so one reader serves both.
    """
    lim = limits or Limits.from_env()
    store = _open_archive(path, lim)
    source = f"docker-archive:{path}"
    if not store.exists("manifest.json"):
        if store.exists("index.json"):
            return _read_layout(store, source=source, tag=tag, digest=None, platform=platform, limits=lim)
        raise ImageError(f"{path}: not a docker-archive (no manifest.json)")
    entries = parse_json_list(read_small(store, "manifest.json", lim, "manifest.json"), f"{path} manifest.json")
    if not entries:
        raise ImageError(f"{path}: manifest.json lists no images")
    entry: dict[str, Any] | None = None
    if tag:
        for e in entries:
            if isinstance(e, dict) and any(
                t == tag or t.endswith(f"/{tag}") or t.split(":")[-1] == tag for t in _repo_tags(e)
            ):
                entry = e
                break
        if entry is None:
            raise ImageError(f"{path}: no image tagged {tag!r}")
    elif len(entries) > 1:
        tags = [t for e in entries for t in _repo_tags(e)]
        raise ImageError(f"{path} holds {len(entries)} images; pick one with :TAG ({', '.join(tags)})")
    else:
        entry = entries[0]
    if not isinstance(entry, dict) or not isinstance(entry.get("Config"), str):
        raise ImageError(f"{path}: malformed manifest.json entry")
    config_path = entry["Config"]
    config_bytes = read_small(store, config_path, lim, "image config")
    config_digest = "sha256:" + hashlib.sha256(config_bytes).hexdigest()
    # The config's file name is its digest in every docker save format: check it.
    stem = os.path.basename(config_path).removesuffix(".json")
    if len(stem) == 64 and stem != config_digest.split(":")[1]:
        raise ImageError(f"{path}: config {config_path} does not match its digest ({config_digest})")
    layer_paths = entry.get("Layers")
    if not isinstance(layer_paths, list):
        raise ImageError(f"{path}: manifest.json entry has no Layers")
    layers = []
    for lp in layer_paths:
        if not isinstance(lp, str) or not store.exists(lp):
            raise ImageError(f"{path}: layer {str(lp)[:100]} is missing")
        parts = lp.split("/")
        digest = ""
        if len(parts) == 3 and parts[0] == "blobs" and len(parts[2]) == 64:
            digest = f"{parts[1]}:{parts[2]}"  # Docker 25+: the path is the blob digest
        layers.append(_layer_blob(store, lp, digest, "application/vnd.docker.image.rootfs.diff.tar", store.size_of(lp)))
    repo_tags = tuple(_repo_tags(entry))
    return RawImage(
        source=source,
        config_bytes=config_bytes,
        config_digest=config_digest,
        layers=tuple(layers),
        manifest_digest=None,
        manifest_media_type=None,
        repo_tags=repo_tags,
    )
