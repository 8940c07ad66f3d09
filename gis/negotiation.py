"""Content negotiation by ``Accept`` (RFC 9110, 12.5.1): which of the types a resource
offers its client prefers — by quality value, then by the most specific range that names the
type — read one way by every route that answers in more than one format; and the language a
``lang`` parameter asks (``language``); and whether a client already holds a representation
(``not_modified``: ``If-None-Match``).

Reading ``"text/html" in accept`` instead sent a client asking
``text/html;q=0.1, application/geo+json`` (GeoJSON, HTML only if nothing else) an HTML page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from gis.errors import InvalidParameter

HTML = "text/html"
# what programs ask: a client preferring any of these to HTML is not a browser's navigation
JSON_TYPES = ("application/json", "application/geo+json", "application/problem+json",
              "application/ld+json", "application/schema+json")


def choices(header: str) -> list[tuple[str, list[str], float]]:
    """Return the choices of a preference header (``Accept``, ``Accept-Language``): each
    value, its parameters as written and its quality (``q``; -1 when it is not a number).

    >>> choices("text/html;level=1, en;q=0.5, x;q=y")
    [('text/html', ['level=1'], 1.0), ('en', ['q=0.5'], 0.5), ('x', ['q=y'], -1.0)]
    """
    out: list[tuple[str, list[str], float]] = []
    for part in header.split(","):
        value, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, number = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(number.strip())
                except ValueError:
                    q = -1.0
        if value:
            out.append((value, params, q))
    return out


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """Return whether an ``If-None-Match`` header names ``etag`` (RFC 9110, 13.1.2): by weak
    comparison — ``W/"a"`` matches ``"a"`` —, in a list with or without spaces, and ``*``
    (any representation the resource has) matches every one.

    >>> not_modified('W/"a",  "b"', '"a"'), not_modified('*', '"c"'), not_modified('"a"', '"b"')
    (True, True, False)
    >>> not_modified(None, '"a"'), not_modified('"a", W/"b"', 'W/"b"')
    (False, True)
    """
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags


def accept_ranges(accept: str) -> list[tuple[str, float]]:
    """Return the media ranges of an ``Accept`` header with their quality values, lower case;
    a range whose ``q`` is not a number from 0 to 1 is left out.

    >>> accept_ranges("text/html, application/xml;q=0.9, */*;q=0.8, image/*;q=x")
    [('text/html', 1.0), ('application/xml', 0.9), ('*/*', 0.8)]
    """
    return [(kind.lower(), q) for kind, _, q in choices(accept)
            if "/" in kind and 0.0 <= q <= 1.0]


def acceptable(header: str) -> str:
    """Return a preference header (``Accept``, ``Accept-Language``, a ``lang`` value) with
    only its choices of a quality above 0 and at most 1, each as ``value;q=N``: a choice of
    ``q=0`` is a refusal, and pygeoapi 0.24 ranks choices by ``1 / q`` (a division by zero,
    a 500, for ``en;q=0``). Choices with other parameters are kept as written.

    >>> acceptable("application/geo+json;q=0, text/html;q=0.5, */*")
    'text/html;q=0.5, */*'
    >>> acceptable("en;q=0"), acceptable("uk, en;q=x, de;q=2")
    ('', 'uk')
    """
    return ", ".join(";".join([value, *params]) for value, params, q in choices(header)
                     if 0.0 < q <= 1.0)


def preferred(accept: str | None, offered: Sequence[str]) -> str | None:
    """Return the type of ``offered`` that ``accept`` ranks highest (a tie: the first
    offered, the server's own preference), or None when it accepts none of them. Without an
    ``Accept`` header (or an empty one) the first offered.

    >>> browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    >>> preferred(browser, ["application/geo+json", "text/html"])
    'text/html'
    >>> preferred("text/html;q=0.1, application/geo+json", ["application/geo+json", "text/html"])
    'application/geo+json'
    >>> preferred("*/*", ["application/json", "text/html"])
    'application/json'
    >>> preferred("text/*;q=0.5, text/html;q=0", ["text/html", "text/csv"])
    'text/csv'
    >>> preferred("application/xml", ["application/json", "text/html"]) is None
    True
    >>> preferred(None, ["application/json", "text/html"])
    'application/json'
    """
    ranges = accept_ranges(accept or "")
    if not ranges:
        return offered[0] if offered else None
    best: tuple[float, str] | None = None
    for kind in offered:
        major = kind.split("/")[0]
        # the most specific range naming the type sets its quality
        q = next((q for r, q in ranges if r == kind), None)
        if q is None:
            q = next((q for r, q in ranges if r == f"{major}/*"), None)
        if q is None:
            q = next((q for r, q in ranges if r == "*/*"), 0.0)
        if q > 0 and (best is None or q > best[0]):
            best = (q, kind)
    return best[1] if best else None


def prefers_html(accept: str | None) -> bool:
    """Return True when ``accept`` ranks an HTML page above JSON: a browser's navigation,
    not a program (which sends JSON types, ``*/*`` or nothing).

    >>> prefers_html("text/html,application/xhtml+xml,*/*;q=0.8"), prefers_html("*/*")
    (True, False)
    >>> prefers_html("application/json, text/html;q=0.9"), prefers_html(None)
    (False, False)
    >>> prefers_html("application/ld+json;q=0.9, text/html;q=0.3")
    False
    """
    return preferred(accept, [*JSON_TYPES, HTML]) == HTML


LANGUAGES = ("uk", "en")  # Ukrainian first: the default


def language(asked: str | None) -> str:
    """Return the language of ours a ``lang`` value asks: a language tag's primary subtag in
    any case (``en-GB`` and ``EN`` are English); Ukrainian for anything else or nothing.

    ``lang`` states a preference, as pygeoapi reads it on the OGC API's pages: a language we
    do not write gets the page in Ukrainian (its ``Content-Language`` says so), the same
    answer on every page of the server, never an error.

    >>> language("en-GB"), language("EN"), language("uk-UA"), language("de"), language(None)
    ('en', 'en', 'uk', 'uk', 'uk')
    """
    primary = (asked or "").split("-", 1)[0].strip().lower()
    return primary if primary in LANGUAGES else LANGUAGES[0]


def page_or_json(f: str | None, accept: str | None) -> bool:
    """Return True when a resource served both as an HTML page and as JSON is asked as the
    page: by ``f`` (json or html, any case) when given, else by ``Accept``
    (:func:`prefers_html`). Another ``f`` is refused (400) naming it.

    >>> page_or_json("HTML", None), page_or_json("json", "text/html"), page_or_json(None, "*/*")
    (True, False, False)
    >>> page_or_json("", "text/html,application/xhtml+xml")
    True
    >>> page_or_json("xml", None)
    Traceback (most recent call last):
    gis.errors.InvalidParameter: f='xml' is not served here: a page or JSON only (f=html, f=json)
    """
    if f:
        if f.lower() not in ("json", "html"):
            raise InvalidParameter(f"f={f[:40]!r} is not served here: a page or JSON only "
                                   "(f=html, f=json)", parameter="f")
        return f.lower() == "html"
    return prefers_html(accept)


def json_only(f: str | None) -> None:
    """Refuse (400) a format other than JSON asked (``f``) of a resource served as JSON only;
    without ``f`` (or ``f=json``) nothing is wrong.

    >>> json_only(None), json_only("JSON"), json_only("")
    (None, None, None)
    >>> json_only("html")
    Traceback (most recent call last):
    gis.errors.InvalidParameter: f='html' is not served here: this resource is JSON only (f=json)
    """
    if f and f.lower() != "json":
        raise InvalidParameter(f"f={f[:40]!r} is not served here: this resource is JSON only "
                               "(f=json)", parameter="f")


class _Request(Protocol):  # what json_document reads of a Starlette request (gis has no web)
    @property
    def query_params(self) -> Any: ...


def json_document[R: _Request, T](handler: Callable[[R], Awaitable[T]]
                                  ) -> Callable[[R], Awaitable[T]]:
    """Return the endpoint ``handler`` refusing (:func:`json_only`) a format other than JSON
    asked by ``f``: for the routes served as JSON only (tile matrix sets, tilesets, TileJSON,
    styles, the staff's JSON routes); a file's format is in its path and takes no ``f``."""
    async def endpoint(request: R) -> T:
        json_only(request.query_params.get("f"))
        return await handler(request)
    return endpoint
