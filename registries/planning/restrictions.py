"""Planning restrictions (планувальні обмеження) and red lines (червоні лінії), domain §7.1.

Restrictions are areas where the use of land is limited: heritage protection zones, water
protection zones and riverside strips, sanitary-protection zones, protection zones of
engineering networks, territories within red lines … each with its DZK restriction code
(§1.8) where one exists. Red lines bound existing and planned streets and squares.
"""

from __future__ import annotations

from gis.auth import Role
from registries.common import decision_fields, t
from registries.holders import ARCHITECTURE
from registries.model import (
    CodeList,
    Field,
    FieldType,
    GeometryKind,
    Registry,
    Rule,
    Severity,
    TileRule,
)
from registries.planning.restriction_codes import RESTRICTION_CODE_PATTERN

# kinds of planning restriction (domain §7.1; DZK codes in restriction_codes.csv)
RESTRICTION_KINDS = CodeList([
    ("heritage_protection", "охоронна зона пам'ятки", "heritage protection zone"),
    ("regulated_building", "зона регулювання забудови", "regulated building zone"),
    ("protected_landscape", "зона охоронюваного ландшафту", "protected landscape zone"),
    ("archaeological_layer", "зона охорони археологічного культурного шару",
     "archaeological layer protection zone"),
    ("historical_area", "історичний ареал", "historical area"),
    ("nature_reserve", "природно-заповідний фонд", "nature reserve fund"),
    ("water_protection", "водоохоронна зона", "water protection zone"),
    ("riverside_strip", "прибережна захисна смуга", "riverside protective strip"),
    ("sanitary_protection", "санітарно-захисна зона", "sanitary protection zone"),
    ("network_protection", "охоронна зона інженерних мереж",
     "engineering network protection zone"),
    ("aviation", "авіаційні обмеження", "aviation restrictions"),
    ("flood_area", "зона затоплення", "flood area"),
    ("red_lines", "територія в червоних лініях", "within red lines"),
    ("other", "інше обмеження", "other restriction"),
])
RED_LINE_KINDS = CodeList([
    ("existing", "існуючі", "existing"),
    ("planned", "проєктні", "planned"),
])

RESTRICTION_CODE_KNOWN = Rule(
    "dzk_code_known", "the DZK code is in the restriction classifier (§1.8)", Severity.ERROR,
    "SELECT n.id, format('%s: %s is not a code of the DZK restriction classifier', {name}, "
    "n.dzk_code) FROM {rows} AS n WHERE n.dzk_code IS NOT NULL "
    "AND registry.restriction_name(n.dzk_code) IS NULL",
    on=("dzk_code",),
    description_uk="код ДЗК є в класифікаторі обмежень (§1.8)")

PLANNING_RESTRICTIONS = Registry(
    id="planning_restrictions",
    title=t("Планувальні обмеження", "Planning restrictions"),
    description=t("Охоронні, санітарно-захисні, водоохоронні зони, території в червоних лініях",
                  "Protection, sanitary-protection and water-protection zones, territories "
                  "within red lines"),
    table="planning_restriction",
    geometry=GeometryKind.MULTIPOLYGON,
    group="planning",
    label="name",
    noun="planning restriction",
    fields=(
        Field("kind", title=t("Вид обмеження", "Kind"), required=True, choices=RESTRICTION_KINDS),
        Field("dzk_code", title=t("Код обмеження (ДЗК)", "DZK restriction code"),
              pattern=RESTRICTION_CODE_PATTERN),
        Field("name", title=t("Назва", "Name"), required=True, searchable=True),
        Field("legal_basis", title=t("Підстава", "Legal basis")),
        Field("width_m", FieldType.NUMBER, scale=1, title=t("Ширина зони, м", "Zone width, m")),
        Field("regime", title=t("Режим використання", "Regime of use")),
        *decision_fields(),
    ),
    edit_roles=frozenset({Role.PLANNER}),
    holder=ARCHITECTURE,
    keywords={"uk": ("обмеження", "охоронні зони"),
              "en": ("restrictions", "protection zones")},
    tiles=(TileRule(12, ("kind", "dzk_code")), TileRule(15, ("kind", "dzk_code", "name"))),
    rules=(RESTRICTION_CODE_KNOWN,),
)

RED_LINES = Registry(
    id="red_lines",
    title=t("Червоні лінії", "Red lines"),
    description=t("Межі існуючих і запроектованих вулиць, доріг, площ",
                  "Boundaries of existing and planned streets, roads and squares"),
    table="red_line",
    geometry=GeometryKind.MULTILINESTRING,
    group="planning",
    label="street_name",
    noun="red line",
    fields=(
        Field("kind", title=t("Існуюча / проектна", "Existing or planned"), required=True,
              choices=RED_LINE_KINDS),
        Field("street_name", title=t("Вулиця", "Street"), searchable=True),
        Field("source_document", title=t("Документ", "Source document")),
        *decision_fields(),
    ),
    edit_roles=frozenset({Role.PLANNER}),
    holder=ARCHITECTURE,
    keywords={"uk": ("червоні лінії",), "en": ("red lines",)},
    tiles=(TileRule(13, ("kind",)),),
)
