"""hullcheck's own SBOM format (``json``), documented in docs/sbom-json.md.

Everything the catalog knows goes in, so ``read`` gives back an equal ``Catalog``.
"""

from __future__ import annotations

from typing import Any

from hullcheck import jsontext
from hullcheck.catalog.runner import Catalog
from hullcheck.errors import ImageError
from hullcheck.format.common import (
    TOOL_NAME,
    TOOL_VERSION,
    SbomDocument,
    as_int,
    as_str,
    get_list,
    jsonable,
    now_utc,
    parse_platform_text,
)
from hullcheck.model import Distro, ImageMetadata, LayerInfo, PackageType, Unknown
from hullcheck.model.serde import distro_from_dict, distro_to_dict, package_from_dict, package_to_dict

FORMAT_ID = "json"
SCHEMA = "hullcheck.sbom/v1"


def source_to_dict(meta: ImageMetadata) -> dict[str, Any]:
    return {
        "ref": meta.ref,
        "platform": str(meta.platform),
        "manifest_digest": meta.manifest_digest,
        "config_digest": meta.config_digest,
        "created": meta.created,
        "repo_tags": list(meta.repo_tags),
        "repo_digests": list(meta.repo_digests),
        "labels": dict(meta.labels),
        "layers": [
            {
                "index": layer.index,
                "digest": layer.digest,
                "diff_id": layer.diff_id,
                "media_type": layer.media_type,
                "size": layer.size,
                "created_by": layer.created_by,
                "comment": layer.comment,
                "created": layer.created,
            }
            for layer in meta.layers
        ],
    }


def unknown_to_dict(u: Unknown) -> dict[str, Any]:
    d: dict[str, Any] = {"path": u.path, "reason": u.reason, "found_by": u.found_by}
    if u.layer_index is not None:
        d["layer"] = u.layer_index
    return d


def write(meta: ImageMetadata, catalog: Catalog, *, created: str | None = None) -> str:
    doc = {
        "schema": SCHEMA,
        "tool": {"name": TOOL_NAME, "version": TOOL_VERSION},
        "created": created or now_utc(),
        "source": source_to_dict(meta),
        "distro": distro_to_dict(catalog.distro) if catalog.distro else None,
        "packages": [package_to_dict(p) for p in catalog.packages],
        "unknowns": [unknown_to_dict(u) for u in catalog.unknowns],
    }
    return jsontext.dumps(doc, default=jsonable)


def detect(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("schema"), str) and doc["schema"].startswith("hullcheck.sbom/")


class Invalid(Exception):
    """A hullcheck document (or a hullcheck part of a CycloneDX/SPDX one) that breaks the format."""


def _need(cond: bool, what: str) -> None:
    if not cond:
        raise Invalid(what)


def _is_index(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _index(v: Any, default: int) -> int:
    return v if _is_index(v) else default


def _opt_str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def source_from_dict(d: Any) -> ImageMetadata:
    _need(isinstance(d, dict), "source is not an object")
    layers_in = d.get("layers") or []
    _need(isinstance(layers_in, list), "source.layers is not a list")
    layers = []
    for i, x in enumerate(layers_in):
        _need(isinstance(x, dict), f"source.layers[{i}] is not an object")
        layers.append(LayerInfo(
            index=_index(x.get("index"), i),
            digest=as_str(x.get("digest")),
            diff_id=as_str(x.get("diff_id")),
            media_type=as_str(x.get("media_type")),
            size=as_int(x.get("size")) or 0,
            created_by=as_str(x.get("created_by")),
            comment=as_str(x.get("comment")),
            created=_opt_str(x.get("created")),
        ))
    labels = d.get("labels") or {}
    _need(isinstance(labels, dict), "source.labels is not an object")
    return ImageMetadata(
        ref=as_str(d.get("ref")),
        platform=parse_platform_text(as_str(d.get("platform"))),
        manifest_digest=_opt_str(d.get("manifest_digest")),
        config_digest=_opt_str(d.get("config_digest")),
        layers=tuple(layers),
        created=_opt_str(d.get("created")),
        repo_tags=tuple(x for x in get_list(d, "repo_tags") if isinstance(x, str)),
        repo_digests=tuple(x for x in get_list(d, "repo_digests") if isinstance(x, str)),
        labels=tuple((str(k), v) for k, v in labels.items() if isinstance(v, str)),
    )


_PKG_STR = ("name", "version", "ecosystem", "purl", "source_name", "source_version", "arch", "found_by",
            "created_by", "layer_diff_id")


def check_package(i: int, d: Any) -> None:
    # The common case (a valid package) is checked without building any message: re-matching
    # many stored SBOMs spends most of its time here otherwise. Only a package that fails is
    # walked again by the checker that names the problem.
    if not _package_ok(d):
        _check_package_verbose(i, d)


def _package_ok(d: Any) -> bool:
    if not isinstance(d, dict):
        return False
    name, ptype = d.get("name"), d.get("type")
    if not (isinstance(name, str) and name and isinstance(ptype, str) and ptype in PackageType._value2member_map_):
        return False
    for k in _PKG_STR:
        v = d.get(k)
        if v is not None and not isinstance(v, str):
            return False
    layer = d.get("layer")
    if layer is not None and not _is_index(layer):
        return False
    lic = d.get("licenses", [])
    if not (isinstance(lic, list) and all(isinstance(x, str) for x in lic)):
        return False
    if not isinstance(d.get("metadata", {}) or {}, dict):
        return False
    locs = d.get("locations", [])
    if not isinstance(locs, list):
        return False
    for loc in locs:
        if not (isinstance(loc, dict) and isinstance(loc.get("path"), str)):
            return False
        ll, ld = loc.get("layer"), loc.get("layer_diff_id")
        if (ll is not None and not _is_index(ll)) or (ld is not None and not isinstance(ld, str)):
            return False
    return True


def _check_package_verbose(i: int, d: Any) -> None:
    where = f"packages[{i}]"
    _need(isinstance(d, dict), f"{where} is not an object")
    _need(isinstance(d.get("name"), str) and d["name"] != "", f"{where}.name missing")
    ptype = d.get("type")
    known = isinstance(ptype, str) and ptype in PackageType._value2member_map_
    _need(known, f"{where}.type {str(ptype)[:40]!r} unknown")
    for k in _PKG_STR:
        _need(d.get(k) is None or isinstance(d[k], str), f"{where}.{k} is not a string")
    _need(d.get("layer") is None or _is_index(d["layer"]), f"{where}.layer is not a layer index")
    lic = d.get("licenses", [])
    _need(isinstance(lic, list) and all(isinstance(x, str) for x in lic), f"{where}.licenses is not a string list")
    _need(isinstance(d.get("metadata", {}) or {}, dict), f"{where}.metadata is not an object")
    locs = d.get("locations", [])
    _need(isinstance(locs, list), f"{where}.locations is not a list")
    for j, loc in enumerate(locs):
        _need(isinstance(loc, dict) and isinstance(loc.get("path"), str), f"{where}.locations[{j}].path missing")
        _need(loc.get("layer") is None or _is_index(loc["layer"]), f"{where}.locations[{j}].layer invalid")
        _need(loc.get("layer_diff_id") is None or isinstance(loc["layer_diff_id"], str),
              f"{where}.locations[{j}].layer_diff_id invalid")


def distro_from_json(d: Any) -> Distro | None:
    if d is None:
        return None
    _need(isinstance(d, dict) and isinstance(d.get("id"), str), "distro.id missing")
    for k in ("version_id", "version_codename", "pretty_name", "ecosystem"):
        _need(d.get(k) is None or isinstance(d[k], str), f"distro.{k} is not a string")
    id_like = d.get("id_like", [])
    _need(isinstance(id_like, list) and all(isinstance(x, str) for x in id_like), "distro.id_like is not a string list")
    return distro_from_dict(d)


def unknown_from_json(i: int, d: Any) -> Unknown:
    _need(isinstance(d, dict) and isinstance(d.get("path"), str), f"unknowns[{i}].path missing")
    return Unknown(path=d["path"], reason=as_str(d.get("reason")), found_by=as_str(d.get("found_by")),
                   layer_index=d["layer"] if _is_index(d.get("layer")) else None)


def read(doc: Any, name: str = "SBOM") -> SbomDocument:
    """A parsed hullcheck JSON SBOM (``detect(doc)`` is true) to its source and catalog."""
    try:
        schema = doc["schema"]
        if schema != SCHEMA:
            raise ImageError(f"{name}: unsupported hullcheck SBOM schema {schema[:60]!r} (this version reads {SCHEMA})")
        pkgs = doc.get("packages") or []
        _need(isinstance(pkgs, list), "packages is not a list")
        for i, p in enumerate(pkgs):
            check_package(i, p)
        unknowns = doc.get("unknowns") or []
        _need(isinstance(unknowns, list), "unknowns is not a list")
        catalog = Catalog(
            distro=distro_from_json(doc.get("distro")),
            packages=tuple(package_from_dict(p) for p in pkgs),
            unknowns=tuple(unknown_from_json(i, u) for i, u in enumerate(unknowns)),
        )
        tool = doc.get("tool") if isinstance(doc.get("tool"), dict) else {}
        return SbomDocument(
            source=source_from_dict(doc.get("source") or {}),
            catalog=catalog,
            format=FORMAT_ID,
            tool=f"{as_str(tool.get('name'))}-{as_str(tool.get('version'))}".strip("-"),
        )
    except Invalid as e:
        raise ImageError(f"{name}: not a valid hullcheck SBOM: {e}") from None
