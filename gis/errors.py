"""One error tree: every error a user can cause, with its HTTP status, OGC code and exit code.

``app/problems.py`` renders these as ``application/problem+json``; ``app/cli.py`` prints
``error: <detail>`` and exits with ``exit_code``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, ClassVar


class GisError(Exception):
    """Base of every error a user or the environment can cause; carries where it happened."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "ServerError"
    exit_code: ClassVar[int] = 1

    def __init_subclass__(
        cls, *, status: int | None = None, code: str | None = None, exit_code: int | None = None
    ) -> None:
        super().__init_subclass__()
        if status is not None:
            cls.status = status
        if code is not None:
            cls.code = code
        if exit_code is not None:
            cls.exit_code = exit_code

    def __init__(self, detail: str, **where: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.where = where


class NotFound(GisError, status=404, code="NotFound"): ...


class InvalidParameter(GisError, status=400, code="InvalidParameterValue", exit_code=2): ...


class RuleViolation(GisError, status=422, code="RuleViolation"): ...


class Conflict(GisError, status=409, code="Conflict"): ...


class MethodNotAllowed(GisError, status=405, code="MethodNotAllowed"):
    """A method the resource does not answer; ``allow`` lists those it does (the Allow
    header of the answer)."""


class PreconditionFailed(GisError, status=412, code="PreconditionFailed"): ...


class Unauthorized(GisError, status=401, code="Unauthorized"): ...


class Forbidden(GisError, status=403, code="Forbidden"): ...


class EnvironmentProblem(GisError, status=503, code="ServiceUnavailable", exit_code=3):
    """The machine or its configuration is not fit to run: missing binaries, busy port …"""


class DatabaseUnavailable(GisError, status=503, code="ServiceUnavailable", exit_code=3): ...


class ServerBusy(GisError, status=503, code="ServerBusy", exit_code=3):
    """The database answers, but the line for it is longer than can be served in reasonable
    time (``GIS_POOL__QUEUE_S``); ``retry_after`` is the expected wait."""


class QueryTimeout(GisError, status=503, code="QueryTimeout"):
    """A request ran past its statement timeout and was stopped; its connection is free again."""


def problem(exc: GisError, instance: str) -> dict[str, Any]:
    """Return RFC 9457 problem details that also satisfy the OGC exception schema.

    >>> problem(NotFound("no collection 'roads'", collection="roads"), "/collections/roads")["code"]
    'NotFound'
    """
    where = {k: v for k, v in exc.where.items() if isinstance(v, str | int | float | bool)}
    return {
        "type": "about:blank",
        "title": HTTPStatus(exc.status).phrase,
        "status": exc.status,
        "detail": exc.detail,
        "instance": instance,
        "code": exc.code,
        "description": exc.detail,
        **where,
    }


class PayloadTooLarge(GisError, status=413, code="PayloadTooLarge"): ...


class UnsupportedMediaType(GisError, status=415, code="UnsupportedMediaType"): ...


class TooManyRequests(GisError, status=429, code="TooManyRequests"):
    """A client went over its request rate; ``retry_after`` seconds until it may go on."""


class InvalidFile(GisError, status=422, code="InvalidFile", exit_code=2):
    """An input file that cannot be read as what it claims to be: broken zip, a Shapefile
    without its index, no CRS, an XML off its schema … ``where`` names file, row, field."""
