"""Temporary structures for business (тимчасові споруди, ТС): passports and the placement scheme."""

from __future__ import annotations

from gis.auth import Role
from registries.common import decision_fields, party_fields, t, term_fields
from registries.holders import TRADE
from registries.model import CodeList, Field, FieldType, GeometryKind, Registry, TileRule
from registries.temporary.rules import SPOT_RULES, TEMPORARY_RULES
from registries.terms import status_field

# kinds of temporary structure (order 244; domain §6.1)
STRUCTURE_KINDS = CodeList([
    ("stationary", "стаціонарна", "stationary"),
    ("mobile", "пересувна", "mobile"),
    ("terrace", "літній майданчик", "summer terrace"),
])
PURPOSES = CodeList([
    ("trade", "торгівля", "trade"),
    ("services", "побутове обслуговування", "household services"),
    ("catering", "громадське харчування", "catering"),
    ("social_cultural", "соціально-культурна діяльність", "social and cultural"),
    ("other", "інше", "other"),
])
SPOT_STATUSES = CodeList([
    ("free", "вільне", "free"),
    ("occupied", "зайняте", "occupied"),
    ("reserved", "зарезервоване", "reserved"),
])

TEMPORARY_STRUCTURES = Registry(
    id="temporary_structures",
    title=t("Тимчасові споруди", "Temporary structures"),
    description=t("Тимчасові споруди для провадження підприємницької діяльності (МАФ, кіоски)",
                  "Temporary structures for business: kiosks, pavilions, "
                  "small architectural forms"),
    table="temporary_structure",
    geometry=GeometryKind.POLYGON,
    group="temporary",
    label="passport_number",
    key="passport_number",
    noun="temporary structure",
    fields=(
        Field("passport_number", title=t("Номер паспорта прив'язки", "Placement passport number"),
              required=True, searchable=True),
        *term_fields(),
        *decision_fields(expected=True),
        *party_fields("owner", "Власник", "Owner"),
        Field("structure_kind", title=t("Вид ТС", "Kind"), required=True, choices=STRUCTURE_KINDS),
        Field("purpose", title=t("Призначення", "Purpose"), choices=PURPOSES),
        Field("specialisation", title=t("Спеціалізація", "Specialisation")),
        Field("length_m", FieldType.NUMBER, scale=2, title=t("Довжина, м", "Length, m")),
        Field("width_m", FieldType.NUMBER, scale=2, title=t("Ширина, м", "Width, m")),
        Field("height_m", FieldType.NUMBER, scale=2, title=t("Висота, м", "Height, m")),
        Field("area_m2", FieldType.NUMBER, scale=2, title=t("Площа, м²", "Area, m²"),
              expected=True),
        Field("scheme_spot_id", FieldType.REFERENCE, references="ts_scheme_spots",
              title=t("Місце за схемою", "Scheme spot")),
        Field("location_text", title=t("Орієнтир", "Landmark"), searchable=True),
        status_field(),
    ),
    edit_roles=frozenset({Role.REGISTRAR}),
    holder=TRADE,
    keywords={"uk": ("МАФ", "тимчасові споруди"),
              "en": ("temporary structures", "kiosks")},
    rules=TEMPORARY_RULES,
    tiles=(TileRule(14, ("status", "structure_kind")),
           TileRule(16, ("status", "structure_kind", "passport_number"))),
)

TS_SCHEME_SPOTS = Registry(
    id="ts_scheme_spots",
    title=t("Схема розміщення ТС", "Temporary-structure placement scheme"),
    description=t("Місця комплексної схеми розміщення тимчасових споруд",
                  "Spots of the approved placement scheme for temporary structures"),
    table="ts_scheme_spot",
    geometry=GeometryKind.POLYGON,
    group="temporary",
    label="spot_number",
    noun="scheme spot",
    fields=(
        Field("spot_number", title=t("Номер місця", "Spot number"), required=True, unique=True),
        Field("max_area_m2", FieldType.NUMBER, scale=2, title=t("Макс. площа, м²", "Max area, m²")),
        Field("allowed_kind", title=t("Дозволений вид", "Allowed kind"), choices=STRUCTURE_KINDS),
        Field("allowed_specialisation", title=t("Дозволена спеціалізація",
                                                "Allowed specialisation")),
        Field("status", title=t("Стан", "Status"), choices=SPOT_STATUSES),
        *decision_fields("scheme_decision"),
    ),
    edit_roles=frozenset({Role.REGISTRAR}),
    holder=TRADE,
    rules=SPOT_RULES,
    tiles=(TileRule(15, ("spot_number", "status")),),
)

REGISTRIES = (TEMPORARY_STRUCTURES, TS_SCHEME_SPOTS)
