"""Scan reports for the format tests, built from real advisory records.

The vulnerabilities come from matching real-looking packages against a small database imported
from the shared PyPA records (urllib3, jinja2) and a tracker excerpt in the Debian tracker's
shape; secrets and failed image checks are written the way the scanners report them.
"""

from __future__ import annotations

import json
from pathlib import Path

from hullcheck.advisories.importer import import_paths
from hullcheck.advisories.store import AdvisoryStore
from hullcheck.catalog.runner import Catalog
from hullcheck.match.matcher import Matcher
from hullcheck.model import Distro, ImageMetadata, LayerInfo, Location, Package, PackageType, Platform
from hullcheck.model.checks import Misconfiguration, SecretFinding
from hullcheck.model.finding import Finding, FixState, Severity, SeverityLevel
from hullcheck.scan import ScanReport

PYPA = "advisories/osv/pypa-advisory-database/vulns"
SITE = "usr/local/lib/python3.11/site-packages"
DIGEST = "sha256:" + "ab" * 32
CONFIG = "sha256:" + "cd" * 32
DEBIAN = Distro(id="debian", version_id="12", version_codename="bookworm",
                pretty_name="Debian GNU/Linux 12 (bookworm)", ecosystem="Debian:12")

TRACKER = {
    "openssl": {
        "CVE-2099-0101": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "3.0.15-1~deb12u1",
                                                    "urgency": "medium"}}},
        "CVE-2099-0102": {"releases": {"bookworm": {"status": "open", "urgency": "low"}}},
    }
}
HOSTILE = '<script>alert("x")</script>&"@everyone|`'


def build_db(shared: Path, out: Path) -> Path:
    tracker = out / "tracker.json"
    tracker.write_text(json.dumps(TRACKER))
    db = out / "adv.db"
    import_paths([str(shared / PYPA / "urllib3"), str(shared / PYPA / "jinja2"), str(tracker)], db, fresh=True)
    return db


def layers() -> tuple[LayerInfo, ...]:
    return (
        LayerInfo(0, "sha256:" + "10" * 32, "sha256:" + "01" * 32, "application/vnd.oci.image.layer.v1.tar+gzip",
                  1000, created_by="/bin/sh -c #(nop) ADD file:0123 in / "),
        LayerInfo(1, "sha256:" + "20" * 32, "sha256:" + "02" * 32, "application/vnd.oci.image.layer.v1.tar+gzip",
                  2000, created_by="RUN pip install urllib3==1.24.1 jinja2==2.10 six"),
    )


def pypi(name: str, version: str, layer: int = 1) -> Package:
    loc = Location(f"/{SITE}/{name}-{version}.dist-info/METADATA", layer, layers()[layer].diff_id)
    return Package(name=name, version=version, type=PackageType.PYTHON, ecosystem="PyPI",
                   purl=f"pkg:pypi/{name}@{version}", locations=(loc,), found_by="python-dist",
                   layer_index=layer, layer_diff_id=loc.layer_diff_id, created_by=layers()[layer].created_by)


def libssl() -> Package:
    loc = Location("/var/lib/dpkg/status", 0, layers()[0].diff_id)
    return Package(name="libssl3", version="3.0.11-1~deb12u2", type=PackageType.DEB, ecosystem="Debian:12",
                   purl="pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
                   source_name="openssl", source_version="3.0.11-1~deb12u2", arch="amd64", locations=(loc,),
                   found_by="dpkg-db", layer_index=0, layer_diff_id=loc.layer_diff_id)


def secrets() -> list[SecretFinding]:
    return [
        SecretFinding("aws-access-key-id", "AWS access key ID", SeverityLevel.CRITICAL, "file",
                      path="/app/config/settings.py", line=12, match="AKIA************MPLE", layer_index=1),
        SecretFinding("private-key", "Private key", SeverityLevel.HIGH, "file", path="/root/.ssh/id_rsa", line=1,
                      match="-----BEGIN RSA PRIVATE KEY-----****", layer_index=1, deleted=True),
        SecretFinding("generic-password", "Password in an environment variable", SeverityLevel.MEDIUM, "env",
                      path="DB_PASSWORD", match="hu******23"),
    ]


def misconfigurations() -> list[Misconfiguration]:
    return [
        Misconfiguration("HC-IMG-001", "Image runs as root", SeverityLevel.HIGH,
                         "no USER instruction: the container runs as root",
                         rationale="A process running as root in a container is root on the host if it escapes.",
                         remediation="Add a USER instruction with a non-root user.", evidence="config.User",
                         references=("https://docs.docker.com/develop/develop-images/instructions/#user",)),
        Misconfiguration("HC-IMG-002", "No HEALTHCHECK", SeverityLevel.LOW, "the image defines no HEALTHCHECK",
                         remediation="Add a HEALTHCHECK instruction.", evidence="config.Healthcheck"),
    ]


def metadata(ref: str = "oci:/images/app:1.0") -> ImageMetadata:
    return ImageMetadata(ref=ref, platform=Platform(), manifest_digest=DIGEST, config_digest=CONFIG,
                         layers=layers(), repo_tags=("registry.example.com/team/app:1.0",),
                         repo_digests=(f"registry.example.com/team/app@{DIGEST}",))


def make_report(store: AdvisoryStore, *, hostile: bool = False, extra: int = 0) -> ScanReport:
    pkgs = [libssl(), pypi("urllib3", "1.24.1"), pypi("jinja2", "2.10"), pypi("six", "1.16.0")]
    result = Matcher(store).match(pkgs)
    findings = list(result.findings)
    if hostile:
        bad = Package(name=HOSTILE, version='1.0"><img src=x onerror=alert(1)>', type=PackageType.NPM,
                      ecosystem="npm", purl="pkg:npm/evil@1.0", locations=(Location(f"/app/{HOSTILE}/package.json"),),
                      layer_index=1)
        pkgs.append(bad)
        findings.append(Finding(id="GHSA-xxxx-yyyy-zzzz", package=bad, severity=Severity(SeverityLevel.HIGH, "ghsa"),
                                fix_state=FixState.FIXED, fixed_versions=("2.0<script>",), summary=HOSTILE,
                                url="javascript:alert(1)"))
    for i in range(extra):
        p = pypi(f"filler-package-{i}", "0.1")
        pkgs.append(p)
        findings.append(Finding(id=f"CVE-2099-{10000 + i}", package=p,
                                severity=Severity(SeverityLevel.MEDIUM, "cvss-v3", 5.3,
                                                  "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"),
                                fix_state=FixState.FIXED, fixed_versions=("0.2",), summary="a filler finding " * 5))
    findings.sort(key=lambda f: (-f.severity.level.rank, f.package.name, f.id))
    return ScanReport(
        ref="oci:/images/app:1.0",
        metadata=metadata(),
        catalog=Catalog(distro=DEBIAN, packages=tuple(pkgs), unknowns=()),
        findings=findings,
        problems=list(result.problems),
        db_status={"path": "adv.db"},
        started_at="2026-11-28T10:00:00+00:00",
        secrets=secrets(),
        misconfigurations=misconfigurations(),
    )


def urllib3_expected(shared: Path, version: str = "1.24.1") -> set[str]:
    """Record ids (with aliases) the PyPA data says affect this urllib3 version."""
    import yaml

    out = set()
    for p in sorted((shared / PYPA / "urllib3").glob("*.yaml")):
        rec = yaml.safe_load(p.read_text())
        if rec.get("withdrawn"):
            continue
        if any(version in a.get("versions", []) for a in rec["affected"]):
            out.add(frozenset({rec["id"], *rec.get("aliases", [])}))
    return out
