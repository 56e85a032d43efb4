"""SPDX 2.3 JSON (``spdx-json``).

Written as plain dicts (spdx-tools adds rdflib and ~1 s of imports to every run and validates on
write); the tests check every document with spdx-tools' parser and full validator.

Layout: the image is a CONTAINER package the document DESCRIBES; the distro an OPERATING-SYSTEM
package; every catalog package has its purl as a PACKAGE-MANAGER external ref and a declared
license expression (SPDX ids, with ``LicenseRef-`` entries for free text). hullcheck's own
fields (type, ecosystem, source package, locations and layers) travel as one annotation per
package whose comment is ``hullcheck.package/v1 <json>``, which ``spdx_read`` reads back.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from hullcheck import jsontext
from hullcheck.catalog.runner import Catalog
from hullcheck.format.common import TOOL_NAME, TOOL_VERSION, jsonable, now_utc, unique_ids
from hullcheck.format.hcjson import source_to_dict, unknown_to_dict
from hullcheck.format.licenses import declared_expression
from hullcheck.model import ImageMetadata, Package
from hullcheck.model.serde import distro_to_dict, package_to_dict

FORMAT_ID = "spdx-json"
PACKAGE_TAG = "hullcheck.package/v1 "
IMAGE_TAG = "hullcheck.image/v1 "
DISTRO_TAG = "hullcheck.distro/v1 "
UNKNOWN_TAG = "hullcheck.unknown/v1 "
NAMESPACE_BASE = "https://hullcheck.invalid/spdx/"  # .invalid: a namespace, never fetched

_ID_CHARS = re.compile(r"[^A-Za-z0-9.\-]+")


def spdx_id(kind: str, name: str, pid: str) -> str:
    return f"SPDXRef-{kind}-{_ID_CHARS.sub('-', name).strip('-')[:60]}-{pid}"


def _compact(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=jsonable)


def _annotation(tag: str, payload: Any, created: str) -> dict[str, str]:
    return {"annotationDate": created, "annotationType": "OTHER", "annotator": f"Tool: {TOOL_NAME}-{TOOL_VERSION}",
            "comment": tag + _compact(payload)}


def _source_info(p: Package) -> str:
    where = ", ".join(loc.path for loc in p.locations) or "unknown location"
    text = f"found by {p.found_by or TOOL_NAME} in {where}"
    if p.layer_index is not None:
        text += f" (layer {p.layer_index}"
        text += f": {p.created_by[:200]})" if p.created_by else ")"
    return text


def _package(p: Package, sid: str, created: str, refs: dict[str, str]) -> dict[str, Any]:
    declared, new_refs = declared_expression(p.licenses)
    refs.update(new_refs)
    out: dict[str, Any] = {"name": p.name, "SPDXID": sid}
    if p.version:
        out["versionInfo"] = p.version
    out.update({
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        "sourceInfo": _source_info(p),
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": declared,
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "LIBRARY",
    })
    if p.purl:
        out["externalRefs"] = [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                "referenceLocator": p.purl}]
    out["annotations"] = [_annotation(PACKAGE_TAG, package_to_dict(p), created)]
    return out


def _image_package(meta: ImageMetadata, created: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": meta.ref or "image", "SPDXID": "SPDXRef-Image"}
    digest = meta.manifest_digest or meta.config_digest
    if digest:
        out["versionInfo"] = digest
    out.update({"downloadLocation": "NOASSERTION", "filesAnalyzed": False, "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "NOASSERTION", "copyrightText": "NOASSERTION",
                "primaryPackagePurpose": "CONTAINER"})
    if digest and digest.startswith("sha256:") and len(digest) == 71:
        out["checksums"] = [{"algorithm": "SHA256", "checksumValue": digest[7:]}]
    out["annotations"] = [_annotation(IMAGE_TAG, source_to_dict(meta), created)]
    return out


def build(meta: ImageMetadata, catalog: Catalog, *, created: str | None = None) -> dict[str, Any]:
    ts = created or now_utc()
    image = _image_package(meta, ts)
    packages: list[dict[str, Any]] = [image]
    rels: list[dict[str, str]] = [
        {"spdxElementId": "SPDXRef-DOCUMENT", "relatedSpdxElement": image["SPDXID"], "relationshipType": "DESCRIBES"}
    ]
    refs: dict[str, str] = {}
    if catalog.distro is not None:
        d = catalog.distro
        osp: dict[str, Any] = {"name": d.id, "SPDXID": spdx_id("OperatingSystem", d.id, d.version_id or "0")}
        if d.version_id:
            osp["versionInfo"] = d.version_id
        osp.update({"downloadLocation": "NOASSERTION", "filesAnalyzed": False, "licenseConcluded": "NOASSERTION",
                    "licenseDeclared": "NOASSERTION", "copyrightText": "NOASSERTION",
                    "primaryPackagePurpose": "OPERATING-SYSTEM",
                    "annotations": [_annotation(DISTRO_TAG, distro_to_dict(d), ts)]})
        if d.pretty_name:
            osp["description"] = d.pretty_name
        packages.append(osp)
        rels.append({"spdxElementId": image["SPDXID"], "relatedSpdxElement": osp["SPDXID"],
                     "relationshipType": "CONTAINS"})
    for p, pid in zip(catalog.packages, unique_ids(catalog.packages), strict=True):
        sp = _package(p, spdx_id("Package", f"{p.type.value}-{p.name}", pid), ts, refs)
        packages.append(sp)
        rels.append({"spdxElementId": image["SPDXID"], "relatedSpdxElement": sp["SPDXID"],
                     "relationshipType": "CONTAINS"})
    safe_name = _ID_CHARS.sub("-", meta.ref).strip("-")[:80] or "image"
    ns_seed = f"{meta.manifest_digest or meta.config_digest or meta.ref}|{ts}|{uuid.uuid4()}"
    doc: dict[str, Any] = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": meta.ref or "image",
        "documentNamespace": f"{NAMESPACE_BASE}{safe_name}-{uuid.uuid5(uuid.NAMESPACE_URL, ns_seed)}",
        "creationInfo": {"created": ts, "creators": [f"Tool: {TOOL_NAME}-{TOOL_VERSION}"]},
        "packages": packages,
        "relationships": rels,
    }
    if refs:
        doc["hasExtractedLicensingInfos"] = [
            {"licenseId": ref, "extractedText": text, "name": text[:200]} for ref, text in sorted(refs.items())
        ]
    if catalog.unknowns:
        doc["annotations"] = [_annotation(UNKNOWN_TAG, unknown_to_dict(u), ts) for u in catalog.unknowns]
    return doc


def write(meta: ImageMetadata, catalog: Catalog, *, created: str | None = None) -> str:
    return jsontext.dumps(build(meta, catalog, created=created))
