"""The tile-matrix-set choice of ``gis tiles seed|export`` (``--tms``): which grid, which box."""

from __future__ import annotations

from gis.crs import transform_bbox
from gis.errors import InvalidParameter
from gis.settings import Settings
from gis.tms import WEB_MERCATOR_QUAD
from tiles.grids import Box, Grid, grid_of


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
    try:
        w, s, e, n = (float(v) for v in bbox.split(","))
    except ValueError:
        raise InvalidParameter(f"--bbox {bbox!r} must be four numbers: "
                               "min_lon,min_lat,max_lon,max_lat") from None
    if w >= e or s >= n:
        raise InvalidParameter(f"--bbox {bbox!r}: the lower corner must come first")
    return grid, transform_bbox((w, s, e, n), "OGC:CRS84", grid.srid)


def export_grid(tms_id: str) -> None:
    """Refuse an archive in a grid other than WebMercatorQuad: PMTiles v3 addresses tiles on
    the Web-Mercator quadtree only (Hilbert tile ids, lon/lat header), MBTiles 1.3 is defined
    for spherical Mercator — a UCS-2000 tile stored there would be read at the wrong place."""
    if tms_id != WEB_MERCATOR_QUAD:
        raise InvalidParameter(
            f"--tms {tms_id}: PMTiles and MBTiles hold WebMercatorQuad tiles only (both formats "
            "address tiles on the Web-Mercator quadtree); seed the UCS-2000 tiles into the "
            "cache with `gis tiles seed --tms …` instead", parameter="tms")
