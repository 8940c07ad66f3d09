"""The staff upload page: the same dry run and import from a browser, never for the public —
over real HTTP (httpx) and clicked through in headless Chromium."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from gis.auth import Role
from gis.users import add_user
from tests.conftest import served
from tests.ingest_files import PARCEL_SCHEMA, count, parcel, write

PASSWORD = "correct horse battery 17"


@pytest.fixture
def upload_server(db_url: str) -> Iterator[str]:
    with psycopg.connect(db_url) as conn:
        add_user(conn, "olena", frozenset({Role.PLANNER}), password=PASSWORD)
        add_user(conn, "ivan", frozenset({Role.REGISTRAR}), password=PASSWORD)
        conn.commit()
    with served({"GIS_DATABASE_URL": db_url, "GIS_AUTH__COOKIE_SECURE": "false",
                 "GIS_INGEST__MAX_UPLOAD_MB": "1", "GIS_TILES__CACHE": "none"}) as base:
        yield base


def login(base: str, name: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=60)
    r = client.post("/login", json={"name": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return client, r.json()["csrf_token"]


def shapefile_zip(tmp_path: Path, records: list[dict[str, Any]]) -> Path:
    write(tmp_path / "parcels.shp", records, PARCEL_SCHEMA, encoding="cp1251")
    archive = tmp_path / "parcels.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in ("shp", "shx", "dbf", "prj"):
            zf.write(tmp_path / f"parcels.{part}", f"parcels.{part}")
    return archive


def test_upload_dry_run_then_import_for_staff_only(upload_server: str, db_url: str,
                                                   tmp_path: Path) -> None:
    archive = shapefile_zip(tmp_path, [parcel(i) for i in range(1, 6)])
    body = archive.read_bytes()
    query = "?registry=land_parcels&filename=parcels.zip&mode=upsert"
    anonymous = httpx.post(f"{upload_server}/ingest/check{query}", content=body, timeout=60)
    assert anonymous.status_code == 401
    page = httpx.get(f"{upload_server}/ingest", timeout=30)  # the page: sign in first
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/ingest")
    ivan, ivan_csrf = login(upload_server, "ivan")
    wrong_role = ivan.post(f"/ingest/check{query}", content=body,
                           headers={"X-CSRF-Token": ivan_csrf})
    ivan.close()
    assert wrong_role.status_code == 403 and "needs role: planner" in wrong_role.json()["detail"]
    olena, csrf = login(upload_server, "olena")
    try:
        _as_planner(olena, csrf, query, body, db_url)
    finally:
        olena.close()


def _as_planner(olena: httpx.Client, csrf: str, query: str, body: bytes, db_url: str) -> None:
    no_csrf = olena.post(f"/ingest/check{query}", content=body)
    assert no_csrf.status_code == 403 and "X-CSRF-Token" in no_csrf.json()["detail"]
    page = olena.get("/ingest")
    assert page.status_code == 200 and "Імпорт даних у реєстр" in page.text
    assert "Земельні ділянки" in page.text and "Рекламні засоби" not in page.text
    dry = olena.post(f"/ingest/check{query}", content=body, headers={"X-CSRF-Token": csrf})
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["dry_run"] and report["inserted"] == 5 and report["encoding"] == "cp1251"
    assert count(db_url, "land_parcel") == 0
    done = olena.post(f"/ingest/import{query}", content=body, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200 and done.json()["written"], done.text
    with psycopg.connect(db_url) as conn:
        authors = conn.execute("SELECT DISTINCT changed_by, change_source FROM "
                               "registry.land_parcel").fetchall()
    assert authors == [("olena", "ingest parcels.zip (upload)")]
    too_big = olena.post(f"/ingest/check{query}", content=b"0" * (2 << 20),
                         headers={"X-CSRF-Token": csrf})
    assert too_big.status_code == 413
    broken = olena.post("/ingest/check?registry=land_parcels&filename=broken.zip",
                        content=body[:300], headers={"X-CSRF-Token": csrf})
    assert broken.status_code == 422 and "not a readable zip" in broken.json()["detail"]
    # the page has no command line: messages name its fields, not gis ingest's flags
    bad_mode = olena.post("/ingest/check?registry=land_parcels&filename=parcels.zip&mode=merge",
                          content=body, headers={"X-CSRF-Token": csrf})
    assert bad_mode.status_code == 400 and bad_mode.json()["detail"].startswith('"Mode" '), \
        bad_mode.text
    no_prj = olena.post(
        "/ingest/check?registry=land_parcels&filename=parcels.zip&mode=upsert",
        content=without_prj(body), headers={"X-CSRF-Token": csrf})
    said = json.dumps(no_prj.json(), ensure_ascii=False)
    assert '\\"Coordinate system\\"' in said and "--crs" not in said, said


def label(page: Any, control: str) -> str:
    """Return the words of the label holding ``control``, its spaces as a reader sees them."""
    return " ".join((page.text_content(f"label:has({control})") or "").split())


def without_prj(zipped: bytes) -> bytes:
    """Return the zipped Shapefile without its .prj: a file that does not say its CRS."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(zipped)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            if not name.endswith(".prj"):
                dst.writestr(name, src.read(name))
    return out.getvalue()


def test_the_page_in_a_browser(upload_server: str, db_url: str, tmp_path: Path) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    from tests.test_portal import ARGS, CHROMIUM

    archive = shapefile_zip(tmp_path, [parcel(i) for i in range(1, 4)] + [
        parcel(4, KADNUM="6810100000:02:099:4")])  # one malformed number
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{upload_server}/login?next=/ingest")
            page.fill("input[name=name]", "olena")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{upload_server}/ingest")
            assert page.locator("h1").inner_text() == "Імпорт даних у реєстр"
            # the fields a message may name are labelled by the server, the names its
            # messages give them (app/ingest_routes.FORM_FIELDS), and their hints by the page
            assert "{{" not in page.content()
            assert label(page, "#crs") == "Система координат (якщо файл її не вказує)"
            assert label(page, "#repair") == "Виправити невалідні геометрії (ST_MakeValid)"
            page.set_input_files("#file", str(archive))
            page.select_option("#on_error", "skip")
            # every line the progress bar says, as it says it
            page.evaluate("""() => { window.said = []; const s = document.querySelector(
                '#progress [role=status]'); new MutationObserver(() => window.said.push(
                s.textContent)).observe(s, {childList: true, characterData: true,
                subtree: true}); }""")
            page.click("#check")
            page.wait_for_selector("#result:not([hidden])")
            assert "Перевірка: нічого не записано" in page.inner_text("#summary")
            assert "does not match the format" in page.inner_text("#problems")
            # the server's English words are marked as English on the Ukrainian page, the
            # severity is a Ukrainian word
            cells = page.locator("#problems tbody tr").first.locator("td")
            assert cells.nth(1).inner_text() == "помилка"
            # what the rule checks, in the page's language (the registry's declaration)
            assert cells.nth(2).inner_text().startswith("кадастровий номер має вигляд")
            assert cells.nth(2).get_attribute("lang") is None
            assert cells.nth(3).get_attribute("lang") == "en"
            assert page.locator("#notes li").first.get_attribute("lang") == "en"
            # the counts by rule, as the CLI prints them (the table holds the first 500 only)
            assert page.inner_text("#counts").startswith("Знахідок: 1: кадастровий номер")
            assert "(cadastral_number_format) — 1" in page.inner_text("#counts")
            # the checkbox keeps its explanation (a severity word of the same key replaced it)
            assert "лише в звіті" in (page.text_content("label:has(#legacy)") or "")
            # the progress bar followed the bytes sent to the end, then went away
            assert page.get_attribute("#progress", "data-sent") == str(archive.stat().st_size)
            assert page.locator("#progress").is_hidden()
            # the sizes sent as the page's language writes a number: 0,0 МБ, not 0.0 МБ
            sizes = [line for line in page.evaluate("window.said") if "МБ" in line]
            assert sizes and all(re.search(r"\d+,\d / \d+,\d МБ$", line) for line in sizes), sizes
            assert count(db_url, "land_parcel") == 0
            page.click("#lang")
            assert page.locator("h1").inner_text() == "Import data into a registry"
            assert label(page, "#crs") == "Coordinate system (when the file does not say)"
            assert label(page, "#repair") == "Repair invalid geometries (ST_MakeValid)"
            # the report follows the language switch
            cells = page.locator("#problems tbody tr").first.locator("td")
            assert cells.nth(1).inner_text() == "error"
            assert cells.nth(2).inner_text().startswith("the cadastral number is")
            assert page.inner_text("#counts").startswith("Findings: 1: the cadastral number")
            assert "reported, not refused" in (page.text_content("label:has(#legacy)") or "")
            page.evaluate("window.said.length = 0")
            page.click("#confirm")
            page.wait_for_function("() => document.querySelector('#summary').textContent"
                                   ".startsWith('Import done')")  # a function: CSP, no eval
            sizes = [line for line in page.evaluate("window.said") if "MB" in line]
            assert sizes and all(re.search(r"\d+\.\d / \d+\.\d MB$", line) for line in sizes), sizes
            assert "added 3" in page.inner_text("#summary")
            assert "rejected 1" in page.inner_text("#summary")
            assert "updated 0" in page.inner_text("#summary")  # done: not "to update"
            assert "to update" not in page.inner_text("#summary")
            assert not errors, errors
        finally:
            browser.close()
    assert count(db_url, "land_parcel") == 3


def test_an_upload_cut_off_mid_way_is_no_server_error(upload_server: str) -> None:
    """A planner whose connection drops mid-upload: the server counts a 499 (client closed
    request), not a 500 with a traceback — an alert on 5xx must not fire for it."""
    import socket
    import time

    olena, csrf = login(upload_server, "olena")
    cookies = "; ".join(f"{k}={v}" for k, v in olena.cookies.items())
    olena.close()
    host, port = upload_server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as s:
        s.sendall((f"POST /ingest/check?registry=land_parcels&filename=p.zip HTTP/1.1\r\n"
                   f"Host: {host}\r\nCookie: {cookies}\r\nX-CSRF-Token: {csrf}\r\n"
                   "Content-Length: 500000\r\n\r\n").encode() + b"x" * 20_000)
        time.sleep(0.5)  # the server is reading the body when the client goes
    deadline = time.monotonic() + 30
    while True:
        metrics = httpx.get(f"{upload_server}/metrics", timeout=30).text
        if 'method="POST",status="499"} 1' in metrics:
            break
        assert time.monotonic() < deadline, "no 499 counted for the cut-off upload"
        time.sleep(0.2)
    assert 'status="500"' not in metrics


def test_every_check_of_the_importer_is_described_in_both_languages() -> None:
    """The upload page names each finding's check in its language: the importer's own checks
    (the ids its SQL writes into the problem table) from ``ingest.report.CHECKS``, a
    registry's rules from their declaration (``tests/test_quality.py`` checks those)."""
    import re

    from ingest.report import CHECKS

    root = Path(__file__).resolve().parent.parent / "ingest"
    written = {m.group(1) for source in root.glob("*.py")
               for m in re.finditer(r"'([a-z_]+)', '(?:error|warning|legacy)'",
                                    source.read_text(encoding="utf-8"))}
    assert len(written) >= 10, written  # the scan found the checks
    assert written - {"geometry_valid"} <= set(CHECKS), written - set(CHECKS)  # a rule's own
    for check, title in CHECKS.items():
        assert set(title) == {"uk", "en"} and re.search("[а-яіїєґ]{3}", title["uk"]), check


def test_the_language_goes_with_a_staff_member_from_page_to_page(upload_server: str) -> None:
    """Each page chose its first language its own way — the import page by ``?lang=en``
    alone, the raster page by a stored key of its own, the verification page by the server's
    ``?lang``, the geoportal by its permalink or its stored key — and the import, raster and
    verification pages kept a Ukrainian tab title after switching to English. One rule now
    (``static/portal/language.js``): the address's ``lang`` (a language tag), else the
    language the last page was shown in, else Ukrainian; the titles follow the switch."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    from tests.test_portal import ARGS, CHROMIUM

    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_context(locale="uk-UA").new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{upload_server}/ingest?lang=en-GB")  # the login form, in English
            assert page.locator("h1").inner_text() == "Staff sign-in"
            page.fill("input[name=name]", "olena")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{upload_server}/ingest?lang=en-GB")
            assert page.locator("h1").inner_text() == "Import data into a registry"
            assert label(page, "#crs") == "Coordinate system (when the file does not say)"
            assert label(page, "#repair") == "Repair invalid geometries (ST_MakeValid)"
            assert page.title() == "Data import — Hromada GIS"
            page.goto(f"{upload_server}/rasters/upload")  # no lang: the last page's
            assert page.locator("h1").inner_text().startswith("Publish a raster")
            assert page.title() == "Publishing a raster — Hromada GIS"
            page.click("#lang")
            assert page.title() == "Публікація растра — Hromada GIS"
            page.goto(f"{upload_server}/verification")  # the choice made on the last page
            page.wait_for_function("() => document.getElementById('lang-switch')"
                                   ".textContent === 'English'")
            assert page.evaluate("document.documentElement.lang") == "uk"
            assert page.title().startswith("Перевірка даних — м. ")
            page.click("#lang-switch")
            assert page.title().startswith("Data verification — ")
            assert page.get_attribute("#to-portal", "href") == "/#lang=en"
            page.goto(f"{upload_server}/ingest")
            assert page.locator("h1").inner_text() == "Import data into a registry"
            assert label(page, "#crs") == "Coordinate system (when the file does not say)"
            assert label(page, "#repair") == "Repair invalid geometries (ST_MakeValid)"
            page.goto(f"{upload_server}/ingest?lang=de")  # a language we do not write
            assert page.locator("h1").inner_text() == "Імпорт даних у реєстр"
            assert not errors, errors
        finally:
            browser.close()


def test_an_english_login_goes_on_in_english(upload_server: str) -> None:
    r = httpx.post(f"{upload_server}/login?lang=en",
                   data={"name": "olena", "password": PASSWORD, "next": "/ingest"})
    assert (r.status_code, r.headers["location"]) == (303, "/ingest?lang=en")
    r = httpx.post(f"{upload_server}/login",
                   data={"name": "olena", "password": PASSWORD, "next": "/ingest"})
    assert (r.status_code, r.headers["location"]) == (303, "/ingest")
