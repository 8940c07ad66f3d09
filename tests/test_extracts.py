"""Printable extracts read back from their PDFs: paper, true scale, catalogue, register, limits.

A database of its own holds a parcel drawn by the factories with a known 100 m edge (a
100 × 40 m rectangle turned by 30°), a neighbour, a building, a street, an address, a zone
and a restriction; a real ``gis serve`` issues the extracts and pdfplumber measures them.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pdfplumber
import psycopg
import pytest

from extracts.layout import MM, sheet
from gis.cluster import EmbeddedCluster
from tests import factories as f
from tests.conftest import GIS, clone, drop, served, shared_tmp

NUMBER = "6810100000:03:002:0007"  # the parcel with the known 100 m edge
NEIGHBOUR = "6810100000:03:002:0008"
PRIVATE = "6810100000:03:002:0009"  # held by a natural person
DENSE = "6810100000:03:002:0010"  # a round parcel surveyed every 0.8 m: 120 boundary points
HOLDER, RNOKPP = "Коваленко Оксана Петрівна", "2987654321"
TOKENS = {"tok-planner": "olena:planner"}
STAFF = {"Authorization": "Bearer tok-planner"}
ANGLE = math.radians(30)
U = (100 * math.cos(ANGLE), 100 * math.sin(ANGLE))  # the 100 m edge
V = (-40 * math.sin(ANGLE), 40 * math.cos(ANGLE))
P0 = (f.E0 + 150.0, f.N0 + 80.0)
RED = (0.835294, 0.0, 0.0)


def _corners(origin: tuple[float, float], u: tuple[float, float],
             v: tuple[float, float]) -> list[tuple[float, float]]:
    (x, y), (ux, uy), (vx, vy) = origin, u, v
    return [(x, y), (x + ux, y + uy), (x + ux + vx, y + uy + vy), (x + vx, y + vy), (x, y)]


def _populate(conn: psycopg.Connection) -> None:
    f.make_boundary(conn, size=4000)
    f.make_parcel(conn, NUMBER, f.multipolygon(_corners(P0, U, V)), area_declared_ha=0.4,
                  area_error_ha=0.0002)
    far = (P0[0] + V[0], P0[1] + V[1])
    f.make_parcel(conn, NEIGHBOUR, f.multipolygon(_corners(far, U, (V[0] * 0.75,
                                                                    V[1] * 0.75))))
    f.make_parcel(conn, PRIVATE, f.multipolygon(f.ring(f.E0 - 300, f.N0 - 300, 30)),
                  holder_kind="natural", holder_name=HOLDER, holder_rnokpp=RNOKPP,
                  holder_edrpou=None, holder_home_address="вул. Тиха, 5, кв. 17")
    dense = [(f.E0 + 1200 + 15 * math.cos(-2 * math.pi * k / 120),
              f.N0 + 1200 + 15 * math.sin(-2 * math.pi * k / 120)) for k in range(120)]
    f.make_parcel(conn, DENSE, f.multipolygon([*dense, dense[0]]))
    cx, cy = P0[0] + (U[0] + V[0]) / 2, P0[1] + (U[1] + V[1]) / 2
    f.create(conn, "buildings", f.multipolygon(f.ring(cx - 6, cy - 5, 12, 10)), floors=2,
             purpose="residential_house")
    street = f.make_street(conn, "Проскурівська")
    f.make_address(conn, street, "12", at=(cx, cy))
    f.create(conn, "planning_zones", f.multipolygon(f.ring(f.E0 - 500, f.N0 - 500, 1000)),
             zone_code="Ж-1", zone_name="Зона садибної забудови", max_height_m=12,
             max_coverage_pct=40)
    f.create(conn, "planning_restrictions", f.multipolygon(f.ring(P0[0] - 20, P0[1] - 20, 60)),
             kind="water_protection", dzk_code="05.01", name="Водоохоронна зона р. Плоска")


@pytest.fixture(scope="module")
def db(cluster: EmbeddedCluster, template_url: str) -> Iterator[str]:
    url = clone(cluster, "gis_template", "extracts")
    with psycopg.connect(url) as conn:
        _populate(conn)
        conn.commit()
    yield url
    drop(cluster, "extracts")


@pytest.fixture(scope="module")
def srv(db: str) -> Iterator[str]:
    with served({"GIS_DATABASE_URL": db, "GIS_AUTH__TOKENS": json.dumps(TOKENS)}) as base:
        yield base


def get(srv: str, path: str, **kw: Any) -> httpx.Response:
    return httpx.get(f"{srv}{path}", timeout=60, **kw)


def pdf_of(r: httpx.Response) -> Any:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    return pdfplumber.open(io.BytesIO(r.content))


def text_of(pdf: Any) -> str:
    # map labels are drawn twice (a white halo, then the glyphs): one copy is enough
    return "\n".join(page.dedupe_chars().extract_text() for page in pdf.pages)


def highlight(page: Any) -> list[tuple[float, float]]:
    """Return the red outline of the object (points in pt, y down) drawn on ``page``."""
    paths = [c for c in page.curves if c.get("stroking_color")
             and tuple(round(v, 6) for v in c["stroking_color"][:3]) == RED
             and c.get("linewidth") == pytest.approx(1.6)]
    assert len(paths) == 1, paths
    return [(float(x), float(y)) for x, y in paths[0]["pts"]]


def test_parcel_extract_is_true_to_scale(srv: str) -> None:
    r = get(srv, f"/extracts/parcels/{NUMBER}", params={"scale": "1:1000", "paper": "A4"})
    pdf = pdf_of(r)
    page = pdf.pages[0]
    for p in pdf.pages:  # every page has the paper's exact size
        assert (p.width, p.height) == pytest.approx((210 * MM, 297 * MM), abs=0.01)
    pts = highlight(page)
    edges = sorted(math.dist(a, b) / MM for a, b in zip(pts, pts[1:], strict=False))
    # 100 m at 1:1000 is 100 mm on paper (and the 40 m edge 40 mm): within 0.5 %
    assert edges[-1] == pytest.approx(100.0, rel=0.005)
    assert edges[-2] == pytest.approx(100.0, rel=0.005)
    assert edges[0] == pytest.approx(40.0, rel=0.005)
    layout = sheet("A4", "portrait")
    frame = [rc for rc in page.rects if rc["width"] == pytest.approx(layout.map.width * MM,
                                                                      abs=0.1 * MM)
             and rc["height"] == pytest.approx(layout.map.height * MM, abs=0.1 * MM)]
    assert frame, "the map frame is not its nominal size to 0.1 mm"
    control = [ln for ln in page.lines if abs(ln["width"] - 100 * MM) < 0.1 * MM
               and ln["height"] == 0]
    assert control, "no 100 mm control line"
    bar = [rc for rc in page.rects if abs(rc["width"] - 10 * MM) < 0.05 * MM
           and abs(rc["height"] - 1.4 * MM) < 0.05 * MM]
    assert len(bar) == 5, "the scale bar has five 10 mm segments"
    text = text_of(pdf)
    for needed in ("Масштаб 1:1000", "EPSG:6383", "Інформаційний документ, не є "
                   "правовстановлювальним", "Друкувати в масштабі 100 %",
                   "Каталог координат меж", "Умовні позначення", NUMBER,
                   "Водоохоронна зона р. Плоска", "Ж-1", "Y = "):
        assert needed in text, needed
    # X (northing) labels run along the left and right edges of the frame
    assert any(ch["text"] == "X" and not ch["upright"] for ch in page.chars)


def test_boundary_point_numbers_never_overlap_and_the_catalogue_lists_every_point(
        srv: str) -> None:
    pdf = pdf_of(get(srv, f"/extracts/parcels/{DENSE}", params={"scale": "500"}))
    page = pdf.pages[0]
    words = page.dedupe_chars().extract_words(extra_attrs=["non_stroking_color", "fontname"])
    numbers = [w for w in words if w["fontname"].endswith("DejaVuSans-Bold")
               and w["text"].isdigit() and w["non_stroking_color"]
               and tuple(round(v, 6) for v in w["non_stroking_color"][:3]) == RED]
    shown = {int(w["text"]) for w in numbers}
    # 0.8 m apart is 1.6 mm at 1:500, narrower than a number: some are left out, not piled up
    assert 1 in shown and 10 < len(shown) < 120, sorted(shown)
    for i, a in enumerate(numbers):
        for b in numbers[i + 1:]:
            apart = a["x1"] <= b["x0"] or b["x1"] <= a["x0"] or a["bottom"] <= b["top"] \
                or b["bottom"] <= a["top"]
            assert apart, (a["text"], b["text"])
    text = text_of(pdf)
    # a catalogue row: number, X, Y (the attributes table may share its text line)
    rows = {int(m) for m in re.findall(r"(?:^| )(\d{1,3}) 54\d{5},\d\d 30\d{4},\d\d", text,
                                       re.M)}
    assert rows == set(range(1, 121)), sorted(set(range(1, 121)) - rows)


def test_catalogue_equals_the_database_to_the_centimetre(srv: str, db: str) -> None:
    text = text_of(pdf_of(get(srv, f"/extracts/parcels/{NUMBER}")))
    rows = re.findall(r"(?<!\S)(\d{1,3}) (\d{7},\d{2}) (\d{6},\d{2}) (\d{1,3}°\d{2}′) "
                      r"(\d[\d ]*,\d{2})", text)
    printed = {(float(x.replace(",", ".")), float(y.replace(",", "."))) for _, x, y, _, _ in rows}
    with psycopg.connect(db) as conn:
        stored = conn.execute(
            "SELECT DISTINCT ST_Y(d.geom), ST_X(d.geom) FROM registry.land_parcel p, "
            "ST_DumpPoints(p.geom) d WHERE p.cadastral_number = %s", (NUMBER,)).fetchall()
    assert len(rows) == 4 == len(stored)
    for x, y in stored:  # X northing, Y easting
        assert any(abs(x - px) <= 0.005 and abs(y - py) <= 0.005 for px, py in printed), (x, y)
    lengths = sorted(float(length.replace(" ", "").replace(",", ".")) for *_, length in rows)
    assert lengths == pytest.approx([40, 40, 100, 100], abs=0.01)
    assert "Площа за координатами: 0,4000 га" in text  # 100 × 40 m
    assert "у межах допуску" in text


def test_register_records_the_extract_and_its_check_describes_it(srv: str, db: str) -> None:
    r = get(srv, f"/extracts/parcels/{NUMBER}", params={"scale": "2000", "paper": "A3",
                                                       "orientation": "landscape"})
    number = r.headers["x-extract-number"]
    pdf = pdf_of(r)
    assert (pdf.pages[0].width, pdf.pages[0].height) == pytest.approx((420 * MM, 297 * MM),
                                                                      abs=0.01)
    text = text_of(pdf)
    assert f"№ {number}" in text
    printed_hash = re.search(r"Контрольна сума: ([0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4} "
                             r"[0-9a-f]{4})", text)
    assert printed_hash
    with psycopg.connect(db) as conn:
        row = conn.execute("SELECT scale, paper, orientation, collection, object_label, "
                           "issued_by, personal, content_hash FROM extracts.register "
                           "WHERE number = %s", (number,)).fetchone()
    assert row is not None
    assert row[:7] == (2000, "A3", "landscape", "land_parcels", NUMBER, None, False)
    assert row[7].startswith(printed_hash.group(1).replace(" ", ""))
    check = get(srv, f"/extracts/{number}", params={"hash": printed_hash.group(1)}).json()
    assert check["genuine"] is True and check["hash_matches"] is True
    assert (check["scale"], check["paper"], check["object"]) == (2000, "A3", NUMBER)
    assert check["issued_by"] == "anonymous" and check["object_changed_since"] is False
    points = check["content"]["catalogue"]["points"]
    assert len(points) == 4 and {p[3] for p in points} == {40.0, 100.0}
    assert get(srv, f"/extracts/{number}", params={"hash": "deadbeef"}).json()[
        "hash_matches"] is False
    html = get(srv, f"/extracts/{number}", headers={"Accept": "text/html"})
    assert "Витяг справжній" in html.text and NUMBER in html.text
    # the page states when the sheet was issued as the sheet prints it (the city's clock, not
    # the register's UTC instant with microseconds), in each language as its pages write dates
    printed = re.search(r"Видано: (\d\d)\.(\d\d)\.(\d{4}) (\d\d:\d\d)", text)
    assert printed
    day, month, year, clock = printed.groups()
    assert f">{day}.{month}.{year} {clock}</time>" in html.text
    assert check["issued_at"] not in re.sub(r'datetime="[^"]*"', "", html.text)
    # in English too (the sheet's own printed rows stay as printed, marked Ukrainian)
    english = get(srv, f"/extracts/{number}", params={"f": "html", "lang": "en",
                                                      "hash": printed_hash.group(1)})
    assert '<html lang="en">' in english.text and NUMBER in english.text
    assert "The extract is genuine" in english.text and "the checksum matches" in english.text
    assert "Coordinate catalogue" in english.text and "Land parcels" in english.text
    assert "Витяг справжній" not in english.text and "Каталог координат" not in english.text
    assert '<table lang="uk">' in english.text
    months = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
    assert f">{int(day)} {months[int(month) - 1]} {year}, {clock}</time>" in english.text
    # the object changes: the check says the sheet shows an older state
    with psycopg.connect(db) as conn:
        conn.execute("UPDATE registry.land_parcel SET purpose_text = 'змінено' "
                     "WHERE cadastral_number = %s", (NUMBER,))
        conn.commit()
    assert get(srv, f"/extracts/{number}").json()["object_changed_since"] is True


def test_bad_requests_name_what_is_wrong(srv: str, db: str) -> None:
    with psycopg.connect(db) as conn:
        before = conn.execute("SELECT count(*) FROM extracts.register").fetchone()
    r = get(srv, "/extracts/parcels/6810100000:03:002:0999")
    assert r.status_code == 404 and "6810100000:03:002:0999" in r.json()["detail"]
    r = get(srv, f"/extracts/parcels/{NUMBER}", params={"scale": "500"})
    assert r.status_code == 400
    problem = r.json()
    # the parcel's box is about 107 × 85 m; A4 portrait at 1:500 holds 86.5 × 69.5 m
    assert "1:500" in problem["detail"] and "fits at 1:1000" in problem["detail"]
    assert problem["fits_at"] == 1000
    for params, word in (({"scale": "1:1234"}, "scale"), ({"paper": "A5"}, "paper"),
                         ({"orientation": "diagonal"}, "orientation"),
                         ({"layers": "nothing_here"}, "layers")):
        r = get(srv, f"/extracts/parcels/{NUMBER}", params=params)
        assert r.status_code == 400 and r.json()["parameter"] == word, r.text
    assert get(srv, "/extracts").status_code == 400
    r = get(srv, "/extracts", params={"collection": "buildings"})  # which one? (was "got None")
    assert r.status_code == 400 and r.json()["parameter"] == "id"
    assert r.json()["detail"] == "say which buildings object to print: collection=buildings&id=<n>"
    # too large for the sheet at 1:25000: another sheet is suggested only where it fits (a box
    # of 15 × 22 km was told "use A3" on A3 itself)
    for (dn, de), params, says in (
            ((1900, 2400), {}, "print a part of it (bbox), or use A3 portrait: it fits at "
                               "1:25000"),
            ((11000, 7500), {"paper": "A3", "orientation": "landscape"},
             "too large for one A3 landscape sheet even at 1:25000; print a part of it (bbox)")):
        box = f"{f.N0 - dn},{f.E0 - de},{f.N0 + dn},{f.E0 + de}"
        r = get(srv, "/extracts", params={"bbox": box, "bbox-crs": "EPSG:6383", **params})
        assert r.status_code == 400 and r.json()["detail"].endswith(says), r.text
    # two scales: the last one was printed
    r = get(srv, f"/extracts/parcels/{NUMBER}", params=[("scale", "1000"), ("scale", "2000")])
    assert r.status_code == 400 and r.json()["detail"] == (
        "scale is given 2 times ('1000', '2000'): give it once"), r.text
    assert get(srv, "/extracts", params={"center": "27.0,49.42"}).status_code == 400  # scale?
    assert get(srv, "/extracts/collections/nope/items/1").status_code == 404
    assert get(srv, "/extracts/collections/buildings/items/999999").status_code == 404
    r = get(srv, "/extracts/2026-000001-ZZZZ")
    assert r.status_code == 404 and "2026-000001-ZZZZ" in r.json()["detail"]
    assert get(srv, "/extracts/not-a-number").status_code == 404
    # an area where no object of the city can lie, or no area at all: a clear 400, no sheet
    # and no register number (the view at 0°, 0° once printed a sheet of nothing)
    for params, word, says in (
            ({"center": "0,0", "scale": "500"}, "center", "km from the city's area"),
            ({"center": "27.0,52.0", "scale": "2000"}, "center", "km from the city's area"),
            ({"center": "117,0", "scale": "500"}, "center", "cannot be transformed"),
            ({"center": "inf,49.42", "scale": "500"}, "center", "2 comma-separated numbers"),
            ({"bbox": "29.0,49.4,29.01,49.41"}, "bbox", "km from the city's area"),
            ({"bbox": "30.0,46.0,30.1,46.1"}, "bbox", "km from the city's area"),  # not "large"
            ({"bbox": "0,0,1e300,1e300"}, "bbox", "in degrees"),
            ({"bbox": "-inf,-inf,inf,inf"}, "bbox", "4 comma-separated numbers"),
            ({"bbox": "1,1,2,2", "bbox-crs": "EPSG:6383"}, "bbox", "km from the city's area"),
            # the coverages' reading of bbox-crs: an unknown code was a 500 here too
            ({"bbox": "1,2,3,4", "bbox-crs": "EPSG:999999"}, "bbox-crs", "is no CRS"),
            ({"bbox": "1,2,3,4", "bbox-crs": "EPSG:5703"}, "bbox-crs",
             "not a two-dimensional map CRS")):
        r = get(srv, "/extracts", params=params)
        assert r.status_code == 400, (params, r.status_code)
        assert r.json()["parameter"] == word and says in r.json()["detail"], (params, r.text)
    # outside the city's box but where a registry may hold objects (up to 50 km): printable
    r = get(srv, "/extracts", params={"center": "27.0,49.6", "scale": "2000"})
    assert r.status_code == 200, r.text
    with psycopg.connect(db) as conn:  # nothing half-written: only that sheet is recorded
        after = conn.execute("SELECT count(*) FROM extracts.register").fetchone()
    assert before is not None and after == (before[0] + 1,)


def test_area_extracts_by_box_and_view(srv: str) -> None:
    box = f"{f.N0 - 80},{f.E0 - 120},{f.N0 + 80},{f.E0 + 120}"  # EPSG:6383: northing first
    r = get(srv, "/extracts", params={"bbox": box, "bbox-crs": "EPSG:6383"})
    text = text_of(pdf_of(r))
    assert "Масштаб 1:2000" in text  # 240 × 160 m fits A4 portrait at 1:2000 (with margin)
    assert "Каталог координат" not in text and "Сітка через 10 см (200 м)" in text
    r = get(srv, "/extracts", params={"center": "26.9965,49.4216", "scale": "5000",
                                      "paper": "A3", "orientation": "landscape",
                                      "layers": "planning_zones,planning_restrictions"})
    pdf = pdf_of(r)
    assert (pdf.pages[0].width, pdf.pages[0].height) == pytest.approx((420 * MM, 297 * MM),
                                                                      abs=0.01)
    text = text_of(pdf)
    assert "ВИКОПІЮВАННЯ" in text and "з плану зонування території м. Хмельницький" in text


def test_no_personal_data_in_anonymous_extracts(srv: str) -> None:
    anonymous = pdf_of(get(srv, f"/extracts/parcels/{PRIVATE}"))
    text = text_of(anonymous)
    assert "фізична особа" in text
    assert HOLDER not in text and RNOKPP not in text and "Тиха" not in text
    number = get(srv, f"/extracts/parcels/{PRIVATE}").headers["x-extract-number"]
    public = get(srv, f"/extracts/{number}").text
    assert HOLDER not in public and RNOKPP not in public
    # staff see the holder on the sheet; the public check of that sheet withholds it
    r = get(srv, f"/extracts/parcels/{PRIVATE}", headers=STAFF)
    assert HOLDER in text_of(pdf_of(r)) and RNOKPP in text_of(pdf_of(r))
    staff_number = r.headers["x-extract-number"]
    public = get(srv, f"/extracts/{staff_number}")
    assert HOLDER not in public.text and RNOKPP not in public.text and "olena" not in public.text
    assert public.json()["issued_by"] == "staff" and "withheld" in public.json()
    own = get(srv, f"/extracts/{staff_number}", headers=STAFF).json()
    assert own["issued_by"] == "olena" and HOLDER in json.dumps(own, ensure_ascii=False)


def test_portal_and_report_link_to_extracts(srv: str) -> None:
    page = get(srv, "/", headers={"Accept": "text/html"}).text
    config = re.search(r'<script id="portal-config" type="application/json">(.*?)</script>',
                       page, re.S)
    assert config is not None and json.loads(config.group(1))["extractsUrl"] == "/extracts"
    report = get(srv, f"/reports/parcels/{NUMBER}", params={"f": "html"}).text
    assert f'href="/extracts/parcels/{NUMBER.replace(":", "%3A")}' in report


def test_limits_refuse_floods_and_huge_frames(db: str) -> None:
    with served({"GIS_DATABASE_URL": db, "GIS_AUTH__TOKENS": json.dumps(TOKENS),
                 "GIS_LIMITS__RATE_EXEMPT": "[]", "GIS_EXTRACTS__ANON_BURST": "2",
                 "GIS_EXTRACTS__MAX_FEATURES": "5"}) as base:
        # a frame holding more than 5 features is refused before anything is drawn
        r = httpx.get(f"{base}/extracts", params={"center": "26.9965,49.4216",
                                                  "scale": "10000"}, headers=STAFF, timeout=60)
        assert r.status_code == 400 and "more than 5 features" in r.json()["detail"]
        statuses = [httpx.get(f"{base}/extracts/parcels/{PRIVATE}", params={"scale": "500"},
                              timeout=60) for _ in range(3)]
        assert [s.status_code for s in statuses[:2]] == [200, 200]
        assert statuses[2].status_code == 429
        assert int(statuses[2].headers["retry-after"]) >= 1
        assert "too many extracts" in statuses[2].json()["detail"]
        # staff are not throttled by the anonymous buckets
        r = httpx.get(f"{base}/extracts/parcels/{PRIVATE}", params={"scale": "500"},
                      headers=STAFF, timeout=60)
        assert r.status_code == 200


def test_cli_prints_and_checks_an_extract(db: str) -> None:
    out = shared_tmp("hromada-extract-cli-")
    env = {**os.environ, "GIS_DATABASE_URL": db}
    try:
        done = subprocess.run([GIS, "extract", "parcel", NUMBER, "--scale", "1000", "-o",
                               str(out / "x.pdf")], env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        number = done.stdout.strip()
        with pdfplumber.open(out / "x.pdf") as pdf:
            assert f"№ {number}" in text_of(pdf)
        check = subprocess.run([GIS, "extract", "check", number], env=env,
                               capture_output=True, text=True, timeout=120)
        assert check.returncode == 0 and json.loads(check.stdout)["scale"] == 1000
        bad = subprocess.run([GIS, "extract", "parcel", "6810100000:03:002:0999"], env=env,
                             capture_output=True, text=True, timeout=120)
        assert bad.returncode == 1 and "6810100000:03:002:0999" in bad.stderr
        # in the command's options, not the HTTP query's ("parcel=…", "scale=2000")
        for args, says in (([], "error: say what to print: --bbox min_lon,min_lat,max_lon,"
                                "max_lat or --center lon,lat with --scale"),
                           (["--center", "27.0,49.42"], "error: --center needs a --scale")):
            bad = subprocess.run([GIS, "extract", "area", *args], env=env,
                                 capture_output=True, text=True, timeout=120)
            assert bad.returncode == 2 and bad.stderr.startswith(says), bad.stderr
        # a PDF that cannot be written is one message, and the register keeps no number
        with psycopg.connect(db) as conn:
            issued = conn.execute("SELECT count(*) FROM extracts.register").fetchone()[0]
        for target, says in (("/dev/full", "cannot write /dev/full: No space left"),
                             ("/proc/x.pdf", "the folder /proc refuses new files"),
                             (str(out / "no" / "x.pdf"), "does not exist")):
            failed = subprocess.run([GIS, "extract", "parcel", NUMBER, "-o", target], env=env,
                                    capture_output=True, text=True, timeout=120)
            assert failed.returncode == 2 and says in failed.stderr, failed.stderr
            assert "unexpected" not in failed.stderr
        with psycopg.connect(db) as conn:
            assert conn.execute("SELECT count(*) FROM extracts.register").fetchone()[0] \
                == issued
        # to standard output: the PDF alone there, its number on standard error
        piped = subprocess.run([GIS, "extract", "parcel", NUMBER, "-o", "-"], env=env,
                               capture_output=True, timeout=120)
        assert piped.returncode == 0 and piped.stdout.startswith(b"%PDF-"), piped.stderr
        assert piped.stdout.rstrip().endswith(b"%%EOF") and b"extract 20" in piped.stderr
        assert sorted(p.name for p in out.iterdir()) == ["x.pdf"]
    finally:
        import shutil

        shutil.rmtree(out, ignore_errors=True)
