"""The fast items read path: counts cached per snapshot stay exact; deep pages match.

Timings belong in bench/features.py; these tests only pin down that the shortcuts answer
exactly what the plain SQL answers.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from registries.catalog import default_catalog
from registries.counts import MatchedCounts
from registries.filters import Filter
from registries.queries import Output, Sort, page_sql

SRID = 6383
COUNT = sql.SQL("SELECT count(*) FROM counted WHERE nextval('count_runs') > 0")


def runs(conn: psycopg.Connection) -> int:
    """Return how often the count query has scanned its (one-row) table."""
    row = conn.execute("SELECT last_value - 1 FROM count_runs").fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def counted(db_url: str) -> str:
    with psycopg.connect(db_url, autocommit=True) as c:
        c.execute("CREATE TABLE counted (x int); INSERT INTO counted VALUES (1); "
                  "CREATE SEQUENCE count_runs")
        c.execute("SELECT nextval('count_runs')")
    return db_url


def test_count_is_reused_until_a_commit_then_counted_again(counted: str) -> None:
    counts = MatchedCounts()
    with psycopg.connect(counted, autocommit=True) as reader, \
            psycopg.connect(counted, autocommit=True) as writer:
        assert counts.count(reader, COUNT, {}) == 1
        assert counts.count(reader, COUNT, {}) == 1
        assert runs(reader) == 1  # the second answer came from the cache
        writer.execute("INSERT INTO counted VALUES (2)")
        assert counts.count(reader, COUNT, {}) == 2
        assert runs(reader) == 1 + 2  # counted again (2 rows scanned)


def test_an_unrelated_commit_only_costs_a_recount(counted: str) -> None:
    counts = MatchedCounts()
    with psycopg.connect(counted, autocommit=True) as reader:
        assert counts.count(reader, COUNT, {}) == 1
        with psycopg.connect(counted, autocommit=True) as other:
            other.execute("SELECT pg_current_xact_id()")  # takes an id and commits
        assert counts.count(reader, COUNT, {}) == 1
        assert runs(reader) == 2


def test_own_uncommitted_writes_are_counted(counted: str) -> None:
    counts = MatchedCounts()
    with psycopg.connect(counted) as conn:
        assert counts.count(conn, COUNT, {}) == 1
        conn.execute("INSERT INTO counted VALUES (2)")
        assert counts.count(conn, COUNT, {}) == 2
        conn.rollback()
        assert counts.count(conn, COUNT, {}) == 1


def test_a_count_is_taken_again_when_the_local_date_turns(counted: str) -> None:
    """A permit's status is computed from the city's date: at midnight ``status = 'valid'``
    matches other objects without any commit, and the count of the evening (same snapshot)
    was still given as numberMatched. The date is read here from a setting the test turns
    (``registry.local_date`` as the clock), as midnight turns it, without a commit."""
    with psycopg.connect(counted, autocommit=True) as c:
        c.execute("CREATE OR REPLACE FUNCTION registry.local_date(timestamptz) RETURNS date "
                  "LANGUAGE sql STABLE AS $$ SELECT coalesce(nullif(current_setting("
                  "'test.today', true), '')::date, ($1 AT TIME ZONE 'UTC')::date) $$")
    query = sql.SQL("SELECT count(*) FROM counted WHERE registry.local_today() = "
                    "DATE '2100-01-02' AND nextval('count_runs') > 0")
    counts = MatchedCounts()
    with psycopg.connect(counted, autocommit=True) as reader:
        reader.execute("SET test.today = '2100-01-01'")
        assert counts.count(reader, query, {}) == 0
        reader.execute("SET test.today = '2100-01-02'")  # midnight: no transaction commits
        assert counts.count(reader, query, {}) == 1


def test_parameters_are_part_of_the_key(counted: str) -> None:
    counts = MatchedCounts(size=1)
    query = sql.SQL("SELECT count(*) FROM counted WHERE x >= %(lo)s")
    with psycopg.connect(counted, autocommit=True) as c:
        assert counts.count(c, query, {"lo": 0}) == 1
        assert counts.count(c, query, {"lo": 5}) == 0
        assert counts.count(c, query, {"lo": 0}) == 1


@pytest.mark.parametrize("sorts", [(), (Sort("cadastral_number", descending=True),)])
@pytest.mark.parametrize("bbox", [None, (26.90, 49.38, 27.05, 49.45)])
def test_a_deep_page_builds_the_same_features(demo_url: str, sorts: tuple[Sort, ...],
                                              bbox: tuple[float, ...] | None) -> None:
    reg = default_catalog().get("land_parcels")
    flt = Filter(reg, SRID)
    if bbox:
        flt.add_bbox(bbox)
    bind = {**flt.params, "limit": 25, "offset": 37}
    with psycopg.connect(demo_url) as c:
        plain = c.execute(page_sql(reg, flt, Output(), sorts, False), bind).fetchall()
        joined = c.execute(page_sql(reg, flt, Output(), sorts, False, skips_rows=True),
                           bind).fetchall()
    assert len(plain) == 25
    assert joined == plain
