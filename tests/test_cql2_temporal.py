"""CQL2 temporal functions, each one × instants, intervals and open ends, against expectations
computed here in Python from the standard's definitions (not from PostgreSQL or PostGIS).

The objects are advertising permits with chosen dates; the filters run through the same
``registries.filters.Filter`` as every items request, on the public view. The reference
below is written from OGC 21-065 (CQL2) independently of ``registries.temporal``: periods are
(start, end) day numbers, an instant is the period of one day, ``'..'`` and an empty date
property as an interval end are unbounded (±infinity), an empty date property as an instant
is unknown (no function holds).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import psycopg
import pytest
from psycopg import sql

from registries.catalog import default_catalog
from registries.filters import Filter
from tests.factories import E0, N0, SRID, make_boundary, make_permit

REG = default_catalog().get("advertising_structures")
Period = tuple[float, float]
Dates = dict[str, date | None]

# OGC 21-065, the temporal functions, on the periods a and b
REFERENCE: dict[str, Callable[[Period, Period], bool]] = {
    "T_AFTER": lambda a, b: a[0] > b[1],
    "T_BEFORE": lambda a, b: a[1] < b[0],
    "T_CONTAINS": lambda a, b: a[0] < b[0] and a[1] > b[1],
    "T_DISJOINT": lambda a, b: not (a[0] <= b[1] and a[1] >= b[0]),
    "T_DURING": lambda a, b: a[0] > b[0] and a[1] < b[1],
    "T_EQUALS": lambda a, b: a[0] == b[0] and a[1] == b[1],
    "T_FINISHEDBY": lambda a, b: a[0] < b[0] and a[1] == b[1],
    "T_FINISHES": lambda a, b: a[0] > b[0] and a[1] == b[1],
    "T_INTERSECTS": lambda a, b: a[0] <= b[1] and a[1] >= b[0],
    "T_MEETS": lambda a, b: a[1] == b[0],
    "T_METBY": lambda a, b: a[0] == b[1],
    "T_OVERLAPPEDBY": lambda a, b: b[0] < a[0] < b[1] < a[1],
    "T_OVERLAPS": lambda a, b: a[0] < b[0] < a[1] < b[1],
    "T_STARTEDBY": lambda a, b: a[0] == b[0] and a[1] > b[1],
    "T_STARTS": lambda a, b: a[0] == b[0] and a[1] < b[1],
}
DAYS = [date(2026, m, 1) for m in (1, 2, 3, 4, 5, 6)]


def day(d: date | None, open_as: float) -> float:
    return open_as if d is None else float(d.toordinal())


# the property side: (CQL2 text, its period for one permit's dates; None: unknown)
PROPERTIES: dict[str, tuple[str, Callable[[Dates], Period | None]]] = {
    "instant": ("valid_from", lambda o: (day(o["valid_from"], math.nan),) * 2),
    "interval": ("INTERVAL(valid_from, valid_until)",
                 lambda o: (day(o["valid_from"], -math.inf), day(o["valid_until"], math.inf))),
    "open interval": ("INTERVAL(valid_until, dismantled_on)",
                      lambda o: (day(o["valid_until"], -math.inf),
                                 day(o["dismantled_on"], math.inf))),
    "open instant": ("dismantled_on",  # empty for most: unknown, never matched
                     lambda o: None if o["dismantled_on"] is None
                     else (day(o["dismantled_on"], math.nan),) * 2),
}
# the literal side: (CQL2 text, its period)
LITERALS: dict[str, tuple[str, Period]] = {
    "instant": ("DATE('2026-03-01')", (day(DAYS[2], 0),) * 2),
    "timestamp": ("TIMESTAMP('2026-03-01T10:30:00Z')", (day(DAYS[2], 0),) * 2),
    "interval": ("INTERVAL('2026-02-01', '2026-04-01')", (day(DAYS[1], 0), day(DAYS[3], 0))),
    "open start": ("INTERVAL('..', '2026-03-01')", (-math.inf, day(DAYS[2], 0))),
    "open end": ("INTERVAL('2026-03-01', '..')", (day(DAYS[2], 0), math.inf)),
    "unbounded": ("INTERVAL('..', '..')", (-math.inf, math.inf)),
}


@pytest.fixture(scope="module")
def permits(template_url: str) -> Iterator[tuple[psycopg.Connection, dict[int, Dates]]]:
    """Insert permits for every ordered pair of DAYS (some dismantled, one the day its term
    ended) in a transaction rolled back after the module; return the connection and dates."""
    with psycopg.connect(template_url) as conn, conn.transaction(force_rollback=True):
        make_boundary(conn)
        made: dict[int, Dates] = {}
        for n, (start, end) in enumerate(itertools.combinations(DAYS, 2)):
            dismantled = end + timedelta(days=28 * (n % 3 - 1)) if n % 3 else None
            dates: Dates = {"valid_from": start, "valid_until": end, "dismantled_on": dismantled}
            pid = make_permit(conn, number=f"Т-{n:03d}",
                              at=(E0 + 60 * (n % 10), N0 + 60 * (n // 10)), issued_on=start,
                              dismantling_ordered_on=dismantled, **dates)
            made[pid] = dates
        yield conn, made


def matched(conn: psycopg.Connection, cql: str, among: set[int]) -> set[int]:
    flt = Filter(REG, SRID)
    flt.add_cql2(cql)
    rows = conn.execute(sql.SQL("SELECT t.id FROM {} AS t WHERE {}").format(
        sql.Identifier(*REG.public_view), flt.where()), flt.params).fetchall()
    return {r[0] for r in rows} & among


def expected(fn: str, side: str, literal: Period, swap: bool,
             permits: dict[int, Dates]) -> set[int]:
    out = set()
    for pid, dates in permits.items():
        own = PROPERTIES[side][1](dates)
        if own is None or any(math.isnan(v) for v in own):
            continue
        a, b = (literal, own) if swap else (own, literal)
        if REFERENCE[fn](a, b):
            out.add(pid)
    return out


CASES = [(fn, side, lit, swap) for fn in REFERENCE for side in PROPERTIES for lit in LITERALS
         for swap in (False, True)]


def test_every_temporal_function_matches_the_standard(
        permits: tuple[psycopg.Connection, dict[int, Dates]]) -> None:
    conn, dates = permits
    among = set(dates)
    wrong: list[str] = []
    selects: dict[str, set[str]] = {fn: set() for fn in REFERENCE}
    for fn, side, lit, swap in CASES:
        prop, lit_text = PROPERTIES[side][0], LITERALS[lit][0]
        cql = f"{fn}({lit_text}, {prop})" if swap else f"{fn}({prop}, {lit_text})"
        want = expected(fn, side, LITERALS[lit][1], swap, dates)
        got = matched(conn, cql, among)
        if got != want:
            wrong.append(f"{cql}: expected {sorted(want)}, got {sorted(got)}")
        selects[fn] |= {"some" if want else "none", "all" if want == among else "not all"}
    assert not wrong, f"{len(wrong)} of {len(CASES)} cases differ:\n" + "\n".join(wrong[:20])
    # the table has power: every function selects some permits and leaves others somewhere
    assert all({"some", "not all"} <= seen for seen in selects.values()), selects


def test_property_against_property_and_json_form(
        permits: tuple[psycopg.Connection, dict[int, Dates]]) -> None:
    conn, dates = permits
    among = set(dates)
    cases = {  # property-property, both sides properties
        "T_BEFORE(valid_from, valid_until)": among,
        "T_MEETS(INTERVAL(valid_from, valid_until), INTERVAL(valid_until, dismantled_on))":
            among,
        "T_EQUALS(valid_until, dismantled_on)": {p for p, d in dates.items()
                                                 if d["dismantled_on"] == d["valid_until"]},
    }
    assert cases["T_EQUALS(valid_until, dismantled_on)"], "a case that selects nothing"
    for cql, want in cases.items():
        assert matched(conn, cql, among) == want, cql
    flt = Filter(REG, SRID)
    flt.add_cql2('{"op": "t_finishedBy", "args": [{"interval": [{"property": "valid_from"}, '
                 '{"property": "valid_until"}]}, {"interval": ["2026-03-01", "2026-06-01"]}]}',
                 "cql2-json")
    rows = conn.execute(sql.SQL("SELECT t.id FROM {} AS t WHERE {}").format(
        sql.Identifier(*REG.public_view), flt.where()), flt.params).fetchall()
    assert {r[0] for r in rows} & among == {
        p for p, d in dates.items()
        if d["valid_from"] < date(2026, 3, 1) and d["valid_until"] == date(2026, 6, 1)}


# timestamps within one day, in seconds of the day: compared as instants when no property
# takes part (a date property meets a timestamp on its UTC day, as above)
SAME_DAY: dict[str, tuple[str, Period]] = {
    "06:00": ("TIMESTAMP('2010-01-01T06:00:00Z')", (6 * 3600, 6 * 3600)),
    "12:00": ("TIMESTAMP('2010-01-01T14:00:00+02:00')", (12 * 3600, 12 * 3600)),
    "06–13": ("INTERVAL('2010-01-01T06:00:00Z', '2010-01-01T13:00:00Z')",
              (6 * 3600, 13 * 3600)),
    "12–..": ("INTERVAL('2010-01-01T12:00:00Z', '..')", (12 * 3600, math.inf)),
}
COMPARED = {"<": lambda a, b: a < b, "=": lambda a, b: a == b, ">=": lambda a, b: a >= b,
            "<>": lambda a, b: a != b}


def test_two_timestamp_literals_meet_as_instants_not_as_their_days(
        permits: tuple[psycopg.Connection, dict[int, Dates]]) -> None:
    """CQL2's own test predicates compare literals with literals: 00:00 and 12:00 of one day
    were equal, T_AFTER of 12:00 and 06:00 false. Every function and comparison, every pair of
    same-day literals, against the reference: all permits or none."""
    conn, dates = permits
    among = set(dates)
    wrong = []
    for fn, holds in REFERENCE.items():
        for (a_text, a), (b_text, b) in itertools.product(SAME_DAY.values(), repeat=2):
            cql = f"{fn}({a_text}, {b_text})"
            if matched(conn, cql, among) != (among if holds(a, b) else set()):
                wrong.append(cql)
    instants = [v for v in SAME_DAY.values() if v[1][0] == v[1][1]]
    for op, holds in COMPARED.items():
        for (a_text, a), (b_text, b) in itertools.product(instants, repeat=2):
            cql = f"{a_text} {op} {b_text}"
            if matched(conn, cql, among) != (among if holds(a[0], b[0]) else set()):
                wrong.append(cql)
    # two texts that look like timestamps are texts: compared as written (as instants,
    # 05:00Z is after 06:00+02:00)
    text = "'2020-01-01T05:00:00Z' < '2020-01-01T06:00:00+02:00'"
    if matched(conn, text, among) != among:
        wrong.append(text)
    assert not wrong, wrong[:10]


@pytest.mark.parametrize("cql", [
    "T_AFTER(valid_from, INTERVAL('2026-05-01', '2026-01-01'))",  # ends before it starts
    "T_AFTER(permit_number, DATE('2026-01-01'))",  # not a date
    "T_AFTER(valid_from, DATE('2026-13-01'))",
    "T_AFTER(valid_from, INTERVAL('2026-01-01'))",
])
def test_bad_temporal_arguments_are_named(cql: str) -> None:
    from gis.errors import InvalidParameter

    with pytest.raises(InvalidParameter):
        Filter(REG, SRID).add_cql2(cql)


@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:30:00+01:00"])
@pytest.mark.parametrize("form", ["text", "json", "interval"])
def test_a_stamp_whose_utc_day_leaves_the_calendar_is_named(stamp: str, form: str) -> None:
    """A legal RFC 3339 stamp whose UTC day is before 0001-01-01 or after 9999-12-31 was an
    OverflowError: a 500 on every items request, anonymous too."""
    from gis.errors import InvalidParameter

    cql: str | dict[str, object] = {
        "text": f"valid_from > TIMESTAMP('{stamp}')",
        "json": {"op": "t_after", "args": [{"property": "valid_from"}, {"timestamp": stamp}]},
        "interval": f"T_DURING(valid_from, INTERVAL('2020-01-01', '{stamp}'))"}[form]
    with pytest.raises(InvalidParameter, match="0001–9999|not a date") as refused:
        if isinstance(cql, dict):
            Filter(REG, SRID).add_cql2(json.dumps(cql), "cql2-json")
        else:
            Filter(REG, SRID).add_cql2(cql)
    assert refused.value.where == {"parameter": "filter"}
