"""What the app's HTML pages share: one template environment, the page's language (Ukrainian,
``?lang=en`` English) with the link to the same page in the other, and numbers and dates as
that language writes them.

Every page that takes ``lang`` reads it here, as the OGC API's pages (pygeoapi) read it: a
language tag, matched by its primary subtag (``en-GB`` is English), anything else Ukrainian,
and ``Content-Language`` says which (``gis.negotiation.language``); the link to the other
language keeps the rest of the query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.requests import Request

from gis.negotiation import language

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                        autoescape=select_autoescape(["html"]))


@dataclass(frozen=True)
class PageLanguage:
    """A page's language and the address of the same page in the other one.

    >>> PageLanguage("en", "/downloads?lang=uk").other
    'uk'
    """

    lang: str
    other_href: str

    @property
    def other(self) -> str:
        """The other language's code."""
        return "uk" if self.lang == "en" else "en"

    @property
    def headers(self) -> dict[str, str]:
        """The response headers that say the page's language."""
        return {"Content-Language": self.lang}


def page_language(request: Request) -> PageLanguage:
    """Return the language ``request`` asks its page in (``lang``; Ukrainian when absent or
    not one of ours) and the link to the page in the other language."""
    lang = language(request.query_params.get("lang"))
    other = request.url.include_query_params(lang="uk" if lang == "en" else "en")
    return PageLanguage(lang, f"{other.path}?{other.query}")


def login_href(request: Request) -> str:
    """Return the login form's address for ``request``'s page: in its language, coming back
    to the page with its query (what every staff page sends a visitor who has not signed in
    to, and what a 401 page links).

    A query of ``?lang=en`` stays in the page's address (``next``) and asks the form in
    English; any other language is Ukrainian, the form's default.
    """
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    english = language(request.query_params.get("lang")) == "en"
    return f"/login?next={quote(target, safe='/')}{'&lang=en' if english else ''}"


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
    text = f"{float(str(value)):,.{digits}f}"
    return text if lang == "en" else text.replace(",", "\u00a0").replace(".", ",")


# the geoportal's cards (Intl, "en-GB") and pygeoapi's pages (ogc/templates/hromada) write an
# English date as "12 May 2026": so do our own pages
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


@pass_context
def _number(context: Context, value: object, digits: int = 0) -> str:
    """The ``num`` filter: a number as the page's language writes it."""
    return number_in(value, context.get("lang", "uk"), digits)


@pass_context
def _date(context: Context, value: object) -> str:
    """The ``date`` filter: a date as the page's language writes it."""
    return date_in(value, context.get("lang", "uk"))


TEMPLATES.filters["num"] = _number
TEMPLATES.filters["date"] = _date
