"""Read SQL over the registries: composed from declarations, values always bound.

GeoJSON is built by PostGIS (one feature per row, as text) so Python only concatenates it.
Reads go to the public views unless the caller may see personal data (the staff views); both
show the published versions. Staff asking for pending changes read the working copy
(``pending_data``), each feature marked with its verification state.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from gis.crs import is_northing_first
from gis.errors import InvalidParameter
from registries.catalog import Catalog
from registries.filters import UKRAINIAN, Filter
from registries.model import Field, FieldType, Registry

GEOGRAPHIC_DECIMALS = 8  # ≈ 1 mm: coordinates survive a round trip to UCS-2000 to the mm
PROJECTED_DECIMALS = 3  # 1 mm


@dataclass(frozen=True)
class Output:
    """How features are written: target CRS (EPSG code or 'OGC:CRS84'), fields, geometry."""

    crs: int | str = "OGC:CRS84"
    fields: tuple[Field, ...] | None = None  # None: every field the reader may see
    skip_geometry: bool = False


@dataclass(frozen=True)
class Sort:
    field: str
    descending: bool = False


def source(reg: Registry, personal: bool, pending: bool = False) -> sql.Composable:
    """Return the relation to read: the staff view (every field, derived ones computed) for
    staff, the public view for everybody else; the working copy with its pending changes
    when staff ask for it (``pending``)."""
    if pending and personal:
        return sql.Identifier(*reg.pending_view)
    return sql.Identifier(*reg.staff_view) if personal else sql.Identifier(*reg.public_view)


def readable_fields(reg: Registry, personal: bool) -> tuple[Field, ...]:
    return reg.fields if personal else reg.public_fields


def output_geometry(out: Output, storage_srid: int, crs_axis_order: bool = True
                    ) -> tuple[sql.Composable, int]:
    """Return SQL of ``t.geom`` in the output CRS — in its axis order, or easting (longitude)
    first when not ``crs_axis_order`` — and the decimals it is written with (1 mm)."""
    target = 4326 if out.crs == "OGC:CRS84" else out.crs
    g: sql.Composable = sql.SQL("t.geom")
    if target != storage_srid:
        g = sql.SQL("ST_Transform({}, {})").format(g, sql.Literal(target))
    if crs_axis_order and out.crs != "OGC:CRS84" and is_northing_first(out.crs):
        g = sql.SQL("ST_FlipCoordinates({})").format(g)
    decimals = GEOGRAPHIC_DECIMALS if target in (4326, 4258, 5561, 4284) else PROJECTED_DECIMALS
    return g, decimals


def geometry_sql(out: Output, storage_srid: int) -> sql.Composable:
    """Return SQL of ``t.geom`` as GeoJSON in the output CRS and its axis order."""
    if out.skip_geometry:
        return sql.SQL("NULL::json")
    g, decimals = output_geometry(out, storage_srid)
    return sql.SQL("ST_AsGeoJSON({}, {})::json").format(g, sql.Literal(decimals))


def csv_row_sql(fields: tuple[Field, ...], out: Output, storage_srid: int) -> sql.Composable:
    """Return the select list of one row ``t`` as a CSV line of the items page: ``id``, the
    ``fields`` with the values the GeoJSON feature holds (a boolean as true/false, JSON as its
    text, a number as float8), and the geometry as WKT (``wkt``) in the same CRS and decimals,
    easting (longitude) first: GDAL takes WKT's first number as x whatever the CRS's axis
    order, and a northing-first WKT under ``crs=EPSG:6383`` landed transposed, 5,000 km
    away."""
    columns: list[sql.Composable] = [sql.SQL("t.id AS id")]
    for f in fields:
        value = sql.SQL("{}::text").format(_value(f)) if f.type in (
            FieldType.BOOLEAN, FieldType.JSON) else _value(f)
        columns.append(sql.SQL("{} AS {}").format(value, sql.Identifier(f.name)))
    if not out.skip_geometry:
        g, decimals = output_geometry(out, storage_srid, crs_axis_order=False)
        columns.append(sql.SQL("ST_AsText({}, {}) AS wkt").format(g, sql.Literal(decimals)))
    return sql.SQL(", ").join(columns)


def feature_sql(reg: Registry, fields: tuple[Field, ...], out: Output,
                storage_srid: int, pending: bool = False) -> sql.Composable:
    """Return SQL of one row ``t`` as a GeoJSON Feature (json); from the pending view with a
    ``verification`` member: its state and the published version."""
    props = sql.SQL(", ").join(
        sql.SQL("{}, {}").format(sql.Literal(f.name), _value(f)) for f in fields
    ) if fields else sql.SQL("")
    extra = sql.SQL(", 'verification', json_build_object('state', t.verification, "
                    "'published_version', t.published_version)") if pending else sql.SQL("")
    return sql.SQL(
        "json_build_object('type', 'Feature', 'id', t.id, 'geometry', {geom}, "
        "'properties', json_build_object({props}){extra})"
    ).format(geom=geometry_sql(out, storage_srid), props=props, extra=extra)


def _value(f: Field) -> sql.Composable:
    col = sql.SQL("t.{}").format(sql.Identifier(f.column))
    # numeric → JSON number, not a string; dates stay ISO text
    return sql.SQL("{}::float8").format(col) if f.type == FieldType.NUMBER else col


def order_sql(reg: Registry, sorts: tuple[Sort, ...], fields: tuple[Field, ...]) -> sql.Composable:
    """Return ORDER BY items for ``sorts`` (public fields or id), always ending with ``t.id``;
    texts in the Ukrainian alphabet's order."""
    by_name = {f.name: f for f in fields}
    items: list[sql.Composable] = []
    for s in sorts:
        if s.field != "id" and s.field not in by_name:
            raise InvalidParameter(f"cannot sort {reg.id} by unknown property {s.field!r}",
                                   parameter="sortby")
        key: sql.Composable = sql.SQL("t.{}").format(sql.Identifier(s.field))
        if s.field != "id" and by_name[s.field].type is FieldType.TEXT:
            key = sql.SQL("{} COLLATE {}").format(key, UKRAINIAN)
        items.append(sql.SQL("{} {}").format(key, sql.SQL("DESC" if s.descending else "ASC")))
    if not any(s.field == "id" for s in sorts):
        items.append(sql.SQL("t.id"))
    return sql.SQL(", ").join(items)


def page_sql(reg: Registry, flt: Filter, out: Output, sorts: tuple[Sort, ...],
             personal: bool, *, skips_rows: bool = False, pending: bool = False,
             csv: bool = False) -> sql.Composed:
    """Return SQL yielding one GeoJSON feature (text) per row, or (``csv``) the columns of
    the page's CSV (``csv_row_sql``); binds ``limit`` and ``offset``.

    ``skips_rows`` (a page after the first): find the page's ids first and build JSON for
    those rows only. PostgreSQL computes the select list of every row OFFSET skips, so a deep
    page would otherwise turn all the skipped rows into GeoJSON too (12× slower at offset
    100,000); the ids come from an index-only scan when there is no filter.
    """
    fields = out.fields if out.fields is not None else readable_fields(reg, personal)
    pending = pending and personal
    row = csv_row_sql(fields, out, flt.storage_srid) if csv else sql.SQL("{}::text").format(
        feature_sql(reg, fields, out, flt.storage_srid, pending))
    parts = {"row": row,
             "src": source(reg, personal, pending), "where": flt.where(),
             "order": order_sql(reg, sorts, readable_fields(reg, personal))}
    if skips_rows:
        return sql.SQL(
            "SELECT {row} FROM (SELECT t.id FROM {src} AS t WHERE {where} "
            "ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s) AS page "
            "JOIN {src} AS t ON t.id = page.id ORDER BY {order}").format(**parts)
    return sql.SQL(
        "SELECT {row} FROM {src} AS t WHERE {where} ORDER BY {order} "
        "LIMIT %(limit)s OFFSET %(offset)s").format(**parts)


def matched_sql(reg: Registry, flt: Filter, personal: bool, pending: bool = False
                ) -> sql.Composed:
    """Return SQL counting the rows that match ``flt``."""
    return sql.SQL("SELECT count(*) FROM {src} AS t WHERE {where}").format(
        src=source(reg, personal, pending), where=flt.where())


def item_sql(reg: Registry, out: Output, storage_srid: int, personal: bool,
             pending: bool = False) -> sql.Composed:
    """Return SQL of one feature (text) and its version; binds ``id``."""
    fields = out.fields if out.fields is not None else readable_fields(reg, personal)
    pending = pending and personal
    return sql.SQL("SELECT {feature}::text, t.version FROM {src} AS t WHERE t.id = %(id)s").format(
        feature=feature_sql(reg, fields, out, storage_srid, pending),
        src=source(reg, personal, pending))


def count_sql(reg: Registry) -> sql.Composed:
    """Return SQL counting the objects the public sees in ``reg``."""
    return sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(*reg.public_view))


def feature_counts(conn: psycopg.Connection, catalog: Catalog) -> dict[str, int]:
    """Return the number of public objects per collection id, in one round trip."""
    public = [reg for reg in catalog if reg.public]
    if not public:
        return {}
    query = sql.SQL("SELECT {}").format(
        sql.SQL(", ").join(sql.SQL("({})").format(count_sql(reg)) for reg in public))
    row = conn.execute(query).fetchone()
    assert row is not None
    return {reg.id: int(n) for reg, n in zip(public, row, strict=True)}


def is_empty(conn: psycopg.Connection, catalog: Catalog) -> bool:
    """Return True when no registry holds any object (a fresh database)."""
    return all(
        conn.execute(sql.SQL("SELECT NOT EXISTS (SELECT 1 FROM {})").format(
            sql.Identifier(reg.schema, reg.table))).fetchone() == (True,)
        for reg in catalog
    )
