"""Kubernetes resource quantities (``500m``, ``1Gi``, ``10M``, ``1e3``), parsed with their grammar.

Written here because no maintained Python library implements the apimachinery grammar exactly:

    quantity        ::= signedNumber suffix
    signedNumber    ::= number | sign number          sign ::= "+" | "-"
    number          ::= digits | digits "." digits | digits "." | "." digits
    suffix          ::= binarySI | decimalExponent | decimalSI
    binarySI        ::= Ki | Mi | Gi | Ti | Pi | Ei
    decimalSI       ::= m | "" | k | M | G | T | P | E
    decimalExponent ::= "e" signedNumber | "E" signedNumber   (an integer exponent)

No surrounding whitespace is allowed. Values are exact (``Fraction``). YAML numbers are accepted
like the API accepts JSON numbers.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

_QUANTITY = re.compile(
    r"(?P<num>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?:(?P<bin>Ki|Mi|Gi|Ti|Pi|Ei)|(?P<exp>[eE][+-]?[0-9]+)|(?P<dec>[mkMGTPE]?))\Z"
)
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
MAX_EXPONENT = 1000  # beyond any sensible quantity; refuses "1e99999999" before computing it


class QuantityError(ValueError):
    pass


def parse_quantity(value: Any) -> Fraction:
    """The exact value of a quantity; ``QuantityError`` when it does not follow the grammar."""
    if isinstance(value, bool) or value is None:
        raise QuantityError(f"not a quantity: {value!r}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise QuantityError(f"not a quantity: {value!r}")
        return Fraction(repr(value)) if "e" not in repr(value) else Fraction(value)
    if not isinstance(value, str):
        raise QuantityError(f"not a quantity: {value!r}")
    m = _QUANTITY.match(value)
    if not m or len(value) > 100:
        raise QuantityError(f"quantities must match the Kubernetes grammar (e.g. 500m, 1Gi, 10M): {value!r}")
    num = Fraction(m.group("num"))
    if m.group("bin"):
        return num * (2 ** _BINARY[m.group("bin")])
    if m.group("exp"):
        e = int(m.group("exp")[1:])
        if abs(e) > MAX_EXPONENT:
            raise QuantityError(f"quantity exponent out of range: {value!r}")
        return num * Fraction(10) ** e
    return num * Fraction(10) ** _DECIMAL[m.group("dec") or ""]
