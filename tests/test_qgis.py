"""A real QGIS (Debian's 3.22, run by the system Python) reads every collection over OAPIF."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import psycopg

from registries.catalog import default_catalog

PROBE = Path(__file__).parent / "clients" / "qgis_probe.py"


def test_qgis_reads_every_collection_like_postgis_sees_it(server: str, demo_url: str,
                                                         tmp_path: Path) -> None:
    layers = [r.id for r in default_catalog() if r.public]
    tmp_path.chmod(0o700)  # Qt wants a private runtime folder
    out = subprocess.run(["/usr/bin/python3", str(PROBE), server, ",".join(layers)],
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                              "XDG_RUNTIME_DIR": str(tmp_path), "HOME": str(tmp_path)},
                         capture_output=True, text=True, timeout=600, check=True, cwd=tmp_path)
    report = json.loads(out.stdout.strip().splitlines()[-1])["layers"]
    with psycopg.connect(demo_url) as conn:
        for reg in default_catalog():
            seen = report[reg.id]
            assert seen["valid"], reg.id
            count = conn.execute(f"SELECT count(*) FROM open_data.{reg.table}").fetchone()[0]  # noqa: S608
            assert seen["count"] == count, reg.id
            assert set(seen["fields"]) == {f.name for f in reg.public_fields}, reg.id
            assert seen["crs"] == "EPSG:4326"
            in_box = conn.execute(
                f"SELECT count(*) FROM open_data.{reg.table} WHERE ST_Intersects(geom, "  # noqa: S608
                "ST_Transform(ST_Segmentize(ST_MakeEnvelope(26.985, 49.415, 27.0, 49.425, "
                "4326), 0.001), 6383))").fetchone()[0]
            assert seen["bbox_count"] == in_box, reg.id
    parcels = report["land_parcels"]["first"]
    assert parcels["cadastral_number"].startswith("6810100000:")
    # QGIS 3.22's OAPIF provider cannot edit (Part 4 editing arrived in QGIS 3.34)
    assert report["land_parcels"]["can_add"] is False
