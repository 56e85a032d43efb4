"""VEX input: OpenVEX and CycloneDX VEX documents turned into exception rules.

Both formats reduce to statements "vulnerability V, in product P (optionally only in its
subcomponents S), has status X because J". A product names either the scanned image (an
``pkg:oci`` purl or a digest, matched against the image's manifest/config/repo digests) or a
package (a purl, matched with or without version and qualifiers; a CycloneDX ``affects`` ref can
also be a bom-ref of hullcheck's own CycloneDX SBOM of the image). ``not_affected`` and ``fixed``
hide a finding; ``under_investigation`` and ``affected`` keep it with a note. When several
statements cover one finding the newest one (timestamp, then document order) wins, as the
OpenVEX spec asks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from packageurl import PackageURL

from hullcheck.errors import UsageError
from hullcheck.match.suppress import ImageIdentity, Status, Subject, Verdict

MAX_BYTES = 64 * 1024**2
IMAGE_SUBJECT = "urn:hullcheck:vex-subject"  # a CycloneDX document's own subject (metadata.component)

_OPENVEX_STATUS = {
    "not_affected": Status.NOT_AFFECTED,
    "fixed": Status.FIXED,
    "under_investigation": Status.UNDER_INVESTIGATION,
    "affected": Status.AFFECTED,
}
_CDX_STATE = {
    "not_affected": Status.NOT_AFFECTED,
    "false_positive": Status.NOT_AFFECTED,
    "resolved": Status.FIXED,
    "resolved_with_pedigree": Status.FIXED,
    "in_triage": Status.UNDER_INVESTIGATION,
    "exploitable": Status.AFFECTED,
}
_DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-fA-F0-9]{32,}$")


@dataclass(frozen=True)
class Product:
    ref: str  # a purl, a digest, an image reference, a bom-ref, or IMAGE_SUBJECT
    subcomponents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Statement:
    ids: frozenset[str]  # upper-case vulnerability name and aliases
    status: Status
    products: tuple[Product, ...]
    source: str
    justification: str = ""
    reason: str = ""
    timestamp: str = ""
    order: int = 0


# ---------------------------------------------------------------- matching


def _purl(text: str) -> PackageURL | None:
    if not text.startswith("pkg:"):
        return None
    try:
        return PackageURL.from_string(text)
    except ValueError:
        return None


def _name(type_: str, name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower() if type_ == "pypi" else name.lower()


def purl_matches(product: str, package_purl: str) -> bool:
    """A product purl covers a package purl when type, namespace and name agree and the
    product's version and qualifiers, where it has them, agree too."""
    a, b = _purl(product), _purl(package_purl)
    if a is None or b is None:
        return False
    if a.type.lower() != b.type.lower() or (a.namespace or "").lower() != (b.namespace or "").lower():
        return False
    if _name(a.type, a.name) != _name(b.type, b.name):
        return False
    if a.version and unquote(a.version) != unquote(b.version or ""):
        return False
    want = a.qualifiers if isinstance(a.qualifiers, dict) else {}
    have = b.qualifiers if isinstance(b.qualifiers, dict) else {}
    return all(have.get(k) == v for k, v in want.items())


def image_matches(ref: str, image: ImageIdentity) -> bool:
    if ref == IMAGE_SUBJECT:
        return True
    p = _purl(ref)
    if p is not None:
        if p.type.lower() != "oci":
            return False
        if p.version:
            return unquote(p.version).lower() in image.digests
        quals = p.qualifiers if isinstance(p.qualifiers, dict) else {}
        repo = str(quals.get("repository_url", "")).lower()
        if repo:
            return repo in image.names or repo.split("/", 1)[-1] in image.names
        return any(n.rsplit("/", 1)[-1] == p.name.lower() for n in image.names)
    if _DIGEST.match(ref):
        return ref.lower() in image.digests
    if "@" in ref:  # repo@sha256:...
        return ref.rsplit("@", 1)[1].lower() in image.digests
    return bool(ref) and ref == image.ref


def _package_matches(ref: str, s: Subject) -> bool:
    if s.bom_ref and (ref == s.bom_ref or (ref.startswith("urn:cdx:") and ref.rsplit("#", 1)[-1] == s.bom_ref)):
        return True
    return s.package is not None and bool(s.package.purl) and purl_matches(ref, s.package.purl)


def covers(st: Statement, s: Subject, image: ImageIdentity) -> bool:
    if not (st.ids & s.ids):
        return False
    for prod in st.products:
        if image_matches(prod.ref, image):
            if not prod.subcomponents or any(_package_matches(sub, s) for sub in prod.subcomponents):
                return True
        elif _package_matches(prod.ref, s) and (
            not prod.subcomponents or any(_package_matches(sub, s) for sub in prod.subcomponents)
        ):
            return True
    return False


class VexRule:
    """All statements of all VEX documents given to one scan, indexed by vulnerability id."""

    def __init__(self, statements: tuple[Statement, ...]) -> None:
        self.statements = statements
        self._by_id: dict[str, list[Statement]] = {}
        for st in statements:
            for i in st.ids:
                self._by_id.setdefault(i, []).append(st)

    def judge(self, subject: Subject, image: ImageIdentity) -> Verdict | None:
        best: Statement | None = None
        candidates = {id(st): st for i in subject.ids for st in self._by_id.get(i, ())}
        for st in candidates.values():
            newer = best is None or (st.timestamp, st.order) >= (best.timestamp, best.order)
            if newer and covers(st, subject, image):
                best = st
        if best is None:
            return None
        return Verdict(status=best.status, reason=best.reason, source=best.source, justification=best.justification)


# ---------------------------------------------------------------- reading


def _s(v: Any) -> str:
    return v.strip() if isinstance(v, str) else ""


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _product_id(p: Any) -> str:
    if isinstance(p, str):
        return p.strip()
    if isinstance(p, dict):
        ids = _dict(p.get("identifiers"))
        return _s(p.get("@id")) or _s(ids.get("purl")) or _s(p.get("purl"))
    return ""


def read_openvex(doc: dict[str, Any], name: str, start: int = 0) -> list[Statement]:
    doc_ts = _s(doc.get("timestamp"))
    out = []
    statements = doc.get("statements")
    if not isinstance(statements, list):
        raise UsageError(f"{name}: OpenVEX document without a 'statements' list")
    for i, st in enumerate(statements):
        where = f"{name}#statements[{i}]"
        if not isinstance(st, dict):
            raise UsageError(f"{where}: a statement must be an object")
        vuln = st.get("vulnerability")
        ids: set[str] = set()
        if isinstance(vuln, str):  # OpenVEX 0.0.x: a plain id
            ids.add(vuln.strip())
        elif isinstance(vuln, dict):
            ids.update(x for x in (_s(vuln.get("name")), _s(vuln.get("@id"))) if x)
            ids.update(_s(a) for a in _list(vuln.get("aliases")) if _s(a))
        ids.discard("")
        status = _OPENVEX_STATUS.get(_s(st.get("status")))
        if not ids or status is None:
            raise UsageError(f"{where}: needs a vulnerability and a status "
                             f"({', '.join(_OPENVEX_STATUS)}), got {str(st.get('status'))[:40]!r}")
        products = []
        for p in _list(st.get("products")):
            pid = _product_id(p)
            raw_subs = _list(p.get("subcomponents")) if isinstance(p, dict) else []
            subs = tuple(x for x in (_product_id(s) for s in raw_subs) if x)
            if pid:
                products.append(Product(pid, subs))
        if not products:
            raise UsageError(f"{where}: the statement names no product")
        reason = _s(st.get("impact_statement")) or _s(st.get("action_statement")) or _s(st.get("status_notes"))
        out.append(Statement(
            ids=frozenset(x.upper() for x in ids), status=status, products=tuple(products), source=where,
            justification=_s(st.get("justification")), reason=reason,
            timestamp=_s(st.get("last_updated")) or _s(st.get("timestamp")) or doc_ts, order=start + i,
        ))
    return out


def _components(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    stack = list(_list(doc.get("components")))
    seen = 0
    while stack and seen < 1_000_000:
        c = stack.pop()
        seen += 1
        if not isinstance(c, dict):
            continue
        ref = _s(c.get("bom-ref"))
        if ref:
            out.setdefault(ref, c)
        stack.extend(_list(c.get("components")))
    return out


def read_cyclonedx(doc: dict[str, Any], name: str, start: int = 0) -> list[Statement]:
    meta = _dict(doc.get("metadata"))
    subject = _dict(meta.get("component"))
    subject_ref = _s(subject.get("bom-ref"))
    comps = _components(doc)
    doc_ts = _s(meta.get("timestamp"))
    out = []
    for i, v in enumerate(_list(doc.get("vulnerabilities"))):
        where = f"{name}#vulnerabilities[{i}]"
        if not isinstance(v, dict):
            raise UsageError(f"{where}: a vulnerability must be an object")
        analysis = _dict(v.get("analysis"))
        state = _s(analysis.get("state"))
        if not state:
            continue  # a plain vulnerability listing says nothing about exceptions
        status = _CDX_STATE.get(state)
        if status is None:
            raise UsageError(f"{where}: unknown analysis.state {state[:40]!r} (expected {', '.join(_CDX_STATE)})")
        ids = {_s(v.get("id"))} | {_s(r.get("id")) for r in _list(v.get("references")) if isinstance(r, dict)}
        ids.discard("")
        if not ids:
            raise UsageError(f"{where}: vulnerability without an id")
        products = []
        for a in _list(v.get("affects")):
            ref = _s(a.get("ref")) if isinstance(a, dict) else ""
            if not ref:
                continue
            if ref == subject_ref:
                products.append(Product(_s(subject.get("purl")) or IMAGE_SUBJECT))
            elif ref in comps:
                c = comps[ref]
                purl = _s(c.get("purl"))
                products.append(Product(IMAGE_SUBJECT if c.get("type") == "container" and not purl else (purl or ref)))
            else:
                products.append(Product(ref))
        if not products:
            raise UsageError(f"{where}: 'affects' names no component")
        out.append(Statement(
            ids=frozenset(x.upper() for x in ids), status=status, products=tuple(products), source=where,
            justification=_s(analysis.get("justification")), reason=_s(analysis.get("detail")),
            timestamp=_s(analysis.get("lastUpdated")) or _s(analysis.get("firstIssued")) or doc_ts, order=start + i,
        ))
    return out


def parse(data: bytes, name: str, start: int = 0) -> list[Statement]:
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as e:
        msg = str(e).splitlines()[0][:160] if str(e) else type(e).__name__
        raise UsageError(f"{name}: VEX document is not valid JSON: {msg}") from None
    if not isinstance(doc, dict):
        raise UsageError(f"{name}: a VEX document must be a JSON object")
    if doc.get("bomFormat") == "CycloneDX":
        return read_cyclonedx(doc, name, start)
    ctx = doc.get("@context")
    if (isinstance(ctx, str) and "openvex" in ctx) or "statements" in doc:
        return read_openvex(doc, name, start)
    raise UsageError(f"{name}: not an OpenVEX or CycloneDX VEX document")


def load(paths: list[Path]) -> VexRule:
    statements: list[Statement] = []
    for path in paths:
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                raise UsageError(f"{path}: VEX document of {size} bytes is larger than {MAX_BYTES} bytes")
            data = path.read_bytes()
        except OSError as e:
            raise UsageError(f"cannot read VEX document {path}: {e.strerror or e}") from None
        statements += parse(data, str(path), start=len(statements))
    return VexRule(tuple(statements))
