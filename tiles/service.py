"""The tile service: cache first, else render in PostGIS, store, and keep the cache honest."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from psycopg_pool import AsyncConnectionPool
from starlette.concurrency import run_in_threadpool

from gis.crs import transform_bbox
from gis.errors import NotFound
from gis.tms import WEB_MERCATOR_QUAD
from registries.model import Registry
from registries.tiling import min_zoom
from tiles.cache import MemoryFront, NoCache, TileCache, etag_of, pack
from tiles.glyphs import Glyphs
from tiles.grids import Grid, cache_key, grid_of
from tiles.invalidate import Invalidator
from tiles.mvt import CITY, Source, Sources, TileQueries


def layer_matrices(grid: Grid, reg: Registry) -> list[int]:
    """Return the tile matrices of ``grid`` at which ``reg`` is drawn."""
    first = min_zoom(reg)
    return [] if first is None else [z for z in grid.zooms if grid.rule_zoom[z] >= first]


@dataclass
class TileService:
    """Everything the tile routes need, built by the app factory.

    ``extent`` is the city's box in the storage CRS (``storage_srid``): TileJSON bounds and the
    tile matrix set limits are derived from it. The OGC API paths refuse a tile outside a
    tileset's limits (404, as ``/req/core/tc-error`` A asks); the XYZ path of the maps serves
    it (MapLibre asks only inside the TileJSON's bounds and zooms anyway).
    """

    sources: Sources
    queries: TileQueries
    cache: TileCache
    invalidator: Invalidator | None
    pool: AsyncConnectionPool | None
    base_url: str
    max_zoom: int
    max_age_s: int
    extent: tuple[float, float, float, float]
    storage_srid: int
    name: str = "Hromada GIS"
    glyphs: Glyphs | None = None  # the label fonts (/fonts/…); None: styles without labels
    lonlat_bounds: tuple[float, float, float, float] = field(init=False)
    mercator_bounds: tuple[float, float, float, float] = field(init=False)
    _limits: dict[tuple[str, str], dict[int, tuple[int, int, int, int]]] = field(
        default_factory=dict, init=False)
    renders: int = field(default=0, init=False)  # tiles rendered by PostGIS (for /metrics)
    render_seconds: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self.lonlat_bounds = transform_bbox(self.extent, self.storage_srid, "OGC:CRS84")
        self.mercator_bounds = transform_bbox(self.extent, self.storage_srid, 3857)

    @property
    def grids(self) -> dict[str, Grid]:
        """The tile matrix sets the vector tiles are served in (``tiles.grids``), by id."""
        return self.queries.grids

    def grid(self, tms_id: str) -> Grid:
        """Return the grid called ``tms_id`` or raise NotFound."""
        return grid_of(self.queries.grids, tms_id)

    def grid_bounds(self, grid: Grid) -> tuple[float, float, float, float]:
        """Return the city's extent in ``grid``'s CRS, easting first."""
        if grid.mercator:
            return self.mercator_bounds
        return transform_bbox(self.extent, self.storage_srid, grid.srid)

    def limits(self, source: Source, grid: Grid) -> dict[int, tuple[int, int, int, int]]:
        """Return the tileset's limits: per tile matrix that draws a layer of ``source``, the
        first and last column and row (x0, y0, x1, y1) covering the city's extent."""
        # kept for the sources served (the fast path asks per tile); a map of some layers
        # (collections=a,b) is worked out each time: a cache of every selection a stranger
        # may send would grow without end
        served = self.sources.by_id.get(source.id) is source
        found = self._limits.get((source.id, grid.id)) if served else None
        if found is None:
            box = self.grid_bounds(grid)
            found = {}
            for z in sorted({z for reg in source.layers for z in layer_matrices(grid, reg)}):
                tiles = grid.tile_range(box, z)
                if tiles is not None:
                    found[z] = tiles
            if served:
                self._limits[(source.id, grid.id)] = found
        return found

    def check_limits(self, source: Source, grid: Grid, z: int, x: int, y: int,
                     query: str = "") -> None:
        """Raise NotFound for tile z/x/y outside the limits of ``source``'s tileset in
        ``grid`` (``query``: the tileset's, e.g. ``collections=a,b``), saying what they are."""
        limits = self.limits(source, grid)
        span = limits.get(z)
        if span is not None and span[0] <= x <= span[2] and span[1] <= y <= span[3]:
            return
        where = ("/tiles" if source.id == CITY else f"/collections/{source.id}/tiles") + (
            f"/{grid.id}") + (f"?{query}" if query else "")
        if span is None:
            drawn = f"{min(limits)}–{max(limits)}" if limits else "none"
            raise NotFound(f"tile matrix {z} is outside this tileset's limits: its tile "
                           f"matrices are {drawn} (see {where})", tileMatrix=z)
        x0, y0, x1, y1 = span
        raise NotFound(f"tile {z} row {y}, column {x} is outside this tileset's limits, the "
                       f"city's extent: at tile matrix {z}, rows {y0}–{y1} and columns "
                       f"{x0}–{x1} (see {where})", tileMatrix=z, tileRow=y, tileCol=x)

    @property
    def caching(self) -> bool:
        """Return True when tiles may be read from and written to the cache now."""
        inv = self.invalidator
        return not isinstance(self.cache, NoCache) and inv is not None and inv.healthy

    async def _cache_call(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self.cache.local:  # a page-cache or memory read: cheaper than a thread hop
            return fn(*args)
        return await run_in_threadpool(fn, *args)

    def cached(self, source_id: str, z: int, x: int, y: int,
               grid_id: str = WEB_MERCATOR_QUAD) -> tuple[bytes, str] | None:
        """Return tile z/x/y of ``source_id`` in ``grid_id`` (packed) and its ETag if known
        without rendering, else None.

        Only memory and a local cache are read here (no database, no thread hop); a cache in
        PostgreSQL answers None below its memory front and the caller takes the full path.
        """
        if self.queries.sql_of(source_id, z, grid_id) is None:
            return b"", etag_of(b"")
        source_id = cache_key(source_id, grid_id)
        cache = self.cache
        if not self.caching:
            return None
        if isinstance(cache, MemoryFront):
            return cache.fetch(source_id, z, x, y) if cache.local else cache.peek(
                source_id, z, x, y)
        if not cache.local:
            return None
        data = cache.get(source_id, z, x, y)
        return None if data is None else (data, etag_of(data))

    async def tile(self, source_id: str, z: int, x: int, y: int,
                   grid_id: str = WEB_MERCATOR_QUAD) -> tuple[bytes, bool]:
        """Return tile z/x/y of ``source_id`` in ``grid_id`` (gzip MVT, ``tiles.cache.pack``;
        b"" if empty) and whether it was cached."""
        self.sources.get(source_id)
        if self.queries.sql_of(source_id, z, grid_id) is None:  # no layer here: nothing to do
            return b"", True
        key = cache_key(source_id, grid_id)  # what the cache calls this source in this grid
        caching = self.caching
        if caching:
            data = await self._cache_call(self.cache.get, key, z, x, y)
            if data is not None:
                return data, True
        inv = self.invalidator
        epoch = inv.epoch if inv is not None else 0
        assert self.pool is not None, "the tile pool is opened with the app"
        started = time.perf_counter()
        async with self.pool.connection() as conn:
            mvt = await self.queries.render_async(conn, source_id, z, x, y, grid_id)
        data = pack(mvt)
        self.renders += 1
        self.render_seconds += time.perf_counter() - started
        if caching and inv is not None:
            await self._cache_call(self.cache.put, key, z, x, y, data)
            if inv.epoch != epoch:  # an edit was applied meanwhile: this render may predate it
                await self._cache_call(self.cache.drop, key, z, {(x, y)})
        return data, False
