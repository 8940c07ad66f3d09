"""SQL functions and triggers derived from the declarations (installed by ``sync_derived``).

Everything here is a pure derivation, recreated idempotently after every upgrade: the city's
date, the classifiers as lookup functions, the search key and house-number grammar twins of
the Python normalisers, address labels, the term status, the rule checks of every registry
and the street-name search index kept current by a trigger.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from gis.errors import EnvironmentProblem
from registries.addresses import house_number, labels, search_text
from registries.catalog import Catalog
from registries.parcels import purposes
from registries.planning import restriction_codes
from registries.rules import support_sql, trigger_sql
from registries.terms import functions_sql as term_functions_sql

DEFAULT_TIME_ZONE = "Europe/Kyiv"
SEARCH_SCHEMA = "search"


def local_today_sql(time_zone: str) -> list[sql.Composed | sql.SQL]:
    """Return DDL of ``registry.local_date(instant)`` and ``registry.local_today()``: the date
    in the city's time zone (date-driven statuses change at local midnight)."""
    out: list[sql.Composed | sql.SQL] = [sql.SQL(
        "CREATE OR REPLACE FUNCTION registry.local_date(timestamptz) RETURNS date "
        "LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT ($1 AT TIME ZONE {})::date $$").format(
        sql.Literal(time_zone)), sql.SQL(
        "CREATE OR REPLACE FUNCTION registry.local_today() RETURNS date LANGUAGE sql STABLE "
        "PARALLEL SAFE AS $$ SELECT registry.local_date(now()) $$")]
    return out


def functions_sql(time_zone: str = DEFAULT_TIME_ZONE) -> list[sql.Composed | sql.SQL]:
    """Return the DDL of every support function, dependencies first."""
    texts = [*house_number.functions_sql(), search_text.search_key_sql(),
             search_text.latin_name_sql(),
             *labels.functions_sql(), *purposes.functions_sql(),
             *restriction_codes.functions_sql(), *support_sql()]
    return [*local_today_sql(time_zone), *term_functions_sql(),
            *(sql.SQL(text) for text in texts)]


STREET_INDEX_SQL = """
CREATE OR REPLACE FUNCTION search.index_street() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM search.street_name WHERE street_id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO search.street_name (street_id, name, street_type, is_current, until, key,
                                        whole)
        SELECT * FROM search.street_keys(NEW.id, NEW.street_type, NEW.name, NEW.former_names);
    END IF;
    RETURN NULL;
END
$fn$"""

STREET_NAMES_SQL = r"""
CREATE OR REPLACE FUNCTION search.street_keys(p_id bigint, p_type text, p_name text,
                                              p_former jsonb)
RETURNS TABLE (street_id bigint, name text, street_type text, is_current boolean, until date,
               key text, whole boolean)
LANGUAGE sql IMMUTABLE AS $$
    WITH names AS (
        SELECT p_name AS name, p_type AS street_type, true AS is_current, NULL::date AS until
        UNION ALL
        SELECT f.v->>'name', coalesce(f.v->>'street_type', p_type), false,
               CASE WHEN f.v->>'until' ~ '^\d{4}-\d{2}-\d{2}$' THEN (f.v->>'until')::date END
        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_former) = 'array' THEN p_former
                                       ELSE '[]'::jsonb END) AS f(v)
        WHERE jsonb_typeof(f.v) = 'object' AND coalesce(f.v->>'name', '') <> ''
    )
    SELECT p_id, n.name, n.street_type, n.is_current, n.until, k.key, k.whole
    FROM names AS n, LATERAL (SELECT registry.search_key(n.name) AS full) AS f,
    LATERAL (SELECT f.full AS key, true AS whole
             UNION
             SELECT w, false FROM unnest(string_to_array(f.full, ' ')) AS w
             WHERE length(w) >= 4 AND w <> f.full) AS k
$$"""


def install_search_index(conn: psycopg.Connection) -> None:
    """(Re)create the street-name search index trigger and rebuild the index from the streets
    (the normaliser may have changed since the last upgrade). The index follows the published
    streets: a pending renaming is found only once it is verified."""
    conn.execute(STREET_NAMES_SQL)
    conn.execute(STREET_INDEX_SQL)
    conn.execute("DROP TRIGGER IF EXISTS search_index ON registry.street")
    conn.execute("CREATE OR REPLACE TRIGGER search_index AFTER INSERT OR UPDATE OR DELETE "
                 "ON published.street FOR EACH ROW EXECUTE FUNCTION search.index_street()")
    conn.execute("DELETE FROM search.street_name")
    conn.execute("INSERT INTO search.street_name (street_id, name, street_type, is_current, "
                 "until, key, whole) SELECT k.* FROM published.street AS s, LATERAL "
                 "search.street_keys(s.id, s.street_type, s.name, s.former_names) AS k")


def check_tables(conn: psycopg.Connection, catalog: Catalog) -> None:
    """Raise EnvironmentProblem naming every registry whose table no migration has made."""
    missing = [reg for reg in catalog if conn.execute(
        "SELECT to_regclass(%s) IS NULL", (f"{reg.schema}.{reg.table}",)).fetchone() == (True,)]
    if missing:
        names = ", ".join(f"{r.id} ({r.schema}.{r.table})" for r in missing)
        raise EnvironmentProblem(
            f"registries without a table: {names}. A newly declared registry needs its "
            "migration: run `gis db revision -m \"<what>\"`, review it, then `gis db upgrade`")


def install(conn: psycopg.Connection, catalog: Catalog,
            time_zone: str = DEFAULT_TIME_ZONE) -> None:
    """Install the support functions and every registry's rule triggers; idempotent."""
    check_tables(conn, catalog)
    for ddl in functions_sql(time_zone):
        conn.execute(ddl)
    for reg in catalog:
        for ddl in trigger_sql(reg):
            conn.execute(ddl)
    install_search_index(conn)
