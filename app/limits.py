"""Request limits: body size (413), a per-client rate and work budget for anonymous users
(429), CORS.

The rate limit is an in-process token bucket per client IP: right for one instance. Behind
several instances each keeps its own buckets, so the shared limit belongs to the reverse proxy
(docs/security.md). Requests with credentials are not counted against the anonymous rate; they
draw on a second bucket per client that only 401 answers empty (ten tokens each), so guessing
tokens or passwords is throttled while staff keep working.

A rate counts requests, not what they cost: one 10,000-feature page costs a thousand tile
hits. :class:`WorkLimiter` bounds the work itself: each anonymous client has a few requests
served at once (the rest wait in line, in order) and a budget of server seconds, so one
client's 20 parallel heavy pages take its own turns, not everyone else's.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Receive, Scope, Send

from app.problems import send_problem
from app.security import CSRF_HEADER, has_credentials, scope_principal
from gis.errors import PayloadTooLarge, TooManyRequests
from gis.queueing import queue_wait
from gis.settings import LimitSettings

ASGIApp = Callable[..., Any]
EXEMPT_PATHS = ("/healthz", "/readyz")
# files from disk and label glyphs (built once per range, then kept): no database work, never
# queued behind a client's other requests (a map asks for several glyph ranges at once)
CHEAP_PREFIXES = ("/static/", "/fonts/")
FAILURE_COST = 10.0


@dataclass
class Bucket:
    tokens: float
    at: float


@dataclass
class RateLimiter:
    """Token buckets per client: ``rate`` per second sustained, ``burst`` at once."""

    rate: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    buckets: dict[str, Bucket] = field(default_factory=dict)

    def _bucket(self, client: str) -> Bucket:
        now = self.clock()
        b = self.buckets.get(client)
        if b is None:
            if len(self.buckets) > 100_000:  # forget clients whose buckets are full again
                self.buckets = {k: v for k, v in self.buckets.items()
                                if v.tokens + (now - v.at) * self.rate < self.burst}
            b = self.buckets[client] = Bucket(float(self.burst), now)
        b.tokens = min(float(self.burst), b.tokens + (now - b.at) * self.rate)
        b.at = now
        return b

    def retry_after(self, client: str, cost: float = 1.0) -> int:
        """Take ``cost`` tokens; return 0 if they were there, else seconds until they are."""
        b = self._bucket(client)
        if b.tokens >= cost and b.tokens > 0:
            b.tokens -= cost
            return 0
        return max(1, math.ceil((max(cost, 1.0) - b.tokens) / self.rate))

    def charge(self, client: str, cost: float) -> None:
        """Take ``cost`` tokens whether or not they are there (a failed login)."""
        b = self._bucket(client)
        b.tokens = max(-float(self.burst), b.tokens - cost)


class _TooLarge(Exception):
    pass


class RequestLimits:
    """ASGI middleware: 413 for bodies over the limit, 429 for anonymous clients over rate."""

    def __init__(self, app: ASGIApp, limits: LimitSettings,
                 limiter: RateLimiter | None = None,
                 larger_bodies: dict[str, int] | None = None) -> None:
        self.app = app
        self.default_max_body = limits.max_body_bytes
        # path prefixes allowed larger bodies (the staff upload of files to import)
        self.larger_bodies = larger_bodies or {}
        self.exempt = frozenset(limits.rate_exempt)
        self.limiter = limiter or rate_limiter(limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        max_body = next((n for prefix, n in self.larger_bodies.items()
                         if path.startswith(prefix)), self.default_max_body)
        too_large = PayloadTooLarge(
            f"uploads are limited to {max_body >> 20} MB (GIS_INGEST__MAX_UPLOAD_MB)"
            if max_body != self.default_max_body else
            f"request bodies are limited to {max_body} bytes (GIS_LIMITS__MAX_BODY_BYTES)")
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_body:
            await send_problem(send, too_large, path)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        limiter = None if client in self.exempt or path in EXEMPT_PATHS else self.limiter
        if limiter is not None:
            credentialed = has_credentials(headers, headers.get("cookie", ""))
            # credentials are checked against the client's failure bucket only: signing in
            # works while anonymous reading is throttled, guessing does not
            wait = (limiter.retry_after(f"!{client}", 0.0) if credentialed
                    else limiter.retry_after(client))
            if wait:
                await _too_many(send, client, wait, path)
                return
        received = 0
        started = False

        async def counted_receive() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_body:
                    raise _TooLarge
            return message

        async def watched_send(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if message["status"] == 401 and limiter is not None:
                    limiter.charge(f"!{client}", FAILURE_COST)
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except _TooLarge:
            if started:
                raise
            await send_problem(send, too_large, path)


@dataclass
class _Line:
    running: int = 0
    waiting: deque[asyncio.Future[None]] = field(default_factory=deque)


@dataclass
class WorkLimiter:
    """The work of anonymous clients: ``concurrency`` requests of one client served at once
    (more wait in line, first come first served, for up to ``queue_s``), and a bucket of
    server seconds per client (``rate`` earned per second, ``burst`` at most); a request that
    finds its client's bucket spent, or waits too long, is answered 429 + Retry-After.

    A request's cost is its time in the app, from its turn to its last byte — mostly database
    time — so a heavy page costs more than a cheap one; the time it waited in line for a
    database connection while the server was busy with others is not its cost and is not
    charged. 0 switches either bound off.
    """

    concurrency: int
    queue_s: float
    rate: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    max_waiting: int = 64  # waiters per client; more are refused at once
    lines: dict[str, _Line] = field(default_factory=dict)
    spent: dict[str, Bucket] = field(default_factory=dict)

    def _bucket(self, client: str) -> Bucket:
        now = self.clock()
        b = self.spent.get(client)
        if b is None:
            if len(self.spent) > 100_000:  # forget clients whose budget is whole again
                self.spent = {k: v for k, v in self.spent.items()
                              if v.tokens + (now - v.at) * self.rate < self.burst}
            b = self.spent[client] = Bucket(self.burst, now)
        b.tokens = min(self.burst, b.tokens + (now - b.at) * self.rate)
        b.at = now
        return b

    def budget_wait(self, client: str) -> int:
        """Return 0 when ``client`` has work left, else the seconds until it has."""
        if self.rate <= 0 or self.burst <= 0:
            return 0
        b = self._bucket(client)
        return 0 if b.tokens > 0 else max(1, math.ceil(-b.tokens / self.rate))

    async def enter(self, client: str) -> int:
        """Take a turn for ``client``: return 0 when it may go on (call :meth:`leave` after),
        else the seconds to tell it to wait."""
        wait = self.budget_wait(client)
        if wait:
            return wait
        if self.concurrency <= 0:
            return 0
        line = self.lines.setdefault(client, _Line())
        if line.running < self.concurrency:
            line.running += 1
            return 0
        if len(line.waiting) >= self.max_waiting:
            return max(1, math.ceil(self.queue_s))
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        line.waiting.append(turn)
        try:
            await asyncio.wait_for(asyncio.shield(turn), self.queue_s)
        except TimeoutError:
            if not turn.done() or turn.cancelled():
                turn.cancel()
                with contextlib.suppress(ValueError):
                    line.waiting.remove(turn)
                self._forget(client, line)
                return max(1, math.ceil(self.queue_s))
            # handed a turn just as the wait ran out: take it
        # The turn came from the client's previous request, whose cost was charged as it
        # left: a client that sends its next request the moment the last byte of the one
        # before arrives would otherwise be served on a budget that request just spent.
        wait = self.budget_wait(client)
        if wait:
            self.leave(client, 0.0)  # pass the turn on, uncharged
            return wait
        return 0

    def leave(self, client: str, seconds: float) -> None:
        """End a turn of ``client`` that took ``seconds``; hand it to the next in line."""
        if self.rate > 0 and self.burst > 0:
            b = self._bucket(client)
            b.tokens = max(-self.burst, b.tokens - seconds)
        if self.concurrency <= 0:
            return
        line = self.lines.get(client)
        if line is None:
            return
        while line.waiting:
            turn = line.waiting.popleft()
            if not turn.done():
                turn.set_result(None)  # the turn passes on; running stays the same
                return
        line.running -= 1
        self._forget(client, line)

    def _forget(self, client: str, line: _Line) -> None:
        if line.running <= 0 and not line.waiting:
            self.lines.pop(client, None)


def work_limiter(limits: LimitSettings) -> WorkLimiter | None:
    """Return the anonymous work limiter of these settings (None: both bounds off)."""
    if limits.anon_concurrency <= 0 and (limits.anon_work_s_per_s <= 0
                                         or limits.anon_work_burst_s <= 0):
        return None
    return WorkLimiter(limits.anon_concurrency, limits.anon_queue_s, limits.anon_work_s_per_s,
                       limits.anon_work_burst_s)


class AnonymousWork:
    """ASGI middleware after authentication: the work bounds of :class:`WorkLimiter` for every
    request the public makes — without credentials, or with a session cookie that turned out
    stale (those also take a token of the anonymous rate, which ``RequestLimits`` could not
    know before authentication)."""

    def __init__(self, app: ASGIApp, limits: LimitSettings, work: WorkLimiter | None,
                 limiter: RateLimiter | None = None) -> None:
        self.app = app
        self.exempt = frozenset(limits.rate_exempt)
        self.work = work
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        client = (scope.get("client") or ("unknown", 0))[0]
        who = scope_principal(scope)
        if scope["type"] != "http" or client in self.exempt or path in EXEMPT_PATHS or \
                path.startswith(CHEAP_PREFIXES) or (who is not None and not who.is_public):
            await self.app(scope, receive, send)
            return
        if who is not None and self.limiter is not None:  # credentials that proved anonymous
            wait = self.limiter.retry_after(client)
            if wait:
                await _too_many(send, client, wait, path)
                return
        if self.work is None:
            await self.app(scope, receive, send)
            return
        wait = await self.work.enter(client)
        if wait:
            await send_problem(send, TooManyRequests(
                f"{client} has too much work in progress on this server; retry in {wait} s "
                "(see docs/security.md, limits)"), path, [(b"retry-after", str(wait).encode())])
            return
        started = self.work.clock()
        # the time the request waits in line for a database connection is the server's
        # business, not this client's work: it is not charged (gis/queueing.py)
        waited = [0.0]
        token = queue_wait.set(waited)
        try:
            await self.app(scope, receive, send)
        finally:
            queue_wait.reset(token)
            self.work.leave(client, max(0.0, self.work.clock() - started - waited[0]))


async def _too_many(send: Any, client: str, wait: int, path: str) -> None:
    await send_problem(send, TooManyRequests(f"too many requests from {client}; retry in "
                                             f"{wait} s"), path,
                       [(b"retry-after", str(wait).encode())])


def rate_limiter(limits: LimitSettings) -> RateLimiter | None:
    """Return the anonymous rate limiter of these settings (None: no limit)."""
    if limits.anon_rate_per_s <= 0:
        return None
    return RateLimiter(limits.anon_rate_per_s, limits.anon_burst)


@dataclass
class Admission:
    """The rate limiter's word on one anonymous request served ahead of the app (a tile the
    fast path renders): True takes the client's token, as ``RequestLimits`` would."""

    limits: LimitSettings
    limiter: RateLimiter | None

    def __call__(self, scope: Scope) -> bool:
        client = (scope.get("client") or ("unknown", 0))[0]
        if self.limiter is None or client in self.limits.rate_exempt:
            return True
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        if has_credentials(headers, headers.get("cookie", "")):
            return False  # credentials: the app authenticates them first
        return self.limiter.retry_after(client) == 0


def limit_middleware(limits: LimitSettings, limiter: RateLimiter | None = None,
                     larger_bodies: dict[str, int] | None = None) -> list[Middleware]:
    """Return the limits middleware, and CORS when origins are configured.

    With ``["*"]`` any site's scripts may read (GET/HEAD), never write; with named origins
    those may also write with a bearer token (cookies are never sent cross-origin).
    ``limiter`` shares its buckets with other users of it (the tile fast path).
    """
    stack = [Middleware(RequestLimits, limits=limits, limiter=limiter,
                        larger_bodies=larger_bodies)]
    origins = limits.cors_origins
    if origins:
        reads_only = "*" in origins
        stack.insert(0, Middleware(
            CORSMiddleware, allow_origins=["*"] if reads_only else origins,
            allow_methods=["GET", "HEAD"] if reads_only else
            ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Accept", "Accept-Language", "Content-Type", "Content-Crs"]
            if reads_only else ["Accept", "Accept-Language", "Authorization", "Content-Type",
                                "Content-Crs", "If-Match", "If-None-Match", CSRF_HEADER],
            expose_headers=["ETag", "Location", "Content-Crs", "Retry-After"],
            allow_credentials=False, max_age=600))
    return stack
