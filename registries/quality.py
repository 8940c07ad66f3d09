"""The quality report of a registry (звіт про якість даних): what its holder should fix.

Checks, each a count and a list of objects with a sentence naming what is wrong:

- ``required_missing`` — fields the registry requires (``Field.required``) or its procedure
  expects (``Field.expected``: accepted at write time, because older data lacks them) empty;
- ``never_verified`` — published objects whose published version no verifier ever approved
  (loaded from an older register; ``registries.verification``);
- ``expired_in_place`` — permits and passports whose term ended while the structure stands
  (no dismantling ordered): the rule of the same name;
- ``outside_community`` and ``overlaps`` — the rules of those names over every object (they
  refuse new cases at write time; older data, or a boundary redrawn, may still hold some);
- ``gaps`` — neighbours of a registry that must not overlap (parcels, zones …) that come
  closer than ``GAP_M`` without touching: a sliver of no one's land between them;
- ``addresses_without_parcel`` — live addresses whose cadastral number is missing or names no
  parcel of the land cadastre;
- ``rule:<id>`` — every other finding of the registry's rules (``registries.rules``), so the
  report is the whole list of what is wrong.

The checks read the working copy (``registry.<table>``: what the holder keeps, pending changes
included), so a fix shows at once; ``never_verified`` reads the published copy. Date-driven
findings follow the city's date, as the rules do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from registries.catalog import Catalog
from registries.model import FieldType, GeometryKind, Registry, Rule
from registries.rules import all_rules, label_sql, name_sql, violations_sql

GAP_M = 0.5  # neighbours closer than this without touching leave a sliver between them
TOUCH_M = 0.001  # closer than a millimetre: they touch (snapping tolerance)
RULE_CHECKS = {"expired_in_place": "expired_in_place", "inside_community": "outside_community",
               "no_overlap": "overlaps", "parcel_known": "addresses_without_parcel"}
TITLES: dict[str, dict[str, str]] = {
    "required_missing": {"uk": "Не заповнені обов'язкові поля",
                         "en": "Required fields missing"},
    "never_verified": {"uk": "Опубліковані без перевірки", "en": "Never verified"},
    "expired_in_place": {"uk": "Термін сплив, а споруда стоїть",
                         "en": "Expired but still in place"},
    "outside_community": {"uk": "За межею громади", "en": "Outside the community boundary"},
    "overlaps": {"uk": "Накладання", "en": "Overlaps"},
    "gaps": {"uk": "Розриви між сусідами", "en": "Gaps between neighbours"},
    "addresses_without_parcel": {"uk": "Адреси без земельної ділянки",
                                 "en": "Addresses without a parcel"},
}


@dataclass(frozen=True)
class Finding:
    id: int
    label: str
    message: str
    other: int | None = None  # the neighbour a gap or overlap is with
    fields: tuple[str, ...] = ()  # the fields left empty (required_missing), for a page to title

    def as_dict(self, collection: str, base_url: str = "") -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "message": self.message,
                **({"other": self.other} if self.other is not None else {}),
                **({"fields": list(self.fields)} if self.fields else {}),
                "href": f"{base_url}/collections/{collection}/items/{self.id}"}


@dataclass
class Check:
    id: str
    title: dict[str, str]
    count: int = 0
    findings: list[Finding] = field(default_factory=list)

    def as_dict(self, collection: str, base_url: str = "") -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "count": self.count,
                "items": [f.as_dict(collection, base_url) for f in self.findings]}


@dataclass
class QualityReport:
    collection: str
    objects: int
    checks: list[Check]

    @property
    def total(self) -> int:
        return sum(c.count for c in self.checks)

    def check(self, check_id: str) -> Check:
        for c in self.checks:
            if c.id == check_id:
                return c
        raise KeyError(check_id)

    def as_dict(self, base_url: str = "") -> dict[str, Any]:
        return {"collection": self.collection, "objects": self.objects,
                "numberOfFindings": self.total,
                "checks": [c.as_dict(self.collection, base_url) for c in self.checks]}


def _rows(conn: psycopg.Connection, query: sql.Composed,
          params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.execute(query, params).fetchall()]


def _check(check_id: str, rows: list[tuple[Any, ...]], limit: int,
           title: dict[str, str] | None = None) -> Check:
    """Return a check from (id, label, message[, other[, fields]]) rows, ordered by id."""
    rows = sorted(rows, key=lambda r: (r[0], r[3] if len(r) > 3 and r[3] is not None else 0))
    findings = [Finding(int(r[0]), str(r[1]), str(r[2]), int(r[3]) if len(r) > 3
                        and r[3] is not None else None,
                        tuple(r[4]) if len(r) > 4 and r[4] else ()) for r in rows[:limit]]
    return Check(check_id, title or TITLES[check_id], len(rows), findings)


def required_missing_sql(reg: Registry) -> sql.Composed | None:
    """Return SQL of (id, label, message, NULL, fields) for objects whose required or
    expected fields are empty (fields: their names); None when the registry names none."""
    fields = [f for f in reg.stored_fields if f.required or f.expected]
    if not fields:
        return None
    empty = [sql.SQL("CASE WHEN {empty} THEN {name} END").format(
        empty=sql.SQL("t.{c} IS NULL OR btrim(t.{c}) = ''").format(c=sql.Identifier(f.column))
        if f.type is FieldType.TEXT else sql.SQL("t.{} IS NULL").format(
            sql.Identifier(f.column)),
        name=sql.Literal(f.name)) for f in fields]
    return sql.SQL(
        "SELECT id, label, format('%s: missing %s', name, array_to_string(missing, ', ')), "
        "NULL::integer, missing FROM (SELECT t.id, {label} AS label, {name} AS name, "
        "array_remove(ARRAY[{empty}], NULL) AS missing FROM {table} AS t) AS m "
        "WHERE cardinality(missing) > 0").format(
        label=label_sql(reg, "t"), name=name_sql(reg, "t"), empty=sql.SQL(", ").join(empty),
        table=sql.Identifier(reg.schema, reg.table))


def never_verified_sql(reg: Registry) -> sql.Composed:
    """Return SQL of (id, label, message) for published objects no verifier ever approved."""
    return sql.SQL(
        "SELECT t.id, {label}, format('%s was published on %s without verification (%s)', "
        "{name}, to_char(t.published_at, 'YYYY-MM-DD'), coalesce((SELECT d.reason FROM "
        "verification.decisions AS d WHERE d.collection = {collection} AND d.object_id = t.id "
        "AND d.decision = 'direct' ORDER BY d.decided_at DESC, d.id DESC LIMIT 1), "
        "'a direct load')) FROM {published} AS t WHERE t.verified_at IS NULL").format(
        label=label_sql(reg, "t"), name=name_sql(reg, "t"), collection=sql.Literal(reg.id),
        published=sql.Identifier(*reg.published_table))


def gaps_sql(reg: Registry) -> sql.Composed:
    """Return SQL of (id, label, message, other) for neighbours closer than ``GAP_M`` that do
    not touch, each pair once (under the smaller id)."""
    return sql.SQL(
        "SELECT n.id, {label}, format('%s and %s leave a gap of %s m between them', {name}, "
        "{other}, round(ST_Distance(n.geom, o.geom)::numeric, 2)), o.id FROM {table} AS n "
        "JOIN {table} AS o ON o.id > n.id AND ST_DWithin(n.geom, o.geom, {gap}) "
        "WHERE ST_Distance(n.geom, o.geom) > {touch}").format(
        label=label_sql(reg, "n"), name=name_sql(reg, "n"), other=name_sql(reg, "o"),
        table=sql.Identifier(reg.schema, reg.table), gap=sql.Literal(GAP_M),
        touch=sql.Literal(TOUCH_M))


ADDRESSES_WITHOUT_PARCEL = """
SELECT a.id, {label}, CASE WHEN a.cadastral_number IS NULL OR btrim(a.cadastral_number) = ''
    THEN format('%s has no parcel: its cadastral number is missing%s', {name},
                coalesce(' (its point lies in parcel ' || (SELECT p.cadastral_number
                    FROM registry.land_parcel AS p WHERE ST_Intersects(p.geom, a.geom)
                    ORDER BY p.id LIMIT 1) || ')', ''))
    ELSE format('%s has no parcel: no parcel %s in the land cadastre', {name},
                a.cadastral_number) END
FROM {table} AS a {joins}
WHERE a.status IS DISTINCT FROM 'annulled' AND NOT EXISTS (
    SELECT 1 FROM registry.land_parcel AS p WHERE p.cadastral_number = a.cadastral_number)
"""


def _rule_rows(conn: psycopg.Connection, reg: Registry, rule: Rule) -> list[tuple[Any, ...]]:
    rows = _rows(conn, sql.SQL("SELECT v.id, {label}, v.message FROM ({violations}) AS "
                               "v(id, message) JOIN {table} AS t ON t.id = v.id {joins}").format(
        violations=violations_sql(reg, rule, sql.Identifier(reg.schema, reg.table)),
        label=_label(reg, "t"), table=sql.Identifier(reg.schema, reg.table),
        joins=_joins(reg, "t")))
    return rows


def _label(reg: Registry, alias: str) -> sql.Composable:
    f = reg.field(reg.label) if reg.label else None
    if f is not None and f.derived_join is not None:
        return sql.SQL("coalesce(({})::text, '#' || {}.id)").format(
            f.derived_join(alias, reg.schema)[1], sql.Identifier(alias))
    return label_sql(reg, alias)


def _joins(reg: Registry, alias: str) -> sql.Composable:
    f = reg.field(reg.label) if reg.label else None
    if f is not None and f.derived_join is not None:
        return f.derived_join(alias, reg.schema)[0]
    return sql.SQL("")


def quality_report(conn: psycopg.Connection, catalog: Catalog, reg: Registry, *,
                   limit: int = 100) -> QualityReport:
    """Return ``reg``'s quality report: every check with its count and up to ``limit``
    findings (by object id)."""
    del catalog  # every check reads the registry's own tables and the land cadastre
    table = sql.Identifier(reg.schema, reg.table)
    (objects,) = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone() \
        or (0,)
    checks: list[Check] = []
    required = required_missing_sql(reg)
    checks.append(_check("required_missing", _rows(conn, required) if required else [],
                         limit))
    checks.append(_check("never_verified", _rows(conn, never_verified_sql(reg)), limit))
    rules = {r.id: r for r in all_rules(reg)}
    for rule_id, check_id in RULE_CHECKS.items():
        if check_id == "addresses_without_parcel":
            continue
        if rule_id in rules:
            checks.append(_check(check_id, _rule_rows(conn, reg, rules[rule_id]), limit))
    polygonal = reg.geometry in (GeometryKind.POLYGON, GeometryKind.MULTIPOLYGON)
    if polygonal and "no_overlap" in rules:
        checks.append(_check("gaps", _rows(conn, gaps_sql(reg)), limit))
    if reg.id == "addresses":
        checks.append(_check("addresses_without_parcel", _rows(conn, sql.SQL(
            ADDRESSES_WITHOUT_PARCEL).format(label=_label(reg, "a"), name=_name(reg, "a"),
                                             table=table, joins=_joins(reg, "a"))), limit))
    for rule in all_rules(reg):
        if rule.id in RULE_CHECKS:
            continue
        rows = _rule_rows(conn, reg, rule)
        if rows:
            checks.append(_check(f"rule:{rule.id}", rows, limit,
                                 {"uk": rule.description_uk, "en": rule.description}))
    return QualityReport(reg.id, int(objects), checks)


def _name(reg: Registry, alias: str) -> sql.Composable:
    return sql.SQL("({} || ' ' || {})").format(sql.Literal(reg.object_noun), _label(reg, alias))

