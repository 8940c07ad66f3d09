"""Request filters → one SQL WHERE with bound values: bbox, datetime, properties, q and CQL2.

Every literal geometry is moved into the storage CRS (never the column), so the GiST index is
used; attribute names are checked against the registry's public fields (the queryables), every
value is checked against its field's type before it is bound (a wrong value is a 400 in the
registry's words, never PostgreSQL's), and every value is a bind parameter. A box of any size
is a valid request: it is cut to the region the storage CRS can express
(:func:`gis.crs.clip_box`) before it is transformed; the work a request may cost is bounded
elsewhere (page size, statement timeout, the per-client budget; docs/security.md).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import shapely
from psycopg import sql

from gis.crs import clip_box, domain_in, is_geographic, is_northing_first
from gis.errors import GisError, InvalidParameter
from gis.geojson import geometry_problem, shape_refused
from gis.params import shown, whole
from registries.addresses.search_text import contains_regex
from registries.model import Field, FieldType, Registry, clean_text, composed
from registries.temporal import OPEN_END, OPEN_START, Period, relation_sql

# the kind of value a field holds, as filters compare it
KINDS = {FieldType.TEXT: "text", FieldType.INTEGER: "integer", FieldType.NUMBER: "number",
         FieldType.DATE: "date", FieldType.BOOLEAN: "boolean", FieldType.REFERENCE: "integer",
         FieldType.JSON: "text"}
CASTS = {"text": "text", "integer": "bigint", "number": "numeric", "date": "date",
         "boolean": "boolean"}
INT64 = 2**63
MAX_TERMS = 20  # comma-separated terms of ``q``
MAX_TERM = 200  # characters of one term
MAX_COORDINATE_M = 1e9  # projected coordinates beyond this are no place on Earth
# the order of Ukrainian texts (ICU's, in every PostgreSQL built with ICU, as Debian's is): the
# database's C.UTF-8 orders by code point, Є, І and Ї before А and Ґ after Я
UKRAINIAN = sql.Identifier("pg_catalog", "uk-x-icu")


def kind_of(f: Field | None) -> str:
    """Return the kind of value field ``f`` holds (``id`` when None: an integer)."""
    return "integer" if f is None else KINDS[f.type]


def typed_value(value: Any, kind: str, name: str) -> Any:
    """Return ``value`` as a bindable value of ``kind``, or raise InvalidParameter naming
    ``name`` (the property compared with) and the kind it expected.

    >>> typed_value("0.5", "number", "area_declared_ha")
    Decimal('0.5')
    >>> typed_value("abc", "number", "area_declared_ha")
    Traceback (most recent call last):
    gis.errors.InvalidParameter: area_declared_ha is a number; 'abc' is not a number
    >>> typed_value("٣", "number", "width_m")
    Traceback (most recent call last):
    gis.errors.InvalidParameter: width_m is a number; '٣' is not a number
    >>> typed_value(200, "text", "category")
    Traceback (most recent call last):
    gis.errors.InvalidParameter: category is a text; 200 is a number: write it in quotes, '200'
    """
    problem = InvalidParameter(f"{name} is {_article(kind)} {kind}; {shown(value)} is not "
                               f"{_article(kind)} {kind}" + _hint(kind), parameter=name)
    if isinstance(value, dict) and ("date" in value or "timestamp" in value):
        if kind != "date":
            raise problem
        value = value.get("date") or value.get("timestamp")
    match kind:
        case "text":
            if isinstance(value, int | float) and not isinstance(value, bool):
                # (category = 200: a code written as a number)
                raise InvalidParameter(f"{name} is a text; {shown(value)} is a number: write "
                                       f"it in quotes, '{value}'", parameter=name)
            if not isinstance(value, str):
                raise problem
            if "\x00" in value:  # PostgreSQL text cannot hold it
                raise InvalidParameter(f"the value compared with {name} contains a NUL "
                                       "character", parameter=name)
            return composed(value)  # as every stored text (its spaces kept: compared as typed)
        case "integer":
            if isinstance(value, bool):
                raise problem
            if isinstance(value, float):
                if not value.is_integer():
                    raise problem
                value = int(value)
            if isinstance(value, str):
                try:
                    value = whole(value.strip())
                except ValueError:
                    raise problem from None
            if not isinstance(value, int) or not -INT64 <= value < INT64:
                raise problem
            return value
        case "number":
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise problem
            text = str(value).strip()
            if isinstance(value, str) and not DECIMAL.fullmatch(text):
                raise problem  # (Decimal also read "٣" and "1_000", which integers refuse)
            try:
                number = Decimal(text)
            except InvalidOperation:
                raise problem from None
            # numeric holds 131,072 digits before the point; keep far inside it
            if not number.is_finite() or abs(number.adjusted()) > 1000:
                raise problem
            return number
        case "date":
            if not isinstance(value, str):
                raise problem
            return parse_date(value, problem)
        case "boolean":
            if isinstance(value, str) and value.strip().lower() in ("true", "false"):
                return value.strip().lower() == "true"
            if not isinstance(value, bool):
                raise problem
            return value
    raise problem


# a number as a filter's value writes it: ASCII digits, a point, an exponent
DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
# RFC 3339's full-date and date-time (a space for the T, as its section 5.6 allows; an
# offset left out is UTC); Python's fromisoformat also took "20260101" and "2026-W01"
RFC3339_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
RFC3339_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?")


def code_problem(f: Field | None, value: Any) -> str | None:
    """Return why ``value`` cannot equal field ``f``'s value — a text outside its closed code
    list (a typo, a title), which found nothing, silently — or None.

    >>> from registries.catalog import default_catalog
    >>> code_problem(default_catalog().get("land_parcels").field("category"), "2OO")[:40]
    "category: '2OO' is not one of its codes "
    """
    if f is None or not f.choices or not isinstance(value, str) or value in f.choices:
        return None
    codes = ", ".join(f.choices[:15]) + (" …" if len(f.choices) > 15 else "")
    return f"{f.name}: {shown(value)} is not one of its codes ({codes})"


def parse_date(text: str, problem: Exception | None = None) -> date:
    """Return the date of ``YYYY-MM-DD`` or of an RFC 3339 timestamp (its UTC date): the one
    reading of a day for ``datetime`` and CQL2's ``DATE``/``TIMESTAMP`` alike.

    >>> parse_date("2026-01-01T23:30:00-02:00"), parse_date("2006-08-07T01:00:00+03:00")
    (datetime.date(2026, 1, 2), datetime.date(2006, 8, 6))
    >>> parse_date("2026-W01")
    Traceback (most recent call last):
    gis.errors.InvalidParameter: '2026-W01' is not a date (YYYY-MM-DD) or an RFC 3339 timestamp
    >>> parse_date("9999-12-31T23:00:00-05:00")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    gis.errors.InvalidParameter: '9999-12-31T23:00:00-05:00' lies outside the years 0001–9999 ...
    """
    from datetime import UTC, datetime

    text = text.strip()
    try:
        if RFC3339_DATE.fullmatch(text):
            return date.fromisoformat(text)
        if RFC3339_TIME.fullmatch(text):
            stamp = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
            return (stamp.astimezone(UTC) if stamp.tzinfo else stamp).date()
    except ValueError:
        pass
    except OverflowError:  # a legal stamp whose UTC day falls before year 1 or after 9999
        where = problem.where if isinstance(problem, GisError) else {"parameter": "filter"}
        raise InvalidParameter(f"{text[:40]!r} lies outside the years 0001–9999 once in UTC",
                               **where) from None
    raise problem or InvalidParameter(f"{text[:40]!r} is not a date (YYYY-MM-DD) or an RFC 3339 "
                                      "timestamp", parameter="filter")


def _article(kind: str) -> str:
    return "an" if kind[0] in "aeiou" else "a"


def _hint(kind: str) -> str:
    return {"date": " (YYYY-MM-DD)", "boolean": " (true or false)"}.get(kind, "")


@dataclass
class Filter:
    """A growing AND of conditions on one registry, with its bind parameters.

    ``alias`` is the table alias the SQL uses; ``storage_srid`` the CRS of its geometry column.
    """

    reg: Registry
    storage_srid: int
    alias: str = "t"
    parts: list[sql.Composable] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    # -- building blocks --------------------------------------------------------------
    def bind(self, value: Any) -> sql.Composable:
        """Return a placeholder for ``value`` (named ``f0``, ``f1`` …)."""
        name = f"f{len(self.params)}"
        self.params[name] = value
        return sql.Placeholder(name)

    def typed(self, value: Any, kind: str, name: str) -> sql.Composable:
        """Return a bound, cast placeholder of ``value`` checked against ``kind``."""
        return sql.SQL("{}::{}").format(self.bind(typed_value(value, kind, name)),
                                        sql.SQL(CASTS[kind]))

    def column(self, name: str) -> sql.Composable:
        return sql.SQL("{}.{}").format(sql.Identifier(self.alias), sql.Identifier(name))

    def queryable(self, name: str) -> Field | None:
        """Return the public field called ``name`` (None for ``id``), or raise InvalidParameter."""
        if name == "id":
            return None
        for f in self.reg.public_fields:
            if f.name == name:
                return f
        raise InvalidParameter(
            f"unknown property {name!r} for collection {self.reg.id}; see its /queryables",
            collection=self.reg.id, parameter=name)

    def geometry(self, geojson: Any, crs: int | str, as_given: bool = False) -> sql.Composable:
        """Return SQL of a GeoJSON geometry given in ``crs``, cut to the query domain and moved
        to the storage CRS (``as_given``: left in ``crs``, whole, to meet another literal);
        coordinates that are no place on Earth are a 400."""
        shape = filter_shape(geojson)
        a, b, c, d = shape.bounds
        box = (b, a, d, c) if is_northing_first(crs) else (a, b, c, d)
        _check_reach(box, crs)
        # the shape as read (a ring left open is closed): PostGIS takes an open ring from
        # GeoJSON as it is, and GEOS then failed on it (a 500)
        g: sql.Composable = sql.SQL("ST_GeomFromWKB({}, {})").format(
            self.bind(shapely.to_wkb(shape)), sql.Literal(_srid_number(crs)))
        if is_northing_first(crs):
            g = sql.SQL("ST_FlipCoordinates({})").format(g)
        if as_given:  # in east, north order, as an envelope as_given is
            return g
        x0, y0, x1, y1 = domain_in(crs, self.storage_srid)
        if not (x0 <= box[0] and y0 <= box[1] and box[2] <= x1 and box[3] <= y1):
            # beyond the region the storage CRS expresses: no stored object is there, and
            # the projection would fail or fold (see gis.crs.query_domain)
            g = sql.SQL("ST_Intersection({}, ST_MakeEnvelope({}, {}, {}, {}, {}))").format(
                g, *(sql.Literal(v) for v in (x0, y0, x1, y1)), sql.Literal(_srid_number(crs)))
        return sql.SQL("ST_Transform({}, {})").format(g, sql.Literal(self.storage_srid))

    def envelope(self, bbox: tuple[float, ...], crs: int | str,
                 as_given: bool = False) -> sql.Composable:
        """Return SQL of ``bbox`` (in ``crs``'s axis order) as a polygon in the storage CRS
        (``as_given``: left in ``crs``, whole, to meet another literal)."""
        if len(bbox) == 6:  # 3D box: drop the heights
            bbox = (bbox[0], bbox[1], bbox[3], bbox[4])
        if len(bbox) != 4 or not all(math.isfinite(v) for v in bbox):
            raise InvalidParameter("bbox must have 4 (or 6) finite numbers", parameter="bbox")
        a, b, c, d = bbox
        flip = is_northing_first(crs)
        minx, miny, maxx, maxy = (b, a, d, c) if flip else (a, b, c, d)
        if minx > maxx and miny <= maxy and is_geographic(crs) and \
                -180 <= maxx < minx <= 180:
            # across the antimeridian the west-most edge comes first (OGC API Features
            # Part 1, 7.15.3): the box is its two halves on either side of 180°
            halves = [(minx, miny, 180.0, maxy), (-180.0, miny, maxx, maxy)]
            return sql.SQL("ST_Collect({}, {})").format(*(
                self.envelope((h[1], h[0], h[3], h[2]) if flip else h, crs, as_given)
                for h in halves))
        if minx > maxx or miny > maxy:
            raise InvalidParameter(f"bbox {list(bbox)} has its lower corner above its upper one",
                                   parameter="bbox")
        if not as_given:
            clipped = clip_box((minx, miny, maxx, maxy), crs, self.storage_srid)
            if clipped is None:  # nowhere near the city's CRS: nothing stored lies there
                return sql.SQL("ST_SetSRID('POLYGON EMPTY'::geometry, {})").format(
                    sql.Literal(self.storage_srid))
            minx, miny, maxx, maxy = clipped
        lo, hi = (self.bind(minx), self.bind(miny)), (self.bind(maxx), self.bind(maxy))
        srid = sql.Literal(_srid_number(crs))
        if (minx, miny) == (maxx, maxy):
            # a box of no area (a clicked point, a line) is that point or line: as a polygon
            # its ring collapses, which GEOS refused (a 500) or which intersected nothing
            env = sql.SQL("ST_SetSRID(ST_MakePoint({}, {}), {})").format(*lo, srid)
        elif minx == maxx or miny == maxy:
            env = sql.SQL("ST_SetSRID(ST_MakeLine(ST_MakePoint({}, {}), ST_MakePoint({}, {})), "
                          "{})").format(*lo, *hi, srid)
        else:
            env = sql.SQL("ST_MakeEnvelope({}, {}, {}, {}, {})").format(*lo, *hi, srid)
        if as_given or _srid_number(crs) == self.storage_srid:
            return env
        # densify so that a geographic box's edges bend like the real ones in the TM plane;
        # at most ~500 vertices an edge, whatever the box's size
        step = max(0.001 if is_geographic(crs) else 100.0, max(maxx - minx, maxy - miny) / 500)
        return sql.SQL("ST_Transform(ST_Segmentize({}, {}), {})").format(
            env, sql.Literal(step), sql.Literal(self.storage_srid))

    # -- request parameters ------------------------------------------------------------
    def add_bbox(self, bbox: tuple[float, ...], crs: int | str = "OGC:CRS84") -> None:
        self.parts.append(sql.SQL("ST_Intersects({}, {})").format(
            self.column("geom"), self.envelope(bbox, crs)))

    def add_equals(self, name: str, value: str) -> None:
        """Add ``name = value`` with the value checked against, and cast to, the field's type."""
        f = self.queryable(name)
        if f is not None and f.type == FieldType.JSON:  # jsonb has no "= text"
            raise InvalidParameter(f"{name} holds a list or object; it cannot be filtered by "
                                   "equality", parameter=name)
        outside = code_problem(f, value)
        if outside:
            raise InvalidParameter(outside, parameter=name)
        self.parts.append(sql.SQL("{} = {}").format(
            self.column(name), self.typed(value, kind_of(f), name)))

    def period(self, start: date | None, end: date | None) -> Period:
        """Return the period [start, end] as SQL; None is an open end."""
        return Period(OPEN_START if start is None else sql.SQL("{}::date").format(
                          self.bind(start)),
                      OPEN_END if end is None else sql.SQL("{}::date").format(self.bind(end)))

    def property_period(self, start: Field, end: Field | None = None) -> Period:
        """Return the period of an object: one date property (an instant; NULL unknown) or two
        (an interval; a NULL end is open)."""
        if end is None:
            col = self.column(start.name)
            return Period(col, col)
        return Period(sql.SQL("coalesce({}, {})").format(self.column(start.name), OPEN_START),
                      sql.SQL("coalesce({}, {})").format(self.column(end.name), OPEN_END))

    def add_datetime(self, start: date | None, end: date | None) -> None:
        """Keep objects whose temporal property (or validity period, when the registry
        declares two) intersects [start, end] — CQL2's T_INTERSECTS, open ends included —
        and every object with no date at all: OGC API – Features Part 1 has ``datetime``
        match the features "not associated with a temporal geometry, too"
        (``/req/core/fc-time-response`` C), in a registry with no temporal property every
        object (before, a 400: the official suite's datetime tests failed on it)."""
        temporal = [f for f in self.reg.public_fields if f.temporal]
        if not temporal:
            return
        own = self.property_period(temporal[0], temporal[1] if len(temporal) > 1 else None)
        dated = relation_sql("t_intersects", own, self.period(start, end))
        if len(temporal) == 1:  # an instant: NULL is no date (an interval's NULLs are open)
            dated = sql.SQL("({} IS NULL OR {})").format(self.column(temporal[0].name), dated)
        self.parts.append(dated)

    def add_text(self, raw: str) -> None:
        """Add ``q``: objects whose searchable text contains any of the comma-separated terms
        (case-insensitive; what the public sees of a masked field is what is searched)."""
        terms = [clean_text(t) for t in raw.split(",") if t.strip()]
        if not terms:
            raise InvalidParameter("q has no search term", parameter="q")
        if any("\x00" in t for t in terms):
            raise InvalidParameter("q contains a NUL character", parameter="q")
        if len(terms) > MAX_TERMS or any(len(t) > MAX_TERM for t in terms):
            raise InvalidParameter(f"q may hold at most {MAX_TERMS} terms of at most "
                                   f"{MAX_TERM} characters", parameter="q")
        fields = [f for f in self.reg.public_fields
                  if f.searchable and f.type is FieldType.TEXT]
        if not fields:
            raise InvalidParameter(f"collection {self.reg.id} has no text to search with q",
                                   parameter="q")
        alternatives = []
        for term in terms:
            pattern = self.bind(contains_regex(term))  # any apostrophe matches any other
            alternatives += [sql.SQL("{} ~* {}").format(self.column(f.name), pattern)
                             for f in fields]
        self.parts.append(sql.SQL(" OR ").join(alternatives))

    def add_cql2(self, text: str, lang: str = "cql2-text", crs: int | str = "OGC:CRS84") -> None:
        """Parse a CQL2 filter (text or JSON) and add it; malformed input → InvalidParameter."""
        from registries.cql import CqlToSql, parse_cql2

        self.parts.append(CqlToSql(self, crs).node(parse_cql2(text, lang)))

    def where(self) -> sql.Composable:
        """Return the conditions joined with AND (``TRUE`` when there are none)."""
        if not self.parts:
            return sql.SQL("TRUE")
        return sql.SQL(" AND ").join(sql.SQL("({})").format(p) for p in self.parts)


def filter_shape(geojson: Any) -> shapely.Geometry:
    """Return a filter's geometry (GeoJSON, read from CQL2 text or JSON) as a shape, or raise
    InvalidParameter saying what is wrong with it and where: a line of one point, a ring of
    two corners, no coordinates, coordinates that are not numbers, or a self-intersecting
    polygon (which would select by the accident of how GEOS repairs it). A ring left open is
    closed, as the CQL2 text a person types often leaves it.

    >>> filter_shape({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]}).wkt
    'POLYGON ((0 0, 1 0, 1 1, 0 0))'
    >>> filter_shape({"type": "LineString", "coordinates": [[1, 2]]})
    Traceback (most recent call last):
    gis.errors.InvalidParameter: the filter's LineString: a line needs at least 2 points
    >>> filter_shape({"type": "LineString", "coordinates": [[1, 2], [3]]})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    gis.errors.InvalidParameter: the filter geometry: position 2 of the LineString is [3]: a ...
    >>> filter_shape({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1]]]})
    Traceback (most recent call last):
    gis.errors.InvalidParameter: the filter's Polygon is not valid: self-intersection at (0.5, 0.5)
    """
    kind = str(geojson.get("type", "geometry")) if isinstance(geojson, dict) else "geometry"
    problem = geometry_problem(geojson)
    if problem:  # said here: shapely's (numpy's) words for it name neither what nor where
        raise InvalidParameter(f"the filter geometry: {problem}", parameter="filter")
    try:
        shape = shapely.geometry.shape(geojson)
        bounds = shape.bounds
    except Exception as exc:  # noqa: BLE001 - shapely raises many types for bad input
        raise InvalidParameter(f"the filter's {kind[:40]}: {shape_refused(exc, kind)}",
                               parameter="filter") from None
    if not bounds or not all(math.isfinite(v) for v in bounds):
        raise InvalidParameter("the filter geometry is empty or has coordinates that are "
                               "not numbers", parameter="filter")
    if not shape.is_valid:
        reason, _, where = shapely.is_valid_reason(shape).partition("[")
        at = f" at ({', '.join(where.rstrip(']').split())})" if where else ""
        raise InvalidParameter(f"the filter's {kind[:40]} is not valid: "
                               f"{reason.lower()}{at}", parameter="filter")
    return shape


def _check_reach(box: tuple[float, float, float, float], crs: int | str) -> None:
    """Raise InvalidParameter when a filter geometry's coordinates are no place on Earth."""
    if is_geographic(crs):
        ok = -180 <= box[0] and box[2] <= 180 and -90 <= box[1] and box[3] <= 90
        limits = "longitudes within ±180 and latitudes within ±90"
    else:
        ok = all(abs(v) <= MAX_COORDINATE_M for v in box)
        limits = f"coordinates within ±{MAX_COORDINATE_M:.0e} m"
    if not ok:
        raise InvalidParameter(f"the filter geometry reaches {list(box)}; its CRS allows "
                               f"{limits}", parameter="filter")


def _srid_number(crs: int | str) -> int:
    return 4326 if isinstance(crs, str) else crs
