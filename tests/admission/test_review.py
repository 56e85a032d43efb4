"""AdmissionReview parsing: every field read from the recorded payloads, and hostile bodies refused
with one line."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from hullcheck.admission.review import (
    MAX_BODY,
    MAX_DEPTH,
    AdmissionError,
    decode_json,
    read_review,
    too_deep,
)

FIXTURES = Path(__file__).parent / "fixtures"
PAYLOADS = sorted(FIXTURES.glob("*.json"))


def _doc(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.mark.parametrize("path", PAYLOADS, ids=lambda p: p.name)
def test_recorded_payloads_parse_field_by_field(path: Path) -> None:
    doc = json.loads(path.read_text())
    r = doc["request"]
    req = read_review(path.read_bytes())
    assert req.api_version == doc["apiVersion"]
    assert req.uid == r["uid"]
    assert (req.kind.group, req.kind.version, req.kind.kind) == (r["kind"]["group"], r["kind"]["version"], r["kind"]["kind"])
    assert (req.resource.group, req.resource.version, req.resource.kind) == tuple(r["resource"].values())
    assert req.operation == r["operation"]
    assert (req.name, req.namespace) == (r["name"], r["namespace"])
    assert req.sub_resource == r.get("subResource", "")
    assert req.user.username == r["userInfo"]["username"]
    assert req.user.groups == tuple(r["userInfo"]["groups"])
    assert req.object == r["object"] and req.old_object == r["oldObject"]
    assert req.dry_run is r["dryRun"]


def test_both_api_versions_are_read() -> None:
    versions = {read_review(p.read_bytes()).api_version for p in PAYLOADS}
    assert versions == {"admission.k8s.io/v1", "admission.k8s.io/v1beta1"}


def _with(doc: dict, path: tuple, value: object) -> bytes:
    doc = json.loads(json.dumps(doc))
    node = doc
    for k in path[:-1]:
        node = node[k]
    if value is ...:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return json.dumps(doc).encode()


BASE = "pod-create-privileged.v1.json"


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        (("request", "uid"), ..., "request.uid is required"),
        (("request", "uid"), "", "request.uid must be a non-empty printable string"),
        (("request", "uid"), "a\nb", "non-empty printable"),
        (("request", "uid"), 17, "request.uid must be a string, not int"),
        (("request", "uid"), "u" * 500, "request.uid is longer than 128"),
        (("request",), ..., "request is required"),
        (("request",), [], "request is required"),
        (("apiVersion",), "admission.k8s.io/v2", "apiVersion must be admission.k8s.io/v1 or admission.k8s.io/v1beta1"),
        (("apiVersion",), None, "apiVersion must be"),
        (("kind",), "AdmissionReviewList", "kind must be AdmissionReview"),
        (("request", "operation"), "PATCH", "request.operation must be one of CREATE, UPDATE, DELETE, CONNECT"),
        (("request", "kind"), "Pod", "request.kind is required: an object"),
        (("request", "kind", "kind"), ..., "request.kind.kind is required"),
        (("request", "resource"), ..., "request.resource is required"),
        (("request", "object"), None, "request.object is required for CREATE"),
        (("request", "object"), "Pod", "request.object must be an object, not str"),
        (("request", "dryRun"), "yes", "request.dryRun must be true or false"),
        (("request", "userInfo"), "admin", "request.userInfo must be an object"),
        (("request", "userInfo", "groups"), "system:masters", "groups must be a list of strings"),
        (("request", "namespace"), ["a"], "request.namespace must be a string"),
    ],
)
def test_malformed_reviews_name_the_field(path: tuple, value: object, needle: str) -> None:
    with pytest.raises(AdmissionError) as e:
        read_review(_with(_doc(BASE), path, value))
    assert needle in e.value.diagnostics()
    assert "\n" not in e.value.diagnostics()


def test_update_needs_the_old_object() -> None:
    with pytest.raises(AdmissionError, match="oldObject is required for UPDATE"):
        read_review(_with(_doc("pod-update-labels.v1.json"), ("request", "oldObject"), None))


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"", "empty request body"),
        (b"   \n", "empty request body"),
        (b"not json", "not valid JSON"),
        (b'{"apiVersion": "admission.k8s.io/v1",', "not valid JSON"),
        (b"[1, 2]", "got a JSON list"),
        (b'"AdmissionReview"', "got a JSON str"),
        (b'{"a": NaN}', "NaN is not JSON"),
        (b'{"a": Infinity}', "Infinity is not JSON"),
        (b'{"a": "\xff\xfe"}', "not UTF-8"),
        (b'{"a": ' + b"9" * 5000 + b"}", "not valid JSON"),  # Python's int digit limit
    ],
)
def test_not_an_admission_review(body: bytes, needle: str) -> None:
    with pytest.raises(AdmissionError) as e:
        read_review(body)
    assert needle in e.value.diagnostics()


def test_size_limit_is_checked_before_parsing() -> None:
    body = b'{"pad": "' + b"x" * MAX_BODY + b'"}'
    with pytest.raises(AdmissionError, match=f"larger than {MAX_BODY} bytes"):
        read_review(body)


def test_deep_nesting_is_refused_without_recursion() -> None:
    for body in (b"[" * 1_000_000, b'{"a":' * 200_000, b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)):
        with pytest.raises(AdmissionError, match=f"nested deeper than {MAX_DEPTH} levels"):
            read_review(body)
    # exactly at the limit is fine (and then fails as a non-review)
    ok = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert not too_deep(ok, MAX_DEPTH)
    assert decode_json(ok) is not None


def test_brackets_inside_strings_do_not_count() -> None:
    inside = json.dumps({"s": "[" * 10_000 + "\\\"{" * 1000}).encode()
    assert not too_deep(inside, MAX_DEPTH)
    assert decode_json(inside)["s"].startswith("[[[")


def test_hostile_escapes_scan_in_linear_time() -> None:
    # An unterminated string of escaped quotes: a naive tokenizer retries at every quote (quadratic).
    for tail in (b'"\\' * 1_000_000, b'\\"' * 1_000_000):
        # brackets inside a string push the count of openers past the limit, so the scan does run
        body = b'{"a": [' * 20 + b'"' + b"[" * 100 + b'", ' + tail
        t0 = time.perf_counter()
        assert not too_deep(body, MAX_DEPTH)
        assert time.perf_counter() - t0 < 5
        with pytest.raises(AdmissionError, match="not valid JSON"):
            decode_json(body)
