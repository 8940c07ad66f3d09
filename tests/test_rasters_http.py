"""Published rasters over HTTP: map tiles in WebMercatorQuad and the UCS-2000 grid, TileJSON,
WMTS, OGC API – Coverages, and staff-only rasters that do not exist for the public.

One ``gis serve`` over a database where ``gis raster add`` published four rasters the tests
made: an RGB orthophoto and a paletted plan, each in UCS-2000 / TM zone 9 and in WGS 84.
Pixels are checked at the centre of each quadrant, whose colour the test files fix.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import morecantile
import numpy as np
import psycopg
import pytest
import rasterio
from pyproj import Transformer
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import MemoryFile

from gis.cluster import EmbeddedCluster, free_port
from gis.tms import grid_tile_bounds, grid_tile_range, ucs2000_tms
from ingest.cog import publish, unpublish
from tests.conftest import clone, drop, served, shared_tmp, start_server
from tests.raster_files import (
    GREY,
    PALETTE,
    PALETTE_QUADRANTS,
    RGB,
    UCS_BOUNDS,
    WGS_BOUNDS,
    make_grey,
    make_paletted,
    make_rgb,
    quadrant_point,
)

STAFF_TOKEN = "raster-staff-secret"
UCS = "UCS2000TM9"
WMQ = "WebMercatorQuad"
RASTERS: dict[str, dict[str, Any]] = {
    "ortho-ucs": {"make": make_rgb, "crs": "EPSG:6383", "bounds": UCS_BOUNDS, "public": True},
    "plan-ucs": {"make": make_paletted, "crs": "EPSG:6383", "bounds": UCS_BOUNDS,
                 "public": True, "title_en": "Test plan (UCS-2000)"},
    "ortho-wgs": {"make": make_rgb, "crs": "EPSG:4326", "bounds": WGS_BOUNDS, "public": True},
    "plan-wgs": {"make": make_paletted, "crs": "EPSG:4326", "bounds": WGS_BOUNDS,
                 "public": True, "dated": date(2024, 5, 1)},
    "secret-plan": {"make": make_paletted, "crs": "EPSG:6383", "bounds": UCS_BOUNDS,
                    "public": False},
    "holed-plan": {"make": make_paletted, "crs": "EPSG:6383", "bounds": UCS_BOUNDS,
                   "public": False, "blank": "nw"},
    "grey-scan": {"make": make_grey, "crs": "EPSG:6383", "bounds": UCS_BOUNDS,
                  "public": False},
}


@pytest.fixture(scope="module")
def published(cluster: EmbeddedCluster, template_url: str) -> Iterator[dict[str, str]]:
    """Return the env of a database + rasters folder holding RASTERS (via the CLI)."""
    name = "rasters_http"
    url = clone(cluster, "gis_template", name)
    root = shared_tmp("hromada-rasters-")
    env = {"GIS_DATABASE_URL": url, "GIS_DATA_DIR": str(root),
           "GIS_TILES__CACHE_DIR": str(root / "tile-cache")}
    try:
        # in-process (the CLI around publish() has its own test in test_rasters.py)
        with psycopg.connect(url, autocommit=True) as conn:
            for raster, spec in RASTERS.items():
                extra = {"blank": spec["blank"]} if "blank" in spec else {}
                src = spec["make"](root / f"{raster}-src.tif", crs=spec["crs"],
                                   bounds=spec["bounds"], **extra)
                publish(conn, src, name=raster, raster_dir=root / "rasters",
                        title=f"Test {raster}", title_en=spec.get("title_en", ""),
                        source_document="рішення № 1", dated=spec.get("dated"),
                        public=spec["public"])
                src.unlink()
        yield env
    finally:
        drop(cluster, name)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def raster_server(published: dict[str, str]) -> Iterator[str]:
    port = free_port()
    proc = start_server({**published, "GIS_AUTH__TOKENS":
                         f'{{"{STAFF_TOKEN}": "olena:planner"}}',
                         "GIS_LIMITS__CORS_ORIGINS": '["*"]'}, port)  # OpenLayers on a page
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log = proc.output()
        proc.log_path.unlink(missing_ok=True)
    assert "Traceback" not in log, log


@pytest.fixture(scope="module")
def http(raster_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=raster_server, timeout=60) as client:
        yield client


STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}


def decode(data: bytes) -> np.ndarray:
    """Return the RGBA pixels (4, h, w) of a PNG or WebP tile, decoded by GDAL."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a tile has no geotransform
        with MemoryFile(data) as mem, mem.open() as img:
            arr = img.read()
    if arr.shape[0] == 3:
        arr = np.concatenate([arr, np.full((1, *arr.shape[1:]), 255, np.uint8)])
    return arr


def expected_colour(raster: str, quadrant: str) -> tuple[int, int, int]:
    if RASTERS[raster]["make"] is make_rgb:
        return RGB[quadrant]
    return PALETTE[PALETTE_QUADRANTS[quadrant]][:3]


def point_of(raster: str, quadrant: str) -> tuple[float, float]:
    """Return the lon/lat of the centre of ``quadrant`` of ``raster``."""
    x, y = quadrant_point(RASTERS[raster]["bounds"], quadrant)
    if RASTERS[raster]["crs"] == "EPSG:4326":
        return x, y
    return Transformer.from_crs(6383, 4326, always_xy=True).transform(x, y)


def pixel_in_ucs_tile(lon: float, lat: float, z: int) -> tuple[int, int, int, int]:
    """Return (x, y, column, row) of the UCS-2000 tile and pixel holding lon/lat at z."""
    tms = ucs2000_tms(6383)
    e, n = Transformer.from_crs(4326, 6383, always_xy=True).transform(lon, lat)
    found = grid_tile_range(tms, (e, n, e, n), z)
    assert found is not None
    x, y = found[0], found[1]
    w, s, east, north = grid_tile_bounds(tms, z, x, y)
    return x, y, int((e - w) / (east - w) * 256), int((north - n) / (north - s) * 256)


def pixel_in_mercator_tile(lon: float, lat: float, z: int) -> tuple[int, int, int, int]:
    tms = morecantile.tms.get(WMQ)
    tile = tms.tile(lon, lat, z)
    b = tms.xy_bounds(tile)
    mx, my = Transformer.from_crs(4326, 3857, always_xy=True).transform(lon, lat)
    return tile.x, tile.y, int((mx - b.left) / (b.right - b.left) * 256), \
        int((b.top - my) / (b.top - b.bottom) * 256)


@pytest.mark.parametrize("raster", ["ortho-ucs", "plan-ucs", "ortho-wgs", "plan-wgs"])
@pytest.mark.parametrize("grid", [WMQ, UCS])
def test_tile_pixels_have_the_colours_of_the_place(http: httpx.Client, raster: str,
                                                   grid: str) -> None:
    for quadrant in ("nw", "ne", "sw", "se"):
        lon, lat = point_of(raster, quadrant)
        if grid == UCS:
            z = 8  # 1:1000, 0.28 m pixels
            x, y, col, row = pixel_in_ucs_tile(lon, lat, z)
        else:
            z = 17
            x, y, col, row = pixel_in_mercator_tile(lon, lat, z)
        r = http.get(f"/collections/{raster}/map/tiles/{grid}/{z}/{y}/{x}")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "image/png"
        px = decode(r.content)[:, row, col]
        assert tuple(int(v) for v in px[:3]) == pytest.approx(expected_colour(raster, quadrant),
                                                              abs=30), (quadrant, px)
        assert px[3] == 255


@pytest.mark.parametrize("grid", [WMQ, UCS])
def test_grey_scan_tiles_are_grey_where_no_pixel_is_transparent(http: httpx.Client,
                                                                 grid: str) -> None:
    # a tile wholly inside a grey scan has no transparent pixel: it was a 500
    for quadrant in ("nw", "ne", "sw", "se"):
        lon, lat = point_of("grey-scan", quadrant)
        z = 8 if grid == UCS else 17
        x, y, col, row = (pixel_in_ucs_tile(lon, lat, z) if grid == UCS
                          else pixel_in_mercator_tile(lon, lat, z))
        for f in ("png", "webp"):
            r = http.get(f"/collections/grey-scan/map/tiles/{grid}/{z}/{y}/{x}",
                         params={"f": f}, headers=STAFF)
            assert r.status_code == 200, r.text
            px = decode(r.content)
            assert (px[3] == 255).all()  # nothing transparent in it
            assert tuple(int(v) for v in px[:3, row, col]) == pytest.approx(
                (GREY[quadrant],) * 3, abs=2), (quadrant, f)


def test_xyz_and_webp_give_the_same_picture(http: httpx.Client) -> None:
    lon, lat = point_of("ortho-ucs", "ne")
    x, y, col, row = pixel_in_mercator_tile(lon, lat, 16)
    png = http.get(f"/rasters/ortho-ucs/16/{x}/{y}.png")
    webp = http.get(f"/rasters/ortho-ucs/16/{x}/{y}.webp")
    ogc = http.get(f"/collections/ortho-ucs/map/tiles/{WMQ}/16/{y}/{x}?f=webp")
    assert png.status_code == webp.status_code == ogc.status_code == 200
    assert webp.headers["content-type"] == "image/webp" and webp.content == ogc.content
    assert np.array_equal(decode(png.content), decode(webp.content))  # lossless WebP
    assert tuple(decode(png.content)[:3, row, col]) == pytest.approx(RGB["ne"], abs=30)


def test_tiles_outside_the_raster_are_404_and_bad_addresses_never_500(
        http: httpx.Client) -> None:
    tms = ucs2000_tms(6383)
    x0, y0, x1, y1 = grid_tile_range(tms, UCS_BOUNDS, 8) or (0, 0, 0, 0)
    assert http.get(f"/collections/ortho-ucs/map/tiles/{UCS}/8/{y0}/{x0}").status_code == 200
    outside = http.get(f"/collections/ortho-ucs/map/tiles/{UCS}/8/{y0}/{x1 + 1}")
    assert outside.status_code == 404
    assert outside.headers["content-type"] == "application/problem+json"
    assert http.get(f"/collections/ortho-ucs/map/tiles/{UCS}/8/{y1 + 5}/{x0}").status_code == 404
    for path in (f"{UCS}/99/0/0", f"{UCS}/8/-1/0", f"{UCS}/8/a/b", f"{UCS}/8/999999/0",
                 f"{WMQ}/25/0/0", f"{WMQ}/3/0/0", "NoSuchGrid/1/0/0"):
        r = http.get(f"/collections/ortho-ucs/map/tiles/{path}")
        assert r.status_code in (400, 404), (path, r.status_code)
    assert http.get("/rasters/ortho-ucs/1/0/0.png").status_code == 404
    # one tile, one address (the map's XYZ path took 017 for 17)
    assert http.get("/rasters/ortho-ucs/017/0/0.png").status_code == 400
    # a parameter given twice with two values (the last one won)
    twice = http.get(f"/collections/ortho-ucs/map/tiles/{UCS}/8/{y0}/{x0}?f=webp&f=png")
    assert twice.status_code == 400 and "given 2 times" in twice.json()["detail"], twice.text
    assert http.get("/collections/ortho-ucs/coverage?crs=EPSG:6383&crs=EPSG:4326"
                    ).status_code == 400
    assert http.get("/collections/ortho-ucs/map/tiles/WebMercatorQuad/17/0/0?f=gif"
                    ).status_code == 400


def test_tiles_are_cacheable_by_etag(http: httpx.Client) -> None:
    lon, lat = point_of("plan-ucs", "sw")
    x, y, _, _ = pixel_in_ucs_tile(lon, lat, 7)
    path = f"/collections/plan-ucs/map/tiles/{UCS}/7/{y}/{x}"
    first = http.get(path)
    second = http.get(path)
    assert first.status_code == second.status_code == 200
    assert second.headers["x-tile-cache"] == "hit" and second.content == first.content
    etag = first.headers["etag"]
    assert http.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert first.headers["cache-control"].startswith("public")
    other = http.get(f"/collections/plan-ucs/map/tiles/{UCS}/7/{y}/{x}?f=webp")
    assert other.headers["etag"] != etag


def test_tileset_limits_tilejson_and_tile_matrix_sets(http: httpx.Client) -> None:
    listing = http.get("/tileMatrixSets").json()["tileMatrixSets"]
    assert [t["id"] for t in listing] == [WMQ, UCS]
    doc = http.get(f"/tileMatrixSets/{UCS}").json()
    assert doc["crs"] == "http://www.opengis.net/def/crs/EPSG/0/6383"
    assert doc["orderedAxes"] == ["N", "E"]
    assert [m["scaleDenominator"] for m in doc["tileMatrices"]] == [
        500000, 250000, 100000, 50000, 25000, 10000, 5000, 2000, 1000, 500]
    assert morecantile.TileMatrixSet.model_validate(doc).matrix(9).cellSize == \
        pytest.approx(0.14)

    sets = http.get("/collections/ortho-ucs/map/tiles").json()["tilesets"]
    assert [s["crs"] for s in sets] == ["http://www.opengis.net/def/crs/EPSG/0/3857",
                                        "http://www.opengis.net/def/crs/EPSG/0/6383"]
    # each entry as the official suite reads a tilesets list: grid, first limits, template;
    # the tile at the last row is drawn, the row after it is outside (404)
    for entry in sets:
        first = entry["tileMatrixSetLimits"][0]
        template = next(lk["href"] for lk in entry["links"] if "{tileRow}" in lk["href"])
        assert f"/{entry['tileMatrixSetId']}/" in template

        def tile(row: int, first: dict = first, template: str = template) -> int:
            return http.get(template.replace("{tileMatrix}", first["tileMatrix"]).replace(
                "{tileRow}", str(row)).replace("{tileCol}", str(first["minTileCol"]))
            ).status_code

        assert tile(first["maxTileRow"]) in (200, 204)
        assert tile(first["maxTileRow"] + 1) == 404
    ts = http.get(f"/collections/ortho-ucs/map/tiles/{UCS}").json()
    assert ts["dataType"] == "map"
    limits = {int(m["tileMatrix"]): m for m in ts["tileMatrixSetLimits"]}
    assert set(limits) == set(range(10))
    tms = ucs2000_tms(6383)
    for z, m in limits.items():
        assert grid_tile_range(tms, UCS_BOUNDS, z) == (m["minTileCol"], m["minTileRow"],
                                                       m["maxTileCol"], m["maxTileRow"])
    template = next(link["href"] for link in ts["links"] if link["rel"] == "item")
    m = limits[9]
    url = template.format(tileMatrix=9, tileRow=m["maxTileRow"], tileCol=m["maxTileCol"])
    assert http.get(url).status_code == 200

    tj = http.get("/rasters/plan-wgs/tilejson.json").json()
    assert tj["tilejson"] == "3.0.0"
    assert tj["tiles"][0].endswith("/rasters/plan-wgs/{z}/{x}/{y}.png")
    assert tj["bounds"] == pytest.approx(list(WGS_BOUNDS), abs=1e-6)
    assert 16 <= tj["maxzoom"] <= 19  # 1000 px over ~950 m: ~1 m pixels


def test_coverage_subset_has_the_bounds_and_crs_asked_for(http: httpx.Client) -> None:
    # bbox in the raster's own CRS, northing first as EPSG:6383 defines its axes
    r = http.get("/collections/ortho-ucs/coverage", params={
        "bbox": "5476100,299100,5476400,299500",
        "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/6383"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/tiff; application=geotiff"
    assert r.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/6383>"
    with MemoryFile(r.content) as mem, mem.open() as ds:
        assert ds.crs.to_epsg() == 6383
        assert tuple(ds.bounds) == pytest.approx((299100, 5476100, 299500, 5476400), abs=1)
        assert ds.res == pytest.approx((1000 / 1200, 1000 / 1200))
        assert tuple(ds.read()[:, 10, 10]) == pytest.approx(RGB["sw"], abs=30)
    assert [float(v) for v in r.headers["content-bbox"].split(",")] == pytest.approx(
        [5476100, 299100, 5476400, 299500], abs=1)

    # a CRS84 box, out in EPSG:3857
    r = http.get("/collections/plan-ucs/coverage", params={
        "bbox": "26.99,49.418,26.995,49.42", "crs": "[EPSG:3857]"})
    assert r.status_code == 200, r.text
    with MemoryFile(r.content) as mem, mem.open() as ds:
        assert ds.crs.to_epsg() == 3857
        want = Transformer.from_crs(4326, 3857, always_xy=True).transform_bounds(
            26.99, 49.418, 26.995, 49.42)
        assert tuple(ds.bounds) == pytest.approx(want, abs=3)
        assert ds.colormap(1)[4][:3] == PALETTE[4][:3]

    # the whole WGS 84 raster, in UCS-2000
    r = http.get("/collections/ortho-wgs/coverage", params={"crs": "EPSG:6383"})
    assert r.status_code == 200, r.text
    with MemoryFile(r.content) as mem, mem.open() as ds:
        assert ds.crs.to_epsg() == 6383
        want = Transformer.from_crs(4326, 6383, always_xy=True).transform_bounds(*WGS_BOUNDS)
        assert tuple(ds.bounds) == pytest.approx(want, abs=5)

    away = http.get("/collections/ortho-ucs/coverage", params={"bbox": "30,50,30.1,50.1"})
    assert away.status_code == 404
    for bad in ({"bbox": "1,2,3"}, {"bbox": "3,2,1,4"}, {"crs": "EPSG:99999"},
                {"bbox-crs": "nonsense", "bbox": "1,2,3,4"}, {"f": "netcdf"},
                {"subset": "E(1:2)"}):
        assert http.get("/collections/ortho-ucs/coverage", params=bad).status_code == 400, bad


def test_coverage_boxes_and_crss_a_client_gets_wrong_are_400_never_500(
        http: httpx.Client) -> None:
    """What the coverages review found: an EPSG code PROJ does not know, or a CRS of heights,
    as bbox-crs was a 500; a CRS84 box beyond ±90° a 500 (a NaN), a UCS-2000 box sent without
    its bbox-crs a 500 too; a box reaching 1,000° east cut the raster at its west edge."""
    url = "/collections/ortho-ucs/coverage"
    for params, says in (
            ({"bbox": "1,2,3,4", "bbox-crs": "EPSG:999999"}, "EPSG:999999 is no CRS"),
            ({"bbox": "1,2,3,4", "bbox-crs": "EPSG:0"}, "EPSG:0 is no CRS"),
            ({"bbox": "1,2,3,4", "bbox-crs": "EPSG:5703"}, "not a two-dimensional map CRS"),
            ({"bbox": "1,2,3,4", "bbox-crs": "EPSG:4978"}, "not a two-dimensional map CRS"),
            ({"crs": "EPSG:999999"}, "EPSG:999999 is no CRS"),
            ({"bbox": "0,91,1,92"}, "beyond longitude ±180° or latitude ±90°"),
            ({"bbox": "5476100,299100,5476400,299500"}, "needs its bbox-crs"),
            ({"bbox": "26.9,49.4,1000,49.5"}, "beyond longitude"),
            ({"bbox": "26.9,49.4,27.0,1e300"}, "beyond longitude")):
        r = http.get(url, params=params)
        assert r.status_code == 400 and says in r.json()["detail"], (params, r.text)
    # a box around the world at the city's latitudes is the whole raster, not a folded third
    r = http.get(url, params={"bbox": "-180,49.3,180,49.5"})
    assert r.status_code == 200, r.text
    with MemoryFile(r.content) as mem, mem.open() as ds:
        assert ds.crs.to_epsg() == 6383
        assert tuple(ds.bounds) == pytest.approx(UCS_BOUNDS, abs=1)
    # OGC's https spelling of CRS84 is CRS84
    for name in ("crs", "bbox-crs"):
        r = http.get(url, params={name: "https://www.opengis.net/def/crs/OGC/1.3/CRS84",
                                  "bbox": "26.99,49.418,26.995,49.42"})
        assert r.status_code == 200, (name, r.text)


def test_large_coverage_is_downsampled_or_refused_when_strict(
        published: dict[str, str]) -> None:
    with served({**published, "GIS_RASTERS__MAX_COVERAGE_CELLS": "10000"}) as base:
        url = f"{base}/collections/ortho-ucs/coverage"
        lenient = httpx.get(url, timeout=60)
        strict = httpx.get(url, headers={"Prefer": "handling=strict"}, timeout=60)
    assert lenient.status_code == 200
    assert lenient.headers["content-interpolation"] == "[ogc-interpolation:average]"
    with MemoryFile(lenient.content) as mem, mem.open() as ds:
        assert ds.width * ds.height <= 10000
        assert tuple(ds.bounds) == pytest.approx(UCS_BOUNDS, abs=10)
    assert strict.status_code == 413
    assert "10,000" in strict.json()["detail"]


def test_collections_and_conformance_describe_the_coverages(http: httpx.Client) -> None:
    listing = http.get("/collections", params={"f": "json"}).json()["collections"]
    ids = {c["id"] for c in listing}
    assert {"ortho-ucs", "plan-ucs", "ortho-wgs", "plan-wgs", "land_parcels"} <= ids
    coll = http.get("/collections/ortho-ucs").json()
    assert coll["storageCrs"] == "http://www.opengis.net/def/crs/EPSG/0/6383"
    assert coll["extent"]["spatial"]["storageCrsBbox"] == [[5476000, 299000, 5477000, 300000]]
    # the grid in the storage CRS's axis order too: rows (northing) first
    cells = [g["cellsCount"] for g in coll["extent"]["spatial"]["grid"]]
    with MemoryFile(http.get("/collections/ortho-ucs/coverage").content) as mem, \
            mem.open() as ds:
        assert cells == [ds.height, ds.width]
    rels = {link["rel"]: link["href"] for link in coll["links"]}
    assert "http://www.opengis.net/def/rel/ogc/1.0/coverage" in rels
    assert "http://www.opengis.net/def/rel/ogc/1.0/tilesets-map" in rels
    # the official suite's two links (CoverageCollections, CoverageDescription), each answered
    for rel in ("coverage-domainset", "coverage-rangetype"):
        href = rels[f"http://www.opengis.net/def/rel/ogc/1.0/{rel}"]
        assert http.get(href).status_code == 200
    # EPSG:4326 is latitude first in storageCrsBbox, as in its coverage's Content-Bbox
    wgs = http.get("/collections/ortho-wgs").json()["extent"]["spatial"]["storageCrsBbox"][0]
    w, s, e, n = WGS_BOUNDS
    assert wgs == pytest.approx([s, w, n, e])
    bbox = http.get("/collections/ortho-wgs/coverage").headers["content-bbox"]
    assert [float(v) for v in bbox.split(",")] == pytest.approx(wgs, abs=1e-6)
    # a dated raster's coverage says its one time slice (Coverages core: Content-Datetime)
    dated = http.get("/collections/plan-wgs").json()["extent"]["temporal"]["interval"][0]
    assert http.get("/collections/plan-wgs/coverage").headers["content-datetime"] == dated[0]
    assert "content-datetime" not in http.get("/collections/ortho-wgs/coverage").headers
    schema = http.get("/collections/plan-ucs/schema").json()
    assert list(schema["properties"]) == ["class"]
    # a registry collection is still pygeoapi's
    assert http.get("/collections/land_parcels").json()["id"] == "land_parcels"
    conf = http.get("/conformance", params={"f": "json"}).json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-coverages-1/1.0/conf/geotiff" in conf


def test_the_api_definition_describes_the_raster_routes(http: httpx.Client) -> None:
    """The raster collections' coverage and map tiles were served but missing from /openapi
    (Common's oas30: every operation described)."""
    paths = http.get("/openapi", params={"f": "json"}).json()["paths"]
    coverage = paths["/collections/{rasterId}/coverage"]["get"]
    assert {p["name"] for p in coverage["parameters"]} >= {"rasterId", "bbox", "bbox-crs",
                                                           "crs"}
    assert "image/tiff; application=geotiff" in coverage["responses"]["200"]["content"]
    tile = "/collections/{rasterId}/map/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"
    assert paths[tile]["get"]["operationId"].endswith(".collection.map.getTile")
    assert "/rasters" in paths
    # its collection and schema too, JSON and page (they were served but not described)
    for path in ("/collections/{rasterId}", "/collections/{rasterId}/schema"):
        described = paths[path]["get"]
        assert "text/html" in described["responses"]["200"]["content"], path
        assert {p["name"] for p in described["parameters"]} == {"rasterId", "f", "lang"}
    # and what it describes answers so, each raster path filled with a real raster's values
    first = http.get(f"/collections/ortho-ucs/map/tiles/{WMQ}").json()[
        "tileMatrixSetLimits"][-1]
    values = {"rasterId": "ortho-ucs", "tileMatrixSetId": WMQ,
              "tileMatrix": first["tileMatrix"], "tileRow": str(first["minTileRow"]),
              "tileCol": str(first["minTileCol"])}
    walked = 0
    for path, item in paths.items():
        if "{rasterId}" not in path:
            continue
        r = http.get(path.format(**values))
        assert r.status_code in (200, 204), (path, r.status_code, r.text[:200])
        media = r.headers.get("content-type", "").split(";")[0]
        described = {m.split(";")[0] for m in item["get"]["responses"]["200"]["content"]}
        assert r.status_code == 204 or media in described, (path, media)
        if "f" in {p["name"] for p in item["get"]["parameters"]} and "text/html" in described:
            page = http.get(path.format(**values), params={"f": "html"})
            assert page.status_code == 200, (path, page.text[:200])
            assert page.headers["content-type"].startswith("text/html"), path
        walked += 1
    assert walked == 6


def test_staff_only_raster_does_not_exist_for_the_public(http: httpx.Client) -> None:
    name = "secret-plan"
    lon, lat = point_of(name, "nw")
    x, y, _, _ = pixel_in_ucs_tile(lon, lat, 8)
    mx, my, _, _ = pixel_in_mercator_tile(lon, lat, 17)
    paths = [f"/collections/{name}", f"/collections/{name}/schema",
             f"/collections/{name}/coverage", f"/collections/{name}/map/tiles",
             f"/collections/{name}/map/tiles/{UCS}",
             f"/collections/{name}/map/tiles/{UCS}/8/{y}/{x}",
             f"/rasters/{name}/tilejson.json", f"/rasters/{name}/17/{mx}/{my}.png"]
    for path in paths:
        public = http.get(path)
        assert public.status_code == 404, path
        # word for word what a name that was never added gets
        absent = http.get(path.replace(name, "never-added1"))
        assert public.text == absent.text.replace("never-added1", name), path
        assert public.headers["content-type"] == absent.headers["content-type"], path
        staff = http.get(path, headers=STAFF)
        assert staff.status_code == 200, (path, staff.text)
    for path in ("/rasters", "/rasters/wmts", "/collections?f=json", "/collections?f=html"):
        assert name not in http.get(path).text, path
        assert name in http.get(path, headers=STAFF).text, path
    # its page: the public's is the error page of a raster never added, the staff's says so
    page = http.get(f"/collections/{name}", params={"f": "html"})
    absent = http.get("/collections/never-added1", params={"f": "html"})
    assert page.status_code == absent.status_code == 404
    assert page.text == absent.text.replace("never-added1", name)
    staff_page = http.get(f"/collections/{name}", params={"f": "html"}, headers=STAFF)
    assert staff_page.status_code == 200 and "Лише для працівників" in staff_page.text
    staff_tile = http.get(f"/collections/{name}/map/tiles/{UCS}/8/{y}/{x}", headers=STAFF)
    assert staff_tile.headers["cache-control"].startswith("private")


def test_wmts_capabilities_read_by_owslib(raster_server: str) -> None:
    from owslib.wmts import WebMapTileService

    wmts = WebMapTileService(f"{raster_server}/rasters/wmts")
    assert set(wmts.contents) == {"ortho-ucs", "plan-ucs", "ortho-wgs", "plan-wgs"}
    ucs = wmts.tilematrixsets[UCS]
    assert ucs.crs == "urn:ogc:def:crs:EPSG::6383"
    top = ucs.tilematrix["9"]
    assert top.scaledenominator == 500 and top.topleftcorner == (5900000.0, 100000.0)
    lon, lat = point_of("plan-ucs", "ne")
    x, y, col, row = pixel_in_ucs_tile(lon, lat, 9)
    tile = wmts.gettile(layer="plan-ucs", tilematrixset=UCS, tilematrix="9", row=y, column=x,
                        format="image/png")
    assert tuple(decode(tile.read())[:3, row, col]) == PALETTE[PALETTE_QUADRANTS["ne"]][:3]


def test_wmts_requests_it_does_not_serve_are_refused(http: httpx.Client) -> None:
    """The WMTS is RESTful: a KVP GetTile (or GetFeatureInfo) was answered 200 with the
    capabilities document, which a client could take for an empty tile."""
    for query in ("service=WMTS&request=GetTile&layer=plan-ucs",
                  "SERVICE=WMTS&REQUEST=GetFeatureInfo"):
        r = http.get(f"/rasters/wmts?{query}")
        assert r.status_code == 400, (query, r.text[:200])
        assert r.json()["parameter"] == "request"
    # QGIS asks a WMTS's capabilities with SERVICE=WMS
    for query in ("", "service=WMTS&request=GetCapabilities",
                  "SERVICE=wmts&REQUEST=getcapabilities", "SERVICE=WMS&REQUEST=GetCapabilities"):
        r = http.get(f"/rasters/wmts?{query}")
        assert r.status_code == 200 and b"<Capabilities" in r.content, query


def test_public_listing_gives_tilejson_urls(http: httpx.Client) -> None:
    found = {r["name"]: r for r in http.get("/rasters").json()["rasters"]}
    assert set(found) == {"ortho-ucs", "plan-ucs", "ortho-wgs", "plan-wgs"}
    entry = found["plan-ucs"]
    assert entry["title"] == "Test plan-ucs" and entry["source_document"] == "рішення № 1"
    # English readers get the English title, or the name where none was given
    assert entry["title_en"] == "Test plan (UCS-2000)"
    assert found["plan-wgs"]["title_en"] == "plan-wgs"
    assert http.get(entry["tilejson"]).json()["name"] == "Test plan-ucs"


def test_catalogue_rows_match_the_files(published: dict[str, str]) -> None:
    root = Path(published["GIS_DATA_DIR"]) / "rasters"
    with psycopg.connect(published["GIS_DATABASE_URL"]) as conn:
        rows = conn.execute("SELECT name, file, file_size FROM rasters.catalog").fetchall()
    assert {r[0] for r in rows} == set(RASTERS)
    for _, file, size in rows:
        assert (root / file).stat().st_size == size
    assert sorted(p.name for p in root.iterdir() if p.is_file()) == sorted(r[1] for r in rows)
    with rasterio.open(root / next(r[1] for r in rows if r[0] == "plan-wgs")) as ds:
        assert ds.crs.to_epsg() == 4326


QGIS_PROBE = Path(__file__).parent / "clients" / "qgis_raster_probe.py"


@pytest.mark.parametrize("raster", ["plan-ucs", "ortho-wgs"])
def test_qgis_draws_the_raster_in_both_grids(raster_server: str, raster: str) -> None:
    specs, wanted = [], []
    for quadrant in ("nw", "se"):
        lon, lat = point_of(raster, quadrant)
        e, n = Transformer.from_crs(4326, 6383, always_xy=True).transform(lon, lat)
        mx, my = Transformer.from_crs(4326, 3857, always_xy=True).transform(lon, lat)
        specs += [f"{UCS}:6383:{e}:{n}", f"{WMQ}:3857:{mx}:{my}"]
        wanted += [expected_colour(raster, quadrant)] * 2
    out = subprocess.run(["/usr/bin/python3", str(QGIS_PROBE), raster_server, raster, *specs],
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                              "XDG_RUNTIME_DIR": "/tmp"},
                         capture_output=True, text=True, timeout=300, cwd="/tmp")
    assert out.returncode == 0, out.stderr
    points = json.loads(out.stdout.strip().splitlines()[-1])["points"]
    for point, colour in zip(points, wanted, strict=True):
        assert point["valid"], point
        assert point["errors"] == [], point
        assert point["rgba"][3] == 255, point
        assert tuple(point["rgba"][:3]) == pytest.approx(colour, abs=30), point


@pytest.mark.parametrize("grid", [UCS, WMQ])
def test_gdal_reads_the_raster_through_wmts(raster_server: str, grid: str) -> None:
    epsg = 6383 if grid == UCS else 3857
    source = f"WMTS:{raster_server}/rasters/wmts,layer=plan-ucs,tilematrixset={grid}"
    with rasterio.Env(GDAL_HTTP_TIMEOUT=60), rasterio.open(source) as ds:
        assert ds.crs.to_epsg() == epsg
        for quadrant in ("nw", "se"):
            lon, lat = point_of("plan-ucs", quadrant)
            x, y = Transformer.from_crs(4326, epsg, always_xy=True).transform(lon, lat)
            row, col = ds.index(x, y)
            px = ds.read(window=((row, row + 1), (col, col + 1)))[:, 0, 0]
            assert tuple(int(v) for v in px[:3]) == expected_colour("plan-ucs", quadrant)


def test_a_tile_inside_the_limits_with_nothing_drawn_is_204(http: httpx.Client) -> None:
    tiles = {}
    for quadrant in ("nw", "se"):
        lon, lat = point_of("holed-plan", quadrant)
        x, y, _, _ = pixel_in_ucs_tile(lon, lat, 9)
        tiles[quadrant] = http.get(f"/collections/holed-plan/map/tiles/{UCS}/9/{y}/{x}",
                                   headers=STAFF)
    assert tiles["nw"].status_code == 204 and tiles["nw"].content == b""
    assert tiles["nw"].headers["etag"]
    assert tiles["se"].status_code == 200


def test_a_raster_added_or_removed_while_serving_appears_and_goes(
        http: httpx.Client, published: dict[str, str]) -> None:
    root = Path(published["GIS_DATA_DIR"])
    src = make_rgb(root / "late-src.tif")
    url = "/rasters/late/tilejson.json"
    with psycopg.connect(published["GIS_DATABASE_URL"], autocommit=True) as conn:
        try:
            publish(conn, src, name="late", raster_dir=root / "rasters", public=True)
            assert _within(3.0, lambda: http.get(url).status_code == 200)
        finally:
            unpublish(conn, "late", root / "rasters")
            src.unlink()
    assert _within(3.0, lambda: http.get(url).status_code == 404)


def _within(seconds: float, check: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


OPENLAYERS = Path(__file__).parent / "clients" / "npm" / "node_modules"
OL_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<script src="{ol}/ol/dist/ol.js"></script><script src="{ol}/proj4/dist/proj4.js"></script>
<style>html, body, #map {{ margin: 0; width: 512px; height: 512px; }}</style></head>
<body><div id="map"></div><script>
proj4.defs("EPSG:6383", "{proj4}");
ol.proj.proj4.register(proj4);
const source = new ol.source.OGCMapTile({{url: "{tileset}", projection: "EPSG:6383",
                                         crossOrigin: "anonymous", transition: 0}});
window.failed = [];
source.on("tileloaderror", (e) => window.failed.push(String(e.tile.getTileCoord())));
const map = new ol.Map({{target: "map", layers: [new ol.layer.Tile({{source}})],
  // 2.8 m pixels: tile matrix 5, 1:10 000
  view: new ol.View({{projection: "EPSG:6383", center: [{e}, {n}], resolution: 2.8}})}});
window.result = null;
// the source is ready once it has read the tileset and its tile matrix set; the first
// "rendercomplete" after that is the frame with every tile drawn: read the canvas there
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


def test_openlayers_draws_the_ucs2000_tileset(raster_server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from gis.crs import ucs2000_proj4

    assert (OPENLAYERS / "ol" / "dist" / "ol.js").exists(), "run scripts/bootstrap.sh test"
    page_file = tmp_path / "ol.html"
    quadrants = ("nw", "ne", "sw", "se")
    points = [list(quadrant_point(UCS_BOUNDS, q)) for q in quadrants]
    page_file.write_text(OL_PAGE.format(
        ol=OPENLAYERS.as_uri(), proj4=ucs2000_proj4(6383) + " +axis=neu",
        tileset=f"{raster_server}/collections/plan-ucs/map/tiles/{UCS}",
        e=UCS_BOUNDS[0] + 500, n=UCS_BOUNDS[1] + 500, points=json.dumps(points)))
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
            page.goto(page_file.as_uri())
            page.wait_for_function("window.result !== null", timeout=60_000)
            assert errors == [] and page.evaluate("window.failed") == []
            # the tiles of the 1:10 000 matrix that cover the raster, as gis.tms computes them
            assert f"{UCS}/5/590/277?" in "".join(requested)
            for quadrant, rgba in zip(quadrants, page.evaluate("window.result"), strict=True):
                assert tuple(rgba[:3]) == expected_colour("plan-ucs", quadrant), (quadrant, rgba)
                assert rgba[3] == 255
        finally:
            browser.close()


def test_a_raster_added_or_removed_elsewhere_is_served_or_gone_without_a_restart(
        published: dict[str, str], raster_server: str, tmp_path: Path) -> None:
    """Another process (``gis raster add`` on the server, or another instance's upload)
    changes the catalogue: this server follows (its snapshot is re-read every 0.5 s; the test
    waits up to 30 s, as a loaded CI machine may be slow, and timing is no unit test's job)."""
    url = f"{raster_server}/rasters/late-plan/tilejson.json"
    assert httpx.get(url, timeout=30).status_code == 404
    src = make_paletted(tmp_path / "late.tif", crs="EPSG:6383", bounds=UCS_BOUNDS, size=200)
    raster_dir = Path(published["GIS_DATA_DIR"]) / "rasters"
    with psycopg.connect(published["GIS_DATABASE_URL"], autocommit=True) as conn:
        try:
            publish(conn, src, name="late-plan", raster_dir=raster_dir, title="Пізній план",
                    public=True)
            added = time.monotonic()
            while httpx.get(url, timeout=30).status_code != 200:
                assert time.monotonic() - added < 30, "the added raster is not served"
                time.sleep(0.05)
        finally:
            unpublish(conn, "late-plan", raster_dir)
        removed = time.monotonic()
        while httpx.get(url, timeout=30).status_code != 404:
            assert time.monotonic() - removed < 30, "the removed raster is still served"
            time.sleep(0.05)


def test_raster_documents_refuse_a_format_they_do_not_serve(http: httpx.Client) -> None:
    """The rasters' JSON documents answered ``f=xml`` or ``f=html`` with JSON and 200, where
    the vector tiles' documents and every other resource refuse a format they do not serve."""
    paths = ["/rasters", "/rasters/plan-wgs/tilejson.json", "/collections/plan-wgs/map/tiles",
             f"/collections/plan-wgs/map/tiles/{UCS}"]
    for path in paths:
        for f in ("xml", "html"):
            r = http.get(path, params={"f": f})
            assert r.status_code == 400, (path, f, r.text)
            if f == "xml":
                assert r.json()["parameter"] == "f" and "JSON only" in r.json()["detail"], path
            else:  # asked as a page, the refusal is the error page
                assert r.headers["content-type"].startswith("text/html"), path
        assert http.get(path, params={"f": "json"}).status_code == 200, path
    # a raster's collection and schema are JSON or a page (their own test), nothing else
    for path in ("/collections/plan-wgs", "/collections/plan-wgs/schema"):
        for f in ("xml", "jsonld"):
            r = http.get(path, params={"f": f})
            assert r.status_code == 400 and r.json()["parameter"] == "f", (path, f, r.text)
    # a staff-only raster stays absent to the public whatever format is asked
    assert http.get("/collections/secret-plan", params={"f": "xml"}).status_code == 404


def page_links(html: str, base: str) -> list[str]:
    """Return the server's own addresses a page links (href), unescaped."""
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"#]+)"', html)
            if h.startswith(base)]


def test_a_raster_has_its_own_page_in_both_languages(http: httpx.Client,
                                                     raster_server: str) -> None:
    """A raster collection had no HTML page (a 400; OGC API – Common's HTML class asks every
    resource in HTML) and the collections page listed the registries only. Now its page says
    what it is in the page's language, and every link of it answers."""
    uk = http.get("/collections/plan-ucs", headers={"Accept": "text/html"})
    en = http.get("/collections/plan-ucs", params={"f": "html", "lang": "en"})
    for r, lang in ((uk, "uk"), (en, "en")):
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert r.headers["content-language"] == lang
        assert f'<html lang="{lang}"' in r.text
    assert "<h1>Test plan-ucs</h1>" in uk.text and "<h1>Test plan (UCS-2000)</h1>" in en.text
    for words, page in (
            (["Растр: зображення з палітрою", "рішення № 1", "1\u00a0000 × 1\u00a0000",
              "1 м × 1 м", "EPSG:6383", "номер кольору палітри", "увесь растр"], uk.text),
            (["Raster: paletted image", "1,000 × 1,000", "1 m × 1 m",
              "palette colour number", "the whole raster"], en.text)):
        assert all(w in page for w in words), [w for w in words if w not in page]
    # English complete: none of the Ukrainian page's own words (the source document is data)
    assert not any(w in en.text for w in ("Растр", "Завантажити", "Канали", "Схема", "Набори"))
    dated = http.get("/collections/plan-wgs", params={"f": "html"}).text
    assert "01.05.2024" in dated and "0,000013° × 0,000009°" in dated  # not float noise
    assert "1 May 2024" in http.get("/collections/plan-wgs",
                                    params={"f": "html", "lang": "en"}).text
    for page in (uk.text, en.text):
        links = page_links(page, raster_server)
        assert any(link.endswith("/collections/plan-ucs/coverage") for link in links)
        for link in links:
            r = http.get(link)
            assert r.status_code == 200, (link, r.status_code)
    schema = http.get("/collections/plan-ucs/schema", params={"f": "html", "lang": "en"})
    assert schema.status_code == 200 and "palette colour number" in schema.text
    assert "<code>class</code>" in schema.text and "0–255" in schema.text
    # the JSON names the title for the language asked, as the registries' do
    assert http.get("/collections/plan-ucs", params={"lang": "en"}).json()["title"] == \
        "Test plan (UCS-2000)"
    assert http.get("/collections/plan-ucs").json()["title"] == "Test plan-ucs"
    # and, without lang, by Accept-Language as pygeoapi reads it for a registry (docs/rasters.md)
    for header, title in (("de, en;q=0.5", "Test plan (UCS-2000)"),
                          ("en;q=0, uk", "Test plan-ucs")):
        said = {"Accept-Language": header}
        assert http.get("/collections/plan-ucs", headers=said).json()["title"] == title, header
        parcels = http.get("/collections/land_parcels", headers=said).json()["title"]
        assert parcels == ("Land parcels" if "UCS" in title else "Земельні ділянки"), header
    # one f, as on every other resource
    for path in ("/collections/plan-ucs", "/collections/plan-ucs/schema", "/collections"):
        r = http.get(path, params=[("f", "json"), ("f", "html")])
        assert r.status_code == 400 and "f is given 2 times" in r.text, (path, r.text)


def test_the_collections_page_lists_what_the_json_lists(http: httpx.Client,
                                                        raster_server: str) -> None:
    listed = {c["id"]: c["title"] for c in http.get(
        "/collections", params={"f": "json", "lang": "en"}).json()["collections"]}
    assert "plan-ucs" in listed and "land_parcels" in listed
    for lang in ("uk", "en"):
        page = http.get("/collections", params={"f": "html", "lang": lang})
        assert page.status_code == 200 and page.headers["content-language"] == lang
        found = {m[1]: m[0] for m in (re.fullmatch(
            rf"{re.escape(raster_server)}/collections/([\w-]+)\?f=html&lang=(\w+)", link)
            for link in page_links(page.text, raster_server)) if m}
        assert set(found) == set(listed), set(found) ^ set(listed)
        # each leads to its page in the list's language (pygeoapi's list lost it: the
        # English list led to Ukrainian pages)
        for cid in ("land_parcels", "plan-ucs"):
            assert f"lang={lang}" in found[cid]
            assert http.get(found[cid]).headers["content-language"] == lang, cid
    counts = {c["id"]: c["numberMatched"] for c in http.get(
        "/collections", params={"f": "json"}).json()["collections"] if "numberMatched" in c}
    row = re.search(r'land_parcels\?f=html&amp;lang=en">Land parcels</a></td>(.*?)</tr>',
                    http.get("/collections", params={"f": "html", "lang": "en"}).text, re.S)
    assert row and f"<td>{counts['land_parcels']:,}</td>" in row.group(1), row
    english = http.get("/collections", params={"f": "html", "lang": "en"}).text
    assert "Test plan (UCS-2000)" in english and "Data collections in this service" in english
    assert "Набори даних цього сервісу" in http.get("/collections", params={"f": "html"}).text
    assert listed["plan-ucs"] == "Test plan (UCS-2000)"
    # the page in the language asked, whatever the browser prefers
    page = http.get("/collections", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert page.headers["content-language"] == "uk" and "Test plan-ucs" in page.text
    # the other formats are pygeoapi's, the rasters in the JSON
    assert http.get("/collections", params={"f": "jsonld"}).headers[
        "content-type"].startswith("application/ld+json")
    assert http.get("/collections", params={"f": "xml"}).status_code == 400


def test_the_raster_page_draws_its_tiles_in_chromium(raster_server: str) -> None:
    """The page's map asks the raster's tiles under the page's own CSP; the page meets
    WCAG 2.1 AA as the registries' pages do."""
    from playwright.sync_api import sync_playwright

    from tests.test_accessibility import violations

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            tiles: list[int] = []
            page.on("response", lambda r: tiles.append(r.status)
                    if "/rasters/ortho-ucs/" in r.url and r.url.endswith(".png") else None)
            page.goto(f"{raster_server}/collections/ortho-ucs?f=html", wait_until="networkidle")
            page.wait_for_function("() => document.querySelector('.maplibregl-canvas')")
            assert tiles and set(tiles) <= {200, 204}, tiles
            assert 200 in tiles and problems == [], problems
            audit = browser.new_context(bypass_csp=True).new_page()  # axe is injected inline
            for path in ("/collections/ortho-ucs?f=html", "/collections/ortho-ucs?f=html&lang=en",
                         "/collections/plan-ucs/schema?f=html", "/collections?f=html&lang=en"):
                audit.goto(raster_server + path, wait_until="networkidle")
                assert violations(audit) == [], path
        finally:
            browser.close()
