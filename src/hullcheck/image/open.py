"""The image stage's facade: turn a reference into an ``Image`` and scan its layers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from hullcheck.catalog.interface import Analyzer
from hullcheck.config import Limits
from hullcheck.errors import ImageError, UsageError
from hullcheck.image.config import build_metadata
from hullcheck.image.filetable import SpillPolicy
from hullcheck.image.layercache import LayerCache, analyzer_fingerprint
from hullcheck.image.source import RawImage
from hullcheck.image.walk import LayerScan, Observer, _Quiet, scan_layer_blob, scan_layers, scan_rootfs
from hullcheck.model import ImageMetadata, ImageRef, LayerInfo, Platform, Transport


@dataclass
class Image:
    metadata: ImageMetadata
    raw: RawImage | None  # None for a plain root filesystem
    rootfs: Path | None
    limits: Limits

    def close(self) -> None:
        """Release what reading the layers needs (a registry connection when layers are read
        as they download: ``open_image(stream_layers=True)``); safe to call more than once."""
        if self.raw is not None and self.raw.closer is not None:
            self.raw.closer()

    def __enter__(self) -> Image:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def scan(
        self,
        analyzers: Sequence[Analyzer] = (),
        *,
        observer: Observer | None = None,
        use_cache: bool = True,
        workers: int | None = None,
    ) -> list[LayerScan]:
        """Stream every layer once; results come from the per-layer cache where possible."""
        obs = observer or _Quiet()
        # one budget of in-memory file records for all the layers (see ``filetable``)
        policy = SpillPolicy(self.limits.spill_files)
        if self.rootfs is not None:
            obs.layer_started(0, 0)
            s = scan_rootfs(self.rootfs, analyzers, self.limits, policy)
            obs.layer_done(0, s)
            return [s]
        assert self.raw is not None
        cache = LayerCache() if use_cache else None
        fp = analyzer_fingerprint(analyzers)
        jobs: list[Callable[[], LayerScan]] = []
        total = sum(info.size for info in self.metadata.layers)
        cancel = threading.Event()  # set when one layer fails: the others stop reading
        for info, blob in zip(self.metadata.layers, self.raw.layers, strict=True):
            inline = 2 * info.size <= total  # see scan_layer_blob
            jobs.append(partial(self._scan_one, info, blob.opener, analyzers, cache, fp, obs, inline, blob.verified,
                                policy, cancel))
        return scan_layers(jobs, workers=workers, sizes=[info.size for info in self.metadata.layers], cancel=cancel)

    def _scan_one(
        self,
        info: LayerInfo,
        opener: Callable[[], Any],
        analyzers: Sequence[Analyzer],
        cache: LayerCache | None,
        fp: str,
        obs: Observer,
        inline: bool = False,
        verified: bool = False,
        policy: SpillPolicy | None = None,
        cancel: threading.Event | None = None,
    ) -> LayerScan:
        obs.layer_started(info.index, info.size)
        if cache is not None:
            hit = cache.get([info.diff_id, info.digest], info.index, info.diff_id, fp, policy)
            if hit is not None:
                obs.layer_done(info.index, hit)
                return hit
        scan = scan_layer_blob(
            opener,
            index=info.index,
            digest=info.digest if info.digest != info.diff_id else None,
            diff_id=info.diff_id,
            analyzers=analyzers,
            limits=self.limits,
            what=f"layer {info.index} ({info.digest[:19]})",
            inline=inline,
            blob_verified=verified,
            policy=policy,
            cancel=cancel,
        )
        if cache is not None:
            # The blob digest was verified while streaming or on its way into the blob cache
            # (for a plain layer given by its diff_id only, the diff_id is the blob's digest);
            # the diff_id only if it was checked.
            keys = [info.digest] if info.digest != info.diff_id or verified else []
            if scan.diff_id_verified:
                keys.insert(0, info.diff_id)
            cache.put(scan, keys, fp)
        obs.layer_done(info.index, scan)
        return scan


def parse_ref(text: str) -> ImageRef:
    from hullcheck.image.reference import parse_reference

    return parse_reference(text)


def open_image(
    ref: str | ImageRef,
    *,
    platform: Platform | None = None,
    limits: Limits | None = None,
    registry_options: Any = None,
    stream_layers: bool = False,
) -> Image:
    """``stream_layers``: a registry image's layers download as they are read (each scan of
    a layer downloads it, into the blob cache) instead of all before this returns; close the
    image when done."""
    lim = limits or Limits.from_env()
    r = parse_ref(ref) if isinstance(ref, str) else ref
    if r.transport is Transport.ROOTFS:
        root = Path(r.path or "")
        if not root.is_dir():
            raise ImageError(f"{root} is not a directory")
        meta = ImageMetadata(
            ref=str(r), platform=platform or Platform(), manifest_digest=None, config_digest=None,
            layers=(LayerInfo(index=0, digest="", diff_id="", media_type="rootfs", size=0),),
        )
        return Image(metadata=meta, raw=None, rootfs=root, limits=lim)
    raw = _raw_image(r, platform, lim, registry_options, stream_layers)
    try:
        return Image(metadata=build_metadata(raw), raw=raw, rootfs=None, limits=lim)
    except BaseException:
        if raw.closer is not None:
            raw.closer()
        raise


def _raw_image(
    r: ImageRef, platform: Platform | None, lim: Limits, registry_options: Any, stream_layers: bool = False
) -> RawImage:
    from hullcheck.image import local

    path = Path(r.path or "")
    if r.transport is Transport.OCI_LAYOUT:
        return local.read_oci_layout(path, tag=r.tag, digest=r.digest, platform=platform, limits=lim)
    if r.transport is Transport.OCI_ARCHIVE:
        return local.read_oci_archive(path, tag=r.tag, digest=r.digest, platform=platform, limits=lim)
    if r.transport is Transport.DOCKER_ARCHIVE:
        return local.read_docker_archive(path, tag=r.tag, platform=platform, limits=lim)
    try:
        from hullcheck.image.registry import pull
    except ImportError:  # pragma: no cover - until the registry client lands
        raise UsageError("registry references are not supported yet") from None
    return pull(r, platform=platform, options=registry_options, stream_layers=stream_layers)
