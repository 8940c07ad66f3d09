"""Every conformance class /conformance claims has a test here that would fail without it.

``CHECKS`` maps each class to a check run against the demo server (or to the test elsewhere
that proves it, named so that a rename breaks this file); ``test_every_claimed_class_is_tested``
fails for a class claimed without one — claiming a class is a promise with a test behind it.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from registries.catalog import default_catalog
from registries.filters import Filter
from tests.factories import SRID, make_boundary, make_permit

SPEC = "http://www.opengis.net/spec/"
ITEMS = "/collections/land_parcels/items"


def get(server: str, path: str, **params: Any) -> httpx.Response:
    r = httpx.get(f"{server}{path}", params=params, timeout=60)
    assert r.status_code == 200, (path, params, r.text[:300])
    return r


def ids_of(server: str, path: str, **params: Any) -> list[int]:
    doc = get(server, path, limit=10000, f="json", **params).json()
    assert doc["numberMatched"] == len(doc["features"])
    return sorted(f["id"] for f in doc["features"])


def sql_ids(demo_url: str, view: str, where: str, allow_empty: bool = False) -> list[int]:
    with psycopg.connect(demo_url) as conn:
        rows = conn.execute(sql.SQL("SELECT id FROM {} WHERE {} ORDER BY id").format(
            sql.Identifier("open_data", view), sql.SQL(where))).fetchall()  # type: ignore[arg-type]
    found = [r[0] for r in rows]
    assert found or allow_empty, f"the case must select something to prove anything: {where}"
    return found


# -- OGC API Common / Features ----------------------------------------------------------------

def landing(server: str, demo_url: str) -> None:
    doc = get(server, "/", f="json").json()
    rels = {link["rel"] for link in doc["links"]}
    assert {"service-desc", "conformance", "data"} <= rels, rels
    assert doc["title"]


def json_encoding(server: str, demo_url: str) -> None:
    for path in ("/", "/collections", "/conformance"):
        assert get(server, path, f="json").headers["content-type"].startswith(
            "application/json")


def html_encoding(server: str, demo_url: str) -> None:
    for path in ("/collections", f"{ITEMS}", "/collections/land_parcels", "/conformance"):
        r = get(server, path, f="html")
        assert r.headers["content-type"].startswith("text/html") and "<html" in r.text


def openapi(server: str, demo_url: str) -> None:
    import jsonschema
    from openapi_spec_validator.schemas import schema_v30

    doc = get(server, "/openapi", f="json").json()
    assert doc["openapi"].startswith("3.0")
    # the document's form against the OpenAPI 3.0 schema (its $refs to schemas.opengis.net are
    # not followed: no network); a JSON Schema list of types, valid in 3.1, is not valid here
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}"
              for e in jsonschema.Draft4Validator(schema_v30).iter_errors(doc)]
    assert not errors, errors[:5]
    params = json.dumps(doc["paths"][ITEMS]["get"]["parameters"])
    for name in ("bbox", "limit", "offset", "crs", "datetime", "filter", "filter-lang", "q"):
        assert name in params


def collections(server: str, demo_url: str) -> None:
    listed = {c["id"] for c in get(server, "/collections", f="json").json()["collections"]}
    assert {r.id for r in default_catalog() if r.public} <= listed


def schemas(server: str, demo_url: str) -> None:
    for reg in default_catalog():
        doc = get(server, f"/collections/{reg.id}/schema", f="json").json()
        assert doc["type"] == "object" and "$schema" in doc
        props = doc["properties"]
        assert props["geometry"]["x-ogc-role"] == "primary-geometry"
        assert {f.name for f in reg.public_fields} <= set(props), reg.id
        assert not {f.name for f in reg.fields if f.personal} & set(props), reg.id


def features_core(server: str, demo_url: str) -> None:
    page = get(server, ITEMS, f="json", limit=5).json()
    assert page["numberReturned"] == 5 and page["numberMatched"] > 5
    assert any(link["rel"] == "next" for link in page["links"])
    one = page["features"][0]
    assert get(server, f"{ITEMS}/{one['id']}", f="json").json()["id"] == one["id"]


def geojson(server: str, demo_url: str) -> None:
    r = get(server, ITEMS, f="json", limit=2)
    assert r.headers["content-type"] == "application/geo+json"
    doc = r.json()
    assert doc["type"] == "FeatureCollection"
    assert all(f["type"] == "Feature" and "geometry" in f for f in doc["features"])


def features_html(server: str, demo_url: str) -> None:
    first = get(server, ITEMS, f="json", limit=1).json()["features"][0]
    page = get(server, ITEMS, f="html", limit=1)
    assert first["properties"]["cadastral_number"] in page.text


def crs(server: str, demo_url: str) -> None:
    epsg = "http://www.opengis.net/def/crs/EPSG/0/6383"
    r = get(server, ITEMS, f="json", limit=1, crs=epsg)
    assert r.headers["content-crs"] == f"<{epsg}>"
    fid = r.json()["features"][0]["id"]
    with psycopg.connect(demo_url) as conn:
        n = conn.execute("SELECT ST_YMax(geom) FROM registry.land_parcel WHERE id = %s",
                         (fid,)).fetchone()[0]  # type: ignore[index]
    coords = r.json()["features"][0]["geometry"]["coordinates"]
    while isinstance(coords[0][0], list):
        coords = coords[0]
    assert max(c[0] for c in coords) == pytest.approx(n, abs=0.002)  # northing first


def filter_param(server: str, demo_url: str) -> None:
    assert ids_of(server, ITEMS, filter="area_declared_ha > 0.08") == sql_ids(
        demo_url, "land_parcel", "area_declared_ha > 0.08")


def features_filter(server: str, demo_url: str) -> None:
    assert ids_of(server, ITEMS, filter="S_INTERSECTS(geometry, BBOX(5475500, 299000, 5477000, "
                  "300500))", **{"filter-lang": "cql2-text", "filter-crs":
                                 "http://www.opengis.net/def/crs/EPSG/0/6383"}) == sql_ids(
        demo_url, "land_parcel", "ST_Intersects(geom, ST_MakeEnvelope(299000, 5475500, 300500, "
                                 "5477000, 6383))")


def queryables(server: str, demo_url: str) -> None:
    props = get(server, "/collections/land_parcels/queryables", f="json").json()["properties"]
    reg = default_catalog().get("land_parcels")
    assert {f.name for f in reg.public_fields} <= set(props)
    assert not {f.name for f in reg.fields if f.personal} & set(props)


def queryable_parameters(server: str, demo_url: str) -> None:
    assert ids_of(server, ITEMS, purpose_code="02.01") == sql_ids(
        demo_url, "land_parcel", "purpose_code = '02.01'")


# -- CQL2 -------------------------------------------------------------------------------------

def basic_cql2(server: str, demo_url: str) -> None:
    cql = "purpose_code = '02.01' AND NOT (area_declared_ha > 0.1) OR holder_edrpou IS NULL"
    assert ids_of(server, ITEMS, filter=cql) == sql_ids(
        demo_url, "land_parcel", "purpose_code = '02.01' AND NOT (area_declared_ha > 0.1) "
                                 "OR holder_edrpou IS NULL")


def cql2_text(server: str, demo_url: str) -> None:
    assert ids_of(server, ITEMS, filter="purpose_code <> '02.01'",
                  **{"filter-lang": "cql2-text"}) == sql_ids(demo_url, "land_parcel",
                                                             "purpose_code <> '02.01'")


def cql2_json(server: str, demo_url: str) -> None:
    tree = {"op": "<=", "args": [{"property": "area_declared_ha"}, 0.08]}
    assert ids_of(server, ITEMS, filter=json.dumps(tree), **{"filter-lang": "cql2-json"}) == \
        sql_ids(demo_url, "land_parcel", "area_declared_ha <= 0.08")


def advanced_comparison(server: str, demo_url: str) -> None:
    for cql, where in (
            ("cadastral_number LIKE '6810100000:01:%'", "cadastral_number LIKE '6810100000:01:%'"),
            ("area_declared_ha BETWEEN 0.05 AND 0.1", "area_declared_ha BETWEEN 0.05 AND 0.1"),
            ("purpose_code IN ('03.07', '02.01')", "purpose_code IN ('03.07', '02.01')")):
        assert ids_of(server, ITEMS, filter=cql) == sql_ids(demo_url, "land_parcel", where), cql


BOX = "POLYGON((26.985 49.415, 27.0 49.415, 27.0 49.425, 26.985 49.425, 26.985 49.415))"
BOX_SQL = ("ST_Transform(ST_GeomFromText('POLYGON((26.985 49.415, 27.0 49.415, 27.0 49.425, "
           "26.985 49.425, 26.985 49.415))', 4326), 6383)")


def basic_spatial(server: str, demo_url: str) -> None:
    assert ids_of(server, ITEMS, filter=f"S_INTERSECTS(geometry, {BOX})") == sql_ids(
        demo_url, "land_parcel", f"ST_Intersects(geom, {BOX_SQL})")
    assert ids_of(server, ITEMS, filter="S_INTERSECTS(geometry, BBOX(26.985, 49.415, 27.0, "
                  "49.425))") == sql_ids(demo_url, "land_parcel",
                                         f"ST_Intersects(geom, {BOX_SQL})")


def spatial_functions(server: str, demo_url: str) -> None:
    """Every S_* function against PostGIS on the same literal; the exact ones (equals,
    touches, contains) with a parcel's own geometry given in the storage CRS (no rounding)."""
    for op, fn, cid, view in (("S_WITHIN", "ST_Within", "land_parcels", "land_parcel"),
                              ("S_DISJOINT", "ST_Disjoint", "cadastral_quarters",
                               "cadastral_quarter"),
                              ("S_OVERLAPS", "ST_Overlaps", "land_parcels", "land_parcel"),
                              ("S_CROSSES", "ST_Crosses", "streets", "street")):
        assert ids_of(server, f"/collections/{cid}/items", filter=f"{op}(geometry, {BOX})") == \
            sql_ids(demo_url, view, f"{fn}(geom, {BOX_SQL})", allow_empty=op == "S_OVERLAPS"), op
    with psycopg.connect(demo_url) as conn:
        pid, shape, inside = conn.execute(
            "SELECT id, ST_AsText(ST_FlipCoordinates(geom)), "
            "ST_AsText(ST_FlipCoordinates(ST_PointOnSurface(geom))) FROM registry.land_parcel "
            "ORDER BY id LIMIT 1").fetchone()  # type: ignore[misc]
    epsg = {"filter-crs": "http://www.opengis.net/def/crs/EPSG/0/6383"}
    same = f"(SELECT geom FROM registry.land_parcel WHERE id = {int(pid)})"  # noqa: S608
    assert ids_of(server, ITEMS, filter=f"S_EQUALS(geometry, {shape})", **epsg) == [pid]
    assert ids_of(server, ITEMS, filter=f"S_CONTAINS(geometry, {inside})", **epsg) == [pid]
    assert ids_of(server, ITEMS, filter=f"S_TOUCHES(geometry, {shape})", **epsg) == sql_ids(
        demo_url, "land_parcel", f"ST_Touches(geom, {same})", allow_empty=True)
def property_property(server: str, demo_url: str) -> None:
    path = "/collections/advertising_structures/items"
    assert ids_of(server, path, filter="issued_on < valid_from") == sql_ids(
        demo_url, "advertising_structure", "issued_on < valid_from")


def case_insensitive(server: str, demo_url: str) -> None:
    with psycopg.connect(demo_url) as conn:
        name = conn.execute("SELECT name FROM registry.street ORDER BY id LIMIT 1"
                            ).fetchone()[0]  # type: ignore[index]
    shouted = name.upper()
    assert shouted != name
    assert ids_of(server, "/collections/streets/items", filter=f"name = '{shouted}'") == []
    assert ids_of(server, "/collections/streets/items",
                  filter=f"CASEI(name) = CASEI('{shouted}')") == sql_ids(
        demo_url, "street", f"name = '{name}'")


CHECKS: dict[str, Callable[[str, str], None] | str] = {
    "ogcapi-common-1/1.0/conf/core": landing,
    "ogcapi-common-1/1.0/conf/landing-page": landing,
    "ogcapi-common-1/1.0/conf/json": json_encoding,
    "ogcapi-common-1/1.0/conf/html": html_encoding,
    "ogcapi-common-1/1.0/conf/oas30": openapi,
    "ogcapi-common-2/1.0/conf/collections": collections,
    "ogcapi-common-3/1.0/conf/schemas": schemas,
    "ogcapi-features-1/1.0/conf/core": features_core,
    "ogcapi-features-1/1.0/conf/geojson": geojson,
    "ogcapi-features-1/1.0/conf/html": features_html,
    "ogcapi-features-1/1.0/conf/oas30": openapi,
    "ogcapi-features-2/1.0/conf/crs": crs,
    "ogcapi-features-3/1.0/conf/filter": filter_param,
    "ogcapi-features-3/1.0/conf/features-filter": features_filter,
    "ogcapi-features-3/1.0/conf/queryables": queryables,
    "ogcapi-features-3/1.0/conf/queryables-query-parameters": queryable_parameters,
    "ogcapi-features-4/1.0/conf/create-replace-delete":
        "tests.test_ogc_writes:test_create_read_update_delete_with_etags_and_history",
    "ogcapi-features-4/1.0/conf/update":
        "tests.test_ogc_writes:test_create_read_update_delete_with_etags_and_history",
    "cql2/1.0/conf/basic-cql2": basic_cql2,
    "cql2/1.0/conf/cql2-text": cql2_text,
    "cql2/1.0/conf/cql2-json": cql2_json,
    "cql2/1.0/conf/advanced-comparison-operators": advanced_comparison,
    "cql2/1.0/conf/basic-spatial-functions": basic_spatial,
    "cql2/1.0/conf/spatial-functions": spatial_functions,
    "cql2/1.0/conf/temporal-functions":
        "tests.test_cql2_temporal:test_every_temporal_function_matches_the_standard",
    "cql2/1.0/conf/property-property": property_property,
    "cql2/1.0/conf/case-insensitive-comparison": case_insensitive,
    "cql2/1.0/conf/accent-insensitive-comparison":
        "tests.test_conformance_classes:test_accenti_ignores_accents_and_casei_case",
    "ogcapi-tiles-1/1.0/conf/core":
        "tests.test_tiles:test_city_tile_decodes_with_layers_extent_attributes_and_buffer",
    "ogcapi-tiles-1/1.0/conf/mvt":
        "tests.test_tiles:test_city_tile_decodes_with_layers_extent_attributes_and_buffer",
    "ogcapi-tiles-1/1.0/conf/tileset": "tests.test_tiles:test_ogc_api_tiles_documents",
    "ogcapi-tiles-1/1.0/conf/tilesets-list": "tests.test_tiles:test_ogc_api_tiles_documents",
    "ogcapi-tiles-1/1.0/conf/dataset-tilesets":
        "tests.test_tiles:test_a_client_finds_the_tiles_by_following_links",
    "ogcapi-tiles-1/1.0/conf/geodata-tilesets":
        "tests.test_tiles:test_collection_tile_has_one_layer_and_zoom_rules_apply",
    "ogcapi-tiles-1/1.0/conf/collections-selection":
        "tests.test_tiles:test_etag_revalidation_and_collections_parameter",
    "tms/2.0/conf/tilematrixset": "tests.test_tiles:test_ogc_api_tiles_documents",
    "tms/2.0/conf/json-tilematrixset": "tests.test_tiles:test_ogc_api_tiles_documents",
    "ogcapi-tiles-1/1.0/conf/png":
        "tests.test_rasters_http:test_tile_pixels_have_the_colours_of_the_place",
    "ogcapi-coverages-1/1.0/conf/core":
        "tests.test_rasters_http:test_collections_and_conformance_describe_the_coverages",
    "ogcapi-coverages-1/1.0/conf/crs":
        "tests.test_rasters_http:test_coverage_subset_has_the_bounds_and_crs_asked_for",
    "ogcapi-coverages-1/1.0/conf/geotiff":
        "tests.test_rasters_http:test_coverage_subset_has_the_bounds_and_crs_asked_for",
}


def claimed(server: str) -> list[str]:
    return get(server, "/conformance", f="json").json()["conformsTo"]


def test_every_claimed_class_is_tested(server: str) -> None:
    classes = claimed(server)
    missing = [c for c in classes if c.removeprefix(SPEC) not in CHECKS]
    assert not missing, f"claimed without a test: {missing}"
    for check in CHECKS.values():
        if isinstance(check, str):  # a test elsewhere: it must exist
            module, name = check.split(":")
            assert callable(getattr(importlib.import_module(module), name)), check
    # and the HTML page claims the same
    html = get(server, "/conformance", f="html").text
    assert all(c in html for c in classes)
    assert "advanced-property-roles" not in html


@pytest.mark.parametrize("suffix", sorted(k for k, v in CHECKS.items() if callable(v)))
def test_the_class_holds(server: str, demo_url: str, suffix: str) -> None:
    check = CHECKS[suffix]
    assert callable(check)
    check(server, demo_url)


def test_accenti_ignores_accents_and_casei_case(conn: psycopg.Connection) -> None:
    """ACCENTI is PostgreSQL's unaccent (migration 0005), CASEI lower(): each alone does only
    its own part, together they match every spelling."""
    reg = default_catalog().get("advertising_structures")
    make_boundary(conn)
    spellings = {"Café «Ёлка»": 0, "Cafe «Елка»": 0, "CAFE «ЕЛКА»": 0, "Кафе «Ялинка»": 0}
    for n, text in enumerate(spellings):
        spellings[text] = make_permit(conn, number=f"А-{n}", at=(299_865.0 + 50 * n, 5_476_633.0),
                                      location_text=text)

    def found(cql: str) -> set[str]:
        flt = Filter(reg, SRID)
        flt.add_cql2(cql)
        rows = conn.execute(sql.SQL("SELECT t.location_text FROM {} AS t WHERE {}").format(
            sql.Identifier(*reg.public_view), flt.where()), flt.params).fetchall()
        return {r[0] for r in rows} & set(spellings)

    assert found("location_text = 'Cafe «Елка»'") == {"Cafe «Елка»"}
    assert found("ACCENTI(location_text) = ACCENTI('Café «Ёлка»')") == {"Café «Ёлка»",
                                                                         "Cafe «Елка»"}
    assert found("CASEI(location_text) = CASEI('cafe «елка»')") == {"Cafe «Елка»",
                                                                     "CAFE «ЕЛКА»"}
    assert found("CASEI(ACCENTI(location_text)) = CASEI(ACCENTI('cafÉ «ёлка»'))") == {
        "Café «Ёлка»", "Cafe «Елка»", "CAFE «ЕЛКА»"}
    assert found("ACCENTI(CASEI(location_text)) LIKE ACCENTI(CASEI('%CAFE%'))") == {
        "Café «Ёлка»", "Cafe «Елка»", "CAFE «ЕЛКА»"}
