"""HTTP faces of the tiles: OGC API – Tiles, an XYZ template, TileJSON and MapLibre styles.

    /tileMatrixSets, /tileMatrixSets/{tms}
    /tiles, /tiles/{tms}, /tiles/{tms}/{z}/{y}/{x}[?collections=a,b]    the city map (all layers)
    /collections/{id}/tiles, …/tiles/{tms}, …/tiles/{tms}/{z}/{y}/{x}    one collection
    /maps, /maps/{map}/tilejson.json, /maps/{map}/style.json, /maps/{map}/{z}/{x}/{y}.mvt

Tiles answer 200 (MVT), 204 (nothing there) or 304 (ETag matches); bad addresses are problem
documents (400 for non-integers, 404 for unknown sets, layers or tiles outside the matrix).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gis.errors import InvalidParameter
from gis.tms import parse_tile, tile_matrix_set, tms_document
from tiles import documents
from tiles.invalidate import Invalidator
from tiles.mvt import CITY, MVT
from tiles.service import TileService, etag_of

log = logging.getLogger("hromada.tiles")
ASGIApp = Any


def cache_control(svc: TileService) -> str:
    """Return Cache-Control for tiles: revalidate by ETag unless a max-age is configured."""
    return f"public, max-age={svc.max_age_s}" if svc.max_age_s > 0 else "public, no-cache"


async def tile_response(svc: TileService, request: Request, sources: list[str], z: str, x: str,
                        y: str) -> Response:
    zi, xi, yi = parse_tile(z, x, y, svc.max_zoom)
    parts, hits = [], 0
    for source_id in sources:
        data, cached = await svc.tile(source_id, zi, xi, yi)
        parts.append(data)
        hits += cached
    data = b"".join(parts)
    etag = etag_of(data)
    headers = {"ETag": etag, "Cache-Control": cache_control(svc),
               "X-Tile-Cache": "hit" if hits == len(sources) else "miss",
               "Access-Control-Allow-Origin": "*"}
    if etag in (request.headers.get("if-none-match") or "").split(", "):
        return Response(status_code=304, headers=headers)
    if not data:
        return Response(status_code=204, headers=headers)
    return Response(data, media_type=MVT, headers=headers)


def _tms(request: Request) -> str:
    tms = request.path_params["tms"]
    tile_matrix_set(tms)  # NotFound for an unknown set
    return str(tms)


def _city_layers(svc: TileService, request: Request) -> list[str]:
    """Return the sources a dataset tile concatenates: the city, or ``collections=a,b``."""
    raw = request.query_params.get("collections")
    if not raw:
        return [CITY]
    wanted = [c.strip() for c in raw.split(",") if c.strip()]
    for c in wanted:
        svc.sources.collection(c)
    if not wanted:
        raise InvalidParameter("collections= names no collection", parameter="collections")
    return wanted


def tile_routes(svc: TileService) -> list[Route]:
    """Return the Starlette routes of the tiles (mount before the OGC API catch-all)."""

    async def matrix_sets(request: Request) -> Response:
        return JSONResponse({"tileMatrixSets": [{
            "id": "WebMercatorQuad", "title": "Google Maps Compatible for the World",
            "uri": documents.TMS_URI, "links": [{
                "rel": "self", "type": "application/json",
                "href": f"{svc.base_url}/tileMatrixSets/WebMercatorQuad"}]}]})

    async def matrix_set(request: Request) -> Response:
        return JSONResponse(tms_document(request.path_params["tms"]))

    async def city_tilesets(request: Request) -> Response:
        return JSONResponse(documents.tilesets(svc, svc.sources.get(CITY)))

    async def city_tileset(request: Request) -> Response:
        _tms(request)
        return JSONResponse(documents.tileset(svc, svc.sources.get(CITY)))

    async def city_tile(request: Request) -> Response:
        _tms(request)
        p = request.path_params
        return await tile_response(svc, request, _city_layers(svc, request), p["z"], p["x"],
                                   p["y"])

    async def collection_tilesets(request: Request) -> Response:
        source = svc.sources.collection(request.path_params["cid"])
        return JSONResponse(documents.tilesets(svc, source))

    async def collection_tileset(request: Request) -> Response:
        source = svc.sources.collection(request.path_params["cid"])
        _tms(request)
        return JSONResponse(documents.tileset(svc, source))

    async def collection_tile(request: Request) -> Response:
        p = request.path_params
        source = svc.sources.collection(p["cid"])
        _tms(request)
        return await tile_response(svc, request, [source.id], p["z"], p["x"], p["y"])

    async def maps(request: Request) -> Response:
        return JSONResponse(documents.maps(svc))

    async def tilejson(request: Request) -> Response:
        return JSONResponse(documents.tilejson(svc, svc.sources.get(request.path_params["map"])),
                            headers={"Access-Control-Allow-Origin": "*"})

    async def style(request: Request) -> Response:
        return JSONResponse(documents.style(svc, svc.sources.get(request.path_params["map"])),
                            headers={"Access-Control-Allow-Origin": "*"})

    async def xyz(request: Request) -> Response:
        p = request.path_params
        source = svc.sources.get(p["map"])
        return await tile_response(svc, request, [source.id], p["z"], p["x"], p["y"])

    return [
        Route("/tileMatrixSets", matrix_sets),
        Route("/tileMatrixSets/{tms}", matrix_set),
        Route("/tiles", city_tilesets),
        Route("/tiles/{tms}", city_tileset),
        Route("/tiles/{tms}/{z}/{y}/{x}", city_tile),
        Route("/collections/{cid}/tiles", collection_tilesets),
        Route("/collections/{cid}/tiles/{tms}", collection_tileset),
        Route("/collections/{cid}/tiles/{tms}/{z}/{y}/{x}", collection_tile),
        Route("/maps", maps),
        Route("/maps/{map}/tilejson.json", tilejson),
        Route("/maps/{map}/style.json", style),
        Route("/maps/{map}/{z}/{x}/{y}.mvt", xyz),
    ]


class TileFastPath:
    """Serve cached tiles straight from the ASGI scope, in front of the whole app.

    A plain GET of a tile that is in the cache costs a regex match and a file read here; the
    request never reaches routing, the rate limiter or authentication. That is deliberate: a
    cached tile is public (personal fields never go into tiles), the same for every caller and
    costs no database work, which is what the anonymous rate limit protects — as a CDN in front
    would serve it. Everything else falls through to the app: a miss (rendered there, under the
    rate limit), a query string, an ``Authorization`` header (a bad token must still get its
    401), an address that does not parse (a problem document there).
    """

    PATTERNS = (
        (re.compile(r"^/tiles/WebMercatorQuad/(\d+)/(\d+)/(\d+)$"), None, (0, 2, 1)),
        (re.compile(r"^/collections/([^/]+)/tiles/WebMercatorQuad/(\d+)/(\d+)/(\d+)$"), 0,
         (1, 3, 2)),
        (re.compile(r"^/maps/([^/]+)/(\d+)/(\d+)/(\d+)\.mvt$"), 0, (1, 2, 3)),
    )

    def __init__(self, app: ASGIApp, service: TileService) -> None:
        self.app = app
        self.svc = service
        self.cache_control = cache_control(service).encode()

    def _match(self, path: str) -> tuple[str, int, int, int] | None:
        for pattern, source_at, (zi, xi, yi) in self.PATTERNS:
            m = pattern.match(path)
            if m is None:
                continue
            g = m.groups()
            source = CITY if source_at is None else g[source_at]
            if source not in self.svc.sources.by_id or (source == CITY and source_at == 0
                                                        and not path.startswith("/maps/")):
                return None
            z, x, y = int(g[zi]), int(g[xi]), int(g[yi])
            n = 1 << min(z, 30)
            if z > self.svc.max_zoom or x >= n or y >= n:
                return None
            return source, z, x, y
        return None

    def _hit(self, scope: dict[str, Any]) -> bytes | None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["query_string"]:
            return None
        found = self._match(scope["path"])
        if found is None:
            return None
        for name, _ in scope["headers"]:
            if name == b"authorization":
                return None
        try:
            return self.svc.cached(*found)
        except Exception:  # e.g. an unreadable cache file: the full path renders it
            log.warning("tile cache read failed for %s", found, exc_info=True)
            return None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        data = self._hit(scope)
        if data is None:
            await self.app(scope, receive, send)
            return
        etag = etag_of(data).encode()
        headers = [(b"etag", etag), (b"cache-control", self.cache_control),
                   (b"x-tile-cache", b"hit"), (b"access-control-allow-origin", b"*")]
        status = 200 if data else 204
        for name, value in scope["headers"]:
            if name == b"if-none-match" and etag in value.split(b", "):
                status, data = 304, b""
        if status == 200:
            headers += [(b"content-type", MVT.encode()),
                        (b"content-length", str(len(data)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})


class FreshAfterWrites:
    """Read-your-writes: before answering a successful write, apply the change feed.

    The feed is followed in the background anyway (LISTEN/NOTIFY, milliseconds); this makes
    the client that just edited see its edit in the very next tile it asks for.
    """

    def __init__(self, app: ASGIApp, invalidator: Invalidator | None) -> None:
        self.app = app
        self.invalidator = invalidator

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
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

