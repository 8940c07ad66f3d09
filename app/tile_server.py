"""Wiring of the vector tiles into the app and the CLI: settings in, a running TileService out."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.routing import Route
from starlette.types import ASGIApp, Scope

from app.replica_pools import tile_pool_with_replicas
from gis.db import open_pool
from gis.queueing import AsyncQueueingPool
from gis.replicas import RoutedPool
from gis.settings import Settings
from registries.catalog import Catalog
from tiles.basemap import FONTS
from tiles.cache import TileCache, open_cache
from tiles.glyphs import Glyphs
from tiles.invalidate import Invalidator
from tiles.mvt import Sources, TileQueries, configure_async
from tiles.routes import FreshAfterWrites, TileFastPath, tile_routes
from tiles.service import TileService

FONT_DIR = Path(__file__).with_name("static") / "node_modules" / "dejavu-fonts-ttf" / "ttf"


def label_fonts() -> Glyphs:
    """Return the map label fonts (DejaVu Sans from npm, installed by scripts/bootstrap.sh)."""
    return Glyphs({name: FONT_DIR / file for name, file in FONTS.items()})


def database_identity(conn: psycopg.Connection) -> str:
    """Return a short name for the database (cluster, database, instance): names its cache."""
    try:  # the timeline too: after a point-in-time recovery (or a promotion) the database is
        # another one, whose past differs from what the cache saw
        row = conn.execute("SELECT s.system_identifier::text, c.timeline_id::text FROM "
                           "pg_control_system() s, pg_control_checkpoint() c").fetchone()
        system = "/".join(row) if row else ""
    except psycopg.Error:  # not allowed for this role: the other parts still tell databases apart
        conn.rollback()
        system = ""
    row = conn.execute(
        "SELECT (SELECT value FROM tiles.state WHERE key = 'instance'), current_database(), "
        "(SELECT oid FROM pg_database WHERE datname = current_database())").fetchone()
    assert row is not None
    text = "/".join(str(v) for v in (system, *row))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def tile_cache(settings: Settings, queries: TileQueries, db_url: str,
               memory: bool = False, connect: Callable[[], Any] | None = None) -> TileCache:
    """Return the configured cache backend for the database at ``db_url`` (with the memory
    front when ``memory``: for a server, not for one-off seeding or exports). ``connect``
    gives the shared cache its connections (a pool's; default: a new one per call)."""
    t = settings.tiles
    with psycopg.connect(db_url) as conn:
        identity = database_identity(conn)
    root: Path = (t.cache_dir or settings.data_dir / "tile-cache") / identity
    return open_cache(settings.tile_cache_kind, queries.fingerprint, root,
                      connect=connect or (lambda: psycopg.connect(db_url)),
                      memory_bytes=t.memory_mb << 20 if memory else 0)


def tile_parts(settings: Settings, catalog: Catalog, db_url: str, memory: bool = False,
               connect: Callable[[], Any] | None = None,
               ) -> tuple[Sources, TileQueries, TileCache, Invalidator | None]:
    """Return the pieces every tile user (server, seed, export) shares."""
    from app.tile_grids import city_latitude
    from tiles.grids import vector_grids

    sources = Sources(catalog)
    grids = vector_grids(settings.city.storage_srid, settings.tiles.max_zoom,
                         city_latitude(settings))
    queries = TileQueries(sources, settings.tiles.max_zoom, settings.city.time_zone, grids)
    cache = tile_cache(settings, queries, db_url, memory, connect)
    invalidator = None
    if settings.tiles.cache != "none":
        invalidator = Invalidator(lambda: psycopg.connect(db_url), cache, sources,
                                  settings.tiles.max_zoom, settings.city.time_zone,
                                  settings.tiles.retention_days, grids=grids)
    return sources, queries, cache, invalidator


class TileServer:
    """The tile routes, their middleware and their lifecycle (opened and closed by the app)."""

    def __init__(self, settings: Settings, db_url: str, pool: ConnectionPool,
                 catalog: Catalog) -> None:
        # the shared cache in PostgreSQL is read per tile: from a few kept connections
        self.cache_pool: ConnectionPool | None = None
        if settings.tile_cache_kind == "postgres":
            self.cache_pool = open_pool(db_url, min_size=0, max_size=4,
                                        timeout_s=settings.pool.timeout_s, name="tile-cache")
        sources, queries, cache, self.invalidator = tile_parts(
            settings, catalog, db_url, memory=True,
            connect=self.cache_pool.connection if self.cache_pool else None)
        self.pool = AsyncQueueingPool(db_url, min_size=1, max_size=settings.tiles.pool_size,
                                      configure=configure_async, open=False, name="tiles",
                                      timeout=settings.pool.timeout_s,
                                      queue_s=settings.pool.queue_s,
                                      kwargs={"connect_timeout": max(1, int(
                                          settings.pool.timeout_s)),
                                          "application_name": "hromada-tiles"})
        if isinstance(pool, RoutedPool):  # renders on a replica that holds every edit
            self.pool = tile_pool_with_replicas(self.pool, pool, settings, self.invalidator)
        self.service = TileService(
            sources=sources, queries=queries, cache=cache, invalidator=self.invalidator,
            pool=self.pool, base_url=settings.base_url, max_zoom=settings.tiles.max_zoom,
            max_age_s=settings.tiles.max_age_s, extent=settings.city.extent,
            storage_srid=settings.city.storage_srid, glyphs=label_fonts())

    @property
    def routes(self) -> list[Route]:
        return tile_routes(self.service)

    @property
    def middleware(self) -> list[Middleware]:
        return [Middleware(FreshAfterWrites, invalidator=self.invalidator)]

    def front(self, app: ASGIApp, admit: Callable[[Scope], bool] | None) -> ASGIApp:
        """Return ``app`` behind the tile fast path (see ``TileFastPath``); ``admit`` is the
        rate limiter's word on an anonymous tile that has to be rendered."""
        return TileFastPath(app, self.service, admit)

    async def open(self) -> None:
        await self.pool.open(wait=False)
        if self.invalidator is not None:
            await run_in_threadpool(self.invalidator.start)

    async def close(self) -> None:
        if self.invalidator is not None:
            await run_in_threadpool(self.invalidator.stop)
        await self.pool.close()
        if self.cache_pool is not None:
            await run_in_threadpool(self.cache_pool.close)

    def describe(self) -> dict[str, Any]:
        return self.invalidator.describe() if self.invalidator else {"cache": "none"}
