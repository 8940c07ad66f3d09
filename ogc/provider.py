"""pygeoapi feature provider over the registries (pygeoapi's HTML pages, schema, queryables).

GeoJSON reads and writes take the faster path in ``ogc.features``; this provider answers what
pygeoapi itself renders, with the same SQL (``registries.queries``) and the same public view,
so the HTML pages show exactly what the GeoJSON does.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool
from pygeoapi.provider.base import (
    BaseProvider,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
    ProviderQueryError,
)
from pygeofilter.backends.cql2_json import to_cql2

from gis.crs import srid_from_uri
from gis.errors import GisError
from registries.catalog import default_catalog
from registries.filters import CqlToSql, Filter
from registries.model import FieldType
from registries.queries import Output, Sort, item_sql, matched_sql, page_sql

JSON_TYPES = {FieldType.TEXT: ("string", None), FieldType.INTEGER: ("integer", None),
              FieldType.NUMBER: ("number", None), FieldType.DATE: ("string", "date"),
              FieldType.BOOLEAN: ("boolean", None), FieldType.JSON: ("string", None),
              FieldType.REFERENCE: ("integer", None)}

_shared_pool: ConnectionPool | None = None
_max_box_km2 = 0.0


def share_pool(pool: ConnectionPool | None, max_box_km2: float = 0.0) -> None:
    """Let providers use the app's pool and its box limit (pygeoapi makes a provider per
    request). pygeoapi's pages are the public face: the anonymous limit always applies."""
    global _shared_pool, _max_box_km2
    _shared_pool, _max_box_km2 = pool, max_box_km2


def provider_error(exc: GisError) -> Exception:
    """Return pygeoapi's error for one of ours, keeping the status: a bad parameter is a 400
    on the HTML pages too, not pygeoapi's generic 500."""
    kind = {400: ProviderInvalidQueryError, 404: ProviderItemNotFoundError}.get(
        exc.status, ProviderQueryError)
    return kind(exc.detail)  # type: ignore[no-any-return]


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
        if _shared_pool is not None:
            return _shared_pool.connection()
        d = self.conninfo
        return psycopg.connect(host=d["host"], port=d["port"], dbname=d["dbname"],
                               user=d["user"], password=d["password"])

    def query(self, offset: int = 0, limit: int = 10, resulttype: str = "results",
              bbox: list[float] | None = None, datetime_: str | None = None,
              properties: list[tuple[str, str]] | None = None,
              sortby: list[dict[str, str]] | None = None,
              select_properties: list[str] | None = None, skip_geometry: bool = False,
              q: str | None = None, filterq: Any = None, crs_transform_spec: Any = None,
              **kwargs: Any) -> dict[str, Any]:
        flt = Filter(self.reg, self.storage_srid, max_box_km2=_max_box_km2)
        try:
            if bbox:
                flt.add_bbox(tuple(bbox), self.storage_srid)  # pygeoapi moved it to storage
            for name, value in properties or []:
                flt.add_equals(name, value)
            if filterq is not None:  # pygeoapi parsed it with pygeofilter: back to CQL2 JSON
                flt.parts.append(CqlToSql(flt, "OGC:CRS84").node(json.loads(to_cql2(filterq))))
            sorts = tuple(Sort(s["property"], s.get("order") == "-") for s in sortby or [])
            fields = tuple(f for f in self.reg.public_fields
                           if not select_properties or f.name in select_properties)
            out = Output(fields=fields, skip_geometry=skip_geometry)
            with self._connect() as conn:
                matched = int(conn.execute(matched_sql(self.reg, flt, False),
                                           flt.params).fetchone()[0])
                rows = [] if resulttype == "hits" else conn.execute(
                    page_sql(self.reg, flt, out, sorts, False),
                    {**flt.params, "limit": limit, "offset": offset}).fetchall()
        except GisError as exc:
            raise provider_error(exc) from None
        features = [json.loads(r[0]) for r in rows]
        return {"type": "FeatureCollection", "features": features,
                "numberMatched": matched, "numberReturned": len(features)}

    def get(self, identifier: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            obj_id = int(identifier)
        except (TypeError, ValueError):
            raise ProviderItemNotFoundError(f"no item {identifier!r}") from None
        with self._connect() as conn:
            row = conn.execute(item_sql(self.reg, Output(), self.storage_srid, False),
                               {"id": obj_id}).fetchone()
        if row is None:
            raise ProviderItemNotFoundError(f"{self.reg.id} has no object {obj_id}")
        return json.loads(row[0])  # type: ignore[no-any-return]
