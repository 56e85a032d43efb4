"""Plain-dict (JSON) forms of the model, both ways, for caches and hullcheck's own formats."""

from __future__ import annotations

from typing import Any

from hullcheck.model.package import Distro, Location, Package, PackageType


def location_to_dict(loc: Location) -> dict[str, Any]:
    d: dict[str, Any] = {"path": loc.path}
    if loc.layer_index is not None:
        d["layer"] = loc.layer_index
    if loc.layer_diff_id:
        d["layer_diff_id"] = loc.layer_diff_id
    return d


def location_from_dict(d: dict[str, Any]) -> Location:
    return Location(path=str(d["path"]), layer_index=d.get("layer"), layer_diff_id=d.get("layer_diff_id"))


def package_to_dict(p: Package) -> dict[str, Any]:
    d: dict[str, Any] = {
        "name": p.name,
        "version": p.version,
        "type": p.type.value,
        "ecosystem": p.ecosystem,
        "purl": p.purl,
        "locations": [location_to_dict(loc) for loc in p.locations],
        "found_by": p.found_by,
    }
    for key in ("source_name", "source_version", "arch", "created_by", "layer_diff_id"):
        if getattr(p, key):
            d[key] = getattr(p, key)
    if p.layer_index is not None:
        d["layer"] = p.layer_index
    if p.licenses:
        d["licenses"] = list(p.licenses)
    if p.metadata:
        d["metadata"] = p.metadata
    return d


def package_from_dict(d: dict[str, Any]) -> Package:
    return Package(
        name=str(d["name"]),
        version=str(d.get("version", "")),
        type=PackageType(d["type"]),
        ecosystem=str(d.get("ecosystem", "")),
        purl=str(d.get("purl", "")),
        source_name=str(d.get("source_name", "")),
        source_version=str(d.get("source_version", "")),
        arch=str(d.get("arch", "")),
        licenses=tuple(d.get("licenses", ())),
        locations=tuple(location_from_dict(x) for x in d.get("locations", ())),
        found_by=str(d.get("found_by", "")),
        layer_index=d.get("layer"),
        layer_diff_id=d.get("layer_diff_id"),
        created_by=str(d.get("created_by", "")),
        metadata=dict(d.get("metadata") or {}),
    )


def distro_to_dict(x: Distro) -> dict[str, Any]:
    return {
        "id": x.id,
        "version_id": x.version_id,
        "version_codename": x.version_codename,
        "pretty_name": x.pretty_name,
        "id_like": list(x.id_like),
        "ecosystem": x.ecosystem,
    }


def distro_from_dict(d: dict[str, Any]) -> Distro:
    return Distro(
        id=str(d["id"]),
        version_id=str(d.get("version_id", "")),
        version_codename=str(d.get("version_codename", "")),
        pretty_name=str(d.get("pretty_name", "")),
        id_like=tuple(d.get("id_like", ())),
        ecosystem=str(d.get("ecosystem", "")),
    )
