"""Opening the read replicas' pools (``GIS_DATABASE__REPLICA_URLS``) beside the primary's."""

from __future__ import annotations

from psycopg_pool import ConnectionPool

from gis.db import open_pool
from gis.replicas import RoutedPool, open_routed_pool
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
