"""Another city (#22): a city stored in another UCS-2000 zone is served right from its settings.

Cherkasy (32.06°E) lies in UCS-2000 / Ukraine TM zone 11, EPSG:6385. Its settings name the
zone, the extent in that zone's metres, the city's name and the public URL; ``gis demo`` puts
the demo city on that ground and ``gis serve`` generates pygeoapi's configuration from the
settings at start (the committed ``pygeoapi-config.yml`` is the default city's, EPSG:6383).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import httpx
import mapbox_vector_tile
import psycopg
import pytest
import shapely
import shapely.geometry
from psycopg import sql

from gis.cluster import EmbeddedCluster, free_port
from gis.crs import crs_uri, transformer
from tests.conftest import GIS, drop, shared_tmp, start_server
from tests.test_tiles import tile_of

SRID = 6385
CENTRE_LONLAT = (32.06, 49.44)  # Cherkasy
NAME = ("Черкаси", "Cherkasy")


@pytest.fixture(scope="module")
def cherkasy(cluster: EmbeddedCluster) -> Iterator[tuple[str, str]]:
    """Return the base URL of a server for Cherkasy (demo city, EPSG:6385) and its database."""
    name = "cherkasy"
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = cluster.url(name)
    e, n = transformer("OGC:CRS84", SRID).transform(*CENTRE_LONLAT)
    port = free_port()
    data = shared_tmp("hromada-cherkasy-")
    env = {"GIS_DATABASE_URL": url, "GIS_DATA_DIR": str(data),
           "GIS_CITY__STORAGE_SRID": str(SRID),
           "GIS_CITY__EXTENT": f"[{e - 10_000}, {n - 7_500}, {e + 10_000}, {n + 7_500}]",
           "GIS_CITY__NAME_UK": NAME[0], "GIS_CITY__NAME_EN": NAME[1],
           "GIS_PUBLIC_URL": f"http://localhost:{port}"}
    try:
        demo = subprocess.run([GIS, "demo", "--scale", "0.01", "--today", "2026-11-01"],
                              env={**os.environ, **env}, capture_output=True, text=True,
                              timeout=600)
        assert demo.returncode == 0, demo.stderr
        proc = start_server(env, port)
        try:
            yield f"http://127.0.0.1:{port}", url
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            proc.log_path.unlink(missing_ok=True)
    finally:
        shutil.rmtree(data, ignore_errors=True)
        drop(cluster, name)


def _parcel(url: str) -> tuple[int, shapely.Polygon, tuple[float, float], tuple[float, float]]:
    """Return a parcel's id, its stored geometry (EPSG:6385), a point inside it in lon/lat and
    in EPSG:3857 — all computed by PostGIS."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT id, ST_AsBinary(geom), ST_SRID(geom), ST_X(ST_Transform(p, 4326)), "
            "ST_Y(ST_Transform(p, 4326)), ST_X(ST_Transform(p, 3857)), "
            "ST_Y(ST_Transform(p, 3857)) FROM (SELECT id, geom, ST_PointOnSurface(geom) AS p "
            "FROM registry.land_parcel ORDER BY id LIMIT 1) s").fetchone()
    assert row[2] == SRID
    return row[0], shapely.from_wkb(bytes(row[1])), (row[3], row[4]), (row[5], row[6])


def test_the_demo_city_lies_on_cherkasys_ground(cherkasy: tuple[str, str]) -> None:
    _, url = cherkasy
    with psycopg.connect(url) as conn:
        lon, lat = conn.execute("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Transform(ST_Centroid("
                                "ST_Union(geom)), 4326) AS c FROM registry.community_boundary) s"
                                ).fetchone()
    assert abs(lon - CENTRE_LONLAT[0]) < 0.1 and abs(lat - CENTRE_LONLAT[1]) < 0.1


def test_collections_say_the_storage_crs_of_zone_11_and_the_citys_name(
        cherkasy: tuple[str, str]) -> None:
    base, _ = cherkasy
    coll = httpx.get(f"{base}/collections/land_parcels?f=json", timeout=30).json()
    assert coll["storageCrs"] == crs_uri(SRID)
    assert crs_uri(SRID) in coll["crs"]
    w, s, e, n = coll["extent"]["spatial"]["bbox"][0]
    assert w < CENTRE_LONLAT[0] < e and s < CENTRE_LONLAT[1] < n
    landing = httpx.get(f"{base}/?f=json", timeout=30).json()
    assert NAME[1] in landing["title"] or NAME[0] in landing["title"], landing["title"]
    hrefs = [link["href"] for link in landing["links"]]
    assert any(h.startswith("http://localhost:") for h in hrefs)  # the public URL
    assert not any(h.startswith("http://127.0.0.1") for h in hrefs), hrefs


def test_items_in_the_storage_crs_and_bbox_queries_find_the_parcel(
        cherkasy: tuple[str, str]) -> None:
    base, url = cherkasy
    pid, stored, (lon, lat), _ = _parcel(url)
    r = httpx.get(f"{base}/collections/land_parcels/items/{pid}",
                  params={"crs": crs_uri(SRID)}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Crs"] == f"<{crs_uri(SRID)}>"
    # EPSG:6385 is northing first: the answer's coordinates are the stored ones, swapped
    served = shapely.geometry.shape(r.json()["geometry"])
    swapped = shapely.transform(served, lambda c: c[:, ::-1])
    assert swapped.equals_exact(stored, tolerance=0.01)

    d = 0.0005
    r = httpx.get(f"{base}/collections/land_parcels/items",
                  params={"bbox": f"{lon - d},{lat - d},{lon + d},{lat + d}", "limit": 100},
                  timeout=30)
    assert r.status_code == 200 and r.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    in_crs84 = {f["id"] for f in r.json()["features"]}
    assert pid in in_crs84
    p = stored.representative_point()
    box = f"{p.y - 50},{p.x - 50},{p.y + 50},{p.x + 50}"  # northing, easting first
    r = httpx.get(f"{base}/collections/land_parcels/items",
                  params={"bbox": box, "bbox-crs": crs_uri(SRID), "limit": 100}, timeout=30)
    assert r.status_code == 200, r.text
    assert pid in {f["id"] for f in r.json()["features"]}
    # the same box as if it were in the default city's zone is elsewhere: nothing there
    r = httpx.get(f"{base}/collections/land_parcels/items",
                  params={"bbox": "26.98,49.41,27.0,49.43", "limit": 100}, timeout=30)
    assert r.status_code == 200 and r.json()["features"] == []


def test_tiles_draw_the_parcel_where_it_is(cherkasy: tuple[str, str]) -> None:
    base, url = cherkasy
    pid, _, _, (mx, my) = _parcel(url)
    z = 16
    x, y = tile_of(mx, my, z)
    r = httpx.get(f"{base}/collections/land_parcels/tiles/WebMercatorQuad/{z}/{y}/{x}",
                  timeout=30)
    assert r.status_code == 200, r.text
    layer = mapbox_vector_tile.decode(r.content)["land_parcels"]
    drawn = [shapely.geometry.shape(f["geometry"]) for f in layer["features"] if f["id"] == pid]
    assert drawn, "the parcel is not in the tile its point lies in"
    # the point inside the parcel, in tile units (y up, as decoded): inside what is drawn
    from gis.tms import ORIGIN, tile_size_m

    size = tile_size_m(z)
    px = (mx - (-ORIGIN + x * size)) / size * layer["extent"]
    py = (my - (ORIGIN - (y + 1) * size)) / size * layer["extent"]
    assert any(g.buffer(1).contains(shapely.Point(px, py)) for g in drawn)
    sets = httpx.get(f"{base}/tileMatrixSets?f=json", timeout=30).json()
    assert "UCS2000TM11" in {s["id"] for s in sets["tileMatrixSets"]}
