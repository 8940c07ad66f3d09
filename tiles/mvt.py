"""Mapbox Vector Tiles built by PostGIS: SQL per layer and zoom, composed once at startup.

A *source* is what one tile URL serves: the city map (every public layer in one multi-layer
tile) or one collection. For each source and zoom the SQL is composed once from the registry
declarations (``registries.tiling``) and run prepared with only z/x/y bound. Layers read the
``open_data`` views, so personal fields can never reach a tile, and the derived
``geom_3857`` column, so no geometry is reprojected per request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from gis.errors import NotFound
from gis.tms import BUFFER, EXTENT, WEB_MERCATOR_QUAD
from registries.catalog import Catalog
from registries.model import GeometryKind, Registry, Text, TileRule
from registries.status import local_today_sql
from registries.tiling import POINT_COUNT, attributes, check_rules, min_zoom, rule_at, rules
from tiles.grids import Grid, cache_key, web_mercator

CITY = "city"  # the map with every public layer
MVT = "application/vnd.mapbox-vector-tile"
# tile connections: no parallel workers or JIT (they cost more than a tile query takes), and a
# custom plan per tile (measured: generic plans cost up to 1.5× at z16; docs/tiles.md)
SESSION = ("SET plan_cache_mode = force_custom_plan", "SET max_parallel_workers_per_gather = 0",
           "SET jit = off", "SET TIME ZONE 'UTC'")
POINTS = (GeometryKind.POINT,)
CACHE_FORMAT = "gzip-1"  # how cached tiles are stored (tiles.cache.pack): part of the cache name


@dataclass(frozen=True)
class Source:
    """What one tile URL serves: an id, a title and its layers (registries)."""

    id: str
    title: Text
    layers: tuple[Registry, ...]

    @property
    def min_zoom(self) -> int:
        zooms = [z for z in (min_zoom(r) for r in self.layers) if z is not None]
        return min(zooms) if zooms else 0

    def layers_at(self, z: int) -> list[tuple[Registry, TileRule]]:
        """Return the layers present at zoom ``z`` with the rule in force there."""
        out = []
        for reg in self.layers:
            rule = rule_at(reg, z)
            if rule is not None:
                out.append((reg, rule))
        return out


@dataclass
class Sources:
    """The city map and one source per public collection that has tile rules."""

    catalog: Catalog
    by_id: dict[str, Source] = field(default_factory=dict)

    def __post_init__(self) -> None:
        layers = tuple(r for r in self.catalog if r.public and rules(r))
        for reg in layers:
            check_rules(reg)
        self.by_id[CITY] = Source(CITY, {"uk": "Мапа міста", "en": "City map"}, layers)
        for reg in layers:
            self.by_id[reg.id] = Source(reg.id, reg.title, (reg,))

    def get(self, source_id: str) -> Source:
        try:
            return self.by_id[source_id]
        except KeyError:
            raise NotFound(f"no tiles {source_id!r}; see /maps", collection=source_id) from None

    def collection(self, registry_id: str) -> Source:
        """Return the single-layer source of a collection, or raise NotFound."""
        if registry_id == CITY or registry_id not in self.by_id:
            self.catalog.get(registry_id)  # NotFound for unknown collections
            raise NotFound(f"collection {registry_id!r} has no tiles", collection=registry_id)
        return self.by_id[registry_id]

    def containing(self, registry_id: str) -> list[Source]:
        """Return the sources whose tiles hold the layer of ``registry_id``."""
        return [s for s in self.by_id.values() if any(r.id == registry_id for r in s.layers)]

    def __iter__(self) -> Iterator[Source]:
        return iter(self.by_id.values())


def mvt_geom(grid: Grid, z: int, geom: sql.Composable) -> sql.Composable:
    """Return SQL of ``geom`` (the grid's CRS) in tile coordinates, clipped to the buffered
    tile."""
    return sql.SQL("ST_AsMVTGeom({}, {}, {}, {}, true)").format(
        geom, grid.envelope(z), sql.Literal(EXTENT), sql.Literal(BUFFER))


def layer_sql(reg: Registry, rule: TileRule, z: int, today: sql.Composable,
              grid: Grid | None = None) -> sql.Composed:
    """Return SQL of one layer of tile z/x/y of ``grid`` (default WebMercatorQuad) as MVT
    bytes (empty when nothing is there)."""
    grid = grid or web_mercator(z)
    attrs = attributes(reg, rule, today)
    view = sql.Identifier(*reg.public_view)
    column = sql.SQL("t.{}").format(sql.Identifier(grid.column))
    if rule.cluster_px and reg.geometry in POINTS:
        return _clustered_sql(reg, rule, z, attrs, view, grid)
    geom: sql.Composable = column
    pixel = grid.pixel_m(z)
    if rule.simplify_px and reg.geometry not in POINTS:
        geom = sql.SQL("ST_Simplify({}, {}, true)").format(
            column, sql.Literal(round(rule.simplify_px * pixel, 3)))
    where: sql.Composable = sql.SQL("{} && {}").format(column, grid.envelope(z, margin=True))
    if rule.min_area_px and reg.geometry not in POINTS:
        where = sql.SQL("{} AND ST_Area({}) >= {}").format(
            where, column, sql.Literal(round(rule.min_area_px * pixel * pixel, 3)))
    cols = sql.SQL("").join(sql.SQL(", {} AS {}").format(expr, sql.Identifier(name))
                            for name, expr in attrs)
    return sql.SQL(
        "SELECT coalesce(ST_AsMVT(q, {layer}, {extent}, 'geom', 'id'), ''::bytea) FROM ("
        "SELECT t.id{cols}, {mvt} AS geom FROM {view} AS t WHERE {where}"
        ") AS q WHERE q.geom IS NOT NULL"
    ).format(layer=sql.Literal(reg.id), extent=sql.Literal(EXTENT), cols=cols,
             mvt=mvt_geom(grid, z, geom),
             view=view, where=where)


def _clustered_sql(reg: Registry, rule: TileRule, z: int,
                   attrs: list[tuple[str, sql.Composable]], view: sql.Composable,
                   grid: Grid) -> sql.Composed:
    """Return SQL merging the points of each screen cell (aligned with the tile) into one.

    Cells never straddle tiles and only the tile's own points are read (no buffer), so a
    cluster is drawn in exactly one tile and an edit changes only that tile.
    """
    cell = round(grid.pixel_m(z) * rule.cluster_px, 6)
    e0, n0 = grid.origin
    names = [sql.Identifier(n) for n, _ in attrs]
    inner = sql.SQL("").join(sql.SQL(", {} AS {}").format(e, sql.Identifier(n)) for n, e in attrs)
    group = sql.SQL("").join(sql.SQL(", c.{}").format(n) for n in names)
    return sql.SQL(
        "SELECT coalesce(ST_AsMVT(q, {layer}, {extent}, 'geom', 'id'), ''::bytea) FROM ("
        "SELECT min(c.id) AS id, count(*)::int AS {count}{group}, {mvt} AS geom FROM ("
        "SELECT t.id{inner}, t.{col} AS g,"
        " floor((ST_X(t.{col}) - {e0}) / {cell}) AS cx,"
        " floor(({n0} - ST_Y(t.{col})) / {cell}) AS cy"
        " FROM {view} AS t WHERE t.{col} && {env}) AS c GROUP BY c.cx, c.cy{group}"
        ") AS q WHERE q.geom IS NOT NULL"
    ).format(layer=sql.Literal(reg.id), extent=sql.Literal(EXTENT),
             count=sql.Identifier(POINT_COUNT), group=group, inner=inner,
             mvt=mvt_geom(grid, z, sql.SQL("ST_Centroid(ST_Collect(c.g))")),
             col=sql.Identifier(grid.column), e0=sql.Literal(e0), n0=sql.Literal(n0),
             cell=sql.Literal(cell), view=view, env=grid.envelope(z))


def tile_sql(source: Source, z: int, today: sql.Composable,
             grid: Grid | None = None) -> sql.Composed | None:
    """Return SQL of the whole tile of ``source`` at tile matrix ``z`` of ``grid`` (default
    WebMercatorQuad; layers concatenated), or None when no layer is drawn there."""
    grid = grid or web_mercator(z)
    rule_z = grid.rule_zoom[z]
    parts = [layer_sql(reg, rule, z, today, grid) for reg, rule in source.layers_at(rule_z)]
    if not parts:
        return None
    return sql.SQL("SELECT {}").format(
        sql.SQL(" || ").join(sql.SQL("({})").format(p) for p in parts))


class TileQueries:
    """The SQL text of every (source, grid, zoom), composed once; None where a tile is always
    empty. Keyed by (``grids.cache_key(source, grid)``, zoom): the bare source id for
    WebMercatorQuad, ``source@grid`` for the others (martin's way: one prepared statement
    per source, tile matrix set and zoom, only x/y/z bound)."""

    def __init__(self, sources: Sources, max_zoom: int, time_zone: str,
                 grids: dict[str, Grid] | None = None) -> None:
        self.sources = sources
        self.max_zoom = max_zoom
        self.grids = grids or {WEB_MERCATOR_QUAD: web_mercator(max_zoom)}
        today = local_today_sql(time_zone)
        self.text: dict[tuple[str, int], str | None] = {}
        for grid in self.grids.values():
            for source in sources:
                for z in grid.zooms:
                    q = tile_sql(source, z, today, grid)
                    self.text[(cache_key(source.id, grid.id), z)] = (
                        q.as_string(None) if q is not None else None)
        digest = hashlib.sha256(CACHE_FORMAT.encode())
        for key in sorted(self.text):
            digest.update(f"{key}:{self.text[key]}\n".encode())
        self.fingerprint = digest.hexdigest()[:16]  # names the cache: new SQL, new cache

    def sql_of(self, source_id: str, z: int, grid_id: str = WEB_MERCATOR_QUAD) -> str | None:
        """Return the SQL text of tile matrix ``z`` of ``source_id`` in ``grid_id`` (None:
        nothing is drawn there)."""
        return self.text[(cache_key(source_id, grid_id), z)]

    def render(self, conn: psycopg.Connection, source_id: str, z: int, x: int, y: int,
               grid_id: str = WEB_MERCATOR_QUAD) -> bytes:
        """Return tile z/x/y of ``source_id`` in ``grid_id`` as MVT bytes (b"" when empty)."""
        query = self.sql_of(source_id, z, grid_id)
        if query is None:
            return b""
        row = conn.execute(query.encode(), {"z": z, "x": x, "y": y}, prepare=True,
                           binary=True).fetchone()
        return bytes(row[0]) if row and row[0] is not None else b""

    async def render_async(self, conn: psycopg.AsyncConnection, source_id: str, z: int, x: int,
                           y: int, grid_id: str = WEB_MERCATOR_QUAD) -> bytes:
        """Return tile z/x/y of ``source_id`` in ``grid_id`` as MVT bytes (async)."""
        query = self.sql_of(source_id, z, grid_id)
        if query is None:
            return b""
        cur = await conn.execute(query.encode(), {"z": z, "x": x, "y": y}, prepare=True,
                                 binary=True)  # bytea as bytes, not hex text
        row = await cur.fetchone()
        return bytes(row[0]) if row and row[0] is not None else b""


def configure(conn: psycopg.Connection) -> None:
    """Prepare a tile-rendering connection (see SESSION)."""
    for statement in SESSION:
        conn.execute(statement.encode())
    conn.commit()


async def configure_async(conn: psycopg.AsyncConnection) -> None:
    """Prepare an async tile-rendering connection (see SESSION); autocommit, so a tile is one
    round trip (no BEGIN/COMMIT around it: measured 0.2–0.4 ms of a 1.6 ms z16 tile)."""
    for statement in SESSION:
        await conn.execute(statement.encode())
    await conn.commit()
    await conn.set_autocommit(True)
