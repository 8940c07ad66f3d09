"""MapInfo tables (.tab with .dat/.map/.id, .mif with .mid), the other format Ukrainian land
surveyors and councils keep their maps in — written here by GDAL's MapInfo driver in the
Windows Cyrillic charset, imported into a real PostGIS."""

from __future__ import annotations

import zipfile
from pathlib import Path

import psycopg
import pytest

from gis.errors import InvalidFile
from ingest.job import FileOptions
from tests.ingest_files import E0, N0, PARCEL_SCHEMA, parcel, run, write


@pytest.mark.parametrize("suffix", ["tab", "mif"])
def test_a_mapinfo_table_in_windows_cyrillic_imports_where_its_numbers_say(
        db_url: str, tmp_path: Path, suffix: str) -> None:
    records = [parcel(i) for i in range(1, 4)]
    path = write(tmp_path / f"ділянки.{suffix}", records, PARCEL_SCHEMA, driver="MapInfo File",
                 encoding="cp1251")
    head = path.read_bytes()[:400] if suffix == "mif" else path.read_bytes()
    assert b"WindowsCyrillic" in head  # the charset GDAL converts from
    # GDAL's MapInfo writer cannot say UCS-2000: it wrote WGS 84's datum; the report says so
    report = run(db_url, path, "land_parcels", dry_run=True)
    assert report.rows == 3 and report.format.startswith("MapInfo"), report.problems
    assert any("projection of UCS-2000 / Ukraine TM (EPSG:6383) on World Geodetic System "
               "1984" in n and "import it with --crs EPSG:6383" in n for n in report.notes), \
        report.notes
    report = run(db_url, path, "land_parcels", files=FileOptions(crs="EPSG:6383"))
    assert report.inserted == 3 and not any("--crs" in n for n in report.notes), report.notes
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT holder_name, ST_XMin(geom), ST_YMin(geom) FROM registry.land_parcel "
            "ORDER BY cadastral_number").fetchall()
    assert [r[0] for r in rows] == [f"Ковальчук Олена Петрівна {i}" for i in range(1, 4)]
    for i, (_, x, y) in enumerate(rows, 1):  # where the numbers say, to the centimetre
        assert abs(x - (E0 + i * 30)) < 0.01 and abs(y - N0) < 0.01, (i, x, y)


def test_a_zipped_mapinfo_table_and_its_parts_given_alone(db_url: str, tmp_path: Path) -> None:
    write(tmp_path / "parcels.tab", [parcel(1)], PARCEL_SCHEMA, driver="MapInfo File",
          encoding="cp1251")
    archive = tmp_path / "parcels.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in sorted(tmp_path.glob("parcels.*")):
            if part != archive:
                zf.write(part, f"карта/{part.name}")
    report = run(db_url, archive, "land_parcels", dry_run=True,
                 files=FileOptions(crs="EPSG:6383"))
    assert report.rows == 1 and report.file.endswith("карта/parcels.tab"), report.file
    with pytest.raises(InvalidFile, match=r"^parcels.dat: is a part of a MapInfo table; give "
                                          r"the .tab"):
        run(db_url, tmp_path / "parcels.dat", "land_parcels", dry_run=True)
