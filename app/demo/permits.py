"""Terms and numbers of permits and passports, relative to today.

``permit_term`` draws the decision, issue and validity dates in a realistic mix relative to
``today`` (valid, expiring, expired, dismantling ordered, dismantled) and ``Numbering`` gives
document numbers ``<prefix>-<year>-<0001>`` unique per issuer. Nothing here is spatial; it
lives apart so that advertising permits and temporary-structure passports share one
definition of a term.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from app.demo.common import _pick


@dataclass(frozen=True, slots=True)
class Term:
    """Dates of a permit or passport: decision ≤ issue ≤ valid_from < valid_until (≤ 5 years)."""

    decided_on: date
    issued_on: date
    valid_from: date
    valid_until: date
    dismantling_ordered_on: date | None
    dismantled_on: date | None


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def permit_term(rng: random.Random, today: date) -> Term:
    """Return a term from the realistic mix relative to ``today``: ~65 % valid, ~7 % expiring
    within 30 days, ~20 % expired, ~5 % dismantling ordered, ~3 % dismantled."""
    years = _pick(rng, ((1, 10), (2, 15), (3, 20), (5, 55)))
    span = (_add_years(today, years) - today).days
    ordered = dismantled = None
    r = rng.random()
    if r < 0.65:
        until = today + timedelta(days=rng.randint(31, span - 1))
    elif r < 0.72:
        until = today + timedelta(days=rng.randint(0, 30))
    elif r < 0.92:
        until = today - timedelta(days=rng.randint(1, 1100))
    elif r < 0.97:
        until = today - timedelta(days=rng.randint(45, 900))
        ordered = until + timedelta(days=rng.randint(14, 40))
    else:
        until = today - timedelta(days=rng.randint(200, 1400))
        ordered = until + timedelta(days=rng.randint(14, 60))
        dismantled = ordered + timedelta(days=rng.randint(10, 90))
    valid_from = _add_years(until + timedelta(days=1), -years)
    issued = valid_from - timedelta(days=rng.randint(0, 21))
    return Term(issued - timedelta(days=rng.randint(3, 30)), issued, valid_from, until,
                ordered, dismantled)


class Numbering:
    """Document numbers unique per issuer: ``<prefix>-<year>-<0001>``."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.last: dict[int, int] = {}

    def next(self, year: int) -> str:
        """Return the next number of ``year``."""
        self.last[year] = self.last.get(year, 0) + 1
        return f"{self.prefix}-{year}-{self.last[year]:04d}"
