"""Request limits: body size (413), the anonymous rate limit (429 + Retry-After), CORS."""

from __future__ import annotations

import asyncio
import time
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


# -- the work an anonymous client may cost (app.limits.WorkLimiter) ---------------------------

def work_app(limits: LimitSettings, work: Any, gate: asyncio.Event | None = None,
             cost: float = 0.0, clock: Clock | None = None) -> Starlette:
    """An app whose /slow waits for ``gate`` (if any) and advances ``clock`` by ``cost``."""
    from app.limits import AnonymousWork

    async def slow(request: Request) -> Response:
        if gate is not None:
            await gate.wait()
        if clock is not None:
            clock.now += cost
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/slow", slow), Route("/static/x", slow)])
    app.add_middleware(AnonymousWork, limits=limits, work=work)
    return app


def test_one_client_waits_for_its_own_turns_not_for_others() -> None:
    """With one turn per client, a client's second request waits in line (and gets 429 when
    the line takes too long) while another client is served at once."""
    from app.limits import WorkLimiter

    limits = LimitSettings(rate_exempt=[])
    work = WorkLimiter(concurrency=1, queue_s=0.3, rate=0.0, burst=0.0)

    async def scenario() -> list[int]:
        gate = asyncio.Event()
        app = work_app(limits, work, gate)
        a = httpx.ASGITransport(app=app, client=("1.1.1.1", 1))
        b = httpx.ASGITransport(app=app, client=("2.2.2.2", 1))
        async with httpx.AsyncClient(transport=a, base_url="http://t") as ca, \
                httpx.AsyncClient(transport=b, base_url="http://t") as cb:
            first = asyncio.create_task(ca.get("/slow"))
            await asyncio.sleep(0.05)
            second = asyncio.create_task(ca.get("/slow"))  # waits for the first
            await asyncio.sleep(0.05)
            third = asyncio.create_task(ca.get("/slow"))
            other = asyncio.create_task(cb.get("/slow"))  # B has a turn of its own
            await asyncio.sleep(0.05)
            gate.set()
            r_other = await other
            r1, r2, r3 = await first, await second, await third
        return [r1.status_code, r2.status_code, r3.status_code, r_other.status_code]

    assert asyncio.run(scenario()) == [200, 200, 200, 200]

    async def too_long() -> tuple[int, str]:
        gate = asyncio.Event()
        app = work_app(limits, work, gate)
        a = httpx.ASGITransport(app=app, client=("1.1.1.1", 1))
        async with httpx.AsyncClient(transport=a, base_url="http://t") as ca:
            first = asyncio.create_task(ca.get("/slow"))
            await asyncio.sleep(0.05)
            second = await ca.get("/slow")  # the first holds the turn past queue_s
            gate.set()
            await first
            cheap = await ca.get("/static/x")  # static files never queue
        assert cheap.status_code == 200
        return second.status_code, second.headers.get("retry-after", "")

    assert asyncio.run(too_long()) == (429, "1")
    assert work.lines == {}  # nothing left behind


def test_a_client_that_spent_its_work_budget_waits_others_do_not() -> None:
    from app.limits import WorkLimiter

    clock = Clock()
    limits = LimitSettings(rate_exempt=["9.9.9.9"])
    work = WorkLimiter(concurrency=0, queue_s=0, rate=0.1, burst=4.0, clock=clock)
    app = work_app(limits, work, cost=3.0, clock=clock)  # every request costs 3 s of work
    a, b = AsgiClient(app, "1.1.1.1"), AsgiClient(app, "2.2.2.2")
    assert a.get("/slow").status_code == 200  # 4 → 1 (+0.3 earned meanwhile, capped at 4)
    assert a.get("/slow").status_code == 200  # 1 → -1.7: the request ran, the debt is kept
    r = a.get("/slow")
    assert r.status_code == 429 and r.headers["retry-after"] == "17"  # 1.7 s at 0.1 s/s
    assert b.get("/slow").status_code == 200
    assert AsgiClient(app, "9.9.9.9").get("/slow").status_code == 200  # exempt
    clock.now += 17.5
    assert a.get("/slow").status_code == 200


def test_a_turn_handed_on_is_checked_against_the_budget_the_request_before_spent() -> None:
    """A client's next request waits in line while its previous one runs; the turn it is
    handed comes with the previous request's cost just charged. Over HTTP a client sending
    the next request the moment the last byte arrives was served on a spent budget."""
    from app.limits import WorkLimiter

    clock = Clock()
    work = WorkLimiter(concurrency=1, queue_s=5, rate=0.5, burst=2.0, clock=clock)

    async def run() -> int:
        assert await work.enter("a") == 0  # the first request runs
        second = asyncio.create_task(work.enter("a"))  # the next one waits for its turn
        await asyncio.sleep(0)
        clock.now += 3.0
        work.leave("a", 3.0)  # the first cost 3 s: 2 - 3 = -1 s of budget
        return await second

    assert asyncio.run(run()) == 2  # 1 s at 0.5 s/s: told to wait, not served
    assert work.lines == {}  # the turn was passed on, nothing held


def test_over_http_a_client_with_heavy_requests_queues_and_pays_others_do_not(
        cluster: Any, template_url: str) -> None:
    """A real server with one turn per anonymous client and a 2-second work budget: client A's
    request held by a table lock keeps A's second request waiting (then 429), while client B
    is answered at once; A's long request then costs A its budget, not B's."""
    import threading

    import psycopg

    from tests.conftest import clone, drop, served

    url = clone(cluster, "gis_template", "worklimits")

    def at(address: str) -> httpx.Client:
        return httpx.Client(base_url=base, timeout=30,
                            transport=httpx.HTTPTransport(local_address=address))

    try:
        with (served({"GIS_DATABASE_URL": url, "GIS_LIMITS__ANON_CONCURRENCY": "1",
                      "GIS_LIMITS__ANON_QUEUE_S": "1", "GIS_LIMITS__ANON_WORK_S_PER_S": "0.05",
                      "GIS_LIMITS__ANON_WORK_BURST_S": "2"}) as base,
              psycopg.connect(url) as blocker, at("127.0.3.1") as a, at("127.0.3.2") as b):
            blocker.execute("LOCK TABLE published.address IN ACCESS EXCLUSIVE MODE")
            held: list[httpx.Response] = []
            thread = threading.Thread(target=lambda: held.append(
                a.get("/collections/addresses/items?f=json")))
            thread.start()
            time.sleep(0.5)  # A's request is in, waiting on the lock
            t0 = time.monotonic()
            second = a.get("/collections/streets/items?f=json")
            waited = time.monotonic() - t0
            other = b.get("/collections/streets/items?f=json")
            assert second.status_code == 429 and second.headers["retry-after"], second.text
            assert waited >= 0.9  # it waited in line for its turn first
            assert other.status_code == 200
            time.sleep(2.0)  # A's held request has now cost more than A's budget
            blocker.rollback()
            thread.join(timeout=30)
            assert held and held[0].status_code == 200
            spent = a.get("/collections/streets/items?f=json")
            assert spent.status_code == 429 and int(spent.headers["retry-after"]) >= 1
            assert "work" in spent.json()["detail"]
            assert b.get("/collections/streets/items?f=json").status_code == 200
            assert a.get("/static/portal/main.js").status_code == 200  # files are free
    finally:
        drop(cluster, "worklimits")
