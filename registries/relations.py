"""How objects of two registries belong together: derived from the declarations.

Every REFERENCE field (an address's street, building, a structure's scheme spot) relates an
object to the one it names by id. Besides those, two relations by key are declared here:
the addresses on a parcel (the address's ``cadastral_number``) and the parcels of a cadastral
quarter (the quarter number is the first 17 characters of the parcel's cadastral number,
``NNNNNNNNNN:ZZ:QQQ``). Clients that show related objects (QGIS forms, the parcel report)
take them from :func:`relations`.
"""

from __future__ import annotations

from dataclasses import dataclass

from registries.catalog import Catalog
from registries.common import t
from registries.model import FieldType, Text


@dataclass(frozen=True)
class Relation:
    """``child`` objects whose ``child_field`` equals the ``parent_field`` of a ``parent``.

    ``child_prefix``: the child's key is the first so many characters of ``child_field``.
    """

    id: str
    title: Text
    parent: str
    parent_field: str
    child: str
    child_field: str
    child_prefix: int | None = None

    @property
    def child_key(self) -> str:
        """Return the name of the child's key: the field, or (a prefix) the parent's field."""
        return self.parent_field if self.child_prefix else self.child_field


BY_KEY = (
    Relation("parcel_addresses", t("Адреси на ділянці", "Addresses on the parcel"),
             "land_parcels", "cadastral_number", "addresses", "cadastral_number"),
    Relation("quarter_parcels", t("Ділянки кварталу", "Parcels of the quarter"),
             "cadastral_quarters", "quarter_number", "land_parcels", "cadastral_number",
             child_prefix=17),
)


def relations(catalog: Catalog) -> list[Relation]:
    """Return every relation among the registries of ``catalog``.

    >>> from registries.catalog import default_catalog
    >>> [r.id for r in relations(default_catalog())][:3]
    ['parcel_addresses', 'quarter_parcels', 'addresses_street_id']
    """
    ids = set(catalog.ids)
    out = [r for r in BY_KEY if r.parent in ids and r.child in ids]
    for reg in catalog:
        for f in reg.fields:
            if f.type is FieldType.REFERENCE and f.references in ids:
                target = catalog.get(f.references)
                out.append(Relation(f"{reg.id}_{f.name}", {
                    "uk": f"{reg.title['uk']}: {f.title.get('uk', f.name)}",
                    "en": f"{reg.title['en']}: {f.title.get('en', f.name)}"},
                    target.id, "id", reg.id, f.name))
    return out
