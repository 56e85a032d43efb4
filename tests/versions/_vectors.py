"""Reading the shared version vectors (``version-vectors/<scheme>/*.tsv``) in place."""

from __future__ import annotations

from pathlib import Path


def rows(path: Path, min_fields: int = 2) -> list[list[str]]:
    """Tab-separated rows. Fields keep their spaces (some vectors test whitespace); only the
    newline is stripped. Fails loudly on an empty file so a test can never pass vacuously."""
    out = []
    with path.open(encoding="utf-8", newline="") as f:
        for line in f:
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip("\t ") and min_fields > 1 and "\t" not in line:
                continue
            fields = line.split("\t")
            assert len(fields) >= min_fields, f"{path.name}: malformed row {line!r}"
            out.append(fields)
    assert out, f"{path} has no rows"
    return out


def sign(x: int) -> int:
    return (x > 0) - (x < 0)


def check_pairs(
    path: Path, cmp: object, transform: object = None
) -> tuple[int, list[str]]:
    """Run ``cmp(a, b)`` on every ``a<TAB>b<TAB>expected`` row; (rows checked, failures)."""
    failures = []
    n = 0
    for a, b, want, *_ in rows(path, 3):
        if transform is not None:
            a, b = transform(a), transform(b)  # type: ignore[operator]
        got = sign(cmp(a, b))  # type: ignore[operator]
        n += 1
        if got != int(want):
            failures.append(f"{a!r} vs {b!r}: want {want}, got {got}")
    return n, failures
