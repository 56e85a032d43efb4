"""Java archives: Debian's real jars (with Maven's pom.properties), and wars, ears and fat jars
built from them here; zip bombs, deep nesting and broken archives."""

from __future__ import annotations

import io
import os
import struct
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullcheck.catalog.interface import Artifact, FileInput
from hullcheck.catalog.java import SKIP_MATCH, JavaArchiveAnalyzer, split_file_name
from hullcheck.catalog.java_archive import Limits, parse_manifest, parse_properties
from hullcheck.model import PackageType
from tests.conftest import need

JAVA = Path("/usr/share/java")
# Debian packages (see .ci/run): libcommons-lang3-java, libcommons-io-java,
# libwagon-http-shaded-java (a shaded jar bundling several artifacts).
LANG3 = JAVA / "commons-lang3.jar"
COMMONS_IO = JAVA / "commons-io.jar"
SHADED = JAVA / "wagon-http-shaded.jar"

ANALYZER = JavaArchiveAnalyzer()


@pytest.fixture(scope="session")
def jars() -> dict[str, bytes]:
    for j in (LANG3, COMMONS_IO, SHADED):
        need(j.is_file(), f"{j} (Debian libcommons-lang3-java, libcommons-io-java, ...)")
    return {p.name: p.read_bytes() for p in (LANG3, COMMONS_IO, SHADED)}


def poms_in(data: bytes) -> list[tuple[str, str, str]]:
    """(group, artifact, version) of every pom.properties, read plainly with zipfile."""
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("META-INF/maven/") and name.endswith("/pom.properties"):
                kv = dict(
                    line.split("=", 1)
                    for line in z.read(name).decode().splitlines()
                    if "=" in line and not line.startswith("#")
                )
                out.append((kv["groupId"].strip(), kv["artifactId"].strip(), kv["version"].strip()))
    return out


def analyze(path: str, data: bytes, analyzer: JavaArchiveAnalyzer = ANALYZER) -> Artifact | None:
    return analyzer.analyze(
        FileInput(path=path, size=len(data), mode=0o644, opener=lambda: io.BytesIO(data))
    )


def make_zip(entries: dict[str, bytes], stored: bool = False) -> bytes:
    buf = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def pom_properties(group: str, artifact: str, version: str) -> bytes:
    text = f"#Created by Apache Maven\ngroupId={group}\nartifactId={artifact}\nversion={version}\n"
    return text.encode()


def idents(art: Artifact | None) -> set[tuple[str, str]]:
    assert art is not None
    return {(p.name, p.version) for p in art.packages}


# --- plain and shaded jars ---------------------------------------------------------------------


def test_plain_jar_is_its_pom_properties(jars: dict[str, bytes]) -> None:
    data = jars[LANG3.name]
    [(g, a, v)] = poms_in(data)
    art = analyze(str(LANG3), data)
    assert art is not None and art.unknown is None
    [p] = art.packages
    assert (p.name, p.version) == (f"{g}:{a}", v)
    assert p.type is PackageType.JAVA_ARCHIVE and p.ecosystem == "Maven"
    assert p.purl == f"pkg:maven/{g}/{a}@{v}"
    assert p.found_by == "java-archive"
    assert [loc.path for loc in p.locations] == [str(LANG3)]
    assert p.metadata["group_id"] == g and p.metadata["artifact_id"] == a
    assert p.metadata["confidence"] == "high" and SKIP_MATCH not in p.metadata
    assert p.metadata["archive_path"] == str(LANG3) and "nested_path" not in p.metadata


def test_shaded_jar_gives_one_package_per_pom_properties(jars: dict[str, bytes]) -> None:
    data = jars[SHADED.name]
    poms = poms_in(data)
    assert len(poms) > 2
    art = analyze(str(SHADED), data)
    assert idents(art) == {(f"{g}:{a}", v) for g, a, v in poms}
    assert art is not None and all(p.metadata["confidence"] == "high" for p in art.packages)


def with_manifest(data: bytes, manifest: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        entries = {n: z.read(n) for n in z.namelist() if n != "META-INF/MANIFEST.MF"}
    return make_zip({"META-INF/MANIFEST.MF": manifest, **entries})


def test_shaded_jar_whose_manifest_names_one_of_its_poms(jars: dict[str, bytes]) -> None:
    poms = poms_in(jars[SHADED.name])
    _, own_artifact, own_version = next(p for p in poms if p[1] == "wagon-http")
    version_only = f"Manifest-Version: 1.0\nImplementation-Version: {own_version}\n\n".encode()
    titled = version_only.replace(b"\n\n", f"\nImplementation-Title: {own_artifact}\n\n".encode())
    expected = {(f"{g}:{a}", v) for g, a, v in poms}
    # The title says which pom.properties is the jar's own: nothing more is reported.
    assert idents(analyze("/lib/bundle.jar", with_manifest(jars[SHADED.name], titled))) == expected
    # Without it, the jar itself is a further (unmatchable) package from its manifest.
    art = analyze("/lib/bundle.jar", with_manifest(jars[SHADED.name], version_only))
    assert idents(art) == expected | {("bundle", own_version)}


# --- nested archives ---------------------------------------------------------------------------


def build_war(jars: dict[str, bytes]) -> bytes:
    return make_zip(
        {
            "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\r\n\r\n",
            "META-INF/maven/com.example/shop/pom.properties": pom_properties(
                "com.example", "shop", "1.4.0"
            ),
            "WEB-INF/web.xml": b"<web-app/>",
            "WEB-INF/classes/com/example/Shop.class": b"\xca\xfe\xba\xbe\x00\x00\x00\x37",
            "WEB-INF/lib/commons-lang3-3.12.0.jar": jars[LANG3.name],
            "WEB-INF/lib/commons-io.jar": jars[COMMONS_IO.name],
        }
    )


def test_war_reports_its_libraries(jars: dict[str, bytes]) -> None:
    war = build_war(jars)
    art = analyze("/srv/app/shop.war", war)
    assert art is not None and art.unknown is None
    expected = {("com.example:shop", "1.4.0")}
    for j in (LANG3.name, COMMONS_IO.name):
        expected |= {(f"{g}:{a}", v) for g, a, v in poms_in(jars[j])}
    assert idents(art) == expected
    by_name = {p.name: p for p in art.packages}
    [(g, a, _)] = poms_in(jars[LANG3.name])
    lang3 = by_name[f"{g}:{a}"]
    assert [loc.path for loc in lang3.locations] == ["/srv/app/shop.war"]
    assert (
        lang3.metadata["archive_path"] == "/srv/app/shop.war!/WEB-INF/lib/commons-lang3-3.12.0.jar"
    )
    assert lang3.metadata["nested_path"] == "WEB-INF/lib/commons-lang3-3.12.0.jar"
    assert by_name["com.example:shop"].metadata["archive_path"] == "/srv/app/shop.war"


def test_ear_with_war_and_shaded_jar_two_levels_deep(jars: dict[str, bytes]) -> None:
    ear = make_zip(
        {
            "META-INF/application.xml": b"<application/>",
            "shop.war": build_war(jars),
            "lib/wagon-http-shaded.jar": jars[SHADED.name],
        },
        stored=True,
    )
    art = analyze("/opt/app.ear", ear)
    assert art is not None and art.unknown is None
    expected = {("com.example:shop", "1.4.0")}
    for j in jars:
        expected |= {(f"{g}:{a}", v) for g, a, v in poms_in(jars[j])}
    assert idents(art) == expected
    paths = {p.metadata["archive_path"] for p in art.packages}
    assert "/opt/app.ear!/shop.war!/WEB-INF/lib/commons-io.jar" in paths
    assert "/opt/app.ear!/lib/wagon-http-shaded.jar" in paths


def test_spring_boot_fat_jar_with_stored_libs(jars: dict[str, bytes]) -> None:
    manifest = (
        b"Manifest-Version: 1.0\r\nMain-Class: org.springframework.boot.loader.JarLauncher\r\n"
        b"Start-Class: com.example.Demo\r\nImplementation-Title: demo\r\n"
        b"Implementation-Version: 0.0.1-SNAPSHOT\r\n\r\n"
    )
    fat = make_zip(
        {
            "META-INF/MANIFEST.MF": manifest,
            "BOOT-INF/classes/com/example/Demo.class": b"\xca\xfe\xba\xbe",
            "BOOT-INF/lib/commons-lang3-3.12.0.jar": jars[LANG3.name],
            "BOOT-INF/lib/commons-io-2.11.0.jar": jars[COMMONS_IO.name],
        },
        stored=True,
    )
    art = analyze("/app/demo-0.0.1-SNAPSHOT.jar", fat)
    assert art is not None and art.unknown is None
    got = {p.name: p for p in art.packages}
    for j in (LANG3.name, COMMONS_IO.name):
        for g, a, v in poms_in(jars[j]):
            assert got[f"{g}:{a}"].version == v
    # The application itself has no pom.properties: manifest version, file name as artifact.
    demo = got["demo"]
    assert demo.version == "0.0.1-SNAPSHOT"
    assert demo.metadata["confidence"] == "medium" and demo.metadata["source"] == "manifest"
    assert SKIP_MATCH in demo.metadata  # no groupId: not matchable


# --- fallbacks -------------------------------------------------------------------------------


def without_poms(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return make_zip({n: z.read(n) for n in z.namelist() if not n.startswith("META-INF/maven/")})


def test_manifest_fallback_with_vendor_id_reproduces_the_pom(jars: dict[str, bytes]) -> None:
    # commons-io's manifest carries Implementation-Vendor-Id (the groupId maven-jar-plugin
    # writes); without its pom.properties the manifest must still give the same coordinates.
    data = jars[COMMONS_IO.name]
    [(g, a, v)] = poms_in(data)
    art = analyze("/usr/share/java/commons-io.jar", without_poms(data))
    assert art is not None
    [p] = art.packages
    assert (p.name, p.version) == (f"{g}:{a}", v)
    assert p.metadata["source"] == "manifest" and p.metadata["confidence"] == "medium"
    assert SKIP_MATCH not in p.metadata


def test_manifest_fallback_without_group(jars: dict[str, bytes]) -> None:
    data = jars[LANG3.name]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        manifest = parse_manifest(z.read("META-INF/MANIFEST.MF"))
    art = analyze("/usr/share/java/commons-lang3.jar", without_poms(data))
    assert art is not None
    [p] = art.packages
    assert (p.name, p.version) == ("commons-lang3", manifest["Implementation-Version"])
    assert p.metadata["manifest_name"] == manifest["Implementation-Title"]
    assert p.purl == f"pkg:maven/commons-lang3@{manifest['Implementation-Version']}"
    assert SKIP_MATCH in p.metadata


def test_jenkins_plugin_manifest(jars: dict[str, bytes]) -> None:
    manifest = (
        b"Manifest-Version: 1.0\r\nGroup-Id: org.jenkins-ci.plugins\r\nShort-Name: git-client\r\n"
        b"Long-Name: Jenkins Git client plugin\r\nPlugin-Version: 4.4.0\r\n"
        b"Implementation-Version: 4.4.0\r\n\r\n"
    )
    hpi = make_zip(
        {"META-INF/MANIFEST.MF": manifest, "WEB-INF/lib/commons-io.jar": jars[COMMONS_IO.name]}
    )
    art = analyze("/var/jenkins_home/plugins/git-client.jpi", hpi)
    expected = {(f"{g}:{a}", v) for g, a, v in poms_in(jars[COMMONS_IO.name])}
    assert idents(art) == expected | {("org.jenkins-ci.plugins:git-client", "4.4.0")}


def test_file_name_is_the_last_resort() -> None:
    jar = make_zip({"a/B.class": b"\xca\xfe\xba\xbe"})
    art = analyze("/lib/tiny-lib-2.4.1.jar", jar)
    assert art is not None
    [p] = art.packages
    assert (p.name, p.version) == ("tiny-lib", "2.4.1")
    assert p.metadata["confidence"] == "low" and p.metadata["source"] == "filename"
    assert analyze("/lib/noversion.jar", jar) is None


def test_split_file_name_against_debian_jar_names() -> None:
    # Debian links name-version.jar to each jar; its pom.properties is the truth.
    need(JAVA.is_dir(), "/usr/share/java")
    checked = 0
    for link in sorted(JAVA.glob("*.jar")):
        if not link.is_symlink() or not link.resolve().is_file():
            continue
        poms = poms_in(link.resolve().read_bytes())
        if len(poms) != 1:
            continue
        _, a, v = poms[0]
        if link.name != f"{a}-{v}.jar":
            continue
        assert split_file_name(link.name) == (a, v)
        checked += 1
    assert checked >= 2


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("guava-31.1-jre.jar", ("guava", "31.1-jre")),
        ("spring-core-5.3.20.RELEASE.jar", ("spring-core", "5.3.20.RELEASE")),
        ("app.war", ("app", "")),
        ("jsr305-0.1~+svn49.jar", ("jsr305", "0.1~+svn49")),
    ],
)
def test_split_file_name(name: str, expected: tuple[str, str]) -> None:
    assert split_file_name(name) == expected


# --- metadata file parsers -------------------------------------------------------------------


def test_manifest_continuation_lines_and_sections(jars: dict[str, bytes]) -> None:
    with zipfile.ZipFile(io.BytesIO(jars[LANG3.name])) as z:
        raw = z.read("META-INF/MANIFEST.MF")
    m = parse_manifest(raw)
    # Export-Package spans many 72-byte lines in the raw file.
    assert len(raw.decode().split("Export-Package:")[1].split("\n")[0]) < 80
    assert "org.apache.commons.lang3.text.translate" in m["Export-Package"]
    assert "\n" not in m["Export-Package"]
    sectioned = (
        b"Manifest-Version: 1.0\nImplementation-Version: 1\n\nName: x/\nImplementation-Version: 2\n"
    )
    assert parse_manifest(sectioned)["Implementation-Version"] == "1"


def test_properties_syntax() -> None:
    text = (
        b"# comment\n! also a comment\n"
        b"groupId = org.example\n"
        b"artifactId:lib\n"
        b"version 1.0\\\n    .2\n"
        b"key\\ with\\ spaces=v\\u00e9\\tx\n"
    )
    p = parse_properties(text)
    assert p == {
        "groupId": "org.example",
        "artifactId": "lib",
        "version": "1.0.2",
        "key with spaces": "v\u00e9\tx",
    }


# --- hostile archives --------------------------------------------------------------------------


def test_nested_zip_bomb_is_skipped_within_limits(jars: dict[str, bytes]) -> None:
    # bomb.jar is small, but its one entry inflates to 8 MiB: not metadata, so never inflated.
    bomb = make_zip({"x/zeros.bin": b"\0" * (8 << 20)})
    war = make_zip({"WEB-INF/lib/bomb.jar": bomb, "WEB-INF/lib/lang3.jar": jars[LANG3.name]})
    # huge.jar itself inflates to 8 MiB, past a 1 MiB nested-archive limit: never held.
    huge_nested = make_zip({"WEB-INF/lib/huge.jar": b"PK" + b"\0" * (8 << 20)})
    limited = JavaArchiveAnalyzer(Limits(max_nested_size=1 << 20))
    start = time.monotonic()
    art = analyze("/a.war", war, limited)
    art2 = analyze("/b.war", huge_nested, limited)
    assert time.monotonic() - start < 5
    assert idents(art) == {(f"{g}:{a}", v) for g, a, v in poms_in(jars[LANG3.name])}
    assert art is not None and art.unknown is None
    assert art2 is not None and not art2.packages
    assert art2.unknown and "WEB-INF/lib/huge.jar" in art2.unknown
    assert "exceeds the nested archive limit" in art2.unknown


def deflated_zip(names: list[str], payload: bytes) -> bytes:
    """A zip whose entries all hold ``payload``, compressed once (zipfile would deflate every
    copy again, which is slow for a bomb of hundreds of MiB)."""
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    comp = co.compress(payload) + co.flush()
    crc = zlib.crc32(payload)
    out = bytearray()
    central = bytearray()
    for name in names:
        n = name.encode()
        fixed = struct.pack("<HHHHHIIIH", 20, 0, 8, 0, 0, crc, len(comp), len(payload), len(n))
        central += b"PK\x01\x02" + struct.pack("<H", 20) + fixed
        central += struct.pack("<HHHHII", 0, 0, 0, 0, 0, len(out)) + n
        out += b"PK\x03\x04" + fixed + struct.pack("<H", 0) + n + comp
    eocd = struct.pack("<HHHHIIH", 0, 0, len(names), len(names), len(central), len(out), 0)
    return bytes(out + central + b"PK\x05\x06" + eocd)


def test_metadata_bombs_are_bounded() -> None:
    # 300 pom.properties of 4 MiB of zeros each (4 KiB compressed apiece): 1.2 GiB if inflated.
    # Each read stops at the metadata limit, the whole file at the read budget.
    names = [f"META-INF/maven/g/a{i}/pom.properties" for i in range(300)]
    data = deflated_zip(names, b"\0" * (4 << 20))
    assert len(data) < 8 << 20
    with zipfile.ZipFile(io.BytesIO(data)) as z:  # a well-formed archive
        assert z.infolist()[0].file_size == 4 << 20
    analyzer = JavaArchiveAnalyzer(Limits(max_total_read=64 << 20))
    start = time.monotonic()
    art = analyze("/bomb.jar", data, analyzer)
    assert time.monotonic() - start < 10
    assert art is not None and not art.packages
    assert art.unknown and "exceeds 1048576 bytes" in art.unknown and "more like it" in art.unknown
    assert "read budget of 67108864 bytes exhausted" in art.unknown
    # With the default limits the same file is still bounded (512 MiB budget).
    start = time.monotonic()
    art = analyze("/bomb.jar", data)
    assert time.monotonic() - start < 20
    assert art is not None and not art.packages and art.unknown


def test_empty_archive_has_nothing() -> None:
    assert analyze("/empty.jar", make_zip({})) is None


def test_nesting_beyond_the_depth_limit_is_skipped() -> None:
    # level0.jar contains level1.jar contains ... level7.jar, each with its own pom.properties.
    inner = b""
    for level in range(7, -1, -1):
        entries = {
            f"META-INF/maven/org.example/level{level}/pom.properties": pom_properties(
                "org.example", f"level{level}", f"{level}.0"
            )
        }
        if inner:
            entries[f"lib/level{level + 1}.jar"] = inner
        inner = make_zip(entries)
    art = analyze("/level0.jar", inner)
    assert art is not None
    limit = Limits().max_depth
    assert idents(art) == {(f"org.example:level{i}", f"{i}.0") for i in range(limit + 1)}
    assert art.unknown and f"nested deeper than {limit}" in art.unknown
    deepest = max(art.packages, key=lambda p: p.metadata["archive_path"].count("!/"))
    assert deepest.metadata["archive_path"].count("!/") == limit


def test_total_entries_across_nested_archives_are_bounded() -> None:
    def lib(n: int) -> bytes:
        files = {f"c{i}.class": b"x" for i in range(100)}
        return make_zip(
            {
                **files,
                f"META-INF/maven/g/lib{n}/pom.properties": pom_properties("g", f"lib{n}", "1"),
            }
        )

    war = make_zip(
        {"WEB-INF/lib/a.jar": lib(1), "WEB-INF/lib/b.jar": lib(2), "WEB-INF/lib/c.jar": lib(3)}
    )
    art = analyze("/x.war", war, JavaArchiveAnalyzer(Limits(max_total_entries=150)))
    assert art is not None and art.unknown and "more than 150 entries in all" in art.unknown
    assert idents(art) == {("g:lib1", "1"), ("g:lib2", "1")}


def test_too_many_entries_is_unknown() -> None:
    data = make_zip({f"f{i}.txt": b"x" for i in range(120)})
    art = analyze("/many.jar", data, JavaArchiveAnalyzer(Limits(max_entries=100)))
    assert art is not None and not art.packages
    assert art.unknown and "exceed" in art.unknown


def test_forged_central_directory_size_is_refused() -> None:
    data = bytearray(make_zip({"a.txt": b"x"}))
    eocd = data.rfind(b"PK\x05\x06")
    data[eocd + 12 : eocd + 16] = (0xFFFFFFF0).to_bytes(4, "little")
    art = analyze("/forged.jar", bytes(data))
    assert art is not None and art.unknown and not art.packages


@pytest.mark.parametrize(
    "data",
    [b"", b"not a zip at all", b"PK\x03\x04" + b"\0" * 100, b"PK\x05\x06" + b"\0" * 10],
)
def test_non_archives_are_unknown(data: bytes) -> None:
    art = analyze("/x.jar", data)
    assert art is not None and art.unknown and not art.packages


def test_truncated_jar_is_unknown(jars: dict[str, bytes]) -> None:
    data = jars[LANG3.name]
    art = analyze("/t.jar", data[: len(data) // 2])
    assert art is not None and art.unknown and not art.packages


def test_broken_nested_archive_keeps_the_rest(jars: dict[str, bytes]) -> None:
    war = make_zip(
        {
            "WEB-INF/lib/broken.jar": b"PK\x03\x04" + os.urandom(2000),
            "WEB-INF/lib/notzip.jar": b"hello",
            "WEB-INF/lib/commons-lang3.jar": jars[LANG3.name],
        }
    )
    art = analyze("/w.war", war)
    assert idents(art) == {(f"{g}:{a}", v) for g, a, v in poms_in(jars[LANG3.name])}
    assert art is not None and art.unknown
    assert "broken.jar" in art.unknown and "notzip.jar" in art.unknown


def test_wants_java_archive_suffixes() -> None:
    for name in ("a.jar", "b.WAR", "c.ear", "d.par", "e.jpi", "f.hpi"):
        assert ANALYZER.wants(f"/opt/{name}", 1000, 0o644), name
    assert not ANALYZER.wants("/opt/a.zip", 1000, 0o644)
    assert not ANALYZER.wants("/opt/a.jar", 10, 0o644)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pos=st.integers(0, 10_000), patch=st.binary(min_size=1, max_size=16), tail=st.booleans())
def test_fuzzed_archives_never_raise(
    jars: dict[str, bytes], pos: int, patch: bytes, tail: bool
) -> None:
    base = _small_war(jars)
    data = bytearray(base)
    at = len(data) - 1 - (pos % len(data)) if tail else pos % len(data)
    data[at : at + len(patch)] = patch
    art = analyze("/f.war", bytes(data))
    assert art is None or isinstance(art, Artifact)


_SMALL: dict[str, bytes] = {}


def _small_war(jars: dict[str, bytes]) -> bytes:
    if "w" not in _SMALL:
        _SMALL["w"] = make_zip(
            {
                "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\nImplementation-Version: 3\n\n",
                "META-INF/maven/g/a/pom.properties": pom_properties("g", "a", "1"),
                "WEB-INF/lib/inner.jar": make_zip(
                    {"META-INF/maven/g/b/pom.properties": pom_properties("g", "b", "2")}
                ),
            }
        )
    return _SMALL["w"]


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=400))
def test_metadata_parsers_accept_any_bytes(data: bytes) -> None:
    for parsed in (parse_manifest(data), parse_properties(data)):
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in parsed.items())
