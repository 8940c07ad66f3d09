"""Published and pending, kept by the database on every write path.

Every write — the API, the browser editor, ingest, the CLI, a planner's direct PostGIS login
from QGIS — changes the working copy (``registry.<table>``), where the rules, history and
optimistic locking act as before. What the public sees is ``published.<table>``: the version
the registry's holder verified (``registries.verification``). A statement-level trigger on
each working table (:func:`trigger_sql`, SECURITY DEFINER, transition tables: one statement
per write however many rows) keeps ``verification.pending`` — one row per object whose working
version differs from the published one: a new object, a change or a deletion, who made it,
when, and in which transaction (``batch``: an import or a split is one batch).

Only the application itself may publish at once, by saying so in its transaction
(:func:`publish_directly`: ``gis.publish = direct``): the demo city and loads of the existing
register, which are the data of record. A staff login (``gis.db_logins``) setting it from
QGIS still gets a pending change — the database checks who sets it, not what is set. A direct
publication is logged in ``verification.decisions`` like a verifier's decision (``direct``),
its ``decided_by`` the verification the load carries (``gis.verified_by``) or NULL: "never
verified" (the quality report lists those).

The change feed of the tiles (``gis.changes``) follows the published tables, so a pending
write drops no public tile and an approval drops exactly the tiles it touches.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from registries.catalog import Catalog
from registries.model import Registry

VERIFICATION_SCHEMA = "verification"
PENDING = (VERIFICATION_SCHEMA, "pending")
DECISIONS = (VERIFICATION_SCHEMA, "decisions")
PUBLISH_SETTING = "gis.publish"  # 'direct': the application publishes this transaction's writes
VERIFIED_SETTING = "gis.verified_by"  # who verified what a direct publication loads
NOTE_SETTING = "gis.change_note"  # what the queue shows for a batch ("import of …")
TRIGGERS = ("track_ins", "track_upd", "track_del", "track_trunc")


def published_columns(reg: Registry) -> list[str]:
    """Return the columns a publication copies from the working copy, in table order.

    >>> from registries.catalog import default_catalog
    >>> published_columns(default_catalog().get("buildings"))
    ['id', 'floors', 'purpose', 'geom', 'version', 'sys_period', 'changed_by']
    """
    return ["id", *(f.column for f in reg.stored_fields), "geom", "version", "sys_period",
            "changed_by"]


def upsert_sql(reg: Registry, rows: sql.Composable, verified_by: sql.Composable,
               verified_at: sql.Composable) -> sql.Composed:
    """Return INSERT … ON CONFLICT that publishes ``rows`` (a relation with the working
    columns) as they are, recording ``verified_by`` and ``verified_at`` (SQL expressions)."""
    cols = published_columns(reg)
    names = sql.SQL(", ").join(sql.Identifier(c) for c in cols)
    return sql.SQL(
        "INSERT INTO {published} ({names}, verified_by, verified_at, published_at) "
        "SELECT {values}, {by}, {at}, now() FROM {rows} AS n "
        "ON CONFLICT (id) DO UPDATE SET {sets}, verified_by = EXCLUDED.verified_by, "
        "verified_at = EXCLUDED.verified_at, published_at = EXCLUDED.published_at").format(
        published=sql.Identifier(*reg.published_table), names=names,
        values=sql.SQL(", ").join(sql.SQL("n.{}").format(sql.Identifier(c)) for c in cols),
        by=verified_by, at=verified_at, rows=rows,
        sets=sql.SQL(", ").join(sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c))
                                for c in cols[1:]))


def trigger_sql(reg: Registry) -> list[sql.Composed]:
    """Return the DDL of ``reg``'s publication trigger: its function, then four triggers."""
    fn = sql.Identifier(VERIFICATION_SCHEMA, f"track_{reg.table}")
    published = sql.Identifier(*reg.published_table)
    collection = sql.Literal(reg.id)
    department = sql.Literal(reg.holder_department.code)
    pending_cols = sql.SQL("collection, object_id, operation, version, published_version, "
                           "changed_by, changed_at, batch, note")
    on_conflict = sql.SQL(
        "ON CONFLICT (collection, object_id) DO UPDATE SET operation = EXCLUDED.operation, "
        "version = EXCLUDED.version, published_version = EXCLUDED.published_version, "
        "changed_by = EXCLUDED.changed_by, changed_at = EXCLUDED.changed_at, "
        "batch = EXCLUDED.batch, note = EXCLUDED.note")
    decision_cols = sql.SQL("collection, object_id, operation, version, previous_version, "
                            "published_version, decision, reason, decided_by, changed_by, "
                            "changed_at, batch, department")
    body = sql.SQL("""
CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp AS $fn$
DECLARE
    -- only the application's own session may publish at once (a staff login never does)
    direct boolean := coalesce(current_setting({publish}, true), '') = 'direct'
        AND (session_user = current_user OR auth.login_user() IS NULL);
    verified text := nullif(current_setting({verified}, true), '');
    note text := nullif(current_setting({note}, true), '');
    editor text := CASE WHEN session_user = current_user THEN NULL ELSE auth.login_user() END;
    who text := coalesce(editor, nullif(current_setting('gis.user', true), ''), session_user);
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF direct THEN
            INSERT INTO {decisions} ({decision_cols})
            SELECT {collection}, n.id, CASE WHEN p.id IS NULL THEN 'create' ELSE 'update' END,
                   n.version, p.version, n.version, 'direct', note, verified,
                   n.changed_by, now(), txid_current(), {department}
            FROM new_rows AS n LEFT JOIN {published} AS p ON p.id = n.id;
            {upsert};
            DELETE FROM {pending} WHERE collection = {collection}
                AND object_id IN (SELECT id FROM new_rows);
        ELSE
            INSERT INTO {pending} AS x ({pending_cols})
            SELECT {collection}, n.id, CASE WHEN p.id IS NULL THEN 'create' ELSE 'update' END,
                   n.version, p.version, n.changed_by, now(), txid_current(), note
            FROM new_rows AS n LEFT JOIN {published} AS p ON p.id = n.id
            {on_conflict};
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF direct THEN
            INSERT INTO {decisions} ({decision_cols})
            SELECT {collection}, o.id, 'delete', NULL, p.version, NULL, 'direct', note,
                   verified, who, now(), txid_current(), {department}
            FROM old_rows AS o JOIN {published} AS p ON p.id = o.id;
            DELETE FROM {published} WHERE id IN (SELECT id FROM old_rows);
            DELETE FROM {pending} WHERE collection = {collection}
                AND object_id IN (SELECT id FROM old_rows);
        ELSE
            -- a new object deleted before anybody verified it leaves nothing to verify
            DELETE FROM {pending} AS x USING old_rows AS o
            WHERE x.collection = {collection} AND x.object_id = o.id
              AND NOT EXISTS (SELECT 1 FROM {published} AS p WHERE p.id = o.id);
            INSERT INTO {pending} AS x ({pending_cols})
            SELECT {collection}, o.id, 'delete', NULL, p.version, who, now(), txid_current(),
                   note
            FROM old_rows AS o JOIN {published} AS p ON p.id = o.id
            {on_conflict};
        END IF;
    ELSE  -- TRUNCATE
        IF direct THEN
            DELETE FROM {published};
            DELETE FROM {pending} WHERE collection = {collection};
        ELSE
            DELETE FROM {pending} AS x WHERE x.collection = {collection}
              AND NOT EXISTS (SELECT 1 FROM {published} AS p WHERE p.id = x.object_id);
            INSERT INTO {pending} AS x ({pending_cols})
            SELECT {collection}, p.id, 'delete', NULL, p.version, who, now(), txid_current(),
                   note FROM {published} AS p
            {on_conflict};
        END IF;
    END IF;
    RETURN NULL;
END
$fn$""").format(
        fn=fn, publish=sql.Literal(PUBLISH_SETTING), verified=sql.Literal(VERIFIED_SETTING),
        note=sql.Literal(NOTE_SETTING), decisions=sql.Identifier(*DECISIONS),
        pending=sql.Identifier(*PENDING), published=published, collection=collection,
        department=department, pending_cols=pending_cols, on_conflict=on_conflict,
        decision_cols=decision_cols,
        upsert=upsert_sql(reg, sql.SQL("new_rows"), sql.SQL("verified"),
                          sql.SQL("CASE WHEN verified IS NULL THEN NULL ELSE now() END")))
    target = sql.Identifier(reg.schema, reg.table)
    triggers = [
        sql.SQL("CREATE OR REPLACE TRIGGER track_ins AFTER INSERT ON {} REFERENCING NEW TABLE "
                "AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {}()").format(target, fn),
        sql.SQL("CREATE OR REPLACE TRIGGER track_upd AFTER UPDATE ON {} REFERENCING OLD TABLE "
                "AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {}()"
                ).format(target, fn),
        sql.SQL("CREATE OR REPLACE TRIGGER track_del AFTER DELETE ON {} REFERENCING OLD TABLE "
                "AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {}()").format(target, fn),
        sql.SQL("CREATE OR REPLACE TRIGGER track_trunc AFTER TRUNCATE ON {} FOR EACH "
                "STATEMENT EXECUTE FUNCTION {}()").format(target, fn),
    ]
    return [body, *triggers]


def install_publication(conn: psycopg.Connection, catalog: Catalog) -> None:
    """(Re)create every registry's publication trigger; idempotent."""
    for reg in catalog:
        for ddl in trigger_sql(reg):
            conn.execute(ddl)


def publish_directly(conn: psycopg.Connection, *, verified_by: str | None = None,
                     note: str | None = None) -> None:
    """Make this transaction's writes public at once (the application only: loads of the
    register of record, the demo city); ``verified_by`` names the verification the data
    carries (None: published as never verified)."""
    conn.execute("SELECT set_config(%s, 'direct', true), set_config(%s, %s, true), "
                 "set_config(%s, %s, true)",
                 (PUBLISH_SETTING, VERIFIED_SETTING, verified_by or "", NOTE_SETTING,
                  note or ""))


def through_verification(conn: psycopg.Connection) -> None:
    """Make this transaction's further writes pending again (after :func:`publish_directly`)."""
    conn.execute("SELECT set_config(%s, '', true), set_config(%s, '', true)",
                 (PUBLISH_SETTING, VERIFIED_SETTING))


def note_changes(conn: psycopg.Connection, note: str) -> None:
    """Name this transaction's pending changes in the queue (e.g. "import of parcels.gml")."""
    conn.execute("SELECT set_config(%s, %s, true)", (NOTE_SETTING, note[:200]))
