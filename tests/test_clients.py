"""Clients that exist in the wild read every collection: GDAL's OAPIF driver and OWSLib."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import psycopg
import pytest
from owslib.ogcapi.features import Features

from registries.catalog import default_catalog
from registries.model import FieldType

COLLECTIONS = [r.id for r in default_catalog() if r.public]


def ogr_features(server: str, layer: str, *extra: str) -> list[dict[str, Any]]:
    """Return the features GDAL's OAPIF driver reads (small pages, so it must follow links)."""
    out = subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", f"OAPIF:{server}", layer, "-preserve_fid",
         "-oo", "PAGE_SIZE=37", *extra],
        capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout)["features"]  # type: ignore[no-any-return]


def public_rows(demo_url: str, layer: str) -> dict[int, dict[str, Any]]:
    reg = default_catalog().get(layer)
    with psycopg.connect(demo_url) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(f"SELECT * FROM open_data.{reg.table}")  # noqa: S608
        return {r["id"]: r for r in cur.fetchall()}


@pytest.mark.parametrize("layer", COLLECTIONS)
def test_gdal_reads_every_feature_once_with_cyrillic_intact(server: str, demo_url: str,
                                                            layer: str) -> None:
    features = ogr_features(server, layer)
    rows = public_rows(demo_url, layer)
    got = [f["id"] for f in features]
    assert len(got) == len(set(got)), "a page boundary repeated features"
    assert set(got) == set(rows), "paging lost or invented features"
    reg = default_catalog().get(layer)
    text_fields = [f.name for f in reg.public_fields if f.type == FieldType.TEXT]
    for f in features:
        for name in text_fields:
            assert f["properties"].get(name) == rows[f["id"]][name], (layer, name)


# the OGR field type GDAL must give each declared type (ogrinfo -so prints "name: Type (w.p)")
OGR_TYPES = {FieldType.TEXT: "String", FieldType.INTEGER: "Integer", FieldType.NUMBER: "Real",
             FieldType.DATE: "Date", FieldType.BOOLEAN: "Integer(Boolean)",
             FieldType.JSON: "String", FieldType.REFERENCE: "Integer"}


@pytest.mark.parametrize("layer", COLLECTIONS)
def test_gdal_types_every_field_as_declared(server: str, layer: str) -> None:
    """GDAL types the fields from the collection's describedBy schema. From the first page it
    made text of a number or a date whose first ten values were empty (a parcel's stated
    area error, a permit's annulment date), and the type changed with the data."""
    import re

    out = subprocess.run(["ogrinfo", "-ro", "-so", f"OAPIF:{server}", layer],
                         capture_output=True, text=True, timeout=120, check=True)
    typed = dict(re.findall(r"^(\w+): ([\w()]+) \(", out.stdout, re.M))
    reg = default_catalog().get(layer)
    expected = {f.name: OGR_TYPES[f.type] for f in reg.public_fields}
    assert {k: typed.get(k) for k in expected} == expected


def test_gdal_spatial_filter_matches_postgis(server: str, demo_url: str) -> None:
    features = ogr_features(server, "addresses", "-spat", "26.985", "49.415", "27.0", "49.425")
    with psycopg.connect(demo_url) as conn:
        expected = {r[0] for r in conn.execute(
            "SELECT id FROM registry.address WHERE ST_Intersects(geom, ST_Transform(ST_Segmentize("
            "ST_MakeEnvelope(26.985, 49.415, 27.0, 49.425, 4326), 0.001), 6383))")}
    assert expected and {f["id"] for f in features} == expected


def test_gdal_reads_one_feature_by_its_id(server: str, demo_url: str) -> None:
    """GDAL's GetFeature (``ogrinfo -fid``, ``layer.GetFeature(n)``) appends ``/{id}`` to the
    collection's GeoJSON items link: with that link ending in ``?f=json`` it asked
    ``items?f=json/7`` and got a 400."""
    with psycopg.connect(demo_url) as conn:
        fid, number = conn.execute("SELECT id, cadastral_number FROM open_data.land_parcel "
                                   "ORDER BY id DESC LIMIT 1").fetchone()  # type: ignore[misc]
    out = subprocess.run(["ogrinfo", "-ro", "-q", f"OAPIF:{server}", "land_parcels",
                          "-fid", str(fid)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "ERROR" not in out.stderr, out.stderr
    assert f"OGRFeature(land_parcels):{fid}" in out.stdout
    assert f"cadastral_number (String) = {number}" in out.stdout


@pytest.mark.parametrize(("layer", "params"), [
    ("land_parcels", {"bbox": "26.9,49.3,27.2,49.6", "limit": "150", "sortby": "-id"}),
    ("addresses", {"properties": "full_address,status", "limit": "40", "offset": "7"}),
    # a long page (past one batch) streams from its COPY, counted first for its Link
    ("land_parcels", {"limit": "700", "offset": "20",
                      "crs": "http://www.opengis.net/def/crs/EPSG/0/6383"}),
])
def test_an_items_page_as_csv_is_the_geojson_page_gdal_reads(server: str, tmp_path: Any,
                                                              layer: str,
                                                              params: dict[str, str]) -> None:
    """``f=csv`` was pygeoapi's CSV: no id and no geometry. It is now the GeoJSON page's rows
    (the same filter, order and page) with their id and WKT, which GDAL reads as geometries."""
    import httpx

    url = f"{server}/collections/{layer}/items"
    page = httpx.get(url, params={**params, "f": "json"}, timeout=60).json()
    r = httpx.get(url, params={**params, "f": "csv"}, timeout=60)
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.content.startswith(b"\xef\xbb\xbf")  # the BOM, as the open-data CSV
    if page["numberMatched"] > int(params.get("offset", 0)) + len(page["features"]):
        assert 'rel="next"' in r.headers["link"] and "f=csv" in r.headers["link"]
    (tmp_path / "page.csv").write_bytes(r.content)
    out = subprocess.run(["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", str(tmp_path / "page.csv"),
                          "-oo", "GEOM_POSSIBLE_NAMES=wkt", "-oo", "KEEP_GEOM_COLUMNS=NO"],
                         capture_output=True, text=True, timeout=120, check=True)
    read = json.loads(out.stdout)["features"]
    assert [int(f["properties"]["id"]) for f in read] == [f["id"] for f in page["features"]]
    for got, want in zip(read, page["features"], strict=True):
        props = {k: v for k, v in got["properties"].items() if k != "id"}
        assert props == {k: "" if v is None else str(v) for k, v in want["properties"].items()}
        # (PostGIS names a CRS other than WGS 84 in the GeoJSON geometry; the WKT has none)
        geometry = {k: v for k, v in want["geometry"].items() if k != "crs"}
        if "crs" in params:  # GeoJSON in EPSG:6383's order (northing, easting); the WKT
            geometry["coordinates"] = swapped(geometry["coordinates"])  # easting first
        assert got["geometry"] == geometry


def swapped(coordinates: Any) -> Any:
    """Return GeoJSON coordinates with each position's first two numbers swapped."""
    if coordinates and isinstance(coordinates[0], int | float):
        return [coordinates[1], coordinates[0], *coordinates[2:]]
    return [swapped(c) for c in coordinates]


def test_gdal_coordinates_match_postgis_to_the_millimetre(server: str, demo_url: str) -> None:
    features = ogr_features(server, "advertising_structures")
    with psycopg.connect(demo_url) as conn:
        # compare in the metric storage CRS: transform GDAL's lon/lat back with PostGIS
        for f in features[:50]:
            lon, lat = f["geometry"]["coordinates"]
            d = conn.execute("SELECT ST_Distance(geom, ST_Transform(ST_SetSRID("
                             "ST_MakePoint(%s, %s), 4326), 6383)) "
                             "FROM registry.advertising_structure WHERE id = %s",
                             (lon, lat, f["id"])).fetchone()[0]
            assert d < 0.001, (f["id"], d)


def test_owslib_lists_collections_and_pages_items(server: str, demo_url: str) -> None:
    api = Features(server)
    listed = {c["id"] for c in api.collections()["collections"]}
    assert set(COLLECTIONS) <= listed
    rows = public_rows(demo_url, "temporary_structures")
    seen: list[int] = []
    offset = 0
    while True:
        page = api.collection_items("temporary_structures", limit=7, offset=offset)
        seen += [f["id"] for f in page["features"]]
        offset += 7
        if page["numberReturned"] < 7 or offset >= page["numberMatched"]:
            break
    assert sorted(seen) == sorted(rows) and len(seen) == len(set(seen))
    one = api.collection_item("temporary_structures", str(seen[0]))
    assert one["properties"]["passport_number"] == rows[seen[0]]["passport_number"]
    parcels = api.collection_items("land_parcels", limit=3, bbox=[26.985, 49.415, 27.0, 49.425])
    assert len(parcels["features"]) == 3
    queryables = api.collection_queryables("land_parcels")
    assert "cadastral_number" in queryables["properties"]
