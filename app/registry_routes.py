"""HTTP routes of the registries beyond OGC API: search, reverse lookup, the parcel report,
problems and dismantling lists, an object's change log, a registry as of a past instant.

Public responses carry no personal field: they read the public views (``open_data``) and the
rules whose messages read no personal column; a bearer token of staff adds what staff see.
Each handler parses its request into a small parameter object, calls one function of
``registries`` in a worker thread and renders the answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from psycopg_pool import ConnectionPool
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from app.pages import TEMPLATES, page_language
from app.security import token_authenticator
from gis.auth import Principal
from gis.db import database_errors, set_statement_timeout
from gis.errors import InvalidParameter, NotFound
from gis.negotiation import json_only, page_or_json
from gis.params import given_once, object_id, parse_int
from gis.settings import Settings
from ogc.params import parse_pending
from registries import changes, place, report, search
from registries.catalog import Catalog
from registries.model import Registry, Severity
from registries.parcels.purposes import purpose_title
from registries.rules import find_problems, rule_titles
from registries.status import has_term_status
from registries.styles import STATUS_TITLES
from registries.terms import dismantling_list

GEOJSON = "application/geo+json"
MAX_SEARCH = 50


@dataclass(frozen=True)
class RegistryService:
    """What the registry routes need: settings, the pool, the catalog, who is asking."""

    settings: Settings
    pool: ConnectionPool
    catalog: Catalog
    authenticate: Callable[[Request], Principal]
    # logs one staff read of personal data (app.security.Authenticator.audit)
    audit: Callable[[Principal, str, Request], None] | None = None

    async def personal(self, request: Request, collection: str) -> bool:
        """Return whether the asker sees personal data; a staff read of it is logged."""
        who = self.authenticate(request)
        if not who.sees_personal_data:
            return False
        if self.audit is not None:
            await run_in_threadpool(self.audit, who, collection, request)
        return True

    def run(self, fn: Callable[..., Any], *args: Any, timeout_s: float | None = None,
            **kwargs: Any) -> Any:
        """Run ``fn(conn, *args, **kwargs)`` on a pooled connection (read only), its
        statements limited to ``timeout_s`` (default: the reports' limit)."""
        with database_errors(), self.pool.connection() as conn, conn.transaction():
            set_statement_timeout(conn, timeout_s or self.settings.timeouts.reports_s)
            return fn(conn, *args, **kwargs)

    def run_quick(self, fn: Callable[..., Any], *args: Any, timeout_s: float | None = None,
                  **kwargs: Any) -> Any:
        """Run a read of one or two statements in autocommit, limited to ``timeout_s``: no
        BEGIN and no ROLLBACK round trips around it (what a search keystroke waits for; ``fn``
        opens a transaction itself where it needs one)."""
        limit = f"{int((timeout_s or self.settings.timeouts.search_s) * 1000)}ms"
        with database_errors(), self.pool.connection() as conn:
            conn.autocommit = True
            try:
                conn.execute("SELECT set_config('statement_timeout', %s, false)", (limit,))
                return fn(conn, *args, **kwargs)
            finally:
                conn.execute("RESET statement_timeout")
                conn.autocommit = False

    def readable(self, collection_id: str, request: Request) -> Registry:
        """Return the registry ``collection_id`` if the asker may read it (404 otherwise: a
        staff-only registry does not exist for the public, as on the OGC API)."""
        reg = self.catalog.get(collection_id)
        if not reg.public and not self.authenticate(request).sees_personal_data:
            raise NotFound(f"no collection {reg.id!r}", collection=reg.id)
        return reg

    def registry(self, request: Request) -> Registry:
        return self.readable(request.path_params["collection_id"], request)


# -- parameters ---------------------------------------------------------------------------

LIMITS = {"lon": 180.0, "lat": 90.0}


def _float(params: dict[str, str], name: str) -> float:
    """Return coordinate ``name`` (lon or lat in degrees), finite and on Earth.

    >>> _float({"lat": "nan"}, "lat")
    Traceback (most recent call last):
    gis.errors.InvalidParameter: lat must be a number from -90 to 90, got 'nan'
    """
    bound = LIMITS.get(name, 1e9)
    try:
        value = float(params[name])
    except KeyError:
        raise InvalidParameter(f"{name} is required", parameter=name) from None
    except ValueError:
        value = float("nan")
    if not -bound <= value <= bound:  # NaN and infinities fail this too
        raise InvalidParameter(f"{name} must be a number from {-bound:g} to {bound:g}, got "
                               f"{params[name]!r}", parameter=name)
    return value


def parse_instant(text: str, time_zone: str) -> datetime:
    """Return the instant of an ISO 8601 ``datetime`` parameter; a bare date means the start
    of that day in the city's time zone, a time without an offset the city's local time.

    >>> parse_instant("2026-01-01", "Europe/Kyiv").isoformat()
    '2026-01-01T00:00:00+02:00'
    """
    text = text.strip().replace("Z", "+00:00")
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), ZoneInfo(time_zone))
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidParameter(f"datetime {text!r} is not an ISO 8601 date or instant",
                               parameter="datetime") from None
    return when if when.tzinfo else when.replace(tzinfo=ZoneInfo(time_zone))


def wants_html(request: Request) -> bool:
    """Return True when a resource served as a page and as JSON is asked as the page."""
    return page_or_json(request.query_params.get("f"), request.headers.get("accept"))


# -- handlers ------------------------------------------------------------------------------

async def search_handler(svc: RegistryService, request: Request) -> Response:
    """GET /search?q=…[&collections=a,b][&limit=10]: addresses as typed, any registry."""
    params = given_once(request.query_params.multi_items())
    limit = parse_int(params, "limit", 10, 1, MAX_SEARCH)
    collections = [c for c in params.get("collections", "").split(",") if c] or None
    for cid in collections or []:  # the public searches what it may read, nothing else
        svc.readable(cid, request)
    personal = await svc.personal(request, ",".join(collections or ["search"]))
    places = (svc.settings.city.name_uk, svc.settings.city.name_en)
    hits = await run_in_threadpool(svc.run_quick, search.search, svc.catalog, params.get("q", ""),
                                   limit=limit, collections=collections, personal=personal,
                                   place_names=places, timeout_s=svc.settings.timeouts.search_s)
    return JSONResponse({"query": params.get("q", ""), "numberReturned": len(hits),
                         "results": [h.as_dict() for h in hits]})


async def reverse_handler(svc: RegistryService, request: Request) -> Response:
    """GET /search/reverse?lon=…&lat=…[&radius=250]: the nearest address."""
    params = given_once(request.query_params.multi_items())
    lon, lat = _float(params, "lon"), _float(params, "lat")
    radius = parse_int(params, "radius", 250, 1, 5000)
    hit, distance = await run_in_threadpool(
        svc.run_quick, search.nearest_address, lon, lat,
        storage_srid=svc.settings.city.storage_srid, max_distance_m=radius,
        timeout_s=svc.settings.timeouts.search_s)
    return JSONResponse({**hit.as_dict(), "distance_m": distance})


async def place_handler(svc: RegistryService, request: Request) -> Response:
    """GET /search/place?lon=…&lat=…: what is there (nearest address, parcel, zones …)."""
    params = given_once(request.query_params.multi_items())
    lon, lat = _float(params, "lon"), _float(params, "lat")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidParameter("lon must be within ±180 and lat within ±90", parameter="lon")
    doc = await run_in_threadpool(svc.run_quick, place.place_at, svc.catalog, lon, lat,
                                  storage_srid=svc.settings.city.storage_srid)
    return Response(json.dumps(doc, ensure_ascii=False, default=str),
                    media_type="application/json")


async def parcel_report_handler(svc: RegistryService, request: Request) -> Response:
    """GET /reports/parcels/{cadastral_number} or /reports/parcels?lon=…&lat=… (JSON, HTML)."""
    params = given_once(request.query_params.multi_items())
    number = request.path_params.get("cadastral_number") or params.get("cadastral_number")
    html = wants_html(request)

    def build(conn: Any) -> dict[str, Any]:
        if number:
            pid = report.parcel_id_by_number(conn, number)
        else:
            pid = report.parcel_id_at(conn, _float(params, "lon"), _float(params, "lat"),
                                      srid=4326, storage_srid=svc.settings.city.storage_srid)
        return report.parcel_report(conn, svc.catalog, pid)

    doc = await run_in_threadpool(svc.run, build)
    if html:
        language = page_language(request)
        lang = language.lang
        page = TEMPLATES.get_template("parcel_report.html").render(
            r=doc, lang=lang, w=REPORT_WORDS[lang], other_href=language.other_href,
            portal=svc.settings.city.portal_name(lang),
            statuses=STATUS_TITLES,
            code=partial(code_title, svc.catalog), field=partial(field_title, svc.catalog),
            stand_in=partial(stand_in, svc.catalog),
            purpose=purpose_title,
            rules=rule_titles(svc.catalog.get("land_parcels")),
            json_href=f"{request.url.path}?{_with(params, f='json')}",
            extracts_url=svc.settings.portal.extracts_url)
        return HTMLResponse(page, headers=language.headers)
    return Response(report.report_json(doc), media_type="application/json")


def code_title(catalog: Catalog, collection: str, field: str, code: object,
               lang: str = "uk") -> str:
    """Return how a code of a registry's field reads (its code list title), for templates."""
    if code is None or collection not in catalog.ids:
        return "" if code is None else str(code)
    return catalog.get(collection).field(field).choice_title(str(code), lang)


def field_title(catalog: Catalog, collection: str, field: str, lang: str = "uk") -> str:
    """Return a registry field's title, for templates."""
    return catalog.get(collection).field(field).title.get(lang, field)


def stand_in(catalog: Catalog, collection: str, field: str, value: object,
             lang: str = "uk") -> str | None:
    """Return the declared stand-in for a personal value in ``lang`` (None if ``value`` is
    not it), for templates."""
    return catalog.get(collection).field(field).stand_in(value, lang)


# the parcel report page's own words (the registries' field titles, code lists and stand-ins
# for personal values come from their declarations)
REPORT_WORDS = {
    "uk": {
        "title": "Довідка по земельній ділянці", "as_of": "станом на",
        "other": "English", "other_lang": "en",
        "extract": "Викопіювання з плану зонування (PDF, у масштабі)",
        "parcel": "Земельна ділянка", "purpose": "Цільове призначення",
        "declared": "Площа за документами", "computed": "Площа за координатами (УСК-2000)",
        "ha": "га", "m2": "м²", "m": "м", "perimeter": "периметр",
        "zones": "Територіальні зони плану зонування", "zone": "Зона", "area_m2": "Площа, м²",
        "share": "Частка, %", "regulation": "Регламент", "height": "висота до",
        "coverage": "забудова до", "no_zone": "Ділянка не входить до жодної зони.",
        "zones_touching": "Торкається межі зон:", "restrictions": "Планувальні обмеження",
        "restriction": "Обмеження", "dzk": "Код ДЗК",
        "no_restrictions": "Обмежень, що поширюються на ділянку, не виявлено.",
        "touching": "Торкається межі:", "red_line": "Найближча червона лінія",
        "crosses": "перетинає ділянку", "addresses": "Адреси та будівлі",
        "no_addresses": "Адрес не присвоєно.", "buildings": "Будівель",
        "footprint": "площа забудови", "neighbours": "Суміжні ділянки",
        "purpose_short": "Призначення", "shared": "Спільна межа, м",
        "no_neighbours": "Суміжних ділянок у кадастрі немає.",
        "nearby": "Рекламні засоби та тимчасові споруди поруч",
        "ad_permit": "Дозвіл на рекламу", "ts_passport": "Паспорт прив'язки ТС",
        "problems": "Зауваження до даних", "disclaimer": report.DISCLAIMER,
    },
    "en": {
        "title": "Land parcel report", "as_of": "as of",
        "other": "Українською", "other_lang": "uk",
        "extract": "Extract from the zoning plan (PDF, to scale, in Ukrainian)",
        "parcel": "Land parcel", "purpose": "Intended use", "declared": "Area by the documents",
        "computed": "Area by the coordinates (UCS-2000)", "ha": "ha", "m2": "m²", "m": "m",
        "perimeter": "perimeter", "zones": "Zones of the zoning plan", "zone": "Zone",
        "area_m2": "Area, m²", "share": "Share, %", "regulation": "Regulation",
        "height": "height up to", "coverage": "coverage up to",
        "no_zone": "The parcel lies in no zone.", "zones_touching": "Touches the zones:",
        "restrictions": "Planning restrictions", "restriction": "Restriction",
        "dzk": "State Land Cadastre code",
        "no_restrictions": "No restriction applies to the parcel.",
        "touching": "Touches:", "red_line": "The nearest red line",
        "crosses": "crosses the parcel", "addresses": "Addresses and buildings",
        "no_addresses": "No address is assigned.", "buildings": "Buildings",
        "footprint": "built-up area", "neighbours": "Adjoining parcels",
        "purpose_short": "Use", "shared": "Shared boundary, m",
        "no_neighbours": "No adjoining parcel in the cadastre.",
        "nearby": "Advertising and temporary structures nearby",
        "ad_permit": "Advertising permit", "ts_passport": "Temporary structure passport",
        "problems": "Remarks on the data",
        "disclaimer": "An information document: it establishes no rights and replaces neither "
                      "an extract from the State Land Cadastre nor the urban planning "
                      "conditions and restrictions.",
    },
}


def _with(params: dict[str, str], **extra: str) -> str:
    from ogc.params import link_query

    return link_query({**{k: v for k, v in params.items() if k != "f"}, **extra})


async def problems_handler(svc: RegistryService, request: Request) -> Response:
    """GET /registries/{id}/problems[?severity=warning]: every rule finding, named."""
    reg = svc.registry(request)
    params = given_once(request.query_params.multi_items())
    try:
        severity = Severity(params["severity"]) if "severity" in params else None
    except ValueError:
        raise InvalidParameter("severity must be error, legacy or warning",
                               parameter="severity") from None
    personal = await svc.personal(request, reg.id)
    found = await run_in_threadpool(svc.run, find_problems, reg, severity=severity,
                                    personal=personal)
    return JSONResponse({"collection": reg.id, "numberMatched": len(found),
                         "problems": [p.as_dict() for p in found]})


async def dismantling_handler(svc: RegistryService, request: Request) -> Response:
    """GET /registries/{id}/dismantling: structures whose term ended, with the reason."""
    reg = svc.registry(request)
    if not has_term_status(reg):  # a permit's or passport's term (not any derived status)
        raise NotFound(f"{reg.id} has no term, so no dismantling list", collection=reg.id)
    entries = await run_in_threadpool(svc.run, dismantling_list, reg)
    return JSONResponse({"collection": reg.id, "numberMatched": len(entries),
                         "entries": [e.as_dict() for e in entries]})


async def history_handler(svc: RegistryService, request: Request) -> Response:
    """GET /registries/{id}/items/{item}/history: the object's change log."""
    reg = svc.registry(request)
    obj_id = object_id(request.path_params["item_id"])
    if obj_id is None:
        raise NotFound(f"{reg.id} has no object {request.path_params['item_id'][:80]!r}",
                       collection=reg.id)
    personal = await svc.personal(request, reg.id)
    log = await run_in_threadpool(svc.run, changes.change_log, reg, obj_id, personal=personal)
    return Response(json.dumps({"collection": reg.id, "id": obj_id, "versions": log},
                               ensure_ascii=False, default=str), media_type="application/json")


async def as_of_handler(svc: RegistryService, request: Request) -> Response:
    """GET /registries/{id}/as-of?datetime=…[&limit&offset][&pending=true]: the registry as
    it was then (published; staff may ask for the working copy's past)."""
    reg = svc.registry(request)
    params = given_once(request.query_params.multi_items())
    if "datetime" not in params:
        raise InvalidParameter("datetime is required (e.g. 2026-01-01 or "
                               "2026-01-01T12:00:00+02:00)", parameter="datetime")
    when = parse_instant(params["datetime"], svc.settings.city.time_zone)
    if when > datetime.now(UTC):
        raise InvalidParameter("datetime lies in the future", parameter="datetime")
    limit = parse_int(params, "limit", 1000, 1, svc.settings.max_items)
    offset = parse_int(params, "offset", 0, 0, 10**9)
    personal = await svc.personal(request, reg.id)
    pending = parse_pending(params, personal)  # staff: the working copy's past
    features = await run_in_threadpool(
        svc.run, changes.as_of_features, reg, when, storage_srid=svc.settings.city.storage_srid,
        personal=personal, limit=limit, offset=offset, pending=pending)
    body = {"type": "FeatureCollection", "asOf": when.isoformat(), "features": features,
            "numberReturned": len(features)}
    return Response(json.dumps(body, ensure_ascii=False), media_type=GEOJSON)


def registry_routes(settings: Settings, pool: ConnectionPool, catalog: Catalog,
                    audit: Callable[[Principal, str, Request], None] | None = None
                    ) -> list[Route]:
    """Return the routes; mounted by ``app.factory`` before the OGC API."""
    svc = RegistryService(settings, pool, catalog, token_authenticator(settings.auth.tokens),
                          audit)

    def bind(handler: Callable[[RegistryService, Request], Any], *,
             only_json: bool = True) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            if only_json:  # a route served as a page too checks its own f
                json_only(request.query_params.get("f"))
            return await handler(svc, request)  # type: ignore[no-any-return]
        return endpoint

    return [
        Route("/search", bind(search_handler)),
        Route("/search/reverse", bind(reverse_handler)),
        Route("/search/place", bind(place_handler)),
        Route("/reports/parcels", bind(parcel_report_handler, only_json=False)),
        Route("/reports/parcels/{cadastral_number}", bind(parcel_report_handler,
                                                          only_json=False)),
        Route("/registries/{collection_id}/problems", bind(problems_handler)),
        Route("/registries/{collection_id}/dismantling", bind(dismantling_handler)),
        Route("/registries/{collection_id}/as-of", bind(as_of_handler)),
        Route("/registries/{collection_id}/items/{item_id}/history", bind(history_handler)),
    ]
