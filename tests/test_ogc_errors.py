"""Every error of the OGC API in one shape, in every format: pygeoapi's resources answer our
problem documents (not pygeoapi's own ``{"code", "description"}``), an items page asked as HTML
is refused for what its GeoJSON page is refused for, in the same words, and a browser gets the
problem as a page in the page's language — Ukrainian, or English with no Ukrainian word."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import psycopg
import pytest

HTML = {"Accept": "text/html"}
CYRILLIC = re.compile("[\u0400-\u04ff]")


def get(server: str, path: str, headers: dict[str, str] | None = None,
        **params: Any) -> httpx.Response:
    return httpx.get(f"{server}{path}", params=params, headers=headers, timeout=60)


@pytest.mark.parametrize(("path", "params", "status", "detail"), [
    ("/collections/nowhere", {}, 404, "no collection 'nowhere'"),
    ("/collections/nowhere/queryables", {}, 404, "no collection 'nowhere'"),
    ("/collections", {"f": "gpkg"}, 400, "f='gpkg'"),
    ("/conformance", {"f": "xml"}, 400, "f='xml'"),
    ("/collections/land_parcels/queryables", {"f": "xml"}, 400, "f='xml'"),
    ("/collections/land_parcels/items/1", {"f": "gpkg"}, 400, "f='gpkg'"),
    ("/collections/land_parcels/items", {"f": "gpkg"}, 400, "f='gpkg'"),
    ("/collections/land_parcels/items/999999999", {"f": "jsonld"}, 404,
     "land_parcels has no object 999999999"),  # as the GeoJSON item says it
    # a format pygeoapi knows but the resource has not: JSON was answered, labelled a vector
    # tile (f=mvt) or JSON-LD
    ("/", {"f": "mvt"}, 400, "f='mvt'"),
    ("/collections", {"f": "MVT"}, 400, "f='MVT'"),
    ("/collections/land_parcels", {"f": "mvt"}, 400, "ask f=json, f=html or f=jsonld"),
    ("/collections/land_parcels/items/1", {"f": "mvt"}, 400, "f='mvt'"),
    ("/collections/land_parcels/queryables", {"f": "jsonld"}, 400, "ask f=json or f=html"),
    ("/collections/land_parcels/schema", {"f": "mvt"}, 400, "ask f=json or f=html"),
    ("/openapi", {"f": "jsonld"}, 400, "ask f=json or f=html"),
])
def test_pygeoapi_resources_answer_our_problem_documents(server: str, path: str,
                                                         params: dict[str, str], status: int,
                                                         detail: str) -> None:
    r = get(server, path, **params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    doc = r.json()
    assert doc["status"] == status and doc["instance"] == path
    assert detail in doc["detail"] and doc["description"] == doc["detail"]
    assert doc["code"] == {400: "InvalidParameterValue", 404: "NotFound"}[status]


@pytest.mark.parametrize(("path", "method", "status"), [
    ("/static/no-such-file.css", "GET", 404),
    ("/static/ingest/no-such-file.js", "GET", 404),
    ("/static/vendor/proj4/proj4.js", "DELETE", 405),
    ("/static/ingest/no-such-file.js", "PUT", 405),
])
def test_static_files_answer_our_problem_documents(server: str, path: str, method: str,
                                                   status: int) -> None:
    """Static files (pygeoapi's and ours) answered a missing file or another method with
    Starlette's plain-text "Not Found" and "Method Not Allowed"."""
    r = httpx.request(method, f"{server}{path}", timeout=60)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    doc = r.json()
    assert doc["status"] == status and doc["instance"] == path and path in doc["detail"]
    if status == 405:
        assert r.headers["allow"] == "GET, HEAD" and method in doc["detail"]


@pytest.mark.parametrize("path", ["/collections/land_parcels/", "/collections/",
                                  "/collections/land_parcels/queryables/", "/conformance/"])
def test_a_trailing_slash_names_the_same_resource(server: str, path: str) -> None:
    """pygeoapi routed ``/collections/land_parcels/`` as the collection "land_parcels/": a 404
    where the items and every route of ours took the slash."""
    plain = get(server, path.rstrip("/"), f="json")
    r = get(server, path, f="json")
    assert r.status_code == 200 == plain.status_code, r.text
    assert r.json().keys() == plain.json().keys()
    if path.startswith("/collections/land_parcels"):
        assert r.json().get("title") == plain.json().get("title")


@pytest.mark.parametrize("params", [
    {"limit": "0"}, {"limit": "ten"}, {"bbox": "1,2"}, {"bbox": "27,49.5,26.9,49.4"},
    {"datetime": "2030-01-01/2020-01-01"}, {"filter": "nonexistent = 1"},
    {"sortby": "nonexistent"}, {"properties": "nonexistent"}, {"crs": "EPSG:9999"},
    {"q": ","}, {"skipGeometry": "maybe"},
    # what Python's int() also reads: limit=1_0 was a page of ten
    {"limit": "1_0"}, {"limit": "١٠"}, {"offset": " 5"}, {"LIMIT": "5"}, {"category": "2OO"},
])
def test_an_items_page_in_html_is_refused_as_its_geojson_page(server: str,
                                                              params: dict[str, str]) -> None:
    as_json = get(server, "/collections/land_parcels/items", f="json", **params)
    assert as_json.status_code == 400, as_json.text
    detail = as_json.json()["detail"]
    for fmt in ("html", "jsonld", "csv"):
        r = get(server, "/collections/land_parcels/items", f=fmt, **params)
        assert r.status_code == 400, (fmt, r.text[:300])
        if fmt == "html":  # the page quotes the same detail (escaped as HTML)
            assert r.headers["content-type"].startswith("text/html")
            assert detail.replace("'", "&#39;") in r.text, r.text
        else:
            assert r.json()["detail"] == detail


@pytest.mark.parametrize("params", [
    {"sortby": "id"}, {"sortby": "-id"}, {"sortby": "-area_declared_ha,id"}, {"limit": "05"},
    {"limit": ""}, {"offset": ""}, {"properties": ""}, {"bbox": ""},
    {"filter-lang": "CQL2-TEXT", "filter": "category = '200'"},
    {"bbox": "49.40,26.95,49.45,27.00", "bbox-crs": "EPSG:4326"},
    {"bbox-crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
    {"datetime": "2000-01-01/..", "q": "0001"}, {"resulttype": "hits"},
])
def test_an_items_page_in_every_format_takes_what_its_geojson_page_takes(
        server: str, params: dict[str, str]) -> None:
    """One pipeline for every format: pygeoapi parsed a page's parameters again, and
    refused as HTML and JSON-LD what GeoJSON answered (``sortby=id``, ``limit=05``, an empty
    ``bbox``, ``bbox-crs=EPSG:4326``: "bad sortby property", "limit value should be an
    integer"), and read ``resulttype=hits`` as a count where GeoJSON sent the objects. Each
    format now holds the same objects in the same order, and the same count."""
    items = "/collections/land_parcels/items"
    geo = get(server, items, f="json", **{"limit": "7", **params})
    assert geo.status_code == 200, geo.text[:300]
    ids = [str(f["id"]) for f in geo.json()["features"]]
    assert bool(ids) != (params.get("resulttype") == "hits"), ids
    ld = get(server, items, f="jsonld", **{"limit": "7", **params})
    assert ld.status_code == 200, ld.text[:300]
    doc = json.loads(ld.text)
    assert [p["@id"].rsplit("/", 1)[1] for p in doc["features"]] == ids
    assert doc["numberMatched"] == geo.json()["numberMatched"]
    page = get(server, items, f="html", **{"limit": "7", **params})
    assert page.status_code == 200, page.text[:300]
    shown = re.findall(r'<td><a href="[^"]*/items/(\d+)\?f=html', page.text)
    assert shown == ids
    csv_page = get(server, items, f="csv", **{"limit": "7", **params})
    assert csv_page.status_code == 200, csv_page.text[:300]
    assert [row.split(",", 1)[0] for row in csv_page.text.lstrip("\ufeff").splitlines()[1:]] \
        == ids


def test_a_rendered_page_links_its_pages_in_its_own_format(server: str) -> None:
    """pygeoapi's page linked its next HTML page as GeoJSON (``type="application/geo+json"``)."""
    for fmt, kind in (("html", "text/html"), ("jsonld", "application/ld+json")):
        r = get(server, "/collections/land_parcels/items", f=fmt, limit="3", offset="3")
        links = re.findall(r'<link rel="(next|prev)" type="([^"]+)"', r.text) if fmt == "html" \
            else [(lk["rel"], lk["type"]) for lk in json.loads(r.text)["links"]
                  if lk["rel"] in ("next", "prev")]
        assert sorted(links) == [("next", kind), ("prev", kind)], (fmt, links)
    r = get(server, "/collections/land_parcels/items", f="json", resulttype="hits")
    assert r.json()["features"] == [] and r.json()["numberMatched"] > 0
    assert "next" not in {lk["rel"] for lk in r.json()["links"]}


def page_text(html: str) -> str:
    """Return the words a reader sees: no tags, no code (the server's own detail)."""
    html = re.sub(r"<code[^>]*>.*?</code>", " ", html, flags=re.S)
    html = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize(("path", "params", "status"), [
    ("/collections/nowhere", {"f": "html"}, 404),
    ("/collections/land_parcels/items/999999999", {"f": "html"}, 404),
    ("/collections/land_parcels/items", {"f": "html", "limit": "0"}, 400),
    ("/no/such/page", {}, 404),
    ("/static/no-such-file.css", {}, 404),  # pygeoapi's static files
    ("/static/ingest/no-such-file.js", {}, 404),  # ours
])
def test_a_browser_gets_the_problem_as_a_page_in_its_language(server: str, path: str,
                                                              params: dict[str, str],
                                                              status: int) -> None:
    uk = get(server, path, HTML, **params)
    en = get(server, path, HTML, **params, lang="en")
    for r, lang in ((uk, "uk"), (en, "en")):
        assert r.status_code == status
        assert r.headers["content-type"].startswith("text/html")
        assert f'<html lang="{lang}"' in r.text
        # the server's English detail is marked as English wherever it is quoted
        assert re.search(r'<code lang="en">[^<]+</code>', r.text), r.text
    title = {404: ("Не знайдено", "Not found"), 400: ("У запиті помилка",
                                                      "The request has a mistake")}[status]
    assert f"<h1>{title[0]}</h1>" in uk.text and f"<h1>{title[1]}</h1>" in en.text
    assert CYRILLIC.search(page_text(uk.text))
    # English with not one Ukrainian word, but the switch back to Ukrainian (marked lang="uk")
    words = page_text(re.sub(r'<a class="lang" lang="uk".*?</a>', " ", en.text, flags=re.S))
    assert not CYRILLIC.search(words), CYRILLIC.findall(words)
    # each page links to the other language, on the same request
    assert 'hreflang="en"' in uk.text and 'hreflang="uk"' in en.text
    # a program asking JSON still gets the problem document
    r = get(server, path, {"Accept": "application/json"}, **{**params, "f": "json"})
    assert r.headers["content-type"] == "application/problem+json"


def test_a_staff_page_asked_without_a_sign_in_links_the_login(server: str) -> None:
    """The 401 page said only "The server could not serve this request": it says the page is
    for staff and links the login form in its language, which comes back to the page."""
    path = "/registries/land_parcels/quality"
    for lang, sign_in in (("uk", "Увійти"), ("en", "Sign in")):
        r = get(server, path, HTML, f="html", lang=lang)
        assert r.status_code == 401 and f'<html lang="{lang}"' in r.text
        link = re.search(r'<a class="sign-in" href="([^"]+)">([^<]+)</a>', r.text)
        assert link and link.group(2) == sign_in, r.text
        href = link.group(1).replace("&amp;", "&")
        assert href.startswith("/login?next=/registries/land_parcels/quality%3Ff%3Dhtml")
        assert href.endswith("&lang=en") == (lang == "en"), href
        assert ("for staff" in r.text) == (lang == "en")
        login = httpx.get(f"{server}{href}", headers=HTML, timeout=60)
        assert login.status_code == 200 and f'<html lang="{lang}">' in login.text
    assert "sign-in" not in get(server, "/collections/nowhere", HTML, f="html").text


def test_a_bbox_across_the_antimeridian_is_its_two_halves(server: str,
                                                          demo_url: str) -> None:
    """OGC API Features Part 1, 7.15.3: a box over 180° has its west-most edge first (minx >
    maxx). It was refused as "lower corner above its upper one"."""
    with psycopg.connect(demo_url) as conn:
        total, x0, y0, x1, y1 = conn.execute(
            "SELECT n, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT count(*) "
            "AS n, ST_Extent(ST_Transform(geom, 4326))::geometry AS e "
            "FROM open_data.land_parcel) s").fetchone()  # type: ignore[misc]
    cut = round((x0 + x1) / 2, 4)  # a meridian through the city
    south, north = round(y0 - 0.01, 4), round(y1 + 0.01, 4)

    def matched(**params: str) -> int:
        r = get(server, "/collections/land_parcels/items", f="json", limit="1", **params)
        assert r.status_code == 200, r.text
        return int(r.json()["numberMatched"])

    west = matched(bbox=f"-180,{south},{cut},{north}")
    east = matched(bbox=f"{cut},{south},180,{north}")
    assert 0 < west < total and 0 < east < total  # the meridian cuts the city in two
    assert matched(bbox=f"170,{south},{cut},{north}") == west  # [170, 180] and [-180, cut]
    assert matched(bbox=f"{cut},{south},-179,{north}") == east  # [cut, 180] and [-180, -179]
    assert matched(bbox=f"{south},170,{north},{cut}",  # the same box in EPSG:4326's axis order
                   **{"bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/4326"}) == west
    assert matched(filter=f"S_INTERSECTS(geometry, BBOX(170, {south}, {cut}, {north}))") == west
    html = get(server, "/collections/land_parcels/items", f="html", limit="1",
               bbox=f"170,{south},{cut},{north}")
    assert html.status_code == 200
    # a projected box stays a box: minx > maxx there is still a mistake
    r = get(server, "/collections/land_parcels/items", f="json",
            bbox="5480000,-140000,5470000,-130000",
            **{"bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/6383"})
    assert r.status_code == 400 and "lower corner" in r.json()["detail"]


@pytest.mark.parametrize("path", ["/collections", "/collections/land_parcels", "/conformance",
                                  "/collections/land_parcels/queryables", "/openapi"])
def test_options_on_pygeoapi_resources_says_what_they_answer(server: str, path: str) -> None:
    """pygeoapi's routes answered OPTIONS with a bare text 405; the items routes with 204 and
    Allow. Every resource now says what it answers."""
    r = httpx.options(f"{server}{path}", timeout=30)
    assert r.status_code == 204 and r.headers["allow"] == "GET, HEAD, OPTIONS", r.text
    # the unknown still is unknown, whatever the method
    assert httpx.options(f"{server}/collections/nowhere", timeout=30).status_code == 404


def test_every_link_of_the_api_documents_answers(server: str) -> None:
    """The landing page linked pygeoapi's processes (404 here) and its own tiling-schemes list
    (grids no tile is cut in); a client following links must find what they say."""
    seen: dict[str, int] = {}
    for doc_path in ("/", "/collections", "/collections/land_parcels",
                     "/collections/addresses", "/conformance", "/tiles"):
        doc = httpx.get(f"{server}{doc_path}", params={"f": "json"}, timeout=60).json()
        links = list(doc.get("links", []))
        for coll in doc.get("collections", []):
            links += coll.get("links", [])
        for link in links:
            href = link["href"]
            if not href.startswith(server) or "{" in href or href in seen:
                continue
            seen[href] = httpx.get(href, timeout=60).status_code
    broken = {href: status for href, status in seen.items() if status >= 400}
    assert not broken, broken
    assert len(seen) > 40  # the documents were followed, not skipped
    assert not any("/processes" in href or "/TileMatrixSets" in href for href in seen)
    listing = httpx.get(f"{server}/TileMatrixSets", timeout=30).json()
    assert listing == httpx.get(f"{server}/tileMatrixSets", timeout=30).json()


@pytest.mark.parametrize(("path", "params"), [
    ("/search", {"q": "Шевченка"}), ("/search/place", {"lon": "26.97", "lat": "49.42"}),
    ("/tileMatrixSets", {}), ("/collections/land_parcels/tiles", {}), ("/tiles", {}),
    ("/maps", {}),
])
def test_a_json_only_resource_refuses_another_format(server: str, path: str,
                                                     params: dict[str, str]) -> None:
    """``f=html`` or ``f=xml`` of a resource served as JSON only was answered JSON with 200,
    where every other resource refuses a format it does not serve."""
    for f in ("html", "xml"):
        r = httpx.get(f"{server}{path}", params={**params, "f": f}, timeout=60)
        assert r.status_code == 400, r.text
        if f == "html":  # asked as a page, the refusal is the error page
            assert r.headers["content-type"].startswith("text/html")
            assert "f=&#39;html&#39;" in r.text
        else:
            assert r.json()["parameter"] == "f" and f"f='{f}'" in r.json()["detail"]
    r = httpx.get(f"{server}{path}", params={**params, "f": "json"}, timeout=60)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(("asked", "canonical"), [
    ("/tiles/", "/tiles"), ("//maps", "/maps"), ("/search/?q=Шевченка", "/search?q=Шевченка"),
    ("/collections/land_parcels/tiles/", "/collections/land_parcels/tiles"),
    ("/TileMatrixSets/UCS2000TM9/", "/TileMatrixSets/UCS2000TM9"),
    ("/fonts/DejaVu Sans Book/0-255.pbf/", "/fonts/DejaVu Sans Book/0-255.pbf"),
    ("/nothing/here/", "/nothing/here"),
    ("//evil.example/", "/evil.example"),  # never a redirect to another site
    ("/\\evil.example/", "/%5Cevil.example"),
])
def test_another_spelling_of_a_path_is_sent_to_the_one_served(server: str, asked: str,
                                                              canonical: str) -> None:
    """A trailing or doubled slash on one of the app's own routes was a 404 claiming "nothing
    is served at /tiles" (and /TileMatrixSets/…/ got pygeoapi's grids, in its words); the
    OGC API's paths already answer every spelling. It is a 308 to the one spelling served,
    with its query, answered as that spelling is."""
    r = httpx.get(server + asked, timeout=60)
    assert r.status_code == 308 and not r.content, (asked, r.status_code, r.text[:200])
    assert httpx.URL(server + r.headers["location"]) == httpx.URL(server + canonical)
    followed = httpx.get(server + asked, follow_redirects=True, timeout=60)
    direct = httpx.get(server + canonical, timeout=60)
    assert followed.status_code == direct.status_code, asked
    assert followed.headers["content-type"] == direct.headers["content-type"], asked
    if direct.status_code == 404:  # a path served by nothing is named as asked
        named = canonical.replace("%5C", "\\")
        assert direct.json()["detail"] == f"nothing is served at {named}"
    else:
        assert followed.content == direct.content, asked
    # no other method is redirected: OPTIONS names the spelling it was asked
    options = httpx.options(server + asked.split("?")[0], timeout=60)
    assert options.status_code == 404
    assert options.json()["detail"] == f"nothing is served at {asked.split('?')[0]}"
    # a path on this site: never protocol-relative (//host), nor a backslash a browser reads so
    assert r.headers["location"].startswith("/") and r.headers["location"][1:2] not in "/\\"


@pytest.mark.parametrize(("path", "allow"), [
    ("/tiles", "GET, HEAD, OPTIONS"), ("/search", "GET, HEAD, OPTIONS"),
    ("/maps/city/style.json", "GET, HEAD, OPTIONS"), ("/login", "GET, HEAD, POST, OPTIONS"),
    ("/error-reports/AAAAA-AAAAA", "GET, HEAD, PATCH, OPTIONS"),
    ("/registries/land_parcels/decisions", "POST, OPTIONS"),
])
def test_the_methods_of_the_apps_own_routes(server: str, path: str, allow: str) -> None:
    """OPTIONS of one of the app's own routes was a 404 ("nothing is served at /tiles") and
    a method it does not take a 405 allowing GET, HEAD, OPTIONS whatever the route took: the
    OGC API's catch-all answered them. Each says the methods of its own route."""
    options = httpx.options(server + path, timeout=60)
    assert options.status_code == 204 and options.headers["allow"] == allow, options.text
    for method in ("PUT", "DELETE") if "GET" in allow else ("GET", "PUT"):
        r = httpx.request(method, server + path, timeout=60)
        assert r.status_code == 405 and r.headers["allow"] == allow, (method, r.text)
        assert r.json()["code"] == "MethodNotAllowed"


@pytest.mark.parametrize(("path", "params"), [
    ("/collections/land_parcels/items", {}), ("/search", {"q": "Соборна"}),
    ("/registries/land_parcels/as-of", {"datetime": "2026-01-01"}),
])
def test_a_whole_number_is_ascii_digits_on_every_route(server: str, path: str,
                                                       params: dict[str, str]) -> None:
    """One reading of a whole number (gis.params): 1_0, ١٠ and a padded 10 are refused by the
    items, search and as-of routes alike, naming the parameter."""
    for written in ("1_0", "١٠", " 10"):
        r = get(server, path, limit=written, **params)
        assert r.status_code == 400, (path, written, r.text[:200])
        assert r.json()["parameter"] == "limit" and "whole number" in r.json()["detail"]
    assert get(server, path, limit="10", **params).status_code == 200


def test_a_server_error_says_it_closes_its_connection() -> None:
    """After a 500 Starlette raises the error again and uvicorn closes the connection; the
    answer did not say so, and a client's next request on that kept-alive connection read
    "connection reset by peer". The handler every app of ours installs, served by uvicorn."""
    import http.client
    import threading
    import time

    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from app.problems import unexpected_error_handler
    from gis.cluster import free_port

    async def boom(request: Request) -> PlainTextResponse:
        raise RuntimeError("secret internals")

    async def fine(request: Request) -> PlainTextResponse:
        return PlainTextResponse("fine")

    app = Starlette(routes=[Route("/boom", boom), Route("/fine", fine)],
                    exception_handlers={Exception: unexpected_error_handler})
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        conn.request("GET", "/boom")
        r = conn.getresponse()
        body = r.read().decode()
        assert r.status == 500 and r.getheader("connection") == "close", r.getheaders()
        assert "secret" not in body and "internal error; it has been logged" in body
        conn.request("GET", "/fine")  # http.client opens a new connection, as it was told
        again = conn.getresponse()
        assert again.status == 200 and again.read() == b"fine"
    finally:
        conn.close()
        server.should_exit = True
        thread.join(timeout=30)
