"""History read back: a registry as of an instant before a set of edits is exactly what was
read then; an object's change log says who changed what, and hides from the public what the
public may not see."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest

from gis.auth import Principal, Role
from gis.errors import NotFound
from registries import writes
from registries.catalog import default_catalog
from registries.changes import as_of_features, change_log
from registries.filters import Filter
from registries.queries import Output, page_sql
from tests.factories import (
    E0,
    N0,
    SRID,
    approve_all,
    make_boundary,
    make_parcel,
    make_permit,
    multipolygon,
    ring,
    term,
    today,
)

CATALOG = default_catalog()
IDS = ("land_parcels", "advertising_structures")
OLENA = Principal("olena", frozenset({Role.PLANNER, Role.REGISTRAR}))


def read_now(conn: psycopg.Connection, registry_id: str, personal: bool) -> list[Any]:
    """Return every feature as the OGC API reads it now (the lead's read path)."""
    reg = CATALOG.get(registry_id)
    query = page_sql(reg, Filter(reg, SRID), Output(), (), personal)
    rows = conn.execute(query, {"limit": 100_000, "offset": 0}).fetchall()
    return [json.loads(r[0]) for r in rows]


def snapshot(conn: psycopg.Connection) -> dict[tuple[str, bool], list[Any]]:
    return {(r, p): read_now(conn, r, p) for r in IDS for p in (False, True)}


def as_of(conn: psycopg.Connection, when: datetime) -> dict[tuple[str, bool], list[Any]]:
    return {(r, p): as_of_features(conn, CATALOG.get(r), when, storage_srid=SRID, personal=p)
            for r in IDS for p in (False, True)}


def test_as_of_returns_the_registry_exactly_as_it_was_before_the_edits(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        first = make_parcel(conn, "6810100000:01:001:0001", holder_kind="natural",
                            holder_name="Петренко Іван", holder_rnokpp="1234567890",
                            holder_edrpou=None)
        second = make_parcel(conn, "6810100000:01:001:0002", multipolygon(ring(E0 + 20, N0, 20)))
        make_parcel(conn, "6810100000:01:001:0003", multipolygon(ring(E0 + 40, N0, 20)))
        permit = make_permit(conn, "ХМ-2026-0001")
        make_permit(conn, "ХМ-2026-0002", at=(E0 + 50, N0),
                    **term(today() - timedelta(days=3)))
        conn.commit()
        before = snapshot(conn)
        when = conn.execute("SELECT clock_timestamp()").fetchone()[0]  # type: ignore[index]
        conn.commit()

        # a set of edits through every path: the API's writes, plain SQL, inserts, deletes
        parcels, permits = CATALOG.get("land_parcels"), CATALOG.get("advertising_structures")
        writes.update(conn, parcels, first, {"properties": {"holder_name": "Петренко Іван І."}},
                      OLENA, storage_srid=SRID)
        writes.update(conn, parcels, second, {"geometry": multipolygon(ring(E0 + 20, N0, 15))},
                      OLENA, crs=SRID, storage_srid=SRID)
        conn.commit()
        conn.execute("SELECT set_config('gis.user', 'qgis-taras', false)")
        conn.execute("UPDATE registry.land_parcel SET purpose_code = '02.03' "
                     "WHERE cadastral_number = '6810100000:01:001:0003'")
        conn.execute("UPDATE registry.advertising_structure SET valid_until = %s, "
                     "dismantling_ordered_on = %s WHERE id = %s",
                     (today() - timedelta(days=60), today() - timedelta(days=2), permit))
        conn.commit()
        writes.delete(conn, permits, permit, OLENA)
        assert snapshot(conn) == before  # nothing is public before its holder verifies it
        make_parcel(conn, "6810100000:01:001:0004", multipolygon(ring(E0 + 60, N0, 20)))
        conn.commit()
        approve_all(conn)
        conn.commit()

        after = snapshot(conn)
        assert after != before
        assert as_of(conn, when) == before
        now = conn.execute("SELECT clock_timestamp()").fetchone()[0]  # type: ignore[index]
        assert as_of(conn, now) == after


def test_change_log_names_authors_for_staff_only_and_keeps_masks(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        conn.execute("SELECT set_config('gis.user', 'ingest', false)")
        pid = make_parcel(conn, holder_kind="natural", holder_name="Коваль Марія",
                          holder_rnokpp="1234567890", holder_edrpou=None)
        conn.commit()
        reg = CATALOG.get("land_parcels")
        writes.update(conn, reg, pid, {"properties": {"holder_name": "Коваль Марія Петрівна",
                                                      "purpose_code": "02.03"}},
                      OLENA, storage_srid=SRID)
        conn.commit()
        assert [v["version"] for v in change_log(conn, reg, pid)] == [1]  # not verified yet
        approve_all(conn)  # every version verified before the next edit: all become public
        conn.commit()
        writes.update(conn, reg, pid, {"geometry": multipolygon(ring(E0, N0, 25))}, OLENA,
                      crs=SRID, storage_srid=SRID)
        conn.commit()
        approve_all(conn)
        conn.commit()
        writes.delete(conn, reg, pid, OLENA)
        conn.commit()
        approve_all(conn)
        conn.commit()

        staff = change_log(conn, reg, pid, personal=True)
        assert [(v["action"], v.get("by")) for v in staff] == [
            ("created", "tester"), ("changed", "olena"), ("changed", "olena"),
            ("deleted", "olena")]
        assert staff[1]["changes"] == {
            "holder_name": {"from": "Коваль Марія", "to": "Коваль Марія Петрівна"},
            "purpose_code": {"from": "02.01", "to": "02.03"}}
        assert staff[1]["geometry_changed"] is False and staff[2]["geometry_changed"] is True

        public = change_log(conn, reg, pid)
        assert all("by" not in v for v in public)
        assert public[1]["changes"] == {"purpose_code": {"from": "02.01", "to": "02.03"}}
        assert public[0]["values"]["holder_name"] == "фізична особа"
        assert "holder_rnokpp" not in public[0]["values"]


def test_change_log_of_an_unknown_object(conn: psycopg.Connection) -> None:
    with pytest.raises(NotFound, match="land_parcels has no object 999999"):
        change_log(conn, CATALOG.get("land_parcels"), 999_999)


def test_a_change_of_personal_fields_only_is_no_public_version(db_url: str) -> None:
    """The public log shows no entry for an edit of personal fields alone (its date would
    tell that the holder's data changed) and numbers its entries among themselves; staff see
    every version. A sole proprietor's phone is personal too; a company's is not."""
    reg = CATALOG.get("land_parcels")
    ads = CATALOG.get("advertising_structures")
    with psycopg.connect(db_url) as conn:
        make_boundary(conn)
        pid = make_parcel(conn, holder_kind="natural", holder_name="Коваль Марія",
                          holder_rnokpp="1234567890", holder_edrpou=None)
        sole = make_permit(conn, number="ХМ-2026-0101", distributor_kind="sole_proprietor",
                           distributor_name="ФОП Петренко Іван",
                           distributor_phone="+380671234567",
                           distributor_email="petrenko.ivan77@ukr.net")
        legal = make_permit(conn, number="ХМ-2026-0102", at=(E0 + 100, N0),
                            distributor_phone="+380322000000", distributor_email="info@ad.ua")
        conn.commit()
        for changes in ({"holder_name": "Коваль Марія Петрівна", "holder_rnokpp": "1234567891"},
                        {"purpose_code": "02.03"}):
            writes.update(conn, reg, pid, {"properties": changes}, OLENA, storage_srid=SRID)
            conn.commit()
            approve_all(conn)  # each version published: the public's log is of those
            conn.commit()
        writes.update(conn, ads, sole, {"properties": {"distributor_phone": "+380671234568"}},
                      OLENA, storage_srid=SRID)
        conn.commit()
        approve_all(conn)
        conn.commit()
        staff = change_log(conn, reg, pid, personal=True)
        public = change_log(conn, reg, pid)
        assert [v["version"] for v in staff] == [1, 2, 3]
        assert [(v["version"], v["action"]) for v in public] == [(1, "created"), (2, "changed")]
        assert public[1]["changes"] == {"purpose_code": {"from": "02.01", "to": "02.03"}}
        assert public[1]["at"] >= staff[2]["at"]  # the public's date: when it was published

        public = change_log(conn, ads, sole)
        assert len(public) == 1 and public[0]["values"]["distributor_phone"] is None
        assert public[0]["values"]["distributor_email"] is None
        assert public[0]["values"]["distributor_name"] == "ФОП Петренко Іван"
        assert len(change_log(conn, ads, sole, personal=True)) == 2
        values = change_log(conn, ads, legal)[0]["values"]
        assert values["distributor_phone"] == "+380322000000"
