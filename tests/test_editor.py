"""The geoportal's editor in a real browser (headless Debian Chromium driven by Playwright).

A planner signs in, moves a vertex of a parcel and saves: the change waits for the land
resources department's verification, and once approved the item and the tiles show the new
geometry. A split by a drawn line and a merge with a clicked neighbour; two browsers editing
one parcel, the second save refused and both versions shown; a rule the database refuses shown
at its field and on the map; an anonymous visitor gets no editor and none of its code.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import mapbox_vector_tile
import psycopg
import pytest
import shapely

from gis.auth import Role
from gis.cluster import EmbeddedCluster
from gis.users import add_user
from tests.conftest import DEMO_TODAY, clone, serving
from tests.factories import approve_all
from tests.test_portal import ARTIFACTS, CHROMIUM, WAIT_MS, Watched

playwright_api = pytest.importorskip("playwright.sync_api")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
PASSWORD = "planner password"
DB = "editor"
# predicates are functions: the page's Content-Security-Policy forbids the eval a bare
# expression string would need
EDITOR_READY = "() => document.body.dataset.editor === 'ready'"


@pytest.fixture(scope="module")
def city(cluster: EmbeddedCluster, template_url: str) -> Iterator[dict[str, Any]]:
    from app.demo.load import load_demo

    url = clone(cluster, "gis_template", DB)
    with psycopg.connect(url) as conn:
        load_demo(conn, scale=0.01, seed=68, today=DEMO_TODAY, srid=6383)
        for name, role in (("olena", Role.PLANNER), ("petro", Role.PLANNER),
                           ("ivan", Role.REGISTRAR)):
            add_user(conn, name, frozenset({role}), password=PASSWORD)
        conn.commit()
    with serving(cluster, DB, url, {"GIS_AUTH__COOKIE_SECURE": "false"}) as base:
        yield {"server": base, "url": url}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


class Session(Watched):
    """A browser page with a signed-in user (or anonymous), its errors recorded."""

    def __init__(self, browser: Any, base: str, user: str | None,
                 viewport: tuple[int, int] = (1600, 900)) -> None:
        self.context = browser.new_context(locale="uk-UA", timezone_id="Europe/Kyiv",
                                           viewport={"width": viewport[0],
                                                     "height": viewport[1]})
        super().__init__(self.context.new_page(), base)
        self.requests: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.expected: list[str] = []  # error responses a test provokes on purpose
        if user is not None:
            r = self.context.request.post(f"{base}/login", data={"name": user,
                                                                 "password": PASSWORD})
            assert r.ok, r.text()
        self.open()
        if user is not None:
            self.page.wait_for_function(EDITOR_READY, timeout=WAIT_MS)

    def js(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)

    def close(self) -> None:
        self.context.close()
        unexpected = [e for e in self.errors if not any(x in e for x in self.expected)]
        assert unexpected == []

    def only(self, collection: str) -> None:
        """Leave only ``collection`` on in the layer panel, as a planner at work would."""
        self.js("(c) => { for (const l of window.portal.config.layers) "
                "window.portal.layers.setVisible(l.id, l.id === c); }", collection)

    def show(self, collection: str, obj_id: int) -> None:
        """Bring the whole object into view (between the editor's panel and the card) and click
        it, as a planner selects one."""
        self.only(collection)
        lon, lat = self.js(
            "async ([c, id]) => { const r = await fetch(`/collections/${c}/items/${id}?f=json`);"
            " const g = (await r.json()).geometry; const ring = g.type === 'MultiPolygon' ?"
            " g.coordinates[0][0] : g.coordinates[0]; const xs = ring.map((p) => p[0]),"
            " ys = ring.map((p) => p[1]); window.portal.map.fitBounds([[Math.min(...xs),"
            " Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], {padding: {left: 400,"
            " right: 400, top: 80, bottom: 80}, duration: 0}); let x = 0, y = 0;"
            " for (const p of ring.slice(1)) { x += p[0]; y += p[1]; }"
            " return [x / (ring.length - 1), y / (ring.length - 1)]; }", [collection, obj_id])
        self.idle()
        self.click(lon, lat)
        self.page.wait_for_function(
            "([c, id]) => window.portal.identify.current?.feature?.id == id",
            arg=[collection, obj_id], timeout=WAIT_MS)

    def click(self, lon: float, lat: float) -> None:
        x, y = self.screen(lon, lat)
        self.page.mouse.click(x, y)

    def screen(self, lon: float, lat: float) -> tuple[float, float]:
        px = self.js("([lon, lat]) => { const p = window.portal.map.project([lon, lat]);"
                     " return [p.x, p.y]; }", [lon, lat])
        box = self.page.locator("#map canvas").bounding_box()
        return box["x"] + px[0], box["y"] + px[1]

    def edit(self) -> None:
        self.page.click("#editor-edit")
        self.page.wait_for_function("() => document.getElementById('editor').dataset.state === "
                                    "'editing' && window.portal.editor.current?.drawId",
                                    timeout=WAIT_MS)

    def drawn_ring(self) -> list[list[float]]:
        return self.js("window.portal.editor.drawn().coordinates[0]")

    def drag(self, start: tuple[float, float], end: tuple[float, float]) -> None:
        page = self.page
        page.mouse.move(*start)
        page.mouse.down()
        for i in range(1, 11):
            page.mouse.move(start[0] + (end[0] - start[0]) * i / 10,
                            start[1] + (end[1] - start[1]) * i / 10)
        page.mouse.up()

    def saved(self, text: str) -> None:
        """Wait for the editor to say ``text`` — and that the change awaits verification."""
        self.page.wait_for_function(
            "(t) => { const m = document.getElementById('editor-message');"
            " return m.classList.contains('ok') && m.textContent.startsWith(t)"
            " && m.textContent.includes('перевірку'); }", arg=text, timeout=WAIT_MS)


def approve(url: str) -> list[int]:
    """The holders approve every pending change (a verifier of each department)."""
    with psycopg.connect(url) as conn:
        decided = approve_all(conn)
        conn.commit()
    return decided


@pytest.fixture
def planner(browser: Any, city: dict[str, Any]) -> Iterator[Session]:
    session = Session(browser, city["server"], "olena")
    yield session
    session.close()


def parcel_ids(url: str, limit: int = 40) -> list[int]:
    """Return parcels, largest first (easier to work on at a fixed zoom)."""
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM registry.land_parcel "
                                           "ORDER BY ST_Area(geom) DESC LIMIT %s", (limit,))]


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def drawn_in_tile(server: str, z: int, x: int, y: int, obj_id: int) -> float:
    data = httpx.get(f"{server}/maps/city/{z}/{x}/{y}.mvt", timeout=30).content
    layer = mapbox_vector_tile.decode(data).get("land_parcels", {"features": []})
    return sum(shapely.geometry.shape(f["geometry"]).area for f in layer["features"]
               if f["id"] == obj_id)


def stored_version(url: str, pid: int) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT version FROM registry.land_parcel WHERE id = %s",
                           (pid,)).fetchone()
    assert row is not None
    return int(row[0])


def test_planner_moves_a_vertex_and_the_item_and_tiles_show_it(
        planner: Session, city: dict[str, Any]) -> None:
    server = city["server"]
    pid = parcel_ids(city["url"])[0]
    got = httpx.get(f"{server}/collections/land_parcels/items/{pid}?f=json")
    before, etag = got.json(), got.headers["etag"]  # the public's ETag: a hash of its copy
    version = stored_version(city["url"], pid)
    ring = before["geometry"]["coordinates"][0][0]
    z, x, y = tile_of(*ring[0], 18)
    area_before = drawn_in_tile(server, z, x, y, pid)
    planner.show("land_parcels", pid)
    planner.edit()
    vertex = planner.drawn_ring()[0]
    cx = sum(p[0] for p in ring[1:]) / (len(ring) - 1)
    cy = sum(p[1] for p in ring[1:]) / (len(ring) - 1)
    start = planner.screen(*vertex)
    centre = planner.screen(cx, cy)
    end = (start[0] + (centre[0] - start[0]) * 0.3, start[1] + (centre[1] - start[1]) * 0.3)
    planner.drag(start, end)
    moved = planner.drawn_ring()[0]
    assert moved != vertex, "the vertex did not move"
    planner.page.screenshot(path=str(ARTIFACTS / "editor-vertex.png"))
    planner.page.click("#editor-save")
    planner.saved("Збережено")
    # the public still sees the verified version until the holder approves the change
    assert httpx.get(f"{server}/collections/land_parcels/items/{pid}?f=json"
                     ).headers["etag"] == etag
    assert drawn_in_tile(server, z, x, y, pid) == area_before
    assert approve(city["url"]) == [pid]

    after = httpx.get(f"{server}/collections/land_parcels/items/{pid}?f=json")
    assert after.headers["etag"] != etag  # the public copy changed with the geometry
    assert stored_version(city["url"], pid) == version + 1  # one save, one version
    new_ring = after.json()["geometry"]["coordinates"][0][0]
    assert new_ring[0] == pytest.approx(moved, abs=2e-7)
    # the other vertices went back exactly as stored (the editor keeps their metres)
    assert [c for p in new_ring[1:-1] for c in p] == [c for p in ring[1:-1] for c in p]
    # the approval was written straight into the database: the server's tile cache hears of it
    # through the change feed (LISTEN/NOTIFY), a few milliseconds later — wait for it
    deadline = time.monotonic() + 5
    while drawn_in_tile(server, z, x, y, pid) >= area_before:
        assert time.monotonic() < deadline, "the approved edit never reached the tile"
        time.sleep(0.05)
    # only then the map reloads its tiles (asked before the server's cache heard of the
    # approval, it got the old tile again: seen on a busy machine): the drawn parcel no
    # longer reaches the old vertex
    planner.js("window.portal.editor.refreshTiles()")
    planner.idle()
    planner.page.wait_for_function(
        "([id, lon, lat]) => { const f = window.portal.map.querySourceFeatures('hromada', "
        "{sourceLayer: 'land_parcels'}).filter((f) => f.id === id); if (!f.length) return false;"
        " const near = (c) => Math.abs(c[0] - lon) < 2e-6 && Math.abs(c[1] - lat) < 2e-6;"
        " return !f.some((g) => (g.geometry.type === 'Polygon' ? g.geometry.coordinates :"
        " g.geometry.coordinates.flat()).flat().some(near)); }", arg=[pid, *vertex],
        timeout=WAIT_MS)
    with psycopg.connect(city["url"]) as conn:
        assert conn.execute("SELECT changed_by FROM registry.land_parcel WHERE id = %s",
                            (pid,)).fetchone() == ("olena",)


def test_anonymous_visitors_get_no_editor_and_none_of_its_code(
        browser: Any, city: dict[str, Any]) -> None:
    visitor = Session(browser, city["server"], None)
    try:
        visitor.page.wait_for_timeout(500)
        assert visitor.page.locator("#editor").count() == 0
        assert visitor.js("window.portal.editor === undefined")
        assert not [u for u in visitor.requests if "/static/editor" in u or "/editor/" in u]
    finally:
        visitor.close()
    for path in ("/static/editor/editor.js", "/static/editor/vendor/terra-draw/terra-draw.umd.js",
                 "/editor/session", "/registries/land_parcels/form"):
        r = httpx.get(city["server"] + path)
        assert r.status_code in (401, 404), path
        assert b"TerraDraw" not in r.content and b"class Editor" not in r.content


def test_an_object_opened_from_a_permalink_can_be_edited_at_once(
        planner: Session, city: dict[str, Any]) -> None:
    """A planner sent a link to a parcel: its card opens before the editor has loaded, and the
    editor took no notice of it — Edit stayed hidden until the parcel was chosen again."""
    pid = parcel_ids(city["url"], 1)[0]
    planner.page.goto("about:blank")  # a new page load, not a change of the fragment
    page = planner.open(f"#obj=land_parcels/{pid}")
    page.wait_for_function(EDITOR_READY, timeout=WAIT_MS)
    page.wait_for_function("(id) => window.portal.editor.selected?.id == id", arg=pid,
                           timeout=WAIT_MS)
    assert page.locator("#editor-edit").is_visible()
    planner.edit()
    assert planner.js("window.portal.editor.current?.id") == pid
    page.click("#editor-cancel")
    page.wait_for_function("() => document.getElementById('editor').dataset.state === 'idle'",
                           timeout=WAIT_MS)


def test_a_chosen_parcel_is_kept_clear_of_the_editors_panel(browser: Any,
                                                           city: dict[str, Any]) -> None:
    """On a 1366 px laptop the editor's panel (top left) and the card (right) leave a third of
    the map free: a parcel chosen from the list or a search was moved clear of the card only,
    and could stay under the panel."""
    laptop = Session(browser, city["server"], "olena", viewport=(1366, 768))
    try:
        pid = parcel_ids(city["url"], 1)[0]
        page = laptop.page
        centre = page.evaluate(
            "async (id) => { const r = await fetch(`/collections/land_parcels/items/${id}?f=json`);"
            " const g = (await r.json()).geometry; const ring = g.type === 'MultiPolygon' ?"
            " g.coordinates[0][0] : g.coordinates[0]; let x = 0, y = 0;"
            " for (const p of ring.slice(1)) { x += p[0]; y += p[1]; }"
            " return [x / (ring.length - 1), y / (ring.length - 1)]; }", pid)
        panel = page.locator("#editor").bounding_box()
        canvas = page.locator("#map canvas").bounding_box()
        # the parcel's middle under the panel, then chosen (as the list and a search choose)
        page.evaluate("([c, x, y]) => { const m = window.portal.map; m.jumpTo({zoom: 17});"
                      " const p = m.project(c); m.panBy([p.x - x, p.y - y], {duration: 0}); }",
                      [centre, panel["x"] + panel["width"] / 2 - canvas["x"],
                       panel["y"] + 100 - canvas["y"]])
        laptop.idle()
        page.evaluate("(id) => window.portal.identify.show('land_parcels', id)", pid)
        page.wait_for_function("(id) => window.portal.editor.selected?.id == id", arg=pid,
                               timeout=WAIT_MS)
        laptop.idle()
        x, _ = page.evaluate("(c) => { const p = window.portal.map.project(c);"
                             " return [p.x, p.y]; }", centre)
        card = page.locator("#card").bounding_box()
        assert panel["x"] + panel["width"] < canvas["x"] + x < card["x"], (x, panel, card)
    finally:
        laptop.close()


def inside_near(url: str, obj_id: int, other: int, metres: float = 6.0) -> tuple[float, float]:
    """Return a lon/lat inside ``obj_id`` within ``metres`` of ``other``."""
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(ST_Intersection("
            "a.geom, ST_Buffer(b.geom, %s))), 4326) AS p FROM registry.land_parcel a, "
            "registry.land_parcel b WHERE a.id = %s AND b.id = %s) s",
            (metres, obj_id, other)).fetchone()


def test_planner_splits_a_parcel_by_a_drawn_line(planner: Session, city: dict[str, Any]) -> None:
    server, url = city["server"], city["url"]
    pid = parcel_ids(url)[3]
    feature = httpx.get(f"{server}/collections/land_parcels/items/{pid}?f=json").json()
    number = feature["properties"]["cadastral_number"]
    ring = feature["geometry"]["coordinates"][0][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    planner.show("land_parcels", pid)
    planner.edit()
    planner.page.click("#editor-split")
    mid = (min(xs) + max(xs)) / 2
    below = planner.screen(mid, min(ys))
    above = planner.screen(mid, max(ys))
    a = (below[0], below[1] + 25)
    b = (above[0], above[1] - 25)
    for point in (a, b, b):  # the last point clicked again ends the line
        planner.page.mouse.move(*point, steps=5)
        planner.page.mouse.click(*point)
        planner.page.wait_for_timeout(400)
    planner.page.wait_for_selector("#editor-split-confirm", timeout=WAIT_MS)
    parts = planner.page.locator("input[data-part]")
    assert parts.count() == 2
    numbers = [number[:-4] + "5001", number[:-4] + "5002"]
    for i, n in enumerate(numbers):
        parts.nth(i).fill(n)
    planner.page.screenshot(path=str(ARTIFACTS / "editor-split.png"))
    planner.page.click("#editor-split-confirm")
    planner.saved("Ділянку поділено")
    assert httpx.get(f"{server}/collections/land_parcels/items/{pid}?f=json").status_code == 200
    approve(url)
    assert httpx.get(f"{server}/collections/land_parcels/items/{pid}?f=json").status_code == 404
    with psycopg.connect(url) as conn:
        made = conn.execute("SELECT cadastral_number, changed_by FROM registry.land_parcel WHERE "
                            "id IN (SELECT child_id FROM history.lineage WHERE parent_id = %s) "
                            "ORDER BY ST_Area(geom) DESC", (pid,)).fetchall()
        total = conn.execute("SELECT sum(ST_Area(geom)) FROM registry.land_parcel WHERE "
                             "cadastral_number = ANY(%s)", (numbers,)).fetchone()[0]
        before = conn.execute("SELECT ST_Area(geom) FROM history.land_parcel WHERE id = %s "
                              "AND operation = 'D'", (pid,)).fetchone()[0]
    assert made == [(numbers[0], "olena"), (numbers[1], "olena")]
    assert total == pytest.approx(before, abs=0.01)
    # the editor shows the first new parcel
    planner.page.wait_for_function("(n) => document.getElementById('editor-title').textContent"
                                   ".includes(n)", arg=numbers[0], timeout=WAIT_MS)


def test_planner_merges_two_neighbouring_parcels(planner: Session, city: dict[str, Any]) -> None:
    server, url = city["server"], city["url"]
    with psycopg.connect(url) as conn:
        a, b, number = conn.execute(
            "SELECT a.id, b.id, a.cadastral_number FROM registry.land_parcel a JOIN "
            "registry.land_parcel b ON a.id <> b.id AND a.geom && b.geom AND "
            "ST_Relate(a.geom, b.geom, 'F***1****') WHERE (a.category, a.purpose_code, "
            "a.ownership_form) IS NOT DISTINCT FROM (b.category, b.purpose_code, "
            "b.ownership_form) ORDER BY ST_Area(a.geom) + ST_Area(b.geom) DESC LIMIT 1"
        ).fetchone()
    planner.show("land_parcels", a)
    planner.edit()
    planner.page.click("#editor-merge")
    planner.click(*inside_near(url, b, a))
    planner.page.wait_for_selector("#editor-merge-confirm", timeout=WAIT_MS)
    new = number[:-4] + "6001"
    planner.page.fill("#editor-merge-number", new)
    planner.page.click("#editor-merge-confirm")
    planner.saved("Ділянки об'єднано")
    approve(url)
    for gone in (a, b):
        assert httpx.get(f"{server}/collections/land_parcels/items/{gone}?f=json"
                         ).status_code == 404
    with psycopg.connect(url) as conn:
        parents = conn.execute("SELECT array_agg(l.parent_id ORDER BY l.parent_id) FROM "
                               "history.lineage l JOIN registry.land_parcel p ON p.id = l.child_id "
                               "WHERE p.cadastral_number = %s", (new,)).fetchone()[0]
    assert parents == sorted([a, b])


def test_two_planners_edit_one_parcel_and_the_second_save_is_a_conflict(
        browser: Any, city: dict[str, Any]) -> None:
    server, url = city["server"], city["url"]
    pid = parcel_ids(url)[8]
    first = Session(browser, server, "olena")
    second = Session(browser, server, "petro")
    second.expected = ["HTTP 412", "status of 412"]
    try:
        for s in (first, second):
            s.show("land_parcels", pid)
            s.edit()
        first.page.fill("[name=purpose_text]", "рішення Олени")
        first.page.click("#editor-save")
        first.saved("Збережено")
        second.page.fill("[name=purpose_text]", "рішення Петра")
        second.page.click("#editor-save")
        dialog = second.page.locator("#editor-conflict[open]")
        dialog.wait_for(timeout=WAIT_MS)
        row = dialog.locator("tr[data-field=purpose_text]")
        assert row.locator(".yours").inner_text() == "рішення Петра"
        assert row.locator(".theirs").inner_text() == "рішення Олени"
        assert "olena" in dialog.locator(".who").inner_text()
        second.page.screenshot(path=str(ARTIFACTS / "editor-conflict.png"))
        second.page.click("#editor-reload")
        assert second.page.input_value("[name=purpose_text]") == "рішення Олени"
        approve(url)
        assert httpx.get(f"{server}/collections/land_parcels/items/{pid}?f=json"
                         ).json()["properties"]["purpose_text"] == "рішення Олени"
        # after the reload the second planner's save goes through
        second.page.fill("[name=purpose_text]", "рішення Петра")
        second.page.click("#editor-save")
        second.saved("Збережено")
    finally:
        first.close()
        second.close()


def test_a_double_click_on_save_saves_once(planner: Session, city: dict[str, Any]) -> None:
    """The second click of a double click sent the same PATCH again: its 412 opened the
    conflict dialog against the planner's own save (and a new object was created twice)."""
    pid = parcel_ids(city["url"])[9]
    version = stored_version(city["url"], pid)
    planner.show("land_parcels", pid)
    planner.edit()
    planner.page.fill("[name=purpose_text]", "збережено один раз")
    sent: list[str] = []
    planner.page.on("request", lambda r: sent.append(r.method) if r.method == "PATCH" else None)
    planner.page.dblclick("#editor-save")
    planner.saved("Збережено")
    planner.page.wait_for_timeout(500)
    assert sent == ["PATCH"]
    assert planner.page.locator("#editor-conflict[open]").count() == 0
    assert stored_version(city["url"], pid) == version + 1


def test_a_double_click_on_the_delete_confirmation_deletes_once(
        planner: Session, city: dict[str, Any]) -> None:
    """The second click sent a second DELETE, which failed (404) after the first."""
    pid = parcel_ids(city["url"])[12]
    planner.show("land_parcels", pid)
    sent: list[str] = []
    planner.page.on("request", lambda r: sent.append(r.url) if r.method == "DELETE" else None)
    planner.edit()
    planner.page.click("#editor-delete")
    with planner.page.expect_response(lambda r: r.request.method == "DELETE") as answer:
        planner.page.dblclick("#editor-delete-confirm")
    assert answer.value.status == 204
    planner.page.wait_for_timeout(1000)
    assert len(sent) == 1 and sent[0].endswith(f"/collections/land_parcels/items/{pid}")
    assert "error" not in (planner.page.locator("#editor-message").get_attribute("class") or "")


def test_a_decimal_comma_is_a_decimal_and_a_non_number_is_named(
        planner: Session, city: dict[str, Any]) -> None:
    """The area field was a number input: «0,5» typed on a Ukrainian keyboard became 5 ha (the
    comma dropped), and «1e» read as empty cleared the declared area."""
    pid = parcel_ids(city["url"])[11]
    planner.show("land_parcels", pid)
    planner.edit()
    area = planner.page.locator("[name=area_declared_ha]")
    area.fill("")
    area.type("0,5")
    assert planner.js("window.portal.editor.current.form.changes()")["area_declared_ha"] == 0.5
    area.fill("1e")
    planner.page.click("#editor-save")
    row = planner.page.locator("[data-field=area_declared_ha]")
    planner.page.wait_for_function(
        "() => document.querySelector('[data-field=area_declared_ha]')"
        ".classList.contains('invalid')", timeout=WAIT_MS)
    assert row.locator(".error").inner_text() == "має бути числом (наприклад, 0,25)"
    area.fill("0,5")
    planner.page.click("#editor-save")
    planner.saved("Збережено")
    with psycopg.connect(city["url"]) as conn:
        assert conn.execute("SELECT area_declared_ha FROM registry.land_parcel WHERE id = %s",
                            (pid,)).fetchone() == (Decimal("0.5000"),)


def test_refusals_are_shown_at_the_field_and_on_the_map(planner: Session,
                                                         city: dict[str, Any]) -> None:
    server, url = city["server"], city["url"]
    planner.expected = ["HTTP 422", "status of 422"]
    pid, other = parcel_ids(url)[12:14]
    taken = httpx.get(f"{server}/collections/land_parcels/items/{other}?f=json"
                      ).json()["properties"]["cadastral_number"]
    planner.show("land_parcels", pid)
    planner.edit()
    # checked in the browser from the declaration's pattern, before any request
    planner.page.fill("[name=cadastral_number]", "68101:1")
    planner.page.click("#editor-save")
    error = planner.page.locator("[data-field=cadastral_number] .error")
    # the format as a template people read, not the regular expression
    assert "має відповідати формату 0000000000:00:000:0000 (0 — будь-яка цифра)" in \
        error.inner_text(), error.inner_text()
    assert error.get_attribute("lang") is None  # the page's own words: the page's language
    # refused by the database (unique): shown at the field too
    planner.page.fill("[name=cadastral_number]", taken)
    planner.page.click("#editor-save")
    planner.page.wait_for_function(
        "(n) => document.querySelector('[data-field=cadastral_number] .error').textContent"
        ".includes(n)", arg=taken, timeout=WAIT_MS)
    # the server's English, on a Ukrainian page, is marked as English (for a screen reader);
    # the editor's own words are not
    assert error.get_attribute("lang") == "en"
    assert planner.page.get_attribute("#editor-message", "lang") == "en"
    planner.page.click("#editor-cancel")
    # a vertex dragged into the neighbour: the overlap rule's sentence on the map
    with psycopg.connect(url) as conn:
        a, b = conn.execute(
            "SELECT a.id, b.id FROM registry.land_parcel a JOIN registry.land_parcel b ON "
            "a.id <> b.id AND ST_Relate(a.geom, b.geom, 'F***1****') ORDER BY ST_Area(a.geom) "
            "DESC OFFSET 20 LIMIT 1").fetchone()
    planner.show("land_parcels", a)
    planner.edit()
    ring = planner.drawn_ring()
    target = inside_near(url, b, a, 40)
    vertex = min(ring[:-1], key=lambda p: math.dist(p, target))
    planner.drag(planner.screen(*vertex), planner.screen(*target))
    planner.page.click("#editor-save")
    popup = planner.page.locator(".editor-problem")
    popup.wait_for(timeout=WAIT_MS)
    assert "overlaps" in popup.inner_text()
    assert popup.locator("p[lang=en]").count() == 1
    # which rule, in the page's language (from the declaration), before the API's English
    assert "Порушено правило: об'єкти не накладаються" in popup.inner_text()
    message = planner.page.locator("#editor-message")
    assert message.get_attribute("lang") is None, "the bar speaks the page's language"
    assert message.inner_text().startswith("Порушено правило: об'єкти не накладаються")
    assert "overlaps" in message.locator("span[lang=en]").inner_text()
    planner.page.screenshot(path=str(ARTIFACTS / "editor-overlap.png"))
    with psycopg.connect(url) as conn:  # nothing written
        assert conn.execute("SELECT changed_by IS DISTINCT FROM 'olena' FROM "
                            "registry.land_parcel WHERE id = %s", (a,)).fetchone() == (True,)


def test_two_wrong_fields_are_named_in_the_plural(planner: Session,
                                                 city: dict[str, Any]) -> None:
    """Two fields wrong, and the editor said «Перевірте поле» / "Check the field", as for
    one: the message counts them, by the language's plural rules."""
    pid = parcel_ids(city["url"])[16]
    planner.show("land_parcels", pid)
    planner.edit()
    page = planner.page
    message = page.locator("#editor-message")
    page.fill("[name=cadastral_number]", "68101:1")
    page.click("#editor-save")
    assert message.inner_text() == "Перевірте поле"
    page.fill("[name=purpose_code]", "")
    page.click("#editor-save")
    assert page.locator("[data-field].invalid").count() == 2
    assert message.inner_text() == "Перевірте 2 поля"
    page.click("#lang-switch")
    page.click("#editor-save")
    assert message.inner_text() == "Check the 2 fields"
    page.click("#editor-cancel")


def test_registrar_draws_a_new_advertising_structure_with_its_form(
        browser: Any, city: dict[str, Any]) -> None:
    url = city["url"]
    with psycopg.connect(url) as conn:
        lon, lat = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), 4326) "
            "AS p FROM registry.land_parcel ORDER BY ST_Area(geom) DESC OFFSET 30 LIMIT 1) s"
        ).fetchone()
    registrar = Session(browser, city["server"], "ivan")
    try:
        page = registrar.page
        # a registrar may create what the registrar role edits, and nothing of the cadastre
        options = page.locator("#editor-layer option").evaluate_all("o => o.map(x => x.value)")
        assert "advertising_structures" in options and "land_parcels" not in options
        registrar.js("([lon, lat]) => window.portal.map.jumpTo({center: [lon, lat], zoom: 18})",
                     [lon, lat])
        registrar.idle()
        page.select_option("#editor-layer", "advertising_structures")
        page.click("#editor-new")
        page.wait_for_function("() => window.portal.editor.state === 'drawing'", timeout=WAIT_MS)
        registrar.click(lon, lat)
        page.wait_for_selector("[name=permit_number]", timeout=WAIT_MS)
        # the form comes from the declaration: a value list with the code list's titles
        assert "сіті-лайт" in page.locator("[name=structure_type]").inner_text()
        page.fill("[name=permit_number]", "РЗ-2026/777")
        page.fill("[name=issued_on]", "2026-11-01")
        page.fill("[name=valid_from]", "2026-11-01")
        page.fill("[name=valid_until]", "2027-10-31")
        page.select_option("[name=structure_type]", "citylight")
        page.select_option("[name=distributor_kind]", "legal")
        page.fill("[name=distributor_name]", "ТОВ «Світло міста»")
        page.click("#editor-save")
        registrar.saved("Створено")
    finally:
        registrar.close()
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT structure_type, changed_by, ST_Distance(geom, ST_Transform(ST_SetSRID("
            "ST_Point(%s, %s), 4326), 6383)) FROM registry.advertising_structure WHERE "
            "permit_number = 'РЗ-2026/777'", (lon, lat)).fetchone()
    assert row[:2] == ("citylight", "ivan") and row[2] < 0.5
