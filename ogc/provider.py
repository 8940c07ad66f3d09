"""pygeoapi feature provider over the registries: what pygeoapi writes from a provider's
description of its collection (the queryables and schema documents: the public fields, their
types and titles), and nothing more.

Every read of objects — an items page or one object, as GeoJSON, CSV, HTML or JSON-LD — is
answered by ``ogc.features`` (one query parser, one filter, one SQL, our templates);
``ogc.features.FeatureRouter`` never lets such a request reach pygeoapi, whose handlers would
parse it again with checks of their own. Every write is answered there too, with authorisation,
rules and history. The read and write methods below refuse, and a write says so in the log: a
call would be a side door.
"""

from __future__ import annotations

import logging
from typing import Any

from pygeoapi.provider.base import BaseProvider, ProviderInvalidQueryError, ProviderQueryError

from ogc.features import JSON_TYPES
from registries.catalog import default_catalog

log = logging.getLogger("hromada.ogc")


class RegistryProvider(BaseProvider):  # type: ignore[misc]
    """A registry as a pygeoapi feature collection: its public fields."""

    def __init__(self, provider_def: dict[str, Any]) -> None:
        super().__init__(provider_def)
        self.reg = default_catalog().get(provider_def["registry"])
        self.id_field = "id"
        self.get_fields()

    def get_fields(self) -> dict[str, dict[str, str]]:
        if not self._fields:
            for f in self.reg.public_fields:
                kind, fmt = JSON_TYPES[f.type]
                self._fields[f.name] = {"type": kind, **({"format": fmt} if fmt else {}),
                                        "title": f.title.get("en", f.name)}
        return self._fields  # type: ignore[no-any-return]

    # -- reads and writes: ogc.features only ------------------------------------------------
    def query(self, offset: int = 0, limit: int = 10, resulttype: str = "results",
              **kwargs: Any) -> dict[str, Any]:
        raise ProviderQueryError("objects are read through the OGC API routes only")

    def get(self, identifier: Any, **kwargs: Any) -> dict[str, Any]:
        raise ProviderQueryError("objects are read through the OGC API routes only")

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
