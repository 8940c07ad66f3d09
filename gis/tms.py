"""Tile matrix sets (OGC 2D TMS via morecantile): WebMercatorQuad and the UCS-2000 grid.

WebMercatorQuad serves the vector tiles; the arithmetic here (tile bounds, the tiles a box
covers, the buffer a tile carries) is shared by rendering, seeding and the invalidation of the
tile cache, so that all three agree to the metre.

The UCS-2000 grid (``ucs2000_tms``) is the national print-scale grid of the deployment's
UCS-2000 / Ukraine TM zone (northing first, EPSG:6381–6387): ten tile matrices at the scales a
Ukrainian plan is printed at, 1:500,000 … 1:500, with OGC's 0.28 mm pixel. Its origin and
matrix sizes are the same for every deployment in a zone (they cover all of Ukraine's part of
the zone), so a tile address means the same ground in every city and cache; tilesets narrow it
to their data with ``tileMatrixSetLimits`` (``grid_tile_range``). The ``grid_*`` functions work
on any tile matrix set of ``matrix_sets`` in its CRS's easting/northing.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import morecantile

from gis.crs import UCS2000_TM_ZONES, crs_uri
from gis.errors import InvalidParameter, NotFound
from gis.params import object_id, shown

Box = tuple[float, float, float, float]

WEB_MERCATOR_QUAD = "WebMercatorQuad"
SUPPORTED = (WEB_MERCATOR_QUAD,)  # the sets the vector tiles are served in
ORIGIN = 20037508.342789244  # half the Web-Mercator world width, m
EXTENT = 4096  # MVT tile extent (units per tile side)
BUFFER = 256  # MVT buffer around a tile, in tile units (1/16 of the side)


@lru_cache(maxsize=8)
def tile_matrix_set(tms_id: str, srid: int | None = None) -> morecantile.TileMatrixSet:
    """Return the tile matrix set called ``tms_id`` or raise NotFound.

    Without ``srid`` only the sets the vector tiles use (``SUPPORTED``); with the storage
    ``srid`` also its UCS-2000 grid (``matrix_sets``).
    """
    sets = matrix_sets(srid) if srid is not None else {WEB_MERCATOR_QUAD: None}
    if tms_id not in sets:
        raise NotFound(f"no tile matrix set {tms_id!r}; available: {', '.join(sets)}",
                       tileMatrixSet=tms_id)
    found = sets[tms_id]
    return found if found is not None else morecantile.tms.get(tms_id)


def tms_document(tms_id: str, srid: int | None = None) -> dict[str, Any]:
    """Return the OGC TileMatrixSet 2.0 JSON document of ``tms_id`` (see ``tile_matrix_set``)."""
    import json

    doc: dict[str, Any] = json.loads(
        tile_matrix_set(tms_id, srid).model_dump_json(exclude_none=True))
    return doc


def tms_listing(base_url: str, srid: int) -> dict[str, Any]:
    """Return the ``/tileMatrixSets`` document: WebMercatorQuad and the UCS-2000 grid."""
    out = []
    for tms_id, tms in matrix_sets(srid).items():
        title = tms.title if tms is not None else "Google Maps Compatible for the World"
        uri = None if tms is not None else WEB_MERCATOR_URI
        out.append({"id": tms_id, "title": title, **({"uri": uri} if uri else {}),
                    "crs": crs_uri(3857) if tms is None else crs_uri(srid),
                    "links": [{"rel": "self", "type": "application/json",
                               "title": f"{tms_id} tile matrix set",
                               "href": f"{base_url}/tileMatrixSets/{tms_id}"}]})
    return {"tileMatrixSets": out}


ENTRY_LINKS = ("self", "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", "item")


def tileset_entry(doc: dict[str, Any], tms_id: str) -> dict[str, Any]:
    """Return the entry of a tilesets list for the tileset ``doc`` in ``tms_id``.

    Beyond what ``/req/tilesets-list`` asks of an entry, it names its grid
    (``tileMatrixSetId``) and carries its limits and tile templates: a client picks a tileset
    and asks its tiles without reading each tileset first, and the official test suite
    (ets-ogcapi-tiles10) reads them there. Vector and map tilesets alike.

    >>> doc = {"title": "Мапа", "dataType": "vector", "crs": "c", "tileMatrixSetLimits": [],
    ...        "links": [{"rel": "self"}, {"rel": "describedby"}, {"rel": "item"}]}
    >>> e = tileset_entry(doc, "UCS2000TM9"); e["title"], [lk["rel"] for lk in e["links"]]
    ('Мапа (UCS2000TM9)', ['self', 'item'])
    """
    return {"title": f"{doc['title']} ({tms_id})", "dataType": doc["dataType"],
            "crs": doc["crs"],
            **({"tileMatrixSetURI": doc["tileMatrixSetURI"]} if "tileMatrixSetURI" in doc
               else {}),
            "tileMatrixSetId": tms_id, "tileMatrixSetLimits": doc["tileMatrixSetLimits"],
            "links": [lk for lk in doc["links"] if lk.get("rel") in ENTRY_LINKS]}


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


def tile_address(z: str, x: str, y: str) -> tuple[int, int, int]:
    """Return the three integers of a tile address, each spelled one way: ASCII digits, no
    leading zero, no sign but a minus (``int`` also read ``٢٣٥``, ``+1``, `` 1``, ``1_0`` and
    ``01``: one tile at endless addresses, each a cache entry of its own); raise
    InvalidParameter.

    >>> tile_address("14", "9420", "0"), tile_address("3", "0", "-1")
    ((14, 9420, 0), (3, 0, -1))
    >>> tile_address("14", "٢٣٥", "01")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    gis.errors.InvalidParameter: a tile's zoom '14', column '٢٣٥' and row '01' must be whole ...
    """
    zi, xi, yi = (_whole(v) for v in (z, x, y))
    if zi is None or xi is None or yi is None:
        raise InvalidParameter(f"a tile's zoom {shown(z)}, column {shown(x)} and row {shown(y)} "
                               "must be whole numbers in the digits 0–9, without a plus sign or "
                               "a leading zero", parameter="tileMatrix")
    return zi, xi, yi


def _whole(raw: str) -> int | None:
    """Return the integer ``raw`` spells, a negative one too (a row of -1 is outside the
    matrix: a 404, as OGC API - Tiles asks), or None for any other spelling."""
    if raw.startswith("-") and raw != "-0":
        value = object_id(raw[1:])
        return None if value is None else -value
    return object_id(raw)


def parse_tile(z: str, x: str, y: str, max_zoom: int) -> tuple[int, int, int]:
    """Return the integers of a tile address, raising InvalidParameter or NotFound.

    >>> parse_tile("14", "9420", "5594", 20)
    (14, 9420, 5594)
    """
    zi, xi, yi = tile_address(z, x, y)
    if not 0 <= zi <= max_zoom:
        raise NotFound(f"zoom {zi} is outside 0–{max_zoom}", tileMatrix=zi)
    n = 1 << zi
    if not (0 <= xi < n and 0 <= yi < n):
        # named, not z/x/y: the OGC paths write the row first (/{z}/{row}/{col}), the map's
        # XYZ path the column; "tile 14/0/999999" answered /14/999999/0
        raise NotFound(f"tile {zi} row {yi}, column {xi} is outside the tile matrix (rows "
                       f"and columns 0–{n - 1})", tileMatrix=zi, tileRow=yi, tileCol=xi)
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


# -- the UCS-2000 print-scale grid -------------------------------------------------------------
WEB_MERCATOR_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
PRINT_SCALES = (500_000, 250_000, 100_000, 50_000, 25_000, 10_000, 5_000, 2_000, 1_000, 500)
PIXEL_M = 0.28e-3  # OGC's standardised rendering pixel (0.28 mm): scale × pixel = cell size
GRID_TILE_PX = 256
# one frame for every UCS-2000 TM zone: Ukraine's part of any 3° strip lies within easting
# 100–500 km and northing 4,700–5,900 km (a zone's central meridian is at easting 300 km)
GRID_ORIGIN_EN = (100_000.0, 5_900_000.0)  # top-left corner, easting and northing (m)
GRID_SIZE_M = (400_000.0, 1_200_000.0)  # width, height


def ucs2000_grid_id(srid: int) -> str | None:
    """Return the id of the UCS-2000 grid of TM zone ``srid``, or None for another CRS.

    >>> ucs2000_grid_id(6383), ucs2000_grid_id(3857)
    ('UCS2000TM9', None)
    """
    zone = next((z for z, code in UCS2000_TM_ZONES.items() if code == srid), None)
    return None if zone is None else f"UCS2000TM{zone}"


def scale_cell_m(scale: int) -> float:
    """Return the ground size (m) of a pixel at print scale 1:``scale``.

    >>> scale_cell_m(500), scale_cell_m(500_000)
    (0.14, 140.0)
    """
    return round(scale * PIXEL_M, 9)


@lru_cache(maxsize=8)
def ucs2000_tms(srid: int) -> morecantile.TileMatrixSet:
    """Return the UCS-2000 print-scale grid of TM zone ``srid`` (OGC TMS 2.0, northing first).

    Tile matrix ``i`` is at print scale ``PRINT_SCALES[i]``; every matrix shares one corner of
    origin, so a tile's top-left corner lies on whole metres times the cell size.

    >>> tms = ucs2000_tms(6383)
    >>> tms.id, tms.orderedAxes, len(tms.tileMatrices), tms.matrix(9).cellSize
    ('UCS2000TM9', ['N', 'E'], 10, 0.14)
    >>> tms.matrix(9).pointOfOrigin  # northing, easting: the CRS's own axis order
    (5900000.0, 100000.0)
    """
    grid_id = ucs2000_grid_id(srid)
    if grid_id is None:
        raise ValueError(f"EPSG:{srid} is not a UCS-2000 / Ukraine TM zone (EPSG:6381–6387)")
    zone = grid_id.removeprefix("UCS2000TM")
    (e0, n0), (width, height) = GRID_ORIGIN_EN, GRID_SIZE_M
    matrices = []
    for i, scale in enumerate(PRINT_SCALES):
        cell = scale_cell_m(scale)
        side = cell * GRID_TILE_PX
        matrices.append({
            "id": str(i), "title": f"1:{scale:,}".replace(",", " "),
            "description": f"print scale 1:{scale}; {cell:g} m per 0.28 mm pixel",
            "scaleDenominator": float(scale), "cellSize": cell, "cornerOfOrigin": "topLeft",
            "pointOfOrigin": [n0, e0], "tileWidth": GRID_TILE_PX, "tileHeight": GRID_TILE_PX,
            "matrixWidth": math.ceil(width / side - 1e-9),
            "matrixHeight": math.ceil(height / side - 1e-9)})
    return morecantile.TileMatrixSet.model_validate({
        "id": grid_id,
        "title": f"UCS-2000 / Ukraine TM zone {zone}: print scales 1:500 000 – 1:500",
        "description": (f"Tiles in EPSG:{srid} (northing, easting) at the scales Ukrainian "
                        "plans are printed at, with OGC's 0.28 mm pixel; one frame for the "
                        "zone (easting 100–500 km, northing 4700–5900 km)."),
        "crs": crs_uri(srid),
        "orderedAxes": ["N", "E"],
        "boundingBox": {"lowerLeft": [n0 - height, e0], "upperRight": [n0, e0 + width],
                        "crs": crs_uri(srid), "orderedAxes": ["N", "E"]},
        "tileMatrices": matrices,
    })


def matrix_sets(srid: int) -> dict[str, morecantile.TileMatrixSet | None]:
    """Return the tile matrix sets offered with storage CRS ``srid`` by id, in listing order.

    WebMercatorQuad (None: morecantile's registered definition) and, for a UCS-2000 zone, its
    print-scale grid.

    >>> list(matrix_sets(6383))
    ['WebMercatorQuad', 'UCS2000TM9']
    """
    out: dict[str, morecantile.TileMatrixSet | None] = {WEB_MERCATOR_QUAD: None}
    grid_id = ucs2000_grid_id(srid)
    if grid_id is not None:
        out[grid_id] = ucs2000_tms(srid)
    return out


def grid_tile_bounds(tms: morecantile.TileMatrixSet, z: int, x: int, y: int) -> Box:
    """Return (min easting, min northing, max easting, max northing) of tile z/x/y of ``tms``.

    In the set's CRS with x first whatever the CRS's axis order (x: column, y: row from the
    top).

    >>> grid_tile_bounds(ucs2000_tms(6383), 9, 0, 0)
    (100000.0, 5899964.16, 100035.84, 5900000.0)
    """
    m = tms.matrix(z)
    side_x, side_y = m.cellSize * m.tileWidth, m.cellSize * m.tileHeight
    e0, n0 = _origin_en(tms, z)
    return (round(e0 + x * side_x, 6), round(n0 - (y + 1) * side_y, 6),
            round(e0 + (x + 1) * side_x, 6), round(n0 - y * side_y, 6))


def grid_tile_range(tms: morecantile.TileMatrixSet, box: Box, z: int,
                    margin: float = 0.0) -> tuple[int, int, int, int] | None:
    """Return (xmin, ymin, xmax, ymax) of the tiles at ``z`` that ``box`` touches, or None.

    ``box`` is in the set's CRS, easting first; ``margin`` widens it (CRS units). None when
    the box lies outside the matrix altogether.

    >>> grid_tile_range(ucs2000_tms(6383), (299000.0, 5476000.0, 300000.0, 5477000.0), 5)
    (277, 590, 279, 591)
    """
    m = tms.matrix(z)
    side_x, side_y = m.cellSize * m.tileWidth, m.cellSize * m.tileHeight
    e0, n0 = _origin_en(tms, z)
    x0 = math.floor((box[0] - margin - e0) / side_x)
    x1 = math.ceil((box[2] + margin - e0) / side_x) - 1
    y0 = math.floor((n0 - box[3] - margin) / side_y)
    y1 = math.ceil((n0 - box[1] + margin) / side_y) - 1
    if x1 < 0 or y1 < 0 or x0 >= m.matrixWidth or y0 >= m.matrixHeight:
        return None
    return (max(0, x0), max(0, y0), min(m.matrixWidth - 1, max(x0, x1)),
            min(m.matrixHeight - 1, max(y0, y1)))


def parse_grid_tile(tms: morecantile.TileMatrixSet, z: str, x: str,
                    y: str) -> tuple[int, int, int]:
    """Return the integers of a tile address of ``tms`` (x: column, y: row), raising
    InvalidParameter for non-integers and NotFound outside the set.

    >>> parse_grid_tile(ucs2000_tms(6383), "9", "5580", "11494")
    (9, 5580, 11494)
    """
    zi, xi, yi = tile_address(z, x, y)
    if not tms.minzoom <= zi <= tms.maxzoom:
        raise NotFound(f"tile matrix {zi} is not in {tms.id} ({tms.minzoom}–{tms.maxzoom})",
                       tileMatrix=zi)
    m = tms.matrix(zi)
    if not (0 <= xi < m.matrixWidth and 0 <= yi < m.matrixHeight):
        raise NotFound(f"tile {zi} row {yi}, column {xi} is outside the tile matrix of {tms.id} "
                       f"(rows 0–{m.matrixHeight - 1}, columns 0–{m.matrixWidth - 1})",
                       tileMatrix=zi, tileRow=yi, tileCol=xi)
    return zi, xi, yi


def _origin_en(tms: morecantile.TileMatrixSet, z: int) -> tuple[float, float]:
    """Return the corner of origin of matrix ``z`` as (easting, northing)."""
    m = tms.matrix(z)
    a, b = m.pointOfOrigin
    return (b, a) if tms._invert_axis else (a, b)
