"""What the app's HTML pages share: one template environment, the page's language (Ukrainian,
``?lang=en`` English) with the link to the same page in the other, and numbers and dates as
that language writes them (``gis.writing``, as the OGC API's pages write them).

Every page that takes ``lang`` reads it here, as the OGC API's pages (pygeoapi) read it: a
language tag, matched by its primary subtag (``en-GB`` is English), anything else Ukrainian,
and ``Content-Language`` says which (``gis.negotiation.language``); the link to the other
language keeps the rest of the query.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.requests import Request

from gis.negotiation import language
from gis.writing import date_in, number_in

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
