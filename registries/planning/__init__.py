"""Urban-planning cadastre (містобудівний кадастр): zoning-plan zones and the community boundary."""

from __future__ import annotations

from gis.auth import Role
from registries.common import decision_fields, katottg, t
from registries.holders import ARCHITECTURE, LAND_RESOURCES
from registries.model import Field, FieldType, GeometryKind, Registry, Rule, Severity, TileRule
from registries.planning.restrictions import PLANNING_RESTRICTIONS, RED_LINES
from registries.rules import no_overlap

ZONE_RULES = (
    no_overlap(1.0),
    Rule("regulation_in_range", "max coverage is 0–100 %, max height is positive",
         Severity.ERROR,
         "SELECT n.id, format('%s: max coverage %s %% or max height %s m is out of range', "
         "{name}, n.max_coverage_pct, n.max_height_m) FROM {rows} AS n "
         "WHERE n.max_coverage_pct NOT BETWEEN 0 AND 100 OR n.max_height_m <= 0",
         on=("max_coverage_pct", "max_height_m"),
         description_uk="максимальна забудованість 0–100 %, максимальна висота додатна"),
)

PLANNING_ZONES = Registry(
    id="planning_zones",
    title=t("Територіальні зони", "Zoning-plan zones"),
    description=t("Територіальні зони плану зонування з містобудівним регламентом",
                  "Territorial zones of the zoning plan with their regulation"),
    table="planning_zone",
    geometry=GeometryKind.MULTIPOLYGON,
    group="planning",
    label="zone_code",
    noun="zone",
    fields=(
        Field("zone_code", title=t("Код зони", "Zone code"), required=True, searchable=True,
              pattern=r"^[А-ЯІЇЄҐ]{1,3}-\d{1,2}[а-я]?$"),
        Field("zone_name", title=t("Назва зони", "Zone name")),
        Field("max_height_m", FieldType.NUMBER, scale=1, title=t("Гранична висота, м",
                                                                 "Max height, m")),
        Field("max_coverage_pct", FieldType.NUMBER, scale=1,
              title=t("Макс. відсоток забудови", "Max building coverage, %")),
        *decision_fields("plan_decision"),
    ),
    edit_roles=frozenset({Role.PLANNER}),
    holder=ARCHITECTURE,
    keywords={"uk": ("план зонування", "зонування"), "en": ("zoning", "zoning plan")},
    rules=ZONE_RULES,
    tiles=(TileRule(10, ("zone_code",), simplify_px=0.5), TileRule(14, ("zone_code",))),
)

COMMUNITY_BOUNDARIES = Registry(
    id="community_boundaries",
    title=t("Межа громади", "Community boundary"),
    description=t("Межа території територіальної громади", "Boundary of the hromada's territory"),
    table="community_boundary",
    geometry=GeometryKind.MULTIPOLYGON,
    group="planning",
    label="name",
    fields=(
        Field("name", title=t("Назва", "Name"), required=True),
        katottg(),
        Field("koatuu", title=t("Код КОАТУУ", "KOATUU code"), pattern=r"^\d{10}$"),
    ),
    edit_roles=frozenset({Role.ADMIN}),
    holder=LAND_RESOURCES,
    tiles=(TileRule(0, ("name",), simplify_px=0.5), TileRule(14, ("name",))),
)

REGISTRIES = (PLANNING_ZONES, COMMUNITY_BOUNDARIES, PLANNING_RESTRICTIONS, RED_LINES)
