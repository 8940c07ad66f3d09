"""The outermost layer of the app: times every request for the access log and the metrics, and
answers ``/metrics`` (Prometheus text format) to allowed scrapers.

It wraps even the tile fast path, so cached tiles are counted and logged too; ``/metrics``
itself is answered here, before the rate limiter and routing, and is never counted or logged
as a request. Who may scrape: clients in ``GIS_METRICS__ALLOW`` (loopback by default) or any
client sending ``Authorization: Bearer $GIS_METRICS__TOKEN``; everyone else gets 403.
"""

from __future__ import annotations

import hmac
import ipaddress
from bisect import bisect_left
from collections.abc import Iterable
from time import perf_counter
from typing import Any

from psycopg_pool import ConnectionPool
from starlette.types import ASGIApp, Receive, Scope, Send

from app.access_log import AccessLog
from app.metrics import BUCKETS, Family, Metrics, pool_families, route_class
from app.problems import send_problem
from app.security import _PRINCIPAL
from app.tile_server import TileServer
from gis.auth import Principal
from gis.errors import Forbidden, GisError, MethodNotAllowed
from gis.settings import MetricsSettings, Settings

PRINCIPAL_KEY = _PRINCIPAL  # where app.security keeps a request's principal
CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"


class Observer:
    """ASGI middleware: access log line and metrics per request; ``/metrics`` for scrapers."""

    def __init__(self, app: ASGIApp, metrics: Metrics | None, log: AccessLog | None,
                 settings: MetricsSettings) -> None:
        self.app = app
        self.metrics = metrics
        self.log = log
        self.allow = [ipaddress.ip_network(n, strict=False) for n in settings.allow]
        self.token = (settings.token.get_secret_value().encode()
                      if settings.token is not None else None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            try:
                await self.app(scope, receive, send)
            finally:
                if scope["type"] == "lifespan" and self.log is not None:
                    self.log.close()
            return
        path: str = scope["path"]
        if path == "/metrics" and self.metrics is not None:
            await self.scrape(scope, send)
            return
        answer = _Answer(send, route_class(path))
        metrics = self.metrics
        if metrics is not None:
            metrics.in_flight += 1
        started = perf_counter()
        try:
            await self.app(scope, receive, answer.send)
        except BaseException:
            if not answer.status:
                answer.status = 500  # what the server answers for an escaped error
            raise
        finally:
            seconds = perf_counter() - started
            self.done(scope, path, answer, seconds)

    def done(self, scope: Scope, path: str, answer: _Answer, seconds: float) -> None:
        """Count and log one answered request (the hot path: plain increments, one line)."""
        status = answer.status or 499  # nothing sent: the client went away (nginx's 499)
        route = answer.route
        m = self.metrics
        if m is not None:  # Metrics.record, inlined
            m.in_flight -= 1
            key = (route, scope["method"], status)
            requests = m.requests
            requests[key] = requests.get(key, 0) + 1
            m.buckets[route][bisect_left(BUCKETS, seconds)] += 1
            m.seconds[route] += seconds
            m.response_bytes[route] += answer.size
            mark = answer.mark
            if mark:
                if mark == "timeout":
                    m.statement_timeouts[route] += 1
                elif mark in m.tile_cache:
                    m.tile_cache[mark] += 1
        log = self.log
        if log is not None:
            client = scope.get("client")
            principal = scope.get(PRINCIPAL_KEY)
            user = principal.name if isinstance(principal, Principal) and \
                principal.authenticated else None
            log.write(log.line(
                scope["method"], path, scope["query_string"], status, answer.size, seconds,
                client[0] if client else "-", user, route, _header(scope, b"user-agent")))

    def allowed(self, scope: Scope) -> bool:
        """Return True when this scrape comes from an allowed network or carries the token."""
        if self.token is not None:
            given = _header(scope, b"authorization")
            scheme, _, token = given.partition(" ")
            if scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(),
                                                                  self.token):
                return True
        try:
            address = ipaddress.ip_address(_client(scope))
        except ValueError:
            return False
        return any(address in network for network in self.allow)

    async def scrape(self, scope: Scope, send: Send) -> None:
        assert self.metrics is not None
        # outside the app (its error handlers): the problem of the error tree, written here
        refused: GisError | None = None
        if scope["method"] not in ("GET", "HEAD"):
            refused = MethodNotAllowed("/metrics answers GET only", allow="GET, HEAD")
        elif not self.allowed(scope):
            refused = Forbidden("metrics are served to the networks in GIS_METRICS__ALLOW "
                                "or with the bearer token GIS_METRICS__TOKEN")
        if refused is not None:
            await send_problem(send, refused, "/metrics", [(b"cache-control", b"no-store")] + (
                [(b"allow", b"GET, HEAD")] if isinstance(refused, MethodNotAllowed) else []))
            return
        body = self.metrics.render().encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", CONTENT_TYPE),
                                (b"content-length", str(len(body)).encode()),
                                (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body",
                    "body": body if scope["method"] != "HEAD" else b""})


class _Answer:
    """What one response said, seen on its way out: status, body bytes and a mark (the tile
    cache's ``x-tile-cache`` for tiles; "timeout" for a 503 QueryTimeout problem)."""

    __slots__ = ("_send", "route", "status", "size", "mark")

    def __init__(self, send: Send, route: str) -> None:
        self._send = send
        self.route = route
        self.status = 0
        self.size = 0
        self.mark = ""

    async def send(self, message: Any) -> None:
        if message["type"] == "http.response.body":
            body = message.get("body", b"")
            self.size += len(body)
            if self.status == 503 and b"QueryTimeout" in body:
                self.mark = "timeout"
        elif message["type"] == "http.response.start":
            self.status = message["status"]
            if self.route == "tiles":
                for name, value in message.get("headers", ()):
                    if name == b"x-tile-cache":
                        self.mark = value.decode("latin-1")
                        break
        await self._send(message)


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "-"


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def tile_families(tiles: TileServer) -> Iterable[Family]:
    """Yield the tile service's own counters: renders, cache memory, invalidation."""
    svc = tiles.service
    yield Family("hromada_tile_renders_total", "counter",
                 "Tiles rendered by PostGIS (one per layer source of a tile answer).",
                 [({}, svc.renders)])
    yield Family("hromada_tile_render_seconds_total", "counter",
                 "Time spent rendering tiles in PostGIS.", [({}, svc.render_seconds)])
    size = getattr(svc.cache, "size", None)
    if size is not None:
        yield Family("hromada_tile_memory_bytes", "gauge",
                     "Bytes of tiles held in the in-memory front of the tile cache.",
                     [({}, size)])
    inv = tiles.invalidator
    yield Family("hromada_tile_invalidations_total", "counter",
                 "Batches of committed changes applied to the tile cache.",
                 [({}, inv.epoch if inv is not None else 0)])
    yield Family("hromada_tile_invalidated_tiles_total", "counter",
                 "Cached tiles dropped because an edit touched them.",
                 [({}, inv.tiles_dropped if inv is not None else 0)])
    yield Family("hromada_tile_invalidation_healthy", "gauge",
                 "1 while the change feed is followed (the cache is used), else 0.",
                 [({}, 1 if inv is not None and inv.healthy else 0)])


def observe(app: ASGIApp, settings: Settings, *, pool: ConnectionPool,
            tiles: TileServer) -> ASGIApp:
    """Return ``app`` behind the access log and metrics (as ``settings`` turn them on)."""
    metrics = None
    if settings.metrics.enabled:
        metrics = Metrics()
        metrics.collectors.append(lambda: pool_families({"app": pool, "tiles": tiles.pool}))
        metrics.collectors.append(lambda: tile_families(tiles))
    log = AccessLog(settings.log) if settings.log.access != "off" else None
    if metrics is None and log is None:
        return app
    return Observer(app, metrics, log, settings.metrics)
