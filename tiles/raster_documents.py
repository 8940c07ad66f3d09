"""JSON and XML documents about the published rasters: TileJSON, OGC API – Tiles tilesets,
the coverage collection and its schema, the ``/rasters`` listing and WMTS 1.0.0 capabilities."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import morecantile
from pyproj import CRS as ProjCRS
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from gis.auth import Principal
from gis.crs import CRS84, crs_uri, is_northing_first, output_crs_uris
from gis.rasters import RasterRecord
from gis.tms import (
    WEB_MERCATOR_QUAD,
    WEB_MERCATOR_URI,
    matrix_sets,
    tile_matrix_set,
    tileset_entry,
)
from gis.writing import date_in, measure_in, number_in
from tiles.raster import (
    FORMATS,
    GEOTIFF,
    CatalogueSnapshot,
    Readers,
    TileMemory,
    over_cell_limit,
    tile_limits,
)

REL = "http://www.opengis.net/def/rel/ogc/1.0/"
WEBMERCATOR_MAX_Z = 24
MERCATOR_RES0 = 156_543.03392804097  # m per pixel at z0 on the equator (256 px tiles)


@dataclass
class RasterService:
    """What the raster routes need, built by the app (``app/raster_server.py``)."""

    catalogue: CatalogueSnapshot
    raster_dir: Path
    base_url: str
    storage_srid: int
    authenticate: Callable[[Request], Principal]
    memory: TileMemory
    readers: Readers
    max_coverage_cells: int
    max_age_s: int = 0

    def staff(self, request: Request) -> bool:
        return not self.authenticate(request).is_public

    async def raster(self, request: Request, name: str | None = None) -> RasterRecord:
        staff = self.staff(request)
        return await run_in_threadpool(self.catalogue.get,
                                       name or request.path_params["name"], staff)

    def path(self, rec: RasterRecord) -> Path:
        return self.raster_dir / rec.file

    def tms(self, tms_id: str) -> morecantile.TileMatrixSet:
        return tile_matrix_set(tms_id, self.storage_srid)


# -- documents --------------------------------------------------------------------------------
def native_zoom(rec: RasterRecord) -> int:
    """Return the WebMercatorQuad zoom whose pixels are just finer than the raster's."""
    lat = (rec.lonlat_bounds[1] + rec.lonlat_bounds[3]) / 2
    metres = rec.res_x * 111_320 * math.cos(math.radians(lat)) if is_geographic(rec.crs) \
        else rec.res_x
    ground0 = MERCATOR_RES0 * math.cos(math.radians(lat))
    return max(0, min(WEBMERCATOR_MAX_Z, math.ceil(math.log2(ground0 / max(metres, 1e-6)))))


@lru_cache(maxsize=64)
def is_geographic(crs: str) -> bool:
    """Return True for a CRS in degrees (the raster's resolution is then in degrees)."""
    return bool(ProjCRS.from_user_input(crs).is_geographic)


def xyz_template(svc: RasterService, rec: RasterRecord, fmt: str = "png") -> str:
    return f"{svc.base_url}/rasters/{rec.name}/{{z}}/{{x}}/{{y}}.{fmt}"


def tilejson(svc: RasterService, rec: RasterRecord) -> dict[str, Any]:
    """Return TileJSON 3.0.0 of a raster in WebMercatorQuad."""
    w, s, e, n = rec.lonlat_bounds
    top = native_zoom(rec)
    return {"tilejson": "3.0.0", "name": rec.title, "description": rec.source_document,
            "scheme": "xyz", "tiles": [xyz_template(svc, rec)],
            "minzoom": max(0, top - 8), "maxzoom": top,
            "bounds": [round(v, 7) for v in (w, s, e, n)],
            "center": [round((w + e) / 2, 7), round((s + n) / 2, 7), max(0, top - 3)]}


def _tms_uri(tms_id: str) -> str | None:
    return WEB_MERCATOR_URI if tms_id == WEB_MERCATOR_QUAD else None


def _tile_template(svc: RasterService, rec: RasterRecord, tms_id: str, fmt: str) -> str:
    return (f"{svc.base_url}/collections/{rec.name}/map/tiles/{tms_id}"
            f"/{{tileMatrix}}/{{tileRow}}/{{tileCol}}?f={fmt}")


def tileset(svc: RasterService, rec: RasterRecord, tms_id: str) -> dict[str, Any]:
    """Return the OGC API – Tiles tileset metadata of a raster in ``tms_id``, with limits."""
    tms = svc.tms(tms_id)
    limits = [{"tileMatrix": str(z), "minTileRow": y0, "maxTileRow": y1, "minTileCol": x0,
               "maxTileCol": x1} for z, (x0, y0, x1, y1) in tile_limits(rec, tms).items()]
    base = f"{svc.base_url}/collections/{rec.name}/map/tiles/{tms_id}"
    uri = _tms_uri(tms_id)
    return {
        "title": rec.title, "description": rec.source_document, "dataType": "map",
        "crs": crs_uri(3857) if tms_id == WEB_MERCATOR_QUAD else crs_uri(svc.storage_srid),
        **({"tileMatrixSetURI": uri} if uri else {}),
        "tileMatrixSetLimits": limits,
        "links": [
            {"rel": "self", "type": "application/json", "href": base},
            {"rel": f"{REL}tiling-scheme", "type": "application/json",
             "href": f"{svc.base_url}/tileMatrixSets/{tms_id}"},
            *({"rel": "item", "type": media, "templated": True,
               "href": _tile_template(svc, rec, tms_id, fmt)}
              for fmt, (_, media) in FORMATS.items()),
        ]}


def tilesets(svc: RasterService, rec: RasterRecord) -> dict[str, Any]:
    """Return the list of map tilesets of a raster (one per tile matrix set), entries as
    ``gis.tms.tileset_entry`` writes them for the vector tilesets too."""
    return {"tilesets": [tileset_entry(tileset(svc, rec, tms_id), tms_id)
                         for tms_id in matrix_sets(svc.storage_srid)]}


def _fields(rec: RasterRecord) -> dict[str, dict[str, Any]]:
    names = {"rgb": ["red", "green", "blue"], "rgba": ["red", "green", "blue", "alpha"],
             "gray": ["grey"], "gray-alpha": ["grey", "alpha"], "paletted": ["class"]}[rec.kind]
    return {n: {"title": n, "type": "integer", "minimum": 0, "maximum": 255,
                "x-ogc-propertySeq": i + 1,
                "x-ogc-variableType": "categoricalNominal" if rec.kind == "paletted"
                else "continuous"} for i, n in enumerate(names)}


def collection(svc: RasterService, rec: RasterRecord, lang: str = "uk") -> dict[str, Any]:
    """Return the OGC API collection description of a raster (a coverage with map tiles),
    titled for readers of ``lang`` (``RasterRecord.title_in``) as the registries' are."""
    base = f"{svc.base_url}/collections/{rec.name}"
    storage = crs_uri(rec.srid) if rec.srid else rec.crs
    w, s, e, n = rec.lonlat_bounds
    x0, y0, x1, y1 = rec.bounds
    # storageCrsBbox and grid in the storage CRS's axis order, as its coverage's Content-Bbox
    # (EPSG:4326 too: it was longitude first here and latitude first there)
    flip = rec.srid is not None and is_northing_first(rec.srid)
    columns = {"cellsCount": rec.width, "resolution": rec.res_x}
    rows = {"cellsCount": rec.height, "resolution": rec.res_y}
    spatial: dict[str, Any] = {
        "bbox": [[round(v, 7) for v in (w, s, e, n)]], "crs": CRS84, "storageCrsBbox": [
            [y0, x0, y1, x1] if flip else [x0, y0, x1, y1]],
        "grid": [rows, columns] if flip else [columns, rows]}
    extent: dict[str, Any] = {"spatial": spatial}
    if rec.dated:
        extent["temporal"] = {"interval": [[f"{rec.dated}T00:00:00Z", f"{rec.dated}T00:00:00Z"]]}
    crss = output_crs_uris(svc.storage_srid)
    if storage not in crss:
        crss = [storage, *crss]
    return {
        "id": rec.name, "title": rec.title_in(lang), "description": rec.source_document,
        "dataType": "coverage", "itemType": "coverage", "storageCrs": storage, "crs": crss,
        "extent": extent,
        "links": [
            {"rel": "self", "type": "application/json", "href": base},
            {"rel": f"{REL}coverage", "type": GEOTIFF, "title": "GeoTIFF",
             "href": f"{base}/coverage"},
            {"rel": f"{REL}schema", "type": "application/schema+json",
             "href": f"{base}/schema"},
            # the domain (extent, grid) and range type (bands) are in this description and
            # its schema; the official suite asks for the links by these names
            {"rel": f"{REL}coverage-domainset", "type": "application/json",
             "title": "Domain: this description's extent and grid", "href": base},
            {"rel": f"{REL}coverage-rangetype", "type": "application/schema+json",
             "title": "Range type: the bands", "href": f"{base}/schema"},
            {"rel": f"{REL}tilesets-map", "type": "application/json",
             "title": "Map tiles", "href": f"{base}/map/tiles"},
            {"rel": "describedby", "type": "application/json", "title": "TileJSON",
             "href": f"{svc.base_url}/rasters/{rec.name}/tilejson.json"},
        ]}


def schema(rec: RasterRecord, base_url: str, lang: str = "uk") -> dict[str, Any]:
    """Return the logical schema (JSON Schema) of a raster's fields: its bands."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{base_url}/collections/{rec.name}/schema", "title": rec.title_in(lang),
            "type": "object", "properties": _fields(rec)}


def as_page(doc: dict[str, Any], href: str) -> dict[str, Any]:
    """Return the JSON document ``doc`` (a collection, a schema, the collections list) as the
    data of its HTML page at ``href``: the page is ``self``, the JSON its ``alternate`` (what
    the pages' frame links as JSON and as canonical, as in pygeoapi's own pages).

    >>> as_page({"links": [{"rel": "self", "type": "application/json", "href": "/c/o"}]},
    ...         "/c/o")["links"]  # doctest: +NORMALIZE_WHITESPACE
    [{'rel': 'self', 'type': 'text/html', 'href': '/c/o?f=html'},
     {'rel': 'alternate', 'type': 'application/json', 'href': '/c/o'}]
    """
    links = [lk for lk in doc.get("links", []) if lk.get("type") != "text/html"]
    json_link = next((lk for lk in links if lk.get("rel") == "self"), None)
    rest = [lk for lk in links if lk is not json_link]
    alternate = [{**json_link, "rel": "alternate"}] if json_link else [
        {"rel": "alternate", "type": "application/json", "href": f"{href}?f=json"}]
    return {**doc, "links": [{"rel": "self", "type": "text/html", "href": f"{href}?f=html"},
                             *alternate, *rest]}


def collection_page(svc: RasterService, rec: RasterRecord, lang: str) -> dict[str, Any]:
    """Return the data of a raster collection's HTML page (``collections/raster.html``): its
    collection document, and under ``hromada`` what the page shows beside it, numbers and
    dates written as ``lang`` writes them (``gis.writing``)."""
    base = f"{svc.base_url}/collections/{rec.name}"
    doc = as_page(collection(svc, rec, lang), base)
    crs_name, unit = crs_reading(rec.srid if rec.srid is not None else rec.crs)
    doc["hromada"] = {
        "kind": rec.kind, "bands": list(_fields(rec)), "public": rec.public,
        "dated": date_in(rec.dated.isoformat(), lang) if rec.dated else "",
        "crs": crs_name,
        "size": f"{number_in(rec.width, lang)} × {number_in(rec.height, lang)}",
        "resolution": [measure_in(rec.res_x, lang), measure_in(rec.res_y, lang)],
        "unit": unit,
        # the whole coverage (its own CRS, its own grid) as tiles.raster.coverage cuts it
        "whole": not over_cell_limit(rec.width, rec.height, svc.max_coverage_cells),
        "max_cells": number_in(
            svc.max_coverage_cells, lang),
        "tilejson": f"{svc.base_url}/rasters/{rec.name}/tilejson.json",
        "coverage": f"{base}/coverage", "tilesets": f"{base}/map/tiles",
        "schema": f"{base}/schema"}
    return doc


@lru_cache(maxsize=64)
def crs_reading(crs: int | str) -> tuple[str, str]:
    """Return how a raster's page names its CRS (an EPSG code, or WKT) and the unit of its
    pixel size: "degree", "metre", or PROJ's name of another unit (a plan in feet). Kept:
    a raster's CRS does not change, and PROJ's lookup costs milliseconds a page.

    >>> crs_reading(6383)
    ('EPSG:6383 (UCS-2000 / Ukraine TM zone 9)', 'metre')
    >>> crs_reading(4326)
    ('EPSG:4326 (WGS 84)', 'degree')
    """
    found = ProjCRS.from_epsg(crs) if isinstance(crs, int) else ProjCRS.from_user_input(crs)
    name = f"EPSG:{crs} ({found.name})" if isinstance(crs, int) else found.name
    if found.is_geographic:
        return name, "degree"
    return name, found.axis_info[0].unit_name if found.axis_info else ""


def raster_list(svc: RasterService, staff: bool) -> dict[str, Any]:
    """Return the ``/rasters`` document: every raster the caller may see, with its links."""
    return {"rasters": [public_entry(svc, r) for r in svc.catalogue.visible(staff)]}


def public_entry(svc: RasterService, rec: RasterRecord) -> dict[str, Any]:
    """Return one raster for a map client: title, kind, date, bounds, TileJSON and tiles."""
    return {"name": rec.name, "title": rec.title, "title_en": rec.title_in("en"), "kind": rec.kind,
            "public": rec.public, "dated": rec.dated.isoformat() if rec.dated else None,
            "source_document": rec.source_document,
            "bounds": [round(v, 7) for v in rec.lonlat_bounds],
            "tilejson": f"{svc.base_url}/rasters/{rec.name}/tilejson.json",
            "tiles": xyz_template(svc, rec),
            "collection": f"{svc.base_url}/collections/{rec.name}"}


# -- WMTS (QGIS reads custom grids through it) ------------------------------------------------
def _wmts_matrix_set(tms_id: str, tms: morecantile.TileMatrixSet, srid: int,
                     top_z: int) -> str:
    epsg = 3857 if tms_id == WEB_MERCATOR_QUAD else srid
    rows = []
    for m in tms.tileMatrices:
        if int(m.id) > top_z:
            continue
        a, b = m.pointOfOrigin  # CRS axis order, as WMTS wants it
        rows.append(f"<TileMatrix><ows:Identifier>{m.id}</ows:Identifier>"
                    f"<ScaleDenominator>{m.scaleDenominator!r}</ScaleDenominator>"
                    f"<TopLeftCorner>{a!r} {b!r}</TopLeftCorner>"
                    f"<TileWidth>{m.tileWidth}</TileWidth><TileHeight>{m.tileHeight}</TileHeight>"
                    f"<MatrixWidth>{m.matrixWidth}</MatrixWidth>"
                    f"<MatrixHeight>{m.matrixHeight}</MatrixHeight></TileMatrix>")
    wkss = ("<WellKnownScaleSet>urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible"
            "</WellKnownScaleSet>" if tms_id == WEB_MERCATOR_QUAD else "")
    return (f"<TileMatrixSet><ows:Identifier>{tms_id}</ows:Identifier>"
            f"<ows:SupportedCRS>urn:ogc:def:crs:EPSG::{epsg}</ows:SupportedCRS>{wkss}"
            + "".join(rows) + "</TileMatrixSet>")


def wmts_capabilities(svc: RasterService, rasters: list[RasterRecord]) -> str:
    """Return WMTS 1.0.0 capabilities (RESTful) of ``rasters`` in both tile matrix sets."""
    sets = {k: svc.tms(k) for k in matrix_sets(svc.storage_srid)}
    layers = []
    for rec in rasters:
        w, s, e, n = rec.lonlat_bounds
        links = []
        for tms_id, tms in sets.items():
            limits = "".join(
                f"<TileMatrixLimits><TileMatrix>{z}</TileMatrix><MinTileRow>{y0}</MinTileRow>"
                f"<MaxTileRow>{y1}</MaxTileRow><MinTileCol>{x0}</MinTileCol>"
                f"<MaxTileCol>{x1}</MaxTileCol></TileMatrixLimits>"
                for z, (x0, y0, x1, y1) in tile_limits(rec, tms).items() if z <= _top(tms_id))
            links.append(f"<TileMatrixSetLink><TileMatrixSet>{tms_id}</TileMatrixSet>"
                         f"<TileMatrixSetLimits>{limits}</TileMatrixSetLimits>"
                         "</TileMatrixSetLink>")
        urls = "".join(
            f"<ResourceURL format=\"{media}\" resourceType=\"tile\" template="
            + quoteattr(f"{svc.base_url}/collections/{rec.name}/map/tiles/{{TileMatrixSet}}"
                        f"/{{TileMatrix}}/{{TileRow}}/{{TileCol}}?f={fmt}") + "/>"
            for fmt, (_, media) in FORMATS.items())
        layers.append(
            f"<Layer><ows:Title>{escape(rec.title)}</ows:Title>"
            f"<ows:Abstract>{escape(rec.source_document)}</ows:Abstract>"
            f"<ows:WGS84BoundingBox><ows:LowerCorner>{w!r} {s!r}</ows:LowerCorner>"
            f"<ows:UpperCorner>{e!r} {n!r}</ows:UpperCorner></ows:WGS84BoundingBox>"
            f"<ows:Identifier>{escape(rec.name)}</ows:Identifier>"
            "<Style isDefault=\"true\"><ows:Identifier>default</ows:Identifier></Style>"
            + "".join(f"<Format>{media}</Format>" for _, media in FORMATS.values())
            + "".join(links) + urls + "</Layer>")
    matrices = "".join(_wmts_matrix_set(k, t, svc.storage_srid, _top(k))
                       for k, t in sets.items())
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
            "<Capabilities xmlns=\"http://www.opengis.net/wmts/1.0\" "
            "xmlns:ows=\"http://www.opengis.net/ows/1.1\" "
            "xmlns:xlink=\"http://www.w3.org/1999/xlink\" version=\"1.0.0\">"
            "<ows:ServiceIdentification><ows:Title>Hromada GIS rasters</ows:Title>"
            "<ows:ServiceType>OGC WMTS</ows:ServiceType>"
            "<ows:ServiceTypeVersion>1.0.0</ows:ServiceTypeVersion>"
            "</ows:ServiceIdentification>"
            f"<Contents>{''.join(layers)}{matrices}</Contents>"
            f"<ServiceMetadataURL xlink:href=\"{escape(svc.base_url)}/rasters/wmts\"/>"
            "</Capabilities>")


def _top(tms_id: str) -> int:
    return 22 if tms_id == WEB_MERCATOR_QUAD else 99
