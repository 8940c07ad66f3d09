"""Open-data downloads: every public registry as GeoJSON, CSV, an Excel workbook, GeoPackage
or Shapefile, with its data-set passport for data.gov.ua (CKAN).

``/downloads`` lists them (to a browser: the open-data page, in Ukrainian or, ``?lang=en``,
English); ``/downloads/{id}.geojson`` (``.csv``, ``.xlsx``, ``.gpkg``, ``.shp.zip``) is the
file; ``/downloads/{id}/metadata.json`` the passport. Public: they read the public
views only (``ingest.export``), whoever asks. GeoJSON and CSV stream from PostgreSQL; a
workbook, GeoPackage or Shapefile is written once per public state and kept
(``WrittenFiles``): its HEAD has a length and its byte ranges come from one file. A few
exports run at once (each holds a database connection); more get 503 with Retry-After. Each
file has an ETag from ``ingest.export.public_state``: ``If-None-Match`` gets 304 without an
export.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg_pool import ConnectionPool
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from app.pages import TEMPLATES, page_language
from app.registry_routes import wants_html
from gis.compression import accepts_gzip, gzipped
from gis.db import database_errors
from gis.errors import DatabaseUnavailable, NotFound
from gis.negotiation import not_modified
from gis.settings import Settings
from gis.writing import date_in, number_in
from ingest.export import (
    FORMATS,
    STREAMED,
    PublicState,
    file_name,
    public_state,
    text_chunks,
    write_vector,
)
from ingest.metadata import ckan_package, dcat_catalog, dcat_dataset, withheld
from ogc.streaming import ClosingStream
from registries.catalog import Catalog
from registries.model import Registry

MAX_CONCURRENT = 2  # downloads streaming at once (each holds one pooled connection)
STATES_TTL_S = 60.0  # the open-data page's counts and dates are at most this old
FILE_NAMES = {"geojson": "GeoJSON", "csv": "CSV", "xlsx": "Excel (XLSX)",
              "gpkg": "GeoPackage", "shp": "Shapefile (ZIP)"}
# the open-data page's own words, each in both languages; titles, descriptions and code lists
# come from the registries' declarations
PAGE_WORDS = {
    "title": {"uk": "Відкриті дані", "en": "Open data"},
    "portal": {"uk": "Геопортал", "en": "Geoportal"},
    "other": {"uk": "English", "en": "Українська"},
    "intro": {"uk": "Реєстри та шари геопорталу — вільно, зокрема для комерційного "
                    "використання, з посиланням на джерело. Ліцензія:",
              "en": "The geoportal's registries and layers — free to use, commercially too, "
                    "with attribution. Licence:"},
    "publisher": {"uk": "Розпорядник", "en": "Publisher"},
    "machines": {"uk": "Для порталів відкритих даних і програм:",
                 "en": "For open-data portals and software:"},
    "objects": {"uk": "Об'єктів", "en": "Objects"},
    "changed": {"uk": "Оновлено", "en": "Updated"},
    "passport": {"uk": "Паспорт набору (JSON)", "en": "Data-set passport (JSON)"},
    "fields": {"uk": "Поля", "en": "Fields"},
    "codes": {"uk": "кодів — у паспорті", "en": "codes — in the passport"},
}


class Downloads:
    """The download endpoints over the app's pool."""

    def __init__(self, settings: Settings, pool: ConnectionPool, catalog: Catalog) -> None:
        self.settings, self.pool, self.catalog = settings, pool, catalog
        self.slots = threading.BoundedSemaphore(MAX_CONCURRENT)
        self.files = WrittenFiles()
        self.bbox = lonlat_box_wkt(settings)  # transformed once, not per request
        self._states_lock = threading.Lock()
        self._states_cache: tuple[float, dict[str, PublicState]] | None = None

    def registry(self, collection_id: str) -> Registry:
        reg = self.catalog.get(collection_id)
        if not reg.public:
            raise NotFound(f"no collection {collection_id!r}", collection=collection_id)
        return reg

    def parse(self, name: str) -> tuple[Registry, str]:
        for fmt, (_, ext) in FORMATS.items():
            if name.endswith(ext):
                return self.registry(name[: -len(ext)]), fmt
        raise NotFound(f"no download {name!r}; files are <collection>"
                       + ", <collection>".join(ext for _, ext in FORMATS.values()))

    def _slot(self) -> None:
        if not self.slots.acquire(blocking=False):
            raise DatabaseUnavailable("too many downloads at once; retry in a moment")

    async def index(self, request: Request) -> Response:
        if wants_html(request):
            return await self.page(request)
        base = self.settings.base_url
        items = [{"id": reg.id, "title": reg.title, "metadata": f"{base}/downloads/{reg.id}/"
                  "metadata.json", "files": {fmt: f"{base}/downloads/{file_name(reg, fmt)}"
                                             for fmt in FORMATS}}
                 for reg in self.catalog if reg.public]
        return JSONResponse({"downloads": items, "licence": self.settings.open_data.licence,
                             "catalogue": f"{base}/downloads/catalog.jsonld"})

    async def page(self, request: Request) -> Response:
        """The open-data page: every public data set with its files, passport, size, date
        and what it withholds, in Ukrainian (``?lang=en``: in English)."""
        language = page_language(request)
        lang = language.lang
        states = await run_in_threadpool(self._states)
        od = self.settings.open_data
        w = {key: words[lang] for key, words in PAGE_WORDS.items()}
        datasets = []
        for reg in self.catalog:
            if not reg.public:
                continue
            state = states[reg.id]
            changed = (state.changed.astimezone(ZoneInfo(self.settings.city.time_zone))
                       if state.changed else None)
            datasets.append({
                "id": reg.id, "title": reg.title.get(lang, reg.id),
                "description": reg.description.get(lang, ""),
                "count": number_in(state.count, lang),
                "changed": date_in(changed.date(), lang) if changed else None,
                "changed_iso": changed.isoformat() if changed else None,
                "files": [{"name": FILE_NAMES[fmt], "href": f"/downloads/{file_name(reg, fmt)}"}
                          for fmt in FORMATS],
                "passport": f"/downloads/{reg.id}/metadata.json",
                "withheld": withheld(reg, lang),
                "fields": [{"name": f.name, "title": f.title.get(lang, f.name),
                            "codes": _codes(f.code_titles, lang, w)}
                           for f in reg.public_fields]})
        html = TEMPLATES.get_template("downloads.html").render(
            lang=lang, w=w, datasets=datasets, base=self.settings.base_url,
            publisher=od.publisher if lang == "uk" else od.publisher_en,
            licence=od.licence, licence_url=od.licence_url,
            other_lang=language.other, other_href=language.other_href)
        return HTMLResponse(html, headers={"Cache-Control": "no-cache", **language.headers})

    def _states(self) -> dict[str, PublicState]:
        """Return each public registry's state, read at most once a minute: the page is
        public, and a state costs an aggregate over the registry's published tables."""
        with self._states_lock:
            now = time.monotonic()
            if self._states_cache is None or now - self._states_cache[0] > STATES_TTL_S:
                with database_errors(), self.pool.connection() as conn:
                    fresh = {reg.id: public_state(conn, reg)
                             for reg in self.catalog if reg.public}
                self._states_cache = (now, fresh)
            return self._states_cache[1]

    async def metadata(self, request: Request) -> Response:
        reg = self.registry(request.path_params["collection_id"])

        def build() -> dict[str, Any]:
            with database_errors(), self.pool.connection() as conn:
                return package(self.settings, conn, reg)

        return tagged_json(request, await run_in_threadpool(build))

    async def catalogue(self, request: Request) -> Response:
        def build() -> dict[str, Any]:
            with database_errors(), self.pool.connection() as conn:
                return catalogue(self.settings, conn, self.catalog, self.bbox)

        return tagged_json(request, await run_in_threadpool(build), "application/ld+json")

    async def download(self, request: Request) -> Response:
        reg, fmt = self.parse(request.path_params["name"])
        mime = FORMATS[fmt][0]
        state = await run_in_threadpool(self._state, reg)
        # Text is sent gzipped to a client that takes it (parcels' CSV: 39 MB -> 5.1 MB).
        zipped = fmt in STREAMED and accepts_gzip(request.headers.get("accept-encoding", ""))
        # The format in the tag: one registry's CSV and GeoJSON are different bodies, and so
        # are the gzipped and the plain CSV.
        etag = f'"{state.tag}-{fmt}{"-gzip" if zipped else ""}"'
        headers = {"Content-Disposition": f'attachment; filename="{file_name(reg, fmt)}"',
                   "Cache-Control": "no-cache", "ETag": etag}
        if fmt in STREAMED:
            headers["Vary"] = "Accept-Encoding"
        if state.changed is not None:
            headers["Last-Modified"] = format_datetime(state.changed.astimezone(UTC),
                                                       usegmt=True)
        # a harvester's daily check costs no export
        if not_modified(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers={
                k: v for k, v in headers.items() if k in ("ETag", "Cache-Control",
                                                          "Last-Modified", "Vary")})
        if fmt in STREAMED:
            headers["Accept-Ranges"] = "none"  # streamed as PostgreSQL writes it
            if zipped:
                headers["Content-Encoding"] = "gzip"
            if request.method == "HEAD":  # the headers only: no export, no slot
                return StreamingResponse(iter(()), media_type=mime, headers=headers)
            self._slot()
            return ClosingStream(self._stream(reg, fmt, zipped), self.slots.release,
                                 media_type=mime, headers=headers)
        # A written file answers HEAD with its length and byte ranges from one file: GDAL's
        # /vsicurl/ (QGIS opening the URL) asks for both.
        path = self.files.cached(reg, fmt, state)
        if path is None:
            self._slot()
            try:
                path = await run_in_threadpool(self.files.get, reg, fmt, state, self._write)
            finally:
                self.slots.release()
        return FileResponse(path, media_type=mime, headers=headers)

    def _state(self, reg: Registry) -> PublicState:
        with database_errors(), self.pool.connection() as conn:
            return public_state(conn, reg)

    def _write(self, reg: Registry, fmt: str, state: PublicState, target: Path) -> None:
        with database_errors(), self.pool.connection() as conn:
            write_vector(conn, reg, self.settings.city.storage_srid, fmt, target,
                         stamp=state.stamp)

    def _stream(self, reg: Registry, fmt: str, zipped: bool) -> Iterator[bytes]:
        srid = self.settings.city.storage_srid
        with database_errors(), self.pool.connection() as conn:
            chunks = text_chunks(conn, reg, srid, fmt)
            yield from gzipped(chunks) if zipped else chunks


class WrittenFiles:
    """The GeoPackages and zipped Shapefiles of the public registries, written once per
    public state (``PublicState.tag``) into a temporary folder of this process, removed at
    exit. A client reading byte ranges (GDAL's /vsicurl/, a resumed download) reads one file;
    a harvester's daily download is not an export each time. The previous file of a registry
    stays until the next one is written (a response may be about to open it)."""

    def __init__(self, parent: Path | None = None) -> None:
        self._parent = parent  # where its folder is made (None: the system's temporary one)
        self._root: Path | None = None
        self._lock = threading.Lock()
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._current: dict[tuple[str, str], Path] = {}

    def root(self) -> Path:
        with self._lock:
            if self._root is None:
                self._root = Path(tempfile.mkdtemp(prefix="hromada-downloads-",
                                                   dir=self._parent))
                atexit.register(shutil.rmtree, self._root, True)
            return self._root

    def path(self, reg: Registry, fmt: str, state: PublicState) -> Path:
        return self.root() / f"{reg.id}-{state.tag}{FORMATS[fmt][1]}"

    def cached(self, reg: Registry, fmt: str, state: PublicState) -> Path | None:
        """Return the file of this state if it is written."""
        path = self.path(reg, fmt, state)
        return path if path.is_file() else None

    def get(self, reg: Registry, fmt: str, state: PublicState,
            write: Callable[[Registry, str, PublicState, Path], None]) -> Path:
        """Return the file of this state, written by ``write`` unless another request just
        did (one writer per file; blocking)."""
        key = (reg.id, fmt)
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            path = self.path(reg, fmt, state)
            if path.is_file():
                return path
            part = path.with_name(path.name + ".part")
            try:
                write(reg, fmt, state, part)
                os.replace(part, path)
            finally:
                part.unlink(missing_ok=True)
            keep = {path, self._current.get(key)}
            for old in path.parent.glob(f"{reg.id}-*{FORMATS[fmt][1]}"):
                if old not in keep:
                    old.unlink(missing_ok=True)
            self._current[key] = path
            return path


def tagged_json(request: Request, document: dict[str, Any],
                media_type: str = "application/json") -> Response:
    """Return ``document`` with an ETag of its bytes, or 304 when the client holds them: a
    harvester polling the passports and the catalogue downloads them only when they change
    (the counts, the update date, the publisher's settings)."""
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    etag = '"m-' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if not_modified(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _codes(titles: dict[str, dict[str, str]] | None, lang: str, w: dict[str, str]) -> str:
    """Return a short code list for the page (a long one is counted: the passport has it)."""
    if not titles:
        return ""
    if len(titles) > 12:
        return f"{len(titles)} {w['codes']}"
    return "; ".join(f"{code} — {t.get(lang, t['uk'])}" for code, t in titles.items())


def publisher_of(settings: Settings) -> dict[str, str]:
    """Return the publisher fields the passports and the catalogue carry."""
    od = settings.open_data
    return {"name": od.publisher, "name_en": od.publisher_en, "contact_name": od.contact_name,
            "contact_email": od.contact_email, "edrpou": od.publisher_edrpou,
            "licence": od.licence, "licence_url": od.licence_url,
            "update_frequency": od.update_frequency,
            # the council's own open-data page, else this server's
            "landing_page": od.landing_page or f"{settings.base_url}/downloads"}


def files_of(reg: Registry) -> dict[str, tuple[str, str]]:
    """Return each download format's file name and media type (without parameters)."""
    return {fmt: (file_name(reg, fmt), mime.split(";")[0]) for fmt, (mime, _) in FORMATS.items()}


def package(settings: Settings, conn: psycopg.Connection, reg: Registry) -> dict[str, Any]:
    """Return the data.gov.ua (CKAN) passport of ``reg``'s open data set."""
    state = public_state(conn, reg)
    return ckan_package(reg, base_url=settings.base_url, publisher=publisher_of(settings),
                        koatuu=settings.city.koatuu, count=state.count, modified=state.changed,
                        files=files_of(reg))


def lonlat_box_wkt(settings: Settings) -> str:
    """Return the city's extent as a CRS84 polygon (WKT), the catalogue's ``dcat:bbox``."""
    w, s, e, n = settings.city.lonlat_extent
    ring = ",".join(f"{x:.5f} {y:.5f}" for x, y in ((w, s), (e, s), (e, n), (w, n), (w, s)))
    return f"POLYGON(({ring}))"


def catalogue(settings: Settings, conn: psycopg.Connection, catalog: Catalog,
              bbox: str) -> dict[str, Any]:
    """Return the DCAT-AP catalogue (JSON-LD) of every public registry (``bbox``: the city's
    extent, :func:`lonlat_box_wkt`)."""
    city = settings.city
    publisher = publisher_of(settings)
    datasets = []
    for reg in catalog:
        if not reg.public:
            continue
        state = public_state(conn, reg)
        datasets.append(dcat_dataset(
            reg, base_url=settings.base_url, publisher=publisher, koatuu=city.koatuu,
            count=state.count, modified=state.changed, bbox_wkt=bbox,
            files=files_of(reg)))
    return dcat_catalog(datasets, base_url=settings.base_url, publisher=publisher,
                        city={"uk": city.name_uk, "en": city.name_en})


def export_routes(settings: Settings, pool: ConnectionPool, catalog: Catalog) -> list[Route]:
    """Return the download routes; mounted by ``app.factory`` before the OGC API."""
    d = Downloads(settings, pool, catalog)
    return [Route("/downloads", d.index), Route("/downloads/catalog.jsonld", d.catalogue),
            Route("/downloads/{collection_id}/metadata.json", d.metadata),
            Route("/downloads/{name}", d.download)]
