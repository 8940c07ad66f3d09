"""JSON from strangers: request bodies and CQL2 JSON filters, parsed with bounded depth.

Python's ``json`` module recurses once per nesting level: 100,000 ``[`` raise RecursionError
deep inside the parser, and a tree a few hundred levels deep makes every recursive consumer
after it (a filter translator, ``json.dumps``) fail the same way. Untrusted JSON is therefore
parsed here only: syntax errors, non-finite numbers (``NaN``, ``Infinity``), nesting beyond
``max_depth`` and strings that are not Unicode text (a lone UTF-16 surrogate such as
``"\\udc00"``, which ``json`` decodes but no UTF-8 encoder, psycopg's included, can write) become
an :class:`~gis.errors.InvalidParameter` naming what was being read.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from gis.errors import InvalidParameter

MAX_DEPTH = 64  # GeoJSON multipolygons need 5 levels, CQL2 filters a dozen; 64 is generous
# a \\uD800–\\uDFFF escape: the only way a lone surrogate gets into a decoded JSON string
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


class _TooLarge(ValueError):
    """A JSON number beyond what a double holds (1e309, 400 digits): valid JSON that no
    field can store, said so, not as ``inf`` or by repeating its digits."""


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _TooLarge(text)
    return value


class _Twice(ValueError):
    """A name given twice in one JSON object: ``json`` keeps the last value silently, so
    ``{"category": "100", "category": "200"}`` wrote 200 (RFC 8259 §4: names should be unique)."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) < len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise _Twice(name)
            seen.add(name)
    return out


def _int(text: str) -> int:
    if len(text.lstrip("-")) > 308:  # beyond a double's range; also Python's 4300-digit limit
        raise _TooLarge(text)
    return int(text)


def parse_json(raw: bytes | str, what: str, *, max_depth: int = MAX_DEPTH,
               parameter: str | None = None, too_deep: str | None = None) -> Any:
    r"""Return the JSON value of ``raw``, or raise InvalidParameter saying what is wrong.

    ``what`` names the input in messages ("request body", "filter"); ``too_deep`` words the
    refusal of a value nested deeper than ``max_depth`` in the input's own terms.

    >>> parse_json('{"a": [1, 2]}', "request body")
    {'a': [1, 2]}
    >>> parse_json("[" * 100 + "]" * 100, "request body")
    Traceback (most recent call last):
    gis.errors.InvalidParameter: request body is nested deeper than 64 levels
    >>> parse_json('{"category": "100", "category": "200"}', "request body")
    Traceback (most recent call last):
    gis.errors.InvalidParameter: request body names 'category' twice in one object: give it once
    >>> parse_json('{"area": 1e309}', "request body")
    Traceback (most recent call last):
    gis.errors.InvalidParameter: request body holds a number too large to store: 1e309
    >>> parse_json('{"comment": "a\\udc00"}', "body")
    Traceback (most recent call last):
    gis.errors.InvalidParameter: body holds a lone UTF-16 surrogate (\udc00): not Unicode text
    """
    where = {"parameter": parameter} if parameter else {}
    deep = InvalidParameter(too_deep or f"{what} is nested deeper than {max_depth} levels",
                            **where)
    if isinstance(raw, bytes | bytearray):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidParameter(f"{what} is not UTF-8 text (byte {exc.start})",
                                   **where) from None
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_float,
                           parse_int=_int, object_pairs_hook=_object)
    except RecursionError:  # the parser gave up around depth 1000: far beyond ours
        raise deep from None
    except _Twice as exc:
        raise InvalidParameter(f"{what} names {str(exc)[:40]!r} twice in one object: give it "
                               "once", **where) from None
    except _TooLarge as exc:
        number = str(exc)
        shown = number if len(number) <= 24 else f"{number[:12]}…({len(number)} characters)"
        raise InvalidParameter(f"{what} holds a number too large to store: {shown}",
                               **where) from None
    except json.JSONDecodeError as exc:
        raise InvalidParameter(f"{what} is not JSON: {exc.msg} at line {exc.lineno} "
                               f"column {exc.colno}", **where) from None
    except ValueError as exc:
        raise InvalidParameter(f"{what} is not JSON: {exc}", **where) from None
    if depth(value) > max_depth:
        raise deep
    if _SURROGATE_ESCAPE.search(raw):  # pairs are one character; only lone halves remain
        lone = _lone_surrogate(value)
        if lone is not None:
            raise InvalidParameter(f"{what} holds a lone UTF-16 surrogate "
                                   f"(\\u{ord(lone):04x}): not Unicode text", **where)
    return value


def _lone_surrogate(value: Any) -> str | None:
    r"""Return the first lone surrogate in the keys and strings of ``value``, or None.

    >>> _lone_surrogate({"a": ["ok", "x\udc00"]})
    '\udc00'
    >>> _lone_surrogate({"a": "\U0001f600"}) is None
    True
    """
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            found = next((ch for ch in item if "\ud800" <= ch <= "\udfff"), None)
            if found is not None:
                return found
    return None


def depth(value: Any) -> int:
    """Return how deeply lists and objects nest in ``value`` (a scalar is 0), without recursion.

    >>> depth({"a": [1, {"b": []}]}), depth(5)
    (4, 0)
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        level += 1
        deepest = max(deepest, level)
        stack.extend((child, level) for child in item if isinstance(child, dict | list))
    return deepest
