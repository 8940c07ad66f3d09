"""QGIS for everyone: the generated project, and staff's way into PostGIS.

- ``GET /qgis/project.qgs`` — the project (``app.qgis_project``): over OGC API for the public,
  over PostGIS (the service entry of the asker's database login) for signed-in staff;
  ``?access=public`` asks for the public one, ``?pending=true`` (staff) the read-only layers
  with pending changes.
- ``GET /qgis/service-entry`` — the ``pg_service.conf`` section of the signed-in user's login.
- ``POST /qgis/credentials`` — for staff signed in through OpenID Connect (no password of
  ours): a database login with the roles of the token and a fresh random password, valid for
  ``GIS_DB_LOGINS__TEMPORARY_HOURS``; shown once.
- ``GET /qgis/server.crt`` — the embedded cluster's self-signed certificate, for clients that
  verify it (``sslmode=verify-full``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg_pool import ConnectionPool
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from app.pages import page_language
from app.qgis_access import connection_point
from app.qgis_project import Access, project_xml
from gis import db_logins, users
from gis.auth import Principal, Role
from gis.db import database_errors
from gis.errors import Conflict, Forbidden, NotFound, Unauthorized
from gis.params import given_once
from gis.rasters import RasterRecord
from gis.settings import Settings
from ogc.params import parse_pending
from registries.catalog import Catalog

QGS = "application/x-qgis-project"


def _staff(who: Principal) -> Principal:
    if not who.authenticated:
        raise Unauthorized("sign in first (/login, or a bearer token)")
    if not who.sees_personal_data:
        raise Forbidden(f"user {who.name} has no staff role: the public reads the OGC API")
    return who


def qgis_routes(settings: Settings, db_url: str, pool: ConnectionPool, catalog: Catalog,
                authenticate: Callable[[Request], Principal],
                rasters: Callable[[], list[RasterRecord]] | None = None) -> list[Route]:
    """Return the QGIS routes; ``rasters`` lists the public rasters the projects show."""
    point = connection_point(settings, db_url)

    async def project(request: Request) -> Response:
        who = await run_in_threadpool(authenticate, request)
        language = page_language(request)
        lang = language.lang
        public = request.query_params.get("access") == "public" or not who.sees_personal_data
        pending = parse_pending(given_once(request.query_params.multi_items()), not public)
        access = Access(lang=lang) if public else Access(who.roles, point.dbname, lang,
                                                         pending)
        shown = await run_in_threadpool(rasters) if rasters is not None else []
        body = await run_in_threadpool(project_xml, settings, catalog, access, shown)
        name = f"hromada-{'public' if public else 'staff'}.qgs"
        return Response(body, media_type=QGS, headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store" if not public else "max-age=300", **language.headers})

    async def service_entry(request: Request) -> Response:
        who = _staff(await run_in_threadpool(authenticate, request))

        def find() -> db_logins.Login | None:
            with database_errors(), pool.connection() as conn:
                return db_logins.login_of(conn, who.name)

        login = await run_in_threadpool(find)
        if login is None:
            raise NotFound(f"user {who.name} has no database login yet: POST "
                           "/qgis/credentials makes one (OpenID Connect users), or an "
                           "administrator runs gis users password", user=who.name)
        return PlainTextResponse(point.entry(login.login, note=f"Hromada GIS: {who.name}"),
                                 headers={"Cache-Control": "no-store"})

    async def credentials(request: Request) -> Response:
        who = _staff(await run_in_threadpool(authenticate, request))
        hours = settings.db_logins.temporary_hours
        until = datetime.now(UTC) + timedelta(hours=hours)

        def issue() -> tuple[str, str]:
            with database_errors(), pool.connection() as conn, conn.transaction():
                if conn.execute("SELECT 1 FROM auth.users WHERE name = %s",
                                (who.name,)).fetchone():
                    raise Conflict(f"user {who.name} signs in with a password of this server: "
                                   "the database login uses that same password",
                                   user=who.name)
                password = users.new_secret()
                login = db_logins.ensure_login(conn, who.name, who.roles - {Role.PUBLIC} or
                                               who.roles, password=password, source="oidc",
                                               valid_until=until)
                return login, password

        login, password = await run_in_threadpool(issue)
        body: dict[str, Any] = {"login": login, "password": password,
                                "valid_until": until.isoformat(timespec="seconds"),
                                "service_entry": point.entry(login, note=f"Hromada GIS: "
                                                                        f"{who.name}")}
        return JSONResponse(body, status_code=201, headers={"Cache-Control": "no-store"})

    async def certificate(request: Request) -> Response:
        cert = settings.data_dir / "pg" / "server.crt"
        if settings.database_url is not None or not cert.is_file():
            raise NotFound("this server's database has no certificate of its own (it listens "
                           "on the loopback only, or is not the embedded one)")
        return Response(cert.read_bytes(), media_type="application/x-pem-file",
                        headers={"Content-Disposition": 'attachment; filename="hromada.crt"'})

    return [Route("/qgis/project.qgs", project),
            Route("/qgis/service-entry", service_entry),
            Route("/qgis/credentials", credentials, methods=["POST"]),
            Route("/qgis/server.crt", certificate)]
