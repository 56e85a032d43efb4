"""PHP Composer (Packagist) versions, ordered as Composer orders them: its version normalisation
(``v1.2`` -> ``1.2.0.0``, ``-stable`` dropped) followed by PHP's ``version_compare``.

``version_compare`` splits on ``.``, ``-``, ``_``, ``+`` and digit/letter transitions, then
compares part by part: numbers by value; words by their special form
``dev < alpha = a < beta = b < RC = rc < (number) < pl = p = patch`` (matched by prefix, any
other word sorts before ``dev``); a number is greater than any word but ``pl``/``p``. When one
version runs out, the other is greater if its next part is a number, else as that word against
a number. Branch names (``dev-main``) have no order and are refused.
"""

from __future__ import annotations

import re

from hullcheck.errors import InvalidVersion

NAME = "packagist"

_FORMS = (("dev", 0), ("alpha", 1), ("a", 1), ("beta", 2), ("b", 2), ("RC", 3), ("rc", 3),
          ("#", 4), ("pl", 5), ("p", 5))
_NUMBER_FORM = 4
_PART = re.compile(r"[0-9]+|[^0-9]+")
_RELEASE = re.compile(r"([0-9]+(?:\.[0-9]+)*)(.*)", re.S)

Key = tuple[tuple[int, int], ...]


def _form(word: str) -> int:
    for name, order in _FORMS:
        if word.startswith(name):
            return order
    return -1


def _parts(v: str) -> list[str]:
    out: list[str] = []
    for chunk in re.split(r"[^0-9A-Za-z]+", v):
        out.extend(_PART.findall(chunk))
    return out


def php_key(v: str) -> Key:
    """Key ordering exactly as PHP's ``version_compare`` (no Composer normalisation)."""
    key: list[tuple[int, int]] = []
    for p in _parts(v):
        key.append((_NUMBER_FORM, int(p)) if p.isdigit() else (_form(p), 0))
    key.append((_NUMBER_FORM, -1))  # running out: below any number, as a number against words
    return tuple(key)


def parse(version: str) -> Key:
    v = version.strip()
    if v[:1] in ("v", "V"):
        v = v[1:]
    m = _RELEASE.fullmatch(v)
    if m is None or v.lower().startswith("dev-"):
        raise InvalidVersion(NAME, version, "not a Composer version (branch names have no order)")
    nums = m.group(1).split(".")
    if len(nums) > 4:
        raise InvalidVersion(NAME, version, "more than four numeric parts")
    nums += ["0"] * (4 - len(nums))
    rest = re.sub(r"(?i)^[-._]?stable$", "", m.group(2))
    return php_key(".".join(nums) + rest)
