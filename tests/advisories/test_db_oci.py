"""``db push`` / ``db pull``: the database as an OCI artifact in a real docker-registry."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hullcheck.advisories.export import MAGIC, export_db
from hullcheck.advisories.importer import import_paths
from hullcheck.advisories.oci import (
    ANN_SCHEMA,
    ANN_SHA256,
    ANN_SOURCES,
    ARTIFACT_TYPE,
    EXPORT_MEDIA_TYPE,
    pull_db,
    push_db,
)
from hullcheck.advisories.store import SCHEMA_VERSION, AdvisoryStore
from hullcheck.errors import AdvisoryDBError, AuthError
from hullcheck.image.cache import BlobCache
from hullcheck.image.reference import parse_reference
from hullcheck.image.registry import ArtifactFile, RegistryOptions, push_artifact
from tests.image.registry.oci_layout import build_layout
from tests.image.registry.servers import RegistryServer


def opts(server: RegistryServer, password: str | None = None) -> RegistryOptions:
    return RegistryOptions(
        username=server.username, password=password or server.password,
        connect_timeout=2.0, read_timeout=10.0, max_attempts=2, backoff_base=0.05,
    )


@pytest.fixture(autouse=True)
def no_docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "docker-config"
    d.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(d))
    for var in ("HULLCHECK_REGISTRY_USERNAME", "HULLCHECK_REGISTRY_PASSWORD", "HULLCHECK_DB"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def source_db(adv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database from a few real records: three GHSA records, Alpine 3.9 secdb, five Go ones."""
    d = tmp_path_factory.mktemp("srcdb")
    go = sorted((adv / "osv/go-vulndb/data/osv").glob("GO-2022-*.json"))[:5]
    db = d / "advisories.db"
    import_paths([str(adv / "osv/ghsa-subset"), str(adv / "distro/alpine-secdb-legacy/v3.9"),
                  *map(str, go)], db, fresh=True)
    return db


def _lookup_keys(adv: Path) -> list[tuple[str, str]]:
    """(ecosystem, package) pairs named by the imported source files themselves."""
    keys = []
    for p in sorted((adv / "osv/ghsa-subset").glob("*.json")):
        keys += [(a["package"]["ecosystem"], a["package"]["name"]) for a in json.loads(p.read_text())["affected"]]
    main = yaml.safe_load((adv / "distro/alpine-secdb-legacy/v3.9/main.yaml").read_text())
    keys += [("Alpine:v3.9", e["pkg"]["name"]) for e in main["packages"][:20]]
    return keys


def _status(db: Path) -> dict:
    with AdvisoryStore.open(db) as s:
        st = s.status().to_json()
    del st["path"]
    return st


def _snapshot(db: Path, keys: list[tuple[str, str]]) -> dict:
    with AdvisoryStore.open(db) as s:
        return {k: sorted((r.advisory_id, json.dumps(r.affected, sort_keys=True)) for r in s.lookup(*k)) for k in keys}


def test_push_then_pull_gives_the_same_database(
    registry_server: RegistryServer, source_db: Path, adv: Path, tmp_path: Path
) -> None:
    ref = registry_server.ref("hullcheck/advisory-db", "v1")
    pushed = push_db(source_db, ref, opts(registry_server))
    assert pushed.digest.startswith("sha256:")
    # the manifest as the registry stores it (read back with skopeo)
    manifest = json.loads(registry_server.inspect_raw(ref))
    assert hashlib.sha256(registry_server.inspect_raw(ref)).hexdigest() == pushed.digest.split(":")[1]
    assert manifest["artifactType"] == ARTIFACT_TYPE
    assert [layer["mediaType"] for layer in manifest["layers"]] == [EXPORT_MEDIA_TYPE]
    ann = manifest["annotations"]
    assert ann[ANN_SCHEMA] == str(SCHEMA_VERSION)
    with AdvisoryStore.open(source_db) as s:
        st = s.status()
    assert json.loads(ann[ANN_SOURCES]) == {src.name: src.records for src in st.sources}
    assert ann[ANN_SHA256] == hashlib.sha256(source_db.read_bytes()).hexdigest()

    target = tmp_path / "installed" / "advisories.db"
    pulled = pull_db(ref, target, opts(registry_server))
    assert pulled.digest == pushed.digest
    assert target.read_bytes() == source_db.read_bytes()
    assert _status(target) == _status(source_db)
    keys = _lookup_keys(adv)
    snap = _snapshot(target, keys)
    assert snap == _snapshot(source_db, keys)
    assert sum(1 for v in snap.values() if v) >= 10, "the lookups must find stored records"
    # nothing left behind next to the database but the database
    assert sorted(p.name for p in target.parent.iterdir()) == ["advisories.db"]


def test_cli_push_and_pull(registry_server: RegistryServer, source_db: Path, tmp_path: Path, run_cli) -> None:
    env = {"HULLCHECK_REGISTRY_USERNAME": registry_server.username,
           "HULLCHECK_REGISTRY_PASSWORD": registry_server.password,
           "DOCKER_CONFIG": str(tmp_path / "docker-config")}
    ref = registry_server.ref("hullcheck/cli-db", "latest")
    r = run_cli("db", "push", ref, "--db", str(source_db), "--insecure-registry", registry_server.host, env=env)
    assert r.returncode == 0, r.stderr
    assert f"pushed {ref}@sha256:" in r.stdout
    # --password-stdin, as a user would pipe it
    target = tmp_path / "cli" / "advisories.db"
    full_env = {**os.environ, **env, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    del full_env["HULLCHECK_REGISTRY_PASSWORD"]
    p = subprocess.run(
        [sys.executable, "-m", "hullcheck", "db", "pull", ref, "--db", str(target),
         "--username", registry_server.username, "--password-stdin"],
        input=registry_server.password + "\n", capture_output=True, text=True, env=full_env, timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert "installed" in p.stdout and target.read_bytes() == source_db.read_bytes()
    # wrong password on the command line: registry error exit code, one line, no traceback
    p = subprocess.run(
        [sys.executable, "-m", "hullcheck", "db", "pull", ref, "--db", str(target),
         "--username", registry_server.username, "--password-stdin"],
        input="not-the-password\n", capture_output=True, text=True, env=full_env, timeout=120,
    )
    assert p.returncode == 3 and "Traceback" not in p.stderr
    assert p.stderr.startswith("hullcheck: error:") and len(p.stderr.strip().splitlines()) == 1


def test_wrong_credentials(registry_server: RegistryServer, source_db: Path, tmp_path: Path) -> None:
    ref = registry_server.ref("hullcheck/creds-db", "v1")
    with pytest.raises(AuthError):
        push_db(source_db, ref, opts(registry_server, password="wrong"))
    push_db(source_db, ref, opts(registry_server))
    target = tmp_path / "keep" / "advisories.db"
    target.parent.mkdir()
    target.write_bytes(b"previous database")
    with pytest.raises(AuthError):
        pull_db(ref, target, opts(registry_server, password="wrong"))
    assert target.read_bytes() == b"previous database"


def _push_export(server: RegistryServer, repo: str, export: Path, sha: str, tmp_path: Path) -> str:
    ref = server.ref(repo, "bad")
    push_artifact(
        parse_reference(ref), [ArtifactFile(export, EXPORT_MEDIA_TYPE, title="advisories.hcdb")],
        artifact_type=ARTIFACT_TYPE, annotations={ANN_SCHEMA: str(SCHEMA_VERSION), ANN_SHA256: sha},
        options=opts(server),
    )
    return ref


@pytest.mark.parametrize("damage", ["header-checksum", "compressed-bytes"])
def test_tampered_artifact_is_refused_and_nothing_installed(
    registry_server: RegistryServer, source_db: Path, tmp_path: Path, damage: str
) -> None:
    export = tmp_path / "advisories.hcdb"
    header = export_db(source_db, export)
    data = bytearray(export.read_bytes())
    body_at = len(MAGIC) + data[len(MAGIC):].index(b"\n") + 1
    if damage == "header-checksum":
        bad = dict(header, sha256=hashlib.sha256(b"something else").hexdigest())
        data[len(MAGIC):body_at] = json.dumps(bad, sort_keys=True).encode() + b"\n"
        sha = str(bad["sha256"])  # the annotation agrees with the lying header
    else:
        mid = body_at + (len(data) - body_at) // 2
        data[mid] ^= 0xFF
        sha = str(header["sha256"])
    export.write_bytes(bytes(data))
    ref = _push_export(registry_server, f"hullcheck/tampered-{damage}", export, sha, tmp_path)

    target = tmp_path / "keep" / "advisories.db"
    target.parent.mkdir()
    good = tmp_path / "good.db"
    good.write_bytes(source_db.read_bytes())
    target.write_bytes(good.read_bytes())
    with pytest.raises(AdvisoryDBError, match=r"damaged|checksum") as err:
        pull_db(ref, target, opts(registry_server))
    assert "previous database is kept" in err.value.message and str(tmp_path) not in err.value.message
    assert target.read_bytes() == good.read_bytes()  # the previous database is untouched
    assert sorted(p.name for p in target.parent.iterdir()) == ["advisories.db"]
    with AdvisoryStore.open(target) as s:
        assert s.status().advisories > 0


def test_annotation_disagreeing_with_the_export_is_refused(
    registry_server: RegistryServer, source_db: Path, tmp_path: Path
) -> None:
    export = tmp_path / "advisories.hcdb"
    export_db(source_db, export)
    ref = _push_export(registry_server, "hullcheck/mismatch", export, "0" * 64, tmp_path)
    target = tmp_path / "t" / "advisories.db"
    with pytest.raises(AdvisoryDBError, match="does not match the manifest"):
        pull_db(ref, target, opts(registry_server))
    assert not target.exists()


def test_foreign_artifacts_are_refused_clearly(
    registry_server: RegistryServer, tmp_path: Path
) -> None:
    blob = tmp_path / "sbom.json"
    blob.write_text("{}")
    ref = registry_server.ref("hullcheck/not-a-db", "sbom")
    push_artifact(parse_reference(ref), [ArtifactFile(blob, "application/spdx+json")],
                  artifact_type="application/spdx+json", options=opts(registry_server))
    target = tmp_path / "t" / "advisories.db"
    cache = BlobCache(tmp_path / "cache")
    with pytest.raises(AdvisoryDBError, match=r"not a hullcheck advisory database.*application/spdx\+json"):
        pull_db(ref, target, opts(registry_server), cache=cache)
    assert not target.exists()
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*")), "nothing downloaded"

    # a container image, too
    layout = build_layout(tmp_path / "layout", (("linux", "amd64", None),))
    registry_server.push_layout(layout.path, "single", "hullcheck/image", "v1")
    with pytest.raises(AdvisoryDBError, match="not a hullcheck advisory database"):
        pull_db(registry_server.ref("hullcheck/image", "v1"), target, opts(registry_server))
    assert not target.exists()
