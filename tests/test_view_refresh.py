"""Start-up keeps what others built on the public views (#22): views are replaced in place.

A council's own view, materialized view and function on ``open_data.*`` survive restarts
(``registries.migrate.upgrade`` is what every ``gis serve`` runs at start); a change that
cannot be made without dropping a view stops with a message naming what depends on it, and
drops nothing.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from gis.errors import EnvironmentProblem
from gis.view_refresh import columns, dependents, replace_view
from registries.catalog import default_catalog
from registries.migrate import upgrade
from registries.schema import public_view_sql
from tests.conftest import SRID
from tests.factories import make_address, make_boundary, make_street

COUNCIL = """
CREATE SCHEMA council;
CREATE VIEW council.numbered AS SELECT id, geom FROM open_data.address;
CREATE MATERIALIZED VIEW council.address_count AS SELECT count(*) AS n FROM open_data.address;
CREATE FUNCTION council.addresses_near(x float8, y float8)
    RETURNS SETOF open_data.address LANGUAGE sql STABLE
    AS 'SELECT * FROM open_data.address
        ORDER BY ST_Distance(geom, ST_SetSRID(ST_Point(x, y), ST_SRID(geom))) LIMIT 1';
"""


def _exists(conn: psycopg.Connection, signature: str) -> bool:
    check = "to_regprocedure" if "(" in signature else "to_regclass"
    row = conn.execute(f"SELECT {check}(%s) IS NOT NULL", (signature,)).fetchone()
    return bool(row[0])


def _view_oid(conn: psycopg.Connection, name: str) -> int:
    return int(conn.execute("SELECT %s::regclass::oid::bigint", (name,)).fetchone()[0])


def test_a_councils_objects_on_the_public_views_survive_restarts(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        make_boundary(conn)
        make_address(conn, make_street(conn))
        conn.execute(COUNCIL)
        conn.commit()
    for _ in range(2):  # two restarts
        upgrade(db_url, SRID)
    with psycopg.connect(db_url) as conn:
        for obj in ("council.numbered", "council.address_count",
                    "council.addresses_near(float8, float8)"):
            assert _exists(conn, obj), f"{obj} was dropped by a restart"
        assert conn.execute("SELECT count(*) FROM council.numbered").fetchone()[0] == 1
        conn.execute("REFRESH MATERIALIZED VIEW council.address_count")
        assert conn.execute("SELECT n FROM council.address_count").fetchone()[0] == 1
        row = conn.execute("SELECT id FROM council.addresses_near(0, 0)").fetchone()
        assert row is not None
        # the public view is still the one the declarations derive, and still public
        reg = default_catalog().get("addresses")
        names = [c.name for c in columns(conn, _view_oid(conn, "open_data.address"))]
        assert "id" in names and not any(f.column in names for f in reg.fields if f.personal)


def test_a_column_added_in_the_middle_is_appended_and_dependents_stay(db_url: str) -> None:
    """An older view without one of the declared columns (as after a field is added to a
    declaration): refreshed in place, the new column after the old ones, dependents kept."""
    with psycopg.connect(db_url) as conn:
        old = [c.name for c in columns(conn, _view_oid(conn, "open_data.address"))]
        missing = old[2]
        kept = [n for n in old if n != missing]
        conn.execute("ALTER VIEW open_data.address RENAME TO address_full")
        conn.execute(sql.SQL("CREATE VIEW open_data.address AS SELECT {} FROM "
                             "open_data.address_full").format(
            sql.SQL(", ").join(map(sql.Identifier, kept))))
        conn.execute(COUNCIL)
        conn.commit()
    upgrade(db_url, SRID)
    with psycopg.connect(db_url) as conn:
        now = [c.name for c in columns(conn, _view_oid(conn, "open_data.address"))]
        assert now == [*kept, missing]
        # and the next restart finds it as it should be: left alone
        reg = default_catalog().get("addresses")
        assert replace_view(conn, reg.public_view, public_view_sql(reg)) == "unchanged"
        assert _exists(conn, "council.numbered") and _exists(conn, "council.address_count")
        assert not dependents(conn, _view_oid(conn, "open_data.address_full"))
        conn.execute("DROP VIEW open_data.address_full")
        conn.commit()


def test_a_change_that_needs_a_drop_stops_and_names_the_dependents(db_url: str) -> None:
    """An older view with a column the declarations no longer give, used by the council's
    view: start-up stops naming that view and the column; everything stays as it was."""
    with psycopg.connect(db_url) as conn:
        conn.execute(sql.SQL("CREATE OR REPLACE VIEW open_data.address AS SELECT *, "
                             "'x'::text AS retired FROM ({}) AS q").format(
            sql.SQL(conn.execute("SELECT pg_get_viewdef('open_data.address'::regclass)")
                    .fetchone()[0].rstrip().rstrip(";"))))
        conn.execute(COUNCIL)
        conn.execute("CREATE VIEW council.retired_use AS SELECT id, retired FROM "
                     "open_data.address")
        conn.commit()
    with pytest.raises(EnvironmentProblem) as caught:
        upgrade(db_url, SRID)
    message = caught.value.detail
    assert "open_data.address" in message and "column retired is removed" in message
    for name in ("view council.numbered", "view council.retired_use",
                 "materialized view council.address_count",
                 "function council.addresses_near(double precision,double precision)"):
        assert name in message, message
    with psycopg.connect(db_url) as conn:
        assert "retired" in [c.name for c in columns(conn, _view_oid(conn, "open_data.address"))]
        for obj in ("council.numbered", "council.retired_use", "council.address_count"):
            assert _exists(conn, obj)
        # once the council drops its use of the column, the next start-up goes through
        conn.execute("DROP VIEW council.retired_use")
        conn.commit()
    with pytest.raises(EnvironmentProblem, match="council.numbered"):
        upgrade(db_url, SRID)  # the other objects still need the view kept: still refused
    with psycopg.connect(db_url) as conn:
        conn.execute("DROP SCHEMA council CASCADE")
        conn.commit()
    upgrade(db_url, SRID)  # nothing depends on it now: dropped and made anew
    with psycopg.connect(db_url) as conn:
        assert "retired" not in [c.name for c in columns(conn,
                                                           _view_oid(conn, "open_data.address"))]


def test_a_restart_leaves_an_unchanged_view_alone(db_url: str) -> None:
    """Nothing changed: the view is not even replaced (no lock that would make other
    instances' reads wait); a changed definition is replaced in place."""
    reg = default_catalog().get("addresses")
    with psycopg.connect(db_url) as conn:
        assert replace_view(conn, reg.public_view, public_view_sql(reg)) == "unchanged"
        text = conn.execute("SELECT pg_get_viewdef('open_data.address'::regclass)"
                            ).fetchone()[0].rstrip().rstrip(";")
        conn.execute(sql.SQL("CREATE OR REPLACE VIEW open_data.address AS {} LIMIT 5").format(
            sql.SQL(text)))
        assert replace_view(conn, reg.public_view, public_view_sql(reg)) == "replaced"
        assert replace_view(conn, reg.public_view, public_view_sql(reg)) == "unchanged"
