"""The ASGI app factory: health, the geoportal page, OGC API (pygeoapi + fast GeoJSON items)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from psycopg_pool import ConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from app.portal import LandingSwitch, landing_html
from app.problems import gis_error_handler, unexpected_error_handler
from app.security import token_authenticator
from gis.errors import DatabaseUnavailable, GisError
from gis.settings import Settings
from ogc.features import FeatureRouter, FeatureService
from ogc.mount import OgcDocuments, pygeoapi_app
from ogc.provider import share_pool
from registries.catalog import Catalog
from registries.queries import feature_counts


def create_app(settings: Settings, db_url: str, pool: ConnectionPool, catalog: Catalog,
               work_dir: Path) -> Starlette:
    """Return the Hromada GIS ASGI app over an open pool; the pool closes with the app."""

    def counts() -> dict[str, int]:
        with pool.connection() as conn:
            return feature_counts(conn, catalog)

    async def healthz(request: Request) -> JSONResponse:
        try:
            with pool.connection(timeout=2) as conn:
                conn.execute("SELECT 1")
        except Exception as exc:  # any failure to reach the database means "not healthy"
            raise DatabaseUnavailable("database is not reachable") from exc
        return JSONResponse({"status": "ok", "database": "ok"})

    share_pool(pool)
    pygeoapi = OgcDocuments(pygeoapi_app(db_url, settings.base_url, work_dir), counts)
    features = FeatureService(catalog=catalog, pool=pool,
                              storage_srid=settings.city.storage_srid,
                              base_url=settings.base_url,
                              authenticate=token_authenticator(settings.auth.tokens),
                              max_limit=settings.max_items)
    ogc = FeatureRouter(features, pygeoapi)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        share_pool(None)
        pool.close()

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/", LandingSwitch(ogc, landing_html(catalog, settings.city.name_uk))),
            Mount("/", app=ogc),
        ],
        exception_handlers={GisError: gis_error_handler, Exception: unexpected_error_handler},
        lifespan=lifespan,
    )
