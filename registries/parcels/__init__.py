"""Land cadastre (земельні ділянки, ДЗК): parcels with cadastral number, category and purpose,
and the cadastral quarters (кадастрові квартали) their numbers come from."""

from __future__ import annotations

from psycopg import sql

from gis.auth import Role
from registries.common import katottg, party_fields, t
from registries.holders import LAND_RESOURCES
from registries.model import (
    CodeList,
    Field,
    FieldType,
    GeometryKind,
    Registry,
    Reshaping,
    TileRule,
)
from registries.parcels.cadastral_number import (
    CADASTRAL_NUMBER_PATTERN,
    QUARTER_NUMBER_PATTERN,
)
from registries.parcels.rules import PARCEL_RULES
from registries.rules import no_overlap

# land categories, Land Code art. 19 (domain §1.4): codes 100–900 only
CATEGORIES = CodeList([
    ("100", "землі сільськогосподарського призначення", "agricultural land"),
    ("200", "землі житлової та громадської забудови", "residential and public building land"),
    ("300", "землі природно-заповідного та іншого природоохоронного призначення",
     "nature-reserve and other nature-protection land"),
    ("400", "землі оздоровчого призначення", "health land"),
    ("500", "землі рекреаційного призначення", "recreational land"),
    ("600", "землі історико-культурного призначення", "historical and cultural land"),
    ("700", "землі лісогосподарського призначення", "forestry land"),
    ("800", "землі водного фонду", "water fund land"),
    ("900", "землі промисловості, транспорту, електронних комунікацій, енергетики, оборони "
            "та іншого призначення",
     "industry, transport, electronic communications, energy, defence and other land"),
])
# OwnershipInfo/Code of the exchange file (xml_ua codes; verify, domain §1.6)
OWNERSHIP_FORMS = CodeList([
    ("100", "приватна", "private"),
    ("200", "державна", "state"),
    ("300", "комунальна", "communal"),
])


def computed_area_ha(alias: str, today: sql.Composable) -> sql.Composable:
    """Return SQL of the parcel's area in hectares (4 decimals), computed in the storage CRS."""
    return sql.SQL("round((ST_Area({}.geom) / 10000)::numeric, 4)").format(
        sql.Identifier(alias))


LAND_PARCELS = Registry(
    id="land_parcels",
    title=t("Земельні ділянки", "Land parcels"),
    description=t("Земельні ділянки міста: кадастровий номер, категорія, цільове призначення",
                  "Land parcels: cadastral number, land category, purpose, ownership form"),
    table="land_parcel",
    geometry=GeometryKind.MULTIPOLYGON,
    group="cadastre",
    label="cadastral_number",
    noun="parcel",
    fields=(
        Field("cadastral_number", title=t("Кадастровий номер", "Cadastral number"),
              required=True, unique=True, searchable=True, pattern=CADASTRAL_NUMBER_PATTERN),
        Field("category", title=t("Категорія земель", "Land category"), required=True,
              choices=CATEGORIES),
        Field("purpose_code", title=t("Код цільового призначення (КВЦПЗ)", "Purpose code"),
              required=True, pattern=r"^\d{2}\.\d{2}$"),
        Field("purpose_text", title=t("Цільове призначення", "Purpose")),
        Field("ownership_form", title=t("Форма власності", "Ownership form"),
              choices=OWNERSHIP_FORMS, expected=True),
        Field("area_declared_ha", FieldType.NUMBER, scale=4,
              title=t("Площа за документами, га", "Declared area, ha"), expected=True),
        *party_fields("holder", "Власник/користувач", "Holder"),
        Field("registered_on", FieldType.DATE, title=t("Дата реєстрації", "Registered on"),
              temporal=True),
        katottg(),
        Field("area_error_ha", FieldType.NUMBER, scale=4,
              title=t("Похибка площі, га", "Stated area error, ha")),
        Field("area_computed_ha", FieldType.NUMBER, scale=4, derived=computed_area_ha,
              derived_from=("geom",),
              title=t("Площа за координатами, га", "Computed area, ha")),
    ),
    edit_roles=frozenset({Role.PLANNER}),
    holder=LAND_RESOURCES,
    keywords={"uk": ("кадастр", "земельні ділянки"), "en": ("cadastre", "land parcels")},
    tiles=(TileRule(14, ("cadastral_number",)), TileRule(16, ("cadastral_number", "purpose_code"))),
    rules=PARCEL_RULES,
    # division and merger (поділ, об'єднання): new parcels with new numbers and their own
    # declared area and registration; a merger joins parcels of one category, purpose and
    # ownership form (domain §1.1; Land Code art. 79-1 — verify the exact conditions)
    reshaping=Reshaping(clear=("area_declared_ha", "area_error_ha", "registered_on"),
                        merge_equal=("category", "purpose_code", "ownership_form")),
)

CADASTRAL_QUARTERS = Registry(
    id="cadastral_quarters",
    title=t("Кадастрові квартали", "Cadastral quarters"),
    description=t("Кадастрові квартали: звідки походять номери земельних ділянок",
                  "Cadastral quarters: where the parcels' cadastral numbers come from"),
    table="cadastral_quarter",
    geometry=GeometryKind.MULTIPOLYGON,
    group="cadastre",
    label="quarter_number",
    noun="cadastral quarter",
    fields=(
        Field("quarter_number", title=t("Номер кадастрового кварталу", "Quarter number"),
              required=True, unique=True, searchable=True, pattern=QUARTER_NUMBER_PATTERN,
              description=t("NNNNNNNNNN:ZZ:QQQ — КОАТУУ, зона, квартал",
                            "NNNNNNNNNN:ZZ:QQQ — KOATUU, zone, quarter")),
        katottg(),
    ),
    edit_roles=frozenset({Role.PLANNER}),
    holder=LAND_RESOURCES,
    keywords={"uk": ("кадастр", "кадастрові квартали"),
              "en": ("cadastre", "cadastral quarters")},
    tiles=(TileRule(12, ("quarter_number",)),),
    rules=(no_overlap(1.0),),
)

REGISTRIES = (LAND_PARCELS, CADASTRAL_QUARTERS)
