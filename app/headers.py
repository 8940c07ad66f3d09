"""Headers every answer carries: page security policies, and caching that keeps staff copies
private.

**Security headers.** Every response gets ``X-Content-Type-Options: nosniff`` and
``Referrer-Policy: same-origin`` (query strings — a searched name, a filter — never travel to
another site in a ``Referer``). Every HTML page gets a ``Content-Security-Policy`` chosen by
the kind of page (:data:`POLICIES`, the one place to tighten them), always with
``frame-ancestors 'none'`` (and ``X-Frame-Options: DENY`` for old browsers): no page of ours
can be framed by another site (clickjacking of the login form). Inline ``<script>`` and
``<style>`` blocks of a page are allowed by their SHA-256 hashes, computed from the page as
sent, never by ``'unsafe-inline'`` for scripts; pygeoapi's inline event handlers
(``onclick="…"``) by their hashes with ``'unsafe-hashes'``.

**Caching.** Answers that depend on who asks (everything but static files and tiles) carry
``Vary: Authorization, Cookie``, so a cache keys them by the credentials; an answer to staff
(who see personal data) is ``Cache-Control: private, no-store`` — no shared cache may keep it
and hand it to the public. Public answers keep their own caching headers, and an item's
public ETag is never the staff copy's (``ogc.features.item_etag``).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from app.security import scope_principal

ASGIApp = Callable[..., Any]
Directives = dict[str, tuple[str, ...]]

BASE: Directives = {
    "default-src": ("'self'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
    "object-src": ("'none'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "connect-src": ("'self'",),
}


@dataclass(frozen=True)
class PagePolicy:
    """The Content-Security-Policy of one kind of page: directives over :data:`BASE`, and
    whether inline scripts and styles are allowed by their hashes (computed per response)."""

    directives: Directives = field(default_factory=dict)
    hash_scripts: bool = False
    hash_styles: bool = False

    def header(self, script_hashes: tuple[str, ...] = (), handler_hashes: tuple[str, ...] = (),
               style_hashes: tuple[str, ...] = ()) -> str:
        """Return the header value, with the hashes of this response's inline code."""
        merged = {**BASE, **self.directives}
        extra = [*script_hashes, *(("'unsafe-hashes'", *handler_hashes)
                                   if handler_hashes else ())]
        if extra:
            merged["script-src"] = (*merged["script-src"], *extra)
        if style_hashes:
            merged["style-src"] = (*merged["style-src"], *style_hashes)
        return "; ".join(f"{name} {' '.join(values)}" for name, values in merged.items())


POLICIES: dict[str, PagePolicy] = {
    # the geoportal: MapLibre from /static/vendor, its workers from blob: URLs, raster tiles
    # (when a base map is configured) added by policies_for()
    "portal": PagePolicy({"worker-src": ("'self'", "blob:"), "child-src": ("'self'", "blob:"),
                          "img-src": ("'self'", "data:", "blob:")}),
    # the login form: no script, no style, posts to itself only
    "login": PagePolicy({"default-src": ("'none'",), "base-uri": ("'none'",),
                         "img-src": ("'self'",), "script-src": ("'none'",),
                         "style-src": ("'none'",), "connect-src": ("'none'",)}),
    # the parcel report: one inline <style> block, allowed by its hash
    "report": PagePolicy({"script-src": ("'none'",)}, hash_styles=True),
    # every other page: pygeoapi's (landing, collections, items, item, queryables, the OpenAPI
    # viewer) through our own templates (ogc/templates: local assets, MapLibre on the city's
    # tiles, no inline script), the staff pages (import, quality, …) and the extract check;
    # our templates' own <style> blocks are allowed by their hashes
    "ogc": PagePolicy({"worker-src": ("'self'", "blob:"), "child-src": ("'self'", "blob:"),
                       "img-src": ("'self'", "data:", "blob:")}, hash_scripts=True,
                      hash_styles=True),
}


def page_kind(path: str) -> str:
    """Return which policy an HTML page at ``path`` gets.

    >>> page_kind("/"), page_kind("/login"), page_kind("/reports/parcels/1"), page_kind("/x")
    ('portal', 'login', 'report', 'ogc')
    """
    if path == "/":
        return "portal"
    if path.rstrip("/") == "/login":
        return "login"
    if path.startswith("/reports/"):
        return "report"
    return "ogc"


def policies_for(basemap_tiles: str | None) -> dict[str, PagePolicy]:
    """Return :data:`POLICIES` with the geoportal's raster base map host allowed, if any."""
    if not basemap_tiles:
        return dict(POLICIES)
    parts = urlsplit(basemap_tiles)
    origin = f"{parts.scheme}://{parts.netloc}"
    portal = POLICIES["portal"]
    directives = {**portal.directives,
                  "img-src": (*portal.directives["img-src"], origin),
                  "connect-src": ("'self'", origin)}
    return {**POLICIES, "portal": PagePolicy(directives, portal.hash_scripts,
                                             portal.hash_styles)}


INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.S | re.I)
INLINE_STYLE = re.compile(rb"<style[^>]*>(.*?)</style\s*>", re.S | re.I)
HANDLER = re.compile(rb"""\son[a-z]+\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)


def _sha(data: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode() + "'"


def inline_hashes(page: bytes) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Return the CSP hashes of a page's inline scripts, event handlers and style blocks.

    >>> scripts, handlers, styles = inline_hashes(b'<script>go()</script><a onclick="x()">')
    >>> len(scripts), len(handlers), len(styles)
    (1, 1, 0)
    """
    scripts = tuple(dict.fromkeys(_sha(m.group(1)) for m in INLINE_SCRIPT.finditer(page)))
    handlers = tuple(dict.fromkeys(
        _sha(html.unescape((m.group(1) or m.group(2) or b"").decode("utf-8", "replace"))
             .encode()) for m in HANDLER.finditer(page)))
    styles = tuple(dict.fromkeys(_sha(m.group(1)) for m in INLINE_STYLE.finditer(page)))
    return scripts, handlers, styles


SHARED_PREFIXES = ("/static/", "/tiles/", "/maps/", "/tileMatrixSets", "/TileMatrixSets")
COLLECTION_TILES = re.compile(r"^/collections/[^/]+/tiles(/|$)")


def is_shared(path: str) -> bool:
    """Return True for answers that are the same for everyone (static files, tiles).

    >>> is_shared("/maps/city/14/1/2.mvt"), is_shared("/collections/x/items")
    (True, False)
    """
    return path.startswith(SHARED_PREFIXES) or bool(COLLECTION_TILES.match(path))


class ResponseHeaders:
    """ASGI middleware adding the headers of the module docstring to every response."""

    def __init__(self, app: ASGIApp, policies: dict[str, PagePolicy] | None = None) -> None:
        self.app = app
        self.policies = policies or POLICIES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        held: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def wrapped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = self._common(scope, path, list(message.get("headers", [])))
                ctype = _header(headers, b"content-type") or b""
                if not ctype.startswith(b"text/html"):
                    await send({**message, "headers": headers})
                    return
                policy = self.policies[page_kind(path)]
                headers.append((b"x-frame-options", b"DENY"))
                if not (policy.hash_scripts or policy.hash_styles):
                    headers.append((b"content-security-policy", policy.header().encode()))
                    await send({**message, "headers": headers})
                    return
                held["start"], held["headers"], held["policy"] = message, headers, policy
                return
            if "start" not in held:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            await self._send_hashed(send, held, b"".join(chunks))

        await self.app(scope, receive, wrapped)

    @staticmethod
    async def _send_hashed(send: Any, held: dict[str, Any], body: bytes) -> None:
        """Send a whole HTML page with the hashes of its inline code in its policy."""
        policy: PagePolicy = held["policy"]
        headers: list[tuple[bytes, bytes]] = held["headers"]
        zipped = _header(headers, b"content-encoding") == b"gzip"
        # a big page takes a while to read: not on the event loop, which serves everyone
        scripts, handlers, styles = await run_in_threadpool(_page_hashes, body, zipped)
        value = policy.header(scripts if policy.hash_scripts else (),
                              handlers if policy.hash_scripts else (),
                              styles if policy.hash_styles else ())
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        headers += [(b"content-length", str(len(body)).encode()),
                    (b"content-security-policy", value.encode())]
        await send({**held["start"], "headers": headers})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _common(scope: Scope, path: str,
                headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        names = {k.lower() for k, _ in headers}
        if b"x-content-type-options" not in names:
            headers.append((b"x-content-type-options", b"nosniff"))
        if b"referrer-policy" not in names:
            headers.append((b"referrer-policy", b"same-origin"))
        if is_shared(path):
            return headers
        vary = [v.decode("latin-1") for k, v in headers if k.lower() == b"vary"]
        # "/" is the geoportal for browsers and the OGC landing for API clients; a gzipped
        # body (pygeoapi's own gzip says nothing) differs by Accept-Encoding
        zipped = any(k.lower() == b"content-encoding" and v.lower() == b"gzip"
                     for k, v in headers)
        varies = (*(["Accept"] if path == "/" else []),
                  *(["Accept-Encoding"] if zipped else []), "Authorization", "Cookie")
        # by name, not by substring: "Accept" is not in "Accept-Encoding"
        named = {name.strip().lower() for v in vary for name in v.split(",")}
        wanted = [v for v in varies if v.lower() not in named]
        if wanted:
            headers = [(k, v) for k, v in headers if k.lower() != b"vary"]
            headers.append((b"vary", ", ".join([*vary, *wanted]).encode("latin-1")))
        who = scope_principal(scope)
        if who is not None and who.sees_personal_data:
            headers = [(k, v) for k, v in headers if k.lower() not in (b"cache-control",
                                                                        b"expires")]
            headers.append((b"cache-control", b"private, no-store"))
        return headers


def _page_hashes(body: bytes, zipped: bool) -> tuple[tuple[str, ...], tuple[str, ...],
                                                     tuple[str, ...]]:
    page = body
    if zipped:
        try:
            page = gzip.decompress(body)
        except (OSError, EOFError):
            page = body
    return inline_hashes(page)


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for k, v in headers:
        if k.lower() == name:
            return v
    return None
