"""The single write path: check the author's role → validate → write → history, one transaction.

Every caller (OGC API Part 4, the web editor, ingest, the CLI, test factories) goes through
:func:`create`, :func:`replace`, :func:`update` and :func:`delete`. History is written by the
database's own triggers (``gis.history``), so direct PostGIS edits are versioned the same way.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, NoReturn

import psycopg
import shapely
from psycopg import errors as pgerrors
from psycopg import sql

from gis.auth import Principal
from gis.crs import is_northing_first
from gis.errors import (
    Conflict,
    Forbidden,
    InvalidParameter,
    NotFound,
    PreconditionFailed,
    RuleViolation,
    Unauthorized,
)
from gis.geojson import geometry_problem, shape_refused
from gis.params import shown
from registries.model import MAX_TEXT_CHARS, Field, FieldType, Registry, clean_text, text_problem
from registries.rules import all_rules, name_sql

NUMBER_PRECISION = 14  # numeric(14, scale): registries.schema.column_type


def check_can_edit(reg: Registry, who: Principal) -> None:
    """Raise Unauthorized for anonymous users and Forbidden for the wrong role (a signed-in
    user without an editing role included)."""
    if not who.authenticated:
        raise Unauthorized(f"editing {reg.id} needs a signed-in user", collection=reg.id)
    if not any(who.has(role) for role in reg.edit_roles):
        roles = ", ".join(sorted(r.value for r in reg.edit_roles))
        raise Forbidden(f"user {who.name} may not edit {reg.id} (needs role: {roles})",
                        collection=reg.id)


def coerce(reg: Registry, f: Field, value: Any) -> Any:
    """Return ``value`` converted to the field's type, or raise RuleViolation naming the field.

    >>> from registries.catalog import default_catalog
    >>> reg = default_catalog().get("land_parcels")
    >>> coerce(reg, reg.field("area_declared_ha"), "0.12345")
    Decimal('0.1235')
    """
    if value is None or value == "":
        return None
    try:
        match f.type:
            case FieldType.TEXT:
                if not isinstance(value, str | int | float) or isinstance(value, bool):
                    raise TypeError
                text = clean_text(str(value))
                why = text_problem(text)
                if why:
                    raise RuleViolation(f"{reg.id}.{f.name}: {why}", field=f.name)
                if f.choices and text not in f.choices:
                    raise RuleViolation(f"{reg.id}.{f.name}: {text!r} is not one of "
                                        f"{', '.join(f.choices)}", field=f.name)
                if f.pattern and not re.fullmatch(f.pattern, text):
                    raise RuleViolation(f"{reg.id}.{f.name}: {text!r} does not match the format "
                                        f"{f.pattern_words()}", field=f.name)
                return text
            case FieldType.INTEGER | FieldType.REFERENCE:
                if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                    raise TypeError
                whole = int(value)
                limit = 2**31 if f.type == FieldType.INTEGER else 2**63  # integer / bigint
                if not -limit <= whole < limit:
                    raise RuleViolation(f"{reg.id}.{f.name}: {whole} is out of range "
                                        f"(±{limit:,})", field=f.name)
                return whole
            case FieldType.NUMBER:
                if isinstance(value, bool):
                    raise TypeError
                number = Decimal(str(value))
                if not number.is_finite():
                    raise TypeError
                scale = f.scale if f.scale is not None else 2
                if abs(number) >= Decimal(10) ** (NUMBER_PRECISION - scale):
                    raise RuleViolation(f"{reg.id}.{f.name}: {value} is too large (at most "
                                        f"{NUMBER_PRECISION - scale} digits before the point)",
                                        field=f.name)
                return number.quantize(Decimal(1).scaleb(-scale), ROUND_HALF_UP)
            case FieldType.DATE:
                return value if isinstance(value, date) else date.fromisoformat(str(value))
            case FieldType.BOOLEAN:
                if not isinstance(value, bool):
                    raise TypeError
                return value
            case FieldType.JSON:
                text = json.dumps(value, ensure_ascii=False)
                if "\\u0000" in text or "\x00" in text:
                    raise RuleViolation(f"{reg.id}.{f.name}: text may not contain NUL "
                                        "characters", field=f.name)
                return text
    except RuleViolation:
        raise
    except (TypeError, ValueError, InvalidOperation):
        pass
    raise RuleViolation(f"{reg.id}.{f.name}: {shown(value, json_strings=True)} is not a valid "
                        f"{f.type.value}", field=f.name)


def validate_properties(reg: Registry, props: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Return the typed column values of ``props``; unknown or missing fields are named."""
    if not isinstance(props, dict):
        raise InvalidParameter("feature properties must be a JSON object")
    known = {f.name: f for f in reg.stored_fields}
    read_only = {"id", "version", *(f.name for f in reg.fields if f.derived)}  # clients echo
    unknown = sorted(set(props) - set(known) - read_only)
    if unknown:
        raise RuleViolation(f"{reg.id} has no fields {unknown}", collection=reg.id)
    values = {name: coerce(reg, known[name], v) for name, v in props.items() if name in known}
    if not partial:
        missing = [f.name for f in reg.fields if f.required and values.get(f.name) is None]
        if missing:
            raise RuleViolation(f"{reg.id}: required fields missing: {', '.join(missing)}",
                                collection=reg.id, field=missing[0])
    else:
        cleared = [n for n, v in values.items() if v is None and known[n].required]
        if cleared:
            raise RuleViolation(f"{reg.id}: required fields cannot be emptied: "
                                f"{', '.join(cleared)}", collection=reg.id)
    return values


def ring_problem(geojson: dict[str, Any]) -> str | None:
    """Return why a GeoJSON polygon's ring is no ring (RFC 7946 §3.1.6: closed, at least four
    positions), or None. Shapely closes an open ring by itself; PostGIS refuses it in GEOS's
    words ("IllegalArgumentException: Points of LinearRing do not form a closed linestring").

    >>> ring_problem({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]})
    >>> ring_problem({"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 1]]]]})
    'ring 1 of polygon 1 is not closed: it ends at (0, 1), not at its first position (0, 0)'
    >>> ring_problem({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]})
    'ring 1 of polygon 1 has 3 positions: a closed ring needs at least 4'
    """
    kind = geojson.get("type")
    polygons = [geojson.get("coordinates")] if kind == "Polygon" else \
        geojson.get("coordinates") if kind == "MultiPolygon" else []
    for p, rings in enumerate(polygons or [], 1):
        for r, ring in enumerate(rings or [], 1):
            where = f"ring {r} of polygon {p}"
            if len(ring) < 4:
                return f"{where} has {len(ring)} positions: a closed ring needs at least 4"
            first, last = list(ring[0][:2]), list(ring[-1][:2])
            if first != last:
                return (f"{where} is not closed: it ends at ({last[0]}, {last[1]}), not at "
                        f"its first position ({first[0]}, {first[1]})")
    return None


def geometry_sql(geojson: Any, crs: int | str, storage_srid: int) -> tuple[sql.Composable, str]:
    """Return SQL turning a bound GeoJSON geometry in ``crs`` into the storage CRS."""
    if not isinstance(geojson, dict) or "type" not in geojson:
        raise RuleViolation("feature geometry must be a GeoJSON geometry object")
    problem = geometry_problem(geojson)
    if problem:  # said here: shapely's (numpy's) words for it name neither what nor where
        raise RuleViolation(f"feature geometry: {problem}")
    try:
        bounds = shapely.geometry.shape(geojson).bounds
    except Exception as exc:  # noqa: BLE001 - shapely raises many types for bad input
        raise RuleViolation(f"feature geometry: {shape_refused(exc, geojson['type'])}"
                            ) from None
    if not bounds or not all(math.isfinite(v) for v in bounds):
        raise RuleViolation("feature geometry is empty or has coordinates that are not "
                            "numbers")
    problem = ring_problem(geojson)
    if problem:
        raise RuleViolation(f"feature geometry: {problem}")
    source = 4326 if crs == "OGC:CRS84" else crs
    # heights (a GNSS survey's, a QGIS layer's Z) are dropped: the registries are plans, and
    # an import stores the same geometry 2D (ingest.load)
    g: sql.Composable = sql.SQL(
        "ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(%(geometry)s), {}))").format(
        sql.Literal(source))
    if crs != "OGC:CRS84" and is_northing_first(crs):
        g = sql.SQL("ST_FlipCoordinates({})").format(g)
    if source != storage_srid:
        g = sql.SQL("ST_Transform({}, {})").format(g, sql.Literal(storage_srid))
    return g, json.dumps(geojson)


def object_name(reg: Registry, values: dict[str, Any], obj_id: int | None = None) -> str:
    """Return how messages name the object written: "parcel 6810100000:01:001:0001".

    >>> from registries.catalog import default_catalog
    >>> object_name(default_catalog().get("land_parcels"), {}, 7)
    'parcel #7'
    """
    label = values.get(reg.label) if reg.label else None
    if label is not None:
        return f"{reg.object_noun} {label}"
    return f"{reg.object_noun} #{obj_id}" if obj_id is not None else f"new {reg.object_noun}"


def _stored_name(conn: psycopg.Connection, reg: Registry, obj_id: int,
                 values: dict[str, Any]) -> str:
    """Return the name of object ``obj_id`` as written (its new label) or as stored."""
    if reg.label and values.get(reg.label) is not None:
        return object_name(reg, values)
    row = conn.execute(sql.SQL("SELECT {} FROM {} AS t WHERE id = %s").format(
        name_sql(reg, "t"), sql.Identifier(reg.schema, reg.table)), (obj_id,)).fetchone()
    return str(row[0]) if row else object_name(reg, values, obj_id)


def _checked_geometry(conn: psycopg.Connection, reg: Registry, geom: sql.Composable,
                      geojson: str, name: str | None = None) -> str:
    """Return the geometry as hex EWKB in the storage CRS after checking type and validity."""
    name = name or reg.id
    try:
        row = conn.execute(sql.SQL(
            "SELECT g, GeometryType(g), ST_IsValidReason(g), ST_AsText(ST_Transform("
            "ST_SetSRID((ST_IsValidDetail(g)).location, ST_SRID(g)), 4326)) "
            "FROM (SELECT {} AS g) s").format(geom), {"geometry": geojson}).fetchone()
    except psycopg.Error:
        # geometry_sql checked the GeoJSON's shape; what is left is a place the storage CRS
        # cannot express (coordinates far outside the city's zone, or in the wrong CRS)
        raise RuleViolation(f"{name}: the geometry cannot be placed in the city's coordinate "
                            "system; check its CRS (Content-Crs) and coordinates",
                            collection=reg.id, field="geometry") from None
    assert row is not None
    ewkb, gtype, reason, where = row
    expected = reg.geometry.value.upper()
    single = expected.removeprefix("MULTI")
    if gtype not in (expected, single):
        raise RuleViolation(f"{name}: geometry must be {reg.geometry.value}, got {gtype}",
                            collection=reg.id, field="geometry")
    if reason != "Valid Geometry":
        raise RuleViolation(f"{name}: invalid geometry: {reason}"
                            + (f" at {where}" if where else ""), collection=reg.id,
                            field="geometry")
    return str(ewkb)


def _as_declared(reg: Registry) -> sql.Composable:
    """Return SQL promoting a single geometry to the declared multi type if needed."""
    return sql.SQL("ST_Multi(%(geom)s::geometry)") if reg.geometry.value.startswith("Multi") \
        else sql.SQL("%(geom)s::geometry")


def _run(conn: psycopg.Connection, reg: Registry, query: sql.Composed,
         params: dict[str, Any]) -> Any:
    """Execute a write; turn the database's refusals into the registry's own words."""
    try:
        with conn.transaction():
            return conn.execute(query, params).fetchone()
    except pgerrors.LockNotAvailable as exc:
        # the rule lock waited 10 s for another open transaction on this registry (a QGIS
        # transaction group, a long import): a conflict to retry, not a database outage
        raise Conflict(_own_message(reg, exc) or f"{reg.id} is being edited in another open "
                       "transaction; retry when it is saved", collection=reg.id) from None
    except psycopg.IntegrityError as exc:
        raise refusal(reg, exc, params) from None
    except pgerrors.RaiseException as exc:
        raise RuleViolation(_own_message(reg, exc) or f"{reg.id}: the change breaks a rule of "
                            "the registry", collection=reg.id) from None


def _rule_where(reg: Registry, rule_id: str | None) -> dict[str, str]:
    """Return the rule a database refusal names and the field it is about (``geometry`` for
    rules on the geometry), so an editor can show it at the field or on the map."""
    rule = next((r for r in all_rules(reg) if r.id == rule_id), None)
    if rule is None:
        return {}
    on = [c for c in rule.on if c != "geom"]
    return {"rule": rule.id, "field": on[0] if on and "geom" not in rule.on else "geometry"}


def refusal(reg: Registry, exc: psycopg.Error, values: dict[str, Any]) -> RuleViolation:
    """Return the RuleViolation of a constraint the database enforced, named by field.

    Constraint names and PostgreSQL's ``Key (…)=(…)`` details never reach the client: a
    unique, choice, required or reference constraint is mapped back to its declared field,
    a registry rule (``registries.rules``) keeps the message it was written with.
    """
    diag = exc.diag
    own = _own_message(reg, exc)
    if own:  # a registry rule: named, with the field it is about (an editor shows it there)
        return RuleViolation(own, collection=reg.id, **_rule_where(reg, diag.constraint_name))
    constraint = diag.constraint_name or ""
    noun = reg.object_noun
    for f in reg.stored_fields:
        value = values.get(f.column)
        shown = f" {value!r}" if value is not None and f.is_public and not f.personal_if else ""
        if isinstance(exc, pgerrors.UniqueViolation) and \
                constraint == f"uq_{reg.table}_{f.column}":
            return RuleViolation(f"{reg.id}.{f.name}:{shown or ' this value'} is already used by "
                                 f"another {noun}; {f.name} must be unique", field=f.name,
                                 collection=reg.id)
        if isinstance(exc, pgerrors.CheckViolation) and \
                constraint == f"ck_{reg.table}_{f.column}_choice":
            return RuleViolation(f"{reg.id}.{f.name}:{shown} is not one of "
                                 f"{', '.join(f.choices or ())}", field=f.name,
                                 collection=reg.id)
        if isinstance(exc, pgerrors.CheckViolation) and \
                constraint == f"ck_{reg.table}_{f.column}_length":
            return RuleViolation(f"{reg.id}.{f.name}: the text is longer than "
                                 f"{MAX_TEXT_CHARS:,} characters", field=f.name,
                                 collection=reg.id)
        if isinstance(exc, pgerrors.NotNullViolation) and diag.column_name == f.column:
            return RuleViolation(f"{reg.id}.{f.name} is required", field=f.name,
                                 collection=reg.id)
        if isinstance(exc, pgerrors.ForeignKeyViolation) and \
                constraint == f"fk_{reg.table}_{f.column}":
            return RuleViolation(f"{reg.id}.{f.name}: {f.references} has no object{shown}",
                                 field=f.name, collection=reg.id)
    if isinstance(exc, pgerrors.ForeignKeyViolation):  # another registry refers to this one
        return RuleViolation(f"{reg.id}: other objects still refer to this {noun}; change or "
                             "delete them first", collection=reg.id)
    if isinstance(exc, pgerrors.UniqueViolation):
        return RuleViolation(f"{reg.id}: another {noun} already has these values",
                             collection=reg.id)
    return RuleViolation(f"{reg.id}: the change breaks a rule of the registry",
                         collection=reg.id)


def _own_message(reg: Registry, exc: psycopg.Error) -> str | None:
    """Return the message of an error raised by our own rule triggers (``registries.rules``):
    written in the registry's words, with the rule's description. None for PostgreSQL's."""
    diag = exc.diag
    ours = {r.id for r in all_rules(reg)}
    if isinstance(exc, pgerrors.LockNotAvailable) and diag.message_primary and \
            diag.message_primary.startswith(reg.id):
        return diag.message_primary
    if diag.constraint_name not in ours:
        return None
    detail = diag.message_detail
    return f"{reg.id}: " + ". ".join(p for p in (diag.message_primary, detail) if p)


def _set_author(conn: psycopg.Connection, who: Principal) -> None:
    conn.execute("SELECT set_config('gis.user', %s, true)", (who.name,))


def create(conn: psycopg.Connection, reg: Registry, feature: dict[str, Any], who: Principal,
           *, crs: int | str = "OGC:CRS84", storage_srid: int) -> tuple[int, int]:
    """Insert a feature; return its (id, version)."""
    check_can_edit(reg, who)
    values = validate_properties(reg, feature.get("properties") or {}, partial=False)
    geom, geojson = geometry_sql(feature.get("geometry"), crs, storage_srid)
    ewkb = _checked_geometry(conn, reg, geom, geojson, object_name(reg, values))
    _set_author(conn, who)
    return insert_row(conn, reg, values, ewkb)


def insert_row(conn: psycopg.Connection, reg: Registry, values: dict[str, Any],
               ewkb: str) -> tuple[int, int]:
    """Insert checked column ``values`` and a checked geometry (hex EWKB in the storage CRS);
    return (id, version). The database's rules still judge it; the author must be set."""
    cols = [*values, "geom"]
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({}, {}) RETURNING id, version").format(
        sql.Identifier(reg.schema, reg.table),
        sql.SQL(", ").join(sql.Identifier(c) for c in cols),
        sql.SQL(", ").join(sql.Placeholder(c) for c in values) if values else sql.SQL(""),
        _as_declared(reg))
    if not values:
        query = sql.SQL("INSERT INTO {} (geom) VALUES ({}) RETURNING id, version").format(
            sql.Identifier(reg.schema, reg.table), _as_declared(reg))
    row = _run(conn, reg, query, {**values, "geom": ewkb})
    return int(row[0]), int(row[1])


def _update(conn: psycopg.Connection, reg: Registry, obj_id: int, values: dict[str, Any],
            ewkb: str | None, if_match: int | None, who: Principal) -> int:
    _set_author(conn, who)
    sets: list[sql.Composable] = [
        sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder(c)) for c in values]
    if ewkb is not None:
        sets.append(sql.SQL("geom = {}").format(_as_declared(reg)))
    if not sets:
        # a PATCH that names nothing to change (no properties, or only read-only ones such
        # as a derived area) changes nothing: it made a version, a history entry and a
        # change for the holder to verify with nothing in it. Its If-Match is still checked.
        row = conn.execute(sql.SQL("SELECT version FROM {} WHERE id = %(_id)s {}").format(
            sql.Identifier(reg.schema, reg.table), _version_guard(if_match)),
            {"_id": obj_id, "_version": if_match}).fetchone()
        if row is None:
            _missing_or_stale(conn, reg, obj_id, if_match)
        return int(row[0])
    query = sql.SQL("UPDATE {} SET {} WHERE id = %(_id)s {} RETURNING version").format(
        sql.Identifier(reg.schema, reg.table), sql.SQL(", ").join(sets), _version_guard(if_match))
    row = _run(conn, reg, query, {**values, "geom": ewkb, "_id": obj_id, "_version": if_match})
    if row is None:
        _missing_or_stale(conn, reg, obj_id, if_match)
    return int(row[0])


def _version_guard(if_match: int | None) -> sql.Composable:
    """Return the WHERE condition that makes a write fail on a stale ``If-Match`` version."""
    return sql.SQL("AND version = %(_version)s") if if_match is not None else sql.SQL("")


def _missing_or_stale(conn: psycopg.Connection, reg: Registry, obj_id: int,
                      if_match: int | None) -> NoReturn:
    """Raise why a guarded write touched no row: the object is gone, or its version moved on."""
    current = conn.execute(sql.SQL("SELECT version FROM {} WHERE id = %s").format(
        sql.Identifier(reg.schema, reg.table)), (obj_id,)).fetchone()
    if current is None:
        raise NotFound(f"{reg.id} has no object {obj_id}", collection=reg.id)
    raise PreconditionFailed(f"{reg.id} {obj_id} was changed meanwhile (now version "
                             f"{current[0]}, you had {if_match}); reload and retry",
                             collection=reg.id)


def replace(conn: psycopg.Connection, reg: Registry, obj_id: int, feature: dict[str, Any],
            who: Principal, *, if_match: int | None = None, crs: int | str = "OGC:CRS84",
            storage_srid: int) -> int:
    """Replace an object's fields and geometry; return its new version."""
    check_can_edit(reg, who)
    values = validate_properties(reg, feature.get("properties") or {}, partial=False)
    values.update({f.name: None for f in reg.stored_fields if f.name not in values})
    geom, geojson = geometry_sql(feature.get("geometry"), crs, storage_srid)
    ewkb = _checked_geometry(conn, reg, geom, geojson, _stored_name(conn, reg, obj_id, values))
    return _update(conn, reg, obj_id, values, ewkb, if_match, who)


def update(conn: psycopg.Connection, reg: Registry, obj_id: int, patch: dict[str, Any],
           who: Principal, *, if_match: int | None = None, crs: int | str = "OGC:CRS84",
           storage_srid: int) -> int:
    """Change the given fields (and the geometry if given); return the new version."""
    check_can_edit(reg, who)
    values = validate_properties(reg, patch.get("properties") or {}, partial=True)
    ewkb = None
    if patch.get("geometry") is not None:
        geom, geojson = geometry_sql(patch["geometry"], crs, storage_srid)
        ewkb = _checked_geometry(conn, reg, geom, geojson, _stored_name(conn, reg, obj_id, values))
    return _update(conn, reg, obj_id, values, ewkb, if_match, who)


def delete(conn: psycopg.Connection, reg: Registry, obj_id: int, who: Principal, *,
           if_match: int | None = None) -> None:
    """Delete an object (history keeps it)."""
    check_can_edit(reg, who)
    _set_author(conn, who)
    query = sql.SQL("DELETE FROM {} WHERE id = %(_id)s {} RETURNING version").format(
        sql.Identifier(reg.schema, reg.table), _version_guard(if_match))
    if _run(conn, reg, query, {"_id": obj_id, "_version": if_match}) is None:
        _missing_or_stale(conn, reg, obj_id, if_match)
