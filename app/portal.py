"""The geoportal page at ``/``, its static assets, and the negotiation with the OGC landing.

Browsers get the MapLibre page (``app/templates/portal.html`` + ``app/static/portal/*.js``);
API clients (``f=json``, JSON ``Accept``, ``*/*`` or nothing) get pygeoapi's OGC API landing.
MapLibre GL JS and proj4 come from npm (``app/static/package.json``, installed by
``scripts/bootstrap.sh``) and are served from ``/static/vendor/`` — no CDN at run time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from app.pages import TEMPLATES
from gis.crs import ucs2000_proj4
from gis.negotiation import LANGUAGES, prefers_html
from gis.params import given_once
from gis.settings import Settings
from registries.catalog import Catalog
from registries.declaration import DATE_RANGE_STATUSES
from registries.model import Field, FieldType, GeometryKind, Registry
from registries.parcels.purposes import SECTIONS, purposes
from registries.planning.restriction_codes import restriction_codes
from registries.search import MAX_QUERY
from registries.status import has_term_status
from registries.styles import (
    BASEMAP,
    OFF_AT_FIRST,
    RANGE_COLOURS,
    STATUS_COLOURS,
    STATUS_TITLES,
    style_of,
    text_on,
)

ASGIApp = Callable[..., Any]
STATIC = Path(__file__).with_name("static")
NODE_MODULES = STATIC / "node_modules"
# the page's modules, fetched at once (modulepreload) instead of import by import
MODULES = ("main", "i18n", "map", "layers", "legend", "format", "search", "identify", "card",
           "list", "measure", "permalink", "print", "rasters")
FIRST_FONTS = ("DejaVu Sans Book",)  # the label font: its Latin and Cyrillic ranges preloaded
# the layer panel's groups, in this order; a registry of another group goes to "other"
GROUPS: dict[str, dict[str, str]] = {
    "basemap": {"uk": "Базова карта", "en": "Base map"},
    "cadastre": {"uk": "Кадастр", "en": "Cadastre"},
    "addresses": {"uk": "Адреси і вулиці", "en": "Addresses and streets"},
    "advertising": {"uk": "Зовнішня реклама", "en": "Outdoor advertising"},
    "temporary": {"uk": "Тимчасові споруди", "en": "Temporary structures"},
    "planning": {"uk": "Містобудування", "en": "Planning"},
    "roads": {"uk": "Дороги", "en": "Roads"},
    "accessibility": {"uk": "Безбар'єрність", "en": "Accessibility"},
    "other": {"uk": "Інше", "en": "Other"},
}
NUMBER_TYPES = (FieldType.INTEGER, FieldType.NUMBER)


def field_config(f: Field) -> dict[str, Any]:
    """Return what a card needs to show one field: title, type, code titles, decimals."""
    out: dict[str, Any] = {"name": f.name, **f.display}
    if f.references:
        out["references"] = f.references
    if f.personal_if:  # the kind of person the stand-in stands for: shown on its own row
        out["maskedBy"] = f.personal_if.field
    return out


def layer_config(reg: Registry) -> dict[str, Any]:
    """Return one registry as the page shows it: title, group, colours, fields, defaults."""
    style = style_of(reg)
    status = next((f for f in reg.fields if f.name == "status"), None)
    by_range = bool(status and status.derived
                    and status.code_titles == DATE_RANGE_STATUSES.as_dict())
    return {"id": reg.id, "title": reg.title, "geometry": str(reg.geometry),
            "group": "basemap" if reg.id in BASEMAP else
            reg.group if reg.group in GROUPS else "other",
            "colour": style.outline if style.opacity == 0 and style.outline else style.colour,
            "outline": style.outline, "byStatus": has_term_status(reg), "byRange": by_range,
            "on": reg.id not in OFF_AT_FIRST, "label": reg.label,
            # drawn as a ring (tiles.documents): points that are not coloured by a status
            "ring": reg.geometry is GeometryKind.POINT and not style.by_status
            and reg.id != "addresses",
            "fields": [field_config(f) for f in reg.public_fields]}


def classifiers() -> dict[str, Any]:
    """Return the classifiers cards read codes through (land purposes, DZK restrictions)."""
    return {"purposes": {c: p.name for c, p in purposes().items()}, "purposeSections": SECTIONS,
            "restrictions": restriction_codes()}


def portal_config(settings: Settings, catalog: Catalog,
                  style: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return what the page's scripts need: layers by group with their fields and code lists,
    statuses, classifiers, CRS, base layer, and the map's style (inline: no request for it
    before the first tile)."""
    layers = [layer_config(reg) for reg in catalog if reg.public]
    portal = settings.portal
    return {
        "portalName": {lang: settings.city.portal_name(lang) for lang in LANGUAGES},
        "timeZone": settings.city.time_zone,
        "styleUrl": "/maps/city/style.json",
        "bounds": [round(v, 6) for v in settings.city.lonlat_extent],
        "groups": GROUPS,
        "layers": layers,
        "statuses": {k: {"colour": STATUS_COLOURS[k], "text": text_on(STATUS_COLOURS[k]),
                         "title": STATUS_TITLES[k]} for k in STATUS_COLOURS},
        "rangeStatuses": {k: {"colour": RANGE_COLOURS[k], "text": text_on(RANGE_COLOURS[k]),
                              "title": v} for k, v in DATE_RANGE_STATUSES.as_dict().items()},
        "classifiers": classifiers(),
        "ucs2000": {"srid": settings.city.storage_srid,
                    "proj4": ucs2000_proj4(settings.city.storage_srid)},
        "basemap": ({"tiles": portal.basemap_tiles, "attribution": portal.basemap_attribution,
                     "maxzoom": portal.basemap_max_zoom} if portal.basemap_tiles else None),
        "extractsUrl": portal.extracts_url,
        **({"style": style} if style is not None else {}),
    }


def portal_html(settings: Settings, catalog: Catalog,
                style: dict[str, Any] | None = None) -> str:
    """Return the geoportal page (Ukrainian first; English through the page's switch)."""
    config = json.dumps(portal_config(settings, catalog, style), ensure_ascii=False,
                        separators=(",", ":"))
    # "</" must not end the inline <script> early
    return TEMPLATES.get_template("portal.html").render(
        portal_name=settings.city.portal_name("uk"), config=config.replace("</", "<\\/"),
        time_zone=settings.city.time_zone, search_max=MAX_QUERY,
        modules=MODULES,
        glyphs=[f"/fonts/{quote(style_font)}/{start}-{start + 255}.pbf"
                for style_font in FIRST_FONTS for start in (0, 1024)],
        vendor_ready=(NODE_MODULES / "maplibre-gl" / "dist" / "maplibre-gl.js").is_file())


def portal_routes() -> list[Mount]:
    """Return the static mounts: the page's own modules and the npm-installed libraries."""
    def vendor(package: str, folder: str = "dist") -> ASGIApp:
        files = StaticFiles(directory=NODE_MODULES / package / folder, check_dir=False)
        return GZipMiddleware(files, minimum_size=1000)

    return [
        Mount("/static/portal", app=GZipMiddleware(StaticFiles(directory=STATIC / "portal"),
                                                    minimum_size=1000)),
        Mount("/static/vendor/maplibre-gl", app=vendor("maplibre-gl")),
        Mount("/static/vendor/proj4", app=vendor("proj4")),
        # the OpenAPI viewer of the OGC API pages (ogc/templates/openapi/swagger.html)
        Mount("/static/vendor/swagger-ui", app=vendor("swagger-ui-dist", ".")),
    ]


class LandingSwitch:
    """Serve the geoportal page to browsers and the OGC API landing page to API clients."""

    def __init__(self, ogc_app: ASGIApp, html: str) -> None:
        self.ogc_app = ogc_app
        self.html = html
        # the page carries the layers' fields and code lists: 4–5× smaller compressed; a fresh
        # response each time (the middleware rewrites a response's headers in place)
        async def page(scope: Scope, receive: Receive, send: Send) -> None:
            await HTMLResponse(html)(scope, receive, send)

        self.page = GZipMiddleware(page, minimum_size=1000)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        # f twice with two values is refused, as on every OGC API resource
        fmt = given_once((k, v) for k, v in request.query_params.multi_items()
                         if k == "f").get("f")
        accept = request.headers.get("accept", "")
        # browsers send text/html; API clients send JSON types, */* or nothing
        if fmt == "html" or (fmt is None and prefers_html(accept)):
            await self.page(scope, receive, send)
        else:
            await self.ogc_app(scope, receive, send)
