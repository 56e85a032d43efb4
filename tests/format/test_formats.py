"""Every format: valid against its official schema/validator, and read back without loss."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hullcheck.catalog.runner import Catalog
from hullcheck.errors import UsageError
from hullcheck.format import WRITERS, read_sbom, render
from hullcheck.format.hcjson import source_to_dict
from hullcheck.image.open import open_image
from hullcheck.model import ImageMetadata

from .catalogs import sample_catalog
from .images import sample_layout

CREATED = "2024-05-01T12:00:00Z"


@pytest.fixture(scope="module")
def image_meta(tmp_path_factory: pytest.TempPathFactory) -> ImageMetadata:
    root = sample_layout(tmp_path_factory.mktemp("img") / "layout")
    return open_image(f"oci:{root}").metadata


@pytest.fixture(scope="module")
def catalog(image_meta: ImageMetadata) -> Catalog:
    return sample_catalog(image_meta)


def _write(tmp_path: Path, fmt: str, meta: ImageMetadata, cat: Catalog) -> Path:
    out = tmp_path / f"sbom.{fmt}.json"
    out.write_text(render(fmt, meta, cat, created=CREATED), encoding="utf-8")
    return out


def _meta_json(cat: Catalog) -> list[object]:
    return [json.loads(json.dumps(p.metadata)) for p in cat.packages]


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_round_trip_is_lossless(tmp_path: Path, fmt: str, image_meta: ImageMetadata, catalog: Catalog) -> None:
    doc = read_sbom(_write(tmp_path, fmt, image_meta, catalog))
    assert doc.format == fmt
    assert doc.tool.startswith("hullcheck")
    assert doc.catalog == catalog  # distro, packages (all fields but metadata), unknowns in order
    assert _meta_json(doc.catalog) == _meta_json(catalog)
    # the image's identity and layers come back as written
    src = source_to_dict(doc.source)
    want = source_to_dict(image_meta)
    for key in ("ref", "platform", "manifest_digest", "config_digest"):
        assert src[key] == want[key], key
    assert [(x["index"], x["diff_id"], x["digest"], x["created_by"]) for x in src["layers"]] == [
        (x["index"], x["diff_id"], x["digest"], x["created_by"]) for x in want["layers"]]


def test_hullcheck_json_documented_fields(tmp_path: Path, image_meta: ImageMetadata, catalog: Catalog) -> None:
    doc = json.loads(_write(tmp_path, "json", image_meta, catalog).read_text())
    assert doc["schema"] == "hullcheck.sbom/v1"
    assert doc["source"]["manifest_digest"] == image_meta.manifest_digest
    assert [x["diff_id"] for x in doc["source"]["layers"]] == [x.diff_id for x in image_meta.layers]
    assert doc["distro"]["ecosystem"] == "Debian:12"
    for p, want in zip(doc["packages"], catalog.packages, strict=True):
        assert (p["name"], p["version"], p["type"], p["ecosystem"], p["purl"]) == (
            want.name, want.version, want.type.value, want.ecosystem, want.purl)
        assert [(x["path"], x["layer"]) for x in p["locations"]] == [(x.path, x.layer_index) for x in want.locations]
        assert p["layer"] == want.layer_index and p["created_by"] == want.created_by
    assert [u["path"] for u in doc["unknowns"]] == [u.path for u in catalog.unknowns]


def test_cyclonedx_is_valid_and_carries_layers(tmp_path: Path, image_meta: ImageMetadata, catalog: Catalog) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = _write(tmp_path, "cyclonedx-json", image_meta, catalog).read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    image = doc["metadata"]["component"]
    assert image["type"] == "container" and image["version"] == image_meta.manifest_digest
    os_comp = [c for c in doc["components"] if c["type"] == "operating-system"]
    assert [(c["name"], c["version"]) for c in os_comp] == [("debian", "12")]
    libs = [c for c in doc["components"] if c["type"] == "library"]
    assert [c["purl"] for c in libs] == [p.purl for p in catalog.packages]
    for c, p in zip(libs, catalog.packages, strict=True):
        props = {x["name"]: x["value"] for x in c["properties"]}
        assert props["hullcheck:layer"] == str(p.layer_index)
        assert props["hullcheck:layer_diff_id"] == image_meta.layers[p.layer_index].diff_id
        assert props["hullcheck:created_by"] == image_meta.layers[p.layer_index].created_by
        assert props["hullcheck:location:0:path"] == p.locations[0].path
        assert props["hullcheck:type"] == p.type.value and props["hullcheck:ecosystem"] == p.ecosystem
        assert props.get("hullcheck:source_name", "") == p.source_name
        assert [o["location"] for o in c["evidence"]["occurrences"]] == [x.path for x in p.locations]
    # bom-refs are unique and the same for the same package in another run
    refs = [c["bom-ref"] for c in doc["components"]] + [image["bom-ref"]]
    assert len(set(refs)) == len(refs)
    again = json.loads(render("cyclonedx-json", image_meta, catalog))
    assert [c["bom-ref"] for c in again["components"]] == [c["bom-ref"] for c in doc["components"]]
    # a single compound expression stays an expression; free text is a name, SPDX ids are ids
    by_name = {c["name"]: c for c in libs}
    assert by_name["serde"]["licenses"] == [{"expression": "MIT OR Apache-2.0"}]
    assert by_name["requests"]["licenses"] == [{"license": {"name": "Apache 2.0"}}]
    assert by_name["libc6"]["licenses"] == [{"license": {"id": "GPL-2.0-or-later"}}, {"license": {"id": "LGPL-2.1-or-later"}}]


def test_spdx_is_valid(tmp_path: Path, image_meta: ImageMetadata, catalog: Catalog) -> None:
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    path = _write(tmp_path, "spdx-json", image_meta, catalog)
    parsed = parse_file(str(path))
    messages = validate_full_spdx_document(parsed)
    assert [m.validation_message for m in messages] == []
    assert len(parsed.packages) == len(catalog.packages) + 2  # the image and the OS
    doc = json.loads(path.read_text())
    image_id = "SPDXRef-Image"
    rels = {(r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"]) for r in doc["relationships"]}
    assert ("SPDXRef-DOCUMENT", "DESCRIBES", image_id) in rels
    pkgs = doc["packages"][2:]
    assert all((image_id, "CONTAINS", p["SPDXID"]) in rels for p in pkgs)
    assert [p["externalRefs"][0]["referenceLocator"] for p in pkgs] == [p.purl for p in catalog.packages]
    assert all(p["externalRefs"][0]["referenceCategory"] == "PACKAGE-MANAGER" for p in pkgs)
    by_name = {p["name"]: p for p in pkgs}
    assert by_name["lodash"]["licenseDeclared"] == "MIT OR Apache-2.0"  # normalised
    assert by_name["libc6"]["licenseDeclared"] == "GPL-2.0-or-later AND LGPL-2.1-or-later"
    ref = by_name["requests"]["licenseDeclared"]
    assert ref.startswith("LicenseRef-")
    assert {x["licenseId"]: x["extractedText"] for x in doc["hasExtractedLicensingInfos"]}[ref] == "Apache 2.0"
    assert by_name["example.com/app"]["licenseDeclared"] == "NOASSERTION"


def test_unknown_format_is_a_usage_error(image_meta: ImageMetadata, catalog: Catalog) -> None:
    with pytest.raises(UsageError, match="unknown SBOM format"):
        render("xml", image_meta, catalog)


def test_empty_catalog(tmp_path: Path, image_meta: ImageMetadata) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    empty = Catalog(distro=None, packages=(), unknowns=())
    for fmt in WRITERS:
        path = _write(tmp_path, fmt, image_meta, empty)
        assert read_sbom(path).catalog == empty
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str((tmp_path / "sbom.cyclonedx-json.json").read_text()) is None


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_odd_text_is_written_as_utf8(tmp_path: Path, fmt: str, image_meta: ImageMetadata, catalog: Catalog) -> None:
    import dataclasses

    odd = dataclasses.replace(catalog.packages[0], name="naïve-\u2603", licenses=("Licence «libre»",),
                              created_by="RUN echo \udcff")  # a lone surrogate from undecodable bytes
    cat = dataclasses.replace(catalog, packages=(odd, *catalog.packages[1:]))
    path = tmp_path / "odd.json"
    path.write_bytes(render(fmt, image_meta, cat).encode("utf-8"))
    back = read_sbom(path).catalog.packages[0]
    assert back.name == "naïve-\u2603" and back.licenses == ("Licence «libre»",)
    assert back.created_by == "RUN echo ?"


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_metadata_that_is_not_plain_json(tmp_path: Path, fmt: str, image_meta: ImageMetadata, catalog: Catalog) -> None:
    import dataclasses

    odd = dataclasses.replace(catalog.packages[0], metadata={"files": {"/b", "/a"}, "raw": b"\xffx", "t": ("x",)})
    cat = dataclasses.replace(catalog, packages=(odd,))
    path = tmp_path / "meta.json"
    path.write_text(render(fmt, image_meta, cat), encoding="utf-8")
    assert read_sbom(path).catalog.packages[0].metadata == {"files": ["/a", "/b"], "raw": "\ufffdx", "t": ["x"]}


# Field names the SPDX 2.3 JSON schema allows (its objects are additionalProperties: false);
# spdx-tools' parser ignores unknown fields, so this checks what it does not.
SPDX_DOC_FIELDS = {"$schema", "SPDXID", "annotations", "comment", "creationInfo", "dataLicense", "externalDocumentRefs",
                   "hasExtractedLicensingInfos", "name", "revieweds", "spdxVersion", "documentNamespace",
                   "documentDescribes", "packages", "files", "snippets", "relationships"}
SPDX_PACKAGE_FIELDS = {"SPDXID", "annotations", "attributionTexts", "builtDate", "checksums", "comment", "copyrightText",
                       "description", "downloadLocation", "externalRefs", "filesAnalyzed", "hasFiles", "homepage",
                       "licenseComments", "licenseConcluded", "licenseDeclared", "licenseInfoFromFiles", "name",
                       "originator", "packageFileName", "packageVerificationCode", "primaryPackagePurpose",
                       "releaseDate", "sourceInfo", "summary", "supplier", "validUntilDate", "versionInfo"}
SPDX_PURPOSES = {"OTHER", "INSTALL", "ARCHIVE", "FIRMWARE", "APPLICATION", "FRAMEWORK", "LIBRARY", "CONTAINER", "SOURCE",
                 "DEVICE", "OPERATING-SYSTEM", "FILE"}
SPDX_DATE = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]|23:59:60)Z$"


def test_spdx_fields_are_schema_fields(tmp_path: Path, image_meta: ImageMetadata, catalog: Catalog) -> None:
    import re

    doc = json.loads(render("spdx-json", image_meta, catalog))  # the real clock, not CREATED
    assert set(doc) <= SPDX_DOC_FIELDS
    assert {"SPDXID", "creationInfo", "dataLicense", "name", "spdxVersion", "documentNamespace"} <= set(doc)
    assert set(doc["creationInfo"]) <= {"comment", "created", "creators", "licenseListVersion"}
    assert re.match(SPDX_DATE, doc["creationInfo"]["created"])
    annotations = list(doc.get("annotations", []))
    for p in doc["packages"]:
        assert set(p) <= SPDX_PACKAGE_FIELDS, set(p) - SPDX_PACKAGE_FIELDS
        assert {"SPDXID", "downloadLocation", "name"} <= set(p)
        assert re.match(r"^SPDXRef-[a-zA-Z0-9.-]+$", p["SPDXID"])
        assert p["primaryPackagePurpose"] in SPDX_PURPOSES
        for ref in p.get("externalRefs", []):
            assert set(ref) == {"referenceCategory", "referenceLocator", "referenceType"}
        annotations += p.get("annotations", [])
    for a in annotations:
        assert set(a) == {"annotationDate", "annotationType", "annotator", "comment"}
        assert a["annotationType"] in ("OTHER", "REVIEW") and re.match(SPDX_DATE, a["annotationDate"])
    for x in doc["hasExtractedLicensingInfos"]:
        assert set(x) <= {"comment", "crossRefs", "extractedText", "licenseId", "name", "seeAlsos"}
        assert re.match(r"^LicenseRef-[a-zA-Z0-9.-]+$", x["licenseId"])
    assert len({p["SPDXID"] for p in doc["packages"]}) == len(doc["packages"])


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_image_names_round_trip(tmp_path: Path, fmt: str, image_meta: ImageMetadata, catalog: Catalog) -> None:
    import dataclasses

    from hullcheck.model import Platform

    meta = dataclasses.replace(image_meta, repo_tags=("example/app:1.0", "example/app:latest"),
                               repo_digests=("example/app@sha256:" + "c" * 64,),
                               platform=Platform("linux", "arm", "v7"))
    back = read_sbom(_write(tmp_path, fmt, meta, catalog)).source
    assert (back.repo_tags, back.repo_digests, back.platform) == (meta.repo_tags, meta.repo_digests, meta.platform)


def test_hullcheck_json_matches_its_published_schema(image_meta: ImageMetadata, catalog: Catalog) -> None:
    import jsonschema

    from ..conftest import REPO

    schema = json.loads((REPO / "docs" / "sbom-json.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for cat in (catalog, Catalog(distro=None, packages=(), unknowns=())):
        doc = json.loads(render("json", image_meta, cat))
        assert [e.message for e in validator.iter_errors(doc)] == []
    doc["packages"] = [{"name": "x", "version": "1", "type": "bogus", "ecosystem": "", "purl": "", "found_by": "",
                        "locations": [{"path": "/x", "layer": -1}]}]
    assert len(list(validator.iter_errors(doc))) == 2  # the type and the layer index
    # the package types the schema lists are exactly the model's
    from hullcheck.model import PackageType

    assert set(schema["$defs"]["package"]["properties"]["type"]["enum"]) == {t.value for t in PackageType}


def test_license_index_warmed_on_a_thread_is_the_one_used() -> None:
    """``warm_up`` builds the SPDX index in the background; a render racing with it waits for
    that build instead of making a second index."""
    import threading

    from hullcheck.format import licenses

    licenses._licensing_obj = None
    licenses.spdx_expression.cache_clear()
    licenses.warm_up()
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(licenses._licensing())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(x) for x in seen}) == 1 and seen[0] is licenses._licensing()
    assert licenses.spdx_expression("mit or apache-2.0") == "MIT OR Apache-2.0"
