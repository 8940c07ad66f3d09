"""The public routes of ours in the OpenAPI document, beside pygeoapi's Features paths.

pygeoapi describes what it serves (landing, conformance, collections, items, queryables); a
developer reading ``/openapi`` (Swagger UI behind "API description") also needs the address
search, the parcel report, the open-data files and the vector tiles. Staff routes (editing,
verification, imports) are left out: they are not an API for the public.
``tests/test_conformance_classes.py`` validates the whole document against OpenAPI 3.0 and
``tests/test_fuzz.py`` fuzzes these paths with it.
"""

from __future__ import annotations

from typing import Any

from ingest.export import FORMATS
from ogc.openapi import param
from registries.catalog import Catalog

TAG = {"name": "hromada", "description": "Search, parcel reports, open-data files and vector "
                                         "tiles of the city's registries"}
TILE_TYPE = "application/vnd.mapbox-vector-tile"


def _get(summary: str, parameters: list[dict[str, Any]], media: dict[str, str],
         description: str = "", operation: str = "") -> dict[str, Any]:
    """Return a GET operation answering ``media`` (type → what it is), 400 and 404;
    ``operation`` is its operationId (OGC API – Tiles names its resources by the suffix,
    ``/req/oas30/operation-id``: ``….dataset.vector.getTile``)."""
    ok = {"description": "OK", "content": {m: {"schema": {}} for m in media}}
    if len(media) > 1:
        ok["description"] = "; ".join(f"{m}: {what}" for m, what in media.items())
    problem = {"description": "a problem document (RFC 9457) naming what is wrong",
               "content": {"application/problem+json": {"schema": {"type": "object"}}}}
    get = {"tags": [TAG["name"]], "summary": summary, "description": description,
           "parameters": parameters, "responses": {"200": ok, "400": problem, "404": problem}}
    if operation:
        get["operationId"] = f"hromada.{operation}"
    return {"get": get}


def public_paths(catalog: Catalog) -> dict[str, Any]:
    """Return the OpenAPI ``paths`` of our public read routes."""
    public = sorted(r.id for r in catalog if r.public)
    lon = param("lon", "query", "longitude (WGS 84)",
                 {"type": "number", "minimum": -180, "maximum": 180}, required=True)
    lat = param("lat", "query", "latitude (WGS 84)",
                 {"type": "number", "minimum": -90, "maximum": 90}, required=True)
    lang = param("lang", "query", "language of the page: uk (default) or en; a language "
                  "tag by its primary subtag (en-GB is en), any other Ukrainian",
                  {"type": "string", "enum": ["uk", "en"]})
    f = param("f", "query", "json or html (default: by the Accept header)",
               {"type": "string", "enum": ["json", "html"]})
    tms = param("tileMatrixSetId", "path", "the tile grid: WebMercatorQuad or the city's "
                 "UCS-2000 grid (see /tileMatrixSets)", {"type": "string"})
    z = param("tileMatrix", "path", "zoom level", {"type": "integer", "minimum": 0})
    row = param("tileRow", "path", "row (from the top)", {"type": "integer", "minimum": 0})
    col = param("tileCol", "path", "column (from the left)", {"type": "integer", "minimum": 0})
    layers = param("collections", "query", "comma-separated collections to include "
                    "(default: every layer of the map)", {"type": "string"})
    tile = {TILE_TYPE: "Mapbox Vector Tile; 204 where the tile holds nothing, 404 outside the "
                       "tileset's limits"}
    collection = param("collectionId", "path", "the collection", {"type": "string",
                                                                   "enum": public})
    # rasters come and go while the server runs (gis raster add): any name; /rasters lists them
    raster = param("rasterId", "path", "the raster's collection id (see /rasters)",
                    {"type": "string"})
    return {
        "/search": _get("Find an address, a cadastral number, a permit, a name", [
            param("q", "query", "the text as a resident types it (any apostrophe, Latin "
                   "transliteration, former street names)", {"type": "string"}, required=True),
            param("collections", "query", f"comma-separated collections to search: "
                   f"{', '.join(public)}", {"type": "string"}),
            param("limit", "query", "results, 1–50", {"type": "integer", "minimum": 1,
                                                       "maximum": 50, "default": 10}),
        ], {"application/json": "results with their label, collection, id and geometry"}),
        "/search/reverse": _get("The nearest address to a point", [
            lon, lat, param("radius", "query", "search radius in metres, 1–5000",
                             {"type": "integer", "minimum": 1, "maximum": 5000,
                              "default": 250})],
            {"application/json": "the address with its distance in metres"}),
        "/search/place": _get("What is at a point: address, parcel, zones, restrictions",
                              [lon, lat], {"application/json": "the objects at the point"}),
        "/reports/parcels/{cadastralNumber}": _get("A land parcel's report", [
            param("cadastralNumber", "path", "NNNNNNNNNN:ZZ:QQQ:PPPP",
                   {"type": "string", "pattern": r"^\d{10}:\d{2}:\d{3}:\d{4}$"}), f, lang],
            {"application/json": "the report", "text/html": "the printable page"},
            "category, purpose, ownership, area (declared and computed), zones, restrictions "
            "and neighbours; a natural person's data are never shown"),
        "/downloads": _get("The open-data sets and their files", [f, lang],
                           {"application/json": "the list", "text/html": "the page"}),
        "/downloads/{file}": _get("One registry as a file", [
            param("file", "path", "the collection's file: "
                   + ", ".join(f"{{collection}}{suffix}" for _, suffix in FORMATS.values()),
                   {"type": "string"})],
            {media.split(";")[0]: fmt for fmt, (media, _) in FORMATS.items()},
            "personal data of natural persons stripped as in every public output; byte ranges "
            "and ETags"),
        "/tileMatrixSets": _get("The tile grids", [], {"application/json": "the list"},
                                operation="getTileMatrixSetsList"),
        "/tileMatrixSets/{tileMatrixSetId}": _get("One tile grid", [tms],
                                                  {"application/json": "its definition"},
                                                  operation="getTileMatrixSet"),
        "/tiles": _get("The city map's tilesets", [], {"application/json": "the list"},
                       operation="dataset.vector.getTileSetsList"),
        "/tiles/{tileMatrixSetId}": _get(
            "The city map's tileset in one grid", [tms, layers],
            {"application/json": "its layers, limits and tile template"},
            operation="dataset.vector.getTileSet"),
        "/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}": _get(
            "A vector tile of the city map", [tms, z, row, col, layers], tile,
            operation="dataset.vector.getTile"),
        "/collections/{collectionId}/tiles": _get(
            "One collection's tilesets", [collection], {"application/json": "the list"},
            operation="collection.vector.getTileSetsList"),
        "/collections/{collectionId}/tiles/{tileMatrixSetId}": _get(
            "One collection's tileset in one grid", [collection, tms],
            {"application/json": "its layer, limits and tile template"},
            operation="collection.vector.getTileSet"),
        "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}":
            _get("A vector tile of one collection", [collection, tms, z, row, col], tile,
                 operation="collection.vector.getTile"),
        # the published rasters (scanned plans, orthophotos): coverages and map tiles
        "/rasters": _get("The published rasters", [], {"application/json": "the list, with "
                                                       "each one's TileJSON and tiles"}),
        "/collections/{rasterId}": _get(
            "A raster's collection: extent, CRS, bands, links", [raster, f, lang],
            {"application/json": "the collection", "text/html": "its page, with a map"},
            "a staff-only raster is, for the public, the 404 of a name never added"),
        "/collections/{rasterId}/schema": _get(
            "A raster's bands", [raster, f, lang],
            {"application/schema+json": "the bands as a JSON Schema", "text/html": "the page"}),
        "/collections/{rasterId}/coverage": _get(
            "A raster as a GeoTIFF, or the part of it in a box", [
                raster,
                param("bbox", "query", "the box to cut: 4 numbers in bbox-crs's axis order",
                       {"type": "string"}),
                param("bbox-crs", "query", "the CRS of bbox (default CRS84)",
                       {"type": "string"}),
                param("crs", "query", "the GeoTIFF's CRS: one of the collection's crs list "
                       "(default the raster's own)", {"type": "string"}),
                param("f", "query", "geotiff (the default)", {"type": "string",
                                                               "enum": ["geotiff"]})],
            {"image/tiff; application=geotiff": "the coverage; Content-Crs and Content-Bbox "
                                                "say where it lies"},
            "OGC API – Coverages (core, geotiff, crs); over the server's cell limit it is "
            "downsampled, or refused (413) with Prefer: handling=strict",
            operation="collection.coverage.getCoverage"),
        "/collections/{rasterId}/map/tiles": _get(
            "A raster's map tilesets", [raster], {"application/json": "the list"},
            operation="collection.map.getTileSetsList"),
        "/collections/{rasterId}/map/tiles/{tileMatrixSetId}": _get(
            "A raster's map tileset in one grid", [raster, tms],
            {"application/json": "its limits and tile template"},
            operation="collection.map.getTileSet"),
        "/collections/{rasterId}/map/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}":
            _get("A map tile of a raster", [raster, tms, z, row, col,
                                            param("f", "query", "png (the default) or webp",
                                                   {"type": "string",
                                                    "enum": ["png", "webp"]})],
                 {"image/png": "the tile; 204 where the raster has no pixel, 404 outside its "
                               "limits", "image/webp": "the same tile as WebP"},
                 operation="collection.map.getTile"),
    }
