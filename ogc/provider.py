"""pygeoapi feature provider over the registries (one object's page and JSON-LD, the schema
and queryables pygeoapi writes).

Every items page, in every format (GeoJSON, CSV, HTML, JSON-LD), is read by ``ogc.features``:
one query parser, one filter, one SQL. pygeoapi's items handler is never reached, and
:meth:`RegistryProvider.query` refuses. One object's page and JSON-LD are pygeoapi's,
read here with the same SQL (``registries.queries.item_sql``) on the public view; the
request's own parameters reach :meth:`RegistryProvider.get` through
:func:`serve_requests_to_providers` (a staff member's ``pending`` is refused there, as on the
items pages). pygeoapi's own CQL2 parser (pygeofilter) is switched off.

pygeoapi's edit handlers never reach this provider: ``ogc.features.FeatureRouter`` answers
every write itself; the write methods below refuse anyway, and say so in the log.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool
from pygeoapi.provider.base import (
    BaseProvider,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
    ProviderQueryError,
)

from gis.crs import srid_from_uri
from gis.db import database_errors, set_statement_timeout
from gis.errors import GisError
from gis.params import object_id
from ogc.features import JSON_TYPES
from ogc.params import refuse_pending
from registries.catalog import default_catalog
from registries.queries import Output, item_sql

log = logging.getLogger("hromada.ogc")


@dataclass(frozen=True)
class Shared:
    """What the app gives every provider (pygeoapi makes a provider per request)."""

    pool: ConnectionPool | None = None
    timeout_s: float = 15.0  # statement timeout of one items request (GIS_TIMEOUTS__ITEMS_S)


_shared = Shared()
_request = threading.local()  # the query parameters of the request this thread serves


def share_pool(pool: ConnectionPool | None, timeout_s: float = 15.0) -> None:
    """Let providers use the app's pool and its items timeout."""
    global _shared
    _shared = Shared(pool, timeout_s)


def with_request(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Return pygeoapi API ``handler`` (``handler(api, request, …)``) that lets the provider
    it calls, in the same thread, read the request's query parameters."""
    @functools.wraps(handler)
    def wrapped(api: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        _request.params = dict(request.params) if hasattr(request, "params") else None
        try:
            return handler(api, request, *args, **kwargs)
        finally:
            _request.params = None
    return wrapped


class DeferredFilter(str):
    """CQL2 text or JSON pygeoapi passes on unparsed: the provider parses it (registries.cql)."""


def _defer(text: Any, *args: Any, **kwargs: Any) -> DeferredFilter:
    return DeferredFilter(text)


def _unchanged(filter_: Any, **kwargs: Any) -> Any:
    return filter_


def serve_requests_to_providers(itemtypes: Any) -> None:
    """Wrap pygeoapi's item handler (module ``pygeoapi.api.itemtypes``) so that this
    provider sees each request, and leave CQL2 parsing to us (its items handler is never
    reached: ``ogc.features`` answers every items page). Idempotent."""
    for name in ("get_collection_item",):
        handler = getattr(itemtypes, name)
        if not getattr(handler, "__wrapped__", None):
            setattr(itemtypes, name, with_request(handler))
    itemtypes.parse_cql2_text = _defer
    itemtypes.parse_cql2_json = _defer
    itemtypes.modify_pygeofilter = _unchanged


def provider_error(exc: GisError) -> Exception:
    """Return pygeoapi's error for one of ours, keeping the status and the message: a bad
    parameter is a 400 naming it on the HTML pages too, not pygeoapi's generic 500. An
    error of the service itself (a timeout, the database away: 503) is raised as it is, for
    the app's handlers to answer with its own status and Retry-After."""
    if exc.status >= 500:
        return exc
    kind = {404: ProviderItemNotFoundError}.get(exc.status, ProviderInvalidQueryError)
    return kind(exc.detail, user_msg=exc.detail)  # type: ignore[no-any-return]


def not_found(message: str) -> Exception:
    """Return pygeoapi's "not found" carrying ``message`` to the user (its own default is
    "identifier not found", whatever was asked)."""
    return ProviderItemNotFoundError(message, user_msg=message)  # type: ignore[no-any-return]


class RegistryProvider(BaseProvider):  # type: ignore[misc]
    """A registry as a pygeoapi feature collection (public fields only)."""

    def __init__(self, provider_def: dict[str, Any]) -> None:
        super().__init__(provider_def)
        self.reg = default_catalog().get(provider_def["registry"])
        self.storage_srid = int(srid_from_uri(provider_def["storage_crs"]))
        self.conninfo = provider_def["data"]
        self.id_field = "id"
        self.get_fields()

    def get_fields(self) -> dict[str, dict[str, str]]:
        if not self._fields:
            for f in self.reg.public_fields:
                kind, fmt = JSON_TYPES[f.type]
                self._fields[f.name] = {"type": kind, **({"format": fmt} if fmt else {}),
                                        "title": f.title.get("en", f.name)}
        return self._fields  # type: ignore[no-any-return]

    def _connect(self) -> Any:
        if _shared.pool is not None:
            return _shared.pool.connection()
        d = self.conninfo
        return psycopg.connect(host=d["host"], port=d["port"], dbname=d["dbname"],
                               user=d["user"], password=d["password"])

    def query(self, offset: int = 0, limit: int = 10, resulttype: str = "results",
              **kwargs: Any) -> dict[str, Any]:
        """Never answered here: every items page, in every format, is read by
        ``ogc.features`` (one query, one filter, one SQL); pygeoapi's items handler is not
        reached (``ogc.features.FeatureRouter``)."""
        raise ProviderQueryError("items are read through the OGC API routes only")

    def get(self, identifier: Any, **kwargs: Any) -> dict[str, Any]:
        obj_id = object_id(str(identifier))
        if obj_id is None:
            raise not_found(f"{self.reg.id} has no object {str(identifier)[:80]!r}")
        try:
            refuse_pending(getattr(_request, "params", None) or {})
            with database_errors(), self._connect() as conn, conn.transaction():
                set_statement_timeout(conn, _shared.timeout_s)
                row = conn.execute(item_sql(self.reg, Output(), self.storage_srid, False),
                                   {"id": obj_id}).fetchone()
        except GisError as exc:
            raise provider_error(exc) from None
        if row is None:
            raise not_found(f"{self.reg.id} has no object {obj_id}")
        return json.loads(row[0])  # type: ignore[no-any-return]

    # -- writes: only ogc.features writes (with authorisation, rules and history) -----------
    def _refuse(self, action: str) -> Exception:
        log.error("side door: pygeoapi asked the %s provider to %s; refused (writes go "
                  "through ogc.features)", self.reg.id, action)
        refusal: Exception = ProviderInvalidQueryError(
            f"{action} goes through /collections/{self.reg.id}/items with authorisation")
        return refusal

    def create(self, item: Any) -> Any:
        raise self._refuse("create")

    def update(self, identifier: Any, item: Any) -> Any:
        raise self._refuse("update")

    def delete(self, identifier: Any) -> Any:
        raise self._refuse("delete")
