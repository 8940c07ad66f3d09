"""CQL2 temporal functions (OGC 21-065, class ``temporal-functions``) as SQL over dates.

Every operand is a period ``[start, end]``: an instant (a date property or a DATE/TIMESTAMP
literal) is the period whose start and end are that day; an interval is ``INTERVAL(a, b)``
of literals or date properties. An open end — ``'..'`` in a literal, an empty (NULL) date
property as an interval bound — is unbounded: ``-infinity`` as a start, ``infinity`` as an
end, which PostgreSQL's ``date`` type orders and compares like any other date. A NULL date
property used as an instant is unknown, so no function holds for it.

The relations are Allen's, as the standard defines them on the two periods' ends:

========================  =================================================
T_BEFORE(a, b)            a.end < b.start
T_AFTER(a, b)             a.start > b.end
T_MEETS(a, b)             a.end = b.start
T_METBY(a, b)             a.start = b.end
T_OVERLAPS(a, b)          a.start < b.start < a.end < b.end
T_OVERLAPPEDBY(a, b)      b.start < a.start < b.end < a.end
T_STARTS(a, b)            a.start = b.start and a.end < b.end
T_STARTEDBY(a, b)         a.start = b.start and a.end > b.end
T_DURING(a, b)            a.start > b.start and a.end < b.end
T_CONTAINS(a, b)          a.start < b.start and a.end > b.end
T_FINISHES(a, b)          a.start > b.start and a.end = b.end
T_FINISHEDBY(a, b)        a.start < b.start and a.end = b.end
T_EQUALS(a, b)            a.start = b.start and a.end = b.end
T_INTERSECTS(a, b)        a.start <= b.end and a.end >= b.start
T_DISJOINT(a, b)          a.end < b.start or a.start > b.end
========================  =================================================

Dates have a day's resolution: a TIMESTAMP literal is compared by its (UTC) date.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

# (left end, operator, right end) conditions, all of which must hold ("or" for t_disjoint)
RELATIONS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "t_before": (("a.end", "<", "b.start"),),
    "t_after": (("a.start", ">", "b.end"),),
    "t_meets": (("a.end", "=", "b.start"),),
    "t_metby": (("a.start", "=", "b.end"),),
    "t_overlaps": (("a.start", "<", "b.start"), ("a.end", ">", "b.start"),
                   ("a.end", "<", "b.end")),
    "t_overlappedby": (("a.start", ">", "b.start"), ("a.start", "<", "b.end"),
                       ("a.end", ">", "b.end")),
    "t_starts": (("a.start", "=", "b.start"), ("a.end", "<", "b.end")),
    "t_startedby": (("a.start", "=", "b.start"), ("a.end", ">", "b.end")),
    "t_during": (("a.start", ">", "b.start"), ("a.end", "<", "b.end")),
    "t_contains": (("a.start", "<", "b.start"), ("a.end", ">", "b.end")),
    "t_finishes": (("a.start", ">", "b.start"), ("a.end", "=", "b.end")),
    "t_finishedby": (("a.start", "<", "b.start"), ("a.end", "=", "b.end")),
    "t_equals": (("a.start", "=", "b.start"), ("a.end", "=", "b.end")),
    "t_intersects": (("a.start", "<=", "b.end"), ("a.end", ">=", "b.start")),
    "t_disjoint": (("a.end", "<", "b.start"), ("a.start", ">", "b.end")),
}
ANY_OF = frozenset({"t_disjoint"})  # the one relation whose conditions are alternatives
OPEN_START = sql.SQL("'-infinity'::date")
OPEN_END = sql.SQL("'infinity'::date")


@dataclass(frozen=True)
class Period:
    """SQL of a period's two ends (each a ``date`` expression, open ends infinite)."""

    start: sql.Composable
    end: sql.Composable


def relation_sql(op: str, a: Period, b: Period) -> sql.Composable:
    """Return the SQL condition of temporal function ``op`` (lower case) between ``a`` and
    ``b``; raise KeyError for an unknown function.

    >>> from psycopg import sql
    >>> day = Period(sql.SQL("d"), sql.SQL("d"))
    >>> relation_sql("t_after", day, Period(OPEN_START, sql.SQL("e"))).as_string(None)
    '(d > e)'
    """
    ends = {"a.start": a.start, "a.end": a.end, "b.start": b.start, "b.end": b.end}
    parts = [sql.SQL("{} {} {}").format(ends[x], sql.SQL(cmp), ends[y])
             for x, cmp, y in RELATIONS[op]]
    joiner = " OR " if op in ANY_OF else " AND "
    return sql.SQL("({})").format(sql.SQL(joiner).join(parts))
