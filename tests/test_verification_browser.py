"""The holders' page and the public's error reports in a real browser (headless Chromium).

A verifier of the land resources department opens the verification queue, sees a planner's
change — the attribute diff and the geometry before and after on a small map — approves it,
and the public geoportal then shows the change (the card and the map's tiles). A visitor
reports a mistake from an object's card, with a point on the map and a contact, gets a ticket,
and looks the report up by it once the holder has answered.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import psycopg
import pytest

from gis.auth import Role
from gis.cluster import EmbeddedCluster
from gis.staff_rights import grant_verifier, set_department
from gis.users import add_user
from registries.catalog import default_catalog
from tests.conftest import DEMO_TODAY, clone, serving
from tests.test_portal import ARTIFACTS, CHROMIUM, WAIT_MS, Watched
from tests.test_portal_residents import UNMARKED

playwright_api = pytest.importorskip("playwright.sync_api")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
DB = "verify_browser"
PASSWORD = "verifier password"
TOKENS = {"tok-olena": "olena:planner", "tok-taras": "taras:planner"}


@pytest.fixture(scope="module")
def city(cluster: EmbeddedCluster, template_url: str) -> Iterator[dict[str, Any]]:
    from app.demo.load import load_demo

    url = clone(cluster, "gis_template", DB)
    with psycopg.connect(url) as conn:
        load_demo(conn, scale=0.01, seed=68, today=DEMO_TODAY, srid=6383)
        add_user(conn, "olena", frozenset({Role.PLANNER}), password=PASSWORD,
                 with_db_login=False)
        add_user(conn, "taras", frozenset({Role.PLANNER}), password=PASSWORD,
                 with_db_login=False)
        for name in ("olena", "taras"):
            set_department(conn, name, "land_resources")
        grant_verifier(conn, "taras", "land_parcels")
        conn.commit()
    with serving(cluster, DB, url, {"GIS_AUTH__COOKIE_SECURE": "false",
                                    "GIS_AUTH__TOKENS": json.dumps(TOKENS)}) as base:
        yield {"server": base, "url": url}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def context(browser: Any, base: str, user: str | None = None) -> tuple[Any, Watched]:
    ctx = browser.new_context(locale="uk-UA", timezone_id="Europe/Kyiv",
                              viewport={"width": 1400, "height": 900})
    if user is not None:
        r = ctx.request.post(f"{base}/login", data={"name": user, "password": PASSWORD})
        assert r.ok, r.text()
    return ctx, Watched(ctx.new_page(), base)


def a_parcel(env: dict[str, Any], offset: int) -> tuple[int, str]:
    with psycopg.connect(env["url"]) as conn:
        row = conn.execute("SELECT id, cadastral_number FROM open_data.land_parcel "
                           "ORDER BY ST_Area(geom) DESC OFFSET %s LIMIT 1", (offset,)).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def planner_changes(server: str, pid: int, properties: dict[str, Any]) -> None:
    """Olena (a planner) changes a parcel over the API: a change waiting for its verifier."""
    item = httpx.get(f"{server}/collections/land_parcels/items/{pid}?f=json&pending=true",
                     headers={"Authorization": "Bearer tok-olena"})
    r = httpx.patch(f"{server}/collections/land_parcels/items/{pid}",
                    json={"properties": properties},
                    headers={"Authorization": "Bearer tok-olena",
                             "If-Match": item.headers["etag"]})
    assert r.status_code == 204, r.text


def test_a_verifier_approves_a_change_and_the_public_map_shows_it(
        browser: Any, city: dict[str, Any]) -> None:
    server = city["server"]
    pid, number = a_parcel(city, 2)
    new = number[:-4] + "8801"
    planner_changes(server, pid, {"cadastral_number": new,
                                  "purpose_text": "під сквер (рішення 12/3)"})

    ctx, staff = context(browser, server, "taras")
    try:
        page = staff.page
        page.goto(f"{server}/verification?registry=land_parcels", wait_until="load")
        page.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=WAIT_MS)
        assert page.locator("#registry-list button[data-registry=land_parcels] .mine").count()
        row = page.locator(f"table.changes tr[data-id='{pid}']")
        row.wait_for(timeout=WAIT_MS)
        assert row.get_attribute("data-operation") == "update"
        assert "olena" in row.inner_text()
        row.locator("button[data-open]").click()
        diff = page.locator("table.diff tr[data-field=cadastral_number]")
        diff.wait_for(timeout=WAIT_MS)
        assert diff.locator(".before").inner_text() == number
        assert diff.locator(".after").inner_text() == new
        assert "changed" in (diff.get_attribute("class") or "")
        assert page.locator("table.diff tr[data-field=category]").get_attribute("class") == ""
        # values read as the cards write them: codes by their titles, dates and numbers in
        # the page's language (the diff showed "200", "natural", "2019-01-07", "0.0913")
        stored = httpx.get(f"{server}/collections/land_parcels/items/{pid}",
                           params={"f": "json"}, headers={"Authorization": "Bearer tok-taras"}
                           ).json()["properties"]
        parcels = default_catalog().get("land_parcels")
        cell = lambda name: page.locator(  # noqa: E731
            f"table.diff tr[data-field={name}] .after").inner_text()
        assert cell("category") == parcels.field("category").choice_title(
            stored["category"], "uk")
        assert cell("holder_kind") == parcels.field("holder_kind").choice_title(
            stored["holder_kind"], "uk")
        day = date.fromisoformat(stored["registered_on"])
        assert cell("registered_on") == f"{day:%d.%m.%Y}"
        assert cell("area_declared_ha") == f"{stored['area_declared_ha']:.4f}".replace(".", ",")
        # the geometry before and after on a small map
        page.wait_for_function(
            "() => document.getElementById('change-map')?.dataset.ready === 'true'",
            timeout=WAIT_MS)
        sides = page.evaluate("window.holders.map.querySourceFeatures('change')"
                              ".map((f) => f.properties.side).sort()")
        assert sides[0] == "after" and sides[-1] == "before", sides
        assert page.locator("#geometry-state").inner_text() == "Геометрія без змін"
        page.screenshot(path=str(ARTIFACTS / "verification-queue.png"))
        page.click("#approve")
        page.wait_for_function("() => document.getElementById('message').textContent"
                               ".startsWith('Затверджено: 1')", timeout=WAIT_MS)
        page.locator("#queue-empty").wait_for(timeout=WAIT_MS)
        assert staff.errors == []
    finally:
        ctx.close()

    ctx, visitor = context(browser, server)
    try:
        page = visitor.open(f"#obj=land_parcels/{pid}")
        page.wait_for_function("(n) => document.getElementById('card-body').textContent"
                               ".includes(n)", arg=new, timeout=WAIT_MS)
        # the map's own tiles draw the new number too
        page.evaluate("(id) => window.portal.map.jumpTo({zoom: 17, center: window.portal."
                      "identify.current.feature.geometry.coordinates[0][0][0]})", pid)
        visitor.idle()
        page.wait_for_function(
            "([id, n]) => window.portal.map.querySourceFeatures('hromada', {sourceLayer: "
            "'land_parcels'}).some((f) => f.id === id && f.properties.cadastral_number === n)",
            arg=[pid, new], timeout=WAIT_MS)
        page.screenshot(path=str(ARTIFACTS / "verification-published.png"))
        assert visitor.errors == []
    finally:
        ctx.close()


def test_the_english_queue_marks_the_registrys_words(browser: Any,
                                                     city: dict[str, Any]) -> None:
    """The English holders' page left the registry's words and the public's unmarked — a
    value in the diff («під сквер …»), a report's comment, its contact beside "Contact:" —
    so a screen reader read them with an English voice. They are marked lang="uk", as the
    geoportal's cards mark theirs; the page's own words stay English."""
    server = city["server"]
    pid, number = a_parcel(city, 8)
    planner_changes(server, pid, {"purpose_text": "під сквер (рішення 14/2)"})
    r = httpx.post(f"{server}/error-reports", json={
        "collection": "land_parcels", "id": pid, "comment": "Огорожа стоїть не там",
        "contact": "Остап, ostap@example.ua"})
    assert r.status_code == 201, r.text
    ctx, staff = context(browser, server, "taras")
    try:
        page = staff.page
        page.goto(f"{server}/verification?registry=land_parcels&lang=en", wait_until="load")
        page.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=WAIT_MS)
        page.locator(f"table.changes tr[data-id='{pid}'] button[data-open]").click()
        after = page.locator("table.diff tr[data-field=purpose_text] .after")
        after.wait_for(timeout=WAIT_MS)
        assert after.inner_text() == "під сквер (рішення 14/2)"
        assert page.locator("#pane").evaluate(UNMARKED) == []
        page.click("#tab-reports")
        comment = page.locator("#pane .comment", has_text="Огорожа стоїть не там")
        comment.wait_for(timeout=WAIT_MS)
        contact = page.locator("#pane .contact", has_text="Остап")
        assert contact.inner_text().startswith("Contact: ")
        assert contact.get_attribute("lang") is None  # "Contact" is the page's English
        assert page.locator("#pane").evaluate(UNMARKED) == []
        assert staff.errors == []
    finally:
        ctx.close()


def test_a_double_click_on_approve_decides_once(browser: Any, city: dict[str, Any]) -> None:
    """The second click sent the decision again: its 409 ("no pending change … already
    decided") replaced the page's «Затверджено: 1»."""
    server = city["server"]
    pid, _ = a_parcel(city, 4)
    planner_changes(server, pid, {"purpose_text": "затверджено один раз"})
    ctx, staff = context(browser, server, "taras")
    sent: list[str] = []
    try:
        page = staff.page
        page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
        page.goto(f"{server}/verification?registry=land_parcels", wait_until="load")
        page.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=WAIT_MS)
        row = page.locator(f"table.changes tr[data-id='{pid}']")
        row.wait_for(timeout=WAIT_MS)
        row.locator("button[data-open]").click()
        page.locator("#approve").wait_for(timeout=WAIT_MS)
        page.dblclick("#approve")
        page.wait_for_function("() => document.getElementById('message').textContent"
                               ".startsWith('Затверджено: 1')", timeout=WAIT_MS)
        page.wait_for_timeout(500)
        assert page.locator("#message").inner_text().startswith("Затверджено: 1")
        assert [u for u in sent if u.endswith("/decisions")] == [
            f"{server}/registries/land_parcels/decisions"]
        assert staff.errors == []
    finally:
        ctx.close()


def test_a_visitor_reports_a_mistake_and_looks_it_up_by_ticket(
        browser: Any, city: dict[str, Any]) -> None:
    server = city["server"]
    pid, number = a_parcel(city, 5)
    ctx, visitor = context(browser, server)
    try:
        page = visitor.open(f"#obj=land_parcels/{pid}")
        link = page.locator("#card-body .report-link")
        link.wait_for(timeout=WAIT_MS)
        assert link.inner_text() == "Повідомити про помилку"
        link.click()
        page.locator("#report-dialog[open]").wait_for(timeout=WAIT_MS)
        page.fill("#report-comment", "Паркан стоїть на 2 м далі, ніж межа на мапі")
        page.click("#report-point")
        box = page.locator("#map canvas").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.locator("#report-dialog[open]").wait_for(timeout=WAIT_MS)
        assert page.locator("#report-point-state").inner_text().startswith("Місце позначено")
        page.fill("#report-contact", "ostap@example.ua")
        page.click("#report-send")
        ticket_box = page.locator("#report-ticket")
        ticket_box.wait_for(timeout=WAIT_MS)
        ticket = ticket_box.inner_text()
        page.screenshot(path=str(ARTIFACTS / "error-report-ticket.png"))
        with psycopg.connect(city["url"]) as conn:
            row = conn.execute("SELECT collection, object_id, contact, location IS NOT NULL, "
                               "status FROM verification.error_reports WHERE ticket = %s",
                               (ticket,)).fetchone()
        assert row == ("land_parcels", pid, "ostap@example.ua", True, "new")
        # the holder answers …
        r = httpx.patch(f"{server}/error-reports/{ticket}",
                        headers={"Authorization": "Bearer tok-taras"},
                        json={"status": "in_work", "answer": "Виїдемо на обмір до 15 грудня"})
        assert r.status_code == 200, r.text
        # a mistyped ticket is said in the page's language, not in the server's English
        # (nothing typed, or only a dash, asked /error-reports itself: «звернення не
        # прийнято (пояснення сервера англійською: this resource answers POST, OPTIONS only)»)
        for typed, said in (("AAAAA-BBBBB", "звернення з таким номером не знайдено."),
                            ("K7RFM", "номер звернення має вигляд K7RFM-3XR2D"),
                            ("", "номер звернення має вигляд K7RFM-3XR2D"),
                            (" - ", "номер звернення має вигляд K7RFM-3XR2D")):
            page.fill("#lookup-ticket", typed)
            page.click("#lookup-check")
            refusal = page.locator("#lookup-result .error")
            refusal.wait_for(timeout=WAIT_MS)
            assert refusal.inner_text().startswith(f"Не вдалося: {said}")
            assert not re.search("[A-Za-z]{3}", refusal.inner_text().replace("K7RFM-3XR2D", ""))
        # the two refusals were asked for: they are no page errors (Chromium logs each twice)
        expected = [e for e in visitor.errors if "/error-reports/AAAAA-BBBBB" in e
                    or "/error-reports/K7RFM" in e or re.fullmatch(
                        r"console: Failed to load resource: the server responded with a status "
                        r"of 40[04] \(.*\)", e)]
        assert len(expected) == 4, visitor.errors
        visitor.errors[:] = [e for e in visitor.errors if e not in expected]
        # … and the visitor looks the report up by its ticket
        page.fill("#lookup-ticket", ticket.lower())
        page.click("#lookup-check")
        status = page.locator("#lookup-status")
        status.wait_for(timeout=WAIT_MS)
        assert status.inner_text() == "в роботі"
        assert page.locator("#lookup-answer").inner_text() == "Виїдемо на обмір до 15 грудня"
        assert "ostap@example.ua" not in page.locator("#report-dialog").inner_text()
        page.screenshot(path=str(ARTIFACTS / "error-report-lookup.png"))
        assert visitor.errors == []
    finally:
        ctx.close()


def test_signed_in_staff_report_a_mistake_from_the_geoportal(browser: Any,
                                                            city: dict[str, Any]) -> None:
    """A planner signed in (the editor's session) who reported a mistake from a card got «Не
    вдалося: звернення не прийнято (… needs the X-CSRF-Token header …)»: the report's POST
    carried the session's cookie without its token. It is filed like anyone's."""
    server = city["server"]
    pid, number = a_parcel(city, 6)
    ctx, planner = context(browser, server, "olena")
    try:
        page = planner.open(f"#obj=land_parcels/{pid}")
        page.wait_for_function("() => document.body.dataset.editor === 'ready'",
                               timeout=WAIT_MS)
        link = page.locator("#card-body .report-link")
        link.wait_for(timeout=WAIT_MS)
        link.click()
        page.locator("#report-dialog[open]").wait_for(timeout=WAIT_MS)
        page.fill("#report-comment", "Межа з сусідньою ділянкою зсунута на 1 м")
        page.click("#report-send")
        page.locator("#report-ticket, #report-form .error:not(:empty)").first.wait_for(
            timeout=WAIT_MS)
        assert page.locator("#report-form .error").count() == 0, page.locator(
            "#report-form .error").inner_text()
        ticket = page.locator("#report-ticket").inner_text()
        with psycopg.connect(city["url"]) as conn:
            row = conn.execute("SELECT collection, object_id, comment FROM "
                               "verification.error_reports WHERE ticket = %s",
                               (ticket,)).fetchone()
        assert row == ("land_parcels", pid, "Межа з сусідньою ділянкою зсунута на 1 м")
        assert planner.errors == []
    finally:
        ctx.close()


def test_staff_switch_the_geoportal_to_pending_changes(browser: Any,
                                                       city: dict[str, Any]) -> None:
    server = city["server"]
    pid, number = a_parcel(city, 7)
    planner_changes(server, pid, {"purpose_text": "на перевірці"})
    ctx, planner = context(browser, server, "olena")
    try:
        page = planner.open(f"#obj=land_parcels/{pid}")
        page.wait_for_function("() => document.body.dataset.editor === 'ready'", timeout=WAIT_MS)
        toggle = page.locator("#pending-toggle")
        toggle.wait_for(timeout=WAIT_MS)
        assert page.locator("#verification-link").get_attribute("href") == "/verification"
        toggle.check()
        page.wait_for_function("() => window.portal.pending?.count >= 1", timeout=WAIT_MS)
        drawn = page.evaluate("window.portal.map.getSource('pending-changes').serialize()"
                              ".data.features.map((f) => [f.properties.collection, "
                              "f.properties.id])")
        assert ["land_parcels", pid] in drawn
        # the public card still shows the published version
        assert "на перевірці" not in page.locator("#card-body").inner_text()
        assert planner.errors == []
    finally:
        ctx.close()


def test_a_moment_reads_in_the_page_language_whatever_the_browsers_own(
        browser: Any, city: dict[str, Any]) -> None:
    """When a change was made and a report filed were written in the browser's own locale
    (``toLocaleString()``): an American browser's Ukrainian verification page said
    "12/6/2026, 6:17:56 PM", a Ukrainian browser's English one "06.12.2026, 18:17:56". They
    read as the page's language writes them, as the server's pages do: 06.12.2026 18:17 /
    6 December 2026, 18:17 (by the computer's clock, here the city's)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    server = city["server"]
    pid, _ = a_parcel(city, 9)
    planner_changes(server, pid, {"purpose_text": "для дати"})
    filed = httpx.post(f"{server}/error-reports", json={
        "collection": "land_parcels", "id": pid, "comment": "Межа не там"})
    assert filed.status_code == 201, filed.text
    ticket = filed.json()["ticket"]
    pending = httpx.get(f"{server}/registries/land_parcels/pending",
                        headers={"Authorization": "Bearer tok-taras"}).json()
    changed = next(c["changed_at"] for c in pending["changes"] if c["id"] == pid)
    created = httpx.get(f"{server}/error-reports/{ticket}").json()["created_at"]

    def written(iso: str, lang: str) -> str:
        at = datetime.fromisoformat(iso).astimezone(ZoneInfo("Europe/Kyiv"))
        if lang == "en":
            return f"{at.day} {at:%B} {at.year}, {at:%H:%M}"
        return f"{at:%d.%m.%Y %H:%M}"

    for locale, lang in (("en-US", "uk"), ("uk-UA", "en")):
        ctx = browser.new_context(locale=locale, timezone_id="Europe/Kyiv",
                                  viewport={"width": 1400, "height": 900})
        try:
            assert ctx.request.post(f"{server}/login", data={
                "name": "taras", "password": PASSWORD}).ok
            staff = Watched(ctx.new_page(), server)
            page = staff.page
            page.goto(f"{server}/verification?registry=land_parcels&lang={lang}",
                      wait_until="load")
            page.wait_for_function("() => document.body.dataset.ready === 'true'",
                                   timeout=WAIT_MS)
            row = page.locator(f"table.changes tr[data-id='{pid}']")
            row.wait_for(timeout=WAIT_MS)
            assert row.locator("td").last.inner_text() == written(changed, lang), lang
            visitor = Watched(ctx.new_page(), server)
            page = visitor.open(f"#obj=land_parcels/{pid}&lang={lang}")
            page.locator("#card-body .report-link").click()
            page.locator("#report-dialog[open]").wait_for(timeout=WAIT_MS)
            page.fill("#lookup-ticket", ticket)
            page.click("#lookup-check")
            page.locator("#lookup-filed").wait_for(timeout=WAIT_MS)
            assert page.locator("#lookup-filed").inner_text() == written(created, lang), lang
            assert staff.errors == [] and visitor.errors == []
        finally:
            ctx.close()


@pytest.mark.parametrize(("path", "button", "lang"), [
    ("/verification?lang=en", "#sign-out", "en"),
    ("/ingest", "#sign-out", "uk"),
    ("/rasters/upload?lang=en", "#sign-out", "en"),
    ("/#lang=uk", "#editor-sign-out", "uk"),
])
def test_staff_sign_out_from_every_page_they_work_on(browser: Any, city: dict[str, Any],
                                                      path: str, button: str,
                                                      lang: str) -> None:
    """No staff page could end its session: on a council's shared computer the next person
    at it was still signed in until the cookie expired. Each page has a button that ends it on
    the server and opens the login form in the page's language."""
    server = city["server"]
    ctx, staff = context(browser, server, "taras")
    try:
        page = staff.page
        page.goto(f"{server}{path}", wait_until="load")
        found = page.locator(button)
        found.wait_for(timeout=WAIT_MS)
        assert found.inner_text() == {"uk": "Вийти", "en": "Sign out"}[lang]
        found.click()
        page.wait_for_url(re.compile(rf"/login\?lang={lang}"), timeout=WAIT_MS)
        assert ctx.request.get(f"{server}/me").json()["name"] == "anonymous"
        assert not any(c["name"] == "gis_session" for c in ctx.cookies())
        assert staff.errors == [], staff.errors
    finally:
        ctx.close()


def test_the_report_dialog_names_the_object_as_its_card_does(browser: Any,
                                                             city: dict[str, Any]) -> None:
    """The dialog named an object by its first text value: an address by its house number
    ("Об'єкт: 22"). It names it as the card's title does: the full address."""
    server = city["server"]
    address = httpx.get(f"{server}/collections/addresses/items",
                        params={"f": "json", "limit": 1}).json()["features"][0]
    ctx, visitor = context(browser, server)
    try:
        page = visitor.open(f"#obj=addresses/{address['id']}")
        link = page.locator("#card-body .report-link")
        link.wait_for(timeout=WAIT_MS)
        link.click()
        page.locator("#report-dialog[open]").wait_for(timeout=WAIT_MS)
        named = page.locator("#report-form p strong + span").inner_text()
        assert named == address["properties"]["full_address"]
        assert visitor.errors == []
    finally:
        ctx.close()


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_marking_the_place_says_what_to_do_over_the_map(browser: Any, city: dict[str, Any],
                                                        lang: str) -> None:
    """«Позначити місце на мапі» closed the dialog and wrote «Клацніть на мапі…» into it, where
    nobody could read it: a phone showed the map alone. The hint is said over the map."""
    server = city["server"]
    pid, number = a_parcel(city, 9)
    ctx = browser.new_context(locale="uk-UA", timezone_id="Europe/Kyiv", is_mobile=True,
                              has_touch=True, viewport={"width": 390, "height": 844})
    visitor = Watched(ctx.new_page(), server)
    try:
        page = visitor.open(f"#obj=land_parcels/{pid}&lang={lang}")
        link = page.locator("#card-body .report-link")
        link.wait_for(timeout=WAIT_MS)
        link.tap()
        page.locator("#report-dialog[open]").wait_for(timeout=WAIT_MS)
        page.locator("#report-point").tap()
        page.locator("#report-dialog").wait_for(state="hidden", timeout=WAIT_MS)
        # (the toast's own text: it hides itself after a moment, which is no matter here)
        hint = page.locator("#toast").text_content()
        assert hint == {"uk": "Клацніть на мапі…", "en": "Click on the map…"}[lang]
        box = page.locator("#map canvas").bounding_box()
        page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 3)
        page.locator("#report-dialog[open]").wait_for(timeout=WAIT_MS)
        assert page.locator("#report-point-state").inner_text().startswith(
            {"uk": "Місце позначено", "en": "Place marked"}[lang])
        assert visitor.errors == []
    finally:
        ctx.close()


def test_a_permalinks_card_offers_the_report_on_a_slow_network(browser: Any,
                                                               city: dict[str, Any]) -> None:
    """The report dialog's module is loaded beside the page's; when it came after a
    permalink's card was drawn (a slow network), that card had no «Повідомити про помилку»
    until another was opened. The card is drawn again with the link."""
    server = city["server"]
    pid, number = a_parcel(city, 10)
    ctx, visitor = context(browser, server)
    try:
        page = visitor.page
        page.route("**/static/feedback/feedback.js",
                   lambda route: (time.sleep(2), route.continue_()))
        page.goto(f"{server}/#obj=land_parcels/{pid}", wait_until="load")
        page.wait_for_function("() => window.portal && window.portal.identify && window.portal"
                               ".identify.current && window.portal.identify.current.feature",
                               timeout=WAIT_MS)
        link = page.locator("#card-body .report-link")
        link.wait_for(timeout=WAIT_MS)
        assert link.inner_text() == "Повідомити про помилку"
        assert page.locator("#card-body .card-key").inner_text() == number
        assert visitor.errors == []
    finally:
        ctx.close()
