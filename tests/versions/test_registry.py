"""The ecosystem registry: OSV names to schemes, errors, caching."""

from __future__ import annotations

import json

import pytest

from hullcheck import versions
from hullcheck.errors import ExitCode, InvalidVersion, UnknownEcosystemError, UsageError


@pytest.mark.parametrize(
    ("ecosystem", "scheme"),
    [
        ("Debian", "dpkg"),
        ("Debian:12", "dpkg"),
        ("Ubuntu:22.04:LTS", "dpkg"),
        ("Ubuntu:Pro:18.04:LTS", "dpkg"),
        ("Alpine:v3.20", "apk"),
        ("Wolfi", "apk"),
        ("Chainguard", "apk"),
        ("AlmaLinux:9", "rpm"),
        ("Rocky Linux:9", "rpm"),
        ("Red Hat:rhel_aus:8.4::appstream", "rpm"),
        ("SUSE:Linux Enterprise Server 15 SP5", "rpm"),
        ("openSUSE:Leap 15.5", "rpm"),
        ("Mageia:9", "rpm"),
        ("openEuler:22.03-LTS-SP1", "rpm"),
        ("PyPI", "pep440"),
        ("npm", "semver"),
        ("crates.io", "semver"),
        ("Go", "go"),
        ("Maven", "maven"),
        ("Maven:https://maven.google.com", "maven"),
        ("RubyGems", "rubygems"),
        ("NuGet", "nuget"),
        ("Packagist", "packagist"),
        ("Packagist:https://packages.drupal.org/8", "packagist"),
        ("Hex", "semver"),
        ("Pub", "semver"),
        ("Root:Alpine:3.18", "apk"),
        ("Root:PyPI", "pep440"),
    ],
)
def test_osv_names(ecosystem, scheme):
    assert versions.scheme_for(ecosystem).name == scheme


def test_every_registered_name_is_an_osv_ecosystem_or_a_known_extra(shared_data):
    # The registry's keys come from the OSV ecosystem list; a few extra RPM distributions that
    # OSV does not list yet (Fedora, Oracle Linux, Amazon Linux, CentOS) are accepted as well.
    with (shared_data / "advisories/osv/osv-schema/ecosystems.json").open() as f:
        osv_names = set(json.load(f))
    extras = {"Fedora", "Oracle Linux", "Amazon Linux", "CentOS"}
    assert set(versions.ECOSYSTEMS) - osv_names == extras


def test_unknown_ecosystem_is_a_usage_error():
    with pytest.raises(UnknownEcosystemError) as e:
        versions.compare("Hackage", "1.0", "2.0")
    assert isinstance(e.value, UsageError) and e.value.exit_code == ExitCode.USAGE
    assert "Hackage" in e.value.diagnostics()


def test_invalid_version_is_specific_and_catchable():
    with pytest.raises(InvalidVersion) as e:
        versions.parse("PyPI", "not a version")
    assert e.value.scheme == "pep440" and e.value.version == "not a version"
    assert "\n" not in e.value.diagnostics()


def test_compare_and_parse_agree_and_cache():
    pairs = [
        ("Debian:12", "1:1.0-1", "2.0-1"),
        ("Alpine", "1.0_rc1-r0", "1.0-r0"),
        ("Red Hat", "1.0-1.el9", "1.0-1.el9_2"),
        ("PyPI", "1.0.post1", "1.0"),
        ("npm", "1.0.0-rc.1", "1.0.0"),
        ("Go", "v1.2.3", "1.2.3"),
        ("Maven", "1.0-SNAPSHOT", "1.0"),
        ("RubyGems", "1.0.a", "1.0"),
        ("NuGet", "1.0.0.0", "1.0"),
        ("Packagist", "1.0.0-beta", "1.0.0-RC1"),
    ]
    for eco, a, b in pairs:
        ka, kb = versions.parse(eco, a), versions.parse(eco, b)
        assert versions.compare(eco, a, b) == (ka > kb) - (ka < kb)
        assert versions.compare(eco, b, a) == -versions.compare(eco, a, b)
        assert versions.parse(eco, a) is ka  # cached: parsed once
    assert [versions.compare(e, a, b) for e, a, b in pairs] == [1, -1, -1, 1, -1, 0, -1, -1, 0, -1]


def test_validate_is_strict_where_comparison_is_lenient():
    versions.parse("Debian", "abc-1")  # dpkg compares it (it only warns)
    with pytest.raises(InvalidVersion):
        versions.validate("Debian", "abc-1")
    with pytest.raises(InvalidVersion):
        versions.validate("Alpine", "1.0bc")
    versions.validate("Alpine", "1.0_p1-r2")


def test_semver2_for_osv_semver_ranges():
    assert versions.semver2_parse("1.0.0-alpha") < versions.semver2_parse("1.0.0")
    assert versions.semver2_parse("v1.0.0") == versions.semver2_parse("1.0.0+build")
    with pytest.raises(InvalidVersion):
        versions.semver2_parse("1.0")
