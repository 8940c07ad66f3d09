"""Staff database logins, as QGIS uses them: psycopg connects with a user's own login.

Every edit over such a connection meets the registry's rules (with the rule's sentence), lands
in history under the user's name, reaches the tile cache, and cannot overwrite a newer version
unnoticed; each login reads and writes exactly what its roles allow.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import mapbox_vector_tile
import psycopg
import pytest
from psycopg import errors as pgerrors

from gis.auth import Role
from gis.cluster import EmbeddedCluster
from gis.db_logins import login_of
from gis.users import add_user, set_active, set_password
from tests.conftest import DEMO_TODAY, GIS, clone, serving, shared_tmp
from tests.factories import approve_all

PASSWORD = "planner's own secret"
DB = "logins"
NUMBER_PATTERN_MESSAGE = "the cadastral number is malformed"


@pytest.fixture(scope="module")
def logins(cluster: EmbeddedCluster, template_url: str) -> Iterator[dict[str, Any]]:
    """Return a server over a demo database with a planner, a registrar, an admin and a
    public user, each with a database login; tests may change the data."""
    from app.demo.load import load_demo

    url = clone(cluster, "gis_template", DB)
    with psycopg.connect(url) as conn:
        load_demo(conn, scale=0.01, seed=68, today=DEMO_TODAY, srid=6383)
        add_user(conn, "ivan", frozenset({Role.REGISTRAR}), password=PASSWORD)
        add_user(conn, "maria", frozenset({Role.ADMIN}), password=PASSWORD)
        add_user(conn, "viewer", frozenset({Role.PUBLIC}), password=PASSWORD)
        conn.commit()
    # the planner through the command line, as an administrator would add one
    added = subprocess.run([GIS, "users", "add", "olena", "--role", "planner",
                            "--display-name", "Олена Коваль", "--password-stdin"],
                           input=PASSWORD + "\n", capture_output=True, text=True, timeout=300,
                           env={**os.environ, "GIS_DATABASE_URL": url})
    assert added.returncode == 0, added.stderr
    assert "database login logins_olena" in added.stderr
    with serving(cluster, DB, url) as base:
        yield {"url": url, "server": base, "port": cluster.port}


def login_url(env: dict[str, Any], user: str, password: str = PASSWORD) -> str:
    return f"postgresql://{DB}_{user}:{quote(password, safe='')}@127.0.0.1:{env['port']}/{DB}"


def connect(env: dict[str, Any], user: str, **kwargs: Any) -> psycopg.Connection[Any]:
    return psycopg.connect(login_url(env, user), **kwargs)


def free_place(env: dict[str, Any], offset: int) -> tuple[str, str, int]:
    """Delete a demo parcel (as the planner) and return its number, EWKT and old id: a place
    inside the community that overlaps nothing, with a number of the right quarter."""
    with connect(env, "olena") as conn:
        obj_id, number, ewkt = conn.execute(
            "SELECT id, cadastral_number, ST_AsEWKT(geom) FROM registry.land_parcel "
            "ORDER BY id OFFSET %s LIMIT 1", (offset,)).fetchone()
        conn.execute("DELETE FROM registry.land_parcel WHERE id = %s", (obj_id,))
    with psycopg.connect(env["url"]) as owner:  # its holder verifies the deletion
        approve_all(owner)
    return number, ewkt, obj_id


INSERT = ("INSERT INTO registry.land_parcel (cadastral_number, category, purpose_code, "
          "ownership_form, holder_kind, holder_name, holder_rnokpp, geom) "
          "VALUES (%s, '200', '02.01', '300', 'legal', 'Міська рада', NULL, %s) RETURNING id")


def test_planner_login_inserts_a_parcel_into_history_and_the_tile_cache(
        logins: dict[str, Any]) -> None:
    number, ewkt, _ = free_place(logins, 0)
    tile = tile_of(logins["url"], ewkt)
    with httpx.Client(timeout=30) as client:
        before = client.get(logins["server"] + tile)
        assert client.get(logins["server"] + tile).headers["x-tile-cache"] == "hit"
        with psycopg.connect(logins["url"], autocommit=True) as listener:
            listener.execute("LISTEN gis_changes")
            with connect(logins, "olena") as conn:
                # a forged author is ignored: the login's user is the author
                conn.execute("SELECT set_config('gis.user', 'ivan', false)")
                obj_id = conn.execute(INSERT, (number, ewkt)).fetchone()[0]
            # the new parcel waits for its holder: nothing public changed, no tile dropped
            with pytest.raises(AssertionError, match="no NOTIFY"):
                wait_notify(listener, timeout=1)
            assert client.get(logins["server"] + tile).headers["x-tile-cache"] == "hit"
            with psycopg.connect(logins["url"]) as owner:
                assert approve_all(owner) == [obj_id]
            assert wait_notify(listener) == "registry.land_parcel"
        with psycopg.connect(logins["url"]) as conn:
            assert conn.execute("SELECT changed_by, version FROM registry.land_parcel "
                                "WHERE id = %s", (obj_id,)).fetchone() == ("olena", 1)
        deadline = time.monotonic() + 10
        while (after := client.get(logins["server"] + tile)).content == before.content:
            assert time.monotonic() < deadline, "the planner's insert never reached the tiles"
            time.sleep(0.1)
        drawn = mapbox_vector_tile.decode(after.content)["land_parcels"]["features"]
        assert obj_id in {f["id"] for f in drawn}
        item = client.get(f"{logins['server']}/collections/land_parcels/items/{obj_id}?f=json")
        assert item.status_code == 200 and item.json()["properties"]["cadastral_number"] == number


def tile_of(url: str, ewkt: str, z: int = 16) -> str:
    with psycopg.connect(url) as conn:
        lon, lat = conn.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform("
                                "ST_PointOnSurface(%s::geometry), 4326) AS p) s",
                                (ewkt,)).fetchone()
    import math

    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"/maps/city/{z}/{x}/{y}.mvt"


def wait_notify(conn: psycopg.Connection[Any], timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for note in conn.notifies(timeout=0.5, stop_after=1):
            return note.payload
    raise AssertionError("no NOTIFY gis_changes")


def test_overlap_and_bad_input_are_refused_with_the_rules_sentence(
        logins: dict[str, Any]) -> None:
    with connect(logins, "olena") as conn:
        number, neighbour = conn.execute(
            "SELECT cadastral_number, ST_AsEWKT(ST_Multi(ST_Buffer(geom, -2))) FROM "
            "registry.land_parcel ORDER BY id DESC LIMIT 1").fetchone()
        free = number[:-4] + "9901"
        with pytest.raises(pgerrors.CheckViolation) as refused:
            conn.execute(INSERT, (free, neighbour))
        assert f"parcel {free} overlaps {number} by" in refused.value.diag.message_primary
        assert "no_overlap" in refused.value.diag.message_detail
        conn.rollback()
        bow_tie = "SRID=6383;MULTIPOLYGON(((0 0,10 10,10 0,0 10,0 0)))"
        with pytest.raises(pgerrors.CheckViolation) as refused:
            conn.execute(INSERT, (free, bow_tie))
        assert f"parcel {free}: invalid geometry: Self-intersection" in str(refused.value)
        conn.rollback()
        with pytest.raises(pgerrors.CheckViolation) as refused:
            conn.execute(INSERT, ("68101:1:1:1", neighbour))
        assert NUMBER_PATTERN_MESSAGE in str(refused.value)
        conn.rollback()
        with pytest.raises(psycopg.Error) as refused:  # a geometry in another CRS
            conn.execute(INSERT, (free, "SRID=4326;MULTIPOLYGON(((27 49,27.001 49,27.001 "
                                        "49.001,27 49.001,27 49)))"))
        assert "SRID (4326) does not match column SRID (6383)" in str(refused.value)
        conn.rollback()
        # the text limit of the API and of imports holds for a login too
        with pytest.raises(pgerrors.CheckViolation, match="ck_land_parcel_purpose_text_length"):
            conn.execute("UPDATE registry.land_parcel SET purpose_text = repeat('ш', 1001), "
                         "version = -version WHERE cadastral_number = %s", (number,))
        conn.rollback()
        # the legacy leniency of imports is not the login's to take
        conn.execute("SET gis.legacy_import = on")
        with pytest.raises(pgerrors.CheckViolation, match="belongs to land category 100"):
            conn.execute("UPDATE registry.land_parcel SET purpose_code = '01.01', "
                         "version = -version WHERE cadastral_number = %s", (number,))
    with psycopg.connect(logins["url"]) as conn:  # nothing half-written
        assert conn.execute("SELECT count(*) FROM registry.land_parcel WHERE "
                            "cadastral_number = %s", (free,)).fetchone() == (0,)


def test_a_logins_texts_are_stored_as_the_api_stores_them(logins: dict[str, Any]) -> None:
    """The API and imports store a text stripped and composed (NFC), an empty one as none; a
    staff login stored it as typed: a name pasted into QGIS from a PDF (ї as і + U+0308) with
    a no-break space after it was never found by a search typed on a keyboard, and a cleared
    field was a blank where the API stores none."""
    from registries.model import clean_text

    pasted = " ТОВ «Героі\u0308в»\u00a0"
    with connect(logins, "olena") as conn:
        pid = conn.execute("SELECT id FROM registry.land_parcel WHERE holder_kind = 'legal' "
                           "ORDER BY id OFFSET 3 LIMIT 1").fetchone()[0]
        conn.execute("UPDATE registry.land_parcel SET holder_name = %s, purpose_text = %s, "
                     "version = -version WHERE id = %s", (pasted, " \t ", pid))
    with psycopg.connect(logins["url"]) as conn:
        stored = conn.execute("SELECT holder_name, purpose_text FROM registry.land_parcel "
                              "WHERE id = %s", (pid,)).fetchone()
        assert stored == (clean_text(pasted), None) == ("ТОВ «Героїв»", None)
        approve_all(conn)
    found = httpx.get(f"{logins['server']}/collections/land_parcels/items",
                      params={"q": "Героїв", "f": "json"}, timeout=30).json()
    assert pid in [f["id"] for f in found["features"]]


def test_each_login_writes_only_its_registries_and_never_history_or_auth(
        logins: dict[str, Any]) -> None:
    with connect(logins, "olena") as planner:
        with pytest.raises(pgerrors.InsufficientPrivilege):
            planner.execute("UPDATE registry.advertising_structure SET location_text = 'x', "
                            "version = -version WHERE id = (SELECT min(id) FROM "
                            "registry.advertising_structure)")
        planner.rollback()
        for statement in ("DELETE FROM history.land_parcel", "SELECT * FROM auth.users",
                          "SELECT * FROM auth.db_logins", "SELECT * FROM tiles.changes",
                          "CREATE TABLE public.mine (x int)", "CREATE TEMP TABLE mine (x int)",
                          "TRUNCATE registry.land_parcel",
                          "ALTER TABLE registry.land_parcel DISABLE TRIGGER USER"):
            with pytest.raises((pgerrors.InsufficientPrivilege, pgerrors.UndefinedTable)):
                planner.execute(statement)
            planner.rollback()
        assert planner.execute("SELECT count(*) > 0 FROM history.land_parcel").fetchone()[0]
    with connect(logins, "ivan") as registrar:
        ad = registrar.execute("SELECT id FROM registry.advertising_structure ORDER BY id "
                               "LIMIT 1").fetchone()[0]
        registrar.execute("UPDATE registry.advertising_structure SET location_text = 'біля "
                          "ринку', version = -version WHERE id = %s", (ad,))
        registrar.commit()
        with pytest.raises(pgerrors.InsufficientPrivilege):
            registrar.execute("DELETE FROM registry.land_parcel")
        registrar.rollback()
        with pytest.raises(pgerrors.InsufficientPrivilege):
            registrar.execute("UPDATE auth.users SET roles = '{admin}'")
    with connect(logins, "maria") as admin, pytest.raises(pgerrors.InsufficientPrivilege):
        admin.execute("INSERT INTO history.lineage (collection, operation, parent_id, "
                      "parent_version, child_id) VALUES ('x', 'split', 1, 1, 2)")


def test_personal_fields_are_for_staff_logins_only(logins: dict[str, Any]) -> None:
    query = "SELECT holder_rnokpp FROM registry.land_parcel WHERE holder_rnokpp IS NOT NULL"
    with connect(logins, "ivan") as registrar:
        assert registrar.execute(query).fetchone() is not None
        assert registrar.execute("SELECT distributor_rnokpp FROM staff_data."
                                 "advertising_structure LIMIT 1").fetchone() is not None
    with connect(logins, "viewer") as public:
        for statement in (query, "SELECT * FROM staff_data.land_parcel",
                          "SELECT * FROM history.land_parcel"):
            with pytest.raises(pgerrors.InsufficientPrivilege):
                public.execute(statement)
            public.rollback()
        columns = [c.name for c in public.execute(
            "SELECT * FROM open_data.land_parcel LIMIT 1").description]
        assert "holder_rnokpp" not in columns and "holder_name" in columns
        masked = public.execute("SELECT DISTINCT holder_name FROM open_data.land_parcel "
                                "WHERE holder_kind = 'natural'").fetchall()
        assert masked == [("фізична особа",)]
        with pytest.raises(pgerrors.InsufficientPrivilege):
            public.execute("DELETE FROM open_data.land_parcel")


def test_a_login_giving_a_deleted_objects_id_to_a_new_row_continues_its_versions(
        logins: dict[str, Any]) -> None:
    """DELETE, then INSERT with the old id (a QGIS user undoing by hand): the new row was
    version 1 again, the published version's number — the pending view called the change
    "published", and an editor holding the old version 1 would overwrite it unnoticed."""
    with connect(logins, "olena") as conn:
        obj_id, number, ewkt, before = conn.execute(
            "SELECT id, cadastral_number, ST_AsEWKT(geom), version FROM pending_data.land_parcel "
            "WHERE verification = 'published' ORDER BY id OFFSET 12 LIMIT 1").fetchone()
        conn.execute("DELETE FROM registry.land_parcel WHERE id = %s", (obj_id,))
        conn.commit()
        conn.execute("INSERT INTO registry.land_parcel (id, cadastral_number, category, "
                     "purpose_code, geom) VALUES (%s, %s, '200', '02.01', %s)",
                     (obj_id, number[:-4] + "7771", ewkt))
        conn.commit()
        version, state, published = conn.execute(
            "SELECT version, verification, published_version FROM pending_data.land_parcel "
            "WHERE id = %s", (obj_id,)).fetchone()
    assert (version, state, published) == (before + 1, "changed", before)


def test_an_update_of_a_version_that_moved_on_is_refused(logins: dict[str, Any]) -> None:
    with connect(logins, "olena") as first, connect(logins, "olena") as second:
        obj_id, version = first.execute("SELECT id, version FROM registry.land_parcel "
                                        "ORDER BY id DESC LIMIT 1").fetchone()
        first.commit()
        # both loaded `version`; the first saves (QGIS sends the negative: see gis.history)
        first.execute("UPDATE registry.land_parcel SET purpose_text = 'перша', version = %s "
                      "WHERE id = %s", (-version, obj_id))
        first.commit()
        with pytest.raises(pgerrors.SerializationFailure) as refused:
            second.execute("UPDATE registry.land_parcel SET purpose_text = 'друга', "
                           "version = %s WHERE id = %s", (-version, obj_id))
        message = refused.value.diag.message_primary
        assert "was changed by olena at" in message
        assert f"(now version {version + 1}); you edited version {version}" in message
        second.rollback()
        # an update that names no version would overwrite blindly: refused too
        with pytest.raises(pgerrors.SerializationFailure, match="must say which version"):
            second.execute("UPDATE registry.land_parcel SET purpose_text = 'третя' "
                           "WHERE id = %s", (obj_id,))
        second.rollback()
        # after a reload, the current version goes through
        second.execute("UPDATE registry.land_parcel SET purpose_text = 'третя', version = %s "
                       "WHERE id = %s", (-(version + 1), obj_id))
        second.commit()
    with psycopg.connect(logins["url"]) as conn:
        assert conn.execute("SELECT purpose_text, version, changed_by FROM registry.land_parcel "
                            "WHERE id = %s", (obj_id,)).fetchone() == ("третя", version + 2,
                                                                       "olena")
        assert conn.execute("SELECT array_agg(changed_by ORDER BY version) FROM "
                            "history.land_parcel WHERE id = %s AND version > %s",
                            (obj_id, version - 1)).fetchone()[0][-1] == "olena"


def test_disabling_a_user_disables_its_login_and_ends_its_sessions(
        logins: dict[str, Any]) -> None:
    url = logins["url"]
    with psycopg.connect(url) as conn:
        add_user(conn, "taras", frozenset({Role.PLANNER}), password=PASSWORD)
        conn.commit()
    held = connect(logins, "taras", autocommit=True)
    with psycopg.connect(url) as conn:
        set_active(conn, "taras", False)
        conn.commit()
        assert login_of(conn, "taras").can_login is False
    with pytest.raises(psycopg.OperationalError):
        held.execute("SELECT 1")
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        connect(logins, "taras")
    with psycopg.connect(url) as conn:
        set_active(conn, "taras", True)
        set_password(conn, "taras", "a brand new secret")
        conn.commit()
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect(logins, "taras")
    with psycopg.connect(login_url(logins, "taras", "a brand new secret")) as conn:
        assert conn.execute("SELECT session_user").fetchone() == (f"{DB}_taras",)


def test_user_commands_beside_a_running_server(logins: dict[str, Any]) -> None:
    """With GIS_DATABASE_URL the commands work while ``gis serve`` runs (the embedded
    cluster's lock is #17's subject)."""
    env = {**os.environ, "GIS_DATABASE_URL": logins["url"]}
    run = subprocess.run([GIS, "users", "service-entry", "olena"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    entry = run.stdout
    assert f"[{DB}]" in entry and f"user={DB}_olena" in entry
    assert f"dbname={DB}" in entry and f"port={logins['port']}" in entry
    assert "password=" not in entry  # QGIS asks, or keeps it in its own encrypted store
    listed = subprocess.run([GIS, "users", "list"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert "olena\tplanner\tactive" in listed.stdout and f"{DB}_olena" in listed.stdout


def outside_address() -> str | None:
    """Return an IPv4 address of this machine beyond the loopback (None if it has none)."""
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    return next((a for a in out if "." in a and not a.startswith("127.")), None)


def test_embedded_cluster_beyond_the_loopback_speaks_tls_only_and_keeps_its_port() -> None:
    import shutil

    from gis.cluster import running_cluster
    from registries.migrate import upgrade

    address = outside_address()
    if address is None:
        pytest.skip("this machine has no address beyond the loopback")
    root = shared_tmp("hromada-tls-")
    try:
        with running_cluster(root / "c", quiet=True, listen="0.0.0.0",
                             tls_names=(address,)) as c:
            url = c.ensure_database()
            upgrade(url, 6383)
            with psycopg.connect(url) as conn:
                add_user(conn, "olena", frozenset({Role.PLANNER}), password=PASSWORD)
                conn.commit()
            port = c.port
            remote = {"host": address, "port": port, "dbname": "hromada", "connect_timeout": 5}
            with pytest.raises(psycopg.OperationalError, match="rejects connection"):
                psycopg.connect(**remote, user="gis", password=c.password, sslmode="require")
            with pytest.raises(psycopg.OperationalError, match="no pg_hba.conf entry"):
                psycopg.connect(**remote, user="hromada_olena", password=PASSWORD,
                                sslmode="disable")
            with psycopg.connect(**remote, user="hromada_olena", password=PASSWORD,
                                 sslmode="verify-full", sslrootcert=str(c.cert_file)) as conn:
                assert conn.execute("SELECT ssl FROM pg_stat_ssl "
                                    "WHERE pid = pg_backend_pid()").fetchone() == (True,)
                assert conn.execute("SELECT count(*) FROM registry.land_parcel").fetchone() \
                    == (0,)
        with running_cluster(root / "c", quiet=True) as again:
            assert again.port == port  # the service entries planners keep stay valid
            with pytest.raises(psycopg.OperationalError):  # loopback only now
                psycopg.connect(**remote, user="hromada_olena", password=PASSWORD,
                                sslmode="require")
    finally:
        shutil.rmtree(root, ignore_errors=True)
