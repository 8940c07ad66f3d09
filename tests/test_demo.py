"""The demo city (scale 0.01): every kind of object, sound geometry, registry rules kept.

Reads the session's ``demo_url`` database (loaded once by the fixture; never modified here).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
import pytest
from psycopg import sql

from app.demo.build import ALL_REGISTRIES, build_city
from registries.catalog import default_catalog
from registries.model import FieldType
from tests.conftest import DEMO_TODAY

MINIMUM = {"streets": 20, "buildings": 50, "land_parcels": 50, "addresses": 100,
           "advertising_structures": 10, "ts_scheme_spots": 10, "temporary_structures": 10,
           "planning_zones": 3, "community_boundaries": 1}


def one(url: str, query: str | sql.Composed,
        params: dict[str, object] | None = None) -> tuple[Any, ...]:
    """Return the one row ``query`` answers on the demo database."""
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return tuple(row)


def test_every_registry_holds_tens_of_objects(demo_url: str) -> None:
    for reg in default_catalog():
        (count,) = one(demo_url, sql.SQL("SELECT count(*) FROM {}").format(
            sql.Identifier(reg.schema, reg.table)))
        assert count >= MINIMUM.get(reg.id, 1), reg.id


def test_parcels_are_valid_and_do_not_overlap(demo_url: str) -> None:
    invalid, = one(demo_url, "SELECT count(*) FROM registry.land_parcel WHERE NOT ST_IsValid(geom)")
    overlapping, = one(demo_url, """
        SELECT count(*) FROM registry.land_parcel a JOIN registry.land_parcel b
          ON a.id < b.id AND a.geom && b.geom AND ST_Intersects(a.geom, b.geom)
        WHERE ST_Area(ST_Intersection(a.geom, b.geom)) > 0.05""")
    assert (invalid, overlapping) == (0, 0)


def test_every_geometry_is_valid(demo_url: str) -> None:
    for reg in default_catalog():
        (bad,) = one(demo_url, sql.SQL("SELECT count(*) FROM {} WHERE NOT ST_IsValid(geom)")
                     .format(sql.Identifier(reg.schema, reg.table)))
        assert bad == 0, reg.id


def test_address_points_lie_inside_their_buildings(demo_url: str) -> None:
    outside, linked = one(demo_url, """
        SELECT count(*) FILTER (WHERE NOT ST_Within(a.geom, b.geom)), count(*)
        FROM registry.address a JOIN registry.building b ON b.id = a.building_id""")
    assert outside == 0 and linked > 0


def test_cadastral_numbers_are_unique_and_well_formed(demo_url: str) -> None:
    duplicates, malformed = one(demo_url, r"""
        SELECT count(*) - count(DISTINCT cadastral_number),
               count(*) FILTER (WHERE cadastral_number !~ '^\d{10}:\d{2}:\d{3}:\d{4}$')
        FROM registry.land_parcel""")
    assert (duplicates, malformed) == (0, 0)


def test_category_follows_the_purpose_section(demo_url: str) -> None:
    (mismatched,) = one(demo_url, """
        SELECT count(*) FROM registry.land_parcel WHERE category <> CASE
          WHEN left(purpose_code, 2) IN ('02', '03') THEN '200'
          WHEN left(purpose_code, 2) = '07' THEN '500'
          WHEN left(purpose_code, 2) IN ('11', '12', '13', '14', '15') THEN '900' END""")
    assert mismatched == 0


def test_active_addresses_are_unique(demo_url: str) -> None:
    (duplicates,) = one(demo_url, """
        SELECT count(*) FROM (SELECT 1 FROM registry.address WHERE status = 'active'
          GROUP BY street_id, house_number, korpus HAVING count(*) > 1) AS d""")
    assert duplicates == 0


def test_the_city_is_khmelnytskyi(demo_url: str) -> None:
    lon, lat = one(demo_url, """
        SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Transform(ST_Centroid(ST_Collect(geom)), 4326)
          AS c FROM registry.address) AS t""")
    assert lon == pytest.approx(26.99, abs=0.05) and lat == pytest.approx(49.42, abs=0.05)


def test_declared_patterns_hold(demo_url: str) -> None:
    """Patterns are not database constraints yet, so the demo data must keep them itself."""
    for reg in default_catalog():
        for f in reg.fields:
            if f.pattern is None or f.type is not FieldType.TEXT:
                continue
            (bad,) = one(demo_url, sql.SQL("SELECT count(*) FROM {} WHERE {} !~ {}").format(
                sql.Identifier(reg.schema, reg.table), sql.Identifier(f.column),
                sql.Literal(f.pattern)))
            assert bad == 0, f"{reg.id}.{f.name}"


def test_zones_tile_the_city_inside_the_boundary(demo_url: str) -> None:
    union, total, outside = one(demo_url, """
        SELECT ST_Area(ST_Union(z.geom)), sum(ST_Area(z.geom)),
               (SELECT count(*) FROM registry.land_parcel p, registry.community_boundary c
                 WHERE NOT ST_Within(p.geom, c.geom))
        FROM registry.planning_zone z""")
    assert union == pytest.approx(total, rel=1e-6) and outside == 0


def test_permit_terms_mix_relative_to_today(demo_url: str) -> None:
    valid, expiring, expired, disordered = one(demo_url, """
        SELECT count(*) FILTER (WHERE valid_until > %(t)s::date + 30),
               count(*) FILTER (WHERE valid_until BETWEEN %(t)s::date AND %(t)s::date + 30),
               count(*) FILTER (WHERE valid_until < %(t)s::date),
               count(*) FILTER (WHERE NOT (issued_on <= valid_from AND valid_from < valid_until
                                AND valid_until <= valid_from + interval '5 years'))
        FROM registry.advertising_structure""", {"t": DEMO_TODAY})
    assert min(valid, expiring, expired) > 0 and disordered == 0


def test_some_temporary_structures_break_the_scheme(demo_url: str) -> None:
    outside, oversize, compliant = one(demo_url, """
        SELECT count(*) FILTER (WHERE t.scheme_spot_id IS NULL AND NOT EXISTS (
                 SELECT 1 FROM registry.ts_scheme_spot x WHERE ST_Intersects(x.geom, t.geom))),
               count(*) FILTER (WHERE t.area_m2 > s.max_area_m2),
               count(*) FILTER (WHERE ST_Within(t.geom, ST_Buffer(s.geom, 0.1))
                                AND t.area_m2 <= s.max_area_m2)
        FROM registry.temporary_structure t
        LEFT JOIN registry.ts_scheme_spot s ON s.id = t.scheme_spot_id""")
    assert outside > 0 and oversize > 0 and compliant >= 4 * (outside + oversize)


def test_history_names_the_demo_as_author(demo_url: str) -> None:
    (authors,) = one(demo_url, "SELECT array_agg(DISTINCT changed_by) FROM registry.street")
    assert authors == ["demo"]


def test_same_seed_and_day_give_the_same_city() -> None:
    first_ids = {reg.id: 1 for reg in ALL_REGISTRIES}

    def city(seed: int) -> object:
        c = build_city(0.01, seed, date(2026, 11, 1), first_ids, lambda *_: None)
        return c.rows, c.zone_cells

    assert city(68) == city(68)
    assert city(68) != city(69)
