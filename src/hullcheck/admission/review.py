"""Parsing an AdmissionReview request body (``admission.k8s.io/v1``, ``v1beta1``) under strict bounds.

The body comes from the network, so everything is checked before it is trusted: its size, its
nesting depth (measured on the raw bytes *before* ``json.loads``, whose decoder recurses once per
level), its encoding, that it is one JSON object, and the types of every field we read. Anything
wrong raises ``AdmissionError`` with one line saying what; the server answers that with HTTP 400.

Fields follow the kube-apiserver Admission (v1) reference: ``request.uid`` (required, echoed in
the response), ``kind``/``resource`` (group-version-kind/resource, required), ``subResource``,
``requestKind``/``requestResource``, ``name``, ``namespace``, ``operation`` (CREATE, UPDATE,
DELETE, CONNECT), ``userInfo``, ``object``, ``oldObject``, ``dryRun``, ``options``. v1beta1 has the
same request fields.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from hullcheck.errors import UsageError

API_VERSIONS = ("admission.k8s.io/v1", "admission.k8s.io/v1beta1")
OPERATIONS = ("CREATE", "UPDATE", "DELETE", "CONNECT")
# kube-apiserver refuses request bodies over 3 MiB, and a review carries object and oldObject: 8 MiB
# leaves room for both with their managedFields.
MAX_BODY = 8 * 1024 * 1024
MAX_DEPTH = 64  # a pod inside a CronJob inside the review is about 15 levels deep
MAX_UID = 128  # UIDs are UUIDs (36 characters); generous but bounded, since it is echoed back


class AdmissionError(UsageError):
    """A request body that is not a well-formed AdmissionReview: one line, answered with HTTP 400."""


# a JSON string token, or one bracket; strings are matched whole so brackets inside them do not count.
# An unterminated string runs to the end of the data (and still matches): otherwise the scan would
# retry from every later quote, quadratic on a body of '"\\"\\"\\"...'.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)|[\[\]{}]', re.DOTALL)


def too_deep(data: bytes, limit: int) -> bool:
    """Whether arrays/objects in ``data`` nest deeper than ``limit``. Works on the raw bytes with a
    C-level regex scan that stops at the first level too deep, so a hostile document of a million
    ``[`` costs a short scan, not a recursion."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False  # cannot nest deeper than the number of openers
    depth = 0
    for m in _TOKENS.finditer(data):
        c = m.group()[0]
        if c in b"[{":
            depth += 1
            if depth > limit:
                return True
        elif c in b"]}":
            depth -= 1
    return False


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def decode_json(data: bytes, max_bytes: int = MAX_BODY, max_depth: int = MAX_DEPTH) -> Any:
    """Bounded strict JSON: size and depth checked first; NaN/Infinity refused; UTF-8 only."""
    if len(data) > max_bytes:
        raise AdmissionError(f"request body larger than {max_bytes} bytes")
    if not data.strip():
        raise AdmissionError("empty request body: expected an AdmissionReview")
    if too_deep(data, max_depth):
        raise AdmissionError(f"request body nested deeper than {max_depth} levels")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise AdmissionError(f"request body is not UTF-8 (byte {e.start})") from None
    try:
        return json.loads(text, parse_constant=_no_constants)
    except RecursionError:  # cannot happen after the depth check; kept as a last line of defence
        raise AdmissionError("request body nested too deep") from None
    except ValueError as e:  # JSONDecodeError, huge integers (int max str digits), NaN
        msg = e.msg if isinstance(e, json.JSONDecodeError) else str(e)
        where = f" at line {e.lineno} column {e.colno}" if isinstance(e, json.JSONDecodeError) else ""
        raise AdmissionError(f"request body is not valid JSON: {msg}{where}"[:200]) from None


@dataclass(frozen=True)
class GroupVersionKind:
    group: str
    version: str
    kind: str  # for a resource: the plural resource name ("pods")

    def __str__(self) -> str:
        gv = f"{self.group}/{self.version}" if self.group else self.version
        return f"{gv}.{self.kind}"


@dataclass(frozen=True)
class UserInfo:
    username: str = ""
    uid: str = ""
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdmissionRequest:
    api_version: str  # of the review: the response must use the same
    uid: str
    kind: GroupVersionKind
    resource: GroupVersionKind
    operation: str
    name: str = ""
    namespace: str = ""
    sub_resource: str = ""
    user: UserInfo = field(default_factory=UserInfo)
    object: dict[str, Any] | None = field(default=None, compare=False)
    old_object: dict[str, Any] | None = field(default=None, compare=False)
    dry_run: bool = False


def _str(d: dict[str, Any], key: str, where: str, required: bool = False, limit: int = 253 * 4) -> str:
    v = d.get(key)
    if v is None:
        if required:
            raise AdmissionError(f"{where}.{key} is required")
        return ""
    if not isinstance(v, str):
        raise AdmissionError(f"{where}.{key} must be a string, not {type(v).__name__}")
    if len(v) > limit:
        raise AdmissionError(f"{where}.{key} is longer than {limit} characters")
    return v


def _gvk(d: dict[str, Any], key: str, last: str, where: str) -> GroupVersionKind:
    v = d.get(key)
    if not isinstance(v, dict):
        raise AdmissionError(f"{where}.{key} is required: an object with group, version, {last}")
    w = f"{where}.{key}"
    return GroupVersionKind(_str(v, "group", w), _str(v, "version", w, True), _str(v, last, w, True))


def _obj(d: dict[str, Any], key: str, where: str) -> dict[str, Any] | None:
    v = d.get(key)
    if v is None:
        return None
    if not isinstance(v, dict):
        raise AdmissionError(f"{where}.{key} must be an object, not {type(v).__name__}")
    return v


def _user(d: dict[str, Any]) -> UserInfo:
    v = d.get("userInfo")
    if v is None:
        return UserInfo()
    if not isinstance(v, dict):
        raise AdmissionError("request.userInfo must be an object")
    groups = v.get("groups") or []
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise AdmissionError("request.userInfo.groups must be a list of strings")
    return UserInfo(_str(v, "username", "request.userInfo"), _str(v, "uid", "request.userInfo"), tuple(groups))


def parse_review(doc: Any) -> AdmissionRequest:
    """The request of a decoded AdmissionReview; ``AdmissionError`` when it is not one."""
    if not isinstance(doc, dict):
        raise AdmissionError(f"expected an AdmissionReview object, got a JSON {type(doc).__name__}")
    api_version = doc.get("apiVersion")
    if api_version not in API_VERSIONS:
        shown = api_version if isinstance(api_version, str) else type(api_version).__name__
        raise AdmissionError(f"apiVersion must be {' or '.join(API_VERSIONS)}, not {str(shown)[:60]!r}")
    if doc.get("kind") != "AdmissionReview":
        raise AdmissionError("kind must be AdmissionReview")
    req = doc.get("request")
    if not isinstance(req, dict):
        raise AdmissionError("request is required: an AdmissionReview without a request cannot be answered")
    uid = _str(req, "uid", "request", True, MAX_UID)
    if not uid.strip() or not uid.isprintable():
        raise AdmissionError("request.uid must be a non-empty printable string")
    operation = _str(req, "operation", "request", True)
    if operation not in OPERATIONS:
        raise AdmissionError(f"request.operation must be one of {', '.join(OPERATIONS)}, not {operation[:40]!r}")
    dry_run = req.get("dryRun", False)
    if dry_run is None:
        dry_run = False
    if not isinstance(dry_run, bool):
        raise AdmissionError("request.dryRun must be true or false")
    request = AdmissionRequest(
        api_version=api_version,
        uid=uid,
        kind=_gvk(req, "kind", "kind", "request"),
        resource=_gvk(req, "resource", "resource", "request"),
        operation=operation,
        name=_str(req, "name", "request"),
        namespace=_str(req, "namespace", "request"),
        sub_resource=_str(req, "subResource", "request"),
        user=_user(req),
        object=_obj(req, "object", "request"),
        old_object=_obj(req, "oldObject", "request"),
        dry_run=dry_run,
    )
    if operation in ("CREATE", "UPDATE") and request.object is None:
        raise AdmissionError(f"request.object is required for {operation}")
    if operation == "UPDATE" and request.old_object is None and not request.sub_resource:
        raise AdmissionError("request.oldObject is required for UPDATE")
    return request


def read_review(body: bytes, max_bytes: int = MAX_BODY, max_depth: int = MAX_DEPTH) -> AdmissionRequest:
    """Bytes of a request body -> the admission request (bounded, strict)."""
    return parse_review(decode_json(body, max_bytes, max_depth))
