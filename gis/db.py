"""Database access: the connection pool, transactions, timeouts and honest failure.

A request that cannot reach the database must say so (503 with Retry-After), never answer 500
or a wrong 404. :func:`database_errors` turns the driver's and the pool's failures into
:class:`~gis.errors.DatabaseUnavailable` and :class:`~gis.errors.QueryTimeout`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import psycopg
from psycopg import errors as pgerrors
from psycopg_pool import ConnectionPool, PoolTimeout

from gis.errors import (
    DatabaseUnavailable,
    EnvironmentProblem,
    InvalidParameter,
    QueryTimeout,
    ServerBusy,
)
from gis.queueing import PoolOverloaded, QueueingPool


def describe_url(url: str) -> str:
    """Return ``host:port/dbname`` of a libpq URL, without user or password.

    >>> describe_url("postgresql://gis:secret@127.0.0.1:5433/hromada")
    '127.0.0.1:5433/hromada'
    """
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    return f"{host}:{parts.port or 5432}{parts.path or '/'}"


def check_connection(url: str, timeout_s: int = 5) -> None:
    """Raise DatabaseUnavailable with one clear line unless ``url`` accepts a connection."""
    try:
        with psycopg.connect(url, connect_timeout=timeout_s) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        # libpq's first line says why («… port 5432 failed: Connection refused»), its last
        # only a hint («Is the server running on that host …»)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        reason = re.sub(r"^.*failed: ", "", first).strip() or first
        raise DatabaseUnavailable(
            f"cannot connect to the database at {describe_url(url)}: {reason}"
        ) from None


def check_pool_size(url: str, max_size: int, processes: int = 1) -> None:
    """Raise EnvironmentProblem when the pools of all processes cannot fit the server's limit."""
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT current_setting('max_connections')::int, "
            "current_setting('superuser_reserved_connections')::int").fetchone()
    assert row is not None
    available = row[0] - row[1]
    if max_size * processes > available:
        raise EnvironmentProblem(
            f"GIS_POOL__MAX_SIZE={max_size} × {processes} process(es) exceeds the "
            f"{available} connections the database at {describe_url(url)} allows "
            f"(max_connections {row[0]} − {row[1]} reserved); lower GIS_POOL__MAX_SIZE")


def open_pool(url: str, *, min_size: int = 0, max_size: int = 8, timeout_s: float = 1.5,
              name: str = "gis", queue_s: float = 10.0) -> ConnectionPool:
    """Open a psycopg pool on ``url``: UTC sessions, connections checked before each use.

    ``timeout_s`` bounds a connect attempt; a request waits in line for a busy connection up to
    ``queue_s`` (see :mod:`gis.queueing`: busy is not unreachable).
    """

    def configure(conn: psycopg.Connection) -> None:
        conn.execute("SET TIME ZONE 'UTC'")
        conn.commit()

    pool = QueueingPool(url, min_size=min_size, max_size=max_size, timeout=timeout_s,
                        queue_s=queue_s, configure=configure, name=name, open=False,
                        check=ConnectionPool.check_connection,
                        kwargs={"connect_timeout": max(1, int(timeout_s)),
                                # pg_stat_activity tells the server's pools apart
                                "application_name": f"hromada-{name}"})
    pool.open(wait=min_size > 0, timeout=timeout_s)
    return pool


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn lost connections, a full pool and statement timeouts into honest GisErrors."""
    try:
        yield
    except pgerrors.QueryCanceled:
        raise QueryTimeout("the request took longer than its time limit and was stopped; "
                           "narrow it (bbox, filter, smaller page) and retry") from None
    except PoolOverloaded as exc:
        raise ServerBusy(str(exc), retry_after=exc.retry_after) from None
    except PoolTimeout:
        raise ServerBusy("the server is busy: no database connection came free in time",
                         retry_after=2) from None
    except psycopg.OperationalError:
        raise DatabaseUnavailable("the database is unreachable; retry shortly") from None
    except psycopg.DataError:
        # a value the checks before the query let through (they name the field; this is the
        # net under them): never PostgreSQL's own text, never a 500
        raise InvalidParameter("a value in the request does not fit where it is used (a NUL "
                               "character, a number or date out of range)") from None


def set_statement_timeout(conn: psycopg.Connection, seconds: float) -> None:
    """Limit the statements of the current transaction to ``seconds``."""
    conn.execute("SELECT set_config('statement_timeout', %s, true)", (f"{int(seconds * 1000)}ms",))


@contextmanager
def transaction(pool: ConnectionPool, *, user: str | None = None) -> Iterator[psycopg.Connection]:
    """Yield a connection inside one transaction; ``user`` is recorded by the history triggers."""
    with pool.connection() as conn, conn.transaction():
        if user is not None:
            conn.execute("SELECT set_config('gis.user', %s, true)", (user,))
        yield conn
