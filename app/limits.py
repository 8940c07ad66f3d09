"""Request limits: body size (413), a per-client rate for anonymous users (429), CORS.

The rate limit is an in-process token bucket per client IP: right for one instance. Behind
several instances each keeps its own buckets, so the shared limit belongs to the reverse proxy
(docs/security.md). Requests with credentials are not counted against the anonymous rate; they
draw on a second bucket per client that only 401 answers empty (ten tokens each), so guessing
tokens or passwords is throttled while staff keep working.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Scope

from app.security import CSRF_HEADER, has_credentials
from gis.settings import LimitSettings

ASGIApp = Callable[..., Any]
EXEMPT_PATHS = ("/healthz", "/readyz")
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


async def _problem(send: Any, status: int, title: str, detail: str, path: str,
                   headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"type": "about:blank", "title": title, "status": status,
                       "detail": detail, "description": detail, "instance": path,
                       "code": title.replace(" ", "")}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


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

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        max_body = next((n for prefix, n in self.larger_bodies.items()
                         if path.startswith(prefix)), self.default_max_body)
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_body:
            await _problem(send, 413, "Payload Too Large",
                           f"request bodies are limited to {max_body} bytes", path)
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
                await _problem(send, 429, "Too Many Requests",
                               f"too many requests from {client}; retry in {wait} s", path,
                               [(b"retry-after", str(wait).encode())])
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
            await _problem(send, 413, "Payload Too Large",
                           f"request bodies are limited to {max_body} bytes", path)


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
