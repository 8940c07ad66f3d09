"""Hostile input against a real server: no request may take it down, leak database text, or
write around the authorisation.

Every case below is sent to a ``gis serve`` of its own (demo city, a bootstrap staff token)
over real HTTP, and after each one the test asserts: no 5xx, no dropped connection, and
``/readyz`` still answers 200. The cases are the ones found from outside (issue #16) plus
generated ones: nesting depth of CQL2 text and JSON, body sizes and junk bodies, numeric
extremes in every numeric parameter and output format, every spelling of an item's path ×
every method, and odd encodings. At the end the server's log must show no unhandled error
and no request that reached a provider's write code (``ogc.provider`` logs "side door").
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import psycopg
import pytest

from gis.cluster import EmbeddedCluster, free_port
from registries.cql import MAX_NESTING
from tests.conftest import DEMO_TODAY, Server, clone, drop, shared_tmp, start_server

STAFF = "hostile-staff-token"
STAFF_HEADERS = {"Authorization": f"Bearer {STAFF}"}


@dataclass
class Target:
    base: str
    url: str
    proc: Server
    first_parcel: int = 0
    number: str = ""


@pytest.fixture(scope="module")
def target(cluster: EmbeddedCluster, template_url: str) -> Iterator[Target]:
    import shutil

    from app.demo.load import load_demo
    from ingest.cog import publish
    from tests.raster_files import UCS_BOUNDS, make_rgb

    url = clone(cluster, "gis_template", "hostile")
    root = shared_tmp("hromada-hostile-")
    with psycopg.connect(url) as conn:
        load_demo(conn, scale=0.01, seed=68, today=DEMO_TODAY, srid=6383)
        conn.commit()
        pid, number = conn.execute("SELECT id, cadastral_number FROM registry.land_parcel "
                                   "ORDER BY id LIMIT 1").fetchone()
    with psycopg.connect(url, autocommit=True) as conn:
        # a published raster: its routes parse what they are sent (a missing one is a 404
        # before any parameter is read; the coverage's bbox-crs was a 500 unseen here)
        src = make_rgb(root / "src.tif", crs="EPSG:6383", bounds=UCS_BOUNDS)
        publish(conn, src, name=RASTER, raster_dir=root / "rasters", title="Sweep",
                title_en="Sweep", source_document="", public=True)
        src.unlink()
    port = free_port()
    proc = start_server({"GIS_DATABASE_URL": url, "GIS_AUTH__COOKIE_SECURE": "false",
                         "GIS_DATA_DIR": str(root), "GIS_TILES__CACHE_DIR": str(root / "tiles"),
                         "GIS_AUTH__TOKENS": json.dumps({STAFF: "hostile:planner,registrar"})},
                        port)
    t = Target(f"http://127.0.0.1:{port}", url, proc, pid, number)
    try:
        yield t
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log = proc.output()
        proc.log_path.unlink(missing_ok=True)
        drop(cluster, "hostile")
        shutil.rmtree(root, ignore_errors=True)
    for marker in ("side door", "unhandled error"):
        assert marker not in log, f"the server logged {marker!r}:\n{log[-3000:]}"


@dataclass
class Probe:
    """Send requests as given (raw request targets) and record every broken promise."""

    base: str
    client: httpx.Client = field(init=False)
    broken: list[str] = field(default_factory=list)
    sent: int = 0

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.base, timeout=60)

    def send(self, method: str, target: str, *, headers: dict[str, str] | None = None,
             content: bytes | None = None, label: str = "") -> httpx.Response | None:
        """Send ``method target`` (the raw request target) and check the server after it."""
        what = label or f"{method} {target[:120]}"
        request = self.client.build_request(method, self.base + "/", headers=headers,
                                            content=content)
        request.extensions["target"] = target.encode("latin-1")
        self.sent += 1
        answer: httpx.Response | None = None
        try:
            answer = self.client.send(request)
            if answer.status_code >= 500:
                self.broken.append(f"{what}: {answer.status_code} {answer.text[:200]}")
        except httpx.HTTPError as exc:
            self.broken.append(f"{what}: connection dropped ({exc!r})")
            self.client.close()
            self.client = httpx.Client(base_url=self.base, timeout=60)
        try:
            ready = self.client.get("/readyz")
            if ready.status_code != 200:
                self.broken.append(f"after {what}: /readyz answered {ready.status_code}")
        except httpx.HTTPError as exc:
            self.broken.append(f"after {what}: /readyz unreachable ({exc!r})")
        return answer

    def get(self, path: str, params: dict[str, str] | None = None, **kw: Any
            ) -> httpx.Response | None:
        query = str(httpx.QueryParams(params or {}))
        return self.send("GET", quote(path, safe="/:%") + ("?" + query if query else ""), **kw)

    def check(self) -> None:
        self.client.close()
        assert not self.broken, f"{len(self.broken)} of {self.sent} requests broke a " \
                                "promise:\n" + "\n".join(self.broken[:30])


@pytest.fixture
def probe(target: Target) -> Iterator[Probe]:
    p = Probe(target.base)
    yield p
    p.check()


def problem(r: httpx.Response | None, status: int | tuple[int, ...], *needles: str) -> None:
    """Assert ``r`` is an RFC 9457 problem with ``status`` whose text holds every needle and
    no database text."""
    assert r is not None
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/problem+json"), r.text[:200]
    for needle in needles:
        assert needle in r.text, (needle, r.text[:300])
    for leak in ("invalid input syntax", "Key (", "violates", "constraint", "psycopg",
                 "PostgreSQL", "pg_", "Traceback", "XX000", "ERROR:"):
        assert leak not in r.text, (leak, r.text[:300])


ITEMS = "/collections/land_parcels/items"
CRASH = "(" * 1600 + "1=1" + ")" * 1600


# -- the cases found from outside -----------------------------------------------------------

def test_the_cases_found_from_outside(target: Target, probe: Probe) -> None:
    problem(probe.get(ITEMS, {"filter": CRASH}), 400, "filter", "1600")
    problem(probe.get(ITEMS, {"filter": "NOT " * 700 + "1=1"}), 400, "filter")
    brackets = b"[" * 100_000
    # a stranger's body is never read: refused before parsing
    problem(probe.send("POST", ITEMS, content=brackets,
                       headers={"Content-Type": "application/geo+json"}), 401)
    problem(probe.send("POST", ITEMS, content=brackets, headers={
        **STAFF_HEADERS, "Content-Type": "application/geo+json"}), 400, "nested")
    problem(probe.send("POST", "/login", content=brackets,
                       headers={"Content-Type": "application/json"}), 413, "login")
    problem(probe.send("POST", "/login", content=b"[" * 5000,
                       headers={"Content-Type": "application/json"}), 400, "nested")
    problem(probe.get(ITEMS, {"filter": '{"op":"and","args":[]}', "filter-lang": "cql2-json"}),
            400, "AND needs at least 2")
    r = probe.get(ITEMS, {"f": "html", "offset": "9223372036854775808"})
    assert r is not None and r.status_code == 400 and "offset" in r.text
    # a rendered page is a class of its own: at most 1,000 features (GeoJSON: 10,000); more
    # asked is served at 1,000 (Part 1: a limit over the maximum is no error)
    r = probe.get(ITEMS, {"f": "html", "limit": "10000"})
    assert r is not None and r.status_code == 200 and "limit=1000" in html.unescape(r.text)
    problem(probe.get("/search/reverse", {"lon": "1e308", "lat": "nan"}), 400, "lon")
    problem(probe.get("/search/reverse", {"lon": "27", "lat": "nan"}), 400, "lat")
    for method in ("PUT", "DELETE", "PATCH"):
        problem(probe.send(method, f"{ITEMS}/100/", content=b"{}"), 401)
    r = probe.get(ITEMS, {"filter": "area_declared_ha > 'abc'"})
    problem(r, 400, "area_declared_ha is a number", "'abc'")
    assert r is not None and r.json()["parameter"] == "area_declared_ha"
    # a duplicate cadastral number, said in the registry's words
    feature = {"type": "Feature", "properties": {
        "cadastral_number": target.number, "category": "100", "purpose_code": "02.01",
        "ownership_form": "300", "holder_kind": "legal", "holder_name": "Міська рада"},
        "geometry": {"type": "Polygon", "coordinates": [[[26.9, 49.3], [26.9001, 49.3],
                                                          [26.9001, 49.3001], [26.9, 49.3]]]}}
    r = probe.send("POST", ITEMS, content=json.dumps(feature).encode(),
                   headers={**STAFF_HEADERS, "Content-Type": "application/geo+json"})
    problem(r, 422, "cadastral_number", target.number)
    assert "uq_" not in r.text  # type: ignore[union-attr]


def test_the_crash_filter_is_answered_400_within_100_ms(target: Target) -> None:
    with httpx.Client(base_url=target.base, timeout=10) as client:
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            r = client.get(ITEMS, params={"filter": CRASH})
            times.append(time.perf_counter() - t0)
            assert r.status_code == 400
        assert client.get("/readyz").status_code == 200
    print(f"the crash filter: 400 in {min(times) * 1000:.1f} ms (best of 5)")
    assert min(times) < 0.1, times


def test_refusals_of_the_router_are_problem_documents_of_the_error_tree(
        target: Target) -> None:
    """The items router's and the staff mounts' refusals come from GisErrors, rendered by the
    one handler: the same problem document (type, title, status, code, detail) as every
    other error, with Allow on a 405."""
    with httpx.Client(base_url=target.base, timeout=30) as client:
        cases = [
            (client.get(ITEMS, params={"f": "jsonld", "limit": -1}), 400,
             "InvalidParameterValue"),
            (client.delete("/collections"), 405, "MethodNotAllowed"),
            (client.put(ITEMS), 405, "MethodNotAllowed"),
            (client.get("/nothing/here"), 404, "NotFound"),
            (client.get("/editor/app.js"), 404, "NotFound"),  # staff files, to the public
        ]
        for r, status, code in cases:
            body = r.json()
            assert (r.status_code, body["code"], body["status"]) == (status, code, status), \
                (r.request.url, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert body["title"] and body["detail"] == body["description"]
        assert cases[0][0].json()["parameter"] == "limit"
        assert cases[1][0].headers["allow"] == "GET, HEAD, OPTIONS"
        assert cases[2][0].headers["allow"] == "GET, HEAD, POST, OPTIONS"


# -- generated: nesting depth ---------------------------------------------------------------

CONSTRUCTS = {
    "parentheses": lambda n: "(" * n + "area_declared_ha > 0" + ")" * n,
    "NOT": lambda n: "NOT " * n + "area_declared_ha > 0",
    "NOT()": lambda n: "NOT (" * n + "area_declared_ha > 0" + ")" * n,
    "signs": lambda n: "area_declared_ha > " + "-" * n + "1",
    "CASEI": lambda n: "CASEI(" * n + "purpose_code" + ")" * n + " = '02.01'",
    "arithmetic": lambda n: "area_declared_ha > " + "(1+" * n + "1" + ")" * n,
    "lists": lambda n: "purpose_code IN " + "(" * n + "'02.01'" + ")" * n,
}
DEPTHS = (1, 10, MAX_NESTING - 1, MAX_NESTING, MAX_NESTING + 1, 500, 1000, 1600, 5000)


def test_generated_nesting_depths_never_crash(probe: Probe) -> None:
    for name, make in CONSTRUCTS.items():
        for depth in DEPTHS:
            r = probe.get(ITEMS, {"filter": make(depth), "limit": "1"}, label=f"{name} × {depth}")
            assert r is not None and r.status_code in (200, 400), (name, depth, r.status_code)
            if depth > MAX_NESTING + 1:
                assert r.status_code == 400 and "nests" in r.text, (name, depth)
    for depth in (1, 50, MAX_NESTING, MAX_NESTING + 5, 1000, 5000):
        tree: Any = {"op": ">", "args": [{"property": "area_declared_ha"}, 0]}
        for _ in range(depth):
            tree = {"op": "not", "args": [tree]}
        text = json.dumps(tree) if depth < 900 else '{"op":"not","args":[' * depth + "true" \
            + "]}" * depth
        r = probe.get(ITEMS, {"filter": text, "filter-lang": "cql2-json", "limit": "1"},
                      label=f"CQL2-JSON NOT × {depth}")
        assert r is not None and r.status_code in (200, 400)
        if depth > MAX_NESTING + 1:
            assert r.status_code == 400, (depth, r.status_code)
        if MAX_NESTING + 1 < depth < 900:  # (longer URLs are refused by uvicorn's parser)
            # in the words of the text form's limit, not in JSON's levels
            assert f"at most {MAX_NESTING} are allowed" in r.json()["detail"], r.text[:300]


# -- generated: bodies ------------------------------------------------------------------------

def junk_bodies() -> dict[str, bytes]:
    return {
        "empty": b"", "null": b"null", "number": b"1e999999", "string": b'"x"',
        "nan": b'{"type": "Feature", "properties": {"area_declared_ha": NaN}}',
        "brackets 1k": b"[" * 1000, "braces 100k": b'{"a":' * 100_000,
        "quotes": b'"' * 100_000, "not utf-8": b"\xff\xfe\xfd" * 1000,
        "nul": b'{"type":"Feature","properties":{"holder_name":"\\u0000"},"geometry":null}',
        "deep geometry": json.dumps({"type": "Feature", "properties": {}, "geometry": {
            "type": "Polygon", "coordinates": [[[[[[[[[[[[[[[[[[1, 2]]]]]]]]]]]]]]]]]]}}).encode(),
        "huge coordinates": json.dumps({"type": "Feature", "properties": {}, "geometry": {
            "type": "Point", "coordinates": [1e308, -1e308]}}).encode(),
        "1 MB of spaces": b" " * 1_000_000,
        "over the limit": b"x" * 10_000_001,
    }


def test_generated_bodies_are_refused_cleanly(target: Target, probe: Probe) -> None:
    with psycopg.connect(target.url) as conn:
        before = conn.execute("SELECT count(*), sum(version) FROM registry.land_parcel"
                              ).fetchone()
    item = f"{ITEMS}/{target.first_parcel}"
    for name, body in junk_bodies().items():
        for method, path in (("POST", ITEMS), ("PUT", item), ("PATCH", item)):
            for who in ({}, STAFF_HEADERS):
                headers = {**who, "Content-Type": "application/geo+json"}
                r = probe.send(method, path, content=body, headers=headers,
                               label=f"{method} {name} {'staff' if who else 'anonymous'}")
                assert r is not None and 400 <= r.status_code < 500, (name, method, r.status_code)
                if not who:
                    assert r.status_code in (401, 413), (name, method, r.status_code)
        for ctype in ("application/json", "application/x-www-form-urlencoded"):
            r = probe.send("POST", "/login", content=body, headers={"Content-Type": ctype},
                           label=f"login {name} {ctype}")
            assert r is not None and r.status_code in (400, 401, 413, 429), (name, r.status_code)
    with psycopg.connect(target.url) as conn:
        after = conn.execute("SELECT count(*), sum(version) FROM registry.land_parcel"
                             ).fetchone()
    assert after == before, "a junk body changed the registry"


# every other write endpoint: the public's error reports, the holders' decisions and answers,
# the staff uploads (imports, rasters); what each may store is counted before and after
STORED = ("SELECT (SELECT count(*) FROM verification.error_reports), "
          "(SELECT count(*) FROM verification.decisions), "
          "(SELECT count(*) FROM verification.pending), (SELECT count(*) FROM rasters.catalog), "
          "(SELECT sum(version) FROM registry.land_parcel)")
OTHER_WRITES = (("POST", "/error-reports", "application/json"),
                ("PATCH", "/error-reports/ABCD-1234", "application/json"),
                ("POST", "/registries/land_parcels/decisions", "application/json"),
                ("POST", "/ingest/check", "application/octet-stream"),
                ("POST", "/ingest/import", "application/octet-stream"),
                ("POST", "/rasters/upload", "multipart/form-data; boundary=x"))


def test_junk_bodies_to_every_other_write_endpoint_are_refused_cleanly(
        target: Target, probe: Probe) -> None:
    with psycopg.connect(target.url) as conn:
        before = conn.execute(STORED).fetchone()
    for name, body in junk_bodies().items():
        for method, path, ctype in OTHER_WRITES:
            for who in ({}, STAFF_HEADERS):
                r = probe.send(method, path, content=body,
                               headers={**who, "Content-Type": ctype},
                               label=f"{method} {path} {name} {'staff' if who else 'anon'}")
                assert r is not None and 400 <= r.status_code < 500, \
                    (name, method, path, bool(who), r.status_code, r.text[:200])
    with psycopg.connect(target.url) as conn:
        after = conn.execute(STORED).fetchone()
    assert after == before, "a junk body stored something"


# -- generated: numeric extremes -------------------------------------------------------------

EXTREMES = ("-1", "0", "1", "-0", "1e308", "-1e308", "1e-308", "NaN", "nan", "inf", "-inf",
            "Infinity", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
            "99999999999999999999999999999999999999", "0x10", "1_000", " 5 ", "５", "1.5", "",
            "1e999999")


# what Python's int and str.isdigit read as numbers and no client means as an object's id:
# "1_0" was object 10, "٣" and "３" object 3; "²" passed isdigit and failed int (a 500)
ID_SPELLINGS = ("1_0", "+1", "01", "\u0663", "\uff13", "\u00b2", " 1", "1 ", "1.0")


def test_an_object_has_one_id_spelling_on_every_route(target: Target) -> None:
    with httpx.Client(base_url=target.base, timeout=60) as client:
        assert client.get("/collections/land_parcels/items/1").status_code == 200
        for raw in ID_SPELLINGS:
            for path, params in (
                    (f"/collections/land_parcels/items/{raw}", {}),
                    (f"/collections/land_parcels/items/{raw}", {"f": "html"}),
                    (f"/collections/land_parcels/items/{raw}", {"f": "jsonld"}),
                    (f"/registries/land_parcels/items/{raw}/history", {}),
                    (f"/extracts/collections/land_parcels/items/{raw}", {})):
                r = client.get(quote(path, safe="/"), params=params)
                assert r.status_code in (400, 404), (path, params, r.status_code)
            r = client.get("/extracts", params={"collection": "land_parcels", "id": raw})
            assert r.status_code == 400 and "must be a whole number" in r.text, (raw, r.text)
            r = client.get("/extracts", params={"parcel": target.number, "scale": raw})
            assert r.status_code == 400 and "scale must be one of" in r.text, (raw, r.text)


def test_a_request_line_over_64_kib_is_refused_by_the_http_server(target: Target) -> None:
    """What docs/security.md says of the request line: uvicorn's parser refuses one of over
    about 64 KiB with its own plain-text 400 before the app; a long filter under it reaches
    the app and is answered. (http.client: httpx refuses such a URL itself.)"""
    import http.client
    from urllib.parse import urlencode, urlsplit

    def get(filter_: str) -> tuple[int, str, bytes]:
        where = urlsplit(target.base)
        conn = http.client.HTTPConnection(where.hostname or "", where.port, timeout=60)
        try:
            conn.request("GET", f"{ITEMS}?{urlencode({'limit': '1', 'filter': filter_})}")
            r = conn.getresponse()
            return r.status, r.getheader("content-type") or "", r.read()
        finally:
            conn.close()

    # 26,000 characters, 45 KiB as a URL: the app's answer
    status, kind, body = get(" OR ".join(f"id = {i}" for i in range(3000)))
    assert status == 200 and json.loads(body)["numberReturned"] == 1, body[:200]
    # 64,000 characters, 110 KiB as a URL: the HTTP server's
    status, kind, body = get(" OR ".join(f"id = {i}" for i in range(7000)))
    assert status == 400 and kind.startswith("text/plain"), (status, kind, body[:200])
    with httpx.Client(base_url=target.base, timeout=60) as fresh:
        assert fresh.get("/readyz").status_code == 200


def test_numeric_extremes_in_every_numeric_parameter_and_format(probe: Probe,
                                                                target: Target) -> None:
    for fmt in ("json", "html", "jsonld"):
        for name in ("limit", "offset"):
            for value in EXTREMES:
                probe.get(ITEMS, {name: value, "f": fmt})
        for value in EXTREMES:
            probe.get(ITEMS, {"bbox": f"{value},{value},1,1", "f": fmt})
            probe.get(ITEMS, {"bbox": f"0,0,{value},{value}", "f": fmt})
            probe.get(ITEMS, {"area_declared_ha": value, "f": fmt, "limit": "1"})
            probe.get(ITEMS, {"filter": f"area_declared_ha > {value or 0}", "f": fmt,
                              "limit": "1"})
        for value in ("9223372036854775808", "-1", "0", "1e308", "nan"):
            probe.get(f"{ITEMS}/{value}", {"f": fmt})
    for value in EXTREMES:
        probe.get(ITEMS, {"filter": f"id = {value or 0}", "limit": "1"})
        probe.get(ITEMS, {"filter": f"S_DWITHIN(geometry, POINT(27 49.4), {value or 0}, meters)",
                          "limit": "1"})
        probe.get(ITEMS, {"filter": f"S_INTERSECTS(geometry, BBOX({value or 0}, 0, 1, 1))",
                          "limit": "1"})
        probe.get("/search/reverse", {"lon": value, "lat": "49.4"})
        probe.get("/search/reverse", {"lon": "27", "lat": "49.4", "radius": value})
        probe.get("/reports/parcels", {"lon": value, "lat": value})
        probe.get("/search", {"q": "Соборна", "limit": value})
        probe.get("/registries/land_parcels/as-of", {"datetime": "2026-01-01", "limit": value})
        probe.get(f"/registries/land_parcels/items/{value or 0}/history")
        probe.get("/maps/city/14/9420/5594.mvt" if not value else f"/maps/city/{value}/0/0.mvt")
    for when in ("0001-01-01", "9999-12-31", "10000-01-01", "-0001-01-01", "2026-02-30",
                 "0001-01-01/9999-12-31", "../..", "2026-01-01T25:00:00Z", "/", "//",
                 # legal stamps whose UTC day is past the calendar's ends (were 500s)
                 "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+01:00",
                 "2020-01-01/9999-12-31T23:00:00-05:00"):
        probe.get(ITEMS, {"datetime": when, "limit": "1"})
        probe.get("/collections/advertising_structures/items", {"datetime": when, "f": "html"})
        probe.get("/registries/land_parcels/as-of", {"datetime": when})
        probe.get(ITEMS, {"filter": f"T_AFTER(registered_on, DATE('{when}'))"})
        probe.get(ITEMS, {"filter": f"registered_on > TIMESTAMP('{when}')"})
        probe.get(ITEMS, {"filter-lang": "cql2-json", "filter": json.dumps(
            {"op": "t_after", "args": [{"property": "registered_on"}, {"timestamp": when}]})})


# -- generated: every spelling of a path × every method ---------------------------------------

def spellings(item: int) -> list[str]:
    base = f"/collections/land_parcels/items/{item}"
    return [base, base + "/", "/" + base, base.replace("/items/", "//items/"),
            base.replace("/items/", "/items//"), base.replace("collections/", "collections//"),
            base.replace("/items/", "/items%2F"), base.replace("/items/", "%2Fitems%2F"),
            base.replace("land_parcels", "land_parcels%2F"), base.replace("/items/", "/./items/"),
            base.replace("/items/", "/items/../items/"), "/collections/x/../land_parcels/items/"
            + str(item), base.upper(), base.replace("collections", "Collections"),
            base.replace("items", "ITEMS"), base.replace("land_parcels", "LAND_PARCELS"),
            base + "?f=json", base + "?f=html", base + "?f=jsonld", base + "?f=geojson",
            base + "?f=", base + "?f=HTML", base + ".json", base + ";x", base + "%00",
            base + "%20", base + "#frag", "/collections/land_parcels/items", ITEMS + "/",
            ITEMS + "?f=html", "//collections/land_parcels/items//", ITEMS.replace(
                "/items", "%2Fitems"), "/collections/land_parcels", "/", "/openapi",
            "/admin/config", "/admin/config/resources", "/processes/x/execution",
            "/stac-api/search", "/jobs/1", "/collections/land_parcels/items/1/history"]


METHODS = ("POST", "PUT", "PATCH", "DELETE")


def test_every_path_spelling_and_method_meets_the_authorisation(target: Target,
                                                                probe: Probe) -> None:
    with psycopg.connect(target.url) as conn:
        before = conn.execute("SELECT count(*), sum(version) FROM registry.land_parcel"
                              ).fetchone()
    body = json.dumps({"type": "Feature", "properties": {"purpose_code": "02.01"},
                       "geometry": None}).encode()
    for path in spellings(target.first_parcel):
        for method in METHODS:
            r = probe.send(method, path, content=body,
                           headers={"Content-Type": "application/geo+json"})
            assert r is not None and r.status_code in (400, 401, 403, 404, 405, 413), \
                (method, path, r.status_code, r.text[:200])
            # staff with no valid change (a body that is not JSON, a stale If-Match for a
            # DELETE): met by our handlers and refused there, never written
            r = probe.send(method, path, content=b"{not json",
                           headers={**STAFF_HEADERS, "Content-Type": "application/geo+json",
                                    "If-Match": '"999999"'})
            assert r is not None and 400 <= r.status_code < 500, (method, path, r.status_code)
        for method in ("GET", "HEAD", "OPTIONS", "PROPFIND", "TRACE"):
            r = probe.send(method, path)
            assert r is not None and (r.status_code < 400 or r.status_code in (
                400, 401, 403, 404, 405, 406)), (method, path, r.status_code)
    with psycopg.connect(target.url) as conn:
        after = conn.execute("SELECT count(*), sum(version) FROM registry.land_parcel"
                             ).fetchone()
    assert after == before, "a request changed the registry"


# -- generated: odd encodings ---------------------------------------------------------------

def test_odd_encodings(probe: Probe) -> None:
    raw = ["%ZZ", "%", "%C0%AE", "%FF%FE", "%00", "%E2%80%AE", "%F0%9F%92%A9", "%EF%BB%BF",
           "%D0", "'", "%27%3B--", "\\u0000", "%5C", "%22", "%3Cscript%3E", "x" * 12_000]
    for value in raw:
        for param in ("filter", "q", "bbox", "datetime", "sortby", "properties", "crs",
                      "bbox-crs", "filter-crs", "filter-lang", "f", "lang", "purpose_code"):
            probe.send("GET", f"{ITEMS}?{param}={value}&limit=1")
        probe.send("GET", f"/collections/{value}/items")
        probe.send("GET", f"/search?q={value}")
        probe.send("GET", f"/search?q=a&collections={value}")
        probe.send("GET", f"/reports/parcels/{value}")
        probe.send("GET", f"/collections/land_parcels/items/{value}")
    probe.send("GET", f"{ITEMS}?filter=a=1&filter=b=2")
    for body in (b"name=%00&password=x", b"name=olena&password=%00", b"name=" + b"%FF" * 900,
                 b"name=%C0%AE&password=%ZZ", b"name=x&name=y&password=" + b"p" * 5000):
        r = probe.send("POST", "/login", content=body,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r is not None and r.status_code in (400, 401), (body[:40], r.status_code)
    for header, value in (("Accept", "text/html;q=abc, */*;q=-1"), ("Accept-Language", "x" * 4000),
                          ("Accept-Encoding", "gzip;q=nan"), ("Content-Crs", "<urn:nope>"),
                          ("If-None-Match", '"' * 3000), ("If-Match", "W/" * 1000),
                          ("Cookie", "gis_session=" + "x" * 3000),
                          ("Authorization", "Bearer " + "x" * 6000),
                          ("Authorization", "Basic Zm9vOmJhcg=="), ("Content-Type", "\x7f")):
        probe.send("GET", f"{ITEMS}?limit=1", headers={header: value})
        probe.send("GET", "/", headers={header: value})
        probe.send("PUT", f"{ITEMS}/1", headers={header: value}, content=b"{}")


def test_a_lone_surrogate_in_any_json_is_a_400_and_stores_nothing(target: Target,
                                                                   probe: Probe) -> None:
    # JSON may spell half a UTF-16 pair ("\udc00"); Python decodes it to a string no UTF-8
    # encoder can write, and psycopg's failed inside the handler: an anonymous 500 (found
    # from outside: an error report and a CQL2 JSON filter)
    lone = '"a\\udc00b"'
    with psycopg.connect(target.url) as conn:
        before = conn.execute(STORED).fetchone()
    r = probe.send("POST", "/error-reports", content=(
        '{"collection": "land_parcels", "id": ' + str(target.first_parcel)
        + ', "comment": ' + lone + "}").encode(), headers={"Content-Type": "application/json"})
    problem(r, 400, "lone UTF-16 surrogate", "\\udc00")
    r = probe.get(ITEMS, {"filter-lang": "cql2-json", "filter": (
        '{"op": "=", "args": [{"property": "cadastral_number"}, ' + lone + "]}")})
    problem(r, 400, "lone UTF-16 surrogate")
    r = probe.send("PATCH", f"{ITEMS}/{target.first_parcel}", content=(
        '{"properties": {"purpose_text": ' + lone + "}}").encode(),
        headers={**STAFF_HEADERS, "Content-Type": "application/merge-patch+json"})
    problem(r, 400, "lone UTF-16 surrogate")
    r = probe.send("POST", "/login", content=b'{"name": "\\ud800", "password": "x"}',
                   headers={"Content-Type": "application/json"})
    problem(r, 400, "lone UTF-16 surrogate")
    # a whole pair is one character, and stays welcome
    r = probe.get(ITEMS, {"filter-lang": "cql2-json", "filter": (
        '{"op": "=", "args": [{"property": "cadastral_number"}, "\\ud83d\\ude00"]}')})
    assert r is not None and r.status_code == 200, r.text[:300]
    with psycopg.connect(target.url) as conn:
        assert conn.execute(STORED).fetchone() == before


# -- generated: hostile values in every query parameter of every GET route --------------------

# one concrete path per GET route template of ours (``Route("…")`` in the source; a new route
# without a sample here fails the test below), plus pygeoapi's own routes
SAMPLES = {
    "/": "/", "/api": "/api", "/healthz": "/healthz", "/readyz": "/readyz",
    "/collections/{cid}/tiles": "/collections/land_parcels/tiles",
    "/collections/{cid}/tiles/{tms}": "/collections/land_parcels/tiles/WebMercatorQuad",
    "/collections/{cid}/tiles/{tms}/{z}/{y}/{x}":
        "/collections/land_parcels/tiles/WebMercatorQuad/14/5594/9420",
    "/collections/{name}/coverage": "/collections/{raster}/coverage",
    "/collections/{name}/map/tiles": "/collections/{raster}/map/tiles",
    "/collections/{name}/map/tiles/{tms}": "/collections/{raster}/map/tiles/WebMercatorQuad",
    "/collections/{name}/map/tiles/{tms}/{z}/{y}/{x}":
        "/collections/{raster}/map/tiles/WebMercatorQuad/14/5594/9420",
    "/downloads": "/downloads", "/downloads/catalog.jsonld": "/downloads/catalog.jsonld",
    "/downloads/{collection_id}/metadata.json": "/downloads/land_parcels/metadata.json",
    "/downloads/{name}": "/downloads/land_parcels.csv",
    "/editor/session": "/editor/session",
    "/error-reports/{ticket}": "/error-reports/AAAAA-AAAAA",
    "/extracts": "/extracts",
    "/extracts/collections/{collection_id}/items/{item_id}":
        "/extracts/collections/land_parcels/items/{parcel}",
    "/extracts/parcels/{cadastral_number}": "/extracts/parcels/{number}",
    "/extracts/{number}": "/extracts/2026-000001",
    "/fonts/{fontstack}/{range}.pbf": "/fonts/DejaVu Sans Book/0-255.pbf",
    "/ingest": "/ingest", "/login": "/login", "/maps": "/maps",
    "/maps/{map}/style.json": "/maps/city/style.json",
    "/maps/{map}/tilejson.json": "/maps/city/tilejson.json",
    "/maps/{map}/{z}/{x}/{y}.mvt": "/maps/city/14/9420/5594.mvt", "/me": "/me",
    "/qgis/project.qgs": "/qgis/project.qgs", "/qgis/server.crt": "/qgis/server.crt",
    "/qgis/service-entry": "/qgis/service-entry", "/rasters": "/rasters",
    "/rasters/upload": "/rasters/upload", "/rasters/wmts": "/rasters/wmts",
    "/rasters/{name}/tilejson.json": "/rasters/{raster}/tilejson.json",
    "/rasters/{name}/{z}/{x}/{y}.{fmt}": "/rasters/{raster}/14/9420/5594.png",
    "/registries/{collection_id}/as-of": "/registries/land_parcels/as-of",
    "/registries/{collection_id}/dismantling": "/registries/advertising_structures/dismantling",
    "/registries/{collection_id}/error-reports": "/registries/land_parcels/error-reports",
    "/registries/{collection_id}/form": "/registries/land_parcels/form",
    "/registries/{collection_id}/items/{item_id}/history":
        "/registries/land_parcels/items/{parcel}/history",
    "/registries/{collection_id}/pending": "/registries/land_parcels/pending",
    "/registries/{collection_id}/pending/{item_id}": "/registries/land_parcels/pending/{parcel}",
    "/registries/{collection_id}/problems": "/registries/land_parcels/problems",
    "/registries/{collection_id}/quality": "/registries/land_parcels/quality",
    "/reports/parcels": "/reports/parcels",
    "/reports/parcels/{cadastral_number}": "/reports/parcels/{number}",
    "/search": "/search", "/search/place": "/search/place", "/search/reverse": "/search/reverse",
    "/tileMatrixSets": "/tileMatrixSets", "/tileMatrixSets/{tms}": "/tileMatrixSets/UCS2000TM9",
    "/TileMatrixSets": "/TileMatrixSets", "/TileMatrixSets/{tms}": "/TileMatrixSets/UCS2000TM9",
    "/tiles": "/tiles", "/tiles/{tms}": "/tiles/WebMercatorQuad",
    "/tiles/{tms}/{z}/{y}/{x}": "/tiles/WebMercatorQuad/14/5594/9420",
    "/verification": "/verification", "/verification/pending.geojson":
        "/verification/pending.geojson", "/verification/summary": "/verification/summary",
}
RASTER = "sweep-ortho"
PYGEOAPI = ("/collections", "/collections/land_parcels", "/collections/land_parcels/items",
            "/collections/land_parcels/items/{parcel}", "/collections/land_parcels/queryables",
            "/collections/land_parcels/schema", "/collections/land_parcels/feature-schema",
            "/conformance", "/openapi",
            # a raster's collection and schema, answered beside pygeoapi's (JSON or a page)
            "/collections/{raster}", "/collections/{raster}/schema")
PARAMETERS = ("f", "lang", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "at",
              "q", "lon", "lat", "radius", "collections", "filter", "properties", "sortby",
              "scale", "paper", "access", "pending", "number", "status", "subset", "width",
              "service", "request", "tilematrix", "zoom", "ids", "cadastral_number", "format")
# beside the bytes no parameter takes, values of the right shape that point nowhere: an EPSG
# code PROJ does not know, a box past the pole
HOSTILE_VALUES = ("\x00", "x" * 3000, "[[{{((\u202e'", "EPSG:999999", "0,91,1,92")


def get_route_templates() -> set[str]:
    """Return the path templates our source declares for GET (``Route("…", …)``)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    found: set[str] = set()
    for package in ("app", "tiles", "ogc", "extracts", "ingest", "registries", "gis"):
        for source in (root / package).rglob("*.py"):
            for m in re.finditer(r'Route\(\s*"([^"]+)"(.*?)\)(?=[,\]\n])', source.read_text(),
                                 re.S):
                methods = re.search(r"methods=\[([^\]]*)\]", m.group(2))
                if methods is None or '"GET"' in methods.group(1):
                    found.add(m.group(1))
    return found


def test_hostile_values_in_every_query_parameter_of_every_get_route(target: Target) -> None:
    missing = get_route_templates() - SAMPLES.keys()
    assert not missing, f"GET routes without a sample path in SAMPLES: {sorted(missing)}"
    paths = [p.format(parcel=target.first_parcel, number=target.number, raster=RASTER)
             for p in (*SAMPLES.values(), *PYGEOAPI)]
    broken: list[str] = []
    sent = 0
    with httpx.Client(base_url=target.base, timeout=60) as client:
        for i, value in enumerate(HOSTILE_VALUES):
            # the public for one value, staff for the others: both sides of every wall
            headers = STAFF_HEADERS if i % 2 else {}
            for path in paths:
                for name in PARAMETERS:
                    sent += 1
                    try:
                        r = client.get(quote(path, safe="/:"), params={name: value},
                                       headers=headers)
                    except httpx.HTTPError as exc:
                        broken.append(f"{path}?{name}={value[:12]!r}: dropped ({exc!r})")
                        continue
                    if r.status_code >= 500 or any(
                            leak in r.text for leak in ("psycopg", "Traceback", "ERROR:  ")):
                        broken.append(f"{path}?{name}={value[:12]!r}: {r.status_code} "
                                      f"{r.text[:160]}")
        assert client.get("/readyz").status_code == 200
    assert not broken, f"{len(broken)} of {sent} requests broke a promise:\n" + "\n".join(
        broken[:30])


# the pages (and the QGIS project and the map style) written in Ukrainian or, ``lang=en``,
# English; pygeoapi's pages for comparison
TWO_LANGUAGES = ("/reports/parcels/{number}?f=html", "/downloads?f=html",
                 "/registries/land_parcels/quality?f=html", "/verification",
                 "/qgis/project.qgs", "/maps/city/style.json", "/collections?f=html",
                 "/collections/no-such-layer?f=html", "/collections/{raster}?f=html",
                 "/collections/{raster}/schema?f=html")


def test_every_page_reads_lang_as_a_language_tag_and_says_which(target: Target) -> None:
    """Our pages read ``lang`` as pygeoapi's do: a language tag matched by its primary subtag
    (``en-GB``, ``EN``), anything else Ukrainian — never an error on one page and a
    fallback on the next (``lang=de`` was a 400 on two and Ukrainian on the rest; ``en-GB``
    was English on pygeoapi's pages only) — and ``Content-Language`` says which; the link to
    the other language keeps the rest of the query."""
    import re

    def said(r: httpx.Response) -> str:
        return r.headers.get("content-language", "")

    with httpx.Client(base_url=target.base, timeout=60, headers=STAFF_HEADERS) as client:
        for path in TWO_LANGUAGES:
            url = path.format(number=target.number, raster=RASTER)
            sep = "&" if "?" in url else "?"
            expected = 404 if "no-such" in url else 200
            for asked, lang in (("en", "en"), ("en-GB", "en"), ("EN", "en"), ("uk", "uk"),
                                ("de", "uk"), ("", "uk"), ("\x00", "uk"), ("x" * 3000, "uk")):
                r = client.get(f"{url}{sep}lang={quote(asked)}")
                assert r.status_code == expected and said(r) == lang, (
                    url, asked, r.status_code, said(r), r.text[:200])
                if "text/html" in r.headers["content-type"]:
                    assert f'<html lang="{lang}"' in r.text, (url, asked)
            if "f=html" not in url:
                continue
            english = client.get(f"{url}{sep}lang=en&x=1")
            link = re.search(r'<a [^>]*hreflang="uk"[^>]*>', english.text)
            assert link, url  # a page with a link to its other language
            href = re.search(r'href="([^"]*)"', link.group(0)).group(1).replace("&amp;", "&")
            href = href.removeprefix(target.base)  # pygeoapi's pages: absolute links
            assert href.startswith(url.split("?")[0] + "?"), (url, href)
            assert "lang=uk" in href and "f=html" in href, (url, href)
            if "collections" not in url:  # ours keep the rest of the query
                assert "x=1" in href, (url, href)


def test_options_of_every_get_route_is_a_204_with_its_allow(target: Target) -> None:
    """docs/security.md: OPTIONS of any route is a 204 whose ``Allow`` names GET and HEAD;
    a method no route takes is a 405 with the same ``Allow``."""
    paths = [p.format(parcel=target.first_parcel, number=target.number, raster=RASTER)
             for p in (*SAMPLES.values(), *PYGEOAPI)]
    wrong: list[str] = []
    with httpx.Client(base_url=target.base, timeout=60) as client:
        for path in paths:
            r = client.options(quote(path, safe="/:"))
            allow = {m.strip() for m in r.headers.get("allow", "").split(",")}
            if r.status_code != 204 or not {"GET", "HEAD", "OPTIONS"} <= allow:
                wrong.append(f"OPTIONS {path}: {r.status_code} Allow: {r.headers.get('allow')}")
                continue
            r = client.request("PROPFIND", quote(path, safe="/:"))
            if r.status_code != 405 or {m.strip() for m in r.headers.get(
                    "allow", "").split(",")} != allow:
                wrong.append(f"PROPFIND {path}: {r.status_code} Allow: "
                             f"{r.headers.get('allow')} (OPTIONS said {sorted(allow)})")
    assert not wrong, "\n".join(wrong)
