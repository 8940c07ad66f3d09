"""An import: stream a file into a staging table, validate it in PostGIS, then one set-based
write — or, in a dry run, only the report.

1. The file streams (``ingest.readers``) through the field mapping into a temporary staging
   table by COPY; values are converted on the way (a value that cannot be converted is a
   problem of its row and field).
2. PostGIS normalises the geometries (a closed line → polygon where the registry holds
   polygons, single ↔ multi, the storage CRS) and checks every row at once: geometry type,
   validity (with the repair ST_MakeValid would make), distance from the city, required
   fields, code lists, formats, duplicates of unique fields, references, and every rule of
   the registry (``registries.rules``) against the registry as it would be after the import.
3. Unless it is a dry run: with no blocking problem (or ``on_error="skip"``: without the rows
   that have one) the registry is written by one DELETE, one UPDATE and one INSERT … SELECT,
   in the same transaction: all or nothing. The database's own triggers check the rules once
   more, write history (author ``gis.user``, source ``gis.source`` = the file) and tell the tile
   cache which tiles changed. A killed import leaves the registry as it was.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import psycopg
from psycopg import errors as pgerrors
from psycopg import sql

from gis.errors import InvalidFile, InvalidParameter, RuleViolation
from ingest.checks import NOT_FINITE, Checks
from ingest.crs import SourceCrs
from ingest.mapping import FieldMap, Mapping, ValueProblem, column_converter, convert
from ingest.readers import DBF_TEXT_BYTES, Batch, Source
from ingest.report import MODES, ON_ERROR, ImportOptions, Problem, Report
from registries.model import Field, FieldType, Registry, Rule
from registries.publication import note_changes
from registries.rules import LEGACY_SETTING, label_sql

if TYPE_CHECKING:
    from registries.catalog import Catalog

__all__ = ["MODES", "ON_ERROR", "ImportOptions", "Problem", "Report", "run_import"]
# a geometry within 5 mm of the stored one is unchanged: half the 0.01 m coordinate catalogues
# show, and more than a GeoJSON export (8 decimals of a degree, ≈1 mm) moves a vertex
GEOMETRY_TOLERANCE_M = 0.005
SQL_TYPES = {FieldType.TEXT: "text", FieldType.INTEGER: "integer", FieldType.DATE: "date",
             FieldType.BOOLEAN: "boolean", FieldType.JSON: "jsonb",
             FieldType.REFERENCE: "text"}  # resolved to ids in SQL
Progress = Callable[[str, int, int], None]


# the staging tables of a city-sized file (tens of MB) stay in the session's own buffers
# instead of going back and forth through the kernel on each of the dozen passes over them
TEMP_BUFFERS = "256MB"
# the write's transition tables (the rows the triggers check, ~0.6 kB each) stay in memory
# for the dozen rule queries that read them, instead of a temporary file
WORK_MEM = "64MB"


def _session_buffers(conn: psycopg.Connection) -> None:
    """Raise the session's temp_buffers, which PostgreSQL allows only before it has used a
    temporary table (a session that has keeps what it has: only slower)."""
    try:
        with conn.transaction():
            used = conn.execute("SELECT current_setting('temp_buffers')").fetchone()
            if used and used[0] != TEMP_BUFFERS:
                conn.execute(sql.SQL("SET temp_buffers = {}").format(sql.Literal(TEMP_BUFFERS)))
    except psycopg.errors.InvalidParameterValue:
        pass


class _DryRun(Exception):
    """Raised inside the import's transaction to roll a dry run back."""


def run_import(conn: psycopg.Connection, reg: Registry, source: Source, mapping: Mapping,
               crs: SourceCrs, opts: ImportOptions,
               progress: Progress | None = None) -> Report:
    """Import ``source`` into ``reg`` as ``opts`` say; return the report.

    The connection's transaction holds the whole import: the caller commits (or a dry run
    has already rolled back). A refused import writes nothing and reports why.
    """
    started = time.monotonic()
    report = Report(file=source.display, format=source.format, registry=reg.id,
                    mode=opts.mode, dry_run=opts.dry_run, layer=source.layer,
                    encoding=source.encoding, crs=crs.label, mapping=mapping.as_dict(),
                    ignored_columns=mapping.ignored,
                    missing_fields=[f.name for f in mapping.missing], notes=list(source.notes))
    key = reg.import_key
    if opts.mode == "upsert" and key is None and not opts.keep_ids:
        raise InvalidParameter(f"--mode upsert needs a key; {reg.id} declares none (e.g. a "
                               "unique number); use append or replace, or --keep-ids")
    if opts.mode == "upsert" and key is not None and not opts.keep_ids and \
            not any(m.field.name == key.name for m in mapping.fields):
        raise InvalidParameter(f"--mode upsert matches objects by {key.name}, which the file "
                               "does not fill (see the mapping)")
    job = _Job(conn, reg, source, mapping, crs, opts, report, progress or (lambda *a: None))
    _session_buffers(conn)
    try:
        with conn.transaction():
            job.run()
            if opts.dry_run or report.refused:
                raise _DryRun
    except _DryRun:
        pass
    report.seconds = time.monotonic() - started
    return report


class _Job(Checks):
    def __init__(self, conn: psycopg.Connection, reg: Registry, source: Source,
                 mapping: Mapping, crs: SourceCrs, opts: ImportOptions, report: Report,
                 progress: Progress) -> None:
        self.conn, self.reg, self.source, self.mapping = conn, reg, source, mapping
        self.crs, self.opts, self.report, self.progress = crs, opts, report, progress
        self.fields = [m for m in mapping.fields]
        # text fields read from columns the format cuts at its most bytes (a DBF's 254): a
        # value that fills the column and begins the stored one does not replace it
        self.cut = [m for m in self.fields if m.column is not None and m.field.type in (
            FieldType.TEXT, FieldType.JSON) and source.text_widths.get(m.column, 0) >=
            DBF_TEXT_BYTES - 3]  # GDAL sizes a column to its longest value, cut or not
        self.key = reg.import_key if not opts.keep_ids else None
        self.python_problems: list[tuple[int, str | None, str, str, str]] = []
        self.deferred: list[Rule] = []  # rules the write's triggers check (see _rule_checks)
        self.after: sql.Composable = sql.SQL("")

    # -- 1. stage ------------------------------------------------------------------------
    def run(self) -> None:
        c = self.conn
        c.execute("SELECT set_config('gis.user', %s, true), set_config('gis.source', %s, true)",
                  (self.opts.user, f"ingest {self.opts.source_name or self.source.display}"))
        # the queue of the registry's holder shows the import as one batch, named by its file
        note_changes(c, f"import of {self.opts.source_name or self.source.display}")
        if self.opts.legacy:
            c.execute("SELECT set_config(%s, 'on', true)", (LEGACY_SETTING,))
        c.execute("SET LOCAL jit = off")  # compiling costs more than these one-pass queries
        c.execute(sql.SQL("SET LOCAL work_mem = {}").format(sql.Literal(WORK_MEM)))
        steps = [("read", self.stage), ("normalise", self.build_rows), ("check", self.check),
                 ("plan", self.plan), ("write", self.write)]
        for name, step in steps:
            if name == "write" and (self.opts.dry_run or self.report.refused):
                break
            started = time.monotonic()
            step()
            self.report.timings[name] = round(time.monotonic() - started, 3)

    def stage(self) -> None:
        cols: list[sql.Composable] = [
            sql.SQL("{} {}").format(sql.Identifier(m.field.column), sql.SQL(self._sql_type(m)))
            for m in self.fields]
        if self.opts.keep_ids:
            cols.append(sql.SQL("_file_id bigint"))
        self.conn.execute(sql.SQL(
            "CREATE TEMP TABLE ingest_stage (_row integer, _wkb bytea{}{}) ON COMMIT DROP"
        ).format(sql.SQL(", ") if cols else sql.SQL(""), sql.SQL(", ").join(cols)))
        self.conn.execute("CREATE TEMP TABLE ingest_problem (row integer, field text, rule text,"
                          " severity text, message text) ON COMMIT DROP")
        names = [sql.Identifier(m.field.column) for m in self.fields]
        if self.opts.keep_ids:
            names.append(sql.Identifier("_file_id"))
        copy_sql = sql.SQL("COPY ingest_stage (_row, _wkb{}{}) FROM STDIN").format(
            sql.SQL(", ") if names else sql.SQL(""), sql.SQL(", ").join(names))
        total = self.source.count() or 0
        types: Counter[str] = Counter()
        constants = {m.field.name: self._constant(m) for m in self.fields if m.column is None}
        converters = {m.field.name: column_converter(m.field, m.values) for m in self.fields
                      if m.column is not None}
        id_col = None
        if self.opts.keep_ids:
            from ingest.mapping import id_column

            id_col = id_column(self.source.fields)
        rows = 0
        with self.conn.cursor().copy(copy_sql) as copy:
            for batch in self.source.batches():
                for row in self._batch_rows(batch, constants, converters, id_col, types):
                    copy.write_row(row)
                rows += len(batch.rows)
                self.progress("read", rows, total)
        self.progress("read", rows, max(total, rows))
        self.report.rows = rows
        self.report.geometry_types = dict(types)
        if rows == 0:
            raise InvalidFile(f"{self.source.display}: no features to import"
                              + (f" in layer {self.source.layer}" if self.source.layer else ""),
                              file=self.source.display)
        if self.python_problems:
            with self.conn.cursor().copy("COPY ingest_problem FROM STDIN") as copy:
                for p in self.python_problems:
                    copy.write_row(p)

    def _batch_rows(self, batch: Batch, constants: dict[str, Any],
                    converters: dict[str, Any], id_col: str | None,
                    types: Counter[str]) -> Iterator[tuple[Any, ...]]:
        """Yield the staging rows of a batch: row, WKB, the fields' values (, file id)."""
        n = len(batch.rows)
        geometries = batch.geometries
        if self.crs.transformer is not None:
            geometries = [self._transform(r, g) if g is not None else None
                          for r, g in zip(batch.rows, geometries, strict=True)]
        # the type is in the first five bytes: count those, name each distinct header once
        for header, count in Counter(g[:5] for g in geometries if g is not None).items():
            types[_wkb_type(header)] += count
        for row, extra in batch.extras.items():
            if "__geometry_error__" in extra:
                self.python_problems.append((row, None, "geometry_readable", "error",
                                             f"row {row}: the geometry cannot be read: "
                                             f"{extra['__geometry_error__']}"))
            for problem in extra.get("__problems__", ()):  # what the reader found wrong
                name, message, *severity = problem
                self.python_problems.append((row, name, "source",
                                             severity[0] if severity else "error",
                                             f"row {row}: {message}"))
        columns: list[list[Any]] = []
        for m in self.fields:
            if m.column is None:
                columns.append([constants[m.field.name]] * n)
                continue
            values, problems = converters[m.field.name](batch.columns.get(m.column, [None] * n))
            columns.append(values)
            for i, reason in problems:
                row = batch.rows[i]
                self.python_problems.append((row, m.field.name, "value_type", "error",
                                             f"row {row}, field {m.field.name} (column "
                                             f"{m.column}): {reason}"))
        if id_col is not None:
            ids: list[int | None] = []
            for i, raw in enumerate(batch.columns.get(id_col, [None] * n)):
                try:
                    ids.append(file_id(raw))
                except ValueProblem as exc:
                    ids.append(None)
                    self.python_problems.append((batch.rows[i], "id", "value_type", "error",
                                                 f"row {batch.rows[i]}: {exc}"))
            columns.append(ids)
        return zip(batch.rows, geometries, *columns, strict=True)

    def _sql_type(self, m: FieldMap) -> str:
        f = m.field
        if f.type is FieldType.NUMBER:
            return f"numeric(14, {f.scale if f.scale is not None else 2})"
        return SQL_TYPES[f.type]

    def _constant(self, m: FieldMap) -> Any:
        try:
            return convert(m.field, m.constant)
        except ValueProblem as exc:
            raise InvalidParameter(f"the mapping sets {m.field.name} to {m.constant!r}: {exc}") \
                from None

    def _transform(self, row: int, wkb: bytes) -> bytes | None:
        import shapely

        transformer = self.crs.transformer
        assert transformer is not None
        try:
            geom = shapely.from_wkb(wkb)
            moved = shapely.transform(geom, lambda xy: _apply(transformer, xy))
            return bytes(shapely.to_wkb(moved))
        except Exception as exc:
            self.python_problems.append((row, None, "geometry_transform", "error",
                                         f"row {row}: coordinates cannot be moved from "
                                         f"{self.crs.label}: {exc}"))
            return None

    # -- 2. rows in the storage CRS ----------------------------------------------------------
    def build_rows(self) -> None:
        reg, srid = self.reg, self.opts.storage_srid
        src = self.crs.srid if self.crs.srid is not None else srid
        declared = reg.geometry.value.upper()
        single = declared.removeprefix("MULTI")
        multi = "MULTI" + single
        polygonal = single == "POLYGON"
        g0 = sql.SQL("ST_Force2D(ST_GeomFromWKB(s._wkb, {}))").format(sql.Literal(src))
        closed = sql.SQL(
            "CASE WHEN {poly} AND GeometryType(a.g0) = 'LINESTRING' AND ST_IsClosed(a.g0) AND "
            "ST_NPoints(a.g0) >= 4 THEN ST_MakePolygon(a.g0) ELSE a.g0 END").format(
            poly=sql.Literal(polygonal))
        moved = sql.SQL("b.g1") if src == srid else sql.SQL("ST_Transform(b.g1, {})").format(
            sql.Literal(srid))
        fit = sql.SQL(
            "CASE WHEN c.g2 IS NULL THEN NULL "
            "WHEN GeometryType(c.g2) = {single} THEN {as_single} "
            "WHEN GeometryType(c.g2) = {multi} THEN {as_multi} END").format(
            single=sql.Literal(single), multi=sql.Literal(multi),
            as_single=sql.SQL("ST_Multi(c.g2)") if declared == multi else sql.SQL("c.g2"),
            as_multi=sql.SQL("c.g2") if declared == multi else sql.SQL(
                "CASE WHEN ST_NumGeometries(c.g2) = 1 THEN ST_GeometryN(c.g2, 1) END"))
        cols = [self._typed(m) for m in self.fields]
        cols += [self._fills_column(m) for m in self.cut]
        key_id: sql.Composable = sql.SQL("NULL::bigint")
        if self.opts.keep_ids:
            key_id = sql.SQL("(SELECT t.id FROM {} AS t WHERE t.id = s._file_id)").format(
                sql.Identifier(reg.schema, reg.table))
        elif self.key is not None and any(m.field.name == self.key.name for m in self.fields):
            key_id = sql.SQL("(SELECT min(t.id) FROM {} AS t WHERE t.{k} = s.{k})").format(
                sql.Identifier(reg.schema, reg.table), k=sql.Identifier(self.key.column))
        extra = sql.SQL(", s._file_id") if self.opts.keep_ids else sql.SQL("")
        query = sql.SQL(
            # _valid: OGC validity, computed once here for every later step (the check lists
            # the reason of the invalid ones; distance and rules take only the valid ones)
            "CREATE TEMP TABLE ingest_rows ON COMMIT DROP AS SELECT s._row, {key_id} AS "
            "_key_id, GeometryType(c.g2) AS _gtype, ST_NumGeometries(c.g2) AS _parts, "
            "d.geom, ST_IsValid(d.geom) AS _valid{comma}{cols}{extra} FROM ingest_stage AS s "
            "CROSS JOIN LATERAL (SELECT {g0} AS g0) AS a "
            "CROSS JOIN LATERAL (SELECT {closed} AS g1) AS b "
            "CROSS JOIN LATERAL (SELECT {moved} AS g2) AS c "
            "CROSS JOIN LATERAL (SELECT {fit} AS geom OFFSET 0) AS d").format(
            key_id=key_id, fit=fit, comma=sql.SQL(", ") if cols else sql.SQL(""),
            cols=sql.SQL(", ").join(cols), extra=extra, g0=g0, closed=closed, moved=moved)
        try:
            with self.conn.transaction():
                self.conn.execute(query)
            return self._indexes()
        except psycopg.errors.InternalError:
            pass  # a geometry PostGIS cannot parse (a ring of 3 points …): find it, go on
        self._unreadable_geometries(src, srid)
        try:
            self.conn.execute(query)
        except psycopg.errors.InternalError:  # PROJ: a point outside the CRS's domain
            raise InvalidFile(f"{self.source.display}: coordinates cannot be moved from "
                              f"{self.crs.label} to EPSG:{srid}: they lie outside what "
                              f"{self.crs.label} describes; is --crs right?",
                              file=self.source.display) from None
        self._indexes()

    def _unreadable_geometries(self, src: int, srid: int) -> None:
        """Set aside (as row problems) the geometries PostGIS refuses to parse or PROJ to
        transform (a coordinate of 1e300, a point outside the CRS's domain); one
        subtransaction per row, so only a file that has one pays for it."""
        self.conn.execute(
            "CREATE FUNCTION pg_temp.ingest_wkb_problem(w bytea, src int, dst int) RETURNS "
            "text LANGUAGE plpgsql AS $$ DECLARE g geometry; BEGIN g := ST_GeomFromWKB(w); "
            "BEGIN IF src <> dst THEN PERFORM ST_Transform(ST_Force2D(ST_SetSRID(g, src)), dst);"
            " END IF; EXCEPTION WHEN OTHERS THEN IF ST_IsValidReason(g) LIKE 'Invalid Coordinate%' "
            "THEN RETURN " + NOT_FINITE.format("ST_IsValidReason(g)") + "; END IF; "
            "RETURN format('transform x %s…%s, y %s…%s', "
            "ST_XMin(g), ST_XMax(g), ST_YMin(g), ST_YMax(g)); END; RETURN NULL; "
            "EXCEPTION WHEN OTHERS THEN RETURN SQLERRM; END $$")
        self.conn.execute(
            "CREATE TEMP TABLE ingest_bad_wkb ON COMMIT DROP AS SELECT _row, "
            "pg_temp.ingest_wkb_problem(_wkb, %s, %s) AS reason FROM ingest_stage "
            "WHERE _wkb IS NOT NULL", (src, srid))
        self._problem(sql.SQL(
            "SELECT _row, NULL, 'geometry_readable', 'error', format('row %s: the geometry "
            "cannot be read: %s', _row, reason) FROM ingest_bad_wkb WHERE reason IS NOT NULL "
            "AND reason NOT LIKE 'transform %'"))
        self._problem(sql.SQL(
            # PROJ says only "Invalid coordinate (2049)": the row's extent says where
            "SELECT _row, NULL, 'geometry_transform', 'error', format('row %s: the "
            "coordinates (%s) cannot be moved from %s to EPSG:%s: they lie outside what %s "
            "describes; is the CRS right?', _row, substr(reason, 11), {label}, {srid}, {label})"
            " FROM ingest_bad_wkb "
            "WHERE reason LIKE 'transform %'").format(
            label=sql.Literal(self.crs.label), srid=sql.Literal(srid)))
        self.conn.execute("UPDATE ingest_stage AS s SET _wkb = NULL FROM ingest_bad_wkb AS b "
                          "WHERE b._row = s._row AND b.reason IS NOT NULL")

    def _indexes(self) -> None:
        # no spatial index: nothing joins ingest_rows by location (the rules run over
        # ingest_checked, which has one)
        self.conn.execute("CREATE INDEX ON ingest_rows (_row)")
        if self.key is not None and any(m.field.name == self.key.name for m in self.fields):
            self.conn.execute(sql.SQL("CREATE INDEX ON ingest_rows ({})").format(
                sql.Identifier(self.key.column)))
        self.conn.execute("ANALYZE ingest_rows")

    def _masked(self, m: FieldMap) -> bool:
        """Return True for a field a public export masks («фізична особа») whose kind the
        file carries: a masked value is not a name and never overwrites the stored one."""
        pi = m.field.personal_if
        return pi is not None and any(x.field.name == pi.field for x in self.fields)

    def _new(self, m: FieldMap) -> sql.Composable:
        """Return the value an update writes: the file's, or the stored one for a mask."""
        col = sql.Identifier(m.field.column)
        value: sql.Composable = sql.SQL("r.{}").format(col)
        if self._masked(m):
            value = sql.SQL("CASE WHEN r.{} THEN t.{} ELSE r.{} END").format(
                sql.Identifier(f"_masked_{m.field.column}"), col, col)
        if m in self.cut:
            value = sql.SQL("CASE WHEN {} THEN t.{} ELSE {} END").format(
                self._cut_kept(m), col, value)
        return value

    def _fills_column(self, m: FieldMap) -> sql.Composable:
        """Return ``_full_<column>``: whether the staged value fills its file column (its
        bytes in the file's encoding, up to 3 short: a writer cuts at a character's edge) —
        the writer may have cut it. JSON that was cut is no JSON: it was staged as a string."""
        assert m.column is not None
        col = sql.Identifier(m.field.column)
        text = sql.SQL("s.{}").format(col)
        if m.field.type is FieldType.JSON:
            text = sql.SQL("CASE WHEN jsonb_typeof(s.{0}) = 'string' THEN s.{0} #>> '{{}}' END"
                           ).format(col)
        # a single-byte code page (cp1251, cp866) holds a character in a byte; UTF-8 as stored
        single = len("їжак".encode(self.source.width_encoding, errors="replace")) == 4
        return sql.SQL("coalesce({size}({text}) >= {width}, false) AS {flag}").format(
            size=sql.SQL("length" if single else "octet_length"), text=text,
            width=sql.Literal(self.source.text_widths[m.column] - 3),
            flag=sql.Identifier(f"_full_{m.field.column}"))

    def _cut_kept(self, m: FieldMap) -> sql.Composable:
        """Return whether row ``r``'s value of ``m`` was cut by the file's format from the
        stored value of object ``t``: it fills its column and begins the longer stored one."""
        col = sql.Identifier(m.field.column)
        full = sql.Identifier(f"_full_{m.field.column}")
        if m.field.type is FieldType.JSON:  # cut JSON is no JSON: it was read as a string
            return sql.SQL(
                "coalesce(r.{full} AND jsonb_typeof(r.{col}) = 'string' AND length(t.{col}::text)"
                " > length(r.{col} #>> '{{}}') AND starts_with(t.{col}::text, r.{col} #>> "
                "'{{}}'), false)").format(full=full, col=col)
        return sql.SQL("coalesce(r.{full} AND length(t.{col}) > length(r.{col}) AND "
                       "starts_with(t.{col}, r.{col}), false)").format(full=full, col=col)

    def _typed(self, m: FieldMap) -> sql.Composable:
        f = m.field
        col = sql.Identifier(f.column)
        if self._masked(m):
            pi = f.personal_if
            assert pi is not None
            # a public export shows the mask, or nothing (``mask=None``, e.g. a sole
            # proprietor's phone): either way not a value that may replace the stored one
            shown = sql.SQL("s.{} = ANY({})").format(col, sql.Literal(list(pi.mask.values()))) \
                if pi.mask is not None else sql.SQL("s.{} IS NULL").format(col)
            masked = sql.SQL("coalesce(s.{kind} = {equals} AND {shown}, false)").format(
                kind=sql.Identifier(pi.field), equals=sql.Literal(pi.equals), shown=shown)
            return sql.SQL("CASE WHEN {m} THEN NULL ELSE s.{col} END AS {col}, {m} AS {flag}"
                           ).format(m=masked, col=col,
                                    flag=sql.Identifier(f"_masked_{f.column}"))
        if f.type is not FieldType.REFERENCE:
            return sql.SQL("s.{}").format(col)
        target = self._catalog_get(f.references or "")
        ref_key = target.import_key
        by_key: sql.Composable = sql.SQL("NULL::bigint")
        if ref_key is not None:
            by_key = sql.SQL("(SELECT min(r.id) FROM {} AS r WHERE r.{}::text = s.{})").format(
                sql.Identifier(target.schema, target.table), sql.Identifier(ref_key.column), col)
        return sql.SQL(
            "coalesce({by_key}, (SELECT r.id FROM {table} AS r WHERE s.{col} ~ '^[0-9]{{1,18}}$'"
            " AND r.id = s.{col}::bigint)) AS {col}, s.{col} AS {raw}").format(
            by_key=by_key, table=sql.Identifier(target.schema, target.table), col=col,
            raw=sql.Identifier(f"_raw_{f.column}"))

    def check(self) -> None:
        self._referred_to()
        self._persons_changed()
        super().check()

    @cached_property
    def _person_changes(self) -> list[tuple[str, dict[str, sql.Composable], list[Field]]]:
        """Return each person (a holder, a distributor) whose identity the file carries, with
        the SQL, per field that says who the person is, that tells whether row ``r`` names
        another person than object ``t`` holds (a stored name or code the file replaces by
        another), and the person's fields the file does not fill: those an update clears
        instead of leaving the previous person's codes and personal data on the object. A
        field that says whose a name is (the kind a mask depends on) is never cleared: without
        it a natural person's name would be public. Built once: the check and the write
        share it."""
        if self.opts.mode == "append":
            return []
        mapped = {m.field.name: m for m in self.fields}
        guards = {f.personal_if.field for f in self.reg.fields if f.personal_if is not None}
        changes: list[tuple[str, dict[str, sql.Composable], list[Field]]] = []
        for person in dict.fromkeys(f.person for f in self.reg.fields if f.person):
            group = [f for f in self.reg.fields if f.person == person]
            named = [mapped[f.name] for f in group if f.identifies and f.name in mapped]
            cleared = [f for f in group if f.name not in mapped and f.name not in guards
                       and f.derived is None]
            if not named or not cleared:
                continue
            differs: dict[str, sql.Composable] = {m.field.name: sql.SQL(
                "(t.{col} IS NOT NULL AND {new} IS NOT NULL AND t.{col} <> {new})").format(
                col=sql.Identifier(m.field.column), new=self._new(m)) for m in named}
            changes.append((person, differs, cleared))
        return changes

    def _persons_changed(self) -> None:
        """Warn of each object whose person the file changes, naming the fields cleared."""
        table = sql.Identifier(self.reg.schema, self.reg.table)
        for person, differs, cleared in self._person_changes:
            filled = sql.SQL(" OR ").join(sql.SQL("t.{} IS NOT NULL").format(
                sql.Identifier(f.column)) for f in cleared)
            which = sql.SQL("concat_ws(', ', {})").format(sql.SQL(", ").join(
                sql.SQL("CASE WHEN {} THEN {} END").format(d, sql.Literal(name))
                for name, d in differs.items()))
            self.conn.execute(sql.SQL(
                "INSERT INTO ingest_problem (row, field, rule, severity, message) "
                "SELECT r._row, NULL, 'person_changed', 'warning', format('row %s: the {person} "
                "is not the one %s holds (%s differs): {fields}, which the file does not fill, "
                "are cleared, not kept from the previous {person}', r._row, {label}, {which}) "
                "FROM ingest_rows AS r JOIN {table} AS t ON t.id = r._key_id "
                "WHERE ({other}) AND ({filled})").format(
                person=sql.SQL(person), fields=sql.SQL(", ".join(f.name for f in cleared)),
                label=label_sql(self.reg, "t"), which=which, table=table,
                other=sql.SQL(" OR ").join(differs.values()), filled=filled))

    def _referred_to(self) -> None:
        """Find the objects a replace would delete that other registries refer to (a street
        its addresses name): each is a problem of the file as a whole, in the dry run as in
        the import, where the database's foreign key refused it in its own words."""
        if self.opts.mode != "replace":
            return
        table = sql.Identifier(self.reg.schema, self.reg.table)
        for other in self._catalog():
            for f in other.fields:
                if f.type is not FieldType.REFERENCE or f.references != self.reg.id:
                    continue
                self.conn.execute(sql.SQL(
                    "INSERT INTO ingest_problem (row, field, rule, severity, message) "
                    "SELECT 0, NULL, 'referred_to', 'error', format('%s %s is not in the file, "
                    "but %s object(s) of {other} refer to it by {field}: a replace cannot "
                    "delete it (keep it in the file, or change them first)', {reg}, {label}, "
                    "n.n) FROM {table} AS t CROSS JOIN LATERAL (SELECT count(*) AS n FROM "
                    "{other_table} AS o WHERE o.{column} = t.id) AS n "
                    "WHERE n.n > 0 AND {deleted} ORDER BY t.id").format(
                    other=sql.SQL(other.id), field=sql.SQL(f.name),
                    reg=sql.Literal(self.reg.id), label=label_sql(self.reg, "t"), table=table,
                    other_table=sql.Identifier(other.schema, other.table),
                    column=sql.Identifier(f.column), deleted=self._deleted_where()))

    def _catalog(self) -> Catalog:
        from registries.catalog import default_catalog

        return default_catalog()

    def _catalog_get(self, registry_id: str) -> Registry:
        return self._catalog().get(registry_id)

    # -- 4. plan and write -------------------------------------------------------------------
    def _ok(self, alias: str = "r") -> sql.Composable:
        return sql.SQL("NOT EXISTS (SELECT 1 FROM ingest_blocked AS b WHERE b.row = {}._row)"
                       ).format(sql.Identifier(alias))

    def _differs(self) -> sql.Composable:
        cols = [m.field.column for m in self.fields]
        new = [self._new(m) for m in self.fields]
        parts = [sql.SQL("t.geom IS DISTINCT FROM r.geom AND (ST_NPoints(t.geom) <> "
                         "ST_NPoints(r.geom) OR GeometryType(t.geom) <> GeometryType(r.geom) OR "
                         "ST_HausdorffDistance(t.geom, r.geom) > {})").format(
                             sql.Literal(GEOMETRY_TOLERANCE_M))]
        if cols:
            parts.insert(0, sql.SQL("({}) IS DISTINCT FROM ({})").format(
                sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in cols),
                sql.SQL(", ").join(new))
                if len(cols) > 1 else sql.SQL("t.{} IS DISTINCT FROM {}").format(
                    sql.Identifier(cols[0]), new[0]))
        return sql.SQL("({})").format(sql.SQL(" OR ").join(parts))

    def _deleted_where(self) -> sql.Composable:
        """Return which live objects a replace deletes: those the file does not hold (rows
        refused by --on-error skip keep their object as it was)."""
        if self.opts.mode != "replace":
            return sql.SQL("FALSE")
        if self.key is None and not self.opts.keep_ids:
            return sql.SQL("TRUE")
        return sql.SQL("NOT EXISTS (SELECT 1 FROM ingest_rows AS r WHERE r._key_id = t.id)")

    def plan(self) -> None:
        reg = self.reg
        table = sql.Identifier(reg.schema, reg.table)
        if self.report.blocking and self.opts.on_error == "abort":
            self.report.problems.sort(key=lambda p: (p.severity == "warning", p.row))
            return
        row = self.conn.execute(sql.SQL(
            "SELECT count(*) FILTER (WHERE r._key_id IS NULL), "
            "count(*) FILTER (WHERE r._key_id IS NOT NULL AND {differs}), "
            "count(*) FILTER (WHERE r._key_id IS NOT NULL AND NOT {differs}) "
            "FROM ingest_rows AS r LEFT JOIN {table} AS t ON t.id = r._key_id WHERE {ok}").format(
            differs=self._differs(), table=table, ok=self._ok())).fetchone()
        assert row is not None
        if self.opts.mode == "append":
            self.report.inserted = int(row[0]) + int(row[1]) + int(row[2])
        else:
            self.report.inserted, self.report.updated, self.report.unchanged = map(int, row)
        deleted = self.conn.execute(sql.SQL("SELECT count(*) FROM {} AS t WHERE {}").format(
            table, self._deleted_where())).fetchone()
        self.report.deleted = int(deleted[0]) if deleted else 0

    def write(self) -> None:
        reg = self.reg
        table = sql.Identifier(reg.schema, reg.table)
        cols = [m.field.column for m in self.fields]
        names = sql.SQL(", ").join(sql.Identifier(c) for c in (*cols, "geom"))
        values = sql.SQL(", ").join(sql.SQL("r.{}").format(sql.Identifier(c))
                                    for c in (*cols, "geom"))
        self.progress("write", 0, 3)
        try:
            with self.conn.transaction():
                self._write_statements(table, names, values)
        except (pgerrors.CheckViolation, pgerrors.RaiseException) as exc:
            if self.deferred:  # name every row the triggers' rules refuse, write nothing
                self._run_rules(self.deferred)
                self.deferred = []
                self._collect()
                if self.report.blocking:
                    self.report.inserted = self.report.updated = self.report.deleted = 0
                    self.report.unchanged = 0
                    return
            raise RuleViolation(f"{reg.id}: {exc.diag.message_primary} (the database refused "
                                "the import; nothing was written)", collection=reg.id) from None
        except (pgerrors.UniqueViolation, pgerrors.NotNullViolation) as exc:
            raise RuleViolation(f"{reg.id}: {exc.diag.message_primary} (the database refused "
                                "the import; nothing was written)", collection=reg.id) from None
        except pgerrors.ForeignKeyViolation:  # _referred_to names them; this is a race
            raise RuleViolation(f"{reg.id}: an object the import deletes is referred to by "
                                "another registry's objects, now: nothing was written",
                                collection=reg.id) from None
        except pgerrors.LockNotAvailable as exc:
            raise RuleViolation(f"{reg.id}: {exc.diag.message_primary}", collection=reg.id) \
                from None
        self.progress("write", 3, 3)
        self.report.written = True

    def _write_statements(self, table: sql.Identifier, names: sql.Composable,
                          values: sql.Composable) -> None:
        reg = self.reg
        if self.opts.mode == "replace":
            self.conn.execute(sql.SQL("DELETE FROM {} AS t WHERE {}").format(
                table, self._deleted_where()))
        self.progress("write", 1, 3)
        if self.opts.mode != "append":
            updated = [*(self._new(m) for m in self.fields), sql.SQL("r.geom")]
            set_names: list[sql.Composable] = [names]
            for _, differs, cleared in self._person_changes:
                other = sql.SQL(" OR ").join(differs.values())
                for f in cleared:
                    set_names.append(sql.Identifier(f.column))
                    updated.append(sql.SQL("CASE WHEN {} THEN NULL ELSE t.{} END").format(
                        other, sql.Identifier(f.column)))
            self.conn.execute(sql.SQL(
                "UPDATE {table} AS t SET ({names}) = ROW({values}) FROM ingest_rows AS r "
                "WHERE t.id = r._key_id AND {ok} AND {differs}").format(
                table=table, names=sql.SQL(", ").join(set_names),
                values=sql.SQL(", ").join(updated), ok=self._ok(), differs=self._differs()))
        self.progress("write", 2, 3)
        new = sql.SQL("TRUE") if self.opts.mode == "append" and not self.opts.keep_ids \
            else sql.SQL("r._key_id IS NULL")
        if self.opts.keep_ids:
            names = sql.SQL("id, {}").format(names)
            values = sql.SQL("r._file_id, {}").format(values)
        self.conn.execute(sql.SQL(
            "INSERT INTO {table} ({names}) SELECT {values} FROM ingest_rows AS r "
            "WHERE {new} AND {ok} ORDER BY r._row").format(
            table=table, names=names, values=values, new=new, ok=self._ok()))
        if self.opts.keep_ids:
            self.conn.execute(sql.SQL(
                "SELECT setval(pg_get_serial_sequence({}, 'id'), greatest(coalesce(max(id), "
                "0), 1)) FROM {}").format(sql.Literal(f"{reg.schema}.{reg.table}"), table))


def file_id(raw: Any) -> int | None:
    """Return the id a file gives an object (``--keep-ids``): a whole number from 1 to the
    largest bigint, as GDAL typed it (a float when the column has gaps) or as text.

    >>> [file_id(v) for v in (7, 7.0, " 12 ", None, "")]
    [7, 7, 12, None, None]
    >>> file_id(-5.0)
    Traceback (most recent call last):
    ...
    ingest.mapping.ValueProblem: id -5 is not a whole number from 1 to 9223372036854775807
    """
    if raw is None or isinstance(raw, str) and not raw.strip():
        return None
    try:
        number = Decimal(str(raw).strip())
        whole = int(number) if number.is_finite() and number == number.to_integral_value() \
            else None
    except (InvalidOperation, ValueError):
        whole = None
    if whole is None or not 1 <= whole <= 2**63 - 1:
        text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw).strip()
        shown = text if text.lstrip("+-").replace(".", "", 1).isdigit() else repr(text)
        raise ValueProblem(f"id {shown} is not a whole number from 1 to {2**63 - 1}")
    return whole


def _wkb_type(wkb: bytes) -> str:
    """Return the geometry type name of a WKB (ISO or EWKB), read from its header.

    >>> [_wkb_type(bytes.fromhex(h)) for h in ("0101000000", "0020000006", "")]
    ['Point', 'MultiPolygon', 'Unknown']
    """
    if len(wkb) < 5:
        return "Unknown"
    order: Literal["little", "big"] = "little" if wkb[0] == 1 else "big"
    code = int.from_bytes(wkb[1:5], order) & 0xFFFF  # EWKB flags live in the high bits
    return {1: "Point", 2: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString",
            6: "MultiPolygon", 7: "GeometryCollection"}.get(code % 1000, "Unknown")


def _apply(transformer: Any, xy: Any) -> Any:
    import numpy as np

    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


