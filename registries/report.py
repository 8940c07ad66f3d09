"""The parcel report (довідка по земельній ділянці, domain §7.3): what applies to one parcel.

For a cadastral number or a point: the parcel's public attributes and computed area, the
zoning-plan zones with the share of the parcel in each, the planning restrictions that touch
it with their share, the distance to the nearest red line, the addresses and buildings on it,
its neighbours with the length of the shared boundary, permits and passports nearby, and the
rule findings about it. Everything is computed by PostGIS in the storage CRS (metres, m²) and
read from public views, so the report carries no personal data.

Pieces below ``SLIVER_M2`` or ``SLIVER_SHARE`` % of the parcel are listed apart, as "touches
the boundary", not as a share.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import psycopg
from psycopg import sql

from gis.crs import in_query_domain
from gis.errors import InvalidParameter, NotFound
from registries.catalog import Catalog
from registries.parcels.cadastral_number import (
    cadastral_number_problem,
    normalise_cadastral_number,
)
from registries.rules import find_problems

SLIVER_M2 = 1.0
SLIVER_SHARE = 0.5  # %
NEAR_M = 50.0  # advertising and temporary structures "on or near" the parcel
NEIGHBOUR_GAP_M = 0.05
DISCLAIMER = ("Інформаційний документ, не є правовстановлювальним і не замінює витяг з "
              "Державного земельного кадастру чи містобудівні умови та обмеження.")

PARCEL_SQL = """
SELECT p.id, to_jsonb(p) - 'geom' - 'geom_3857' - 'version',
       ST_Area(p.geom), ST_Perimeter(p.geom), ST_AsGeoJSON(ST_Transform(p.geom, 4326), 7)::json,
       ST_AsGeoJSON(ST_Transform(ST_PointOnSurface(p.geom), 4326), 7)::json,
       registry.land_purpose_name(p.purpose_code), registry.local_today()
FROM open_data.land_parcel AS p WHERE p.id = %(id)s
"""

OVERLAY_SQL = """
WITH p AS (SELECT geom, ST_Area(geom) AS area FROM published.land_parcel WHERE id = %(id)s)
SELECT to_jsonb(o) - 'geom' - 'geom_3857' - 'version', x.area, 100 * x.area / p.area
FROM p JOIN {view} AS o ON o.geom && p.geom AND ST_Intersects(o.geom, p.geom)
CROSS JOIN LATERAL (SELECT ST_Area(ST_Intersection(o.geom, p.geom)) AS area) AS x
ORDER BY x.area DESC, o.id
"""

RED_LINE_SQL = """
WITH p AS (SELECT geom FROM published.land_parcel WHERE id = %(id)s)
SELECT r.street_name, r.kind, ST_Distance(r.geom, p.geom), ST_Intersects(r.geom, p.geom)
FROM p, LATERAL (SELECT * FROM open_data.red_line AS r ORDER BY r.geom <-> p.geom LIMIT 1) AS r
"""

ADDRESSES_SQL = """
WITH p AS (SELECT geom, cadastral_number FROM published.land_parcel WHERE id = %(id)s)
SELECT a.id, a.full_address, a.status, a.postal_code FROM open_data.address AS a
WHERE a.status <> 'annulled' AND a.id IN (
    SELECT x.id FROM p, published.address AS x WHERE x.cadastral_number = p.cadastral_number
    UNION SELECT x.id FROM p, published.address AS x
    WHERE x.geom && p.geom AND ST_Intersects(x.geom, p.geom))
ORDER BY a.id
"""

BUILDINGS_SQL = """
WITH p AS (SELECT geom FROM published.land_parcel WHERE id = %(id)s)
SELECT count(*), coalesce(sum(ST_Area(ST_Intersection(b.geom, p.geom))), 0), max(b.floors)
FROM p JOIN open_data.building AS b ON b.geom && p.geom AND ST_Intersects(b.geom, p.geom)
"""

NEIGHBOURS_SQL = """
WITH p AS (SELECT id, geom FROM published.land_parcel WHERE id = %(id)s)
SELECT n.id, n.cadastral_number, n.purpose_code,
       ST_Length(ST_Intersection(ST_Boundary(p.geom), ST_Buffer(n.geom, %(gap)s)))
FROM p JOIN open_data.land_parcel AS n ON n.id <> p.id AND ST_DWithin(n.geom, p.geom, %(gap)s)
ORDER BY 4 DESC, n.cadastral_number
"""

NEAR_SQL = """
WITH p AS (SELECT geom FROM published.land_parcel WHERE id = %(id)s)
SELECT o.id, o.{label}, o.status, round(ST_Distance(o.geom, p.geom)::numeric, 1)
FROM p JOIN {view} AS o ON ST_DWithin(o.geom, p.geom, %(near)s)
ORDER BY 4, o.id
"""


def parcel_id_by_number(conn: psycopg.Connection, number: str) -> int:
    """Return the id of the parcel with cadastral number ``number`` (normalised)."""
    problem = cadastral_number_problem(number)
    if problem:
        raise InvalidParameter(f"cadastral number {problem}", parameter="cadastral_number")
    row = conn.execute("SELECT id FROM open_data.land_parcel WHERE cadastral_number = %s",
                       (normalise_cadastral_number(number),)).fetchone()
    if row is None:
        raise NotFound(f"no parcel {normalise_cadastral_number(number)} in the land cadastre",
                       collection="land_parcels")
    return int(row[0])


def parcel_id_at(conn: psycopg.Connection, x: float, y: float, *, srid: int,
                 storage_srid: int) -> int:
    """Return the id of the parcel that contains the point (x, y) given in ``srid``."""
    if srid == 4326 and not in_query_domain(x, y, storage_srid):  # no parcel that far away
        raise NotFound(f"no parcel at ({x}, {y})", collection="land_parcels")
    row = conn.execute(
        "SELECT id FROM open_data.land_parcel WHERE ST_Intersects(geom, ST_Transform("
        "ST_SetSRID(ST_MakePoint(%s, %s), %s), %s)) ORDER BY id LIMIT 1",
        (x, y, srid, storage_srid)).fetchone()
    if row is None:
        raise NotFound(f"no parcel at ({x}, {y})", collection="land_parcels")
    return int(row[0])


def _split(rows: list[tuple[Any, ...]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return (pieces with their area and share, slivers that only touch the boundary)."""
    shares: list[dict[str, Any]] = []
    touching: list[dict[str, Any]] = []
    for attrs, area, share in rows:
        item = {**attrs, "area_m2": round(float(area), 1), "share_pct": round(float(share), 1)}
        (touching if area < SLIVER_M2 or share < SLIVER_SHARE else shares).append(item)
    return shares, touching


def parcel_report(conn: psycopg.Connection, catalog: Catalog, parcel_id: int) -> dict[str, Any]:
    """Return the report of one parcel as a JSON-ready dict (areas in m², shares in %)."""
    row = conn.execute(PARCEL_SQL, {"id": parcel_id}).fetchone()
    if row is None:
        raise NotFound(f"land_parcels has no object {parcel_id}", collection="land_parcels")
    _, attrs, area, perimeter, geometry, point, purpose_name, today = row
    p = {"id": parcel_id}
    zones, zones_touching = _split(conn.execute(
        sql.SQL(OVERLAY_SQL).format(view=sql.Identifier("open_data", "planning_zone")),
        p).fetchall())
    restrictions, restrictions_touching = _split(conn.execute(
        sql.SQL(OVERLAY_SQL).format(view=sql.Identifier("open_data", "planning_restriction")),
        p).fetchall())
    for r in restrictions + restrictions_touching:
        r["dzk_name"] = conn.execute("SELECT registry.restriction_name(%s)",
                                     (r.get("dzk_code"),)).fetchone()[0]  # type: ignore[index]
    red = conn.execute(RED_LINE_SQL, p).fetchone()
    buildings = conn.execute(BUILDINGS_SQL, p).fetchone()
    assert buildings is not None
    near = {}
    for cid, label in (("advertising_structures", "permit_number"),
                       ("temporary_structures", "passport_number")):
        if cid in catalog.ids:
            reg = catalog.get(cid)
            near[cid] = [{"id": i, "number": n, "status": s, "distance_m": float(d)}
                         for i, n, s, d in conn.execute(sql.SQL(NEAR_SQL).format(
                             label=sql.Identifier(label), view=sql.Identifier(*reg.public_view)),
                             {**p, "near": NEAR_M})]
    problems = [pr.as_dict() for pr in find_problems(conn, catalog.get("land_parcels"),
                                                       ids=[parcel_id])
                if pr.rule in {r.id for r in catalog.get("land_parcels").rules}]
    return {
        "parcel": {**attrs, "purpose_name": purpose_name, "area_m2": round(float(area), 2),
                   "perimeter_m": round(float(perimeter), 2)},
        "geometry": geometry, "point": point,
        "zones": zones, "zones_touching": zones_touching,
        "restrictions": restrictions, "restrictions_touching": restrictions_touching,
        "red_line": None if red is None else {
            "street": red[0], "kind": red[1], "distance_m": round(float(red[2]), 1),
            "crosses_parcel": bool(red[3])},
        "addresses": [{"id": i, "address": a, "status": s, "postal_code": pc}
                      for i, a, s, pc in conn.execute(ADDRESSES_SQL, p)],
        "buildings": {"count": int(buildings[0]), "footprint_m2": round(float(buildings[1]), 1),
                      "max_floors": buildings[2]},
        "neighbours": [{"id": i, "cadastral_number": n, "purpose_code": pc,
                        "shared_boundary_m": round(float(length), 2)}
                       for i, n, pc, length in conn.execute(
                           NEIGHBOURS_SQL, {**p, "gap": NEIGHBOUR_GAP_M})],
        "nearby": near,
        "problems": problems,
        "as_of": today.isoformat() if isinstance(today, date) else str(today),
        "disclaimer": DISCLAIMER,
    }


def report_json(report: dict[str, Any]) -> str:
    """Return the report as JSON text (dates and decimals as JSON can carry them)."""
    return json.dumps(report, ensure_ascii=False, default=str)
