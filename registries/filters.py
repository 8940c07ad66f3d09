"""Request filters → one SQL WHERE with bound values: bbox, datetime, properties and CQL2.

Every literal geometry is moved into the storage CRS (never the column), so the GiST index is
used; attribute names are checked against the registry's public fields (the queryables), and
every value is a bind parameter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from psycopg import sql
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text

from gis.crs import is_northing_first
from gis.errors import InvalidParameter
from registries.model import Field, FieldType, Registry

COMPARISONS = {
    ast.ComparisonOp.EQ: "=", ast.ComparisonOp.NE: "<>", ast.ComparisonOp.LT: "<",
    ast.ComparisonOp.LE: "<=", ast.ComparisonOp.GT: ">", ast.ComparisonOp.GE: ">=",
}
SPATIAL = {
    ast.SpatialComparisonOp.INTERSECTS: "ST_Intersects", ast.SpatialComparisonOp.DISJOINT:
    "ST_Disjoint", ast.SpatialComparisonOp.CONTAINS: "ST_Contains",
    ast.SpatialComparisonOp.WITHIN: "ST_Within", ast.SpatialComparisonOp.TOUCHES: "ST_Touches",
    ast.SpatialComparisonOp.CROSSES: "ST_Crosses", ast.SpatialComparisonOp.OVERLAPS:
    "ST_Overlaps", ast.SpatialComparisonOp.EQUALS: "ST_Equals",
}
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

    def geometry(self, geojson: dict[str, Any], crs: int | str) -> sql.Composable:
        """Return SQL of a GeoJSON geometry given in ``crs``, moved to the storage CRS."""
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
        try:
            tree = parse_cql2_json(json.loads(text)) if lang == "cql2-json" else \
                parse_cql2_text(text)
        except InvalidParameter:
            raise
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InvalidParameter(f"invalid {lang} filter: {first}", parameter="filter") from None
        self.parts.append(CqlToSql(self, crs).node(tree))

    def where(self) -> sql.Composable:
        """Return the conditions joined with AND (``TRUE`` when there are none)."""
        if not self.parts:
            return sql.SQL("TRUE")
        return sql.SQL(" AND ").join(sql.SQL("({})").format(p) for p in self.parts)


@dataclass
class CqlToSql:
    """Translate a pygeofilter AST into SQL over a :class:`Filter`'s registry."""

    f: Filter
    crs: int | str

    def node(self, n: Any) -> sql.Composable:
        match n:
            case ast.Not():
                return sql.SQL("NOT ({})").format(self.node(n.sub_node))
            case ast.And() | ast.Or():
                return sql.SQL("({}) {} ({})").format(self.node(n.lhs), sql.SQL(n.op.value),
                                                      self.node(n.rhs))
            case ast.Comparison():
                return sql.SQL("{} {} {}").format(self.scalar(n.lhs, n.rhs),
                                                  sql.SQL(COMPARISONS[n.op]),
                                                  self.scalar(n.rhs, n.lhs))
            case ast.Between():
                return sql.SQL("{} {}BETWEEN {} AND {}").format(
                    self.scalar(n.lhs, n.low), sql.SQL("NOT " if n.not_ else ""),
                    self.scalar(n.low, n.lhs), self.scalar(n.high, n.lhs))
            case ast.Like():
                return self.like(n)
            case ast.In():
                items = sql.SQL(", ").join(self.scalar(s, n.lhs) for s in n.sub_nodes)
                return sql.SQL("{} {}IN ({})").format(self.scalar(n.lhs, None),
                                                      sql.SQL("NOT " if n.not_ else ""), items)
            case ast.IsNull():
                return sql.SQL("{} IS {}NULL").format(self.scalar(n.lhs, None),
                                                      sql.SQL("NOT " if n.not_ else ""))
            case ast.SpatialComparisonPredicate():
                return sql.SQL("{}({}, {})").format(sql.SQL(SPATIAL[n.op]), self.spatial(n.lhs),
                                                    self.spatial(n.rhs))
            case ast.DistanceWithin() | ast.DistanceBeyond():
                metres = float(n.distance) * UNITS_TO_M.get((n.units or "m").lower(), 0.0)
                if metres <= 0 and n.distance:
                    raise InvalidParameter(f"unsupported distance unit {n.units!r}; use m or km",
                                           parameter="filter")
                dwithin = sql.SQL("ST_DWithin({}, {}, {})").format(
                    self.spatial(n.lhs), self.spatial(n.rhs), self.f.bind(metres))
                return dwithin if isinstance(n, ast.DistanceWithin) else \
                    sql.SQL("NOT {}").format(dwithin)
            case ast.BBox():
                return sql.SQL("ST_Intersects({}, {})").format(
                    self.spatial(n.lhs), self.f.envelope((n.minx, n.miny, n.maxx, n.maxy),
                                                         n.crs or self.crs))
            case ast.TemporalPredicate():
                return self.temporal(n)
            case ast.Include():
                return sql.SQL("FALSE" if n.not_ else "TRUE")
        raise InvalidParameter(f"unsupported filter construct {type(n).__name__}",
                               parameter="filter")

    def scalar(self, n: Any, other: Any) -> sql.Composable:
        """Return SQL of a property or a literal; a literal is cast to its property's type."""
        if isinstance(n, ast.Attribute):
            f = self.f.queryable(n.name)
            col = self.f.column(n.name)
            return sql.SQL("{}::text").format(col) if f and f.type == FieldType.JSON else col
        if isinstance(n, ast.Arithmetic | ast.Function | ast.Node):
            raise InvalidParameter(f"unsupported filter expression {type(n).__name__}",
                                   parameter="filter")
        field_ = self.f.queryable(other.name) if isinstance(other, ast.Attribute) else None
        value = n.isoformat() if isinstance(n, date | datetime) else n
        if isinstance(n, values.Interval | values.Geometry | values.Envelope | list):
            raise InvalidParameter("a scalar was expected in this comparison", parameter="filter")
        cast = _cast(field_) if field_ is not None or other is not None else "text"
        if field_ is None and not isinstance(other, ast.Attribute):
            cast = {bool: "boolean", int: "numeric", float: "numeric"}.get(type(n), "text")
        return sql.SQL("{}::{}").format(self.f.bind(value), sql.SQL(cast))

    def like(self, n: ast.Like) -> sql.Composable:
        pattern = str(n.pattern)
        if n.wildcard != "%" or n.singlechar != "_":
            pattern = pattern.replace(n.wildcard, "%").replace(n.singlechar, "_")
        return sql.SQL("{} {}{} {}").format(
            self.scalar(n.lhs, None), sql.SQL("NOT " if n.not_ else ""),
            sql.SQL("ILIKE" if n.nocase else "LIKE"), self.f.bind(pattern))

    def spatial(self, n: Any) -> sql.Composable:
        if isinstance(n, ast.Attribute):
            if n.name not in ("geom", "geometry"):
                raise InvalidParameter(f"{n.name!r} is not a geometry property; use 'geometry'",
                                       parameter="filter")
            return self.f.column("geom")
        if isinstance(n, values.Geometry):
            return self.f.geometry(n.geometry, self.crs)
        if isinstance(n, values.Envelope):
            return self.f.envelope((n.x1, n.y1, n.x2, n.y2), self.crs)
        raise InvalidParameter("a geometry was expected in a spatial predicate",
                               parameter="filter")

    def temporal(self, n: ast.TemporalPredicate) -> sql.Composable:
        lhs = n.lhs
        if not isinstance(lhs, ast.Attribute):
            raise InvalidParameter("temporal predicates need a property first", parameter="filter")
        f = self.f.queryable(lhs.name)
        if f is None or f.type != FieldType.DATE:
            raise InvalidParameter(f"{lhs.name!r} is not a date property", parameter="filter")
        col = self.f.column(lhs.name)
        rhs = n.rhs
        start, end = (rhs.start, rhs.end) if isinstance(rhs, values.Interval) else (rhs, rhs)
        op = n.op
        T = ast.TemporalComparisonOp
        if op in (T.AFTER,):
            return sql.SQL("{} > {}::date").format(col, self.f.bind(_iso(end)))
        if op in (T.BEFORE,):
            return sql.SQL("{} < {}::date").format(col, self.f.bind(_iso(start)))
        if op in (T.TEQUALS,) and start == end:
            return sql.SQL("{} = {}::date").format(col, self.f.bind(_iso(start)))
        if op in (T.DISJOINT,):
            return sql.SQL("NOT ({} BETWEEN {}::date AND {}::date)").format(
                col, self.f.bind(_iso(start)), self.f.bind(_iso(end)))
        # INTERSECTS, DURING and the rest: the date lies within the instant or interval
        parts: list[sql.Composable] = []
        if start:
            parts.append(sql.SQL("{} >= {}::date").format(col, self.f.bind(_iso(start))))
        if end:
            parts.append(sql.SQL("{} <= {}::date").format(col, self.f.bind(_iso(end))))
        return sql.SQL(" AND ").join(parts or [sql.SQL("TRUE")])


def _iso(v: Any) -> str | None:
    return v.isoformat() if isinstance(v, date | datetime) else (str(v) if v else None)


def _cast(f: Field | None) -> str:
    return "bigint" if f is None else CASTS.get(f.type, "text")


def _srid_number(crs: int | str) -> int:
    return 4326 if isinstance(crs, str) else crs


def _is_geographic(crs: int | str) -> bool:
    return isinstance(crs, str) or crs in (4326, 4258, 5561, 4284)
