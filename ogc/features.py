"""OGC API – Features items in GeoJSON, served straight from PostGIS, and Part 4 writes.

pygeoapi stays the framework (landing, conformance, collections, queryables, OpenAPI, HTML);
these routes take the GeoJSON reads and the writes, where pygeoapi's per-feature Python work
and its missing ETag/If-Match would cost speed and safety. PostGIS builds each feature's JSON;
the page is streamed from a server-side cursor so memory stays flat for 10,000-feature pages.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import itertools
import json
import re
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, quote, urlencode

import psycopg
from psycopg import sql
from psycopg.abc import Buffer
from psycopg.adapt import Loader
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send

from gis.auth import Principal
from gis.compression import accepts_gzip, gzipped
from gis.crs import CRS84, crs_uri, output_crs_uris, srid_from_uri
from gis.db import database_errors, set_statement_timeout
from gis.errors import (
    InvalidParameter,
    MethodNotAllowed,
    NotFound,
    PreconditionFailed,
    UnsupportedMediaType,
)
from gis.json_input import parse_json
from gis.negotiation import language, not_modified, preferred
from gis.params import given_once, object_id, shown
from ogc.params import (
    LINK_TRACKING,
    ItemsQuery,
    items_params,
    link_query,
    parse_crs,
    parse_items_query,
    parse_pending,
    queryables_properties,
    refuse_pending,
    refuse_unknown,
)
from ogc.streaming import ClosingStream
from registries import writes
from registries.catalog import Catalog
from registries.counts import MatchedCounts
from registries.filters import Filter
from registries.model import FieldType, GeometryKind, Registry
from registries.queries import Output, item_sql, matched_sql, page_sql, readable_fields

GEOJSON = "application/geo+json"
# the formats of an items page: media type and name, as its links say them
LINK_FORMATS = {"json": (GEOJSON, "GeoJSON"), "csv": ("text/csv", "CSV"),
                "html": ("text/html", "HTML"), "jsonld": ("application/ld+json", "JSON-LD")}
# the formats rendered from the page's document (ogc.html): a page of at most max_rendered
RENDERED_FORMATS = ("html", "jsonld")
BATCH = 500
CHUNK = 64 * 1024  # bytes of CSV sent at a time
ASGIApp = Callable[..., Any]


@dataclass(frozen=True)
class FeatureService:
    """Everything the feature routes need, passed in by the app factory."""

    catalog: Catalog
    pool: ConnectionPool
    storage_srid: int
    base_url: str
    authenticate: Callable[[Request], Principal]
    max_limit: int = 10_000
    default_limit: int = 10
    max_rendered: int = 1000  # features on a page pygeoapi renders (HTML, JSON-LD)
    timeout_s: float = 15.0  # statement timeout of one items request
    counts: MatchedCounts = field(default_factory=MatchedCounts)  # numberMatched per snapshot
    # called once per request that reads personal data (staff): who, collection, request, ids
    audit: Callable[[Principal, str, Request, list[int] | None], None] | None = None
    # an items page written as HTML (template, document, language) and as JSON-LD (document,
    # collection): pygeoapi's renderers over our templates (ogc.html), passed in by the app
    render_page: Callable[[str, dict[str, Any], str], str] | None = None
    render_jsonld: Callable[[dict[str, Any], str, str | None], str] | None = None

    def audit_personal_read(self, who: Principal, collection: str, request: Request,
                            object_ids: list[int] | None = None) -> None:
        """Log a staff read of personal data (no-op for the public or without a hook)."""
        if who.sees_personal_data and self.audit is not None:
            self.audit(who, collection, request, object_ids)

    @property
    def crs_uris(self) -> list[str]:
        return output_crs_uris(self.storage_srid)


def content_crs(crs: int | str) -> str:
    return f"<{CRS84 if crs == 'OGC:CRS84' else crs_uri(int(crs))}>"


def build_filter(reg: Registry, storage_srid: int, q: ItemsQuery) -> Filter:
    """Return the one filter of an items request, whatever its output format (GeoJSON here,
    HTML and JSON-LD through pygeoapi's provider): bbox, datetime, properties, q and CQL2."""
    flt = Filter(reg, storage_srid)
    if q.bbox is not None:
        flt.add_bbox(q.bbox, q.bbox_crs)
    if q.datetime is not None:
        flt.add_datetime(*q.datetime)
    for name, value in q.equals:
        flt.add_equals(name, value)
    if q.text is not None:
        flt.add_text(q.text)
    if q.cql:
        flt.add_cql2(q.cql, q.cql_lang, q.cql_crs)
    return flt


def page_links(svc: FeatureService, request: Request, reg: Registry, q: ItemsQuery,
               returned: int, matched: int, fmt: str = "json") -> list[dict[str, str]]:
    """Return self/alternate/collection links, and next/prev when there are such pages; the
    page's own links (self, next, prev) in its format ``fmt`` (a key of
    :data:`LINK_FORMATS`)."""
    base = f"{svc.base_url}/collections/{reg.id}/items"
    # the limit served (one over the maximum is the maximum); a shared link's tracking not
    # carried on to the next page
    params = {k: str(q.limit) if k == "limit" else v for k, v in request.query_params.items()
              if k not in ("offset", "f") and k not in LINK_TRACKING}
    kind, name = LINK_FORMATS[fmt]

    def href(offset: int | None = None, f: str = fmt) -> str:
        # a page and JSON-LD are written in CRS84 only (rendered_crs84_only)
        p = {k: v for k, v in params.items() if k != "crs" or f in ("json", "csv")}
        if offset:  # the first page is the page without one
            p["offset"] = str(offset)
        p["f"] = f
        return f"{base}?{link_query(p)}"

    links = [{"rel": "self", "type": kind, "title": f"This page as {name}",
              "href": href(q.offset)}]
    # the same page in the other formats; a rendered one (a page, JSON-LD) holds at most
    # max_rendered objects
    links += [{"rel": "alternate", "type": t, "title": f"This page as {title}",
               "href": href(q.offset, f)} for f, (t, title) in LINK_FORMATS.items()
              if f != fmt and (f not in RENDERED_FORMATS or q.limit <= svc.max_rendered)]
    links.append({"rel": "collection", "type": "application/json", "title": reg.title["en"],
                  "href": f"{svc.base_url}/collections/{reg.id}?f=json"})
    if not q.hits and q.offset + returned < matched:
        links.append({"rel": "next", "type": kind, "title": "Next page",
                      "href": href(q.offset + q.limit)})
    if q.offset > 0:
        links.append({"rel": "prev", "type": kind, "title": "Previous page",
                      "href": href(max(0, q.offset - q.limit))})
    return links


def items(svc: FeatureService, request: Request) -> Response:
    """GET /collections/{id}/items as GeoJSON, or (``f=csv``) as CSV from the same rows."""
    reg = svc.catalog.get(request.path_params["collection_id"])
    who = svc.authenticate(request)
    personal = who.sees_personal_data
    params = items_params(request.query_params.multi_items(), reg)
    q = parse_items_query(params, reg, readable_fields(reg, personal), svc.crs_uris,
                          svc.max_limit, svc.default_limit)
    pending = parse_pending(params, personal)
    flt = build_filter(reg, svc.storage_srid, q)
    svc.audit_personal_read(who, reg.id, request)
    out = Output(crs=q.crs, fields=q.fields, skip_geometry=q.skip_geometry)
    if asked_format(request) == "csv":
        return csv_items(svc, request, reg, q, flt, out, personal, pending)
    page = page_sql(reg, flt, out, q.sorts, personal, skips_rows=q.offset > 0,
                    pending=pending)
    bind = {**flt.params, "limit": q.rows, "offset": q.offset}

    def read(conn: psycopg.Connection[Any]
             ) -> tuple[tuple[list[Any], int], psycopg.ServerCursor[Any] | None]:
        if q.rows <= BATCH:  # the whole page in one round trip, no server-side cursor
            with conn.cursor() as small:
                small.adapters.register_loader("text", RawText)
                # never a prepared (maybe generic) plan: a bbox must be planned as the
                # constant it is (a generic plan measured 15 ms against 4; style.md §5)
                rows = small.execute(page, bind, prepare=False).fetchall()
            return (rows, number_matched(svc, conn, reg, flt, personal, q, rows, True,
                                         pending)), None
        cursor = conn.cursor(name="items")
        cursor.adapters.register_loader("text", RawText)
        cursor.execute(page, bind)
        rows = cursor.fetchmany(BATCH)
        whole = len(rows) < BATCH
        counted = number_matched(svc, conn, reg, flt, personal, q, rows, whole, pending)
        if whole:  # the whole page is here: the connection goes back before sending
            cursor.close()
            return (rows, counted), None
        return (rows, counted), cursor

    (first, matched), cursor, close = leased_read(svc, read)
    returned = max(0, min(q.rows, matched - q.offset))

    # the format follows Accept (without f); the body, Accept-Encoding
    headers = {"Content-Crs": content_crs(q.crs), "Vary": "Accept, Accept-Encoding"}
    tail = json.dumps({
        "numberMatched": matched, "numberReturned": returned,
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": page_links(svc, request, reg, q, returned, matched),
    }, ensure_ascii=False)[1:]

    def body() -> Iterator[bytes]:
        yield b'{"type":"FeatureCollection","features":['
        yield b",".join(r[0] for r in first)
        if cursor is not None:
            while rows := cursor.fetchmany(BATCH):
                yield b"," + b",".join(r[0] for r in rows)
        yield ("]," + tail).encode()

    chunks = body()
    # GeoJSON is a tenth of its size gzipped; QGIS (Qt), GDAL, browsers and httpx all take it
    if accepts_gzip(request.headers.get("accept-encoding", "")):
        chunks = gzipped(chunks)
        headers["Content-Encoding"] = "gzip"
    return ClosingStream(chunks, close, media_type=GEOJSON, headers=headers)


def csv_items(svc: FeatureService, request: Request, reg: Registry, q: ItemsQuery,
              flt: Filter, out: Output, personal: bool, pending: bool) -> Response:
    """Return the items page as CSV: the GeoJSON page's rows (the same filter, order and
    page) with their ``id`` and a ``wkt`` column, written by PostgreSQL's COPY (as the
    open-data CSV) in UTF-8 with a BOM, so Excel reads the Cyrillic; the next and previous
    pages in a ``Link`` header."""
    query = sql.SQL("COPY ({}) TO STDOUT (FORMAT csv, HEADER, ENCODING 'UTF8')").format(
        page_sql(reg, flt, out, q.sorts, personal, skips_rows=q.offset > 0, pending=pending,
                 csv=True))
    bind = {**flt.params, "limit": q.rows, "offset": q.offset}

    def read(conn: psycopg.Connection[Any]
             ) -> tuple[tuple[bytes, int], Generator[bytes, None, None] | None]:
        if q.rows <= BATCH:  # a short page: read whole, counted only when it must be
            with conn.cursor().copy(query, bind) as copy:
                lines = [bytes(line) for line in copy]  # COPY hands over one row each
            return (b"".join(lines), number_matched(svc, conn, reg, flt, personal, q,
                                                    lines[1:], True, pending)), None
        # a long one streams (closing it cancels the COPY); the count first, as COPY holds
        # the connection
        counted = svc.counts.count(conn, matched_sql(reg, flt, personal, pending), flt.params)
        rest = copied(conn, query, bind)
        return (next(rest), counted), rest

    (first, matched), rest, close = leased_read(svc, read)
    returned = max(0, min(q.rows, matched - q.offset))
    # the format follows Accept (without f); the body, Accept-Encoding
    headers = {"Content-Crs": content_crs(q.crs), "Vary": "Accept, Accept-Encoding"}
    links = ", ".join(f'<{lk["href"]}>; rel="{lk["rel"]}"; type="{lk["type"]}"'
                      for lk in page_links(svc, request, reg, q, returned, matched, "csv")
                      if lk["rel"] in ("next", "prev"))
    if links:
        headers["Link"] = links
    chunks: Iterator[bytes] = itertools.chain(["\ufeff".encode() + first], rest or ())
    if accepts_gzip(request.headers.get("accept-encoding", "")):
        chunks = gzipped(chunks)
        headers["Content-Encoding"] = "gzip"
    return ClosingStream(chunks, close, media_type="text/csv; charset=utf-8", headers=headers)


def rendered_items(svc: FeatureService, request: Request, fmt: str) -> Response:
    """Return the items page as HTML or JSON-LD (``fmt``): the GeoJSON page's query, filter,
    order and SQL — one pipeline, so every format takes and refuses the same parameters in
    the same words — over the public fields (as pygeoapi's pages showed: staff read personal
    data as GeoJSON), at most ``max_rendered`` objects (a larger ``limit`` is served at it,
    Part 1's ``/req/core/fc-limit-response-1``), in CRS84.

    pygeoapi's own handler parsed the parameters again with checks of its own: ``sortby=id``,
    ``limit=05``, an empty ``bbox`` and a short ``bbox-crs`` (``EPSG:4326``) were 400s as a
    page and answered as GeoJSON, ``resulttype=hits`` meant a count as a page and nothing as
    GeoJSON, and its next link called an HTML page GeoJSON."""
    reg = svc.catalog.get(request.path_params["collection_id"])
    params = items_params(request.query_params.multi_items(), reg)
    q = parse_items_query(params, reg, readable_fields(reg, False), svc.crs_uris,
                          svc.max_limit, svc.default_limit)  # refused in GeoJSON's words
    refuse_pending(params)
    rendered_crs84_only(request, fmt)
    q = dataclasses.replace(q, limit=min(q.limit, svc.max_rendered))
    flt = build_filter(reg, svc.storage_srid, q)
    page = page_sql(reg, flt, Output(fields=q.fields, skip_geometry=q.skip_geometry), q.sorts,
                    False, skips_rows=q.offset > 0)
    with database_errors(), svc.pool.connection() as conn, conn.transaction():
        set_statement_timeout(conn, svc.timeout_s)
        rows = conn.execute(page, {**flt.params, "limit": q.rows, "offset": q.offset},
                            prepare=False).fetchall()
        matched = number_matched(svc, conn, reg, flt, False, q, rows, True)
    features = [json.loads(r[0]) for r in rows]
    doc: dict[str, Any] = {
        "type": "FeatureCollection", "features": features, "numberMatched": matched,
        "numberReturned": len(features),
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": page_links(svc, request, reg, q, len(features), matched, fmt)}
    items_path = f"{svc.base_url}/collections/{reg.id}/items"
    return rendered(svc, reg, fmt, params.get("lang"), doc, "collections/items/index.html",
                    {"items_path": items_path,
                     "dataset_path": items_path.removesuffix("/items")})


def rendered(svc: FeatureService, reg: Registry, fmt: str, lang: str | None,
             doc: dict[str, Any], template: str, page: dict[str, Any],
             identifier: str | None = None) -> Response:
    """Return ``doc`` (an items page, or the object at URL ``identifier``) as JSON-LD or as
    the page ``template`` (with ``page``'s extra values) in ``lang`` (none: Ukrainian, as
    every page), in CRS84."""
    headers = {"Content-Crs": content_crs("OGC:CRS84"), "Vary": "Accept, Accept-Language"}
    if fmt == "jsonld":
        assert svc.render_jsonld is not None, "the app passes the renderers"
        return Response(svc.render_jsonld(doc, reg.id, identifier),
                        media_type="application/ld+json", headers=headers)
    assert svc.render_page is not None, "the app passes the renderers"
    chosen = language(lang)
    return HTMLResponse(svc.render_page(template, {**doc, **page}, chosen),
                        headers={**headers, "Content-Language": chosen})


class Closable(Protocol):
    def close(self) -> None: ...


def leased_read[T, R: Closable](
        svc: FeatureService,
        read: Callable[[psycopg.Connection[Any]], tuple[T, R | None]],
) -> tuple[T, R | None, Callable[[], None]]:
    """Run ``read`` on a pooled connection under the items' statement timeout; return what it
    read first, the rest still to stream (a cursor, a COPY) or None, and the ``close`` that
    ends that rest and gives the connection back (the response calls it when its stream ends).

    The first part is read before the status line goes out, so a database failure is a clean
    503, not a cut-off 200. Without a rest the connection goes back at once, before sending.
    """
    with database_errors():
        conn = svc.pool.getconn()
    try:
        with database_errors():
            set_statement_timeout(conn, svc.timeout_s)
            first, rest = read(conn)
    except BaseException:
        give_back(svc.pool, conn)
        raise
    if rest is None:
        give_back(svc.pool, conn)

    def close() -> None:
        if rest is not None:
            with contextlib.suppress(psycopg.Error):  # a client gone mid-read: rollback ends it
                rest.close()
            give_back(svc.pool, conn)

    return first, rest, close


def copied(conn: psycopg.Connection[Any], query: sql.Composed, bind: dict[str, Any]
           ) -> Generator[bytes, None, None]:
    """Yield the output of the COPY ``query`` in pieces of about ``CHUNK`` bytes (COPY hands
    over one row at a time)."""
    piece = bytearray()
    with conn.cursor().copy(query, bind) as copy:
        for line in copy:
            piece += line
            if len(piece) >= CHUNK:
                yield bytes(piece)
                piece.clear()
    yield bytes(piece)


# the types an items page is answered in, in the server's order of preference, and the
# format (``f``) each is; a single item has no CSV
ITEMS_TYPES = {GEOJSON: "json", "application/json": "json", "text/html": "html",
               "application/ld+json": "jsonld", "text/csv": "csv"}
ITEM_TYPES = {k: v for k, v in ITEMS_TYPES.items() if v != "csv"}


def asked_format(request: Request, types: dict[str, str] = ITEMS_TYPES) -> str:
    """Return the format a request asked: its ``f`` (lower case), else the one of ``types``
    its ``Accept`` prefers (``json`` when it names none of them: GeoJSON is the default).

    ``geojson`` is ``json``: both name the GeoJSON this module writes.
    """
    f = (request.query_params.get("f") or "").lower()
    if f:
        return "json" if f == "geojson" else f
    kind = preferred(request.headers.get("accept"), list(types))
    return types[kind] if kind else "json"


class RawText(Loader):
    """Load a text column as the bytes PostgreSQL sent: features go out as they came in."""

    def load(self, data: Buffer) -> bytes:
        return bytes(data)


def number_matched(svc: FeatureService, conn: psycopg.Connection[Any], reg: Registry,
                   flt: Filter, personal: bool, q: ItemsQuery, first: list[Any],
                   whole: bool, pending: bool = False) -> int:
    """Return numberMatched, exactly, counting only when the page cannot tell it.

    A whole page that ends before its limit has matched ``offset + returned`` rows; a full
    page, or an empty one past the end, needs the count (cached per snapshot, see
    registries.counts).
    """
    if whole and not q.hits and (0 < len(first) < q.limit or (not first and q.offset == 0)):
        return q.offset + len(first)
    return svc.counts.count(conn, matched_sql(reg, flt, personal, pending), flt.params)


def give_back(pool: ConnectionPool, conn: psycopg.Connection[Any]) -> None:
    """Return ``conn`` to ``pool`` with its read transaction ended.

    A pool that has to roll back for us logs a warning for every request.
    """
    if conn.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
        with contextlib.suppress(psycopg.Error):  # a broken connection: the pool replaces it
            conn.rollback()
    pool.putconn(conn)


def read_object(svc: FeatureService, reg: Registry, obj_id: int, out: Output, personal: bool,
                pending: bool) -> tuple[str, int]:
    """Return one object's GeoJSON text and version (``registries.queries.item_sql``), or
    raise the 404 of an object never stored."""
    with database_errors(), svc.pool.connection() as conn, conn.transaction():
        set_statement_timeout(conn, svc.timeout_s)
        row = conn.execute(item_sql(reg, out, svc.storage_srid, personal, pending),
                           {"id": obj_id}).fetchone()
    if row is None:
        raise NotFound(f"{reg.id} has no object {obj_id}", collection=reg.id)
    return str(row[0]), int(row[1])


def item(svc: FeatureService, request: Request) -> Response:
    """GET /collections/{id}/items/{fid} as GeoJSON with its ETag."""
    reg = svc.catalog.get(request.path_params["collection_id"])
    obj_id = parse_id(reg, request.path_params["item_id"])
    who = svc.authenticate(request)
    params = check_resource_params(request.scope["path"], request.query_params.multi_items())
    crs = parse_crs(params.get("crs"), "crs", svc.crs_uris)
    pending = parse_pending(params, who.sees_personal_data)
    row = read_object(svc, reg, obj_id, Output(crs=crs), who.sees_personal_data, pending)
    svc.audit_personal_read(who, reg.id, request, [obj_id])
    feature = json.loads(row[0])
    feature["links"] = item_links(svc.base_url, reg, obj_id, request.query_params.multi_items())
    etag = item_etag(row[0], int(row[1]), who.sees_personal_data)
    # staff's views of one object differ (published or with pending changes): never cached
    # for another reader
    vary = {"Vary": "Accept, Authorization, Cookie" if who.sees_personal_data else "Accept"}
    if not_modified(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers={"ETag": etag, **vary})
    return Response(json.dumps(feature, ensure_ascii=False), media_type=GEOJSON,
                    headers={"ETag": etag, "Content-Crs": content_crs(crs), **vary})


def rendered_item(svc: FeatureService, request: Request, fmt: str) -> Response:
    """Return one object as HTML or JSON-LD (``fmt``): read as its GeoJSON is (the same id
    rule, SQL and 404), from the public view (as the items pages: staff read personal data
    and pending changes as GeoJSON), in CRS84, rendered with our templates."""
    reg = svc.catalog.get(request.path_params["collection_id"])
    obj_id = parse_id(reg, request.path_params["item_id"])
    params = check_resource_params(request.scope["path"], request.query_params.multi_items())
    refuse_pending(params)
    rendered_crs84_only(request, fmt, "GeoJSON (f=json)")
    feature = json.loads(read_object(svc, reg, obj_id, Output(), False, False)[0])
    feature["links"] = item_links(svc.base_url, reg, obj_id, request.query_params.multi_items(),
                                  fmt)
    return rendered(svc, reg, fmt, params.get("lang"), feature, "collections/items/item.html",
                    {}, f"{svc.base_url}/collections/{reg.id}/items/{obj_id}")


def item_links(base_url: str, reg: Registry, obj_id: int,
               query: Iterable[tuple[str, str]], fmt: str = "json") -> list[dict[str, str]]:
    """Return a feature's links: itself in its format ``fmt`` (with its query: ``crs``,
    ``pending``, ``lang``), the same feature in every other format served — Part 1's
    /req/core/f-links asks an ``alternate`` for each; HTML and JSON-LD are written in CRS84
    only, so they are asked without ``crs`` — and its collection.

    >>> from registries.catalog import default_catalog
    >>> streets = default_catalog().get("streets")
    >>> query = [("crs", "EPSG:6383"), ("fbclid", "a")]
    >>> [lk["href"].removeprefix("https://x/collections/streets")
    ...  for lk in item_links("https://x", streets, 7, query)]
    ['/items/7?crs=EPSG:6383&f=json', '/items/7?f=html', '/items/7?f=jsonld', '?f=json']
    >>> [lk["href"].removeprefix("https://x/collections/streets")
    ...  for lk in item_links("https://x", streets, 7, [("lang", "en")], "html")][:2]
    ['/items/7?lang=en&f=html', '/items/7?f=json']
    """
    kept = [(k, v) for k, v in query if k != "f" and k not in LINK_TRACKING]
    here = f"{base_url}/collections/{reg.id}/items/{obj_id}"
    links = [{"rel": "self", "type": LINK_FORMATS[fmt][0],
              "title": f"This object as {LINK_FORMATS[fmt][1]}",
              "href": f"{here}?{link_query([*kept, ('f', fmt)])}"}]
    links += [{"rel": "alternate", "type": kind, "title": f"This object as {name}",
               "href": f"{here}?f={f}"} for f, (kind, name) in LINK_FORMATS.items()
              if f not in (fmt, "csv")]
    links.append({"rel": "collection", "type": "application/json", "title": reg.title["en"],
                  "href": f"{base_url}/collections/{reg.id}?f=json"})
    return links


def item_etag(feature: str, version: int, personal: bool) -> str:
    """Return the ETag of one item as its reader sees it.

    Staff get the row version (``"7"``), which ``If-Match`` on a write checks. The public get
    a hash of what they were sent (``"p-…"``): never the staff copy's tag, so no cache can
    swap one for the other, and it stays the same when only hidden (personal) fields change —
    a version number would tell the public that, and when, a holder's data was edited.

    >>> item_etag('{"id": 1}', 7, True), item_etag('{"id": 1}', 7, False)[:3]
    ('"7"', '"p-')
    """
    if personal:
        return f'"{version}"'
    return '"p-' + hashlib.sha256(feature.encode()).hexdigest()[:24] + '"'


def check_resource_params(path: str, pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Return the query ``pairs`` by name, refusing (400) one given twice with two values (as
    items do: pygeoapi read the last) and a parameter that the OGC API resource at ``path``
    (spelled as :func:`normal_path` spells it) does not take; a path of none of
    :data:`RESOURCE_PARAMS` (items, static files) takes any name here.

    >>> check_resource_params("/collections/land_parcels", [("f", "json"), ("fbclid", "x")])
    {'f': 'json', 'fbclid': 'x'}
    >>> check_resource_params("/conformance", [("ooga", "booga")])
    Traceback (most recent call last):
    ...
    gis.errors.InvalidParameter: unknown parameter 'ooga': this resource takes f and lang
    >>> check_resource_params("/conformance", [("f", "html"), ("f", "json")])
    Traceback (most recent call last):
    ...
    gis.errors.InvalidParameter: f is given 2 times ('html', 'json'): give it once
    >>> check_resource_params("/collections/land_parcels/queryables", [("f", "jsonld")])
    Traceback (most recent call last):
    ...
    gis.errors.InvalidParameter: f='jsonld' is not a format served here; ask f=json or f=html
    """
    params = given_once(pairs)
    for pattern, takes in RESOURCE_PARAMS:
        if pattern.match(path):
            *known, last = sorted({"f", "lang"} | takes)
            refuse_unknown(params, {*known, last},
                           f"this resource takes {', '.join(known)} and {last}")
            break
    asked = params.get("f", "").lower()
    for pattern, formats in RESOURCE_FORMATS:
        if asked and pattern.match(path) and asked not in formats:
            *others, last = [f"f={f}" for f in formats]
            raise InvalidParameter(f"f={params['f'][:40]!r} is not a format served here; ask "
                                   f"{', '.join(others)} or {last}", parameter="f")
    return params


def parse_id(reg: Registry, raw: str) -> int:
    """Return the id of an object's path, or raise the 404 of an object never stored."""
    obj_id = object_id(raw)
    if obj_id is None:
        raise NotFound(f"{reg.id} has no object {raw[:80]!r}", collection=reg.id)
    return obj_id


def if_match(request: Request) -> int | None:
    """Return the version an ``If-Match`` header names (``"7"`` or ``W/"7"``), if any."""
    raw = request.headers.get("if-match")
    if raw is None or raw.strip() == "*":
        return None
    text = raw.strip().removeprefix("W/").strip('"')
    if text.startswith("p-"):
        raise PreconditionFailed("If-Match carries the ETag of the public copy; a write needs "
                                 "the version staff read (GET the item signed in)")
    if "," in raw:  # (a list is HTTP's; an edit is of the one version it read)
        raise PreconditionFailed(f"If-Match {shown(raw)} names several ETags; send the one "
                                 "the object was read with")
    version = object_id(text)
    if version is None:  # (int() also read "٣", "1_0" and " 7")
        raise PreconditionFailed(f"If-Match {shown(raw)} is not an ETag of this server")
    return version


# what a write's body may be labelled: GeoJSON, JSON, a JSON merge patch (RFC 7396) or any
# other ``+json`` type; a body without a Content-Type is read as JSON
JSON_BODY = re.compile(r"^application/([a-z0-9.+-]+\+)?json$")
GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                  "MultiPolygon", "GeometryCollection")


async def read_body(request: Request) -> dict[str, Any]:
    """Return the JSON object of a write's body (read only after its author may write)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media and not JSON_BODY.match(media):
        raise UnsupportedMediaType(f"request body is {media[:80]}: a write takes GeoJSON "
                                   "(application/geo+json or application/json)")
    body = parse_json(await request.body(), "request body")
    if not isinstance(body, dict):
        raise InvalidParameter("request body must be a JSON object")
    return body


async def read_feature(request: Request) -> dict[str, Any]:
    """Return the GeoJSON Feature of a write's body: a ``type`` other than Feature (a
    FeatureCollection of several objects, a bare geometry) is refused, saying what it is."""
    body = await read_body(request)
    if "type" not in body and {"op", "args"} <= body.keys():  # what pygeoapi's POST takes
        raise InvalidParameter("request body is a CQL2 expression, not a Feature: a POST to "
                               "items adds an object; to filter, GET the items with "
                               "filter=<the expression>&filter-lang=cql2-json")
    kind = body.get("type", "Feature")
    if kind != "Feature":
        shown = kind[:40] if isinstance(kind, str) else json.dumps(kind)[:40]
        hint = ("; write one object per request, or import a file (gis ingest, /ingest)"
                if kind == "FeatureCollection" else
                "; put a geometry in a Feature's geometry member" if kind in GEOMETRY_TYPES
                else "")
        raise InvalidParameter(f"request body is a GeoJSON {shown!r}: a write takes one "
                               f"Feature{hint}")
    return body


def check_same_object(feature: dict[str, Any], obj_id: int) -> None:
    """Refuse (400) a PUT or PATCH whose Feature names another object than its path: an id
    a client echoes must be the path's (a careless client writing "id": 5 to item 3 changed
    3 silently, believing it changed 5).

    >>> check_same_object({"id": "7", "properties": {"id": 7}}, 7)
    >>> check_same_object({"id": 5}, 3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gis.errors.InvalidParameter: the Feature's id 5 is not the object of the path (3): ...
    """
    props = feature.get("properties")
    for where, given in (("id", feature.get("id")),
                         ("properties.id", props.get("id") if isinstance(props, dict) else None)):
        if given is not None and str(given) != str(obj_id):
            shown = json.dumps(given, ensure_ascii=False)[:40]
            raise InvalidParameter(f"the Feature's {where} {shown} is not the object of the path "
                                   f"({obj_id}): write each object at its own path",
                                   parameter=where)


ITEMS = re.compile(r"^/collections/(?P<collection_id>[^/]+)/items$")
FEATURE_SCHEMA = re.compile(r"^/collections/(?P<collection_id>[^/]+)/feature-schema$")
ITEM = re.compile(r"^/collections/(?P<collection_id>[^/]+)/items/(?P<item_id>[^/]+)$")
# what pygeoapi serves for us; its other routes (processes, jobs, STAC, EDR, coverages, maps,
# admin) are not configured here and answer 404 without reaching it
PYGEOAPI_PATHS = re.compile(r"^/(openapi|conformance|collections(/[^/]+(/(items(/[^/]+)?|"
                            r"queryables|schema))?)?|static/.+)?$")
COLLECTION_PATH = re.compile(r"^/collections/(?P<collection_id>[^/]+)")
QUERYABLES = re.compile(r"^/collections/(?P<collection_id>[^/]+)/queryables$")
READ_METHODS = frozenset({"GET", "HEAD"})
# the parameters each resource takes beside ``f`` and ``lang`` (an items page: its own and
# its queryables, ogc.params.parse_items_query); any other is a 400, Part 1's
# /req/core/query-param-unknown
RESOURCE_PARAMS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (ITEM, frozenset({"crs", "pending"})),
    (re.compile(r"^/collections/[^/]+/queryables$"), frozenset({"profile", "properties"})),
    (re.compile(r"^/openapi$"), frozenset({"ui"})),
    (re.compile(r"^/(conformance|collections(/[^/]+(/schema)?)?)?$"), frozenset()),
)
# the formats (``f``) of the resources pygeoapi writes: a schema, the queryables and the API
# definition are JSON or a page; the rest JSON-LD too. pygeoapi took any format it knows
# (f=mvt answered JSON labelled a vector tile) and served JSON for one a resource lacks
RESOURCE_FORMATS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"^/(openapi|collections/[^/]+/(queryables|schema))$"), ("json", "html")),
    (re.compile(r"^/(conformance|collections(/[^/]+(/items/[^/]+)?)?)?$"),
     ("json", "html", "jsonld")),
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def rendered_crs84_only(request: Request, fmt: str, served: str = "GeoJSON and CSV (f=json, "
                        "f=csv)") -> None:
    """Refuse (400) a ``crs`` other than CRS84 for a rendered format (a page, JSON-LD): they
    are written in CRS84 (pygeoapi wrote them so whatever was asked, and said ``Content-Crs``
    of the CRS asked); the message names the formats ``served`` in other CRSs."""
    raw = request.query_params.get("crs")
    if not raw:
        return
    try:
        crs = srid_from_uri(raw)
    except ValueError:
        crs = None
    if crs != "OGC:CRS84":
        raise InvalidParameter(f"crs {raw[:80]!r}: f={fmt} is written in CRS84 (WGS 84 "
                               f"longitude, latitude) only; other CRSs are served as {served}",
                               parameter="crs")


def with_query(scope: Scope, name: str, value: str) -> Scope:
    """Return ``scope`` with the query parameter ``name`` (given once) set to ``value``.

    >>> with_query({"query_string": b"f=json&properties=a%2C+b"}, "properties", "a,b")
    {'query_string': b'f=json&properties=a%2Cb'}
    """
    pairs = [(k, value if k == name else v) for k, v in
             parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)]
    return {**scope, "query_string": urlencode(pairs).encode("latin-1")}


def normal_path(path: str) -> str:
    """Return ``path`` as the routes spell it: no empty or dot segments, no trailing slash.

    Every spelling of one resource must meet the same handler (and its authorisation).

    >>> normal_path("//collections/land_parcels//items/./x/../100/")
    '/collections/land_parcels/items/100'
    """
    parts: list[str] = []
    for p in path.split("/"):
        if p == "..":
            if parts:
                parts.pop()
        elif p and p != ".":
            parts.append(p)
    return "/" + "/".join(parts)


def respelled(scope: Scope, path: str) -> Response:
    """Return the permanent redirect (308) of a request to the same resource spelled ``path``,
    under the app's root path, with its query."""
    query = scope.get("query_string", b"").decode("latin-1")
    location = quote(scope.get("root_path", "") + path, safe="/:@!$&'()*+,;=-._~")
    return Response(status_code=308, headers={
        "Location": location + (f"?{query}" if query else "")})


class FeatureRouter:
    """ASGI router: GeoJSON reads and Part 4 writes of items here, everything else to pygeoapi.

    Writes exist only here: a request with any other method than GET, HEAD or OPTIONS that is
    not an items write (whatever the path's spelling: trailing or doubled slashes, an encoded
    slash, another case) is answered 405 and never reaches pygeoapi, whose own edit handlers
    would call a provider's write code without our authorisation.
    """

    def __init__(self, svc: FeatureService, ogc_app: ASGIApp) -> None:
        self.svc = svc
        self.ogc_app = ogc_app
        self.public = frozenset(reg.id for reg in svc.catalog if reg.public)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = normal_path(scope["path"])
            method = scope["method"]
            if m := FEATURE_SCHEMA.match(path):  # ours in every format asked: one JSON Schema
                scope = {**scope, "path": path, "path_params": m.groupdict()}
                response = await self.feature_schema(Request(scope, receive))
                await response(scope, receive, send)
                return
            for pattern, handler in ((ITEMS, self.items), (ITEM, self.item)):
                m = pattern.match(path)
                if m:
                    scope = {**scope, "path": path, "path_params": m.groupdict()}
                    response = await handler(Request(scope, receive))
                    await response(scope, receive, send)
                    return
            if method not in SAFE_METHODS:
                raise not_allowed("GET, HEAD, OPTIONS")
            if not PYGEOAPI_PATHS.match(path):
                if path != scope["path"] and method in READ_METHODS:
                    # another spelling (/tiles/, //maps) of a path the app's own routes may
                    # serve: they match one spelling, sent there (a 404 claimed "nothing is
                    # served at /tiles")
                    await respelled(scope, path)(scope, receive, send)
                    return
                raise NotFound(f"nothing is served at {scope['path']}")
            if (m := COLLECTION_PATH.match(path)) and m["collection_id"] not in self.public:
                # pygeoapi knows the public registries only (a raster's are answered before)
                raise NotFound(f"no collection {m['collection_id']!r}",
                               collection=m["collection_id"])
            if method == "OPTIONS":  # pygeoapi's routes know GET only: a bare 405 there
                await allowed("GET, HEAD, OPTIONS")(scope, receive, send)
                return
            if method in READ_METHODS:
                params = check_resource_params(path, Request(scope).query_params.multi_items())
                if (m := QUERYABLES.match(path)) and "properties" in params:
                    scope = with_query(scope, "properties", queryables_properties(
                        params["properties"], self.svc.catalog.get(m["collection_id"])))
            # pygeoapi routes the path as given: a trailing slash made the collection's id
            # "land_parcels/" there (404); it gets the spelling our routes matched
            scope = {**scope, "path": path}
        await self.ogc_app(scope, receive, send)

    async def items(self, request: Request) -> Response:
        if request.method == "POST":
            return await self.create(request)
        if request.method == "OPTIONS":
            return allowed("GET, HEAD, POST, OPTIONS")
        if request.method not in READ_METHODS:
            raise not_allowed("GET, HEAD, POST, OPTIONS")
        fmt = asked_format(request)
        if fmt not in LINK_FORMATS:
            raise InvalidParameter(f"f={fmt[:40]!r} is not a format of items; ask f=json, "
                                   "f=html, f=jsonld or f=csv", parameter="f")
        if fmt in RENDERED_FORMATS:
            return await run_in_threadpool(rendered_items, self.svc, request, fmt)
        return await run_in_threadpool(items, self.svc, request)

    async def feature_schema(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return allowed("GET, HEAD, OPTIONS")
        if request.method not in READ_METHODS:
            raise not_allowed("GET, HEAD, OPTIONS")
        reg = self.svc.catalog.get(request.path_params["collection_id"])
        if not reg.public:  # a registry kept from the public is no collection of theirs
            raise NotFound(f"no collection {reg.id}", collection=reg.id)
        return JSONResponse(feature_schema(reg, self.svc.base_url),
                            media_type="application/schema+json",
                            headers={"Cache-Control": "public, max-age=3600"})

    async def item(self, request: Request) -> Response:
        if request.method in ("PUT", "PATCH", "DELETE"):
            return await self.write(request)
        if request.method == "OPTIONS":
            return allowed("GET, HEAD, PUT, PATCH, DELETE, OPTIONS")
        if request.method not in READ_METHODS:
            raise not_allowed("GET, HEAD, PUT, PATCH, DELETE, OPTIONS")
        fmt = asked_format(request, ITEM_TYPES)
        if fmt in RENDERED_FORMATS:
            return await run_in_threadpool(rendered_item, self.svc, request, fmt)
        return await run_in_threadpool(item, self.svc, request)

    async def author(self, request: Request) -> tuple[Registry, Principal]:
        """Return the registry and the principal of a write, refused (401/403) before its
        body is read: a stranger's body is never parsed."""
        reg = self.svc.catalog.get(request.path_params["collection_id"])
        who = await run_in_threadpool(self.svc.authenticate, request)  # may ask the database
        writes.check_can_edit(reg, who)
        return reg, who

    async def create(self, request: Request) -> Response:
        svc = self.svc
        reg, who = await self.author(request)
        feature = await read_feature(request)
        crs = request_crs(svc, request)

        def work() -> tuple[int, int]:
            with database_errors(), svc.pool.connection() as conn, conn.transaction():
                return writes.create(conn, reg, feature, who, crs=crs,
                                     storage_srid=svc.storage_srid)

        obj_id, version = await run_in_threadpool(work)
        location = f"{svc.base_url}/collections/{reg.id}/items/{obj_id}"
        return JSONResponse({"id": obj_id, "version": version}, status_code=201,
                            headers={"Location": location, "ETag": f'"{version}"'})

    async def write(self, request: Request) -> Response:
        svc = self.svc
        reg, who = await self.author(request)
        obj_id = parse_id(reg, request.path_params["item_id"])
        expected = if_match(request)
        if request.method == "DELETE":
            def drop() -> None:
                with database_errors(), svc.pool.connection() as conn, conn.transaction():
                    writes.delete(conn, reg, obj_id, who, if_match=expected)
            await run_in_threadpool(drop)
            return Response(status_code=204)
        feature = await read_feature(request)
        check_same_object(feature, obj_id)
        crs = request_crs(svc, request)
        action = writes.replace if request.method == "PUT" else writes.update

        def change() -> int:
            with database_errors(), svc.pool.connection() as conn, conn.transaction():
                return action(conn, reg, obj_id, feature, who, if_match=expected, crs=crs,
                              storage_srid=svc.storage_srid)

        version = await run_in_threadpool(change)
        return Response(status_code=204, headers={"ETag": f'"{version}"'})


# the JSON Schema type (and format) of each field type in pygeoapi's documents (queryables,
# schema, and the OpenAPI 3.0 parameters made from them, where a type is one name)
JSON_TYPES = {FieldType.TEXT: ("string", None), FieldType.INTEGER: ("integer", None),
              FieldType.NUMBER: ("number", None), FieldType.DATE: ("string", "date"),
              FieldType.BOOLEAN: ("boolean", None), FieldType.JSON: ("string", None),
              FieldType.REFERENCE: ("integer", None)}


def feature_schema(reg: Registry, base_url: str) -> dict[str, Any]:
    """Return the JSON Schema of one GeoJSON feature of ``reg`` as the public reads it: the
    collection's ``describedBy`` link.

    GDAL's OAPIF driver (ogr2ogr, ogrinfo; QGIS's GDAL layers) types the fields from this;
    without it, it types them from the first page, where a field whose first ten values are
    all empty (a parcel's stated area error, a permit's annulment date) became text. Every
    property may be null (an unknown value); the types are those of the values given.

    >>> from registries.catalog import default_catalog
    >>> doc = feature_schema(default_catalog().get("land_parcels"), "https://gis.example")
    >>> doc["properties"]["properties"]["properties"]["area_error_ha"]["type"]
    'number'
    >>> doc["properties"]["properties"]["properties"]["registered_on"]["format"]
    'date'
    """
    fields: dict[str, Any] = {}
    for f in readable_fields(reg, False):
        kind, fmt = JSON_TYPES[f.type]
        fields[f.name] = {"title": f.title.get("en", f.name)}
        if f.type is FieldType.JSON:  # any JSON value (former street names: a list)
            fields[f.name]["description"] = "any JSON value"
        else:
            fields[f.name].update(type=kind, **({"format": fmt} if fmt else {}))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base_url}/collections/{reg.id}/feature-schema",
        "title": f"{reg.title.get('en', reg.id)}: one GeoJSON feature",
        "description": "A property without a value is null.",
        "type": "object",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "integer"},
            "geometry": {"type": "object", "description": f"GeoJSON {reg.geometry.value}"},
            "properties": {"type": "object", "properties": fields},
        },
    }


# OGC API – Features Part 5 (Schemas) names a geometry's type by its format
GEOMETRY_FORMATS = {GeometryKind.POINT: "geometry-point",
                    GeometryKind.LINESTRING: "geometry-linestring",
                    GeometryKind.POLYGON: "geometry-polygon",
                    GeometryKind.MULTILINESTRING: "geometry-multilinestring",
                    GeometryKind.MULTIPOLYGON: "geometry-multipolygon"}


def describe_fields(reg: Registry, doc: dict[str, Any]) -> dict[str, Any]:
    """Return pygeoapi's schema or queryables document of ``reg`` completed from its
    declarations, in the document's own language (its title's: Ukrainian unless English was
    asked): the geometry's type, each property's title and description, a code list's codes
    as ``enum``. pygeoapi titles queryables by their column names, schemas in English under a
    Ukrainian title, and calls every geometry ``geometry-any``.

    >>> from registries.catalog import default_catalog
    >>> reg = default_catalog().get("land_parcels")
    >>> doc = {"title": reg.title["uk"], "properties": {
    ...     "geometry": {"format": "geometry-any"}, "category": {"title": "category"}}}
    >>> done = describe_fields(reg, doc)["properties"]
    >>> done["geometry"]["format"], done["category"]["title"], done["category"]["enum"][:2]
    ('geometry-multipolygon', 'Категорія земель', ['100', '200'])
    """
    english = doc.get("title") == reg.title.get("en") != reg.title.get("uk")
    lang = "en" if english else "uk"
    props = doc.get("properties")
    if not isinstance(props, dict):
        return doc
    if isinstance(props.get("geometry"), dict):
        props["geometry"]["format"] = GEOMETRY_FORMATS[reg.geometry]
    for f in reg.public_fields:
        entry = props.get(f.name)
        if not isinstance(entry, dict):
            continue
        entry["title"] = f.title.get(lang) or f.name
        if f.description.get(lang):
            entry["description"] = f.description[lang]
        if f.choices:
            entry["enum"] = list(f.choices)
    return doc


def feature_schema_links(base_url: str, catalog: Catalog, path: str) -> list[dict[str, Any]]:
    """Return the ``describedBy`` link of the collection document at ``path`` (none elsewhere).

    The relation is the IANA ``describedby``, spelt ``describedBy`` (relation types compare
    case-insensitively, RFC 8288): GDAL 3.6 (Debian 12's) matches only that spelling, 3.12
    both.
    """
    cid = path.removeprefix("/collections/")
    if not path.startswith("/collections/") or cid not in {r.id for r in catalog if r.public}:
        return []
    return [{"rel": "describedBy", "type": "application/schema+json",
             "title": "JSON Schema of a feature (GeoJSON)",
             "href": f"{base_url}/collections/{cid}/feature-schema"}]


def request_crs(svc: FeatureService, request: Request) -> int | str:
    """Return the CRS of a written feature, from its ``Content-Crs`` header (default CRS84)."""
    raw = request.headers.get("content-crs", "").strip().strip("<>")
    return parse_crs(raw or None, "Content-Crs", svc.crs_uris)


def not_allowed(allow: str) -> MethodNotAllowed:
    return MethodNotAllowed(f"this resource answers {allow} only", allow=allow)


def allowed(allow: str) -> Response:
    return Response(status_code=204, headers={"Allow": allow})
