"""Request filters → one SQL WHERE with bound values: bbox, datetime, properties and CQL2.

Every literal geometry is moved into the storage CRS (never the column), so the GiST index is
used; attribute names are checked against the registry's public fields (the queryables), and
every value is a bind parameter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import cql2
import shapely
from psycopg import sql

from gis.crs import is_northing_first, transform_bbox
from gis.errors import InvalidParameter
from registries.model import Field, FieldType, Registry

CASTS = {FieldType.INTEGER: "bigint", FieldType.NUMBER: "numeric", FieldType.DATE: "date",
         FieldType.BOOLEAN: "boolean", FieldType.REFERENCE: "bigint", FieldType.TEXT: "text"}
UNITS_TO_M = {"m": 1.0, "meters": 1.0, "metres": 1.0, "km": 1000.0, "kilometers": 1000.0}


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
    # the largest area (km² in the storage CRS) a box or a spatial literal may cover; 0: any.
    # Set for anonymous requests (GIS_LIMITS__MAX_BBOX_KM2, see docs/security.md).
    max_box_km2: float = 0.0

    # -- building blocks --------------------------------------------------------------
    def bind(self, value: Any) -> sql.Composable:
        """Return a placeholder for ``value`` (named ``f0``, ``f1`` …)."""
        name = f"f{len(self.params)}"
        self.params[name] = value
        return sql.Placeholder(name)

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

    def check_area(self, box: tuple[float, float, float, float], crs: int | str,
                   what: str, parameter: str) -> None:
        """Refuse ``box`` (x/lon first, in ``crs``) when it covers more than ``max_box_km2``.

        >>> from registries.catalog import default_catalog
        >>> f = Filter(default_catalog().get("land_parcels"), 6383, max_box_km2=25)
        >>> f.check_area((26.95, 49.4, 27.0, 49.43), "OGC:CRS84", "bbox", "bbox")  # 3.6 × 3.3 km
        >>> f.check_area((26.9, 49.3, 27.1, 49.5), "OGC:CRS84", "bbox", "bbox")
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        gis.errors.InvalidParameter: bbox covers 324 km²; anonymous requests may cover at most 25...
        """
        if self.max_box_km2 <= 0:
            return
        try:
            x0, y0, x1, y1 = transform_bbox(box, crs, self.storage_srid)
        except Exception:  # noqa: BLE001 - outside the projection's domain: certainly too big
            x0 = y0 = 0.0
            x1 = y1 = float("inf")
        km2 = (x1 - x0) * (y1 - y0) / 1e6
        if not km2 <= self.max_box_km2:  # NaN/inf included
            shown = f"{km2:,.0f} km²" if km2 < float("inf") else "an unbounded area"
            raise InvalidParameter(
                f"{what} covers {shown}; anonymous requests may cover at most "
                f"{self.max_box_km2:,.0f} km² (GIS_LIMITS__MAX_BBOX_KM2): use a smaller box, "
                "page through the collection without one, or sign in", parameter=parameter)

    def geometry(self, geojson: dict[str, Any], crs: int | str) -> sql.Composable:
        """Return SQL of a GeoJSON geometry given in ``crs``, moved to the storage CRS."""
        if self.max_box_km2 > 0:
            try:
                a, b, c, d = shapely.geometry.shape(geojson).bounds
            except Exception as exc:  # noqa: BLE001
                raise InvalidParameter(f"not a GeoJSON geometry: {exc}",
                                       parameter="filter") from None
            box = (b, a, d, c) if is_northing_first(crs) else (a, b, c, d)
            self.check_area(box, crs, "the filter geometry's extent", "filter")
        g = sql.SQL("ST_SetSRID(ST_GeomFromGeoJSON({}), {})").format(
            self.bind(json.dumps(geojson)), sql.Literal(_srid_number(crs)))
        if is_northing_first(crs):
            g = sql.SQL("ST_FlipCoordinates({})").format(g)
        return sql.SQL("ST_Transform({}, {})").format(g, sql.Literal(self.storage_srid))

    def envelope(self, bbox: tuple[float, ...], crs: int | str) -> sql.Composable:
        """Return SQL of ``bbox`` (in ``crs``'s axis order) as a polygon in the storage CRS."""
        if len(bbox) == 6:  # 3D box: drop the heights
            bbox = (bbox[0], bbox[1], bbox[3], bbox[4])
        if len(bbox) != 4:
            raise InvalidParameter("bbox must have 4 (or 6) numbers", parameter="bbox")
        a, b, c, d = bbox
        minx, miny, maxx, maxy = (b, a, d, c) if is_northing_first(crs) else (a, b, c, d)
        if minx > maxx or miny > maxy:
            raise InvalidParameter(f"bbox {list(bbox)} has its lower corner above its upper one",
                                   parameter="bbox")
        self.check_area((minx, miny, maxx, maxy), crs, "bbox", "bbox")
        env = sql.SQL("ST_MakeEnvelope({}, {}, {}, {}, {})").format(
            self.bind(minx), self.bind(miny), self.bind(maxx), self.bind(maxy),
            sql.Literal(_srid_number(crs)))
        if _srid_number(crs) == self.storage_srid:
            return env
        # densify so that a geographic box's edges bend like the real ones in the TM plane
        return sql.SQL("ST_Transform(ST_Segmentize({}, {}), {})").format(
            env, sql.Literal(0.001 if _is_geographic(crs) else 100.0),
            sql.Literal(self.storage_srid))

    # -- request parameters ------------------------------------------------------------
    def add_bbox(self, bbox: tuple[float, ...], crs: int | str = "OGC:CRS84") -> None:
        self.parts.append(sql.SQL("ST_Intersects({}, {})").format(
            self.column("geom"), self.envelope(bbox, crs)))

    def add_equals(self, name: str, value: str) -> None:
        """Add ``name = value`` with the value cast to the field's type."""
        f = self.queryable(name)
        if f is not None and f.type == FieldType.JSON:  # jsonb has no "= text"
            raise InvalidParameter(f"{name} holds a list or object; it cannot be filtered by "
                                   "equality", parameter=name)
        self.parts.append(sql.SQL("{} = {}::{}").format(
            self.column(name), self.bind(value), sql.SQL(_cast(f))))

    def add_datetime(self, start: date | None, end: date | None) -> None:
        """Keep objects whose validity period (or temporal field) meets [start, end]."""
        temporal = [f for f in self.reg.public_fields if f.temporal]
        if not temporal:
            raise InvalidParameter(f"collection {self.reg.id} has no temporal property",
                                   parameter="datetime")
        lo = temporal[0]
        hi = temporal[1] if len(temporal) > 1 else temporal[0]
        if end is not None:
            self.parts.append(sql.SQL("{} <= {}").format(self.column(lo.name), self.bind(end)))
        if start is not None:
            self.parts.append(sql.SQL("{} >= {}").format(self.column(hi.name), self.bind(start)))

    def add_cql2(self, text: str, lang: str = "cql2-text", crs: int | str = "OGC:CRS84") -> None:
        """Parse a CQL2 filter (text or JSON) and add it; malformed input → InvalidParameter."""
        self.parts.append(CqlToSql(self, crs).node(parse_cql2(text, lang)))

    def where(self) -> sql.Composable:
        """Return the conditions joined with AND (``TRUE`` when there are none)."""
        if not self.parts:
            return sql.SQL("TRUE")
        return sql.SQL(" AND ").join(sql.SQL("({})").format(p) for p in self.parts)


def parse_cql2(text: str, lang: str = "cql2-text") -> Any:
    """Return the CQL2 JSON tree of a filter given as CQL2 text or JSON.

    Text is parsed by the ``cql2`` package (the standard's grammar, function-style temporal
    and spatial operators) into CQL2 JSON, the canonical form this module translates.

    >>> parse_cql2("T_AFTER(valid_until, DATE('2026-01-01'))")
    {'op': 't_after', 'args': [{'property': 'valid_until'}, {'date': '2026-01-01'}]}
    """
    try:
        if lang == "cql2-json":
            tree = json.loads(text)
            if not isinstance(tree, dict):
                raise ValueError("a CQL2 JSON filter is an object")
            return tree
        return cql2.parse_text(text).to_json()
    except (ValueError, json.JSONDecodeError, Exception) as exc:  # cql2 raises its own types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidParameter(f"invalid {lang} filter: {first}", parameter="filter") from None


COMPARE = {"=": "=", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
SPATIAL_OPS = {"s_intersects": "ST_Intersects", "s_disjoint": "ST_Disjoint",
               "s_contains": "ST_Contains", "s_within": "ST_Within", "s_touches": "ST_Touches",
               "s_crosses": "ST_Crosses", "s_overlaps": "ST_Overlaps", "s_equals": "ST_Equals"}
TEMPORAL_OPS = {"t_after", "t_before", "t_contains", "t_disjoint", "t_during", "t_equals",
                "t_finishedby", "t_finishes", "t_intersects", "t_meets", "t_metby",
                "t_overlappedby", "t_overlaps", "t_startedby", "t_starts"}


@dataclass
class CqlToSql:
    """Translate a CQL2 JSON tree into SQL over a :class:`Filter`'s registry."""

    f: Filter
    crs: int | str

    def node(self, n: Any) -> sql.Composable:
        """Return SQL of a boolean CQL2 expression."""
        if isinstance(n, bool):
            return sql.SQL("TRUE" if n else "FALSE")
        if not isinstance(n, dict) or "op" not in n:
            raise InvalidParameter(f"a condition was expected, got {json.dumps(n)[:80]}",
                                   parameter="filter")
        op = str(n["op"]).lower()
        args = n.get("args") or []
        if op in ("and", "or"):
            return sql.SQL(f" {op.upper()} ").join(
                sql.SQL("({})").format(self.node(a)) for a in args)
        if op == "not":
            return sql.SQL("NOT ({})").format(self.node(self._one(args, op)))
        if op in COMPARE:
            a, b = self._two(args, op)
            return sql.SQL("{} {} {}").format(self.scalar(a, b), sql.SQL(COMPARE[op]),
                                              self.scalar(b, a))
        if op == "like":
            a, b = self._two(args, op)
            return sql.SQL("{}::text LIKE {}").format(self.scalar(a, None), self.scalar(b, None))
        if op == "between":
            if len(args) != 3:
                raise InvalidParameter("BETWEEN needs 3 arguments", parameter="filter")
            a, lo, hi = args
            return sql.SQL("{} BETWEEN {} AND {}").format(
                self.scalar(a, lo), self.scalar(lo, a), self.scalar(hi, a))
        if op == "in":
            a, items = self._two(args, op)
            if not isinstance(items, list) or not items:
                raise InvalidParameter("IN needs a non-empty list", parameter="filter")
            return sql.SQL("{} IN ({})").format(
                self.scalar(a, items[0]), sql.SQL(", ").join(self.scalar(i, a) for i in items))
        if op == "isnull":
            return sql.SQL("{} IS NULL").format(self.scalar(self._one(args, op), None))
        if op in SPATIAL_OPS:
            a, b = self._two(args, op)
            return sql.SQL("{}({}, {})").format(sql.SQL(SPATIAL_OPS[op]), self.spatial(a),
                                                self.spatial(b))
        if op == "s_dwithin":
            return self.dwithin(args)
        if op in TEMPORAL_OPS:
            a, b = self._two(args, op)
            return self.temporal(op, a, b)
        raise InvalidParameter(f"unsupported CQL2 operator {n['op']!r}", parameter="filter")

    @staticmethod
    def _one(args: list[Any], op: str) -> Any:
        if len(args) != 1:
            raise InvalidParameter(f"{op} needs 1 argument", parameter="filter")
        return args[0]

    @staticmethod
    def _two(args: list[Any], op: str) -> tuple[Any, Any]:
        if len(args) != 2:
            raise InvalidParameter(f"{op} needs 2 arguments", parameter="filter")
        return args[0], args[1]

    def scalar(self, n: Any, other: Any) -> sql.Composable:
        """Return SQL of a property, a function or a literal (cast to the other side's type)."""
        if isinstance(n, dict) and "property" in n:
            f = self.f.queryable(str(n["property"]))
            col = self.f.column(str(n["property"]))
            return sql.SQL("{}::text").format(col) if f and f.type == FieldType.JSON else col
        if isinstance(n, dict) and str(n.get("op", "")).lower() in ("casei", "accenti"):
            return sql.SQL("lower({}::text)").format(self.scalar(self._one(n["args"], "casei"),
                                                                 other))
        if isinstance(n, dict) and ("date" in n or "timestamp" in n):
            return sql.SQL("{}::date").format(self.f.bind(_date_text(n.get("date")
                                                                     or n["timestamp"])))
        if isinstance(n, dict | list) or n is None:
            raise InvalidParameter(f"unsupported CQL2 value {json.dumps(n)[:80]}",
                                   parameter="filter")
        cast = "text"
        if isinstance(other, dict) and "property" in other:
            cast = _cast(self.f.queryable(str(other["property"])))
        elif isinstance(n, bool):
            cast = "boolean"
        elif isinstance(n, int | float):
            cast = "numeric"
        return sql.SQL("{}::{}").format(self.f.bind(n), sql.SQL(cast))

    def spatial(self, n: Any) -> sql.Composable:
        if isinstance(n, dict) and "property" in n:
            if n["property"] not in ("geom", "geometry"):
                raise InvalidParameter(f"{n['property']!r} is not a geometry property; use "
                                       "'geometry'", parameter="filter")
            return self.f.column("geom")
        if isinstance(n, dict) and "bbox" in n:
            return self.f.envelope(tuple(float(v) for v in n["bbox"]), self.crs)
        if isinstance(n, dict) and "type" in n:
            return self.f.geometry(n, self.crs)
        raise InvalidParameter("a geometry was expected in a spatial predicate",
                               parameter="filter")

    def dwithin(self, args: list[Any]) -> sql.Composable:
        if len(args) not in (3, 4):
            raise InvalidParameter("S_DWITHIN needs a property, a geometry, a distance and "
                                   "optionally its unit", parameter="filter")
        unit = args[3] if len(args) == 4 else "m"
        if isinstance(unit, dict):
            unit = unit.get("property", "")
        factor = UNITS_TO_M.get(str(unit).lower())
        if factor is None or not isinstance(args[2], int | float):
            raise InvalidParameter(f"S_DWITHIN distance must be a number in m or km, got "
                                   f"{args[2]!r} {unit!r}", parameter="filter")
        # the storage CRS is metric (UCS-2000 TM): the distance is in metres there
        return sql.SQL("ST_DWithin({}, {}, {})").format(
            self.spatial(args[0]), self.spatial(args[1]), self.f.bind(float(args[2]) * factor))

    def temporal(self, op: str, a: Any, b: Any) -> sql.Composable:
        if not (isinstance(a, dict) and "property" in a):
            raise InvalidParameter("temporal predicates need a property first",
                                   parameter="filter")
        f = self.f.queryable(str(a["property"]))
        if f is None or f.type != FieldType.DATE:
            raise InvalidParameter(f"{a['property']!r} is not a date property", parameter="filter")
        col = self.f.column(f.name)
        start, end = _instant_or_interval(b)

        def at(v: str | None, cmp: str) -> sql.Composable:
            return sql.SQL("{} {} {}::date").format(col, sql.SQL(cmp), self.f.bind(v))

        if op == "t_after":
            return at(end, ">") if end else sql.SQL("FALSE")
        if op == "t_before":
            return at(start, "<") if start else sql.SQL("FALSE")
        if op == "t_equals" and start == end:
            return at(start, "=")
        if op == "t_disjoint":
            return sql.SQL("NOT ({})").format(self._within(col, start, end))
        # an instant property intersects, lies during, meets … the given instant or interval
        return self._within(col, start, end)

    def _within(self, col: sql.Composable, start: str | None, end: str | None) -> sql.Composable:
        parts: list[sql.Composable] = []
        if start:
            parts.append(sql.SQL("{} >= {}::date").format(col, self.f.bind(start)))
        if end:
            parts.append(sql.SQL("{} <= {}::date").format(col, self.f.bind(end)))
        return sql.SQL(" AND ").join(parts or [sql.SQL("TRUE")])


def _date_text(v: Any) -> str:
    """Return the date part of a CQL2 date or timestamp literal.

    >>> _date_text("2026-01-01T10:00:00Z")
    '2026-01-01'
    """
    text = str(v)
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise InvalidParameter(f"{text!r} is not a date", parameter="filter") from None


def _instant_or_interval(n: Any) -> tuple[str | None, str | None]:
    if isinstance(n, dict) and "interval" in n:
        lo, hi = n["interval"]
        conv = [None if v in ("..", None) else _date_text(v.get("date") or v.get("timestamp")
                                                           if isinstance(v, dict) else v)
                for v in (lo, hi)]
        return conv[0], conv[1]
    if isinstance(n, dict) and ("date" in n or "timestamp" in n):
        d = _date_text(n.get("date") or n["timestamp"])
        return d, d
    raise InvalidParameter("a date, timestamp or interval was expected", parameter="filter")


def _cast(f: Field | None) -> str:
    return "bigint" if f is None else CASTS.get(f.type, "text")


def _srid_number(crs: int | str) -> int:
    return 4326 if isinstance(crs, str) else crs


def _is_geographic(crs: int | str) -> bool:
    return isinstance(crs, str) or crs in (4326, 4258, 5561, 4284)
