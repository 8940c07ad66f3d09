"""The geoportal page at ``/`` (a placeholder until the geoportal lands) and its negotiation."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from registries.catalog import Catalog

ASGIApp = Callable[..., Any]


def landing_html(catalog: Catalog, city_name: str) -> str:
    """Return the Ukrainian placeholder page listing the collections and the API links."""
    items = "\n".join(
        f'<li><a href="/collections/{escape(r.id)}/items">{escape(r.title["uk"])}</a> '
        f'<small>({escape(r.title["en"])})</small></li>'
        for r in catalog if r.public
    )
    return f"""<!doctype html>
<html lang="uk"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Геопортал м. {escape(city_name)}</title></head>
<body>
<h1>Геопортал м. {escape(city_name)}</h1>
<p>Карта геопорталу готується. Дані вже доступні через OGC API:</p>
<ul>{items}</ul>
<p><a href="/collections">Колекції</a> · <a href="/openapi">OpenAPI</a> ·
<a href="/conformance">Відповідність стандартам</a> · <a href="/?f=json">OGC API (JSON)</a></p>
</body></html>"""


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
