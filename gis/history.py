"""The audit-history model: every write on a registry table is versioned by the database.

Each live row carries ``version`` (the row's ETag), ``sys_period`` (since when this version
holds) and ``changed_by``. A BEFORE trigger bumps the version and copies the previous version
into ``history.<table>`` with its closed period, the operation and who ended it. Because the
database does it, every write path — the API, ingest, the CLI, a planner editing straight from
QGIS — leaves the same history. The author is the user a staff database login belongs to
(``gis.db_logins``; whatever that session sets), else ``current_setting('gis.user')`` when the
application set it (``gis.db.transaction(user=...)``), else the database user; what made the
change, when it was not an ordinary edit (``ingest parcels.shp``), is ``gis.source``, kept as
``change_source`` of a version and ``ended_source`` of the change that ended it.

No lost updates on direct edits. An UPDATE that sets ``version`` claims the version it was
made from: ``SET version = 7`` or ``SET version = -7`` (QGIS sends only values that differ
from what it loaded, so the generated QGIS project sends the negative) — if the row has moved
on meanwhile, the UPDATE is refused (SQLSTATE 40001) with who changed it and when. A staff
login must make that claim on every UPDATE (else it is refused, never a silent overwrite);
the application's own writes check ``If-Match`` before they reach the table.

The trigger runs as its owner (SECURITY DEFINER): logins may read history, never write it.

The state at a past instant ``t`` is the live rows whose period contains ``t`` plus the history
rows whose period contains ``t`` (:func:`as_of_sql`).
"""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import sql

HISTORY_SCHEMA = "history"
RESTORE_SETTING = "gis.restore"  # 'on': an INSERT gives an old object back its id (restore)


def trigger_sql(schema: str, table: str, columns: Sequence[str],
                name: sql.Composable | None = None,
                login_row: sql.Composable | None = None) -> list[sql.Composed]:
    """Return the DDL of the history trigger of ``schema.table`` (function, then trigger).

    ``columns`` are the table's own columns besides id, version, sys_period and changed_by;
    history rows keep them by name, so adding a column never shifts the copy. ``name`` is SQL
    naming the row ``old`` in messages ("parcel 6810100000:01:001:0001"; default: its id).
    ``login_row`` is PL/pgSQL run on ``NEW`` of a staff login's INSERT or UPDATE, before
    anything else: what the application does to a row in Python before it writes (the
    application's own connection never pays for it).
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
CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp AS $fn$
DECLARE
    -- a staff login's edits are its user's, whatever the session says (gis.db_logins); the
    -- application connects as the owner, so it never pays for the lookup
    editor text := CASE WHEN session_user = current_user THEN NULL ELSE auth.login_user() END;
    who text := coalesce(editor, nullif(current_setting('gis.user', true), ''), session_user);
    src text := nullif(current_setting('gis.source', true), '');
BEGIN
    IF editor IS NOT NULL AND TG_OP <> 'DELETE' THEN
        {login_row}
    END IF;
    IF TG_OP = 'INSERT' THEN
        NEW.version := 1;
        IF editor IS NOT NULL OR coalesce(current_setting({restore}, true), '') = 'on' THEN
            -- an object given back its place (a rejected deletion, or a login's INSERT
            -- naming the id of an object it deleted) continues its versions: a version
            -- number never names two contents of one object
            NEW.version := coalesce((SELECT max(h.version) + 1 FROM {hist} AS h
                                     WHERE h.id = NEW.id), 1);
        END IF;
        NEW.sys_period := tstzrange(now(), NULL);
        NEW.changed_by := who;
        NEW.change_source := src;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF NEW.version IS DISTINCT FROM OLD.version THEN
            IF abs(NEW.version) IS DISTINCT FROM OLD.version THEN
                RAISE EXCEPTION USING ERRCODE = 'serialization_failure',
                    MESSAGE = format('%s was changed by %s at %s (now version %s); you edited '
                                     'version %s: reload it and edit again', {name},
                                     coalesce(OLD.changed_by, 'someone'),
                                     to_char(lower(OLD.sys_period), 'YYYY-MM-DD HH24:MI:SS TZ'),
                                     OLD.version, abs(NEW.version)),
                    DETAIL = 'optimistic locking: the version you send must be the one you '
                             'loaded (or its negative)';
            END IF;
        ELSIF editor IS NOT NULL AND lower(OLD.sys_period) < now() THEN
            RAISE EXCEPTION USING ERRCODE = 'serialization_failure',
                MESSAGE = format('%s: a direct edit must say which version it changes (SET '
                                 'version = -%s along with your change); open the layers from '
                                 'the QGIS project the server generates, which does it', {name},
                                 OLD.version),
                DETAIL = 'optimistic locking: never a silent overwrite';
        END IF;
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
    NEW.version := CASE WHEN lower(OLD.sys_period) < now() THEN OLD.version + 1
                        ELSE OLD.version END;
    NEW.sys_period := tstzrange(now(), NULL);
    NEW.changed_by := who;
    NEW.change_source := src;
    RETURN NEW;
END
$fn$"""
    ).format(fn=fn, hist=sql.Identifier(HISTORY_SCHEMA, table), hist_cols=hist_cols,
             old_vals=old_vals, login_row=login_row if login_row is not None else sql.SQL("NULL;"),
             name=name if name is not None else sql.SQL("('#' || OLD.id)"),
             restore=sql.Literal(RESTORE_SETTING))
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
