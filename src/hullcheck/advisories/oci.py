"""The advisory database as an OCI artifact: ``db push`` and ``db pull``.

One artifact per database, an OCI 1.1 image manifest with:

- ``artifactType`` ``application/vnd.hullcheck.advisory-db.v1`` (``ARTIFACT_TYPE``);
- the empty config, and one layer: the ``db export`` file (``export.py``: a header line with the
  SHA-256 and size of the database, then the database compressed with zstd), media type
  ``application/vnd.hullcheck.advisory-db.export.v1+zstd`` (``EXPORT_MEDIA_TYPE``), titled
  ``advisories.hcdb``;
- manifest annotations (``ANN_*``): ``org.opencontainers.image.created`` (= built_at),
  ``dev.hullcheck.db.schema-version``, ``dev.hullcheck.db.built-at``, ``dev.hullcheck.db.sha256``
  (of the uncompressed database; the export header must agree) and ``dev.hullcheck.db.sources``
  (compact JSON: source name -> record count).

Pulling checks the manifest before any download (artifact type, one export layer, schema version),
lets the registry client verify the blob digest, checks it once more, and installs through
``export.import_export``: checksum and size of the decompressed database, schema, then an atomic
rename. Any failure leaves the previous database as it was.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hullcheck.advisories.export import MAGIC, MAX_HEADER, export_db, import_export
from hullcheck.advisories.store import SCHEMA_VERSION, AdvisoryStore
from hullcheck.errors import AdvisoryDBError, ImageError
from hullcheck.image.cache import BlobCache
from hullcheck.image.reference import parse_reference
from hullcheck.image.registry import ArtifactFile, RegistryOptions, pull_artifact, push_artifact
from hullcheck.image.registry.client import RegistryClient
from hullcheck.image.registry.manifest import Index, parse_manifest
from hullcheck.model import ImageRef, Transport

ARTIFACT_TYPE = "application/vnd.hullcheck.advisory-db.v1"
EXPORT_MEDIA_TYPE = "application/vnd.hullcheck.advisory-db.export.v1+zstd"
EXPORT_TITLE = "advisories.hcdb"

ANN_CREATED = "org.opencontainers.image.created"
ANN_SCHEMA = "dev.hullcheck.db.schema-version"
ANN_BUILT_AT = "dev.hullcheck.db.built-at"
ANN_SHA256 = "dev.hullcheck.db.sha256"
ANN_SOURCES = "dev.hullcheck.db.sources"


@dataclass(frozen=True)
class PushedDB:
    ref: str
    digest: str  # manifest digest
    annotations: dict[str, str]
    size: int  # bytes of the export layer


@dataclass(frozen=True)
class PulledDB:
    ref: str
    digest: str  # manifest digest
    db_path: Path
    schema_version: int
    built_at: str
    sources: dict[str, int]


def registry_ref(text: str) -> ImageRef:
    ref = parse_reference(text)
    if ref.transport is not Transport.REGISTRY:
        raise AdvisoryDBError(f"{text} is not a registry reference (HOST[:PORT]/REPO[:TAG])")
    return ref


def db_annotations(store: AdvisoryStore, sha256: str) -> dict[str, str]:
    st = store.status()
    sources = {s.name: s.records for s in st.sources}
    ann = {
        ANN_SCHEMA: str(st.schema_version),
        ANN_BUILT_AT: st.built_at,
        ANN_SHA256: sha256,
        ANN_SOURCES: json.dumps(sources, sort_keys=True, separators=(",", ":")),
    }
    if st.built_at:
        ann[ANN_CREATED] = st.built_at
    return ann


def push_db(db_path: Path, ref: str | ImageRef, options: RegistryOptions | None = None) -> PushedDB:
    """Export ``db_path`` and push it as one artifact to ``ref`` (tag ``latest`` if none)."""
    target = registry_ref(ref) if isinstance(ref, str) else ref
    # Opening checks that it is a database of this schema before anything is uploaded.
    store = AdvisoryStore.open(db_path)
    tmpdir = Path(tempfile.mkdtemp(prefix="hullcheck-db-push-"))
    try:
        export = tmpdir / EXPORT_TITLE
        header = export_db(db_path, export)
        annotations = db_annotations(store, str(header["sha256"]))
        digest = push_artifact(
            target,
            [ArtifactFile(export, EXPORT_MEDIA_TYPE, title=EXPORT_TITLE)],
            artifact_type=ARTIFACT_TYPE,
            annotations=annotations,
            options=options,
        )
        return PushedDB(str(target), digest, annotations, export.stat().st_size)
    finally:
        store.close()
        shutil.rmtree(tmpdir, ignore_errors=True)


def _check_manifest(ref: ImageRef, options: RegistryOptions) -> tuple[str, dict[str, str]]:
    """Fetch and vet the manifest before downloading anything; returns its digest."""
    assert ref.registry and ref.repository
    what = str(ref)
    with RegistryClient(ref.registry, options) as client:
        fetched = client.get_manifest(ref.repository, ref.digest or ref.tag or "latest", what)
    manifest = parse_manifest(fetched.body, fetched.media_type, what, images_only=False)
    if isinstance(manifest, Index):
        raise AdvisoryDBError(f"{what} is an image index, not a hullcheck advisory database")
    if manifest.artifact_type != ARTIFACT_TYPE:
        raise AdvisoryDBError(
            f"{what} is not a hullcheck advisory database (artifact type "
            f"{manifest.artifact_type or 'none'!r}, expected {ARTIFACT_TYPE!r})"
        )
    layers = [d for d in manifest.layers if d.media_type == EXPORT_MEDIA_TYPE]
    if len(layers) != 1 or len(manifest.layers) != 1:
        raise AdvisoryDBError(
            f"{what}: expected exactly one layer of type {EXPORT_MEDIA_TYPE}, "
            f"found {[d.media_type for d in manifest.layers]}"
        )
    ann = dict(manifest.annotations)
    schema = ann.get(ANN_SCHEMA)
    if schema != str(SCHEMA_VERSION):
        raise AdvisoryDBError(
            f"{what} holds a database of schema version {schema}, this hullcheck reads "
            f"{SCHEMA_VERSION}: push one built by this version"
        )
    return fetched.digest, ann


def pull_db(
    ref: str | ImageRef,
    db_path: Path,
    options: RegistryOptions | None = None,
    cache: BlobCache | None = None,
) -> PulledDB:
    """Fetch the database artifact at ``ref``, verify it, and install it at ``db_path``
    atomically. Without ``cache`` the download goes to a temporary directory next to the
    database and is removed afterwards."""
    source = registry_ref(ref) if isinstance(ref, str) else ref
    options = options or RegistryOptions.from_env()
    digest, ann = _check_manifest(source, options)
    # Pull exactly the manifest just checked, even if the tag moves meanwhile.
    pinned = dataclasses.replace(source, digest=digest)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmpdir = None
    if cache is None:
        tmpdir = Path(tempfile.mkdtemp(prefix=f".{db_path.name}.pull-", dir=db_path.parent))
        cache = BlobCache(tmpdir)
    try:
        pulled = pull_artifact(pinned, artifact_type=ARTIFACT_TYPE, options=options, cache=cache)
        if pulled.manifest_digest != digest:
            raise ImageError(f"{source}: the registry served another manifest than {digest}")
        f = pulled.files[0]
        h = hashlib.sha256()
        with f.open() as stream:
            while block := stream.read(1 << 20):
                h.update(block)
        if "sha256:" + h.hexdigest() != f.digest:
            raise ImageError(f"{source}: the downloaded export does not match its digest {f.digest}")
        header = _peek_header(f.path, str(source))
        if ann.get(ANN_SHA256) and header.get("sha256") != ann[ANN_SHA256]:
            raise AdvisoryDBError(
                f"{source}: the export's checksum does not match the manifest's annotation"
            )
        try:
            import_export(f.path, db_path)
        except AdvisoryDBError as e:
            # The message names the blob's temporary path: say "the export layer" instead.
            why = e.message.replace(f"{f.path}: ", "").replace(str(f.path), "the export layer")
            raise AdvisoryDBError(f"{source}: {why} (the previous database is kept)") from None
    finally:
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)
    try:
        sources = {str(k): int(v) for k, v in json.loads(ann.get(ANN_SOURCES, "{}")).items()}
    except (ValueError, TypeError, AttributeError):
        sources = {}
    return PulledDB(
        str(source), digest, db_path, SCHEMA_VERSION, str(header.get("built_at") or ""), sources
    )


def _peek_header(path: Path, what: str) -> dict[str, object]:
    with open(path, "rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            raise AdvisoryDBError(f"{what}: the layer is not a hullcheck database export")
        try:
            header = json.loads(f.readline(MAX_HEADER))
        except ValueError:
            raise AdvisoryDBError(f"{what}: the export header is damaged") from None
    if not isinstance(header, dict):
        raise AdvisoryDBError(f"{what}: the export header is damaged")
    return header
