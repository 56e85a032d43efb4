"""Maven versions, ordered as Maven's ``ComparableVersion`` (maven-artifact 3.9) orders them.

A version is split on ``.``, ``-`` and digit/letter transitions into a tree of items:
numbers, qualifiers (strings) and sub-lists (a ``-`` or a digit/letter transition opens one);
a qualifier glued to a number (``alpha2``, ``rc-1``) is one *combination* item. Trailing "null"
items (``0``, ``""``, ``ga``, ``final``, ``release``, empty lists) are dropped, so ``1.0.0`` ==
``1``. Known qualifiers order ``alpha < beta < milestone < rc = cr < snapshot < "" = ga = final
= release < sp``; unknown ones come after, in lexical order, ignoring case. ``a1``/``b1``/``m1``
mean alpha-1/beta-1/milestone-1. A qualifier after a dot is treated as after a hyphen
(``2.0.abc`` == ``2-abc``).

Items compare with mixed types (number vs list vs string), so the key is a small class with
a ``cmp`` over the parsed tree instead of a tuple; parse once, compare many times.
"""

from __future__ import annotations

from hullcheck.errors import InvalidVersion

NAME = "maven"

_QUALIFIERS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_RELEASE_QUALIFIERS = ("ga", "final", "release")
_ALIASES = {"cr": "rc"}
_RELEASE_INDEX = str(_QUALIFIERS.index(""))

_INT, _STR, _LIST, _COMBO = 0, 1, 2, 3


def _comparable_qualifier(q: str) -> str:
    if q in _RELEASE_QUALIFIERS:
        return _RELEASE_INDEX
    try:
        return str(_QUALIFIERS.index(q))
    except ValueError:
        return f"{len(_QUALIFIERS)}-{q}"


def _sign(x: int) -> int:
    return (x > 0) - (x < 0)


def _strcmp(a: str, b: str) -> int:
    return (a > b) - (a < b)


class _Item:
    __slots__ = ()
    kind: int

    def is_null(self) -> bool:
        raise NotImplementedError

    def cmp(self, other: _Item | None) -> int:
        raise NotImplementedError


class _Int(_Item):
    __slots__ = ("value",)
    kind = _INT

    def __init__(self, value: int) -> None:
        self.value = value

    def is_null(self) -> bool:
        return self.value == 0

    def cmp(self, other: _Item | None) -> int:
        if other is None:
            return 0 if self.value == 0 else 1
        if isinstance(other, _Int):
            return _sign(self.value - other.value)
        return 1  # 1.1 > 1-sp, 1.1 > 1-1, 1.1 > 1.alpha1

    def __repr__(self) -> str:
        return str(self.value)


class _Str(_Item):
    __slots__ = ("cq", "value")
    kind = _STR

    def __init__(self, value: str, followed_by_digit: bool) -> None:
        if followed_by_digit and len(value) == 1:
            value = {"a": "alpha", "b": "beta", "m": "milestone"}.get(value, value)
        self.value = _ALIASES.get(value, value)
        self.cq = _comparable_qualifier(self.value)

    def is_null(self) -> bool:
        # Only the empty qualifier is dropped by normalisation; "ga", "final" and "release"
        # compare equal to it but stay in place ("1.0.final-redhat" < "1.0-sp1-redhat").
        return not self.value

    def cmp(self, other: _Item | None) -> int:
        if other is None:
            return _strcmp(self.cq, _RELEASE_INDEX)  # 1-rc < 1, 1-sp > 1
        if isinstance(other, _Str):
            return _strcmp(self.cq, other.cq)
        if isinstance(other, _Combo):
            r = self.cmp(other.string)
            return -1 if r == 0 else r  # X < X1
        return -1  # 1.any < 1.1, 1.any < 1-1

    def __repr__(self) -> str:
        return repr(self.value)


class _Combo(_Item):
    """A qualifier with its number: ``alpha2``, ``rc-1``, ``sp3``."""

    __slots__ = ("number", "string")
    kind = _COMBO

    def __init__(self, text: str) -> None:
        i = 0
        while i < len(text) and not ("0" <= text[i] <= "9"):
            i += 1
        self.string = _Str(text[:i], True)
        self.number = _parse_number(text[i:])

    def is_null(self) -> bool:
        return False

    def cmp(self, other: _Item | None) -> int:
        if other is None:
            return self.string.cmp(None)
        if isinstance(other, _Int):
            return -1
        if isinstance(other, _Str):
            r = self.string.cmp(other)
            return 1 if r == 0 else r  # X1 > X
        if isinstance(other, _Combo):
            r = self.string.cmp(other.string)
            return self.number.cmp(other.number) if r == 0 else r
        return -1  # a list

    def __repr__(self) -> str:
        return f"{self.string!r}{self.number!r}"


class _List(_Item):
    __slots__ = ("items",)
    kind = _LIST

    def __init__(self) -> None:
        self.items: list[_Item] = []

    def is_null(self) -> bool:
        return not self.items

    def normalize(self) -> None:
        # Drop a null item (0, "", empty list) at the end, before a qualifier, or before a
        # sub-list that starts with a qualifier: 1.0 == 1, 1.0-alpha == 1-alpha, but 1.0-1 keeps
        # its 0.
        items = self.items
        for i in range(len(items) - 1, -1, -1):
            if not items[i].is_null():
                continue
            if i == len(items) - 1 or isinstance(items[i + 1], _Str):
                del items[i]
            else:
                nxt = items[i + 1]
                if (
                    isinstance(nxt, _List)
                    and nxt.items
                    and isinstance(nxt.items[0], (_Str, _Combo))
                ):
                    del items[i]

    def cmp(self, other: _Item | None) -> int:
        if other is None:
            return self.items[0].cmp(None) if self.items else 0
        if isinstance(other, _Int):
            return -1  # 1-1 < 1.0.x
        if isinstance(other, (_Str, _Combo)):
            return 1  # 1-1 > 1-sp
        assert isinstance(other, _List)
        left, right = self.items, other.items
        for i in range(max(len(left), len(right))):
            lv = left[i] if i < len(left) else None
            rv = right[i] if i < len(right) else None
            # the shorter list is padded with "nothing", compared from the other side
            r = (0 if rv is None else -rv.cmp(None)) if lv is None else lv.cmp(rv)
            if r:
                return r
        return 0

    def __repr__(self) -> str:
        return repr(self.items)


def _parse_number(digits: str) -> _Int:
    return _Int(int(digits) if digits else 0)


def _parse_item(is_combination: bool, is_digit: bool, text: str) -> _Item:
    if is_combination:
        return _Combo(text.replace("-", ""))
    if is_digit:
        return _parse_number(text)
    return _Str(text, False)


def _is_digit(c: str) -> bool:
    return "0" <= c <= "9"


def _build(version: str) -> _List:
    version = version.lower()
    items = _List()
    lst = items
    stack = [lst]
    is_digit = False
    is_combination = False
    start = 0
    n = len(version)

    def push_list() -> None:
        nonlocal lst
        new = _List()
        lst.items.append(new)
        lst = new
        stack.append(new)

    i = 0
    while i < n:
        c = version[i]
        if c == ".":
            if i == start:
                lst.items.append(_Int(0))
            else:
                lst.items.append(_parse_item(is_combination, is_digit, version[start:i]))
            is_combination = False
            start = i + 1
        elif c == "-":
            if i == start:
                lst.items.append(_Int(0))
            else:
                # "X-1" is read as "X1": a qualifier with its number
                if not is_digit and i != n - 1 and _is_digit(version[i + 1]):
                    is_combination = True
                    i += 1
                    continue
                lst.items.append(_parse_item(is_combination, is_digit, version[start:i]))
            start = i + 1
            if lst.items:
                push_list()
            is_combination = False
        elif _is_digit(c):
            if not is_digit and i > start:
                # "X1": a qualifier glued to a number
                is_combination = True
                if lst.items:
                    push_list()
            is_digit = True
        else:
            if is_digit and i > start:
                lst.items.append(_parse_item(is_combination, True, version[start:i]))
                start = i
                push_list()
                is_combination = False
            is_digit = False
        i += 1

    if n > start:
        # "1.0.0.X1" < "1.0.0-X2": a qualifier after a dot counts as after a hyphen
        if not is_digit and lst.items:
            push_list()
        lst.items.append(_parse_item(is_combination, is_digit, version[start:]))

    while stack:
        stack.pop().normalize()
    return items


class MavenVersion:
    """Comparison key for one Maven version."""

    __slots__ = ("items", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.items = _build(text)

    def cmp(self, other: MavenVersion) -> int:
        return self.items.cmp(other.items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MavenVersion) and self.cmp(other) == 0

    def __hash__(self) -> int:
        return hash(repr(self.items))

    def __lt__(self, other: MavenVersion) -> bool:
        return self.cmp(other) < 0

    def __le__(self, other: MavenVersion) -> bool:
        return self.cmp(other) <= 0

    def __gt__(self, other: MavenVersion) -> bool:
        return self.cmp(other) > 0

    def __ge__(self, other: MavenVersion) -> bool:
        return self.cmp(other) >= 0

    def __repr__(self) -> str:
        return f"MavenVersion({self.text!r} -> {self.items!r})"


def parse(version: str) -> MavenVersion:
    """Maven accepts any string as a version; only the empty one is refused here."""
    v = version.strip()
    if not v:
        raise InvalidVersion(NAME, version, "empty version")
    return MavenVersion(v)
