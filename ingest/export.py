"""Open data out: a registry as GeoJSON, CSV, a spreadsheet, GeoPackage or Shapefile.

Every public export reads the registry's public view (``open_data``): personal fields are
removed, and names of natural persons masked, at the query, exactly as in every other public
output (domain §9.4); staff exports (``personal=True``, the CLI's ``--staff``) read the staff
view. GeoJSON (RFC 7946, lon/lat, 8 decimals: ≈1 mm) and CSV are produced by PostgreSQL and streamed
in chunks; GeoPackage and Shapefile (in the storage CRS) are written by GDAL (pyogrio,
in batches of columns) from a server-side cursor into a temporary file.

The CSV (UTF-8 with BOM so that Excel reads Cyrillic; comma; ISO dates; decimal point) carries
each code value followed by its Ukrainian title (``category``, ``category_title``), the
geometry as WKT in the storage CRS, ``lon``/``lat`` (WGS 84) of a point on the object, and
``x_ucs2000``/``y_ucs2000`` — X the northing, Y the easting, as Ukrainian geodesy writes them
— with ``crs``. The spreadsheet (``xlsx``, for Excel: see :mod:`ingest.formats.xlsx`) has the
CSV's columns, each cell typed; a WKT longer than a cell holds (32,767 characters, an outline
of some 1,300 vertices) is left empty there, its row keeping the object's point.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from gis.errors import InvalidParameter
from ingest.formats.xlsx import MAX_CELL, Kind, TooManyRows, write_sheet
from registries.model import Field, FieldType, Registry
from registries.queries import GEOGRAPHIC_DECIMALS, Output, feature_sql, readable_fields, source

# GeoPackage 1.2, not the 1.4 GDAL 3.12 writes: the GDAL 3.6 of Debian 12's QGIS 3.22 warns
# that a 1.4 file "may only be partially supported"; nothing of 1.3/1.4 is used
GEOPACKAGE_VERSION = "1.2"
FORMATS = {"geojson": ("application/geo+json", ".geojson"),
           "csv": ("text/csv; charset=utf-8", ".csv"),
           "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    ".xlsx"),
           "gpkg": ("application/geopackage+sqlite3", ".gpkg"),
           "shp": ("application/zip", ".shp.zip")}
# the spreadsheet's writer is ours (ingest.formats.xlsx): a change of its bytes changes this
SHEET_VERSION = "1"
STREAMED = ("geojson", "csv")  # written by PostgreSQL as it reads; the others are files
CHUNK_ROWS = 2000
CHUNK_BYTES = 256 * 1024  # CSV pieces (COPY hands over rows: a piece each cost 9.7 s)
Progress = Callable[[str, int, int], None]


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidParameter(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}",
                               parameter="format")
    return fmt


def file_name(reg: Registry, fmt: str) -> str:
    """Return the download's file name, e.g. ``land_parcels.geojson``."""
    return reg.id + FORMATS[fmt][1]


def exported_fields(reg: Registry, personal: bool) -> tuple[Field, ...]:
    """Return the fields an export carries: every readable one (derived ones included)."""
    return readable_fields(reg, personal)


@dataclass(frozen=True)
class PublicState:
    """What a registry's public outputs are made of at a moment.

    ``tag`` changes whenever any public output of the registry may: an object published,
    changed or withdrawn in any table its public view reads (an address shows its street's
    name), the city's date (a permit's status follows it), the declared fields and code lists.
    It is an export's ETag. ``changed`` is the latest publication or withdrawal.
    """

    count: int
    changed: datetime | None
    tag: str

    @property
    def stamp(self) -> datetime:
        """The time a written export of this state carries (a fixed one if never published):
        the same state, the same bytes."""
        return self.changed or datetime(2000, 1, 1, tzinfo=UTC)


# The tables a view reads, from its rewrite rule's dependencies (pg_catalog: readable by
# every role, unlike information_schema.view_table_usage, which shows only owned tables).
VIEW_TABLES = ("SELECT DISTINCT n.nspname, c.relname FROM pg_rewrite AS r "
               "JOIN pg_depend AS d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid "
               "JOIN pg_class AS c ON c.oid = d.refobjid AND c.relkind IN ('r', 'p') "
               "JOIN pg_namespace AS n ON n.oid = c.relnamespace "
               "WHERE r.ev_class = %s::regclass AND n.nspname = 'published' ORDER BY 1, 2")


def writer() -> str:
    """Return what the written formats' bytes also depend on, besides the data: the GDAL
    that writes them and the GeoPackage version (an upgraded server writes other bytes, so a
    resumed download must not splice the two).

    >>> writer().startswith("GDAL ")
    True
    """
    import pyogrio

    return (f"GDAL {pyogrio.__gdal_version_string__}, GeoPackage {GEOPACKAGE_VERSION}, "
            f"sheet {SHEET_VERSION}")


def public_state(conn: psycopg.Connection, reg: Registry) -> PublicState:
    """Return the state of ``reg``'s public view (a few tens of ms for 100,000 objects).

    Each published table contributes its count and an order-free checksum of every row's id,
    version and publication time: a republished row (a replace import keeping ids and
    versions) changes it too, whatever order concurrent approvals commit in.
    """
    count, withdrawn, today = conn.execute(sql.SQL(
        "SELECT (SELECT count(*) FROM {}), (SELECT max(decided_at) FROM verification.decisions "
        "WHERE collection = %s AND operation = 'delete' AND decision IN ('approved', 'direct')), "
        "registry.local_today()").format(sql.Identifier(*reg.public_view)),
        (reg.id,)).fetchone() or (0, None, None)
    parts: list[Any] = [reg.id, str(today), [
        (f.name, f.type.value, f.scale, f.code_titles) for f in exported_fields(reg, False)],
        writer()]
    changed: datetime | None = withdrawn
    view = ".".join(f'"{part}"' for part in reg.public_view)
    for schema, table in conn.execute(VIEW_TABLES, (view,)).fetchall():
        n, latest, checksum = conn.execute(sql.SQL(
            "SELECT count(*), max(published_at), bit_xor(hashtextextended("
            "id::text || ':' || version || ':' || extract(epoch FROM published_at), 0)) "
            "FROM {}").format(sql.Identifier(schema, table))).fetchone() or (0, None, None)
        parts.append((table, n, checksum))
        if latest is not None and (changed is None or latest > changed):
            changed = latest
    digest = hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode())
    return PublicState(int(count), changed, digest.hexdigest()[:32])


def geojson_chunks(conn: psycopg.Connection, reg: Registry, storage_srid: int, *,
                   personal: bool = False) -> Iterator[bytes]:
    """Yield a GeoJSON FeatureCollection of ``reg`` in pieces (PostGIS builds each feature)."""
    feature = feature_sql(reg, exported_fields(reg, personal), Output(), storage_srid)
    query = sql.SQL("SELECT {}::text FROM {} AS t ORDER BY t.id").format(
        feature, source(reg, personal))
    yield (f'{{"type": "FeatureCollection", "name": "{reg.id}", '
           '"features": [\n').encode()
    first = True
    with conn.cursor(name=f"export_{reg.table}") as cur:
        cur.itersize = CHUNK_ROWS
        cur.execute(query)
        while rows := cur.fetchmany(CHUNK_ROWS):
            text = ",\n".join(r[0] for r in rows)
            yield ((",\n" if not first else "") + text).encode()
            first = False
    yield b"\n]}\n"


def _title_sql(f: Field, col: sql.Composable) -> sql.Composable:
    titles = f.code_titles or {}
    cases = sql.SQL(" ").join(sql.SQL("WHEN {} THEN {}").format(sql.Literal(c),
                                                                 sql.Literal(t["uk"]))
                              for c, t in titles.items())
    return sql.SQL("CASE {} {} END").format(col, cases)


def table_columns(reg: Registry, storage_srid: int, personal: bool, *,
                  wkt_limit: int | None = None) -> list[tuple[str, Kind, sql.Composable]]:
    """Return the columns of the CSV and the spreadsheet over view row ``t``: each name, its
    kind of cell and its expression. A WKT longer than ``wkt_limit`` characters is left
    out (the spreadsheet's cell limit: its row still has the object's point)."""
    kinds: dict[FieldType, Kind] = {FieldType.NUMBER: "number", FieldType.INTEGER: "integer",
                                    FieldType.REFERENCE: "integer", FieldType.DATE: "date",
                                    FieldType.BOOLEAN: "boolean"}
    cols: list[tuple[str, Kind, sql.Composable]] = [("id", "integer", sql.SQL("t.id"))]
    for f in exported_fields(reg, personal):
        col = sql.SQL("t.{}").format(sql.Identifier(f.column))
        cols.append((f.name, kinds.get(f.type, "text"),
                     sql.SQL("{}::text").format(col) if f.type is FieldType.JSON else col))
        if f.code_titles:
            cols.append((f"{f.name}_title", "text", _title_sql(f, col)))
    point = sql.SQL("ST_PointOnSurface(t.geom)")
    wkt: sql.Composable = sql.SQL("ST_AsText(t.geom, 3)")
    if wkt_limit is not None:
        wkt = sql.SQL("(SELECT s.w FROM (SELECT {} AS w) AS s WHERE length(s.w) <= {})").format(
            wkt, sql.Literal(wkt_limit))
    cols += [
        ("wkt", "text", wkt),
        # 8 decimals (≈1 mm): a point read back from lon/lat alone is within the 5 mm an
        # import calls unchanged (7 were up to 5.5 mm off)
        ("lon", "number", sql.SQL("round(ST_X(ST_Transform({p}, 4326))::numeric, {d})").format(
            p=point, d=sql.Literal(GEOGRAPHIC_DECIMALS))),
        ("lat", "number", sql.SQL("round(ST_Y(ST_Transform({p}, 4326))::numeric, {d})").format(
            p=point, d=sql.Literal(GEOGRAPHIC_DECIMALS))),
        ("x_ucs2000", "number", sql.SQL("round(ST_Y({p})::numeric, 3)").format(p=point)),
        ("y_ucs2000", "number", sql.SQL("round(ST_X({p})::numeric, 3)").format(p=point)),
        ("crs", "text", sql.Literal(f"EPSG:{storage_srid}")),
    ]
    return cols


def csv_columns(reg: Registry, storage_srid: int, personal: bool) -> list[sql.Composable]:
    """Return the select list of the CSV export over view row ``t``."""
    return [sql.SQL("{} AS {}").format(expr, sql.Identifier(name))
            for name, _, expr in table_columns(reg, storage_srid, personal)]


def csv_chunks(conn: psycopg.Connection, reg: Registry, storage_srid: int, *,
               personal: bool = False) -> Iterator[bytes]:
    """Yield the CSV export (UTF-8 with BOM), written by PostgreSQL's COPY."""
    query = sql.SQL("COPY (SELECT {} FROM {} AS t ORDER BY t.id) TO STDOUT "
                    "(FORMAT csv, HEADER, ENCODING 'UTF8')").format(
        sql.SQL(", ").join(csv_columns(reg, storage_srid, personal)), source(reg, personal))
    piece = bytearray("\ufeff".encode())
    with conn.cursor().copy(query) as copy:
        for block in copy:  # COPY hands over one row at a time: send pieces, not rows
            piece += block
            if len(piece) >= CHUNK_BYTES:
                yield bytes(piece)
                piece.clear()
    yield bytes(piece)


def text_chunks(conn: psycopg.Connection, reg: Registry, storage_srid: int, fmt: str, *,
                personal: bool = False) -> Iterator[bytes]:
    """Yield a streamed format (``STREAMED``: GeoJSON or CSV) of ``reg`` in pieces."""
    chunks = geojson_chunks if fmt == "geojson" else csv_chunks
    return chunks(conn, reg, storage_srid, personal=personal)


def short_names(fields: list[str], limit: int = 10) -> dict[str, str]:
    """Return unique column names of at most ``limit`` characters (a Shapefile's DBF).

    >>> short_names(["area_declared_ha", "area_declared_x", "id"])
    {'area_declared_ha': 'area_decla', 'area_declared_x': 'area_dec_1', 'id': 'id'}
    """
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name in fields:
        short = name[:limit]
        n = 0
        while short in taken:
            n += 1
            short = f"{name[:limit - 1 - len(str(n))]}_{n}"
        taken.add(short)
        out[name] = short
    return out


def write_vector(conn: psycopg.Connection, reg: Registry, storage_srid: int, fmt: str,
                 target: Path, *, personal: bool = False,
                 progress: Progress | None = None, stamp: datetime | None = None) -> Path:
    """Write ``reg`` as a GeoPackage or a zipped Shapefile at ``target`` (storage CRS), in
    batches of columns through GDAL (pyogrio) from a server-side cursor; or as a spreadsheet
    (``xlsx``: the CSV's columns, row by row).

    ``stamp`` (default: now) is the time written where the formats keep one — the GeoPackage's
    ``last_change``, the DBF header, the zip's entries — so the same data and stamp give the
    same bytes: a download's byte ranges then fit together however often it is written.
    """
    stamp = (stamp or datetime.now(UTC)).astimezone(UTC)
    if fmt == "xlsx":
        return _write_sheet(conn, reg, storage_srid, target, personal=personal,
                            progress=progress, stamp=stamp)
    fields = exported_fields(reg, personal)
    names = short_names(["id", *(f.name for f in fields)]) if fmt == "shp" else {
        n: n for n in ["id", *(f.name for f in fields)]}
    count_row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
        source(reg, personal))).fetchone()
    total = int(count_row[0]) if count_row else 0
    cols = sql.SQL(", ").join([sql.SQL("t.id"), *(sql.SQL("t.{}").format(
        sql.Identifier(f.column)) for f in fields), sql.SQL("ST_AsBinary(t.geom)")])
    query = sql.SQL("SELECT {} FROM {} AS t ORDER BY t.id").format(cols, source(reg, personal))
    with tempfile.TemporaryDirectory(prefix="hromada-export-") as work:
        layer_path = Path(work) / (f"{reg.id}.shp" if fmt == "shp" else target.name)
        driver = "ESRI Shapefile" if fmt == "shp" else "GPKG"
        done = 0
        with conn.cursor(name=f"export_{reg.table}") as cur:
            cur.execute(query)
            while True:
                rows = cur.fetchmany(CHUNK_ROWS * 5)
                if not rows and done:
                    break
                _write_batch(layer_path, driver, reg, fields, names, rows, storage_srid,
                             append=done > 0)
                done += len(rows)
                if progress:
                    progress(reg.id, done, total)
                if not rows:
                    break
        if fmt == "gpkg":  # a move, not a rename: the target may be on another disk
            changed = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
            with contextlib.closing(sqlite3.connect(layer_path)) as db, db:
                db.execute("UPDATE gpkg_contents SET last_change = ?", (changed,))
            shutil.move(layer_path, target)
        else:
            # The DBF header's date of last update (GDAL writes today's on every append).
            with (Path(work) / f"{reg.id}.dbf").open("r+b") as dbf:
                dbf.seek(1)
                dbf.write(bytes((stamp.year - 1900, stamp.month, stamp.day)))
            when = max(stamp, datetime(1980, 1, 1, tzinfo=UTC)).timetuple()[:6]  # zip's epoch
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
                for part in sorted(Path(work).iterdir()):
                    info = zipfile.ZipInfo(part.name, date_time=when)
                    info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
                    with part.open("rb") as src, zf.open(info, "w") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)  # a large DBF is not read whole
    return target


def _write_sheet(conn: psycopg.Connection, reg: Registry, storage_srid: int, target: Path, *,
                 personal: bool, progress: Progress | None, stamp: datetime) -> Path:
    columns = table_columns(reg, storage_srid, personal, wkt_limit=MAX_CELL)
    query = sql.SQL("SELECT {} FROM {} AS t ORDER BY t.id").format(
        sql.SQL(", ").join(expr for _, _, expr in columns), source(reg, personal))
    count_row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
        source(reg, personal))).fetchone()
    total = int(count_row[0]) if count_row else 0

    def rows(cur: psycopg.Cursor[Any]) -> Iterator[tuple[Any, ...]]:
        for done, row in enumerate(cur, 1):
            if progress and (done % CHUNK_ROWS == 0 or done == total):
                progress(reg.id, done, total)
            yield row

    with conn.cursor(name=f"export_{reg.table}") as cur:
        cur.itersize = CHUNK_ROWS
        cur.execute(query)
        try:
            write_sheet(target, reg.id, [(name, kind) for name, kind, _ in columns], rows(cur),
                        stamp=stamp, title=reg.title["uk"])
        except TooManyRows as exc:
            raise InvalidParameter(f"{reg.id} has {exc}; take the CSV or the GeoPackage",
                                   parameter="format") from None
    return target


def _write_batch(path: Path, driver: str, reg: Registry, fields: tuple[Field, ...],
                 names: dict[str, str], rows: list[tuple[Any, ...]], srid: int, *,
                 append: bool) -> None:
    import numpy as np
    from pyogrio import raw

    shapefile = driver == "ESRI Shapefile"
    data: list[Any] = [np.array([r[0] for r in rows], dtype=np.int64)]
    masks: list[Any] = [None]
    for i, f in enumerate(fields, 1):
        values = [r[i] for r in rows]
        missing = np.array([v is None for v in values], dtype=bool)
        if f.type in (FieldType.NUMBER,):
            data.append(np.array([np.nan if v is None else float(v) for v in values]))
            masks.append(None)
        elif f.type in (FieldType.INTEGER, FieldType.REFERENCE):
            data.append(np.array([0 if v is None else int(v) for v in values], dtype=np.int64))
            masks.append(missing)
        elif f.type is FieldType.DATE:
            data.append(np.array(values, dtype="datetime64[D]"))
            masks.append(None)
        elif f.type is FieldType.BOOLEAN:
            data.append(np.array([bool(v) for v in values], dtype=bool))
            masks.append(missing)
        else:
            texts = [None if v is None else (json.dumps(v, ensure_ascii=False)
                                             if f.type is FieldType.JSON else str(v))
                     for v in values]
            if shapefile:  # a DBF field holds 254 bytes
                texts = [t.encode()[:254].decode(errors="ignore") if t else t for t in texts]
            data.append(np.array(texts, dtype=object))
            masks.append(None)
    geometry = np.array([bytes(r[-1]) if r[-1] is not None else None for r in rows],
                        dtype=object)
    options = {"VERSION": GEOPACKAGE_VERSION} if driver == "GPKG" and not append else {}
    raw.write(str(path), geometry, data, [names["id"], *(names[f.name] for f in fields)],
              field_mask=masks if any(m is not None for m in masks) else None,
              layer=reg.id, driver=driver, geometry_type=reg.geometry.value,
              crs=f"EPSG:{srid}", encoding="UTF-8", append=append, dataset_options=options)
