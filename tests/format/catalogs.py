"""Catalogs for the format tests: one of every package kind, attributed to the layers of a real image.

``sample_catalog`` takes its layers (diff_ids, history) from the image metadata it is given, so
layer facts are the image's own; names, versions and purls follow what the catalogers produce.
"""

from __future__ import annotations

from hullcheck.catalog.runner import Catalog
from hullcheck.model import Distro, ImageMetadata, Location, Package, PackageType, Unknown


def _at(meta: ImageMetadata, path: str, layer: int) -> Location:
    return Location(path=path, layer_index=layer, layer_diff_id=meta.layers[layer].diff_id)


def sample_catalog(meta: ImageMetadata) -> Catalog:
    last = len(meta.layers) - 1

    def pkg(name: str, version: str, type_: PackageType, ecosystem: str, purl: str, paths: list[str], layer: int,
            **kw: object) -> Package:
        return Package(
            name=name, version=version, type=type_, ecosystem=ecosystem, purl=purl,
            locations=tuple(_at(meta, p, min(layer + 1, last) if i else layer) for i, p in enumerate(paths)),
            layer_index=layer, layer_diff_id=meta.layers[layer].diff_id, created_by=meta.layers[layer].created_by,
            **kw,  # type: ignore[arg-type]
        )

    distro = Distro(id="debian", version_id="12", version_codename="bookworm",
                    pretty_name="Debian GNU/Linux 12 (bookworm)", ecosystem="Debian:12")
    packages = (
        pkg("libc6", "2.36-9+deb12u4", PackageType.DEB, "Debian:12",
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc",
            ["/var/lib/dpkg/status"], 0, source_name="glibc", source_version="2.36-9+deb12u4", arch="amd64",
            licenses=("GPL-2.0-or-later", "LGPL-2.1-or-later"), found_by="dpkg-db"),
        pkg("libdb5.3", "5.3.28+dfsg2-1+b1", PackageType.DEB, "Debian:12",
            "pkg:deb/debian/libdb5.3@5.3.28%2Bdfsg2-1%2Bb1?arch=amd64&distro=debian-12",
            ["/var/lib/dpkg/status"], 1, source_name="db5.3", source_version="5.3.28+dfsg2-1", arch="amd64",
            licenses=("Sleepycat",), found_by="dpkg-db"),
        pkg("tzdata", "2024a-0+deb12u1", PackageType.DEB, "Debian:12",
            "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12",
            ["/var/lib/dpkg/status"], 1, arch="all", licenses=("public-domain",), found_by="dpkg-db"),
        pkg("requests", "2.19.1", PackageType.PYTHON, "PyPI", "pkg:pypi/requests@2.19.1",
            ["/usr/local/lib/python3.11/site-packages/requests-2.19.1.dist-info/METADATA",
             "/usr/local/lib/python3.11/site-packages/requests-2.19.1.dist-info/RECORD"], 1,
            licenses=("Apache 2.0",), found_by="python-dist-info", metadata={"summary": "HTTP for Humans."}),
        pkg("@babel/core", "7.22.0", PackageType.NPM, "npm", "pkg:npm/%40babel/core@7.22.0",
            ["/app/node_modules/@babel/core/package.json"], last, licenses=("MIT",), found_by="npm-package-json"),
        pkg("lodash", "4.17.20", PackageType.NPM, "npm", "pkg:npm/lodash@4.17.20",
            ["/app/node_modules/lodash/package.json"], last, licenses=("mit or apache-2.0",),
            found_by="npm-package-json"),
        pkg("stdlib", "1.21.5", PackageType.GO_MODULE, "Go", "pkg:golang/stdlib@1.21.5", ["/app/server"], last,
            found_by="go-binary", metadata={"go_version": "go1.21.5"}),
        pkg("github.com/gin-gonic/gin", "v1.9.0", PackageType.GO_MODULE, "Go",
            "pkg:golang/github.com/gin-gonic/gin@v1.9.0", ["/app/server"], last, licenses=("MIT",),
            found_by="go-binary"),
        pkg("example.com/app", "(devel)", PackageType.GO_MODULE, "Go", "pkg:golang/example.com/app", ["/app/server"],
            last, found_by="go-binary", metadata={"skip_match": "main module built from a source tree: version (devel)",
                                                  "main_module": True}),
        pkg("org.apache.logging.log4j:log4j-core", "2.14.1", PackageType.JAVA_ARCHIVE, "Maven",
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", ["/app/lib/app.jar", "/app/lib/app.jar!/log4j-core-2.14.1.jar"],
            last, licenses=("Apache-2.0",), found_by="java-archive"),
        pkg("serde", "1.0.188", PackageType.RUST_CRATE, "crates.io", "pkg:cargo/serde@1.0.188", ["/app/rusty"], last,
            licenses=("MIT OR Apache-2.0",), found_by="cargo-auditable"),
        pkg("rack", "2.2.3", PackageType.GEM, "RubyGems", "pkg:gem/rack@2.2.3",
            ["/usr/lib/ruby/gems/3.1.0/specifications/rack-2.2.3.gemspec"], last, found_by="ruby-gemspec"),
        pkg("monolog/monolog", "2.9.1", PackageType.COMPOSER, "Packagist", "pkg:composer/monolog/monolog@2.9.1",
            ["/app/vendor/composer/installed.json"], last, licenses=("MIT",), found_by="php-composer"),
        pkg("Newtonsoft.Json", "13.0.1", PackageType.NUGET, "NuGet", "pkg:nuget/Newtonsoft.Json@13.0.1",
            ["/app/app.deps.json"], last, found_by="dotnet-deps"),
        pkg("musl", "1.2.4-r2", PackageType.APK, "Alpine:v3.18", "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64",
            ["/lib/apk/db/installed"], 0, source_name="musl", arch="x86_64", licenses=("MIT",), found_by="apk-db"),
        pkg("openssl-libs", "1:3.0.7-25.el9_3", PackageType.RPM, "Rocky Linux:9",
            "pkg:rpm/rocky/openssl-libs@3.0.7-25.el9_3?arch=x86_64&epoch=1",
            ["/var/lib/rpm/rpmdb.sqlite"], 0, source_name="openssl", source_version="3.0.7-25.el9_3", arch="x86_64",
            licenses=("ASL 2.0",), found_by="rpm-db"),
    )
    unknowns = (
        Unknown(path="/app/broken/package.json", reason="not JSON: Expecting value", found_by="npm-package-json",
                layer_index=last),
        Unknown(path="/usr/lib/python3/dist-packages/x.egg-info/PKG-INFO", reason="no Name", found_by="python-egg"),
    )
    return Catalog(distro=distro, packages=packages, unknowns=unknowns)
