"""The staff raster upload (/rasters/upload): what `gis raster add` does, from a browser —
never for the public, transactional, with the CLI's messages; over real HTTP and in Chromium."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from gis.auth import Role
from gis.users import add_user
from tests.conftest import served, shared_tmp
from tests.raster_files import gcps_on_one_point, make_paletted

PASSWORD = "correct horse battery 17"


@pytest.fixture
def upload_server(db_url: str) -> Iterator[tuple[str, Path]]:
    import shutil

    with psycopg.connect(db_url) as conn:
        add_user(conn, "olena", frozenset({Role.PLANNER}), password=PASSWORD)
        add_user(conn, "ivan", frozenset({Role.REGISTRAR}), password=PASSWORD)
        conn.commit()
    data = shared_tmp("hromada-raster-upload-")
    try:
        with served({"GIS_DATABASE_URL": db_url, "GIS_AUTH__COOKIE_SECURE": "false",
                     "GIS_DATA_DIR": str(data), "GIS_INGEST__MAX_UPLOAD_MB": "2",
                     "GIS_TILES__CACHE": "none"}) as base:
            yield base, data / "rasters"
    finally:
        shutil.rmtree(data, ignore_errors=True)


def login(base: str, name: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=120)
    r = client.post("/login", json={"name": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return client, r.json()["csrf_token"]


def rows(db_url: str) -> list[str]:
    with psycopg.connect(db_url) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM rasters.catalog ORDER BY name")]


def files(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_staff_upload_publishes_like_the_cli_and_refuses_the_rest(
        upload_server: tuple[str, Path], db_url: str, tmp_path: Path) -> None:
    base, root = upload_server
    scan = make_paletted(tmp_path / "plan.tif", crs="EPSG:6383", size=400).read_bytes()
    query = {"filename": "plan.tif", "name": "zoning-2021", "title": "План зонування, 2021",
             "title_en": "Zoning plan, 2021", "document": "рішення № 12", "date": "2021-03-01",
             "public": "1"}
    # the public and other roles: refused before any byte is stored
    anon = httpx.post(f"{base}/rasters/upload", params=query, content=scan, timeout=60)
    assert anon.status_code == 401
    page = httpx.get(f"{base}/rasters/upload", timeout=60)  # the page: sign in first
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/rasters/upload")
    ivan, ivan_csrf = login(base, "ivan")
    r = ivan.post("/rasters/upload", params=query, content=scan,
                  headers={"X-CSRF-Token": ivan_csrf})
    assert r.status_code == 403 and "planner or admin" in r.json()["detail"]
    olena, csrf = login(base, "olena")
    no_token = olena.post("/rasters/upload", params=query, content=scan)
    assert no_token.status_code == 403  # a browser session's POST needs its CSRF header
    assert rows(db_url) == [] and files(root) == []
    # bad input: the CLI's message, nothing registered, nothing left behind
    truncated = olena.post("/rasters/upload", params=query, content=scan[: len(scan) // 2],
                           headers={"X-CSRF-Token": csrf})
    assert 400 <= truncated.status_code < 500, truncated.text
    # named as the uploader sent it, never by the server's temporary copy of it
    assert truncated.json()["detail"].startswith("plan.tif: ")
    assert truncated.json()["file"] == "plan.tif"
    assert str(tempfile.gettempdir()) not in truncated.text
    unsolvable = olena.post("/rasters/upload", params={**query, "filename": "gcps.tif"},
                            content=gcps_on_one_point(tmp_path / "gcps.tif").read_bytes(),
                            headers={"X-CSRF-Token": csrf})
    assert unsolvable.status_code == 422, unsolvable.text  # GDAL's refusal was a 500
    assert unsolvable.json()["detail"].startswith(
        "gcps.tif: its ground control points do not place it on a grid")
    bad_crs = olena.post("/rasters/upload", params={**query, "crs": "EPSG:999999"},
                         content=scan, headers={"X-CSRF-Token": csrf})
    assert bad_crs.status_code in (400, 422)
    assert "unknown CRS 'EPSG:999999'" in bad_crs.json()["detail"]
    bad_date = olena.post("/rasters/upload", params={**query, "date": "01.03.2021"},
                          content=scan, headers={"X-CSRF-Token": csrf})
    assert bad_date.status_code == 400 and "YYYY-MM-DD" in bad_date.json()["detail"]
    # text the catalogue cannot show as one line: refused naming the field and the position
    # (a NUL was a 500; a direction override would make a title read as something else)
    for field, value, needle in (("title", "План\x00", "title has a control character "
                                  "(U+0000) at position 5"),
                                 ("title_en", "Plan\u202e1202", "title_en has a "
                                  "text-direction control (U+202E) at position 5"),
                                 ("document", "№ 12\n№ 13", "document has a control "
                                  "character (U+000A)"),
                                 ("title", "я" * 301, "title is 301 characters long")):
        bad = olena.post("/rasters/upload", params={**query, field: value}, content=scan,
                         headers={"X-CSRF-Token": csrf})
        assert bad.status_code == 400 and needle in bad.json()["detail"], (field, bad.text)
    taken = olena.post("/rasters/upload", params={**query, "name": "land_parcels"},
                       content=scan, headers={"X-CSRF-Token": csrf})
    assert taken.status_code in (400, 422) and "registry collection" in taken.json()["detail"]
    big = olena.post("/rasters/upload", params=query, content=b"x" * (3 << 20),
                     headers={"X-CSRF-Token": csrf})
    assert big.status_code == 413
    assert rows(db_url) == [] and [f for f in files(root) if not f.startswith(".")] == []
    # a good one: registered, its COG in the folder, served at once
    ok = olena.post("/rasters/upload", params=query, content=scan,
                    headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201, ok.text
    assert ok.json()["name"] == "zoning-2021" and ok.json()["public"] is True
    assert ok.json()["notes"] == []  # in UCS-2000, on the city: nothing to check
    assert rows(db_url) == ["zoning-2021"]
    assert len([f for f in files(root) if f.startswith("zoning-2021.")]) == 1
    with psycopg.connect(db_url) as conn:
        title, title_en, document, added_by = conn.execute(
            "SELECT title, title_en, source_document, added_by FROM rasters.catalog").fetchone()
    assert (title, title_en, document, added_by) == (
        "План зонування, 2021", "Zoning plan, 2021", "рішення № 12", "olena")
    again = olena.post("/rasters/upload", params=query, content=scan,
                       headers={"X-CSRF-Token": csrf})
    assert again.status_code == 409 and "exists already" in again.json()["detail"]
    assert not list(Path(root).glob(".incoming/*"))  # no temporary file of any attempt stays
    blank = olena.post("/rasters/upload", params={**query, "name": "blank-title",
                                                  "title": "   ", "title_en": " "},
                       content=scan, headers={"X-CSRF-Token": csrf})
    assert blank.status_code == 201, blank.text
    assert blank.json()["title"] == "blank-title"  # a blank title is no title: the name
    with psycopg.connect(db_url, autocommit=True) as conn:
        assert conn.execute("SELECT title_en FROM rasters.catalog "
                            "WHERE name = 'blank-title'").fetchone() == ("",)
    # the same sheet labelled with a custom CRS on the Krassovsky ellipsoid and no datum
    # shift (an SK-63 .prj that lost its parameters): published, with the note to check it
    guessed = olena.post("/rasters/upload", params={
        **query, "name": "guessed", "crs": "+proj=tmerc +lon_0=27 +k=1 +x_0=300000 +ellps=krass "
        "+units=m +no_defs"}, content=scan, headers={"X-CSRF-Token": csrf})
    assert guessed.status_code == 201, guessed.text
    assert [n["code"] for n in guessed.json()["notes"]] == ["datum"]
    assert "null or ballpark transformation" in guessed.json()["notes"][0]["message"]
    olena.close()
    ivan.close()


def test_the_upload_page_in_a_browser(upload_server: tuple[str, Path], db_url: str,
                                      tmp_path: Path) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    from tests.test_portal import ARGS, CHROMIUM

    base, root = upload_server
    scan = make_paletted(tmp_path / "plan.tif", crs="EPSG:6383", size=300)
    broken = tmp_path / "broken.tif"
    broken.write_bytes(scan.read_bytes()[:2000])
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{base}/login?next=/rasters/upload")
            page.fill("input[name=name]", "olena")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/rasters/upload")
            assert page.locator("h1").inner_text() == "Публікація растра (скан плану, ортофото)"
            page.set_input_files("#file", str(broken))
            page.fill("#name", "plan-a")
            page.click("#send")
            page.wait_for_selector("#error:not([hidden])")
            assert "broken.tif" in page.inner_text("#error")
            assert rows(db_url) == []
            page.click("#lang")
            assert page.locator("h1").inner_text() == \
                "Publish a raster (a scanned plan, an orthophoto)"
            page.set_input_files("#file", str(scan))
            page.fill("#title", "План А")
            page.fill("#title_en", "Plan A")
            page.check("#public")
            page.click("#send")
            page.wait_for_selector("#done:not([hidden])")
            assert page.inner_text("#done").startswith("Published: plan-a")
            # the bar followed the bytes sent (XMLHttpRequest's upload events) to the end
            assert page.get_attribute("#progress", "data-sent") == str(scan.stat().st_size)
            assert page.locator("#progress").is_hidden()
            assert page.locator("#done .note").count() == 0  # on the city, in UCS-2000
            # the same sheet under a CRS PROJ places only by a guess: published, with the note
            # worded in the page's language (Ukrainian again)
            page.click("#lang")
            page.fill("#name", "plan-b")
            page.fill("#crs", "+proj=tmerc +lon_0=27 +k=1 +x_0=300000 +ellps=krass +units=m")
            page.click("#send")
            page.wait_for_function("() => document.querySelector('#done').textContent"
                                   ".includes('plan-b')")
            assert page.locator("#done .note").inner_text().startswith(
                "Увага: систему координат растра")
            assert not errors, errors
        finally:
            browser.close()
    assert sorted(rows(db_url)) == ["plan-a", "plan-b"]
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT title, title_en FROM rasters.catalog "
                            "WHERE name = 'plan-a'").fetchone() == (
            "План А", "Plan A")
    import time

    deadline = time.monotonic() + 5  # the server re-reads its catalogue every 0.5 s
    while httpx.get(f"{base}/rasters/plan-a/tilejson.json", timeout=60).status_code != 200:
        assert time.monotonic() < deadline, "the uploaded raster is not served"
        time.sleep(0.2)


def test_placement_notes_name_what_to_check_and_never_fail_an_upload() -> None:
    """The notes come after the raster is published: whatever its CRS, they answer."""
    from app.raster_upload import placement_notes
    from gis.settings import CitySettings

    city = CitySettings()  # Khmelnytskyi
    here, kyiv = (26.98, 49.41, 26.99, 49.42), (30.50, 50.44, 30.51, 50.45)
    assert placement_notes("EPSG:6383", here, city) == []
    assert [n["code"] for n in placement_notes("EPSG:28405", here, city)] == ["datum"]
    far = placement_notes("EPSG:6383", kyiv, city)
    assert [n["code"] for n in far] == ["far"] and 200 < far[0]["km"] < 300
    assert placement_notes("not a CRS at all", here, city) == []


def test_the_raster_upload_takes_files_up_to_the_upload_limit_not_the_body_limit(
        db_url: str, tmp_path: Path) -> None:
    """The page offers GIS_INGEST__MAX_UPLOAD_MB (200 MB), but the server held its POST to
    GIS_LIMITS__MAX_BODY_BYTES (10 MB): a scan of 11 MB was «request bodies are limited to
    10000000 bytes». A body over a limit names its setting."""
    import os

    blob = tmp_path / "scan.tif"
    blob.write_bytes(os.urandom(2 << 20))  # 2 MB: over the body limit, under the upload's
    data = shared_tmp("hromada-raster-limit-")
    try:
        with served({"GIS_DATABASE_URL": db_url, "GIS_DATA_DIR": str(data),
                     "GIS_AUTH__TOKENS": '{"tok-p": "olena:planner"}',
                     "GIS_LIMITS__MAX_BODY_BYTES": "1000000", "GIS_INGEST__MAX_UPLOAD_MB": "3",
                     "GIS_TILES__CACHE": "none"}) as base, \
                httpx.Client(base_url=base, timeout=120,
                             headers={"Authorization": "Bearer tok-p"}) as client:
            taken = client.post("/rasters/upload", params={"filename": "scan.tif",
                                                          "name": "scan"},
                                content=blob.read_bytes())
            assert taken.status_code == 422, taken.text  # read, and found to be no raster
            big = client.post("/rasters/upload", params={"filename": "scan.tif",
                                                        "name": "scan"},
                              content=os.urandom(4 << 20))
            assert big.status_code == 413
            assert "GIS_INGEST__MAX_UPLOAD_MB" in big.json()["detail"], big.text
            other = client.post("/collections/streets/items", content=b"x" * 1_100_000,
                                headers={"Content-Type": "application/geo+json"})
            assert other.status_code == 413
            assert "GIS_LIMITS__MAX_BODY_BYTES" in other.json()["detail"], other.text
    finally:
        import shutil

        shutil.rmtree(data, ignore_errors=True)
