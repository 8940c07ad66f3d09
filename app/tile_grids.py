"""The tile-matrix-set choice of ``gis tiles seed|export`` (``--tms``): which grid, which box."""

from __future__ import annotations

import math

from gis.crs import transform_bbox
from gis.errors import InvalidParameter
from gis.settings import Settings
from gis.tms import WEB_MERCATOR_QUAD
from tiles.grids import Box, Grid, grid_of

# the zooms seeded when none are given: z12–z16 in WebMercatorQuad; in a UCS-2000 grid the
# tile matrices of the same print scales, 1:100 000 … 1:5 000 (tiles.grids.equivalent_zoom)
DEFAULT_ZOOMS = {"mercator": (12, 16), "ucs2000": (2, 6)}


def default_zooms(tms_id: str, min_zoom: int | None, max_zoom: int | None) -> tuple[int, int]:
    """Return ``--min-zoom``/``--max-zoom``, each defaulting to the grid's own."""
    low, high = DEFAULT_ZOOMS["mercator" if tms_id == WEB_MERCATOR_QUAD else "ucs2000"]
    return (low if min_zoom is None else min_zoom, high if max_zoom is None else max_zoom)


def lonlat_box(bbox: str) -> Box:
    """Return ``--bbox`` (min_lon,min_lat,max_lon,max_lat) or raise naming what is wrong."""
    try:
        w, s, e, n = (float(v) for v in bbox.split(","))
    except ValueError:
        raise InvalidParameter(f"--bbox {bbox!r} must be four numbers: "
                               "min_lon,min_lat,max_lon,max_lat", parameter="bbox") from None
    if not all(math.isfinite(v) for v in (w, s, e, n)) or not (
            -180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= 90 and -90 <= n <= 90):
        raise InvalidParameter(f"--bbox {bbox!r} must be longitudes within ±180 and latitudes "
                               "within ±90 (degrees, CRS84)", parameter="bbox")
    if w >= e or s >= n:
        raise InvalidParameter(f"--bbox {bbox!r}: the lower corner must come first",
                               parameter="bbox")
    return (w, s, e, n)


def city_latitude(settings: Settings) -> float:
    """Return the latitude of the middle of the city's extent (picks each UCS-2000 tile
    matrix's tile rules, ``tiles.grids.equivalent_zoom``)."""
    w, s, e, n = settings.city.lonlat_extent
    return (s + n) / 2


def seed_grid(settings: Settings, tms_id: str, bbox: str | None, min_zoom: int,
              max_zoom: int) -> tuple[Grid | None, Box]:
    """Return the grid and the box (its CRS) to seed; (None, …) for WebMercatorQuad, whose
    box and zooms the caller checks as before."""
    from tiles.grids import vector_grids

    grids = vector_grids(settings.city.storage_srid, settings.tiles.max_zoom,
                         city_latitude(settings))
    grid = grid_of(grids, tms_id)
    if grid.mercator:
        return None, (0.0, 0.0, 0.0, 0.0)
    last = len(grid.sides) - 1
    if not 0 <= min_zoom <= max_zoom <= last:
        raise InvalidParameter(f"tile matrices {min_zoom}–{max_zoom} must lie within 0–{last} "
                               f"of {tms_id} (1:500 000 … 1:500), low first",
                               parameter="zoom")
    if not bbox:
        return grid, transform_bbox(settings.city.extent, settings.city.storage_srid, grid.srid)
    return grid, transform_bbox(lonlat_box(bbox), "OGC:CRS84", grid.srid)


def export_grid(tms_id: str) -> None:
    """Refuse an archive in a grid other than WebMercatorQuad: PMTiles v3 addresses tiles on
    the Web-Mercator quadtree only (Hilbert tile ids, lon/lat header), MBTiles 1.3 is defined
    for spherical Mercator — a UCS-2000 tile stored there would be read at the wrong place."""
    if tms_id != WEB_MERCATOR_QUAD:
        raise InvalidParameter(
            f"--tms {tms_id}: PMTiles and MBTiles hold WebMercatorQuad tiles only (both formats "
            "address tiles on the Web-Mercator quadtree); seed the UCS-2000 tiles into the "
            "cache with `gis tiles seed --tms …` instead", parameter="tms")
