"""HTTP routes of printable extracts and of the extract register's check.

- ``GET /extracts?…`` — issue an extract (``app.extract_params``): a parcel, any registry's
  object, a box or the geoportal's view; ``/extracts/parcels/{cadastral_number}`` and
  ``/extracts/collections/{collection}/items/{id}`` say the same in the path. Answers
  ``application/pdf`` with ``X-Extract-Number``; anonymous readers get the public views.
- ``GET /extracts/{number}[?hash=…]`` — is the sheet genuine, what did it show, has the
  object changed since (JSON; HTML for browsers, e.g. from the QR code).

An extract costs far more than an items page (a PDF is drawn), so anonymous extracts draw on
buckets of their own (``ExtractAdmission``): per client and for all anonymous clients
together, on top of the request-rate limit every request meets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from psycopg_pool import ConnectionPool
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from app.extract_params import deployment, parse_extract
from app.limits import RateLimiter
from app.pages import TEMPLATES, page_language
from extracts import register
from extracts.issue import ExtractRequest, Issued, issue_extract
from gis.auth import Principal
from gis.db import database_errors, set_statement_timeout
from gis.errors import NotFound, TooManyRequests
from gis.negotiation import page_or_json
from gis.params import given_once
from gis.rasters import get_raster
from gis.settings import ExtractSettings, Settings
from gis.writing import date_in, moment_in
from registries.catalog import Catalog


@dataclass
class ExtractAdmission:
    """The anonymous extract buckets: one per client IP and one for all clients together.

    Kept apart from the request-rate buckets (``app.limits``) so that it can be folded into a
    per-client cost budget as one weight: an extract costs ``anon_per_minute``-limited units.
    """

    settings: ExtractSettings
    exempt: frozenset[str]
    per_client: RateLimiter | None = None
    everyone: RateLimiter | None = None

    def __post_init__(self) -> None:
        s = self.settings
        if s.anon_per_minute > 0:
            self.per_client = RateLimiter(s.anon_per_minute / 60, s.anon_burst)
        if s.anon_total_per_minute > 0:
            self.everyone = RateLimiter(s.anon_total_per_minute / 60,
                                        max(s.anon_burst, int(s.anon_total_per_minute / 6)))

    def admit(self, client: str, who: Principal) -> None:
        """Take one extract from the anonymous ``client``'s buckets or raise 429."""
        if not who.is_public or client in self.exempt:
            return
        if self.per_client is not None:
            wait = self.per_client.retry_after(client)
            if wait:
                raise TooManyRequests(
                    f"too many extracts from {client}: anonymous clients may take "
                    f"{self.settings.anon_per_minute:g} a minute (burst "
                    f"{self.settings.anon_burst}); retry in {wait} s", retry_after=wait)
        if self.everyone is not None:
            wait = self.everyone.retry_after("*")
            if wait:
                raise TooManyRequests(
                    "the server is drawing as many public extracts as it may "
                    f"({self.settings.anon_total_per_minute:g} a minute); retry in {wait} s",
                    retry_after=wait)


@dataclass(frozen=True)
class ExtractService:
    settings: Settings
    pool: ConnectionPool
    catalog: Catalog
    authenticate: Callable[[Request], Principal]
    audit: Callable[[Principal, str, Request], None] | None
    admission: ExtractAdmission

    def issue(self, req: ExtractRequest, who: Principal) -> Issued:
        with database_errors(), self.pool.connection() as conn, conn.transaction():
            # one moment of the data for the whole sheet
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            set_statement_timeout(conn, self.settings.extracts.timeout_s)
            return issue_extract(conn, self.catalog, req, who, deployment(self.settings))

    def check(self, number: str, staff: bool, given_hash: str | None) -> dict[str, Any]:
        with database_errors(), self.pool.connection() as conn:
            entry = register.find(conn, number)
            reg = (self.catalog.get(entry.collection)
                   if entry.collection in self.catalog.ids else None)
            now = (register.current_version(conn, reg.schema, reg.table, entry.object_id)
                   if reg is not None and entry.object_id is not None else None)
            # an anonymous sheet only ever prints a public raster; a staff sheet may not
            underlay = entry.content.get("underlay") or {}
            public_underlay = (staff or not underlay or entry.issued_by is None
                               or raster_is_public(conn, underlay.get("raster")))
        return register.describe(entry, staff=staff, public_registry=reg is None or reg.public,
                                 given_hash=given_hash, version_now=now,
                                 public_underlay=public_underlay)


def raster_is_public(conn: Any, name: Any) -> bool:
    """Return whether raster ``name`` is published for the public (False: staff-only or gone)."""
    try:
        get_raster(conn, str(name), staff=False)
    except NotFound:
        return False
    return True


async def issue_handler(svc: ExtractService, request: Request) -> Response:
    """GET /extracts?… (and the path forms): the PDF of one extract."""
    who = svc.authenticate(request)
    # a malformed request is refused before it costs the client an extract
    req = parse_extract(given_once(request.query_params.multi_items()),
                        svc.settings.city.storage_srid,
                        {k: str(v) for k, v in request.path_params.items()})
    client = request.client.host if request.client else "unknown"
    svc.admission.admit(client, who)
    issued = await run_in_threadpool(svc.issue, req, who)
    if issued.entry.personal and svc.audit is not None and issued.entry.collection:
        await run_in_threadpool(svc.audit, who, issued.entry.collection, request)
    return Response(issued.pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{issued.filename}"',
        "X-Extract-Number": issued.number, "Cache-Control": "no-store"})


# the check page's own words (what the sheet printed stays as printed: Ukrainian)
CHECK_WORDS = {
    "uk": {
        "title": "Перевірка витягу №",
        "register": "реєстр виданих витягів", "other": "English", "other_lang": "en",
        "extract": "Витяг (викопіювання) №",
        "hash_differs": "Номер є в реєстрі, але контрольна сума на аркуші не збігається із "
                        "записаною: аркуш змінено або суму прочитано з помилкою.",
        "genuine": "Витяг справжній: його видано геопорталом",
        "hash_matches": "контрольна сума збігається",
        "changed": "Відтоді об'єкт змінено в реєстрі", "version": "версія",
        "removed": "вилучено", "as_issued": "витяг показує стан на день видачі.",
        "issued": "Видано", "by_staff": "працівником",
        "by_anonymous": "анонімно, з відкритих даних", "registry": "Реєстр",
        "object": "Об'єкт", "on_portal": "на геопорталі", "scale_paper": "Масштаб, папір",
        "portrait": "книжкова", "landscape": "альбомна", "crs": "Система координат",
        "ucs": "УСК-2000", "frame": "Рамка карти (Y, X, м)", "hash": "Контрольна сума",
        "printed": "Відомості, надруковані на аркуші", "catalogue": "Каталог координат",
        "point": "№", "m": "м", "length": "Довжина, м",
        "withheld": "Частину відомостей приховано: вони містять персональні чи службові дані.",
    },
    "en": {
        "title": "Check of extract no.",
        "register": "register of issued extracts", "other": "Українською", "other_lang": "uk",
        "extract": "Extract (map copy) no.",
        "hash_differs": "The number is in the register, but the checksum on the sheet is not "
                        "the one recorded: the sheet was changed or the checksum misread.",
        "genuine": "The extract is genuine: the geoportal issued it on",
        "hash_matches": "the checksum matches",
        "changed": "The object has changed in the register since", "version": "version",
        "removed": "removed", "as_issued": "the extract shows it as it was on the day of issue.",
        "issued": "Issued", "by_staff": "by staff",
        "by_anonymous": "anonymously, from the open data", "registry": "Registry",
        "object": "Object", "on_portal": "on the geoportal", "scale_paper": "Scale, paper",
        "portrait": "portrait", "landscape": "landscape", "crs": "Coordinate system",
        "ucs": "UCS-2000", "frame": "Map frame (Y, X, m)", "hash": "Checksum",
        "printed": "What the sheet printed (in Ukrainian)", "catalogue": "Coordinate catalogue",
        "point": "No.", "m": "m", "length": "Length, m",
        "withheld": "Part of the information is withheld: it holds personal or internal data.",
    },
}


async def check_handler(svc: ExtractService, request: Request) -> Response:
    """GET /extracts/{number}[?hash=…][&f=html]: the register's word on a printed sheet."""
    who = svc.authenticate(request)
    page = page_or_json(request.query_params.get("f"), request.headers.get("accept"))
    doc = await run_in_threadpool(svc.check, request.path_params["number"],
                                  who.sees_personal_data, request.query_params.get("hash"))
    if page:
        reg = svc.catalog.get(doc["collection"]) if doc.get("collection") in \
            svc.catalog.ids else None
        language = page_language(request)
        lang = language.lang
        # the sheet states when it was issued by the city's clock: so does its check
        issued = datetime.fromisoformat(doc["issued_at"]).astimezone(
            ZoneInfo(svc.settings.city.time_zone))
        return HTMLResponse(TEMPLATES.get_template("extract_check.html").render(
            d=doc, lang=lang, w=CHECK_WORDS[lang], other_href=language.other_href,
            issued_on=date_in(issued.date(), lang),
            issued_at=moment_in(issued, lang, svc.settings.city.time_zone),
            portal=svc.settings.city.portal_name(lang),
            registry=reg.title[lang] if reg else None), headers=language.headers)
    return JSONResponse(doc, headers={"Cache-Control": "no-store"})


def extract_routes(settings: Settings, pool: ConnectionPool, catalog: Catalog,
                   authenticate: Callable[[Request], Principal],
                   audit: Callable[[Principal, str, Request], None] | None = None
                   ) -> list[Route]:
    """Return the extract routes; mounted by ``app.factory`` before the OGC API."""
    admission = ExtractAdmission(settings.extracts, frozenset(settings.limits.rate_exempt))
    svc = ExtractService(settings, pool, catalog, authenticate, audit, admission)

    def bind(handler: Callable[[ExtractService, Request], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            return await handler(svc, request)  # type: ignore[no-any-return]
        return endpoint

    return [
        Route("/extracts", bind(issue_handler)),
        Route("/extracts/parcels/{cadastral_number}", bind(issue_handler)),
        Route("/extracts/collections/{collection_id}/items/{item_id}", bind(issue_handler)),
        Route("/extracts/{number}", bind(check_handler)),
    ]
