"""The published rasters outside their own routes: in the generated QGIS project.

Over the same published test rasters as ``test_rasters_http`` (an RGB orthophoto and a
paletted plan in UCS-2000 and in WGS 84, a staff-only plan).
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    # layer names in the project's language: the English title, else the raster's name
    names = {"uk": ["Test plan-ucs", "Test plan-wgs"], "en": ["Test plan (UCS-2000)", "plan-wgs"]}
    for title in names[lang]:
        assert f"<layername>{title}</layername>" in text, title
    if lang == "en":
        assert "Test plan-ucs" not in text
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


# -- the geoportal --------------------------------------------------------------------------------
def _pixel(page: Any, lon: float, lat: float) -> list[int]:
    """Return the RGBA the map's screenshot shows at lon/lat."""
    png = page.locator("#map canvas").screenshot()
    return list(page.evaluate(
        """async ([b64, lon, lat]) => {
             const p = window.portal.map.project([lon, lat]);
             const img = new Image();
             img.src = "data:image/png;base64," + b64;
             await img.decode();
             const c = document.createElement("canvas");
             c.width = img.width; c.height = img.height;
             const ctx = c.getContext("2d");
             ctx.drawImage(img, 0, 0);
             const k = img.width / window.portal.map.getCanvas().clientWidth;
             return Array.from(ctx.getImageData(Math.round(p.x * k), Math.round(p.y * k), 1,
                                                1).data);
           }""", [base64.b64encode(png).decode(), lon, lat]))


def test_the_geoportal_draws_a_public_raster_with_its_opacity(raster_server: str) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    from tests.test_portal import ARGS, BACKGROUND, CHROMIUM, Watched

    public = {n for n, spec in RASTERS.items() if spec["public"]}
    lon, lat = point_of("plan-ucs", "nw")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            context = browser.new_context(locale="uk-UA", viewport={"width": 1280,
                                                                    "height": 800})
            watched = Watched(context.new_page(), raster_server)
            page = watched.open(f"#map=18/{lat}/{lon}")
            group = page.locator(".layer-group[data-group=rasters]")
            assert group.locator("summary").inner_text() == "Растрові карти й ортофото"
            names = group.locator("[data-raster]").evaluate_all(
                "els => els.map(e => e.dataset.raster)")
            assert set(names) == public  # the staff-only ones are not there
            # Ukrainian titles from the catalogue; plans listed (and drawn) over photographs
            assert group.locator(".name").all_inner_texts()[:2] == ["Test plan-ucs",
                                                                   "Test plan-wgs"]
            assert _pixel(page, lon, lat)[:3] == list(BACKGROUND)  # off at first
            page.locator("input[data-raster=plan-ucs]").check()
            watched.idle()
            page.wait_for_timeout(300)
            want = expected_colour("plan-ucs", "nw")
            got = _pixel(page, lon, lat)  # 70 % over the ground
            blended = [0.7 * w + 0.3 * b for w, b in zip(want, BACKGROUND, strict=True)]
            assert got[:3] == pytest.approx(blended, abs=6), got
            page.locator("input[data-raster-opacity=plan-ucs]").fill("100")
            watched.idle()
            page.wait_for_timeout(300)
            assert _pixel(page, lon, lat)[:3] == pytest.approx(list(want), abs=6)
            # the raster lies under the registries' vectors
            order = page.evaluate("window.portal.map.getStyle().layers.map(l => l.id)")
            overlays = page.evaluate("window.portal.map.getStyle().layers.filter(l => "
                                     "l.metadata && l.metadata['hromada:role'] === 'overlay')"
                                     ".map(l => l.id)")
            assert order.index("raster-plan-ucs") < min(order.index(i) for i in overlays)
            # English: the English title, else the raster's name, never a Ukrainian title
            # beside English words
            page.locator("#lang-switch").click()
            assert group.locator("summary").inner_text() == "Raster maps and orthophotos"
            assert group.locator(".name").all_inner_texts()[:2] == ["Test plan (UCS-2000)",
                                                                   "plan-wgs"]
            context.close()
            assert watched.errors == []
        finally:
            browser.close()


# -- printed extracts -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def extract_server(published: dict[str, str]) -> Iterator[str]:  # noqa: F811
    """A server whose extracts print the paletted plan (UCS-2000) under the vectors."""
    from tests.conftest import served

    with served({**published, "GIS_EXTRACTS__BASE_RASTER": "plan-ucs"}) as base:
        yield base


def test_an_extract_prints_the_configured_raster_under_the_vectors(extract_server: str,
                                                                   tmp_path: Path) -> None:
    """The plan lies on the sheet at true scale: each quadrant's colour where the quadrant's
    centre is printed, blank paper beyond the raster; the register names the raster."""
    from PIL import Image

    from extracts.layout import MM, MapTransform, ground_box, sheet
    from tests.raster_files import UCS_BOUNDS, quadrant_point

    centre = ((UCS_BOUNDS[0] + UCS_BOUNDS[2]) / 2, (UCS_BOUNDS[1] + UCS_BOUNDS[3]) / 2)
    lon, lat = Transformer.from_crs(6383, "OGC:CRS84", always_xy=True).transform(*centre)
    r = httpx.get(f"{extract_server}/extracts", timeout=120,
                  params={"center": f"{lon},{lat}", "scale": "5000", "paper": "A4"})
    assert r.status_code == 200, r.text
    (tmp_path / "x.pdf").write_bytes(r.content)
    dpi = 100
    subprocess.run(["pdftoppm", "-r", str(dpi), "-f", "1", "-l", "1", "-png", "-singlefile",
                    str(tmp_path / "x.pdf"), str(tmp_path / "x")], check=True, timeout=120)
    image = Image.open(tmp_path / "x.png").convert("RGB")
    layout = sheet("A4", "portrait")
    t = MapTransform(layout.map, ground_box(layout.map, 5000, centre), 5000)
    page_h = 297 * MM

    def printed(e: float, n: float) -> tuple[int, int, int]:
        x, y = t.point(e, n)
        return image.getpixel((round(x / 72 * dpi), round((page_h - y) / 72 * dpi)))

    for quadrant in ("nw", "ne", "sw", "se"):
        got = printed(*quadrant_point(UCS_BOUNDS, quadrant))
        assert got == pytest.approx(expected_colour("plan-ucs", quadrant), abs=12), quadrant
    beyond = printed(centre[0], UCS_BOUNDS[1] - 60)  # 60 m south of the raster
    assert beyond == (255, 255, 255)
    entry = httpx.get(f"{extract_server}/extracts/{r.headers['x-extract-number']}",
                      params={"f": "json"}, timeout=60).json()
    assert "plan-ucs" in json.dumps(entry, ensure_ascii=False)


def test_the_check_of_a_staff_sheet_keeps_a_staff_only_raster_from_the_public(
        published: dict[str, str]) -> None:  # noqa: F811
    """A staff-only raster under a staff member's extract is named to staff only: the public
    check (JSON and page) says nothing of it, as for a raster never added."""
    from tests.conftest import served
    from tests.raster_files import UCS_BOUNDS
    from tests.test_rasters_http import STAFF, STAFF_TOKEN

    env = {**published, "GIS_EXTRACTS__BASE_RASTER": "secret-plan",
           "GIS_AUTH__TOKENS": f'{{"{STAFF_TOKEN}": "olena:planner"}}'}
    with served(env) as base:
        centre = ((UCS_BOUNDS[0] + UCS_BOUNDS[2]) / 2, (UCS_BOUNDS[1] + UCS_BOUNDS[3]) / 2)
        lon, lat = Transformer.from_crs(6383, "OGC:CRS84", always_xy=True).transform(*centre)
        r = httpx.get(f"{base}/extracts", params={"center": f"{lon},{lat}", "scale": "5000"},
                      headers=STAFF, timeout=120)
        assert r.status_code == 200, r.text
        check = f"{base}/extracts/{r.headers['x-extract-number']}"
        staff = httpx.get(check, headers=STAFF, timeout=60).json()
        assert staff["content"]["underlay"]["raster"] == "secret-plan"
        public = httpx.get(check, timeout=60)
        page = httpx.get(check, params={"f": "html"}, timeout=60)
        assert public.status_code == page.status_code == 200
        for text in (public.text, page.text):
            assert "secret-plan" not in text
            assert staff["content"]["underlay"]["sha256"] not in text
