"""Kubernetes quantities: the apimachinery grammar (resource.Quantity), exact values."""

from __future__ import annotations

from fractions import Fraction

import pytest

from hullcheck.policy.quantity import QuantityError, parse_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # decimalSI suffixes: m=10^-3, k=10^3, M=10^6, G=10^9, T=10^12, P=10^15, E=10^18
        ("10M", 10 * 10**6), ("500m", Fraction(1, 2)), ("1k", 1000), ("2G", 2 * 10**9), ("1E", 10**18),
        # binarySI: Ki=2^10 ... Ei=2^60
        ("1Gi", 2**30), ("1.5Gi", 3 * 2**29), ("128Mi", 128 * 2**20), ("1Ei", 2**60),
        # decimalExponent
        ("1e3", 1000), ("1E3", 1000), ("12e-3", Fraction(12, 1000)), ("1e+2", 100),
        # number forms: digits, digits.digits, digits., .digits, signs
        ("1", 1), ("0.5", Fraction(1, 2)), ("5.", 5), (".5", Fraction(1, 2)), ("+1", 1), ("-1k", -1000),
        # YAML numbers, accepted like JSON numbers
        (2, 2), (0.25, Fraction(1, 4)),
    ],
)
def test_valid_quantities(text: object, value: object) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize(
    "text",
    ["", " 1", "1 ", "1Ki ", "1kb", "1K", "1mi", "Gi", "1.2.3", "1e", "1e1.5", "--1", "1Mb", "ten", "0x10",
     "1ki", "1Gi1", "1e99999", None, True, [1]],
)
def test_invalid_quantities(text: object) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)
