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

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from gis.crs import transform_bbox, ucs2000_proj4
from gis.settings import Settings
from registries.catalog import Catalog
from registries.status import has_term_status
from registries.styles import STATUS_COLOURS, STATUS_TITLES, style_of

ASGIApp = Callable[..., Any]
STATIC = Path(__file__).with_name("static")
NODE_MODULES = STATIC / "node_modules"
TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                        autoescape=select_autoescape(["html"]))
# the layer panel's groups, in this order; a registry of another group goes to "other"
GROUPS: dict[str, dict[str, str]] = {
    "cadastre": {"uk": "Кадастр", "en": "Cadastre"},
    "addresses": {"uk": "Адреси і вулиці", "en": "Addresses and streets"},
    "advertising": {"uk": "Зовнішня реклама", "en": "Outdoor advertising"},
    "temporary": {"uk": "Тимчасові споруди", "en": "Temporary structures"},
    "planning": {"uk": "Містобудування", "en": "Planning"},
    "other": {"uk": "Інше", "en": "Other"},
}
def portal_config(settings: Settings, catalog: Catalog) -> dict[str, Any]:
    """Return what the page's scripts need: layers by group, statuses, CRS, base layer."""
    layers = []
    for reg in catalog:
        if not reg.public:
            continue
        style = style_of(reg)
        layers.append({"id": reg.id, "title": reg.title, "geometry": str(reg.geometry),
                       "group": reg.group if reg.group in GROUPS else "other",
                       "colour": style.outline if style.opacity == 0 and style.outline
                       else style.colour, "outline": style.outline,
                       "byStatus": has_term_status(reg)})
    portal = settings.portal
    return {
        "city": {"uk": settings.city.name_uk, "en": settings.city.name_en},
        "timeZone": settings.city.time_zone,
        "styleUrl": "/maps/city/style.json",
        "bounds": [round(v, 6) for v in transform_bbox(settings.city.extent,
                                                        settings.city.storage_srid, "OGC:CRS84")],
        "groups": GROUPS,
        "layers": layers,
        "statuses": {k: {"colour": STATUS_COLOURS[k], "title": STATUS_TITLES[k]}
                     for k in STATUS_COLOURS},
        "ucs2000": {"srid": settings.city.storage_srid,
                    "proj4": ucs2000_proj4(settings.city.storage_srid)},
        "basemap": ({"tiles": portal.basemap_tiles, "attribution": portal.basemap_attribution,
                     "maxzoom": portal.basemap_max_zoom} if portal.basemap_tiles else None),
        "extractsUrl": portal.extracts_url,
    }


def portal_html(settings: Settings, catalog: Catalog) -> str:
    """Return the geoportal page (Ukrainian first; English through the page's switch)."""
    config = json.dumps(portal_config(settings, catalog), ensure_ascii=False)
    # "</" must not end the inline <script> early
    return TEMPLATES.get_template("portal.html").render(
        city=settings.city.name_uk, config=config.replace("</", "<\\/"),
        vendor_ready=(NODE_MODULES / "maplibre-gl" / "dist" / "maplibre-gl.js").is_file())


def portal_routes() -> list[Mount]:
    """Return the static mounts: the page's own modules and the npm-installed libraries."""
    def vendor(package: str) -> ASGIApp:
        files = StaticFiles(directory=NODE_MODULES / package / "dist", check_dir=False)
        return GZipMiddleware(files, minimum_size=1000)

    return [
        Mount("/static/portal", app=GZipMiddleware(StaticFiles(directory=STATIC / "portal"),
                                                    minimum_size=1000)),
        Mount("/static/vendor/maplibre-gl", app=vendor("maplibre-gl")),
        Mount("/static/vendor/proj4", app=vendor("proj4")),
    ]


class LandingSwitch:
    """Serve the geoportal page to browsers and the OGC API landing page to API clients."""

    def __init__(self, ogc_app: ASGIApp, html: str) -> None:
        self.ogc_app = ogc_app
        self.html = html

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        request = Request(scope)
        fmt = request.query_params.get("f")
        accept = request.headers.get("accept", "")
        # browsers send text/html; API clients send JSON types, */* or nothing
        if fmt == "html" or (fmt is None and "text/html" in accept):
            await HTMLResponse(self.html)(scope, receive, send)
        else:
            await self.ogc_app(scope, receive, send)
