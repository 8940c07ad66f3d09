"""The generated QGIS project, opened and edited by a real QGIS (Debian's 3.22, system Python).

A planner downloads the project, puts the service entry the server gives into
pg_service.conf and edits parcels straight in PostGIS; the edits are visible over OGC API,
carry the planner's name in history, and a colleague's save in between is never overwritten.
The public project opens every public layer over OGC API.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from gis.auth import Role
from gis.cluster import EmbeddedCluster
from gis.users import add_user, issue_token
from registries.catalog import default_catalog
from tests.conftest import DEMO_TODAY, clone, drop, served
from tests.factories import approve_all

PROBE = Path(__file__).parent / "clients" / "qgis_project_probe.py"
PASSWORD = "kadastr-2026"
DB = "qgisproject"


@pytest.fixture(scope="module")
def qgis_city(cluster: EmbeddedCluster, template_url: str) -> Iterator[dict[str, Any]]:
    from app.demo.load import load_demo

    url = clone(cluster, "gis_template", DB)
    with psycopg.connect(url) as conn:
        load_demo(conn, scale=0.01, seed=68, today=DEMO_TODAY, srid=6383)
        add_user(conn, "olena", frozenset({Role.PLANNER}), password=PASSWORD)
        token = issue_token(conn, "olena", "QGIS tests")[1]
        conn.commit()
    with served({"GIS_DATABASE_URL": url}) as base:
        yield {"server": base, "url": url, "token": token, "port": cluster.port}
    drop(cluster, DB)


def run_probe(project: Path, env: dict[str, str], edits: dict[str, Any] | None = None
              ) -> dict[str, Any]:
    args = ["/usr/bin/python3", str(PROBE), str(project)]
    if edits is not None:
        path = project.with_suffix(".json")
        path.write_text(json.dumps(edits, ensure_ascii=False), encoding="utf-8")
        args.append(str(path))
    out = subprocess.run(args, env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                                    "XDG_RUNTIME_DIR": str(project.parent), **env},
                         capture_output=True, text=True, timeout=600, cwd=project.parent)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_planner_edits_parcels_through_the_generated_project(qgis_city: dict[str, Any],
                                                             tmp_path: Path) -> None:
    server, url = qgis_city["server"], qgis_city["url"]
    staff = {"Authorization": f"Bearer {qgis_city['token']}"}
    entry = httpx.get(f"{server}/qgis/service-entry", headers=staff)
    assert entry.status_code == 200, entry.text
    (tmp_path / "pg_service.conf").write_text(entry.text)
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{qgis_city['port']}:{DB}:{DB}_olena:{PASSWORD}\n")
    pgpass.chmod(0o600)
    r = httpx.get(f"{server}/qgis/project.qgs", headers=staff)
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-qgis-project"
    (tmp_path / "staff.qgs").write_bytes(r.content)

    with psycopg.connect(url) as conn:
        ids = [row[0] for row in conn.execute(
            "SELECT id FROM registry.land_parcel ORDER BY id LIMIT 2")]
        gone, number, wkt = conn.execute(
            "DELETE FROM registry.land_parcel WHERE id = (SELECT max(id) FROM "
            "registry.land_parcel) RETURNING id, cadastral_number, ST_AsText(geom)").fetchone()
        conn.commit()
    edits = {"edit_id": ids[0], "conflict_id": ids[1], "purpose_text": "під забудову (QGIS)",
             "insert": {"wkt": wkt, "properties": {
                 "cadastral_number": number, "category": "200", "purpose_code": "02.01",
                 "ownership_form": "300", "holder_kind": "legal",
                 "holder_name": "Хмельницька міська рада"}}}
    report = run_probe(tmp_path / "staff.qgs", {
        "PGSERVICEFILE": str(tmp_path / "pg_service.conf"), "PGPASSFILE": str(pgpass)}, edits)

    assert report["read"] is True and report["crs"] == "EPSG:6383"
    layers = report["layers"]
    catalog = default_catalog()
    assert set(layers) == set(catalog.ids)
    for reg in catalog:
        assert layers[reg.id]["valid"], reg.id
        assert layers[reg.id]["provider"] == "postgres"
        assert layers[reg.id]["editable"] == (Role.PLANNER in reg.edit_roles), reg.id
    assert layers["land_parcels"]["name"] == "Земельні ділянки"
    rel = report["relations"]
    assert rel["parcel_addresses"]["valid"] and rel["quarter_parcels"]["valid"]
    assert rel["quarter_parcels"]["related_to_first"] > 0
    assert rel["addresses_street_id"]["valid"]
    form = report["form"]
    assert form["category_widget"] == "ValueMap"
    assert {"землі житлової та громадської забудови": "200"} in form["category_map"]
    assert form["number_alias"] == "Кадастровий номер" and form["number_not_null"]
    assert "regexp_match" in form["number_expression"]
    assert form["version_default"] == '-abs("version")' and form["version_on_update"]

    outcome = report["outcome"]
    assert outcome["edit"]["committed"], outcome["edit"]["errors"]
    assert outcome["colleague"]["committed"], outcome["colleague"]["errors"]
    assert not outcome["conflict"]["committed"]
    assert any("was changed by olena" in e for e in outcome["conflict"]["errors"])
    assert outcome["after_reload"]["committed"], outcome["after_reload"]["errors"]
    assert outcome["insert"]["committed"], outcome["insert"]["errors"]

    item_url = (f"{server}/collections/land_parcels/items/{ids[0]}?f=json&crs="
                "http://www.opengis.net/def/crs/EPSG/0/6383")
    working = httpx.get(item_url + "&pending=true", headers=staff).json()
    assert working["properties"]["purpose_text"] == "під забудову (QGIS)"
    assert working["verification"]["state"] == "changed"
    # the public sees QGIS's edits once the land resources department verifies them
    assert httpx.get(item_url).json()["properties"]["purpose_text"] != "під забудову (QGIS)"
    with psycopg.connect(url) as conn:
        approve_all(conn)
        conn.commit()
    item = httpx.get(item_url).json()
    assert item["properties"]["purpose_text"] == "під забудову (QGIS)"
    northing, easting = item["geometry"]["coordinates"][0][0][0]
    assert (easting, northing) == pytest.approx(tuple(outcome["edit"]["moved_to"]), abs=1e-3)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT changed_by FROM registry.land_parcel WHERE id = %s",
                            (ids[0],)).fetchone() == ("olena",)
        assert conn.execute("SELECT purpose_text FROM registry.land_parcel WHERE id = %s",
                            (ids[1],)).fetchone() == ("моя",)
        assert conn.execute("SELECT changed_by, version FROM registry.land_parcel WHERE "
                            "cadastral_number = %s", (number,)).fetchone() == ("olena", 1)
    assert gone not in ids


def test_public_project_reads_every_public_layer_over_ogc_api(qgis_city: dict[str, Any],
                                                              tmp_path: Path) -> None:
    r = httpx.get(f"{qgis_city['server']}/qgis/project.qgs")
    assert r.status_code == 200
    assert b"service=" not in r.content and b"holder_rnokpp" not in r.content
    (tmp_path / "public.qgs").write_bytes(r.content)
    report = run_probe(tmp_path / "public.qgs", {})
    public = [reg.id for reg in default_catalog() if reg.public]
    assert set(report["layers"]) == set(public)
    for layer_id, info in report["layers"].items():
        assert info["valid"] and info["provider"] == "OAPIF", layer_id
        assert info["sample"] > 0 and info["read_only"], layer_id
    assert report["crs"] == "EPSG:6383"
    assert report["relations"]["parcel_addresses"]["valid"]
    assert report["relations"]["quarter_parcels"]["related_to_first"] > 0


def test_staff_endpoints_need_a_staff_sign_in(qgis_city: dict[str, Any]) -> None:
    server = qgis_city["server"]
    assert httpx.get(f"{server}/qgis/service-entry").status_code == 401
    staff = {"Authorization": f"Bearer {qgis_city['token']}"}
    r = httpx.post(f"{server}/qgis/credentials", headers=staff)
    assert r.status_code == 409  # a local user's login has the user's own password
    public = httpx.get(f"{server}/qgis/project.qgs?access=public", headers=staff)
    assert b"service=" not in public.content


def test_staff_project_shows_pending_changes_on_request(qgis_city: dict[str, Any]) -> None:
    server = qgis_city["server"]
    staff = {"Authorization": f"Bearer {qgis_city['token']}"}
    published = httpx.get(f"{server}/qgis/project.qgs", headers=staff).text
    pending = httpx.get(f"{server}/qgis/project.qgs?pending=true", headers=staff).text
    # the planner's own registries are the working copy either way; the others switch from
    # the published versions to the working copy with each object's verification state
    assert 'table="registry"."land_parcel"' in published
    assert 'table="registry"."land_parcel"' in pending
    assert 'table="staff_data"."advertising_structure"' in published
    assert 'table="pending_data"."advertising_structure"' in pending
    assert 'name="verification"' in pending and 'name="verification"' not in published
    assert httpx.get(f"{server}/qgis/project.qgs?pending=true").status_code == 401



def test_the_english_project_is_english_but_for_stored_values(qgis_city: dict[str, Any]
                                                               ) -> None:
    """``lang=en`` names the project, its layers, fields and legend in English (the project's
    name stayed Ukrainian); what stays Cyrillic is data: the codes a value map stores (its
    labels are English) and the patterns of field constraints."""
    import re
    import xml.etree.ElementTree as ET

    cyrillic = re.compile("[А-Яа-яЇїІіЄєҐґ]")
    staff = {"Authorization": f"Bearer {qgis_city['token']}"}
    for headers in ({}, staff):
        r = httpx.get(f"{qgis_city['server']}/qgis/project.qgs", params={"lang": "en-GB"},
                      headers=headers)
        assert r.status_code == 200 and r.headers["content-language"] == "en"
        root = ET.fromstring(r.content)
        assert root.get("projectname") == "Hromada GIS — Khmelnytskyi"
        assert root.findtext("title") == "Khmelnytskyi geoportal"  # as the geoportal titles it
        stored = 0
        for element in root.iter():
            for name, value in [*element.attrib.items(), ("text", element.text or "")]:
                if not cyrillic.search(value):
                    continue
                if element.tag == "Option" and name == "value" and element.get("name"):
                    assert not cyrillic.search(element.get("name", "")), element.attrib
                    stored += 1  # a value map's stored code; its label is the name
                    continue
                assert "regexp_match" in value or value.startswith("must match "), (
                    element.tag, name, value[:200])
        assert stored > 0  # the street types are stored as Ukrainian words
    ukrainian = ET.fromstring(httpx.get(f"{qgis_city['server']}/qgis/project.qgs").content)
    assert ukrainian.get("projectname") == "Hromada GIS — Хмельницький"
    assert ukrainian.findtext("title") == "Геопортал м. Хмельницький"
