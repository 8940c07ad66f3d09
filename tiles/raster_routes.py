"""HTTP faces of the published rasters: map tiles in both grids, TileJSON, WMTS, coverages.

    /rasters                                              the rasters the caller may see
    /rasters/{name}/tilejson.json                         TileJSON 3.0.0 (WebMercatorQuad)
    /rasters/{name}/{z}/{x}/{y}.png|.webp                 XYZ tiles (WebMercatorQuad)
    /rasters/wmts                                         WMTS 1.0.0 capabilities (QGIS)
    /collections/{name}/map/tiles                         OGC API – Tiles map tilesets
    /collections/{name}/map/tiles/{tms}                   … one tileset, with its limits
    /collections/{name}/map/tiles/{tms}/{z}/{y}/{x}       … a tile (?f=png|webp)
    /collections/{name}/coverage                          OGC API – Coverages (GeoTIFF)
    /collections, /collections/{name}, …/schema           via ``RasterCollections``

``{tms}`` is WebMercatorQuad or the UCS-2000 grid (``gis.tms.matrix_sets``). A staff-only
raster answers exactly as an absent one (404) to the public everywhere. Tiles answer 200,
204 (inside the raster's tile limits but nothing drawn there), 304 (ETag: the file's content
hash + the tile's address) or 404 outside the limits; never a 500 for an address.
"""

from __future__ import annotations

import gzip
import json
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
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gis.auth import Principal
from gis.crs import CRS84, crs_uri, is_northing_first, output_crs_uris, srid_from_uri
from gis.errors import InvalidParameter, NotFound
from gis.rasters import RasterRecord
from gis.tms import (
    WEB_MERCATOR_QUAD,
    WEB_MERCATOR_URI,
    matrix_sets,
    parse_grid_tile,
    tile_matrix_set,
)
from tiles.raster import (
    FORMATS,
    GEOTIFF,
    RENDER_VERSION,
    CatalogueSnapshot,
    CoverageRequest,
    Readers,
    TileMemory,
    coverage,
    has_tile,
    render_tile,
    tile_limits,
)

ASGIApp = Callable[..., Any]
REL = "http://www.opengis.net/def/rel/ogc/1.0/"
# what the raster routes add to /conformance (each has a test in tests/test_rasters_http.py)
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-coverages-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-coverages-1/1.0/conf/geotiff",
    "http://www.opengis.net/spec/ogcapi-coverages-1/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/png",
]
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
    """Return the list of map tilesets of a raster (one per tile matrix set)."""
    out = []
    for tms_id in matrix_sets(svc.storage_srid):
        doc = tileset(svc, rec, tms_id)
        out.append({"title": f"{rec.title} ({tms_id})", "dataType": "map", "crs": doc["crs"],
                    **({"tileMatrixSetURI": doc["tileMatrixSetURI"]}
                       if "tileMatrixSetURI" in doc else {}),
                    "links": doc["links"][:2]})
    return {"tilesets": out}


def _fields(rec: RasterRecord) -> dict[str, dict[str, Any]]:
    names = {"rgb": ["red", "green", "blue"], "rgba": ["red", "green", "blue", "alpha"],
             "gray": ["grey"], "gray-alpha": ["grey", "alpha"], "paletted": ["class"]}[rec.kind]
    return {n: {"title": n, "type": "integer", "minimum": 0, "maximum": 255,
                "x-ogc-propertySeq": i + 1,
                "x-ogc-variableType": "categoricalNominal" if rec.kind == "paletted"
                else "continuous"} for i, n in enumerate(names)}


def collection(svc: RasterService, rec: RasterRecord) -> dict[str, Any]:
    """Return the OGC API collection description of a raster (a coverage with map tiles)."""
    base = f"{svc.base_url}/collections/{rec.name}"
    storage = crs_uri(rec.srid) if rec.srid else rec.crs
    w, s, e, n = rec.lonlat_bounds
    x0, y0, x1, y1 = rec.bounds
    flip = rec.srid is not None and is_northing_first(rec.srid) and rec.srid != 4326
    spatial: dict[str, Any] = {
        "bbox": [[round(v, 7) for v in (w, s, e, n)]], "crs": CRS84, "storageCrsBbox": [
            [y0, x0, y1, x1] if flip else [x0, y0, x1, y1]],
        "grid": [{"cellsCount": rec.width, "resolution": rec.res_x},
                 {"cellsCount": rec.height, "resolution": rec.res_y}]}
    extent: dict[str, Any] = {"spatial": spatial}
    if rec.dated:
        extent["temporal"] = {"interval": [[f"{rec.dated}T00:00:00Z", f"{rec.dated}T00:00:00Z"]]}
    crss = output_crs_uris(svc.storage_srid)
    if storage not in crss:
        crss = [storage, *crss]
    return {
        "id": rec.name, "title": rec.title, "description": rec.source_document,
        "dataType": "coverage", "itemType": "coverage", "storageCrs": storage, "crs": crss,
        "extent": extent,
        "links": [
            {"rel": "self", "type": "application/json", "href": base},
            {"rel": f"{REL}coverage", "type": GEOTIFF, "title": "GeoTIFF",
             "href": f"{base}/coverage"},
            {"rel": f"{REL}schema", "type": "application/schema+json",
             "href": f"{base}/schema"},
            {"rel": f"{REL}tilesets-map", "type": "application/json",
             "title": "Map tiles", "href": f"{base}/map/tiles"},
            {"rel": "describedby", "type": "application/json", "title": "TileJSON",
             "href": f"{svc.base_url}/rasters/{rec.name}/tilejson.json"},
        ]}


def schema(rec: RasterRecord, base_url: str) -> dict[str, Any]:
    """Return the logical schema (JSON Schema) of a raster's fields: its bands."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{base_url}/collections/{rec.name}/schema", "title": rec.title,
            "type": "object", "properties": _fields(rec)}


def raster_list(svc: RasterService, staff: bool) -> dict[str, Any]:
    """Return the ``/rasters`` document: every raster the caller may see, with its links."""
    return {"rasters": [public_entry(svc, r) for r in svc.catalogue.visible(staff)]}


def public_entry(svc: RasterService, rec: RasterRecord) -> dict[str, Any]:
    """Return one raster for a map client: title, kind, date, bounds, TileJSON and tiles."""
    return {"name": rec.name, "title": rec.title, "kind": rec.kind,
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


# -- request parsing --------------------------------------------------------------------------
def tile_format(request: Request) -> str:
    """Return png or webp from ``f=`` (default png)."""
    f = (request.query_params.get("f") or "png").lower().removeprefix("image/")
    if f not in FORMATS:
        raise InvalidParameter(f"f={f!r}: raster tiles come as {' or '.join(FORMATS)}",
                               parameter="f")
    return f


def _crs_param(request: Request, name: str, default: str | int | None,
               ) -> str | int | None:
    raw = request.query_params.get(name)
    if not raw:
        return default
    try:
        return srid_from_uri(raw)
    except ValueError:
        raise InvalidParameter(f"{name}={raw!r} is not a CRS URI or safe CURIE such as "
                               f"{crs_uri(6383)} or [EPSG:6383]", parameter=name) from None


def coverage_request(request: Request, rec: RasterRecord,
                     storage_srid: int) -> CoverageRequest:
    """Parse ``bbox``, ``bbox-crs``, ``crs`` and ``Prefer: handling`` of a coverage request."""
    q = request.query_params
    for unsupported in ("subset", "scale-factor", "scale-size", "width", "height",
                        "properties", "datetime"):
        if unsupported in q:
            raise InvalidParameter(f"{unsupported}= is not supported here; cut by bbox "
                                   "(and bbox-crs) instead", parameter=unsupported)
    f = (q.get("f") or "geotiff").lower()
    if f not in ("geotiff", "tif", "tiff", "image/tiff", GEOTIFF):
        raise InvalidParameter(f"f={f!r}: coverages come as GeoTIFF (f=geotiff)", parameter="f")
    offered = set(output_crs_uris(storage_srid)) | ({crs_uri(rec.srid)} if rec.srid else set())
    out_crs = _crs_param(request, "crs", None)
    if isinstance(out_crs, int) and crs_uri(out_crs) not in offered:
        raise InvalidParameter(f"crs: EPSG:{out_crs} is not offered for {rec.name!r}; see the "
                               "collection's crs list", parameter="crs")
    box_crs = _crs_param(request, "bbox-crs", "OGC:CRS84")
    box = None
    if q.get("bbox"):
        try:
            values = [float(v) for v in q["bbox"].split(",")]
        except ValueError:
            raise InvalidParameter(f"bbox={q['bbox']!r} must be four numbers",
                                   parameter="bbox") from None
        if len(values) != 4 or not all(map(math.isfinite, values)):
            raise InvalidParameter(f"bbox={q['bbox']!r} must be four finite numbers",
                                   parameter="bbox")
        a, b, c, d = values
        if box_crs != "OGC:CRS84" and box_crs is not None and is_northing_first(box_crs):
            a, b, c, d = b, a, d, c  # the CRS's own axis order: northing (latitude) first
        if a >= c or b >= d:
            raise InvalidParameter(f"bbox={q['bbox']!r}: the lower corner must come first",
                                   parameter="bbox")
        box = (a, b, c, d)
    strict = "handling=strict" in request.headers.get("prefer", "").replace(" ", "")
    return CoverageRequest(box=box, box_crs=box_crs or "OGC:CRS84", crs=out_crs, strict=strict)


# -- the routes -------------------------------------------------------------------------------
def cache_headers(svc: RasterService, rec: RasterRecord, etag: str) -> dict[str, str]:
    public = "public" if rec.public else "private"
    age = f"max-age={svc.max_age_s}" if rec.public and svc.max_age_s > 0 else "no-cache"
    return {"etag": etag, "cache-control": f"{public}, {age}",
            "access-control-allow-origin": "*"}


async def tile_answer(svc: RasterService, request: Request, rec: RasterRecord,
                      tms_id: str, z: str, x: str, y: str, fmt: str) -> Response:
    """Answer one tile: 200 image, 204 nothing drawn, 304 unchanged, 404 outside."""
    tms = svc.tms(tms_id)
    zi, xi, yi = parse_grid_tile(tms, z, x, y)
    if not await run_in_threadpool(has_tile, rec, tms, zi, xi, yi):
        raise NotFound(f"tile {zi}/{yi}/{xi} of {tms_id} is outside raster {rec.name!r}",
                       tileMatrix=zi, tileRow=yi, tileCol=xi)
    key = f"{rec.version}.{RENDER_VERSION}.{tms_id}.{zi}.{xi}.{yi}.{fmt}"
    etag = f'"{key}"'
    headers = cache_headers(svc, rec, etag)
    if etag in (request.headers.get("if-none-match") or "").split(", "):
        return Response(status_code=304, headers=headers)
    data = svc.memory.get(key)
    headers["x-tile-cache"] = "hit" if data is not None else "miss"
    if data is None:
        data = await run_in_threadpool(render_tile, svc.readers, svc.path(rec), rec, tms, zi,
                                       xi, yi, fmt)
        svc.memory.put(key, data)
    if not data:
        return Response(status_code=204, headers=headers)
    return Response(data, media_type=FORMATS[fmt][1], headers=headers)


def raster_routes(svc: RasterService) -> list[Route]:
    """Return the raster routes (mount before the OGC API catch-all)."""

    async def listing(request: Request) -> Response:
        staff = svc.staff(request)
        return JSONResponse(await run_in_threadpool(raster_list, svc, staff))

    async def tilejson_doc(request: Request) -> Response:
        rec = await svc.raster(request)
        return JSONResponse(tilejson(svc, rec), headers={"access-control-allow-origin": "*"})

    async def xyz(request: Request) -> Response:
        p = request.path_params
        rec = await svc.raster(request)
        fmt = str(p["fmt"])
        if fmt not in FORMATS:
            raise NotFound(f"no tile format {fmt!r}; use .png or .webp")
        return await tile_answer(svc, request, rec, WEB_MERCATOR_QUAD, p["z"], p["x"], p["y"],
                                 fmt)

    async def wmts(request: Request) -> Response:
        staff = svc.staff(request)
        rasters = await run_in_threadpool(svc.catalogue.visible, staff)
        xml = await run_in_threadpool(wmts_capabilities, svc, rasters)
        return Response(xml, media_type="application/xml",
                        headers={"access-control-allow-origin": "*"})

    async def map_tilesets(request: Request) -> Response:
        rec = await svc.raster(request)
        return JSONResponse(await run_in_threadpool(tilesets, svc, rec))

    async def map_tileset(request: Request) -> Response:
        rec = await svc.raster(request)
        return JSONResponse(await run_in_threadpool(tileset, svc, rec,
                                                    request.path_params["tms"]))

    async def map_tile(request: Request) -> Response:
        p = request.path_params
        rec = await svc.raster(request)
        return await tile_answer(svc, request, rec, p["tms"], p["z"], p["x"], p["y"],
                                 tile_format(request))

    async def coverage_data(request: Request) -> Response:
        rec = await svc.raster(request)
        req = coverage_request(request, rec, svc.storage_srid)
        cov = await run_in_threadpool(coverage, svc.path(rec), rec, req,
                                      svc.max_coverage_cells)
        epsg = cov.crs.to_epsg()
        crs = CRS84 if req.crs == "OGC:CRS84" else crs_uri(epsg) if epsg else cov.crs.to_wkt()
        x0, y0, x1, y1 = cov.bounds
        flip = req.crs != "OGC:CRS84" and epsg is not None and is_northing_first(epsg)
        bbox = (y0, x0, y1, x1) if flip else (x0, y0, x1, y1)
        headers = {"content-crs": f"<{crs}>", "content-bbox": ",".join(f"{v!r}" for v in bbox),
                   "content-disposition": f'attachment; filename="{rec.name}.tif"',
                   "access-control-allow-origin": "*",
                   "cache-control": "public, no-cache" if rec.public else "private, no-cache"}
        if cov.downsampled:
            headers["content-interpolation"] = "[ogc-interpolation:average]"
        return Response(cov.data, media_type=GEOTIFF, headers=headers)

    return [
        Route("/rasters", listing),
        Route("/rasters/wmts", wmts),
        Route("/rasters/{name}/tilejson.json", tilejson_doc),
        Route("/rasters/{name}/{z:int}/{x:int}/{y:int}.{fmt}", xyz),
        Route("/collections/{name}/map/tiles", map_tilesets),
        Route("/collections/{name}/map/tiles/{tms}", map_tileset),
        Route("/collections/{name}/map/tiles/{tms}/{z}/{y}/{x}", map_tile),
        Route("/collections/{name}/coverage", coverage_data),
    ]


class RasterCollections:
    """ASGI wrapper of the OGC API: raster collections beside the registries' ones.

    ``/collections`` (JSON) gets the rasters the caller may see appended;
    ``/collections/{name}`` and ``/collections/{name}/schema`` of a raster are answered here
    (JSON only); everything else, and every registry collection, passes through untouched.
    """

    def __init__(self, app: ASGIApp, svc: RasterService) -> None:
        self.app = app
        self.svc = svc

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "").rstrip("/") if scope["type"] == "http" else ""
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or \
                not path.startswith("/collections"):
            await self.app(scope, receive, send)
            return
        parts = path.split("/")[2:]
        request = Request(scope)
        if len(parts) in (1, 2) and (len(parts) == 1 or parts[1] == "schema"):
            rec = await run_in_threadpool(self._visible, parts[0], self.svc.staff(request))
            if rec is not None:
                doc = collection(self.svc, rec) if len(parts) == 1 else \
                    schema(rec, self.svc.base_url)
                media = "application/json" if len(parts) == 1 else "application/schema+json"
                await JSONResponse(doc, media_type=media)(scope, receive, send)
                return
        if parts:  # a staff-only raster falls through too: the OGC API's own 404, as if absent
            await self.app(scope, receive, send)
            return
        await self._listing(scope, receive, send, self.svc.staff(request))

    def _visible(self, name: str, staff: bool) -> RasterRecord | None:
        try:
            return self.svc.catalogue.get(name, staff)
        except NotFound:
            return None

    async def _listing(self, scope: dict[str, Any], receive: Any, send: Any,
                       staff: bool) -> None:
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        headers = {k.lower(): v for k, v in start.get("headers", [])}
        if start.get("status") == 200 and \
                headers.get(b"content-type", b"").startswith(b"application/json"):
            rasters = await run_in_threadpool(self.svc.catalogue.visible, staff)
            body = self._append(body, headers.get(b"content-encoding") == b"gzip", rasters)
        out = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        out.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": out})
        await send({"type": "http.response.body", "body": body})

    def _append(self, body: bytes, zipped: bool, rasters: list[RasterRecord]) -> bytes:
        if not rasters:
            return body
        try:
            doc = json.loads(gzip.decompress(body) if zipped else body)
        except (OSError, ValueError):
            return body
        if not isinstance(doc.get("collections"), list):
            return body
        doc["collections"].extend(collection(self.svc, r) for r in rasters)
        out = json.dumps(doc, ensure_ascii=False).encode()
        return gzip.compress(out) if zipped else out
