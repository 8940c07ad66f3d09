"""Offline archives of the tiles: PMTiles (one file for a CDN or object storage) and MBTiles.

Tiles come from the cache when it has them and are rendered otherwise; empty tiles are left
out; every tile is gzip-compressed as both formats' readers expect for MVT.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from tiles.cache import TileCache, pack
from tiles.mvt import TileQueries, configure
from tiles.seed import Box, Progress, count_tiles, tiles_in


def collect(queries: TileQueries, cache: TileCache, connect: Callable[[], psycopg.Connection],
            source_id: str, box: Box, min_zoom: int, max_zoom: int,
            progress: Progress | None = None) -> dict[tuple[int, int, int], bytes]:
    """Return the non-empty tiles of ``source_id`` in ``box``, gzip-compressed, by z/x/y."""
    out: dict[tuple[int, int, int], bytes] = {}
    total = count_tiles(box, min_zoom, max_zoom)
    with connect() as conn:
        configure(conn)
        conn.autocommit = True
        for i, (z, x, y) in enumerate(tiles_in(box, min_zoom, max_zoom), 1):
            data = cache.get(source_id, z, x, y)  # cached tiles are gzip already
            if data is None:
                data = pack(queries.render(conn, source_id, z, x, y))
            if data:
                out[(z, x, y)] = data
            if progress:
                progress(f"{source_id} z{min_zoom}–{max_zoom}", i, total)
    return out


def write_pmtiles(path: Path, tiles: dict[tuple[int, int, int], bytes],
                  lonlat: tuple[float, float, float, float], metadata: dict[str, Any]) -> None:
    """Write ``tiles`` (gzip MVT by z/x/y) as a PMTiles v3 archive."""
    w, s, e, n = lonlat
    zooms = [z for z, _, _ in tiles] or [0]
    with path.open("wb") as f:
        writer = Writer(f)  # type: ignore[no-untyped-call]
        for tile_id, data in sorted((zxy_to_tileid(*k), v) for k, v in tiles.items()):
            writer.write_tile(tile_id, data)  # type: ignore[no-untyped-call]
        writer.finalize({  # type: ignore[no-untyped-call]
            "tile_type": TileType.MVT, "tile_compression": Compression.GZIP,
            "min_lon_e7": int(w * 1e7), "min_lat_e7": int(s * 1e7),
            "max_lon_e7": int(e * 1e7), "max_lat_e7": int(n * 1e7),
            "center_zoom": max(min(zooms), min(14, max(zooms))),
            "center_lon_e7": int((w + e) / 2 * 1e7), "center_lat_e7": int((s + n) / 2 * 1e7),
        }, metadata)


def write_mbtiles(path: Path, tiles: dict[tuple[int, int, int], bytes],
                  lonlat: tuple[float, float, float, float], metadata: dict[str, Any]) -> None:
    """Write ``tiles`` as MBTiles 1.3 (rows counted from the south, as the spec says)."""
    path.unlink(missing_ok=True)
    w, s, e, n = lonlat
    zooms = [z for z, _, _ in tiles] or [0]
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name text, value text)")
        db.execute("CREATE TABLE tiles (zoom_level integer, tile_column integer, "
                   "tile_row integer, tile_data blob)")
        db.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
        meta = {"name": metadata.get("name", "tiles"), "format": "pbf",
                "bounds": f"{w},{s},{e},{n}",
                "center": f"{(w + e) / 2},{(s + n) / 2},{max(min(zooms), min(14, max(zooms)))}",
                "minzoom": str(min(zooms)), "maxzoom": str(max(zooms)), "type": "overlay",
                "json": json.dumps({"vector_layers": metadata.get("vector_layers", [])})}
        db.executemany("INSERT INTO metadata VALUES (?, ?)", list(meta.items()))
        db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                       [(z, x, (1 << z) - 1 - y, data) for (z, x, y), data in tiles.items()])
