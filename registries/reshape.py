"""Split an object by a line, merge adjacent objects: one transaction through the same rules.

A division (поділ) or merger (об'єднання) of land parcels retires the original(s) and creates
new parcels with new cadastral numbers, which the planner gives. Both are done here in one
transaction: the originals are deleted and the parts inserted through the single write path
(``registries.writes``), so the database's rules judge every part, history keeps the
originals (as deleted, by this author) and the tile cache learns of it; ``history.lineage``
links each new object to the object(s) it came from. Anything refused leaves nothing
half-written. What the parts inherit is declared with the registry (``Registry.reshaping``).

Geometry is worked in the storage CRS by PostGIS (``ST_Split``, ``ST_Union``), so the new
boundaries are exactly the old ones and the cut: no round trip through another CRS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from gis.auth import Principal
from gis.errors import InvalidParameter, NotFound, PreconditionFailed, RuleViolation
from registries import writes
from registries.model import GeometryKind, Registry
from registries.rules import label_sql

MIN_PART_M2 = 1.0  # a part smaller than this is a sliver of a stray line, not a parcel
EXTEND_M = 0.5  # the line's ends reach this far past where they were drawn (snapped ends
#                 lie on the boundary, where floating point cannot tell inside from outside)
MAX_HOLE_M2 = 1.0  # gaps between merged objects up to this size are survey noise, closed


@dataclass(frozen=True)
class Original:
    """An object a split or merge starts from, locked for the transaction."""

    id: int
    version: int
    name: str  # "parcel 6810100000:01:001:0001"
    values: dict[str, Any]  # stored field values
    ewkb: str


def check_reshapable(reg: Registry) -> None:
    if reg.reshaping is None or reg.geometry not in (GeometryKind.POLYGON,
                                                     GeometryKind.MULTIPOLYGON):
        raise NotFound(f"{reg.id} objects are not split or merged", collection=reg.id)


def _lock(conn: psycopg.Connection, reg: Registry, obj_id: int,
          if_match: int | None) -> Original:
    """Return the object locked FOR UPDATE, or raise NotFound / PreconditionFailed."""
    cols = [f.column for f in reg.stored_fields]
    row = conn.execute(sql.SQL(
        "SELECT version, {} || ' ' || {}, json_build_object({}), geom::text FROM {} AS t "
        "WHERE id = %s FOR UPDATE").format(
        sql.Literal(reg.object_noun), label_sql(reg, "t"),
        sql.SQL(", ").join(sql.SQL("{}, t.{}").format(sql.Literal(c), sql.Identifier(c))
                           for c in cols),
        sql.Identifier(reg.schema, reg.table)), (obj_id,)).fetchone()
    if row is None:
        raise NotFound(f"{reg.id} has no object {obj_id}", collection=reg.id)
    version, name, values, ewkb = row
    if if_match is not None and if_match != version:
        raise PreconditionFailed(f"{name} was changed meanwhile (now version {version}, you "
                                 f"had {if_match}); reload and retry", collection=reg.id)
    return Original(obj_id, int(version), str(name), dict(values), str(ewkb))


def _blade(conn: psycopg.Connection, reg: Registry, original: Original, line: Any,
           crs: int | str, storage_srid: int) -> str:
    """Return the split line in the storage CRS (hex EWKB), its ends pushed ``EXTEND_M``
    further; refuse anything but a simple line."""
    if not isinstance(line, dict) or line.get("type") not in ("LineString",
                                                             "MultiLineString"):
        raise RuleViolation(f"{original.name}: the split line must be a GeoJSON LineString",
                            collection=reg.id, field="line")
    g, geojson = writes.geometry_sql(line, crs, storage_srid)
    try:
        row = conn.execute(sql.SQL(
            "SELECT ST_IsValid(l), ST_NPoints(l), ST_Length(l), ST_NumGeometries(l) FROM "
            "(SELECT ST_LineMerge({}) AS l) s").format(g), {"geometry": geojson}).fetchone()
    except psycopg.Error:
        # geometry_sql checked the GeoJSON's shape; what is left is a place the storage CRS
        # cannot express (as writes._checked_geometry says of an object's geometry)
        raise RuleViolation(f"{original.name}: the split line cannot be placed in the city's "
                            "coordinate system; check its CRS (Content-Crs) and coordinates",
                            collection=reg.id, field="line") from None
    assert row is not None
    if not row[0] or row[1] < 2 or not row[2]:
        raise RuleViolation(f"{original.name}: the split line must have two distinct points "
                            "at least", collection=reg.id, field="line")
    if row[3] != 1:
        raise RuleViolation(f"{original.name}: the split line must be one continuous line",
                            collection=reg.id, field="line")
    extended = conn.execute(sql.SQL(
        "SELECT ST_AddPoint(ST_AddPoint(l, ST_Translate(ST_StartPoint(l), "
        "%(d)s * sin(a0), %(d)s * cos(a0)), 0), ST_Translate(ST_EndPoint(l), %(d)s * sin(a1), "
        "%(d)s * cos(a1))) FROM (SELECT l, ST_Azimuth(ST_PointN(l, 2), ST_StartPoint(l)) AS a0, "
        "ST_Azimuth(ST_PointN(l, -2), ST_EndPoint(l)) AS a1 FROM (SELECT ST_GeometryN("
        "ST_LineMerge({}), 1) AS l) s) s").format(g),
        {"geometry": geojson, "d": EXTEND_M}).fetchone()
    assert extended is not None
    return str(extended[0])


def split_parts(conn: psycopg.Connection, reg: Registry, original: Original,
                blade: str) -> list[str]:
    """Return the parts the line cuts the object into (hex EWKB, largest first), or refuse a
    line that does not cut it or leaves a sliver."""
    rows = conn.execute(
        "WITH o AS (SELECT %(g)s::geometry AS g), p AS (SELECT (ST_Dump(ST_Split(o.g, "
        "%(b)s::geometry))).geom AS part FROM o) SELECT part, ST_Area(part), "
        "(SELECT ST_NumGeometries(g) FROM o) FROM p ORDER BY ST_Area(part) DESC",
        {"g": original.ewkb, "b": blade}).fetchall()
    if not rows or len(rows) <= rows[0][2]:
        raise RuleViolation(f"{original.name}: the split line does not cross it — draw it "
                            "from one edge of the object to another", collection=reg.id,
                            field="line")
    small = [r[1] for r in rows if r[1] < MIN_PART_M2]
    if small:
        raise RuleViolation(f"{original.name}: the split line leaves a sliver of "
                            f"{small[0]:.2f} m² (parts must be {MIN_PART_M2:g} m² at least)",
                            collection=reg.id, field="line")
    return [str(r[0]) for r in rows]


def _part_values(reg: Registry, originals: list[Original], given: Any,
                 index: int) -> dict[str, Any]:
    """Return the stored values of a new part: inherited, cleared, then the given ones."""
    assert reg.reshaping is not None
    if not isinstance(given, dict):
        raise InvalidParameter(f"part {index + 1}: properties must be a JSON object")
    unique = {f.name for f in reg.stored_fields if f.unique}
    values = {k: v for k, v in originals[0].values.items()
              if k not in unique and k not in reg.reshaping.clear}
    values.update(given)
    checked = writes.validate_properties(reg, values, partial=False)
    for f in reg.stored_fields:
        if not f.unique or checked.get(f.name) is None:
            continue
        for o in originals:
            if o.values.get(f.name) == checked[f.name]:
                raise RuleViolation(
                    f"{o.name} is retired by this change: its {f.title.get('en', f.name).lower()} "
                    f"{checked[f.name]} cannot pass to a new {reg.object_noun}",
                    collection=reg.id, field=f.name)
    return checked


def _given_parts(reg: Registry, parts: Any, count: int, name: str) -> list[Any]:
    if not isinstance(parts, list) or len(parts) != count:
        got = len(parts) if isinstance(parts, list) else 0
        label = reg.field(reg.label).title.get("en", reg.label).lower() if reg.label else "id"
        raise RuleViolation(f"{name}: the line cuts it into {count} parts; give the "
                            f"properties ({label} …) of each, largest first ({got} given)",
                            collection=reg.id, field="parts")
    return [p.get("properties", {}) if isinstance(p, dict) else p for p in parts]


def _lineage(conn: psycopg.Connection, reg: Registry, operation: str,
             originals: list[Original], children: list[int], who: Principal) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO history.lineage (collection, operation, parent_id, parent_version, "
            "child_id, by) VALUES (%s, %s, %s, %s, %s, %s)",
            [(reg.id, operation, o.id, o.version, child, who.name)
             for o in originals for child in children])


def _retire(conn: psycopg.Connection, reg: Registry, originals: list[Original]) -> None:
    conn.execute(sql.SQL("DELETE FROM {} WHERE id = ANY(%s)").format(
        sql.Identifier(reg.schema, reg.table)), ([o.id for o in originals],))


def _features(conn: psycopg.Connection, parts: list[str]) -> list[dict[str, Any]]:
    """Return the parts as GeoJSON features in CRS84 with their area (m², storage CRS)."""
    rows = conn.execute(
        "SELECT ST_AsGeoJSON(ST_Transform(g, 4326), 9)::json, round(ST_Area(g)::numeric, 2) "
        "FROM unnest(%s::text[]) WITH ORDINALITY AS p(t, i), LATERAL (SELECT t::geometry AS g) "
        "AS s ORDER BY i", (parts,)).fetchall()
    return [{"type": "Feature", "geometry": geometry, "properties": {"area_m2": float(area)}}
            for geometry, area in rows]


def split(conn: psycopg.Connection, reg: Registry, obj_id: int, line: Any, parts: Any,
          who: Principal, *, if_match: int | None = None, crs: int | str = "OGC:CRS84",
          storage_srid: int, preview: bool = False) -> list[dict[str, Any]]:
    """Split object ``obj_id`` by ``line`` (GeoJSON in ``crs``) into new objects with the
    properties ``parts`` gives (largest part first); return the parts as GeoJSON features
    (CRS84, with ``id`` and ``version`` unless ``preview``, which writes nothing)."""
    writes.check_can_edit(reg, who)
    check_reshapable(reg)
    with conn.transaction():
        original = _lock(conn, reg, obj_id, if_match)
        cut = split_parts(conn, reg, original, _blade(conn, reg, original, line, crs,
                                                      storage_srid))
        features = _features(conn, cut)
        if preview:
            return features
        given = _given_parts(reg, parts, len(cut), original.name)
        values = [_part_values(reg, [original], g, i) for i, g in enumerate(given)]
        _check_distinct(reg, values)
        writes._set_author(conn, who)
        _retire(conn, reg, [original])
        made = [writes.insert_row(conn, reg, v, ewkb) for v, ewkb in zip(values, cut,
                                                                        strict=True)]
        _lineage(conn, reg, "split", [original], [i for i, _ in made], who)
    for feature, (new_id, version) in zip(features, made, strict=True):
        feature.update(id=new_id, version=version)
    return features


def _check_distinct(reg: Registry, values: list[dict[str, Any]]) -> None:
    for f in reg.stored_fields:
        seen = [str(v[f.name]) for v in values if f.unique and v.get(f.name) is not None]
        twice = sorted({x for x in seen if seen.count(x) > 1})
        if twice:
            raise RuleViolation(f"{reg.id}: two parts cannot share the "
                                f"{f.title.get('en', f.name).lower()} {twice[0]}",
                                collection=reg.id, field=f.name)


def merge(conn: psycopg.Connection, reg: Registry, items: Any, properties: Any,
          who: Principal, *, storage_srid: int) -> dict[str, Any]:
    """Merge adjacent objects (``items``: ``[{"id": 1, "version": 4}, …]``, version optional)
    into one new object with ``properties`` (inherited from the first otherwise); return it as
    a GeoJSON feature (CRS84) with ``id`` and ``version``."""
    writes.check_can_edit(reg, who)
    check_reshapable(reg)
    assert reg.reshaping is not None
    wanted = _merge_items(items)
    with conn.transaction():
        originals = [_lock(conn, reg, i, v) for i, v in sorted(wanted.items())]
        order = list(wanted)  # the first named gives the inherited values
        originals.sort(key=lambda o: order.index(o.id))
        for name in reg.reshaping.merge_equal:
            differ = {str(o.values.get(name)) for o in originals}
            if len(differ) > 1:
                f = reg.field(name)
                raise RuleViolation(
                    f"{originals[0].name} and {originals[1].name} differ in their "
                    f"{f.title.get('en', name).lower()} ({', '.join(sorted(differ))}): only "
                    f"{reg.id.replace('_', ' ')} that share it are merged",
                    collection=reg.id, field=name)
        merged = _union(conn, reg, originals)
        values = _part_values(reg, originals, properties or {}, 0)
        writes._set_author(conn, who)
        _retire(conn, reg, originals)
        new_id, version = writes.insert_row(conn, reg, values, merged)
        _lineage(conn, reg, "merge", originals, [new_id], who)
        feature = _features(conn, [merged])[0]
    feature.update(id=new_id, version=version)
    return feature


def _merge_items(items: Any) -> dict[int, int | None]:
    """Return {id: expected version or None} in the order given; refuse malformed lists."""
    if not isinstance(items, list) or len(items) < 1:
        raise InvalidParameter("name the objects to merge: \"with\": [{\"id\": …, "
                               "\"version\": …}]")
    out: dict[int, int | None] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), int) \
                or isinstance(item.get("id"), bool):
            raise InvalidParameter("each object to merge is {\"id\": <integer>, "
                                   "\"version\": <integer>}")
        version = item.get("version")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
            raise InvalidParameter(f"object {item['id']}: version must be an integer")
        out[item["id"]] = version
    if len(out) < 2:
        raise InvalidParameter("a merge needs two different objects at least")
    return out


def _union(conn: psycopg.Connection, reg: Registry, originals: list[Original]) -> str:
    """Return the union of the originals (hex EWKB), gaps up to ``MAX_HOLE_M2`` closed; refuse
    objects that do not share a boundary."""
    row = conn.execute(
        "WITH u AS (SELECT ST_UnaryUnion(ST_Collect(g::geometry)) AS u FROM unnest(%(g)s::text[]) "
        "AS g) SELECT ST_NumGeometries(u), CASE WHEN ST_NumGeometries(u) = 1 THEN ("
        "SELECT ST_MakePolygon(ST_ExteriorRing(p), ARRAY(SELECT ST_ExteriorRing(r.geom) "
        "FROM ST_DumpRings(p) AS r WHERE r.path[1] > 0 AND ST_Area(r.geom) > %(hole)s)) "
        "FROM (SELECT ST_GeometryN(u, 1) AS p) s) END FROM u",
        {"g": [o.ewkb for o in originals], "hole": MAX_HOLE_M2}).fetchone()
    assert row is not None
    if row[0] != 1:
        apart = conn.execute(
            "SELECT a.i, b.i FROM unnest(%(g)s::text[]) WITH ORDINALITY AS a(g, i), "
            "unnest(%(g)s::text[]) WITH ORDINALITY AS b(g, i) WHERE a.i < b.i AND NOT "
            "ST_Intersects(a.g::geometry, b.g::geometry) ORDER BY 1, 2 LIMIT 1",
            {"g": [o.ewkb for o in originals]}).fetchone()
        a, b = (originals[apart[0] - 1], originals[apart[1] - 1]) if apart else originals[:2]
        raise RuleViolation(f"{a.name} and {b.name} do not share a boundary: only adjacent "
                            f"objects are merged", collection=reg.id, field="with")
    return str(row[1])


def lineage(conn: psycopg.Connection, reg: Registry, obj_id: int) -> dict[str, Any]:
    """Return where object ``obj_id`` came from and what it became: ``{"from": [...],
    "into": [...]}`` with the operation, date, author and the other objects' ids."""
    rows = conn.execute(
        "SELECT 'from', operation, parent_id, at, by FROM history.lineage WHERE collection = %s "
        "AND child_id = %s UNION ALL SELECT 'into', operation, child_id, at, by FROM "
        "history.lineage WHERE collection = %s AND parent_id = %s ORDER BY 4, 3",
        (reg.id, obj_id, reg.id, obj_id)).fetchall()
    out: dict[str, Any] = {"from": [], "into": []}
    for direction, operation, other, at, by in rows:
        out[direction].append({"operation": operation, "id": other, "at": at.isoformat(),
                               "by": by})
    return out


def to_json(features: list[dict[str, Any]]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
