"""Query parameters written by strangers, read one way: each name once, and whole numbers
(query parameters, filter values) as a client means them.

A name given twice with two values was read by its last (``dict(request.query_params)``):
``limit=5&limit=500`` was a page of 500, ``category=100&category=200`` found 200 only.

Python's ``int`` also takes what no client means as a number in a URL — ``1_0`` (10),
surrounding whitespace, and digits of other scripts (``١٠``, ``१०``) — so ``limit=1_0`` was
a page of ten. Here a whole number is ASCII digits with an optional sign, nothing else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from gis.errors import InvalidParameter

WHOLE = re.compile(r"[+-]?[0-9]+")
# an object's id in a path: one spelling per object, within PostgreSQL's bigint
OBJECT_ID = re.compile(r"0|[1-9][0-9]{0,18}")


def whole(raw: str) -> int:
    """Return the whole number ``raw`` writes, or raise ValueError.

    >>> whole("42"), whole("-7")
    (42, -7)
    >>> whole("1_0")
    Traceback (most recent call last):
    ValueError: '1_0' is not a whole number
    """
    if not WHOLE.fullmatch(raw):
        raise ValueError(f"{raw[:40]!r} is not a whole number")
    return int(raw)


def object_id(raw: str) -> int | None:
    """Return the object id ``raw`` spells — ASCII digits, no sign, no leading zero, within
    a bigint — or None: an object has one address (``int`` also read ``1_0``, ``+1``, ``01``,
    ``٣`` and ``３`` as ids, and ``²`` was a ValueError past a ``str.isdigit`` check: a 500).

    >>> object_id("42"), object_id("0"), object_id("9223372036854775807")
    (42, 0, 9223372036854775807)
    >>> [object_id(s) for s in ("1_0", "+1", "01", "٣", "３", "²", " 7", "9223372036854775808")]
    [None, None, None, None, None, None, None, None]
    """
    if not OBJECT_ID.fullmatch(raw):
        return None
    value = int(raw)
    return value if value < 2**63 else None


def parse_int(params: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    """Return the whole-number parameter ``name`` within [lo, hi] or raise InvalidParameter.

    >>> parse_int({"limit": "50"}, "limit", 10, 1, 10000), parse_int({}, "limit", 10, 1, 99)
    (50, 10)
    >>> parse_int({"limit": "1_0"}, "limit", 10, 1, 10000)
    Traceback (most recent call last):
    gis.errors.InvalidParameter: limit must be a whole number, got '1_0'
    """
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = whole(raw)
    except ValueError:
        raise InvalidParameter(f"{name} must be a whole number, got {raw[:40]!r}",
                               parameter=name) from None
    if value < lo or value > hi:
        raise InvalidParameter(f"{name} must be between {lo} and {hi}, got {value}",
                               parameter=name)
    return value


def given_once(pairs: Iterable[tuple[str, str]],
               hint: Callable[[str, list[str]], str] | None = None) -> dict[str, str]:
    """Return a query's parameters by name, refusing a name given twice with two values;
    ``hint(name, values)`` may add how to ask what the two meant together. The same value
    twice is one.

    >>> given_once([("limit", "5"), ("f", "json"), ("f", "json")])
    {'limit': '5', 'f': 'json'}
    >>> given_once([("limit", "5"), ("limit", "50")])
    Traceback (most recent call last):
    gis.errors.InvalidParameter: limit is given 2 times ('5', '50'): give it once
    """
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    for name, given in values.items():
        if len(set(given)) > 1:
            # whole up to 60 characters: two CRS URIs differ only past the 40th
            listed = ", ".join(shown(v) for v in given[:5])
            raise InvalidParameter(f"{name[:40]} is given {len(given)} times ({listed}): give "
                                   f"it once{hint(name, given) if hint else ''}",
                                   parameter=name)
    return {name: given[-1] for name, given in values.items()}


def shown(value: Any, *, json_strings: bool = False) -> str:
    """Return a value a stranger gave, as a message quotes it: JSON (``true``, ``[1, 2]``),
    a text in Python's quotes (``'2OO'``, a query parameter's) or, with ``json_strings``, in
    JSON's (``"lots"``, a JSON body's); cut at 60 characters.

    >>> shown(True), shown("2OO"), shown("lots", json_strings=True), len(shown("я" * 100))
    ('true', "'2OO'", '"lots"', 60)
    """
    text = repr(value) if isinstance(value, str) and not json_strings else json.dumps(
        value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
