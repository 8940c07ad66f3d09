"""Advertising permits and temporary structures: dates, the derived status, the dismantling
list, and the placement scheme — refused for new kiosks, reported for those already standing."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from gis.errors import RuleViolation
from registries.catalog import default_catalog
from registries.rules import find_problems
from registries.status import term_status
from registries.terms import dismantling_list
from tests.factories import (
    E0,
    N0,
    make_boundary,
    make_kiosk,
    make_permit,
    make_spot,
    polygon,
    ring,
    term,
    today,
)

ADS = default_catalog().get("advertising_structures")
KIOSKS = default_catalog().get("temporary_structures")


def status(conn: psycopg.Connection, view: str, obj_id: int) -> str:
    row = conn.execute(f"SELECT status FROM {view} WHERE id = %s", (obj_id,)).fetchone()  # noqa: S608
    assert row is not None
    return str(row[0])


def messages(conn: psycopg.Connection, reg_id: str, rule: str) -> list[str]:
    reg = default_catalog().get(reg_id)
    return [p.message for p in find_problems(conn, reg) if p.rule == rule]


# days from the city's date (a date computed while collecting is yesterday's after midnight)
@pytest.mark.parametrize(("until_days", "extra_days", "expected"), [
    (200, {}, "valid"),
    (30, {}, "expiring"),
    (-1, {}, "expired"),
    (-90, {"dismantling_ordered_on": -60}, "dismantling_ordered"),
    (-90, {"dismantling_ordered_on": -60, "dismantled_on": -10}, "dismantled"),
])
def test_status_is_derived_from_the_dates_in_sql_as_in_python(
        conn: psycopg.Connection, until_days: int, extra_days: dict[str, int],
        expected: str) -> None:
    day = today()
    until = day + timedelta(days=until_days)
    extra = {k: day + timedelta(days=v) for k, v in extra_days.items()}
    pid = make_permit(conn, **term(until), **extra)
    db_today = conn.execute("SELECT registry.local_today()").fetchone()[0]  # type: ignore[index]
    dates = term(until)
    assert term_status(dates["valid_from"], until, db_today, **extra) == expected
    assert status(conn, "open_data.advertising_structure", pid) == expected
    assert status(conn, "staff_data.advertising_structure", pid) == expected


def test_expired_permit_is_named_in_the_problems_and_the_dismantling_list(
        conn: psycopg.Connection) -> None:
    make_permit(conn, "ХМ-2024-0007", **term(today() - timedelta(days=47)))
    make_permit(conn, "ХМ-2026-0001", at=(E0 + 50, N0))
    expired_on = today() - timedelta(days=47)
    assert messages(conn, "advertising_structures", "expired_in_place") == [
        f"advertising permit ХМ-2024-0007 expired on {expired_on} (47 days ago) and is not "
        "dismantled: order its dismantling"]
    entries = dismantling_list(conn, ADS)
    assert [(e.label, e.status, e.days_overdue) for e in entries] == [
        ("advertising permit ХМ-2024-0007", "expired", 47)]
    assert "term expired on" in entries[0].reason


def test_permit_dates_and_term_are_checked(conn: psycopg.Connection) -> None:
    start = today() - timedelta(days=10)
    with pytest.raises(RuleViolation, match=r"advertising permit ХМ-1: valid_from .* must be "
                                            r"before valid_until"):
        make_permit(conn, "ХМ-1", issued_on=start, valid_from=start, valid_until=start)
    with pytest.raises(RuleViolation, match=r"advertising permit ХМ-2: the term .* is longer "
                                            r"than 5 years"):
        make_permit(conn, "ХМ-2", issued_on=start, valid_from=start,
                    valid_until=start + timedelta(days=6 * 365))
    with pytest.raises(RuleViolation, match="issued_on .* must be on or before valid_from"):
        make_permit(conn, "ХМ-3", issued_on=start + timedelta(days=1), valid_from=start,
                    valid_until=start + timedelta(days=30))
    with pytest.raises(RuleViolation, match="ХМ-4: the surface 0.00 × 1.80 m"):
        make_permit(conn, "ХМ-4", width_m=0)


def test_communal_place_needs_a_contract(conn: psycopg.Connection) -> None:
    with pytest.raises(RuleViolation, match="ХМ-5: the place is communal property, so the permit "
                                            "needs the contract number and date"):
        make_permit(conn, "ХМ-5", place_owner="communal")
    make_permit(conn, "ХМ-6", place_owner="communal", contract_number="12/2026",
                contract_date=today() - timedelta(days=400))


def test_two_live_permits_cannot_hold_one_place(conn: psycopg.Connection) -> None:
    make_permit(conn, "ХМ-2026-0001")
    with pytest.raises(RuleViolation, match="advertising permit ХМ-2026-0002 stands 1.0 m from "
                                            "ХМ-2026-0001, a live permit for the same place"):
        make_permit(conn, "ХМ-2026-0002", at=(E0 + 1, N0))
    # once the old one is dismantled, the place is free
    conn.execute("UPDATE registry.advertising_structure SET valid_until = %s, "
                 "dismantling_ordered_on = %s, dismantled_on = %s WHERE permit_number = %s",
                 (today() - timedelta(days=30), today() - timedelta(days=20),
                  today() - timedelta(days=5), "ХМ-2026-0001"))
    make_permit(conn, "ХМ-2026-0002", at=(E0 + 1, N0))


def test_permit_outside_the_community(conn: psycopg.Connection) -> None:
    make_boundary(conn, size=1000)
    with pytest.raises(RuleViolation, match="advertising permit ХМ-9 lies outside the community "
                                            "boundary by 100.0 m"):
        make_permit(conn, "ХМ-9", at=(E0 + 600, N0))


def test_kiosk_within_its_spot_is_accepted(conn: psycopg.Connection) -> None:
    spot = make_spot(conn)
    make_kiosk(conn, scheme_spot_id=spot)
    assert find_problems(conn, KIOSKS) == []


def test_kiosk_outside_the_scheme_is_refused_with_the_nearest_spot(
        conn: psycopg.Connection) -> None:
    make_spot(conn, "01-001")
    with pytest.raises(RuleViolation) as caught:
        make_kiosk(conn, "ПП-2026-0009", geom=polygon(ring(E0 + 30, N0, 3, 2)))
    assert ("temporary structure ПП-2026-0009 stands outside every spot of the placement scheme "
            "(nearest spot 01-001 is 25.0 m away)") in caught.value.detail
    assert "a legacy import" in caught.value.detail or "legacy" in caught.value.detail


def test_kiosk_standing_outside_the_scheme_loads_in_a_legacy_import_and_is_reported(
        conn: psycopg.Connection) -> None:
    spot = make_spot(conn, "01-001")
    conn.execute("SELECT set_config('gis.legacy_import', 'on', true)")
    make_kiosk(conn, "ПП-2019-0001", geom=polygon(ring(E0 + 30, N0, 3, 2)))
    make_kiosk(conn, "ПП-2019-0002", geom=polygon(ring(E0, N0, 6, 4)), scheme_spot_id=spot,
               area_m2=24.0)
    found = {(p.rule, p.message) for p in find_problems(conn, KIOSKS)}
    assert ("within_scheme_spot", "temporary structure ПП-2019-0001 stands outside every spot "
            "of the placement scheme (nearest spot 01-001 is 25.0 m away)") in found
    assert ("fits_spot_area", "temporary structure ПП-2019-0002 (24.00 m²) is larger than its "
            "spot 01-001 allows (20.00 m²)") in found
    assert ("within_scheme_spot", "temporary structure ПП-2019-0002 stands outside its scheme "
            "spot 01-001 (4.00 m² of 24.00 m² outside)") in found


def test_kiosk_of_the_wrong_kind_or_on_a_taken_spot(conn: psycopg.Connection) -> None:
    spot = make_spot(conn, "01-002", allowed_specialisation="преса")
    with pytest.raises(RuleViolation, match="ПП-1 is mobile, but its spot 01-002 allows "
                                            "stationary"):
        make_kiosk(conn, "ПП-1", scheme_spot_id=spot, structure_kind="mobile")
    with pytest.raises(RuleViolation, match="ПП-2 sells квіти, but its spot 01-002 allows преса"):
        make_kiosk(conn, "ПП-2", scheme_spot_id=spot, specialisation="квіти")
    make_kiosk(conn, "ПП-3", scheme_spot_id=spot)
    with pytest.raises(RuleViolation, match="ПП-4 takes spot 01-002, already taken by ПП-3"):
        make_kiosk(conn, "ПП-4", scheme_spot_id=spot)


def test_pavilion_over_30_m2_is_refused(conn: psycopg.Connection) -> None:
    with pytest.raises(RuleViolation, match="ПП-5 is a stationary structure of 35.00 m², more "
                                            "than the 30.0 m²"):
        make_kiosk(conn, "ПП-5", geom=polygon(ring(E0, N0, 7, 5)), area_m2=35.0)


def test_dismantled_kiosk_outside_the_scheme_is_no_problem(conn: psycopg.Connection) -> None:
    make_spot(conn)
    conn.execute("SELECT set_config('gis.legacy_import', 'on', true)")
    make_kiosk(conn, "ПП-2018-0001", geom=polygon(ring(E0 + 30, N0, 3, 2)),
               **term(today() - timedelta(days=400)),
               dismantling_ordered_on=today() - timedelta(days=300),
               dismantled_on=today() - timedelta(days=200))
    assert find_problems(conn, KIOSKS) == []
