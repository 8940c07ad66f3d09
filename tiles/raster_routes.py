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
from collections.abc import Callable, MutableMapping
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from gis.crs import (
    CRS84,
    crs_param,
    crs_uri,
    is_northing_first,
    output_crs_uris,
    refuse_beyond_degrees,
)
from gis.errors import InvalidParameter, MethodNotAllowed, NotFound
from gis.negotiation import (
    LANGUAGES,
    acceptable,
    choices,
    json_document,
    language,
    not_modified,
    page_or_json,
    prefers_html,
)
from gis.params import given_once
from gis.rasters import RasterRecord
from gis.tms import (
    WEB_MERCATOR_QUAD,
    parse_grid_tile,
)
from tiles.raster import (
    FORMATS,
    GEOTIFF,
    RENDER_VERSION,
    CoverageRequest,
    coverage,
    has_tile,
    render_tile,
)
from tiles.raster_documents import (
    RasterService,
    as_page,
    collection,
    collection_page,
    raster_list,
    schema,
    tilejson,
    tileset,
    tilesets,
    wmts_capabilities,
)

ASGIApp = Callable[..., Any]
# what the raster routes add to /conformance (each has a test in tests/test_rasters_http.py)
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-coverages-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-coverages-1/1.0/conf/geotiff",
    "http://www.opengis.net/spec/ogcapi-coverages-1/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/png",
]


# -- request parsing --------------------------------------------------------------------------
def tile_format(request: Request) -> str:
    """Return png or webp from ``f=`` (default png)."""
    # (a parameter given twice with two values is a 400, as on the items paths)
    f = (given_once(request.query_params.multi_items()).get("f") or "png").lower() \
        .removeprefix("image/")
    if f not in FORMATS:
        raise InvalidParameter(f"f={f!r}: raster tiles come as {' or '.join(FORMATS)}",
                               parameter="f")
    return f


def _crs_param(request: Request, name: str, default: str | int | None,
               ) -> str | int | None:
    raw = given_once(request.query_params.multi_items()).get(name)
    return crs_param(raw, name) if raw else default


def coverage_request(request: Request, rec: RasterRecord,
                     storage_srid: int) -> CoverageRequest:
    """Parse ``bbox``, ``bbox-crs``, ``crs`` and ``Prefer: handling`` of a coverage request."""
    q = given_once(request.query_params.multi_items())
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
        refuse_beyond_degrees(box, box_crs or "OGC:CRS84", q["bbox"])
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
    if not_modified(request.headers.get("if-none-match"), etag):
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
        asked = {k.lower(): v for k, v in request.query_params.items()}
        # SERVICE is not checked: QGIS asks a WMTS's capabilities with SERVICE=WMS
        if asked.get("request", "GetCapabilities").lower() != "getcapabilities":
            # RESTful only: a KVP GetTile answered with the capabilities looked like success
            raise InvalidParameter(
                f"request={asked['request'][:40]!r} is not served: this WMTS is RESTful; "
                "GetCapabilities gives each layer's tile URL template (ResourceURL)",
                parameter="request")
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
        if rec.dated:  # its one temporal slice, as the collection's temporal extent says
            headers["content-datetime"] = f"{rec.dated.isoformat()}T00:00:00Z"
        return Response(cov.data, media_type=GEOTIFF, headers=headers)

    return [
        Route("/rasters", json_document(listing)),
        Route("/rasters/wmts", wmts),
        Route("/rasters/{name}/tilejson.json", json_document(tilejson_doc)),
        Route("/rasters/{name}/{z}/{x}/{y}.{fmt}", xyz),
        Route("/collections/{name}/map/tiles", json_document(map_tilesets)),
        Route("/collections/{name}/map/tiles/{tms}", json_document(map_tileset)),
        Route("/collections/{name}/map/tiles/{tms}/{z}/{y}/{x}", map_tile),
        Route("/collections/{name}/coverage", coverage_data),
    ]


READ_ONLY = "GET, HEAD, OPTIONS"  # what a raster's collection and schema answer
# renders an OGC API page: (template, its data, language) → HTML (ogc.html.render_page)
PageRenderer = Callable[[str, dict[str, Any], str], str]


class RasterCollections:
    """ASGI wrapper of the OGC API: raster collections beside the registries' ones.

    ``/collections`` gets the rasters the caller may see appended, in JSON and on its HTML page
    (rendered by ``page`` from the JSON list, so that both list the same collections);
    ``/collections/{name}`` and ``/collections/{name}/schema`` of a raster are answered here,
    as JSON or as a page in the frame of the registries' pages. Everything else, and every
    registry collection, passes through untouched.
    """

    def __init__(self, app: ASGIApp, svc: RasterService, page: PageRenderer) -> None:
        self.app = app
        self.svc = svc
        self.page = page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "").rstrip("/") if scope["type"] == "http" else ""
        if scope["type"] != "http" or not path.startswith("/collections"):
            await self.app(scope, receive, send)
            return
        parts = path.split("/")[2:]
        request = Request(scope)
        reading = scope["method"] in ("GET", "HEAD")
        if len(parts) in (1, 2) and (len(parts) == 1 or parts[1] == "schema"):
            rec = await run_in_threadpool(self._visible, parts[0], self.svc.staff(request))
            if rec is not None and not reading:  # the OGC API's 404 told OPTIONS it was absent
                if scope["method"] != "OPTIONS":
                    raise MethodNotAllowed(f"this resource answers {READ_ONLY} only",
                                           allow=READ_ONLY)
                await Response(status_code=204, headers={"allow": READ_ONLY})(
                    scope, receive, send)
                return
            if rec is not None:
                # a page is rendered and its CRS looked up in PROJ: off the event loop
                answer = await run_in_threadpool(self._raster, request, rec, len(parts) == 1)
                await answer(scope, receive, send)
                return
        if parts or not reading:  # a staff-only raster too: the OGC API's 404, as if absent
            await self.app(scope, receive, send)
            return
        f = given_once(request.query_params.multi_items()).get("f")  # f=json&f=html: a 400
        if (f.lower() == "html") if f else prefers_html(request.headers.get("accept")):
            await self._listing_page(scope, send, request)
            return
        await self._listing(scope, receive, send, self.svc.staff(request))

    def _raster(self, request: Request, rec: RasterRecord, described: bool) -> Response:
        """Return a raster's collection (``described``) or schema, as JSON or its page."""
        page = page_or_json(given_once(request.query_params.multi_items()).get("f"),
                            request.headers.get("accept"))
        lang = asked_language(request, page)
        base = f"{self.svc.base_url}/collections/{rec.name}"
        headers = {"content-language": lang, "vary": "Accept, Accept-Language"}
        if page:
            data = collection_page(self.svc, rec, lang) if described else \
                as_page(schema(rec, self.svc.base_url, lang), f"{base}/schema")
            html = self.page("collections/raster.html" if described
                             else "collections/raster_schema.html", data, lang)
            return HTMLResponse(html, headers=headers)
        if described:
            return JSONResponse(collection(self.svc, rec, lang), headers=headers)
        return JSONResponse(schema(rec, self.svc.base_url, lang), headers=headers,
                            media_type="application/schema+json")

    def _visible(self, name: str, staff: bool) -> RasterRecord | None:
        try:
            return self.svc.catalogue.get(name, staff)
        except NotFound:
            return None

    async def _answer(self, scope: Scope, receive: Receive) -> tuple[dict[str, Any], bytes]:
        """Return the wrapped app's answer to ``scope``: its start message and its body."""
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        return start, b"".join(chunks)

    async def _listing_document(self, start: dict[str, Any], body: bytes, staff: bool
                                ) -> dict[str, Any] | None:
        """Return the JSON collections list the wrapped app answered (``start``, ``body``)
        with the rasters ``staff`` (or the public) may see appended, in its language; None
        for any other answer (an error, a JSON-LD list)."""
        headers = {k.lower(): v for k, v in start.get("headers", [])}
        if start.get("status") != 200 or \
                not headers.get(b"content-type", b"").startswith(b"application/json"):
            return None
        try:
            doc = json.loads(gzip.decompress(body) if headers.get(b"content-encoding") == b"gzip"
                             else body)
        except (OSError, ValueError):
            return None
        if not isinstance(doc, dict) or not isinstance(doc.get("collections"), list):
            return None
        lang = language(headers.get(b"content-language", b"").decode("latin-1"))
        rasters = await run_in_threadpool(self.svc.catalogue.visible, staff)
        doc["collections"].extend(collection(self.svc, r, lang) for r in rasters)
        return doc

    async def _listing(self, scope: Scope, receive: Receive, send: Send,
                       staff: bool) -> None:
        start, body = await self._answer(scope, receive)
        doc = await self._listing_document(start, body, staff)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        if doc is not None:  # zipped again when it came zipped (pygeoapi's gzip)
            out = json.dumps(doc, ensure_ascii=False).encode()
            body = gzip.compress(out) if body.startswith(b"\x1f\x8b") else out
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _listing_page(self, scope: Scope, send: Send, request: Request) -> None:
        """Answer the HTML page of ``/collections``: the JSON list (the registries' and the
        rasters'), rendered, so that the page and the JSON list the same collections. An
        error of the JSON list is answered as the page's own."""
        lang = language(request.query_params.get("lang"))
        # the list as JSON in the page's language, whatever the browser's Accept-Language
        # says; each f and lang kept in its place, so that one given twice is refused as such
        query = [(k, "json" if k == "f" else lang if k == "lang" else v)
                 for k, v in request.query_params.multi_items()]
        query += [(k, v) for k, v in (("f", "json"), ("lang", lang))
                  if k not in request.query_params]
        asked = {**scope, "method": "GET", "query_string": urlencode(query).encode()}
        start, body = await self._answer(asked, no_body)
        doc = await self._listing_document(start, body, self.svc.staff(request))
        if doc is None:
            await self.app({**scope, "method": "GET"}, no_body, send)
            return
        href = f"{self.svc.base_url}/collections"
        data = {**as_page(doc, href), "base_url": self.svc.base_url, "collections_path": href}
        html = await run_in_threadpool(self.page, "collections/index.html", data, lang)
        keep = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (
            b"content-type", b"content-length", b"content-encoding", b"content-language")]
        await HTMLResponse(html, headers={"content-language": lang})(
            scope, no_body, _with_headers(send, keep))

async def no_body() -> dict[str, Any]:
    """The ``receive`` of a GET asked on a request's behalf: no body."""
    return {"type": "http.request", "body": b"", "more_body": False}


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    async def wrapped(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


def asked_language(request: Request, page: bool) -> str:
    """Return the language a raster's document is asked in: ``lang``; for JSON without it,
    the first of ours ``Accept-Language`` names (as pygeoapi reads it for the registries'
    documents); a page without ``lang`` is Ukrainian, as every page is (its switch says
    ``?lang=en``)."""
    asked = request.query_params.get("lang")
    if not asked and not page:
        ranked = sorted(choices(acceptable(request.headers.get("accept-language", ""))),
                        key=lambda c: -c[2])
        asked = next((tag for tag, _, _ in ranked
                      if tag.split("-", 1)[0].lower() in LANGUAGES), None)
    return language(asked)
