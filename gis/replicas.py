"""Reads on PostgreSQL streaming replicas, writes on the primary, read-your-writes for writers.

:class:`ReplicaWatch` samples, every ``interval_s``, the primary's ``pg_current_wal_lsn()``
and each replica's ``pg_last_wal_replay_lsn()`` (own short connections, not pooled ones). A
replica that does not answer, or is not in recovery (promoted, or a wrong URL), is *down* and
gets no reads until a later sample finds it again.

:class:`RoutedPool` looks like a psycopg ``ConnectionPool`` to the code that reads through it.
A connection is taken from a replica only while the request's :data:`read_route` says reads
may go there (the app sets it for safe-method requests of read routes) and the replica has
replayed at least the route's ``min_lsn``: after a write, the writer's next reads carry the
primary's LSN at its commit and go to the primary until a replica has replayed it. A replica
that fails to give a connection is marked down and the read is served by the primary.

What keeps its place on the primary: every write, the authentication and audit tables (a read
there may update ``last_used_at``), the LISTEN/NOTIFY change feed of the tile caches (a
replica does not hear NOTIFY), and the tile caches in PostgreSQL.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from time import monotonic
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, ConnectionPool, PoolTimeout

from gis.queueing import PoolOverloaded

log = logging.getLogger("hromada.replicas")


@dataclass(frozen=True)
class ReadRoute:
    """A request's permission to read on a replica that has replayed ``min_lsn`` (0: any)."""

    min_lsn: int = 0


# set per request by the app: None means "primary" (writes, staff tables, anything unknown)
read_route: contextvars.ContextVar[ReadRoute | None] = contextvars.ContextVar(
    "read_route", default=None)


def parse_lsn(text: str | None) -> int:
    """Return a ``pg_lsn`` text as an integer (0 for NULL), comparable across servers.

    >>> parse_lsn("0/3000148"), parse_lsn("1/0"), parse_lsn(None)
    (50331976, 4294967296, 0)
    """
    if not text:
        return 0
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


@dataclass
class ReplicaState:
    """What the last sample found on one replica."""

    url: str
    up: bool = False
    replayed: int = 0  # pg_last_wal_replay_lsn(), as an integer
    # the change-feed epoch read before a sample in which this replica had replayed all the
    # primary had written: renders for a tile cache may use it while the epoch is unchanged
    fresh_epoch: int | None = None
    sampled_at: float = 0.0
    reads: int = 0  # connections lent for reads (metrics, tests)
    fallbacks: int = 0  # reads sent to the primary because this replica failed


@dataclass
class ReplicaWatch:
    """Samples the primary's WAL position and each replica's replay position."""

    primary_url: str
    replica_urls: Sequence[str]
    interval_s: float = 0.2
    connect_timeout_s: int = 1
    replicas: list[ReplicaState] = field(init=False)
    primary_lsn: int = 0
    epoch: Callable[[], int] | None = None  # the tile change feed's epoch (tiles.invalidate)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _conns: dict[str, psycopg.Connection[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.replicas = [ReplicaState(u) for u in self.replica_urls]

    def start(self) -> None:
        self.sample()
        self._thread = threading.Thread(target=self._run, name="replica-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for conn in self._conns.values():
            with contextlib.suppress(Exception):
                conn.close()
        self._conns.clear()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.sample()
            except Exception:  # never let the watch die; the next sample tries again
                log.warning("replica sample failed", exc_info=True)

    def _query(self, url: str, query: str) -> Any:
        conn = self._conns.get(url)
        try:
            if conn is None or conn.closed:
                conn = psycopg.connect(url, autocommit=True, connect_timeout=self.connect_timeout_s,
                                       application_name="hromada-replica-watch")
                self._conns[url] = conn
            row = conn.execute(query).fetchone()
            return row
        except psycopg.Error:
            self._conns.pop(url, None)
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()
            raise

    def sample(self) -> None:
        """Take one sample: the primary's LSN first, then every replica's replay LSN."""
        epoch = self.epoch() if self.epoch is not None else 0
        here = 0
        with contextlib.suppress(psycopg.Error):
            row = self._query(self.primary_url, "SELECT pg_current_wal_lsn()::text")
            here = parse_lsn(row[0])
            self.primary_lsn = max(self.primary_lsn, here)
        for state in self.replicas:
            try:
                row = self._query(state.url, "SELECT pg_is_in_recovery(), "
                                             "pg_last_wal_replay_lsn()::text")
            except psycopg.Error:
                if state.up:
                    log.warning("replica %s is down: reads go to the primary", _where(state.url))
                state.up = False
                continue
            if not row[0]:
                if state.up or state.sampled_at == 0.0:
                    log.warning("%s is not a standby: no reads are sent to it",
                                _where(state.url))
                state.up = False
                continue
            if not state.up:
                log.warning("replica %s is up: reads go to it", _where(state.url))
            state.up = True
            state.replayed = max(state.replayed, parse_lsn(row[1]))
            state.fresh_epoch = epoch if here and state.replayed >= here else None
            state.sampled_at = monotonic()

    def caught_up(self, state: ReplicaState, lsn: int) -> bool:
        """Whether ``state``'s replica is up and has replayed ``lsn``."""
        return state.up and state.replayed >= lsn

    def mark_down(self, state: ReplicaState) -> None:
        state.up = False
        state.fallbacks += 1

    def describe(self) -> list[dict[str, Any]]:
        return [{"replica": _where(s.url), "up": s.up,
                 "lag_bytes": max(0, self.primary_lsn - s.replayed) if s.up else None,
                 "reads": s.reads, "fallbacks": s.fallbacks} for s in self.replicas]


def _where(url: str) -> str:
    from gis.db import describe_url

    return describe_url(url)


class RoutedPool:
    """A pool facade: reads of a :data:`read_route` on an up-to-date replica, else the primary.

    It has the parts of ``ConnectionPool`` the app uses: ``connection()``, ``getconn()``,
    ``putconn()``, ``get_stats()``, ``max_size``, ``close()``; ``primary`` is the primary's pool
    for what must never go to a replica.
    """

    def __init__(self, primary: ConnectionPool, replicas: Sequence[ConnectionPool],
                 watch: ReplicaWatch) -> None:
        self.primary = primary
        self.replica_pools = list(replicas)
        self.watch = watch
        self._owner: dict[int, ConnectionPool] = {}
        self._lock = threading.Lock()
        self._turn = itertools.count()
        self.name = primary.name

    @property
    def max_size(self) -> int:
        return self.primary.max_size

    def get_stats(self) -> dict[str, int]:
        return self.primary.get_stats()

    def __getattr__(self, name: str) -> Any:  # refused, hold_s …: the primary's
        return getattr(self.primary, name)

    def _candidates(self) -> list[tuple[ReplicaState, ConnectionPool]]:
        route = read_route.get()
        if route is None:
            return []
        pairs = [(s, p) for s, p in zip(self.watch.replicas, self.replica_pools, strict=True)
                 if self.watch.caught_up(s, route.min_lsn)]
        if len(pairs) > 1:  # round robin over the replicas that can serve
            k = next(self._turn) % len(pairs)
            pairs = pairs[k:] + pairs[:k]
        return pairs

    def getconn(self, timeout: float | None = None) -> psycopg.Connection[Any]:
        for state, pool in self._candidates():
            try:
                conn = pool.getconn(timeout)
            except (psycopg.OperationalError, PoolTimeout) as exc:
                if isinstance(exc, PoolOverloaded) and state.up:
                    raise  # a busy replica is busy, not gone: the line says so
                log.warning("replica %s failed (%s): reads go to the primary",
                            _where(state.url), type(exc).__name__)
                self.watch.mark_down(state)
                continue
            with self._lock:
                self._owner[id(conn)] = pool
            state.reads += 1
            return conn
        return self.primary.getconn(timeout)

    def putconn(self, conn: psycopg.Connection[Any]) -> None:
        with self._lock:
            pool = self._owner.pop(id(conn), self.primary)
        pool.putconn(conn)

    @contextlib.contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[psycopg.Connection[Any]]:
        conn = self.getconn(timeout)
        try:
            with conn:
                yield conn
        finally:
            self.putconn(conn)

    def close(self) -> None:
        self.watch.stop()
        for pool in self.replica_pools:
            pool.close()
        self.primary.close()


class AsyncRoutedPool:
    """The tile renderer's pool facade: a render goes to a replica only when a sample taken
    after the last change-feed batch (``watch.epoch``) found it holding everything the primary
    had written, so a tile rendered after an edit's invalidation shows that edit; else, or when
    the replica fails, to the primary."""

    def __init__(self, primary: AsyncConnectionPool, replicas: Sequence[AsyncConnectionPool],
                 watch: ReplicaWatch) -> None:
        self.primary = primary
        self.replica_pools = list(replicas)
        self.watch = watch
        self._turn = itertools.count()
        self.name = primary.name

    @property
    def max_size(self) -> int:
        return self.primary.max_size

    def get_stats(self) -> dict[str, int]:
        return self.primary.get_stats()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.primary, name)

    async def open(self, wait: bool = False) -> None:
        await self.primary.open(wait=wait)
        for pool in self.replica_pools:
            await pool.open(wait=False)

    async def close(self) -> None:
        for pool in self.replica_pools:
            await pool.close()
        await self.primary.close()

    def _candidates(self) -> list[tuple[ReplicaState, AsyncConnectionPool]]:
        epoch = self.watch.epoch() if self.watch.epoch is not None else 0
        pairs = [(s, p) for s, p in zip(self.watch.replicas, self.replica_pools, strict=True)
                 if s.up and s.fresh_epoch == epoch]
        if len(pairs) > 1:
            k = next(self._turn) % len(pairs)
            pairs = pairs[k:] + pairs[:k]
        return pairs

    @contextlib.asynccontextmanager
    async def connection(self, timeout: float | None = None
                         ) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        chosen: AsyncConnectionPool = self.primary
        conn: psycopg.AsyncConnection[Any] | None = None
        for state, pool in self._candidates():
            try:
                conn = await pool.getconn(timeout)
            except (psycopg.OperationalError, PoolTimeout) as exc:
                if isinstance(exc, PoolOverloaded) and state.up:
                    raise
                log.warning("replica %s failed (%s): tiles render on the primary",
                            _where(state.url), type(exc).__name__)
                self.watch.mark_down(state)
                continue
            chosen = pool
            state.reads += 1
            break
        if conn is None:
            conn = await self.primary.getconn(timeout)
        try:
            async with conn:
                yield conn
        finally:
            await chosen.putconn(conn)


def open_routed_pool(primary: ConnectionPool, replica_urls: Sequence[str],
                     open_replica: Callable[[str], ConnectionPool], primary_url: str,
                     interval_s: float = 0.2) -> RoutedPool:
    """Return ``primary`` behind a :class:`RoutedPool` over replicas opened by ``open_replica``
    (the watch started)."""
    watch = ReplicaWatch(primary_url, list(replica_urls), interval_s=interval_s)
    watch.start()
    return RoutedPool(primary, [open_replica(u) for u in replica_urls], watch)
