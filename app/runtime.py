"""Resolving the database a command works on: the configured URL or the embedded cluster."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from gis.cluster import running_cluster
from gis.db import check_connection, describe_url
from gis.errors import EnvironmentProblem
from gis.settings import Settings
from registries.migrate import pending_revisions, upgrade


@contextlib.contextmanager
def database(settings: Settings, *, migrate: bool = True, quiet: bool = False) -> Iterator[str]:
    """Yield the URL of a ready database; start (and later stop) the embedded one if needed.

    The embedded database is always migrated; a configured one only when ``migrate`` is True,
    otherwise a database behind the newest migration is refused with the command to run.
    """
    if settings.database_url is not None:
        url = settings.database_url.get_secret_value()
        check_connection(url)
        if migrate:
            upgrade(url, settings.city.storage_srid)
        elif pending_revisions(url, settings.city.storage_srid):
            raise EnvironmentProblem(
                f"the database at {describe_url(url)} is behind the newest schema; "
                "run: gis db upgrade")
        yield url
        return
    with running_cluster(settings.data_dir, bin_dir=settings.pg_bin_dir, quiet=quiet,
                         **embedded_access(settings)) as cluster:
        url = cluster.ensure_database()
        upgrade(url, settings.city.storage_srid)
        yield url


def embedded_access(settings: Settings) -> dict[str, Any]:
    """Return how the embedded cluster is reached: beyond the loopback when the server is
    (``GIS_HOST``; staff's QGIS over TLS), on ``GIS_PG_PORT`` or its last port."""
    from urllib.parse import urlsplit

    names = tuple(n for n in (settings.db_logins.host, urlsplit(settings.base_url).hostname)
                  if n)
    return {"listen": settings.host, "port": settings.pg_port, "tls_names": names}
