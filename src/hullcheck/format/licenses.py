"""License strings as catalogers report them, turned into what CycloneDX and SPDX accept.

Catalogers keep licenses as found ("MIT", "Apache 2.0", "GPL-2+"): SBOMs need SPDX ids or
expressions, and free text only where the format has a place for it.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

_licensing_lock = threading.Lock()
_licensing_obj: Any = None


def _licensing() -> Any:
    global _licensing_obj
    with _licensing_lock:  # built once, whichever thread asks first (see ``warm_up``)
        if _licensing_obj is None:
            from license_expression import get_spdx_licensing  # a cyclonedx-python-lib dependency

            _licensing_obj = get_spdx_licensing()
        return _licensing_obj


def warm_up() -> None:
    """Build the SPDX license index on a background thread.

    It costs ~50 ms, all of it on the tail of an SBOM run (after the catalog is complete) when
    built on first use; started while the layers are read, it fits into that phase instead.
    """
    def build() -> None:
        # the first validation builds the tokenizer automaton (another ~15 ms)
        spdx_expression("MIT OR Apache-2.0")

    threading.Thread(target=build, name="spdx-licensing", daemon=True).start()


@lru_cache(maxsize=4096)
def spdx_expression(text: str) -> str | None:
    """The canonical SPDX expression for ``text`` ("mit or apache-2.0" -> "MIT OR Apache-2.0"), or None."""
    if not text or len(text) > 1000:
        return None
    try:
        info = _licensing().validate(text)
    except Exception:  # the library raises assorted errors on odd characters; not an expression then
        return None
    if info.errors or not info.normalized_expression:
        return None
    return str(info.normalized_expression)


@lru_cache(maxsize=4096)
def is_spdx_id(text: str) -> bool:
    """A single SPDX license id exactly as listed (case included)."""
    expr = spdx_expression(text)
    return expr == text and " " not in text


_REF_CHARS = re.compile(r"[^A-Za-z0-9.\-]+")


def license_ref(text: str) -> str:
    """A ``LicenseRef-`` id for free text; the same text always gets the same id."""
    import hashlib

    slug = _REF_CHARS.sub("-", text).strip("-")[:48] or "unknown"
    return f"LicenseRef-{slug}-{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


def declared_expression(licenses: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """An SPDX expression for all of a package's licenses (AND), and the LicenseRefs it uses.

    Returns ("NOASSERTION", {}) when there are none. Several license statements on one package
    mean its parts are under each of them, hence AND.
    """
    parts: list[str] = []
    refs: dict[str, str] = {}
    for text in licenses:
        expr = spdx_expression(text)
        if expr is None:
            ref = license_ref(text)
            refs[ref] = text
            expr = ref
        if expr not in parts:
            parts.append(expr)
    if not parts:
        return "NOASSERTION", {}
    if len(parts) == 1:
        return parts[0], refs
    return " AND ".join(f"({p})" if " " in p else p for p in parts), refs
