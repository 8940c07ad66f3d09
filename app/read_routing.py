"""Which requests may read on a replica, and read-your-writes for the client that wrote.

With ``GIS_DATABASE__REPLICA_URLS`` set, :class:`ReadRouting` marks safe-method requests of
the read routes (items, one item, search, reports, pages) as reads a replica may serve
(:data:`gis.replicas.read_route`). After a successful write it notes the primary's WAL position
(``pg_current_wal_lsn()``, at or after the write's commit) for the writing client — its token,
or its session cookie — and that client's reads go to the primary until a replica has replayed
that position; then the note is dropped. Keys are hashes: no token is kept.

Notes live in this process: behind several instances, a writer's reads are consistent on the
instance it wrote through (a sticky load balancer keeps them there; docs/operations.md).
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

from anyio import to_thread
from starlette.types import Receive, Scope, Send

from app.metrics import route_class
from app.security import SESSION_COOKIE
from gis.replicas import ReadRoute, RoutedPool, parse_lsn, read_route

ASGIApp = Any
READ_CLASSES = frozenset({"items", "item", "search", "reports", "pages", "tiles"})
# pages that sign in or out, or start work: never on a replica
PRIMARY_PREFIXES = ("/login", "/logout", "/me", "/processes", "/jobs", "/qgis", "/ingest")
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
PIN_TTL_S = 600.0  # a note older than this is dropped (a replica that never catches up is down)


def client_key(scope: Scope) -> str:
    """Return a hash naming the client: its bearer token or session cookie, else its address.

    >>> a = client_key({"headers": [(b"authorization", b"Bearer s3cret")], "client": ("h", 1)})
    >>> b = client_key({"headers": [(b"cookie", b"gis_session=xyz")], "client": ("h", 1)})
    >>> a != b and len(a) == 32 and "s3cret" not in a
    True
    """
    credential = ""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            credential = "a:" + value.decode("latin-1")
            break
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                if key == SESSION_COOKIE and val:
                    credential = "s:" + val
    if not credential:
        credential = "c:" + str((scope.get("client") or ("unknown", 0))[0])
    return hashlib.sha256(credential.encode()).hexdigest()[:32]


class Pins:
    """The primary's WAL position after each client's last write, until a replica has it."""

    def __init__(self) -> None:
        self._pins: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def note(self, key: str, lsn: int) -> None:
        with self._lock:
            old = self._pins.get(key, (0, 0.0))[0]
            self._pins[key] = (max(old, lsn), time.monotonic())
            if len(self._pins) > 100_000:  # forget the oldest half
                kept = sorted(self._pins.items(), key=lambda kv: kv[1][1])[50_000:]
                self._pins = dict(kept)

    def get(self, key: str) -> int:
        with self._lock:
            found = self._pins.get(key)
            if found is None:
                return 0
            if time.monotonic() - found[1] > PIN_TTL_S:
                del self._pins[key]
                return 0
            return found[0]

    def drop_if(self, key: str, lsn: int) -> None:
        with self._lock:
            found = self._pins.get(key)
            if found is not None and found[0] <= lsn:
                del self._pins[key]


class ReadRouting:
    """ASGI middleware: reads to replicas, a writer's reads to the primary until replayed."""

    def __init__(self, app: ASGIApp, pool: RoutedPool) -> None:
        self.app = app
        self.pool = pool
        self.pins = Pins()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key = client_key(scope)
        if scope["method"] in SAFE:
            path = scope.get("path", "")
            if route_class(path) not in READ_CLASSES or path.startswith(PRIMARY_PREFIXES):
                await self.app(scope, receive, send)
                return
            pinned = self.pins.get(key)
            if pinned and any(self.pool.watch.caught_up(s, pinned)
                              for s in self.pool.watch.replicas):
                self.pins.drop_if(key, pinned)  # a replica has the write: reads are free again
            token = read_route.set(ReadRoute(min_lsn=pinned))
            try:
                await self.app(scope, receive, send)
            finally:
                read_route.reset(token)
            return

        async def noted_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                # before the answer goes out: the client's next read may follow at once
                lsn = await to_thread.run_sync(self._primary_lsn)
                if lsn:
                    self.pins.note(key, lsn)
            await send(message)

        await self.app(scope, receive, noted_send)

    def _primary_lsn(self) -> int:
        try:
            with self.pool.primary.connection() as conn:
                row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        except Exception:  # the write is done; without a position, the watch's last one
            return self.pool.watch.primary_lsn + 1
        return parse_lsn(row[0]) if row else 0
