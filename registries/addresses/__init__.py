"""Address registry (адресний реєстр): streets, buildings and addresses."""

from __future__ import annotations

from psycopg import sql

from gis.auth import Role
from registries.addresses.rules import ADDRESS_RULES, BUILDING_RULES, STREET_RULES
from registries.common import decision_fields, katottg, t
from registries.holders import ARCHITECTURE
from registries.model import CodeList, Field, FieldType, GeometryKind, Registry, TileRule

# the kinds of street as the address registry writes them (the code is the Ukrainian word)
STREET_TYPES = CodeList([
    ("вулиця", "вулиця", "street"), ("провулок", "провулок", "lane"),
    ("проспект", "проспект", "avenue"), ("бульвар", "бульвар", "boulevard"),
    ("площа", "площа", "square"), ("майдан", "майдан", "maidan (square)"),
    ("проїзд", "проїзд", "passage"), ("тупик", "тупик", "dead end"),
    ("узвіз", "узвіз", "descent"), ("шосе", "шосе", "highway"),
    ("набережна", "набережна", "embankment"), ("алея", "алея", "alley"),
    ("в'їзд", "в'їзд", "entry road"), ("спуск", "спуск", "slope"),
])
OBJECT_KINDS = CodeList([
    ("construction_object", "об'єкт будівництва", "construction object"),
    ("building", "будівля", "building"),
    ("structure", "споруда", "structure"),
    ("premises", "приміщення", "premises"),
])
ADDRESS_STATUSES = CodeList([
    ("active", "чинна", "active"),
    ("planned", "запланована", "planned"),
    ("annulled", "анульована", "annulled"),
])
BUILDING_PURPOSES = CodeList([
    ("residential_house", "житловий будинок", "house"),
    ("apartment_block", "багатоквартирний будинок", "apartment block"),
    ("public", "громадська будівля", "public building"),
    ("commercial", "комерційна будівля", "commercial building"),
    ("industrial", "виробнича будівля", "industrial building"),
    ("garage", "гараж", "garage"),
    ("other", "інша", "other"),
])


def full_address(alias: str, today: sql.Composable) -> sql.Composable:
    """Return SQL of the address as people write it: ``вул. Соборна, 12А, корп. 2``."""
    return sql.SQL("registry.address_label({a}.street_id, {a}.house_number, {a}.korpus)").format(
        a=sql.Identifier(alias))


def latin_street_name(alias: str, today: sql.Composable) -> sql.Composable:
    """Return SQL of the street's name in the official Latin transliteration (English maps)."""
    return sql.SQL("registry.latin_name({}.name)").format(sql.Identifier(alias))


def street_length_m(alias: str, today: sql.Composable) -> sql.Composable:
    """Return SQL of the street's length in metres (storage CRS), rounded: what tells a main
    street from a side street on the map."""
    return sql.SQL("round(ST_Length({}.geom))::integer").format(sql.Identifier(alias))


def full_address_joined(alias: str, family: str) -> tuple[sql.Composable, sql.Composable]:
    """Return the street join and the same label over it: views read a page of 10,000
    addresses 4× faster than with a street lookup per row (the join is memoized). The street
    comes from the same table family (``published`` for what the public sees: a street's
    pending renaming stays unseen until verified)."""
    a, s = sql.Identifier(alias), sql.Identifier(f"{alias}_street")
    return (sql.SQL("LEFT JOIN {t} AS {s} ON {s}.id = {a}.street_id").format(
                a=a, s=s, t=sql.Identifier(family, "street")),
            sql.SQL("registry.street_label({s}.street_type, {s}.name) || ', ' || {a}.house_number"
                    " || CASE WHEN coalesce({a}.korpus, '') <> '' THEN ', корп. ' || {a}.korpus "
                    "ELSE '' END").format(a=a, s=s))

STREETS = Registry(
    id="streets",
    title=t("Вулиці", "Streets"),
    description=t("Вулиці, провулки, площі міста з попередніми назвами",
                  "Streets, lanes and squares of the city with their former names"),
    table="street",
    geometry=GeometryKind.MULTILINESTRING,
    group="addresses",
    label="name",
    fields=(
        Field("street_type", title=t("Тип", "Type"), required=True, choices=STREET_TYPES),
        Field("name", title=t("Назва", "Name"), required=True, searchable=True),
        Field("name_en", title=t("Назва латиницею", "Name in Latin script"),
              derived=latin_street_name, derived_from=("name",)),
        Field("former_names", FieldType.JSON, title=t("Попередні назви", "Former names"),
              searchable=True,
              description=t("[{name, street_type, until, decision}]",
                            "[{name, street_type, until, decision}]")),
        katottg(),
        Field("length_m", FieldType.INTEGER, title=t("Довжина, м", "Length, m"),
              derived=street_length_m, derived_from=("geom",)),
    ),
    edit_roles=frozenset({Role.REGISTRAR}),
    holder=ARCHITECTURE,
    keywords={"uk": ("вулиці",), "en": ("streets",)},
    rules=STREET_RULES,
    tiles=(TileRule(12, ("name", "street_type", "name_en", "length_m"), simplify_px=0.5),
           TileRule(15, ("name", "street_type", "name_en", "length_m"))),
)

BUILDINGS = Registry(
    id="buildings",
    title=t("Будівлі", "Buildings"),
    description=t("Контури будівель", "Building footprints"),
    table="building",
    geometry=GeometryKind.MULTIPOLYGON,
    group="addresses",
    fields=(
        Field("floors", FieldType.INTEGER, title=t("Поверховість", "Floors")),
        Field("purpose", title=t("Призначення", "Purpose"),
              choices=BUILDING_PURPOSES),
    ),
    edit_roles=frozenset({Role.REGISTRAR}),
    holder=ARCHITECTURE,
    rules=BUILDING_RULES,
    tiles=(TileRule(15, ("floors",)),),
)

ADDRESSES = Registry(
    id="addresses",
    title=t("Адреси", "Addresses"),
    description=t("Адресний реєстр: адресні точки будівель і об'єктів будівництва",
                  "Address registry: address points of buildings and construction objects"),
    table="address",
    geometry=GeometryKind.POINT,
    group="addresses",
    label="full_address",
    noun="address",
    fields=(
        Field("street_id", FieldType.REFERENCE, title=t("Вулиця", "Street"), required=True,
              references="streets"),
        Field("house_number", title=t("Номер будинку", "House number"), required=True,
              searchable=True),
        Field("korpus", title=t("Корпус", "Korpus")),
        Field("postal_code", title=t("Поштовий індекс", "Postal code"), pattern=r"^\d{5}$",
              expected=True),
        katottg(required=True),
        Field("object_kind", title=t("Вид об'єкта", "Object kind"), choices=OBJECT_KINDS),
        Field("status", title=t("Статус", "Status"), choices=ADDRESS_STATUSES, required=True),
        Field("building_id", FieldType.REFERENCE, title=t("Будівля", "Building"),
              references="buildings"),
        Field("cadastral_number", title=t("Кадастровий номер ділянки", "Parcel cadastral number"),
              indexed=True),
        *decision_fields(expected=True),
        Field("full_address", title=t("Адреса", "Address"), derived=full_address,
              derived_join=full_address_joined,
              derived_from=("street_id", "house_number", "korpus")),
    ),
    edit_roles=frozenset({Role.REGISTRAR}),
    holder=ARCHITECTURE,
    keywords={"uk": ("адреси",), "en": ("addresses",)},
    rules=ADDRESS_RULES,
    tiles=(TileRule(16, ("house_number", "korpus")),),
)

REGISTRIES = (STREETS, BUILDINGS, ADDRESSES)
