"""Tile matrix sets (OGC 2D TMS via morecantile) and Web-Mercator tile arithmetic.

Only WebMercatorQuad is served as vector tiles for now; the arithmetic here (tile bounds, the
tiles a box covers, the buffer a tile carries) is shared by rendering, seeding and the
invalidation of the tile cache, so that all three agree to the metre.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import morecantile

from gis.errors import InvalidParameter, NotFound

WEB_MERCATOR_QUAD = "WebMercatorQuad"
SUPPORTED = (WEB_MERCATOR_QUAD,)
ORIGIN = 20037508.342789244  # half the Web-Mercator world width, m
EXTENT = 4096  # MVT tile extent (units per tile side)
BUFFER = 256  # MVT buffer around a tile, in tile units (1/16 of the side)


@lru_cache(maxsize=8)
def tile_matrix_set(tms_id: str) -> morecantile.TileMatrixSet:
    """Return the tile matrix set called ``tms_id`` or raise NotFound."""
    if tms_id not in SUPPORTED:
        raise NotFound(f"no tile matrix set {tms_id!r}; available: {', '.join(SUPPORTED)}",
                       tileMatrixSet=tms_id)
    return morecantile.tms.get(tms_id)


def tms_document(tms_id: str) -> dict[str, Any]:
    """Return the OGC TileMatrixSet JSON document of ``tms_id``."""
    import json

    doc: dict[str, Any] = json.loads(tile_matrix_set(tms_id).model_dump_json(exclude_none=True))
    return doc


def tile_size_m(z: int) -> float:
    """Return the side of a Web-Mercator tile at zoom ``z`` in EPSG:3857 metres.

    >>> round(tile_size_m(14), 3)
    2445.985
    """
    return 2 * ORIGIN / (1 << z)


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Return (minx, miny, maxx, maxy) of tile z/x/y in EPSG:3857 (y counts down from the top).

    >>> [round(v) for v in tile_bounds(1, 1, 0)]
    [0, 0, 20037508, 20037508]
    """
    size = tile_size_m(z)
    return (-ORIGIN + x * size, ORIGIN - (y + 1) * size, -ORIGIN + (x + 1) * size,
            ORIGIN - y * size)


def parse_tile(z: str, x: str, y: str, max_zoom: int) -> tuple[int, int, int]:
    """Return the integers of a tile address, raising InvalidParameter or NotFound.

    >>> parse_tile("14", "9420", "5594", 20)
    (14, 9420, 5594)
    """
    try:
        zi, xi, yi = int(z), int(x), int(y)
    except ValueError:
        raise InvalidParameter(f"tile address {z}/{x}/{y} must be three integers",
                               parameter="tileMatrix") from None
    if not 0 <= zi <= max_zoom:
        raise NotFound(f"zoom {zi} is outside 0–{max_zoom}", tileMatrix=zi)
    n = 1 << zi
    if not (0 <= xi < n and 0 <= yi < n):
        raise NotFound(f"tile {zi}/{xi}/{yi} is outside the tile matrix (0–{n - 1})",
                       tileMatrix=zi, tileRow=yi, tileCol=xi)
    return zi, xi, yi


def tile_range(box: tuple[float, float, float, float], z: int,
               margin: float = 0.0) -> tuple[int, int, int, int]:
    """Return (xmin, ymin, xmax, ymax) of the tiles at ``z`` that ``box`` (EPSG:3857) touches.

    ``margin`` widens the box (m) first, e.g. by the tiles' buffer.

    >>> tile_range((1.0, 1.0, 2.0, 2.0), 1)
    (1, 0, 1, 0)
    """
    size = tile_size_m(z)
    last = (1 << z) - 1
    x0 = max(0, min(last, math.floor((box[0] - margin + ORIGIN) / size)))
    x1 = max(0, min(last, math.floor((box[2] + margin + ORIGIN) / size)))
    y0 = max(0, min(last, math.floor((ORIGIN - box[3] - margin) / size)))
    y1 = max(0, min(last, math.floor((ORIGIN - box[1] + margin) / size)))
    return x0, y0, x1, y1


def buffer_m(z: int) -> float:
    """Return the width of a tile's buffer at ``z`` in metres, plus one tile unit of rounding."""
    return tile_size_m(z) * (BUFFER + 1) / EXTENT
