"""Refreshing a derived view in place, keeping what others built on it.

The public and staff views are derived from the declarations and refreshed at every start-up.
A council may build its own views, materialized views or functions on them; dropping ours with
``CASCADE`` would silently delete those. :func:`replace_view` changes a view without dropping
it whenever PostgreSQL allows (``CREATE OR REPLACE VIEW``: every old column kept with its name
and type; new columns go after them, so a field added in the middle of a declaration is
appended instead), drops and recreates it only when nothing depends on it, and otherwise stops
with a message naming the dependent objects and the columns that change — it never deletes
them. It works on whatever ``CREATE VIEW <name> AS <query>`` it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from gis.errors import EnvironmentProblem

PROBE = "hromada_view_probe"


@dataclass(frozen=True)
class ViewColumn:
    """One output column of a view: its name and its full type (with modifier and collation)."""

    name: str
    type_oid: int
    typmod: int
    collation: int
    type_name: str

    def same_type(self, other: ViewColumn) -> bool:
        """Return True when ``CREATE OR REPLACE VIEW`` accepts ``other`` in this column's place.

        >>> a = ViewColumn("area", 1700, 917510, 0, "numeric(14,2)")
        >>> a.same_type(ViewColumn("area", 1700, 917510, 0, "numeric(14,2)"))
        True
        >>> a.same_type(ViewColumn("area", 1700, 917512, 0, "numeric(14,4)"))
        False
        """
        return (self.type_oid, self.typmod, self.collation) == (
            other.type_oid, other.typmod, other.collation)


def view_query(create: sql.Composed, name: tuple[str, str],
               conn: psycopg.Connection[Any]) -> str:
    """Return the query of ``CREATE VIEW <name> AS <query>`` (as SQL text)."""
    text = create.as_string(conn)
    head = sql.SQL("CREATE VIEW {} AS ").format(sql.Identifier(*name)).as_string(conn)
    if not text.startswith(head):
        raise ValueError(f"not a CREATE VIEW statement for {'.'.join(name)}: {text[:80]}")
    return text[len(head):]


def _relation(conn: psycopg.Connection[Any], name: tuple[str, str]) -> tuple[int, str] | None:
    row = conn.execute(
        "SELECT c.oid::bigint, c.relkind::text FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s", name).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def columns(conn: psycopg.Connection[Any], oid: int) -> list[ViewColumn]:
    """Return the output columns of relation ``oid`` in order."""
    rows = conn.execute(
        "SELECT attname::text, atttypid::bigint, atttypmod, attcollation::bigint, "
        "format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = %s AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum", (oid,)).fetchall()
    return [ViewColumn(str(r[0]), int(r[1]), int(r[2]), int(r[3]), str(r[4])) for r in rows]


def _probe(conn: psycopg.Connection[Any], query: str) -> tuple[list[ViewColumn], str]:
    """Return the columns ``query`` yields and its definition as PostgreSQL prints it, read
    from a temporary view made for the purpose."""
    probe = sql.Identifier(PROBE)
    conn.execute(sql.SQL("DROP VIEW IF EXISTS pg_temp.{}").format(probe))
    conn.execute(sql.SQL("CREATE TEMP VIEW {} AS ").format(probe) + sql.SQL(query))
    found = _relation(conn, (_temp_schema(conn), PROBE))
    assert found is not None
    cols = columns(conn, found[0])
    definition = _definition(conn, found[0])
    conn.execute(sql.SQL("DROP VIEW pg_temp.{}").format(probe))
    return cols, definition


def _definition(conn: psycopg.Connection[Any], oid: int) -> str:
    row = conn.execute("SELECT pg_get_viewdef(%s::oid)", (oid,)).fetchone()
    assert row is not None
    return str(row[0])


def _temp_schema(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute("SELECT nspname::text FROM pg_namespace WHERE oid = pg_my_temp_schema()"
                       ).fetchone()
    assert row is not None
    return str(row[0])


def dependents(conn: psycopg.Connection[Any], oid: int) -> list[str]:
    """Return the objects that depend on relation ``oid`` or its row type, described as
    PostgreSQL names them (``view council.big_parcels``, ``function council.f(integer)``)."""
    rows = conn.execute(
        """
        SELECT DISTINCT CASE WHEN d.classid = 'pg_rewrite'::regclass THEN
                 (SELECT CASE k.relkind WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized view '
                         ELSE 'relation ' END || k.oid::regclass::text
                  FROM pg_rewrite r JOIN pg_class k ON k.oid = r.ev_class WHERE r.oid = d.objid)
               ELSE pg_describe_object(d.classid, d.objid, d.objsubid) END
        FROM pg_depend d JOIN pg_class t ON t.oid = %s
        WHERE d.deptype = 'n'
          AND ((d.refclassid = 'pg_class'::regclass AND d.refobjid = t.oid)
               OR (d.refclassid = 'pg_type'::regclass AND d.refobjid = t.reltype))
          AND NOT (d.classid = 'pg_rewrite'::regclass
                   AND (SELECT r.ev_class FROM pg_rewrite r WHERE r.oid = d.objid) = t.oid)
        ORDER BY 1
        """, (oid,)).fetchall()
    return [str(r[0]) for r in rows if r[0]]


def _changes(old: list[ViewColumn], new: list[ViewColumn]) -> list[str]:
    """Return what ``CREATE OR REPLACE VIEW`` cannot do: old columns gone or retyped."""
    by_name = {c.name: c for c in new}
    out = []
    for col in old:
        now = by_name.get(col.name)
        if now is None:
            out.append(f"column {col.name} is removed")
        elif not col.same_type(now):
            out.append(f"column {col.name} changes type from {col.type_name} to {now.type_name}")
    return out


def replace_view(conn: psycopg.Connection[Any], name: tuple[str, str],
                 create: sql.Composed) -> str:
    """Make view ``name`` what ``create`` (``CREATE VIEW <name> AS …``) says, keeping every
    object that depends on it; return how: created | unchanged | replaced | appended |
    recreated.

    Raises EnvironmentProblem naming the dependent objects when the change needs the view
    dropped; nothing is changed then (the caller's transaction rolls back).
    """
    query = view_query(create, name, conn)
    target = sql.Identifier(*name)
    found = _relation(conn, name)
    if found is None:
        conn.execute(create)
        return "created"
    oid, kind = found
    label = ".".join(name)
    if kind != "v":
        raise EnvironmentProblem(f"{label} should be a view of Hromada GIS but is another kind "
                                 "of object; rename it, then start again", view=label)
    old = columns(conn, oid)
    new, definition = _probe(conn, query)
    blocked = _changes(old, new)
    if not blocked:
        old_names = [c.name for c in old]
        order = old_names + [c.name for c in new if c.name not in set(old_names)]
        if order != [c.name for c in new]:
            # the old columns first, in their old places: what depends on them stays valid
            query = sql.SQL("SELECT {} FROM ({}) AS q").format(
                sql.SQL(", ").join(sql.SQL("q.{}").format(sql.Identifier(n)) for n in order),
                sql.SQL(query)).as_string(conn)
            definition = _probe(conn, query)[1]
        if definition == _definition(conn, oid):
            # the same view: not even replaced, so a restart takes no lock that would make
            # the other instances' reads of it wait
            return "unchanged"
        conn.execute(sql.SQL("CREATE OR REPLACE VIEW {} AS ").format(target) + sql.SQL(query))
        return "replaced" if len(order) == len(old) else "appended"
    others = dependents(conn, oid)
    if others:
        raise EnvironmentProblem(
            f"cannot refresh view {label}: {'; '.join(blocked)}, which PostgreSQL can only do by "
            f"dropping the view, and {len(others)} object(s) depend on it: {', '.join(others)}. "
            "Nothing was changed. Drop or adapt them (Hromada GIS never deletes them), then "
            "start again", view=label, dependents=others)
    conn.execute(sql.SQL("DROP VIEW {}").format(target))  # RESTRICT: never takes anything along
    conn.execute(create)
    return "recreated"


def drop_view(conn: psycopg.Connection[Any], name: tuple[str, str]) -> None:
    """Drop view ``name`` if it exists (a registry no longer public); refuse, naming them,
    when other objects depend on it."""
    found = _relation(conn, name)
    if found is None or found[1] != "v":
        return
    others = dependents(conn, found[0])
    if others:
        label = ".".join(name)
        raise EnvironmentProblem(
            f"view {label} is no longer published, but {len(others)} object(s) depend on it: "
            f"{', '.join(others)}. Nothing was changed. Drop or adapt them, then start again",
            view=label, dependents=others)
    conn.execute(sql.SQL("DROP VIEW {}").format(sql.Identifier(*name)))
