"""The land purpose classifier (КВЦПЗ, domain §1.5): code ``SS.GG`` → category and name.

The codes live in ``purposes.csv`` next to this module (the one place to correct them); the
database gets the same table as ``registry.land_purpose_category(code)`` from
:func:`functions_sql`, which the parcel rules use.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CSV = Path(__file__).with_name("purposes.csv")


@dataclass(frozen=True)
class Purpose:
    code: str
    category: str  # "" for sections 16–19, tied to no category
    name: str


@lru_cache(maxsize=1)
def purposes() -> dict[str, Purpose]:
    """Return the classifier by code.

    >>> purposes()["02.01"].category, "02.00" in purposes()
    ('200', False)
    """
    lines = [line for line in CSV.read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    return {row["code"]: Purpose(row["code"], row["category"], row["name"])
            for row in csv.DictReader(lines)}


def purpose_problem(code: str, category: str | None) -> str | None:
    """Return why purpose ``code`` does not fit land ``category``, or None when it does.

    >>> purpose_problem("03.07", "100")
    'purpose 03.07 belongs to land category 200, not 100'
    >>> purpose_problem("02.00", "200")
    'purpose 02.00 is not in the land purpose classifier (КВЦПЗ)'
    """
    known = purposes().get(code)
    if known is None:
        return f"purpose {code} is not in the land purpose classifier (КВЦПЗ)"
    if known.category and category and known.category != category:
        return f"purpose {code} belongs to land category {known.category}, not {category}"
    return None


def functions_sql() -> list[str]:
    """Return DDL of ``registry.land_purpose_category(code)`` (NULL: unknown code) and
    ``registry.land_purpose_name(code)``."""
    categories = json.dumps({p.code: p.category for p in purposes().values()})
    names = json.dumps({p.code: p.name for p in purposes().values()}, ensure_ascii=False)
    return [
        "CREATE OR REPLACE FUNCTION registry.land_purpose_category(text) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT '"
        + categories.replace("'", "''") + "'::jsonb ->> $1 $$",
        "CREATE OR REPLACE FUNCTION registry.land_purpose_name(text) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT '"
        + names.replace("'", "''") + "'::jsonb ->> $1 $$",
    ]
