"""Other tools' documents: hullcheck's names, types and ecosystems rebuilt from purls."""

from __future__ import annotations

from typing import Any

import pytest

from hullcheck.format import read_sbom_doc
from hullcheck.model import PackageType

# (purl, name the document gives, version it gives) -> (type, hullcheck name, version, ecosystem, source)
CASES: list[tuple[str, str, str, tuple[PackageType, str, str, str, tuple[str, str]]]] = [
    ("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "log4j-core", "2.14.1",
     (PackageType.JAVA_ARCHIVE, "org.apache.logging.log4j:log4j-core", "2.14.1", "Maven", ("", ""))),
    ("pkg:golang/stdlib@go1.21.5", "stdlib", "go1.21.5", (PackageType.GO_MODULE, "stdlib", "1.21.5", "Go", ("", ""))),
    ("pkg:golang/stdlib@v1.22.0", "stdlib", "", (PackageType.GO_MODULE, "stdlib", "1.22.0", "Go", ("", ""))),
    ("pkg:golang/github.com/gin-gonic/gin@v1.9.0", "github.com/gin-gonic/gin", "v1.9.0",
     (PackageType.GO_MODULE, "github.com/gin-gonic/gin", "v1.9.0", "Go", ("", ""))),
    ("pkg:composer/monolog/monolog@2.9.1", "monolog/monolog", "2.9.1",
     (PackageType.COMPOSER, "monolog/monolog", "2.9.1", "Packagist", ("", ""))),
    ("pkg:cargo/serde@1.0.188", "serde", "1.0.188", (PackageType.RUST_CRATE, "serde", "1.0.188", "crates.io", ("", ""))),
    ("pkg:gem/rack@2.2.3", "rack", "2.2.3", (PackageType.GEM, "rack", "2.2.3", "RubyGems", ("", ""))),
    ("pkg:nuget/Newtonsoft.Json@13.0.1", "Newtonsoft.Json", "13.0.1",
     (PackageType.NUGET, "Newtonsoft.Json", "13.0.1", "NuGet", ("", ""))),
    ("pkg:pypi/pyyaml@5.3.1", "PyYAML", "5.3.1", (PackageType.PYTHON, "PyYAML", "5.3.1", "PyPI", ("", ""))),
    ("pkg:npm/%40babel/core@7.22.0", "", "", (PackageType.NPM, "@babel/core", "7.22.0", "npm", ("", ""))),
    ("pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&upstream=openssl&distro=alpine-3.19.1", "libcrypto3", "3.1.4-r5",
     (PackageType.APK, "libcrypto3", "3.1.4-r5", "Alpine:v3.19", ("openssl", "3.1.4-r5"))),
    ("pkg:rpm/rocky/openssl-libs@3.0.7-25.el9_3?arch=x86_64&epoch=1&upstream=openssl-3.0.7-25.el9_3.src.rpm&distro=rocky-9.3",
     "openssl-libs", "", (PackageType.RPM, "openssl-libs", "1:3.0.7-25.el9_3", "Rocky Linux:9", ("openssl", "3.0.7-25.el9_3"))),
]


def _cdx(components: list[dict[str, Any]]) -> dict[str, Any]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.5", "metadata": {"tools": [{"name": "othertool"}]},
            "components": components}


@pytest.mark.parametrize(("purl", "name", "version", "want"), CASES)
def test_cyclonedx_component(purl: str, name: str, version: str, want: tuple[Any, ...]) -> None:
    comp: dict[str, Any] = {"type": "library", "name": name or "x", "purl": purl}
    if version:
        comp["version"] = version
    if not name:
        comp["name"] = "@babel/core"
    doc = read_sbom_doc(_cdx([comp]))
    (p,) = doc.catalog.packages
    assert (p.type, p.name, p.version, p.ecosystem, (p.source_name, p.source_version)) == want
    assert p.purl == purl and p.found_by == "othertool" and doc.tool == "othertool"


@pytest.mark.parametrize(("purl", "name", "version", "want"), CASES)
def test_spdx_package(purl: str, name: str, version: str, want: tuple[Any, ...]) -> None:
    pkg: dict[str, Any] = {"SPDXID": "SPDXRef-p", "name": name or "@babel/core", "downloadLocation": "NOASSERTION",
                           "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                             "referenceLocator": purl}]}
    if version:
        pkg["versionInfo"] = version
    doc = read_sbom_doc({"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "packages": [pkg],
                         "creationInfo": {"creators": ["Tool: othertool-1.0"]}})
    (p,) = doc.catalog.packages
    assert (p.type, p.name, p.version, p.ecosystem, (p.source_name, p.source_version)) == want
    assert doc.tool == "othertool"


def test_unsupported_components_are_unknowns() -> None:
    doc = read_sbom_doc(_cdx([
        {"type": "library", "name": "thing", "version": "1", "purl": "pkg:generic/thing@1"},
        {"type": "library", "name": "nopurl"},
        {"type": "file", "name": "/etc/passwd"},
        {"type": "operating-system", "name": "ubuntu", "version": "22.04", "description": "Ubuntu 22.04.4 LTS"},
        {"type": "library", "name": "bash", "version": "5.1-6ubuntu1",
         "purl": "pkg:deb/ubuntu/bash@5.1-6ubuntu1?arch=amd64&distro=ubuntu-22.04"},
    ]))
    assert [(u.path, u.found_by) for u in doc.catalog.unknowns] == [
        ("thing@1", "cyclonedx-json-reader"), ("nopurl", "cyclonedx-json-reader")]
    assert doc.catalog.distro is not None and doc.catalog.distro.ecosystem == "Ubuntu:22.04:LTS"
    (bash,) = doc.catalog.packages
    assert bash.ecosystem == "Ubuntu:22.04:LTS" and bash.source_name == "bash"


def test_trivy_source_version_parts() -> None:
    props = {"aquasecurity:trivy:SrcName": "openssl", "aquasecurity:trivy:SrcVersion": "3.0.7",
             "aquasecurity:trivy:SrcRelease": "25.el9_3", "aquasecurity:trivy:SrcEpoch": "1",
             "aquasecurity:trivy:FilePath": "usr/lib/x", "aquasecurity:trivy:LayerDiffID": "sha256:abc"}
    doc = read_sbom_doc(_cdx([{"type": "library", "name": "openssl-libs", "version": "1:3.0.7-25.el9_3",
                               "purl": "pkg:rpm/rocky/openssl-libs@3.0.7-25.el9_3?arch=x86_64&epoch=1&distro=rocky-9.3",
                               "properties": [{"name": k, "value": v} for k, v in props.items()]}]))
    (p,) = doc.catalog.packages
    assert (p.source_name, p.source_version) == ("openssl", "1:3.0.7-25.el9_3")
    assert [(loc.path, loc.layer_diff_id) for loc in p.locations] == [("/usr/lib/x", "sha256:abc")]
    assert p.layer_diff_id == "sha256:abc"


def test_spdx_locations_from_files() -> None:
    def file(sid: str, name: str, comment: str = "") -> dict[str, Any]:
        f = {"SPDXID": sid, "fileName": name, "checksums": [{"algorithm": "SHA1", "checksumValue": "00"}]}
        return {**f, "comment": comment} if comment else f

    pkg = {"SPDXID": "SPDXRef-p", "name": "six", "versionInfo": "1.16.0", "downloadLocation": "NOASSERTION",
           "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                             "referenceLocator": "pkg:pypi/six@1.16.0"}]}
    files = [file("SPDXRef-meta", "usr/lib/six-1.16.0.dist-info/METADATA", "layerID: sha256:l1"),
             file("SPDXRef-code", "usr/lib/six.py")]
    rel = [{"spdxElementId": "SPDXRef-p", "relatedSpdxElement": "SPDXRef-code", "relationshipType": "CONTAINS"},
           {"spdxElementId": "SPDXRef-p", "relatedSpdxElement": "SPDXRef-meta", "relationshipType": "OTHER",
            "comment": "evident-by: indicates the package's existence is evident by the given file"}]
    base = {"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "packages": [pkg], "files": files}
    # syft: the evidence is the metadata file, not every installed file
    (p,) = read_sbom_doc({**base, "relationships": rel}).catalog.packages
    assert [(loc.path, loc.layer_diff_id) for loc in p.locations] == [
        ("/usr/lib/six-1.16.0.dist-info/METADATA", "sha256:l1")]
    # trivy: only CONTAINS
    (p,) = read_sbom_doc({**base, "relationships": rel[:1]}).catalog.packages
    assert [loc.path for loc in p.locations] == ["/usr/lib/six.py"]
