"""The checks of an import, run by PostGIS over the staging rows at once (``ingest.load``):
geometry, fields, uniqueness, personal-data guards and the registry's own rules against the
registry as it would be after the import. Each finding is a row of ``ingest_problem``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from gis.crs import NEAR_CITY_M
from ingest.crs import SourceCrs
from ingest.mapping import FieldMap
from ingest.report import CHECKS, ImportOptions, Problem, Report
from registries.model import FieldType, Registry, Rule, Severity
from registries.rules import all_rules, rule_columns_changed, rule_titles, violations_sql

# what a NaN or infinite coordinate is told, from the ``reason`` of ST_IsValidReason
# ("Invalid Coordinate[nan 1]"): read here and when such a geometry cannot be transformed
NOT_FINITE = ("format('a coordinate is not a finite number (%s); fix it in the source', "
              "substring({} FROM '\\[(.*)\\]'))")


def blocking_severities(legacy: bool) -> tuple[str, ...]:
    return ("error",) if legacy else ("error", "legacy")



class Checks:
    """The check stage of an import job (mixed into ``ingest.load._Job``)."""

    conn: psycopg.Connection
    reg: Registry
    opts: ImportOptions
    crs: SourceCrs
    report: Report
    fields: list[FieldMap]
    cut: list[FieldMap]  # text fields whose file column may cut a value (ingest.load)
    key: Any
    deferred: list[Rule]
    prepared: bool = False  # ingest_checked exists
    after: sql.Composable
    progress: Callable[[str, int, int], None]
    _new: Callable[[FieldMap], sql.Composable]
    _cut_kept: Callable[[FieldMap], sql.Composable]
    _differs: Callable[[], sql.Composable]

    def check(self) -> None:
        self._geometry_checks()
        self._field_checks()
        self._cut_values()
        self._rule_checks()
        self._collect()

    def _problem(self, query: sql.Composable, params: dict[str, Any] | None = None) -> None:
        self.conn.execute(sql.SQL(
            "INSERT INTO ingest_problem (row, field, rule, severity, message) {}").format(query),
            params)

    def _geometry_checks(self) -> None:
        reg = self.reg
        kind = reg.geometry.value
        # a NaN or infinite coordinate (a CSV's "nan", a number past 1e308) parses, but no
        # later step can use it, and PROJ refuses to move it into a message's lon/lat: set
        # such geometries aside first (only invalid rows pay for the reason)
        self._problem(sql.SQL(
            "SELECT _row, NULL, 'geometry_readable', 'error', format('row %s: the geometry "
            "cannot be read: %s', _row, {says}) FROM (SELECT _row, ST_IsValidReason(geom) AS "
            "reason FROM ingest_rows WHERE geom IS NOT NULL AND NOT _valid) AS i "
            "WHERE reason LIKE 'Invalid Coordinate%'").format(
            says=sql.SQL(NOT_FINITE.format("reason"))))
        self.conn.execute(
            "UPDATE ingest_rows AS r SET geom = NULL, _gtype = NULL FROM ingest_problem AS p "
            "WHERE p.row = r._row AND p.rule = 'geometry_readable' AND r.geom IS NOT NULL")
        self._problem(sql.SQL(
            "SELECT r._row, NULL, 'geometry_present', 'error', format('row %s: no geometry', "
            "r._row) FROM ingest_rows AS r JOIN ingest_stage AS s ON s._row = r._row "
            "WHERE s._wkb IS NULL AND NOT EXISTS (SELECT 1 FROM ingest_problem AS p "
            "WHERE p.row = r._row AND p.rule IN ('geometry_readable', 'geometry_transform'))"))
        self._problem(sql.SQL(
            "SELECT _row, NULL, 'geometry_type', 'error', format('row %s: the geometry is %s%s; "
            "{reg} holds {kind}', _row, initcap(_gtype), CASE WHEN _parts > 1 THEN format("
            "' of %s parts', _parts) ELSE '' END) FROM ingest_rows WHERE geom IS NULL AND "
            "_gtype IS NOT NULL").format(reg=sql.SQL(reg.id), kind=sql.SQL(kind)))
        if self.opts.repair:
            dim = {"Point": 1, "LineString": 2, "Polygon": 3}[kind.removeprefix("Multi")]
            cur = self.conn.execute(sql.SQL(
                "UPDATE ingest_rows SET geom = {fix} WHERE geom IS NOT NULL AND NOT "
                "_valid AND NOT ST_IsEmpty(ST_CollectionExtract(ST_MakeValid(geom), "
                "{dim}))").format(
                fix=_single_or_multi(reg, sql.SQL("ST_CollectionExtract(ST_MakeValid(geom), {})")
                                     .format(sql.Literal(dim))), dim=sql.Literal(dim)))
            self.report.repaired = cur.rowcount
            self.conn.execute("UPDATE ingest_rows SET _valid = ST_IsValid(geom) WHERE NOT _valid")
        self._problem(sql.SQL(
            "SELECT _row, NULL, 'geometry_valid', 'error', "
            "CASE WHEN ST_IsEmpty(geom) THEN format('row %s: the geometry is empty', _row) "
            "ELSE format('row %s: invalid geometry: %s%s; %s', _row, (d).reason, "
            "coalesce(' at ' || ST_AsText(ST_Transform(ST_SetSRID((d).location, ST_SRID(geom)), "
            "4326), 6), ''), {suggest}) END "
            "FROM ingest_rows, LATERAL (SELECT ST_IsValidDetail(geom) AS d) AS v "
            "WHERE geom IS NOT NULL AND (ST_IsEmpty(geom) OR NOT _valid)").format(
            suggest=_repair_suggestion(reg)))
        minx, miny, maxx, maxy = self.opts.extent
        m = NEAR_CITY_M
        self._problem(sql.SQL(
            "SELECT _row, NULL, 'geometry_near_city', 'error', format('row %s: the geometry "
            "lies %s km from the city''s area, at %s (lon/lat) — is the CRS right? (read as "
            "%s; --crs sets it)', _row, round((ST_Distance(geom, ST_MakeEnvelope({minx}, "
            "{miny}, {maxx}, {maxy}, {srid})) / 1000)::numeric), ST_AsText(ST_Transform("
            "ST_PointOnSurface(geom), 4326), 4), {crs}::text) FROM ingest_rows WHERE geom IS "
            "NOT NULL "
            "AND NOT ST_IsEmpty(geom) AND NOT geom && ST_MakeEnvelope({eminx}, {eminy}, "
            "{emaxx}, {emaxy}, {srid}) AND _valid").format(
            crs=sql.Literal(self.crs.label), minx=sql.Literal(minx),
            miny=sql.Literal(miny), maxx=sql.Literal(maxx), maxy=sql.Literal(maxy),
            eminx=sql.Literal(minx - m), eminy=sql.Literal(miny - m),
            emaxx=sql.Literal(maxx + m), emaxy=sql.Literal(maxy + m),
            srid=sql.Literal(self.opts.storage_srid)))
        row = self.conn.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT "
            "ST_Transform(ST_SetSRID(ST_Extent(geom)::geometry, %s), 4326) AS e "
            "FROM ingest_rows WHERE geom IS NOT NULL) AS x", (self.opts.storage_srid,)).fetchone()
        if row and row[0] is not None:
            self.report.extent_lonlat = [round(float(v), 6) for v in row]

    def _field_checks(self) -> None:
        reg, key = self.reg, self.key
        mapped = {m.field.name for m in self.fields}
        new_row = sql.SQL("TRUE") if self.opts.mode == "append" and not self.opts.keep_ids \
            else sql.SQL("r._key_id IS NULL")
        for f in reg.stored_fields:
            col = sql.Identifier(f.column)
            if f.required and f.name not in mapped:
                self._problem(sql.SQL(
                    "SELECT 0, {name}, 'required', 'error', format('required field {name_raw} is "
                    "not in the file (%s row(s) need it): map a column to it or set it in the "
                    "mapping', count(*)) FROM ingest_rows AS r WHERE {new} HAVING count(*) > 0"
                ).format(name=sql.Literal(f.name), name_raw=sql.SQL(f.name), new=new_row))
                continue
            if f.name not in mapped:
                continue
            if f.personal_if is not None:
                self._personal_guard(f.name, f.personal_if.field, mapped)
            if f.required:
                self._problem(sql.SQL(
                    "SELECT r._row, {name}, 'required', 'error', format('row %s: required field "
                    "{name_raw} is empty', r._row) FROM ingest_rows AS r WHERE r.{col} IS NULL "
                    "AND NOT EXISTS (SELECT 1 FROM ingest_problem AS p WHERE p.row = r._row AND "
                    "p.field = {name})").format(name=sql.Literal(f.name),
                                                 name_raw=sql.SQL(f.name), col=col))
            if f.choices:
                shown = ", ".join(f.choices) if len(f.choices) <= 15 else \
                    ", ".join(f.choices[:15]) + " …"
                self._problem(sql.SQL(
                    "SELECT r._row, {name}, 'code_list', 'error', format('row %s, field "
                    "{name_raw}: %L is not one of its codes or their titles (%s)', r._row, "
                    "r.{col}, {codes}::text) FROM ingest_rows AS r WHERE r.{col} IS NOT NULL "
                    "AND r.{col} <> ALL({list})").format(
                    name=sql.Literal(f.name), name_raw=sql.SQL(f.name), col=col,
                    codes=sql.Literal(shown), list=sql.Literal(list(f.choices))))
            if f.pattern and f.type is FieldType.TEXT:
                self._problem(sql.SQL(
                    "SELECT r._row, {name}, {rule}, 'error', format('row %s, field {name_raw}: %L "
                    "does not match the format %s', r._row, r.{col}, {shape}::text) FROM "
                    "ingest_rows AS r WHERE r.{col} !~ {pattern}").format(
                    name=sql.Literal(f.name), name_raw=sql.SQL(f.name), col=col,
                    rule=sql.Literal(f"{f.name}_format"), pattern=sql.Literal(f.pattern),
                    shape=sql.Literal(f.pattern_words())))
            if f.type is FieldType.REFERENCE:
                raw = sql.Identifier(f"_raw_{f.column}")
                self._problem(sql.SQL(
                    "SELECT r._row, {name}, 'reference', 'error', format('row %s, field "
                    "{name_raw}: no object %L in {target}', r._row, r.{raw}) FROM ingest_rows "
                    "AS r WHERE r.{raw} IS NOT NULL AND r.{col} IS NULL").format(
                    name=sql.Literal(f.name), name_raw=sql.SQL(f.name), raw=raw, col=col,
                    target=sql.SQL(f.references or "")))
            if f.unique or (key is not None and f.name == key.name):
                self._duplicates(f.name, col)
        if key is not None and self.opts.mode in ("upsert", "replace") and key.name in mapped:
            self._problem(sql.SQL(
                "SELECT r._row, {name}, 'key', 'error', format('row %s: no {name_raw}, which "
                "matches objects in --mode {mode}', r._row) FROM ingest_rows AS r "
                "WHERE r.{col} IS NULL AND NOT EXISTS (SELECT 1 FROM ingest_problem AS p "
                "WHERE p.row = r._row AND p.field = {name})").format(
                name=sql.Literal(key.name), name_raw=sql.SQL(key.name),
                col=sql.Identifier(key.column), mode=sql.SQL(self.opts.mode)))
        if self.opts.keep_ids:
            self._problem(sql.SQL(
                "SELECT r._row, 'id', 'id_taken', 'error', format('row %s: id %s is taken by "
                "another object of {reg} (--keep-ids in --mode append)', r._row, r._file_id) "
                "FROM ingest_rows AS r WHERE r._key_id IS NOT NULL AND {append}").format(
                reg=sql.SQL(self.reg.id), append=sql.Literal(self.opts.mode == "append")))
            self._problem(sql.SQL(
                "SELECT r._row, 'id', 'id_present', 'error', format('row %s: no id (--keep-ids)',"
                " r._row) FROM ingest_rows AS r WHERE r._file_id IS NULL AND NOT EXISTS ("
                "SELECT 1 FROM ingest_problem AS p WHERE p.row = r._row AND p.field = 'id')"))
            self._duplicates("id", sql.Identifier("_file_id"))

    def _cut_values(self) -> None:
        """Warn of each value that fills a column its format cuts (a DBF text: 254 bytes):
        the stored value it begins is kept (the file cut it); a new object's may be cut."""
        table = sql.Identifier(self.reg.schema, self.reg.table)
        updates = self.opts.mode != "append"
        for m in self.cut:
            name, col = m.field.name, sql.Identifier(m.field.column)
            full = sql.Identifier(f"_full_{m.field.column}")
            if updates:
                self._problem(sql.SQL(
                    "SELECT r._row, {name}, 'cut_by_format', 'warning', format('row %s, field "
                    "{name_raw} (column {column}): the value fills its column, near the 254 "
                    "bytes a Shapefile''s text holds, and begins the stored value, which is %s "
                    "characters longer: the file cut it, the stored value is kept', r._row, "
                    "length(t.{col}::text) - length(r.{col} {as_text})) "
                    "FROM ingest_rows AS r JOIN {table} AS t ON t.id = r._key_id WHERE {kept}"
                ).format(name=sql.Literal(name), name_raw=sql.SQL(name), col=col, table=table,
                         column=sql.SQL(m.column or ""), kept=self._cut_kept(m),
                         as_text=sql.SQL("#>> '{}'" if m.field.type is FieldType.JSON else "")))
            self._problem(sql.SQL(
                "SELECT r._row, {name}, 'cut_by_format', 'warning', format('row %s, field "
                "{name_raw} (column {column}): the value fills its column, near the 254 bytes a "
                "Shapefile''s text holds: it may have been cut', r._row) "
                "FROM ingest_rows AS r WHERE r.{full} AND {new}").format(
                name=sql.Literal(name), name_raw=sql.SQL(name), full=full,
                column=sql.SQL(m.column or ""),
                new=sql.SQL("r._key_id IS NULL") if updates else sql.SQL("TRUE")))

    def _personal_guard(self, name: str, kind: str, mapped: set[str]) -> None:
        """Refuse a value the public would see because the file does not say whose it is: a
        holder's name is masked for natural persons only when the holder's kind is known."""
        if kind not in mapped:
            self._problem(sql.SQL(
                "SELECT 0, {name}, 'personal_data', 'error', format('field {name_raw} is "
                "imported but {kind} is not: without it a natural person''s name would be "
                "public; map a column to {kind} or set it in the mapping (%s row(s))', count(*))"
                " FROM ingest_rows WHERE {col} IS NOT NULL HAVING count(*) > 0").format(
                name=sql.Literal(name), name_raw=sql.SQL(name), kind=sql.SQL(kind),
                col=sql.Identifier(name)))
            return
        self._problem(sql.SQL(
            "SELECT _row, {name}, 'personal_data', 'error', format('row %s: {name_raw} is given "
            "but {kind} is empty (a natural person''s name would be public)', _row) FROM "
            "ingest_rows WHERE {col} IS NOT NULL AND {kind_col} IS NULL").format(
            name=sql.Literal(name), name_raw=sql.SQL(name), kind=sql.SQL(kind),
            col=sql.Identifier(name), kind_col=sql.Identifier(kind)))

    def _duplicates(self, name: str, col: sql.Identifier) -> None:
        """Report a unique value that repeats in the file or belongs to another object."""
        self._problem(sql.SQL(
            "SELECT r._row, {name}, 'unique', 'error', format('row %s: {name_raw} %s is also on "
            "row(s) %s of the file', r._row, r.{col}, d.others) FROM ingest_rows AS r JOIN ("
            # the rows of each repeated value listed (sorted) only for the values that repeat
            "SELECT {col} AS v, string_agg(_row::text, ', ' ORDER BY _row) AS others FROM "
            "ingest_rows WHERE {col} IN (SELECT {col} FROM ingest_rows WHERE {col} IS NOT NULL "
            "GROUP BY 1 HAVING count(*) > 1) GROUP BY 1) AS d ON d.v = r.{col}").format(
            name=sql.Literal(name), name_raw=sql.SQL(name), col=col))
        if name == "id" or self.reg.import_key is not None and \
                self.reg.import_key.name == name and self.opts.mode != "append":
            return  # the key itself matches its own object
        f = self.reg.field(name)
        if not f.unique:
            return
        # a row that updates its object may keep that object's value; in --mode append every
        # row is a new object (its key matching one already there is no update: a taken value)
        other = sql.SQL("TRUE") if self.opts.mode == "append" and not self.opts.keep_ids \
            else sql.SQL("t.id IS DISTINCT FROM r._key_id")
        self._problem(sql.SQL(
            "SELECT r._row, {name}, 'unique', 'error', format('row %s: {name_raw} %s belongs to "
            "%s #%s already in {reg}', r._row, r.{col}, {noun}::text, t.id) FROM ingest_rows "
            "AS r "
            "JOIN {table} AS t ON t.{col} = r.{col} AND {other} "
            "WHERE NOT ({replace} AND NOT EXISTS (SELECT 1 FROM ingest_rows AS k "
            "WHERE k._key_id = t.id))").format(
            name=sql.Literal(name), name_raw=sql.SQL(name), col=col, other=other,
            noun=sql.Literal(self.reg.object_noun), reg=sql.SQL(self.reg.id),
            table=sql.Identifier(self.reg.schema, self.reg.table),
            replace=sql.Literal(self.opts.mode == "replace" and self.key is not None)))

    def _rule_checks(self) -> None:
        """Run the registry's rules over the rows with a usable geometry, against the
        registry as it would be after the import.

        An import that stops at the first refused row (``on_error="abort"``) leaves to the
        database's triggers the rules they check anyway on the write (errors, and legacy
        ones outside a legacy import): each rule then runs once on the way that succeeds;
        when a trigger refuses, those rules run here too, to name every row (``write``).
        """
        reg = self.reg
        patterned = {f"{f.name}_format" for f in reg.stored_fields if f.pattern}
        rules = [r for r in all_rules(reg)
                 if r.id != "geometry_valid" and r.id not in patterned]
        if not self.opts.dry_run and self.opts.on_error == "abort":
            enforced = {Severity.ERROR} | (set() if self.opts.legacy else {Severity.LEGACY})
            self.deferred = [r for r in rules if r.severity in enforced]
            rules = [r for r in rules if r.severity not in enforced]
        if rules:  # else the rows for them are prepared only if a trigger refuses (write)
            self._run_rules(rules)

    def _prepare_rule_rows(self) -> None:
        """Create ``ingest_checked`` (the rows the rules see) and ``self.after`` (the registry
        as it would be after the import), once."""
        if self.prepared:
            return
        self.prepared = True
        reg = self.reg
        stored = reg.stored_fields
        mapped = {m.field.name for m in self.fields}

        by_name = {m.field.name: m for m in self.fields}

        def value(f_name: str, column: str) -> sql.Composable:
            if f_name in mapped:
                return self._new(by_name[f_name])
            return sql.SQL("t.{}").format(sql.Identifier(column))  # kept by an update

        table = sql.Identifier(reg.schema, reg.table)
        rows_cols = sql.SQL(", ").join(
            [sql.SQL("coalesce(r._key_id, -r._row) AS id"),
             *(sql.SQL("{} AS {}").format(value(f.name, f.column), sql.Identifier(f.column))
               for f in stored), sql.SQL("r.geom")])
        self.conn.execute(sql.SQL(
            "CREATE TEMP TABLE ingest_checked ON COMMIT DROP AS SELECT {cols} FROM ingest_rows "
            "AS r LEFT JOIN {table} AS t ON t.id = r._key_id WHERE r.geom IS NOT NULL AND NOT "
            "ST_IsEmpty(r.geom) AND r._valid AND NOT EXISTS (SELECT 1 FROM "
            "ingest_problem AS p WHERE p.row = r._row AND p.rule LIKE 'geometry%%')").format(
            cols=rows_cols, table=table))
        self.conn.execute("CREATE INDEX ON ingest_checked USING gist (geom)")
        self.conn.execute("CREATE INDEX ON ingest_checked (id)")
        self.conn.execute("ANALYZE ingest_checked")
        live_cols = sql.SQL(", ").join(
            [sql.SQL("t.id"), *(sql.SQL("t.{}").format(sql.Identifier(f.column)) for f in stored),
             sql.SQL("t.geom")])
        kept = sql.SQL("TRUE")
        if self.opts.mode == "replace":
            kept = sql.SQL("FALSE") if self.key is None and not self.opts.keep_ids else sql.SQL(
                "EXISTS (SELECT 1 FROM ingest_rows AS k WHERE k._key_id = t.id)")
        after = sql.SQL(
            "(SELECT {live} FROM {table} AS t WHERE {kept} AND NOT EXISTS (SELECT 1 FROM "
            "ingest_checked AS c WHERE c.id = t.id) UNION ALL SELECT * FROM ingest_checked)"
        ).format(live=live_cols, table=table, kept=kept)
        self.after = after

    def _run_rules(self, rules: list[Rule]) -> None:
        self._prepare_rule_rows()
        rows = sql.Identifier("ingest_checked")
        for i, rule in enumerate(rules, 1):
            self.progress("rules", i, len(rules))
            started = time.monotonic()
            rechecked = self._rechecked(rule)
            self._problem(sql.SQL(
                "SELECT r._row, NULL, {rule}, CASE WHEN {rechecked} THEN {severity} ELSE "
                "'warning' END, format('row %s: %s%s', r._row, v.message, CASE WHEN {rechecked} "
                "THEN '' ELSE {as_is} END) FROM ({v}) AS v(id, message) "
                "JOIN ingest_rows AS r ON coalesce(r._key_id, -r._row) = v.id "
                "LEFT JOIN ingest_checked AS c ON c.id = v.id "
                "LEFT JOIN {table} AS t ON t.id = r._key_id").format(
                rule=sql.Literal(rule.id), severity=sql.Literal(rule.severity.value),
                v=violations_sql(self.reg, rule, rows, table=self.after), rechecked=rechecked,
                as_is=sql.Literal(" (so in the registry already: the file does not change "
                                  "what the rule checks)"),
                table=sql.Identifier(self.reg.schema, self.reg.table)))
            self.report.timings[f"rule {rule.id}"] = round(time.monotonic() - started, 3)

    def _rechecked(self, rule: Rule) -> sql.Composable:
        """Return whether the write checks ``rule`` on row ``r`` (its values after the import
        ``c``, the stored object ``t``), as the database's triggers do: on every new object,
        and on an updated one whose columns the rule reads (``Rule.on``) change. A stored
        object the file leaves as it is keeps its known problems (a warning), as an edit of
        another of its fields in the editor or QGIS would."""
        if self.opts.mode == "append":
            return sql.SQL("TRUE")
        return sql.SQL("(t.id IS NULL OR {differs} AND {changed})").format(
            differs=self._differs(), changed=rule_columns_changed(rule, "c", "t"))

    def _collect(self) -> None:
        blocking = list(blocking_severities(self.opts.legacy))
        counts = self.conn.execute(
            "SELECT rule, count(*) FROM ingest_problem GROUP BY rule ORDER BY 2 DESC").fetchall()
        self.report.problem_counts = {r: int(n) for r, n in counts}
        rules = rule_titles(self.reg)
        self.report.rule_titles = {r: rules.get(r) or CHECKS[r] for r, _ in counts
                                   if r in rules or r in CHECKS}
        listed = self.conn.execute(
            "SELECT row, field, rule, severity, message FROM ingest_problem "
            "ORDER BY severity = 'warning', row, rule LIMIT %s", (self.opts.max_listed,)).fetchall()
        self.report.problems = [Problem(int(r[0]), r[1], r[2], r[3], r[4]) for r in listed]
        # a problem of the file as a whole (row 0, e.g. a required field it lacks) blocks all
        self.conn.execute("DROP TABLE IF EXISTS ingest_blocked")
        self.conn.execute(
            "CREATE TEMP TABLE ingest_blocked ON COMMIT DROP AS SELECT x.row, string_agg("
            "x.message, '; ' ORDER BY x.rule) AS reason FROM (SELECT p.row, p.rule, p.message "
            "FROM ingest_problem AS p WHERE p.row > 0 AND p.severity = ANY(%(b)s) UNION ALL "
            "SELECT r._row, p.rule, p.message FROM ingest_problem AS p CROSS JOIN ingest_rows AS "
            "r WHERE p.row = 0 AND p.severity = ANY(%(b)s)) AS x GROUP BY x.row", {"b": blocking})
        self.conn.execute("CREATE INDEX ON ingest_blocked (row)")
        n = self.conn.execute("SELECT count(*) FROM ingest_blocked").fetchone()
        self.report.blocking = int(n[0]) if n else 0
        if self.report.blocking and self.opts.on_error == "skip":
            self.report.rejected_rows = {int(r): str(m) for r, m in self.conn.execute(
                "SELECT row, reason FROM ingest_blocked ORDER BY row")}
            self.report.rejected = len(self.report.rejected_rows)


def _single_or_multi(reg: Registry, g: sql.Composable) -> sql.Composable:
    if reg.geometry.value.startswith("Multi"):
        return sql.SQL("ST_Multi({})").format(g)
    return sql.SQL("CASE WHEN ST_NumGeometries({g}) = 1 THEN ST_GeometryN({g}, 1) "
                   "ELSE geom END").format(g=g)


def _repair_suggestion(reg: Registry) -> sql.Composable:
    """Return SQL describing what ST_MakeValid would make of ``geom`` (the repair offered)."""
    dim = {"Point": 1, "LineString": 2, "Polygon": 3}[reg.geometry.value.removeprefix("Multi")]
    if dim != 3:
        return sql.Literal("repair it in the source, or --repair applies ST_MakeValid")
    return sql.SQL(
        "(SELECT CASE WHEN ST_IsEmpty(f) THEN 'nothing of it would remain after ST_MakeValid: "
        "fix it in the source' ELSE format('ST_MakeValid would make %s part(s) of %s m² (now "
        "%s m²): --repair applies it', ST_NumGeometries(f), round(ST_Area(f)::numeric, 1), "
        "round(ST_Area(geom)::numeric, 1)) END FROM (SELECT ST_CollectionExtract("
        "ST_MakeValid(geom), 3) AS f) AS m)")
