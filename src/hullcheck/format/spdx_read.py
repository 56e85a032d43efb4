"""Read SPDX 2.2/2.3 JSON: hullcheck's own (``hullcheck.*/v1`` annotations, lossless) and other
tools' (syft, trivy: type and ecosystem from the purl external ref, locations from related files,
layers from their annotations and file comments).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from hullcheck.catalog.runner import OS_TYPES, Catalog
from hullcheck.errors import ImageError
from hullcheck.format import hcjson
from hullcheck.format.common import SbomDocument, as_str, get_list
from hullcheck.format.purlmap import (
    default_source,
    distro_from_qualifier,
    make_distro,
    package_name,
    purl_facts,
    stdlib_version,
)
from hullcheck.format.spdx import DISTRO_TAG, IMAGE_TAG, PACKAGE_TAG, UNKNOWN_TAG
from hullcheck.model import Distro, ImageMetadata, Location, Package, Platform, Unknown
from hullcheck.model.serde import package_from_dict

FORMAT_ID = "spdx-json"


def detect(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("spdxVersion"), str) and doc["spdxVersion"].startswith("SPDX-2")


def _tagged(obj: Any, tag: str) -> list[Any]:
    """Payloads of hullcheck annotations with ``tag`` on ``obj`` (bad JSON is skipped)."""
    out = []
    for a in get_list(obj, "annotations"):
        comment = as_str(a.get("comment")) if isinstance(a, dict) else ""
        if comment.startswith(tag):
            try:
                out.append(json.loads(comment[len(tag):]))
            except (ValueError, RecursionError):
                continue
    return out


def _notes(obj: Any) -> dict[str, str]:
    """trivy's ``Key: value`` annotations."""
    out: dict[str, str] = {}
    for a in get_list(obj, "annotations"):
        comment = as_str(a.get("comment")) if isinstance(a, dict) else ""
        key, sep, value = comment.partition(": ")
        if sep and key.isalnum():
            out.setdefault(key, value.strip())
    return out


def _purl(pkg: dict[str, Any]) -> str:
    for ref in get_list(pkg, "externalRefs"):
        if isinstance(ref, dict) and ref.get("referenceType") == "purl":
            return as_str(ref.get("referenceLocator"))
    return ""


def _licenses(pkg: dict[str, Any], extracted: dict[str, str]) -> tuple[str, ...]:
    declared = as_str(pkg.get("licenseDeclared"))
    if declared in ("", "NOASSERTION", "NONE"):
        return ()
    return (extracted.get(declared, declared),)


def _has_id(x: Any) -> bool:
    return isinstance(x, dict) and isinstance(x.get("SPDXID"), str)


class _Doc:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.packages = [p for p in get_list(doc, "packages") if _has_id(p)]
        self.files = {f["SPDXID"]: f for f in get_list(doc, "files") if _has_id(f)}
        self.described = [as_str(x) for x in get_list(doc, "documentDescribes")]
        # Files that show a package is there: syft says "evident-by" (an OTHER relationship) and
        # lists every installed file as CONTAINS; trivy only has CONTAINS, for the metadata file.
        self.evident: dict[str, dict[str, None]] = {}
        self.contains: dict[str, dict[str, None]] = {}
        for r in get_list(doc, "relationships"):
            if not isinstance(r, dict):
                continue
            a, b, kind = as_str(r.get("spdxElementId")), as_str(r.get("relatedSpdxElement")), r.get("relationshipType")
            if kind == "DESCRIBES" and a == "SPDXRef-DOCUMENT":
                self.described.append(b)
            elif b in self.files and kind == "OTHER" and as_str(r.get("comment")).startswith("evident-by"):
                self.evident.setdefault(a, {})[b] = None
            elif b in self.files and kind == "CONTAINS":
                self.contains.setdefault(a, {})[b] = None
        self.extracted = {as_str(x.get("licenseId")): as_str(x.get("extractedText"))
                          for x in get_list(doc, "hasExtractedLicensingInfos") if isinstance(x, dict)}
        self.creators = [as_str(c) for c in get_list(doc.get("creationInfo"), "creators")]

    def tool(self) -> str:
        for c in self.creators:
            if c.startswith("Tool:"):
                return c[5:].strip().rsplit("-", 1)[0]
        return ""

    def image(self) -> dict[str, Any] | None:
        by_id = {p["SPDXID"]: p for p in self.packages}
        for sid in self.described:
            if sid in by_id and by_id[sid].get("primaryPackagePurpose") in ("CONTAINER", None):
                return by_id[sid]
        return next((p for p in self.packages if p.get("primaryPackagePurpose") == "CONTAINER"), None)


def _source(img: dict[str, Any] | None, name: str) -> ImageMetadata:
    if img is None:
        return ImageMetadata(ref=name, platform=Platform(), manifest_digest=None, config_digest=None, layers=())
    own = _tagged(img, IMAGE_TAG)
    if own:
        try:
            return hcjson.source_from_dict(own[0])
        except hcjson.Invalid as e:
            raise ImageError(f"{name}: invalid hullcheck image annotation: {e}") from None
    version = as_str(img.get("versionInfo"))
    notes = _notes(img)
    return ImageMetadata(ref=as_str(img.get("name")), platform=Platform(),
                         manifest_digest=version if version.startswith("sha256:") else None,
                         config_digest=notes.get("ImageID") or None, layers=())


def _own_package(payload: Any, i: int) -> Package:
    try:
        hcjson.check_package(i, payload)
    except hcjson.Invalid as e:
        raise ImageError(f"invalid hullcheck package annotation: {e}") from None
    return package_from_dict(payload)


def _foreign_package(pkg: dict[str, Any], d: _Doc, source: ImageMetadata, tool: str,
                     unknowns: list[Unknown]) -> Package | None:
    purl = _purl(pkg)
    facts = purl_facts(purl)
    name = as_str(pkg.get("name"))
    if facts is None:
        reason = f"no purl of a supported package type ({purl[:80] or 'none'})"
        unknowns.append(Unknown(path=name or pkg["SPDXID"], reason=reason, found_by=f"{FORMAT_ID}-reader"))
        return None
    version = as_str(pkg.get("versionInfo")) or facts.version
    version = stdlib_version(facts.type, facts.name, version)
    notes = _notes(pkg)
    layer_of = {layer.diff_id: layer.index for layer in source.layers if layer.diff_id}
    locs = []
    for fid in d.evident.get(pkg["SPDXID"]) or d.contains.get(pkg["SPDXID"]) or {}:
        f = d.files[fid]
        path = as_str(f.get("fileName"))
        path = "/" + (path[2:] if path.startswith("./") else path).lstrip("/")
        comment = as_str(f.get("comment"))
        diff = comment.split("layerID:", 1)[1].strip() if "layerID:" in comment else notes.get("LayerDiffID", "")
        locs.append(Location(path=path, layer_index=layer_of.get(diff), layer_diff_id=diff or None))
    src_name, src_version = facts.source_name, facts.source_version
    info = as_str(pkg.get("sourceInfo"))
    if not src_name and info.startswith("built package from: "):
        parts = info[len("built package from: "):].split()
        src_name, src_version = (parts[0], parts[1] if len(parts) > 1 else "") if parts else ("", "")
    src_name, src_version = default_source(facts.type, facts.name, version, src_name, src_version)
    diff_id = locs[0].layer_diff_id if locs else notes.get("LayerDiffID") or None
    layer = locs[0].layer_index if locs else layer_of.get(diff_id or "")
    return Package(
        name=package_name(facts, name), version=version, type=facts.type, ecosystem=facts.ecosystem, purl=purl,
        source_name=src_name, source_version=src_version, arch=facts.arch,
        licenses=_licenses(pkg, d.extracted), locations=tuple(locs), found_by=tool, layer_index=layer,
        layer_diff_id=diff_id, created_by=source.layers[layer].created_by if layer is not None
        and layer < len(source.layers) else "",
        metadata={"distro_qualifier": facts.distro_qualifier} if facts.distro_qualifier else {},
    )


def _distro(pkg: dict[str, Any]) -> Distro | None:
    own = _tagged(pkg, DISTRO_TAG)
    if own and isinstance(own[0], dict) and isinstance(own[0].get("id"), str):
        try:
            return hcjson.distro_from_json(own[0])
        except hcjson.Invalid:
            return None
    return make_distro(as_str(pkg.get("name")), as_str(pkg.get("versionInfo")), as_str(pkg.get("description")))


def read(doc: Any, name: str = "SBOM") -> SbomDocument:
    if not detect(doc):
        raise ImageError(f"{name}: not an SPDX 2 JSON document")
    d = _Doc(doc)
    img = d.image()
    source = _source(img, name)
    tool = d.tool()
    distro: Distro | None = None
    packages: list[Package] = []
    unknowns: list[Unknown] = []
    for i, pkg in enumerate(d.packages):
        if pkg is img:
            continue
        purpose = pkg.get("primaryPackagePurpose")
        if purpose == "OPERATING-SYSTEM":
            distro = distro or _distro(pkg)
            continue
        own = _tagged(pkg, PACKAGE_TAG)
        if own:
            try:
                packages.append(_own_package(own[0], i))
            except ImageError as e:
                raise ImageError(f"{name}: {e.message}") from None
            continue
        p = _foreign_package(pkg, d, source, tool or "spdx", unknowns)
        if p is not None:
            packages.append(p)
    if distro is None:
        quals = (p.metadata.get("distro_qualifier", "") for p in packages if p.type in OS_TYPES)
        distro = next((x for x in map(distro_from_qualifier, quals) if x is not None), None)
    if distro is not None:
        packages = [dataclasses.replace(p, ecosystem=distro.ecosystem)
                    if p.type in OS_TYPES and not p.ecosystem else p for p in packages]
    own_unknowns = [hcjson.unknown_from_json(0, x) for x in _tagged(doc, UNKNOWN_TAG)
                    if isinstance(x, dict) and isinstance(x.get("path"), str)]
    unknowns = own_unknowns + unknowns
    return SbomDocument(source=source, catalog=Catalog(distro, tuple(packages), tuple(unknowns)),
                        format=FORMAT_ID, tool=tool)
