"""How fast hullcheck compares versions, per ecosystem.

    python bench/versions_bench.py [--n 20000]

For each ecosystem it generates a realistic set of distinct versions, then reports:
- parse/s: uncached parses (``Scheme.parse.__wrapped__``), what a cold cache costs;
- compare/s: ``versions.compare(ecosystem, a, b)`` on random pairs with a warm cache, the call
  matching makes;
- key-cmp/s: comparing two already parsed keys (``ka < kb``), the inner loop of sorting.
Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from hullcheck import versions


def _gen(eco: str, rnd: random.Random) -> str:
    a, b, c = rnd.randint(0, 30), rnd.randint(0, 40), rnd.randint(0, 200)
    r = rnd.randint(0, 12)
    pre = rnd.choice(["", "", "", "alpha", "beta", "rc"])
    if eco.startswith("Debian"):
        ep = rnd.choice(["", "", "1:"])
        tail = rnd.choice(["", "+deb12u1", "~bpo12+1", "+dfsg"])
        return f"{ep}{a}.{b}.{c}{tail}-{r}"
    if eco.startswith("Alpine"):
        return f"{a}.{b}.{c}" + (f"_{pre}{r}" if pre else "") + f"-r{r}"
    if eco.startswith("Red Hat"):
        return f"{rnd.choice(['', '1:'])}{a}.{b}.{c}-{r}.el9" + rnd.choice(["", "_1", "_2.1"])
    if eco == "PyPI":
        return f"{a}.{b}.{c}" + ({"alpha": "a", "beta": "b", "rc": "rc"}.get(pre, "")) + (
            f"{r}" if pre else "") + rnd.choice(["", "", ".post1", ".dev3"])
    if eco in ("npm", "crates.io"):
        return f"{a}.{b}.{c}" + (f"-{pre}.{r}" if pre else "")
    if eco == "Go":
        if rnd.random() < 0.2:
            return f"v0.0.0-2023{rnd.randint(1000000000, 1231235959)}-{rnd.getrandbits(48):012x}"
        return f"v{a}.{b}.{c}" + (f"-{pre}.{r}" if pre else "")
    if eco == "Maven":
        return f"{a}.{b}.{c}" + rnd.choice(["", "", "-SNAPSHOT", f"-M{r}", f".RC{r}", ".Final"])
    if eco == "RubyGems":
        return f"{a}.{b}.{c}" + (f".{pre}.{r}" if pre else "")
    if eco == "NuGet":
        return f"{a}.{b}.{c}.{r}" + (f"-{pre}{r}" if pre else "")
    if eco == "Packagist":
        return f"v{a}.{b}.{c}" + (f"-{pre}{r}" if pre else "")
    raise ValueError(eco)


ECOSYSTEMS = ("Debian:12", "Alpine:v3.20", "Red Hat", "PyPI", "npm", "Go", "Maven",
              "RubyGems", "NuGet", "Packagist")


def _rate(fn: Callable[[], int]) -> float:
    t0 = time.perf_counter()
    n = fn()
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000, help="versions per ecosystem")
    args = ap.parse_args()
    rnd = random.Random(7)
    print(f"{'ecosystem':<14}{'parse/s':>12}{'compare/s':>14}{'key-cmp/s':>14}")
    for eco in ECOSYSTEMS:
        vs = list(dict.fromkeys(_gen(eco, rnd) for _ in range(args.n)))
        scheme = versions.scheme_for(eco)
        raw_parse = scheme.parse.__wrapped__  # type: ignore[attr-defined]

        def parse_all(vs: list[str] = vs, raw_parse: Callable[[str], object] = raw_parse) -> int:
            for v in vs:
                raw_parse(v)
            return len(vs)

        pairs = [(rnd.choice(vs), rnd.choice(vs)) for _ in range(5 * len(vs))]
        for v in vs:  # warm the cache, as matching does after the first package
            scheme.parse(v)

        def compare_all(pairs: list[tuple[str, str]] = pairs, eco: str = eco) -> int:
            cmp = versions.compare
            for a, b in pairs:
                cmp(eco, a, b)
            return len(pairs)

        keys = [(scheme.parse(a), scheme.parse(b)) for a, b in pairs]

        def keycmp_all(keys: list[tuple[object, object]] = keys) -> int:
            for ka, kb in keys:
                ka < kb  # type: ignore[operator]  # noqa: B015
            return len(keys)

        print(f"{eco:<14}{_rate(parse_all):>12,.0f}{_rate(compare_all):>14,.0f}"
              f"{_rate(keycmp_all):>14,.0f}")


if __name__ == "__main__":
    main()
