"""Vector tiles in the UCS-2000 print grid (UCS2000TM9) beside WebMercatorQuad.

Vertices land where PROJ puts them; the OGC API Tiles documents list both tilesets; the cache
keys, seeding and the database-driven invalidation carry the grid: an edit drops exactly the
tiles of each grid whose buffered extent the old or new geometry meets — no more, no fewer.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import httpx
import mapbox_vector_tile
import numpy as np
import psycopg
import pytest
import shapely
from psycopg import sql
from pyproj import Transformer

from gis.tms import BUFFER, EXTENT, grid_tile_range, ucs2000_tms
from registries.catalog import default_catalog
from registries.publication import publish_directly
from tests.conftest import SRID
from tiles.cache import DiskCache
from tiles.grids import cache_key, vector_grids
from tiles.invalidate import Invalidator
from tiles.mvt import Sources, TileQueries, configure

UCS = "UCS2000TM9"
WMQ = "WebMercatorQuad"
MVT = "application/vnd.mapbox-vector-tile"
GRIDS = vector_grids(SRID, 20, 49.42)
QUERIES = TileQueries(Sources(default_catalog()), 20, "Europe/Kyiv", GRIDS)
TO_UCS = Transformer.from_crs("OGC:CRS84", SRID, always_xy=True)


def decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


def ucs_tile_of(e: float, n: float, z: int) -> tuple[int, int]:
    """Return the column and row of the UCS2000TM9 tile at matrix ``z`` holding E, N."""
    side = ucs2000_tms(SRID).matrix(z).cellSize * 256
    return math.floor((e - 100_000.0) / side), math.floor((5_900_000.0 - n) / side)


@pytest.fixture(scope="module")
def parcel(server: str) -> dict:
    """Return a public parcel as the features API gives it (GeoJSON, CRS84)."""
    items = httpx.get(f"{server}/collections/land_parcels/items?f=json&limit=5").json()
    return items["features"][0]


@pytest.mark.parametrize("z", [9, 7, 5])
def test_parcel_vertices_land_where_proj_puts_them(server: str, parcel: dict, z: int) -> None:
    """Every vertex of the parcel (CRS84 from the features API, projected by PROJ) is drawn
    within one pixel of its place in the tile of matrix ``z`` (1:500, 1:2 000, 1:10 000)."""
    ring = shapely.geometry.shape(parcel["geometry"])
    lonlat = shapely.get_coordinates(ring)
    e, n = TO_UCS.transform(lonlat[:, 0], lonlat[:, 1])
    cell = ucs2000_tms(SRID).matrix(z).cellSize
    side = cell * 256
    checked = 0
    for col, row in {ucs_tile_of(a, b, z) for a, b in zip(e, n, strict=True)}:
        r = httpx.get(f"{server}/collections/land_parcels/tiles/{UCS}/{z}/{row}/{col}")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == MVT
        layer = decode(r.content)["land_parcels"]
        drawn = [f for f in layer["features"] if f["id"] == parcel["id"]]
        assert len(drawn) == 1, (z, row, col)
        assert drawn[0]["properties"]["cadastral_number"] == \
            parcel["properties"]["cadastral_number"]
        points = shapely.get_coordinates(shapely.geometry.shape(drawn[0]["geometry"]))
        left, top = 100_000.0 + col * side, 5_900_000.0 - row * side
        for a, b in zip(e, n, strict=True):
            if not (left <= a < left + side and top - side < b <= top):
                continue  # a vertex of a neighbouring tile
            want = np.array([(a - left) / cell * EXTENT / 256, (top - b) / cell * EXTENT / 256])
            nearest = np.min(np.hypot(*(points - want).T))
            assert nearest <= EXTENT / 256, (z, (a, b), nearest)  # within one pixel
            checked += 1
    assert checked >= len(lonlat) - 1  # every vertex (the ring repeats its first)


def test_both_tilesets_are_listed_with_their_limits(server: str) -> None:
    sets = httpx.get(f"{server}/collections/land_parcels/tiles").json()["tilesets"]
    assert [s["crs"] for s in sets] == ["http://www.opengis.net/def/crs/EPSG/0/3857",
                                        "http://www.opengis.net/def/crs/EPSG/0/6383"]
    city = httpx.get(f"{server}/tiles").json()["tilesets"]
    assert len(city) == 2 and all(s["dataType"] == "vector" for s in city)
    href = next(link["href"] for link in sets[1]["links"] if link["rel"] == "self")
    doc = httpx.get(href).json()
    scheme = next(link["href"] for link in doc["links"] if link["rel"].endswith("tiling-scheme"))
    assert httpx.get(scheme).json()["id"] == UCS
    item = next(link["href"] for link in doc["links"] if link["rel"] == "item")
    assert item.endswith(f"/collections/land_parcels/tiles/{UCS}/{{tileMatrix}}/{{tileRow}}"
                         "/{tileCol}")
    # parcels are drawn from z14, i.e. from 1:25 000 (matrix 4) on; limits from the extent
    limits = {lim["tileMatrix"]: lim for lim in doc["tileMatrixSetLimits"]}
    assert sorted(limits, key=int) == [str(z) for z in range(4, 10)]
    x0, y0, x1, y1 = grid_tile_range(ucs2000_tms(SRID), (289_000.0, 5_469_000.0, 309_000.0,
                                                         5_484_000.0), 6)
    assert (limits["6"]["minTileCol"], limits["6"]["minTileRow"], limits["6"]["maxTileCol"],
            limits["6"]["maxTileRow"]) == (x0, y0, x1, y1)
    assert doc["layers"][0]["minTileMatrix"] == "4" and doc["layers"][0]["maxTileMatrix"] == "9"


def test_ucs_tiles_are_cached_and_bad_addresses_are_problems(server: str, parcel: dict) -> None:
    lon, lat = shapely.geometry.shape(parcel["geometry"]).representative_point().coords[0]
    col, row = ucs_tile_of(*TO_UCS.transform(lon, lat), 8)
    url = f"{server}/tiles/{UCS}/8/{row}/{col}"
    first = httpx.get(url)
    again = httpx.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert first.status_code == 200 and again.status_code == 304
    assert httpx.get(url).headers["x-tile-cache"] == "hit"
    # the same numbers in WebMercatorQuad are another tile (the cache keys carry the grid)
    assert httpx.get(f"{server}/tiles/{WMQ}/8/{row}/{col}").status_code == 404
    assert "land_parcels" in decode(httpx.get(url).content)
    assert httpx.get(f"{server}/tiles/{UCS}/10/0/0").status_code == 404  # no matrix 10
    assert httpx.get(f"{server}/tiles/{UCS}/9/0/99999").status_code == 404
    assert httpx.get(f"{server}/tiles/{UCS}/9/a/0").status_code == 400
    assert httpx.get(f"{server}/tiles/NoSuchGrid/1/0/0").status_code == 404
    # a matrix where the collection draws nothing is outside its tileset's limits: 404 (the
    # OGC API's /req/core/tc-error A), never 500; so is a tile of a drawn matrix off the city
    none = httpx.get(f"{server}/collections/land_parcels/tiles/{UCS}/0/0/0")
    assert none.status_code == 404 and "its tile matrices are" in none.json()["detail"]
    off = httpx.get(f"{server}/tiles/{UCS}/9/0/0")
    assert off.status_code == 404, off.text
    assert "outside this tileset's limits, the city's extent: at tile matrix 9, rows" \
        in off.json()["detail"]


# -- invalidation -------------------------------------------------------------------------------
SQUARE = ("SRID=6383;MULTIPOLYGON(((299010 5476010,299070 5476010,299070 5476050,"
          "299010 5476050,299010 5476010)))")
FAR = ("SRID=6383;MULTIPOLYGON(((301500 5478500,301530 5478500,301530 5478530,"
       "301500 5478530,301500 5478500)))")
SOURCES = ("city", "land_parcels")


def _candidates(conn: psycopg.Connection, ids: list[int]) -> set[tuple[str, int, int, int]]:
    """Return (grid, z, x, y) of every tile within 3 tiles of the parcels, at each matrix of
    each grid where parcels are drawn (WebMercatorQuad z14–z18, UCS2000TM9 4–9)."""
    out = set()
    for grid_id, zooms in ((WMQ, range(14, 19)), (UCS, range(4, 10))):
        grid = GRIDS[grid_id]
        column = sql.Identifier("geom_3857" if grid_id == WMQ else "geom")
        for (minx, miny, maxx, maxy) in conn.execute(sql.SQL(
                "SELECT ST_XMin({c}), ST_YMin({c}), ST_XMax({c}), ST_YMax({c}) "
                "FROM registry.land_parcel WHERE id = ANY(%s)").format(c=column), (ids,)):
            for z in zooms:
                x0, y0, x1, y1 = grid.tile_range((minx, miny, maxx, maxy), z)
                out |= {(grid_id, z, x, y) for x in range(x0 - 3, x1 + 4)
                        for y in range(y0 - 3, y1 + 4)}
    return out


def _meets(conn: psycopg.Connection, geom_wkt: str, tile: tuple[str, int, int, int]) -> bool:
    """Ask PostGIS whether the geometry meets the tile's buffered envelope (the buffer plus
    one tile unit of rounding, as the invalidation promises)."""
    grid_id, z, x, y = tile
    margin = (BUFFER + 1) / EXTENT
    if grid_id == WMQ:
        q = ("SELECT ST_Intersects(ST_Transform(%(g)s::geometry, 3857), "
             "ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(m)s))")
    else:
        side = GRIDS[UCS].sides[z]
        q = ("SELECT ST_Intersects(%(g)s::geometry, ST_Expand(ST_MakeEnvelope("
             f"100000 + %(x)s * {side}, 5900000 - (%(y)s + 1) * {side}, "
             f"100000 + (%(x)s + 1) * {side}, 5900000 - %(y)s * {side}, 6383), "
             f"%(m)s * {side}))")
    return bool(conn.execute(q, {"g": geom_wkt, "z": z, "x": x, "y": y, "m": margin})
                .fetchone()[0])


def test_an_edit_drops_exactly_the_tiles_it_touches_in_both_grids(db_url: str,
                                                                    tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "cache", QUERIES.fingerprint)
    inv = Invalidator(lambda: psycopg.connect(db_url), cache, QUERIES.sources, 20,
                      "Europe/Kyiv", grids=GRIDS)
    with psycopg.connect(db_url, autocommit=True) as conn:
        with conn.transaction():  # published as it commits: the tiles show published data
            publish_directly(conn)
            ids = [conn.execute(
                "INSERT INTO registry.land_parcel (cadastral_number, category, purpose_code, "
                "geom) VALUES (%s, '200', '02.01', %s) RETURNING id", (number, wkt)).fetchone()[0]
                for number, wkt in (("6810100000:01:001:0001", SQUARE),
                                    ("6810100000:01:001:0002", FAR))]
        inv.catch_up()
        tiles = _candidates(conn, ids)
        render = psycopg.connect(db_url)
        configure(render)
        render.autocommit = True
        before = {t: QUERIES.render(render, s, t[1], t[2], t[3], t[0])
                  for t in tiles for s in SOURCES[1:]}
        for grid_id, z, x, y in tiles:
            for s in SOURCES:
                cache.put(cache_key(s, grid_id), z, x, y, b"old")
        old = conn.execute("SELECT ST_AsEWKT(geom) FROM registry.land_parcel WHERE id = %s",
                           (ids[0],)).fetchone()[0]
        with conn.transaction():
            publish_directly(conn)
            conn.execute("UPDATE registry.land_parcel SET geom = ST_Translate(geom, 45, -25) "
                         "WHERE id = %s", (ids[0],))
        new = conn.execute("SELECT ST_AsEWKT(geom) FROM registry.land_parcel WHERE id = %s",
                           (ids[0],)).fetchone()[0]
        assert inv.drain() > 0
        dropped = {(g, z, x, y) for g, z, x, y in tiles
                   if cache.get(cache_key("land_parcels", g), z, x, y) is None}
        for g, z, x, y in tiles:  # the city map and the collection drop the same tiles
            assert (cache.get(cache_key("city", g), z, x, y) is None) == ((g, z, x, y)
                                                                          in dropped)
        expected = {t for t in tiles if _meets(conn, old, t) or _meets(conn, new, t)}
        assert dropped == expected  # no more, no fewer
        for grid_id in (WMQ, UCS):  # in both grids, and never all of them
            assert {t for t in dropped if t[0] == grid_id}
            assert {t for t in tiles - dropped if t[0] == grid_id}
        assert {t[1] for t in dropped if t[0] == UCS} == set(range(4, 10))
        # every tile whose content changed was dropped
        changed = {t for t in tiles
                   if QUERIES.render(render, "land_parcels", t[1], t[2], t[3], t[0]) != before[t]}
        assert changed and changed <= dropped
        assert any(t[0] == UCS for t in changed)
        # TRUNCATE drops the sources in every grid
        conn.execute("TRUNCATE published.land_parcel CASCADE")  # the table the feed watches
        inv.drain()
        for grid_id in (WMQ, UCS):
            assert not (cache.base / cache_key("land_parcels", grid_id)).exists()
        render.close()
    inv.stop()


# -- clients ------------------------------------------------------------------------------------
OPENLAYERS = Path(__file__).parent / "clients" / "npm" / "node_modules"
OL_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<script src="{ol}/ol/dist/ol.js"></script><script src="{ol}/proj4/dist/proj4.js"></script>
<style>html, body, #map {{ margin: 0; width: 512px; height: 512px; }}</style></head>
<body><div id="map"></div><script>
proj4.defs("EPSG:6383", "{proj4}");
ol.proj.proj4.register(proj4);
const source = new ol.source.OGCVectorTile({{url: "{tileset}", format: new ol.format.MVT(),
                                            projection: "EPSG:6383", transition: 0}});
window.failed = [];
source.on("tileloaderror", (e) => window.failed.push(String(e.tile.getTileCoord())));
const fill = new ol.style.Style({{fill: new ol.style.Fill({{color: "#ff0000"}})}});
const map = new ol.Map({{target: "map",
  layers: [new ol.layer.VectorTile({{source, style: fill}})],
  view: new ol.View({{projection: "EPSG:6383", center: [{e}, {n}], resolution: {res}}})}});
window.result = null;
source.on("change", () => {{
  if (source.getState() !== "ready") return;
  map.once("rendercomplete", () => {{
    const canvas = document.querySelector("#map canvas");
    window.result = {points}.map(([x, y]) => {{
      const px = map.getPixelFromCoordinate([x, y]).map(Math.round);
      return Array.from(canvas.getContext("2d").getImageData(px[0], px[1], 1, 1).data);
    }});
  }});
}});
</script></body></html>"""


def _bare_ground(demo_url: str, near: tuple[float, float], clear_m: float) -> list[float]:
    """Return a point (EPSG:6383) within 40 × ``clear_m`` of ``near`` with no parcel within
    ``clear_m``."""
    with psycopg.connect(demo_url) as conn:
        row = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT i * i + j * j AS d, ST_SetSRID(ST_MakePoint("
            "%(e)s + i * %(step)s, %(n)s + j * %(step)s), 6383) AS p FROM generate_series(-60, "
            "60, 2) i, generate_series(-60, 60, 2) j) c WHERE NOT EXISTS (SELECT 1 FROM "
            "open_data.land_parcel t WHERE ST_DWithin(t.geom, c.p, %(clear)s)) ORDER BY d LIMIT 1",
            {"e": near[0], "n": near[1], "step": clear_m / 3, "clear": clear_m}).fetchone()
    assert row is not None
    return [row[0], row[1]]


@pytest.mark.parametrize("z", [9, 6])
def test_openlayers_draws_the_ucs2000_vector_tileset(server: str, demo_url: str, parcel: dict,
                                                    tmp_path: Path, z: int) -> None:
    """OpenLayers reads the UCS-2000 vector tileset (its tile matrix set document, northing
    first) and fills the parcel where PROJ puts it; outside the parcel nothing is drawn."""
    from playwright.sync_api import sync_playwright

    from gis.crs import ucs2000_proj4

    assert (OPENLAYERS / "ol" / "dist" / "ol.js").exists(), "run scripts/bootstrap.sh test"
    shape = shapely.geometry.shape(parcel["geometry"])
    inside = TO_UCS.transform(*shape.representative_point().coords[0])
    cell = ucs2000_tms(SRID).matrix(z).cellSize
    outside = _bare_ground(demo_url, inside, 3 * cell)
    points = [list(inside), outside]
    page_file = tmp_path / "ol.html"
    page_file.write_text(OL_PAGE.format(
        ol=OPENLAYERS.as_uri(), proj4=ucs2000_proj4(SRID) + " +axis=neu",
        tileset=f"{server}/collections/land_parcels/tiles/{UCS}",
        e=(inside[0] + outside[0]) / 2, n=(inside[1] + outside[1]) / 2, res=cell,
        points=points))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                     args=["--no-sandbox", "--disable-gpu",
                                           "--allow-file-access-from-files"])
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            requested: list[str] = []
            page.on("request", lambda r: requested.append(r.url))
            console: list[str] = []
            page.on("console", lambda m: console.append(m.text))
            page.goto(page_file.as_uri())
            try:
                page.wait_for_function("window.result !== null", timeout=60_000)
            except Exception:
                raise AssertionError((page.evaluate("source.getState()"), errors, console,
                                      requested)) from None
            assert errors == [] and page.evaluate("window.failed") == []
            col, row = ucs_tile_of(*inside, z)
            assert f"/tiles/{UCS}/{z}/{row}/{col}" in " ".join(requested)
            got_in, got_out = page.evaluate("window.result")
            assert got_in == [255, 0, 0, 255], got_in
            assert got_out[3] == 0, got_out  # no parcel there: nothing drawn
        finally:
            browser.close()


QGIS_PROBE = Path(__file__).parent / "clients" / "qgis_vector_tile_probe.py"


def test_qgis_draws_the_web_mercator_vector_tiles(server: str, demo_url: str,
                                                  parcel: dict) -> None:
    """QGIS 3.22's vector tile layer fills the parcel where PROJ puts it. (QGIS 3.22 reads
    vector tiles in WebMercatorQuad only — docs/tiles.md; the UCS-2000 vector tiles are drawn
    by OpenLayers above.)"""
    import os
    import subprocess

    to_3857 = Transformer.from_crs("OGC:CRS84", 3857, always_xy=True)
    shape = shapely.geometry.shape(parcel["geometry"])
    inside = TO_UCS.transform(*shape.representative_point().coords[0])
    outside = _bare_ground(demo_url, inside, 0.6)  # inside the 77 m view
    to_lonlat = Transformer.from_crs(SRID, "OGC:CRS84", always_xy=True)
    args = []
    for e, n in (inside, outside):
        args += [str(v) for v in to_3857.transform(*to_lonlat.transform(e, n))]
    out = subprocess.run(["/usr/bin/python3", str(QGIS_PROBE),
                          f"{server}/maps/land_parcels/{{z}}/{{x}}/{{y}}.mvt", "land_parcels",
                          *args],
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                              "XDG_RUNTIME_DIR": "/tmp"},
                         capture_output=True, text=True, timeout=300, cwd="/tmp")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["valid"] and report["crs"] == "EPSG:3857" and report["errors"] == []
    got_in, got_out = report["points"]
    assert got_in == [255, 0, 0, 255], report
    assert got_out == [255, 255, 255, 255], report  # the map's background


QGIS_FILE_PROBE = Path(__file__).parent / "clients" / "qgis_mvt_file_probe.py"


def test_qgis_draws_a_ucs2000_vector_tile_where_proj_puts_the_parcel(
        server: str, demo_url: str, parcel: dict, tmp_path: Path) -> None:
    """QGIS 3.22's vector tile layer reads WebMercatorQuad only, so the UCS-2000 tile goes
    through GDAL's MVT reader inside QGIS: the tile as fetched from the server, georeferenced
    from the TileMatrixSet document alone (point of origin, cell size: a one-tile tiling
    scheme), fills the parcel in red at its PROJ position in EPSG:6383 and leaves bare ground
    white."""
    import os
    import subprocess

    z = 6
    tms = httpx.get(f"{server}/tileMatrixSets/{UCS}?f=json").json()
    matrix = next(m for m in tms["tileMatrices"] if m["id"] == str(z))
    north, east = matrix["pointOfOrigin"]  # orderedAxes N, E
    side = matrix["cellSize"] * matrix["tileWidth"]
    shape = shapely.geometry.shape(parcel["geometry"])
    inside = TO_UCS.transform(*shape.representative_point().coords[0])
    col, row = math.floor((inside[0] - east) / side), math.floor((north - inside[1]) / side)
    left, top = east + col * side, north - row * side
    outside = _bare_ground(demo_url, inside, 0.6)
    assert left < outside[0] < left + side and top - side < outside[1] < top, \
        "the bare point must lie in the same tile"
    r = httpx.get(f"{server}/collections/land_parcels/tiles/{UCS}/{z}/{row}/{col}")
    assert r.status_code == 200, r.text
    (tmp_path / "0" / "0").mkdir(parents=True)
    (tmp_path / "0" / "0" / "0.pbf").write_bytes(r.content)
    (tmp_path / "metadata.json").write_text(json.dumps({
        "crs": f"EPSG:{SRID}", "tile_origin_upper_left_x": left,
        "tile_origin_upper_left_y": top, "tile_dimension_zoom_0": side,
        "minzoom": 0, "maxzoom": 0,
        # GDAL 3.6 applies the tiling scheme only with a layer's fields declared
        "json": json.dumps({"vector_layers": [{"id": "land_parcels",
                                               "fields": {"cadastral_number": "String"}}]})}))
    out = subprocess.run(["/usr/bin/python3", str(QGIS_FILE_PROBE), str(tmp_path),
                          "land_parcels", f"EPSG:{SRID}", "30",
                          *(str(v) for v in (*inside, *outside))],
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                              "XDG_RUNTIME_DIR": str(tmp_path)},
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["valid"] and report["crs"] == f"EPSG:{SRID}" and report["features"] > 0, report
    assert report["errors"] == [], report
    got_in, got_out = report["points"]
    assert got_in == [255, 0, 0, 255], report
    assert got_out[:3] == [255, 255, 255], report  # the map's background


def test_cli_seeds_the_ucs2000_grid_and_refuses_to_export_it(demo_url: str,
                                                            tmp_path: Path) -> None:
    """``gis tiles seed --tms UCS2000TM9`` fills the cache under the grid's keys, exactly the
    tiles of the city's extent, resumably; PMTiles/MBTiles exports refuse the grid."""
    import os
    import shutil
    import subprocess

    from tests.conftest import GIS, shared_tmp

    cache = shared_tmp("hromada-seed-ucs-")
    try:
        env = {**os.environ, "GIS_DATABASE_URL": demo_url, "GIS_TILES__CACHE_DIR": str(cache),
               "GIS_DATA_DIR": str(tmp_path / "data")}
        args = [GIS, "tiles", "seed", "--tms", UCS, "--source", "land_parcels",
                "--min-zoom", "4", "--max-zoom", "5"]
        first = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
        assert first.returncode == 0, first.stderr
        files = list(cache.rglob("*.mvt"))
        assert files and all(f.parts[-4] == f"land_parcels@{UCS}" for f in files)
        extent = (289_000.0, 5_469_000.0, 309_000.0, 5_484_000.0)
        assert len(files) == GRIDS[UCS].count(extent, range(4, 6))
        for f in files:  # every file is a tile of the extent at matrix 4 or 5
            z, x, y = int(f.parts[-3]), int(f.parts[-2]), int(f.stem)
            x0, y0, x1, y1 = GRIDS[UCS].tile_range(extent, z)
            assert z in (4, 5) and x0 <= x <= x1 and y0 <= y <= y1
        again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
        assert " 0 rendered, 0 empty" in again.stderr, again.stderr
        bad = subprocess.run([*args[:-4], "--min-zoom", "4", "--max-zoom", "12"], env=env,
                             capture_output=True, text=True, timeout=60)
        assert bad.returncode == 2 and "0–9 of UCS2000TM9" in bad.stderr, bad.stderr
        # no zooms given: the grid's own tile matrices 2–6 (WebMercatorQuad's 12–16 were
        # refused as outside 0–9)
        own = subprocess.run([*args[:-4], "--bbox", "26.99,49.41,27.0,49.42"], env=env,
                             capture_output=True, text=True, timeout=300)
        assert own.returncode == 0 and "seeded land_parcels" in own.stderr, own.stderr
        assert any(f.parts[-3] == "6" for f in cache.rglob("*.mvt"))
        for box in ("nan,49.41,27.0,49.42", "-181,49.41,27.0,49.42"):  # NaN seeded nothing
            for grid in (UCS, "WebMercatorQuad"):
                out = subprocess.run([GIS, "tiles", "seed", "--tms", grid, "--bbox", box],
                                     env=env, capture_output=True, text=True, timeout=60)
                assert out.returncode == 2 and "within ±180" in out.stderr, out.stderr
        out = subprocess.run([GIS, "tiles", "export", "--tms", UCS, "--pmtiles",
                              str(tmp_path / "x.pmtiles")], env=env, capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 2 and "WebMercatorQuad tiles only" in out.stderr, out.stderr
        assert not (tmp_path / "x.pmtiles").exists()
    finally:
        shutil.rmtree(cache, ignore_errors=True)
