"""The catalog of registries: the built-in ones and those declared in YAML files."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from gis.errors import NotFound
from registries import addresses, advertising, parcels, planning, temporary
from registries.declaration import declared_registries
from registries.model import Registry

BUILTIN: tuple[Registry, ...] = (
    *addresses.REGISTRIES,
    *parcels.REGISTRIES,
    *advertising.REGISTRIES,
    *temporary.REGISTRIES,
    *planning.REGISTRIES,
)


class Catalog:
    """An ordered set of registries, looked up by collection id."""

    def __init__(self, registries: Iterable[Registry]) -> None:
        self._by_id: dict[str, Registry] = {}
        for reg in registries:
            if reg.id in self._by_id:
                raise ValueError(f"registry id {reg.id!r} declared twice")
            self._by_id[reg.id] = reg
        tables = [r.table for r in self._by_id.values()]
        if len(set(tables)) != len(tables):
            raise ValueError("two registries share a table")
        for reg in self._by_id.values():
            for f in reg.fields:
                if f.references and f.references not in self._by_id:
                    raise ValueError(
                        f"{reg.id}.{f.name} references unknown registry {f.references}")

    def __iter__(self) -> Iterator[Registry]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, registry_id: str) -> Registry:
        """Return the registry with collection id ``registry_id`` or raise NotFound."""
        try:
            return self._by_id[registry_id]
        except KeyError:
            raise NotFound(f"no collection {registry_id!r}", collection=registry_id) from None

    @property
    def ids(self) -> list[str]:
        return list(self._by_id)


def default_catalog() -> Catalog:
    """Return the catalog of the built-in registries and those declared in YAML.

    >>> "land_parcels" in default_catalog().ids, "road_closures" in default_catalog().ids
    (True, True)
    """
    return Catalog((*BUILTIN, *declared_registries()))
