"""The access log and /metrics of a real ``gis serve``: one line per request and no secrets in
it; counters and histogram buckets that move by exactly the requests sent; scrapers allowed by
network or token; the example Grafana dashboard uses only metrics the server exposes."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app.access_log import FLUSH_S, AccessLog
from app.metrics import BUCKETS, Metrics
from app.observe import Observer
from gis.auth import Role
from gis.cluster import EmbeddedCluster
from gis.settings import LogSettings, MetricsSettings
from gis.users import add_user, issue_token
from tests.conftest import DEMO_TODAY, clone, drop, served, shared_tmp
from tests.factories import approve_all
from tests.test_limits import AsgiClient
from tests.test_personal_data import forbidden_values, tile_of

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Tr0ub4dor&3-unique-password"
DASHBOARD = ROOT / "docs" / "grafana-dashboard.json"


@pytest.fixture(scope="module")
def observed(cluster: EmbeddedCluster, template_url: str) -> Iterator[dict[str, Any]]:
    """Return a server over a demo city with a registrar (password and token) whose access
    log goes to a file of its own; items stop after 1.5 s (statement timeout)."""
    from app.demo.load import load_demo

    url = clone(cluster, "gis_template", "observed")
    with psycopg.connect(url) as conn:
        load_demo(conn, scale=0.01, seed=68, today=DEMO_TODAY, srid=6383)
        add_user(conn, "oksana", frozenset({Role.REGISTRAR}), password=PASSWORD)
        token = issue_token(conn, "oksana", "tests")[1]
        conn.commit()
    work = shared_tmp("hromada-observed-")
    log = work / "access.log"
    try:
        with served({"GIS_DATABASE_URL": url, "GIS_DATA_DIR": str(work / "data"),
                     "GIS_AUTH__COOKIE_SECURE": "false", "GIS_LOG__ACCESS": str(log),
                     "GIS_TIMEOUTS__ITEMS_S": "1.5"}) as base:
            yield {"server": base, "url": url, "token": token, "log": log}
    finally:
        drop(cluster, "observed")
        import shutil

        shutil.rmtree(work, ignore_errors=True)


def log_lines_after(log: Path, offset: int) -> list[dict[str, Any]]:
    """Return the access-log lines written after byte ``offset`` (waiting for the last)."""
    time.sleep(FLUSH_S * 3)
    with log.open("rb") as f:
        f.seek(offset)
        return [json.loads(line) for line in f.read().decode().splitlines()]


def scrape(server: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Return every sample of /metrics as {(name, sorted labels): value}, parsed by the
    reference parser of the Prometheus text format."""
    r = httpx.get(f"{server}/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_one_line_per_request_and_no_secret_in_any(observed: dict[str, Any]) -> None:
    server, log, token = observed["server"], observed["log"], observed["token"]
    with psycopg.connect(observed["url"]) as conn:
        personal = next(v for v, where in forbidden_values(conn).items()
                        if where == "land_parcels.holder_name")
    time.sleep(FLUSH_S * 3)  # the lines of earlier requests are written
    offset = log.stat().st_size
    sent = []
    with httpx.Client(base_url=server, timeout=30) as client:
        def get(path: str, **kw: Any) -> httpx.Response:
            r = client.get(path, **kw)
            sent.append(("GET", path.split("?")[0], r.status_code))
            return r

        get("/collections/land_parcels/items", params={
            "f": "json", "limit": "5", "filter": f"holder_name = '{personal}'"},
            headers={"Authorization": f"Bearer {token}"})
        login = client.post("/login", json={"name": "oksana", "password": PASSWORD})
        sent.append(("POST", "/login", login.status_code))
        assert login.status_code == 200, login.text
        session = client.cookies["gis_session"]
        get("/me")  # with the session cookie
        client.cookies.clear()
        get("/login", params={"name": "oksana", "password": PASSWORD})  # a password misplaced
        get("/search", params={"q": personal})
        get("/maps/city/14/9420/5594.mvt")  # the tile fast path is logged too
        get("/collections/nope/items")
        get("/metrics")  # scrapes are not requests: not logged
        sent.pop()
    lines = log_lines_after(log, offset)
    assert [(ln["method"], ln["path"], ln["status"]) for ln in lines] == sent
    text = log.read_text()[offset:]
    for secret in (token, PASSWORD, session, personal):
        assert secret not in text
    items, _, me, misplaced, search, tile, missing = lines
    assert items["user"] == "oksana" and me["user"] == "oksana"
    assert misplaced["user"] is None and tile["user"] is None
    assert items["query"] == "f=json&limit=5&filter=…"
    assert misplaced["query"] == "name=…&password=…" and search["query"] == "q=…"
    assert items["route"] == "items" and tile["route"] == "tiles" and search["route"] == "search"
    assert missing["status"] == 404 and missing["route"] == "items"
    for line in lines:
        assert line["client"] == "127.0.0.1" and line["ms"] >= 0
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
        assert line["agent"].startswith("python-httpx/")
    assert items["bytes"] > 0


def test_metrics_move_by_exactly_the_requests_sent(observed: dict[str, Any]) -> None:
    server = observed["server"]
    before = scrape(server)
    z, x, y = 16, 37683, 22389  # in the city (a tile off it is outside the tileset: 404)
    with httpx.Client(base_url=server, timeout=30) as client:
        for _ in range(5):
            assert client.get("/collections/addresses/items?f=json&limit=3").status_code == 200
        assert client.get("/collections/addresses/items/999999999?f=json").status_code == 404
        tile = f"/collections/addresses/tiles/WebMercatorQuad/{z}/{y}/{x}"
        first, second = client.get(tile), client.get(tile)
    assert first.headers["x-tile-cache"] == "miss" and second.headers["x-tile-cache"] == "hit"
    after = scrape(server)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    requests = "hromada_http_requests_total"
    assert delta(requests, route="items", method="GET", status="200") == 5
    assert delta(requests, route="item", method="GET", status="404") == 1
    assert delta(requests, route="tiles", method="GET", status=str(first.status_code)) == 2
    assert delta(requests, route="other", method="GET", status="200") == 0  # scrapes uncounted
    hist = "hromada_http_request_duration_seconds"
    assert delta(f"{hist}_count", route="items") == 5
    assert delta(f"{hist}_bucket", route="items", le="+Inf") == 5
    assert delta(f"{hist}_sum", route="items") > 0
    # the buckets are cumulative, and the fast path answered both tiles inside 30 s
    buckets = [value(after, f"{hist}_bucket", route="items", le=le)
               for le in (*(str(b) for b in BUCKETS), "+Inf")]
    assert buckets == sorted(buckets) and buckets[-1] == value(after, f"{hist}_count",
                                                              route="items")
    assert delta(f"{hist}_bucket", route="tiles", le="30.0") == 2
    assert delta("hromada_tile_requests_total", cache="miss") == 1
    assert delta("hromada_tile_requests_total", cache="hit") == 1
    assert delta("hromada_tile_renders_total") == 1
    assert delta("hromada_http_response_bytes_total", route="items") > 0
    for pool in ("app", "tiles"):
        assert value(after, "hromada_db_pool_max_connections", pool=pool) >= 1
        assert ("hromada_db_pool_connections_in_use", (("pool", pool),)) in after
        assert ("hromada_db_pool_requests_waiting", (("pool", pool),)) in after
    assert value(after, "hromada_tile_invalidation_healthy") == 1
    assert value(after, "process_resident_memory_bytes") > 10e6


def test_an_edit_counts_as_an_invalidation(observed: dict[str, Any]) -> None:
    server, token = observed["server"], observed["token"]
    with httpx.Client(base_url=server, timeout=30,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        feature = client.get("/collections/advertising_structures/items?f=json&limit=1").json()[
            "features"][0]
        x, y = tile_of(*feature["geometry"]["coordinates"], 16)
        tile = f"/collections/advertising_structures/tiles/WebMercatorQuad/16/{y}/{x}"
        client.get(tile)
        assert client.get(tile).headers["x-tile-cache"] == "hit"
        before = scrape(server)
        r = client.delete(f"/collections/advertising_structures/items/{feature['id']}")
        assert r.status_code == 204, r.text
        with psycopg.connect(observed["url"]) as conn:  # the public tiles change on approval
            approve_all(conn)
        # the approval (in the database, not through this server) reaches the server through
        # the change feed (LISTEN/NOTIFY) within milliseconds
        deadline = time.monotonic() + 10
        while client.get(tile).headers["x-tile-cache"] != "miss":
            assert time.monotonic() < deadline, "the approval never dropped the tile"
            time.sleep(0.05)
        # the counters are added up when the whole batch is applied, a moment after its first
        # tile is dropped (seen on a busy machine): wait for them too
        names = ("hromada_tile_invalidations_total", "hromada_tile_invalidated_tiles_total")
        after = scrape(server)
        while not all(value(after, n) > value(before, n) for n in names):
            assert time.monotonic() < deadline, [(n, value(before, n), value(after, n))
                                                 for n in names]
            time.sleep(0.05)
            after = scrape(server)
    assert value(after, "hromada_http_requests_total", route="item", method="DELETE",
                 status="204") == value(before, "hromada_http_requests_total", route="item",
                                        method="DELETE", status="204") + 1


def test_a_statement_timeout_is_counted(observed: dict[str, Any]) -> None:
    server = observed["server"]
    before = scrape(server)
    with psycopg.connect(observed["url"]) as blocker:
        blocker.execute("LOCK TABLE published.address IN ACCESS EXCLUSIVE MODE")
        with ThreadPoolExecutor(1) as ex:
            answer = ex.submit(httpx.get, f"{server}/collections/addresses/items?f=json&limit=2",
                               timeout=30).result()
        blocker.rollback()
    assert answer.status_code == 503 and answer.json()["code"] == "QueryTimeout"
    after = scrape(server)
    assert (value(after, "hromada_statement_timeouts_total", route="items")
            - value(before, "hromada_statement_timeouts_total", route="items")) == 1


def test_the_dashboard_uses_only_metrics_the_server_exposes(observed: dict[str, Any]) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 8
    used = {m for e in exprs for m in re.findall(r"\b(?:hromada|process)_[a-z_]+", e)}
    exposed = {name for name, _ in scrape(observed["server"])}
    missing = sorted(m for m in used if m not in exposed)
    assert not missing, missing
    routes = {"items", "item", "tiles", "search", "reports", "pages", "static", "other"}
    for expr in exprs:  # route selectors name real route classes
        for route in re.findall(r'route=~?"([^"]+)"', expr):
            assert set(route.split("|")) <= routes, expr


# -- the scrape gate and the log's formats, in-process ----------------------------------------
def inner_app() -> Starlette:
    async def hello(request: Any) -> PlainTextResponse:
        return PlainTextResponse("hello")

    return Starlette(routes=[Route("/hello", hello)])


def test_metrics_are_served_to_allowed_networks_or_with_the_token(tmp_path: Path) -> None:
    settings = MetricsSettings(allow=["10.1.0.0/16"], token="scrape-me")  # type: ignore[arg-type]
    app = Observer(inner_app(), Metrics(), None, settings)
    assert AsgiClient(app, "10.1.2.3").get("/metrics").status_code == 200
    outside = AsgiClient(app, "192.0.2.7")
    denied = outside.get("/metrics")
    assert denied.status_code == 403 and "GIS_METRICS__TOKEN" in denied.json()["detail"]
    assert outside.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    ok = outside.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert ok.status_code == 200 and "hromada_http_requests_total" in ok.text
    posted = outside.post("/metrics")
    assert posted.status_code == 405 and posted.headers["allow"] == "GET, HEAD"
    for refused in (denied, posted):  # the error tree's problem document
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == {403: "Forbidden", 405: "MethodNotAllowed"}[
            refused.status_code] and refused.json()["instance"] == "/metrics"
    assert outside.get("/hello").text == "hello"
    again = outside.get("/metrics", headers={"Authorization": "Bearer scrape-me"}).text
    assert 'hromada_http_requests_total{route="other",method="GET",status="200"} 1\n' in again
    assert "status=\"403\"" not in again  # refused scrapes are not requests either


def test_logfmt_lines_quote_what_needs_quoting(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    log = AccessLog(LogSettings(access=str(path), format="logfmt"))
    app = Observer(inner_app(), None, log, MetricsSettings())
    client = AsgiClient(app, "127.0.0.1")
    client.get("/hello?limit=3&q=Шевченка 5", headers={"User-Agent": "QGIS/32200"})
    log.close()
    line = path.read_text().strip()
    assert re.fullmatch(
        r'time=\S+ method=GET path=/hello query="limit=3&q=…" status=200 bytes=5 ms=[\d.]+ '
        r"client=127\.0\.0\.1 user=- route=other agent=QGIS/32200", line), line
    assert (path.stat().st_mode & 0o777) == 0o640
