"""The audit-history model: every write on a registry table is versioned by the database.

Each live row carries ``version`` (the row's ETag), ``sys_period`` (since when this version
holds) and ``changed_by``. A BEFORE trigger bumps the version and copies the previous version
into ``history.<table>`` with its closed period, the operation and who ended it. Because the
database does it, every write path — the API, ingest, the CLI, a planner editing straight from
QGIS — leaves the same history. The author is ``current_setting('gis.user')`` when the
application set it (``gis.db.transaction(user=...)``), else the database user; what made the
change, when it was not an ordinary edit (``ingest parcels.shp``), is ``gis.source``, kept as
``change_source`` of a version and ``ended_source`` of the change that ended it.

The state at a past instant ``t`` is the live rows whose period contains ``t`` plus the history
rows whose period contains ``t`` (:func:`as_of_sql`).
"""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import sql

HISTORY_SCHEMA = "history"


def trigger_sql(schema: str, table: str, columns: Sequence[str]) -> list[sql.Composed]:
    """Return the DDL of the history trigger of ``schema.table`` (function, then trigger).

    ``columns`` are the table's own columns besides id, version, sys_period and changed_by;
    history rows keep them by name, so adding a column never shifts the copy.
    """
    fn = sql.Identifier(HISTORY_SCHEMA, f"keep_{table}")
    hist_cols = sql.SQL(", ").join(
        sql.Identifier(c)
        for c in ("id", *columns, "version", "sys_period", "changed_by", "change_source",
                  "operation", "ended_by", "ended_source")
    )
    old_vals = sql.SQL(", ").join(sql.SQL("OLD.{}").format(sql.Identifier(c)) for c in columns)
    body = sql.SQL(
        """
CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    who text := coalesce(nullif(current_setting('gis.user', true), ''), session_user);
    src text := nullif(current_setting('gis.source', true), '');
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.version := 1;
        NEW.sys_period := tstzrange(now(), NULL);
        NEW.changed_by := who;
        NEW.change_source := src;
        RETURN NEW;
    END IF;
    -- Writes within one transaction collapse into one version (the period would be empty).
    IF lower(OLD.sys_period) < now() THEN
        INSERT INTO {hist} ({hist_cols})
        VALUES (OLD.id, {old_vals}, OLD.version, tstzrange(lower(OLD.sys_period), now()),
                OLD.changed_by, OLD.change_source, left(TG_OP, 1), who, src);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    NEW.id := OLD.id;  -- an object keeps its identity
    NEW.version := OLD.version + 1;
    NEW.sys_period := tstzrange(now(), NULL);
    NEW.changed_by := who;
    NEW.change_source := src;
    RETURN NEW;
END
$fn$"""
    ).format(fn=fn, hist=sql.Identifier(HISTORY_SCHEMA, table), hist_cols=hist_cols,
             old_vals=old_vals)
    trigger = sql.SQL(
        "CREATE OR REPLACE TRIGGER keep_version BEFORE INSERT OR UPDATE OR DELETE ON {} "
        "FOR EACH ROW EXECUTE FUNCTION {}()"
    ).format(sql.Identifier(schema, table), fn)
    return [body, trigger]


def as_of_sql(schema: str, table: str, columns: Sequence[str]) -> sql.Composed:
    """Return a SELECT of ``schema.table`` as it was at ``%(as_of)s`` (a timestamptz bind)."""
    cols = sql.SQL(", ").join(
        sql.Identifier(c) for c in ("id", *columns, "version", "sys_period", "changed_by")
    )
    return sql.SQL(
        "SELECT {cols} FROM {live} WHERE sys_period @> %(as_of)s::timestamptz "
        "UNION ALL SELECT {cols} FROM {hist} WHERE sys_period @> %(as_of)s::timestamptz"
    ).format(cols=cols, live=sql.Identifier(schema, table),
             hist=sql.Identifier(HISTORY_SCHEMA, table))
