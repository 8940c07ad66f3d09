"""OGC API – Features Part 4: create, replace, update, delete — roles, rules, ETags, history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from gis.cluster import EmbeddedCluster
from tests.conftest import DEMO_TODAY, clone, drop, served

TOKENS = {"tok-planner": "olena:planner", "tok-registrar": "ivan:registrar",
          "tok-verifier": "taras:planner"}
PLANNER = {"Authorization": "Bearer tok-planner"}
REGISTRAR = {"Authorization": "Bearer tok-registrar"}
VERIFIER = {"Authorization": "Bearer tok-verifier"}  # verifies land_parcels (land resources)
SQUARE = {"type": "MultiPolygon", "coordinates": [[[[27.05, 49.46], [27.0503, 49.46],
                                                    [27.0503, 49.4602], [27.05, 49.4602],
                                                    [27.05, 49.46]]]]}


@pytest.fixture(scope="module")
def writable(cluster: EmbeddedCluster, template_url: str) -> Iterator[tuple[str, str]]:
    """Return (server URL, database URL) of a server over a demo database tests may change."""
    from app.demo.load import load_demo
    from gis.auth import Role
    from gis.staff_rights import grant_verifier, set_department
    from gis.users import add_user

    url = clone(cluster, "gis_template", "writes")
    with psycopg.connect(url) as conn:
        load_demo(conn, scale=0.01, seed=68, today=DEMO_TODAY, srid=6383)
        add_user(conn, "taras", frozenset({Role.PLANNER}), password=None, with_db_login=False)
        set_department(conn, "taras", "land_resources")
        grant_verifier(conn, "taras", "land_parcels")
        conn.commit()
    with served({"GIS_DATABASE_URL": url, "GIS_AUTH__TOKENS": json.dumps(TOKENS)}) as base:
        yield base, url
    drop(cluster, "writes")


def vacate_parcel(server: str, url: str, offset: int, crs: str = "4326"
                  ) -> tuple[str, dict[str, Any]]:
    """Delete a demo parcel through the API; return its number and geometry (to reuse the
    place: new parcels must lie in the community and not overlap others)."""
    flip = "ST_FlipCoordinates" if crs == "6383" else ""
    with psycopg.connect(url) as conn:
        obj_id, number, geometry = conn.execute(
            f"SELECT id, cadastral_number, ST_AsGeoJSON({flip}(ST_Transform(geom, {crs})), 9) "  # noqa: S608
            "FROM registry.land_parcel ORDER BY id OFFSET %s LIMIT 1", (offset,)).fetchone()
    r = httpx.delete(f"{server}/collections/land_parcels/items/{obj_id}", headers=PLANNER)
    assert r.status_code == 204, r.text
    approve(server, obj_id, None)  # the place is free in the published registry too
    return number, json.loads(geometry)


def approve(server: str, obj_id: int | str, version: int | None) -> None:
    """Have the land resources department's verifier publish a pending change."""
    r = httpx.post(f"{server}/registries/land_parcels/decisions", headers=VERIFIER,
                   json={"decision": "approve", "items": [{"id": int(obj_id),
                                                           "version": version}]})
    assert r.status_code == 200, r.text


def parcel(number: str, geometry: dict[str, Any] | None = None, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry or SQUARE, "properties": {
        "cadastral_number": number, "category": "200", "purpose_code": "02.01",
        "ownership_form": "100", "holder_kind": "natural", "holder_name": "Бондар Петро",
        "holder_rnokpp": "3012345678", **props}}


def test_create_read_update_delete_with_etags_and_history(writable: tuple[str, str]) -> None:
    server, url = writable
    items = f"{server}/collections/land_parcels/items"
    number, place = vacate_parcel(server, url, 0)
    r = httpx.post(items, json=parcel(number, place), headers=PLANNER)
    assert r.status_code == 201, r.text
    location, etag = r.headers["location"], r.headers["etag"]
    assert etag == '"1"'
    obj_id = int(location.rsplit("/", 1)[1])
    assert httpx.get(location + "?f=json").status_code == 404  # not verified yet
    approve(server, obj_id, 1)
    got = httpx.get(location + "?f=json")
    assert got.json()["properties"]["holder_name"] == "фізична особа"  # public view masks
    assert "holder_rnokpp" not in got.json()["properties"]
    assert got.headers["etag"] != etag  # the public's copy has its own tag (test_security)
    assert httpx.get(location + "?f=json", headers=PLANNER).headers["etag"] == etag

    r = httpx.patch(location, json={"properties": {"purpose_code": "02.03"}},
                    headers={**PLANNER, "If-Match": etag})
    assert r.status_code == 204, r.text
    assert r.headers["etag"] == '"2"'
    stale = httpx.patch(location, json={"properties": {"purpose_code": "02.10"}},
                        headers={**PLANNER, "If-Match": etag})
    assert stale.status_code == 412 and "changed meanwhile" in stale.json()["detail"]

    r = httpx.put(location, json=parcel(number, place, purpose_code="02.10"),
                  headers={**PLANNER, "If-Match": '"2"'})
    assert r.status_code == 204, r.text
    assert httpx.get(location + "?f=json").json()["properties"]["purpose_code"] == "02.01"
    approve(server, obj_id, 3)  # 02.03 (version 2) was never public: 02.10 replaced it first
    assert httpx.get(location + "?f=json").json()["properties"]["purpose_code"] == "02.10"

    assert httpx.delete(location, headers=PLANNER).status_code == 204
    assert httpx.get(location + "?f=json").status_code == 200  # until the deletion is verified
    approve(server, obj_id, None)
    assert httpx.get(location + "?f=json").status_code == 404
    with psycopg.connect(url) as conn:
        hist = conn.execute("SELECT version, operation, changed_by, ended_by, purpose_code FROM "
                            "history.land_parcel WHERE id = %s ORDER BY history_id",
                            (obj_id,)).fetchall()
    assert hist == [(1, "U", "olena", "olena", "02.01"), (2, "U", "olena", "olena", "02.03"),
                    (3, "D", "olena", "olena", "02.10")]
    # the place is free again for the next test run's parcel
    r = httpx.post(items, json=parcel(number, place), headers=PLANNER)
    assert r.status_code == 201, r.text


def test_a_patch_that_changes_nothing_writes_nothing(writable: tuple[str, str]) -> None:
    """``{"type": "Feature"}`` (or only a derived field) made a new version, a history entry
    and a change for the holder to verify with nothing in it."""
    server, url = writable
    with psycopg.connect(url) as conn:
        obj_id, version = conn.execute("SELECT id, version FROM registry.land_parcel "
                                       "ORDER BY id OFFSET 20 LIMIT 1").fetchone()
    location = f"{server}/collections/land_parcels/items/{obj_id}"
    for body in ({"type": "Feature"}, {"properties": {"area_computed_ha": 5}}):
        r = httpx.patch(location, json=body, headers={**PLANNER, "If-Match": f'"{version}"'})
        assert r.status_code == 204, r.text
        assert r.headers["etag"] == f'"{version}"'
    stale = httpx.patch(location, json={}, headers={**PLANNER, "If-Match": f'"{version + 7}"'})
    assert stale.status_code == 412  # the precondition is still the precondition
    # an ETag has one spelling: int() read " 3", "3_0" and Arabic-Indic digits as versions; a
    # list was "not an ETag"; a 5,000-character header came back whole in the message
    arabic = "".join(chr(0x660 + int(d)) for d in str(version))
    for odd in (f'"{arabic}"', f'"0{version}"', f'"+{version}"', f'"{version}", "{version}"',
                '"' + "9" * 5000 + '"'):
        r = httpx.patch(location, json={}, headers={**PLANNER, "If-Match": odd.encode()})
        assert r.status_code == 412, (odd[:40], r.text)
        assert len(r.json()["detail"]) < 200, r.json()["detail"][:300]
    several = httpx.patch(location, json={}, headers={**PLANNER, "If-Match": f'"1", "{version}"'})
    assert "several ETags" in several.json()["detail"]
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT version FROM registry.land_parcel WHERE id = %s",
                            (obj_id,)).fetchone() == (version,)
        assert conn.execute("SELECT count(*) FROM verification.pending WHERE collection = "
                            "'land_parcels' AND object_id = %s", (obj_id,)).fetchone() == (0,)


def test_a_feature_naming_another_object_than_its_path_is_refused(
        writable: tuple[str, str]) -> None:
    """``PATCH …/items/3`` with ``"id": 5`` changed object 3 while its client meant 5."""
    server, url = writable
    with psycopg.connect(url) as conn:
        first, other = (r[0] for r in conn.execute(
            "SELECT id FROM registry.land_parcel ORDER BY id OFFSET 21 LIMIT 2"))
        before = conn.execute("SELECT version FROM registry.land_parcel WHERE id = %s",
                              (first,)).fetchone()
    location = f"{server}/collections/land_parcels/items/{first}"
    for body, where in (({"type": "Feature", "id": other, "properties": {"purpose_text": "x"}},
                         "id"),
                        ({"properties": {"id": other, "purpose_text": "x"}}, "properties.id")):
        for method in ("PATCH", "PUT"):
            r = httpx.request(method, location, json=body, headers=PLANNER)
            assert r.status_code == 400, r.text
            assert r.json()["detail"].startswith(f"the Feature's {where} {other} is not the "
                                                 f"object of the path ({first})")
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT version FROM registry.land_parcel WHERE id = %s",
                            (first,)).fetchone() == before
    # an id that is the path's own (as QGIS echoes it) is welcome
    r = httpx.patch(location, json={"type": "Feature", "id": str(first), "properties": {
        "id": first, "purpose_text": "своя ділянка"}}, headers=PLANNER)
    assert r.status_code == 204, r.text


def test_geometry_in_ucs2000_via_content_crs(writable: tuple[str, str]) -> None:
    server, url = writable
    with psycopg.connect(url) as conn:
        area_before, x_before = conn.execute(
            "SELECT ST_Area(geom), ST_XMin(geom) FROM registry.land_parcel ORDER BY id "
            "OFFSET 1 LIMIT 1").fetchone()
    # northing-first coordinates of EPSG:6383, as the database holds them, flipped
    number, place = vacate_parcel(server, url, 1, crs="6383")
    feature = parcel(number, place)
    r = httpx.post(f"{server}/collections/land_parcels/items", json=feature,
                   headers={**PLANNER, "Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/6383>"})
    assert r.status_code == 201, r.text
    obj_id = r.json()["id"]
    with psycopg.connect(url) as conn:
        area, x = conn.execute("SELECT ST_Area(geom), ST_XMin(geom) FROM registry.land_parcel "
                               "WHERE id = %s", (obj_id,)).fetchone()
    assert area == pytest.approx(area_before, abs=0.01) and x == pytest.approx(x_before, abs=0.001)


def test_a_surveyed_geometry_with_heights_is_stored_in_plan(writable: tuple[str, str]) -> None:
    # GNSS surveys and QGIS layers with Z send [lon, lat, height]: the registries are plans
    # (2D), as an import makes them; this once answered "a value … does not fit" (400)
    server, url = writable
    number, place = vacate_parcel(server, url, 2)
    with_z = {**place, "coordinates": [[[[*xy, 312.5] for xy in ring] for ring in polygon]
                                       for polygon in place["coordinates"]]}
    r = httpx.post(f"{server}/collections/land_parcels/items", json=parcel(number, with_z),
                   headers=PLANNER)
    assert r.status_code == 201, r.text
    obj_id = r.json()["id"]
    with psycopg.connect(url) as conn:
        dims, off_m = conn.execute(
            "SELECT ST_NDims(geom), ST_HausdorffDistance(geom, ST_Transform(ST_SetSRID("
            "ST_GeomFromGeoJSON(%s), 4326), ST_SRID(geom))) FROM registry.land_parcel "
            "WHERE id = %s", (json.dumps(place), obj_id)).fetchone()
    assert dims == 2 and off_m < 0.001
    r = httpx.get(f"{server}/collections/land_parcels/items/{obj_id}?pending=true",
                  headers=PLANNER)
    etag = r.headers["etag"]
    r = httpx.put(f"{server}/collections/land_parcels/items/{obj_id}",
                  json=parcel(number, with_z), headers={**PLANNER, "If-Match": etag})
    assert r.status_code == 204, r.text


def test_a_decomposed_text_is_stored_as_a_keyboard_types_it(writable: tuple[str, str]) -> None:
    """A name pasted with й as и + U+0306 (from a PDF, on a Mac) is stored composed (NFC), as
    every import stores it: the name a search typed on a keyboard finds."""
    import unicodedata

    server, url = writable
    number, place = vacate_parcel(server, url, 3)
    name = "Мирослава Лисиця-Йосипенко"
    r = httpx.post(f"{server}/collections/land_parcels/items", headers=PLANNER,
                   json=parcel(number, place, holder_name=unicodedata.normalize("NFD", name)))
    assert r.status_code == 201, r.text
    got = httpx.get(r.headers["location"] + "?f=json&pending=true", headers=PLANNER).json()
    assert got["properties"]["holder_name"] == name
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT holder_name FROM registry.land_parcel WHERE "
                            "cadastral_number = %s", (number,)).fetchone() == (name,)


@pytest.mark.parametrize(("headers", "status"), [({}, 401), (REGISTRAR, 403),
                                                 ({"Authorization": "Bearer nope"}, 401)])
def test_writes_need_the_right_role(writable: tuple[str, str], headers: dict[str, str],
                                    status: int) -> None:
    server, _ = writable
    r = httpx.post(f"{server}/collections/land_parcels/items",
                   json=parcel("6810100000:09:001:0003"), headers=headers)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")
    # a 401 names the scheme that would do (RFC 9110 11.6.1): an anonymous one named none
    assert (r.headers.get("www-authenticate") == 'Bearer realm="hromada-gis"') == (status == 401)


BAD_FEATURES = [
    (parcel("68101:1"), "cadastral_number"),
    (parcel("6810100000:09:001:0004", category="1000"), "category"),
    (parcel("6810100000:09:001:0005", shoe_size=42), "shoe_size"),
    ({"type": "Feature", "geometry": SQUARE, "properties": {"category": "200"}},
     "cadastral_number"),
    ({**parcel("6810100000:09:001:0006"), "geometry": {"type": "Polygon", "coordinates": [[
        [27.05, 49.46], [27.051, 49.461], [27.051, 49.46], [27.05, 49.461], [27.05, 49.46]]]}},
     "Self-intersection"),
    ({**parcel("6810100000:09:001:0007"), "geometry": {"type": "Point",
                                                         "coordinates": [27.05, 49.46]}},
     "MultiPolygon"),
    (parcel("6810100000:09:001:0008", area_declared_ha="lots"),
     'land_parcels.area_declared_ha: "lots" is not a valid number'),
    # a line break or a text-direction control in a one-line text was stored as it came
    (parcel("6810100000:09:001:0015", purpose_text="Для городу\n9999\tdelete"),
     "land_parcels.purpose_text: the text holds a control character (U+000A) at position "
     "11; it must be one line of text"),
    (parcel("6810100000:09:001:0016", holder_name="Іван \u202eенко"),
     "land_parcels.holder_name: the text holds a text-direction control (U+202E) at "
     "position 6; it must be one line of text"),
    (parcel("6810100000:09:001:0012", area_declared_ha=True),  # Python's True, before
     "land_parcels.area_declared_ha: true is not a valid number"),
    # an open ring was refused in GEOS's words ("IllegalArgumentException: Points of
    # LinearRing do not form a closed linestring")
    ({**parcel("6810100000:09:001:0009"), "geometry": {"type": "Polygon", "coordinates": [[
        [27.05, 49.46], [27.051, 49.46], [27.051, 49.461], [27.05, 49.461]]]}},
     "ring 1 of polygon 1 is not closed: it ends at (27.05, 49.461), not at its first "
     "position (27.05, 49.46)"),
    ({**parcel("6810100000:09:001:0010"), "geometry": {"type": "MultiPolygon", "coordinates": [
        [[[27.05, 49.46], [27.051, 49.46], [27.05, 49.46]]]]}},
     "ring 1 of polygon 1 has 3 positions: a closed ring needs at least 4"),
    # nested wrongly: refused in numpy's words ("iteration over a 0-d array", "setting an
    # array element with a sequence. The requested array has an inhomogeneous shape …")
    ({**parcel("6810100000:09:001:0013"), "geometry": {"type": "Polygon", "coordinates": [[
        [27.05, 49.46], [27.051], [27.051, 49.461], [27.05, 49.46]]]}},
     "feature geometry: ring 1, position 2 of the Polygon is [27.051]: a position is 2 or 3 "
     "numbers (x, y[, z])"),
    ({**parcel("6810100000:09:001:0014"), "geometry": {"type": "MultiPolygon",
                                                         "coordinates": {"a": 1}}},
     "feature geometry: the MultiPolygon is not a list"),
]


@pytest.mark.parametrize(("feature", "needle"), BAD_FEATURES)
def test_invalid_features_are_refused_with_the_reason(writable: tuple[str, str],
                                                      feature: dict[str, Any],
                                                      needle: str) -> None:
    server, _ = writable
    r = httpx.post(f"{server}/collections/land_parcels/items", json=feature, headers=PLANNER)
    assert r.status_code == 422, r.text
    assert needle in r.json()["detail"]


def test_duplicate_cadastral_number_is_refused(writable: tuple[str, str]) -> None:
    server, url = writable
    with psycopg.connect(url) as conn:
        existing = conn.execute("SELECT cadastral_number FROM registry.land_parcel "
                                "LIMIT 1").fetchone()[0]
    r = httpx.post(f"{server}/collections/land_parcels/items", json=parcel(existing),
                   headers=PLANNER)
    detail = r.json()["detail"]
    assert r.status_code == 422 and existing in detail
    # in the registry's words: the field and the rule, never the constraint or its Key (…)
    assert detail.startswith("land_parcels.cadastral_number:") and "must be unique" in detail
    assert "uq_" not in detail and "Key (" not in detail and r.json()["field"] == \
        "cadastral_number"


def test_non_json_body_is_a_400(writable: tuple[str, str]) -> None:
    server, _ = writable
    r = httpx.post(f"{server}/collections/land_parcels/items", content=b"not json",
                   headers=PLANNER)
    assert r.status_code == 400
    # a number no field can hold was read as infinity ("inf is not a valid number"), or
    # echoed with its 400 digits
    body = json.dumps(parcel("6810100000:09:001:0011", area_declared_ha=123.456))
    for number, shown in (("1e309", "1e309"), ("1" + "0" * 400, "100000000000…(401 characters)")):
        r = httpx.post(f"{server}/collections/land_parcels/items", headers=PLANNER,
                       content=body.replace("123.456", number))
        assert r.status_code == 400, r.text
        assert r.json()["detail"] == f"request body holds a number too large to store: {shown}"
    # a name given twice in one object: the last value was written, silently
    twice = body.replace('"category": "200"', '"category": "100", "category": "200"')
    r = httpx.post(f"{server}/collections/land_parcels/items", headers=PLANNER, content=twice)
    assert r.status_code == 400, r.text
    assert r.json()["detail"] == ("request body names 'category' twice in one object: give it "
                                  "once")


def test_the_api_definition_describes_the_writes_this_server_does(
        writable: tuple[str, str]) -> None:
    """pygeoapi's document said a POST to items searches with CQL2 ("Get … items with CQL2 or
    add item") and had no PATCH; the writes are Part 4's, for staff, with their statuses."""
    server, _ = writable
    doc = httpx.get(f"{server}/openapi", params={"f": "json"}).json()
    post = doc["paths"]["/collections/land_parcels/items"]["post"]
    assert post["summary"].startswith("Add an object") and "CQL2" not in json.dumps(post)
    assert {"application/geo+json", "application/json"} == set(post["requestBody"]["content"])
    assert {"201", "400", "401", "403", "422"} <= set(post["responses"])
    one = doc["paths"]["/collections/land_parcels/items/{featureId}"]
    assert {"get", "put", "patch", "delete"} <= set(one)
    assert "application/merge-patch+json" in one["patch"]["requestBody"]["content"]
    for method in ("put", "patch", "delete"):
        assert {"412", "404"} <= set(one[method]["responses"]), method
        assert "If-Match" in [p["name"] for p in one[method]["parameters"]]
    # what it says is what happens: a write without credentials is a 401
    assert httpx.post(f"{server}/collections/land_parcels/items",
                      json={"type": "Feature"}).status_code == 401


def test_a_body_that_is_not_one_feature_says_what_it_is(writable: tuple[str, str]) -> None:
    """A FeatureCollection, a bare geometry or a form is not a write of one object: each gets
    its own status and words (it was a 422 "required fields missing"), and nothing is
    written."""
    server, url = writable
    items = f"{server}/collections/land_parcels/items"
    with psycopg.connect(url) as conn:
        before = conn.execute("SELECT count(*), sum(version) FROM registry.land_parcel"
                              ).fetchone()
    ring = [[26.97, 49.42], [26.9701, 49.42], [26.9701, 49.4201], [26.97, 49.42]]
    one = {"type": "Feature", "properties": {"cadastral_number": "6810100000:02:099:0999"},
           "geometry": {"type": "Polygon", "coordinates": [ring]}}
    r = httpx.post(items, json={"type": "FeatureCollection", "features": [one]},
                   headers=PLANNER)
    assert r.status_code == 400, r.text
    assert "'FeatureCollection': a write takes one Feature" in r.json()["detail"]
    assert "gis ingest" in r.json()["detail"]
    r = httpx.post(items, json=one["geometry"], headers=PLANNER)
    assert r.status_code == 400 and "'Polygon'" in r.json()["detail"], r.text
    # a CQL2 search POSTed as pygeoapi's own OpenAPI described it (was: 422, required fields)
    r = httpx.post(items, json={"op": "=", "args": [{"property": "category"}, "100"]},
                   headers=PLANNER)
    assert r.status_code == 400 and "is a CQL2 expression, not a Feature" in r.json()["detail"]
    for media in ("text/csv", "multipart/form-data; boundary=x", "application/xml"):
        r = httpx.post(items, content=json.dumps(one).encode(),
                       headers={**PLANNER, "Content-Type": media})
        assert r.status_code == 415, (media, r.text)
        assert r.json()["code"] == "UnsupportedMediaType"
        assert media.split(";")[0] in r.json()["detail"] and "application/geo+json" in \
            r.json()["detail"]
    r = httpx.put(f"{items}/1", content=b"{}", headers={**PLANNER, "Content-Type": "text/plain"})
    assert r.status_code == 415, r.text
    with psycopg.connect(url) as conn:
        after = conn.execute("SELECT count(*), sum(version) FROM registry.land_parcel"
                             ).fetchone()
    assert after == before
