"""The quality report: on the demo city exactly the defects its generator seeds on purpose
(``app/demo/defects.py`` lists them), and each check on data made for it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import psycopg
import pytest

from app.demo.build import ALL_REGISTRIES, build_city
from gis.cluster import EmbeddedCluster
from registries import writes
from registries.catalog import default_catalog
from registries.publication import publish_directly
from registries.quality import quality_report
from tests.conftest import DEMO_SCALE, clone, drop
from tests.factories import (
    E0,
    N0,
    SRID,
    TESTER,
    make_boundary,
    make_parcel,
    make_zone,
    multipolygon,
    ring,
)

CATALOG = default_catalog()
UKRAINIAN = re.compile("[а-щьюяіїєґ]{3}", re.IGNORECASE)


@pytest.fixture(scope="module")
def fresh_demo(cluster: EmbeddedCluster, template_url: str) -> Iterator[tuple[str, object]]:
    """Return (URL, city) of the demo city generated for the city's today: the date-driven
    defects it seeds are the ones the report finds today."""
    from app.demo.load import load_demo

    today = datetime.now(ZoneInfo("Europe/Kyiv")).date()
    url = clone(cluster, "gis_template", "quality_demo")
    with psycopg.connect(url) as conn:
        load_demo(conn, scale=DEMO_SCALE, seed=68, today=today, srid=SRID)
        conn.commit()
    city = build_city(DEMO_SCALE, 68, today, {reg.id: 1 for reg in ALL_REGISTRIES},
                      lambda *_: None)
    yield url, city
    drop(cluster, "quality_demo")


def test_the_demo_city_holds_exactly_the_defects_it_seeds(
        fresh_demo: tuple[str, object]) -> None:
    url, city = fresh_demo
    seeded = {(collection, check, obj_id)
              for collection, checks in city.defects.items()  # type: ignore[attr-defined]
              for check, ids in checks.items() for obj_id in ids}
    found = set()
    with psycopg.connect(url) as conn:
        for reg in CATALOG:
            report = quality_report(conn, CATALOG, reg, limit=100_000)
            for check in report.checks:
                assert check.count == len(check.findings)
                found |= {(reg.id, check.id, f.id) for f in check.findings}
                # the staff's Ukrainian page titles every check in Ukrainian (a rule's
                # finding was titled by its English description on both pages)
                assert UKRAINIAN.search(check.title["uk"]) and \
                    check.title["uk"] != check.title["en"], (reg.id, check.id, check.title)
    assert found == seeded
    # every kind of defect the table in app/demo/defects.py promises is there
    kinds = {(c, k) for c, k, _ in seeded}
    assert {("addresses", "required_missing"), ("addresses", "addresses_without_parcel"),
            ("buildings", "never_verified"), ("land_parcels", "rule:area_matches_geometry"),
            ("advertising_structures", "expired_in_place"),
            ("temporary_structures", "rule:within_scheme_spot")} <= kinds


def test_every_rule_says_what_it_checks_in_both_languages() -> None:
    """The rules of every registry, and those a declaration takes from the vocabulary."""
    from registries.model import Rule, Severity
    from registries.rules import all_rules, dates_ordered, inside_community, no_overlap

    rules = [r for reg in CATALOG for r in all_rules(reg)]
    untitled = dates_ordered("a_on", "b_on")  # fields without titles: named by their columns
    rules += [untitled, inside_community(2.0), no_overlap(0.5)]
    for rule in rules:
        assert UKRAINIAN.search(rule.description_uk), (rule.id, rule.description_uk)
        assert rule.description_uk != rule.description, rule.id
    dates = [r for r in rules if ("_before_" in r.id or "_not_after_" in r.id)
             and r is not untitled]
    assert len(dates) >= 4  # the terms' and a declared registry's (road closures)
    for rule in dates:  # the fields by their Ukrainian titles, not their column names
        assert "«" in rule.description_uk and "_" not in rule.description_uk, rule.description_uk
    with pytest.raises(ValueError, match="no Ukrainian description"):
        Rule("speed_positive", "speed is positive", Severity.ERROR, "SELECT 1")


def test_overlaps_gaps_and_objects_outside_a_redrawn_boundary(conn: psycopg.Connection) -> None:
    zones, parcels = CATALOG.get("planning_zones"), CATALOG.get("land_parcels")
    boundary = make_boundary(conn, size=2000)
    left = make_zone(conn, "Ж-1", multipolygon(ring(E0, N0, 100)))
    right = make_zone(conn, "Ж-2", multipolygon(ring(E0 + 100.3, N0, 100)))  # 30 cm apart
    # older data the overlap rule never saw: loaded with the rule's trigger off
    conn.execute("ALTER TABLE registry.planning_zone DISABLE TRIGGER check_rules_insert")
    publish_directly(conn)
    overlapping = conn.execute(
        "INSERT INTO registry.planning_zone (zone_code, geom) VALUES ('Ж-3', "
        "ST_Multi(ST_MakeEnvelope(%s, %s, %s, %s, 6383))) RETURNING id",
        (E0 + 50, N0 + 50, E0 + 80, N0 + 150)).fetchone()[0]  # type: ignore[index]
    conn.execute("ALTER TABLE registry.planning_zone ENABLE TRIGGER check_rules_insert")
    report = quality_report(conn, CATALOG, zones)
    assert {f.id for f in report.check("overlaps").findings} == {left, overlapping}
    (gap,) = report.check("gaps").findings
    assert (gap.id, gap.other) == (left, right) and "gap of 0.30 m" in gap.message
    # the community is redrawn: a parcel that lay inside now lies outside it
    inside = make_parcel(conn, geom=multipolygon(ring(E0 + 300, N0 + 300, 20)))
    kept = make_parcel(conn, "6810100000:01:001:0002")
    assert quality_report(conn, CATALOG, parcels).check("outside_community").count == 0
    writes.update(conn, CATALOG.get("community_boundaries"), boundary, {
        "geometry": multipolygon(ring(E0 - 1000, N0 - 1000, 1100))}, TESTER, crs=SRID,
        storage_srid=SRID)
    outside = quality_report(conn, CATALOG, parcels).check("outside_community")
    assert [f.id for f in outside.findings] == [inside] and kept != inside
    assert "outside the community boundary by 400.0 m²" in outside.findings[0].message


def test_required_fields_a_procedure_expects(conn: psycopg.Connection) -> None:
    make_boundary(conn)
    pid = make_parcel(conn, ownership_form=None, area_declared_ha=None)
    report = quality_report(conn, CATALOG, CATALOG.get("land_parcels"))
    (finding,) = report.check("required_missing").findings
    assert finding.id == pid
    assert finding.message.endswith("missing ownership_form, area_declared_ha")
    assert report.check("never_verified").count == 0  # the factory's load carries its check
