"""The running server over the demo city: collections with counts, items, health, landing."""

from __future__ import annotations

import httpx
import psycopg

from registries.catalog import default_catalog

MAIN = ("addresses", "land_parcels", "advertising_structures", "temporary_structures")


def test_collections_list_every_registry_with_its_count(server: str, demo_url: str) -> None:
    doc = httpx.get(f"{server}/collections?f=json", timeout=30).json()
    listed = {c["id"]: c for c in doc["collections"]}
    with psycopg.connect(demo_url) as conn:
        for reg in default_catalog():
            n = conn.execute(f"SELECT count(*) FROM registry.{reg.table}").fetchone()[0]  # noqa: S608
            assert listed[reg.id]["numberMatched"] == n, reg.id
            assert listed[reg.id]["title"] == reg.title["uk"]
    for cid in MAIN:
        assert listed[cid]["numberMatched"] > 0


def test_items_are_geojson_with_cyrillic_intact(server: str) -> None:
    r = httpx.get(f"{server}/collections/land_parcels/items?f=json&limit=5", timeout=30)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    doc = r.json()
    assert doc["numberReturned"] == 5 and len(doc["features"]) == 5
    f = doc["features"][0]
    assert f["geometry"]["type"] == "MultiPolygon"
    lon, lat = f["geometry"]["coordinates"][0][0][0]
    assert 26.8 < lon < 27.2 and 49.3 < lat < 49.5
    texts = httpx.get(f"{server}/collections/streets/items?f=json&limit=50", timeout=30).json()
    names = [x["properties"]["name"] for x in texts["features"]]
    assert any(ch in "".join(names) for ch in "їєіґ'"), names


def test_anonymous_items_carry_no_personal_fields(server: str) -> None:
    for reg in default_catalog():
        doc = httpx.get(f"{server}/collections/{reg.id}/items?f=json&limit=200",
                        timeout=30).json()
        personal = {f.name for f in reg.fields if f.personal}
        for feature in doc["features"]:
            assert not personal & set(feature["properties"]), reg.id
    parcels = httpx.get(f"{server}/collections/land_parcels/items?f=json&limit=500"
                        "&holder_kind=natural", timeout=30).json()
    assert parcels["features"]
    assert {f["properties"]["holder_name"] for f in parcels["features"]} == {"фізична особа"}


def test_health_and_landing_page(server: str) -> None:
    assert httpx.get(f"{server}/healthz").json() == {"status": "ok", "database": "ok"}
    page = httpx.get(f"{server}/", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Геопортал" in page.text
    landing = httpx.get(f"{server}/?f=json").json()
    assert any(link["rel"] == "conformance" for link in landing["links"])
