"""The staff raster upload (``/rasters/upload``): what ``gis raster add`` does, from a browser.

A page with a form (file, name, title, source document, date, CRS, public or staff-only,
compression) and ``POST /rasters/upload?name=…&filename=…`` with the file as the request body.
Only signed-in planners and administrators (anonymous → 401, other roles → 403; a POST from a
browser session also needs its CSRF header, ``app.security``). The body is streamed to a private
temporary folder (limit ``GIS_INGEST__MAX_UPLOAD_MB``, as for data uploads) and handed to
``ingest.cog.publish`` — the same conversion, checks and single transaction as the CLI: bad
input gets the CLI's message (as a problem document, 4xx), nothing is registered and nothing is
left behind; the temporary folder is removed whatever happens. One conversion at a time per
server process (409 meanwhile).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from app.ingest_routes import receive_upload
from app.login import sign_in_first
from gis.auth import Principal, Role
from gis.errors import Conflict, Forbidden, GisError, InvalidParameter, Unauthorized
from gis.settings import CitySettings, Settings
from ingest.cog import publish
from registries.catalog import Catalog

# a raster this far from the city's extent is probably labelled with the wrong CRS
FAR_KM = 20.0
STATIC = Path(__file__).with_name("static") / "raster-upload"
TEMPLATE = Path(__file__).with_name("templates") / "raster_upload.html"
SAFE_NAME = re.compile(r"[^\w.\-]+")
UPLOADERS = frozenset({Role.PLANNER, Role.ADMIN})


def placement_notes(crs: str, lonlat_bounds: tuple[float, float, float, float],
                    city: CitySettings) -> list[dict[str, Any]]:
    """Return what a published raster's placement suggests checking, as ``code``, ``message``
    (English, the CLI's) and the figures a page words in its own language: a raster far from
    the city (a wrong CRS label), or one whose datum PROJ relates to UCS-2000 only by a null
    or ballpark operation (SK-42, SK-63, a .prj that lost its TOWGS84: metres off)."""
    from pyproj import CRS

    from gis.crs import box_gap_km, transform_bbox
    from ingest.crs import only_approximately

    notes: list[dict[str, Any]] = []
    try:
        here = transform_bbox(lonlat_bounds, "OGC:CRS84", city.storage_srid)
    except Exception:  # a raster PROJ cannot move to the city's zone: no distance to show
        here = None
    gap = box_gap_km(here, city.extent) if here is not None else 0.0
    if gap > FAR_KM:
        notes.append({"code": "far", "km": round(gap), "message": (
            f"the raster lies {gap:.0f} km from {city.name_en}'s extent; if it should cover "
            "the city, its CRS is probably wrong (remove it and add it again with --crs)")})
    try:
        own = CRS.from_user_input(crs)
    except Exception:  # published already: a CRS PROJ cannot read back gets no datum note
        return notes
    if only_approximately(own, CRS.from_epsg(city.storage_srid)):
        notes.append({"code": "datum", "crs": own.name, "message": (
            f"PROJ moves the raster's CRS ({own.name}) to UCS-2000 only by a null or ballpark "
            "transformation: it may lie metres off the registries; reproject it with the "
            "region's keys first (gdalwarp -ct '+proj=pipeline …') for an exact overlay")})
    return notes


def as_uploaded(exc: GisError, path: Path, filename: str) -> GisError:
    """Return ``exc`` naming the file as the uploader sent it, not the server's temporary
    copy (a folder under /tmp is the server's business, not the answer's)."""
    def named(value: Any) -> Any:
        return value.replace(str(path), filename) if isinstance(value, str) else value
    out = type(exc)(named(exc.detail), **{k: named(v) for k, v in exc.where.items()})
    out.__dict__.update({k: v for k, v in exc.__dict__.items() if k not in ("detail", "where")})
    return out


def check_uploader(who: Principal) -> None:
    """Raise Unauthorized / Forbidden unless ``who`` may publish rasters."""
    if not who.authenticated:
        raise Unauthorized("publishing a raster needs a signed-in user")
    if not who.roles & UPLOADERS:
        raise Forbidden(f"user {who.name} may not publish rasters (needs the planner or admin "
                        "role)")


class RasterUploads:
    """The upload page and its POST over the app's authenticator."""

    def __init__(self, settings: Settings, db_url: str, catalog: Catalog,
                 authenticate: Callable[[Request], Principal]) -> None:
        self.settings, self.db_url = settings, db_url
        self.reserved = frozenset(reg.id for reg in catalog)
        self.authenticate = authenticate
        self.busy = threading.Lock()

    async def page(self, request: Request) -> Response:
        who = await run_in_threadpool(self.authenticate, request)
        if not who.authenticated:
            return sign_in_first(request)
        check_uploader(who)
        config = {"user": who.name, "maxMb": self.settings.ingest.max_upload_mb}
        text = TEMPLATE.read_text(encoding="utf-8").replace(
            "{{config}}", json.dumps(config, ensure_ascii=False).replace("</", "<\\/"))
        return HTMLResponse(text, headers={"Cache-Control": "no-store"})

    async def upload(self, request: Request) -> Response:
        who = await run_in_threadpool(self.authenticate, request)
        check_uploader(who)
        q = request.query_params
        filename = SAFE_NAME.sub("_", Path(q.get("filename", "")).name)[-120:]
        if not filename or "." not in filename:
            raise InvalidParameter("?filename= must name the uploaded file with its extension "
                                   "(plan.tif …)", parameter="filename")
        options = self._options(q)
        work = Path(tempfile.mkdtemp(prefix="hromada-raster-upload-"))
        try:
            path = work / filename
            await receive_upload(request, path, self.settings.ingest.max_upload_mb,
                                 "gis raster add")
            if not self.busy.acquire(blocking=False):
                raise Conflict("another raster is being published on this server; retry when "
                               "it is done")
            try:
                rec = await run_in_threadpool(self._publish, path, who, options)
            except GisError as exc:
                raise as_uploaded(exc, path, filename) from None
            finally:
                self.busy.release()
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return JSONResponse({
            "name": rec.name, "title": rec.title, "public": rec.public, "crs": rec.crs,
            "width": rec.width, "height": rec.height, "kind": rec.kind,
            "file_size": rec.file_size, "bounds": list(rec.lonlat_bounds),
            "tilejson": f"{self.settings.base_url}/rasters/{rec.name}/tilejson.json",
            "notes": placement_notes(rec.crs, rec.lonlat_bounds, self.settings.city)},
            status_code=201, headers={"Cache-Control": "no-store",
                                      "Location": f"/collections/{rec.name}"})

    @staticmethod
    def _options(q: Any) -> dict[str, Any]:
        """Return publish()'s options from the query, refusing what the CLI would refuse."""
        name = q.get("name", "")
        if not name:
            raise InvalidParameter("?name= is required: the raster's id, lowercase Latin "
                                   "letters, digits, '_' or '-'", parameter="name")
        dated = None
        if q.get("date"):
            try:
                dated = date.fromisoformat(q["date"])
            except ValueError:
                raise InvalidParameter(f"date {q['date']!r} must be YYYY-MM-DD",
                                       parameter="date") from None
        compress = q.get("compress", "deflate")
        if compress not in ("deflate", "jpeg"):
            raise InvalidParameter("compress must be deflate or jpeg", parameter="compress")
        return {"name": name, "title": q.get("title") or None, "title_en": q.get("title_en", ""),
                "crs": q.get("crs") or None,
                "source_document": q.get("document", ""), "dated": dated,
                "public": q.get("public", "") in ("1", "true", "on"), "compress": compress}

    def _publish(self, path: Path, who: Principal, options: dict[str, Any]) -> Any:
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            return publish(conn, path, raster_dir=self.settings.raster_dir, added_by=who.name,
                           max_pixels=self.settings.rasters.max_pixels, reserved=self.reserved,
                           **options)


def raster_upload_routes(settings: Settings, db_url: str, catalog: Catalog,
                         authenticate: Callable[[Request], Principal]) -> list[Route | Mount]:
    """Return the upload page, its POST and its script; mounted by ``app.factory``."""
    u = RasterUploads(settings, db_url, catalog, authenticate)
    return [Route("/rasters/upload", u.page, methods=["GET"]),
            Route("/rasters/upload", u.upload, methods=["POST"]),
            Mount("/static/raster-upload", app=StaticFiles(directory=STATIC))]
