"""Version-vector pass rates: hullcheck.versions against the native tools' own test vectors.

The vectors (``version-vectors/<suite>/*.tsv`` in the shared data, see its README) come from
dpkg, rpm, apk-tools, node-semver, packaging, Maven, golang.org/x/mod and RubyGems. Each file is
checked row by row with the hullcheck.versions function that plays the native tool's part
(comparison, validity, range satisfaction ...); a row that raises counts as a failure, never as a
crash of the section. tests/versions asserts these same files pass; here we report the rates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hullcheck.errors import InvalidVersion
from hullcheck.versions import apk, dpkg, golang, maven, pep440, rpm, rubygems, semver

RowCheck = Callable[[list[str]], str | None]  # a failure message, or None when the row passes


def _sign(x: int) -> int:
    return (x > 0) - (x < 0)


def _cmp_keys(parse: Callable[[str], object]) -> Callable[[str, str], int]:
    def cmp(a: str, b: str) -> int:
        ka, kb = parse(a), parse(b)
        return (ka > kb) - (ka < kb)  # type: ignore[operator]

    return cmp


def _pairs(cmp: Callable[[str, str], int], transform: Callable[[str], str] = lambda s: s) -> RowCheck:
    """``a<TAB>b<TAB>-1|0|1``."""

    def check(row: list[str]) -> str | None:
        a, b = transform(row[0]), transform(row[1])
        got = _sign(cmp(a, b))
        return None if got == int(row[2]) else f"{a!r} vs {b!r}: want {row[2]}, got {got}"

    return check


def _validity(check_fn: Callable[[str], object]) -> RowCheck:
    """``version<TAB>true|false``: true when ``check_fn`` accepts it (does not raise InvalidVersion)."""

    def check(row: list[str]) -> str | None:
        try:
            check_fn(row[0])
            got = "true"
        except InvalidVersion:
            got = "false"
        return None if got == row[1] else f"{row[0][:60]!r}: want valid={row[1]}, got {got}"

    return check


def _bool(fn: Callable[[list[str]], bool], expect_at: int, label: Callable[[list[str]], str]) -> RowCheck:
    def check(row: list[str]) -> str | None:
        got = str(fn(row)).lower()
        return None if got == row[expect_at] else f"{label(row)}: want {row[expect_at]}, got {got}"

    return check


def _field(row: list[str], i: int) -> str:
    return row[i] if len(row) > i else ""


def _npm_opts(text: str) -> dict[str, bool]:
    flags = set(text.split(",")) if text else set()
    return {"loose": "loose" in flags, "include_prerelease": "includePrerelease" in flags}


def _npm_compare(row: list[str]) -> str | None:
    loose = _npm_opts(_field(row, 3))["loose"]
    got = semver.parse_semver(row[0], loose).compare(semver.parse_semver(row[1], loose))
    return None if got == int(row[2]) else f"{row[0]!r} vs {row[1]!r} loose={loose}: want {row[2]}, got {got}"


def _npm_range_parse(row: list[str]) -> str | None:
    want = None if _field(row, 2) == "INVALID" else row[1]
    got = semver.valid_range(row[0], **_npm_opts(_field(row, 3)))
    return None if got == want else f"validRange({row[0]!r}): want {want!r}, got {got!r}"


def _npm_outside(row: list[str]) -> str | None:
    fn, want = row[2].split("=")
    check = semver.gtr if fn == "gtr" else semver.ltr
    got = str(check(row[0], row[1], **_npm_opts(_field(row, 3)))).lower()
    return None if got == want else f"{fn}({row[0]!r}, {row[1]!r}): want {want}, got {got}"


def _maven_text(s: str) -> str:
    """A few Maven rows hold UTF-8 decoded as Latin-1 and encoded again ("1.Ã©" for "1.é"); undo it
    where it applies (as tests/versions/test_maven.py does)."""
    try:
        return s.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return s


@dataclass(frozen=True)
class VectorFile:
    suite: str  # the ecosystem as reported
    path: str  # relative to version-vectors/
    what: str  # what the rows test
    check: RowCheck
    min_fields: int = 3


def _label_range(row: list[str]) -> str:
    return f"{row[0]!r} in {row[1]!r}"


FILES: tuple[VectorFile, ...] = (
    VectorFile("Debian (dpkg)", "deb/dpkg_Dpkg_Version_t_DATA.tsv", "compare", _pairs(_cmp_keys(dpkg.parse))),
    VectorFile("Debian (dpkg)", "deb/dpkg_Dpkg_Version_t_sortlists.tsv", "compare", _pairs(_cmp_keys(dpkg.parse))),
    VectorFile("Debian (dpkg)", "deb/dpkg_t-version_c.tsv", "compare", _pairs(_cmp_keys(dpkg.parse))),
    VectorFile("Debian (dpkg)", "deb/validity.tsv", "validity", _validity(dpkg.check), 2),
    VectorFile("Red Hat (rpm)", "rpm/rpm_rpmvercmp_at.tsv", "compare", _pairs(rpm.vercmp)),
    VectorFile("Alpine (apk-tools)", "apk/apk-tools_version_data.tsv", "compare", _pairs(_cmp_keys(apk.parse))),
    VectorFile("Alpine (apk-tools)", "apk/validity.tsv", "validity", _validity(apk.check), 2),
    VectorFile("Alpine (apk-tools)", "apk/fuzzy_match.tsv", "fuzzy match",
               _bool(lambda r: apk.fuzzy_match(r[0], r[1], r[2]), 3, lambda r: " ".join(r[:3])), 4),
    VectorFile("npm (node-semver)", "npm-semver/compare.tsv", "compare", _npm_compare),
    VectorFile("npm (node-semver)", "npm-semver/compare_options.tsv", "compare (loose)", _npm_compare),
    VectorFile("npm (node-semver)", "npm-semver/range.tsv", "satisfies",
               _bool(lambda r: semver.satisfies(r[0], r[1], **_npm_opts(_field(r, 3))), 2, _label_range)),
    VectorFile("npm (node-semver)", "npm-semver/range_options.tsv", "satisfies (options)",
               _bool(lambda r: semver.satisfies(r[0], r[1], **_npm_opts(_field(r, 3))), 2, _label_range)),
    VectorFile("npm (node-semver)", "npm-semver/range_parse.tsv", "validRange", _npm_range_parse, 2),
    VectorFile("npm (node-semver)", "npm-semver/outside_range.tsv", "gtr/ltr", _npm_outside),
    VectorFile("npm (node-semver)", "npm-semver/validity.tsv", "valid",
               _bool(lambda r: semver.valid(r[0]), 1, lambda r: repr(r[0][:60])), 2),
    VectorFile("PyPI (packaging)", "pep440/compare_sorted_list.tsv", "compare", _pairs(_cmp_keys(pep440.parse))),
    VectorFile("PyPI (packaging)", "pep440/compare_equivalent.tsv", "compare", _pairs(_cmp_keys(pep440.parse))),
    VectorFile("PyPI (packaging)", "pep440/validity.tsv", "validity", _validity(pep440.parse), 2),
    VectorFile("PyPI (packaging)", "pep440/specifier.tsv", "specifier",
               _bool(lambda r: pep440.satisfies(r[0], r[1]), 2, _label_range)),
    VectorFile("Maven", "maven/compare.tsv", "compare",
               _pairs(lambda a, b: maven.parse(a).cmp(maven.parse(b)), _maven_text)),
    VectorFile("Go (x/mod)", "go-semver/compare.tsv", "compare", _pairs(_cmp_keys(golang.semver_key))),
    VectorFile("Go (x/mod)", "go-semver/canonical.tsv", "canonical/isValid",
               lambda r: None if (golang.canonical(r[0]), str(golang.is_valid(r[0])).lower()) == (r[1], r[2])
               else f"{r[0]!r}: want {r[1]!r}/{r[2]}"),
    VectorFile("RubyGems", "rubygems/compare.tsv", "compare", _pairs(_cmp_keys(rubygems.parse))),
    VectorFile("RubyGems", "rubygems/requirement.tsv", "requirement",
               _bool(lambda r: rubygems.satisfies(r[0], r[1]), 2, _label_range)),
)


def read_rows(path: Path, min_fields: int) -> list[list[str]]:
    """Tab-separated rows; fields keep their spaces (some vectors test whitespace)."""
    out = []
    with path.open(encoding="utf-8", newline="") as f:
        for line in f:
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip("\t ") and "\t" not in line:
                continue
            fields = line.split("\t")
            if len(fields) < min_fields:
                raise ValueError(f"{path.name}: malformed row {line!r}")
            out.append(fields)
    return out


@dataclass
class FileResult:
    path: str
    what: str
    vectors: int
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return self.vectors - len(self.failures)


@dataclass
class SuiteResult:
    suite: str
    files: list[FileResult] = field(default_factory=list)

    @property
    def vectors(self) -> int:
        return sum(f.vectors for f in self.files)

    @property
    def passed(self) -> int:
        return sum(f.passed for f in self.files)

    @property
    def rate(self) -> float:
        return self.passed / self.vectors if self.vectors else 0.0

    @property
    def failures(self) -> list[str]:
        return [f"{f.path}: {msg}" for f in self.files for msg in f.failures]


def run_file(vf: VectorFile, root: Path) -> FileResult:
    table = read_rows(root / vf.path, vf.min_fields)
    res = FileResult(vf.path, vf.what, len(table))
    for row in table:
        try:
            msg = vf.check(row)
        except Exception as e:  # a crash on a vector is a failure to report, not a reason to stop
            msg = f"{row[:3]!r}: raised {type(e).__name__}: {e}"[:300]
        if msg is not None:
            res.failures.append(msg)
    return res


def run_all(root: Path, files: tuple[VectorFile, ...] = FILES) -> list[SuiteResult]:
    """Every vector file under ``root`` (the shared data's ``version-vectors``), grouped by suite in
    the order of ``files``. A missing file raises FileNotFoundError: a silently smaller suite would
    inflate the rate."""
    out: dict[str, SuiteResult] = {}
    for vf in files:
        out.setdefault(vf.suite, SuiteResult(vf.suite)).files.append(run_file(vf, root))
    return list(out.values())
