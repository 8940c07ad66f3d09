"""HTTP routes of the holders' work: the verification queue, decisions, quality reports and
the error reports from the public (``registries.verification``, ``registries.quality``,
``registries.error_reports``).

Staff (any signed-in user with a staff role) may look; deciding and answering take the
verifier right on the registry (a member of its holder department whose roles edit it).

- ``GET /verification`` — the staff page (Ukrainian, with English): queue, quality, reports;
- ``GET /verification/summary`` — per registry: its holder, pending changes, open reports,
  and whether the asker verifies it;
- ``GET /verification/pending.geojson`` — every pending change on a map (the geoportal's
  "with pending changes" overlay for staff);
- ``GET /registries/{id}/pending[?batch=…]`` — pending changes and their batches;
- ``GET /registries/{id}/pending/{item}`` — one change: before and after, what differs, both
  geometries (CRS84), the changes decided with it;
- ``POST /registries/{id}/decisions`` — ``{"decision": "approve"|"reject", "items":
  [{"id": 7, "version": 3}], "batch": "…", "reason": "…"}``;
- ``GET /registries/{id}/quality[?limit=100]`` — the quality report (JSON, or HTML);
- ``GET /registries/{id}/error-reports[?status=new]`` — the public's reports, contacts
  included for the holder department's staff and administrators (a personal-data read,
  logged), without them for other staff;
- ``PATCH /error-reports/{ticket}`` — ``{"status": "fixed", "answer": "…"}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psycopg_pool import ConnectionPool
from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from app.editor_routes import StaffOnly, is_editor
from app.login import sign_in_first
from app.pages import TEMPLATES, page_language
from gis.auth import Principal, Role
from gis.db import database_errors
from gis.errors import Forbidden, InvalidParameter, NotFound, Unauthorized
from gis.json_input import parse_json
from gis.negotiation import json_document, page_or_json
from gis.params import object_id, parse_int
from gis.settings import Settings
from gis.staff_rights import rights_of
from registries import error_reports, quality, verification
from registries.catalog import Catalog
from registries.model import Registry

STATIC = Path(__file__).with_name("static") / "verification"
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class HolderService:
    settings: Settings
    pool: ConnectionPool
    catalog: Catalog
    authenticate: Callable[[Request], Principal]
    audit: Callable[[Principal, str, Request], None] | None

    def staff(self, request: Request) -> Principal:
        who = self.authenticate(request)
        if not who.authenticated:
            raise Unauthorized("sign in first (/login)")
        if not is_editor(who):
            raise Forbidden(f"user {who.name} has no staff role")
        return who

    def registry(self, request: Request) -> Registry:
        return self.catalog.get(request.path_params["collection_id"])

    def read(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with database_errors(), self.pool.connection() as conn:
            return fn(conn, *args, **kwargs)

    def write(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with database_errors(), self.pool.connection() as conn, conn.transaction():
            return fn(conn, *args, **kwargs)


def _batch(raw: Any) -> int | None:
    if raw in (None, ""):
        return None
    try:
        return int(str(raw))
    except ValueError:
        raise InvalidParameter("batch must be a batch number of the queue",
                               parameter="batch") from None


async def _body(request: Request) -> dict[str, Any]:
    body = parse_json(await request.body(), "the request body")  # depth-bounded, like items
    if not isinstance(body, dict):
        raise InvalidParameter("the request body must be a JSON object")
    return body


def _whole(value: Any) -> int | None:
    """Return the integer ``value`` spells (a JSON integer, or one in a string), else None:
    ``3.7`` was read as object 3 and ``true`` as object 1."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,20}", value):
        return int(value)
    return None


def parse_items(raw: Any) -> list[tuple[int, int | None]]:
    """Return (id, version seen) pairs of a decision's ``items``.

    >>> parse_items([{"id": 7, "version": 3}, {"id": "8"}])
    [(7, 3), (8, None)]
    >>> parse_items([{"id": 3.7}])
    Traceback (most recent call last):
    ...
    gis.errors.InvalidParameter: item ids and versions are integers: 3.7 is not
    """
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidParameter("items must be a list of {id, version}", parameter="items")
    out: list[tuple[int, int | None]] = []
    for item in raw:
        if not isinstance(item, dict) or "id" not in item:
            raise InvalidParameter("each item is {id, version}", parameter="items")
        version = item.get("version")
        obj_id, seen = _whole(item["id"]), None if version is None else _whole(version)
        if obj_id is None or (version is not None and seen is None):
            wrong = item["id"] if obj_id is None else version
            raise InvalidParameter("item ids and versions are integers: "
                                   f"{json.dumps(wrong)[:40]} is not", parameter="items")
        out.append((obj_id, seen))
    return out


def verification_routes(settings: Settings, pool: ConnectionPool, catalog: Catalog,
                        authenticate: Callable[[Request], Principal],
                        audit: Callable[[Principal, str, Request], None] | None = None
                        ) -> list[Route | Mount]:
    """Return the holders' routes and the staff page's static mount."""
    svc = HolderService(settings, pool, catalog, authenticate, audit)

    async def page(request: Request) -> Response:
        who = await run_in_threadpool(authenticate, request)
        if not who.authenticated:
            return sign_in_first(request)
        if not is_editor(who):  # signed in, without a staff role: not the login form again
            raise Forbidden(f"user {who.name} has no staff role")
        language = page_language(request)
        lang = language.lang
        return HTMLResponse(TEMPLATES.get_template("verification.html").render(
            city=settings.city.name_uk if lang == "uk" else settings.city.name_en,
            city_uk=settings.city.name_uk, city_en=settings.city.name_en,
            lang=lang, user=who.name, time_zone=settings.city.time_zone),
            headers={**NO_STORE, **language.headers})

    async def summary(request: Request) -> Response:
        who = await run_in_threadpool(svc.staff, request)

        def build(conn: Any) -> dict[str, Any]:
            pending = verification.pending_counts(conn, catalog)
            reports = error_reports.open_counts(conn)
            mine = {r.id for r in verification.verifiable(conn, catalog, who)}
            return {"user": who.name, "reportStatuses": error_reports.STATUSES.as_dict(),
                    "registries": [
                {"id": r.id, "title": r.title, "holder": {
                    "code": r.holder_department.code, "title": r.holder_department.title},
                 "pending": pending.get(r.id, 0), "reports": reports.get(r.id, 0),
                 "verifies": r.id in mine} for r in catalog]}

        return JSONResponse(await run_in_threadpool(svc.read, build), headers=NO_STORE)

    async def pending_map(request: Request) -> Response:
        await run_in_threadpool(svc.staff, request)
        doc = await run_in_threadpool(svc.read, verification.pending_features, catalog)
        return Response(json.dumps(doc, ensure_ascii=False, default=str),
                        media_type="application/geo+json", headers=NO_STORE)

    async def pending(request: Request) -> Response:
        await run_in_threadpool(svc.staff, request)
        reg = svc.registry(request)
        params = request.query_params
        batch = _batch(params.get("batch"))
        limit = parse_int(params, "limit", 100, 1, 1000)
        offset = parse_int(params, "offset", 0, 0, 10**9)

        def build(conn: Any) -> dict[str, Any]:
            changes = verification.pending_changes(conn, reg, batch=batch, limit=limit,
                                                   offset=offset)
            return {"collection": reg.id, "holder": reg.holder_department.title,
                    "batches": verification.batches(conn, reg),
                    "changes": [c.as_dict() for c in changes]}

        return JSONResponse(await run_in_threadpool(svc.read, build), headers=NO_STORE)

    async def detail(request: Request) -> Response:
        who = await run_in_threadpool(svc.staff, request)
        reg = svc.registry(request)
        obj_id = object_id(request.path_params["item_id"])
        if obj_id is None:
            raise NotFound(f"{reg.id} has no object {request.path_params['item_id'][:80]!r}",
                           collection=reg.id)
        doc = await run_in_threadpool(svc.read, verification.change_detail, reg, obj_id)
        if audit is not None:
            await run_in_threadpool(audit, who, reg.id, request)
        return Response(json.dumps(doc, ensure_ascii=False, default=str),
                        media_type="application/json", headers=NO_STORE)

    async def decide(request: Request) -> Response:
        who = await run_in_threadpool(svc.staff, request)
        reg = svc.registry(request)
        body = await _body(request)
        decided = await run_in_threadpool(
            svc.write, verification.decide, catalog, reg, who, str(body.get("decision", "")),
            items=parse_items(body.get("items")), batch=_batch(body.get("batch")),
            reason=body.get("reason") if isinstance(body.get("reason"), str) else None,
            self_approval=settings.verification.self_approval)
        return JSONResponse(decided.as_dict(), headers=NO_STORE)

    async def quality_report(request: Request) -> Response:
        await run_in_threadpool(svc.staff, request)
        reg = svc.registry(request)
        limit = parse_int(request.query_params, "limit", 100, 1, 100_000)
        page = page_or_json(request.query_params.get("f"), request.headers.get("accept"))
        report = await run_in_threadpool(svc.read, quality.quality_report, catalog, reg,
                                         limit=limit)
        if page:
            language = page_language(request)
            lang = language.lang
            return HTMLResponse(TEMPLATES.get_template("quality.html").render(
                r=report.as_dict(), reg=reg, lang=lang, other_href=language.other_href,
                city=settings.city.name_en if lang == "en" else settings.city.name_uk),
                headers={**NO_STORE, **language.headers})
        return JSONResponse(report.as_dict(settings.base_url), headers=NO_STORE)

    async def reports(request: Request) -> Response:
        who = await run_in_threadpool(svc.staff, request)
        reg = svc.registry(request)
        status = request.query_params.get("status") or None

        def read(conn: Any) -> tuple[list[dict[str, Any]], bool]:
            # a visitor's contact is personal data for the registry's holder department (and
            # administrators): other staff see the reports without it (docs/verification.md)
            holder = who.has(Role.ADMIN) or \
                rights_of(conn, who.name).department == reg.holder_department.code
            return error_reports.reports(conn, reg, status=status, contacts=holder), holder

        found, holder = await run_in_threadpool(svc.read, read)
        if audit is not None and holder:
            await run_in_threadpool(audit, who, reg.id, request)
        return JSONResponse({"collection": reg.id, "reports": found}, headers=NO_STORE)

    async def answer(request: Request) -> Response:
        who = await run_in_threadpool(svc.staff, request)
        ticket = request.path_params["ticket"]
        body = await _body(request)

        def work(conn: Any) -> dict[str, Any]:
            reg = error_reports.report_registry(conn, catalog, ticket)
            verification.check_can_verify(conn, reg, who)
            return error_reports.answer(conn, ticket, str(body.get("status", "")),
                                        body.get("answer") if isinstance(body.get("answer"),
                                                                         str) else None, who)

        return JSONResponse(await run_in_threadpool(svc.write, work), headers=NO_STORE)

    staff_static = StaffOnly(GZipMiddleware(StaticFiles(directory=STATIC, check_dir=False),
                                            minimum_size=1000), authenticate)
    return [
        Route("/verification", page),
        Route("/verification/summary", json_document(summary)),
        Route("/verification/pending.geojson", json_document(pending_map)),
        Route("/registries/{collection_id}/pending", json_document(pending)),
        Route("/registries/{collection_id}/pending/{item_id}", json_document(detail)),
        Route("/registries/{collection_id}/decisions", decide, methods=["POST"]),
        Route("/registries/{collection_id}/quality", quality_report),
        Route("/registries/{collection_id}/error-reports", json_document(reports)),
        Route("/error-reports/{ticket}", answer, methods=["PATCH"]),
        Mount("/static/verification", app=staff_static),
    ]
