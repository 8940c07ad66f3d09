"""One start-up at a time per database: a PostgreSQL advisory lock around schema work.

Several server instances (and ``gis db upgrade``, ``gis restore``) may start against one
database at the same moment. Migrations and the refresh of derived objects (views, triggers,
functions, grants) write the system catalogs; two sessions doing that at once fail with
``tuple concurrently updated`` or a duplicate ``CREATE``. :func:`startup_lock` holds a
session-level advisory lock (on a connection of its own, so it covers the work of any other
connection, Alembic's included) while the work runs; the others wait their turn, then find
the schema current and only refresh what is derived. Advisory locks belong to one database, so
servers of other databases never wait for each other. A session that dies releases its lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg

from gis.errors import EnvironmentProblem

# pg_advisory_lock's single bigint key: the first 8 bytes of sha256("hromada-gis start-up")
STARTUP_KEY = -0x370D_ED86_7ED8_D699


def lock_holder_sql() -> str:
    """Return SQL naming the session that holds the start-up lock (pid, application, client)."""
    return ("SELECT a.pid, coalesce(nullif(a.application_name, ''), 'a session'), "
            "coalesce(host(a.client_addr), 'local') FROM pg_locks l JOIN pg_stat_activity a "
            "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND l.objsubid = 1 AND (l.classid::bigint << 32 | l.objid::bigint) = %s LIMIT 1")


@contextmanager
def startup_lock(url: str, *, timeout_s: float = 600.0,
                 say: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the database's start-up lock while the block runs; wait for it up to ``timeout_s``.

    ``say`` is told once whom this process waits for. Raises EnvironmentProblem when the
    lock is not free in time (another start-up hangs: its pid is named).
    """
    with psycopg.connect(url, autocommit=True, application_name="hromada-gis start-up") as conn:
        deadline = time.monotonic() + timeout_s
        told = False
        while True:
            got = conn.execute("SELECT pg_try_advisory_lock(%s)", (STARTUP_KEY,)).fetchone()
            if got is not None and got[0]:
                break
            holder = conn.execute(lock_holder_sql(), (STARTUP_KEY,)).fetchone()
            who = (f"pid {holder[0]} ({holder[1]}, {holder[2]})" if holder
                   else "another session")
            if time.monotonic() > deadline:
                raise EnvironmentProblem(
                    f"another start-up has held the database's start-up lock for over "
                    f"{timeout_s:.0f} s: {who}; wait for it, or end that session")
            if say is not None and not told:
                say(f"waiting for another instance's start-up to finish: {who}")
                told = True
            time.sleep(0.1)
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (STARTUP_KEY,))
