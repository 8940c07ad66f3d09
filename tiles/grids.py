"""The tile grids the vector tiles are served in: WebMercatorQuad and the UCS-2000 print grid.

A :class:`Grid` is one tile matrix set as the vector tiles see it: the geometry column its tile
SQL reads (``geom_3857`` for WebMercatorQuad, the stored ``geom`` for the grid of the storage
CRS's own UCS-2000 zone — no reprojection per tile either way), the envelope of a tile as SQL
and as numbers, the tiles a geometry touches (for the invalidation), and which zoom's
``TileRule`` holds at each of its tile matrices. Rendering, the cache keys, seeding and the
invalidation all take their arithmetic from here, so that they agree to the tile unit.

The registries' tile rules are declared in WebMercatorQuad zooms. A UCS-2000 tile matrix takes
the rule of the Web-Mercator zoom whose ground pixel at the city's latitude is nearest to its
own cell (``equivalent_zoom``): at 49.4° N 1:25 000 (7 m) is z14, 1:5 000 (1.4 m) z16, 1:500
(0.14 m) z19. Pixel tolerances (simplification, clustering, minimum areas) are converted with
the grid's own cell size.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import morecantile
import numpy as np
import shapely
from psycopg import sql
from pyproj import Transformer

from gis.errors import NotFound
from gis.tms import (
    BUFFER,
    EXTENT,
    ORIGIN,
    WEB_MERCATOR_QUAD,
    grid_tile_range,
    matrix_sets,
    parse_grid_tile,
    parse_tile,
    tile_range,
)

Box = tuple[float, float, float, float]
Key = tuple[int, int]
Range = tuple[int, int, int, int]
MERCATOR_RES0 = 156_543.03392804097  # m per pixel at z0 on the equator (256-px tiles)
EXACT_BELOW = 20_000  # refine a geometry's tile range with the geometry itself up to this size


def equivalent_zoom(cell_m: float, latitude: float) -> int:
    """Return the WebMercatorQuad zoom whose ground pixel at ``latitude`` is nearest ``cell_m``.

    >>> [equivalent_zoom(c, 49.42) for c in (7.0, 1.4, 0.14)]
    [14, 16, 19]
    """
    ground0 = MERCATOR_RES0 * math.cos(math.radians(latitude))
    return max(0, round(math.log2(ground0 / cell_m)))


def cache_key(source_id: str, grid_id: str) -> str:
    """Return the cache's name for the tiles of ``source_id`` in grid ``grid_id``.

    WebMercatorQuad tiles keep the bare source id (their cache layout and the fast path's
    from before there were two grids); other grids add ``@grid``.

    >>> cache_key("city", "WebMercatorQuad"), cache_key("city", "UCS2000TM9")
    ('city', 'city@UCS2000TM9')
    """
    return source_id if grid_id == WEB_MERCATOR_QUAD else f"{source_id}@{grid_id}"


@dataclass(frozen=True)
class Grid:
    """One tile matrix set of the vector tiles (see the module docstring).

    ``origin`` is the top-left corner (easting, northing) shared by every matrix, ``sides`` the
    tile side (m) per matrix, ``rule_zoom`` the Web-Mercator zoom whose tile rules apply.
    """

    id: str
    srid: int
    column: str
    origin: tuple[float, float]
    sides: tuple[float, ...]
    sizes: tuple[tuple[int, int], ...]  # matrix width, height per tile matrix
    rule_zoom: tuple[int, ...]
    tms: morecantile.TileMatrixSet | None = field(default=None, compare=False)

    @property
    def zooms(self) -> range:
        return range(len(self.sides))

    @property
    def mercator(self) -> bool:
        return self.id == WEB_MERCATOR_QUAD

    def pixel_m(self, z: int) -> float:
        """Return the ground size (CRS units) of one of the tile's 256 pixels at ``z``."""
        return self.sides[z] / 256

    def buffer_m(self, z: int) -> float:
        """Return the width of a tile's buffer at ``z``, plus one tile unit of rounding."""
        return self.sides[z] * (BUFFER + 1) / EXTENT

    def bounds(self, z: int, x: int, y: int) -> Box:
        """Return (minx, miny, maxx, maxy) of tile z/x/y in the grid's CRS, easting first.

        >>> [round(v) for v in web_mercator(1).bounds(1, 1, 0)]
        [0, 0, 20037508, 20037508]
        """
        side, (e0, n0) = self.sides[z], self.origin
        return (e0 + x * side, n0 - (y + 1) * side, e0 + (x + 1) * side, n0 - y * side)

    def parse(self, z: str, x: str, y: str) -> tuple[int, int, int]:
        """Return the integers of a tile address (InvalidParameter, NotFound outside)."""
        if self.tms is None:
            return parse_tile(z, x, y, len(self.sides) - 1)
        return parse_grid_tile(self.tms, z, x, y)

    def contains(self, z: int, x: int, y: int) -> bool:
        if not 0 <= z < len(self.sides):
            return False
        width, height = self.sizes[z]
        return 0 <= x < width and 0 <= y < height

    def tile_range(self, box: Box, z: int) -> Range | None:
        """Return the tiles at ``z`` that ``box`` (grid CRS, easting first) touches, or None."""
        if self.tms is None:
            return tile_range(box, z)
        return grid_tile_range(self.tms, box, z)

    def tiles_in(self, box: Box, zooms: range) -> Iterator[tuple[int, int, int]]:
        """Yield z/x/y of every tile that ``box`` (grid CRS) touches, zoom by zoom."""
        for z in zooms:
            found = self.tile_range(box, z)
            if found is None:
                continue
            x0, y0, x1, y1 = found
            for x in range(x0, x1 + 1):
                for y in range(y0, y1 + 1):
                    yield z, x, y

    def count(self, box: Box, zooms: range) -> int:
        total = 0
        for z in zooms:
            found = self.tile_range(box, z)
            if found is not None:
                total += (found[2] - found[0] + 1) * (found[3] - found[1] + 1)
        return total

    # -- SQL ------------------------------------------------------------------------------
    def envelope(self, z: int, margin: bool = False) -> sql.Composable:
        """Return SQL of tile z/%(x)s/%(y)s's envelope (grid CRS), optionally buffered.

        WebMercatorQuad uses PostGIS's ``ST_TileEnvelope``; other grids an envelope built from
        the matrix's literal origin and side with only x and y bound.
        """
        if self.mercator:
            if margin:
                return sql.SQL("ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {})").format(
                    sql.Literal(BUFFER / EXTENT))
            return sql.SQL("ST_TileEnvelope(%(z)s, %(x)s, %(y)s)")
        side, (e0, n0) = self.sides[z], self.origin
        lo: sql.Composable = sql.SQL("")
        hi: sql.Composable = sql.SQL("")
        if margin:
            pad = sql.Literal(round(side * BUFFER / EXTENT, 9))
            lo, hi = sql.SQL(" - {}").format(pad), sql.SQL(" + {}").format(pad)
        return sql.SQL(
            "ST_MakeEnvelope({e0} + %(x)s * {side}{lo}, {n0} - (%(y)s + 1) * {side}{lo},"
            " {e0} + (%(x)s + 1) * {side}{hi}, {n0} - %(y)s * {side}{hi}, {srid})"
        ).format(e0=sql.Literal(e0), n0=sql.Literal(n0), side=sql.Literal(side), lo=lo, hi=hi,
                 srid=sql.Literal(self.srid))

    # -- invalidation ---------------------------------------------------------------------
    @cached_property
    def _from_mercator(self) -> Transformer | None:
        return None if self.mercator else Transformer.from_crs(3857, self.srid, always_xy=True)

    def from_mercator(self, geoms: np.ndarray) -> np.ndarray:
        """Return EPSG:3857 geometries (the change feed's) in the grid's CRS, easting first."""
        t = self._from_mercator
        if t is None or len(geoms) == 0:
            return geoms
        moved: np.ndarray = shapely.transform(
            geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
        return moved

    def touched(self, geoms: np.ndarray, z: int) -> tuple[set[Key], list[Range]]:
        """Return the tiles at ``z`` whose buffered extent the ``geoms`` (grid CRS) intersect.

        Small ranges are listed tile by tile (keys), checked against the geometry itself when
        it spans several tiles; a range too large to list (a city boundary at z20) is returned
        whole. Every tile a geometry is drawn in is included.
        """
        keys: set[Key] = set()
        ranges: list[Range] = []
        if len(geoms) == 0:
            return keys, ranges
        side, margin, (e0, n0) = self.sides[z], self.buffer_m(z), self.origin
        width, height = self.sizes[z]
        b = shapely.bounds(geoms)
        x0 = np.floor((b[:, 0] - margin - e0) / side).astype(np.int64)
        x1 = np.floor((b[:, 2] + margin - e0) / side).astype(np.int64)
        y0 = np.floor((n0 - b[:, 3] - margin) / side).astype(np.int64)
        y1 = np.floor((n0 - b[:, 1] + margin) / side).astype(np.int64)
        inside = (x1 >= 0) & (y1 >= 0) & (x0 < width) & (y0 < height) & ~shapely.is_empty(geoms)
        x0, x1 = np.clip(x0, 0, width - 1), np.clip(x1, 0, width - 1)
        y0, y1 = np.clip(y0, 0, height - 1), np.clip(y1, 0, height - 1)
        single = inside & (x0 == x1) & (y0 == y1)
        keys.update(zip(x0[single].tolist(), y0[single].tolist(), strict=True))
        for i in np.flatnonzero(inside & ~single):
            nx, ny = int(x1[i] - x0[i] + 1), int(y1[i] - y0[i] + 1)
            if nx * ny > EXACT_BELOW:
                ranges.append((int(x0[i]), int(y0[i]), int(x1[i]), int(y1[i])))
                continue
            mx, my = np.meshgrid(np.arange(x0[i], x1[i] + 1), np.arange(y0[i], y1[i] + 1))
            gx, gy = mx.ravel(), my.ravel()
            boxes = shapely.box(e0 + gx * side - margin, n0 - (gy + 1) * side - margin,
                                e0 + (gx + 1) * side + margin, n0 - gy * side + margin)
            hit = shapely.intersects(geoms[i], boxes)
            keys.update(zip(gx[hit].tolist(), gy[hit].tolist(), strict=True))
        return keys, ranges


def web_mercator(max_zoom: int) -> Grid:
    """Return WebMercatorQuad as a vector-tile grid, zooms 0–``max_zoom``."""
    sides = tuple(2 * ORIGIN / (1 << z) for z in range(max_zoom + 1))
    return Grid(WEB_MERCATOR_QUAD, 3857, "geom_3857", (-ORIGIN, ORIGIN), sides,
                tuple((1 << z, 1 << z) for z in range(max_zoom + 1)),
                tuple(range(max_zoom + 1)))


def print_grid(tms: morecantile.TileMatrixSet, srid: int, latitude: float) -> Grid:
    """Return a UCS-2000 print-scale tile matrix set (``gis.tms.ucs2000_tms``) as a grid."""
    sides, sizes, zooms = [], [], []
    origin: tuple[float, float] | None = None
    for m in tms.tileMatrices:
        sides.append(m.cellSize * m.tileWidth)
        sizes.append((m.matrixWidth, m.matrixHeight))
        zooms.append(equivalent_zoom(m.cellSize, latitude))
        north, east = m.pointOfOrigin  # the CRS's own order: northing first
        if origin not in (None, (east, north)):
            raise ValueError(f"{tms.id}: the vector tiles need one corner of origin")
        origin = (east, north)
    assert origin is not None
    return Grid(str(tms.id), srid, "geom", origin, tuple(sides), tuple(sizes), tuple(zooms), tms)


def vector_grids(storage_srid: int, max_zoom: int, latitude: float) -> dict[str, Grid]:
    """Return the grids the vector tiles are served in, by id, in listing order.

    >>> list(vector_grids(6383, 20, 49.42))
    ['WebMercatorQuad', 'UCS2000TM9']
    >>> vector_grids(6383, 20, 49.42)["UCS2000TM9"].rule_zoom
    (10, 11, 12, 13, 14, 15, 16, 17, 18, 19)
    """
    out = {WEB_MERCATOR_QUAD: web_mercator(max_zoom)}
    for tms_id, tms in matrix_sets(storage_srid).items():
        if tms is not None:
            out[tms_id] = print_grid(tms, storage_srid, latitude)
    return out


def grid_of(grids: dict[str, Grid], tms_id: str) -> Grid:
    """Return the grid called ``tms_id`` or raise NotFound naming the offered ones."""
    try:
        return grids[tms_id]
    except KeyError:
        raise NotFound(f"no tile matrix set {tms_id!r} for vector tiles; available: "
                       f"{', '.join(grids)}", tileMatrixSet=tms_id) from None
