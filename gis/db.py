"""Database access: the connection pool, transactions, and connection checks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import psycopg
from psycopg_pool import ConnectionPool

from gis.errors import DatabaseUnavailable


def describe_url(url: str) -> str:
    """Return ``host:port/dbname`` of a libpq URL, without user or password.

    >>> describe_url("postgresql://gis:secret@127.0.0.1:5433/hromada")
    '127.0.0.1:5433/hromada'
    """
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    return f"{host}:{parts.port or 5432}{parts.path or '/'}".replace(":5432/", ":5432/")


def check_connection(url: str, timeout_s: int = 5) -> None:
    """Raise DatabaseUnavailable with one clear line unless ``url`` accepts a connection."""
    try:
        with psycopg.connect(url, connect_timeout=timeout_s) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnavailable(
            f"cannot connect to the database at {describe_url(url)}: {reason}"
        ) from None


def open_pool(url: str, *, min_size: int = 1, max_size: int = 8, timeout_s: float = 5.0,
              name: str = "gis") -> ConnectionPool:
    """Open a psycopg pool on ``url``; connections use UTC and the registry search path."""

    def configure(conn: psycopg.Connection) -> None:
        conn.execute("SET TIME ZONE 'UTC'")
        conn.commit()

    pool = ConnectionPool(url, min_size=min_size, max_size=max_size, timeout=timeout_s,
                          configure=configure, name=name, open=False)
    pool.open(wait=True, timeout=timeout_s)
    return pool


@contextmanager
def transaction(pool: ConnectionPool, *, user: str | None = None) -> Iterator[psycopg.Connection]:
    """Yield a connection inside one transaction; ``user`` is recorded by the history triggers."""
    with pool.connection() as conn, conn.transaction():
        if user is not None:
            conn.execute("SELECT set_config('gis.user', %s, true)", (user,))
        yield conn
