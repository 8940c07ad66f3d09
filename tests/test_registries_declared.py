"""Registries declared in YAML, with no Python: they become a table (through the migration),
an OGC collection, a tile layer, a search target and an export like the built-in ones."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import yaml

from gis.errors import RuleViolation
from registries.catalog import default_catalog
from registries.declaration import DeclarationError, declared_registries, load_registry
from registries.search import search
from registries.styles import style_of
from registries.tiling import attributes, rule_at
from tests.factories import E0, N0, create, line, make_boundary, point, today

ROOT = Path(__file__).resolve().parent.parent


def closure(**props: object) -> dict[str, object]:
    return {"reason": "Ремонт водогону", "kind": "full_closure",
            "closed_from": today() - timedelta(days=2), "closed_until": today() + timedelta(days=5),
            "organisation": "КП «Хмельницькводоканал»", "contact_person": "Іваненко Петро",
            "contact_phone": "+380671234567", **props}


def test_the_shipped_declarations_are_registries_of_the_catalog() -> None:
    ids = [r.id for r in declared_registries()]
    assert ids == ["accessibility_objects", "road_closures", "water_bodies"]
    catalog = default_catalog()
    config = yaml.safe_load((ROOT / "pygeoapi-config.yml").read_text(encoding="utf-8"))
    for rid in ids:
        reg = catalog.get(rid)
        assert config["resources"][rid]["providers"][0]["table"] == reg.table
        assert rule_at(reg, 16) is not None  # a tile layer
        assert style_of(reg).colour == reg.style.colour  # type: ignore[union-attr]


def test_declared_table_rules_status_and_personal_fields(conn: psycopg.Connection) -> None:
    oid = create(conn, "road_closures", line([(E0, N0), (E0 + 200, N0)]), **closure())
    row = conn.execute("SELECT status, reason FROM open_data.road_closure WHERE id = %s",
                       (oid,)).fetchone()
    assert row == ("active", "Ремонт водогону")
    public_cols = {r[0] for r in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'open_data' "
        "AND table_name = 'road_closure'")}
    assert {"contact_person", "contact_phone"}.isdisjoint(public_cols)
    with pytest.raises(RuleViolation, match=r"road closure Ремонт водогону: closed_from .* must "
                                            r"be before closed_until"):
        create(conn, "road_closures", line([(E0, N0), (E0 + 200, N0)]),
               **closure(closed_until=today() - timedelta(days=3)))
    make_boundary(conn, 1000)
    with pytest.raises(RuleViolation, match="lies outside the community boundary by 300.0 m"):
        create(conn, "road_closures", line([(E0, N0), (E0 + 800, N0)]), **closure())


def test_declared_registry_is_a_search_target_and_masks_natural_persons(
        conn: psycopg.Connection) -> None:
    create(conn, "accessibility_objects", point(E0, N0), name="Пандус ЦНАП", kind="ramp",
           condition="usable", inspector_kind="natural", inspector_name="Мельник Ольга")
    hits = search(conn, default_catalog(), "пандус")
    assert [(h.collection, h.label) for h in hits] == [("accessibility_objects", "Пандус ЦНАП")]
    assert search(conn, default_catalog(), "Мельник") == []
    name = conn.execute("SELECT inspector_name FROM open_data.accessibility_object").fetchone()
    assert name == ("фізична особа",)


def test_derived_status_is_a_tile_attribute() -> None:
    reg = default_catalog().get("road_closures")
    from psycopg import sql

    attrs = dict(attributes(reg, rule_at(reg, 15), sql.SQL("current_date")))  # type: ignore[arg-type]
    assert "CASE WHEN" in attrs["status"].as_string(None)


def test_a_bad_declaration_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("id: bad\ntitle: Bad\ntable: bad\ngeometry: Point\nfields:\n"
                    "  - {name: x, type: colour}\n", encoding="utf-8")
    with pytest.raises(DeclarationError, match="bad.yml field 'x': type must be one of"):
        load_registry(path)
    path.write_text("id: bad\ntitle: Bad\ntable: bad\ngeometry: Point\nfields: []\n"
                    "rules: [{no_such_rule: 1}]\n", encoding="utf-8")
    with pytest.raises(DeclarationError, match="bad.yml rule: a rule is one of"):
        load_registry(path)
    path.write_text("id: bad\ntitle: Bad\ntable: bad\ngeometry: Point\nfields:\n"
                    "  - {name: x, identifies: true}\n", encoding="utf-8")
    with pytest.raises(DeclarationError, match="bad.yml field 'x': person is the name"):
        load_registry(path)


def test_a_new_declaration_gets_its_table_through_a_generated_migration(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from click.testing import CliRunner

    import registries.catalog
    import registries.migrate
    from app.cli import main
    from registries.declaration import DECLARED
    from registries.migrate import upgrade
    from tests.conftest import SRID

    migrations, declared = tmp_path / "migrations", tmp_path / "declared"
    shutil.copytree(ROOT / "migrations", migrations,
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(DECLARED, declared)
    (declared / "communal_properties.yml").write_text(
        "id: communal_properties\ntitle: {uk: Комунальне майно, en: Communal property}\n"
        "table: communal_property\ngeometry: MultiPolygon\ngroup: property\n"
        "fields:\n  - {name: name, required: true, searchable: true}\n"
        "  - {name: lessee_kind, choices: [legal, natural]}\n"
        "  - {name: lessee_name, personal_if: {field: lessee_kind, equals: natural}}\n",
        encoding="utf-8")
    monkeypatch.setattr(registries.migrate, "MIGRATIONS", migrations)
    monkeypatch.setattr(registries.catalog, "declared_registries",
                        lambda: declared_registries(declared))
    monkeypatch.setenv("GIS_DATABASE_URL", db_url)
    with pytest.raises(Exception, match="communal_properties .* needs its migration"):
        upgrade(db_url, SRID)  # the catalog knows the registry, no migration made its table
    result = CliRunner().invoke(main, ["db", "revision", "-m", "communal property"])
    assert result.exit_code == 0, result.output
    [written] = [p for p in (migrations / "versions").glob("*communal_property.py")]
    assert "srid=srid" in written.read_text(encoding="utf-8")
    upgrade(db_url, SRID)
    with psycopg.connect(db_url) as conn:
        cols = {r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = "
            "'open_data' AND table_name = 'communal_property'")}
    assert {"name", "lessee_name", "geom"} <= cols


def test_docs_list_every_rule() -> None:
    from registries.rules import rules_markdown

    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    block = text.split("<!-- rules: begin (generated by `gis registry rules`) -->\n", 1)[1]
    assert block.split("<!-- rules: end -->", 1)[0] == rules_markdown(list(default_catalog())), \
        "run `gis registry rules` and update docs/rules.md"
