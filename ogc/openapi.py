"""What the OpenAPI document says of the collections beyond what pygeoapi writes.

pygeoapi describes each collection's items and items/{id} from its configuration: it lists
neither ``datetime`` (unless a provider names a time field) nor the filter, and it describes
POST on the items as a CQL2 search, which this server never did. :func:`describe_items`
completes every collection's operations as the server answers them (Part 1's ``datetime``,
Part 3's filter, Part 4's writes); :func:`param` is the one way our documents write a
parameter (``app.openapi_paths`` too).
"""

from __future__ import annotations

import re
from typing import Any


def param(name: str, where: str, description: str, schema: dict[str, Any],
          required: bool = False) -> dict[str, Any]:
    """Return an OpenAPI parameter (a path parameter is required; a query one is a form)."""
    out = {"name": name, "in": where, "description": description,
           "required": required or where == "path", "schema": schema}
    return {**out, "style": "form", "explode": False} if where == "query" else out


# what every collection's items take beside what pygeoapi describes: Part 1's datetime
# (/req/core/fc-time-definition; pygeoapi lists it only for a provider's time_field), Part 3's
# filter, and q
ITEMS_PARAMETERS = [
    param("datetime", "query", "an instant or an interval (2026-01-01, 2026-01-01/.., "
          "../2026-12-31): objects whose date or validity period intersects it, and those "
          "with no date", {"type": "string"}),
    param("filter", "query", "a CQL2 filter (cql2-text or cql2-json) over the queryables",
          {"type": "string"}),
    param("filter-lang", "query", "the filter's language",
          {"type": "string", "enum": ["cql2-text", "cql2-json"], "default": "cql2-text"}),
    param("filter-crs", "query", "the CRS of the filter's geometries (default CRS84)",
          {"type": "string", "format": "uri"}),
    param("q", "query", "comma-separated search terms: objects whose text contains any of "
          "them", {"type": "string"}),
]


def _problems(*codes: str) -> dict[str, Any]:
    problem = {"content": {"application/problem+json": {"schema": {"type": "object"}}}}
    return {code: {"description": WRITE_PROBLEMS[code], **problem} for code in codes}


WRITE_PROBLEMS = {
    "400": "the body or a parameter is wrong (what and where is said)",
    "401": "not signed in: writes are for staff (a session or a bearer token)",
    "403": "signed in, without a role that may edit this collection",
    "404": "no such object",
    "412": "If-Match names another version: someone changed the object meanwhile",
    "413": "the body is larger than the server takes",
    "415": "the body is not GeoJSON (application/geo+json or application/json; merge "
           "patches application/merge-patch+json)",
    "422": "the object breaks a rule of the registry (the rule and the field are named)",
}
FEATURE_BODY = {"description": "one GeoJSON Feature; its fields: /collections/{collectionId}/"
                               "schema", "required": True,
                "content": {m: {"schema": {"type": "object"}}
                            for m in ("application/geo+json", "application/json")}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
            "description": "the version read (its ETag): the write is refused (412) if the "
                           "object changed since"}
ETAG = {"ETag": {"description": "the object's new version", "schema": {"type": "string"}}}


def _writes(collection: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return what OGC API – Features Part 4 does here: POST on the items, PUT, PATCH and
    DELETE on one item (pygeoapi described POST as a CQL2 search, and no PATCH)."""
    tags = [collection]
    one = param("featureId", "path", "the object's id", {"type": "string"})
    name = collection.title().replace("_", "")
    post = {"tags": tags, "summary": f"Add an object to {collection}",
            "operationId": f"add{name}Feature",
            "description": "Part 4 create; staff only. A planner's object waits for "
                           "verification before the public sees it.",
            "requestBody": FEATURE_BODY,
            "responses": {"201": {"description": "created", "headers": {
                "Location": {"description": "the new object", "schema": {"type": "string"}},
                **ETAG}}, **_problems("400", "401", "403", "413", "415", "422")}}
    done = {"204": {"description": "written", "headers": ETAG}}
    item = {
        "put": {"tags": tags, "summary": f"Replace an object of {collection}",
                "operationId": f"replace{name}Feature",
                "parameters": [one, IF_MATCH], "requestBody": FEATURE_BODY,
                "responses": {**done, **_problems("400", "401", "403", "404", "412", "413",
                                                  "415", "422")}},
        "patch": {"tags": tags, "summary": f"Change fields of an object of {collection}",
                  "operationId": f"update{name}Feature",
                  "parameters": [one, IF_MATCH],
                  "requestBody": {"description": "a JSON merge patch (RFC 7396) of the Feature",
                                  "required": True, "content": {
                                      m: {"schema": {"type": "object"}} for m in (
                                          "application/merge-patch+json", "application/json",
                                          "application/geo+json")}},
                  "responses": {**done, **_problems("400", "401", "403", "404", "412", "413",
                                                    "415", "422")}},
        "delete": {"tags": tags, "summary": f"Remove an object of {collection}",
                   "operationId": f"delete{name}Feature",
                   "parameters": [one, IF_MATCH],
                   "responses": {"204": {"description": "removed"},
                                 **_problems("401", "403", "404", "412")}},
    }
    return post, item


def describe_items(document: dict[str, Any]) -> None:
    """Complete pygeoapi's OpenAPI document for every collection: :data:`ITEMS_PARAMETERS`
    on its items GET (the official suite looks for ``datetime`` there), and the writes this
    server does (Part 4) in place of what pygeoapi says of them.

    pygeoapi's "free-form parameters that are not explicitly defined" are left out: the
    items refuse a parameter they do not define (Part 1's /req/core/query-param-unknown,
    ``ogc.params.refuse_unknown``), and a client built from the document sent them.
    """
    paths = document.get("paths", {})
    for path, item in paths.items():
        m = ITEMS_PATH.fullmatch(path)
        get = item.get("get")
        if get is None or m is None:
            continue
        get["parameters"] = [p for p in get.get("parameters", []) if not str(
            p.get("$ref", "")).endswith("/vendorSpecificParameters")]
        named = {p.get("name") for p in get["parameters"]}
        get["parameters"] += [p for p in ITEMS_PARAMETERS if p["name"] not in named]
        collection = m.group(1)
        post, writes = _writes(collection)
        if "post" in item:
            item["post"] = post
        one = paths.get(f"{path}/{{featureId}}")
        if one is not None and ("put" in one or "delete" in one):
            one.update(writes)


ITEMS_PATH = re.compile(r"/collections/([^/]+)/items")
