"""The change feed: the database itself records which geometries every commit touched.

Statement-level triggers (with transition tables, so a COPY of 100,000 rows costs one INSERT …
SELECT, not 100,000 trigger calls) append the old and the new Web-Mercator geometry of every
changed row to ``tiles.changes`` and send ``NOTIFY gis_changes``. The notification is
delivered at commit, never for a rolled-back transaction, so listeners (the tile cache)
learn of every committed edit whatever made it: the API, ingest, the CLI or a planner's
direct PostGIS session from QGIS. An UPDATE that changes none of the watched columns (e.g.
only a hidden field) records nothing. TRUNCATE records one row with a NULL geometry, which
means "everything in this table".

Each row carries the writing transaction's 64-bit id (``xid8`` as bigint); a consumer that
remembers the snapshot ``xmin`` of its last read can never miss a row from a transaction that
was still running then (see ``tiles.invalidate``).

The triggers run as their owner (SECURITY DEFINER): a staff login editing from QGIS feeds the
queue without any right on ``tiles.changes`` itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import sql

CHANGES_SCHEMA = "tiles"
CHANGES_TABLE = "changes"
CHANNEL = "gis_changes"
GEOMETRY = "geom_3857"  # the derived Web-Mercator column each watched table keeps


TRIGGERS = ("changed_ins", "changed_upd", "changed_del", "changed_trunc")


def trigger_sql(schema: str, table: str, watched: Sequence[str],
                source: str | None = None) -> list[sql.Composed]:
    """Return the DDL of ``schema.table``'s change-feed triggers (function, then 4 triggers).

    ``watched`` are the columns whose change is recorded (the geometry among them);
    ``source`` is the name the feed gives the table (default ``schema.table``).
    """
    fn = sql.Identifier(CHANGES_SCHEMA, f"changed_{table}")
    feed_source = sql.Literal(source or f"{schema}.{table}")
    feed = sql.Identifier(CHANGES_SCHEMA, CHANGES_TABLE)
    g = sql.Identifier(GEOMETRY)
    differs = sql.SQL("({}) IS DISTINCT FROM ({})").format(
        sql.SQL(", ").join(sql.SQL("o.{}").format(sql.Identifier(c)) for c in watched),
        sql.SQL(", ").join(sql.SQL("n.{}").format(sql.Identifier(c)) for c in watched))
    if len(watched) == 1:  # a one-column "row" would compare as a scalar anyway
        differs = sql.SQL("o.{c} IS DISTINCT FROM n.{c}").format(c=sql.Identifier(watched[0]))
    body = sql.SQL(
        """
CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {feed} (source, geom) SELECT {source}, n.{g} FROM new_rows AS n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {feed} (source, geom) SELECT {source}, o.{g} FROM old_rows AS o;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO {feed} (source, geom)
        SELECT {source}, v.geom FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id,
            LATERAL (SELECT o.{g} UNION SELECT n.{g}) AS v(geom)
        WHERE {differs};
    ELSE  -- TRUNCATE: everything
        INSERT INTO {feed} (source, geom) VALUES ({source}, NULL);
    END IF;
    IF FOUND THEN
        PERFORM pg_notify({channel}, {source});
    END IF;
    RETURN NULL;
END
$fn$"""
    ).format(fn=fn, feed=feed, source=feed_source, g=g, differs=differs,
             channel=sql.Literal(CHANNEL))
    target = sql.Identifier(schema, table)
    triggers = [
        sql.SQL("CREATE OR REPLACE TRIGGER changed_ins AFTER INSERT ON {} REFERENCING NEW "
                "TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {}()").format(target, fn),
        sql.SQL("CREATE OR REPLACE TRIGGER changed_upd AFTER UPDATE ON {} REFERENCING OLD "
                "TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "
                "{}()").format(target, fn),
        sql.SQL("CREATE OR REPLACE TRIGGER changed_del AFTER DELETE ON {} REFERENCING OLD "
                "TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {}()").format(target, fn),
        sql.SQL("CREATE OR REPLACE TRIGGER changed_trunc AFTER TRUNCATE ON {} FOR EACH "
                "STATEMENT EXECUTE FUNCTION {}()").format(target, fn),
    ]
    return [body, *triggers]

