"""Busy is not unreachable: connection pools that queue honest work and fail fast when down.

A request that finds every pooled connection busy waits in line (first come, first served) for
as long as the line can still be served in reasonable time, ``queue_s``; it is refused at once
(:class:`PoolOverloaded`, a 503 "busy" with the expected wait as Retry-After) only when the
work ahead of it, at the rate connections are being handed back, would take longer than that.
When the database itself is down, the pool's failed connect attempt fails every waiting request
at once (:class:`PoolUnreachable`, a 503 "unreachable") instead of letting them wait out the
queue: the two are told apart in the answer.

The time a request waited is added to :data:`queue_wait` when the caller set it, so limits that
charge a client for its server time (``app.limits.WorkLimiter``) charge the work, not the line.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import threading
import time
from time import monotonic
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, ConnectionPool, PoolTimeout
from psycopg_pool.base import AttemptWithBackoff

# a request's accumulated wait for pool connections, seconds (a one-item list set per request)
queue_wait: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar(
    "queue_wait", default=None)


MIN_SAMPLES = 20  # hold times seen before the line's speed is trusted for an early refusal
RECHECK_S = 0.02  # pause before drawing another connection after one failed its check


class PoolOverloaded(PoolTimeout):
    """The line for a connection is longer than can be served within the pool's ``queue_s``."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PoolUnreachable(psycopg.OperationalError):
    """The pool could not connect to the database while this request waited for a connection."""


def expected_wait(ahead: int, hold_s: float, size: int) -> float:
    """Return the seconds a request arriving behind ``ahead`` waiting ones should wait, when
    ``size`` connections are each held ``hold_s`` on average.

    >>> expected_wait(0, 0.2, 8), expected_wait(15, 0.2, 8), expected_wait(64, 0.5, 8)
    (0.0, 0.375, 4.0)
    """
    return round(ahead * hold_s / max(1, size), 6)


class _Queue:
    """What the sync and async pools share: the mean hold time, the wait estimate, the
    reachability of the database."""

    queue_s: float
    hold_s: float
    max_size: int
    _waiting: Any

    def _init_queue(self, queue_s: float) -> None:
        self.queue_s = queue_s
        self.hold_s = 0.0  # moving average of the time a connection is held, seconds
        self.samples = 0
        self._taken: dict[int, float] = {}
        self._hold_lock = threading.Lock()
        self.refused = 0  # requests refused as over the line (metrics)
        self.unreachable_fails = 0  # waiters failed at once because a connect failed

    def _admit(self) -> float:
        """Return the deadline of a new request's wait, or raise PoolOverloaded.

        Refused at once only when the line is clearly beyond the queue — an expected wait of
        more than twice ``queue_s``, from a mean of at least ``MIN_SAMPLES`` hold times (a
        stall, e.g. a lock every request waited on, must not refuse the line behind it); a
        request in a line that merely looks long waits, and is refused at ``queue_s`` if it
        really got no connection.
        """
        ahead = len(self._waiting)
        wait = expected_wait(ahead, self.hold_s, self.max_size)
        if self.samples >= MIN_SAMPLES and wait > 2 * self.queue_s:
            self.refused += 1
            raise PoolOverloaded(
                f"the server is busy: {ahead} requests are waiting for the database, about "
                f"{wait:.0f} s of work, more than the {self.queue_s:.0f} s a request is queued",
                retry_after=max(1, math.ceil(wait)))
        return monotonic() + self.queue_s

    def _taken_now(self, conn: object, since: float) -> None:
        now = monotonic()
        waited = queue_wait.get()
        if waited is not None:
            waited[0] += now - since
        with self._hold_lock:
            self._taken[id(conn)] = now

    def _given_back(self, conn: object) -> None:
        with self._hold_lock:
            t0 = self._taken.pop(id(conn), None)
            if t0 is not None:
                self.samples += 1
                held = monotonic() - t0
                # a short memory (≈ the last 20 connections): the line's speed changes with
                # the kind of work in it
                self.hold_s = held if self.hold_s == 0 else 0.95 * self.hold_s + 0.05 * held

    def _waiters(self) -> list[Any]:
        waiting = list(self._waiting)
        self._waiting.clear()
        return waiting


class QueueingPool(_Queue, ConnectionPool):
    """A psycopg pool that queues up to ``queue_s``, fails waiters when it cannot connect, and
    retries failed connects every ~0.2 s (not 1, 2, 4, 8 … s: after a database restart requests
    are served within a second of its return)."""

    def __init__(self, *args: Any, queue_s: float = 10.0, **kwargs: Any) -> None:
        self._init_queue(queue_s)
        super().__init__(*args, **kwargs)

    def getconn(self, timeout: float | None = None) -> Any:
        if timeout is not None:  # an explicit wait (a health probe): no queue
            return super().getconn(timeout)
        since = monotonic()
        deadline = self._admit()
        try:
            conn = super().getconn(deadline - since)
        except PoolOverloaded:
            raise
        except PoolTimeout:
            self.refused += 1
            raise PoolOverloaded(f"the server is busy: no database connection came free in "
                                 f"{self.queue_s:.0f} s",
                                 retry_after=math.ceil(self.queue_s)) from None
        self._taken_now(conn, since)
        return conn

    def putconn(self, conn: Any) -> None:
        self._given_back(conn)
        super().putconn(conn)

    def _getconn_with_check_loop(self, deadline: float) -> Any:
        # psycopg_pool sleeps 1, 2, 4 … s after each pooled connection that fails its check:
        # after the backends were killed every idle connection is dead, and a request drew two
        # of them and took 3 s to be told anything. A dead connection is thrown away at once,
        # so the next one drawn is another (or a fresh connect, which fails fast when the
        # database is down): re-draw after a short flat pause instead.
        while True:
            conn = self._getconn_unchecked(deadline - monotonic())
            try:
                self._check_connection(conn)
            except Exception:
                self._putconn(conn, from_getconn=True)
            except BaseException:
                self._putconn(conn, from_getconn=True)
                raise
            else:
                return conn
            if monotonic() + RECHECK_S >= deadline:
                raise PoolTimeout()
            time.sleep(RECHECK_S)

    def _connect(self, timeout: float | None = None) -> Any:
        try:
            return super()._connect(timeout)
        except Exception as exc:
            with self._lock:
                waiting = self._waiters()
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            for pos in waiting:
                if pos.fail(PoolUnreachable(f"cannot connect to the database: {reason}")):
                    self.unreachable_fails += 1
            raise

    def _add_connection(self, attempt: AttemptWithBackoff | None, growing: bool = False) -> None:
        super()._add_connection(attempt or _FlatRetry(timeout=self.reconnect_timeout), growing)


class AsyncQueueingPool(_Queue, AsyncConnectionPool):
    """The async twin of :class:`QueueingPool` (the tile renderer's pool)."""

    def __init__(self, *args: Any, queue_s: float = 10.0, **kwargs: Any) -> None:
        self._init_queue(queue_s)
        super().__init__(*args, **kwargs)

    async def getconn(self, timeout: float | None = None) -> Any:
        if timeout is not None:
            return await super().getconn(timeout)
        since = monotonic()
        deadline = self._admit()
        try:
            conn = await super().getconn(deadline - since)
        except PoolOverloaded:
            raise
        except PoolTimeout:
            self.refused += 1
            raise PoolOverloaded(f"the server is busy: no database connection came free in "
                                 f"{self.queue_s:.0f} s",
                                 retry_after=math.ceil(self.queue_s)) from None
        self._taken_now(conn, since)
        return conn

    async def putconn(self, conn: Any) -> None:
        self._given_back(conn)
        await super().putconn(conn)

    async def _getconn_with_check_loop(self, deadline: float) -> Any:
        # see QueueingPool._getconn_with_check_loop
        while True:
            conn = await self._getconn_unchecked(deadline - monotonic())
            try:
                await self._check_connection(conn)
            except Exception:
                await self._putconn(conn, from_getconn=True)
            except BaseException:
                await self._putconn(conn, from_getconn=True)
                raise
            else:
                return conn
            if monotonic() + RECHECK_S >= deadline:
                raise PoolTimeout()
            await asyncio.sleep(RECHECK_S)

    async def _connect(self, timeout: float | None = None) -> Any:
        try:
            return await super()._connect(timeout)
        except Exception as exc:
            async with self._lock:
                waiting = self._waiters()
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            for pos in waiting:
                if await pos.fail(PoolUnreachable(f"cannot connect to the database: {reason}")):
                    self.unreachable_fails += 1
            raise

    async def _add_connection(self, attempt: AttemptWithBackoff | None,
                              growing: bool = False) -> None:
        await super()._add_connection(attempt or _FlatRetry(timeout=self.reconnect_timeout),
                                      growing)


class _FlatRetry(AttemptWithBackoff):
    INITIAL_DELAY = 0.2
    DELAY_BACKOFF = 1.0
