"""What each staff database login may read and write, derived from the registry declarations.

One group role per application role (``gis.db_logins``: ``<database>_planner`` …); a user's
login is a member of the groups of the user's roles. From the declarations:

- the public reads the public views (``open_data``) of the public registries, nothing else —
  no personal field, no history, no ``auth``;
- staff (planner, registrar, admin) read the live tables (the working copy), their history,
  the staff views (published), the pending views (working copy with its verification state)
  and the public views — personal data included, as over the API;
- a registry's ``edit_roles`` (and admin) may INSERT, UPDATE and DELETE its live table — the
  database's own triggers then check its rules, keep its history (as the login's user) and
  feed the tile cache, as for every other write path;
- nobody but the application writes ``history``, ``auth``, ``tiles``, ``search``,
  ``published`` or ``verification``: the triggers that do run as their owner (SECURITY
  DEFINER), and only the application publishes (``registries.verification``);
- logins may not create objects (no CREATE on ``public``, no temporary tables) and connect
  only to their own database.

Every grant is revoked and given again on each upgrade (:func:`sync_grants`), so a changed
declaration — a new registry, an ``edit_roles`` change — is reflected by ``gis db upgrade``.
"""

from __future__ import annotations

import logging

import psycopg
from psycopg import sql

from gis.auth import Role
from gis.db_logins import can_manage_roles, current_database, ensure_group_roles, support_sql
from registries.catalog import Catalog
from registries.model import (
    HISTORY_SCHEMA,
    PENDING_SCHEMA,
    PUBLIC_SCHEMA,
    PUBLISHED_SCHEMA,
    REGISTRY_SCHEMA,
    STAFF_SCHEMA,
    Registry,
)

log = logging.getLogger("hromada.grants")
STAFF = (Role.PLANNER, Role.REGISTRAR, Role.ADMIN)
LINEAGE = (HISTORY_SCHEMA, "lineage")  # registries.reshape: what split and merge made of what
# schemas whose rights are reset on every upgrade (all rights of our groups are derived)
MANAGED_SCHEMAS = (REGISTRY_SCHEMA, HISTORY_SCHEMA, STAFF_SCHEMA, PUBLIC_SCHEMA, "search",
                   "tiles", "auth", PUBLISHED_SCHEMA, PENDING_SCHEMA, "verification")


def editors(reg: Registry) -> tuple[Role, ...]:
    """Return the roles whose logins may write ``reg``: its ``edit_roles`` and admin.

    >>> from registries.catalog import default_catalog
    >>> [r.value for r in editors(default_catalog().get("land_parcels"))]
    ['planner', 'admin']
    """
    return tuple(r for r in STAFF if r in reg.edit_roles or r is Role.ADMIN)


def grants_sql(catalog: Catalog, groups: dict[Role, str]) -> list[sql.Composed]:
    """Return the REVOKE/GRANT statements that give ``groups`` exactly their derived rights."""
    every = sql.SQL(", ").join(sql.Identifier(g) for g in groups.values())
    staff = sql.SQL(", ").join(sql.Identifier(groups[r]) for r in STAFF)
    out = []
    for schema in MANAGED_SCHEMAS:
        s = sql.Identifier(schema)
        out += [sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(s, every),
                sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(s, every),
                sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(s, every)]
    out.append(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
        sql.Identifier(PUBLIC_SCHEMA), every))
    out.append(sql.SQL("GRANT USAGE ON SCHEMA {}, {}, {}, {} TO {}").format(
        sql.Identifier(REGISTRY_SCHEMA), sql.Identifier(HISTORY_SCHEMA),
        sql.Identifier(STAFF_SCHEMA), sql.Identifier(PENDING_SCHEMA), staff))
    out.append(sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(*LINEAGE), staff))
    for reg in catalog:
        if reg.public:
            out.append(sql.SQL("GRANT SELECT ON {} TO {}").format(
                sql.Identifier(*reg.public_view), every))
        out.append(sql.SQL("GRANT SELECT ON {}, {}, {}, {} TO {}").format(
            sql.Identifier(reg.schema, reg.table), sql.Identifier(*reg.history_table),
            sql.Identifier(*reg.staff_view), sql.Identifier(*reg.pending_view), staff))
        writers = sql.SQL(", ").join(sql.Identifier(groups[r]) for r in editors(reg))
        out.append(sql.SQL("GRANT INSERT, UPDATE, DELETE ON {} TO {}").format(
            sql.Identifier(reg.schema, reg.table), writers))
    return out


def sequence_grants_sql(conn: psycopg.Connection, catalog: Catalog,
                        groups: dict[Role, str]) -> list[sql.Composed]:
    """Return the grants of the identity sequence behind each table's ``id`` to its writers
    (QGIS may take the next id itself when it evaluates defaults on the provider's side)."""
    out = []
    for reg in catalog:
        row = conn.execute(
            "SELECT s.nspname, c.relname FROM pg_class c JOIN pg_namespace s "
            "ON s.oid = c.relnamespace WHERE c.oid = pg_get_serial_sequence(%s, 'id')::regclass",
            (f"{reg.schema}.{reg.table}",)).fetchone()
        if row is not None:
            out.append(sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(
                sql.Identifier(*row),
                sql.SQL(", ").join(sql.Identifier(groups[r]) for r in editors(reg))))
    return out


def _owner_only(conn: psycopg.Connection, statement: sql.Composed | sql.SQL) -> None:
    """Run a statement that needs the database's owner; skip it (logged) if we are not."""
    try:
        with conn.transaction():
            conn.execute(statement)
    except psycopg.errors.InsufficientPrivilege as exc:
        log.warning("skipped (%s): %s", exc.diag.message_primary, statement.as_string(conn))


def sync_grants(conn: psycopg.Connection, catalog: Catalog) -> bool:
    """Create the group roles and give them exactly their derived rights; idempotent.

    Returns False (and changes nothing) when this database user may not manage roles: staff
    then get no database logins, the application works as before.
    """
    for ddl in support_sql():
        conn.execute(ddl)
    if not can_manage_roles(conn):
        log.warning("the database user may not create roles: no staff database logins")
        return False
    dbname = current_database(conn)
    groups = ensure_group_roles(conn, dbname)
    for statement in [*grants_sql(catalog, groups), *sequence_grants_sql(conn, catalog, groups)]:
        conn.execute(statement)
    db = sql.Identifier(dbname)
    _owner_only(conn, sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(db))
    _owner_only(conn, sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
        db, sql.SQL(", ").join(sql.Identifier(g) for g in groups.values())))
    _owner_only(conn, sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    return True
