"""Loading the demo city into the registry tables, and the layers PostGIS derives from it.

COPY of every registry's rows (through a staging table when the target SRID is not the
generator's), the zoning plan and the community boundary unioned by PostGIS from the zone
cells, and the overlays derived from what was loaded (cadastral quarters, red lines, planning
restrictions, the YAML-declared registries). The load is a legacy import
(``gis.legacy_import``) in one transaction. All the database work lives here, apart from the
pure generators, which never touch a connection.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import date

import psycopg
from psycopg import sql

from app.demo.build import (
    ALL_REGISTRIES,
    COLUMNS,
    LOAD_ORDER,
    ZONE_COLUMNS,
    DemoCity,
    Progress,
    build_city,
)
from app.demo.common import CITY_KATOTTG, COMMUNITY_NAME, HROMADA_KATOTTG, KOATUU
from app.demo.geometry import SOURCE_SRID
from registries.catalog import default_catalog
from registries.model import Registry
from registries.parcels import CADASTRAL_QUARTERS, LAND_PARCELS
from registries.planning import COMMUNITY_BOUNDARIES, PLANNING_ZONES
from registries.planning.restrictions import PLANNING_RESTRICTIONS, RED_LINES
from registries.publication import publish_directly


def _check_columns(reg: Registry, columns: Sequence[str]) -> None:
    """Raise KeyError when a column is not declared by ``reg`` (the declarations are the truth)."""
    for name in columns:
        if name not in ("id", "geom"):
            reg.field(name)


def _copy(conn: psycopg.Connection, reg: Registry, columns: Sequence[str],
          rows: list[tuple[object, ...]], srid: int, progress: Progress) -> None:
    """COPY ``rows`` into the registry table; through a staging table when ``srid`` differs
    from the generator's, so that PostGIS transforms the geometries in one statement."""
    _check_columns(reg, columns)
    table = sql.Identifier(reg.schema, reg.table)
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    target = table
    if srid != SOURCE_SRID:
        conn.execute("DROP TABLE IF EXISTS pg_temp.demo_stage")
        conn.execute(sql.SQL("CREATE TEMP TABLE demo_stage AS SELECT {} FROM {} WITH NO DATA")
                     .format(cols, table))
        conn.execute("ALTER TABLE demo_stage ALTER COLUMN geom TYPE geometry")
        target = sql.Identifier("demo_stage")
    with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(target, cols)) as copy:
        for k, row in enumerate(rows, 1):
            copy.write_row(row)
            if k % 5000 == 0:
                progress(reg.id, k, len(rows))
    if srid != SOURCE_SRID:
        select = sql.SQL(", ").join(
            sql.SQL("ST_Transform(geom, {})").format(sql.Literal(srid)) if c == "geom"
            else sql.Identifier(c) for c in columns)
        conn.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM demo_stage")
                     .format(table, cols, select))
        conn.execute("DROP TABLE demo_stage")
    _reset_sequence(conn, reg)
    progress(reg.id, len(rows), len(rows))


def _reset_sequence(conn: psycopg.Connection, reg: Registry) -> None:
    conn.execute(sql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), max(id)) FROM {}")
                 .format(sql.Literal(f"{reg.schema}.{reg.table}"),
                         sql.Identifier(reg.schema, reg.table)))


def _load_planning(conn: psycopg.Connection, city: DemoCity, srid: int, first_boundary: int,
                   progress: Progress) -> dict[str, int]:
    """Load zones (their cells unioned by PostGIS) and the community boundary around them."""
    zones = city.rows[PLANNING_ZONES.id]
    _check_columns(PLANNING_ZONES, ZONE_COLUMNS)
    conn.execute("DROP TABLE IF EXISTS pg_temp.demo_zone, pg_temp.demo_cell")
    conn.execute(sql.SQL("CREATE TEMP TABLE demo_zone AS SELECT {} FROM {} WITH NO DATA").format(
        sql.SQL(", ").join(map(sql.Identifier, ZONE_COLUMNS)),
        sql.Identifier(PLANNING_ZONES.schema, PLANNING_ZONES.table)))
    conn.execute("CREATE TEMP TABLE demo_cell (zone_id bigint, geom geometry)")
    with conn.cursor().copy("COPY demo_zone FROM STDIN") as copy:
        for row in zones:
            copy.write_row(row)
    with conn.cursor().copy("COPY demo_cell (zone_id, geom) FROM STDIN") as copy:
        for row in city.zone_cells:
            copy.write_row(row)
    cols = sql.SQL(", ").join(map(sql.Identifier, ZONE_COLUMNS))
    conn.execute(sql.SQL(
        "INSERT INTO {} ({cols}, geom) SELECT {zcols}, ST_Transform(g.geom, {srid})"
        " FROM demo_zone z JOIN (SELECT zone_id, ST_Multi(ST_Union(geom)) AS geom"
        " FROM demo_cell GROUP BY zone_id) g ON g.zone_id = z.id").format(
        sql.Identifier(PLANNING_ZONES.schema, PLANNING_ZONES.table), cols=cols,
        zcols=sql.SQL(", ").join(sql.SQL("z.{}").format(sql.Identifier(c)) for c in ZONE_COLUMNS),
        srid=sql.Literal(srid)))
    progress(PLANNING_ZONES.id, len(zones), len(zones))
    _check_columns(COMMUNITY_BOUNDARIES, ("name", "katottg", "koatuu"))
    # The hromada reaches beyond the built-up city: a 250 m margin around every block.
    conn.execute(sql.SQL(
        "INSERT INTO {} (id, name, katottg, koatuu, geom) SELECT %s, %s, %s, %s,"
        " ST_Transform(ST_Multi(ST_Buffer(ST_Union(geom), 250, 'quad_segs=4')), {srid})"
        " FROM demo_cell").format(
        sql.Identifier(COMMUNITY_BOUNDARIES.schema, COMMUNITY_BOUNDARIES.table),
        srid=sql.Literal(srid)), (first_boundary, COMMUNITY_NAME, HROMADA_KATOTTG, KOATUU))
    conn.execute("DROP TABLE demo_zone, demo_cell")
    for reg in (PLANNING_ZONES, COMMUNITY_BOUNDARIES):
        _reset_sequence(conn, reg)
    progress(COMMUNITY_BOUNDARIES.id, 1, 1)
    return {PLANNING_ZONES.id: len(zones), COMMUNITY_BOUNDARIES.id: 1}


# Layers derived from the generated city by PostGIS: cadastral quarters (the union of their
# parcels), red lines and planning restrictions (buffers of streets and zones), and the two
# registries declared in YAML (registries/declared/), when the catalog has them.
OVERLAYS: dict[str, str] = {
    CADASTRAL_QUARTERS.id: """
        INSERT INTO registry.cadastral_quarter (quarter_number, katottg, geom)
        SELECT left(cadastral_number, 17), %(katottg)s, ST_Multi(ST_Union(geom))
        FROM registry.land_parcel WHERE id >= %(first_parcel)s GROUP BY 1 ORDER BY 1""",
    RED_LINES.id: """
        INSERT INTO registry.red_line (kind, street_name, source_document, decision_number,
                                       decision_date, issuing_body, geom)
        SELECT CASE WHEN id %% 7 = 0 THEN 'planned' ELSE 'existing' END,
               registry.street_label(street_type, name), 'Генеральний план м. Хмельницького',
               '37', DATE '2021-12-15', 'Хмельницька міська рада',
               ST_Multi(ST_Boundary(ST_Buffer(geom, 13, 'endcap=flat join=mitre')))
        FROM registry.street WHERE street_type IN ('проспект', 'бульвар', 'шосе')
           OR (street_type = 'вулиця' AND ST_Length(geom) > 1500) ORDER BY id""",
    PLANNING_RESTRICTIONS.id: """
        WITH z AS (SELECT zone_code, ST_Union(geom) AS g FROM registry.planning_zone
                   GROUP BY zone_code),
             b AS (SELECT ST_Union(geom) AS g FROM registry.community_boundary),
             r(kind, code, name, width, regime, g) AS (
          SELECT 'historical_area', '06.06.2', 'Історичний ареал м. Хмельницького', NULL::numeric,
                 'Будівництво за погодженням з органом охорони культурної спадщини', z.g
          FROM z WHERE zone_code = 'Г-1'
          UNION ALL SELECT 'heritage_protection', '01.02.1',
                 'Охоронна зона пам''яток історичного центру', 100, 'Заборона нового '
                 'будівництва, крім відтворення втрачених об''єктів', ST_Buffer(z.g, 100)
          FROM z WHERE zone_code = 'Г-1'
          UNION ALL SELECT 'water_protection', '05.01', 'Водоохоронна зона р. Південний Буг',
                 100, 'Обмеження господарської діяльності (Водний кодекс, ст. 87)',
                 ST_Buffer(z.g, 100) FROM z WHERE zone_code = 'Р-2'
          UNION ALL SELECT 'riverside_strip', '05.02', 'Прибережна захисна смуга р. Південний '
                 'Буг', 25, 'Заборона будівництва (Водний кодекс, ст. 88–89)',
                 ST_Buffer(z.g, 25) FROM z WHERE zone_code = 'Р-2'
          UNION ALL SELECT 'sanitary_protection', '03.01', 'Санітарно-захисна зона ' ||
                 CASE zone_code WHEN 'С-1' THEN 'кладовищ' ELSE 'промислових підприємств' END,
                 CASE zone_code WHEN 'С-1' THEN 300 ELSE 100 END, 'Заборона житлової забудови',
                 ST_Difference(ST_Buffer(z.g, CASE zone_code WHEN 'С-1' THEN 300 ELSE 100 END),
                               z.g)
          FROM z WHERE zone_code IN ('В-1', 'С-1')
          UNION ALL SELECT 'network_protection', '01.05', 'Охоронна зона ЛЕП 110 кВ', 20,
                 'Заборона будівництва під проводами',
                 ST_Buffer(ST_MakeLine(ST_Centroid(z.g), ST_Centroid(b.g)), 20)
          FROM z, b WHERE zone_code = 'В-1'
          UNION ALL SELECT 'red_lines', '06.01.1', 'Території в червоних лініях', NULL,
                 'Розміщення лише об''єктів вулично-дорожньої мережі',
                 ST_Union(ST_Buffer(geom, 13, 'endcap=flat join=mitre'))
          FROM registry.street WHERE street_type IN ('проспект', 'бульвар', 'шосе'))
        INSERT INTO registry.planning_restriction (kind, dzk_code, name, width_m, regime,
            decision_number, decision_date, issuing_body, geom)
        SELECT r.kind, r.code, r.name, r.width, r.regime, '37', DATE '2021-12-15',
               'Хмельницька міська рада',
               ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Intersection(r.g, b.g)), 3))
        FROM r, b WHERE r.g IS NOT NULL AND NOT ST_IsEmpty(ST_Intersection(r.g, b.g))""",
    "road_closures": """
        INSERT INTO registry.road_closure (reason, kind, closed_from, closed_until,
            organisation, permit_number, detour, contact_person, contact_phone, geom)
        SELECT (ARRAY['Ремонт водопровідної мережі', 'Ремонт дорожнього покриття',
                      'Реконструкція теплової мережі', 'Прокладання кабельної лінії',
                      'Міський святковий захід'])[1 + id %% 5],
               (ARRAY['full_closure', 'partial_closure', 'one_way', 'speed_limit'])[1 + id %% 4],
               %(today)s::date + ((k %% 9 - 6) * 7)::int,
               %(today)s::date + ((k %% 9 - 6) * 7 + 21)::int,
               (ARRAY['КП «Хмельницькводоканал»', 'КП «Шляхрембуд»',
                      'МКП «Хмельницьктеплокомуненерго»'])[1 + id %% 3],
               'ОР-' || to_char(%(today)s::date, 'YYYY') || '-' || lpad(k::text, 3, '0'),
               'Об''їзд прилеглими вулицями', 'Відповідальна особа підрядника',
               '+38067' || lpad(((id * 7919) %% 10000000)::text, 7, '0'),
               ST_Multi(ST_LineSubstring(ST_LineMerge(geom), 0.3, 0.6))
        FROM (SELECT *, row_number() OVER (ORDER BY id) AS k FROM registry.street
              WHERE ST_NumGeometries(geom) = 1) AS s
        WHERE k %% 25 = 1 ORDER BY id""",
    "accessibility_objects": """
        INSERT INTO registry.accessibility_object (name, kind, condition, address_text,
            cadastral_number, inspected_on, inspector_kind, inspector_name, geom)
        SELECT CASE left(p.purpose_code, 5) WHEN '03.02' THEN 'Заклад освіти'
                    WHEN '03.03' THEN 'Заклад охорони здоров''я' ELSE 'Адміністративна будівля'
               END || ': вхід', (ARRAY['ramp', 'accessible_entrance', 'tactile_paving', 'lift',
                                       'accessible_toilet', 'parking_place'])[1 + a.id %% 6],
               (ARRAY['usable', 'usable', 'usable', 'needs_repair', 'unusable'])[1 + a.id %% 5],
               registry.address_label(a.street_id, a.house_number, a.korpus),
               p.cadastral_number, %(today)s::date - (a.id %% 700)::int,
               CASE WHEN a.id %% 3 = 0 THEN 'natural' ELSE 'legal' END,
               CASE WHEN a.id %% 3 = 0 THEN 'Експерт з доступності'
                    ELSE 'ГО «Доступне місто»' END, a.geom
        FROM registry.land_parcel AS p JOIN registry.address AS a
          ON a.cadastral_number = p.cadastral_number AND a.korpus IS NULL
             AND a.house_number !~ '[^0-9]'
        WHERE p.id >= %(first_parcel)s AND p.purpose_code IN ('03.01', '03.02', '03.03')
        ORDER BY a.id""",
}


# The city's water (registries/declared/water_bodies.yml): the river, 48 m wide along its
# generated centreline, and a pond in the largest park away from it, inside the boundary.
WATER_SQL = """
    WITH b AS (SELECT ST_Union(geom) AS g FROM registry.community_boundary),
         river AS (SELECT ST_Transform(%(river)s::geometry, %(srid)s) AS line),
         park AS (SELECT z.geom FROM registry.planning_zone AS z, river
                  WHERE z.zone_code = 'Р-2' AND ST_Area(z.geom) > 40000
                  AND NOT ST_DWithin(z.geom, river.line, 150)
                  ORDER BY ST_Area(z.geom) DESC, z.id LIMIT 1),
         w(name, name_en, kind, code, g) AS (
      SELECT 'р. Південний Буг', 'Southern Bug River', 'river', 'UA_M5.3.1',
             ST_Buffer(river.line, 24, 'endcap=flat join=round') FROM river
      UNION ALL SELECT 'Парковий ставок', 'Park pond', 'pond', NULL,
             ST_Intersection(ST_Scale(ST_Buffer(ST_PointOnSurface(park.geom), 40, 'quad_segs=6'),
                                      ST_MakePoint(1.6, 1.0), ST_PointOnSurface(park.geom)),
                             ST_Buffer(park.geom, -15))
      FROM park)
    INSERT INTO registry.water_body (name, name_en, kind, water_code, geom)
    SELECT w.name, w.name_en, w.kind, w.code,
           ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Intersection(w.g, ST_Buffer(b.g, -2))),
                                         3))
    FROM w, b WHERE NOT ST_IsEmpty(ST_Intersection(w.g, ST_Buffer(b.g, -2)))"""


def load_water(conn: psycopg.Connection, river: str, srid: int, progress: Progress) -> int:
    """Load the water bodies derived from the river's centreline (EWKT); return how many."""
    if not river or "water_bodies" not in default_catalog().ids:
        return 0
    cur = conn.execute(WATER_SQL, {"river": river, "srid": srid})
    progress("water_bodies", cur.rowcount, cur.rowcount)
    return cur.rowcount


def load_overlays(conn: psycopg.Connection, today: date, first_parcel: int,
                  progress: Progress) -> dict[str, int]:
    """Load the layers PostGIS derives from the loaded city (``OVERLAYS``); return counts."""
    catalog = default_catalog()
    counts: dict[str, int] = {}
    for registry_id, query in OVERLAYS.items():
        if registry_id not in catalog.ids:
            continue  # a declared registry this deployment does not have
        cur = conn.execute(query, {"katottg": CITY_KATOTTG, "first_parcel": first_parcel,
                                   "today": today})
        counts[registry_id] = cur.rowcount
        progress(registry_id, cur.rowcount, cur.rowcount)
    return counts


def load_demo(conn: psycopg.Connection, *, scale: float = 1.0, seed: int = 68,
              today: date | None = None, srid: int = 6383,
              progress: Progress | None = None) -> dict[str, int]:
    """Generate the demo city at `scale` and COPY it into the registry tables in one
    transaction-friendly pass (caller commits); return row counts per collection id.

    Geometries are stored in ``srid`` (generated in EPSG:6383 and transformed by PostGIS when
    ``srid`` differs). Meant for empty registries (``gis demo --replace``): ids continue after
    existing rows, but a second load clashes on unique cadastral and spot numbers. An
    autocommit connection gets its own transaction so the load stays all-or-nothing.
    """
    report: Progress = progress or (lambda stage, done, total: None)
    today = today or date.today()
    scope = conn.transaction() if conn.autocommit else contextlib.nullcontext()
    with scope:
        conn.execute("SELECT set_config('gis.user', 'demo', true)")
        # the demo city is "existing data": its realistic-but-wrong objects (kiosks outside
        # the scheme …) load and show up among the problems instead of being refused
        conn.execute("SELECT set_config('gis.legacy_import', 'on', true)")
        # the demo city is the register of record, kept under the procedure: published at
        # once, as verified by its holders (registries.publication)
        publish_directly(conn, verified_by="demo", note="demo city")
        first_ids = {}
        for reg in ALL_REGISTRIES:
            row = conn.execute(sql.SQL("SELECT coalesce(max(id), 0) + 1 FROM {}").format(
                sql.Identifier(reg.schema, reg.table))).fetchone()
            first_ids[reg.id] = int(row[0]) if row else 1
        city = build_city(scale, seed, today, first_ids, report)
        counts: dict[str, int] = {}
        for reg in LOAD_ORDER:
            rows = city.rows[reg.id]
            unverified = city.never_verified.get(reg.id, set())
            _copy(conn, reg, COLUMNS[reg.id], [r for r in rows if r[0] not in unverified],
                  srid, report)
            if unverified:  # a few objects of an older survey nobody verified (defects.py)
                publish_directly(conn, note="older survey, loaded without verification")
                _copy(conn, reg, COLUMNS[reg.id], [r for r in rows if r[0] in unverified],
                      srid, report)
                publish_directly(conn, verified_by="demo", note="demo city")
            counts[reg.id] = len(rows)
        counts |= _load_planning(conn, city, srid, first_ids[COMMUNITY_BOUNDARIES.id], report)
        counts |= load_overlays(conn, today, first_ids[LAND_PARCELS.id], report)
        if "water_bodies" in default_catalog().ids:
            counts["water_bodies"] = load_water(conn, city.river, srid, report)
    return counts
