"""Split a parcel by a line, merge adjacent parcels: over HTTP, one transaction, the same rules.

The new parcels get new numbers from the planner; the originals are retired into history;
``history.lineage`` and the change log link both ways; a retired number is never given again;
anything refused leaves the originals as they were.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from gis.cluster import EmbeddedCluster
from tests.conftest import DEMO_TODAY, clone, drop, served

TOKENS = {"tok-planner": "olena:planner", "tok-registrar": "ivan:registrar",
          "tok-verifier": "taras:planner"}
PLANNER = {"Authorization": "Bearer tok-planner"}
REGISTRAR = {"Authorization": "Bearer tok-registrar"}
VERIFIER = {"Authorization": "Bearer tok-verifier"}


@pytest.fixture(scope="module")
def city(cluster: EmbeddedCluster, template_url: str) -> Iterator[tuple[str, str]]:
    from app.demo.load import load_demo
    from gis.auth import Role
    from gis.staff_rights import grant_verifier, set_department
    from gis.users import add_user

    url = clone(cluster, "gis_template", "reshape")
    with psycopg.connect(url) as conn:
        load_demo(conn, scale=0.01, seed=68, today=DEMO_TODAY, srid=6383)
        add_user(conn, "taras", frozenset({Role.PLANNER}), password=None, with_db_login=False)
        set_department(conn, "taras", "land_resources")
        grant_verifier(conn, "taras", "land_parcels")
        conn.commit()
    with served({"GIS_DATABASE_URL": url, "GIS_AUTH__TOKENS": json.dumps(TOKENS)}) as base:
        yield base, url
    drop(cluster, "reshape")


def crossing_line(url: str, obj_id: int, through: float = 0.5) -> dict[str, Any]:
    """Return a north–south line (CRS84) across the parcel's box at ``through`` of its width,
    reaching 5 m beyond its box."""
    with psycopg.connect(url) as conn:
        geometry = conn.execute(
            "SELECT ST_AsGeoJSON(ST_Transform(ST_MakeLine(ST_Point(x, ST_YMin(b) - 5, 6383), "
            "ST_Point(x, ST_YMax(b) + 5, 6383)), 4326), 9) FROM (SELECT geom AS b, ST_XMin(geom) "
            "+ (ST_XMax(geom) - ST_XMin(geom)) * %s AS x FROM registry.land_parcel "
            "WHERE id = %s) s", (through, obj_id)).fetchone()[0]
    return json.loads(geometry)


def parcel_row(url: str, offset: int) -> tuple[int, str, int, float]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT id, cadastral_number, version, ST_Area(geom) FROM "
                            "registry.land_parcel ORDER BY id OFFSET %s LIMIT 1",
                            (offset,)).fetchone()


def fresh_numbers(number: str, *suffixes: str) -> list[str]:
    return [number[:-4] + s for s in suffixes]


def test_split_by_a_line_retires_the_parcel_and_links_the_parts(
        city: tuple[str, str]) -> None:
    server, url = city
    obj_id, number, version, area = parcel_row(url, 3)
    line = crossing_line(url, obj_id, 0.4)
    split = f"{server}/collections/land_parcels/items/{obj_id}/split"
    preview = httpx.post(split, json={"line": line, "preview": True}, headers=PLANNER)
    assert preview.status_code == 200, preview.text
    areas = [f["properties"]["area_m2"] for f in preview.json()["features"]]
    assert len(areas) == 2 and areas[0] >= areas[1]
    assert sum(areas) == pytest.approx(area, abs=0.05)
    assert parcel_row(url, 3)[0] == obj_id  # a preview writes nothing

    numbers = fresh_numbers(number, "7001", "7002")
    r = httpx.post(split, json={"line": line, "parts": [
        {"properties": {"cadastral_number": numbers[0], "area_declared_ha": areas[0] / 1e4}},
        {"properties": {"cadastral_number": numbers[1]}}]},
        headers={**PLANNER, "If-Match": f'"{version}"'})
    assert r.status_code == 201, r.text
    made = r.json()["features"]
    assert [f["version"] for f in made] == [1, 1]
    assert httpx.get(f"{server}/collections/land_parcels/items/{obj_id}?f=json"
                     ).status_code == 200  # until the holder verifies the split
    # approving one part decides the whole split: the original and both parts
    decided = httpx.post(f"{server}/registries/land_parcels/decisions", headers=VERIFIER,
                         json={"decision": "approve", "items": [{"id": made[0]["id"]}]})
    assert decided.status_code == 200, decided.text
    assert sorted(decided.json()["ids"]) == sorted([obj_id, *(f["id"] for f in made)])
    assert httpx.get(f"{server}/collections/land_parcels/items/{obj_id}?f=json"
                     ).status_code == 404
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT cadastral_number, category, purpose_code, holder_name, area_declared_ha, "
            "changed_by FROM registry.land_parcel WHERE id = ANY(%s) ORDER BY ST_Area(geom) "
            "DESC", ([f["id"] for f in made],)).fetchall()
        parent = conn.execute("SELECT category, purpose_code, holder_name FROM "
                              "history.land_parcel WHERE id = %s AND operation = 'D'",
                              (obj_id,)).fetchone()
        assert [r[0] for r in rows] == numbers
        assert all(r[1:4] == parent for r in rows)  # inherited from the parcel
        assert rows[1][4] is None  # the declared area is the part's own, not inherited
        assert {r[5] for r in rows} == {"olena"}
        union = conn.execute("SELECT ST_Area(ST_Union(geom)) FROM registry.land_parcel "
                             "WHERE id = ANY(%s)", ([f["id"] for f in made],)).fetchone()[0]
        assert union == pytest.approx(area, abs=0.01)
        ended = conn.execute("SELECT ended_by FROM history.land_parcel WHERE id = %s AND "
                             "operation = 'D'", (obj_id,)).fetchone()
        assert ended == ("olena",)
    log = httpx.get(f"{server}/registries/land_parcels/items/{obj_id}/history").json()
    assert log["versions"][-1]["action"] == "split"
    assert sorted(log["versions"][-1]["into"]) == sorted(f["id"] for f in made)
    child = httpx.get(f"{server}/registries/land_parcels/items/{made[0]['id']}/history").json()
    assert child["versions"][0]["from"] == [obj_id]
    assert child["versions"][0]["operation"] == "split"

    # a retired number is never given again, on any path
    again = httpx.post(f"{server}/collections/land_parcels/items/{made[1]['id']}/split",
                       json={"line": crossing_line(url, made[1]["id"]), "parts": [
                           {"properties": {"cadastral_number": number}},
                           {"properties": {"cadastral_number": numbers[1][:-4] + "7003"}}]},
                       headers=PLANNER)
    assert again.status_code == 422
    assert f"parcel {number}: this cadastral number was retired when parcel #{obj_id} was " \
           "divided" in again.json()["detail"]


BAD_SPLITS = [
    ("inside", "the split line does not cross it"),
    ("wrong_crs", "the split line does not cross it"),
    ("count", "the line cuts it into 2 parts; give the properties"),
    ("malformed", "does not match the format"),
    ("own_number", "is retired by this change"),
    ("twice", "two parts cannot share the cadastral number"),
    ("point", "the split line must be a GeoJSON LineString"),
    ("sliver", "leaves a sliver of"),
    # PostGIS's "transform: Invalid coordinate (2049)" was the answer
    ("far", "the split line cannot be placed in the city's coordinate system; check its CRS "
            "(Content-Crs) and coordinates"),
]


@pytest.mark.parametrize(("case", "needle"), BAD_SPLITS)
def test_a_bad_split_is_refused_naming_the_parcel_and_writes_nothing(
        city: tuple[str, str], case: str, needle: str) -> None:
    server, url = city
    obj_id, number, version, _ = parcel_row(url, 10)
    line = crossing_line(url, obj_id, 0.0003 if case == "sliver" else 0.5)
    numbers = fresh_numbers(number, "8001", "8002")
    parts = [{"properties": {"cadastral_number": n}} for n in numbers]
    headers = dict(PLANNER)
    if case == "inside":  # a short line within the parcel
        with psycopg.connect(url) as conn:
            line = json.loads(conn.execute(
                "SELECT ST_AsGeoJSON(ST_Transform(ST_MakeLine(ST_Translate(c, -1, 0), "
                "ST_Translate(c, 1, 0)), 4326), 9) FROM (SELECT ST_PointOnSurface(geom) AS c "
                "FROM registry.land_parcel WHERE id = %s) s", (obj_id,)).fetchone()[0])
    elif case == "wrong_crs":  # lon/lat declared as UCS-2000 metres
        headers["Content-Crs"] = "<http://www.opengis.net/def/crs/EPSG/0/6383>"
    elif case == "count":
        parts = parts[:1]
    elif case == "malformed":
        parts[1] = {"properties": {"cadastral_number": "68101:1:1:1"}}
    elif case == "own_number":
        parts[0] = {"properties": {"cadastral_number": number}}
    elif case == "twice":
        parts[1] = parts[0]
    elif case == "point":
        line = {"type": "Point", "coordinates": line["coordinates"][0]}
    elif case == "far":
        x = line["coordinates"][0][0]
        line = {"type": "LineString", "coordinates": [[x, 1e308], [x, -1e308]]}
    r = httpx.post(f"{server}/collections/land_parcels/items/{obj_id}/split",
                   json={"line": line, "parts": parts}, headers=headers)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert needle in detail
    assert case in ("count", "twice", "malformed") or f"parcel {number}" in detail
    assert parcel_row(url, 10)[:3] == (obj_id, number, version)  # nothing half-written


def test_split_needs_the_role_and_the_current_version(city: tuple[str, str]) -> None:
    server, url = city
    obj_id, number, version, _ = parcel_row(url, 11)
    body = {"line": crossing_line(url, obj_id), "parts": [
        {"properties": {"cadastral_number": n}} for n in fresh_numbers(number, "8101", "8102")]}
    split = f"{server}/collections/land_parcels/items/{obj_id}/split"
    assert httpx.post(split, json=body).status_code == 401
    assert httpx.post(split, json=body, headers=REGISTRAR).status_code == 403
    stale = httpx.post(split, json=body, headers={**PLANNER, "If-Match": f'"{version + 5}"'})
    assert stale.status_code == 412 and "changed meanwhile" in stale.json()["detail"]
    other = httpx.post(f"{server}/collections/addresses/items/1/split", json=body,
                       headers=PLANNER)
    assert other.status_code in (403, 404)
    assert parcel_row(url, 11)[:3] == (obj_id, number, version)


def adjacent_pair(url: str, equal: bool = True) -> tuple[tuple[int, int, str],
                                                          tuple[int, int, str], float]:
    """Return two parcels sharing an edge (same category, purpose and ownership form, or
    not) as (id, version, number), and their total area."""
    same = "" if equal else "NOT "
    with psycopg.connect(url) as conn:
        row = conn.execute(sql.SQL(
            "SELECT a.id, a.version, a.cadastral_number, b.id, b.version, b.cadastral_number, "
            "ST_Area(a.geom) + ST_Area(b.geom) FROM registry.land_parcel a JOIN "
            "registry.land_parcel b ON a.id < b.id AND a.geom && b.geom AND "
            "ST_Relate(a.geom, b.geom, 'F***1****') WHERE {} (a.category, a.purpose_code, "
            "a.ownership_form) IS NOT DISTINCT FROM (b.category, b.purpose_code, "
            "b.ownership_form) ORDER BY a.id DESC LIMIT 1").format(sql.SQL(same))
        ).fetchone()
    assert row is not None
    return row[0:3], row[3:6], row[6]


def test_merge_adjacent_parcels(city: tuple[str, str]) -> None:
    server, url = city
    (a, av, an), (b, bv, bn), area = adjacent_pair(url)
    new = an[:-4] + "9001"
    r = httpx.post(f"{server}/collections/land_parcels/items/{a}/merge",
                   json={"with": [{"id": b, "version": bv}],
                         "properties": {"cadastral_number": new}},
                   headers={**PLANNER, "If-Match": f'"{av}"'})
    assert r.status_code == 201, r.text
    merged = r.json()
    assert r.headers["location"].endswith(f"/items/{merged['id']}")
    assert merged["properties"]["area_m2"] == pytest.approx(area, abs=0.05)
    # rejecting the merge gives back both originals: the merged parcel goes, they stay
    decided = httpx.post(f"{server}/registries/land_parcels/decisions", headers=VERIFIER,
                         json={"decision": "reject", "items": [{"id": a}],
                               "reason": "the council has not decided the merger yet"})
    assert decided.status_code == 200, decided.text
    assert sorted(decided.json()["ids"]) == sorted([a, b, merged["id"]])
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM registry.land_parcel WHERE id = ANY(%s)",
                            ([a, b, merged["id"]],)).fetchone() == (2,)
    r = httpx.post(f"{server}/collections/land_parcels/items/{a}/merge",
                   json={"with": [{"id": b}], "properties": {"cadastral_number": new}},
                   headers=PLANNER)
    assert r.status_code == 201, r.text
    merged = r.json()
    decided = httpx.post(f"{server}/registries/land_parcels/decisions", headers=VERIFIER,
                         json={"decision": "approve", "items": [{"id": merged["id"]}]})
    assert decided.status_code == 200, decided.text
    for gone in (a, b):
        assert httpx.get(f"{server}/collections/land_parcels/items/{gone}?f=json"
                         ).status_code == 404
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT cadastral_number, ST_NumGeometries(geom), "
                            "ST_NumInteriorRings(ST_GeometryN(geom, 1)) FROM "
                            "registry.land_parcel WHERE id = %s", (merged["id"],)
                            ).fetchone() == (new, 1, 0)
        parents = conn.execute("SELECT array_agg(parent_id ORDER BY parent_id) FROM "
                               "history.lineage WHERE child_id = %s AND operation = 'merge'",
                               (merged["id"],)).fetchone()[0]
    assert parents == sorted([a, b])


def test_a_bad_merge_is_refused_and_writes_nothing(city: tuple[str, str]) -> None:
    server, url = city
    (a, av, an), (b, bv, bn), _ = adjacent_pair(url, equal=False)
    r = httpx.post(f"{server}/collections/land_parcels/items/{a}/merge",
                   json={"with": [{"id": b, "version": bv}],
                         "properties": {"cadastral_number": an[:-4] + "9101"}},
                   headers=PLANNER)
    assert r.status_code == 422 and "differ in their" in r.json()["detail"]
    with psycopg.connect(url) as conn:
        far = conn.execute("SELECT b.id, b.version FROM registry.land_parcel a, "
                           "registry.land_parcel b WHERE a.id = %s AND b.id <> a.id AND "
                           "(a.category, a.purpose_code, a.ownership_form) IS NOT DISTINCT "
                           "FROM (b.category, b.purpose_code, b.ownership_form) "
                           "ORDER BY ST_Distance(a.geom, b.geom) DESC LIMIT 1", (a,)).fetchone()
    r = httpx.post(f"{server}/collections/land_parcels/items/{a}/merge",
                   json={"with": [{"id": far[0], "version": far[1]}],
                         "properties": {"cadastral_number": an[:-4] + "9102"}},
                   headers=PLANNER)
    assert r.status_code == 422 and "do not share a boundary" in r.json()["detail"]
    stale = httpx.post(f"{server}/collections/land_parcels/items/{a}/merge",
                       json={"with": [{"id": b, "version": bv + 3}],
                             "properties": {"cadastral_number": an[:-4] + "9103"}},
                       headers=PLANNER)
    assert stale.status_code == 412
    alone = httpx.post(f"{server}/collections/land_parcels/items/{a}/merge",
                       json={"with": [], "properties": {}}, headers=PLANNER)
    assert alone.status_code == 400
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM registry.land_parcel WHERE id IN (%s, %s)",
                            (a, b)).fetchone() == (2,)
