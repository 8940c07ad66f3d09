"""CQL2 (OGC 21-065) text and JSON → SQL over a registry, for the classes /conformance claims.

Text is parsed by the ``cql2`` package (the standard's grammar) into CQL2 JSON, the one form
translated here. That parser is native code that recurses per nesting level and crashes the
process (a segfault, not an exception) past about a thousand levels, so text is measured
first (:func:`nesting`) and refused beyond :data:`MAX_NESTING`; JSON is read with bounded
depth (:mod:`gis.json_input`) and the translation counts its depth too.

Every comparison is typed: a property brings its field's kind (text, integer, number, date,
boolean), a literal must fit it (``area_declared_ha > 'abc'`` is a 400 naming the field and
the kind), and two properties or two literals of different kinds are not compared. CASEI is
``lower()``, ACCENTI is PostgreSQL's ``unaccent`` (contrib; migration 0005); temporal
functions are in :mod:`registries.temporal`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import cql2

from gis.errors import InvalidParameter
from gis.json_input import parse_json
from registries.filters import RFC3339_TIME, UKRAINIAN, code_problem, kind_of, parse_date
from registries.model import FieldType
from registries.temporal import OPEN_END, OPEN_START, RELATIONS, Period, relation_sql

if TYPE_CHECKING:
    from psycopg import sql

    from registries.filters import Filter
else:
    from psycopg import sql

MAX_NESTING = 100  # levels of parentheses, NOT and signs; real filters use a handful
MAX_FILTER_CHARS = 65_536
UNITS_TO_M = {"m": 1.0, "meters": 1.0, "metres": 1.0, "km": 1000.0, "kilometers": 1000.0}
COMPARE = {"=": "=", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
SPATIAL_OPS = {"s_intersects": "ST_Intersects", "s_disjoint": "ST_Disjoint",
               "s_contains": "ST_Contains", "s_within": "ST_Within", "s_touches": "ST_Touches",
               "s_crosses": "ST_Crosses", "s_overlaps": "ST_Overlaps", "s_equals": "ST_Equals"}
NUMERIC = frozenset({"integer", "number"})
ARITHMETIC = frozenset({"+", "-", "*", "/", "%", "^", "div"})  # a class /conformance omits
TOKEN = re.compile(r"""'(?:[^']|'')*'?|"(?:[^"]|"")*"?|[A-Za-z_][A-Za-z0-9_:.]*"""
                   r"""|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?|\S""")
NUMBER_WITH_EXPONENT = re.compile(r"[0-9]*\.?[0-9]+[eE][+-]?[0-9]+")
PREFIX_WORDS = frozenset({"NOT"})
BEFORE_SIGN = frozenset({"(", ",", "=", "<", ">", "!", "*", "/", "+", "-", "^", "%", "AND", "OR",
                         "NOT", "LIKE", "BETWEEN", "IN", "IS", "DIV"})


def nesting(text: str) -> int:
    """Return how deeply ``text`` nests: parentheses, function calls, NOT and unary signs.

    >>> nesting("a = 1 AND (b = 2 OR NOT (c = 3))")
    3
    >>> nesting("(" * 1600 + "1=1" + ")" * 1600)
    1600
    >>> nesting("NOT " * 700 + "a = -1")
    700
    """
    stack: list[int] = []
    current = deepest = pending = 0
    previous = "("
    for match in TOKEN.finditer(text):
        token = match.group(0)
        word = token.upper()
        if token == "(":
            stack.append(current)
            current += pending + 1
            pending = 0
            deepest = max(deepest, current)
        elif token == ")":
            current = stack.pop() if stack else 0
            pending = 0
        elif word in PREFIX_WORDS or (token in "+-" and previous in BEFORE_SIGN):
            pending += 1
            deepest = max(deepest, current + pending)
        else:
            pending = 0
        previous = word
    return deepest


def parse_cql2(text: str, lang: str = "cql2-text") -> Any:
    """Return the CQL2 JSON tree of a filter given as CQL2 text or JSON.

    >>> parse_cql2("T_AFTER(valid_until, DATE('2026-01-01'))")
    {'op': 't_after', 'args': [{'property': 'valid_until'}, {'date': '2026-01-01'}]}
    >>> parse_cql2('{"op": "=", "args": [{"property": "category"}, "200"]}')
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    gis.errors.InvalidParameter: the filter is CQL2 JSON (...), read as CQL2 text: add filter-...
    >>> parse_cql2("category = '200'", "cql2-json")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    gis.errors.InvalidParameter: filter-lang=cql2-json, but the filter is no JSON (it begins ...
    >>> parse_cql2("(" * 1600 + "1=1" + ")" * 1600)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    gis.errors.InvalidParameter: filter nests 1600 levels deep; at most 100 are allowed
    """
    if len(text) > MAX_FILTER_CHARS:
        raise InvalidParameter(f"filter is longer than {MAX_FILTER_CHARS} characters",
                               parameter="filter")
    if lang == "cql2-json":
        try:
            # each CQL2 level is an object and its args array
            tree = parse_json(text, "cql2-json filter", max_depth=2 * MAX_NESTING + 8,
                              parameter="filter", too_deep=f"filter nests more than "
                              f"{MAX_NESTING} levels deep; at most {MAX_NESTING} are allowed")
        except InvalidParameter:
            if text.lstrip()[:1] in ("{", "["):
                raise
            # (JSON's words for CQL2 text: "Expecting value at line 1 column 1")
            raise InvalidParameter("filter-lang=cql2-json, but the filter is no JSON (it "
                                   f"begins with {text.lstrip()[:20]!r}): for CQL2 text leave "
                                   "out filter-lang or give filter-lang=cql2-text",
                                   parameter="filter") from None
        if not isinstance(tree, dict | bool):
            raise InvalidParameter("a CQL2 JSON filter is an object", parameter="filter")
        return tree
    if text.lstrip().startswith("{"):  # (the parser's words: "expected Expr" at column 1)
        raise InvalidParameter("the filter is CQL2 JSON (it begins with '{'), read as CQL2 "
                               "text: add filter-lang=cql2-json", parameter="filter")
    depth = nesting(text)
    if depth > MAX_NESTING:  # the native parser would crash the process (see module doc)
        raise InvalidParameter(f"filter nests {depth} levels deep; at most {MAX_NESTING} are "
                               "allowed", parameter="filter")
    try:
        return cql2.parse_text(text).to_json()
    except Exception as exc:  # noqa: BLE001 - cql2 raises its own exception types
        plain = plain_numbers(text)
        if plain != text:  # the parser's WKT takes no exponent, which CQL2's numbers allow
            try:
                return cql2.parse_text(plain).to_json()
            except Exception:  # noqa: BLE001, S110 - the error of the text as written
                pass
        raise InvalidParameter(f"invalid {lang} filter{_where(str(exc))}",
                               parameter="filter") from None


# beyond this a double is infinite or zero: such a number is left as written, for the
# comparison's typing to refuse it (a million digits written out is no number to read)
MAX_EXPONENT = 330


def plain_numbers(text: str) -> str:
    """Return ``text`` with each number written with an exponent written out in full (outside
    quoted strings): CQL2 numbers may carry one (OGC 21-065, ``approximateNumericLiteral``), the
    ``cql2`` parser's WKT coordinates take none.

    >>> plain_numbers("S_INTERSECTS(geometry, POINT(2.697e1 4.942E+1)) AND name = '1e2'")
    "S_INTERSECTS(geometry, POINT(26.97 49.42)) AND name = '1e2'"
    """
    def written(match: re.Match[str]) -> str:
        token = match.group(0)
        if not NUMBER_WITH_EXPONENT.fullmatch(token):
            return token
        number = Decimal(token)
        if abs(number.adjusted()) > MAX_EXPONENT:
            return token
        return format(number, "f")

    return TOKEN.sub(written, text)


def _where(message: str) -> str:
    r"""Return " at column C: expected …" from the parser's multi-line message.

    >>> _where(" --> 1:5\n  |\n1 | a = \n  |     ^---\n  |\n  = expected Identifier")
    ' at line 1, column 5: expected Identifier'
    """
    at = re.search(r"-->\s*(\d+):(\d+)", message)
    expected = re.search(r"=\s*(expected .*)", message)
    place = f" at line {at.group(1)}, column {at.group(2)}" if at else ""
    what = expected.group(1) if expected else (message.strip().splitlines() or [""])[0]
    return f"{place}: {what}" if what else place


@dataclass(frozen=True)
class Operand:
    """One side of a comparison: SQL and its kind, or a literal that takes the other's kind."""

    sql: sql.Composable | None  # None: an untyped literal, bound once its kind is known
    kind: str | None  # text | integer | number | date | boolean; None for untyped literals
    name: str  # the property, or the literal as written, for messages
    value: Any = None  # the literal


def _bad(message: str) -> InvalidParameter:
    return InvalidParameter(message, parameter="filter")


def _ends_in_escape(pattern: str) -> bool:
    r"""Return True when a LIKE pattern ends in its escape character (``\``) escaping
    nothing: an odd run of backslashes at its end.

    >>> _ends_in_escape("%\\"), _ends_in_escape("a\\\\"), _ends_in_escape("50\\%")
    (True, False, False)
    """
    return (len(pattern) - len(pattern.rstrip("\\"))) % 2 == 1


@dataclass
class CqlToSql:
    """Translate a CQL2 JSON tree into SQL over a :class:`~registries.filters.Filter`."""

    f: Filter
    crs: int | str
    exact: bool = False  # timestamps as instants (two literals compared), not as their days

    def node(self, n: Any, depth: int = 0) -> sql.Composable:
        """Return SQL of a boolean CQL2 expression."""
        if depth > MAX_NESTING:
            raise _bad(f"filter nests deeper than {MAX_NESTING} levels")
        if isinstance(n, bool):
            return sql.SQL("TRUE" if n else "FALSE")
        if not isinstance(n, dict) or "op" not in n:
            raise _bad(f"a condition was expected, got {json.dumps(n)[:80]}")
        op = str(n["op"]).lower()
        args = n.get("args")
        if not isinstance(args, list):
            raise _bad(f"{n['op']} needs its arguments as a list (args)")
        if op in ("and", "or"):
            if len(args) < 2:
                raise _bad(f"{op.upper()} needs at least 2 conditions, got {len(args)}")
            return sql.SQL(f" {op.upper()} ").join(
                sql.SQL("({})").format(self.node(a, depth + 1)) for a in args)
        if op == "not":
            return sql.SQL("NOT ({})").format(self.node(self._one(args, op), depth + 1))
        if op in COMPARE:
            a, b = self._two(args, op)
            stamps = [_stamp(a), _stamp(b)]
            if stamps[0] is not None and stamps[1] is not None:
                # two TIMESTAMPs: instants; a date property meets a timestamp on its UTC day,
                # but 00:00 and 12:00 of one day were equal
                return sql.SQL("{}::timestamptz {} {}::timestamptz").format(
                    self.f.bind(stamps[0]), sql.SQL(COMPARE[op]), self.f.bind(stamps[1]))
            if op in ("=", "<>"):
                self.coded(a, [b])
                self.coded(b, [a])
            left, right = self.pair(a, b, op, depth)
            if op not in ("=", "<>") and self.is_text(a, b):
                left = sql.SQL("{} COLLATE {}").format(left, UKRAINIAN)  # А < Є < І < Я
            return sql.SQL("{} {} {}").format(left, sql.SQL(COMPARE[op]), right)
        if op == "like":
            return self.like(args, depth)
        if op == "between":
            if len(args) != 3:
                raise _bad("BETWEEN needs 3 arguments")
            a = self.operand(args[0], depth)
            lo, hi = (self.operand(x, depth) for x in args[1:])
            between: sql.Composable = self.bound(a, lo)
            if self.is_text(*args):
                between = sql.SQL("{} COLLATE {}").format(between, UKRAINIAN)
            return sql.SQL("{} BETWEEN {} AND {}").format(
                between, self.bound(lo, a), self.bound(hi, a))
        if op == "in":
            a, items = self._two(args, op)
            if not isinstance(items, list) or not items:
                raise _bad("IN needs a non-empty list")
            self.coded(a, items)
            tested = self.operand(a, depth)
            values = [self.operand(i, depth) for i in items]
            return sql.SQL("{} IN ({})").format(
                self.bound(tested, values[0]), sql.SQL(", ").join(
                    self.bound(v, tested) for v in values))
        if op == "isnull":
            tested = self._one(args, op)
            if _is_property(tested) and tested["property"] == "geometry":  # a queryable too
                return sql.SQL("{} IS NULL").format(self.f.column("geom"))
            operand = self.operand(tested, depth)
            return sql.SQL("{} IS NULL").format(self.bound(operand, operand))
        if op in SPATIAL_OPS:
            a, b = self._two(args, op)
            # two literals meet where they are given, whole: cut to the storage CRS's region
            # (what a property's comparison needs), POINT(0 0) did not even meet itself
            whole = not (_is_property(a) or _is_property(b))
            return sql.SQL("{}({}, {})").format(sql.SQL(SPATIAL_OPS[op]),
                                                self.spatial(a, whole), self.spatial(b, whole))
        if op == "s_dwithin":
            return self.dwithin(args)
        if op in RELATIONS:
            a, b = self._two(args, op)
            # literals alone, timestamps only: their instants meet (as in a comparison)
            exact = CqlToSql(self.f, self.crs, exact=True) if all(
                _stamp(e, bare=True) is not None or e == ".." for x in (a, b)
                for e in _ends(x)) else self
            return relation_sql(op, exact.period(a), exact.period(b))
        raise _bad(f"unsupported CQL2 operator {n['op']!r}")

    def is_text(self, *args: Any) -> bool:
        """Return True when texts are compared: a text property, CASEI/ACCENTI, or only text
        literals (ordered then in the Ukrainian alphabet's order, as ``sortby`` orders)."""
        def kind(x: Any) -> str | None:
            if _is_property(x):
                return kind_of(self.f.queryable(str(x["property"])))
            if isinstance(x, dict) and str(x.get("op", "")).lower() in ("casei", "accenti"):
                return "text"
            return None if isinstance(x, str) else "other"

        kinds = {kind(x) for x in args}
        return "text" in kinds or kinds == {None}

    def coded(self, prop: Any, literals: list[Any]) -> None:
        """Refuse a text compared for equality with a coded property that is none of its codes
        (as the property filter does, ``registries.filters.code_problem``)."""
        if isinstance(prop, dict) and "property" in prop:
            f = self.f.queryable(str(prop["property"]))
            for value in literals:
                why = code_problem(f, value)
                if why:
                    raise _bad(why)

    @staticmethod
    def _one(args: list[Any], op: str) -> Any:
        if len(args) != 1:
            raise _bad(f"{op} needs 1 argument")
        return args[0]

    @staticmethod
    def _two(args: list[Any], op: str) -> tuple[Any, Any]:
        if len(args) != 2:
            raise _bad(f"{op} needs 2 arguments")
        return args[0], args[1]

    # -- scalar operands -----------------------------------------------------------------
    def operand(self, n: Any, depth: int) -> Operand:
        """Return a property, CASEI/ACCENTI or literal as a typed (or untyped) operand."""
        if depth > MAX_NESTING:
            raise _bad(f"filter nests deeper than {MAX_NESTING} levels")
        if isinstance(n, dict) and "property" in n:
            name = str(n["property"])
            f = self.f.queryable(name)
            col = self.f.column(name)
            if f is not None and f.type == FieldType.JSON:
                col = sql.SQL("{}::text").format(col)
            return Operand(col, kind_of(f), name)
        if isinstance(n, dict) and str(n.get("op", "")).lower() in ("casei", "accenti"):
            op = str(n["op"]).lower()
            args = n.get("args")
            inner = self.operand(self._one(args if isinstance(args, list) else [], op),
                                 depth + 1)
            if inner.kind not in ("text", None) or (inner.kind is None
                                                    and not isinstance(inner.value, str)):
                raise _bad(f"{op.upper()} works on text; {inner.name} is not text")
            text = self.bound(inner, Operand(None, "text", op.upper()))
            # unaccent with its dictionary named: the one-argument form finds it through
            # search_path, which a connection may not have
            fn = sql.SQL("lower({})") if op == "casei" else sql.SQL(
                "public.unaccent('public.unaccent'::regdictionary, {})")
            return Operand(fn.format(text), "text", f"{op.upper()}({inner.name})")
        if isinstance(n, dict) and ("date" in n or "timestamp" in n):
            raw = n.get("date") or n.get("timestamp")
            day = parse_date(str(raw), _bad(f"{raw!r} is not a date or timestamp"))
            return Operand(sql.SQL("{}::date").format(self.f.bind(day)), "date", str(raw))
        if isinstance(n, dict) and "op" in n:
            op = str(n["op"]).lower()
            given = n.get("args")
            operands: list[Any] = given if isinstance(given, list) else []
            if op == "*" and len(operands) == 2 and operands[0] == -1 and \
                    isinstance(operands[1], dict) and "property" in operands[1]:
                # how the parser reads a minus sign
                name = str(operands[1]["property"])[:80]
                raise _bad(f"-{name}: a minus sign before a property is arithmetic, which "
                           f"filters do not support; compare {name} itself (-{name} < -4 is "
                           f"{name} > 4)")
            if op in ARITHMETIC:
                raise _bad(f"arithmetic ({str(n['op'])[:10]}) is not supported in filters; "
                           "compare a property with a value")
            raise _bad(f"unsupported CQL2 function or operator {n['op']!r} in a comparison")
        if isinstance(n, float) and n.is_integer() and abs(n) < 2**63:
            n = int(n)  # the text parser reads every number as a float: 200 is 200, not 200.0
        if isinstance(n, bool | int | float | str):
            return Operand(None, None, repr(n), n)
        raise _bad(f"unsupported CQL2 value {json.dumps(n)[:80]}")

    def bound(self, o: Operand, other: Operand) -> sql.Composable:
        """Return SQL of ``o``, a literal checked against and cast to ``other``'s kind."""
        if o.sql is not None:
            return o.sql
        if other.kind is not None:
            return self.f.typed(o.value, other.kind, other.name)
        kind = ("boolean" if isinstance(o.value, bool) else "number"
                if isinstance(o.value, int | float) else "text")
        return self.f.typed(o.value, kind, o.name)

    def pair(self, a: Any, b: Any, op: str, depth: int) -> tuple[sql.Composable, sql.Composable]:
        """Return SQL of two compared operands of one kind, or raise naming the mismatch."""
        left, right = self.operand(a, depth), self.operand(b, depth)
        if left.kind and right.kind and left.kind != right.kind and not (
                {left.kind, right.kind} <= NUMERIC):
            raise _bad(f"cannot compare {left.name} ({left.kind}) with {right.name} "
                       f"({right.kind})")
        if left.kind is None and right.kind is None and _literal_kind(left.value) != \
                _literal_kind(right.value):
            raise _bad(f"cannot compare {left.name} with {right.name} ({op}): different types")
        return self.bound(left, right), self.bound(right, left)

    def like(self, args: list[Any], depth: int) -> sql.Composable:
        a, b = self._two(args, "like")
        left, pattern = self.operand(a, depth), self.operand(b, depth)
        if pattern.sql is None and not isinstance(pattern.value, str):
            raise _bad(f"LIKE needs a text pattern, got {pattern.name}")
        if pattern.sql is None and _ends_in_escape(pattern.value):  # PostgreSQL's error else
            raise _bad("the LIKE pattern ends in the escape character \\, which escapes "
                       "nothing there: write \\\\ for a backslash itself")
        text = sql.SQL("{}::text").format(self.bound(left, Operand(None, "text", left.name)))
        return sql.SQL("{} LIKE {}").format(text, self.bound(pattern,
                                                             Operand(None, "text", "LIKE")))

    # -- spatial --------------------------------------------------------------------------
    def spatial(self, n: Any, as_given: bool = False) -> sql.Composable:
        """Return SQL of a geometry property or literal (in the storage CRS; ``as_given``: a
        literal as written, in the filter's CRS)."""
        if isinstance(n, dict) and "property" in n:
            if n["property"] not in ("geom", "geometry"):
                raise _bad(f"{n['property']!r} is not a geometry property; use 'geometry'")
            return self.f.column("geom")
        if isinstance(n, dict) and "bbox" in n:
            box = n["bbox"]
            if not isinstance(box, list) or not all(isinstance(v, int | float)
                                                    and not isinstance(v, bool) for v in box):
                raise _bad("BBOX needs 4 or 6 numbers")
            return self.f.envelope(tuple(float(v) for v in box), self.crs, as_given)
        if isinstance(n, dict) and "type" in n:
            return self.f.geometry(n, self.crs, as_given)
        if isinstance(n, dict) and "op" in n:  # ENVELOPE (ECQL's, not CQL2's), BUFFER …
            name = str(n["op"]).upper()[:20]
            hint = (": a box is BBOX(minx, miny, maxx, maxy)" if name == "ENVELOPE" else
                    "; for a distance use S_DWITHIN(geometry, <geometry>, <distance>, meters)"
                    if name == "BUFFER" else "")
            raise _bad(f"{name}(…) is no geometry of CQL2, where a spatial predicate takes "
                       "the geometry property or a POINT, LINESTRING, POLYGON, MULTIPOINT, "
                       f"MULTILINESTRING, MULTIPOLYGON, GEOMETRYCOLLECTION or BBOX{hint}")
        raise _bad("a spatial predicate takes the geometry property or a geometry (POINT, "
                   f"POLYGON …, BBOX), got {json.dumps(n, ensure_ascii=False)[:60]}")

    def dwithin(self, args: list[Any]) -> sql.Composable:
        if len(args) not in (3, 4):
            raise _bad("S_DWITHIN needs a property, a geometry, a distance and optionally its "
                       "unit")
        unit = args[3] if len(args) == 4 else "m"
        if isinstance(unit, dict):
            unit = unit.get("property", "")
        factor = UNITS_TO_M.get(str(unit).lower())
        distance = args[2]
        if factor is None or isinstance(distance, bool) or not isinstance(distance, int | float) \
                or not 0 <= distance < 1e12:
            raise _bad(f"S_DWITHIN distance must be a number from 0 in m or km, got "
                       f"{distance!r} {unit!r}")
        # the storage CRS is metric (UCS-2000 TM): the distance is in metres there
        return sql.SQL("ST_DWithin({}, {}, {})").format(
            self.spatial(args[0]), self.spatial(args[1]), self.f.bind(float(distance) * factor))

    # -- temporal -------------------------------------------------------------------------
    def period(self, n: Any) -> Period:
        """Return an instant or interval operand as a period (see registries.temporal)."""
        if isinstance(n, dict) and "interval" in n:
            ends = n["interval"]
            if not isinstance(ends, list) or len(ends) != 2:
                raise _bad("INTERVAL needs a start and an end")
            literal = [_literal_date(e) for e in ends]
            if literal[0] and literal[1] and literal[0] > literal[1]:
                raise _bad(f"INTERVAL({ends[0]!r}, {ends[1]!r}) ends before it starts")
            return Period(self.interval_end(ends[0], True), self.interval_end(ends[1], False))
        if isinstance(n, dict) and "property" in n:
            col = self.date_property(str(n["property"]))
            return Period(col, col)
        if isinstance(n, dict) and ("date" in n or "timestamp" in n) or isinstance(n, str):
            stamp = _stamp(n, bare=True) if self.exact else None
            if stamp is not None:
                at = sql.SQL("{}::timestamptz").format(self.f.bind(stamp))
                return Period(at, at)
            raw = n if isinstance(n, str) else (n.get("date") or n.get("timestamp"))
            instant = sql.SQL("{}::date").format(self.f.bind(
                parse_date(str(raw), _bad(f"{raw!r} is not a date or timestamp"))))
            return Period(instant, instant)
        raise _bad("a temporal function needs a date property, a DATE/TIMESTAMP or an "
                   f"INTERVAL, got {json.dumps(n)[:80]}")

    def interval_end(self, e: Any, first: bool) -> sql.Composable:
        """Return one end of an INTERVAL: '..' and an empty property are open."""
        open_end = OPEN_START if first else OPEN_END
        if e == ".." or e is None:
            return open_end
        if isinstance(e, dict) and "property" in e:
            return sql.SQL("coalesce({}, {})").format(self.date_property(str(e["property"])),
                                                      open_end)
        stamp = _stamp(e, bare=True) if self.exact else None
        if stamp is not None:
            return sql.SQL("{}::timestamptz").format(self.f.bind(stamp))
        raw = e.get("date") or e.get("timestamp") if isinstance(e, dict) else e
        if not isinstance(raw, str):
            raise _bad(f"an INTERVAL end must be a date, a timestamp, '..' or a date property, "
                       f"got {json.dumps(e)[:80]}")
        return sql.SQL("{}::date").format(self.f.bind(
            parse_date(raw, _bad(f"{raw!r} is not a date or timestamp"))))

    def date_property(self, name: str) -> sql.Composable:
        f = self.f.queryable(name)
        if f is None or f.type != FieldType.DATE:
            raise _bad(f"{name!r} is not a date property")
        return self.f.column(f.name)


def _is_property(n: Any) -> bool:
    return isinstance(n, dict) and "property" in n


def _stamp(n: Any, bare: bool = False) -> datetime | None:
    """Return the instant of a TIMESTAMP literal (UTC), else None (dates, properties, …);
    ``bare``: a string is one too, as an INTERVAL's ends are written (elsewhere it is text).

    >>> _stamp({"timestamp": "2020-01-01T12:00:00+02:00"})
    datetime.datetime(2020, 1, 1, 10, 0, tzinfo=datetime.timezone.utc)
    >>> _stamp({"date": "2020-01-01"}), _stamp("2020-01-01T12:00:00Z")
    (None, None)
    """
    raw = n.get("timestamp") if isinstance(n, dict) else n if bare else None
    if not isinstance(raw, str) or not RFC3339_TIME.fullmatch(raw.strip()):
        return None
    try:
        stamp = datetime.fromisoformat(raw.strip().upper().replace("Z", "+00:00"))
        return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):  # overflow: its UTC day is before 0001 or after 9999
        return None


def _ends(n: Any) -> list[Any]:
    """Return the literal instants of a temporal operand: its own, or its INTERVAL's ends
    (a property: itself, which no literal test takes)."""
    return n["interval"] if isinstance(n, dict) and isinstance(n.get("interval"), list) \
        else [n]


def _literal_date(e: Any) -> Any:
    """Return the date of a literal INTERVAL end (None for '..', properties and bad values)."""
    raw = e.get("date") or e.get("timestamp") if isinstance(e, dict) else e
    if not isinstance(raw, str) or raw == "..":
        return None
    try:
        return parse_date(raw)
    except InvalidParameter:
        return None


def _literal_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else "text"
