"""Gemspec analyzer: the peers' fixtures and every spec a real Ruby installation ships, checked
against RubyGems itself (``Gem::Specification.load``), plus hostile input."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from hullcheck.catalog.ruby import GemspecAnalyzer, parse_gemspec
from hullcheck.model import PackageType
from tests.catalog.langutil import FIXTURES, expected, file_input
from tests.conftest import need

GEMSPEC = GemspecAnalyzer()
TRIVY = "trivy/pkg/dependency/parser/ruby/gemspec/testdata"
SYFT = "syft/syft/pkg/cataloger/ruby/testdata"


def _ruby_load(paths: list[Path]) -> dict[str, dict[str, object]]:
    """What RubyGems makes of each spec file (None fields when it refuses to load it)."""
    script = (
        "require 'json'; ARGV.each { |p| s = (Gem::Specification.load(p) rescue nil); "
        "puts JSON.generate({path: p, name: s&.name, version: s&.version&.to_s, "
        "licenses: s&.licenses}) }"
    )
    out = subprocess.run(
        ["ruby", "-e", script, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    return {d["path"]: d for d in map(json.loads, out.splitlines())}


@pytest.mark.parametrize(
    ("fixture", "licenses"),
    [
        (f"{TRIVY}/normal00.gemspec", None),
        (f"{TRIVY}/license.gemspec", None),
        (f"{TRIVY}/multiple_licenses.gemspec", None),
        # trivy calls `spec.licenses = "MIT"` invalid and reports no license; RubyGems accepts a
        # string there (it wraps it in an array), so we report MIT.
        (f"{TRIVY}/normal01.gemspec", ["MIT"]),
        (f"{SYFT}/bundler.gemspec", None),
        (f"{SYFT}/formatador.gemspec", None),
    ],
)
def test_peer_fixtures(shared_data: Path, fixture: str, licenses: list[str] | None) -> None:
    exp = expected(shared_data, fixture)["packages"]
    (pkg,) = parse_gemspec((shared_data / FIXTURES / fixture).read_bytes(), "/g/specifications/x")
    assert (pkg.name, pkg.version) == (exp[0]["Name"], exp[0]["Version"])
    if licenses is not None:
        assert list(pkg.licenses) == licenses
    elif "Licenses" in exp[0]:  # syft's transcribed lists carry no licenses
        assert list(pkg.licenses) == exp[0]["Licenses"]
    if "PURL" in exp[0]:
        assert pkg.purl == exp[0]["PURL"]
    assert pkg.type is PackageType.GEM and pkg.ecosystem == "RubyGems"


@pytest.mark.parametrize(
    "fixture",
    [
        # declares `|spec|` but assigns `s.name`: Ruby raises NameError, RubyGems loads nothing
        f"{TRIVY}/malformed00.gemspec",
        f"{TRIVY}/malformed01.gemspec",  # no version
        f"{SYFT}/glob-paths/specifications/root.gemspec",  # not a gemspec at all
    ],
)
def test_malformed_fixtures_are_unknown(shared_data: Path, fixture: str) -> None:
    data = (shared_data / FIXTURES / fixture).read_bytes()
    art = GEMSPEC.analyze(file_input("/usr/lib/ruby/gems/3.1.0/specifications/x.gemspec", data))
    assert art.packages == () and art.unknown


def test_fixtures_agree_with_rubygems(shared_data: Path) -> None:
    need(shutil.which("ruby"), "ruby (apt package ruby) to load gemspecs with RubyGems")
    files = [
        shared_data / FIXTURES / TRIVY / n
        for n in (
            "normal00.gemspec",
            "normal01.gemspec",
            "license.gemspec",
            "multiple_licenses.gemspec",
            "malformed00.gemspec",
        )
    ] + [shared_data / FIXTURES / SYFT / "bundler.gemspec"]
    truth = _ruby_load(files)
    for f in files:
        want = truth[str(f)]
        art = GEMSPEC.analyze(file_input("/x/specifications/" + f.name, f.read_bytes()))
        if want["name"] is None:
            assert art.unknown and art.packages == ()
            continue
        (pkg,) = art.packages
        assert (pkg.name, pkg.version, list(pkg.licenses)) == (
            want["name"],
            want["version"],
            want["licenses"],
        )


def test_real_ruby_installation_specs() -> None:
    need(shutil.which("ruby"), "ruby (apt package ruby) for real installed gemspecs")
    dirs = subprocess.run(
        ["ruby", "-e", "puts Gem::Specification.dirs"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    files = sorted({p for d in dirs for p in Path(d).glob("**/*.gemspec")})
    need(len(files) >= 20, "a Ruby installation with its default gems")
    truth = _ruby_load(files)
    for f in files:
        image_path = str(f)
        assert GEMSPEC.wants(image_path, f.stat().st_size, 0o100644)
        art = GEMSPEC.analyze(file_input(image_path, f.read_bytes()))
        want = truth[str(f)]
        assert art.unknown is None, (f, art.unknown)
        (pkg,) = art.packages
        assert (pkg.name, pkg.version) == (want["name"], want["version"]), f
        assert list(pkg.licenses) == want["licenses"], f


def test_platform_and_version_forms() -> None:
    text = (
        b"Gem::Specification.new do |s|\n"
        b"  s.name = 'nokogiri'\n"
        b'  s.version = Gem::Version.new("1.13.10")\n'
        b'  s.platform = "x86_64-linux".freeze\n'
        b'  s.license = "MIT".freeze\n'
        b"end\n"
    )
    (pkg,) = parse_gemspec(text, "/g/specifications/nokogiri-1.13.10-x86_64-linux.gemspec")
    assert (pkg.name, pkg.version, pkg.licenses) == ("nokogiri", "1.13.10", ("MIT",))
    assert pkg.purl == "pkg:gem/nokogiri@1.13.10?platform=x86_64-linux"


def test_wants() -> None:
    assert GEMSPEC.wants("/usr/local/bundle/specifications/rack-2.2.4.gemspec", 1, 0o100644)
    assert GEMSPEC.wants(
        "/usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec", 1, 0o100644
    )
    assert not GEMSPEC.wants("/src/app/myapp.gemspec", 1, 0o100644)
    assert not GEMSPEC.wants("/usr/local/bundle/specifications/x.gemspec.bak", 1, 0o100644)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff" * 1000,
        b'Gem::Specification.new do |s|\n  s.name = "' + b"a" * 5_000_000 + b'"\nend\n',
        b'Gem::Specification.new do |s|\n  s.name = "x"\n  s.version = "1"\n  s.licenses = ['
        + b'"a",' * 2_000_000
        + b"]\nend\n",
        b"Gem::Specification.new do |s|\n" + b"  s.name = (" * 100_000 + b"\nend\n",
        b'Gem::Specification.new do |s|\n  s.name = "x"\n  s.version = "#{VERSION}"\nend\n',
    ],
    ids=range(6),
)
def test_hostile_gemspecs(data: bytes) -> None:
    t0 = time.monotonic()
    art = GEMSPEC.analyze(file_input("/g/specifications/x.gemspec", data))
    assert art.packages == () or all(len(p.licenses) < 100 for p in art.packages)
    assert art.unknown or art.packages
    assert time.monotonic() - t0 < 5
