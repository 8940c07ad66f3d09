"""Rules of the land cadastre (domain §1.1, §1.5, §1.7): compiled into the database.

Severity, per domain.md: a malformed number, an unknown region or purpose code, an invalid
geometry, an overlap and a parcel outside the community refuse the write (ERROR); a purpose
that does not fit the category and a number from another cadastral quarter are errors that a
legacy import may still load (LEGACY); a declared area that differs from the computed one and
an unknown KOATUU prefix are only flagged (WARNING: "flag, do not overwrite", "warn, do not
reject").
"""

from __future__ import annotations

from registries.model import Rule, Severity
from registries.parcels.cadastral_number import (
    CADASTRAL_NUMBER_PATTERN,
    FORMAT_HINT,
    REGION_CODES,
)
from registries.rules import inside_community, no_overlap

OVERLAP_TOLERANCE_M2 = 0.05  # a sliver below this is survey noise, not an overlap (§1.7)
OUTSIDE_TOLERANCE_M2 = 1.0
MIN_AREA_ERROR_HA = 0.0001  # 1 m²: the precision of a declared area (4 decimals of a hectare)

CADASTRAL_NUMBER_FORMAT = Rule(
    "cadastral_number_format", f"the cadastral number is {FORMAT_HINT}", Severity.ERROR,
    "SELECT n.id, format('parcel %s: the cadastral number is malformed, expected %s', "
    "n.cadastral_number, {hint}) FROM {rows} AS n WHERE n.cadastral_number !~ {pattern}",
    on=("cadastral_number",), params=(("pattern", CADASTRAL_NUMBER_PATTERN),
                                      ("hint", FORMAT_HINT)),
    description_uk="кадастровий номер має вигляд NNNNNNNNNN:ZZ:QQQ:PPPP (10 цифр коду КОАТУУ, "
                   "2 — зони, 3 — кварталу, 4 — ділянки)")

CADASTRAL_NUMBER_REGION = Rule(
    "cadastral_number_region", "the number opens with one of Ukraine's 27 region codes",
    Severity.ERROR,
    "SELECT n.id, format('parcel %s: region code %s is not one of Ukraine''s 27 region codes',"
    " n.cadastral_number, left(n.cadastral_number, 2)) FROM {rows} AS n "
    "WHERE n.cadastral_number ~ {pattern} "
    "AND left(n.cadastral_number, 2) <> ALL(string_to_array({regions}, ','))",
    on=("cadastral_number",), params=(("pattern", CADASTRAL_NUMBER_PATTERN),
                                      ("regions", ",".join(REGION_CODES))),
    description_uk="номер починається з коду одного з 27 регіонів України")

CADASTRAL_QUARTER = Rule(
    "cadastral_quarter_matches",
    "the number's zone and quarter are those of the cadastral quarter the parcel lies in",
    Severity.LEGACY,
    "SELECT n.id, format('parcel %s lies in cadastral quarter %s, but its number belongs to "
    "quarter %s', n.cadastral_number, q.quarter_number, left(n.cadastral_number, 17)) "
    "FROM {rows} AS n JOIN registry.cadastral_quarter AS q ON q.geom && n.geom "
    "AND ST_Contains(q.geom, ST_PointOnSurface(n.geom)) "
    "WHERE q.quarter_number <> left(n.cadastral_number, 17)",
    on=("cadastral_number", "geom"),
    description_uk="зона й квартал номера — ті, що в кадастрового кварталу, де лежить ділянка")

KOATUU_PREFIX = Rule(
    "koatuu_prefix_known",
    "the number's KOATUU prefix is one of the hromada's (community boundary, quarters)",
    Severity.WARNING,
    "SELECT n.id, format('parcel %s: KOATUU prefix %s is not one of the hromada''s prefixes "
    "(%s)', n.cadastral_number, left(n.cadastral_number, 10), p.list) FROM {rows} AS n, "
    "(SELECT string_agg(x, ', ' ORDER BY x) AS list, array_agg(x) AS known FROM ("
    "SELECT koatuu AS x FROM registry.community_boundary WHERE koatuu IS NOT NULL UNION "
    "SELECT left(quarter_number, 10) FROM registry.cadastral_quarter) AS s) AS p "
    "WHERE p.known IS NOT NULL AND left(n.cadastral_number, 10) <> ALL(p.known)",
    on=("cadastral_number",),
    description_uk="префікс КОАТУУ номера — один із кодів громади (межа громади, квартали)")

PURPOSE_KNOWN = Rule(
    "purpose_known", "the purpose code is in the land purpose classifier (КВЦПЗ)",
    Severity.ERROR,
    "SELECT n.id, format('parcel %s: purpose %s is not in the land purpose classifier "
    "(КВЦПЗ)', n.cadastral_number, n.purpose_code) FROM {rows} AS n "
    # a missing code is the required field's problem, said once (not "purpose  is not …")
    "WHERE n.purpose_code IS NOT NULL AND registry.land_purpose_category(n.purpose_code) IS NULL",
    on=("purpose_code",),
    description_uk="код цільового призначення є в класифікаторі (КВЦПЗ)")

PURPOSE_FITS_CATEGORY = Rule(
    "purpose_fits_category", "the purpose's section belongs to the land category (§1.5)",
    Severity.LEGACY,
    "SELECT n.id, format('parcel %s: purpose %s belongs to land category %s, not %s', "
    "n.cadastral_number, n.purpose_code, c.category, n.category) FROM {rows} AS n, "
    "LATERAL (SELECT registry.land_purpose_category(n.purpose_code) AS category) AS c "
    "WHERE c.category <> '' AND c.category <> n.category",
    on=("purpose_code", "category"),
    description_uk="розділ цільового призначення належить до категорії земель (§1.5)")

AREA_MATCHES = Rule(
    "area_matches_geometry",
    "the declared area and the area computed in the storage CRS differ by at most the stated "
    "error (at least 0.0001 ha)", Severity.WARNING,
    "SELECT n.id, format('parcel %s: declared area %s ha differs from the computed %s ha by "
    "%s ha (allowed %s ha)', n.cadastral_number, n.area_declared_ha, c.ha, "
    "abs(n.area_declared_ha - c.ha), c.allowed) FROM {rows} AS n, "
    "LATERAL (SELECT round((ST_Area(n.geom) / 10000)::numeric, 4) AS ha, "
    "greatest(coalesce(n.area_error_ha, 0), {min_error}) AS allowed) AS c "
    "WHERE abs(n.area_declared_ha - c.ha) > c.allowed",
    on=("area_declared_ha", "area_error_ha", "geom"), params=(("min_error", MIN_AREA_ERROR_HA),),
    description_uk="задекларована площа й площа, обчислена в системі координат зберігання, "
                   "різняться не більше ніж на вказану похибку (щонайменше 0,0001 га)")

AREA_NOT_NEGATIVE = Rule(
    "area_not_negative",
    "a declared area and its error are not negative", Severity.ERROR,
    "SELECT n.id, format('parcel %s: %s', n.cadastral_number, concat_ws('; ', CASE WHEN "
    "n.area_declared_ha < 0 THEN format('the declared area %s ha is negative', "
    "n.area_declared_ha) END, CASE WHEN n.area_error_ha < 0 THEN format('the area error %s ha "
    "is negative', n.area_error_ha) END)) FROM {rows} AS n "
    "WHERE n.area_declared_ha < 0 OR n.area_error_ha < 0",
    on=("area_declared_ha", "area_error_ha"),
    description_uk="задекларована площа та її похибка не від'ємні")

NUMBER_NOT_RETIRED = Rule(
    "cadastral_number_not_retired",
    "a number retired by a division or merger is never given to another parcel (§1.1)",
    Severity.ERROR,
    "SELECT n.id, format('parcel %s: this cadastral number was retired when parcel #%s was %s "
    "on %s; a retired number is never given again', n.cadastral_number, r.parent_id, "
    "CASE r.operation WHEN 'split' THEN 'divided' ELSE 'merged' END, r.at::date) "
    "FROM {rows} AS n JOIN (SELECT DISTINCT h.cadastral_number, l.parent_id, l.operation, l.at "
    "FROM history.lineage AS l JOIN history.land_parcel AS h ON h.id = l.parent_id "
    "AND h.version = l.parent_version WHERE l.collection = 'land_parcels') AS r "
    "ON r.cadastral_number = n.cadastral_number AND r.parent_id <> n.id",
    on=("cadastral_number",),
    description_uk="номер, погашений під час поділу чи об'єднання, ніколи не надається "
                   "іншій ділянці (§1.1)")

PARCEL_RULES = (CADASTRAL_NUMBER_FORMAT, NUMBER_NOT_RETIRED, CADASTRAL_NUMBER_REGION, PURPOSE_KNOWN,
                no_overlap(OVERLAP_TOLERANCE_M2), inside_community(OUTSIDE_TOLERANCE_M2),
                PURPOSE_FITS_CATEGORY, CADASTRAL_QUARTER, KOATUU_PREFIX, AREA_NOT_NEGATIVE,
                AREA_MATCHES)
