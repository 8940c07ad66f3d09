"""Seeding: render the tiles of a box and zoom range into the cache ahead of the first visitor.

Resumable by construction: a tile already in the cache is skipped, and the cache is kept
honest while seeding (the invalidator runs, so an edit made meanwhile drops what it touched).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg

from gis.tms import WEB_MERCATOR_QUAD, tile_range
from tiles.cache import TileCache, pack
from tiles.grids import Grid, cache_key
from tiles.invalidate import Invalidator
from tiles.mvt import TileQueries, configure

Progress = Callable[[str, int, int], None]
Box = tuple[float, float, float, float]


@dataclass
class SeedReport:
    rendered: int = 0
    cached: int = 0  # already there: skipped
    empty: int = 0
    bytes: int = 0


def tiles_in(box: Box, min_zoom: int, max_zoom: int) -> Iterator[tuple[int, int, int]]:
    """Yield z/x/y of every tile that ``box`` (EPSG:3857) touches, zoom by zoom.

    >>> len(list(tiles_in((1.0, 1.0, 2.0, 2.0), 0, 2)))
    3
    """
    for z in range(min_zoom, max_zoom + 1):
        x0, y0, x1, y1 = tile_range(box, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                yield z, x, y


def count_tiles(box: Box, min_zoom: int, max_zoom: int) -> int:
    total = 0
    for z in range(min_zoom, max_zoom + 1):
        x0, y0, x1, y1 = tile_range(box, z)
        total += (x1 - x0 + 1) * (y1 - y0 + 1)
    return total


def seed(queries: TileQueries, cache: TileCache, invalidator: Invalidator | None,
         connect: Callable[[], psycopg.Connection], source_id: str, box: Box, min_zoom: int,
         max_zoom: int, *, workers: int = 2, progress: Progress | None = None,
         grid: Grid | None = None) -> SeedReport:
    """Render every missing tile of ``source_id`` in ``box`` into ``cache``.

    ``grid`` is the tile matrix set (default WebMercatorQuad, ``box`` in EPSG:3857); for
    another grid ``box`` is in its CRS, easting first, and the zooms are its tile matrices.
    """
    report = SeedReport()
    grid_id = grid.id if grid is not None else WEB_MERCATOR_QUAD
    key = cache_key(source_id, grid_id)
    zooms = range(min_zoom, max_zoom + 1)
    total = grid.count(box, zooms) if grid is not None else count_tiles(box, min_zoom, max_zoom)
    addresses = (grid.tiles_in(box, zooms) if grid is not None
                 else tiles_in(box, min_zoom, max_zoom))
    local = threading.local()
    lock = threading.Lock()
    done = 0
    conns: list[psycopg.Connection] = []

    def conn() -> psycopg.Connection:
        c = getattr(local, "conn", None)
        if c is None:
            c = connect()
            configure(c)
            c.autocommit = True
            local.conn = c
            with lock:
                conns.append(c)
        return c

    def one(zxy: tuple[int, int, int]) -> None:
        nonlocal done
        z, x, y = zxy
        status = "cached"
        size = 0
        if not cache.has(key, z, x, y):
            epoch = invalidator.epoch if invalidator else 0
            data = pack(queries.render(conn(), source_id, z, x, y, grid_id))
            cache.put(key, z, x, y, data)
            if invalidator is not None and invalidator.epoch != epoch:
                cache.drop(key, z, {(x, y)})
            status, size = ("rendered" if data else "empty"), len(data)
        with lock:
            done += 1
            if status == "cached":
                report.cached += 1
            elif status == "empty":
                report.empty += 1
            else:
                report.rendered += 1
                report.bytes += size
            if progress:
                progress(f"{source_id} z{min_zoom}–{max_zoom}", done, total)

    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for _ in pool.map(one, addresses):
                pass
    finally:
        for c in conns:
            c.close()
    return report
