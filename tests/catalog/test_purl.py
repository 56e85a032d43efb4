"""purl helpers: the fast path for OS packages equals packageurl-python; with_distro."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from packageurl import PackageURL

from hullcheck.catalog.purl import build_purl, distro_qualifier, with_distro
from hullcheck.model import Distro, Package, PackageType


def _reference(type_: str, name: str, version: str, namespace: str, quals: dict[str, str]) -> str:
    q = {k: v for k, v in quals.items() if v}
    return PackageURL(
        type=type_,
        namespace=namespace or None,
        name=name,
        version=version or None,
        qualifiers=q or None,
    ).to_string()


_text = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=0x2FF), max_size=12)
_plainish = st.text(alphabet="abcXYZ019._~:+-/@ %?#", min_size=1, max_size=20)


@settings(max_examples=300, deadline=None)
@given(
    type_=st.sampled_from(["deb", "rpm", "apk"]),
    name=st.one_of(_plainish, _text),
    version=st.one_of(st.just(""), _plainish, _text),
    namespace=st.sampled_from(["", "debian", "Alpine", "redhat"]),
    arch=st.one_of(st.just(""), _plainish),
    upstream=st.one_of(st.just(""), _plainish, _text),
)
def test_os_fast_path_equals_packageurl(
    type_: str, name: str, version: str, namespace: str, arch: str, upstream: str
) -> None:
    quals = {"arch": arch, "upstream": upstream}
    try:
        want = _reference(type_, name, version, namespace, quals)
    except (ValueError, TypeError):
        # packageurl refuses it (e.g. a name that is only blanks): no purl rather than an error
        assert build_purl(type_, name, version, namespace, quals) == ""
        return
    assert build_purl(type_, name, version, namespace, quals) == want


def test_language_types_go_through_packageurl() -> None:
    assert build_purl("pypi", "Foo_Bar", "1.0") == "pkg:pypi/foo-bar@1.0"
    assert build_purl("npm", "core", "7.0.0", "@babel") == "pkg:npm/%40babel/core@7.0.0"
    assert build_purl("golang", "b", "v1.2.3", "github.com/a") == "pkg:golang/github.com/a/b@v1.2.3"
    assert build_purl("deb", "", "1") == ""


def test_with_distro_fills_ecosystem_namespace_and_qualifier() -> None:
    pkg = Package(
        name="libc6",
        version="2.36-9+deb12u1",
        type=PackageType.DEB,
        purl=build_purl(
            "deb", "libc6", "2.36-9+deb12u1", "debian", {"arch": "amd64", "upstream": "glibc"}
        ),
        arch="amd64",
    )
    ubuntu = Distro(id="ubuntu", version_id="22.04", ecosystem="Ubuntu:22.04:LTS")
    out = with_distro(pkg, ubuntu)
    assert out.ecosystem == "Ubuntu:22.04:LTS"
    assert out.purl == (
        "pkg:deb/ubuntu/libc6@2.36-9%2Bdeb12u1?arch=amd64&distro=ubuntu-22.04&upstream=glibc"
    )
    assert (out.name, out.version, out.arch) == (pkg.name, pkg.version, pkg.arch)

    rpm = Package(
        name="bash",
        version="5.1.8-6.el9",
        type=PackageType.RPM,
        purl=build_purl("rpm", "bash", "5.1.8-6.el9", "", {"arch": "x86_64"}),
    )
    rhel = Distro(id="rhel", version_id="9.3", ecosystem="Red Hat")
    assert (
        with_distro(rpm, rhel).purl == "pkg:rpm/redhat/bash@5.1.8-6.el9?arch=x86_64&distro=rhel-9.3"
    )

    # a package without a purl gets one; language packages and an unknown distro are untouched
    bare = Package(name="musl", version="1.2.4-r2", type=PackageType.APK, arch="x86_64")
    alpine = Distro(id="alpine", version_id="3.19.1", ecosystem="Alpine:v3.19")
    assert (
        with_distro(bare, alpine).purl
        == "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1"
    )
    py = Package(name="requests", version="2.31.0", type=PackageType.PYTHON, ecosystem="PyPI")
    assert with_distro(py, alpine) is py
    assert with_distro(pkg, None) is pkg


def test_distro_qualifier() -> None:
    assert distro_qualifier(Distro(id="debian", version_id="12")) == "debian-12"
    assert distro_qualifier(Distro(id="wolfi")) == "wolfi"
    assert distro_qualifier(Distro(id="")) == ""
