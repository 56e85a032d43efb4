"""CycloneDX 1.6 JSON (``cyclonedx-json``).

The document is built as plain dicts: cyclonedx-python-lib's object model took ~4 s of CPU for
3,000 components here (sorted sets re-sorted on every insert, quadratic dependency
registration), longer than a whole image scan. The tests validate every document against the
official schema that cyclonedx-python-lib ships (``JsonStrictValidator``).

hullcheck's own fields travel as ``hullcheck:*`` properties (see docs/sbom-json.md) so that
``cyclonedx_read`` gives back what matching needs: type, ecosystem, source package, locations
with their layers, the distro, and the image's layers.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from hullcheck import jsontext
from hullcheck.catalog.runner import OS_TYPES, Catalog
from hullcheck.format.common import TOOL_NAME, TOOL_VERSION, jsonable, now_utc, unique_ids
from hullcheck.format.licenses import is_spdx_id, spdx_expression
from hullcheck.model import Distro, ImageMetadata, Package

FORMAT_ID = "cyclonedx-json"
SPEC_VERSION = "1.6"
P = "hullcheck:"  # property namespace


def _prop(props: list[dict[str, str]], name: str, value: Any) -> None:
    if value is None or value == "":
        return
    props.append({"name": P + name, "value": str(value)})


def licenses_json(licenses: tuple[str, ...]) -> list[dict[str, Any]]:
    """A compound expression alone stays an expression; otherwise one entry per license, with an
    SPDX id where the text is exactly one and the text as ``name`` otherwise (so it reads back
    as it was)."""
    if len(licenses) == 1 and not is_spdx_id(licenses[0]) and spdx_expression(licenses[0]) == licenses[0]:
        return [{"expression": licenses[0]}]
    return [{"license": {"id": x} if is_spdx_id(x) else {"name": x}} for x in licenses]


def image_ref(meta: ImageMetadata) -> str:
    return "image:" + (meta.manifest_digest or meta.config_digest or meta.ref)


def image_component(meta: ImageMetadata) -> dict[str, Any]:
    props: list[dict[str, str]] = []
    _prop(props, "image:ref", meta.ref)
    _prop(props, "image:platform", str(meta.platform))
    _prop(props, "image:manifest_digest", meta.manifest_digest)
    _prop(props, "image:config_digest", meta.config_digest)
    _prop(props, "image:created", meta.created)
    for i, tag in enumerate(meta.repo_tags):
        _prop(props, f"image:repo_tag:{i}", tag)
    for i, dig in enumerate(meta.repo_digests):
        _prop(props, f"image:repo_digest:{i}", dig)
    for layer in meta.layers:
        n = f"image:layer:{layer.index}:"
        _prop(props, n + "digest", layer.digest)
        _prop(props, n + "diff_id", layer.diff_id)
        _prop(props, n + "media_type", layer.media_type)
        _prop(props, n + "size", layer.size)
        _prop(props, n + "created_by", layer.created_by)
    comp: dict[str, Any] = {"bom-ref": image_ref(meta), "type": "container", "name": meta.ref or "image"}
    if meta.manifest_digest or meta.config_digest:
        comp["version"] = meta.manifest_digest or meta.config_digest
    comp["properties"] = props
    return comp


def os_ref(distro: Distro) -> str:
    return f"os:{distro.id}@{distro.version_id}" if distro.version_id else f"os:{distro.id}"


def distro_props(distro: Distro) -> list[dict[str, str]]:
    props: list[dict[str, str]] = []
    _prop(props, "distro:id", distro.id)
    _prop(props, "distro:version_id", distro.version_id)
    _prop(props, "distro:version_codename", distro.version_codename)
    _prop(props, "distro:pretty_name", distro.pretty_name)
    _prop(props, "distro:id_like", " ".join(distro.id_like))
    _prop(props, "distro:ecosystem", distro.ecosystem)
    return props


def os_component(distro: Distro) -> dict[str, Any]:
    comp: dict[str, Any] = {"bom-ref": os_ref(distro), "type": "operating-system", "name": distro.id}
    if distro.version_id:
        comp["version"] = distro.version_id
    if distro.pretty_name:
        comp["description"] = distro.pretty_name
    comp["properties"] = distro_props(distro)
    return comp


def package_component(p: Package, ref: str) -> dict[str, Any]:
    props: list[dict[str, str]] = []
    _prop(props, "type", p.type.value)
    _prop(props, "ecosystem", p.ecosystem)
    _prop(props, "arch", p.arch)
    _prop(props, "source_name", p.source_name)
    _prop(props, "source_version", p.source_version)
    _prop(props, "found_by", p.found_by)
    _prop(props, "layer", p.layer_index)
    _prop(props, "layer_diff_id", p.layer_diff_id)
    _prop(props, "created_by", p.created_by)
    for i, loc in enumerate(p.locations):
        _prop(props, f"location:{i}:path", loc.path)
        _prop(props, f"location:{i}:layer", loc.layer_index)
        _prop(props, f"location:{i}:layer_diff_id", loc.layer_diff_id)
    if p.metadata:
        # cataloger details, e.g. ``skip_match`` (why matching must leave a package alone)
        _prop(props, "metadata", json.dumps(p.metadata, sort_keys=True, separators=(",", ":"), default=jsonable))
    comp: dict[str, Any] = {"bom-ref": ref, "type": "library", "name": p.name}
    if p.version:
        comp["version"] = p.version
    if p.licenses:
        comp["licenses"] = licenses_json(p.licenses)
    if p.purl:
        comp["purl"] = p.purl
    if p.locations:
        comp["evidence"] = {"occurrences": [{"location": loc.path} for loc in p.locations]}
    comp["properties"] = props
    return comp


def unknown_props(catalog: Catalog) -> list[dict[str, str]]:
    props: list[dict[str, str]] = []
    for i, u in enumerate(catalog.unknowns):
        _prop(props, f"unknown:{i}:path", u.path)
        _prop(props, f"unknown:{i}:reason", u.reason)
        _prop(props, f"unknown:{i}:found_by", u.found_by)
        _prop(props, f"unknown:{i}:layer", u.layer_index)
    return props


def build(meta: ImageMetadata, catalog: Catalog, *, created: str | None = None) -> dict[str, Any]:
    image = image_component(meta)
    refs = ["pkg:" + i for i in unique_ids(catalog.packages)]
    components = [package_component(p, r) for p, r in zip(catalog.packages, refs, strict=True)]
    meta_props: list[dict[str, str]] = [{"name": P + "schema", "value": "hullcheck.cyclonedx/v1"}]
    deps: list[dict[str, Any]] = []
    if catalog.distro is not None:
        osc = os_component(catalog.distro)
        components.insert(0, osc)
        meta_props += distro_props(catalog.distro)
        os_pkgs = [r for p, r in zip(catalog.packages, refs, strict=True) if p.type in OS_TYPES]
        others = [r for p, r in zip(catalog.packages, refs, strict=True) if p.type not in OS_TYPES]
        deps = [{"ref": image["bom-ref"], "dependsOn": [osc["bom-ref"], *others]},
                {"ref": osc["bom-ref"], "dependsOn": os_pkgs}]
    else:
        deps = [{"ref": image["bom-ref"], "dependsOn": refs}]
    meta_props += unknown_props(catalog)
    return {
        "$schema": f"http://cyclonedx.org/schema/bom-{SPEC_VERSION}.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": created or now_utc(),
            "tools": {"components": [{"type": "application", "name": TOOL_NAME, "version": TOOL_VERSION}]},
            "component": image,
            "properties": meta_props,
        },
        "components": components,
        "dependencies": deps,
    }


def write(meta: ImageMetadata, catalog: Catalog, *, created: str | None = None) -> str:
    return jsontext.dumps(build(meta, catalog, created=created))
