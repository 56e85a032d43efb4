"""Alpine (apk) versions: ``digit{.digit}...{letter}{_suffix{number}}...{~hash}{-r#}``.

Ordering follows apk-tools: the version is read as a stream of tokens, each with a *type*
(what kind of token comes next: a dotted digit group, a letter, a suffix, a suffix number,
a commit hash, a revision, the end, or garbage) and a *value*. Two versions compare value by
value and type by type; when the types differ, a pre-release suffix (``_alpha``, ``_beta``,
``_pre``, ``_rc``) sorts lowest and otherwise the "earlier" token type wins (``1.0.1`` > ``1.0a``
> ``1.0_p1`` > ``1.0-r1`` > ``1.0``). That makes a flat tuple key: values interleaved with
ranks of the following types, ending with the END (or INVALID) rank.

Parsing never stops on garbage (apk compares garbage up to the first bad token, as the
vectors from apk-tools require); ``check`` is the strict validity test.
"""

from __future__ import annotations

import re

from hullcheck.errors import InvalidVersion

NAME = "apk"

# Token types in apk-tools' order; a larger type sorts lower when types differ.
_DIGIT_OR_ZERO, _DIGIT, _LETTER, _SUFFIX, _SUFFIX_NO, _HASH, _REVISION_NO, _END = range(8)
_INVALID = -1

_PRE_SUFFIXES = ("alpha", "beta", "pre", "rc")
_POST_SUFFIXES = ("cvs", "svn", "git", "hg", "p")

_VALID = re.compile(
    r"[0-9]+(?:\.[0-9]+)*[a-z]?"
    r"(?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*"
    r"(?:~[0-9a-f]+)?"
    r"(?:-r[0-9]+)?"
)

Key = tuple[object, ...]


def _suffix_value(s: str, i: int) -> tuple[int, int] | None:
    """(value, length) of the suffix name at s[i:], or None. Pre-release values are negative."""
    for n, name in enumerate(_PRE_SUFFIXES):
        if s.startswith(name, i):
            return n - len(_PRE_SUFFIXES), len(name)
    for n, name in enumerate(_POST_SUFFIXES):
        if s.startswith(name, i):
            return n, len(name)
    return None


def _next_type(s: str, i: int, cur: int) -> tuple[int, int]:
    """Type of the token starting at s[i], and the index of its first value character."""
    if i >= len(s):
        return _END, i
    c = s[i]
    if cur in (_DIGIT, _DIGIT_OR_ZERO) and "a" <= c <= "z":
        n = _LETTER
    elif cur == _LETTER and c.isdigit():
        n = _DIGIT
    elif cur == _SUFFIX and c.isdigit():
        n = _SUFFIX_NO
    else:
        i += 1
        if c == ".":
            n = _DIGIT_OR_ZERO
        elif c == "_":
            n = _SUFFIX
        elif c == "~":
            n = _HASH
        elif c == "-" and i < len(s) and s[i] == "r":
            n = _REVISION_NO
            i += 1
        else:
            n = _INVALID
    if n != _INVALID and n < cur and not (
        (n == _DIGIT_OR_ZERO and cur == _DIGIT)
        or (n == _SUFFIX and cur == _SUFFIX_NO)
        or (n == _DIGIT and cur == _LETTER)
    ):
        n = _INVALID
    return n, i


def _tokens(s: str) -> list[tuple[int, object]]:
    """[(type, value)] as apk-tools reads them; the last type is _END or _INVALID."""
    out: list[tuple[int, object]] = []
    t, i, n = _DIGIT, 0, len(s)
    while t not in (_END, _INVALID):
        if i >= n:
            out.append((_END, 0))
            break
        value: object
        if t == _DIGIT_OR_ZERO:
            # A dotted group with a leading zero compares as a decimal fraction, i.e. as a
            # string ("1.0015" < "1.002" < "1.2"); other groups compare as numbers.
            j = i
            while j < n and s[j].isdigit() and s[j].isascii():
                j += 1
            digits = s[i:j]
            value = (0, digits) if digits.startswith("0") else (1, int(digits) if digits else 0)
        elif t in (_DIGIT, _SUFFIX_NO, _REVISION_NO):
            j = i
            while j < n and s[j].isdigit() and s[j].isascii():
                j += 1
            value = int(s[i:j]) if j > i else 0
        elif t == _LETTER:
            j = i + 1
            value = ord(s[i])
        elif t == _SUFFIX:
            sv = _suffix_value(s, i)
            if sv is None:
                out.append((_INVALID, 0))
                break
            value, j = sv[0], i + sv[1]
        elif t == _HASH:
            j = i
            while j < n and s[j] in "0123456789abcdef":
                j += 1
            value = s[i:j]
        else:  # pragma: no cover - every type is handled above
            break
        out.append((t, value))
        i = j
        t, i = _next_type(s, i, t)
    if t in (_END, _INVALID) and (not out or out[-1][0] not in (_END, _INVALID)):
        out.append((t, 0))
    return out


def _rank(types: list[tuple[int, object]], k: int) -> int:
    """Rank of token k's type for ordering when types differ: higher rank = greater version."""
    t, v = types[k]
    if t == _SUFFIX and isinstance(v, int) and v < 0:
        return -100  # a pre-release suffix makes the version older than anything else
    if t == _INVALID:
        return 1
    return -t


def parse(version: str) -> Key:
    """Key for ``version``; raises InvalidVersion only for the empty string (see ``check``)."""
    s = version.strip()
    if not s:
        raise InvalidVersion(NAME, version, "empty version")
    toks = _tokens(s)
    key: list[object] = []
    for k, (t, v) in enumerate(toks):
        if k > 0:
            key.append(_rank(toks, k))
        if t in (_END, _INVALID):
            break
        key.append(v)
    return tuple(key)


def check(version: str) -> None:
    """Strict validity as apk-tools' ``apk_version_validate``."""
    if not _VALID.fullmatch(version):
        raise InvalidVersion(NAME, version, "not an apk version")


def fuzzy_match(version: str, op: str, other: str) -> bool:
    """apk's fuzzy operators: ``~`` (``version`` starts with ``other``'s components),
    ``<~`` and ``>~`` (less / greater, or fuzzy-equal)."""
    ka, kb = parse(version), parse(other)
    # Fuzzy equality: the pattern ends (END rank) and everything before it matches.
    fuzzy_eq = len(kb) <= len(ka) and ka[: len(kb) - 1] == kb[:-1]
    if op == "~":
        return fuzzy_eq
    if op == "<~":
        return fuzzy_eq or ka < kb
    if op == ">~":
        return fuzzy_eq or ka > kb
    raise ValueError(f"unknown fuzzy operator {op!r}")
