"""The reject file of a CSV with empty lines — against a real PostGIS."""

from __future__ import annotations

from pathlib import Path

from tests.ingest_files import run


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
