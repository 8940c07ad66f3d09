"""How each of our two languages writes a number and a date: the server's pages, its
extracts and downloads, and the OGC API's pages (``ogc/html.prepare`` writes these
separators and month names into pygeoapi's templates) write them as the geoportal's cards do
(``toLocaleString``, ``Intl`` "uk" / "en-GB").
"""

from __future__ import annotations

import math
from datetime import date, datetime
from zoneinfo import ZoneInfo

# a number's thousands and its decimal point, per language: 12 345,68 / 12,345.68 (the
# Ukrainian grouping is a no-break space, so a number never breaks over two lines)
THOUSANDS = {"uk": "\u00a0", "en": ","}
DECIMAL = {"uk": ",", "en": "."}


def number_in(value: object, lang: str, digits: int = 0) -> str:
    """Return a number as the language ``lang`` writes it; a dash for no number.

    Ukrainian: (no-break) spaces between thousands, a decimal comma.

    >>> number_in(12345.678, "en", 2), number_in(12345.678, "uk", 2) == "12\u00a0345,68"
    ('12,345.68', True)
    >>> number_in(None, "uk")
    '—'
    """
    if value is None:
        return "—"
    lang = "en" if lang == "en" else "uk"
    text = f"{float(str(value)):,.{digits}f}"
    return text.translate(str.maketrans(",.", THOUSANDS[lang] + DECIMAL[lang]))



def measure_in(value: float, lang: str, significant: int = 3) -> str:
    """Return a measured size (a pixel's side) as ``lang`` writes it, to ``significant``
    digits without trailing zeros: what was measured, not the float's noise.

    >>> measure_in(0.0001, "uk"), measure_in(0.49999999, "uk"), measure_in(1250.0, "en")
    ('0,0001', '0,5', '1,250')
    """
    if value == 0 or not math.isfinite(value):
        return number_in(value, lang)
    digits = max(0, significant - 1 - math.floor(math.log10(abs(value))))
    text = number_in(round(value, digits), lang, digits)
    decimal = DECIMAL["en" if lang == "en" else "uk"]
    return text.rstrip("0").rstrip(decimal) if decimal in text else text

# the geoportal's cards (Intl, "en-GB") write an English date as "12 May 2026": so do the
# server's pages and pygeoapi's (ogc/html.prepare writes these words into their templates)
ENGLISH_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December")


def date_in(value: object, lang: str) -> str:
    """Return an ISO date as the language ``lang`` writes it: dd.mm.yyyy in Ukrainian, the
    day, the month's name and the year in English (as the geoportal and pygeoapi's pages do);
    anything not an ISO date as it is.

    >>> date_in("2026-05-12", "uk"), date_in("2026-05-12", "en")
    ('12.05.2026', '12 May 2026')
    >>> date_in("2026-05-12T10:00:00+03:00", "en"), date_in("soon", "en")
    ('12 May 2026', 'soon')
    """
    text = str(value)
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        return text
    if lang == "en":
        return f"{day.day} {ENGLISH_MONTHS[day.month - 1]} {day.year}"
    return f"{day:%d.%m.%Y}"


def moment_in(value: datetime | str, lang: str, time_zone: str) -> str:
    """Return an instant as the city's clock showed it, as the language ``lang`` writes it —
    the way a printed extract states when it was issued.

    >>> moment_in("2026-12-06T16:17:56.265+00:00", "uk", "Europe/Kyiv")
    '06.12.2026 18:17'
    >>> moment_in("2026-12-06T22:30:00+00:00", "en", "Europe/Kyiv")
    '7 December 2026, 00:30'
    """
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = at.astimezone(ZoneInfo(time_zone))
    joiner = ", " if lang == "en" else " "
    return f"{date_in(local.date(), lang)}{joiner}{local:%H:%M}"
