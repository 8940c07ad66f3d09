"""Accessibility: axe-core audits every page a resident or a staff member uses, in a real
browser (headless Chromium), against WCAG 2.1 A and AA — the level Ukraine's public bodies'
sites must meet (ДСТУ EN 301 549).

The geoportal is audited in both languages, on a desktop and a phone, in the states a resident
goes through: the first screen, an object's card, the search's list of hits, the print dialog.
Staff: the geoportal with its editor, the verification queue, the upload pages and a quality
report. pygeoapi's pages and the parcel report too. Swagger UI (/openapi?f=html), a developer's
tool drawn by its own library, is not audited.

axe-core comes from npm with the other browser-side test clients (tests/clients/npm). The
pages' Content-Security-Policy is bypassed in the audit's browser only, to inject it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest

from gis.auth import Role
from gis.cluster import EmbeddedCluster
from gis.users import add_user
from tests.conftest import DEMO_TODAY, clone, serving
from tests.test_portal import CHROMIUM, MAP_IDLE, WAIT_MS

playwright_api = pytest.importorskip("playwright.sync_api")
AXE = Path(__file__).parent / "clients" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
DB = "accessibility"
PASSWORD = "accessible password"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def city(cluster: EmbeddedCluster, template_url: str) -> Iterator[dict[str, Any]]:
    from app.demo.load import load_demo

    url = clone(cluster, "gis_template", DB)
    with psycopg.connect(url) as conn:
        load_demo(conn, scale=0.01, seed=68, today=DEMO_TODAY, srid=6383)
        add_user(conn, "olha", frozenset({Role.ADMIN}), password=PASSWORD, with_db_login=False)
        parcel = conn.execute("SELECT id, cadastral_number FROM open_data.land_parcel "
                              "ORDER BY id LIMIT 1").fetchone()
        permit = conn.execute("SELECT id FROM open_data.advertising_structure "
                              "ORDER BY id LIMIT 1").fetchone()
        conn.commit()
    assert parcel is not None and permit is not None
    with serving(cluster, DB, url, {"GIS_AUTH__COOKIE_SECURE": "false"}) as server:
        yield {"server": server, "parcel": parcel, "permit": permit[0]}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert AXE.is_file(), "axe-core is not installed (make test installs tests/clients/npm)"
    with playwright_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def violations(page: Any) -> list[str]:
    """Return axe-core's WCAG 2.1 A/AA violations of the page as it is now, one line each."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                           TAGS)
    return [f"{v['impact']} {v['id']}: {v['help']} — "
            + "; ".join(str(n["target"]) for n in v["nodes"][:4])
            for v in result["violations"]]


def context(browser: Any, base: str, viewport: dict[str, int],
            user: str | None = None) -> Any:
    ctx = browser.new_context(bypass_csp=True, viewport=viewport, locale="uk-UA",
                              timezone_id="Europe/Kyiv", has_touch=viewport is PHONE)
    if user is not None:
        r = ctx.request.post(f"{base}/login", data={"name": user, "password": PASSWORD})
        assert r.ok, r.text()
    return ctx


def portal(page: Any, base: str, fragment: str = "") -> None:
    page.goto("about:blank")  # a new load: the portal reads its fragment when it starts
    page.goto(f"{base}/{fragment}", wait_until="load")
    page.wait_for_function(MAP_IDLE, timeout=WAIT_MS)


@pytest.mark.parametrize("lang", ["uk", "en"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_geoportal_meets_wcag_21_aa(browser: Any, city: dict[str, Any], lang: str,
                                        viewport: dict[str, int]) -> None:
    base = city["server"]
    ctx = context(browser, base, viewport)
    page = ctx.new_page()
    found: dict[str, list[str]] = {}
    try:
        portal(page, base, f"#lang={lang}")
        found["first screen"] = violations(page)
        for name, obj in (("a parcel's card", f"land_parcels/{city['parcel'][0]}"),
                          ("a permit's card", f"advertising_structures/{city['permit']}")):
            portal(page, base, f"#lang={lang}&obj={obj}")
            page.wait_for_selector("#card:not([hidden])", timeout=WAIT_MS)
            found[name] = violations(page)
        portal(page, base, f"#lang={lang}")
        page.fill("#search-input", city["parcel"][1][:12])
        page.wait_for_selector("#search-results li[role=option]", timeout=WAIT_MS)
        page.keyboard.press("ArrowDown")  # the box names the hit the arrows highlight
        chosen = page.get_attribute("#search-results li[aria-selected=true]", "id")
        assert chosen and page.get_attribute("#search-input", "aria-activedescendant") == chosen
        found["search hits"] = violations(page)
        if viewport is DESKTOP:
            page.keyboard.press("Escape")
            page.click("#print")
            page.wait_for_selector("#print-dialog[open]", timeout=WAIT_MS)
            found["print dialog"] = violations(page)
    finally:
        ctx.close()
    assert found == {k: [] for k in found}


def audit_pages(page: Any, base: str, paths: list[str]) -> dict[str, list[str]]:
    """Return the violations of each page at ``paths`` (loaded until the network is idle)."""
    found = {}
    for path in paths:
        page.goto(base + path, wait_until="networkidle")
        found[path] = violations(page)
    return found


def test_the_other_public_pages_meet_wcag_21_aa(browser: Any, city: dict[str, Any]) -> None:
    number = quote(city["parcel"][1], safe="")
    ctx = context(browser, city["server"], DESKTOP)
    try:
        found = audit_pages(ctx.new_page(), city["server"], [
            "/login", "/login?lang=en", f"/reports/parcels/{number}?f=html",
            f"/reports/parcels/{number}?f=html&lang=en", "/collections?f=html",
            "/collections/land_parcels?f=html", "/collections/land_parcels/items?f=html&limit=20",
            f"/collections/land_parcels/items/{city['parcel'][0]}?f=html",
            "/collections/land_parcels/queryables?f=html",
            "/collections/land_parcels/schema?f=html&lang=en", "/conformance?f=html",
            "/downloads?f=html", "/downloads?f=html&lang=en",
            "/collections/land_parcels/items/999999999?f=html",  # the error page
            "/collections/land_parcels/items?f=html&limit=0&lang=en"])
    finally:
        ctx.close()
    assert found == {k: [] for k in found}


def test_the_staff_pages_meet_wcag_21_aa(browser: Any, city: dict[str, Any]) -> None:
    base = city["server"]
    ctx = context(browser, base, DESKTOP, user="olha")
    page = ctx.new_page()
    try:
        portal(page, base, f"#obj=land_parcels/{city['parcel'][0]}")
        page.wait_for_selector("#editor", timeout=WAIT_MS)  # the editor's panel is there
        found = {"the geoportal with its editor": violations(page)}
        found |= audit_pages(page, base, ["/verification", "/ingest", "/ingest?lang=en",
                                          "/rasters/upload",
                                          "/registries/land_parcels/quality?f=html",
                                          "/registries/land_parcels/quality?f=html&lang=en"])
    finally:
        ctx.close()
    assert found == {k: [] for k in found}


def test_the_audit_sees_a_violation(browser: Any, city: dict[str, Any]) -> None:
    """The audit can fail: a search box whose name is taken away is reported."""
    ctx = context(browser, city["server"], DESKTOP)
    page = ctx.new_page()
    try:
        portal(page, city["server"])
        page.evaluate("() => { const i = document.getElementById('search-input');"
                      " i.removeAttribute('aria-label'); i.removeAttribute('placeholder');"
                      " i.removeAttribute('title'); }")
        found = violations(page)
    finally:
        ctx.close()
    assert any("label" in v or "aria-input-field-name" in v for v in found), found
