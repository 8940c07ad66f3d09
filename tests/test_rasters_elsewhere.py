"""The published rasters outside their own routes: in the generated QGIS project.

Over the same published test rasters as ``test_rasters_http`` (an RGB orthophoto and a
paletted plan in UCS-2000 and in WGS 84, a staff-only plan).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import httpx
import pytest
from pyproj import Transformer

from tests.test_rasters_http import (  # noqa: F401 - fixtures
    RASTERS,
    expected_colour,
    point_of,
    published,
    raster_server,
)

PROBE = Path(__file__).parent / "clients" / "qgis_project_raster_probe.py"


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_the_qgis_project_shows_the_public_rasters_under_the_vectors(
        raster_server: str, tmp_path: Path, lang: str) -> None:  # noqa: F811
    r = httpx.get(f"{raster_server}/qgis/project.qgs?access=public&lang={lang}", timeout=60)
    assert r.status_code == 200
    text = r.text
    public = sorted(n for n, spec in RASTERS.items() if spec["public"])
    for name in RASTERS:  # staff-only rasters never reach a project
        assert (f"hromada_raster_{name}<" in text) == (name in public), name
    group = {"uk": "Растрові карти й ортофото", "en": "Raster maps and orthophotos"}
    assert group[lang] in text and group["en" if lang == "uk" else "uk"] not in text
    project = tmp_path / "p.qgs"
    project.write_text(text, encoding="utf-8")
    to_ucs = Transformer.from_crs(4326, 6383, always_xy=True)
    points = [to_ucs.transform(*point_of("plan-ucs", q)) for q in ("nw", "se")]
    out = subprocess.run(["/usr/bin/python3", str(PROBE), str(project),
                          *(str(v) for p in points for v in p)],
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                              "XDG_RUNTIME_DIR": "/tmp"},
                         capture_output=True, text=True, timeout=300, cwd="/tmp")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["read"] and report["crs"] == "EPSG:6383"
    rasters = report["rasters"]
    assert sorted(rasters) == [f"hromada_raster_{n}" for n in public]
    for info in rasters.values():
        assert info["valid"] and info["provider"] == "wms" and info["errors"] == [], info
        assert info["crs"] == "EPSG:6383", info  # the UCS-2000 grid: nothing reprojected
    # the project's layer order (top first): every vector above every raster, plans over photos
    written = re.findall(r'<layer id="([^"]+)"', text[text.index("<layerorder>"):])
    first_raster = min(written.index(i) for i in rasters)
    assert first_raster > 0 and all(i.startswith("hromada_raster_")
                                    for i in written[first_raster:])
    order = report["order"]  # as QGIS reads it
    assert order.index("hromada_raster_plan-ucs") < order.index("hromada_raster_ortho-ucs")
    plan, ortho = rasters["hromada_raster_plan-ucs"], rasters["hromada_raster_ortho-ucs"]
    assert plan["opacity"] == pytest.approx(0.7) and ortho["opacity"] == 1.0
    for quadrant, rgba in zip(("nw", "se"), ortho["pixels"], strict=True):
        assert tuple(rgba[:3]) == pytest.approx(expected_colour("ortho-ucs", quadrant), abs=30)
        assert rgba[3] == 255
    for quadrant, rgba in zip(("nw", "se"), plan["pixels"], strict=True):  # 70 % opaque
        assert rgba[3] == pytest.approx(0.7 * 255, abs=3), rgba
        want = expected_colour("plan-ucs", quadrant)
        assert tuple(rgba[:3]) == pytest.approx(want, abs=8)  # QImage: not premultiplied
