"""Vector tiles over the demo city: MVT content, OGC API Tiles, TileJSON, styles and errors."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import mapbox_vector_tile
import numpy as np
import psycopg
import pytest
import shapely
from psycopg import sql

from gis.tms import BUFFER, EXTENT, ORIGIN, buffer_m, tile_bounds, tile_size_m
from registries.catalog import default_catalog
from registries.status import TERM_STATUSES, term_status
from registries.styles import STATUS_COLOURS
from tiles.invalidate import tiles_touched
from tiles.mvt import Sources, TileQueries

MVT = "application/vnd.mapbox-vector-tile"
PERSONAL = {f.name for r in default_catalog() for f in r.fields if f.personal}


def tile_of(x: float, y: float, z: int) -> tuple[int, int]:
    """Return the column and row of the tile at ``z`` holding EPSG:3857 point x, y."""
    size = tile_size_m(z)
    return int((x + ORIGIN) // size), int((ORIGIN - y) // size)


def decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


def coordinates(geometry: dict) -> list[tuple[float, float]]:
    return [tuple(p) for p in np.asarray(shapely.get_coordinates(shapely.geometry.shape(
        geometry)))]


@pytest.fixture(scope="module")
def dense(demo_url: str) -> dict[str, tuple[float, float]]:
    """Return one EPSG:3857 point per layer of the demo city (a parcel, an advert …)."""
    out = {}
    with psycopg.connect(demo_url) as conn:
        for table in ("land_parcel", "advertising_structure", "address", "temporary_structure"):
            row = conn.execute(sql.SQL(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom_3857) AS p "
                "FROM {} ORDER BY id LIMIT 1) s").format(sql.Identifier("open_data", table))
            ).fetchone()
            out[table] = (row[0], row[1])
    return out


def test_city_tile_decodes_with_layers_extent_attributes_and_buffer(
        server: str, dense: dict[str, tuple[float, float]]) -> None:
    x, y = tile_of(*dense["land_parcel"], 16)
    r = httpx.get(f"{server}/tiles/WebMercatorQuad/16/{y}/{x}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == MVT
    assert r.headers["etag"] and "no-cache" in r.headers["cache-control"]
    layers = decode(r.content)
    assert {"land_parcels", "buildings", "addresses", "streets"} <= set(layers)
    assert set(layers) <= set(Sources(default_catalog()).by_id)
    for name, layer in layers.items():
        assert layer["extent"] == EXTENT, name
        for feature in layer["features"]:
            assert not PERSONAL & set(feature["properties"]), (name, feature["properties"])
            for px, py in coordinates(feature["geometry"]):
                assert -BUFFER <= px <= EXTENT + BUFFER and -BUFFER <= py <= EXTENT + BUFFER
    parcel = layers["land_parcels"]["features"][0]
    assert set(parcel["properties"]) == {"cadastral_number", "purpose_code"}
    assert isinstance(parcel["id"], int)


def test_collection_tile_has_one_layer_and_zoom_rules_apply(
        server: str, dense: dict[str, tuple[float, float]]) -> None:
    x, y = tile_of(*dense["land_parcel"], 14)
    r = httpx.get(f"{server}/collections/land_parcels/tiles/WebMercatorQuad/14/{y}/{x}")
    layers = decode(r.content)
    assert list(layers) == ["land_parcels"]
    assert set(layers["land_parcels"]["features"][0]["properties"]) == {"cadastral_number"}
    # parcels start at z14: z13 is outside the collection's tileset (its limits list no 13),
    # which an OGC API path answers 404 (/req/core/tc-error A); the city's tile there is drawn
    r13 = httpx.get(f"{server}/collections/land_parcels/tiles/WebMercatorQuad/13/{y // 2}/"
                    f"{x // 2}")
    assert r13.status_code == 404, r13.text
    assert "tile matrix 13 is outside this tileset's limits: its tile matrices are 14–" \
        in r13.json()["detail"]
    tileset = httpx.get(f"{server}/collections/land_parcels/tiles/WebMercatorQuad").json()
    assert min(int(m["tileMatrix"]) for m in tileset["tileMatrixSetLimits"]) == 14
    assert httpx.get(f"{server}/tiles/WebMercatorQuad/13/{y // 2}/{x // 2}").status_code == 200


def test_a_tile_outside_its_tilesets_limits_is_404_on_the_ogc_paths(server: str) -> None:
    """/req/core/tc-error A: a tile outside the tile matrix set *or the tileset's limits* is a
    404 or 400. The official test suite asks the row past the last one a tileset lists; the
    map's XYZ path still serves it (MapLibre asks only inside the TileJSON's bounds)."""
    for path in ("/tiles/WebMercatorQuad", "/collections/streets/tiles/WebMercatorQuad"):
        limits = {m["tileMatrix"]: m for m in httpx.get(server + path).json()[
            "tileMatrixSetLimits"]}
        m = limits["14"]
        inside = httpx.get(f"{server}{path}/14/{m['maxTileRow']}/{m['maxTileCol']}")
        assert inside.status_code in (200, 204), inside.text
        for row, col in ((m["maxTileRow"] + 1, m["minTileCol"]),
                         (m["minTileRow"], m["minTileCol"] - 1)):
            for query in ("", "?f=mvt"):  # the fast path and the routes alike
                r = httpx.get(f"{server}{path}/14/{row}/{col}{query}")
                assert r.status_code == 404, (path, row, col, r.text)
                assert r.json()["detail"] == (
                    f"tile 14 row {row}, column {col} is outside this tileset's limits, the "
                    f"city's extent: at tile matrix 14, rows {m['minTileRow']}–"
                    f"{m['maxTileRow']} and columns {m['minTileCol']}–{m['maxTileCol']} "
                    f"(see {path})")
        below = min(int(z) for z in limits) - 1
        if below >= 0:
            assert httpx.get(f"{server}{path}/{below}/0/0").status_code == 404
    xyz = httpx.get(f"{server}/maps/city/14/{m['minTileCol'] - 1}/{m['minTileRow']}.mvt")
    assert xyz.status_code in (200, 204)


def test_the_official_suites_walk_of_every_tilesets_list_passes(server: str) -> None:
    """ets-ogcapi-tiles10's Tile tests, step by step: from the landing page's tilesets-vector
    link and every collection's, each list entry's grid id, first limits and tile template;
    the tile at (first matrix, last row, first column) is 200 or 204, the row after is 404.
    Before, each entry had no id, limits or template, and the suite stopped on them."""
    landing = httpx.get(f"{server}/", headers={"Accept": "application/json"}).json()
    lists = [next(link["href"] for link in landing["links"]
                  if link["rel"].endswith("/tilesets-vector"))]
    for c in httpx.get(f"{server}/collections?f=json").json()["collections"]:
        lists += [link["href"] for link in c["links"] if link["rel"].endswith("/tilesets-vector")]
    assert len(lists) > 10
    walked = 0
    for href in lists:
        for entry in httpx.get(href, headers={"Accept": "application/json"}).json()["tilesets"]:
            assert entry["tileMatrixSetId"] in ("WebMercatorQuad", "UCS2000TM9"), entry
            first = entry["tileMatrixSetLimits"][0]
            template = next(link["href"] for link in entry["links"]
                            if "{tileMatrix}" in link["href"] and "{tileRow}" in link["href"]
                            and "{tileCol}" in link["href"])
            assert f"/{entry['tileMatrixSetId']}/" in template

            def tile(row: int, first: dict = first, template: str = template) -> int:
                return httpx.get(template.replace("{tileMatrix}", first["tileMatrix"]).replace(
                    "{tileRow}", str(row)).replace("{tileCol}", str(first["minTileCol"]))
                ).status_code

            assert tile(first["maxTileRow"]) in (200, 204), (href, entry)
            assert tile(first["maxTileRow"] + 1) in (400, 404), (href, entry)
            walked += 1
    assert walked == 2 * len(lists)


def test_advertising_carries_the_derived_status_and_clusters_at_low_zoom(
        server: str, demo_url: str, dense: dict[str, tuple[float, float]]) -> None:
    x, y = tile_of(*dense["advertising_structure"], 16)
    layer = decode(httpx.get(f"{server}/maps/advertising_structures/16/{x}/{y}.mvt").content)[
        "advertising_structures"]
    today = datetime.now(ZoneInfo("Europe/Kyiv")).date()
    with psycopg.connect(demo_url) as conn:
        for feature in layer["features"]:
            row = conn.execute(
                "SELECT valid_from, valid_until, dismantling_ordered_on, dismantled_on, "
                "annulled_on FROM open_data.advertising_structure WHERE id = %s",
                (feature["id"],)).fetchone()
            expected = term_status(row[0], row[1], today, dismantling_ordered_on=row[2],
                                   dismantled_on=row[3], annulled_on=row[4])
            assert feature["properties"]["status"] == expected
            assert set(feature["properties"]) == {"status", "structure_type", "permit_number"}
    x12, y12 = tile_of(*dense["advertising_structure"], 12)
    clustered = decode(httpx.get(f"{server}/maps/advertising_structures/12/{x12}/{y12}.mvt")
                       .content)["advertising_structures"]["features"]
    assert all(set(f["properties"]) == {"status", "point_count"} for f in clustered)
    assert all(f["properties"]["status"] in TERM_STATUSES for f in clustered)


def test_tilejson_and_style_are_consistent(server: str) -> None:
    tj = httpx.get(f"{server}/maps/city/tilejson.json").json()
    assert tj["tilejson"] == "3.0.0"
    assert tj["tiles"] == [f"{server}/maps/city/{{z}}/{{x}}/{{y}}.mvt"]
    w, s, e, n = tj["bounds"]
    assert 26.5 < w < e < 27.5 and 49.2 < s < n < 49.7
    ids = {layer["id"] for layer in tj["vector_layers"]}
    assert {"land_parcels", "advertising_structures", "planning_zones"} <= ids
    parcels = next(v for v in tj["vector_layers"] if v["id"] == "land_parcels")
    assert parcels["minzoom"] == 14 and set(parcels["fields"]) == {"cadastral_number",
                                                                   "purpose_code"}
    style = httpx.get(f"{server}/maps/city/style.json").json()
    assert style["version"] == 8
    source = style["sources"]["hromada"]  # the TileJSON's tiles and extent, inline
    assert (source["tiles"], source["bounds"], source["maxzoom"]) == \
        (tj["tiles"], tj["bounds"], tj["maxzoom"])
    used = {layer["source-layer"] for layer in style["layers"] if "source-layer" in layer}
    assert used == ids
    advert = next(layer for layer in style["layers"] if layer["id"] == "advertising_structures")
    colour = advert["paint"]["circle-color"]
    assert colour[:2] == ["match", ["get", "status"]]
    assert dict(zip(colour[2:-1:2], colour[3:-1:2], strict=True)) == STATUS_COLOURS


def test_ogc_api_tiles_documents(server: str) -> None:
    sets = httpx.get(f"{server}/tileMatrixSets").json()["tileMatrixSets"]
    assert [s["id"] for s in sets] == ["WebMercatorQuad", "UCS2000TM9"]  # UCS: rasters only
    tms = httpx.get(f"{server}/tileMatrixSets/WebMercatorQuad").json()
    assert tms["id"] == "WebMercatorQuad" and len(tms["tileMatrices"]) == 25
    assert httpx.get(f"{server}/tiles").json()["tilesets"][0]["dataType"] == "vector"
    ts = httpx.get(f"{server}/collections/land_parcels/tiles/WebMercatorQuad").json()
    assert ts["tileMatrixSetURI"].endswith("/WebMercatorQuad")
    assert ts["tileMatrixSetLimits"][0]["tileMatrix"] == "14"
    item = next(link for link in ts["links"] if link["rel"] == "item")
    assert item["href"].endswith("/collections/land_parcels/tiles/WebMercatorQuad/"
                                 "{tileMatrix}/{tileRow}/{tileCol}")
    assert {m["id"] for m in httpx.get(f"{server}/maps").json()["maps"]} >= {"city",
                                                                              "land_parcels"}


def test_a_client_finds_the_tiles_by_following_links(
        server: str, dense: dict[str, tuple[float, float]]) -> None:
    """Landing page → collection → tilesets → tileset → tile, as OGC API clients walk it."""
    tilesets_rel = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
    conformance = httpx.get(f"{server}/conformance?f=json").json()["conformsTo"]
    assert {"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
            "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"} <= set(conformance)
    landing = httpx.get(f"{server}/?f=json").json()
    city = next(link["href"] for link in landing["links"] if link["rel"] == tilesets_rel)
    assert httpx.get(city).json()["tilesets"][0]["dataType"] == "vector"
    listed = {c["id"]: c for c in httpx.get(f"{server}/collections?f=json").json()["collections"]}
    assert any(link["rel"] == tilesets_rel for link in listed["land_parcels"]["links"])
    collection = httpx.get(f"{server}/collections/land_parcels?f=json").json()
    href = next(link["href"] for link in collection["links"] if link["rel"] == tilesets_rel)
    tileset_link = httpx.get(href).json()["tilesets"][0]["links"][0]
    tileset = httpx.get(tileset_link["href"]).json()
    template = next(link["href"] for link in tileset["links"] if link["rel"] == "item")
    col, row = tile_of(*dense["land_parcel"], 16)
    tile = httpx.get(template.format(tileMatrix=16, tileRow=row, tileCol=col))
    assert tile.status_code == 200 and "land_parcels" in decode(tile.content)


@pytest.mark.parametrize(("path", "status"), [
    ("/tiles/WebMercatorQuad/21/0/0", 404),  # beyond the deepest zoom served
    ("/tiles/WebMercatorQuad/3/8/0", 404),  # row outside the matrix
    ("/tiles/WebMercatorQuad/3/0/-1", 404),
    ("/tiles/WebMercatorQuad/x/0/0", 400),
    ("/tiles/WebMercatorQuad/1.5/0/0", 400),
    # one tile, one address: other spellings of its numbers were served as the tile
    ("/tiles/WebMercatorQuad/03/0/0", 400),
    ("/tiles/WebMercatorQuad/3/%D9%A2/0", 400),  # Arabic-Indic ٢
    ("/tiles/WebMercatorQuad/3/+1/0", 400),
    ("/tiles/WebMercatorQuad/3/1_0/0", 400),
    ("/tiles/UCS2000TM9/4/0%20/0", 400),
    ("/tiles/UCS2000TM9/-0/0/0", 400),
    # a parameter given twice with two values, as on the items paths (the last one won)
    ("/tiles/WebMercatorQuad/14/9372/5631?f=mvt&f=png", 400),
    ("/tiles/WebMercatorQuad/14/9372/5631?collections=addresses&collections=streets", 400),
    ("/tiles/UTM31WGS84Quad/1/0/0", 404),  # a set we do not serve
    ("/tileMatrixSets/NoSuchSet", 404),
    ("/collections/no_such/tiles/WebMercatorQuad/1/0/0", 404),
    ("/collections/no_such/tiles", 404),
    ("/tiles/WebMercatorQuad/14/0/0?collections=no_such", 404),
    ("/maps/no_such/tilejson.json", 404),
    ("/maps/no_such/1/0/0.mvt", 404),
    ("/maps/city/99999/0/0.mvt", 404),
    # a format vector tiles do not come in was answered with the vector tile
    ("/tiles/WebMercatorQuad/14/9372/5631?f=png", 400),
    ("/collections/addresses/tiles/WebMercatorQuad/14/9372/5631?f=json", 400),
])
def test_bad_tile_requests_are_problems_not_500(server: str, path: str, status: int) -> None:
    r = httpx.get(f"{server}{path}")
    assert r.status_code == status, (path, r.text)
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == status


@pytest.mark.parametrize(("path", "said"), [
    ("/tiles/WebMercatorQuad/3/8/0", "tile 3 row 8, column 0 is outside"),  # /{z}/{row}/{col}
    ("/collections/addresses/tiles/WebMercatorQuad/3/0/8", "tile 3 row 0, column 8 is outside"),
    ("/maps/city/3/8/0.mvt", "tile 3 row 0, column 8 is outside"),  # XYZ: /{z}/{x}/{y}
])
def test_a_tile_outside_the_matrix_names_its_row_and_column(server: str, path: str,
                                                            said: str) -> None:
    """"tile 3/0/8 is outside" answered /tiles/WebMercatorQuad/3/8/0: the numbers in z/x/y
    order under a path that writes the row first. The row and the column are named."""
    r = httpx.get(f"{server}{path}")
    assert r.status_code == 404 and said in r.json()["detail"], r.text


def test_etag_revalidation_and_collections_parameter(
        server: str, dense: dict[str, tuple[float, float]]) -> None:
    x, y = tile_of(*dense["land_parcel"], 15)
    url = f"{server}/tiles/WebMercatorQuad/15/{y}/{x}"
    first = httpx.get(url)
    again = httpx.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.headers["x-tile-cache"] == "hit"
    # If-None-Match compares weakly, in a list written with or without spaces, and * is any
    # tile the URL has (RFC 9110, 13.1.2): a cache that weakened the ETag still revalidates
    tag = first.headers["etag"]
    for header in (f"W/{tag}", f'"other",{tag}', f'W/"other" ,  W/{tag}', "*"):
        assert httpx.get(url, headers={"If-None-Match": header}).status_code == 304, header
    assert httpx.get(url, headers={"If-None-Match": '"other", W/"x"'}).status_code == 200
    two = httpx.get(url, params={"collections": "land_parcels,buildings"})
    assert set(decode(two.content)) == {"land_parcels", "buildings"}
    # a collection named twice is one layer: layer names are unique in a tile (MVT 2.1, 4.1)
    twice = httpx.get(url, params={"collections": "land_parcels,buildings,land_parcels"})
    assert layer_names(twice.content) == ["land_parcels", "buildings"]


def test_collections_selects_the_layers_of_the_tileset_too_by_id_or_by_url(
        server: str, dense: dict[str, tuple[float, float]]) -> None:
    """/req/collections-selection: ``collections`` applies to the dataset's tileset as to its
    tiles (B; the tileset listed every layer whatever was asked), and names a collection by
    id or by URL (C; a URL was an unknown collection)."""
    url = f"{server}/collections/buildings"
    doc = httpx.get(f"{server}/tiles/WebMercatorQuad",
                    params={"collections": f"streets,{url}"}).json()
    assert [layer["id"] for layer in doc["layers"]] == ["streets", "buildings"]
    first = min(int(m["tileMatrix"]) for m in doc["tileMatrixSetLimits"])
    streets = httpx.get(f"{server}/collections/streets/tiles/WebMercatorQuad").json()
    assert first == min(int(m["tileMatrix"]) for m in streets["tileMatrixSetLimits"])
    whole = httpx.get(f"{server}/tiles/WebMercatorQuad").json()
    assert len(whole["layers"]) > 2 and "?" not in whole["links"][0]["href"]
    # its links ask the same layers (no TileJSON or style: those describe whole maps)
    hrefs = {link["rel"]: link["href"] for link in doc["links"]}
    assert hrefs["self"].endswith("/tiles/WebMercatorQuad?collections=streets,buildings")
    assert hrefs["item"].endswith("{tileCol}?collections=streets,buildings")
    assert "describedby" not in hrefs
    x, y = tile_of(*dense["land_parcel"], 16)
    tile = httpx.get(hrefs["item"].replace("{tileMatrix}", "16").replace("{tileRow}", str(y))
                     .replace("{tileCol}", str(x)))
    assert layer_names(tile.content) == ["streets", "buildings"], tile.status_code
    # below the layers' first matrix the narrowed tileset has no limits: 404 naming it
    below = httpx.get(f"{server}/tiles/WebMercatorQuad/{first - 1}/0/0",
                      params={"collections": "streets"})
    assert below.status_code == 404
    assert "(see /tiles/WebMercatorQuad?collections=streets)" in below.json()["detail"]
    for bad, status in (("http://x.example/streets", 400), ("no_such", 404),
                        (f"{server}/collections/no_such", 404)):
        r = httpx.get(f"{server}/tiles/WebMercatorQuad", params={"collections": bad})
        assert r.status_code == status, (bad, r.text)


def test_the_api_definition_names_every_tiles_resource_by_its_operation_id(
        server: str) -> None:
    """OGC API – Tiles names its resources in the OpenAPI document by operationId suffixes
    (/req/oas30/operation-id); the official suite looks for a ``.getTile``. Every tiles path
    is described, each operationId once."""
    doc = httpx.get(f"{server}/openapi", params={"f": "json"}).json()
    ids = {path: op["operationId"] for path, item in doc["paths"].items()
           for method, op in item.items() if method == "get" and "operationId" in op}
    expected = {
        "/tileMatrixSets": ".getTileMatrixSetsList",
        "/tileMatrixSets/{tileMatrixSetId}": ".getTileMatrixSet",
        "/tiles": ".dataset.vector.getTileSetsList",
        "/tiles/{tileMatrixSetId}": ".dataset.vector.getTileSet",
        "/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}": ".dataset.vector.getTile",
        "/collections/{collectionId}/tiles": ".collection.vector.getTileSetsList",
        "/collections/{collectionId}/tiles/{tileMatrixSetId}": ".collection.vector.getTileSet",
        "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}":
            ".collection.vector.getTile"}
    for path, suffix in expected.items():
        assert ids.get(path, "").endswith(suffix), (path, ids.get(path))
    every = [op["operationId"] for item in doc["paths"].values() for op in item.values()
             if isinstance(op, dict) and "operationId" in op]
    assert len(every) == len(set(every))


def layer_names(data: bytes) -> list[str]:
    """Return a tile's layer names as it holds them (decode() keys them: one per name)."""
    from mapbox_vector_tile.Mapbox import vector_tile_pb2

    tile = vector_tile_pb2.tile()
    tile.ParseFromString(data)
    return [layer.name for layer in tile.layers]


def test_cached_tiles_skip_the_rate_limit_but_misses_and_bad_tokens_do_not(
        demo_url: str, dense: dict[str, tuple[float, float]]) -> None:
    """A cached tile is served in front of the app (no database work, the same for everyone):
    it is not counted against the anonymous rate; a miss is, and a bad token still gets 401."""
    import shutil

    from tests.conftest import served, shared_tmp

    cache = shared_tmp("hromada-tile-limit-")
    try:
        with served({"GIS_DATABASE_URL": demo_url, "GIS_TILES__CACHE_DIR": str(cache),
                     "GIS_LIMITS__RATE_EXEMPT": "[]", "GIS_LIMITS__ANON_RATE_PER_S": "0.2",
                     "GIS_LIMITS__ANON_BURST": "4"}) as base:
            x, y = tile_of(*dense["land_parcel"], 16)
            with httpx.Client(base_url=base, timeout=30) as client:
                first = client.get(f"/maps/city/16/{x}/{y}.mvt")
                assert first.status_code == 200 and first.headers["x-tile-cache"] == "miss"
                for _ in range(20):  # far over the burst: all answered from the cache
                    r = client.get(f"/maps/city/16/{x}/{y}.mvt")
                    assert r.status_code == 200 and r.headers["x-tile-cache"] == "hit"
                    assert r.content == first.content
                misses = [client.get(f"/maps/city/16/{x + dx}/{y}.mvt").status_code
                          for dx in range(1, 8)]
                assert 429 in misses and set(misses) <= {200, 204, 429}, misses
                assert client.get("/collections/addresses/items?limit=1").status_code == 429
                assert client.get(f"/maps/city/16/{x}/{y}.mvt").status_code == 200  # still a hit
                bad = client.get(f"/maps/city/16/{x}/{y}.mvt",
                                 headers={"Authorization": "Bearer nobody"})
                assert bad.status_code == 401, bad.text
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def test_tiles_touched_matches_the_buffered_tiles_the_geometry_meets() -> None:
    line = shapely.LineString([(3_005_000, 6_345_000), (3_009_000, 6_349_000)])
    keys, ranges = tiles_touched(np.array([line]), 16)
    assert not ranges
    size, m = tile_size_m(16), buffer_m(16)
    x0, y0 = int((line.bounds[0] - m + ORIGIN) // size), int((ORIGIN - line.bounds[3] - m) // size)
    x1, y1 = int((line.bounds[2] + m + ORIGIN) // size), int((ORIGIN - line.bounds[1] + m) // size)
    brute = {(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)
             if shapely.box(*tile_bounds(16, x, y)).buffer(m, join_style="mitre")
             .intersects(line)}
    assert keys == brute
    assert len(keys) < (x1 - x0 + 1) * (y1 - y0 + 1) / 2  # a diagonal: far fewer than its box


def test_tile_sql_reads_only_public_views() -> None:
    from tiles.grids import vector_grids

    queries = TileQueries(Sources(default_catalog()), 20, "Europe/Kyiv",
                          vector_grids(6383, 20, 49.42))  # both grids
    assert any("@UCS2000TM9" in key for key, _ in queries.text)
    text = " ".join(q for q in queries.text.values() if q)
    assert '"registry".' not in text and '"open_data".' in text
    for name in PERSONAL:
        assert f'"{name}"' not in text, name
