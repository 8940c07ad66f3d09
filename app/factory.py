"""The ASGI app factory: health, the geoportal page, OGC API (pygeoapi + fast GeoJSON items)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
from anyio import to_thread
from psycopg_pool import ConnectionPool, PoolTimeout
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from app.editor_routes import editor_routes
from app.error_report_routes import error_report_routes
from app.export_routes import export_routes
from app.extract_routes import extract_routes
from app.headers import ResponseHeaders, policies_for
from app.ingest_routes import ingest_routes
from app.limits import Admission, AnonymousWork, limit_middleware, rate_limiter, work_limiter
from app.login import login_routes
from app.observe import observe
from app.openapi_paths import TAG as OPENAPI_TAG
from app.openapi_paths import public_paths
from app.portal import LandingSwitch, portal_html, portal_routes
from app.problems import (
    client_gone_handler,
    database_error_handler,
    gis_error_handler,
    http_error_handler,
    unexpected_error_handler,
)
from app.qgis_routes import qgis_routes
from app.raster_server import RasterServer
from app.raster_upload import raster_upload_routes
from app.read_routing import ReadRouting
from app.registry_routes import registry_routes
from app.security import Authenticator, AuthMiddleware
from app.tile_server import TileServer
from app.verification_routes import verification_routes
from gis.db import database_errors
from gis.errors import DatabaseUnavailable, GisError
from gis.oidc import OidcVerifier
from gis.replicas import RoutedPool
from gis.settings import Settings
from ogc.config import write_config
from ogc.features import (
    FeatureRouter,
    FeatureService,
    allowed,
    describe_fields,
    feature_schema_links,
    not_allowed,
)
from ogc.html import render_jsonld, render_page
from ogc.mount import OgcDocuments, OpenApiAlias, pygeoapi_app
from ogc.reshape import reshape_routes
from registries.catalog import Catalog
from registries.queries import feature_counts
from tiles.documents import CONFORMANCE as TILES_CONFORMANCE
from tiles.documents import ogc_links
from tiles.documents import style as map_style
from tiles.mvt import CITY
from tiles.raster_routes import CONFORMANCE as RASTER_CONFORMANCE


def create_app(settings: Settings, db_url: str, pool: ConnectionPool, catalog: Catalog,
               work_dir: Path) -> ASGIApp:
    """Return the Hromada GIS ASGI app over an open pool; the pool closes with the app."""

    def counts() -> dict[str, int]:
        with database_errors(), pool.connection() as conn:
            return feature_counts(conn, catalog)

    def database_ok() -> bool:
        try:
            with pool.connection(timeout=1) as conn:
                conn.execute("SELECT 1")
        except Exception:  # any failure to reach the database means "not ready"
            return False
        return True

    async def healthz(request: Request) -> JSONResponse:
        """Liveness: the process answers (200) and says whether the database does."""
        ok = await run_in_threadpool(database_ok)
        return JSONResponse({"status": "ok", "database": "ok" if ok else "unavailable"})

    async def readyz(request: Request) -> JSONResponse:
        """Readiness: 200 only when requests can be served (the database answers)."""
        if not await run_in_threadpool(database_ok):
            raise DatabaseUnavailable("not ready: the database is unreachable")
        return JSONResponse({"status": "ready"})

    handlers = {GisError: gis_error_handler, psycopg.OperationalError: database_error_handler,
                PoolTimeout: database_error_handler, ClientDisconnect: client_gone_handler,
                HTTPException: http_error_handler}
    tiles = TileServer(settings, db_url, pool, catalog)
    served = TILES_CONFORMANCE + RASTER_CONFORMANCE  # classes our own routes add
    # generated for this city at every start: its zone, extent and name (ogc.config)
    pygeoapi_config = write_config(work_dir / "pygeoapi-config.yml", catalog, settings.city,
                                   settings.open_data, settings.max_items)
    pygeoapi = OgcDocuments(pygeoapi_app(db_url, settings.base_url, work_dir, handlers,
                                         config_file=pygeoapi_config,
                                         conformance=served,
                                         openapi={"paths": public_paths(catalog),
                                                  "tags": [OPENAPI_TAG]}), counts,
                            conformance=served,
                            links=lambda path: [*ogc_links(tiles.service, path),
                                                *feature_schema_links(settings.base_url,
                                                                      catalog, path)],
                            fields=lambda cid, doc: describe_fields(catalog.get(cid), doc))
    oidc = OidcVerifier(settings.auth.oidc) if settings.auth.oidc.issuer else None
    # users, tokens (last used) and the personal-data audit are written on reads: the primary's
    primary = pool.primary if isinstance(pool, RoutedPool) else pool
    auth = Authenticator(primary, settings.auth.tokens, oidc)
    features = FeatureService(catalog=catalog, pool=pool,
                              storage_srid=settings.city.storage_srid,
                              base_url=settings.base_url,
                              authenticate=auth, audit=auth.audit,
                              max_limit=settings.max_items,
                              max_rendered=settings.limits.max_rendered_items,
                              timeout_s=settings.timeouts.items_s,
                              render_page=render_page, render_jsonld=render_jsonld)
    ogc = FeatureRouter(features, pygeoapi)
    rasters = RasterServer(settings, pool, auth)
    limiter = rate_limiter(settings.limits)  # one set of buckets: the app's and the tiles'

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        threads = to_thread.current_default_thread_limiter()
        threads.total_tokens = max(threads.total_tokens, settings.pool.threads)
        await tiles.open()
        yield
        await tiles.close()
        pool.close()

    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/", LandingSwitch(ogc, portal_html(
            settings, catalog, map_style(tiles.service, tiles.service.sources.get(CITY))))),
        Route("/api", OpenApiAlias(ogc)),
        *portal_routes(),
        *editor_routes(catalog, auth),
        *tiles.routes,
        *raster_upload_routes(settings, db_url, catalog, auth),  # before /rasters/{name}/…
        *rasters.routes,
        *registry_routes(settings, pool, catalog, audit=auth.audit),
        *extract_routes(settings, pool, catalog, auth, audit=auth.audit),
        *export_routes(settings, pool, catalog),
        *ingest_routes(settings, db_url, catalog, auth),
        *login_routes(settings, pool, auth),
        *reshape_routes(features),
        *qgis_routes(settings, db_url, pool, catalog, auth,
                     lambda: rasters.service.catalogue.visible(False)),
        *verification_routes(settings, pool, catalog, auth, audit=auth.audit),
        *error_report_routes(settings, pool, catalog, auth),
    ]
    app = Starlette(
        routes=[*routes, OtherMethods(routes), Mount("/", app=rasters.collections(ogc))],
        # both staff uploads take files up to GIS_INGEST__MAX_UPLOAD_MB (the raster upload
        # was held to GIS_LIMITS__MAX_BODY_BYTES, 10 MB, though its page offered 200)
        middleware=[*limit_middleware(settings.limits, limiter,
                                      {"/ingest/": settings.ingest.max_upload_mb << 20,
                                       "/rasters/upload": settings.ingest.max_upload_mb << 20}),
                    Middleware(AuthMiddleware, auth=auth),
                    *([Middleware(ReadRouting, pool=pool)] if isinstance(pool, RoutedPool)
                      else []),
                    Middleware(AnonymousWork, limits=settings.limits,
                               work=work_limiter(settings.limits), limiter=limiter),
                    *tiles.middleware],
        exception_handlers={**handlers, Exception: unexpected_error_handler},
        lifespan=lifespan,
    )
    # outermost: the access log and /metrics see every request, the tile fast path's too;
    # inside it every response gets its security headers
    front = ResponseHeaders(tiles.front(app, Admission(settings.limits, limiter)),
                            policies_for(settings.portal.basemap_tiles))
    return observe(front, settings, pool=pool, tiles=tiles)


METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class OtherMethods(BaseRoute):
    """The answer to a method none of ``routes`` takes on a path one of them serves: OPTIONS
    is a 204, any other method a 405, both with the ``Allow`` of the routes there.

    Starlette hands such a request (its routes match it only partly) to the next route that
    matches it whole: the OGC API's catch-all mount, which said "nothing is served at /tiles"
    to an OPTIONS and allowed the wrong methods to a PUT.
    """

    def __init__(self, routes: list[BaseRoute]) -> None:
        self.routes = [r for r in routes if isinstance(r, Route)]
        # every request for the OGC API's catch-all (each items page) passes here: one regex
        # of all the routes' paths tells in one pass (~2 µs) that none serves it, before
        # the ~60 routes are asked one by one (~60 µs)
        self.paths = re.compile("|".join(
            f"(?:{re.sub(r'[(][?]P<[^>]+>', '(?:', r.path_regex.pattern)})"
            for r in self.routes))

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        if not scope.get("root_path") and not self.paths.match(scope["path"]):
            return Match.NONE, {}  # (under a root path the routes match what is below it)
        methods: set[str] = set()
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:  # not ours: a route before this one takes it
                return Match.NONE, {}
            if match is Match.PARTIAL:
                methods |= route.methods or set()
        if not methods:
            return Match.NONE, {}
        methods.add("OPTIONS")
        allow = ", ".join(m for m in METHOD_ORDER if m in methods)
        return Match.FULL, {"allowed_methods": allow}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        allow = scope["allowed_methods"]
        if scope["method"] == "OPTIONS":
            await allowed(allow)(scope, receive, send)
            return
        raise not_allowed(allow)
