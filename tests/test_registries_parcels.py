"""Land-cadastre rules on a real PostGIS: every write path (the API's writes, plain SQL) is
refused with a message naming the parcel and the rule; soft findings are reported instead."""

from __future__ import annotations

import psycopg
import pytest

from gis.errors import RuleViolation
from registries.catalog import default_catalog
from registries.model import Severity
from registries.rules import find_problems
from tests.factories import E0, N0, make_boundary, make_parcel, multipolygon, ring

PARCELS = default_catalog().get("land_parcels")


def legacy(conn: psycopg.Connection) -> None:
    conn.execute("SELECT set_config('gis.legacy_import', 'on', true)")


def problems(conn: psycopg.Connection, rule: str) -> list[str]:
    return [p.message for p in find_problems(conn, PARCELS) if p.rule == rule]


def test_malformed_cadastral_number_is_refused_by_the_api_path(conn: psycopg.Connection) -> None:
    with pytest.raises(RuleViolation, match=r"cadastral_number: '68101:01:001:0001' does not "
                                            r"match the format"):
        make_parcel(conn, "68101:01:001:0001")


def test_malformed_cadastral_number_is_refused_by_plain_sql(conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.CheckViolation) as caught:
        conn.execute("INSERT INTO registry.land_parcel (cadastral_number, category, purpose_code, "
                     "geom) VALUES ('6810100000:1:001:0001', '200', '02.01', ST_Multi("
                     "ST_MakeEnvelope(299865, 5476633, 299885, 5476653, 6383)))")
    assert caught.value.diag.message_primary == (
        "parcel 6810100000:1:001:0001: the cadastral number is malformed, expected "
        "NNNNNNNNNN:ZZ:QQQ:PPPP (10-digit KOATUU code, 2-digit zone, 3-digit quarter, "
        "4-digit parcel)")
    assert "land_parcels.cadastral_number_format" in caught.value.diag.message_detail


def test_unknown_region_code_is_refused(conn: psycopg.Connection) -> None:
    with pytest.raises(RuleViolation, match="parcel 9910100000:01:001:0001: region code 99 is "
                                            "not one of Ukraine's 27 region codes"):
        make_parcel(conn, "9910100000:01:001:0001")


def test_overlapping_parcel_names_both_parcels_and_the_area(conn: psycopg.Connection) -> None:
    make_parcel(conn, "6810100000:01:001:0001", multipolygon(ring(E0, N0, 100)))
    with pytest.raises(RuleViolation) as caught:
        make_parcel(conn, "6810100000:01:001:0002", multipolygon(ring(E0 + 50, N0 + 10, 100)))
    expected = conn.execute("SELECT ST_Area(ST_Intersection(ST_MakeEnvelope(%s, %s, %s, %s), "
                            "ST_MakeEnvelope(%s, %s, %s, %s)))",
                            (E0, N0, E0 + 100, N0 + 100, E0 + 50, N0 + 10, E0 + 150, N0 + 110)
                            ).fetchone()[0]  # type: ignore[index]
    assert (f"parcel 6810100000:01:001:0002 overlaps 6810100000:01:001:0001 by {expected:.1f} m²"
            in caught.value.detail)
    assert "rule land_parcels.no_overlap" in caught.value.detail.lower()


def test_neighbours_sharing_an_edge_or_a_sliver_below_tolerance_are_accepted(
        conn: psycopg.Connection) -> None:
    make_parcel(conn, "6810100000:01:001:0001", multipolygon(ring(E0, N0, 100)))
    make_parcel(conn, "6810100000:01:001:0002", multipolygon(ring(E0 + 100, N0, 100)))
    # 0.0005 m wide over 50 m: 0.025 m², below the 0.05 m² tolerance
    make_parcel(conn, "6810100000:01:001:0003", multipolygon(ring(E0 - 50, N0, 50.0005, 50)))


def test_moving_a_parcel_onto_its_neighbour_by_sql_is_refused(conn: psycopg.Connection) -> None:
    make_parcel(conn, "6810100000:01:001:0001", multipolygon(ring(E0, N0, 100)))
    second = make_parcel(conn, "6810100000:01:001:0002", multipolygon(ring(E0 + 100, N0, 100)))
    with pytest.raises(psycopg.errors.CheckViolation,
                       match="parcel 6810100000:01:001:0002 overlaps 6810100000:01:001:0001 by "
                             "1000.0 m²"):
        conn.execute("UPDATE registry.land_parcel SET geom = ST_Translate(geom, -10, 0) "
                     "WHERE id = %s", (second,))


def test_parcel_outside_the_community_is_refused(conn: psycopg.Connection) -> None:
    make_boundary(conn, size=2000)
    make_parcel(conn, "6810100000:01:001:0001")  # inside
    with pytest.raises(RuleViolation, match="parcel 6810100000:01:001:0002 lies outside the "
                                            "community boundary by 200.0 m²"):
        make_parcel(conn, "6810100000:01:001:0002",
                    multipolygon(ring(E0 + 990, N0, 20, 20)))


def test_a_speck_far_outside_the_community_is_refused_whatever_its_area(
        conn: psycopg.Connection) -> None:
    """Lon/lat sent as the storage CRS's metres: a parcel of a few mm² some 5,000 km away,
    under the rule's 1 m² tolerance, was accepted."""
    make_boundary(conn, size=2000)
    speck = multipolygon(ring(26.97, 49.42, 0.001))  # easting 26.97 m, northing 49.42 m
    with pytest.raises(RuleViolation, match="parcel 6810100000:01:001:0002 lies outside the "
                                            r"community boundary by 0\.0 m²: no part of it "
                                            "is inside"):
        make_parcel(conn, "6810100000:01:001:0002", speck)


def test_invalid_geometry_by_sql_names_the_reason_and_place(conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.CheckViolation,
                       match=r"parcel 6810100000:01:001:0001: invalid geometry: "
                             r"Self-intersection at POINT\(26\.99"):
        conn.execute("INSERT INTO registry.land_parcel (cadastral_number, category, purpose_code, "
                     "geom) VALUES ('6810100000:01:001:0001', '200', '02.01', ST_Multi("
                     "ST_GeomFromText('POLYGON((299865 5476633, 299885 5476653, 299885 5476633, "
                     "299865 5476653, 299865 5476633))', 6383)))")


def test_unknown_purpose_code_is_refused(conn: psycopg.Connection) -> None:
    with pytest.raises(RuleViolation, match=r"parcel 6810100000:01:001:0001: purpose 02\.00 is "
                                            r"not in the land purpose classifier"):
        make_parcel(conn, purpose_code="02.00")


def test_purpose_of_another_category_is_refused_unless_legacy_import(
        conn: psycopg.Connection) -> None:
    with pytest.raises(RuleViolation, match=r"purpose 03\.07 belongs to land category 200, "
                                            r"not 100.*legacy"):
        make_parcel(conn, purpose_code="03.07", category="100")
    legacy(conn)
    make_parcel(conn, purpose_code="03.07", category="100")
    assert problems(conn, "purpose_fits_category") == [
        "parcel 6810100000:01:001:0001: purpose 03.07 belongs to land category 200, not 100"]


def test_an_old_finding_does_not_block_an_unrelated_edit(conn: psycopg.Connection) -> None:
    legacy(conn)
    pid = make_parcel(conn, purpose_code="03.07", category="100")
    conn.execute("SELECT set_config('gis.legacy_import', 'off', true)")
    conn.execute("UPDATE registry.land_parcel SET holder_name = 'ТОВ «Нова назва»' WHERE id = %s",
                 (pid,))
    with pytest.raises(psycopg.errors.CheckViolation, match="belongs to land category 200"):
        conn.execute("UPDATE registry.land_parcel SET purpose_code = '03.08' WHERE id = %s",
                     (pid,))


def test_number_from_another_cadastral_quarter(conn: psycopg.Connection) -> None:
    conn.execute("INSERT INTO registry.cadastral_quarter (quarter_number, geom) VALUES "
                 "('6810100000:01:001', ST_Multi(ST_MakeEnvelope(%s, %s, %s, %s, 6383)))",
                 (E0 - 500, N0 - 500, E0 + 500, N0 + 500))
    make_parcel(conn, "6810100000:01:001:0001")
    with pytest.raises(RuleViolation, match="parcel 6810100000:02:007:0001 lies in cadastral "
                                            "quarter 6810100000:01:001, but its number belongs "
                                            "to quarter 6810100000:02:007"):
        make_parcel(conn, "6810100000:02:007:0001", multipolygon(ring(E0 + 100, N0, 20)))


def test_declared_area_mismatch_is_reported_not_refused(conn: psycopg.Connection) -> None:
    make_parcel(conn, "6810100000:01:001:0001", area_declared_ha="0.0400")  # exactly 400 m²
    make_parcel(conn, "6810100000:01:001:0002", multipolygon(ring(E0 + 20, N0, 20)),
                area_declared_ha="0.0410")
    make_parcel(conn, "6810100000:01:001:0003", multipolygon(ring(E0 + 40, N0, 20)),
                area_declared_ha="0.0410", area_error_ha="0.0020")
    assert problems(conn, "area_matches_geometry") == [
        "parcel 6810100000:01:001:0002: declared area 0.0410 ha differs from the computed "
        "0.0400 ha by 0.0010 ha (allowed 0.0001 ha)"]
    found = find_problems(conn, PARCELS, severity=Severity.WARNING)
    assert {p.severity for p in found} == {Severity.WARNING}


def test_a_negative_declared_area_is_refused(conn: psycopg.Connection) -> None:
    """A planner typed -5 into the declared area and the editor saved it: only the area
    warning would have said anything, and nobody saw it."""
    with pytest.raises(RuleViolation, match=r"parcel 6810100000:01:001:0001: the declared area "
                                            r"-5\.0000 ha is negative"):
        make_parcel(conn, "6810100000:01:001:0001", area_declared_ha="-5")
    with pytest.raises(psycopg.errors.CheckViolation, match="the area error -0.0010 ha is "
                                                           "negative"):
        conn.execute("INSERT INTO registry.land_parcel (cadastral_number, category, "
                     "purpose_code, area_declared_ha, area_error_ha, geom) VALUES "
                     "('6810100000:01:001:0002', '200', '02.01', 0.04, -0.001, ST_Multi("
                     "ST_MakeEnvelope(299865, 5476633, 299885, 5476653, 6383)))")


def test_unknown_koatuu_prefix_is_a_warning(conn: psycopg.Connection) -> None:
    make_boundary(conn)
    make_parcel(conn, "6810200000:01:001:0001")
    assert problems(conn, "koatuu_prefix_known") == [
        "parcel 6810200000:01:001:0001: KOATUU prefix 6810200000 is not one of the hromada's "
        "prefixes (6810100000)"]


def test_computed_area_is_a_derived_field_read_not_written(conn: psycopg.Connection) -> None:
    # clients send back what they read: a derived value in the input is ignored
    pid = make_parcel(conn, geom=multipolygon(ring(E0, N0, 30, 40)), area_computed_ha=99)
    for view in ("open_data", "staff_data"):
        row = conn.execute(f"SELECT area_computed_ha FROM {view}.land_parcel "  # noqa: S608
                           "WHERE id = %s", (pid,)).fetchone()
        assert row is not None and float(row[0]) == 0.12


def test_two_transactions_cannot_each_add_one_half_of_an_overlap(db_url: str) -> None:
    import threading

    first, second = psycopg.connect(db_url), psycopg.connect(db_url)
    errors: list[Exception] = []
    try:
        make_parcel(first, "6810100000:01:001:0001", multipolygon(ring(E0, N0, 100)))

        def other() -> None:
            try:  # waits for the first writer, then sees its parcel
                make_parcel(second, "6810100000:01:001:0002",
                            multipolygon(ring(E0 + 50, N0, 100)))
                second.commit()
            except RuleViolation as exc:
                errors.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=1.0)
        assert thread.is_alive()  # blocked by the first, uncommitted writer
        first.commit()
        thread.join(timeout=10)
        assert [e.detail.split(".")[0] for e in errors] == [
            "land_parcels: parcel 6810100000:01:001:0002 overlaps 6810100000:01:001:0001 by "
            "5000"]
    finally:
        first.close()
        second.close()


def test_a_writer_kept_waiting_by_an_open_transaction_gets_a_conflict(db_url: str) -> None:
    """The rule lock waits 10 s for another open transaction (a QGIS transaction group left
    open), then the write is a 409 Conflict that says why — not a 503 "database unreachable"."""
    from gis.errors import Conflict

    first, second = psycopg.connect(db_url), psycopg.connect(db_url)
    try:
        make_parcel(first, "6810100000:01:001:0001", multipolygon(ring(E0, N0, 100)))
        with pytest.raises(Conflict, match="land_parcels is being edited in another open "
                                           "transaction") as caught:
            make_parcel(second, "6810100000:01:001:0002",
                        multipolygon(ring(E0 + 500, N0, 100)))
        assert caught.value.status == 409
        second.rollback()
        first.commit()  # the first writer's work is intact
        assert second.execute("SELECT count(*) FROM registry.land_parcel").fetchone() == (1,)
    finally:
        first.close()
        second.close()
