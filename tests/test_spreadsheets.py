"""Excel both ways: a council's workbook imported (rows named as Excel numbers them, refused
rows given back as a workbook), and the reject file of a CSV with empty lines — against a real
PostGIS, the workbooks written by GDAL (shared strings, typed cells: what Excel writes)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
from pyogrio import raw

from gis.errors import InvalidFile
from ingest.job import FileOptions
from tests.ingest_files import count, run


def _workbook(path: Path, columns: dict[str, list[Any]], sheet: str = "Аркуш1") -> Path:
    """Write a workbook as GDAL's XLSX (or ODS) driver does (not our writer): shared strings,
    numbers as numbers."""
    arrays = [np.array(v, dtype=object) if any(isinstance(x, str) for x in v)
              else np.array([np.nan if x is None else x for x in v]) for v in columns.values()]
    driver = "ODS" if path.suffix == ".ods" else "XLSX"
    raw.write(str(path), None, arrays, list(columns), driver=driver, geometry_type=None,
              layer=sheet, encoding="UTF-8")
    return path


def test_a_workbook_imports_naming_rows_as_excel_does_and_rejects_come_back_as_one(
        db_url: str, tmp_path: Path) -> None:
    path = _workbook(tmp_path / "Об'єкти.xlsx", {
        "Назва": ["Пандус", "Ліфт", "Сходи", None, "Поручні"],
        "Вид": ["ramp", "lift", "teleporter", None, "tactile_paving"],
        "Стан": ["usable", "usable", "usable", None, "usable"],
        "довгота": [26.9965, 26.9970, 26.9975, None, 26.9980],
        "широта": [49.4216, 49.4220, 49.4224, None, 49.4228],
    })
    report = run(db_url, path, "accessibility_objects", dry_run=True)
    errors = {p.row: p.message for p in report.problems if p.severity == "error"}
    # the header is row 1; the empty row 5 is no object
    assert report.rows == 4 and list(errors) == [4], report.problems
    assert "teleporter" in errors[4]
    assert any("довгота/широта" in note for note in report.notes), report.notes
    report = run(db_url, path, "accessibility_objects", on_error="skip")
    assert (report.inserted, report.rejected) == (3, 1), report.problems
    assert count(db_url, "accessibility_object", "name = 'Поручні' AND ST_DWithin(geom, "
                 "ST_Transform(ST_SetSRID(ST_Point(26.998, 49.4228), 4326), 6383), 0.01)") == 1
    rejects = tmp_path / "Об'єкти.rejected.xlsx"
    meta, _, _, cells = raw.read(str(rejects), HEADERS="FORCE")
    rows = [dict(zip(meta["fields"], r, strict=True)) for r in zip(*cells, strict=True)]
    assert [(r["Назва"], r["Вид"], r["row"]) for r in rows] == [("Сходи", "teleporter", 4)]
    assert "teleporter" in rows[0]["reason"] and meta["ogr_types"][3] == "OFTReal"


def test_a_workbook_in_a_zip_libreoffices_and_workbooks_that_are_not_tables(db_url: str,
                                                               tmp_path: Path) -> None:
    book = _workbook(tmp_path / "objects.xlsx", {
        "Назва": ["Пандус"], "Вид": ["ramp"], "Стан": ["usable"], "wkt": ["POINT(26.9965 49.4216)"],
        "crs": ["EPSG:4326"]})
    archive = tmp_path / "objects.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(book, "дані/objects.xlsx")
    report = run(db_url, archive, "accessibility_objects")
    assert report.inserted == 1, report.problems
    # a title above the header, as councils' registers often begin
    titled = _workbook(tmp_path / "titled.xlsx", {
        "Реєстр об'єктів доступності станом на 01.01.2025": ["Назва", "Пандус"],
        "Field2": [None, "ramp"], "Field3": [None, "usable"]})
    with pytest.raises(InvalidFile, match=r"^titled.xlsx: sheet Аркуш1: row 1 names 1 of its 3 "
                                          r"columns; the first row must be the header"):
        run(db_url, titled, "accessibility_objects", dry_run=True)
    # Excel's new workbook has three sheets: the empty ones ask nothing; two with data ask
    sheets = tmp_path / "sheets.xlsx"
    _workbook(sheets, {"Назва": ["Ліфт"], "Вид": ["lift"], "Стан": ["usable"],
                       "lon": [26.997], "lat": [49.422]})
    raw.write(str(sheets), None, [np.array([], dtype=object)], ["a"], driver="XLSX",
              geometry_type=None, layer="Аркуш2", append=True)
    assert run(db_url, sheets, "accessibility_objects", dry_run=True).rows == 1
    raw.write(str(sheets), None, [np.array(["x"], dtype=object)], ["Назва"], driver="XLSX",
              geometry_type=None, layer="Аркуш3", append=True)
    with pytest.raises(InvalidFile, match=r"^sheets.xlsx: 2 of the workbook's sheets hold data "
                                          r"\(Аркуш1, Аркуш3\); choose one with --layer SHEET"):
        run(db_url, sheets, "accessibility_objects", dry_run=True)
    assert run(db_url, sheets, "accessibility_objects", dry_run=True,
               files=FileOptions(layer="Аркуш1")).rows == 1
    with pytest.raises(InvalidFile, match=r"^sheets.xlsx: has no sheet 'Лист1'; its sheets: "
                                          r"Аркуш1, Аркуш2, Аркуш3"):
        run(db_url, sheets, "accessibility_objects", dry_run=True,
            files=FileOptions(layer="Лист1"))
    # LibreOffice's own workbook; its rejects come back as an Excel one
    calc = _workbook(tmp_path / "calc.ods", {
        "Назва": ["Ліфт", "Сходи"], "Вид": ["lift", "teleporter"], "Стан": ["usable", "usable"],
        "lon": [26.9970, 26.9975], "lat": [49.4220, 49.4224]})
    report = run(db_url, calc, "accessibility_objects", on_error="skip")
    assert (report.format, report.inserted, report.rejected) == ("ODS", 1, 1), report.problems
    assert [p.row for p in report.problems if p.severity == "error"] == [3]
    assert (tmp_path / "calc.rejected.xlsx").is_file()
    # plane coordinates and their CRS as number cells (X the northing, as surveyors write)
    plane = _workbook(tmp_path / "plane.xlsx", {
        "Назва": ["Пандус"], "Вид": ["ramp"], "Стан": ["usable"], "x": [5476633.0],
        "y": [299865.0], "srid": [6383.0]})
    report = run(db_url, plane, "accessibility_objects", dry_run=True)
    assert (report.crs, report.rows, report.refused) == ("EPSG:6383", 1, False), report.problems
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))  # an OLE2 file's start
    with pytest.raises(InvalidFile, match=r"^old.xls: is an Excel 97–2003 workbook.*save it "
                                          r"from Excel as .xlsx"):
        run(db_url, old, "accessibility_objects", dry_run=True)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(book.read_bytes()[:300])
    with pytest.raises(InvalidFile, match=r"^broken.xlsx: cannot be read as an Excel workbook"):
        run(db_url, broken, "accessibility_objects", dry_run=True)
    from ingest.formats import xlsx

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (4 << 20))  # 4 MB from some 4 kB
    with pytest.MonkeyPatch.context() as mp:  # the real limit is a gigabyte
        mp.setattr(xlsx, "MAX_UNPACKED_BYTES", 1 << 20)
        with pytest.raises(InvalidFile, match=r"^bomb.xlsx: unpacked, the workbook takes 4 MB "
                                              r"\(at most 1 MB .*save the sheet as CSV"):
            run(db_url, bomb, "accessibility_objects", dry_run=True)
    assert count(db_url, "accessibility_object") == 2


def test_a_text_only_sheet_after_the_first_keeps_its_header(db_url: str,
                                                             tmp_path: Path) -> None:
    """GDAL 3.12 takes the open option HEADERS=FORCE on a workbook's first sheet only: a
    second sheet of text cells (WKT, names, codes) lost its header ("row 1 names 0 of its 4
    columns"). Row 1 of every sheet names its columns, and GDAL's config is as it was after."""
    import pyogrio

    text = {"name": ["Пандус"], "kind": ["ramp"], "condition": ["usable"],
            "wkt": ["POINT (27 49.42)"]}
    book = _workbook(tmp_path / "t2.xlsx", text, sheet="first")
    raw.write(str(book), None, [np.array(v, dtype=object) for v in text.values()], list(text),
              driver="XLSX", geometry_type=None, layer="second", append=True)
    for sheet in ("first", "second"):
        report = run(db_url, book, "accessibility_objects", dry_run=True,
                     files=FileOptions(crs="EPSG:4326", layer=sheet))
        assert (report.rows, report.refused) == (1, False), (sheet, report.problems)
    assert pyogrio.get_gdal_config_option("OGR_XLSX_HEADERS") is None
    # reads overlapping in two threads: the first to end leaves it to the other
    from ingest.formats.xlsx import headers_forced

    with headers_forced():
        with headers_forced():
            pass
        assert pyogrio.get_gdal_config_option("OGR_XLSX_HEADERS") == "FORCE"
    assert pyogrio.get_gdal_config_option("OGR_XLSX_HEADERS") is None


def test_a_csv_reject_file_holds_the_refused_rows_after_an_empty_line(db_url: str,
                                                                      tmp_path: Path) -> None:
    """An empty line counted for the import's row numbers but not for the reject file's: every
    refused row after one was written as another row, or not at all."""
    path = tmp_path / "objects.csv"
    path.write_text("Назва;Вид;Стан;lon;lat\r\nПандус;ramp;usable;26,9965;49,4216\r\n"
                    ";;;;\r\n\r\nСходи;teleporter;usable;26,9970;49,4220\r\n"
                    "Ліфт;lift;usable;26,9975;49,4224\r\n", encoding="utf-8-sig")
    report = run(db_url, path, "accessibility_objects", on_error="skip")
    assert (report.inserted, report.rejected) == (2, 1), report.problems
    lines = (tmp_path / "objects.rejected.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith("Сходи;teleporter;"), lines


def test_a_text_reads_back_from_our_workbook_exactly(db_url: str, tmp_path: Path) -> None:
    """GDAL hands OOXML's _xHHHH_ escapes over as written: the writer escapes a text that
    looks like one, the reader decodes the escapes, so a text survives the round trip. (A CR
    LF, which XML reads as LF, is escaped too; a registry text is one line since the
    ``text_one_line`` rule, so such a cell is a problem of its row, as below.)"""
    from datetime import UTC, datetime

    from ingest.formats.xlsx import write_sheet

    name = "Пандус: вхід _x0041_ «А» & <b>"
    path = tmp_path / "objects.xlsx"
    write_sheet(path, "objects", [("name", "text"), ("kind", "text"), ("condition", "text"),
                                  ("lon", "number"), ("lat", "number")],
                [(name, "ramp", "usable", 26.9965, 49.4216)], stamp=datetime.now(UTC))
    report = run(db_url, path, "accessibility_objects")
    assert report.inserted == 1, report.problems
    with psycopg.connect(db_url) as conn:
        stored = conn.execute("SELECT name FROM registry.accessibility_object").fetchall()
    assert stored == [(name,)]
    two_lines = tmp_path / "lines.xlsx"
    write_sheet(two_lines, "objects", [("name", "text"), ("kind", "text"),
                                       ("condition", "text"), ("lon", "number"),
                                       ("lat", "number")],
                [("Пандус\r\nвхід", "ramp", "usable", 26.9965, 49.4216)],
                stamp=datetime.now(UTC))
    report = run(db_url, two_lines, "accessibility_objects", dry_run=True)
    assert [p.message for p in report.problems] == [
        "row 2, field name (column name): the text holds a control character (U+000D) at "
        "position 7; it must be one line of text"]


def test_a_workbook_is_written_in_the_memory_of_a_few_rows(tmp_path: Path) -> None:
    """The sheet streams into the zip: 100,000 rows take what 1,000 take (a city's addresses
    are 115,000), not a list of every cell."""
    import tracemalloc
    from datetime import UTC, date, datetime

    from ingest.formats.xlsx import write_sheet

    def peak(n: int) -> int:
        rows = ((i, f"вул. Кам'янецька, {i}", 49.4 + i * 1e-6, date(2024, 1, 1))
                for i in range(n))
        tracemalloc.start()
        try:
            write_sheet(tmp_path / f"{n}.xlsx", "a", [("id", "integer"), ("name", "text"),
                                                    ("lat", "number"), ("on", "date")],
                        rows, stamp=datetime(2024, 1, 1, tzinfo=UTC))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(1_000), peak(100_000)
    assert large < small * 2 + (1 << 20), (small, large)  # a list of the rows: 27 MB


def test_an_outline_longer_than_a_cell_is_left_out_of_the_workbook_only(
        conn: psycopg.Connection) -> None:
    """Excel's cell holds 32,767 characters: a longer WKT is left empty in the workbook (its
    row keeps the point), and the CSV keeps it whole."""
    from psycopg import sql

    from ingest.export import table_columns
    from ingest.formats.xlsx import MAX_CELL
    from registries.catalog import default_catalog

    reg = default_catalog().get("water_bodies")

    def wkt(limit: int | None, quad_segs: int) -> str | None:
        expr = {name: e for name, _, e in table_columns(reg, 6383, False, wkt_limit=limit)}
        row = conn.execute(sql.SQL("SELECT {}, {} FROM (SELECT ST_Buffer(ST_SetSRID("
                                   "ST_Point(300000, 5476000), 6383), 100, %s) AS geom) AS t")
                           .format(expr["wkt"], expr["lat"]), (quad_segs,)).fetchone()
        assert row is not None and 49 < row[1] < 50
        return row[0]

    small, large = wkt(MAX_CELL, 8), wkt(MAX_CELL, 2000)
    assert small is not None and small.startswith("POLYGON((") and large is None
    whole = wkt(None, 2000)
    assert whole is not None and len(whole) > MAX_CELL


def test_excels_sep_line_names_the_delimiter_and_is_no_header(db_url: str,
                                                              tmp_path: Path) -> None:
    """Excel writes (and reads) a first line "sep=;" naming the delimiter: it was taken for
    the header, and the file had no coordinate columns."""
    path = tmp_path / "objects.csv"
    path.write_text("sep=;\r\nНазва;Вид;Стан;lon;lat;;\r\nПандус;ramp;usable;26,9965;49,4216;;\r\n"
                    "Сходи;teleporter;usable;26,9970;49,4220;;\r\n", encoding="utf-8-sig")
    report = run(db_url, path, "accessibility_objects", on_error="skip")
    assert (report.inserted, report.rejected) == (1, 1), report.problems
    assert report.ignored_columns == []  # Excel's empty columns after the last are nothing
    assert [p.row for p in report.problems if p.severity == "error"] == [2]
    lines = (tmp_path / "objects.rejected.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "Назва;Вид;Стан;lon;lat;;;reason" and lines[1].startswith("Сходи;"), lines


def test_a_csv_reject_file_keeps_its_reason_under_the_reason_column(db_url: str,
                                                                    tmp_path: Path) -> None:
    """A short row's reason was written right after its last cell (under `lat`, or `Стан`),
    and a long row's after its extra cells: the reject file's `reason` column was empty for
    both. The reason stands in its column; a long row's extra cells follow it, kept to be
    fixed."""
    import csv

    path = tmp_path / "objects.csv"
    path.write_text("Назва;Вид;Стан;lon;lat\r\nПандус;ramp;usable;26,9965;49,4216\r\n"
                    "Сходи;ramp;usable\r\n"
                    "Ліфт;lift;usable;26,9975;49,4224;зайве\r\n", encoding="utf-8-sig")
    report = run(db_url, path, "accessibility_objects", on_error="skip")
    assert (report.inserted, report.rejected) == (1, 2), report.problems
    with (tmp_path / "objects.rejected.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f, delimiter=";", restkey="extra"))
    assert [r["Назва"] for r in rows] == ["Сходи", "Ліфт"], rows
    assert all(r["reason"] for r in rows), rows
    assert "geometry" in rows[0]["reason"] and rows[0]["lat"] == "", rows
    assert rows[1]["lat"] == "49,4224" and rows[1]["extra"] == ["зайве"], rows
