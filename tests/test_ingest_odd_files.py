"""``gis ingest`` on the odd files councils really have: dates GDAL cannot hand over, column
names a Shapefile cut short, zips holding several layers or ArcGIS metadata, spreadsheets
saved by old Excel, values and coordinates no registry can hold. Each gets a problem naming
its row and field (or one clear message for the file) — never a crash, never a server path —
against a real PostGIS."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import fiona
import psycopg
import pyogrio
import pytest

from gis.errors import InvalidFile, InvalidParameter, RuleViolation
from ingest import readers
from ingest.job import FileOptions
from registries.catalog import default_catalog
from registries.model import MAX_TEXT_CHARS
from registries.writes import coerce
from tests.ingest_files import (
    E0,
    N0,
    PARCEL_SCHEMA,
    SRID,
    bow_tie,
    count,
    parcel,
    run,
    to_wgs84,
    write,
)

DATED = {"geometry": "Polygon", "properties": {**PARCEL_SCHEMA["properties"],
                                               "registered": "date"}}


def _problems(report: object, rule: str) -> dict[int, str]:
    return {p.row: p.message for p in report.problems if p.rule == rule}  # type: ignore[attr-defined]


def test_an_impossible_date_in_a_dbf_is_a_problem_of_its_row_and_field(db_url: str,
                                                                      tmp_path: Path) -> None:
    records = [parcel(i, registered=f"2024-0{i}-1{i}") for i in range(1, 5)]
    path = write(tmp_path / "dated.shp", records, DATED)
    dbf = (tmp_path / "dated.dbf").read_bytes()
    assert dbf.count(b"20240313") == 1
    (tmp_path / "dated.dbf").write_bytes(dbf.replace(b"20240313", b"20240230"))  # 30 February
    report = run(db_url, path, "land_parcels", dry_run=True)
    bad = _problems(report, "value_type")
    assert list(bad) == [3], report.problems
    assert "field registered_on" in bad[3] and "2024/02/30" in bad[3]
    # the other rows' dates were read as dates
    assert run(db_url, path, "land_parcels", on_error="skip").inserted == 3
    assert count(db_url, "land_parcel", "registered_on = '2024-04-14'") == 1


def test_an_impossible_date_and_numbers_in_geojson_are_problems_of_their_rows(
        db_url: str, tmp_path: Path) -> None:
    records = to_wgs84([parcel(i, registered="2024-01-15") for i in range(1, 6)])
    features = [{"type": "Feature", **r} for r in records]
    features[1]["properties"]["registered"] = "2024-02-30"
    features[2]["properties"]["PLOSHCHA"] = 1e308
    features[3]["properties"]["PLOSHCHA"] = "NaN"
    features[4]["geometry"]["coordinates"][0][1] = [1e300, 49.42]
    path = tmp_path / "p.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    report = run(db_url, path, "land_parcels", dry_run=True)
    values = _problems(report, "value_type")
    assert set(values) == {2, 3, 4}, report.problems
    assert "registered_on" in values[2] and "not a date" in values[2]
    assert "area_declared_ha" in values[3] and "too large" in values[3]
    assert "NaN" in values[4] and "not a number" in values[4]
    moved = _problems(report, "geometry_transform")
    assert list(moved) == [5] and "EPSG:4326" in moved[5] and "is the CRS right?" in moved[5]
    # where, in our words: PROJ says only "transform: Invalid coordinate (2049)"
    assert "1e+300" in moved[5] and "outside what EPSG:4326 describes" in moved[5], moved[5]
    assert "Invalid coordinate" not in moved[5] and "transform:" not in moved[5]
    assert 1 not in {p.row for p in report.problems if p.severity == "error"}


def test_a_coordinate_that_is_no_finite_number_is_a_problem_of_its_row(db_url: str,
                                                                        tmp_path: Path) -> None:
    """"nan", "inf" or a number past 1e308 parses as a coordinate; the import names the row
    (and the column of a CSV's X/Y) instead of failing on it deep in PostGIS or PROJ."""
    def wkt(ring: list[tuple[float, float]]) -> str:
        return "POLYGON((" + ",".join(f"{x} {y}" for x, y in ring) + "))"

    ring = parcel(2)["geometry"]["coordinates"][0]
    # in the storage CRS: no transformation, the checks meet the NaN
    rows = [wkt(parcel(1)["geometry"]["coordinates"][0]),
            wkt([ring[0], ring[1], (float("nan"), ring[2][1]), ring[3], ring[0]]),
            wkt([ring[0], (float("inf"), ring[1][1]), *ring[2:]])]
    table = tmp_path / "wkt.csv"
    table.write_text("wkt,KADNUM\n" + "".join(
        f'"{g}",6810100000:02:099:{i:04d}\n' for i, g in enumerate(rows, 1)))
    report = run(db_url, table, "land_parcels", dry_run=True,
                 files=FileOptions(crs="EPSG:6383"))
    bad = _problems(report, "geometry_readable")
    assert list(bad) == [2, 3], report.problems
    assert "a coordinate is not a finite number (nan " in bad[2], bad[2]
    assert "(inf " in bad[3], bad[3]
    assert not _problems(report, "geometry_valid"), report.problems  # said once, not twice
    # X/Y columns: the column is named, in our words
    points = tmp_path / "xy.csv"
    points.write_text("x,y\n5476000,1364000\nabc,1364000\n5476000,1e400\nnan,1364000\n")
    report = run(db_url, points, "advertising_structures", dry_run=True,
                 files=FileOptions(crs="EPSG:6383"))
    bad = _problems(report, "geometry_readable")
    assert list(bad) == [2, 3, 4], report.problems
    assert bad[2].endswith("column x: 'abc' is not a number"), bad[2]
    assert bad[3].endswith("column y: '1e400' is not a finite number"), bad[3]
    assert bad[4].endswith("column x: 'nan' is not a finite number"), bad[4]
    # in WGS 84: the transformation meets the NaN
    features = [{"type": "Feature", **r} for r in to_wgs84([parcel(1), parcel(2)])]
    features[1]["geometry"]["coordinates"][0][1] = [float("nan"), 49.42]
    path = tmp_path / "nan.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    report = run(db_url, path, "land_parcels", dry_run=True)
    bad = _problems(report, "geometry_readable")
    assert list(bad) == [2] and "not a finite number (nan 49.42)" in bad[2], report.problems
    assert not _problems(report, "geometry_transform"), report.problems


def test_column_names_a_shapefile_cut_to_ten_characters_still_map(db_url: str,
                                                                  tmp_path: Path) -> None:
    schema = {"geometry": "Polygon", "properties": {
        "passport_number": "str:30", "structure_kind": "str:20", "purpose_code": "str:10"}}
    records = [{"geometry": parcel(i)["geometry"], "properties": {
        "passport_number": f"ТС-{i}", "structure_kind": "stationary", "purpose_code": "x"}}
        for i in range(1, 4)]
    path = write(tmp_path / "long_names.shp", records, schema)
    # "structure_kind" keeps 10 characters, "structure_": a name ending in "_"
    assert list(pyogrio.read_info(str(path))["fields"]) == ["passport_n", "structure_",
                                                            "purpose_co"]
    report = run(db_url, path, "temporary_structures", dry_run=True)
    how = {m["field"]: (m["column"], m["how"]) for m in report.mapping}
    assert how["structure_kind"] == ("structure_", "short name"), report.mapping
    assert how["passport_number"] == ("passport_n", "short name")
    assert not any(p.rule == "required" and "structure_kind" in p.message
                   for p in report.problems), report.problems


def test_a_column_named_by_the_classifiers_abbreviation_maps(db_url: str,
                                                             tmp_path: Path) -> None:
    """КВЦПЗ (the land purpose classifier) heads the purpose column of many councils' files."""
    schema = {"geometry": "Polygon", "properties": {"КАДНОМЕР": "str:30", "КВЦПЗ": "str:10"}}
    records = [{"geometry": parcel(i)["geometry"], "properties": {
        "КАДНОМЕР": f"6810100000:02:099:{i:04d}", "КВЦПЗ": "02.01"}} for i in (1, 2)]
    path = write(tmp_path / "kvcpz.gpkg", records, schema, driver="GPKG")
    report = run(db_url, path, "land_parcels", dry_run=True)
    how = {m["field"]: (m["column"], m["how"]) for m in report.mapping}
    assert how["purpose_code"] == ("КВЦПЗ", "alias"), report.mapping


def _zip(path: Path, members: dict[str, bytes | Path]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data.read_bytes() if isinstance(data, Path) else data)
    return path


def test_a_zip_of_several_layers_asks_which_and_arcgis_metadata_is_no_layer(
        db_url: str, tmp_path: Path) -> None:
    shp = write(tmp_path / "ділянки.shp", [parcel(i) for i in range(1, 4)], PARCEL_SCHEMA)
    parts = {f"дані/ділянки{p.suffix}": p for p in sorted(tmp_path.glob("ділянки.*"))}
    # ArcGIS writes its metadata beside the Shapefile as x.shp.xml: not a second layer
    arcgis = _zip(tmp_path / "arcgis.zip", {**parts, "дані/ділянки.shp.xml": b"<metadata/>"})
    report = run(db_url, arcgis, "land_parcels", dry_run=True)
    assert report.rows == 3 and report.file == "arcgis.zip!дані/ділянки.shp"
    geojson = tmp_path / "other.geojson"
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", **r} for r in to_wgs84([parcel(9)])]}))
    two = _zip(tmp_path / "two.zip", {**parts, "other.geojson": geojson})
    with pytest.raises(InvalidFile, match=r"two.zip: the zip holds 2 files this importer "
                                          r"reads: дані/ділянки.shp, other.geojson; name the "
                                          r"one to import with --layer"):
        run(db_url, two, "land_parcels", dry_run=True)
    with pytest.raises(InvalidFile, match="'нема' is none of them"):
        run(db_url, two, "land_parcels", dry_run=True, files=FileOptions(layer="нема"))
    chosen = run(db_url, two, "land_parcels", dry_run=True, files=FileOptions(layer="other"))
    assert chosen.rows == 1 and chosen.file == "two.zip!other.geojson"
    assert shp.exists()


def test_a_zip_from_windows_explorer_names_its_cyrillic_members_as_written(
        db_url: str, tmp_path: Path) -> None:
    """Windows Explorer and Info-ZIP store a Cyrillic member name in the OEM code page (cp866)
    without the zip's UTF-8 flag; read as the zip format's default, cp437, «Київ_земля» was
    «è¿⌡ó_ºÑ¼½∩»: garbled in every message and unreachable by --layer."""
    write(tmp_path / "QQQQQQQQQQ.shp", [parcel(i) for i in range(1, 4)], PARCEL_SCHEMA)
    geojson = tmp_path / "other.geojson"
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", **r} for r in to_wgs84([parcel(9)])]}))
    archive = _zip(tmp_path / "explorer.zip", {
        **{f"QQQQQQQQQQ{p.suffix}": p for p in sorted(tmp_path.glob("QQQQQQQQQQ.*"))},
        "other.geojson": geojson})
    # the names as Explorer writes them: cp866 bytes, no UTF-8 flag (ASCII names are written
    # without one, so the placeholder's bytes are swapped in place, header and directory alike)
    raw = archive.read_bytes()
    assert raw.count(b"QQQQQQQQQQ") == 2 * 5  # .shp .shx .dbf .prj .cpg
    archive.write_bytes(raw.replace(b"QQQQQQQQQQ", "Київ_земля".encode("cp866")))
    with pytest.raises(InvalidFile, match=r"explorer.zip: the zip holds 2 files this importer "
                                          r"reads: Київ_земля.shp, other.geojson;"):
        run(db_url, archive, "land_parcels", dry_run=True)
    chosen = run(db_url, archive, "land_parcels", dry_run=True,
                 files=FileOptions(layer="київ_земля"))
    assert chosen.rows == 3 and chosen.file == "explorer.zip!Київ_земля.shp", chosen.file


def test_a_file_that_is_not_what_its_name_says_is_named_as_what_it_is(
        db_url: str, tmp_path: Path) -> None:
    """GDAL opens a file by its content: a GeoJSON named .gpkg was imported and reported as a
    GeoPackage, past the checks a GeoJSON gets (a NUL in a text, the features' own ids)."""
    geojson = tmp_path / "parcels.gpkg"
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", **r} for r in to_wgs84([parcel(1)])]}))
    with pytest.raises(InvalidFile, match=r"parcels.gpkg: is a GeoJSON file, not a GeoPackage; "
                                          r"rename it parcels.geojson"):
        run(db_url, geojson, "land_parcels", dry_run=True)
    gpkg = write(tmp_path / "real.gpkg", [parcel(2)], PARCEL_SCHEMA, driver="GPKG")
    named = gpkg.rename(tmp_path / "real.geojson")
    with pytest.raises(InvalidFile, match=r"real.geojson: is a GeoPackage file, not a GeoJSON; "
                                          r"rename it real.gpkg"):
        run(db_url, named, "land_parcels", dry_run=True)


def test_a_zip_that_would_not_fit_on_the_disk_is_refused_before_unpacking(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "p.shp", [parcel(1)], PARCEL_SCHEMA)
    archive = _zip(tmp_path / "p.zip", {p.name: p for p in tmp_path.glob("p.*")})
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(readers.tempfile, "tempdir", str(temp))
    # as if the disk were full: every byte of free space is the spare the server keeps
    monkeypatch.setattr(readers, "ZIP_SPARE_BYTES", shutil.disk_usage(temp).free)
    with pytest.raises(InvalidFile, match=r"p.zip: unpacked, the zip's files take .* GB; "
                                          r"the server's temporary folder has"):
        run(db_url, archive, "land_parcels", dry_run=True)
    assert list(temp.iterdir()) == []  # nothing unpacked, nothing left


def test_empty_and_foreign_files_name_themselves_not_the_server(db_url: str,
                                                               tmp_path: Path) -> None:
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    with pytest.raises(InvalidFile, match=r"^empty.geojson: is empty \(0 bytes\)"):
        run(db_url, empty, "land_parcels")
    image = tmp_path / "scan.gpkg"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    archive = _zip(tmp_path / "scan.zip", {"scan.gpkg": image})
    for path in (image, archive):
        with pytest.raises(InvalidFile) as caught:
            run(db_url, path, "land_parcels")
        message = str(caught.value)
        assert "its content is not in this format" in message, message
        assert str(tmp_path) not in message and "/tmp" not in message
        assert "prefixing" not in message  # GDAL's advice to programmers


def test_spreadsheets_from_old_excel_and_broken_csv_get_row_problems(db_url: str,
                                                                     tmp_path: Path) -> None:
    header = "Назва,Вид,Стан,wkt\r\n"
    point = "POINT(26.9965 49.4216)"
    # a lone CR ends lines in files saved by old Mac Excel
    mac = tmp_path / "mac.csv"
    mac.write_text(header.replace("\r\n", "\r") + f"Пандус,ramp,usable,{point}\r"
                   f"Ліфт,lift,usable,{point}\r", newline="")
    report = run(db_url, mac, "accessibility_objects", dry_run=True,
                 files=FileOptions(crs="EPSG:4326"))
    assert report.rows == 2 and not report.refused, report.problems
    odd = tmp_path / "odd.csv"
    odd.write_text(header + f"Пандус,ramp,usable,{point}\r\n"
                   f"{'Ш' * (MAX_TEXT_CHARS + 1)},lift,usable,{point}\r\n"
                   f"Ліфт\x00,lift,usable,{point}\r\n"
                   f'"Сходи,ramp,usable,{point}\r\n', newline="")
    report = run(db_url, odd, "accessibility_objects", dry_run=True,
                 files=FileOptions(crs="EPSG:4326"))
    values = _problems(report, "value_type")
    assert "characters long; at most 1,000" in values[2], report.problems
    assert "NUL character (at 5)" in values[3]
    assert report.refused and 1 not in {p.row for p in report.problems if p.severity == "error"}
    assert count(db_url, "accessibility_object") == 0


def test_every_write_path_takes_at_most_the_same_text_length() -> None:
    reg = default_catalog().get("accessibility_objects")
    field = next(f for f in reg.stored_fields if f.type.value == "text" and not f.choices
                 and not f.pattern)
    assert coerce(reg, field, "Ш" * MAX_TEXT_CHARS) == "Ш" * MAX_TEXT_CHARS
    with pytest.raises(RuleViolation, match=f"{field.name}: the text is 1,001 characters"):
        coerce(reg, field, "Ш" * (MAX_TEXT_CHARS + 1))


def test_excel_unicode_text_reads_and_a_wrong_encoding_is_named(db_url: str,
                                                                tmp_path: Path) -> None:
    # Excel's "Unicode text" (.txt): UTF-16 with a byte-order mark, tab-separated
    text = tmp_path / "objects.txt"
    text.write_text("Назва\tВид\tСтан\tlon\tlat\r\nПандус\tramp\tusable\t26,9965\t49,4216\r\n",
                    encoding="utf-16")
    report = run(db_url, text, "accessibility_objects")
    assert report.inserted == 1 and report.encoding == "utf-16", report.problems
    assert count(db_url, "accessibility_object", "name = 'Пандус'") == 1
    for wrong in ("base64", "no-such-encoding"):
        with pytest.raises(InvalidParameter, match=f"--encoding '{wrong}' is not a text "
                                                   "encoding"):
            run(db_url, text, "accessibility_objects", files=FileOptions(encoding=wrong))
    plain = tmp_path / "plain.csv"
    plain.write_text("Назва,Вид,Стан,lon,lat\nЛіфт,lift,usable,26.9965,49.4216\n")
    with pytest.raises(InvalidFile, match=r"plain.csv: line 1 is not utf-16 text .*pass "
                                          r"--encoding"):
        run(db_url, plain, "accessibility_objects", files=FileOptions(encoding="utf-16"))


def test_ids_a_file_keeps_are_whole_numbers_from_1(db_url: str, tmp_path: Path) -> None:
    records = to_wgs84([parcel(i) for i in range(1, 5)])
    features = [{"type": "Feature", **r} for r in records]
    for feature, value in zip(features, (-5, "abc", 2**70, 3), strict=True):
        feature["properties"]["id"] = value
    path = tmp_path / "ids.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    report = run(db_url, path, "land_parcels", dry_run=True, keep_ids=True)
    ids = {p.row: p.message for p in report.problems if p.field == "id"}
    assert set(ids) == {1, 2, 3}, report.problems  # one problem each, no "no id" beside it
    assert ids[1] == "row 1: id -5 is not a whole number from 1 to 9223372036854775807"
    assert "'abc'" in ids[2] and "is not a whole number" in ids[3]


def test_a_reject_file_that_cannot_be_written_stops_the_import_before_it_starts(
        db_url: str, tmp_path: Path) -> None:
    records = [parcel(i) for i in range(1, 4)]
    records[1] = parcel(2, CATEG="999")  # refused: not a land category
    path = write(tmp_path / "p.shp", records, PARCEL_SCHEMA)
    nowhere = tmp_path / "gone" / "rejects.shp"
    with pytest.raises(InvalidParameter, match=r"the reject file .*rejects.shp cannot be "
                                               r"written: the folder .*gone does not exist"):
        run(db_url, path, "land_parcels", on_error="skip", files=FileOptions(rejects=nowhere))
    assert count(db_url, "land_parcel") == 0 and not nowhere.parent.exists()
    report = run(db_url, path, "land_parcels", on_error="skip")
    assert (report.inserted, report.rejected) == (2, 1), report.problems
    assert (tmp_path / "p.rejected.shp").exists()


CYRILLIC_SCHEMA = {"geometry": "Polygon", "properties": {
    "KADNUM": "str:30", "КАТЕГОРІЯ": "str:60", "ПРИЗНАЧЕНН": "str:10", "ВЛАСНИК": "str:80",
    "ВИД_ОСОБИ": "str:20"}}


def cyrillic(i: int, **props: str) -> dict[str, Any]:
    values = {"KADNUM": f"6810100000:02:099:{i:04d}", "КАТЕГОРІЯ": "200",
              "ПРИЗНАЧЕНН": "02.01", "ВЛАСНИК": f"Ковальчук Олена Петрівна {i}",
              "ВИД_ОСОБИ": "фізична особа", **props}
    return {**parcel(i), "properties": values}


def test_rejects_of_a_cp1251_shapefile_keep_its_cyrillic_column_names(db_url: str,
                                                                      tmp_path: Path) -> None:
    """Ten Cyrillic letters fill a cp1251 column name; in UTF-8 they are twenty bytes, and the
    reject file written in UTF-8 had GDAL cut a letter in half: reading it back failed, after
    the valid rows had been committed, and the refused rows were lost."""
    path = write(tmp_path / "ділянки.shp", [cyrillic(1), cyrillic(2, КАТЕГОРІЯ="999"),
                                             cyrillic(3)], CYRILLIC_SCHEMA, encoding="cp1251")
    path.with_suffix(".cpg").unlink(missing_ok=True)  # as most Ukrainian files come
    mapping = FileOptions(overrides={"fields": {"category": "КАТЕГОРІЯ",
                                                "purpose_code": "ПРИЗНАЧЕНН",
                                                "holder_name": "ВЛАСНИК",
                                                "holder_kind": "ВИД_ОСОБИ"}})
    report = run(db_url, path, "land_parcels", on_error="skip", files=mapping)
    assert (report.inserted, report.rejected) == (2, 1), report.problems
    with fiona.open(str(tmp_path / "ділянки.rejected.shp")) as c:
        names = list(c.schema["properties"])
        rows = [dict(f.properties) for f in c]
    assert names == [*CYRILLIC_SCHEMA["properties"], "reason"]
    assert [(r["KADNUM"], r["КАТЕГОРІЯ"], r["ВЛАСНИК"]) for r in rows] == [
        ("6810100000:02:099:0002", "999", "Ковальчук Олена Петрівна 2")]


def test_a_shapefiles_reject_reason_keeps_its_characters_and_says_what_it_left_out(
        db_url: str, tmp_path: Path) -> None:
    """A cp1251 Shapefile's reject file is written in cp1251, which has no "²": the reason
    read "… 2 part(s) of 400.0 m (now 0.0 m)"; and the 254 bytes of a DBF column cut a
    longer reason mid-word without a sign that more was there."""
    records = [parcel(1), parcel(2, ring=bow_tie(E0 + 30, N0)),
               parcel(3, ring=bow_tie(E0 + 60, N0), CATEG="999", CILPR="99.99",
                      VLASN="невідома", KIND="ніхто", PLOSHCHA=-1.0)]
    path = write(tmp_path / "parc.shp", records, PARCEL_SCHEMA, encoding="cp1251")
    path.with_suffix(".cpg").unlink(missing_ok=True)  # as most Ukrainian files come
    report = run(db_url, path, "land_parcels", on_error="skip")
    assert (report.inserted, report.rejected) == (1, 2), report.problems
    full = report.rejected_rows
    assert "m²" in full[2] and len(full[3].encode("cp1251", "replace")) > 254, full
    with fiona.open(str(tmp_path / "parc.rejected.shp"), encoding="cp1251") as c:
        reasons = {int(f.properties["KADNUM"][-4:]): f.properties["reason"] for f in c}
    assert reasons[2] == full[2].replace("m²", "m2"), reasons[2]
    assert len(reasons[3].encode("cp1251")) <= 254, reasons[3]
    shown, more = reasons[3].rsplit("; …(", 1)
    assert full[3].replace("m²", "m2").startswith(shown + "; "), (shown, full[3])
    assert more == f"{full[3].count('; ') + 1 - (shown.count('; ') + 1)} more)", reasons[3]


def test_a_reject_file_failing_mid_write_leaves_nothing_imported(db_url: str,
                                                                 tmp_path: Path) -> None:
    """The import's own transaction committed before the reject file was written: a reject
    file that then failed left the valid rows imported and the refused rows nowhere."""
    path = write(tmp_path / "p.shp", [parcel(1), parcel(2, CATEG="999"), parcel(3)],
                 PARCEL_SCHEMA)
    (tmp_path / "p.rejected.shx").mkdir()  # the Shapefile's index cannot be written
    with pytest.raises(InvalidParameter, match=r"cannot write the reject file .*p.rejected.shp"
                                               r": .*; nothing was imported"):
        run(db_url, path, "land_parcels", on_error="skip")
    assert count(db_url, "land_parcel") == 0
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM history.land_parcel").fetchone() == (0,)


def test_a_table_without_geometries_is_one_message(db_url: str, tmp_path: Path) -> None:
    schema = {"geometry": "None", "properties": PARCEL_SCHEMA["properties"]}
    path = write(tmp_path / "table.gpkg", [{"geometry": None, "properties": parcel(1)[
        "properties"]}], schema, driver="GPKG", layer="ділянки")
    with pytest.raises(InvalidFile, match="table.gpkg: layer ділянки has no geometry column"):
        run(db_url, path, "land_parcels", dry_run=True)


def test_a_geopackage_of_one_layer_and_attribute_tables_reads_the_layer(
        db_url: str, tmp_path: Path) -> None:
    """A GeoPackage holding one layer and a code list beside it (a table without geometries)
    asked for --layer; the layer is the only choice, and several layers still ask."""
    path = write(tmp_path / "p.gpkg", [parcel(1), parcel(2)], PARCEL_SCHEMA, driver="GPKG",
                 layer="ділянки")
    table = {"geometry": "None", "properties": {"code": "str:10", "title": "str:80"}}
    write(path, [{"geometry": None, "properties": {"code": "200", "title": "Сільгосп"}}],
          table, driver="GPKG", layer="категорії")
    report = run(db_url, path, "land_parcels", dry_run=True)
    assert report.rows == 2 and not report.refused, report.problems
    assert ("layer ділянки read: the only one with geometries; the tables without "
            "(категорії) are left out") in report.notes, report.notes
    with pytest.raises(InvalidFile, match="p.gpkg: layer категорії has no geometry column"):
        run(db_url, path, "land_parcels", dry_run=True, files=FileOptions(layer="категорії"))
    write(path, [parcel(3)], PARCEL_SCHEMA, driver="GPKG", layer="нові")
    with pytest.raises(InvalidFile) as caught:
        run(db_url, path, "land_parcels", dry_run=True)
    assert str(caught.value) == ("p.gpkg: holds 2 layers with geometries (ділянки, нові) and "
                                 "1 table without; choose one with --layer NAME")
    report = run(db_url, path, "land_parcels", dry_run=True, files=FileOptions(layer="нові"))
    assert report.rows == 1 and not report.refused, report.problems


def test_a_kml_is_read_without_keeping_the_placemarks_read(tmp_path: Path) -> None:
    from ingest.formats.kml import _placemarks

    path = tmp_path / "many.kml"
    marks = "".join(f"<Placemark><name>p{i}</name><Point><coordinates>27.0{i % 10},49.42"
                    "</coordinates></Point></Placemark>" for i in range(2000))
    path.write_text('<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2">'
                    f"<Document><Folder><name>f</name>{marks}</Folder></Document></kml>")
    held = [len(el.getparent()) for el in _placemarks(path)]
    # the folder holds the placemark being read and what the parser read ahead, nothing
    # before it but the folder's name (300k placemarks of a 48 MB file: 54 MB of memory kept
    # before, 17 MB now)
    assert len(held) == 2000 and max(held) < 1000 and held[-1] <= 3, (max(held), held[-1])


def test_decomposed_letters_are_stored_as_a_keyboard_types_them(db_url: str,
                                                                 tmp_path: Path) -> None:
    """й and ї as a letter and a combining mark (a list copied from a PDF, a file made on a
    Mac) are stored composed (NFC), the form a search typed on a keyboard finds; the fast path
    of plain texts and the path of code lists alike."""
    import unicodedata

    owner = "ТОВ «Героїв Мрій»"
    records = [parcel(1, KIND="юридична особа", OWNER=unicodedata.normalize("NFD", owner)),
               parcel(2, KIND="юридична особа", OWNER=owner),
               parcel(3, KIND="юридична особа", OWNER=unicodedata.normalize("NFD", owner) + " ",
                      CATEG=unicodedata.normalize("NFD", "землі житлової та громадської "
                                                  "забудови"))]
    path = write(tmp_path / "decomposed.shp", records, PARCEL_SCHEMA)
    report = run(db_url, path, "land_parcels")
    assert report.inserted == 3, report.problems
    assert count(db_url, "land_parcel", f"holder_name = '{owner}'") == 3
    assert count(db_url, "land_parcel", "holder_kind = 'legal' AND category = '200' AND "
                 "cadastral_number LIKE '6810100000:02:099:%'") == 3
    assert count(db_url, "land_parcel", "holder_name IS NOT NFC NORMALIZED") == 0


def test_a_replace_names_the_objects_other_registries_refer_to(db_url: str,
                                                              tmp_path: Path) -> None:
    """A replace of the streets by a file without one that addresses name: the dry run said
    it would delete it, and the import then failed on the database's foreign key, in its own
    words ('update or delete on table "street" violates foreign key constraint …'). Both name
    the street and how many addresses refer to it, and nothing is written."""
    from app.demo.load import load_demo
    from tests.conftest import DEMO_TODAY

    with psycopg.connect(db_url) as conn:
        load_demo(conn, scale=0.01, seed=68, today=DEMO_TODAY, srid=SRID)
        conn.commit()
        street, name, named_by = conn.execute(
            "SELECT s.id, s.name, count(*) FROM registry.street AS s JOIN registry.address AS a "
            "ON a.street_id = s.id GROUP BY s.id ORDER BY count(*) DESC, s.id LIMIT 1").fetchone()
        collection = conn.execute(
            "SELECT json_build_object('type', 'FeatureCollection', 'features', json_agg("
            "ST_AsGeoJSON(s.*, 'geom')::json ORDER BY s.id)) FROM (SELECT id, street_type, name, "
            "ST_Transform(geom, 4326) AS geom FROM registry.street WHERE id <> %s) AS s",
            (street,)).fetchone()[0]
        before = conn.execute("SELECT count(*), max(version) FROM registry.street").fetchone()
    path = tmp_path / "streets.geojson"
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    said = (f"streets {name} is not in the file, but {named_by} object(s) of addresses refer "
            "to it by street_id: a replace cannot delete it")
    for dry_run in (True, False):
        report = run(db_url, path, "streets", mode="replace", keep_ids=True, dry_run=dry_run)
        assert report.refused and not report.written, report.problems
        found = [p for p in report.problems if p.rule == "referred_to"]
        assert [p.row for p in found] == [0] and said in found[0].message, report.problems
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*), max(version) FROM registry.street"
                            ).fetchone() == before


@pytest.mark.parametrize(("text", "section"), [
    ("fields: KADNUM\n", "fields"),  # a column without its field
    ("fields:\n  - cadastral_number\n  - KADNUM\n", "fields"),
    ("values:\n  ownership_form: [1, 2]\n", "values"),
    ("values: 5\n", "values"),
    ("set:\n  category: [200]\n", "set"),
])
def test_a_mapping_file_of_the_wrong_shape_says_which_section(db_url: str, tmp_path: Path,
                                                              text: str, section: str) -> None:
    """A section of another shape than its own was a Python error ("unexpected ValueError:
    dictionary update sequence element #0 has length 1; 2 is required")."""
    path = write(tmp_path / "p.shp", [parcel(1)], PARCEL_SCHEMA)
    mapping = tmp_path / "mapping.yml"
    mapping.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidFile, match=rf"mapping.yml: the section {section} must be "):
        run(db_url, path, "land_parcels", dry_run=True, files=FileOptions(mapping=mapping))


def test_a_kml_folder_is_a_layer(db_url: str, tmp_path: Path) -> None:
    """--layer named a KML folder and was ignored: the whole file was read, and a folder the
    file does not have was no error either. A folder is a layer, with its subfolders."""
    def mark(name: str, lon: float) -> str:
        return (f"<Placemark><name>{name}</name><ExtendedData><Data name='kind'><value>ramp"
                f"</value></Data></ExtendedData><Point><coordinates>{lon},49.4216</coordinates>"
                "</Point></Placemark>")
    path = tmp_path / "objects.kml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document><name>Доступність</name><Folder><name>Центр</name>{mark('A1', 26.996)}"
        f"{mark('A2', 26.997)}<Folder><name>Вкладена</name>{mark('A3', 26.998)}</Folder>"
        f"</Folder><Folder><name>Інше</name>{mark('B1', 26.999)}</Folder></Document></kml>",
        encoding="utf-8")
    for layer, rows in ((None, 4), ("Центр", 3), ("Вкладена", 1), ("Інше", 1)):
        report = run(db_url, path, "accessibility_objects", dry_run=True,
                     files=FileOptions(layer=layer))
        assert report.rows == rows, (layer, report.rows)
    with pytest.raises(InvalidFile, match=r"objects.kml: no folder 'Парки' holds placemarks; "
                                          r"its folders: Інше, Вкладена, Доступність, Центр"):
        run(db_url, path, "accessibility_objects", dry_run=True,
            files=FileOptions(layer="Парки"))


@pytest.mark.parametrize("schema", [PARCEL_SCHEMA, CYRILLIC_SCHEMA])
def test_a_cpg_naming_the_wrong_encoding_says_what_the_text_is(db_url: str, tmp_path: Path,
                                                               schema: dict[str, Any]) -> None:
    """A cp1251 Shapefile beside a .cpg saying UTF-8 (many tools write one by default) was
    Python's decoder error: "'utf-8' codec can't decode byte 0xc4 in position 0", naming no
    cure. It says what the text reads as and how to import it, and that works."""
    records = [cyrillic(1), cyrillic(2)] if schema is CYRILLIC_SCHEMA else [parcel(1),
                                                                             parcel(2)]
    path = write(tmp_path / "p.shp", records, schema, encoding="cp1251")
    path.with_suffix(".cpg").write_text("UTF-8")
    where = "column names are" if schema is CYRILLIC_SCHEMA else "text is"
    with pytest.raises(InvalidFile, match=rf"p.shp: its .cpg says the text is utf-8, but the "
                                          rf"{where} not: it reads as cp1251; import it with "
                                          r"--encoding cp1251"):
        run(db_url, path, "land_parcels", dry_run=True)
    report = run(db_url, path, "land_parcels", dry_run=True,
                 files=FileOptions(encoding="cp1251"))
    assert report.rows == 2 and report.encoding == "cp1251"


def test_a_csv_row_with_more_cells_than_the_header_is_a_problem_of_its_row(
        db_url: str, tmp_path: Path) -> None:
    """An unquoted delimiter in a value ("вул. Тиха; 5") made a seventh cell, which was cut
    off silently: the address was stored as "вул. Тиха". A short row is no problem: its
    missing cells are empty values (tools leave trailing empty cells out)."""
    path = tmp_path / "long.csv"
    path.write_text("name;kind;condition;lon;lat;address_text\n"
                    "X;ramp;usable;27,0;49,42;вул. Тиха; 5\n"
                    "Y;ramp;usable;27,0;49,42\n"
                    "Z;ramp;usable;27,0;49,42;вул. Тиха, 5;\n", encoding="utf-8")
    report = run(db_url, path, "accessibility_objects", dry_run=True)
    bad = {p.row: p.message for p in report.problems if p.severity == "error"}
    assert list(bad) == [1], report.problems
    assert bad[1] == ("row 1: has 7 cells; the header names 6: the extra cell ' 5' would be "
                      "lost (a value holding the delimiter ';' needs quotes)"), bad[1]
    report = run(db_url, path, "accessibility_objects")
    assert report.refused and count(db_url, "accessibility_object") == 0
    report = run(db_url, path, "accessibility_objects", on_error="skip")
    assert (report.inserted, report.rejected) == (2, 1), report.problems
    assert count(db_url, "accessibility_object", "address_text LIKE 'вул. Тиха%'") == 1
    assert count(db_url, "accessibility_object", "name = 'Y' AND address_text IS NULL") == 1


def test_an_array_or_object_in_a_geojson_property_is_a_problem_of_its_row(
        db_url: str, tmp_path: Path) -> None:
    """An array mapped to a field crashed the import ("unexpected TypeError: unhashable type:
    'numpy.ndarray'"), and an object in a text field was stored as its JSON text. Neither is
    one value of a registry's field: each is a problem naming its row, field and value; a
    plain value in the same column stays one (GDAL made it a one-item list)."""
    def feature(**props: Any) -> dict[str, Any]:
        return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [27, 49.42]},
                "properties": {"name": "x", "kind": "ramp", "condition": "usable", **props}}

    path = tmp_path / "f.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        feature(kind=["ramp"], address_text={"street": "Тиха", "house": 5}),
        feature(address_text="вул. Тиха, 5"),
        feature(address_text=["вул. Тиха", "5"])]}, ensure_ascii=False), encoding="utf-8")
    report = run(db_url, path, "accessibility_objects", dry_run=True)
    bad = sorted((p.row, p.message) for p in report.problems if p.severity == "error")
    assert bad == [
        (1, 'row 1, field address_text (column address_text): {"street": "Тиха", "house": 5} '
            "is an object, not one value"),
        (1, 'row 1, field kind (column kind): ["ramp"] is a list, not one value'),
        (3, 'row 3, field address_text (column address_text): ["вул. Тиха", "5"] is a list, '
            "not one value")], report.problems
    report = run(db_url, path, "accessibility_objects", on_error="skip")
    assert (report.inserted, report.rejected) == (1, 2), report.problems
    assert count(db_url, "accessibility_object",
                 "kind = 'ramp' AND address_text = 'вул. Тиха, 5'") == 1
    rejected = json.loads((tmp_path / "f.rejected.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["address_text"] for f in rejected["features"]] == [
        {"street": "Тиха", "house": 5}, ["вул. Тиха", "5"]]  # kept to be corrected


def _ramps(tmp_path: Path, stem: str, names: list[str]) -> tuple[Path, Path]:
    """Write one ramp per name at one point, as a GeoJSON and as a CSV (each value quoted)."""
    path = tmp_path / f"{stem}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [27, 49.42]},
         "properties": {"name": name, "kind": "ramp", "condition": "usable"}}
        for name in names]}), encoding="utf-8")
    csv = tmp_path / f"{stem}.csv"
    csv.write_text("name;kind;condition;lon;lat\n" + "".join(
        f'"{name}";ramp;usable;27;49.42\n' for name in names), encoding="utf-8", newline="")
    return path, csv


def _errors_read_every_way(db_url: str, path: Path, csv: Path,
                           expected: list[tuple[int, str]]) -> None:
    """Assert the dry run's errors of the CSV, and of the GeoJSON read in batches and streamed
    (past fast_read_max), are ``expected`` (row, message)."""
    for file, files in ((csv, FileOptions()), (path, FileOptions()),
                        (path, FileOptions(fast_read_max=0))):
        report = run(db_url, file, "accessibility_objects", dry_run=True, files=files)
        bad = [(p.row, p.message) for p in report.problems if p.severity == "error"]
        assert bad == expected, (file.name, files, report.problems)


def test_a_nul_in_a_geojson_text_is_a_problem_of_its_row_as_in_a_csv(
        db_url: str, tmp_path: Path) -> None:
    """GDAL cuts a GeoJSON text at a NUL: "a\\u0000b" was stored as "a" without a word, where
    the same value in a CSV is a problem of its row; now it is the same problem, whichever
    way the file is read (in batches, or streamed past fast_read_max)."""
    path, csv = _ramps(tmp_path, "nul", ["Пандус", "Ліфт\x00 у школі", "Сходи"])
    assert b"\\u0000" in path.read_bytes()
    _errors_read_every_way(db_url, path, csv, [
        (2, "row 2, field name (column name): the text holds a NUL character (at 5)")])
    report = run(db_url, path, "accessibility_objects", on_error="skip")
    assert (report.inserted, report.rejected) == (2, 1), report.problems
    assert count(db_url, "accessibility_object", "name = 'Ліфт'") == 0


def test_a_line_break_inside_a_text_is_a_problem_of_its_row_and_one_around_it_is_trimmed(
        db_url: str, tmp_path: Path) -> None:
    """A value is one line (the editor's input, a row of a listing): "Ліфт\\nу школі" and a
    text-direction control were stored as they came; now each is a problem naming its row,
    field and position, read in batches or streamed, from a GeoJSON or a CSV. A line break
    around a value (a spreadsheet cell's trailing Enter) is trimmed as before."""
    path, csv = _ramps(tmp_path, "lines", ["Пандус\r\n", "Ліфт\nу школі", "Сходи \u202eвниз",
                                           "Вхід\tбоковий"])
    _errors_read_every_way(db_url, path, csv, [
        (2, "row 2, field name (column name): the text holds a control character (U+000A) at "
            "position 5; it must be one line of text"),
        (3, "row 3, field name (column name): the text holds a text-direction control (U+202E) "
            "at position 7; it must be one line of text"),
        (4, "row 4, field name (column name): the text holds a control character (U+0009) at "
            "position 5; it must be one line of text")])
    report = run(db_url, path, "accessibility_objects", on_error="skip")
    assert (report.inserted, report.rejected) == (1, 3), report.problems
    assert count(db_url, "accessibility_object", "name = 'Пандус'") == 1


def test_a_mapping_file_or_geojson_not_in_utf8_says_so(db_url: str, tmp_path: Path) -> None:
    """A cp1251 mapping file was "unexpected UnicodeDecodeError: 'utf-8' codec can't decode
    byte 0xcf …", and a cp1251 GeoJSON "the rows after row 0 cannot be read: 'utf-8' codec
    …": each names the file, the line and the cure, not the decoder."""
    path = write(tmp_path / "p.shp", [parcel(1)], PARCEL_SCHEMA)
    mapping = tmp_path / "mapping.yml"
    mapping.write_bytes("fields:\n  holder_name: null\nset:\n  purpose_text: Присадибна\n"
                        .encode("cp1251"))
    with pytest.raises(InvalidFile) as caught:
        run(db_url, path, "land_parcels", dry_run=True, files=FileOptions(mapping=mapping))
    assert str(caught.value) == ("mapping.yml: line 4 of the mapping file is not UTF-8 text; "
                                 "save it as UTF-8 (in Notepad: Save as, Encoding UTF-8)")
    geojson = tmp_path / "cp1251.geojson"
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [27, 49.42]},
               "properties": {"name": "Пандус біля школи", "kind": "ramp",
                              "condition": "usable"}}
    geojson.write_bytes(json.dumps({"type": "FeatureCollection", "features": [feature]},
                                   ensure_ascii=False, indent=1).encode("cp1251"))
    with pytest.raises(InvalidFile) as caught:
        run(db_url, geojson, "accessibility_objects", dry_run=True)
    message = str(caught.value)
    assert message == ("cp1251.geojson: line 14 is not UTF-8 text, which a GeoJSON file must be "
                       "(RFC 8259, RFC 7946); it reads as cp1251: save it as UTF-8, or import "
                       "it with --encoding cp1251"), message
    report = run(db_url, geojson, "accessibility_objects", dry_run=True,
                 files=FileOptions(encoding="cp1251"))
    assert report.rows == 1 and not report.refused, report.problems


def test_a_csv_without_geometry_columns_says_so_not_that_its_crs_is_unknown(
        db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("name;kind;condition\nПандус;ramp;usable\n", encoding="utf-8")
    message = ("plain.csv: no geometry column: a WKT column (wkt, geometry), or lon/lat (or "
               "x/y) columns; its columns: name, kind, condition")
    for crs in (None, "EPSG:4326"):
        with pytest.raises(InvalidFile) as caught:
            run(db_url, path, "accessibility_objects", dry_run=True, files=FileOptions(crs=crs))
        assert str(caught.value) == message


def test_an_old_mac_csv_with_semicolons_and_decimal_commas_finds_its_delimiter(
        db_url: str, tmp_path: Path) -> None:
    """Lines ended by a lone \\r (old Mac Excel) were one line to the delimiter's sniffer, which
    then chose the decimal commas: "the file does not say its coordinate system", and with
    --crs the header was one column."""
    path = tmp_path / "cr2.csv"
    path.write_bytes("name;kind;condition;lon;lat\rПандус;ramp;usable;27,0;49,42\r"
                     "Ліфт;lift;usable;27,01;49,43\r".encode())
    report = run(db_url, path, "accessibility_objects", dry_run=True)
    assert report.rows == 2 and not report.refused, report.problems
    assert report.crs == "EPSG:4326" and not report.ignored_columns, report


def test_two_columns_for_one_field_or_a_mapping_said_twice_are_refused(
        db_url: str, tmp_path: Path) -> None:
    """A GeoJSON with both name and NAME, or a CSV naming a column twice, filled the field with
    the last column's values without a word; a mapping file's values: for a field without a
    code list, or a field under both fields: and set:, was ignored without one."""
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [27, 49.42]},
               "properties": {"name": "Пандус", "NAME": "ПАНДУС", "kind": "ramp",
                              "condition": "usable"}}
    path = tmp_path / "two.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]},
                               ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InvalidFile) as caught:
        run(db_url, path, "accessibility_objects", dry_run=True)
    assert str(caught.value) == ("two.geojson: the columns 'name' and 'NAME' would both fill "
                                 "the field name; choose one in a mapping file (--mapping) "
                                 "under fields:, e.g. fields: {name: name}")
    chosen = FileOptions(overrides={"fields": {"name": "NAME"}})
    report = run(db_url, path, "accessibility_objects", files=chosen)
    assert report.inserted == 1 and report.ignored_columns == ["name"], report
    assert count(db_url, "accessibility_object", "name = 'ПАНДУС'") == 1
    csv = tmp_path / "twice.csv"
    csv.write_text("name;kind;condition;lon;lat;name\nПандус;ramp;usable;27;49.42;Ліфт\n",
                   encoding="utf-8")
    for files in (FileOptions(), FileOptions(overrides={"fields": {"name": "name"}})):
        with pytest.raises(InvalidFile) as caught:
            run(db_url, csv, "accessibility_objects", dry_run=True, files=files)
        assert str(caught.value) == (
            "twice.csv: the header names the column 'name' 2 times, which would "
            "fill the field name with the last one's values only; rename the others in the "
            "file")
    for overrides, message in (
            ({"values": {"name": {"ПАНДУС": "Пандус"}}},
             "the mapping's values: gives codes for name, which has no code list in "
             "accessibility_objects: its values are taken as the file has them; remove the "
             "field from values:"),
            ({"fields": {"name": "NAME"}, "set": {"name": "Пандус"}},
             "the mapping gives name both under fields: (column 'NAME') and under set: "
             "(value 'Пандус'); keep one of them")):
        with pytest.raises(InvalidParameter) as caught_parameter:
            run(db_url, path, "accessibility_objects", dry_run=True,
                files=FileOptions(overrides=overrides))
        assert str(caught_parameter.value) == message


POINT_SCHEMA = {"geometry": "Point", "properties": {"name": "str:80", "kind": "str:20",
                                                    "condition": "str:20"}}


def _points(*names: str) -> list[dict[str, Any]]:
    return [{"geometry": {"type": "Point", "coordinates": (299_865.0 + 10 * i, 5_476_633.0)},
             "properties": {"name": name, "kind": "ramp", "condition": "usable"}}
            for i, name in enumerate(names)]


def test_a_western_cpg_over_cyrillic_text_says_what_the_text_is(db_url: str,
                                                                tmp_path: Path) -> None:
    """ArcGIS on a Western PC writes a .cpg saying "ANSI 1252" beside a council's cp1251
    file: the names were imported as "Ïàíäóñ á³ëÿ øêîëè ¹5" without a word. Genuine Western
    text under the same .cpg (a few accented letters among plain ones) is imported as it is."""
    path = write(tmp_path / "p.shp", _points("Пандус біля школи №5", "Ліфт у поліклініці"),
                 POINT_SCHEMA, encoding="cp1251")
    path.with_suffix(".cpg").write_text("ANSI 1252")
    with pytest.raises(InvalidFile) as caught:
        run(db_url, path, "accessibility_objects", dry_run=True)
    assert str(caught.value) == (
        "p.shp: its .cpg says the text is cp1252, a Western code page, but the text is "
        "Cyrillic in cp1251 ('Ïàíäóñ' is 'Пандус'); import it with --encoding cp1251 (or "
        "correct the .cpg)")
    report = run(db_url, path, "accessibility_objects", files=FileOptions(encoding="cp1251"))
    assert report.inserted == 2, report.problems
    assert count(db_url, "accessibility_object", "name = 'Пандус біля школи №5'") == 1
    western = write(tmp_path / "w.shp", _points("Rampe Hélène-Müller-Straße", "Café Ørsted",
                                                "Aufzug Bürgerhaus Köln", "Élévateur à l'Hôtel"),
                    POINT_SCHEMA, encoding="cp1252")
    western.with_suffix(".cpg").write_text("ANSI 1252")
    report = run(db_url, western, "accessibility_objects")
    assert report.inserted == 4, report.problems
    assert count(db_url, "accessibility_object", "name = 'Rampe Hélène-Müller-Straße'") == 1


@pytest.mark.parametrize(("header", "declares", "named"), [
    ("name,kind,condition,wkt", '"SRID=999999;POINT({e} {n})"', "column wkt names SRID=999999"),
    ("name,kind,condition,wkt,crs", "POINT({e} {n}),EPSG:abc", "column crs names 'EPSG:abc'")])
def test_a_csv_naming_a_crs_proj_does_not_know_says_which(db_url: str, tmp_path: Path,
                                                           header: str, declares: str,
                                                           named: str) -> None:
    """An EWKT SRID PROJ does not know was «unexpected CRSError» (a 500 on the upload page);
    a crs column's unknown value was ignored, and the file said to name no CRS at all."""
    path = tmp_path / "declared.csv"
    path.write_text(f"{header}\nПандус,ramp,usable,{declares.format(e=E0, n=N0)}\n",
                    encoding="utf-8")
    with pytest.raises(InvalidFile, match=f"declared.csv: the file does not say its coordinate "
                                          f"system \\(its {named}, no CRS PROJ knows"):
        run(db_url, path, "accessibility_objects", dry_run=True)
    report = run(db_url, path, "accessibility_objects", files=FileOptions(crs="EPSG:6383"),
                 dry_run=True)
    assert report.rows == 1 and not report.refused, report.problems


def test_a_zip_member_whose_name_is_longer_than_a_linux_disk_holds_is_read(
        db_url: str, tmp_path: Path) -> None:
    """Windows keeps names of 255 characters, a Cyrillic one twice as many bytes, more than a
    Linux disk's 255: unpacking it was «the zip archive is damaged ([Errno 36] File name too
    long: '/tmp/hromada-ingest-…/…')», naming the server's folder, of a zip that is not."""
    long = ("Земельні ділянки Хмельницької міської територіальної громади станом на перше "
            "грудня дві тисячі двадцять шостого року за даними відділу ГІС")
    assert len(long.encode()) > 255 > len(long)
    shp = write(tmp_path / "d.shp", [parcel(i) for i in range(1, 4)], PARCEL_SCHEMA)
    parts = {f"{long}{p.suffix}": p for p in sorted(tmp_path.glob("d.*"))}
    zipped = _zip(tmp_path / "long.zip", parts)
    report = run(db_url, zipped, "land_parcels", dry_run=True)
    assert report.rows == 3 and not report.refused, report.problems
    assert report.file == f"long.zip!{long}.shp" and report.crs == "EPSG:6383"
    assert shp.exists()
