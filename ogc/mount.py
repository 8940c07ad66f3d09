"""pygeoapi's ASGI app, configured from ``pygeoapi-config.yml`` and the resolved database.

pygeoapi's Starlette app reads its configuration at import time from ``PYGEOAPI_CONFIG`` and
``PYGEOAPI_OPENAPI``, so :func:`pygeoapi_app` sets those (and the ``GIS_PG_*`` placeholders the
config uses) first and imports it once per process.
"""

from __future__ import annotations

import gzip
import importlib
import json
import logging
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import yaml
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from gis.errors import EnvironmentProblem, GisError, InvalidParameter, NotFound
from gis.negotiation import acceptable, preferred
from ogc.html import prepare as prepare_pages
from ogc.openapi import describe_items
from ogc.params import link_query
from registries.catalog import default_catalog

ASGIApp = Callable[..., Any]
log = logging.getLogger("hromada.ogc")
CONFIG_FILE = Path(__file__).resolve().parent.parent / "pygeoapi-config.yml"


def connection_env(url: str) -> dict[str, str]:
    """Return the ``GIS_PG_*`` variables the pygeoapi config reads, from a libpq URL.

    >>> connection_env("postgresql://gis:p%40ss@127.0.0.1:5433/hromada")["GIS_PG_PASSWORD"]
    'p@ss'
    """
    parts = urlsplit(url)
    return {
        "GIS_PG_HOST": parts.hostname or "127.0.0.1",
        "GIS_PG_PORT": str(parts.port or 5432),
        "GIS_PG_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
        "GIS_PG_USER": unquote(parts.username or ""),
        "GIS_PG_PASSWORD": unquote(parts.password or ""),
    }


def pygeoapi_app(db_url: str, public_url: str, work_dir: Path,
                 handlers: dict[type[BaseException], Callable[..., Any]] | None = None,
                 config_file: Path = CONFIG_FILE,
                 conformance: list[str] | None = None,
                 openapi: dict[str, Any] | None = None) -> ASGIApp:
    """Return pygeoapi's Starlette app over the database at ``db_url``.

    ``handlers`` are exception handlers installed inside pygeoapi's own app: its error
    middleware would otherwise answer a lost database with a 500 before ours sees it.
    ``conformance`` lists classes served beside pygeoapi's (tiles); with ours
    (:data:`EXTRA_CONFORMANCE`, less :data:`WITHDRAWN_CONFORMANCE`) they are what
    /conformance says in every format. ``openapi`` (``paths`` and ``tags``) describes the
    routes served beside pygeoapi's in its OpenAPI document.
    """
    if "pygeoapi.starlette_app" in sys.modules:
        return sys.modules["pygeoapi.starlette_app"].APP  # type: ignore[no-any-return]
    if not config_file.exists():
        raise EnvironmentProblem(f"pygeoapi configuration {config_file} is missing")
    work_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update(connection_env(db_url))
    os.environ["GIS_PUBLIC_URL"] = public_url
    templates, locales = prepare_pages(work_dir, default_catalog())
    os.environ["GIS_PYGEOAPI_TEMPLATES"] = str(templates)
    os.environ["GIS_PYGEOAPI_LOCALES"] = str(locales)
    os.environ["PYGEOAPI_CONFIG"] = str(config_file)
    from pygeoapi.openapi import get_oas
    from pygeoapi.util import yaml_load

    with config_file.open(encoding="utf-8") as fh:
        config = yaml_load(fh)
    document = get_oas(config)
    describe_items(document)
    document["paths"].update((openapi or {}).get("paths", {}))
    document.setdefault("tags", []).extend((openapi or {}).get("tags", []))
    openapi_file = work_dir / "openapi.yml"
    openapi_file.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False),
                            encoding="utf-8")
    os.environ["PYGEOAPI_OPENAPI"] = str(openapi_file)
    raise_our_errors(importlib.import_module("pygeoapi.api").API)
    module = importlib.import_module("pygeoapi.starlette_app")
    itemtypes = importlib.import_module("pygeoapi.api.itemtypes")
    itemtypes.CONFORMANCE_CLASSES_FEATURES = sorted(  # type: ignore[attr-defined]
        (set(itemtypes.CONFORMANCE_CLASSES_FEATURES) | set(EXTRA_CONFORMANCE)
         | set(conformance or [])) - set(WITHDRAWN_CONFORMANCE))
    for exc_type, handler in (handlers or {}).items():
        module.APP.add_exception_handler(exc_type, handler)
    return module.APP  # type: ignore[no-any-return]


def raise_our_errors(api: Any) -> None:
    """Make pygeoapi's error answers ours: its ``API.get_exception`` (every error it answers
    goes through it) raises the :class:`GisError` of the same status instead of rendering a
    body of its own, so that the app's one handler renders it — ``application/problem+json``, or
    the HTML page in the page's language — as every other error. Idempotent.

    pygeoapi's own body is ``{"code", "type", "description"}`` beside our problem documents,
    and its HTML error page is English whatever the page's language (it renders errors in
    the system locale).
    """
    if getattr(api.get_exception, "__wrapped__", None):
        return
    original = api.get_exception

    def get_exception(self: Any, status: int, headers: dict[str, Any], format_: str | None,
                      code: str, description: str) -> Any:
        raise pygeoapi_error(int(status), str(description))

    def get_format_exception(self: Any, request: Any) -> Any:
        asked = str(request._args.get("f", ""))[:40]
        raise InvalidParameter(f"f={asked!r} is not a format served here; ask f=json, f=html "
                               "or f=jsonld", parameter="f")

    get_exception.__wrapped__ = original  # type: ignore[attr-defined]
    api.get_exception = get_exception
    api.get_format_exception = get_format_exception


def pygeoapi_error(status: int, description: str) -> Exception:
    """Return the error of ours that pygeoapi's answer ``status`` + ``description`` is.

    >>> pygeoapi_error(404, "land_parcels has no object 7")
    NotFound('land_parcels has no object 7')
    >>> type(pygeoapi_error(400, "limit value should be strictly positive")).__name__
    'InvalidParameter'

    A status pygeoapi gives for its own failure (500 …) is no user's error: it is logged
    (with the exception being handled, if any) and answered without its text.
    """
    if status == 404:
        # its words: a missing collection or object is refused before pygeoapi
        # (``FeatureRouter``)
        return NotFound(description)
    if 400 <= status < 500:  # pygeoapi 0.24 answers a request's own fault with 400 or 404
        return InvalidParameter(description)
    log.error("pygeoapi answered %s: %s", status, description, exc_info=sys.exc_info()[0]
              is not None)
    return GisError("internal error; it has been logged")


# What ogc.features and registries.filters implement beyond what pygeoapi declares itself.
EXTRA_CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
]
# What pygeoapi declares but this server does not honour: its schemas carry no temporal roles
# (primary-instant/interval) for our collections. A class is claimed only with a test behind
# it (tests/test_conformance_classes.py).
WITHDRAWN_CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-common-3/1.0/conf/advanced-property-roles",
]


SCHEMA_DOCUMENT = re.compile(r"^/collections/(?P<collection_id>[^/]+)/(schema|queryables)$")


class OgcDocuments:
    """ASGI wrapper completing pygeoapi's landing, conformance and collection documents.

    /collections gets ``numberMatched`` (public objects) per collection — a city user wants to
    see at a glance how many objects each registry holds; /conformance gets the classes our own
    routes implement (CQL2 JSON, spatial/temporal operators, PATCH) and ``conformance`` (the
    tiles'); the landing page and each collection get the links ``links`` gives for their path
    (``/`` or ``/collections/{id}``): the tilesets, so that clients that follow links (GDAL's
    OGCAPI driver) find the tiles; a collection's schema and queryables documents get what
    ``fields`` adds from the registry's declarations (titles, code lists, geometry type).
    """

    def __init__(self, app: ASGIApp, counts: Callable[[], dict[str, int]],
                 conformance: list[str] | None = None,
                 links: Callable[[str], list[dict[str, Any]]] | None = None,
                 fields: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None
                 ) -> None:
        self.app = app
        self.counts = counts
        self.conformance = sorted(set(EXTRA_CONFORMANCE) | set(conformance or []))
        self.links = links or (lambda path: [])
        # completes a collection's schema or queryables document (collection id, document)
        self.fields = fields or (lambda cid, doc: doc)

    @staticmethod
    def _completed(path: str) -> bool:
        path = path.rstrip("/") or "/"
        return path in ("/", "/collections", "/conformance") or (
            path.startswith("/collections/") and path.count("/") == 2) or \
            SCHEMA_DOCUMENT.match(path) is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope, send = pygeoapi_scope(scope), answer_headers(send)
        if scope["method"] not in ("GET", "HEAD") or not self._completed(scope["path"]):
            await self.app(scope, receive, honest_gzip(send))
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        headers = [(k, v) for k, v in start.get("headers", [])]
        # counting waits on the database: keep it off the event loop
        body = await run_in_threadpool(self._enrich, start.get("status", 500), headers,
                                       b"".join(chunks), scope["path"].rstrip("/") or "/")
        plain = not body.startswith(b"\x1f\x8b")  # pygeoapi labels some plain errors gzip
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"
                   and not (plain and k.lower() == b"content-encoding")]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _enrich(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes,
                path: str) -> bytes:
        h = {k.lower(): v for k, v in headers}
        if status != 200 or not h.get(b"content-type", b"").startswith(
                (b"application/json", b"application/schema+json")):
            return body
        zipped = h.get(b"content-encoding") == b"gzip"
        doc = json.loads(gzip.decompress(body) if zipped else body)
        if m := SCHEMA_DOCUMENT.match(path):
            doc = self.fields(m.group("collection_id"), doc)
        elif path == "/conformance" and "conformsTo" in doc:
            doc["conformsTo"] = sorted((set(doc["conformsTo"]) | set(self.conformance))
                                       - set(WITHDRAWN_CONFORMANCE))
        if path == "/collections" and "collections" in doc:
            counts = self.counts()
            for coll in doc["collections"]:
                if coll.get("id") in counts:
                    coll["numberMatched"] = counts[coll["id"]]
                coll.setdefault("links", []).extend(self.links(f"/collections/{coll.get('id')}"))
                plain_items_links(coll["links"])
        elif path != "/collections" and isinstance(doc.get("links"), list):
            if path == "/":
                doc["links"] = [lk for lk in doc["links"] if not unserved(lk)]
            doc["links"].extend(self.links(path))
            plain_items_links(doc["links"])
        out = json.dumps(doc, ensure_ascii=False).encode()
        return gzip.compress(out) if zipped else out


def unserved(link: Any) -> bool:
    """Return True for a link of pygeoapi's landing page to what this server does not serve:
    processes (404 here) and its own tiling-schemes list (``/TileMatrixSets``: ours, beside
    the tiles, is ``/tileMatrixSets``).

    >>> unserved({"rel": "http://www.opengis.net/def/rel/ogc/1.0/processes", "href": "x"})
    True
    """
    rel = str(link.get("rel", "")) if isinstance(link, dict) else ""
    href = urlsplit(str(link.get("href", ""))).path if isinstance(link, dict) else ""
    return rel.endswith(("/processes", "/job-list")) or href.endswith("/TileMatrixSets")


def plain_items_links(links: list[Any]) -> None:
    """Drop ``f=json`` from the GeoJSON ``items`` links in ``links`` (in place).

    GeoJSON is what the items path answers without ``f`` (a browser's ``Accept`` asks HTML),
    and GDAL (3.6, Debian 12's, QGIS's) reads one feature by appending ``/{id}`` to this link:
    ``items?f=json/7`` was a 400 where ``items/7`` is the feature.

    >>> links = [{"rel": "items", "type": "application/geo+json",
    ...           "href": "https://x/collections/a/items?f=json"}]
    >>> plain_items_links(links); links[0]["href"]
    'https://x/collections/a/items'
    """
    for link in links:
        if isinstance(link, dict) and link.get("rel") == "items" and \
                link.get("type") == "application/geo+json" and "?" in str(link.get("href")):
            parts = urlsplit(str(link["href"]))
            query = link_query([(k, v) for k, v in parse_qsl(parts.query) if k != "f"])
            link["href"] = urlunsplit(parts._replace(query=query))


class OpenApiAlias:
    """Serve ``/api`` as ``/openapi``: the OpenAPI document (JSON) for clients, its viewer for
    browsers — where OGC API clients and people look for an API's description first."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app({**scope, "path": "/openapi", "raw_path": b"/openapi"}, receive, send)


# the types pygeoapi writes its documents in, and the ``f`` that asks each (schema+json: the
# queryables and schemas; geo+json: items, whose GeoJSON is ours but asked alike)
PYGEOAPI_TYPES = {"application/json": "json", "application/geo+json": "json",
                  "application/schema+json": "json", "text/html": "html",
                  "application/ld+json": "jsonld"}


def pygeoapi_scope(scope: Scope) -> Scope:
    """Return the request ``scope`` as pygeoapi is to read it.

    - Its format named by ``f``: negotiated from ``Accept`` as on every route of ours
      (:func:`gis.negotiation.preferred`; JSON when ``Accept`` names none of
      :data:`PYGEOAPI_TYPES`). pygeoapi 0.24's own reading ranks choices by ``1 / q`` (a 500
      for ``application/json;q=0``), took ``text/*`` for JSON and labelled the JSON it
      answered to ``Accept: image/png`` as a PNG.
    - ``lang`` and ``Accept-Language`` without the choices it would divide by zero
      (:func:`gis.negotiation.acceptable`; ``lang=en;q=0`` was a 500).
    - No ``Accept-Language`` when an HTML page is asked for without ``lang``: the pages are
      Ukrainian first, as the geoportal is, and English through their switch (``?lang=en``),
      whatever language the browser happens to prefer.

    >>> s = pygeoapi_scope({"query_string": b"lang=en%3Bq%3D0",
    ...                     "headers": [(b"accept", b"application/json;q=0, text/*;q=0.5")]})
    >>> s["query_string"]
    b'f=html'
    """
    pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    headers = list(scope.get("headers", []))
    if not any(k == "f" and v.strip() for k, v in pairs):
        accept = next((v.decode("latin-1") for k, v in headers if k == b"accept"), None)
        kind = preferred(accept, list(PYGEOAPI_TYPES))
        pairs = [(k, v) for k, v in pairs if k != "f"]
        pairs.append(("f", PYGEOAPI_TYPES[kind] if kind else "json"))
    pairs = [(k, acceptable(v) if k == "lang" else v) for k, v in pairs]
    pairs = [(k, v) for k, v in pairs if k != "lang" or v]
    page = next(v for k, v in reversed(pairs) if k == "f").lower() == "html"
    languages = [(k, acceptable(v.decode("latin-1")).encode("latin-1")) for k, v in headers
                 if k == b"accept-language" and not (page and not any(k == "lang"
                                                                      for k, _ in pairs))]
    headers = [(k, v) for k, v in headers if k != b"accept-language"]
    headers += [(k, v) for k, v in languages if v]
    return {**scope, "headers": headers, "query_string": urlencode(pairs).encode("latin-1")}


def answer_headers(send: Callable[..., Any]) -> Callable[..., Any]:
    """Return ``send`` that mends the headers of pygeoapi's answers:

    - ``Vary`` names ``Accept`` and ``Accept-Language``: its documents are chosen by both
      (:func:`pygeoapi_scope`), and a cache keying them by the URL alone handed a browser's
      HTML page to a JSON client;
    - a page says its charset (``text/html; charset=utf-8``): pygeoapi wrote a bare
      ``text/html``, and only a gzipped page got the charset on its way.
    """
    async def wrapped(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, b"text/html; charset=utf-8" if k.lower() == b"content-type"
                        and v.strip().lower() == b"text/html" else v)
                       for k, v in message.get("headers", []) if k.lower() != b"vary"]
            named = [v.decode("latin-1") for k, v in message.get("headers", [])
                     if k.lower() == b"vary"]
            names = {n.strip().lower() for v in named for n in v.split(",")}
            named += [n for n in ("Accept", "Accept-Language") if n.lower() not in names]
            message = {**message, "headers": [*headers,
                                              (b"vary", ", ".join(named).encode("latin-1"))]}
        await send(message)

    return wrapped


def honest_gzip(send: Callable[..., Any]) -> Callable[..., Any]:
    """Return ``send`` that drops ``Content-Encoding: gzip`` from bodies that are not gzip.

    pygeoapi 0.24 labels some error responses (e.g. an unknown ``f``) as gzip while sending
    them plain; clients then fail to decode the body instead of reading a 400.
    """
    held: dict[str, Any] = {}

    async def wrapped(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            if any(k.lower() == b"content-encoding" and v.lower() == b"gzip"
                   for k, v in message.get("headers", [])):
                held["start"] = message  # decide when the first bytes of the body are seen
                return
            await send(message)
            return
        start = held.pop("start", None)
        if start is not None and not message.get("body") and message.get("more_body"):
            held["start"] = start  # an empty first chunk tells nothing: wait for bytes
            return
        if start is not None:
            if not message.get("body", b"").startswith(b"\x1f\x8b"):
                start = {**start, "headers": [(k, v) for k, v in start["headers"]
                                              if k.lower() != b"content-encoding"]}
            await send(start)
        await send(message)

    return wrapped
