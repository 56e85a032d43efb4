"""OCI artifacts (what ``db push`` / ``db update`` use) round-trip through a real registry."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from hullcheck.errors import ImageError
from hullcheck.image.cache import BlobCache
from hullcheck.image.reference import parse_reference
from hullcheck.image.registry import (
    ArtifactFile,
    list_referrers,
    pull,
    pull_artifact,
    push_artifact,
)
from hullcheck.model import ImageRef, Transport
from tests.image.registry.conftest import Pushed, fast_options
from tests.image.registry.servers import RegistryServer
from tests.image.registry.test_pull import assert_is

DB_TYPE = "application/vnd.hullcheck.advisory-db.v1"


def test_push_and_pull_artifact(
    registry_server: RegistryServer, tmp_path: Path, cache: BlobCache, no_docker_config: Path
) -> None:
    db = tmp_path / "advisories.db.zst"
    db.write_bytes(os.urandom(300_000))
    meta = tmp_path / "metadata.json"
    meta.write_text(json.dumps({"schema": 1, "built": "2026-11-28T00:00:00Z"}))
    opts = fast_options(username=registry_server.username, password=registry_server.password)
    ref = parse_reference(f"{registry_server.host}/hullcheck/db:1")

    digest = push_artifact(
        ref,
        [
            ArtifactFile(db, "application/vnd.hullcheck.db.layer.v1+zstd"),
            ArtifactFile(meta, "application/json", title="meta"),
        ],
        artifact_type=DB_TYPE,
        annotations={"org.opencontainers.image.created": "2026-11-28T00:00:00Z"},
        options=opts,
    )
    got = pull_artifact(ref, artifact_type=DB_TYPE, options=opts, cache=cache)
    assert got.manifest_digest == digest
    assert got.artifact_type == DB_TYPE
    assert got.annotations["org.opencontainers.image.created"] == "2026-11-28T00:00:00Z"
    assert [f.title for f in got.files] == ["advisories.db.zst", "meta"]
    with got.file("advisories.db.zst").open() as f:
        assert f.read() == db.read_bytes()
    assert got.file("meta").digest == "sha256:" + hashlib.sha256(meta.read_bytes()).hexdigest()

    # skopeo sees the same manifest
    raw = registry_server.inspect_raw(f"{registry_server.host}/hullcheck/db:1")
    assert "sha256:" + hashlib.sha256(raw).hexdigest() == digest

    with pytest.raises(ImageError, match="not 'something/else'"):
        pull_artifact(ref, artifact_type="something/else", options=opts, cache=cache)
    # an artifact is not an image
    with pytest.raises(ImageError, match="not a container image"):
        pull(ref, options=opts, cache=cache)


def test_referrers_through_the_fallback_tag(
    pushed: Pushed, tmp_path: Path, cache: BlobCache, no_docker_config: Path
) -> None:
    """docker-registry 2.8 has no referrers API: the fallback index is kept by the pusher."""
    server = pushed.basic
    opts = fast_options(username=server.username, password=server.password)
    image = parse_reference(f"{server.host}/app:single")
    subject = pushed.layout.single.manifest_digest
    assert list_referrers(image, options=opts) == ()

    sbom = tmp_path / "sbom.json"
    sbom.write_text('{"bomFormat": "CycloneDX"}')
    report = tmp_path / "scan.json"
    report.write_text('{"findings": []}')
    bare = parse_reference(f"{server.host}/app@{subject}")
    pushed_digests = {
        kind: push_artifact(
            ImageRef(Transport.REGISTRY, registry=bare.registry, repository=bare.repository),
            [ArtifactFile(path, "application/json")],
            artifact_type=kind,
            annotations={"org.opencontainers.image.created": "2026-11-28T00:00:00Z"},
            subject=subject,
            options=opts,
        )
        for kind, path in (
            ("application/vnd.cyclonedx+json", sbom),
            ("application/vnd.hullcheck.scan+json", report),
        )
    }
    found = list_referrers(image, options=opts)
    assert {d.artifact_type: d.digest for d in found} == pushed_digests
    assert all(
        d.annotations["org.opencontainers.image.created"] == "2026-11-28T00:00:00Z" for d in found
    )
    only = list_referrers(image, artifact_type="application/vnd.cyclonedx+json", options=opts)
    assert [d.digest for d in only] == [pushed_digests["application/vnd.cyclonedx+json"]]
    # the referrer itself names its subject, as skopeo reads it
    raw = json.loads(server.inspect_raw(f"{server.host}/app@{only[0].digest}"))
    assert raw["subject"]["digest"] == subject
    # and the image is untouched
    assert_is(pull(image, options=opts, cache=cache), pushed.layout.single)
