"""Rules compiled into the database: every write path checked alike, and the problems report.

A rule (``model.Rule``) is SQL selecting the objects that break it, with a message naming the
object and what is wrong. Besides a registry's own ``rules``, each text field with a pattern
and each geometry get a rule (:func:`all_rules`). From the one SQL per rule come:

- two statement-level AFTER triggers per table (INSERT, UPDATE; transition tables), generated
  by :func:`trigger_sql` and installed by ``registries.schema.sync_derived``. They refuse a
  write that breaks an ERROR rule — or a LEGACY rule outside a legacy import — with SQLSTATE
  23514 (check_violation), the message as the error's text and the rule in its detail, so
  ``registries.writes`` turns it into ``RuleViolation`` and a planner editing from QGIS reads
  the same sentence. On UPDATE only objects whose rule columns (``Rule.on``) changed are
  checked, so an old finding never blocks an unrelated edit.
- the problems report (:func:`problems_sql`, :func:`find_problems`): every rule over every
  object, WARNING ones included (findings that must not block a write, e.g. a declared area
  that differs from the computed one).

A legacy import (``SET LOCAL gis.legacy_import = on``: the demo loader, ingest of old data)
accepts objects breaking LEGACY rules; they stay listed among the problems. Only the
application may do so: a staff database login (``gis.db_logins``) setting it gets every rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import psycopg
from psycopg import sql

from gis.text import UNSAFE_PATTERN
from registries.model import FieldType, Registry, Rule, Severity

LEGACY_SETTING = "gis.legacy_import"
TODAY = sql.SQL("registry.local_today()")  # the city's date (registries.schema installs it)


def decimal_uk(value: float) -> str:
    """Return a number for a Ukrainian sentence: a decimal comma.

    >>> decimal_uk(0.05), decimal_uk(30.0), decimal_uk(2)
    ('0,05', '30,0', '2')
    """
    return str(value).replace(".", ",")


def field_rules(reg: Registry) -> list[Rule]:
    """Return the format rule of every stored text field that declares a pattern.

    A registry can name its own rule ``<field>_format`` to word the message better.
    """
    own = {r.id for r in reg.rules}
    out = []
    for f in reg.stored_fields:
        if f.pattern is None or f.type is not FieldType.TEXT or f"{f.name}_format" in own:
            continue
        out.append(Rule(
            f"{f.name}_format", f"{f.name} matches {f.pattern_words()}", Severity.ERROR,
            "SELECT n.id, format('%s: %s %L does not match the format %s', {name}, {title}, "
            "n.{column}, {shape}) FROM {rows} AS n WHERE n.{column} !~ {pattern}",
            on=(f.column,), params=(("pattern", f.pattern), ("shape", f.pattern_words()),
                                    ("column", sql.Identifier(f.column)),
                                    ("title", f.title.get("en", f.name).lower())),
            description_uk=f"{f.title.get('uk', f.name)} відповідає шаблону "
                           f"{f.pattern_words('uk')}"))
    return out


def text_rule(reg: Registry) -> Rule | None:
    """Return the rule that ``reg``'s free text values are one line of visible text: no
    control character (a tab, a line break …) and no text-direction control (``gis.text``),
    or None when it has no such field. Fields with a pattern or a code list are left to their
    own rule. The message names the field and the position, never the value (it may be a
    person's name).
    """
    fields = [f for f in reg.stored_fields
              if f.type is FieldType.TEXT and f.pattern is None and f.choices is None]
    if not fields:
        return None
    values = sql.SQL(", ").join(
        sql.SQL("({}, n.{})").format(sql.Literal(f.title.get("en", f.name).lower()),
                                     sql.Identifier(f.column)) for f in fields)
    return Rule(
        "text_one_line", "text values hold no control characters (tabs, line breaks) and no "
        "text-direction controls", Severity.ERROR,
        "SELECT n.id, format('%s: %s holds %s (U+%s) at position %s; it must be one line of "
        "text', {name}, t.title, CASE WHEN ascii(t.ch) BETWEEN 8234 AND 8297 "
        "THEN 'a text-direction control' ELSE 'a control character' END, "
        "lpad(upper(to_hex(ascii(t.ch))), 4, '0'), t.at) FROM {rows} AS n "
        "CROSS JOIN LATERAL (SELECT v.title, regexp_instr(v.value, {unsafe}) AS at, "
        "substring(v.value FROM {unsafe}) AS ch FROM (VALUES {values}) AS v(title, value) "
        "WHERE v.value ~ {unsafe} LIMIT 1) AS t",
        on=tuple(f.column for f in fields),
        params=(("unsafe", UNSAFE_PATTERN), ("values", values)),
        description_uk="текстові значення — один рядок: без керівних символів (табуляції, "
                       "розриву рядка) і без знаків напрямку тексту")


def geometry_rule() -> Rule:
    """Return the rule every registry has: a non-empty, valid geometry (OGC validity)."""
    return Rule(
        "geometry_valid", "the geometry is valid (no self-intersections, rings closed)",
        Severity.ERROR,
        "SELECT n.id, format('%s: invalid geometry: %s', {name}, CASE WHEN ST_IsEmpty(n.geom) "
        "THEN 'empty' ELSE (d).reason || coalesce(' at ' || ST_AsText(ST_Transform(ST_SetSRID("
        "(d).location, ST_SRID(n.geom)), 4326)), '') END) "
        "FROM {rows} AS n, LATERAL (SELECT ST_IsValidDetail(n.geom) AS d) AS v "
        "WHERE ST_IsEmpty(n.geom) OR NOT (d).valid",
        on=("geom",),
        description_uk="геометрія правильна (без самоперетинів, контури замкнені)")


def inside_community(tolerance: float) -> Rule:
    """Return the rule that an object lies inside the community boundary (when one is loaded):
    at most ``tolerance`` m² (areas) or m (lines, points) may fall outside it. An area or a
    line with no part inside is refused whatever its size: a parcel written in the wrong CRS
    (lon/lat read as metres) shrinks to a speck far away, well under any area tolerance."""
    return Rule(
        "inside_community", f"lies inside the community boundary (tolerance {tolerance})",
        Severity.ERROR,
        "SELECT n.id, format('%s lies outside the community boundary by %s %s%s', {name}, "
        "round(registry.outside_community(n.geom)::numeric, 1), "
        "CASE ST_Dimension(n.geom) WHEN 2 THEN 'm²' ELSE 'm' END, "
        "CASE WHEN x.apart THEN ': no part of it is inside' ELSE '' END) FROM {rows} AS n "
        "CROSS JOIN LATERAL (SELECT ST_Dimension(n.geom) > 0 AND NOT EXISTS (SELECT 1 FROM "
        "registry.community_boundary AS b WHERE ST_Intersects(b.geom, n.geom)) AS apart) AS x "
        "WHERE EXISTS (SELECT 1 FROM registry.community_boundary) AND CASE WHEN EXISTS ("
        "SELECT 1 FROM registry.community_boundary AS b WHERE ST_Covers(b.geom, n.geom)) "
        "THEN FALSE ELSE x.apart OR registry.outside_community(n.geom) > {tolerance} END",
        on=("geom",), params=(("tolerance", tolerance),),
        description_uk=f"лежить у межах громади (допуск {decimal_uk(tolerance)})")


def no_overlap(tolerance_m2: float, severity: Severity = Severity.ERROR) -> Rule:
    """Return the rule that objects of one registry do not overlap by more than
    ``tolerance_m2`` (the area both interiors share)."""
    return Rule(
        "no_overlap", f"objects do not overlap by more than {tolerance_m2} m²", severity,
        "SELECT n.id, format('%s overlaps %s by %s m²', {name}, {other}, "
        "round(x.area::numeric, 1)) FROM {rows} AS n "
        "JOIN {table} AS o ON o.id <> n.id AND o.geom && n.geom "
        "AND ST_Relate(n.geom, o.geom, '2********') "
        "CROSS JOIN LATERAL (SELECT ST_Area(ST_Intersection(n.geom, o.geom)) AS area) AS x "
        "WHERE x.area > {tolerance}",
        on=("geom",), params=(("tolerance", tolerance_m2),),
        description_uk=f"об'єкти не накладаються більш як на {decimal_uk(tolerance_m2)} м²")


def dates_ordered(first: str, then: str, *, strict: bool = True,
                  titles_uk: Mapping[str, str] | None = None) -> Rule:
    """Return the rule that date ``first`` comes before (or on, unless ``strict``) ``then``;
    ``titles_uk`` names the two fields in its Ukrainian description (their titles).

    >>> dates_ordered("a_on", "b_on", titles_uk={"a_on": "Видано", "b_on": "Діє з"}
    ...               ).description_uk
    '«Видано» раніше за «Діє з»'
    """
    op, word = ("<", "before") if strict else ("<=", "on or before")
    word_uk = "раніше за" if strict else "не пізніше за"
    titled = titles_uk or {}
    first_uk, then_uk = (f"«{titled[n]}»" if n in titled else n for n in (first, then))
    return Rule(
        f"{first}_{'before' if strict else 'not_after'}_{then}", f"{first} {word} {then}",
        Severity.ERROR,
        "SELECT n.id, format('%s: %s %s must be %s %s %s', {name}, {first_name}, n.{first}, "
        "{word}, {then_name}, n.{then}) FROM {rows} AS n WHERE NOT (n.{first} {op} n.{then})",
        on=(first, then), params=(
            ("first", sql.Identifier(first)), ("then", sql.Identifier(then)),
            ("first_name", first), ("then_name", then), ("word", word), ("op", sql.SQL(op))),
        description_uk=f"{first_uk} {word_uk} {then_uk}")


def all_rules(reg: Registry) -> tuple[Rule, ...]:
    """Return every rule of ``reg``: field formats, one-line texts, geometry validity, its own
    rules."""
    text = text_rule(reg)
    rules = (*field_rules(reg), *([text] if text else []), geometry_rule(), *reg.rules)
    ids = [r.id for r in rules]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ValueError(f"registry {reg.id}: rules declared twice: {twice}")
    return rules


def rule_titles(reg: Registry) -> dict[str, dict[str, str]]:
    """Return what each rule of ``reg`` checks, in Ukrainian and English, by rule id: the words
    every page and report names a rule by (a refusal's message is the rule's English sentence
    about one object; this is the rule itself).

    >>> from registries.catalog import default_catalog
    >>> rule_titles(default_catalog().get("land_parcels"))["geometry_valid"]["en"]
    'the geometry is valid (no self-intersections, rings closed)'
    """
    return {r.id: {"uk": r.description_uk, "en": r.description} for r in all_rules(reg)}


def label_sql(reg: Registry, alias: str) -> sql.Composable:
    """Return SQL naming object ``alias`` by its label (or ``#id``), as text.

    An import's new rows have no id yet (their staging numbers are negative): they are named
    "(new)", or "without <label field>" when the file gave no label, never "#-1" (the report
    names their row).
    """
    a = sql.Identifier(alias)
    if reg.label is None:
        return sql.SQL("(CASE WHEN {a}.id > 0 THEN '#' || {a}.id ELSE '(new)' END)").format(a=a)
    f = reg.field(reg.label)
    value = f.derived(alias, TODAY) if f.derived else sql.SQL("{}.{}").format(
        a, sql.Identifier(f.column))
    return sql.SQL("coalesce(({v})::text, CASE WHEN {a}.id > 0 THEN '#' || {a}.id "
                   "ELSE {without} END)").format(v=value, a=a,
                                                 without=sql.Literal(f"without {f.name}"))


def name_sql(reg: Registry, alias: str) -> sql.Composable:
    """Return SQL of "noun label" for object ``alias`` ("parcel 6810100000:01:001:0001")."""
    return sql.SQL("({} || ' ' || {})").format(sql.Literal(reg.object_noun),
                                               label_sql(reg, alias))


def violations_sql(reg: Registry, rule: Rule, rows: sql.Composable,
                   table: sql.Composable | None = None) -> sql.Composed:
    """Return the rule's SQL over ``rows`` (a relation): ``id``, ``message`` per broken object.

    ``table`` stands for the registry's live table where a rule compares with the other
    objects (overlaps); an import's dry run passes the registry as it would be after it.
    """
    try:
        return sql.SQL(rule.violations).format(
            rows=rows, table=table if table is not None else sql.Identifier(reg.schema, reg.table),
            name=name_sql(reg, "n"),
            label=label_sql(reg, "n"), other=label_sql(reg, "o"), today=TODAY,
            **{k: v if isinstance(v, sql.Composable) else sql.Literal(v)
               for k, v in rule.params})
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"registry {reg.id}, rule {rule.id}: bad SQL template: {exc}") from None


def rule_columns_changed(rule: Rule, new: str, old: str) -> sql.Composable:
    """Return SQL true when object ``new`` differs from ``old`` in the columns ``rule`` reads
    (``Rule.on``; any update when it names none): what makes an update check the rule again,
    in the triggers and in an import's checks alike. ``new`` and ``old`` are the query's own
    aliases (constants of the code, written as they are)."""
    if not rule.on:
        return sql.SQL("TRUE")
    cols = [sql.Identifier(c) for c in rule.on]
    return sql.SQL("({}) IS DISTINCT FROM ({})").format(
        sql.SQL(", ").join(sql.SQL("{}.{}").format(sql.SQL(new), c) for c in cols),
        sql.SQL(", ").join(sql.SQL("{}.{}").format(sql.SQL(old), c) for c in cols))


def _changed_rows(rule: Rule) -> sql.Composable:
    """Return the updated objects whose rule columns changed (transition tables)."""
    if not rule.on:
        return sql.SQL("new_rows")
    return sql.SQL("(SELECT n.* FROM new_rows AS n JOIN old_rows AS o ON o.id = n.id "
                   "WHERE {})").format(rule_columns_changed(rule, "n", "o"))


def _check(reg: Registry, rule: Rule, rows: sql.Composable) -> sql.Composed:
    detail = f"Rule {reg.id}.{rule.id} ({rule.severity.value}): {rule.description}"
    hint = (f"a legacy import (SET LOCAL {LEGACY_SETTING} = on) accepts it and lists it "
            "among the registry's problems" if rule.severity is Severity.LEGACY else None)
    return sql.SQL(
        "    SELECT v.id, v.message, count(*) OVER () AS n INTO hit\n"
        "    FROM ({violations}) AS v(id, message) ORDER BY v.id LIMIT 1;\n"
        "    IF FOUND THEN\n"
        "        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = {constraint},"
        " MESSAGE = hit.message, DETAIL = {detail} || CASE WHEN hit.n > 1 THEN"
        " format(' (%s objects in this write break it)', hit.n) ELSE '' END{hint};\n"
        "    END IF;\n").format(
        violations=violations_sql(reg, rule, rows), constraint=sql.Literal(rule.id),
        detail=sql.Literal(detail),
        hint=sql.SQL(", HINT = {}").format(sql.Literal(hint)) if hint else sql.SQL(""))


LOCK = """    BEGIN
        PERFORM set_config('lock_timeout', '10s', true);
        PERFORM pg_advisory_xact_lock(hashtext({key}));
        PERFORM set_config('lock_timeout', previous_timeout, true);
    EXCEPTION WHEN lock_not_available THEN
        RAISE EXCEPTION USING ERRCODE = 'lock_not_available', MESSAGE = {busy};
    END;
"""


def check_function_name(reg: Registry, operation: str) -> sql.Identifier:
    return sql.Identifier(reg.schema, f"rules_{reg.table}_{operation}")


def trigger_sql(reg: Registry) -> list[sql.Composed]:
    """Return the DDL of ``reg``'s rule checks: a function and a trigger per INSERT / UPDATE."""
    blocking = [r for r in all_rules(reg) if r.severity is not Severity.WARNING]
    serialise = any("{table}" in r.violations for r in blocking)
    out: list[sql.Composed] = []
    for operation in ("insert", "update"):
        def rows(rule: Rule, op: str = operation) -> sql.Composable:
            return sql.SQL("new_rows") if op == "insert" else _changed_rows(rule)

        errors = [_check(reg, r, rows(r)) for r in blocking if r.severity is Severity.ERROR]
        legacy = [_check(reg, r, rows(r)) for r in blocking if r.severity is Severity.LEGACY]
        body = sql.SQL(
            # JIT compiling costs more than these checks of a few rows ever take
            "CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql SET jit = off "
            # runs as its owner: a staff login needs no right beyond writing the table itself
            "SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$\n"
            "DECLARE\n"
            # the legacy leniency is the application's (ingest of old data); a staff login
            # setting gis.legacy_import from QGIS gets every rule (gis.db_logins)
            "    legacy boolean := coalesce(current_setting({setting}, true), '') = 'on' AND "
            "(session_user = current_user OR auth.login_user() IS NULL);\n"
            "    previous_timeout text := current_setting('lock_timeout');\n"
            "    hit record;\n"
            "BEGIN\n{lock}{errors}"
            "    IF NOT legacy THEN\n{legacy}    NULL;\n    END IF;\n"
            "    RETURN NULL;\nEND\n$fn$").format(
            fn=check_function_name(reg, operation), setting=sql.Literal(LEGACY_SETTING),
            # objects that must not collide are checked one writer at a time, so two
            # transactions cannot each insert one half of an overlap (READ COMMITTED); a
            # writer kept waiting by a long open transaction gets a clear error, not a hang
            lock=sql.SQL(LOCK).format(
                key=sql.Literal(f"rules:{reg.schema}.{reg.table}"),
                busy=sql.Literal(f"{reg.id} is being edited in another open transaction (e.g. "
                                 "a QGIS transaction group); retry when it is saved")
            ) if serialise else sql.SQL(""),
            errors=sql.SQL("").join(errors), legacy=sql.SQL("").join(legacy))
        transition = ("REFERENCING NEW TABLE AS new_rows" if operation == "insert"
                      else "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows")
        trigger = sql.SQL(
            "CREATE OR REPLACE TRIGGER {name} AFTER {op} ON {table} {transition} "
            "FOR EACH STATEMENT EXECUTE FUNCTION {fn}()").format(
            name=sql.Identifier(f"check_rules_{operation}"), op=sql.SQL(operation.upper()),
            table=sql.Identifier(reg.schema, reg.table), transition=sql.SQL(transition),
            fn=check_function_name(reg, operation))
        out += [body, trigger]
    return out


@dataclass(frozen=True)
class Problem:
    """One object breaking one rule."""

    collection: str
    rule: str
    severity: Severity
    id: int
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"collection": self.collection, "rule": self.rule,
                "severity": self.severity.value, "id": self.id, "message": self.message}


def problems_sql(reg: Registry, rules: tuple[Rule, ...] | None = None,
                 ids: list[int] | None = None) -> sql.Composed:
    """Return SQL of every (rule, severity, id, message) finding over ``reg``'s objects (or
    only ``ids``). Run it without parameters: messages are built with format('%s …')."""
    rows: sql.Composable = sql.Identifier(reg.schema, reg.table)
    if ids is not None:
        rows = sql.SQL("(SELECT * FROM {} WHERE id = ANY({}::bigint[]))").format(
            rows, sql.Literal([int(i) for i in ids]))
    parts = [sql.SQL("SELECT {}::text AS rule, {}::text AS severity, v.id, v.message "
                     "FROM ({}) AS v(id, message)").format(
                         sql.Literal(r.id), sql.Literal(r.severity.value),
                         violations_sql(reg, r, rows))
             for r in (rules if rules is not None else all_rules(reg))]
    return sql.SQL("SELECT * FROM ({}) AS p ORDER BY p.id, p.rule").format(
        sql.SQL(" UNION ALL ").join(parts))


def public_rules(reg: Registry) -> tuple[Rule, ...]:
    """Return the rules whose messages the public may read: none reads a personal column."""
    hidden = {f.column for f in reg.stored_fields if f.personal}
    return tuple(r for r in all_rules(reg) if not hidden & set(r.on))


def find_problems(conn: psycopg.Connection, reg: Registry, *, severity: Severity | None = None,
                  ids: list[int] | None = None, personal: bool = True) -> list[Problem]:
    """Return the findings of ``reg``'s rules over its objects (or only ``ids``); for the
    public (``personal=False``) only the rules that read no personal field."""
    rules = tuple(r for r in (all_rules(reg) if personal else public_rules(reg))
                  if severity is None or r.severity is severity)
    if not rules:
        return []
    rows = conn.execute(problems_sql(reg, rules, ids)).fetchall()
    return [Problem(reg.id, r[0], Severity(r[1]), int(r[2]), str(r[3])) for r in rows]


def support_sql() -> list[str]:
    """Return DDL of the SQL functions the generic rules use."""
    return ["""CREATE OR REPLACE FUNCTION registry.outside_community(g geometry) RETURNS float8
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN NOT EXISTS (SELECT 1 FROM registry.community_boundary) THEN 0
    WHEN EXISTS (SELECT 1 FROM registry.community_boundary b WHERE ST_Covers(b.geom, g))
      THEN 0
    ELSE (SELECT CASE ST_Dimension(g) WHEN 2 THEN ST_Area(ST_Difference(g, u))
                 WHEN 1 THEN ST_Length(ST_Difference(g, u)) ELSE ST_Distance(g, u) END
          FROM (SELECT ST_Union(geom) AS u FROM registry.community_boundary) AS s)
  END $$"""]


ENFORCED = {Severity.ERROR: "refused on every write path (database trigger)",
            Severity.LEGACY: "refused (database trigger); a legacy import loads it, reported",
            Severity.WARNING: "reported only (problems list)"}


def rules_markdown(registries: list[Registry]) -> str:
    """Return the Markdown table of every rule of ``registries`` (docs/rules.md)."""
    lines = ["| registry | rule | severity | enforced | what it checks |",
             "|---|---|---|---|---|"]
    for reg in registries:
        for r in all_rules(reg):
            text = r.description.replace("|", "\\|")
            lines.append(f"| `{reg.id}` | `{r.id}` | {r.severity.value} | "
                         f"{ENFORCED[r.severity]} | {text} |")
    return "\n".join(lines) + "\n"
