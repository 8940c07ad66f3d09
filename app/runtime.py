"""Resolving the database a command works on: the configured URL, the embedded cluster, or the
embedded cluster of a server already running on the same data folder.

A ``gis serve`` holds the data folder's ``server.lock`` while it runs. A command started beside
it does not refuse (as it once did) nor start a second PostgreSQL: it connects to the running
server's cluster (port from its ``postmaster.pid``, password from ``pg.password``) as a plain
client, never stopping it. The schema belongs to whoever owns the database:

- ``read_only`` commands (lists, exports, dry runs) never change the schema; a database behind
  the newest migration is an error naming ``gis db upgrade``;
- other commands migrate a database they own (the embedded cluster they started, or a
  configured URL), but beside a running server only check, since the server owns it;
- ``gis db upgrade`` (:func:`upgrade_database`) migrates wherever the database is.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gis.cluster import EmbeddedCluster, find_pg_bin_dir, running_cluster
from gis.db import check_connection, describe_url
from gis.errors import EnvironmentProblem
from gis.settings import Settings
from registries.migrate import pending_revisions, upgrade

UPGRADE_HINT = "run: gis db upgrade"


def lock_holder(data_dir: Path) -> int | None:
    """Return the pid written in ``server.lock`` when another process holds the lock, else None.

    The probe takes and drops the lock at once; a server that starts in between is caught by
    ``running_cluster``'s own lock with a clear message.
    """
    path = data_dir / "server.lock"
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.read(fd, 32).decode(errors="replace").strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def server_cluster(settings: Settings) -> EmbeddedCluster | None:
    """Return the embedded cluster of a server running on ``settings.data_dir`` (not owned:
    stopping it is a no-op), None when no other process holds the data folder."""
    holder = lock_holder(settings.data_dir)
    if holder is None:
        return None
    cluster = EmbeddedCluster(data_dir=settings.data_dir,
                              bin_dir=settings.pg_bin_dir or find_pg_bin_dir(), quiet=True)
    if cluster.running_pid() is None or not cluster.password_file.exists():
        raise EnvironmentProblem(
            f"another Hromada GIS process (pid {holder}) holds data folder {settings.data_dir} "
            "but its database is not running (yet); retry in a moment, or stop that process",
            path=str(settings.data_dir))
    return cluster


def _check_schema(url: str, settings: Settings, whose: str) -> None:
    if pending_revisions(url, settings.city.storage_srid):
        raise EnvironmentProblem(f"{whose} at {describe_url(url)} is behind the newest schema; "
                                 + UPGRADE_HINT)


@contextlib.contextmanager
def database(settings: Settings, *, migrate: bool = True, read_only: bool = False,
             quiet: bool = False, as_is: bool = False) -> Iterator[str]:
    """Yield the URL of a ready database; start (and later stop) the embedded one if needed.

    ``read_only`` (or ``migrate=False``): never change the schema, refuse a database behind
    it. Otherwise a database this command owns is migrated; the database of a server running
    beside it only checked. ``as_is``: neither (a backup is what is taken *before* an
    upgrade, of whatever version the database is).
    """
    change_schema = migrate and not read_only and not as_is
    if settings.database_url is not None:
        url = settings.database_url.get_secret_value()
        check_connection(url)
        if change_schema:
            upgrade(url, settings.city.storage_srid, say=None if quiet else _say)
        elif not as_is:
            _check_schema(url, settings, "the database")
        yield url
        return
    beside = server_cluster(settings)
    if beside is not None:
        url = beside.url()
        check_connection(url)
        if not as_is:
            _check_schema(url, settings, "the running server's database")
        yield url
        return
    with running_cluster(settings.data_dir, bin_dir=settings.pg_bin_dir, quiet=quiet,
                         **embedded_access(settings)) as cluster:
        url = cluster.ensure_database()
        if change_schema:
            upgrade(url, settings.city.storage_srid)
        elif not as_is:
            _check_schema(url, settings, "the database")
        yield url


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def embedded_access(settings: Settings) -> dict[str, Any]:
    """Return how the embedded cluster is reached: beyond the loopback when the server is
    (``GIS_HOST``; staff's QGIS over TLS), on ``GIS_PG_PORT`` or its last port."""
    from urllib.parse import urlsplit

    names = tuple(n for n in (settings.db_logins.host, urlsplit(settings.base_url).hostname)
                  if n)
    return {"listen": settings.host, "port": settings.pg_port, "tls_names": names}


def upgrade_database(settings: Settings) -> str:
    """Migrate the database wherever it is (configured, embedded, or a running server's);
    return where, for the message."""
    if settings.database_url is None:
        beside = server_cluster(settings)
        if beside is not None:
            url = beside.url()
            check_connection(url)
            upgrade(url, settings.city.storage_srid)
            return f"the running server's database at {describe_url(url)}"
    with database(settings, migrate=True) as url:
        return describe_url(url)
