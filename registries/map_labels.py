"""How an object is named on a map: the text printed beside it (extracts; maps may share it).

A registry's ``label`` field names its objects in lists and messages; on a map some registries
read better shorter or composed: a house number beside its address point rather than the full
address, a street's name with its kind ("вул. Соборна"), a parcel's number without the city's
KOATUU code that every parcel of the sheet shares. Only public fields are ever used.
"""

from __future__ import annotations

from psycopg import sql

from registries.model import FieldType, Registry

# the first 11 characters of a cadastral number are the KOATUU code and its colon (§1.1)
KOATUU_PREFIX = 11


def map_label_sql(reg: Registry, alias: str = "t") -> sql.Composable | None:
    """Return SQL of the map label of row ``alias`` of ``reg``'s public view, or None.

    >>> from registries.catalog import default_catalog
    >>> map_label_sql(default_catalog().get("buildings")) is None
    True
    """
    t = sql.Identifier(alias)
    names = {f.name for f in reg.public_fields}
    if {"house_number", "korpus"} <= names and reg.geometry == "Point":
        return sql.SQL("{t}.house_number || CASE WHEN coalesce({t}.korpus, '') <> '' "
                       "THEN ' к.' || {t}.korpus ELSE '' END").format(t=t)
    if {"street_type", "name"} <= names:
        return sql.SQL("registry.street_label({t}.street_type, {t}.name)").format(t=t)
    if "cadastral_number" in names and reg.label == "cadastral_number":
        return sql.SQL("substr({t}.cadastral_number, {n})").format(
            t=t, n=sql.Literal(KOATUU_PREFIX + 1))
    if reg.label and reg.label in names and reg.field(reg.label).type == FieldType.TEXT:
        return sql.SQL("{}.{}").format(t, sql.Identifier(reg.label))
    return None


def label_note(reg: Registry) -> str | None:
    """Return what a legend says about shortened labels of ``reg`` (Ukrainian), or None.

    >>> from registries.catalog import default_catalog
    >>> label_note(default_catalog().get("land_parcels"))
    'номер ділянки (без КОАТУУ)'
    """
    if reg.label == "cadastral_number":
        return "номер ділянки (без КОАТУУ)"
    return None
