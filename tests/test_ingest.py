"""``gis ingest`` on files the tests make with fiona: every geometry type and format, encodings,
CRSs, the dry-run report, modes, history, reject files, bad input — against a real PostGIS."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import fiona
import psycopg
import pytest

from gis.errors import InvalidFile, InvalidParameter
from ingest.job import FileOptions
from ingest.load import Report
from tests.ingest_files import (
    E0,
    N0,
    PARCEL_SCHEMA,
    bow_tie,
    count,
    parcel,
    run,
    square,
    to_wgs84,
    write,
)


def test_cp1251_shapefile_without_cpg_reads_its_cyrillic(db_url: str, tmp_path: Path) -> None:
    path = write(tmp_path / "parcels.shp", [parcel(i) for i in range(1, 4)], PARCEL_SCHEMA,
                 encoding="cp1251")
    (tmp_path / "parcels.cpg").unlink(missing_ok=True)
    assert not (tmp_path / "parcels.cpg").exists()
    assert "Ковальчук".encode("cp1251") in (tmp_path / "parcels.dbf").read_bytes()
    report = run(db_url, path, "land_parcels")
    assert report.encoding == "cp1251" and report.written, report.problems
    assert any("cp1251" in n for n in report.notes)
    with psycopg.connect(db_url) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT holder_name FROM registry.land_parcel ORDER BY cadastral_number")]
        kinds = {r[0] for r in conn.execute("SELECT ownership_form || holder_kind FROM "
                                            "registry.land_parcel")}
    assert names == [f"Ковальчук Олена Петрівна {i}" for i in range(1, 4)]
    assert kinds == {"100natural"}  # titles → codes: «Приватна власність», «фізична особа»


def test_dry_run_lists_invalid_geometries_by_row_and_writes_nothing(db_url: str,
                                                                  tmp_path: Path) -> None:
    records = [parcel(i) for i in range(1, 7)]
    records[3] = parcel(4, bow_tie(E0 + 120, N0))
    records[5] = parcel(6, [(E0 + 150, N0), (E0 + 170, N0), (E0 + 150, N0)])  # no area
    path = write(tmp_path / "p.gpkg", records, PARCEL_SCHEMA, driver="GPKG")
    report = run(db_url, path, "land_parcels", dry_run=True)
    invalid = {p.row: p.message for p in report.problems
               if p.rule in ("geometry_valid", "geometry_readable")}
    assert set(invalid) == {4, 6}, report.problems
    assert "at least four points" in invalid[6]
    assert "Self-intersection" in invalid[4] and "at POINT(" in invalid[4]
    assert "ST_MakeValid would make 2 part(s)" in invalid[4] and "--repair" in invalid[4]
    assert report.refused and count(db_url, "land_parcel") == 0
    # the same file with --repair: row 4 becomes two triangles; row 6 has nothing to keep
    repaired = run(db_url, path, "land_parcels", repair=True, on_error="skip")
    assert repaired.repaired == 1 and repaired.inserted == 5 and repaired.rejected == 1
    assert count(db_url, "land_parcel", "ST_NumGeometries(geom) = 2") == 1


def test_a_ucs2000_zone_file_and_a_wgs84_file_land_on_the_same_place(db_url: str,
                                                                    tmp_path: Path) -> None:
    records = [parcel(i) for i in range(1, 3)]
    ucs = write(tmp_path / "ucs.shp", records, PARCEL_SCHEMA)
    wgs = write(tmp_path / "wgs.geojson", to_wgs84([parcel(i, KADNUM=f"6810100000:02:098:"
                                                            f"{i:04d}") for i in range(1, 3)]),
                PARCEL_SCHEMA, driver="GeoJSON", crs=4326)
    assert run(db_url, ucs, "land_parcels").crs == "EPSG:6383"
    report = run(db_url, wgs, "land_parcels", on_error="skip")
    assert report.crs == "EPSG:4326"
    # the two copies of each parcel overlap: the second is refused by the overlap rule
    assert report.rejected == 2 and all("overlaps" in r for r in report.rejected_rows.values())
    with psycopg.connect(db_url) as conn:
        stored = conn.execute("SELECT ST_AsText(geom, 3) FROM registry.land_parcel "
                              "WHERE cadastral_number = '6810100000:02:099:0001'").fetchone()
        moved = conn.execute(
            "SELECT ST_HausdorffDistance(ST_Transform(ST_GeomFromGeoJSON(%s), 6383), geom) "
            "FROM registry.land_parcel WHERE cadastral_number = '6810100000:02:099:0001'",
            (json.dumps(to_wgs84([parcel(1)])[0]["geometry"] | {"crs": {"type": "name",
             "properties": {"name": "EPSG:4326"}}}),)).fetchone()
    assert stored is not None and f"{E0 + 30:.0f} {N0:.0f}" in stored[0].replace(".000", "")
    assert moved is not None and moved[0] < 0.001


def test_a_file_in_another_ucs2000_zone_is_moved_into_the_storage_zone(db_url: str,
                                                                       tmp_path: Path) -> None:
    from pyproj import Transformer

    t = Transformer.from_crs(6383, 6384, always_xy=True)
    rec = parcel(1)
    rec["geometry"]["coordinates"] = [[t.transform(x, y) for x, y in rec["geometry"][
        "coordinates"][0]]]
    path = write(tmp_path / "z10.shp", [rec], PARCEL_SCHEMA, crs=6384)
    assert run(db_url, path, "land_parcels").inserted == 1
    with psycopg.connect(db_url) as conn:
        x = conn.execute("SELECT ST_XMin(geom) FROM registry.land_parcel").fetchone()
    assert x is not None and abs(x[0] - (E0 + 30)) < 0.001


@pytest.mark.parametrize("driver,suffix", [("ESRI Shapefile", ".shp"), ("GPKG", ".gpkg"),
                                            ("GeoJSON", ".geojson")])
def test_every_geometry_type_lands_in_a_registry_of_its_kind(db_url: str, tmp_path: Path,
                                                             driver: str, suffix: str) -> None:
    props = {"name": "str:80", "kind": "str:40", "condition": "str:20"}
    points = write(tmp_path / f"points{suffix}", [
        {"geometry": {"type": "Point", "coordinates": (E0 + i, N0)},
         "properties": {"name": f"Пандус {i}", "kind": "пандус", "condition": "usable"}}
        for i in range(3)], {"geometry": "Point", "properties": props}, driver=driver)
    assert run(db_url, points, "accessibility_objects").inserted == 3
    lines = write(tmp_path / f"lines{suffix}", [
        {"geometry": {"type": "LineString", "coordinates": [(E0, N0), (E0 + 50, N0 + 5)]},
         "properties": {"kind": "existing"}},
        {"geometry": {"type": "MultiLineString", "coordinates": [
            [(E0, N0 + 20), (E0 + 50, N0 + 20)], [(E0 + 60, N0 + 20), (E0 + 90, N0 + 25)]]},
         "properties": {"kind": "planned"}}],
        {"geometry": "Unknown" if driver != "ESRI Shapefile" else "LineString",
         "properties": {"kind": "str:20"}}, driver=driver)
    assert run(db_url, lines, "red_lines").inserted == 2
    spots = write(tmp_path / f"spots{suffix}", [
        {"geometry": {"type": "Polygon", "coordinates": [square(E0 + 30 * i, N0 + 100, 10)]},
         "properties": {"spot_number": f"С-{i}", "max_area_m2": 30.0}} for i in range(3)],
        {"geometry": "Polygon", "properties": {"spot_number": "str:10", "max_area_m2": "float"}},
        driver=driver)
    assert run(db_url, spots, "ts_scheme_spots").inserted == 3
    assert count(db_url, "accessibility_object", "kind = 'ramp'") == 3  # «пандус»? no: title
    assert count(db_url, "red_line", "ST_NumGeometries(geom) = 2") == 1
    assert count(db_url, "ts_scheme_spot", "GeometryType(geom) = 'POLYGON'") == 3


def test_mixed_geometry_types_are_listed_and_nothing_is_written(db_url: str,
                                                              tmp_path: Path) -> None:
    records = [parcel(1), {"geometry": {"type": "Point", "coordinates": (E0, N0)},
                           "properties": parcel(2)["properties"]},
               {"geometry": {"type": "LineString", "coordinates": [(E0, N0), (E0 + 9, N0)]},
                "properties": parcel(3)["properties"]}]
    path = write(tmp_path / "mixed.geojson", records,
                 {"geometry": "Unknown", "properties": PARCEL_SCHEMA["properties"]},
                 driver="GeoJSON")
    report = run(db_url, path, "land_parcels")
    assert report.geometry_types == {"Polygon": 1, "Point": 1, "LineString": 1}
    wrong = {p.row: p.message for p in report.problems if p.rule == "geometry_type"}
    assert wrong == {2: "row 2: the geometry is Point; land_parcels holds MultiPolygon",
                     3: "row 3: the geometry is Linestring; land_parcels holds MultiPolygon"}
    assert report.refused and not report.written and count(db_url, "land_parcel") == 0


def test_upsert_changing_10_of_1000_rows_records_exactly_those_10(db_url: str,
                                                                 tmp_path: Path) -> None:
    records = [parcel(i) for i in range(1, 1001)]
    first = write(tmp_path / "v1.gpkg", records, PARCEL_SCHEMA, driver="GPKG")
    assert run(db_url, first, "land_parcels", mode="upsert").inserted == 1000
    changed = {7, 70, 100, 250, 333, 500, 640, 777, 901, 1000}
    for i in changed:
        if i % 2:
            records[i - 1]["properties"]["CILPR"] = "02.03"
        else:  # a vertex moved by 10 cm
            x, y = E0 + (i % 40) * 30, N0 + (i // 40) * 30
            records[i - 1] = parcel(i, [(x, y), (x + 20.1, y), (x + 20, y + 20), (x, y + 20),
                                        (x, y)])
    second = write(tmp_path / "v2.gpkg", records, PARCEL_SCHEMA, driver="GPKG")
    dry = run(db_url, second, "land_parcels", mode="upsert", dry_run=True)
    assert (dry.inserted, dry.updated, dry.unchanged) == (0, 10, 990)
    report = run(db_url, second, "land_parcels", mode="upsert", user="olena")
    assert report.written and (report.updated, report.unchanged) == (10, 990)
    with psycopg.connect(db_url) as conn:
        history = conn.execute(
            "SELECT h.cadastral_number, h.ended_by, h.ended_source, l.changed_by, "
            "l.change_source, l.version FROM history.land_parcel AS h JOIN registry.land_parcel "
            "AS l ON l.id = h.id ORDER BY 1").fetchall()
        untouched = conn.execute("SELECT count(*) FROM registry.land_parcel WHERE version = 1"
                                 ).fetchone()
    assert [r[0] for r in history] == sorted(f"6810100000:02:099:{i:04d}" for i in changed)
    assert {r[1:] for r in history} == {("olena", "ingest v2.gpkg", "olena", "ingest v2.gpkg",
                                         2)}
    assert untouched == (990,)


def test_replace_deletes_what_the_file_no_longer_holds(db_url: str, tmp_path: Path) -> None:
    path = write(tmp_path / "all.shp", [parcel(i) for i in range(1, 6)], PARCEL_SCHEMA)
    run(db_url, path, "land_parcels")
    fewer = write(tmp_path / "fewer.shp", [parcel(i) for i in (1, 2, 3)], PARCEL_SCHEMA)
    report = run(db_url, fewer, "land_parcels", mode="replace")
    assert (report.deleted, report.unchanged, report.inserted) == (2, 3, 0)
    with psycopg.connect(db_url) as conn:
        gone = conn.execute("SELECT cadastral_number, operation, ended_source FROM "
                            "history.land_parcel ORDER BY 1").fetchall()
    assert gone == [("6810100000:02:099:0004", "D", "ingest fewer.shp"),
                    ("6810100000:02:099:0005", "D", "ingest fewer.shp")]


def test_on_error_skip_writes_the_valid_rows_and_a_reject_file(db_url: str,
                                                             tmp_path: Path) -> None:
    records = [parcel(i) for i in range(1, 6)]
    records[1]["properties"]["KADNUM"] = "68101:02:099:2"  # malformed
    records[3]["properties"]["CATEG"] = "землі на Місяці"  # not a category
    path = write(tmp_path / "in.shp", records, PARCEL_SCHEMA, encoding="cp1251")
    report = run(db_url, path, "land_parcels", on_error="skip")
    assert (report.inserted, report.rejected) == (3, 2) and report.written
    rejects = tmp_path / "in.rejected.shp"
    with fiona.open(str(rejects)) as c:
        rows = [dict(f.properties) for f in c]
    assert [r["KADNUM"] for r in rows] == ["68101:02:099:2", "6810100000:02:099:0004"]
    assert "does not match the format 0000000000:00:000:0000 (0 stands for a digit)" in \
        rows[0]["reason"], rows[0]["reason"]
    assert "'землі на Місяці' is not one of its codes" in rows[1]["reason"]
    assert rows[1]["OWNER"] == "Ковальчук Олена Петрівна 4"  # the input's own values


def test_all_or_nothing_without_skip(db_url: str, tmp_path: Path) -> None:
    records = [parcel(i) for i in range(1, 6)]
    records[4]["properties"]["CILPR"] = "99.99"
    path = write(tmp_path / "in.gpkg", records, PARCEL_SCHEMA, driver="GPKG")
    report = run(db_url, path, "land_parcels")
    assert report.refused and report.blocking == 1 and count(db_url, "land_parcel") == 0
    assert [p.message for p in report.problems] == [
        "row 5: parcel 6810100000:02:099:0005: purpose 99.99 is not in the land purpose "
        "classifier (КВЦПЗ)"]


def test_a_yaml_mapping_names_columns_codes_and_constants(db_url: str, tmp_path: Path) -> None:
    schema = {"geometry": "Polygon", "properties": {"NOMER": "str:30", "VYD": "str:20",
                                                    "PRYZN": "str:10"}}
    recs = [{"geometry": {"type": "Polygon", "coordinates": [square(E0 + 30 * i, N0)]},
             "properties": {"NOMER": f"6810100000:02:099:{i:04d}", "VYD": "КОМ",
                            "PRYZN": "03.02"}} for i in range(1, 3)]
    path = write(tmp_path / "odd.gpkg", recs, schema, driver="GPKG")
    mapping = tmp_path / "mapping.yml"
    mapping.write_text("fields: {cadastral_number: NOMER, purpose_code: PRYZN}\n"
                       "values: {ownership_form: {КОМ: '300'}}\n"
                       "set: {category: '200'}\n", encoding="utf-8")
    bare = run(db_url, path, "land_parcels", dry_run=True)
    assert bare.refused and any("cadastral_number is not in the file" in p.message
                                for p in bare.problems)
    # the missing purpose is said once, by the required field, not again as an unknown code
    assert any("purpose_code is not in the file" in p.message for p in bare.problems)
    assert not [p.message for p in bare.problems if p.rule == "purpose_known"]
    mapping.write_text(mapping.read_text(encoding="utf-8").replace(
        "PRYZN}", "PRYZN, ownership_form: VYD}"), encoding="utf-8")
    report = run(db_url, path, "land_parcels", files=FileOptions(mapping=mapping))
    assert report.inserted == 2, report.problems
    assert count(db_url, "land_parcel", "ownership_form = '300' AND category = '200' AND "
                                        "purpose_code = '03.02'") == 2
    # the unmapped file again: its rows now overlap the parcels just imported, and a rule's
    # message names a row without its number so, never by its staging number ("parcel #-1")
    again = run(db_url, path, "land_parcels", dry_run=True)
    overlaps = [p.message for p in again.problems if p.rule == "no_overlap"]
    assert overlaps and all(m.startswith(f"row {i + 1}: parcel without cadastral_number "
                                         "overlaps 6810100000:02:099:") for i, m in
                            enumerate(sorted(overlaps))), overlaps


def test_a_holder_name_without_its_kind_is_refused(db_url: str, tmp_path: Path) -> None:
    schema = {"geometry": "Polygon", "properties": {
        k: v for k, v in PARCEL_SCHEMA["properties"].items() if k != "KIND"}}
    recs = [parcel(1)]
    del recs[0]["properties"]["KIND"]
    path = write(tmp_path / "nokind.gpkg", recs, schema, driver="GPKG")
    report = run(db_url, path, "land_parcels")
    assert report.refused
    assert any(p.rule == "personal_data" and "would be public" in p.message
               for p in report.problems)


def test_csv_with_x_y_northing_first_and_decimal_commas(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "objects.csv"
    path.write_bytes("Назва;Вид;Стан;X;Y\n"
                     f"Пандус біля ЦНАП;ramp;usable;{N0:.2f};{E0:.2f}\n"
                     "Ліфт;lift;needs_repair;5476640,50;299870,25\n".replace(
                         f"{N0:.2f}", f"{N0:.2f}".replace(".", ",")).encode("cp1251"))
    no_crs = pytest.raises(InvalidFile, match="look like UCS-2000 / Ukraine TM.*pass --crs")
    with no_crs:
        run(db_url, path, "accessibility_objects")
    report = run(db_url, path, "accessibility_objects", files=FileOptions(crs="EPSG:6383"))
    assert report.inserted == 2 and report.encoding == "cp1251", report.problems
    assert any("northing/easting" in n for n in report.notes)
    # the coordinates are the geometry, not columns "not imported"
    assert "the geometry is read from columns X/Y" in report.notes
    assert report.ignored_columns == [], report.ignored_columns
    with psycopg.connect(db_url) as conn:
        xy = conn.execute("SELECT ST_X(geom), ST_Y(geom) FROM registry.accessibility_object "
                          "WHERE kind = 'lift'").fetchone()
    assert xy == (299870.25, 5476640.5)


def test_kml_and_dxf_read_through_gdal(db_url: str, tmp_path: Path) -> None:
    kml = tmp_path / "objects.kml"
    kml.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        "<Document><Folder><name>objects</name><Placemark><name>Пандус</name>"
        "<ExtendedData><Data name='kind'><value>ramp</value></Data><Data name='condition'>"
        "<value>usable</value></Data></ExtendedData>"
        "<Point><coordinates>26.9965,49.4216</coordinates></Point></Placemark>"
        "</Folder></Document></kml>", encoding="utf-8")
    assert run(db_url, kml, "accessibility_objects").inserted == 1
    dxf = tmp_path / "survey.dxf"
    dxf.write_text(_dxf_with_outline_and_label(E0, N0, "С-17"), encoding="ascii")
    no_crs = pytest.raises(InvalidFile, match="does not say its coordinate system")
    with no_crs:
        run(db_url, dxf, "ts_scheme_spots")
    report = run(db_url, dxf, "ts_scheme_spots", files=FileOptions(crs="6383"))
    assert report.inserted == 1, report.problems
    assert any(m["field"] == "spot_number" and m["how"] == "drawing text"
               for m in report.mapping)
    assert count(db_url, "ts_scheme_spot", "spot_number = 'С-17' AND "
                                           "abs(ST_Area(geom) - 48) < 1e-6") == 1


def _dxf_with_outline_and_label(x: float, y: float, label: str) -> str:
    """Return a minimal DXF (R12): a closed 8 × 6 m polyline and a text inside it."""
    def pair(code: int, value: object) -> str:
        return f"{code}\n{value}\n"
    out = pair(0, "SECTION") + pair(2, "ENTITIES")
    out += pair(0, "POLYLINE") + pair(8, "spots") + pair(66, 1) + pair(70, 1)
    for vx, vy in ((x, y), (x + 8, y), (x + 8, y + 6), (x, y + 6)):
        out += pair(0, "VERTEX") + pair(8, "spots") + pair(10, vx) + pair(20, vy)
    out += pair(0, "SEQEND")
    out += pair(0, "TEXT") + pair(8, "spots") + pair(10, x + 2) + pair(20, y + 2) + pair(
        40, 1.0) + pair(1, label.encode("ascii", "backslashreplace").decode().replace(
            "\\u", "\\U+"))
    return out + pair(0, "ENDSEC") + pair(0, "EOF")


# -- bad input: one clear message each, nothing written ----------------------------------------

def test_a_shapefile_without_its_index_is_one_clear_message(db_url: str, tmp_path: Path) -> None:
    path = write(tmp_path / "p.shp", [parcel(1)], PARCEL_SCHEMA)
    (tmp_path / "p.shx").unlink()
    with pytest.raises(InvalidFile, match=r"p.shp: the Shapefile's index p.shx is missing"):
        run(db_url, path, "land_parcels")


def test_a_broken_zip_is_one_clear_message(db_url: str, tmp_path: Path) -> None:
    write(tmp_path / "p.shp", [parcel(i) for i in range(1, 50)], PARCEL_SCHEMA)
    archive = tmp_path / "p.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in ("p.shp", "p.shx", "p.dbf", "p.prj"):
            zf.write(tmp_path / part, part)
    whole = run(db_url, archive, "land_parcels", dry_run=True)
    assert whole.rows == 49 and whole.file == "p.zip!p.shp"
    cut = tmp_path / "cut.zip"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(InvalidFile, match="cut.zip: not a readable zip archive"):
        run(db_url, cut, "land_parcels")
    data = bytearray(archive.read_bytes())
    data[200:260] = b"\x00" * 60  # damaged inside a member: its CRC no longer matches
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(data))
    with pytest.raises(InvalidFile, match="damaged.zip: .*(damaged|not a readable)"):
        run(db_url, damaged, "land_parcels")
    assert count(db_url, "land_parcel") == 0


def test_a_file_without_crs_is_refused_with_what_it_looks_like(db_url: str,
                                                               tmp_path: Path) -> None:
    path = write(tmp_path / "nocrs.shp", [parcel(1)], PARCEL_SCHEMA, crs=None)
    (tmp_path / "nocrs.prj").unlink(missing_ok=True)
    with pytest.raises(InvalidFile, match=r"nocrs.shp: the file does not say its coordinate "
                                          r"system \(its coordinates .* look like UCS-2000"):
        run(db_url, path, "land_parcels")
    assert run(db_url, path, "land_parcels", files=FileOptions(crs="EPSG:6383")).inserted == 1


def test_sk63_without_the_deployments_keys_is_refused(db_url: str, tmp_path: Path) -> None:
    path = write(tmp_path / "sk63.shp", [parcel(1)], PARCEL_SCHEMA, crs=7826)
    with pytest.raises(InvalidFile, match="null transformation good to 3.5 m"):
        run(db_url, path, "land_parcels")


SK42_ZONE_5 = ("+proj=tmerc +lat_0=0 +lon_0=27 +k=1 +x_0=5500000 +y_0=0 +ellps=krass "
               "+towgs84=23.92,-141.27,-80.9,0,0.35,0.82,-0.12 +units=m +no_defs")


def test_a_custom_crs_proj_can_only_guess_is_refused_and_its_parameters_are_used(
        db_url: str, tmp_path: Path) -> None:
    """A .prj is ESRI WKT, which has no TOWGS84: an SK-42 zone exported by GDAL or MapInfo
    keeps its ellipsoid but loses its datum shift, and PROJ then relates it to UCS-2000 (the
    same ellipsoid) only by a "ballpark" operation, metres off. A GeoPackage keeps the
    parameters: the import uses them."""
    from fiona.crs import CRS as FionaCRS
    from pyproj import CRS as ProjCRS
    from pyproj import Transformer

    sk42 = ProjCRS.from_proj4(SK42_ZONE_5)
    there = Transformer.from_crs(6383, sk42, always_xy=True)
    ring = [there.transform(x, y) for x, y in square(E0, N0)]
    record = parcel(1, ring)
    for name in ("sk42.shp", "sk42.gpkg"):
        with fiona.open(str(tmp_path / name), "w", driver="GPKG" if name.endswith("gpkg")
                        else "ESRI Shapefile", schema=PARCEL_SCHEMA,
                        crs=FionaCRS.from_wkt(sk42.to_wkt("WKT1_GDAL"))) as out:
            out.write(fiona.Feature.from_dict(record))
    assert "TOWGS84" not in (tmp_path / "sk42.prj").read_text()
    with pytest.raises(InvalidFile, match="only a ballpark one that can put objects metres off"):
        run(db_url, tmp_path / "sk42.shp", "land_parcels")
    assert count(db_url, "land_parcel") == 0
    report = run(db_url, tmp_path / "sk42.gpkg", "land_parcels")
    assert report.written, report.problems
    with psycopg.connect(db_url) as conn:
        moved = conn.execute("SELECT ST_HausdorffDistance(geom, ST_GeomFromText(%s, 6383)) FROM "
                             "registry.land_parcel", (
                                 "POLYGON((" + ", ".join(f"{x} {y}" for x, y in square(E0, N0))
                                 + "))",)).fetchone()
    assert moved is not None and moved[0] < 0.001  # back where it was drawn, to the mm


def test_a_wrong_crs_puts_objects_far_from_the_city(db_url: str, tmp_path: Path) -> None:
    path = write(tmp_path / "p.shp", [parcel(1)], PARCEL_SCHEMA)
    report = run(db_url, path, "land_parcels", files=FileOptions(crs="EPSG:6385"))
    assert report.refused
    assert any(p.rule == "geometry_near_city" and "is the CRS right?" in p.message
               for p in report.problems)


def test_unknown_mode_and_upsert_without_key_are_refused(db_url: str, tmp_path: Path) -> None:
    path = write(tmp_path / "p.shp", [parcel(1)], PARCEL_SCHEMA)
    with pytest.raises(InvalidParameter, match="--mode 'merge'"):
        run(db_url, path, "land_parcels", mode="merge")
    with pytest.raises(InvalidParameter, match="upsert needs a key; buildings declares none"):
        run(db_url, path, "buildings", mode="upsert")


LONG_PURPOSE = ("Для розміщення та експлуатації основних, підсобних і допоміжних будівель та "
                "споруд підприємств переробної, машинобудівної та іншої промисловості")


def test_a_shapefile_that_cut_a_long_text_never_cuts_the_stored_value(db_url: str,
                                                                      tmp_path: Path) -> None:
    """A DBF holds 254 bytes of text: 127 Cyrillic letters in UTF-8. A council exporting its
    parcels as a Shapefile, editing a few and importing the file back must not lose the end
    of every longer purpose."""
    assert len(LONG_PURPOSE.encode()) > 254
    wide = {**PARCEL_SCHEMA, "properties": {**PARCEL_SCHEMA["properties"],
                                            "purpose_te": "str:400"}}
    records = [parcel(i, purpose_te=LONG_PURPOSE) for i in range(1, 5)]
    whole = write(tmp_path / "whole.gpkg", records, wide, driver="GPKG")
    assert run(db_url, whole, "land_parcels", mode="upsert").inserted == 4
    records[1]["properties"]["OWNER"] = "Ковальчук Олена Петрівна (нова)"  # a real change
    records[2]["properties"]["purpose_te"] = "Для будівництва гаражів"  # a real change
    records[3]["properties"]["purpose_te"] = LONG_PURPOSE[:100]  # cut, but not by the file
    cut = write(tmp_path / "cut.shp", records, {**wide, "properties": {
        **wide["properties"], "purpose_te": "str:254"}})
    with fiona.open(str(cut)) as shp:
        held = [f.properties["purpose_te"] for f in shp]
    assert len(held[0].encode()) <= 254 and held[0] != LONG_PURPOSE
    assert LONG_PURPOSE.startswith(held[0])  # GDAL cut it
    dry = run(db_url, cut, "land_parcels", mode="upsert", dry_run=True)
    assert (dry.updated, dry.unchanged) == (3, 1), dry.problems
    report = run(db_url, cut, "land_parcels", mode="upsert")
    assert (report.updated, report.unchanged) == (3, 1), report.problems
    kept = {p.row: p.message for p in report.problems if p.rule == "cut_by_format"}
    assert set(kept) == {1, 2}, report.problems
    assert "field purpose_text (column purpose_te)" in kept[1]
    assert kept[1].endswith("the file cut it, the stored value is kept")
    with psycopg.connect(db_url) as conn:
        stored = conn.execute("SELECT purpose_text, holder_name, version FROM "
                              "registry.land_parcel ORDER BY cadastral_number").fetchall()
    assert stored == [(LONG_PURPOSE, "Ковальчук Олена Петрівна 1", 1),
                      (LONG_PURPOSE, "Ковальчук Олена Петрівна (нова)", 2),
                      ("Для будівництва гаражів", "Ковальчук Олена Петрівна 3", 2),
                      (LONG_PURPOSE[:100], "Ковальчук Олена Петрівна 4", 2)]
    # a new object's value that fills the column is stored as the file has it, with a warning
    new = write(tmp_path / "new.shp", [parcel(5, purpose_te=LONG_PURPOSE)], {
        **wide, "properties": {**wide["properties"], "purpose_te": "str:254"}})
    added = run(db_url, new, "land_parcels")
    assert added.inserted == 1
    assert [(p.row, p.rule, p.severity) for p in added.problems
            if p.field == "purpose_text"] == [(1, "cut_by_format", "warning")]
    assert "it may have been cut" in next(p.message for p in added.problems
                                          if p.rule == "cut_by_format")


def test_an_upsert_checks_the_rules_the_write_checks_and_the_dry_run_says_so(
        db_url: str, tmp_path: Path) -> None:
    """The database re-checks a rule on an updated object only when the columns the rule
    reads change; a dry run that refused the file for a legacy fault of a row it leaves as it
    is would say "nothing would be written" of a file the real run writes."""
    records = [parcel(i) for i in range(1, 4)]
    records[1]["properties"]["CATEG"] = "100"  # agricultural land, residential purpose 02.01
    first = write(tmp_path / "v1.gpkg", records, PARCEL_SCHEMA, driver="GPKG")
    assert run(db_url, first, "land_parcels", legacy=True).inserted == 3

    def both(path: Path) -> tuple[Report, Report]:
        dry = run(db_url, path, "land_parcels", mode="upsert", dry_run=True)
        real = run(db_url, path, "land_parcels", mode="upsert")
        assert (dry.refused, dry.inserted, dry.updated, dry.unchanged) == (
            real.refused, real.inserted, real.updated, real.unchanged), (dry, real)
        return dry, real

    records[2]["properties"]["OWNER"] = "Ковальчук Олена Петрівна (нова)"
    records[1]["properties"]["OWNER"] = "Ковальчук Олена Петрівна (теж нова)"
    dry, real = both(write(tmp_path / "v2.gpkg", records, PARCEL_SCHEMA, driver="GPKG"))
    assert not real.refused and (real.updated, real.unchanged) == (2, 1)
    known = [p for p in dry.problems if p.rule == "purpose_fits_category"]
    assert [(p.row, p.severity) for p in known] == [(2, "warning")], dry.problems
    assert known[0].message.endswith("(so in the registry already: the file does not change "
                                     "what the rule checks)")
    records[1]["properties"]["CILPR"] = "02.03"  # still not agricultural: checked, refused
    dry, real = both(write(tmp_path / "v3.gpkg", records, PARCEL_SCHEMA, driver="GPKG"))
    assert dry.refused and real.refused and not real.written
    assert [(p.row, p.severity) for p in dry.problems if p.rule == "purpose_fits_category"] \
        == [(2, "legacy")], dry.problems
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT purpose_code FROM registry.land_parcel WHERE "
                            "cadastral_number LIKE '%0002'").fetchone() == ("02.01",)


# GDAL's remark on the repeated id, which gis ingest silences like its other remarks
@pytest.mark.filterwarnings("ignore:Several features with id:RuntimeWarning")
def test_keep_ids_reads_geojson_features_own_ids_never_gdals_numbers(db_url: str,
                                                                    tmp_path: Path) -> None:
    """GDAL reads a feature's ``id`` member as its FID and numbers a feature without one, or
    with a repeated one, itself: taken as ids, those numbers would upsert other objects. The
    import reads the members from the file: a missing or repeated id is its row's error."""
    def collection(ids: list[Any]) -> Path:
        features = [{"type": "Feature", **({"id": i} if i is not None else {}),
                     "geometry": to_wgs84([parcel(n + 1)])[0]["geometry"],
                     "properties": parcel(n + 1)["properties"]} for n, i in enumerate(ids)]
        path = tmp_path / f"ids-{len(list(tmp_path.iterdir()))}.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
        return path

    def problems(report: Report) -> list[tuple[int, str]]:
        return sorted((p.row, p.rule) for p in report.problems if p.field == "id")

    # GDAL's FIDs for these are [5, 1, 7] and [5, 1, 6]
    gap = run(db_url, collection([5, None, 7]), "land_parcels", keep_ids=True, dry_run=True)
    assert problems(gap) == [(2, "id_present")] and gap.refused
    twice = run(db_url, collection([5, 5, 6]), "land_parcels", keep_ids=True, dry_run=True)
    assert problems(twice) == [(1, "unique"), (2, "unique")] and twice.refused
    good = run(db_url, collection([12, 10, 11]), "land_parcels", keep_ids=True)
    assert good.written and any('GeoJSON "id"' in n for n in good.notes)
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT array_agg(id ORDER BY cadastral_number) FROM "
                            "registry.land_parcel").fetchone() == ([12, 10, 11],)
    # without --keep-ids the members are not read at all (no second pass over the file)
    plain = run(db_url, collection([20, 21, 22]), "land_parcels", dry_run=True)
    assert "id" not in plain.ignored_columns and not any("GeoJSON" in n for n in plain.notes)


def test_an_upsert_naming_another_holder_keeps_none_of_the_previous_ones_personal_data(
        db_url: str, tmp_path: Path) -> None:
    """A file with the holder's name but not the RNOKPP and home address: the stored ones
    belong to the previous holder, so a new name clears them (with a warning in the dry run);
    the same name, or the public mask «фізична особа», keeps them."""
    schema = {"geometry": "Polygon", "properties": {
        **PARCEL_SCHEMA["properties"], "holder_rnokpp": "str:10",
        "holder_home_address": "str:80"}}
    full = [parcel(i, holder_rnokpp=f"312345678{i}", holder_home_address=f"вул. Зарічна, {i}")
            for i in (1, 2, 3)]
    assert run(db_url, write(tmp_path / "v1.gpkg", full, schema, driver="GPKG"),
               "land_parcels").inserted == 3
    names = [parcel(1, OWNER="Бондар Іван Михайлович"), parcel(2),
             parcel(3, OWNER="фізична особа")]
    second = write(tmp_path / "v2.gpkg", names, PARCEL_SCHEMA, driver="GPKG")
    dry = run(db_url, second, "land_parcels", mode="upsert", dry_run=True)
    warned = [p for p in dry.problems if p.rule == "person_changed"]
    assert [(p.row, p.severity) for p in warned] == [(1, "warning")], dry.problems
    assert "6810100000:02:099:0001" in warned[0].message and "holder_name differs" in \
        warned[0].message and "holder_rnokpp, holder_home_address" in warned[0].message
    assert "Ковальчук" not in warned[0].message and "Бондар" not in warned[0].message
    report = run(db_url, second, "land_parcels", mode="upsert")
    assert report.written and (report.updated, report.unchanged) == (1, 2)
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT holder_name, holder_kind, holder_rnokpp, holder_home_address FROM "
            "registry.land_parcel ORDER BY cadastral_number").fetchall()
    assert rows == [("Бондар Іван Михайлович", "natural", None, None),
                    ("Ковальчук Олена Петрівна 2", "natural", "3123456782", "вул. Зарічна, 2"),
                    ("Ковальчук Олена Петрівна 3", "natural", "3123456783", "вул. Зарічна, 3")]


def test_an_append_of_objects_already_there_is_refused_by_the_dry_run_by_row(
        db_url: str, tmp_path: Path) -> None:
    """In ``--mode append`` a row whose key (a parcel's cadastral number) is already in the
    registry is a new object with a taken number: the dry run names each such row (it said
    «would insert 2» and the import then failed with the database's unique-constraint text)."""
    path = write(tmp_path / "p.gpkg", [parcel(i) for i in (1, 2)], PARCEL_SCHEMA, driver="GPKG")
    assert run(db_url, path, "land_parcels").inserted == 2
    again = run(db_url, path, "land_parcels", dry_run=True)
    taken = sorted((p.row, p.rule) for p in again.problems if p.field == "cadastral_number")
    assert taken == [(1, "unique"), (2, "unique")] and again.refused, again.problems
    assert "already in land_parcels" in again.problems[0].message
    real = run(db_url, path, "land_parcels")
    assert real.refused and not real.written and count(db_url, "land_parcel") == 2
    assert all("constraint" not in p.message for p in real.problems)


def test_a_mapping_file_that_is_not_yaml_is_one_line_naming_where(tmp_path: Path) -> None:
    """YAML's own message is several lines quoting the file with a caret under the place;
    the refusal is one line with the line and column."""
    from ingest.mapping import load_overrides

    bad = tmp_path / "mapping.yml"
    bad.write_text("fields:\n  cadastral_number: KADNUM\n\tarea: S\n", encoding="utf-8")
    with pytest.raises(InvalidFile) as caught:
        load_overrides(bad)
    text = caught.value.detail
    assert "\n" not in text, text
    assert text.startswith("mapping.yml: not a readable YAML mapping: line 3, column 1: ")
    assert "'\\t'" in text and caught.value.where["row"] == 3


def test_a_mapping_setting_a_date_that_is_no_date_names_it(db_url: str, tmp_path: Path) -> None:
    """YAML reads 2024-02-30 as a date and fails in Python: «unexpected ValueError: day is out
    of range for month» (exit 1). The mapping's dates are read and checked as a file's are."""
    path = write(tmp_path / "p.gpkg", [parcel(1)], PARCEL_SCHEMA, driver="GPKG")
    for bad in ("2024-02-30", "30.02.2024"):
        mapping = tmp_path / "mapping.yml"
        mapping.write_text(f"set:\n  registered_on: {bad}\n", encoding="utf-8")
        with pytest.raises(InvalidParameter, match=f"the mapping sets registered_on to '{bad}'"
                                                   f": '{bad}' is not a date"):
            run(db_url, path, "land_parcels", files=FileOptions(mapping=mapping),
                dry_run=True)
    mapping.write_text("set:\n  registered_on: 2024-02-03\n", encoding="utf-8")
    run(db_url, path, "land_parcels", files=FileOptions(mapping=mapping))
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT registered_on::text FROM registry.land_parcel").fetchone()
    assert row == ("2024-02-03",)
