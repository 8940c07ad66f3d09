"""The registries' schema: migrations match the declarations, history, public views."""

from __future__ import annotations

import psycopg
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, pool

from gis.auth_schema import AUTH_SCHEMA
from gis.auth_schema import metadata as auth_metadata
from registries.catalog import default_catalog
from registries.migrate import pending_revisions, upgrade
from registries.model import HISTORY_SCHEMA, PUBLIC_SCHEMA, PUBLISHED_SCHEMA, REGISTRY_SCHEMA
from registries.publication import publish_directly
from registries.schema import build_metadata
from tests.conftest import SRID

SQUARE = ("SRID=6383;MULTIPOLYGON(((299000 5476000,299020 5476000,299020 5476020,"
          "299000 5476020,299000 5476000)))")


def test_migrations_match_the_registry_declarations(template_url: str) -> None:
    engine = create_engine(template_url.replace("postgresql://", "postgresql+psycopg://"),
                           poolclass=pool.NullPool)
    metadata = build_metadata(default_catalog(), SRID)
    with engine.connect() as c:
        ctx = MigrationContext.configure(c, opts={
            "include_schemas": True,
            "include_object": lambda o, n, t, r, ct: t != "table" or getattr(o, "schema", None)
            in (REGISTRY_SCHEMA, HISTORY_SCHEMA, PUBLISHED_SCHEMA, AUTH_SCHEMA),
        })
        diff = compare_metadata(ctx, [metadata, auth_metadata])
    assert diff == []
    assert not pending_revisions(template_url, SRID)


def test_upgrade_is_idempotent(db_url: str) -> None:
    upgrade(db_url, SRID)
    upgrade(db_url, SRID)
    assert not pending_revisions(db_url, SRID)


def test_every_registry_has_a_gist_index_and_storage_srid(conn: psycopg.Connection) -> None:
    for reg in default_catalog():
        srid = conn.execute("SELECT Find_SRID(%s, %s, 'geom')", (reg.schema, reg.table)).fetchone()
        assert srid == (SRID,), reg.id
        gist = conn.execute(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = %s AND tablename = %s "
            "AND indexdef ILIKE '%%USING gist (geom)%%'", (reg.schema, reg.table)).fetchone()
        assert gist == (1,), reg.id


def _insert_parcel(conn: psycopg.Connection, number: str, holder: str) -> int:
    row = conn.execute(
        "INSERT INTO registry.land_parcel (cadastral_number, category, purpose_code, "
        "ownership_form, holder_kind, holder_name, holder_rnokpp, geom) "
        "VALUES (%s, '200', '02.01', '100', 'natural', %s, '1234567890', %s) RETURNING id",
        (number, holder, SQUARE)).fetchone()
    assert row is not None
    return int(row[0])


def test_history_keeps_every_version_with_author_and_period(db_url: str) -> None:
    with psycopg.connect(db_url) as c:
        c.execute("SELECT set_config('gis.user', 'planner-olena', true)")
        pid = _insert_parcel(c, "6810100000:01:001:0001", "Петренко Іван Іванович")
        c.commit()
        before_edit = c.execute("SELECT now()").fetchone()[0]  # type: ignore[index]
        c.commit()
        c.execute("SELECT set_config('gis.user', 'planner-taras', true)")
        c.execute("UPDATE registry.land_parcel SET purpose_code = '02.03' WHERE id = %s", (pid,))
        c.commit()
        live = c.execute("SELECT version, changed_by, purpose_code FROM registry.land_parcel "
                         "WHERE id = %s", (pid,)).fetchone()
        assert live == (2, "planner-taras", "02.03")
        hist = c.execute(
            "SELECT version, changed_by, ended_by, operation, purpose_code, upper_inf(sys_period) "
            "FROM history.land_parcel WHERE id = %s", (pid,)).fetchall()
        assert hist == [(1, "planner-olena", "planner-taras", "U", "02.01", False)]
        # the registry as of before the edit
        from gis.history import as_of_sql
        from registries.schema import data_columns

        reg = default_catalog().get("land_parcels")
        rows = c.execute(as_of_sql(reg.schema, reg.table, data_columns(reg)),
                         {"as_of": before_edit}).fetchall()
        assert [(r[0], r[reg.fields.index(reg.field("purpose_code")) + 1]) for r in rows] == [
            (pid, "02.01")]
        c.execute("DELETE FROM registry.land_parcel WHERE id = %s", (pid,))
        c.commit()
        ops = c.execute("SELECT version, operation FROM history.land_parcel WHERE id = %s "
                        "ORDER BY history_id", (pid,)).fetchall()
        assert ops == [(1, "U"), (2, "D")]


def test_two_writes_in_one_transaction_make_one_past_version(db_url: str) -> None:
    with psycopg.connect(db_url) as c:
        pid = _insert_parcel(c, "6810100000:01:001:0002", "Коваль Марія")
        c.commit()
        c.execute("UPDATE registry.land_parcel SET purpose_code = '02.03' WHERE id = %s", (pid,))
        c.execute("UPDATE registry.land_parcel SET purpose_code = '02.10' WHERE id = %s", (pid,))
        c.commit()
        assert c.execute("SELECT count(*) FROM history.land_parcel WHERE id = %s",
                         (pid,)).fetchone() == (1,)


def test_public_views_hide_personal_fields_and_mask_natural_persons(
        conn: psycopg.Connection) -> None:
    publish_directly(conn)  # loaded as the register of record: public at once
    _insert_parcel(conn, "6810100000:01:001:0003", "Шевчук Оксана Петрівна")
    cols = {r[0] for r in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
        "AND table_name = 'land_parcel'", (PUBLIC_SCHEMA,))}
    assert "holder_rnokpp" not in cols and "holder_home_address" not in cols
    assert "cadastral_number" in cols
    name = conn.execute("SELECT holder_name FROM open_data.land_parcel "
                        "WHERE cadastral_number = '6810100000:01:001:0003'").fetchone()
    assert name == ("фізична особа",)
    for reg in default_catalog():
        public_cols = {r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
            "AND table_name = %s", (PUBLIC_SCHEMA, reg.table))}
        leaked = {f.name for f in reg.fields if f.personal} & public_cols
        assert not leaked, f"{reg.id} leaks {leaked}"
