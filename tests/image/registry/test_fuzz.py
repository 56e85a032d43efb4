"""Hostile input to the parsers never escapes as anything but a one-line HullcheckError."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from hullcheck.errors import HullcheckError, ReferenceError_
from hullcheck.image.reference import parse_registry_reference
from hullcheck.image.registry.auth import parse_challenges
from hullcheck.image.registry.manifest import parse_manifest

D = "sha256:" + "a" * 64
BASE_MANIFEST = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": D, "size": 1},
    "layers": [
        {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": D, "size": 2}
    ],
}
BASE_INDEX = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [
        {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": D,
            "size": 3,
            "platform": {"os": "linux", "architecture": "amd64"},
        }
    ],
}
# Where to plant a hostile value: (top-level key, inner key or None).
PATHS = [
    ("schemaVersion", None),
    ("mediaType", None),
    ("config", None),
    ("config", "digest"),
    ("config", "size"),
    ("config", "mediaType"),
    ("layers", None),
    ("annotations", None),
    ("manifests", None),
]
scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
)
hostile_values = (
    scalars
    | st.lists(scalars, max_size=3)
    | st.lists(
        st.dictionaries(st.sampled_from(["mediaType", "digest", "size", "platform"]), scalars),
        max_size=2,
    )
    | st.dictionaries(st.text(max_size=8), scalars, max_size=3)
)


def mutate(
    base: dict[str, object], path: tuple[str, str | None], value: object
) -> dict[str, object]:
    data = json.loads(json.dumps(base))
    top, inner = path
    if inner is None:
        data[top] = value
    elif isinstance(data.get(top), dict):
        data[top][inner] = value
    return data


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_registry_reference_grammar_total(text: str) -> None:
    try:
        ref = parse_registry_reference(text)
    except ReferenceError_ as e:
        assert "\n" not in e.diagnostics()
        return
    assert parse_registry_reference(str(ref)) == ref


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([BASE_MANIFEST, BASE_INDEX]),
    st.sampled_from(PATHS),
    hostile_values,
    st.sampled_from([None, "application/json", "application/vnd.oci.image.index.v1+json"]),
)
def test_parse_manifest_total(
    base: dict[str, object], path: tuple[str, str | None], value: object, content_type: str | None
) -> None:
    try:
        parse_manifest(json.dumps(mutate(base, path, value)).encode(), content_type, "fuzz")
    except HullcheckError as e:
        assert "\n" not in e.diagnostics()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_parse_manifest_bytes_total(body: bytes) -> None:
    try:
        parse_manifest(body, None, "fuzz")
    except HullcheckError as e:
        assert "\n" not in e.diagnostics()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_parse_challenges_total(header: str) -> None:
    for ch in parse_challenges(header):
        assert ch.scheme == ch.scheme.lower()
