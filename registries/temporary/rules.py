"""Rules of temporary structures (domain §6.3, order No. 244) and of the placement scheme.

Where the council approved a placement scheme (any spot exists), a live structure must stand
within a spot (tolerance 0.10 m), be no larger than the spot allows, be of the spot's kind and
specialisation, and have its spot to itself. These refuse a new or moved structure but not a
legacy import: kiosks that already stand outside the scheme are loaded and listed as problems,
each with the reason. A stationary structure larger than 30 m² by its outer contour (§6.1) is
refused the same way; the dates are always checked.
"""

from __future__ import annotations

from psycopg import sql

from registries.model import Rule, Severity
from registries.rules import decimal_uk, inside_community, no_overlap
from registries.status import TERM_COLUMNS
from registries.terms import (
    ACTIVE_STATUSES,
    dismantling_overdue,
    expired_in_place,
    status_of,
    statuses,
    term_rules,
)

SPOT_TOLERANCE_M = 0.10  # ST_Within(footprint, ST_Buffer(spot, tol)) (§6.3: a setting)
STATIONARY_MAX_M2 = 30.0  # a pavilion of at most 30 m² by the outer contour (§6.1)
# A structure that still stands (not dismantled nor annulled), where a scheme exists:
# rule parameter {live}, over row n.
LIVE = sql.SQL("{} IN ({}) AND EXISTS (SELECT 1 FROM registry.ts_scheme_spot)").format(
    status_of("n"), statuses((*ACTIVE_STATUSES, "expired")))
_SCHEME_COLUMNS = ("geom", "scheme_spot_id", "structure_kind", "specialisation", *TERM_COLUMNS)

OUTSIDE_SCHEME = Rule(
    "within_scheme_spot",
    f"a live structure stands within a spot of the placement scheme ({SPOT_TOLERANCE_M} m)",
    Severity.LEGACY,
    "SELECT n.id, CASE WHEN s.id IS NOT NULL THEN format('%s stands outside its scheme spot %s"
    " (%s m² of %s m² outside)', {name}, s.spot_number, round(ST_Area(ST_Difference(n.geom, "
    "s.geom))::numeric, 2), round(ST_Area(n.geom)::numeric, 2)) ELSE format('%s stands outside "
    "every spot of the placement scheme (nearest spot %s is %s m away)', {name}, "
    "near.spot_number, round(near.distance::numeric, 1)) END FROM {rows} AS n "
    "LEFT JOIN registry.ts_scheme_spot AS s ON s.id = n.scheme_spot_id "
    "LEFT JOIN LATERAL (SELECT x.spot_number, ST_Distance(x.geom, n.geom) AS distance "
    "FROM registry.ts_scheme_spot AS x ORDER BY x.geom <-> n.geom LIMIT 1) AS near ON TRUE "
    "WHERE {live} AND CASE WHEN s.id IS NOT NULL "
    "THEN NOT ST_Within(n.geom, ST_Buffer(s.geom, {tolerance})) "
    "ELSE NOT EXISTS (SELECT 1 FROM registry.ts_scheme_spot AS x WHERE x.geom && n.geom "
    "AND ST_Within(n.geom, ST_Buffer(x.geom, {tolerance}))) END",
    on=_SCHEME_COLUMNS, params=(("tolerance", SPOT_TOLERANCE_M), ("live", LIVE)),
    description_uk=f"чинна ТС стоїть у межах місця схеми розміщення "
                   f"({decimal_uk(SPOT_TOLERANCE_M)} м)")

LARGER_THAN_SPOT = Rule(
    "fits_spot_area", "a structure is no larger than its spot allows", Severity.LEGACY,
    "SELECT n.id, format('%s (%s m²) is larger than its spot %s allows (%s m²)', {name}, "
    "round(ST_Area(n.geom)::numeric, 2), s.spot_number, s.max_area_m2) FROM {rows} AS n "
    "JOIN registry.ts_scheme_spot AS s ON s.id = n.scheme_spot_id "
    "WHERE {live} AND round(ST_Area(n.geom)::numeric, 2) > s.max_area_m2",
    on=_SCHEME_COLUMNS, params=(("live", LIVE),),
    description_uk="ТС не більша, ніж дозволяє її місце схеми")

KIND_OF_SPOT = Rule(
    "fits_spot_kind", "a structure is of the kind and specialisation its spot allows",
    Severity.LEGACY,
    "SELECT n.id, CASE WHEN s.allowed_kind IS NOT NULL AND s.allowed_kind <> n.structure_kind "
    "THEN format('%s is %s, but its spot %s allows %s', {name}, n.structure_kind, "
    "s.spot_number, s.allowed_kind) ELSE format('%s sells %s, but its spot %s allows %s', "
    "{name}, coalesce(n.specialisation, '—'), s.spot_number, s.allowed_specialisation) END "
    "FROM {rows} AS n JOIN registry.ts_scheme_spot AS s ON s.id = n.scheme_spot_id "
    "WHERE {live} AND ((s.allowed_kind IS NOT NULL AND s.allowed_kind <> n.structure_kind) OR "
    "(s.allowed_specialisation IS NOT NULL "
    "AND n.specialisation IS DISTINCT FROM s.allowed_specialisation))",
    on=_SCHEME_COLUMNS, params=(("live", LIVE),),
    description_uk="вид і спеціалізація ТС — ті, що дозволяє її місце схеми")

ONE_PER_SPOT = Rule(
    "one_per_spot", "one live passport per spot of the scheme", Severity.LEGACY,
    "SELECT n.id, format('%s takes spot %s, already taken by %s', {name}, s.spot_number, "
    "{other}) FROM {rows} AS n JOIN {table} AS o ON o.scheme_spot_id = n.scheme_spot_id "
    "AND o.id <> n.id JOIN registry.ts_scheme_spot AS s ON s.id = n.scheme_spot_id "
    "WHERE {live} AND {status_o} IN ({standing})",
    on=_SCHEME_COLUMNS, params=(("live", LIVE), ("status_o", status_of("o")),
                                ("standing", statuses((*ACTIVE_STATUSES, "expired")))),
    description_uk="один чинний паспорт прив'язки на місце схеми")

STATIONARY_AREA = Rule(
    "stationary_at_most_30_m2",
    f"a stationary structure is at most {STATIONARY_MAX_M2} m² by its outer contour",
    Severity.LEGACY,
    "SELECT n.id, format('%s is a stationary structure of %s m², more than the %s m² a "
    "temporary structure may have', {name}, round(ST_Area(n.geom)::numeric, 2), {limit}) "
    "FROM {rows} AS n WHERE n.structure_kind = 'stationary' "
    "AND round(ST_Area(n.geom)::numeric, 2) > {limit}",
    on=("geom", "structure_kind"), params=(("limit", STATIONARY_MAX_M2),),
    description_uk=f"стаціонарна ТС — не більше {decimal_uk(STATIONARY_MAX_M2)} м² за "
                   "зовнішнім контуром")

DECLARED_AREA = Rule(
    "area_matches_footprint", "the declared area is the footprint's (±1 m² and 5 %)",
    Severity.WARNING,
    "SELECT n.id, format('%s: declared area %s m² differs from the footprint''s %s m²', {name}, "
    "n.area_m2, round(ST_Area(n.geom)::numeric, 2)) FROM {rows} AS n "
    "WHERE abs(n.area_m2 - ST_Area(n.geom)) > greatest(1.0, 0.05 * ST_Area(n.geom))",
    on=("area_m2", "geom"),
    description_uk="задекларована площа дорівнює площі контуру (±1 м² і 5 %)")

TEMPORARY_RULES = (*term_rules(None), inside_community(0.05), OUTSIDE_SCHEME,
                   LARGER_THAN_SPOT, KIND_OF_SPOT, ONE_PER_SPOT, STATIONARY_AREA, DECLARED_AREA,
                   expired_in_place("temporary structure", "паспорта прив'язки ТС"),
                   dismantling_overdue(30))

SPOT_RULES = (
    no_overlap(0.05), inside_community(0.05),
    Rule("max_area_positive", "a spot allows a positive area", Severity.ERROR,
         "SELECT n.id, format('%s: maximum area %s m² is not an area', {name}, n.max_area_m2) "
         "FROM {rows} AS n WHERE n.max_area_m2 <= 0", on=("max_area_m2",),
         description_uk="місце дозволяє додатну площу"),
)
