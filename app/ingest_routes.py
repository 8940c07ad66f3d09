"""The staff upload page (``/ingest``): the same dry run and import as ``gis ingest``, from a
browser — choose a file, read the report, confirm.

Never for the public: the page and both POSTs need a signed-in user with the registry's
editing role (anonymous → 401, wrong role → 403, ``registries.writes.check_can_edit``); a
POST from the editor's session also needs its CSRF header (``app.security``). The file is the
request body (``?filename=parcels.zip``), streamed to a private temporary folder and removed
afterwards; its size is limited (``GIS_INGEST__MAX_UPLOAD_MB``). One import runs at a time
per server process, on its own connection (not the request pool).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from app.login import sign_in_first
from gis.auth import Principal
from gis.errors import Conflict, GisError, InvalidParameter, PayloadTooLarge, Unauthorized
from gis.settings import Settings
from ingest.job import FileOptions, import_file
from ingest.load import MODES, ON_ERROR, ImportOptions
from registries.catalog import Catalog
from registries.model import Registry
from registries.writes import check_can_edit

STATIC = Path(__file__).with_name("static") / "ingest"
TEMPLATE = Path(__file__).with_name("templates") / "ingest.html"
SAFE_NAME = re.compile(r"[^\w.\-]+")
# the upload form's fields that are `gis ingest` flags, as the page names them: its labels are
# these (the page's first paint, and its configuration for the language switch), and an
# import's messages name them for the command line's flags, in English on either page (the
# server's messages are English). Flags the form has not (--keep-ids, --rejects) stay: they
# name the command that has them.
FORM_FIELDS: dict[str, tuple[str, dict[str, str]]] = {
    "mode": ("--mode", {"uk": "Режим", "en": "Mode"}),
    "onError": ("--on-error", {"uk": "Рядки з помилками", "en": "Rows with errors"}),
    "crs": ("--crs", {"uk": "Система координат", "en": "Coordinate system"}),
    "layer": ("--layer", {"uk": "Шар", "en": "Layer"}),
    "encoding": ("--encoding", {"uk": "Кодування", "en": "Text encoding"}),
    "repair": ("--repair", {"uk": "Виправити невалідні геометрії",
                            "en": "Repair invalid geometries"}),
}
FLAGS = {flag: words["en"] for flag, words in FORM_FIELDS.values()}
FLAG = re.compile(r"--[a-z][a-z-]*")


def for_the_form(text: str) -> str:
    """Return an import's message as the upload page's reader meets it: its form's fields for
    the command line's flags.

    >>> for_the_form("no CRS in the file; give --crs (e.g. EPSG:6383), or use --keep-ids")
    'no CRS in the file; give "Coordinate system" (e.g. EPSG:6383), or use --keep-ids'
    """
    return FLAG.sub(lambda m: f'"{FLAGS[m[0]]}"' if m[0] in FLAGS else m[0], text)


def editable(catalog: Catalog, who: Principal) -> list[Registry]:
    """Return the registries ``who`` may import into."""
    out = []
    for reg in catalog:
        try:
            check_can_edit(reg, who)
        except Exception:  # Unauthorized / Forbidden: not this one
            continue
        out.append(reg)
    return out


class Uploads:
    """The upload page and its two POSTs over the app's authenticator."""

    def __init__(self, settings: Settings, db_url: str, catalog: Catalog,
                 authenticate: Callable[[Request], Principal]) -> None:
        self.settings, self.db_url, self.catalog = settings, db_url, catalog
        self.authenticate = authenticate
        self.busy = threading.Lock()

    async def page(self, request: Request) -> Response:
        who = await run_in_threadpool(self.authenticate, request)
        if not who.authenticated:
            return sign_in_first(request)
        registries = editable(self.catalog, who)
        if not registries:
            raise_forbidden(who)
        config = {"user": who.name, "maxMb": self.settings.ingest.max_upload_mb,
                  "modes": list(MODES), "onError": list(ON_ERROR),
                  "registries": [{"id": r.id, "title": r.title,
                                  "key": r.import_key.name if r.import_key else None}
                                 for r in registries]}
        config["fields"] = {k: words for k, (_, words) in FORM_FIELDS.items()}
        text = TEMPLATE.read_text(encoding="utf-8")
        for k, (_, words) in FORM_FIELDS.items():
            text = text.replace(f"{{{{field:{k}}}}}", html.escape(words["uk"]))
        text = text.replace(
            "{{config}}", json.dumps(config, ensure_ascii=False).replace("</", "<\\/"))
        return HTMLResponse(text, headers={"Cache-Control": "no-store"})

    async def check(self, request: Request) -> Response:
        return await self._run(request, dry_run=True)

    async def load(self, request: Request) -> Response:
        return await self._run(request, dry_run=False)

    async def _run(self, request: Request, *, dry_run: bool) -> Response:
        q = request.query_params
        reg = self.catalog.get(q.get("registry", ""))
        who = await run_in_threadpool(self.authenticate, request)
        check_can_edit(reg, who)
        name = SAFE_NAME.sub("_", Path(q.get("filename", "")).name)[-120:]
        if not name or "." not in name:
            raise InvalidParameter("?filename= must name the uploaded file with its extension "
                                   "(parcels.zip, parcels.gpkg …)", parameter="filename")
        flags = {k: q.get(k, "") in ("1", "true", "on") for k in ("legacy", "repair")}
        try:
            return await self._upload(request, reg, name, flags, dry_run=dry_run, who=who)
        except GisError as exc:
            exc.detail = for_the_form(exc.detail)
            raise

    async def _upload(self, request: Request, reg: Registry, name: str,
                      flags: dict[str, bool], *, dry_run: bool, who: Principal) -> Response:
        q = request.query_params
        opts = ImportOptions(mode=q.get("mode", "append"), on_error=q.get("on_error", "abort"),
                             dry_run=dry_run, user=who.name, source_name=f"{name} (upload)",
                             storage_srid=self.settings.city.storage_srid,
                             extent=self.settings.city.extent, **flags)
        files = FileOptions(layer=q.get("layer") or None, encoding=q.get("encoding") or None,
                            crs=q.get("crs") or None,
                            fast_read_max=self.settings.ingest.fast_read_max_features)
        work = Path(tempfile.mkdtemp(prefix="hromada-upload-"))
        try:
            path = work / name
            await receive_upload(request, path, self.settings.ingest.max_upload_mb,
                                 "gis ingest")
            if not self.busy.acquire(blocking=False):
                raise Conflict("another import is running on this server; retry when it ends")
            try:
                report = await run_in_threadpool(self._import, reg, path, files, opts, work)
            finally:
                self.busy.release()
        finally:
            shutil.rmtree(work, ignore_errors=True)
        body = report.as_dict()
        body["notes"] = [for_the_form(n) for n in body["notes"]]
        for p in body["problems"]:
            p["message"] = for_the_form(p["message"])
        body["rejected_rows"] = {str(k): v for k, v in list(report.rejected_rows.items())[:500]}
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    def _import(self, reg: Registry, path: Path, files: FileOptions, opts: ImportOptions,
                work: Path) -> Any:
        # refused rows come back in the report (a reject file would stay on the server)
        with psycopg.connect(self.db_url) as conn:
            report = import_file(conn, reg, path, files, opts,
                                 transforms=self.settings.ingest.transforms,
                                 display=path.name)
            conn.commit()
        report.notes = [n for n in report.notes if "written to" not in n]  # a server path
        return report


def raise_forbidden(who: Principal) -> None:
    from gis.errors import Forbidden

    if not who.authenticated:
        raise Unauthorized("importing needs a signed-in user")
    raise Forbidden(f"user {who.name} may not import into any registry (needs an editing "
                    "role: planner, registrar or admin)")


def ingest_routes(settings: Settings, db_url: str, catalog: Catalog,
                  authenticate: Callable[[Request], Principal]) -> list[Route | Mount]:
    """Return the upload page, its POSTs and its script; mounted by ``app.factory``."""
    u = Uploads(settings, db_url, catalog, authenticate)
    return [Route("/ingest", u.page, methods=["GET"]),
            Route("/ingest/check", u.check, methods=["POST"]),
            Route("/ingest/import", u.load, methods=["POST"]),
            Mount("/static/ingest", app=StaticFiles(directory=STATIC))]


async def receive_upload(request: Request, path: Path, max_mb: int, command: str) -> None:
    """Stream ``request``'s body into ``path``: PayloadTooLarge beyond ``max_mb`` (naming
    ``command``, the way for larger files), InvalidParameter when it carried nothing. The staff
    uploads (imports, rasters) share it, and so their limit and messages."""
    limit = max_mb << 20
    size = 0
    with path.open("wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"uploads are limited to {max_mb} MB "
                                      f"(GIS_INGEST__MAX_UPLOAD_MB); use {command} on the "
                                      "server for larger files")
            out.write(chunk)
    if size == 0:
        raise InvalidParameter("the request carried no file")
