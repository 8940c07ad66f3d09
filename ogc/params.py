"""OGC API – Features request parameters parsed into small typed values (400s named here)."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from gis.crs import srid_from_uri
from gis.errors import InvalidParameter, Unauthorized
from gis.params import given_once, parse_int, whole
from registries.filters import parse_date
from registries.model import Field, FieldType, Registry
from registries.queries import Sort

RESERVED = {"f", "lang", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "filter",
            "filter-lang", "filter-crs", "sortby", "properties", "skipGeometry", "resulttype",
            "q", "pending"}

# other APIs' names for what a parameter here does (WFS 2.0, GeoServer's CQL): a URL carried over
# from a WFS client had them ignored, and every object came back
OTHER_APIS = {"maxfeatures": "limit", "count": "limit", "startindex": "offset",
              "srsname": "crs", "outputformat": "f", "propertyname": "properties",
              "cql_filter": "filter", "typename": None, "typenames": None}

# what other APIs take a credential as: in a query it would be written into logs and
# histories; here a token is only read from the Authorization header
CREDENTIALS = frozenset({"token", "access_token", "api_key", "apikey", "key", "password"})

# what a link picks up on its way to a reader, not a parameter of this API: a social
# network's or a newsletter's tracking (fbclid, utm_source), an analytics cookie's echo and
# a script's cache-buster (``_``). Ignored, so that a shared link still opens; every other
# unknown name is a 400 (Part 1 /req/core/query-param-unknown)
LINK_TRACKING = frozenset({
    "_", "_ga", "_gl", "dclid", "fbclid", "gbraid", "gclid", "igshid", "mc_cid", "mc_eid",
    "msclkid", "utm_campaign", "utm_content", "utm_id", "utm_medium", "utm_source",
    "utm_term", "wbraid", "yclid"})


def link_query(pairs: Mapping[str, str] | Sequence[tuple[str, str]]) -> str:
    """Return the query string of a link the server writes: commas, colons and slashes as
    they are (RFC 3986 allows them in a query). A client that encodes a link's values again
    before sending them (the official test suite, through RestAssured) read ``%2C`` as
    ``%252C``: its next page's bbox was no bbox.

    >>> link_query({"bbox": "26.8,49.3,27.1,49.5", "crs": "EPSG:6383", "q": "вул. Шевченка"})
    'bbox=26.8,49.3,27.1,49.5&crs=EPSG:6383&q=%D0%B2%D1%83%D0%BB.+%D0%A8%D0%B5%D0%B2%D1%87%D0%B5%D0%BD%D0%BA%D0%B0'
    """
    return urlencode(pairs, safe=",:/")


def unknown_parameter(name: str, known: Set[str]) -> str | None:
    """Return the name meant by ``name``, which is not one of the ``known`` parameters, as a
    sentence: another case of a known one, another API's name for one, or a near miss of one
    (``limt``) — or None when no known name is like it.

    >>> known = {"limit", "bbox", "category"}
    >>> unknown_parameter("BBOX", known)
    "unknown parameter 'BBOX': parameter names are case-sensitive; did you mean 'bbox'?"
    >>> unknown_parameter("maxFeatures", known)
    "unknown parameter 'maxFeatures' (WFS): this API's is 'limit'"
    >>> unknown_parameter("categroy", known)
    "unknown parameter 'categroy': did you mean 'category'?"
    >>> unknown_parameter("token", known)[:63]
    "unknown parameter 'token': a token is sent in the Authorization"
    >>> unknown_parameter("ooga", known) is None
    True
    """
    by_case = {k.lower(): k for k in known}
    shown = repr(name[:40])
    if name.lower() in by_case:
        return (f"unknown parameter {shown}: parameter names are case-sensitive; did you "
                f"mean {by_case[name.lower()]!r}?")
    if name.lower() in ("service", "request"):  # a WMS or WFS client's first question
        return (f"unknown parameter {shown}: this server is an OGC API (Features, Tiles), "
                "not a WMS or WFS; add its address as an OGC API - Features connection "
                "(in QGIS: WFS / OGC API - Features)")
    if name.lower() in CREDENTIALS:  # (an ArcGIS habit; ignored, it answered the public copy)
        return (f"unknown parameter {shown}: a token is sent in the Authorization header "
                "(Authorization: Bearer <token>), never in the address, which logs and "
                "browser histories keep")
    if name.lower() in OTHER_APIS:
        ours = OTHER_APIS[name.lower()]
        origin = "GeoServer" if name.lower() == "cql_filter" else "WFS"
        if ours is None:
            return (f"unknown parameter {shown} ({origin}): this API names the collection "
                    "in the path, /collections/{collectionId}/items")
        return f"unknown parameter {shown} ({origin}): this API's is {ours!r}"
    if not 4 <= len(name) <= 64:  # too short to tell a typo (``x``); too long to be one
        return None
    near = difflib.get_close_matches(name.lower(), list(by_case), n=1, cutoff=0.8)
    if near:
        return f"unknown parameter {shown}: did you mean {by_case[near[0]]!r}?"
    return None


def refuse_unknown(names: Iterable[str], known: Set[str], takes: str) -> None:
    """Refuse (400) the first of ``names`` that is neither a ``known`` parameter of the
    resource asked nor link tracking (:data:`LINK_TRACKING`), naming the parameter meant when
    one is like it, else saying what the resource ``takes``.

    Part 1's /req/core/query-param-unknown: an ignored name (a WFS client's ``maxFeatures``,
    a typo, another server's extension) answered every object, as if it had been applied.

    >>> refuse_unknown(["limit", "fbclid", "utm_source"], {"limit"}, "limit only")
    >>> refuse_unknown(["ooga"], {"f", "lang"}, "this resource takes f and lang")
    Traceback (most recent call last):
    ...
    gis.errors.InvalidParameter: unknown parameter 'ooga': this resource takes f and lang
    """
    for name in names:
        if name in known or name in LINK_TRACKING:
            continue
        raise InvalidParameter(
            unknown_parameter(name, known) or f"unknown parameter {name[:40]!r}: {takes}",
            parameter=name[:64])


def parse_limit(params: dict[str, Any], default: int, most: int) -> int:
    """Return an items request's ``limit``, a whole number from 1: one over ``most`` is
    ``most``, as Part 1 asks (/req/core/fc-limit-response-1 C: a limit larger than the
    maximum "SHALL NOT result in an error"). It was a 400, and a client asking ``limit=100000``
    to get everything, page by page, got nothing.

    >>> parse_limit({"limit": "20000"}, 10, 10000), parse_limit({}, 10, 10000)
    (10000, 10)
    >>> parse_limit({"limit": "0"}, 10, 10000)
    Traceback (most recent call last):
    ...
    gis.errors.InvalidParameter: limit must be between 1 and 10000, got 0
    """
    try:
        over = whole(params.get("limit") or "0") > most
    except ValueError:  # not a number (or of over 4,300 digits): parse_int names it
        over = False
    return most if over else parse_int(params, "limit", default, 1, most)


def items_params(pairs: Iterable[tuple[str, str]], reg: Registry) -> dict[str, str]:
    """Return an items request's parameters by name (``gis.params.given_once``): a property
    given twice — ``category=100&category=200``, a reader's "either" — is refused with the
    CQL2 that means either."""
    def either(name: str, given: list[str]) -> str:
        field = next((f for f in reg.public_fields if f.name == name), None)
        if field is None or field.type not in (FieldType.TEXT, FieldType.INTEGER,
                                               FieldType.NUMBER):
            return ""
        listed = ", ".join(repr(v[:40]) if field.type is FieldType.TEXT else v[:40]
                           for v in given[:5])
        return f"; for any of several values, filter={name} IN ({listed})"
    return given_once(pairs, either)


@dataclass(frozen=True)
class ItemsQuery:
    """One items request: paging, filters and output, validated against the registry."""

    limit: int
    offset: int
    bbox: tuple[float, ...] | None
    bbox_crs: int | str
    crs: int | str
    datetime: tuple[date | None, date | None] | None
    cql: str | None
    cql_lang: str
    cql_crs: int | str
    sorts: tuple[Sort, ...]
    fields: tuple[Field, ...] | None
    skip_geometry: bool
    equals: tuple[tuple[str, str], ...]
    text: str | None = None  # q: free text over the registry's searchable fields
    hits: bool = False  # resulttype=hits: the count without the objects

    @property
    def rows(self) -> int:
        """Return how many objects the page holds at most: none for ``resulttype=hits``."""
        return 0 if self.hits else self.limit


def parse_crs(raw: str | None, name: str, allowed: list[str]) -> int | str:
    """Return the CRS named by a URI the collection offers, or raise InvalidParameter."""
    if raw is None or raw == "":
        return "OGC:CRS84"
    try:
        crs = srid_from_uri(raw)
    except ValueError:
        crs = None
    allowed_codes = {srid_from_uri(u) for u in allowed}
    if crs is None or crs not in allowed_codes:
        raise InvalidParameter(f"{name} {raw!r} is not supported; use one of: "
                               + ", ".join(allowed), parameter=name)
    return crs


def parse_bbox(raw: str | None) -> tuple[float, ...] | None:
    """Return the bbox numbers or raise InvalidParameter.

    >>> parse_bbox("26.9,49.4,27.0,49.45")
    (26.9, 49.4, 27.0, 49.45)
    """
    if raw is None or raw == "":
        return None
    try:
        numbers = tuple(float(v) for v in raw.split(","))
    except ValueError:
        raise InvalidParameter(f"bbox must be 4 or 6 comma-separated numbers, got {raw!r}",
                               parameter="bbox") from None
    # any size is valid (registries.filters cuts it to the region the CRS can express)
    if len(numbers) not in (4, 6) or not all(math.isfinite(v) for v in numbers):
        raise InvalidParameter(f"bbox must be 4 or 6 comma-separated numbers, got {raw!r}",
                               parameter="bbox")
    return numbers


def parse_datetime(raw: str | None) -> tuple[date | None, date | None] | None:
    """Return the (start, end) dates of an instant or interval; '..' is open.

    >>> parse_datetime("2025-01-01/..")
    (datetime.date(2025, 1, 1), None)
    """
    if raw is None or raw == "":
        return None
    parts = raw.split("/")
    if len(parts) > 2:
        raise InvalidParameter(f"datetime {raw!r} is not an instant or an interval",
                               parameter="datetime")

    def one(text: str) -> date | None:
        if text in ("..", ""):
            return None
        # a date-time is its UTC date, as CQL2's TIMESTAMP is (the local date as written
        # chose another day than the same instant in a filter)
        return parse_date(text, InvalidParameter(
            f"datetime {text[:40]!r} is not an RFC 3339 date or date-time", parameter="datetime"))

    start = one(parts[0])
    end = one(parts[1]) if len(parts) == 2 else start
    if start and end and start > end:
        raise InvalidParameter(f"datetime interval {raw!r} ends before it starts",
                               parameter="datetime")
    return (start, end)


def parse_sortby(raw: str | None) -> tuple[Sort, ...]:
    """Return the sort keys of ``sortby=+a,-b``.

    >>> parse_sortby("-valid_until,name")
    (Sort(field='valid_until', descending=True), Sort(field='name', descending=False))
    """
    if not raw:
        return ()
    sorts = []
    for item in raw.split(","):
        item = item.strip()
        desc = item.startswith("-")
        name = item.lstrip("+-").strip()
        if not name:
            raise InvalidParameter(f"sortby {raw!r} has an empty key", parameter="sortby")
        sorts.append(Sort(name, desc))
    return tuple(sorts)


def parse_properties(raw: str | None, readable: tuple[Field, ...], reg: Registry
                     ) -> tuple[Field, ...] | None:
    if raw is None:
        return None
    by_name = {f.name: f for f in readable}
    # each once, in the order first asked: a JSON object's names are unique (RFC 8259)
    names = list(dict.fromkeys(n.strip() for n in raw.split(",") if n.strip()))
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise InvalidParameter(f"unknown properties {unknown} for collection {reg.id}",
                               parameter="properties")
    return tuple(by_name[n] for n in names)


def queryables_properties(raw: str, reg: Registry) -> str:
    """Return the ``properties`` of a queryables request as pygeoapi is to read them (names
    without spaces, and without ``geometry``, which every queryables document holds), or
    raise InvalidParameter naming the names that are no queryable of ``reg``. pygeoapi said
    "unknown properties specified" for a name it did not know, for ``geometry`` (which its
    own document lists) and for a name after ", ".

    >>> from registries.catalog import default_catalog
    >>> parcels = default_catalog().get("land_parcels")
    >>> queryables_properties("category, geometry,registered_on", parcels)
    'category,registered_on'
    >>> queryables_properties("category,nope,holder_rnokpp", parcels)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    gis.errors.InvalidParameter: unknown properties ['nope', 'holder_rnokpp'] for collection ...
    """
    names = list(dict.fromkeys(n.strip() for n in raw.split(",") if n.strip()))
    known = {f.name for f in reg.public_fields}
    unknown = [n[:40] for n in names if n not in known and n != "geometry"]
    if unknown:
        raise InvalidParameter(f"unknown properties {unknown[:5]} for collection {reg.id}; its "
                               f"queryables are geometry, {', '.join(sorted(known))}",
                               parameter="properties")
    if names == ["geometry"]:
        raise InvalidParameter("properties=geometry: the geometry is in every queryables "
                               "document; name the properties wanted beside it, or leave "
                               "properties out for all", parameter="properties")
    return ",".join(n for n in names if n != "geometry")


def parse_items_query(params: dict[str, Any], reg: Registry, readable: tuple[Field, ...],
                      crs_uris: list[str], max_limit: int, default_limit: int) -> ItemsQuery:
    """Return the validated items request for ``reg`` from its query parameters."""
    cql = params.get("filter") or None
    lang = (params.get("filter-lang") or "cql2-text").lower()
    if lang not in ("cql2-text", "cql2-json"):
        raise InvalidParameter(f"filter-lang {lang!r} is not supported; use cql2-text or "
                               "cql2-json", parameter="filter-lang")
    result = (params.get("resulttype") or "results").lower()
    if result not in ("results", "hits"):
        raise InvalidParameter(f"resulttype must be results or hits, got {result[:40]!r}",
                               parameter="resulttype")
    skip = (params.get("skipGeometry") or "false").lower()
    if skip not in ("true", "false"):
        raise InvalidParameter("skipGeometry must be true or false", parameter="skipGeometry")
    readable_names = {f.name for f in readable} | {"id"}
    hidden = {f.name for f in reg.fields} - readable_names
    if hidden & params.keys():  # a personal field: as unknown as a misspelt one, but said so
        raise InvalidParameter(f"{sorted(hidden & params.keys())[0]} is not a queryable of "
                               f"{reg.id}", parameter="properties")
    refuse_unknown(params, RESERVED | readable_names,
                   f"not a parameter of items (/api) nor a queryable of {reg.id} "
                   f"(/collections/{reg.id}/queryables)")
    equals = tuple((k, v) for k, v in params.items() if k not in RESERVED and k in readable_names)
    return ItemsQuery(
        limit=parse_limit(params, default_limit, max_limit),
        offset=parse_int(params, "offset", 0, 0, 2**31 - 1),
        bbox=parse_bbox(params.get("bbox")),
        bbox_crs=parse_crs(params.get("bbox-crs"), "bbox-crs", crs_uris),
        crs=parse_crs(params.get("crs"), "crs", crs_uris),
        datetime=parse_datetime(params.get("datetime")),
        cql=cql,
        cql_lang=lang,
        cql_crs=parse_crs(params.get("filter-crs"), "filter-crs", crs_uris),
        sorts=parse_sortby(params.get("sortby")),
        fields=parse_properties(params.get("properties"), readable, reg),
        skip_geometry=skip == "true",
        equals=equals,
        text=params.get("q") or None,
        hits=result == "hits",
    )


def parse_pending(params: dict[str, Any], staff: bool) -> bool:
    """Return whether staff asked for the working copy with its pending changes
    (``pending=true``); the public sees published versions only and may not ask.

    >>> parse_pending({"pending": "true"}, True), parse_pending({}, False)
    (True, False)
    """
    raw = params.get("pending")
    if raw is None or raw == "":
        return False
    value = str(raw).strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise InvalidParameter("pending must be true or false", parameter="pending")
    if value in ("true", "1") and not staff:
        raise Unauthorized("pending changes are shown to signed-in staff only: the public "
                           "sees the verified versions")
    return value in ("true", "1")


def refuse_pending(params: dict[str, Any]) -> None:
    """Refuse ``pending`` on the pages pygeoapi renders: they show published versions to
    everyone, and a staff member who asked for the working copy must be told, not shown the
    published one as if it were.

    >>> refuse_pending({"f": "html"})
    >>> refuse_pending({"pending": "true"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    gis.errors.InvalidParameter: pending=… is answered as GeoJSON (f=json) to signed-in staff; ...
    """
    if "pending" in params:
        raise InvalidParameter("pending=… is answered as GeoJSON (f=json) to signed-in staff; "
                               "the HTML and JSON-LD pages show the published versions",
                               parameter="pending")
