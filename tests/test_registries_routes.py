"""The registry routes of a running server over the demo city: parcel report (JSON and
Ukrainian HTML), search and reverse lookup, problems, the dismantling list, change log, as-of;
public answers carry no personal field."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest


def one(url: str, query: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...]:
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return tuple(row)


@pytest.fixture(scope="module")
def parcel(demo_url: str) -> tuple[int, str]:
    """A demo parcel of a natural person with addresses on it."""
    pid, number = one(demo_url, "SELECT p.id, p.cadastral_number FROM registry.land_parcel p "
                                "WHERE p.holder_kind = 'natural' AND EXISTS (SELECT 1 FROM "
                                "registry.address a WHERE a.cadastral_number = p.cadastral_number)"
                                " ORDER BY p.id LIMIT 1")
    return int(pid), str(number)


def test_parcel_report_json(server: str, demo_url: str, parcel: tuple[int, str]) -> None:
    pid, number = parcel
    r = httpx.get(f"{server}/reports/parcels/{number}", timeout=30)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["parcel"]["cadastral_number"] == number
    assert doc["parcel"]["holder_name"] == "фізична особа"
    assert "holder_rnokpp" not in doc["parcel"] and "holder_home_address" not in doc["parcel"]
    area, zones = one(demo_url, "SELECT ST_Area(p.geom), (SELECT count(*) FROM "
                                "registry.planning_zone z WHERE ST_Intersects(z.geom, p.geom) "
                                "AND ST_Area(ST_Intersection(z.geom, p.geom)) >= 1) "
                                "FROM registry.land_parcel p WHERE p.id = %s", (pid,))
    assert doc["parcel"]["area_m2"] == pytest.approx(area, abs=0.01)
    assert len(doc["zones"]) == zones
    assert sum(z["share_pct"] for z in doc["zones"]) == pytest.approx(100, abs=0.5)
    addresses = one(demo_url, "SELECT array_agg(registry.address_label(street_id, house_number,"
                              " korpus) ORDER BY id) FROM registry.address WHERE "
                              "cadastral_number = %s AND status <> 'annulled'", (number,))[0]
    assert [a["address"] for a in doc["addresses"]] == addresses
    assert doc["neighbours"] and all(n["shared_boundary_m"] >= 0 for n in doc["neighbours"])
    assert "не є правовстановлювальним" in doc["disclaimer"]
    by_point = httpx.get(f"{server}/reports/parcels", timeout=30, params={
        "lon": doc["point"]["coordinates"][0], "lat": doc["point"]["coordinates"][1]}).json()
    assert by_point["parcel"]["cadastral_number"] == number


def test_parcel_report_html_is_ukrainian(server: str, parcel: tuple[int, str]) -> None:
    _, number = parcel
    r = httpx.get(f"{server}/reports/parcels/{number}", headers={"Accept": "text/html"},
                  timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    for text in (f"Довідка по земельній ділянці {number}", "Територіальні зони",
                 "Суміжні ділянки", "фізична особа", "не є правовстановлювальним"):
        assert text in r.text


def test_parcel_report_html_in_english(server: str, parcel: tuple[int, str]) -> None:
    """The English portal linked its residents to a Ukrainian-only report: it has an English
    page (``lang=en``), the page's own words and numbers in English, a link between them."""
    _, number = parcel
    r = httpx.get(f"{server}/reports/parcels/{number}", params={"f": "html", "lang": "en"},
                  timeout=30)
    assert r.status_code == 200 and '<html lang="en">' in r.text
    for text in (f"Land parcel report {number}", "Zones of the zoning plan",
                 "Adjoining parcels", "establishes no rights"):
        assert text in r.text, text
    for text in ("Довідка по земельній ділянці", "Територіальні зони плану зонування",
                 "Суміжні ділянки", "фізична особа", "не є правовстановлювальним", " га"):
        assert text not in r.text, text
    assert re.search(r"Ownership form</th>\s*<td>(private|communal|state|—)</td>", r.text)
    # a date as the geoportal's cards and pygeoapi's pages write it in English: 6 December 2026
    assert re.search(r"as of \d{1,2} (January|February|March|April|May|June|July|August"
                     r"|September|October|November|December) \d{4} ·", r.text)
    assert re.search(r"\d\.\d{4} ha \([\d,]+\.\d{2} m²\)", r.text)  # 0.1295 ha (1,294.81 m²)
    uk = httpx.get(f"{server}/reports/parcels/{number}", params={"f": "html"}, timeout=30)
    assert re.search(r"\d,\d{4} га \([\d\u00a0]+,\d{2} м²\)", uk.text)
    assert "lang=en" in re.search(r'<a href="([^"]+)" hreflang="en"', uk.text).group(1)
    assert "lang=uk" in re.search(r'<a href="([^"]+)" hreflang="uk"', r.text).group(1)
    # the registries' own Ukrainian text (zone and restriction names, the classifier's names,
    # addresses) is marked as Ukrainian on the English page; nothing else is Cyrillic
    words = re.sub(r'<(\w+)[^>]*lang="uk"[^>]*>.*?</\1>', " ", r.text, flags=re.S)
    assert not re.findall(r"[А-Яа-яЇїІіЄєҐґ]+", re.sub(r"<[^>]+>", " ", words))
    assert '<span lang="uk">' in r.text and '<span lang="uk">' not in uk.text


def test_parcel_report_words_a_field_as_its_registry_declares_it(
        server: str, parcel: tuple[int, str]) -> None:
    """The report named the cadastral number, the ownership form and the holder in words of
    its own ("Owner or user", "Form of ownership"), and a natural person's holder "a natural
    person" in English where every other page says the declared stand-in: the field titles
    and the stand-in are the land-parcel registry's, in both languages."""
    from registries.catalog import default_catalog

    _, number = parcel
    parcels = default_catalog().get("land_parcels")
    holder = parcels.field("holder_name")
    assert holder.personal_if and holder.personal_if.mask
    for lang in ("uk", "en"):
        r = httpx.get(f"{server}/reports/parcels/{number}", params={"f": "html", "lang": lang},
                      timeout=30)
        assert r.status_code == 200
        parcel_table = r.text[r.text.index("<table>"):r.text.index("</table>")]
        cells = dict(re.findall(r"<tr><th>([^<]+)</th>\s*<td>([^<]*)</td>", parcel_table))
        assert cells[parcels.field("cadastral_number").title[lang]] == number, cells
        assert parcels.field("ownership_form").title[lang] in cells, cells
        assert cells[holder.title[lang]] == holder.personal_if.mask[lang], cells


def test_every_page_names_the_geoportal_alike(server: str, parcel: tuple[int, str]) -> None:
    """The geoportal called itself «Геопортал м. Хмельницький» / "Khmelnytskyi geoportal",
    the parcel report and the extract check "Geoportal of Khmelnytskyi", the QGIS project
    "Geoportal Khmelnytskyi": one name in each language (``CitySettings.portal_name``)."""
    import json

    from gis.settings import CitySettings

    names = {lang: CitySettings().portal_name(lang) for lang in ("uk", "en")}
    page = httpx.get(f"{server}/", headers={"Accept": "text/html"}, timeout=30).text
    assert f"<title>{names['uk']}</title>" in page and f">{names['uk']}</h1>" in page
    config = json.loads(re.search(r'<script id="portal-config" type="application/json">'
                                  r"(.*?)</script>", page, re.S).group(1).replace("<\\/", "</"))
    assert config["portalName"] == names  # the English page's title and heading
    _, number = parcel
    extract = httpx.get(f"{server}/extracts/parcels/{number}", timeout=120)
    assert extract.status_code == 200, extract.text
    for lang, name in names.items():
        for path in (f"/reports/parcels/{number}",
                     f"/extracts/{extract.headers['x-extract-number']}"):
            r = httpx.get(f"{server}{path}", params={"f": "html", "lang": lang}, timeout=30)
            assert f'<p class="muted">{name} ·' in r.text, (path, lang)
        project = httpx.get(f"{server}/qgis/project.qgs", params={"lang": lang}, timeout=60)
        assert f"<title>{name}</title>" in project.text, lang


def test_parcel_report_names_a_finding_in_ukrainian(server: str, demo_url: str) -> None:
    """A finding on the parcel was the rule's English sentence alone on the Ukrainian page:
    it is what the rule checks, in Ukrainian, then that sentence, marked as English."""
    doc = httpx.get(f"{server}/registries/land_parcels/problems", timeout=30).json()
    found = next(p for p in doc["problems"] if p["rule"] == "area_matches_geometry")
    number = one(demo_url, "SELECT cadastral_number FROM registry.land_parcel WHERE id = %s",
                 (found["id"],))[0]
    page = httpx.get(f"{server}/reports/parcels/{number}", params={"f": "html"}, timeout=30)
    assert page.status_code == 200
    assert ("задекларована площа й площа, обчислена в системі координат зберігання"
            in page.text), page.text[-1500:]
    assert f'<span lang="en">parcel {number}: declared area' in page.text


def test_parcel_report_errors_name_the_problem(server: str) -> None:
    r = httpx.get(f"{server}/reports/parcels/68101-01", timeout=30)
    assert r.status_code == 400 and "is malformed" in r.json()["detail"]
    r = httpx.get(f"{server}/reports/parcels/6810100000:99:999:9999", timeout=30)
    assert r.status_code == 404
    assert r.json()["detail"] == "no parcel 6810100000:99:999:9999 in the land cadastre"


def test_search_and_reverse(server: str, demo_url: str) -> None:
    aid, label, lon, lat = one(demo_url, """
        SELECT a.id, registry.address_label(a.street_id, a.house_number, a.korpus),
               ST_X(ST_Transform(a.geom, 4326)), ST_Y(ST_Transform(a.geom, 4326))
        FROM registry.address a WHERE a.korpus IS NULL AND a.status = 'active'
        ORDER BY a.id LIMIT 1 OFFSET 40""")
    doc = httpx.get(f"{server}/search", params={"q": label.lower()}, timeout=30).json()
    assert doc["results"][0]["id"] == aid and doc["results"][0]["label"] == label
    near = httpx.get(f"{server}/search/reverse", params={"lon": lon, "lat": lat},
                     timeout=30).json()
    assert near["id"] == aid and near["distance_m"] == 0
    assert httpx.get(f"{server}/search", params={"q": " "}, timeout=30).status_code == 400
    # a parameter given twice with two values: the last one was read
    for path, twice in (("/search", [("q", "Соборна"), ("q", "Шевченка")]),
                        ("/search/reverse", [("lon", str(lon)), ("lat", str(lat)),
                                             ("lat", "49.0")])):
        r = httpx.get(f"{server}{path}", params=twice, timeout=30)
        assert r.status_code == 400 and "is given 2 times" in r.json()["detail"], r.text


def test_problems_list_the_kiosks_outside_the_scheme(server: str) -> None:
    doc = httpx.get(f"{server}/registries/temporary_structures/problems", timeout=30).json()
    rules = {p["rule"] for p in doc["problems"]}
    assert "within_scheme_spot" in rules  # the demo puts ~5 % of kiosks outside the scheme
    outside = [p for p in doc["problems"] if p["rule"] == "within_scheme_spot"]
    assert all(p["message"].startswith("temporary structure ПП-") for p in outside)
    assert all(p["severity"] == "legacy" for p in outside)


def test_dismantling_list(server: str) -> None:
    doc = httpx.get(f"{server}/registries/advertising_structures/dismantling", timeout=30).json()
    assert doc["numberMatched"] > 0
    assert {e["status"] for e in doc["entries"]} <= {"expired", "dismantling_ordered"}
    assert doc["entries"][0]["reason"].startswith("advertising permit ХМ-")
    r = httpx.get(f"{server}/registries/land_parcels/dismantling", timeout=30)
    assert r.status_code == 404
    # a declared registry with a derived status but no permit term has no list (it was a 500)
    r = httpx.get(f"{server}/registries/road_closures/dismantling", timeout=30)
    assert r.status_code == 404 and "no term" in r.json()["detail"]


def test_history_and_as_of(server: str, parcel: tuple[int, str]) -> None:
    pid, number = parcel
    log = httpx.get(f"{server}/registries/land_parcels/items/{pid}/history", timeout=30).json()
    assert log["versions"][0]["action"] == "created"
    assert "by" not in log["versions"][0]
    assert log["versions"][0]["values"]["holder_name"] == "фізична особа"
    counts = httpx.get(f"{server}/collections/streets/items?f=json&limit=1", timeout=30).json()
    doc = httpx.get(f"{server}/registries/streets/as-of", timeout=30,
                    params={"datetime": "2999-01-01"})
    assert doc.status_code == 400
    now = datetime.now(UTC).isoformat()
    doc = httpx.get(f"{server}/registries/streets/as-of", params={"datetime": now},
                    timeout=30).json()
    assert len(doc["features"]) == counts["numberMatched"] > 0
    before = httpx.get(f"{server}/registries/streets/as-of", params={"datetime": "2020-01-01"},
                       timeout=30).json()
    assert before["features"] == []  # the demo city was loaded today


def test_ogc_items_show_the_derived_status(server: str) -> None:
    doc = httpx.get(f"{server}/collections/advertising_structures/items?f=json&limit=50",
                    timeout=30).json()
    statuses = {f["properties"]["status"] for f in doc["features"]}
    assert statuses and statuses <= {"valid", "expiring", "expired", "dismantling_ordered",
                                     "dismantled", "not_yet_valid", "annulled"}
    expired = httpx.get(f"{server}/collections/advertising_structures/items?f=json&limit=5"
                        "&status=expired", timeout=30).json()
    assert expired["features"] and {f["properties"]["status"]
                                    for f in expired["features"]} == {"expired"}


def test_search_reads_what_the_public_may_read() -> None:
    """``collections=`` names only registries the asker may read (a staff-only one does not
    exist for the public, as on the OGC API), and search reads the public views."""
    import asyncio
    from dataclasses import replace

    from starlette.requests import Request

    from app.registry_routes import RegistryService, search_handler
    from gis.auth import ANONYMOUS, Principal, Role
    from gis.errors import NotFound
    from gis.settings import Settings
    from registries.catalog import Catalog, default_catalog
    from registries.search import objects_sql

    base = default_catalog()
    hidden = replace(base.get("road_closures"), public=False)
    catalog = Catalog([*(r for r in base if r.id != "road_closures"), hidden])
    request = Request({"type": "http", "method": "GET", "path": "/search", "headers": [],
                       "query_string": b"q=x&collections=road_closures"})
    public = RegistryService(Settings(), None, catalog, lambda r: ANONYMOUS)  # type: ignore[arg-type]
    with pytest.raises(NotFound, match="road_closures"):
        asyncio.run(search_handler(public, request))
    staff = RegistryService(Settings(), None, catalog,  # type: ignore[arg-type]
                            lambda r: Principal("olena", frozenset({Role.PLANNER})))
    assert staff.readable("road_closures", request) is hidden
    reg = base.get("advertising_structures")
    assert '"open_data"."advertising_structure"' in objects_sql(reg, False).as_string(None)
    assert '"staff_data"."advertising_structure"' in objects_sql(reg, True).as_string(None)
