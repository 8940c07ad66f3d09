"""Permits and passports with a term (advertising §5, temporary structures §6): the derived
status as a field, the rules on their dates, and the dismantling list (перелік на демонтаж).

The status itself is derived in one place, ``registries.status``; this module exposes it as the
``status`` field of a registry (public view column, OGC property, search) and as the SQL
function ``registry.term_status(...)`` that rules and lists call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import psycopg
from psycopg import sql

from registries.common import t, term_fields
from registries.model import Field, Registry, Rule, Severity
from registries.rules import TODAY, dates_ordered, name_sql
from registries.status import TERM_COLUMNS, TERM_STATUSES, term_status_sql

ACTIVE_STATUSES = ("not_yet_valid", "valid", "expiring")  # the structure may legally stand


def _status(alias: str, today: sql.Composable) -> sql.Composable:
    return term_status_sql(today, alias)


def status_field() -> Field:
    """Return the ``status`` field derived from the term (valid / expiring / expired …)."""
    return Field("status", title=t("Статус", "Status"), choices=TERM_STATUSES, derived=_status,
                 derived_from=TERM_COLUMNS,
                 description=t("Обчислюється з дат щодня", "Derived from the dates every day"))


def status_of(alias: str) -> sql.Composable:
    """Return SQL of the status of row ``alias`` today (a rule parameter, e.g. ``{status}``)."""
    return sql.SQL("registry.term_status({cols}, {today})").format(
        cols=sql.SQL(", ").join(sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(c))
                                for c in TERM_COLUMNS), today=TODAY)


def statuses(names: tuple[str, ...]) -> sql.Composable:
    """Return an SQL list of status literals, for ``IN ({...})`` in rule templates."""
    return sql.SQL(", ").join(sql.Literal(n) for n in names)


def functions_sql() -> list[sql.Composed]:
    """Return DDL of ``registry.term_status(valid_from, valid_until, dismantling_ordered_on,
    dismantled_on, annulled_on, today)``: ``registries.status`` as an SQL function."""
    return [sql.SQL(
        "CREATE OR REPLACE FUNCTION registry.term_status(valid_from date, valid_until date, "
        "dismantling_ordered_on date, dismantled_on date, annulled_on date, today date) "
        "RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT {} FROM (SELECT "
        "valid_from, valid_until, dismantling_ordered_on, dismantled_on, annulled_on) AS t $$"
    ).format(term_status_sql(sql.SQL("today"), "t"))]


def term_rules(max_years: int | None) -> tuple[Rule, ...]:
    """Return the rules on a term's dates: issued ≤ valid from < valid until (≤ ``max_years``
    later), dismantled on or after the order."""
    titles = {f.name: f.title["uk"] for f in term_fields()}
    rules = [
        dates_ordered("issued_on", "valid_from", strict=False, titles_uk=titles),
        dates_ordered("valid_from", "valid_until", titles_uk=titles),
        dates_ordered("dismantling_ordered_on", "dismantled_on", strict=False, titles_uk=titles),
    ]
    if max_years:
        rules.append(Rule(
            "term_at_most_years", f"the term is at most {max_years} years", Severity.ERROR,
            "SELECT n.id, format('%s: the term %s – %s is longer than %s years', {name}, "
            "n.valid_from, n.valid_until, {years}) FROM {rows} AS n "
            "WHERE n.valid_until > n.valid_from + make_interval(years => {years})",
            on=("valid_from", "valid_until"), params=(("years", max_years),),
            description_uk=f"строк дії не довший за {max_years} р."))
    return tuple(rules)


def expired_in_place(what: str, what_uk: str) -> Rule:
    """Return the WARNING that a structure still stands after its term ended (``what`` names
    the document whose term it is; ``what_uk`` in Ukrainian, genitive: "дозволу на …")."""
    return Rule(
        "expired_in_place", f"an expired {what} is dismantled or has its dismantling ordered",
        Severity.WARNING,
        "SELECT n.id, format('%s expired on %s (%s days ago) and is not dismantled: order its "
        "dismantling', {name}, n.valid_until, {today} - n.valid_until) FROM {rows} AS n "
        "WHERE {status} = 'expired'",
        on=("valid_until",), params=(("status", status_of("n")),),
        description_uk=f"після закінчення строку {what_uk} конструкцію демонтовано або "
                       "демонтаж наказано")


def dismantling_overdue(days: int) -> Rule:
    """Return the WARNING that an ordered dismantling is not done after ``days`` days."""
    return Rule(
        "dismantling_overdue", f"an ordered dismantling is done within {days} days",
        Severity.WARNING,
        "SELECT n.id, format('%s: dismantling ordered on %s is not done after %s days', {name},"
        " n.dismantling_ordered_on, {today} - n.dismantling_ordered_on) FROM {rows} AS n "
        "WHERE {status} = 'dismantling_ordered' AND {today} - n.dismantling_ordered_on > {days}",
        on=("dismantling_ordered_on",), params=(("days", days), ("status", status_of("n"))),
        description_uk=f"наказаний демонтаж виконано протягом {days} днів")


@dataclass(frozen=True)
class DismantlingEntry:
    """One structure on the dismantling list."""

    id: int
    label: str
    status: str
    valid_until: date
    dismantling_ordered_on: date | None
    days_overdue: int
    reason: str
    location: str | None

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "label": self.label, "status": self.status,
                "valid_until": self.valid_until.isoformat(),
                "dismantling_ordered_on": self.dismantling_ordered_on.isoformat()
                if self.dismantling_ordered_on else None,
                "days_overdue": self.days_overdue, "reason": self.reason,
                "location": self.location}


def dismantling_list_sql(reg: Registry) -> sql.Composed:
    """Return SQL of the structures to dismantle: expired without an order, then ordered and
    not yet dismantled; oldest first. Reads public columns only."""
    location = sql.SQL("t.location_text") if any(
        f.name == "location_text" for f in reg.public_fields) else sql.SQL("NULL")
    return sql.SQL(
        "SELECT t.id, {name}, t.status, t.valid_until, t.dismantling_ordered_on, "
        "{today} - coalesce(t.dismantling_ordered_on, t.valid_until) AS days, {location} "
        "FROM {view} AS t WHERE t.status IN ('expired', 'dismantling_ordered') "
        "ORDER BY t.status DESC, t.valid_until, t.id").format(
        name=name_sql(reg, "t"), today=TODAY, location=location,
        view=sql.Identifier(*reg.public_view))


def dismantling_list(conn: psycopg.Connection, reg: Registry) -> list[DismantlingEntry]:
    """Return ``reg``'s dismantling list, each entry with the reason in words."""
    out = []
    for id_, label, status, until, ordered, days, location in conn.execute(
            dismantling_list_sql(reg)):
        reason = (f"{label}: term expired on {until} ({days} days ago), dismantling not ordered"
                  if status == "expired" else
                  f"{label}: dismantling ordered on {ordered} ({days} days ago), not done")
        out.append(DismantlingEntry(int(id_), label, status, until, ordered, int(days), reason,
                                    location))
    return out
