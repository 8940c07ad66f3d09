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


# The classifier's sections (domain §1.5): how a code reads in English, where the classifier
# itself has only Ukrainian names.
SECTIONS: dict[str, dict[str, str]] = {
    "01": {"uk": "сільськогосподарського призначення", "en": "agriculture"},
    "02": {"uk": "житлова забудова", "en": "residential building"},
    "03": {"uk": "громадська забудова", "en": "public building"},
    "04": {"uk": "природно-заповідний фонд", "en": "nature reserve fund"},
    "05": {"uk": "інше природоохоронне призначення", "en": "other nature protection"},
    "06": {"uk": "оздоровче призначення", "en": "health"},
    "07": {"uk": "рекреаційне призначення", "en": "recreation, sport, green areas"},
    "08": {"uk": "історико-культурне призначення", "en": "historical and cultural"},
    "09": {"uk": "лісогосподарське призначення", "en": "forestry"},
    "10": {"uk": "водний фонд", "en": "water fund"},
    "11": {"uk": "промисловість", "en": "industry"},
    "12": {"uk": "транспорт", "en": "transport"},
    "13": {"uk": "пошта та електронні комунікації", "en": "post and electronic communications"},
    "14": {"uk": "енергетика", "en": "energy"},
    "15": {"uk": "оборона", "en": "defence"},
    "16": {"uk": "землі запасу", "en": "land reserve"},
    "17": {"uk": "резервний фонд", "en": "reserve fund"},
    "18": {"uk": "землі загального користування", "en": "common use land"},
    "19": {"uk": "інше", "en": "other"},
}


def purpose_title(code: str, lang: str = "uk") -> str:
    """Return how people read a purpose code: the classifier's name (Ukrainian) or, in
    English, its section; the code itself when the classifier does not know it.

    >>> purpose_title("02.01")[:30], purpose_title("02.01", "en"), purpose_title("99.99")
    ('Для будівництва і обслуговуван', 'residential building', '99.99')
    """
    known = purposes().get(code)
    if known is None:
        return code
    if lang == "uk":
        return known.name
    return SECTIONS.get(code[:2], {}).get(lang) or known.name


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
