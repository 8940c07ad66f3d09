"""Wiring of the published rasters into the app: settings and the pool in, routes out."""

from __future__ import annotations

from collections.abc import Callable

from psycopg_pool import ConnectionPool
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp

from gis.auth import Principal
from gis.db import database_errors
from gis.rasters import RasterRecord, list_rasters
from gis.settings import Settings
from ogc.html import render_page
from tiles.raster import CatalogueSnapshot, Readers, TileMemory
from tiles.raster_documents import RasterService, public_entry
from tiles.raster_routes import RasterCollections, raster_routes


class RasterServer:
    """The raster routes and the collections wrapper, over the app's pool."""

    def __init__(self, settings: Settings, pool: ConnectionPool,
                 authenticate: Callable[[Request], Principal]) -> None:
        def load() -> list[RasterRecord]:
            with database_errors(), pool.connection() as conn:
                return list_rasters(conn, staff=True)

        r = settings.rasters
        self.service = RasterService(
            catalogue=CatalogueSnapshot(load), raster_dir=settings.raster_dir,
            base_url=settings.base_url, storage_srid=settings.city.storage_srid,
            authenticate=authenticate, memory=TileMemory(r.memory_mb << 20), readers=Readers(),
            max_coverage_cells=r.max_coverage_cells, max_age_s=r.max_age_s)

    @property
    def routes(self) -> list[Route]:
        return raster_routes(self.service)

    def collections(self, app: ASGIApp) -> ASGIApp:
        """Return the OGC API ``app`` with the raster collections beside the registries'."""
        return RasterCollections(app, self.service, render_page)

    def public_layers(self) -> list[dict[str, object]]:
        """Return the public rasters with their TileJSON and XYZ URLs (for the geoportal,
        the QGIS project and printed extracts)."""
        return [public_entry(self.service, r) for r in self.service.catalogue.visible(False)]
