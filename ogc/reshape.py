"""Split and merge over HTTP: ``POST /collections/{id}/items/{fid}/split`` and ``…/merge``.

The same rules as Part 4 writes (``ogc.features``): a signed-in user with the registry's
editing role (bearer token, or the editor's session with its CSRF header), ``If-Match`` with
the object's ETag (a stale one gets 412), ``Content-Crs`` for the line (default CRS84); the
work itself is ``registries.reshape``, one transaction through the database's rules.

Split: ``{"line": <GeoJSON LineString>, "parts": [{"properties": {"cadastral_number": …}},
…], "preview": false}`` — the parts largest first; ``"preview": true`` returns the parts the
line would make (with their areas) and writes nothing. Merge: ``{"with": [{"id": 2,
"version": 5}, …], "properties": {"cadastral_number": …}}``.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gis.db import database_errors
from gis.errors import InvalidParameter
from ogc.features import GEOJSON, FeatureService, if_match, parse_id, read_body, request_crs
from registries import reshape


def reshape_routes(svc: FeatureService) -> list[Route]:
    """Return the split and merge routes."""

    async def split(request: Request) -> Response:
        reg = svc.catalog.get(request.path_params["collection_id"])
        obj_id = parse_id(reg, request.path_params["item_id"])
        who = await run_in_threadpool(svc.authenticate, request)
        body = await read_body(request)
        preview = body.get("preview", False)
        if not isinstance(preview, bool):
            raise InvalidParameter("preview must be true or false")
        expected, crs = if_match(request), request_crs(svc, request)

        def work() -> list[dict[str, Any]]:
            with database_errors(), svc.pool.connection() as conn:
                return reshape.split(conn, reg, obj_id, body.get("line"), body.get("parts"),
                                     who, if_match=expected, crs=crs,
                                     storage_srid=svc.storage_srid, preview=preview)

        features = await run_in_threadpool(work)
        return Response(reshape.to_json(features), status_code=200 if preview else 201,
                        media_type=GEOJSON)

    async def merge(request: Request) -> Response:
        reg = svc.catalog.get(request.path_params["collection_id"])
        obj_id = parse_id(reg, request.path_params["item_id"])
        who = await run_in_threadpool(svc.authenticate, request)
        body = await read_body(request)
        others = body.get("with")
        items = [{"id": obj_id, "version": if_match(request)},
                 *(others if isinstance(others, list) else [others])]

        def work() -> dict[str, Any]:
            with database_errors(), svc.pool.connection() as conn:
                return reshape.merge(conn, reg, items, body.get("properties"), who,
                                     storage_srid=svc.storage_srid)

        feature = await run_in_threadpool(work)
        location = f"{svc.base_url}/collections/{reg.id}/items/{feature['id']}"
        return Response(json.dumps(feature, ensure_ascii=False), status_code=201,
                        media_type=GEOJSON, headers={"Location": location,
                                                     "ETag": f'"{feature["version"]}"'})

    return [Route("/collections/{collection_id}/items/{item_id}/split", split,
                  methods=["POST"]),
            Route("/collections/{collection_id}/items/{item_id}/merge", merge,
                  methods=["POST"])]
