"""The image config: layer diff_ids, history (mapped onto layers), and runtime settings."""

from __future__ import annotations

from typing import Any

from hullcheck.errors import ImageError
from hullcheck.image.blobstore import check_digest
from hullcheck.image.manifest import parse_json
from hullcheck.image.source import RawImage
from hullcheck.model import ImageMetadata, LayerInfo, Platform
from hullcheck.model.image import HistoryEntry


def _strs(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return None


def map_history(history: list[dict[str, Any]], layer_count: int) -> tuple[HistoryEntry, ...]:
    """Give each non-empty history entry the index of the layer it produced.

    History entries marked ``empty_layer`` (ENV, USER, CMD...) produce no layer. When the
    number of non-empty entries disagrees with the layers (squashed or hand-made images), the
    last entries are matched to the last layers, since base layers are the ones that lose history.
    """
    entries: list[HistoryEntry] = []
    non_empty = [i for i, h in enumerate(history) if not h.get("empty_layer")]
    offset = layer_count - len(non_empty)  # > 0: layers without history at the bottom
    k = 0
    for h in history:
        empty = bool(h.get("empty_layer"))
        idx: int | None = None
        if not empty:
            idx = k + offset
            k += 1
            if idx < 0 or idx >= layer_count:
                idx = None
        entries.append(
            HistoryEntry(
                created_by=str(h.get("created_by") or ""),
                created=h.get("created") if isinstance(h.get("created"), str) else None,
                comment=str(h.get("comment") or ""),
                empty_layer=empty,
                layer_index=idx,
            )
        )
    return tuple(entries)


def build_metadata(raw: RawImage) -> ImageMetadata:
    cfg = parse_json(raw.config_bytes, "image config")
    rootfs = cfg.get("rootfs")
    if not isinstance(rootfs, dict) or not isinstance(rootfs.get("diff_ids"), list):
        raise ImageError(f"{raw.source}: image config has no rootfs.diff_ids")
    diff_ids = [check_digest(d) for d in rootfs["diff_ids"]]
    if len(diff_ids) != len(raw.layers):
        raise ImageError(
            f"{raw.source}: config lists {len(diff_ids)} diff_ids but the manifest has {len(raw.layers)} layers"
        )
    hist_raw = cfg.get("history")
    history = map_history([h for h in hist_raw if isinstance(h, dict)] if isinstance(hist_raw, list) else [],
                          len(diff_ids))
    by_layer = {h.layer_index: h for h in history if h.layer_index is not None}
    layers = tuple(
        LayerInfo(
            index=i,
            digest=blob.digest or diff_ids[i],
            diff_id=diff_ids[i],
            media_type=blob.media_type,
            size=blob.size,
            created_by=by_layer[i].created_by if i in by_layer else "",
            comment=by_layer[i].comment if i in by_layer else "",
            created=by_layer[i].created if i in by_layer else None,
        )
        for i, blob in enumerate(raw.layers)
    )
    c = cfg.get("config") if isinstance(cfg.get("config"), dict) else {}
    assert isinstance(c, dict)
    labels = c.get("Labels") if isinstance(c.get("Labels"), dict) else {}
    assert isinstance(labels, dict)
    ports = c.get("ExposedPorts") if isinstance(c.get("ExposedPorts"), dict) else {}
    assert isinstance(ports, dict)
    plat = raw.platform or Platform(
        str(cfg.get("os") or "linux"), str(cfg.get("architecture") or "unknown"),
        str(cfg["variant"]) if cfg.get("variant") else None,
    )
    hc = c.get("Healthcheck")
    return ImageMetadata(
        ref=raw.source,
        platform=plat,
        manifest_digest=raw.manifest_digest,
        config_digest=raw.config_digest,
        layers=layers,
        history=history,
        created=cfg.get("created") if isinstance(cfg.get("created"), str) else None,
        user=str(c.get("User") or ""),
        env=_strs(c.get("Env")) or (),
        entrypoint=_strs(c.get("Entrypoint")),
        cmd=_strs(c.get("Cmd")),
        working_dir=str(c.get("WorkingDir") or ""),
        exposed_ports=tuple(sorted(str(p) for p in ports)),
        labels=tuple(sorted((str(k), str(v)) for k, v in labels.items())),
        healthcheck=hc if isinstance(hc, dict) else None,
        repo_digests=raw.repo_digests,
        repo_tags=raw.repo_tags,
    )
