"""Valid registry objects with deterministic defaults, written through ``registries.writes``.

A test overrides only what it is about. Factory objects are the data a test starts from — the
register of record — so they are published at once (``registries.publication``: the
application's direct publication, as the demo city and loads of the existing register are);
what a test then writes itself goes through verification like any edit. Geometries are given
as easting/northing metres in EPSG:6383 (UCS-2000 / Ukraine TM zone 9) and sent the way the
API gets them with ``crs=EPSG:6383``: northing first.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from gis.auth import Principal, Role
from registries import writes
from registries.catalog import default_catalog
from registries.publication import publish_directly, through_verification

SRID = 6383
E0, N0 = 299_865.0, 5_476_633.0  # Khmelnytskyi centre
TESTER = Principal("tester", frozenset({Role.ADMIN}))


# the city's date (the database's registry.local_today()), not the machine's: after midnight in
# Kyiv the two differ for three hours
def today() -> date:
    """Return the city's date now, read when a test needs it: a date kept from the suite's
    start is yesterday's for every test that runs after midnight in Kyiv (a run that began at
    23:57 built permits 47 days expired that the database found 48 days expired)."""
    return datetime.now(ZoneInfo("Europe/Kyiv")).date()


def ring(x: float, y: float, w: float, h: float | None = None) -> list[tuple[float, float]]:
    """Return a closed rectangle ring (easting, northing) with its lower-left corner at x, y."""
    h = w if h is None else h
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)]


def _flip(points: list[tuple[float, float]]) -> list[list[float]]:
    return [[n, e] for e, n in points]  # EPSG:6383 declares northing first


def polygon(points: list[tuple[float, float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [_flip(points)]}


def multipolygon(points: list[tuple[float, float]]) -> dict[str, Any]:
    return {"type": "MultiPolygon", "coordinates": [[_flip(points)]]}


def point(e: float, n: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [n, e]}


def line(points: list[tuple[float, float]]) -> dict[str, Any]:
    return {"type": "MultiLineString", "coordinates": [_flip(points)]}


def create(conn: psycopg.Connection, registry_id: str, geometry: dict[str, Any],
           who: Principal = TESTER, **props: Any) -> int:
    """Insert one object through the single write path; return its id."""
    reg = default_catalog().get(registry_id)
    publish_directly(conn, verified_by="tester")
    try:
        obj_id, _ = writes.create(conn, reg, {"type": "Feature", "geometry": geometry,
                                              "properties": props},
                                  who, crs=SRID, storage_srid=SRID)
    finally:
        if not conn.info.transaction_status.name == "INERROR":
            through_verification(conn)
    return obj_id


def make_boundary(conn: psycopg.Connection, size: float = 2000.0) -> int:
    """Insert a square community boundary of ``size`` m around the centre."""
    return create(conn, "community_boundaries",
                  multipolygon(ring(E0 - size / 2, N0 - size / 2, size)),
                  name="Тестова громада", koatuu="6810100000")


def make_parcel(conn: psycopg.Connection, number: str = "6810100000:01:001:0001",
                geom: dict[str, Any] | None = None, **props: Any) -> int:
    """Insert a residential parcel (a 20 × 20 m square at the centre unless ``geom``)."""
    values = {"cadastral_number": number, "category": "200", "purpose_code": "02.01",
              "ownership_form": "100", "holder_kind": "legal",
              "holder_name": "ТОВ «Тестова ділянка»", "holder_edrpou": "12345678", **props}
    return create(conn, "land_parcels", geom or multipolygon(ring(E0, N0, 20)), **values)


def make_street(conn: psycopg.Connection, name: str = "Соборна", street_type: str = "вулиця",
                former: list[dict[str, str]] | None = None) -> int:
    return create(conn, "streets", line([(E0 - 500, N0), (E0 + 500, N0)]), name=name,
                  street_type=street_type, former_names=former)


def make_address(conn: psycopg.Connection, street_id: int, house: str = "1",
                 at: tuple[float, float] = (E0, N0 + 10), **props: Any) -> int:
    values = {"street_id": street_id, "house_number": house, "katottg": "UA68040470010000000",
              "status": "active", "postal_code": "29000", **props}
    return create(conn, "addresses", point(*at), **values)


def term(valid_until: date, years: int = 2) -> dict[str, Any]:
    """Return the dates of a permit or passport ending on ``valid_until``."""
    start = valid_until - timedelta(days=365 * years - 1)
    return {"issued_on": start - timedelta(days=3), "valid_from": start,
            "valid_until": valid_until}


def make_permit(conn: psycopg.Connection, number: str = "ХМ-2026-0001",
                at: tuple[float, float] = (E0, N0), **props: Any) -> int:
    """Insert an advertising permit valid for another year unless the dates are given."""
    values = {"permit_number": number, **term(today() + timedelta(days=365)),
              "structure_type": "citylight", "width_m": 1.2, "height_m": 1.8, "sides": 2,
              "lighting": "internal", "mounting": "ground", "distributor_kind": "legal",
              "distributor_name": "ТОВ «Реклама Поділля»", "place_owner": "private", **props}
    return create(conn, "advertising_structures", point(*at), **values)


def make_spot(conn: psycopg.Connection, number: str = "01-001",
              geom: dict[str, Any] | None = None, **props: Any) -> int:
    """Insert a placement-scheme spot (5 × 4 m at the centre, up to 20 m²)."""
    values = {"spot_number": number, "max_area_m2": 20.0, "allowed_kind": "stationary",
              "status": "occupied", **props}
    return create(conn, "ts_scheme_spots", geom or polygon(ring(E0, N0, 5, 4)), **values)


def make_kiosk(conn: psycopg.Connection, number: str = "ПП-2026-0001",
               geom: dict[str, Any] | None = None, **props: Any) -> int:
    """Insert a stationary kiosk (3 × 2 m inside the default spot) valid for another year."""
    values = {"passport_number": number, **term(today() + timedelta(days=365)),
              "structure_kind": "stationary", "purpose": "trade", "specialisation": "преса",
              "owner_kind": "legal", "owner_name": "ТОВ «Кіоск»", "area_m2": 6.0, **props}
    return create(conn, "temporary_structures", geom or polygon(ring(E0 + 1, N0 + 1, 3, 2)),
                  **values)


def make_zone(conn: psycopg.Connection, code: str = "Ж-1",
              geom: dict[str, Any] | None = None, **props: Any) -> int:
    """Insert a zoning-plan zone (100 × 100 m at the centre unless ``geom``)."""
    return create(conn, "planning_zones", geom or multipolygon(ring(E0, N0, 100)),
                  zone_code=code, **props)


def approve_all(conn: psycopg.Connection) -> list[int]:
    """Approve every pending change, each by a verifier of its registry's holder (made on the
    fly: an administrator of that department); return the ids decided."""
    from gis.staff_rights import grant_verifier, set_department
    from gis.users import add_user
    from registries.verification import decide, pending_changes

    decided: list[int] = []
    for reg in default_catalog():
        changes = pending_changes(conn, reg, limit=100_000)
        if not changes:
            continue
        name = f"verifier-{reg.holder_department.code}".replace("_", "-")
        if conn.execute("SELECT 1 FROM auth.users WHERE name = %s", (name,)).fetchone() is None:
            add_user(conn, name, frozenset({Role.ADMIN}), password=None, with_db_login=False)
            set_department(conn, name, reg.holder_department.code)
        grant_verifier(conn, name, reg.id)
        done = decide(conn, default_catalog(), reg, Principal(name, frozenset({Role.ADMIN})),
                      "approve", items=[(c.id, c.version) for c in changes], self_approval=True)
        decided += done.ids
    return decided
