"""Opening the read replicas' pools (``GIS_DATABASE__REPLICA_URLS``) beside the primary's."""

from __future__ import annotations

from typing import Any

from psycopg_pool import AsyncConnectionPool, ConnectionPool

from gis.db import open_pool
from gis.queueing import AsyncQueueingPool
from gis.replicas import AsyncRoutedPool, RoutedPool, open_routed_pool
from gis.settings import Settings


def with_replicas(primary: ConnectionPool, primary_url: str, settings: Settings) -> RoutedPool:
    """Return ``primary`` behind a :class:`~gis.replicas.RoutedPool` over the configured
    replicas, each with a pool of the primary's size and queue."""
    p = settings.pool

    def open_replica(url: str) -> ConnectionPool:
        return open_pool(url, min_size=0, max_size=p.max_size, timeout_s=p.timeout_s,
                         queue_s=p.queue_s, name="replica")

    return open_routed_pool(primary, [u.get_secret_value() for u in settings.database.replica_urls],
                            open_replica, primary_url, interval_s=settings.database.replica_check_s)


def tile_pool_with_replicas(primary: AsyncConnectionPool, routed: RoutedPool, settings: Settings,
                            invalidator: Any) -> AsyncRoutedPool:
    """Return the tile renderer's pool ``primary`` behind an
    :class:`~gis.replicas.AsyncRoutedPool` over the same replicas as ``routed``, following the
    epoch of the tile change feed ``invalidator`` hears on the primary (None: no cache)."""
    if invalidator is not None:
        routed.watch.epoch = lambda: int(invalidator.epoch)
    replicas = [AsyncQueueingPool(state.url, min_size=0, max_size=primary.max_size,
                                  configure=primary._configure, open=False, name="tiles-replica",
                                  timeout=settings.pool.timeout_s, queue_s=settings.pool.queue_s,
                                  kwargs={"connect_timeout": max(1, int(settings.pool.timeout_s)),
                                          "application_name": "hromada-tiles-replica"})
                for state in routed.watch.replicas]
    return AsyncRoutedPool(primary, replicas, routed.watch)
