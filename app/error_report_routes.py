"""The public's side of error reports (``registries.error_reports``).

- ``POST /error-reports`` — ``{"collection": "land_parcels", "id": 17, "comment": "…",
  "point": [lon, lat], "contact": "…", "lang": "uk"}`` → 201 ``{"ticket": "K7RFM-3XR2D",
  "status": "new", …}``; bounded per client and per day (``app.report_limits``: 429 with
  Retry-After, nothing stored), size-limited, no captcha service;
- ``GET /error-reports/{ticket}`` — the report's status, the holder's answer and what the
  visitor wrote (never the contact details);
- ``/static/feedback/`` — the geoportal's report dialog (``feedback.js``), loaded by the card.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from psycopg_pool import ConnectionPool
from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from app.report_limits import ReportAdmission
from gis.auth import Principal
from gis.db import database_errors
from gis.errors import GisError, PayloadTooLarge
from gis.json_input import parse_json
from gis.settings import Settings
from registries import error_reports
from registries.catalog import Catalog

STATIC = Path(__file__).with_name("static") / "feedback"
MAX_BODY = 8_192  # a comment of 2000 characters in Cyrillic is about 4 KB of JSON
LOCK = "error_reports:day"  # filing serialised per day's count (several instances share it)


def error_report_routes(settings: Settings, pool: ConnectionPool, catalog: Catalog,
                        authenticate: Callable[[Request], Principal]) -> list[Route | Mount]:
    """Return the public error-report routes and the report dialog's static mount."""
    s = settings.error_reports
    admission = ReportAdmission(s, frozenset(settings.limits.rate_exempt),
                                settings.city.time_zone)

    async def file(request: Request) -> Response:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise PayloadTooLarge(f"a report is at most {MAX_BODY} bytes")
        body = parse_json(raw, "the report")
        report = error_reports.parse_report(body, catalog, max_comment=s.max_comment,
                                            max_contact=s.max_contact)
        client = request.client.host if request.client else "unknown"
        who = authenticate(request)
        if who.is_public:  # staff filing on someone's behalf are not the flood this bounds
            admission.admit(client)

        def store() -> dict[str, Any]:
            with database_errors(), pool.connection() as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (LOCK,))
                admission.check_day(error_reports.filed_today(conn, settings.city.time_zone))
                return error_reports.file_report(conn, catalog, report,
                                                 storage_srid=settings.city.storage_srid)

        try:
            filed = await run_in_threadpool(store)
        except GisError:
            if who.is_public:
                admission.refund(client)
            raise
        return JSONResponse({**filed, "lookup": f"{settings.base_url}/error-reports/"
                                                f"{filed['ticket']}"},
                            status_code=201, headers={"Cache-Control": "no-store"})

    async def look(request: Request) -> Response:
        def find() -> dict[str, Any]:
            with database_errors(), pool.connection() as conn:
                return error_reports.lookup(conn, request.path_params["ticket"])

        return JSONResponse(await run_in_threadpool(find), headers={"Cache-Control": "no-store"})

    return [Route("/error-reports", file, methods=["POST"]),
            Route("/error-reports/{ticket}", look, methods=["GET"]),
            Mount("/static/feedback", app=GZipMiddleware(
                StaticFiles(directory=STATIC, check_dir=False), minimum_size=1000))]
