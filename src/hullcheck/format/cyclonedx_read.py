"""Read CycloneDX JSON: hullcheck's own (``hullcheck:*`` properties, lossless for matching) and
other tools' (syft, trivy: type and ecosystem from the purl, their properties where they help).

The document is walked as plain JSON with a type check at every step: a hostile or broken
SBOM gives an ``ImageError`` or skipped components, never an exception from deep inside.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from hullcheck.catalog.runner import OS_TYPES, Catalog
from hullcheck.errors import ImageError
from hullcheck.format.common import SbomDocument, as_int, as_str, get_dict, get_list, parse_platform_text
from hullcheck.format.purlmap import (
    default_source,
    distro_from_qualifier,
    make_distro,
    package_name,
    purl_facts,
    stdlib_version,
)
from hullcheck.model import Distro, ImageMetadata, LayerInfo, Location, Package, PackageType, Platform, Unknown

FORMAT_ID = "cyclonedx-json"
P = "hullcheck:"
MAX_DEPTH = 32  # nested components
SKIPPED_TYPES = frozenset({"file", "container", "data", "machine-learning-model", "cryptographic-asset", "platform",
                           "device-driver", "device"})


def detect(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("bomFormat") == "CycloneDX"


class Props:
    """A component's properties: the first value of each name, and all values of repeated ones."""

    def __init__(self, obj: Any) -> None:
        self.first: dict[str, str] = {}
        self.all: dict[str, list[str]] = {}
        raw = obj.get("properties") if isinstance(obj, dict) else None
        for p in raw if isinstance(raw, list) else ():
            if isinstance(p, dict) and isinstance(p.get("name"), str) and isinstance(p.get("value"), str):
                self.first.setdefault(p["name"], p["value"])
                self.all.setdefault(p["name"], []).append(p["value"])

    def get(self, name: str) -> str:
        return self.first.get(name, "")

    def numbered(self, prefix: str) -> tuple[str, ...]:
        """Values of ``prefix:N`` properties in order of N."""
        found = []
        for name, value in self.first.items():
            idx = name[len(prefix):] if name.startswith(prefix) else ""
            if idx.isascii() and idx.isdigit() and len(idx) < 9:  # "²".isdigit() but int("²") fails
                found.append((int(idx), value))
        return tuple(v for _, v in sorted(found))

    def indexed(self, prefix: str) -> dict[int, dict[str, str]]:
        """``prefix:N:field`` properties grouped by N, in order of N."""
        out: dict[int, dict[str, str]] = {}
        for name, value in self.first.items():
            if not name.startswith(prefix):
                continue
            idx, _, field = name[len(prefix):].partition(":")
            if idx.isascii() and idx.isdigit() and len(idx) < 9 and field:
                out.setdefault(int(idx), {})[field] = value
        return dict(sorted(out.items()))


def _components(items: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if not isinstance(items, list) or depth > MAX_DEPTH:
        return
    for c in items:
        if isinstance(c, dict):
            yield c
            yield from _components(c.get("components"), depth + 1)


def _source(meta: dict[str, Any]) -> ImageMetadata:
    comp = get_dict(meta, "component")
    props = Props(comp)
    version = as_str(comp.get("version"))
    layers = []
    for i, f in props.indexed(P + "image:layer:").items():
        layers.append(LayerInfo(index=i, digest=f.get("digest", ""), diff_id=f.get("diff_id", ""),
                                media_type=f.get("media_type", ""), size=as_int(f.get("size")) or 0,
                                created_by=f.get("created_by", "")))
    own = bool(props.get(P + "image:ref"))
    manifest = props.get(P + "image:manifest_digest") if own else (version if version.startswith("sha256:") else "")
    config = props.get(P + "image:config_digest") or props.get("aquasecurity:trivy:ImageID")
    return ImageMetadata(
        ref=props.get(P + "image:ref") or as_str(comp.get("name")),
        platform=parse_platform_text(props.get(P + "image:platform")) if own else Platform(),
        manifest_digest=manifest or None,
        config_digest=config or None,
        layers=tuple(layers),
        created=props.get(P + "image:created") or None,
        repo_tags=props.numbered(P + "image:repo_tag:"),
        repo_digests=props.numbered(P + "image:repo_digest:"),
    )


def _distro_from_props(props: Props, prefix: str) -> Distro | None:
    did = props.get(prefix + "id")
    if not did:
        return None
    return Distro(id=did, version_id=props.get(prefix + "version_id"),
                  version_codename=props.get(prefix + "version_codename"),
                  pretty_name=props.get(prefix + "pretty_name"),
                  id_like=tuple(props.get(prefix + "id_like").split()), ecosystem=props.get(prefix + "ecosystem"))


def _os_distro(comp: dict[str, Any]) -> Distro | None:
    props = Props(comp)
    own = _distro_from_props(props, P + "distro:")
    if own is not None:
        return own
    did = props.get("syft:distro:id") or as_str(comp.get("name"))
    if not did or did == "none":
        return None
    return make_distro(did, props.get("syft:distro:versionID") or as_str(comp.get("version")),
                       props.get("syft:distro:prettyName") or as_str(comp.get("description")),
                       props.get("syft:distro:versionCodename"))


def _licenses(comp: dict[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    items = comp.get("licenses")
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("expression"), str):
            out.append(item["expression"])
        lic = item.get("license")
        if isinstance(lic, dict):
            text = as_str(lic.get("id")) or as_str(lic.get("name"))
            if text:
                out.append(text)
    return tuple(out)


class _Reader:
    def __init__(self, source: ImageMetadata, tool: str) -> None:
        self.source = source
        self.tool = tool
        self.layer_of = {layer.diff_id: layer.index for layer in source.layers if layer.diff_id}
        self.unknowns: list[Unknown] = []

    def _loc(self, path: str, layer: int | None, diff_id: str) -> Location:
        if layer is None and diff_id:
            layer = self.layer_of.get(diff_id)
        return Location(path=path, layer_index=layer, layer_diff_id=diff_id or None)

    def own(self, comp: dict[str, Any], props: Props) -> Package | None:
        try:
            ptype = PackageType(props.get(P + "type"))
        except ValueError:
            self._unknown(comp, f"unknown package type {props.get(P + 'type')[:40]!r}")
            return None
        locs = tuple(self._loc(f.get("path", ""), as_int(f.get("layer")), f.get("layer_diff_id", ""))
                     for f in props.indexed(P + "location:").values() if f.get("path"))
        metadata: dict[str, Any] = {}
        if props.get(P + "metadata"):
            try:
                m = json.loads(props.get(P + "metadata"))
                metadata = m if isinstance(m, dict) else {}
            except (ValueError, RecursionError):
                metadata = {}
        return Package(
            name=as_str(comp.get("name")), version=as_str(comp.get("version")), type=ptype,
            ecosystem=props.get(P + "ecosystem"), purl=as_str(comp.get("purl")),
            source_name=props.get(P + "source_name"), source_version=props.get(P + "source_version"),
            arch=props.get(P + "arch"), licenses=_licenses(comp), locations=locs,
            found_by=props.get(P + "found_by"), layer_index=as_int(props.get(P + "layer")),
            layer_diff_id=props.get(P + "layer_diff_id") or None, created_by=props.get(P + "created_by"),
            metadata=metadata,
        )

    def foreign(self, comp: dict[str, Any], props: Props) -> Package | None:
        purl = as_str(comp.get("purl"))
        facts = purl_facts(purl)
        if facts is None:
            self._unknown(comp, f"no purl of a supported package type ({purl[:80] or 'none'})")
            return None
        version = as_str(comp.get("version")) or facts.version
        version = stdlib_version(facts.type, facts.name, version)
        src_name, src_version = facts.source_name, facts.source_version
        if props.get("syft:metadata:source"):
            src_name = props.get("syft:metadata:source")
            src_version = props.get("syft:metadata:sourceVersion")
        elif props.get("aquasecurity:trivy:SrcName"):
            src_name = props.get("aquasecurity:trivy:SrcName")
            src_version = props.get("aquasecurity:trivy:SrcVersion")
            if src_version and props.get("aquasecurity:trivy:SrcRelease"):
                src_version += "-" + props.get("aquasecurity:trivy:SrcRelease")
            if src_version and props.get("aquasecurity:trivy:SrcEpoch") not in ("", "0"):
                src_version = props.get("aquasecurity:trivy:SrcEpoch") + ":" + src_version
        src_name, src_version = default_source(facts.type, facts.name, version, src_name, src_version)
        locs = [self._loc(f.get("path", ""), None, f.get("layerID", ""))
                for f in props.indexed("syft:location:").values() if f.get("path")]
        if not locs and props.get("aquasecurity:trivy:FilePath"):
            locs = [self._loc("/" + props.get("aquasecurity:trivy:FilePath").lstrip("/"), None,
                              props.get("aquasecurity:trivy:LayerDiffID"))]
        if not locs:
            occ = get_list(get_dict(comp, "evidence"), "occurrences")
            locs = [Location(path=as_str(o.get("location"))) for o in occ
                    if isinstance(o, dict) and as_str(o.get("location"))]
        layer_diff = locs[0].layer_diff_id if locs else props.get("aquasecurity:trivy:LayerDiffID") or None
        layer = locs[0].layer_index if locs else self.layer_of.get(layer_diff or "")
        created_by = ""
        if layer is not None and 0 <= layer < len(self.source.layers):
            created_by = self.source.layers[layer].created_by
        return Package(
            name=package_name(facts, as_str(comp.get("name"))), version=version, type=facts.type,
            ecosystem=facts.ecosystem, purl=purl,
            source_name=src_name, source_version=src_version, arch=facts.arch, licenses=_licenses(comp),
            locations=tuple(locs), found_by=props.get("syft:package:foundBy") or self.tool,
            layer_index=layer, layer_diff_id=layer_diff, created_by=created_by,
            metadata={"distro_qualifier": facts.distro_qualifier} if facts.distro_qualifier else {},
        )

    def _unknown(self, comp: dict[str, Any], reason: str) -> None:
        what = as_str(comp.get("name")) or as_str(comp.get("bom-ref")) or "component"
        version = as_str(comp.get("version"))
        self.unknowns.append(Unknown(path=f"{what}@{version}" if version else what, reason=reason,
                                     found_by=f"{FORMAT_ID}-reader"))


def _tool(meta: dict[str, Any]) -> str:
    # 1.5+: an object with components; 1.4: a list of tools
    items = get_list(get_dict(meta, "tools"), "components") or get_list(meta, "tools")
    for t in items:
        if isinstance(t, dict) and as_str(t.get("name")):
            return as_str(t.get("name"))
    return ""


def read(doc: Any, name: str = "SBOM") -> SbomDocument:
    if not detect(doc):
        raise ImageError(f"{name}: not a CycloneDX document")
    meta = get_dict(doc, "metadata")
    mprops = Props(meta)
    source = _source(meta)
    tool = _tool(meta)
    reader = _Reader(source, tool or "cyclonedx")
    distro = _distro_from_props(mprops, P + "distro:")
    packages: list[Package] = []
    image_ref = as_str(get_dict(meta, "component").get("bom-ref"))
    for comp in _components(doc.get("components")):
        ctype = as_str(comp.get("type"))
        if ctype == "operating-system":
            distro = distro or _os_distro(comp)
            continue
        if ctype in SKIPPED_TYPES or (image_ref and comp.get("bom-ref") == image_ref):
            continue
        props = Props(comp)
        if not as_str(comp.get("name")):
            continue
        pkg = reader.own(comp, props) if props.get(P + "type") else reader.foreign(comp, props)
        if pkg is not None:
            packages.append(pkg)
    if distro is None:
        quals = (p.metadata.get("distro_qualifier", "") for p in packages if p.type in OS_TYPES)
        distro = next((d for d in map(distro_from_qualifier, quals) if d is not None), None)
    packages = [_with_os_ecosystem(p, distro) for p in packages]
    unknowns = [Unknown(path=f.get("path", ""), reason=f.get("reason", ""), found_by=f.get("found_by", ""),
                        layer_index=as_int(f.get("layer")))
                for f in mprops.indexed(P + "unknown:").values() if f.get("path")]
    return SbomDocument(source=source, catalog=Catalog(distro, tuple(packages), tuple(unknowns + reader.unknowns)),
                        format=FORMAT_ID, tool=tool)


def _with_os_ecosystem(p: Package, distro: Distro | None) -> Package:
    if p.ecosystem or p.type not in OS_TYPES or distro is None:
        return p
    import dataclasses

    return dataclasses.replace(p, ecosystem=distro.ecosystem)
