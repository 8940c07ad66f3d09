"""The bulk import refuses what a single write refuses, in the same words: a bad row in a file
is named by the dry run, refused by the real import (the database's triggers check the rules
on the set-based write), and refused by the database when the same object is inserted alone.
Also: what a public export hides (a sole proprietor's phone) is never taken for a value."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import errors as pgerrors

from tests.ingest_files import E0, N0, PARCEL_SCHEMA, SRID, bow_tie, count, parcel, run, write

OVERLAPPING = [(E0 + 40, N0), (E0 + 60, N0), (E0 + 60, N0 + 20), (E0 + 40, N0 + 20),
               (E0 + 40, N0)]  # shares 10 m × 20 m with parcel 1 (E0 + 30 … E0 + 50)


def _insert_alone(db_url: str, values: dict[str, Any], ring: list[tuple[float, float]]
                  ) -> pgerrors.Error:
    """Insert one parcel straight into the table (as any other write path would) after
    parcel 1, and return the database's refusal; nothing stays written."""
    first = parcel(1)["properties"]
    with psycopg.connect(db_url) as conn:
        try:
            for props, coords in ((first, parcel(1)["geometry"]["coordinates"][0]),
                                  (values, ring)):
                wkt = "MULTIPOLYGON(((" + ", ".join(f"{x} {y}" for x, y in coords) + ")))"
                conn.execute(
                    "INSERT INTO registry.land_parcel (cadastral_number, category, purpose_code,"
                    " geom) VALUES (%s, %s, %s, ST_GeomFromText(%s, %s))",
                    (props["KADNUM"], props["CATEG"], props["CILPR"], wkt, SRID))
        except (pgerrors.CheckViolation, pgerrors.RaiseException) as exc:
            return exc
        finally:
            conn.rollback()
    raise AssertionError("the database accepted the bad parcel")


@pytest.mark.parametrize("case", ["purpose", "overlap", "invalid", "number"])
def test_a_bad_row_is_refused_alike_by_the_dry_run_the_import_and_a_single_insert(
        db_url: str, tmp_path: Path, case: str) -> None:
    records = [parcel(i) for i in range(1, 6)]
    props = dict(records[2]["properties"])
    ring = records[2]["geometry"]["coordinates"][0]
    if case == "purpose":
        props["CILPR"] = "99.99"  # not in the classifier: a rule the trigger checks
    elif case == "overlap":
        ring = OVERLAPPING  # overlaps parcel 1: a rule against the other objects
    elif case == "invalid":
        ring = bow_tie(E0 + 300, N0)  # self-intersection: the import's own check first
    else:
        props["KADNUM"] = "6810100000:02:99:3"  # malformed number (the field's pattern)
    records[2] = {"geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": props}
    path = write(tmp_path / "bad.gpkg", records, PARCEL_SCHEMA, driver="GPKG")

    dry = run(db_url, path, "land_parcels", dry_run=True)
    real = run(db_url, path, "land_parcels")
    assert dry.refused and real.refused and not real.written
    assert count(db_url, "land_parcel") == 0
    blocking = [(p.row, p.rule, p.message) for p in real.problems if p.severity == "error"]
    assert blocking == [(p.row, p.rule, p.message) for p in dry.problems
                        if p.severity == "error"]
    # an overlap is a fault of both parcels: each is named
    assert {row for row, *_ in blocking} == ({1, 3} if case == "overlap" else {3}), blocking

    refusal = _insert_alone(db_url, props, ring)
    rule = refusal.diag.constraint_name
    message = refusal.diag.message_primary or ""
    assert rule in {r for _, r, _ in blocking}, (rule, blocking)
    if case in ("purpose", "overlap"):  # the import names the row, then the database's words
        assert ("row 3: " + message) in [m for *_, m in blocking], (message, blocking)
    if case == "overlap":
        assert "overlaps 6810100000:02:099:0001 by 200.0 m²" in message
    if case == "invalid":
        assert "Self-intersection" in message
        assert any("Self-intersection" in m for *_, m in blocking)


ADVERTISING_SCHEMA = {"geometry": "Point", "properties": {
    "permit_number": "str:20", "issued_on": "date", "valid_from": "date", "valid_until": "date",
    "structure_type": "str:20", "distributor_kind": "str:20", "distributor_name": "str:80",
    "distributor_phone": "str:20"}}


def _permit(number: str, kind: str, phone: str | None, x: float) -> dict[str, Any]:
    today = dt.date.today()
    return {"geometry": {"type": "Point", "coordinates": (E0 + x, N0)},
            "properties": {"permit_number": number, "issued_on": today.isoformat(),
                           "valid_from": today.isoformat(),
                           "valid_until": (today + dt.timedelta(days=365)).isoformat(),
                           "structure_type": "billboard", "distributor_kind": kind,
                           "distributor_name": f"Розповсюджувач {number}",
                           "distributor_phone": phone}}


def test_a_sole_proprietors_phone_hidden_by_a_public_export_is_not_erased_by_its_reimport(
        db_url: str, tmp_path: Path) -> None:
    first = write(tmp_path / "permits.gpkg", [
        _permit("P-1", "sole_proprietor", "+380671234567", 0),
        _permit("P-2", "legal", "+380441234567", 40)], ADVERTISING_SCHEMA, driver="GPKG")
    assert run(db_url, first, "advertising_structures").inserted == 2
    # a public export leaves both phones out: the proprietor's is hidden, and the file
    # here also says the company has none now
    again = write(tmp_path / "public.gpkg", [
        _permit("P-1", "sole_proprietor", None, 0),
        _permit("P-2", "legal", None, 40)], ADVERTISING_SCHEMA, driver="GPKG")
    report = run(db_url, again, "advertising_structures", mode="upsert")
    assert report.written and (report.updated, report.unchanged) == (1, 1), report.problems
    with psycopg.connect(db_url) as conn:
        phones = dict(conn.execute("SELECT permit_number, distributor_phone FROM "
                                   "registry.advertising_structure").fetchall())
    assert phones == {"P-1": "+380671234567", "P-2": None}


def test_a_number_repeated_in_the_file_names_every_row_that_holds_it(db_url: str,
                                                                     tmp_path: Path) -> None:
    records = [parcel(i) for i in range(1, 7)]
    for i in (3, 5):  # rows 4 and 6 repeat row 2's number
        records[i]["properties"]["KADNUM"] = records[1]["properties"]["KADNUM"]
    path = write(tmp_path / "twice.gpkg", records, PARCEL_SCHEMA, driver="GPKG")
    report = run(db_url, path, "land_parcels", dry_run=True)
    unique = [(p.row, p.message) for p in report.problems if p.rule == "unique"]
    number = records[1]["properties"]["KADNUM"]
    assert unique == [(row, f"row {row}: cadastral_number {number} is also on row(s) 2, 4, 6 "
                            "of the file") for row in (2, 4, 6)]
    assert report.refused and count(db_url, "land_parcel") == 0
