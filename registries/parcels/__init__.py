"""Land cadastre (земельні ділянки, ДЗК): parcels with cadastral number, category and purpose."""

from __future__ import annotations

from gis.auth import Role
from registries.common import katottg, party_fields, t
from registries.model import Field, FieldType, GeometryKind, Registry, TileRule

CADASTRAL_NUMBER_PATTERN = r"^\d{10}:\d{2}:\d{3}:\d{4}$"
CATEGORIES = ("100", "200", "300", "400", "500", "600", "700", "800", "900")
OWNERSHIP_FORMS = ("100", "200", "300")  # private, state, communal (xml_ua codes; verify)

LAND_PARCELS = Registry(
    id="land_parcels",
    title=t("Земельні ділянки", "Land parcels"),
    description=t("Земельні ділянки міста: кадастровий номер, категорія, цільове призначення",
                  "Land parcels: cadastral number, land category, purpose, ownership form"),
    table="land_parcel",
    geometry=GeometryKind.MULTIPOLYGON,
    group="cadastre",
    label="cadastral_number",
    fields=(
        Field("cadastral_number", title=t("Кадастровий номер", "Cadastral number"),
              required=True, unique=True, searchable=True, pattern=CADASTRAL_NUMBER_PATTERN),
        Field("category", title=t("Категорія земель", "Land category"), required=True,
              choices=CATEGORIES),
        Field("purpose_code", title=t("Код цільового призначення (КВЦПЗ)", "Purpose code"),
              required=True, pattern=r"^\d{2}\.\d{2}$"),
        Field("purpose_text", title=t("Цільове призначення", "Purpose")),
        Field("ownership_form", title=t("Форма власності", "Ownership form"),
              choices=OWNERSHIP_FORMS),
        Field("area_declared_ha", FieldType.NUMBER, scale=4,
              title=t("Площа за документами, га", "Declared area, ha")),
        *party_fields("holder", "Власник/користувач", "Holder"),
        Field("registered_on", FieldType.DATE, title=t("Дата реєстрації", "Registered on"),
              temporal=True),
        katottg(),
    ),
    edit_roles=frozenset({Role.PLANNER}),
    keywords=("cadastre", "кадастр", "земельні ділянки"),
    tiles=(TileRule(14, ("cadastral_number",)), TileRule(16, ("cadastral_number", "purpose_code"))),
)

REGISTRIES = (LAND_PARCELS,)
