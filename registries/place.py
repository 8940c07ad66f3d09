"""What is at a point: the nearest address, the parcel, the zones and restrictions there.

The geoportal asks this when a resident clicks ground where no object is drawn (a street
corner, a gap between parcels, a zone with its layer off). Everything is read from the public
views in the storage CRS, so the answer carries no personal data; a registry a deployment does
not have is simply left out.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from gis.errors import NotFound
from registries.catalog import Catalog
from registries.search import nearest_address

POINT = ("ST_Transform(ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326), %(storage)s)")
# registry → (columns read, at most how many); areas that contain the point
CONTAINING: dict[str, tuple[tuple[str, ...], int]] = {
    "land_parcels": (("cadastral_number", "category", "purpose_code", "ownership_form"), 1),
    "planning_zones": (("zone_code", "zone_name", "max_height_m", "max_coverage_pct"), 5),
    "planning_restrictions": (("kind", "name", "dzk_code"), 10),
    "water_bodies": (("name", "kind"), 3),
}


def containing_sql(view: tuple[str, str], columns: tuple[str, ...]) -> sql.Composed:
    """Return SQL of the objects of ``view`` that contain the point; binds x, y, storage,
    limit."""
    return sql.SQL("SELECT t.id, {cols} FROM {view} AS t WHERE ST_Intersects(t.geom, {point}) "
                   "ORDER BY ST_Area(t.geom), t.id LIMIT %(limit)s").format(
        cols=sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in columns),
        view=sql.Identifier(*view), point=sql.SQL(POINT))


def place_at(conn: psycopg.Connection, catalog: Catalog, lon: float, lat: float, *,
             storage_srid: int, radius_m: float = 300.0) -> dict[str, Any]:
    """Return what is at (lon, lat): ``address`` (nearest within ``radius_m``, with its
    distance, or None), and per registry of ``CONTAINING`` the public objects containing it
    (``land_parcels`` … lists, smallest first)."""
    out: dict[str, Any] = {"lon": lon, "lat": lat, "address": None}
    if "addresses" in catalog.ids:
        try:
            hit, distance = nearest_address(conn, lon, lat, storage_srid=storage_srid,
                                            max_distance_m=radius_m)
            out["address"] = {**hit.as_dict(), "distance_m": distance}
        except NotFound:
            pass
    for registry_id, (columns, limit) in CONTAINING.items():
        if registry_id not in catalog.ids or not catalog.get(registry_id).public:
            continue
        reg = catalog.get(registry_id)
        names = [c for c in columns if any(f.name == c for f in reg.public_fields)]
        rows = conn.execute(containing_sql(reg.public_view, tuple(names)),
                            {"x": lon, "y": lat, "storage": storage_srid,
                             "limit": limit}).fetchall()
        out[registry_id] = [{"collection": registry_id, "id": int(r[0]),
                             **dict(zip(names, (_plain(v) for v in r[1:]), strict=True))}
                            for r in rows]
    return out


def _plain(value: Any) -> Any:
    """Return a value JSON can carry (decimals as floats)."""
    from decimal import Decimal

    return float(value) if isinstance(value, Decimal) else value
