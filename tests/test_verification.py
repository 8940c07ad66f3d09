"""Verified before published: pending changes, the holder's decisions, who may take them.

Every test has a database of its own and commits step by step (one transaction is one version
and one batch); the objects a test starts from come from the factories (published at once, as
a register of record), what the test writes itself goes through verification.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from gis.auth import Principal, Role
from gis.errors import Conflict, Forbidden, InvalidParameter, RuleViolation
from gis.staff_rights import grant_verifier, set_department
from gis.users import add_user
from registries import writes
from registries.catalog import default_catalog
from registries.changes import as_of_features, change_log
from registries.reshape import split
from registries.verification import check_can_verify, decide, pending_changes
from tests.factories import (
    E0,
    N0,
    SRID,
    line,
    make_address,
    make_boundary,
    make_parcel,
    make_street,
    multipolygon,
    ring,
)

CATALOG = default_catalog()
PARCELS = CATALOG.get("land_parcels")
PLANNER = Principal("olena", frozenset({Role.PLANNER}))
VERIFIER = Principal("taras", frozenset({Role.PLANNER}))
REGISTRAR = Principal("ivan", frozenset({Role.REGISTRAR}))


def staff(conn: psycopg.Connection, who: Principal, department: str,
          verifies: tuple[str, ...] = ()) -> None:
    add_user(conn, who.name, who.roles, password=None, with_db_login=False)
    set_department(conn, who.name, department)
    for collection in verifies:
        grant_verifier(conn, who.name, collection)


@pytest.fixture
def land(db_url: str) -> Iterator[psycopg.Connection]:
    """A database with a boundary, a published parcel, a planner and a verifier of the land
    resources department, and a registrar of architecture who verifies addresses; the
    connection commits every statement unless a test opens a transaction."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        with conn.transaction():
            make_boundary(conn)
        with conn.transaction():
            make_parcel(conn)
        staff(conn, PLANNER, "land_resources")
        staff(conn, VERIFIER, "land_resources", ("land_parcels",))
        staff(conn, REGISTRAR, "architecture", ("addresses", "streets"))
        yield conn


def run(conn: psycopg.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Return ``fn(conn, …)`` run in a transaction of its own (one version, one batch)."""
    with conn.transaction():
        return fn(conn, *args, **kwargs)


def public(conn: psycopg.Connection, number: str = "6810100000:01:001:0001") -> Any:
    row = conn.execute("SELECT purpose_code, version FROM open_data.land_parcel "
                       "WHERE cadastral_number = %s", (number,)).fetchone()
    return None if row is None else tuple(row)


def parcel_id(conn: psycopg.Connection, number: str = "6810100000:01:001:0001") -> int:
    return int(conn.execute("SELECT id FROM registry.land_parcel WHERE cadastral_number = %s",
                            (number,)).fetchone()[0])  # type: ignore[index]


def edit(conn: psycopg.Connection, obj_id: int, who: Principal = PLANNER,
         **props: Any) -> int:
    return int(run(conn, writes.update, PARCELS, obj_id, {"properties": props}, who,
                   storage_srid=SRID))


def test_a_change_waits_unseen_until_its_holder_approves(land: psycopg.Connection) -> None:
    pid = parcel_id(land)
    assert public(land) == ("02.01", 1)
    version = edit(land, pid, purpose_code="02.03")
    assert version == 2
    assert public(land) == ("02.01", 1)  # the public still reads the verified version
    working = land.execute("SELECT purpose_code, verification, published_version FROM "
                           "pending_data.land_parcel WHERE id = %s", (pid,)).fetchone()
    assert working == ("02.03", "changed", 1)
    (change,) = pending_changes(land, PARCELS)
    assert (change.id, change.operation, change.version, change.published_version,
            change.changed_by) == (pid, "update", 2, 1, "olena")
    done = run(land, decide, CATALOG, PARCELS, VERIFIER, "approve", items=[(pid, 2)])
    assert done.ids == [pid]
    assert public(land) == ("02.03", 2)
    assert pending_changes(land, PARCELS) == []
    verified = land.execute("SELECT verified_by, verified_at IS NOT NULL FROM "
                            "published.land_parcel WHERE id = %s", (pid,)).fetchone()
    assert verified == ("taras", True)


def test_rejecting_keeps_the_published_version_and_gives_it_back_to_the_editors(
        land: psycopg.Connection) -> None:
    pid = parcel_id(land)
    edit(land, pid, purpose_code="02.03")
    with pytest.raises(InvalidParameter, match="needs its reason"):
        run(land, decide, CATALOG, PARCELS, VERIFIER, "reject", items=[(pid, 2)])
    run(land, decide, CATALOG, PARCELS, VERIFIER, "reject", items=[(pid, 2)],
           reason="the council decision names 02.01")
    assert public(land) == ("02.01", 3)  # the same content, under the working version
    assert land.execute("SELECT purpose_code, version FROM registry.land_parcel WHERE id = %s",
                        (pid,)).fetchone() == ("02.01", 3)
    assert pending_changes(land, PARCELS) == []
    log = change_log(land, PARCELS, pid, personal=True)
    assert log[1]["verification"][0]["decision"] == "rejected"
    assert log[1]["verification"][0]["reason"] == "the council decision names 02.01"
    assert log[1]["verification"][0]["by"] == "taras"


def test_new_and_deleted_objects_are_pending_too(land: psycopg.Connection) -> None:
    old = parcel_id(land)
    new, _ = run(land, writes.create, PARCELS, {"type": "Feature", "geometry": multipolygon(
        ring(E0 + 100, N0, 20)), "properties": {
            "cadastral_number": "6810100000:01:001:0002", "category": "200",
            "purpose_code": "02.01"}}, PLANNER, crs=SRID, storage_srid=SRID)
    run(land, writes.delete, PARCELS, old, PLANNER)
    assert public(land, "6810100000:01:001:0002") is None
    assert public(land) == ("02.01", 1)  # deleted in the working copy, still public
    ops = {c.id: c.operation for c in pending_changes(land, PARCELS)}
    assert ops == {new: "create", old: "delete"}
    # rejecting the deletion gives the object back under its id, its versions continued
    run(land, decide, CATALOG, PARCELS, VERIFIER, "reject", items=[(old, None)], reason="in use")
    assert land.execute("SELECT version FROM registry.land_parcel WHERE id = %s",
                        (old,)).fetchone() == (2,)
    run(land, decide, CATALOG, PARCELS, VERIFIER, "approve", items=[(new, 1)])
    assert public(land, "6810100000:01:001:0002") == ("02.01", 1)


def test_a_registrar_cannot_verify_parcels(land: psycopg.Connection) -> None:
    pid = parcel_id(land)
    edit(land, pid, purpose_code="02.03")
    with pytest.raises(Forbidden, match="no right to verify land_parcels"):
        run(land, decide, CATALOG, PARCELS, REGISTRAR, "approve", items=[(pid, 2)])
    # nor can the right be made to stick: a registrar's roles do not edit parcels
    grant_verifier(land, REGISTRAR.name, "land_parcels")
    set_department(land, REGISTRAR.name, "land_resources")
    with pytest.raises(Forbidden, match="a registrar may not verify it"):
        run(land, check_can_verify, PARCELS, REGISTRAR)
    with pytest.raises(Forbidden, match="has no right"):  # the planner editing it neither
        run(land, decide, CATALOG, PARCELS, PLANNER, "approve", items=[(pid, 2)])
    assert public(land) == ("02.01", 1)


def test_a_verifier_does_not_approve_their_own_change(land: psycopg.Connection) -> None:
    pid = parcel_id(land)
    edit(land, pid, VERIFIER, purpose_code="02.03")
    with pytest.raises(Forbidden, match="your own change"):
        run(land, decide, CATALOG, PARCELS, VERIFIER, "approve", items=[(pid, 2)])
    run(land, decide, CATALOG, PARCELS, VERIFIER, "approve", items=[(pid, 2)], self_approval=True)
    assert public(land) == ("02.03", 2)


def test_a_colleagues_edit_on_top_does_not_make_a_verifiers_change_theirs_to_approve(
        land: psycopg.Connection) -> None:
    pid = parcel_id(land)
    edit(land, pid, VERIFIER, purpose_code="02.03")  # the verifier's own change …
    edit(land, pid, PLANNER, area_declared_ha="0.5")  # … and a colleague's small one on top
    with pytest.raises(Forbidden, match=f"#{pid} holds your own change"):
        run(land, decide, CATALOG, PARCELS, VERIFIER, "approve", items=[(pid, 3)])
    assert public(land) == ("02.01", 1)
    # a deletion publishes nothing of the versions before it: only its author counts
    run(land, writes.delete, PARCELS, pid, PLANNER)
    run(land, decide, CATALOG, PARCELS, VERIFIER, "approve", items=[(pid, None)])
    assert public(land) is None


def test_an_approval_never_publishes_a_unique_number_twice(land: psycopg.Connection) -> None:
    """Parcel B gives its number up and parcel A takes it; approving A alone published two
    parcels with one cadastral number, and rejecting B's change then answered PostgreSQL's
    "duplicate key value violates unique constraint"."""
    a = parcel_id(land)
    with land.transaction():
        make_parcel(land, "6810100000:01:001:0002", multipolygon(ring(E0 + 100, N0, 20)))
    b = parcel_id(land, "6810100000:01:001:0002")
    edit(land, b, cadastral_number="6810100000:01:001:0003")
    edit(land, a, cadastral_number="6810100000:01:001:0002")
    with pytest.raises(Conflict, match=f"approving #{a} would publish land_parcels."
                                       "cadastral_number '6810100000:01:001:0002' twice: the "
                                       f"published parcel #{b} still has it"):
        run(land, decide, CATALOG, PARCELS, VERIFIER, "approve", items=[(a, 2)])
    assert public(land, "6810100000:01:001:0002") == ("02.01", 1)  # still only B's
    with pytest.raises(RuleViolation, match=f"cannot reject #{b}: land_parcels.cadastral_number"
                                            ": this value is already used by another parcel"):
        run(land, decide, CATALOG, PARCELS, VERIFIER, "reject", items=[(b, 2)], reason="no")
    run(land, decide, CATALOG, PARCELS, VERIFIER, "approve", items=[(a, 2), (b, 2)])
    assert public(land, "6810100000:01:001:0002") == ("02.01", 2)
    assert public(land, "6810100000:01:001:0003") == ("02.01", 2)


def test_a_decision_names_the_version_it_saw(land: psycopg.Connection) -> None:
    pid = parcel_id(land)
    edit(land, pid, purpose_code="02.03")
    with pytest.raises(Conflict, match="changed again since you looked"):
        run(land, decide, CATALOG, PARCELS, VERIFIER, "approve", items=[(pid, 1)])
    with pytest.raises(Conflict, match="no pending change"):
        run(land, decide, CATALOG, PARCELS, VERIFIER, "approve", items=[(pid + 1000, None)])


def test_a_split_is_decided_with_its_parts(land: psycopg.Connection) -> None:
    pid = parcel_id(land)
    cut = line([(E0 + 10, N0 - 5), (E0 + 10, N0 + 25)])
    result = run(land, split, PARCELS, pid, {"type": "LineString", "coordinates":
                                        cut["coordinates"][0]},
                   [{"properties": {"cadastral_number": "6810100000:01:001:0011"}},
                    {"properties": {"cadastral_number": "6810100000:01:001:0012"}}], PLANNER,
                   if_match=1,
                   crs=SRID, storage_srid=SRID)
    parts = [p["id"] for p in result]
    assert {c.id for c in pending_changes(land, PARCELS)} == {pid, *parts}
    done = run(land, decide, CATALOG, PARCELS, VERIFIER, "approve", items=[(parts[0], None)])
    assert sorted(done.ids) == sorted([pid, *parts]) and sorted(done.together) == sorted(
        [pid, parts[1]])
    assert public(land) is None
    assert public(land, "6810100000:01:001:0011") is not None
    # once decided, the split links nothing: later edits of its parts are decided apart
    for part in parts:
        edit(land, part, purpose_code="02.03")
    done = run(land, decide, CATALOG, PARCELS, VERIFIER, "approve", items=[(parts[0], 2)])
    assert done.ids == [parts[0]] and done.together == []


def test_an_address_on_an_unverified_street_waits_for_its_street(
        land: psycopg.Connection) -> None:
    addresses, streets = CATALOG.get("addresses"), CATALOG.get("streets")
    street, _ = run(land, writes.create, streets, {"type": "Feature", "geometry": line(
        [(E0 - 300, N0 + 50), (E0 + 300, N0 + 50)]), "properties": {
            "name": "Нова", "street_type": "вулиця"}}, PLANNER_REGISTRAR, crs=SRID,
        storage_srid=SRID)
    address, _ = run(land, writes.create, addresses, {"type": "Feature", "geometry": {
        "type": "Point", "coordinates": [N0 + 60, E0]}, "properties": {
            "street_id": street, "house_number": "3", "katottg": "UA68040470010000000",
            "status": "active"}}, PLANNER_REGISTRAR, crs=SRID, storage_srid=SRID)
    with pytest.raises(Conflict, match="not published: verify streets"):
        run(land, decide, CATALOG, addresses, REGISTRAR, "approve", items=[(address, 1)])
    run(land, decide, CATALOG, streets, REGISTRAR, "approve", items=[(street, 1)])
    run(land, decide, CATALOG, addresses, REGISTRAR, "approve", items=[(address, 1)])
    assert land.execute("SELECT full_address FROM open_data.address WHERE id = %s",
                        (address,)).fetchone() == ("вул. Нова, 3",)


PLANNER_REGISTRAR = Principal("oksana", frozenset({Role.REGISTRAR}))


def test_a_pending_street_renaming_stays_out_of_public_addresses(
        land: psycopg.Connection) -> None:
    streets = CATALOG.get("streets")
    with land.transaction():
        street = make_street(land, "Соборна")
    with land.transaction():
        address = make_address(land, street, "7")
    run(land, writes.update, streets, street, {"properties": {"name": "Нова Соборна"}},
                  PLANNER_REGISTRAR, storage_srid=SRID)
    assert land.execute("SELECT full_address FROM open_data.address WHERE id = %s",
                        (address,)).fetchone() == ("вул. Соборна, 7",)
    assert land.execute("SELECT full_address FROM pending_data.address WHERE id = %s",
                        (address,)).fetchone() == ("вул. Нова Соборна, 7",)


def test_public_history_shows_published_versions_with_the_day_they_were_verified(
        land: psycopg.Connection) -> None:
    pid = parcel_id(land)
    edit(land, pid, purpose_code="02.03")
    log = change_log(land, PARCELS, pid)
    assert [e["version"] for e in log] == [1]  # the pending version is not public
    assert log[0]["verified_on"]  # the factory's load carries its verification
    run(land, decide, CATALOG, PARCELS, VERIFIER, "approve", items=[(pid, 2)])
    log = change_log(land, PARCELS, pid)
    assert [e["version"] for e in log] == [1, 2]
    assert log[1]["changes"] == {"purpose_code": {"from": "02.01", "to": "02.03"}}
    assert "verified_on" in log[1] and "by" not in log[1]


def test_the_public_past_is_the_published_past(land: psycopg.Connection) -> None:
    from datetime import UTC, datetime

    pid = parcel_id(land)
    edit(land, pid, purpose_code="02.03")
    now = datetime.now(UTC)
    features = as_of_features(land, PARCELS, now, storage_srid=SRID)
    assert [f["properties"]["purpose_code"] for f in features if f["id"] == pid] == ["02.01"]
    staff_view = as_of_features(land, PARCELS, now, storage_srid=SRID, personal=True,
                                pending=True)
    assert [f["properties"]["purpose_code"] for f in staff_view if f["id"] == pid] == ["02.03"]


def test_an_approval_never_publishes_what_the_rules_refuse(land: psycopg.Connection) -> None:
    old = parcel_id(land)
    run(land, writes.delete, PARCELS, old, PLANNER)
    new, _ = run(land, writes.create, PARCELS, {"type": "Feature", "geometry": multipolygon(
        ring(E0 + 5, N0, 20)), "properties": {
            "cadastral_number": "6810100000:01:001:0003", "category": "200",
            "purpose_code": "02.01"}}, PLANNER, crs=SRID, storage_srid=SRID)
    # the new parcel takes the old one's place: fine in the working copy, not yet in public
    with pytest.raises(Conflict, match="overlaps 6810100000:01:001:0001 by .*published"):
        run(land, decide, CATALOG, PARCELS, VERIFIER, "approve", items=[(new, 1)])
    run(land, decide, CATALOG, PARCELS, VERIFIER, "approve", items=[(old, None), (new, 1)])
    assert public(land) is None and public(land, "6810100000:01:001:0003") == ("02.01", 1)


def test_an_approval_never_removes_what_published_objects_still_name(
        land: psycopg.Connection) -> None:
    streets, addresses = CATALOG.get("streets"), CATALOG.get("addresses")
    with land.transaction():
        old = make_street(land, "Стара")
    with land.transaction():
        new = make_street(land, "Нова")
    with land.transaction():
        address = make_address(land, old, "5")
    # the address moves to the new street and the old street goes: two pending changes
    run(land, writes.update, addresses, address, {"properties": {"street_id": new}},
        PLANNER_REGISTRAR, storage_srid=SRID)
    run(land, writes.delete, streets, old, PLANNER_REGISTRAR)
    with pytest.raises(Conflict, match=f"#{old} is still named by the published address"):
        run(land, decide, CATALOG, streets, REGISTRAR, "approve", items=[(old, None)])
    run(land, decide, CATALOG, addresses, REGISTRAR, "approve", items=[(address, None)])
    run(land, decide, CATALOG, streets, REGISTRAR, "approve", items=[(old, None)])
    log = change_log(land, streets, old, personal=True)
    assert log[-1]["action"] == "deleted"
    assert log[-1]["verification"][0]["decision"] == "approved"
    assert change_log(land, streets, old)[-1]["verified_on"]
