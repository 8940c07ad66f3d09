"""HTTP faces of the error tree: ``application/problem+json`` responses."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gis.db import database_errors
from gis.errors import GisError, problem

log = logging.getLogger("hromada.http")


class ProblemResponse(JSONResponse):
    media_type = "application/problem+json"


async def gis_error_handler(request: Request, exc: Exception) -> Response:
    """Return the problem document of a GisError with its own status."""
    assert isinstance(exc, GisError)
    headers = None
    if exc.status in (429, 503):
        headers = {"Retry-After": str(exc.where.get("retry_after", 1))}
    elif exc.status == 405:
        headers = {"Allow": str(exc.where.get("allow", "GET, HEAD, OPTIONS"))}
    return ProblemResponse(problem(exc, request.url.path), status_code=exc.status, headers=headers)


async def database_error_handler(request: Request, exc: Exception) -> Response:
    """Answer 503 + Retry-After for a lost database or a full pool (never a 500)."""
    try:
        with database_errors():
            raise exc
    except GisError as mapped:
        return await gis_error_handler(request, mapped)


CLIENT_CLOSED = 499  # nginx's "client closed request": the access log's word for it


async def client_gone_handler(request: Request, exc: Exception) -> Response:
    """A client that left mid-request (an upload cut off) is no server error: no traceback,
    no 500 in the access log and the metrics; nobody reads this answer."""
    return Response(status_code=CLIENT_CLOSED)


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    """Log the traceback; answer 500 with no internals in the body."""
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    body = {"type": "about:blank", "title": "Internal Server Error", "status": 500,
            "code": "ServerError", "detail": "internal error; it has been logged",
            "description": "internal error; it has been logged", "instance": request.url.path}
    return ProblemResponse(body, status_code=500)
