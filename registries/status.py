"""Date-driven statuses of permits and passports, derived at query time (domain §5.4, §6.4).

The registries store events (valid_from, valid_until, dismantling ordered, dismantled,
annulled); ``valid`` / ``expiring`` / ``expired`` follow from the date and are never typed in.
One derivation serves SQL (tiles, lists, exports) and Python (tests, rules):
:func:`term_status_sql` and :func:`term_status` must agree, and a test checks they do.
"""

from __future__ import annotations

from datetime import date, timedelta

from psycopg import sql

from registries.model import CodeList, Registry

EXPIRING_DAYS = 30  # "expiring" = valid for at most this many more days (domain §5.4: N = 30)
TERM_COLUMNS = ("valid_from", "valid_until", "dismantling_ordered_on", "dismantled_on",
                "annulled_on")
# in order of precedence: the first that holds wins
TERM_STATUSES = CodeList([
    ("annulled", "Скасовано", "Annulled"),
    ("dismantled", "Демонтовано", "Dismantled"),
    ("dismantling_ordered", "Припис на демонтаж", "Dismantling ordered"),
    ("not_yet_valid", "Ще не чинний", "Not yet valid"),
    ("expired", "Термін сплив", "Expired"),
    ("expiring", f"Спливає (≤ {EXPIRING_DAYS} днів)", f"Expiring (≤ {EXPIRING_DAYS} days)"),
    ("valid", "Чинний", "Valid"),
])


def has_term_status(reg: Registry) -> bool:
    """Return True when ``reg`` has the term fields its status is derived from.

    >>> from registries.catalog import default_catalog
    >>> [r.id for r in default_catalog() if has_term_status(r)]
    ['advertising_structures', 'temporary_structures']
    """
    names = {f.name for f in reg.public_fields}
    return all(c in names for c in TERM_COLUMNS)


def term_status(valid_from: date, valid_until: date, today: date, *,
                dismantling_ordered_on: date | None = None, dismantled_on: date | None = None,
                annulled_on: date | None = None, expiring_days: int = EXPIRING_DAYS) -> str:
    """Return the status of a permit or passport on ``today``.

    >>> d = date(2026, 11, 1)
    >>> term_status(date(2025, 1, 1), date(2026, 11, 20), d)
    'expiring'
    >>> term_status(date(2025, 1, 1), date(2026, 10, 31), d)
    'expired'
    """
    if annulled_on is not None and annulled_on <= today:
        return "annulled"
    if dismantled_on is not None and dismantled_on <= today:
        return "dismantled"
    if dismantling_ordered_on is not None and dismantling_ordered_on <= today:
        return "dismantling_ordered"
    if valid_from > today:
        return "not_yet_valid"
    if valid_until < today:
        return "expired"
    if valid_until <= today + timedelta(days=expiring_days):
        return "expiring"
    return "valid"


def term_status_sql(today: sql.Composable, alias: str = "t",
                    expiring_days: int = EXPIRING_DAYS) -> sql.Composable:
    """Return SQL of the status of row ``alias`` on the date ``today`` (an SQL date expression).

    >>> term_status_sql(sql.SQL("current_date")).as_string(None).split(" THEN ")[0]
    'CASE WHEN "t"."annulled_on" <= current_date'
    """
    def col(name: str) -> sql.Composable:
        return sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(name))

    return sql.SQL(
        "CASE WHEN {annulled} <= {today} THEN 'annulled'"
        " WHEN {dismantled} <= {today} THEN 'dismantled'"
        " WHEN {ordered} <= {today} THEN 'dismantling_ordered'"
        " WHEN {vfrom} > {today} THEN 'not_yet_valid'"
        " WHEN {vuntil} < {today} THEN 'expired'"
        " WHEN {vuntil} <= {today} + {days} THEN 'expiring'"
        " ELSE 'valid' END"
    ).format(annulled=col("annulled_on"), dismantled=col("dismantled_on"),
             ordered=col("dismantling_ordered_on"), vfrom=col("valid_from"),
             vuntil=col("valid_until"), today=today, days=sql.Literal(expiring_days))


def permit_status(alias: str, today: sql.Composable) -> sql.Composable:
    """Return the term status SQL in the shape of ``Field.derived`` (alias first, then today).

    Declare ``Field("status", derived=permit_status)`` to list the status among a registry's
    fields; tiles, lists and exports then all use this one derivation.
    """
    return term_status_sql(today, alias)


def local_today_sql(time_zone: str) -> sql.Composable:
    """Return SQL of today's date in ``time_zone`` (the city's), whatever the session's zone.

    >>> local_today_sql("Europe/Kyiv").as_string(None)
    "(now() AT TIME ZONE 'Europe/Kyiv')::date"
    """
    return sql.SQL("(now() AT TIME ZONE {})::date").format(sql.Literal(time_zone))


def derived_attributes(reg: Registry, today: sql.Composable,
                       alias: str = "t") -> dict[str, sql.Composable]:
    """Return the attributes derived from ``reg``'s fields: name → SQL over row ``alias``."""
    out = {f.name: f.derived(alias, today) for f in reg.public_fields if f.derived}
    if has_term_status(reg):
        out.setdefault("status", term_status_sql(today, alias))
    return out


def derived_sources(reg: Registry) -> dict[str, tuple[str, ...]]:
    """Return the columns each derived attribute of ``reg`` is computed from."""
    out = {f.name: f.derived_from for f in reg.public_fields if f.derived}
    if has_term_status(reg):
        out.setdefault("status", TERM_COLUMNS)
    return out
