"""HTTP faces of the tiles: OGC API – Tiles, an XYZ template, TileJSON and MapLibre styles.

    /tileMatrixSets, /tileMatrixSets/{tms}
    /tiles, /tiles/{tms}, /tiles/{tms}/{z}/{y}/{x}[?collections=a,b]    the city map (all layers)
    /collections/{id}/tiles, …/tiles/{tms}, …/tiles/{tms}/{z}/{y}/{x}    one collection
    /maps, /maps/{map}/tilejson.json, /maps/{map}/style.json, /maps/{map}/{z}/{x}/{y}.mvt

Tiles answer 200 (MVT), 204 (nothing there) or 304 (ETag matches); bad addresses are problem
documents (400 for non-integers, 404 for unknown sets, layers or tiles outside the matrix, and
on the OGC API paths for tiles outside the tileset's limits, ``/req/core/tc-error`` A).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from gis.compression import accepts_gzip
from gis.errors import InvalidParameter, NotFound
from gis.negotiation import json_document, language, not_modified
from gis.params import given_once, shown
from gis.tms import WEB_MERCATOR_QUAD, tms_document, tms_listing
from tiles import documents
from tiles.cache import etag_of, pack, unpack
from tiles.grids import Grid
from tiles.invalidate import Invalidator
from tiles.mvt import CITY, MVT, Source
from tiles.service import TileService

log = logging.getLogger("hromada.tiles")
ASGIApp = Any


def cache_control(svc: TileService) -> str:
    """Return Cache-Control for tiles: revalidate by ETag unless a max-age is configured."""
    return f"public, max-age={svc.max_age_s}" if svc.max_age_s > 0 else "public, no-cache"


def tile_answer(svc: TileService, data: bytes, etag: str, cached: bool,
                if_none_match: str, gzip_ok: bool) -> tuple[int, dict[str, str], bytes]:
    """Return the status, headers and body answering a tile: the one place for a tile's HTTP
    rules, sent by the routes and by the fast path alike (200 MVT, 204 empty, 304 unchanged).

    ``data`` is the packed tile (gzip, ``tiles.cache.pack``): sent as it is with
    ``Content-Encoding: gzip`` when the client accepts that, unpacked otherwise. The ETag names
    the tile, whatever the encoding.
    """
    headers = {"etag": etag, "cache-control": cache_control(svc), "vary": "Accept-Encoding",
               "x-tile-cache": "hit" if cached else "miss", "access-control-allow-origin": "*"}
    if not_modified(if_none_match, etag):
        return 304, headers, b""
    if not data:
        return 204, headers, b""
    if gzip_ok:
        headers["content-encoding"] = "gzip"
    else:
        data = unpack(data)
    return 200, {**headers, "content-type": MVT, "content-length": str(len(data))}, data


def check_tile_format(raw: str | None) -> None:
    """Refuse (400) a vector tile asked in another format than MVT (as a raster tile's ``f``
    is): ``f=png`` or ``f=json`` was answered with the vector tile.

    >>> check_tile_format(None), check_tile_format("mvt")
    (None, None)
    >>> check_tile_format("png")
    Traceback (most recent call last):
    gis.errors.InvalidParameter: f='png': vector tiles come as Mapbox Vector Tiles (f=mvt)
    """
    if raw and raw.lower() not in ("mvt", MVT):
        raise InvalidParameter(f"f={raw[:40]!r}: vector tiles come as Mapbox Vector Tiles "
                               "(f=mvt)", parameter="f")


async def tile_response(svc: TileService, request: Request, sources: list[str], z: str, x: str,
                        y: str, grid: Grid | None = None, tileset: Source | None = None,
                        query: str = "") -> Response:
    """Answer a tile of ``sources`` joined; an OGC API path names its ``tileset`` (and the
    ``query`` that narrows it), whose limits the tile must lie in (404 outside)."""
    # a parameter given twice with two values is a 400, as on the items paths (f=mvt&f=png
    # was answered by its last value)
    check_tile_format(given_once(request.query_params.multi_items()).get("f"))
    failed = request.scope.get(FAST_PATH_ERROR)
    if failed is not None:  # the fast path's render of this very tile failed: answer that
        raise failed
    grid = grid or svc.grid(WEB_MERCATOR_QUAD)
    zi, xi, yi = grid.parse(z, x, y)
    if tileset is not None:
        svc.check_limits(tileset, grid, zi, xi, yi, query)
    parts, hits = [], 0
    for source_id in sources:
        data, cached = await svc.tile(source_id, zi, xi, yi, grid.id)
        parts.append(data)
        hits += cached
    # one source: its packed tile as it is; several: their layers joined into one gzip member
    data = parts[0] if len(parts) == 1 else pack(b"".join(unpack(p) for p in parts))
    status, headers, body = tile_answer(svc, data, etag_of(data), hits == len(sources),
                                        request.headers.get("if-none-match") or "",
                                        accepts_gzip(request.headers.get("accept-encoding", "")))
    return Response(body, status_code=status, headers=headers)


# public documents a web map on another site reads (OpenLayers fetches the tileset and its tile
# matrix set before any tile), like the tiles and TileJSON
CORS = {"Access-Control-Allow-Origin": "*"}


def _grid(svc: TileService, request: Request) -> Grid:
    return svc.grid(request.path_params["tms"])  # NotFound for a set not offered


COLLECTION_URL = re.compile(r"https?://[^/?#]+(?:/[^?#]*)?/collections/([^/?#]+)/?")


def collection_ids(raw: str) -> list[str]:
    """Return the collections ``collections=`` names, by id or by URL
    (``/req/collections-selection/query-collections`` C), each once, in the order given: a
    vector tile's layer names must be unique (MVT 2.1, 4.1).

    >>> collection_ids("streets, https://gis.example.ua/collections/buildings,streets")
    ['streets', 'buildings']
    """
    wanted = []
    for c in (c.strip() for c in raw.split(",")):
        if c.startswith(("http://", "https://")):
            m = COLLECTION_URL.fullmatch(c)
            if m is None:
                raise InvalidParameter(f"collections={shown(c)}: a URL names a collection as "
                                       "…/collections/{collectionId}", parameter="collections")
            c = m.group(1)
        if c:
            wanted.append(c)
    if not wanted:
        raise InvalidParameter("collections= names no collection", parameter="collections")
    return list(dict.fromkeys(wanted))


def _city_selection(svc: TileService, request: Request) -> tuple[Source, str]:
    """Return the city map, or the map of the layers ``collections=a,b`` names (404 for one
    it does not serve), and the query naming them on the tileset's links ("" for all)."""
    city = svc.sources.get(CITY)
    raw = given_once(request.query_params.multi_items()).get("collections")
    if not raw:
        return city, ""
    wanted = collection_ids(raw)
    layers = {reg.id: reg for reg in city.layers}
    for c in wanted:
        svc.sources.collection(c)  # NotFound, naming it
    return Source(CITY, city.title, tuple(layers[c] for c in wanted)), \
        "collections=" + ",".join(wanted)


def tile_routes(svc: TileService) -> list[Route]:
    """Return the Starlette routes of the tiles (mount before the OGC API catch-all)."""

    async def matrix_sets(request: Request) -> Response:
        return JSONResponse(tms_listing(svc.base_url, svc.storage_srid), headers=CORS)

    async def matrix_set(request: Request) -> Response:
        return JSONResponse(tms_document(request.path_params["tms"], svc.storage_srid),
                            headers=CORS)

    async def city_tilesets(request: Request) -> Response:
        return JSONResponse(documents.tilesets(svc, svc.sources.get(CITY)), headers=CORS)

    async def city_tileset(request: Request) -> Response:
        grid = _grid(svc, request)
        source, query = _city_selection(svc, request)
        return JSONResponse(documents.tileset(svc, source, grid.id, query), headers=CORS)

    async def city_tile(request: Request) -> Response:
        grid = _grid(svc, request)
        p = request.path_params
        source, query = _city_selection(svc, request)
        # the whole map is one source (one query); some layers are joined one by one
        layers = [reg.id for reg in source.layers] if query else [CITY]
        return await tile_response(svc, request, layers, p["z"], p["x"], p["y"], grid, source,
                                   query)

    async def collection_tilesets(request: Request) -> Response:
        source = svc.sources.collection(request.path_params["cid"])
        return JSONResponse(documents.tilesets(svc, source), headers=CORS)

    async def collection_tileset(request: Request) -> Response:
        source = svc.sources.collection(request.path_params["cid"])
        grid = _grid(svc, request)
        return JSONResponse(documents.tileset(svc, source, grid.id), headers=CORS)

    async def collection_tile(request: Request) -> Response:
        p = request.path_params
        source = svc.sources.collection(p["cid"])
        grid = _grid(svc, request)
        return await tile_response(svc, request, [source.id], p["z"], p["x"], p["y"], grid,
                                   source)

    async def maps(request: Request) -> Response:
        return JSONResponse(documents.maps(svc))

    async def tilejson(request: Request) -> Response:
        return JSONResponse(documents.tilejson(svc, svc.sources.get(request.path_params["map"])),
                            headers={"Access-Control-Allow-Origin": "*"})

    async def style(request: Request) -> Response:
        lang = language(request.query_params.get("lang"))
        return JSONResponse(documents.style(svc, svc.sources.get(request.path_params["map"]),
                                            lang),
                            headers={"Access-Control-Allow-Origin": "*",
                                     "Content-Language": lang})

    async def glyph_range(request: Request) -> Response:
        return await glyph_response(svc, request)

    async def xyz(request: Request) -> Response:
        p = request.path_params
        source = svc.sources.get(p["map"])
        return await tile_response(svc, request, [source.id], p["z"], p["x"], p["y"])

    return [
        Route("/tileMatrixSets", json_document(matrix_sets)),
        Route("/tileMatrixSets/{tms}", json_document(matrix_set)),
        # pygeoapi's spelling: its own list named grids no tile here is cut in (WorldCRS84Quad)
        # and not the city's UCS-2000 one
        Route("/TileMatrixSets", json_document(matrix_sets)),
        Route("/TileMatrixSets/{tms}", json_document(matrix_set)),
        Route("/tiles", json_document(city_tilesets)),
        Route("/tiles/{tms}", json_document(city_tileset)),
        Route("/tiles/{tms}/{z}/{y}/{x}", city_tile),
        Route("/collections/{cid}/tiles", json_document(collection_tilesets)),
        Route("/collections/{cid}/tiles/{tms}", json_document(collection_tileset)),
        Route("/collections/{cid}/tiles/{tms}/{z}/{y}/{x}", collection_tile),
        Route("/maps", json_document(maps)),
        Route("/maps/{map}/tilejson.json", json_document(tilejson)),
        Route("/maps/{map}/style.json", json_document(style)),
        Route("/maps/{map}/{z}/{x}/{y}.mvt", xyz),
        Route("/fonts/{fontstack}/{range}.pbf", glyph_range),
    ]


GLYPH_RANGE = re.compile(r"(\d{1,5})-(\d{1,5})")


async def glyph_response(svc: TileService, request: Request) -> Response:
    """Answer ``/fonts/{fontstack}/{start}-{end}.pbf``: 256 SDF glyphs of a label font."""
    stack, wanted = request.path_params["fontstack"], request.path_params["range"]
    m = GLYPH_RANGE.fullmatch(wanted)
    start = int(m.group(1)) if m else -1
    if m is None or start % 256 or int(m.group(2)) != start + 255 or start > 65280:
        raise InvalidParameter(f"glyph range {wanted!r} must be N-(N+255) with N a multiple "
                               "of 256 up to 65280", parameter="range")
    glyphs = svc.glyphs
    data = None if glyphs is None else await run_in_threadpool(glyphs.range, stack, start)
    if data is None:
        known = ", ".join(glyphs.names) if glyphs else "none"
        raise NotFound(f"no font {stack!r} is served; fonts: {known}", font=stack)
    etag = etag_of(data)
    headers = {"etag": etag, "cache-control": "public, max-age=86400", "vary": "Accept-Encoding",
               "access-control-allow-origin": "*"}
    if not_modified(request.headers.get("if-none-match"), etag):
        return Response(b"", status_code=304, headers=headers)
    if accepts_gzip(request.headers.get("accept-encoding", "")):
        data = await run_in_threadpool(glyphs.packed, stack, start)  # type: ignore[union-attr]
        headers["content-encoding"] = "gzip"
    return Response(data, media_type="application/x-protobuf", headers=headers)


FAST_PATH_ERROR = "hromada.tile_error"  # scope key: the fast path's render failed with this


class TileFastPath:
    """Serve plain tile GETs straight from the ASGI scope, in front of the whole app.

    A plain GET (no query string, no ``Authorization`` header) of a tile in the cache is a
    regex match and a memory or file read here; it never reaches routing, the rate limiter or
    authentication. That is deliberate: a cached tile is public (personal fields never go into
    tiles), the same for every caller and costs no database work, which is what the anonymous
    rate limit protects — as a CDN in front would serve it. A miss is rendered here too when
    ``admit`` (the app's rate limiter: it takes the client's token) lets it through. Everything
    else falls through to the app: a miss ``admit`` refuses (429 there), credentials (a bad
    token must still get its 401), addresses that do not parse (a problem document there) and
    a render that failed (the error travels in the scope, the route re-raises it and the app's
    handlers answer, e.g. 503 while the database is away, without a second attempt).
    """

    # pattern, group of the source (None: the city), group of the grid (None:
    # WebMercatorQuad), groups of z, x, y
    PATTERNS = (
        (re.compile(r"^/tiles/(\w+)/(\d+)/(\d+)/(\d+)$"), None, 0, (1, 3, 2)),
        (re.compile(r"^/collections/([^/]+)/tiles/(\w+)/(\d+)/(\d+)/(\d+)$"), 0, 1,
         (2, 4, 3)),
        (re.compile(r"^/maps/([^/]+)/(\d+)/(\d+)/(\d+)\.mvt$"), 0, None, (1, 2, 3)),
    )

    def __init__(self, app: ASGIApp, service: TileService,
                 admit: Callable[[Scope], bool] | None = None) -> None:
        self.app = app
        self.svc = service
        self.admit = admit

    def _match(self, path: str) -> tuple[str, int, int, int, str] | None:
        for pattern, source_at, grid_at, (zi, xi, yi) in self.PATTERNS:
            m = pattern.match(path)
            if m is None:
                continue
            g = m.groups()
            source = CITY if source_at is None else g[source_at]
            if source not in self.svc.sources.by_id or (source == CITY and source_at == 0
                                                        and not path.startswith("/maps/")):
                return None
            grid = self.svc.grids.get(WEB_MERCATOR_QUAD if grid_at is None else g[grid_at])
            if grid is None:
                return None
            z, x, y = int(g[zi]), int(g[xi]), int(g[yi])
            if not grid.contains(z, x, y):
                return None
            if not path.startswith("/maps/"):  # an OGC API tile: the route says why not
                try:
                    self.svc.check_limits(self.svc.sources.get(source), grid, z, x, y)
                except NotFound:
                    return None
            return source, z, x, y, grid.id
        return None

    def _plain(self, scope: Scope) -> tuple[str, int, int, int, str] | None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["query_string"]:
            return None
        for name, _ in scope["headers"]:
            if name == b"authorization":
                return None
        return self._match(scope["path"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._plain(scope)
        if found is None:
            await self.app(scope, receive, send)
            return
        try:
            hit = self.svc.cached(*found)
        except Exception:  # e.g. an unreadable cache file: rendered below or by the app
            log.warning("tile cache read failed for %s", found, exc_info=True)
            hit = None
        cached = True
        if hit is None:
            if self.admit is None or not self.admit(scope):
                await self.app(scope, receive, send)
                return
            try:
                data, cached = await self.svc.tile(*found)
            except Exception as exc:
                await self.app({**scope, FAST_PATH_ERROR: exc}, receive, send)
                return
            hit = (data, etag_of(data))
        matches = encodings = ""
        for k, v in scope["headers"]:
            if k == b"if-none-match":
                matches = v.decode("latin-1")
            elif k == b"accept-encoding":
                encodings = v.decode("latin-1")
        status, headers, body = tile_answer(self.svc, hit[0], hit[1], cached, matches,
                                            accepts_gzip(encodings))
        await send({"type": "http.response.start", "status": status,
                    "headers": [(k.encode(), v.encode()) for k, v in headers.items()]})
        await send({"type": "http.response.body", "body": body})


class FreshAfterWrites:
    """Read-your-writes: before answering a successful write, apply the change feed.

    The feed is followed in the background anyway (LISTEN/NOTIFY, milliseconds); this makes
    the client that just edited see its edit in the very next tile it asks for.
    """

    def __init__(self, app: ASGIApp, invalidator: Invalidator | None) -> None:
        self.app = app
        self.invalidator = invalidator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        inv = self.invalidator
        if (inv is None or scope["type"] != "http"
                or scope["method"] in ("GET", "HEAD", "OPTIONS")):
            await self.app(scope, receive, send)
            return

        async def send_after_drain(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                try:
                    await run_in_threadpool(inv.drain)
                except Exception:  # the listener catches up; never fail the write's answer
                    log.warning("could not apply the change feed after a write", exc_info=True)
            await send(message)

        await self.app(scope, receive, send_after_drain)

