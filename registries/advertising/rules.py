"""Rules of outdoor-advertising permits (domain §5.2, Typical Rules CMU No. 2067).

Dates, sizes and the 5-year term refuse a bad write; a communal place without a contract and
two live permits on one place are refused except in a legacy import; an expired permit whose
structure still stands, and an ordered dismantling not done, are listed as problems and on
the dismantling list.
"""

from __future__ import annotations

from registries.model import Rule, Severity
from registries.rules import decimal_uk, inside_community
from registries.status import TERM_COLUMNS
from registries.terms import (
    ACTIVE_STATUSES,
    dismantling_overdue,
    expired_in_place,
    status_of,
    statuses,
    term_rules,
)

MAX_TERM_YEARS = 5  # "5 years unless the application asks for less" (§5.1, verify)
SAME_PLACE_M = 2.0  # two live permits closer than this hold one place (§5.2: a setting)

SIZES_POSITIVE = Rule(
    "sizes_positive", "width, height and the number of sides are positive", Severity.ERROR,
    "SELECT n.id, format('%s: the surface %s × %s m with %s side(s) is not a size', {name}, "
    "n.width_m, n.height_m, n.sides) FROM {rows} AS n "
    "WHERE n.width_m <= 0 OR n.height_m <= 0 OR n.sides < 1",
    on=("width_m", "height_m", "sides"),
    description_uk="ширина, висота й кількість сторін додатні")

COMMUNAL_CONTRACT = Rule(
    "communal_place_contract", "a communal place has a contract number and date (§5.1)",
    Severity.LEGACY,
    "SELECT n.id, format('%s: the place is communal property, so the permit needs the "
    "contract number and date', {name}) FROM {rows} AS n WHERE n.place_owner = 'communal' "
    "AND (coalesce(n.contract_number, '') = '' OR n.contract_date IS NULL)",
    on=("place_owner", "contract_number", "contract_date"),
    description_uk="комунальне місце має номер і дату договору (§5.1)")

ONE_PERMIT_PER_PLACE = Rule(
    "one_permit_per_place", f"two live permits do not hold one place ({SAME_PLACE_M} m)",
    Severity.LEGACY,
    "SELECT n.id, format('%s stands %s m from %s, a live permit for the same place', {name}, "
    "round(ST_Distance(n.geom, o.geom)::numeric, 1), {other}) FROM {rows} AS n "
    "JOIN {table} AS o ON o.id <> n.id AND ST_DWithin(o.geom, n.geom, {distance}) "
    "WHERE {status_n} IN ({active}) AND {status_o} IN ({active})",
    on=("geom", *TERM_COLUMNS), params=(
        ("distance", SAME_PLACE_M), ("status_n", status_of("n")), ("status_o", status_of("o")),
        ("active", statuses(ACTIVE_STATUSES))),
    description_uk=f"два чинні дозволи не займають одне місце ({decimal_uk(SAME_PLACE_M)} м)")

ADVERTISING_RULES = (*term_rules(MAX_TERM_YEARS), SIZES_POSITIVE, inside_community(0.5),
                     COMMUNAL_CONTRACT, ONE_PERMIT_PER_PLACE,
                     expired_in_place("advertising permit", "дозволу на рекламний засіб"),
                     dismantling_overdue(30))
