"""Rules of the address registry (domain §4): compiled into the database.

A house number outside the grammar of §4.2 (e.g. the legacy range ``12-14``) is accepted only
in a legacy import; two live addresses with one street and house number are refused; an
address point outside its building or pointing at an unknown parcel is only flagged.
"""

from __future__ import annotations

from registries.model import Rule, Severity
from registries.rules import inside_community

HOUSE_NUMBER_GRAMMAR = Rule(
    "house_number_grammar",
    "the house number follows the grammar 12, 12А, 12-А, 12/1, 12А/3, 12 корп. 2 (§4.2)",
    Severity.LEGACY,
    "SELECT n.id, format('%s: house number %L does not follow the grammar 12, 12А, 12-А, 12/1, "
    "12А/3, 12 корп. 2', {name}, n.house_number) FROM {rows} AS n "
    "WHERE NOT registry.is_house_number(n.house_number)",
    on=("house_number",),
    description_uk="номер будинку відповідає граматиці 12, 12А, 12-А, 12/1, 12А/3, 12 корп. 2 "
                   "(§4.2)")

UNIQUE_ADDRESS = Rule(
    "address_unique", "a street and house number (with korpus) name one live address",
    Severity.ERROR,
    "SELECT n.id, format('%s is already registered as address #%s', {name}, k.id) "
    "FROM {rows} AS n JOIN (SELECT o.id, o.street_id, registry.house_key(o.house_number, "
    "o.korpus) AS hk FROM {table} AS o WHERE o.status <> 'annulled' "
    "AND o.street_id IN (SELECT r.street_id FROM {rows} AS r)) AS k "
    "ON k.street_id = n.street_id AND k.id <> n.id "
    "AND k.hk = registry.house_key(n.house_number, n.korpus) WHERE n.status <> 'annulled'",
    on=("street_id", "house_number", "korpus", "status"),
    description_uk="вулиця й номер будинку (з корпусом) називають одну чинну адресу")

POINT_IN_BUILDING = Rule(
    "point_in_building", "the address point lies inside its building's footprint (§4.4)",
    Severity.WARNING,
    "SELECT n.id, format('%s: the address point lies %s m outside its building #%s', {name}, "
    "round(ST_Distance(n.geom, b.geom)::numeric, 1), b.id) FROM {rows} AS n "
    "JOIN registry.building AS b ON b.id = n.building_id WHERE NOT ST_Intersects(b.geom, n.geom)",
    on=("geom", "building_id"),
    description_uk="точка адреси лежить у контурі її будівлі (§4.4)")

PARCEL_KNOWN = Rule(
    "parcel_known", "the cadastral number names a parcel of the registry", Severity.WARNING,
    "SELECT n.id, format('%s: no parcel %s in the land cadastre', {name}, n.cadastral_number) "
    "FROM {rows} AS n WHERE n.cadastral_number IS NOT NULL AND NOT EXISTS ("
    "SELECT 1 FROM registry.land_parcel AS p WHERE p.cadastral_number = n.cadastral_number)",
    on=("cadastral_number",),
    description_uk="кадастровий номер належить ділянці реєстру")

FORMER_NAMES_SHAPE = Rule(
    "former_names_shape",
    "former names are a list of {name, street_type, until (YYYY-MM-DD), decision}",
    Severity.ERROR,
    "SELECT n.id, format('%s: former names must be a list of objects with a name and the "
    "date until which it held (YYYY-MM-DD), got %s', {name}, n.former_names) "
    "FROM {rows} AS n WHERE n.former_names IS NOT NULL AND ("
    "jsonb_typeof(n.former_names) <> 'array' OR EXISTS (SELECT 1 FROM "
    "jsonb_array_elements(n.former_names) AS f(v) WHERE jsonb_typeof(f.v) <> 'object' "
    "OR coalesce(f.v->>'name', '') = '' OR (f.v ? 'until' AND f.v->>'until' !~ {date})))",
    on=("former_names",), params=(("date", r"^\d{4}-\d{2}-\d{2}$"),),
    description_uk="попередні назви — список {name, street_type, until (РРРР-ММ-ДД), decision}")

ADDRESS_RULES = (HOUSE_NUMBER_GRAMMAR, UNIQUE_ADDRESS, inside_community(0.5), POINT_IN_BUILDING,
                 PARCEL_KNOWN)
STREET_RULES = (FORMER_NAMES_SHAPE,)
BUILDING_RULES = (
    inside_community(1.0),
    Rule("floors_positive", "a building has at least one floor", Severity.ERROR,
         "SELECT n.id, format('%s: %s floors is not a number of floors', {name}, n.floors) "
         "FROM {rows} AS n WHERE n.floors < 1", on=("floors",),
         description_uk="будівля має щонайменше один поверх"),
)
