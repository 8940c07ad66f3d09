"""Request limits: body size (413), the anonymous rate limit (429 + Retry-After), CORS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.limits import RateLimiter, RequestLimits, limit_middleware
from gis.settings import LimitSettings


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class AsgiClient:
    """A synchronous face over httpx's ASGI transport; requests come from ``1.2.3.4``."""

    def __init__(self, app: Starlette, client: str = "1.2.3.4") -> None:
        self.transport = httpx.ASGITransport(app=app, client=(client, 1234))

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            async with httpx.AsyncClient(transport=self.transport, base_url="http://t") as c:
                return await c.request(method, path, **kw)
        return asyncio.run(go())

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)

    def options(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("OPTIONS", path, **kw)


def make_app(limits: LimitSettings, limiter: RateLimiter | None = None) -> Starlette:
    async def echo(request: Request) -> Response:
        if request.headers.get("authorization") == "Bearer bad":
            return JSONResponse({"code": "Unauthorized"}, status_code=401)
        return JSONResponse({"bytes": len(await request.body())})

    app = Starlette(routes=[Route("/echo", echo, methods=["GET", "POST"]),
                            Route("/healthz", echo)],
                    middleware=limit_middleware(limits))
    if limiter is not None:  # the same stack with a clock the test moves
        app = Starlette(routes=[Route("/echo", echo, methods=["GET", "POST"]),
                                Route("/healthz", echo)])
        app.add_middleware(RequestLimits, limits=limits, limiter=limiter)
    return app


def test_bodies_over_the_limit_get_413() -> None:
    client = AsgiClient(make_app(LimitSettings(max_body_bytes=100, rate_exempt=[])))
    assert client.post("/echo", content=b"x" * 100).json() == {"bytes": 100}
    r = client.post("/echo", content=b"x" * 101)
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        yield b"x" * 60
        yield b"x" * 60

    assert client.post("/echo", content=chunks()).status_code == 413


def test_anonymous_clients_over_the_rate_get_429_with_retry_after() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2.0, burst=3, clock=clock)
    client = AsgiClient(make_app(LimitSettings(rate_exempt=[]), limiter))
    assert [client.get("/echo").status_code for _ in range(3)] == [200, 200, 200]
    r = client.get("/echo")
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    assert client.get("/healthz").status_code == 200  # probes are never limited
    # a signed-in client is not counted against the anonymous rate
    assert client.get("/echo", headers={"Authorization": "Bearer good"}).status_code == 200
    clock.now += 0.5  # one token back
    assert client.get("/echo").status_code == 200
    assert client.get("/echo").status_code == 429


def test_failed_logins_cost_tokens_so_guessing_is_slow() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=1.0, burst=20, clock=clock)
    client = AsgiClient(make_app(LimitSettings(rate_exempt=[]), limiter))
    assert client.get("/echo", headers={"Authorization": "Bearer bad"}).status_code == 401
    assert client.get("/echo", headers={"Authorization": "Bearer bad"}).status_code == 401
    assert client.get("/echo", headers={"Authorization": "Bearer bad"}).status_code == 429
    r = client.get("/echo", headers={"Authorization": "Bearer good"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1


def test_loopback_is_exempt_by_default() -> None:
    clock = Clock()
    limits = LimitSettings(rate_exempt=["1.2.3.4"])
    client = AsgiClient(make_app(limits, RateLimiter(rate=1.0, burst=1, clock=clock)))
    assert all(client.get("/echo").status_code == 200 for _ in range(5))
    assert LimitSettings().rate_exempt == ["127.0.0.1", "::1"]


def test_cors_is_off_by_default_and_reads_only_with_a_star() -> None:
    preflight = {"Origin": "https://maps.example", "Access-Control-Request-Method": "POST"}
    client = AsgiClient(make_app(LimitSettings()))
    assert "access-control-allow-origin" not in client.get(
        "/echo", headers={"Origin": "https://maps.example"}).headers
    client = AsgiClient(make_app(LimitSettings(cors_origins=["*"])))
    r = client.get("/echo", headers={"Origin": "https://maps.example"})
    assert r.headers["access-control-allow-origin"] == "*"
    assert client.options("/echo", headers=preflight).status_code == 400  # no writes
    client = AsgiClient(make_app(LimitSettings(cors_origins=["https://maps.example"])))
    r = client.options("/echo", headers={**preflight, "Access-Control-Request-Headers":
                                         "authorization,content-type"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://maps.example"
    r = client.options("/echo", headers={**preflight, "Origin": "https://evil.example"})
    assert r.status_code == 400


def test_tile_admission_shares_the_buckets_and_leaves_credentials_to_the_app() -> None:
    """The tile fast path asks ``Admission`` before rendering a miss: the same buckets as the
    middleware, so a client cannot get around its rate through tiles."""
    from app.limits import Admission

    clock = Clock()
    limiter = RateLimiter(rate=1.0, burst=2, clock=clock)
    admit = Admission(LimitSettings(rate_exempt=["127.0.0.1"]), limiter)

    def scope(client: str, *headers: tuple[bytes, bytes]) -> dict[str, Any]:
        return {"type": "http", "client": (client, 1), "headers": list(headers)}

    assert [admit(scope("1.2.3.4")) for _ in range(3)] == [True, True, False]
    client = AsgiClient(make_app(LimitSettings(rate_exempt=[]), limiter))
    assert client.get("/echo").status_code == 429  # the middleware sees the same empty bucket
    assert admit(scope("1.2.3.4", (b"cookie", b"gis_session=abc"))) is False  # app decides
    assert admit(scope("127.0.0.1")) is True  # exempt
    clock.now += 1.0
    assert admit(scope("1.2.3.4")) is True
