"""The geoportal as a resident meets it, in headless Chromium at desktop and phone sizes: a
labelled city map, the right object on a click (a chooser on an overlap, the place on empty
ground), plain words on every card in both languages, an English page without Ukrainian UI,
the phone layout, the legend as a filter, the list view, "my location", and pygeoapi's HTML
pages with nothing from another host.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import psycopg
import pytest

from registries.catalog import default_catalog
from registries.model import FieldType
from registries.search import MAX_QUERY
from tests import test_portal
from tests.test_portal import WAIT_MS, Watched, click_lnglat

# the browser, pages and the sample permit of the geoportal's first browser tests
browser, desktop, phone, permit = (test_portal.browser, test_portal.desktop, test_portal.phone,
                                   test_portal.permit)

CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# predicates are functions: the page's Content-Security-Policy forbids the eval a bare
# expression string would need (CARD is the expression, for predicates that add to it)
CARD = "window.portal.identify.current && window.portal.identify.current.feature"
CARD_READY = f"() => {CARD}"


@pytest.fixture(params=["desktop", "phone"])
def screen(request: pytest.FixtureRequest) -> Watched:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


def tap(watched: Watched, lon: float, lat: float) -> None:
    """Click (desktop) or tap (phone) the map where ``lon, lat`` is drawn."""
    page = watched.page
    if page.viewport_size["width"] < 600:
        x, y = page.evaluate(f"(() => {{ const p = window.portal.map.project([{lon}, {lat}]);"
                             " return [p.x, p.y]; })()")
        box = page.locator("#map canvas").bounding_box()
        page.touchscreen.tap(box["x"] + x, box["y"] + y)
    else:
        click_lnglat(watched, lon, lat)


def one(conn: psycopg.Connection, query: str) -> tuple[Any, ...]:
    row = conn.execute(query).fetchone()
    assert row is not None, query
    return tuple(row)


# -- the map --------------------------------------------------------------------------------

def test_street_names_and_house_numbers_are_drawn(screen: Watched, demo_url: str) -> None:
    with psycopg.connect(demo_url) as conn:
        name, latin, lon, lat = one(conn, (
            "SELECT s.name, registry.latin_name(s.name), ST_X(w), ST_Y(w) FROM registry.street AS s"
            " CROSS JOIN LATERAL ST_Transform(ST_LineInterpolatePoint(ST_LineMerge(s.geom), 0.5),"
            " 4326) AS w WHERE ST_NumGeometries(s.geom) = 1 AND EXISTS (SELECT 1 FROM"
            " registry.address AS a WHERE a.street_id = s.id) ORDER BY ST_Length(s.geom) DESC"
            " LIMIT 1"))
    page = screen.open(f"#map=17.5/{lat}/{lon}")
    labels = ("window.portal.map.queryRenderedFeatures({layers: ['streets-label']})"
              ".map(f => f.properties.name)")
    assert name in page.evaluate(labels), "the street's name is not drawn"
    numbers = page.evaluate("window.portal.map.queryRenderedFeatures({layers: "
                            "['addresses-number']}).map(f => f.properties.house_number)")
    assert numbers and all(numbers), "no house number is drawn"
    glyphs = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)"
                           ".filter(u => u.includes('/fonts/'))")
    assert any("1024-1279.pbf" in u for u in glyphs)  # Cyrillic glyphs from this server
    page.locator("#lang-switch").click()
    screen.idle()
    field = page.evaluate("window.portal.map.getLayoutProperty('streets-label', 'text-field')")
    assert "name_en" in str(field)
    assert name in page.evaluate(labels)  # still drawn, now as «{latin} St» and the like
    assert latin.isascii()


def parcel_point(conn: psycopg.Connection) -> tuple[int, str, float, float]:
    """Return a parcel, and a point well inside it with no address or building near."""
    return one(conn, (  # type: ignore[return-value]
        "SELECT p.id, p.cadastral_number, ST_X(w), ST_Y(w) FROM registry.land_parcel AS p"
        " CROSS JOIN LATERAL ST_PointOnSurface(ST_Difference(ST_Buffer(p.geom, -6),"
        " coalesce((SELECT ST_Union(ST_Buffer(x.geom, 12)) FROM (SELECT geom FROM"
        " registry.address UNION ALL SELECT geom FROM registry.building UNION ALL"
        " SELECT geom FROM registry.advertising_structure UNION ALL SELECT geom FROM"
        " registry.temporary_structure UNION ALL SELECT geom FROM registry.accessibility_object)"
        " AS x WHERE x.geom && ST_Expand(p.geom, 20)), 'POINT EMPTY'::geometry))) AS q"
        " CROSS JOIN LATERAL ST_Transform(q, 4326) AS w"
        " WHERE ST_Area(p.geom) > 900 AND NOT ST_IsEmpty(q) ORDER BY p.id LIMIT 1"))


def test_click_on_a_parcel_opens_the_parcel_even_over_zones(screen: Watched,
                                                             demo_url: str) -> None:
    with psycopg.connect(demo_url) as conn:
        pid, number, lon, lat = parcel_point(conn)
    page = screen.open(f"#map=17/{lat}/{lon}")
    for layer in ("planning_zones", "planning_restrictions"):  # what used to win the click
        page.evaluate(f"window.portal.layers.setVisible('{layer}', true)")
    screen.idle()
    tap(screen, lon, lat)
    page.wait_for_function(CARD_READY, timeout=WAIT_MS)
    current = page.evaluate("window.portal.identify.current")
    assert (current["collection"], current["id"]) == ("land_parcels", pid)
    assert page.locator("#card .card-key").inner_text() == number
    also = page.locator("#card .also-here button").all_inner_texts()
    assert any("Територіальні зони" in text for text in also)  # the zone, one tap away


def test_an_overlap_of_equals_offers_a_choice(screen: Watched, demo_url: str) -> None:
    with psycopg.connect(demo_url) as conn:
        kiosk, spot, lon, lat = one(conn, (
            "SELECT t.id, s.id, ST_X(w), ST_Y(w) FROM registry.temporary_structure AS t"
            " JOIN registry.ts_scheme_spot AS s ON ST_Contains(s.geom, ST_PointOnSurface(t.geom))"
            " CROSS JOIN LATERAL ST_Transform(ST_PointOnSurface(t.geom), 4326) AS w"
            " WHERE NOT EXISTS (SELECT 1 FROM registry.advertising_structure AS a WHERE"
            " ST_DWithin(a.geom, t.geom, 8)) AND NOT EXISTS (SELECT 1 FROM registry.address AS a"
            " WHERE ST_DWithin(a.geom, t.geom, 8)) ORDER BY t.id LIMIT 1"))
    page = screen.open(f"#map=19/{lat}/{lon}")
    page.evaluate("window.portal.layers.setVisible('ts_scheme_spots', true)")
    screen.idle()
    tap(screen, lon, lat)
    chooser = page.locator("#card .chooser-item")
    chooser.first.wait_for(timeout=WAIT_MS)
    offered = {(b.get_attribute("data-collection"), int(b.get_attribute("data-id") or 0))
               for b in chooser.all()}
    assert {("temporary_structures", kiosk), ("ts_scheme_spots", spot)} <= offered
    page.locator(f"#card .chooser-item[data-collection=temporary_structures]"
                 f"[data-id='{kiosk}']").click()
    page.wait_for_function(CARD_READY, timeout=WAIT_MS)
    assert page.evaluate("window.portal.identify.current.id") == kiosk


def test_empty_ground_tells_what_is_there(screen: Watched, demo_url: str) -> None:
    with psycopg.connect(demo_url) as conn:
        pid, number, lon, lat = parcel_point(conn)
    page = screen.open(f"#map=17/{lat}/{lon}")
    page.evaluate("window.portal.layers.setVisible('land_parcels', false)")  # nothing drawn there
    screen.idle()
    tap(screen, lon, lat)
    place = page.locator("#card[data-kind=place] .place-parcel")
    place.wait_for(timeout=WAIT_MS)
    assert number in place.inner_text()
    # where it is, the hemispheres in the page's language
    assert re.search(r"\d+\.\d{6}° пн\. ш\., \d+\.\d{6}° сх\. д\.",
                     page.locator("#card").inner_text())
    assert page.locator("#card .place-address button").count() == 1  # the nearest address
    assert page.locator("#card .place-planning_zones").count() == 1  # the zone it lies in
    page.locator("#card .place-parcel button").click()
    page.wait_for_function(CARD_READY, timeout=WAIT_MS)
    assert page.evaluate("window.portal.identify.current.id") == pid


# -- plain words ----------------------------------------------------------------------------

def sample(server: str, collection: str) -> dict[str, Any]:
    """Return the object of ``collection`` with the most to say (most fields set)."""
    doc = httpx.get(f"{server}/collections/{collection}/items",
                    params={"f": "json", "limit": 200}, timeout=60).json()
    features = doc["features"]
    assert features, collection

    def richness(f: dict[str, Any]) -> tuple[int, int]:
        p = f["properties"]
        special = bool(p.get("former_names") or p.get("dismantling_ordered_on"))
        return special, sum(v not in (None, "", []) for v in p.values())
    return max(features, key=richness)


def expected_date(iso: str, lang: str) -> str:
    d = date.fromisoformat(iso)
    if lang == "uk":
        return d.strftime("%d.%m.%Y")
    return f"{d.day} {d.strftime('%B')} {d.year}"


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_every_registry_card_speaks_plain_words(desktop: Watched, server: str,
                                                lang: str) -> None:
    catalog = default_catalog()
    page = desktop.open("#lang=en" if lang == "en" else "")
    checked = []
    for reg in catalog:
        if not reg.public:
            continue
        feature = sample(server, reg.id)
        page.evaluate(f"window.portal.identify.show('{reg.id}', {feature['id']})")
        page.wait_for_function(f"() => {CARD} && window.portal.identify.current.collection"
                               f" === '{reg.id}'", timeout=WAIT_MS)
        card = page.locator("#card")
        text = card.inner_text()
        for bad in ("[object Object]", "undefined", "NaN", "null"):
            assert bad not in text, f"{reg.id}: {bad!r} on the card"
        titles = {f.title[lang] for f in reg.public_fields}
        other = {f.title["en" if lang == "uk" else "uk"] for f in reg.public_fields} - titles
        labels = card.locator("dt").all_inner_texts()
        assert len(labels) == len(set(labels)), f"{reg.id}: two rows under one label {labels}"
        for dt in labels:
            assert dt in titles, f"{reg.id}: label {dt!r} is not a {lang} field title"
            assert dt not in other and "_" not in dt, f"{reg.id}: {dt!r}"
            if lang == "en":
                assert not CYRILLIC.search(dt), f"{reg.id}: {dt!r} on the English page"
        p = feature["properties"]
        for f in reg.public_fields:
            cell = card.locator(f"dd.f-{f.name}")
            if not cell.count():
                continue
            shown = cell.inner_text()
            value = p.get(f.name)
            mask = f.personal_if.mask if f.personal_if else None
            if mask and value == mask["uk"]:  # our stand-in for a natural person's name
                assert shown == mask[lang], f"{reg.id}.{f.name}: {shown!r}"
            elif f.code_titles and value is not None:
                assert shown == f.choice_title(str(value), lang), f"{reg.id}.{f.name}: {shown!r}"
            elif f.type is FieldType.DATE and value:
                assert shown == expected_date(value, lang), f"{reg.id}.{f.name}: {shown!r}"
            elif f.type is FieldType.NUMBER and value is not None and lang == "uk":
                assert "." not in shown, f"{reg.id}.{f.name}: {shown!r} (decimal comma)"
        if p.get("former_names"):
            former = card.locator("dd.f-former_names").inner_text()
            assert p["former_names"][0]["name"] in former and "{" not in former
        if p.get("dismantling_ordered_on"):
            event = card.locator(".event.dismantling_ordered_on").inner_text()
            assert expected_date(p["dismantling_ordered_on"], lang) in event
        status = p.get("status")
        if status and card.locator(".status-badge").count():
            assert card.locator(".status-badge").inner_text() == \
                reg.field("status").choice_title(status, lang)
        checked.append(reg.id)
    assert len(checked) == len([r for r in catalog if r.public]) >= 12
    # a natural person's parcel: the person's kind in the page's language, once (the
    # stand-in for the name would only say it again)
    natural = httpx.get(f"{server}/collections/land_parcels/items", params={
        "f": "json", "limit": 1, "holder_kind": "natural"}, timeout=60).json()["features"][0]
    page.evaluate(f"window.portal.identify.show('land_parcels', {natural['id']})")
    page.wait_for_function(f"() => {CARD} && window.portal.identify.current.id == "
                           f"{natural['id']}", timeout=WAIT_MS)
    holder = catalog.get("land_parcels").field("holder_name")
    assert holder.personal_if and holder.personal_if.mask
    assert page.locator("#card dd.f-holder_kind").inner_text() == holder.personal_if.mask[lang]
    assert page.locator("#card dd.f-holder_name").count() == 0


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_an_inspector_is_one_row_under_its_own_label(desktop: Watched, server: str,
                                                     lang: str) -> None:
    """An accessibility object inspected by a natural person showed «Хто обстежив: фізична
    особа» twice (the kind, and the stand-in for the name); in English "Inspected by (kind)"
    and "Inspected by". The public sees the kind only, once; a legal entity's kind and name
    are two rows under two labels, the declaration's."""
    reg = default_catalog().get("accessibility_objects")
    page = desktop.open("#lang=en" if lang == "en" else "")
    for kind in ("natural", "legal"):
        found = httpx.get(f"{server}/collections/accessibility_objects/items", params={
            "f": "json", "limit": 1, "inspector_kind": kind}, timeout=60).json()["features"]
        assert found, kind
        feature = found[0]
        page.evaluate(f"window.portal.identify.show('accessibility_objects', {feature['id']})")
        page.wait_for_function(f"() => {CARD} && window.portal.identify.current.id == "
                               f"{feature['id']}", timeout=WAIT_MS)
        labels = page.locator("#card dt").all_inner_texts()
        assert len(labels) == len(set(labels)), labels
        assert page.locator("#card dd.f-inspector_kind").inner_text() == \
            reg.field("inspector_kind").choice_title(kind, lang)
        name = page.locator("#card dd.f-inspector_name")
        if kind == "natural":
            assert name.count() == 0
        else:
            assert name.inner_text() == feature["properties"]["inspector_name"]
        for f in ("inspector_kind", "inspector_name"):
            if page.locator(f"#card dd.f-{f}").count():
                assert reg.field(f).title[lang] in labels


def test_a_permalink_changed_in_the_address_bar_is_followed(desktop: Watched,
                                                             permit: dict[str, Any]) -> None:
    """With the page open, a permalink typed into the address bar changes only the fragment:
    no reload, and the page did nothing until one. It follows the fragment's object, view
    and language."""
    page = desktop.open()
    page.evaluate(f"location.hash = '#obj=advertising_structures/{permit['id']}'")
    page.wait_for_function(f"() => {CARD} && window.portal.identify.current.collection === "
                           f"'advertising_structures' && window.portal.identify.current.id == "
                           f"{permit['id']}", timeout=WAIT_MS)
    assert page.locator("#card .card-key").inner_text() == permit["properties"]["permit_number"]
    lon, lat = permit["geometry"]["coordinates"]
    page.evaluate(f"location.hash = '#map=15/{lat:.5f}/{lon:.5f}&lang=en'")
    page.wait_for_function("() => document.documentElement.lang === 'en'", timeout=WAIT_MS)
    desktop.idle()
    assert round(page.evaluate("window.portal.map.getZoom()"), 2) == 15
    assert "&lang=en" in page.url  # the page's own link says what it shows
    # the legend's status filter too (it was applied on a reload only); a view without one
    # shows every status again, as the link the page writes would say
    page.evaluate(f"location.hash = '#map=15/{lat:.5f}/{lon:.5f}&status=expired&lang=en'")
    page.wait_for_function("() => document.querySelector("
                           "'#legend button[data-status=expired]')"
                           ".getAttribute('aria-pressed') === 'true'", timeout=WAIT_MS)
    assert page.evaluate("window.portal.legend.state().term") == ["expired"]
    assert "status=expired" in page.url
    page.evaluate(f"location.hash = '#map=16/{lat:.5f}/{lon:.5f}&lang=en'")
    page.wait_for_function("() => window.portal.legend.state().term.length === 0",
                           timeout=WAIT_MS)
    assert "status=" not in page.url


@pytest.mark.parametrize(("fragment", "asks"), [
    ("land_parcels/..", None),        # the browser made it /collections/land_parcels/?f=json
    ("land_parcels/.", None),         # … /collections/land_parcels/items/?f=json, a page
    ("../..", None),                  # … /?f=json, the landing page
    ("nope/1", None),
    ("land_parcels/abc", None),
    ("land_parcels/999999999", "/collections/land_parcels/items/999999999"),  # gone since
])
def test_a_permalink_to_no_object_says_there_is_none(desktop: Watched, fragment: str,
                                                     asks: str | None) -> None:
    """A permalink naming no object of the map's registries opened a card of whatever its
    address reached («obj=land_parcels/..»: the collection's description as a parcel, with a
    report form and a PDF link), or said «Не вдалося завантажити дані об'єкта» as if the
    server were down. It says there is no such object, in the page's language, and the
    page's own link no longer names it."""
    for lang in ("uk", "en"):
        page = desktop.open(f"#obj={fragment}&lang={lang}")
        page.wait_for_function("() => !document.getElementById('card').hidden && document"
                               ".querySelector('#card-body .error')", timeout=WAIT_MS)
        text = page.locator("#card-body").inner_text()
        assert text == ("Такого об'єкта в реєстрі немає: можливо, його вилучено або посилання"
                        " помилкове" if lang == "uk" else "There is no such object in the"
                        " registry: it may have been removed, or the link is mistyped")
        assert page.locator("#card .card-links, #card .report-link").count() == 0
        assert page.evaluate("window.portal.identify.current.feature") is None
        page.evaluate("window.portal.permalink.update()")
        assert "obj=" not in page.url
    # the one request a missing object costs is the answer expected; nothing else failed
    expected = [e for e in desktop.errors if asks and (e.endswith(f"{asks}?f=json")
                                                      or "status of 404" in e)]
    assert len(expected) == (4 if asks else 0), desktop.errors
    desktop.errors[:] = [e for e in desktop.errors if e not in expected]


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_a_road_closure_status_reads_as_a_permits(desktop: Watched, server: str,
                                                  lang: str) -> None:
    """A road closure's card said «Статус: завершено» / "Status: ended" where a permit's says
    "Status: Valid": both kinds of status are written alike, in the legend too."""
    closure = sample(server, "road_closures")
    page = desktop.open("#lang=en" if lang == "en" else "")
    page.evaluate(f"window.portal.identify.show('road_closures', {closure['id']})")
    page.wait_for_function(f"() => {CARD} && window.portal.identify.current.collection"
                           " === 'road_closures'", timeout=WAIT_MS)
    badge = page.locator("#card .status-badge").inner_text()
    assert badge == default_catalog().get("road_closures").field("status").choice_title(
        closure["properties"]["status"], lang)
    shown = [badge, *page.locator("#legend button[data-status]").all_text_contents()]
    for text in shown:
        first = text.strip()[:1]
        assert first and first == first.upper(), f"{text!r} is not written as a permit's status"


def test_the_english_page_is_english_throughout(desktop: Watched, permit: dict[str, Any]) -> None:
    lon, lat = permit["geometry"]["coordinates"]
    page = desktop.open(f"#map=17/{lat}/{lon}&lang=en")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.title() == "Khmelnytskyi geoportal"
    assert page.locator("header h1").inner_text() == "Khmelnytskyi geoportal"
    switch = page.locator("#lang-switch")
    assert switch.inner_text() == "Українська" and switch.get_attribute("lang") == "uk"
    click_lnglat(desktop, lon, lat)
    page.wait_for_function(CARD_READY, timeout=WAIT_MS)
    page.locator("#map canvas").hover()
    page.locator("[role=tab][data-tab=list]").click()
    page.wait_for_timeout(500)
    page.locator("[role=tab][data-tab=layers]").click()
    texts = page.evaluate("""(() => {
        const out = [];
        // the card's values may be the registry's own Ukrainian words: marked lang="uk"
        const skip = (el) => el.closest('#lang-switch, #card [lang="uk"], '
          + '.maplibregl-ctrl-attrib, #search-results, script, style, dialog:not([open]), '
          + '#list-results');
        const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        while (walk.nextNode()) {
          const node = walk.currentNode, el = node.parentElement;
          if (!el || skip(el) || !node.textContent.trim()) continue;
          if (el.closest('[hidden]') || getComputedStyle(el).display === 'none') continue;
          out.push(node.textContent.trim());
        }
        for (const el of document.querySelectorAll('[title], [aria-label], [placeholder]')) {
          if (skip(el)) continue;
          for (const a of ['title', 'aria-label', 'placeholder']) {
            if (el.getAttribute(a)) out.push(el.getAttribute(a));
          }
        }
        return out;
      })()""")
    ukrainian = [t for t in texts if CYRILLIC.search(t)]
    assert ukrainian == [], f"Ukrainian UI strings on the English page: {ukrainian[:10]}"


def test_the_map_controls_speak_the_pages_language(desktop: Watched) -> None:
    """MapLibre's own strings: the canvas's name for screen readers ("Map"), the attribution
    button ("Toggle attribution") and the scale bar's unit ("500 m") were English on the
    Ukrainian page, and stayed what they were after a switch of language."""
    page = desktop.open()
    controls = """(() => ({
        map: document.querySelector('#map canvas').getAttribute('aria-label'),
        attribution: document.querySelector('.maplibregl-ctrl-attrib-button')
          .getAttribute('title'),
        scale: document.querySelector('.maplibregl-ctrl-scale').textContent}))()"""
    found = page.evaluate(controls)
    assert found["map"] == "Карта" and found["attribution"] == "Показати або сховати джерела даних"
    assert re.fullmatch(r"\d+ к?м", found["scale"].replace("\xa0", " ")), found["scale"]
    page.locator("#lang-switch").click()
    page.wait_for_function("() => document.documentElement.lang === 'en'", timeout=WAIT_MS)
    found = page.evaluate(controls)
    assert found["map"] == "Map" and found["attribution"] == "Show or hide data sources"
    assert re.fullmatch(r"\d+ k?m", found["scale"].replace("\xa0", " ")), found["scale"]


# the texts under ``root`` with Cyrillic in them that no lang="uk" marks (on an English page)
UNMARKED = """(root) => {
    const out = [], walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walk.nextNode()) {
      const node = walk.currentNode;
      if (/[\\u0400-\\u04ff]/.test(node.textContent) && !node.parentElement.closest('[lang="uk"]'))
        out.push(node.textContent);
    }
    return out;
  }"""


def test_ukrainian_words_on_english_pages_are_marked(desktop: Watched, server: str,
                                                     demo_url: str) -> None:
    """Cards marked the registry's own words lang="uk" on the English page, as the README
    says; search hits («вул. Проскурівська, 1»), the list's rows («ХМ-2018-0004», «вул.
    Проскурівська, 33 · until …») and the parcel report ("Advertising permit ХМ-2023-0010")
    did not, and a screen reader read them with an English voice."""
    page = desktop.open("#map=16/49.4195/26.9969&lang=en")
    page.locator("#search-input").press_sequentially("Проскурівська 1", delay=15)
    hits = page.locator("#search-results li[role=option]:not(.empty)")
    hits.first.wait_for(timeout=WAIT_MS)
    assert CYRILLIC.search(hits.first.inner_text())
    assert page.locator("#search-results").evaluate(UNMARKED) == []
    page.keyboard.press("Escape")
    page.locator("[role=tab][data-tab=list]").click()
    page.locator("#list-registry").select_option("advertising_structures")
    rows = page.locator("#list-results .list-row")
    rows.first.wait_for(timeout=WAIT_MS)
    assert any(CYRILLIC.search(t) for t in rows.all_inner_texts())
    assert page.locator("#list-results").evaluate(UNMARKED) == []
    assert "until" in page.locator("#list-results .detail").first.inner_text()
    with psycopg.connect(demo_url) as conn:
        number = one(conn, (
            "SELECT p.cadastral_number FROM registry.land_parcel AS p WHERE EXISTS (SELECT 1"
            " FROM registry.advertising_structure AS a WHERE ST_DWithin(a.geom, p.geom, 20))"
            " ORDER BY p.id LIMIT 1"))[0]
    page.goto(f"{server}/reports/parcels/{quote(number, safe='')}?f=html&lang=en",
              wait_until="load")
    assert "Advertising permit" in page.locator("body").inner_text()
    assert page.locator("body").evaluate(UNMARKED) == []


def test_the_panels_pages_open_in_the_pages_language(desktop: Watched) -> None:
    """The English geoportal's «Data (OGC API)» and «API description» opened the collections
    and the OpenAPI viewer in Ukrainian (only «Open data» carried lang=en)."""
    page = desktop.open("#lang=en")
    links = page.locator(".api-links a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == ["/downloads?lang=en", "/collections?lang=en", "/openapi?f=html&lang=en"]
    for href in hrefs:
        r = httpx.get(f"{desktop.base}{href}", headers={"Accept": "text/html"}, timeout=60)
        assert r.status_code == 200 and r.headers["content-language"] == "en", href
    # the English open-data page's own link to the OGC API too
    downloads = httpx.get(f"{desktop.base}/downloads?f=html&lang=en", timeout=60).text
    assert '<a href="/collections?lang=en">OGC API</a>' in downloads
    page.locator("#lang-switch").click()
    page.wait_for_function("() => document.documentElement.lang === 'uk'", timeout=WAIT_MS)
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        "/downloads", "/collections", "/openapi?f=html"]


def test_the_place_the_chooser_and_also_here_mark_ukrainian_words(desktop: Watched,
                                                                 demo_url: str) -> None:
    """On the English page the place card («Nearest address: вул. …», «Г-1 — …»), the
    chooser's names («ПП-2023-0001»), a card's «Also here: Zoning-plan zones: Г-1» and the
    report dialog's «Object: …» were unmarked, read with an English voice. The registry's
    words are marked lang="uk" as the card's own rows are; ours around them stay English."""
    with psycopg.connect(demo_url) as conn:
        pid, number, lon, lat = parcel_point(conn)
        kiosk, klon, klat = one(conn, (
            "SELECT t.id, ST_X(w), ST_Y(w) FROM registry.temporary_structure AS t"
            " JOIN registry.ts_scheme_spot AS s ON ST_Contains(s.geom, ST_PointOnSurface(t.geom))"
            " CROSS JOIN LATERAL ST_Transform(ST_PointOnSurface(t.geom), 4326) AS w"
            " WHERE NOT EXISTS (SELECT 1 FROM registry.advertising_structure AS a WHERE"
            " ST_DWithin(a.geom, t.geom, 8)) AND NOT EXISTS (SELECT 1 FROM registry.address AS a"
            " WHERE ST_DWithin(a.geom, t.geom, 8)) ORDER BY t.id LIMIT 1"))
    page = desktop.open(f"#map=17/{lat}/{lon}&lang=en")
    page.evaluate("window.portal.layers.setVisible('planning_zones', true)")
    desktop.idle()
    click_lnglat(desktop, lon, lat)
    page.wait_for_function(f"() => {CARD} && window.portal.identify.current.id === {pid}",
                           timeout=WAIT_MS)
    also = page.locator("#card .also-here button")
    assert any(CYRILLIC.search(text) and text.startswith("Zoning-plan zones: ")
               for text in also.all_inner_texts())
    assert page.locator("#card .also-here button[lang]").count() == 0  # "Zoning-plan zones"
    assert page.locator("#card").evaluate(UNMARKED) == []
    page.evaluate(f"window.portal.identify.showPlace({{lng: {lon}, lat: {lat}}})")
    address = page.locator("#card[data-kind=place] .place-address button")
    address.wait_for(timeout=WAIT_MS)
    assert CYRILLIC.search(address.inner_text())
    assert page.locator("#card").evaluate(UNMARKED) == []
    page.evaluate(f"window.portal.map.jumpTo({{center: [{klon}, {klat}], zoom: 19}});"
                  " window.portal.layers.setVisible('ts_scheme_spots', true)")
    desktop.idle()
    click_lnglat(desktop, klon, klat)
    names = page.locator("#card .chooser-item .name")
    names.first.wait_for(timeout=WAIT_MS)
    assert any(CYRILLIC.search(text) for text in names.all_inner_texts())
    assert page.locator("#card").evaluate(UNMARKED) == []
    page.locator(f"#card .chooser-item[data-collection=temporary_structures][data-id='{kiosk}']"
                 ).click()
    page.wait_for_function(f"() => {CARD} && window.portal.identify.current.id === {kiosk}",
                           timeout=WAIT_MS)
    page.locator("#card .report-link").click()
    page.locator("#report-dialog[open]").wait_for(timeout=WAIT_MS)
    assert CYRILLIC.search(page.locator("#report-form").inner_text())  # «Object: ПП-…»
    assert page.locator("#report-form").evaluate(UNMARKED) == []


# -- a phone ----------------------------------------------------------------------------------

def test_enter_opens_the_best_hit_of_the_text_as_typed(desktop: Watched, server: str) -> None:
    """Enter right after a keystroke opened the highlighted hit of the text before it (typed
    «Проскурівська 10», opened «вул. Проскурівська, 1» and wrote it into the box), and Enter
    before the first suggestions did nothing. Enter waits for the answer to the text as typed
    and opens its best hit."""
    def best(q: str) -> dict[str, Any]:
        hits = httpx.get(f"{server}/search", params={"q": q, "limit": 8}).json()["results"]
        return next(h for h in hits if h.get("geometry"))

    older, typed = best("Проскурівська 1"), best("Проскурівська 10")
    assert (older["collection"], older["id"]) != (typed["collection"], typed["id"])
    page = desktop.open()
    box = page.locator("#search-input")
    box.press_sequentially("Проскурівська 1", delay=15)
    page.locator("#search-results li[role=option]:not(.empty)").first.wait_for(timeout=WAIT_MS)
    page.keyboard.type("0")
    page.keyboard.press("Enter")  # at once: the answer for «…10» is not there yet
    page.wait_for_function(CARD_READY, timeout=WAIT_MS)
    current = page.evaluate("[window.portal.identify.current.collection,"
                            " String(window.portal.identify.current.id)]")
    assert current == [typed["collection"], str(typed["id"])]
    assert box.input_value() == typed["label"]
    # Enter before any suggestion came: the best hit of what was typed
    page.locator("#card-close").click()
    box.fill("")
    box.press_sequentially("Проскурівська 10", delay=5)
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => {CARD} && window.portal.identify.current.id == "
                           f"{typed['id']}", timeout=WAIT_MS)


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_a_search_text_over_the_limit_is_too_long_not_an_outage(desktop: Watched,
                                                                 lang: str) -> None:
    """A text over the server's 200 characters was sent, refused with 400, and the page said
    «Пошук недоступний» / "Search is unavailable". The box takes no more than the server
    does, and a longer text (set by a script) is named too long, in the page's language."""
    page = desktop.open("#lang=en" if lang == "en" else "")
    box = page.locator("#search-input")
    assert box.get_attribute("maxlength") == str(MAX_QUERY)
    box.press_sequentially("вулиця " * 40, delay=0)
    assert len(box.input_value()) == MAX_QUERY
    page.evaluate("""(n) => { const box = document.getElementById('search-input');
        box.value = 'а'.repeat(n); box.dispatchEvent(new Event('input')); }""", MAX_QUERY + 1)
    note = page.locator("#search-results li.empty")
    note.wait_for(timeout=WAIT_MS)
    want = {"uk": f"не більше {MAX_QUERY} символів", "en": f"{MAX_QUERY} characters at most"}
    assert want[lang] in note.inner_text(), note.inner_text()
    # (no request was refused: the page's watcher fails the test on any 400)


def test_a_keyboard_user_reads_the_chosen_card_and_escapes_it(desktop: Watched,
                                                               server: str) -> None:
    """After Enter on a search hit the keyboard was on the page's body (the box blurred
    itself), and the card's close button some ninety tabs away; Escape left the card open.
    The keyboard goes to the card's title, and Escape closes the card and returns it to the
    search box."""
    address = httpx.get(f"{server}/collections/addresses/items",
                        params={"f": "json", "limit": 1}).json()["features"][0]
    page = desktop.open()
    box = page.locator("#search-input")
    box.focus()
    page.keyboard.type(address["properties"]["full_address"], delay=15)
    page.locator(f"#search-results li[data-id='{address['id']}']").wait_for(timeout=WAIT_MS)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_function(CARD_READY, timeout=WAIT_MS)
    page.wait_for_function("() => document.getElementById('card').contains("
                           "document.activeElement)", timeout=WAIT_MS)
    assert page.evaluate("document.activeElement.textContent") == page.locator(
        "#card h2").first.inner_text()
    page.keyboard.press("Escape")
    assert page.locator("#card").is_hidden()
    assert page.evaluate("document.activeElement.id") == "search-input"


def test_phone_search_lands_at_the_address_above_the_card(phone: Watched, server: str) -> None:
    """On a phone the card covers the map's lower half: keeping the chosen address in sight
    eased the map while the search's flight was still under way, which cut the flight short
    at whatever zoom it had reached (13.5, 13.7, 16.75 … from 13). The flight ends where it
    aims; the address then lies above the card."""
    address = httpx.get(f"{server}/collections/addresses/items",
                        params={"f": "json", "limit": 1}).json()["features"][0]
    label = address["properties"]["full_address"]
    page = phone.open()
    page.locator("#search-input").press_sequentially(label, delay=15)
    hit = page.locator(f"#search-results li[data-collection=addresses][data-id='{address['id']}']")
    hit.wait_for(timeout=WAIT_MS)
    hit.tap()
    page.wait_for_function(
        "() => window.portal.identify.current?.feature && !window.portal.map.isMoving()",
        timeout=WAIT_MS)
    phone.idle()
    assert page.evaluate("window.portal.map.getZoom()") >= 17.5 - 1e-6
    lon, lat = address["geometry"]["coordinates"]
    x, y = page.evaluate(f"(() => {{ const p = window.portal.map.project([{lon}, {lat}]);"
                         " return [p.x, p.y]; })()")
    canvas = page.locator("#map canvas").bounding_box()
    card = page.locator("#card").bounding_box()
    assert 0 < x < canvas["width"] and 0 < canvas["y"] + y < card["y"], (x, y, card)


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_the_parcel_report_fits_a_phone(phone: Watched, demo_url: str, lang: str) -> None:
    """The neighbours' and restrictions' tables were wider than a phone's screen: the report
    laid out 569 px wide on a 390 px phone and showed zoomed out, in small print."""
    with psycopg.connect(demo_url) as conn:
        number = conn.execute(
            "SELECT p.cadastral_number FROM registry.land_parcel AS p WHERE EXISTS (SELECT 1 "
            "FROM registry.land_parcel AS n WHERE n.id <> p.id AND ST_Intersects(n.geom, "
            "p.geom)) ORDER BY p.id LIMIT 1").fetchone()[0]
    page = phone.page
    page.goto(f"{phone.base}/reports/parcels/{quote(number, safe='')}?f=html&lang={lang}",
              wait_until="load")
    assert page.locator("table").count() >= 2  # the parcel's and its neighbours'
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def test_phone_keeps_the_choice_in_sight_and_fits(phone: Watched, demo_url: str) -> None:
    with psycopg.connect(demo_url) as conn:
        pid, _, lon, lat = parcel_point(conn)
    page = phone.open(f"#map=17/{lat - 0.0012}/{lon}")  # the parcel low on the screen
    height = page.viewport_size["height"]
    assert page.locator("header.topbar").bounding_box()["height"] <= 0.1 * height
    tap(phone, lon, lat)
    page.wait_for_function(CARD_READY, timeout=WAIT_MS)
    phone.idle()
    card = page.locator("#card").bounding_box()
    canvas = page.locator("#map canvas").bounding_box()
    x, y = page.evaluate(f"(() => {{ const p = window.portal.map.project([{lon}, {lat}]);"
                         " return [p.x, p.y]; })()")
    assert 0 < x < canvas["width"] and canvas["y"] + y < card["y"], "the parcel is under the card"
    page.locator("#card-close").tap()
    highlighted = page.evaluate("window.portal.map.getSource('highlight').serialize().data")
    assert highlighted["geometry"]["type"] in ("Polygon", "MultiPolygon")  # still marked
    page.locator("#more-tools").tap()
    page.locator("#measure-distance").tap()
    menu_open = "document.getElementById('tools').classList.contains('open')"
    assert not page.evaluate(menu_open)  # a tool chosen closes the menu it was in
    for d in (0.0, 0.001):
        tap(phone, lon + d, lat)
    result = page.locator("#measure-result").bounding_box()
    assert result["x"] >= 0 and result["x"] + result["width"] <= page.viewport_size["width"]
    page.locator("#legend-toggle").tap()
    legend = page.locator("#legend-box")
    assert legend.is_visible() and legend.bounding_box()["width"] <= page.viewport_size["width"]
    assert page.locator("#legend button[data-status=expired]").is_visible()
    # the print dialog opens above the map, not under the menu it was chosen from
    page.locator("#legend-toggle").tap()
    page.locator("#more-tools").tap()
    assert page.evaluate(menu_open)
    page.locator("#print").tap()
    page.locator("#print-dialog").wait_for()
    assert not page.evaluate(menu_open)
    assert page.locator("#more-tools").get_attribute("aria-expanded") == "false"


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_the_print_dialog_fits_a_page_zoomed_to_200_percent(browser: Any, server: str,
                                                            lang: str) -> None:
    """At 200 % zoom on a 1366×900 screen (a 683×450 CSS viewport) the print dialog was
    taller than the window, and its buttons lay below it with no hint that it scrolls. The
    dialog fits, and its buttons stay in sight while its fields scroll."""
    context = browser.new_context(viewport={"width": 683, "height": 450}, device_scale_factor=2,
                                  locale="uk-UA", timezone_id="Europe/Kyiv")
    watched = Watched(context.new_page(), server)
    page = watched.open("#lang=en" if lang == "en" else "")
    if page.locator("#more-tools").is_visible():
        page.locator("#more-tools").click()
    page.locator("#print").click()
    dialog = page.locator("#print-dialog")
    dialog.wait_for()
    height = page.viewport_size["height"]

    def in_sight(selector: str) -> bool:
        return bool(page.evaluate("""(sel) => {
            const el = document.querySelector(sel), r = el.getBoundingClientRect();
            const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
            return r.top >= 0 && r.bottom <= innerHeight && (hit === el || el.contains(hit));
          }""", selector))

    box = dialog.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, box
    for button in ("#print-download", "#print-dialog button[value=cancel]"):
        assert in_sight(button), button
    dialog.evaluate("(d) => { d.scrollTop = d.scrollHeight; }")
    assert in_sight("#print-download") and in_sight("#print-paper")
    dialog.evaluate("(d) => { d.scrollTop = 0; }")
    assert in_sight("#print-download") and in_sight("#print-title")
    context.close()
    assert watched.errors == []


def test_an_address_card_leads_to_its_parcel_and_report(desktop: Watched, server: str) -> None:
    doc = httpx.get(f"{server}/collections/addresses/items",
                    params={"f": "json", "limit": 50}).json()
    address = next(f for f in doc["features"] if f["properties"].get("cadastral_number"))
    number = address["properties"]["cadastral_number"]
    page = desktop.open()
    page.evaluate(f"window.portal.identify.show('addresses', {address['id']})")
    page.wait_for_function(CARD_READY, timeout=WAIT_MS)
    report = page.locator("#card .address-parcel .parcel-report")
    assert report.get_attribute("href") == f"/reports/parcels/{quote(number, safe='')}?f=html"
    assert httpx.get(f"{server}{report.get_attribute('href')}").status_code == 200
    page.locator("#lang-switch").click()  # the report in the portal's language
    page.evaluate(f"window.portal.identify.show('addresses', {address['id']})")
    page.wait_for_function(CARD_READY, timeout=WAIT_MS)
    href = page.locator("#card .address-parcel .parcel-report").get_attribute("href")
    assert href == f"/reports/parcels/{quote(number, safe='')}?f=html&lang=en"
    assert '<html lang="en">' in httpx.get(f"{server}{href}").text
    page.locator("#card .open-parcel").click()
    page.wait_for_function("() => window.portal.identify.current?.collection === 'land_parcels'"
                           f" && {CARD}", timeout=WAIT_MS)
    assert page.locator("#card .card-key").inner_text() == number


# -- legend, list, location ----------------------------------------------------------------

def test_the_legend_filters_by_status(desktop: Watched, server: str) -> None:
    style = httpx.get(f"{server}/maps/city/style.json").json()
    lon, lat = style["center"]
    page = desktop.open(f"#map=14/{lat}/{lon}")
    shown = ("[...new Set(window.portal.map.queryRenderedFeatures({layers: "
             "['advertising_structures']}).map(f => f.properties.status))]")
    assert len(page.evaluate(shown)) > 1
    page.locator("#legend button[data-status=expired]").click()
    desktop.idle()
    assert page.evaluate(shown) == ["expired"]
    assert page.locator("#legend button[data-status=expired]").get_attribute(
        "aria-pressed") == "true"
    # the filter is part of the view a link shares: opened again, the link shows it
    assert "status=expired" in page.url
    link = page.url
    page.goto("about:blank")
    page = desktop.open(link.split("/", 3)[3])
    assert page.evaluate(shown) == ["expired"]
    assert page.locator("#legend button[data-status=expired]").get_attribute(
        "aria-pressed") == "true"
    page.locator("#legend .legend-all").first.click()
    desktop.idle()
    assert len(page.evaluate(shown)) > 1
    assert "status=" not in page.url
    # a status the legend has not (a link written by hand) is left out, not an empty map
    page.goto("about:blank")
    page = desktop.open(f"#map=14/{lat}/{lon}&status=nonsense,expired")
    assert page.evaluate(shown) == ["expired"]


def test_the_list_shows_a_registry_in_view_by_status(desktop: Watched, server: str) -> None:
    style = httpx.get(f"{server}/maps/city/style.json").json()
    lon, lat = style["center"]
    page = desktop.open(f"#map=13/{lat}/{lon}")
    page.locator("[role=tab][data-tab=list]").click()
    page.locator("#list-registry").select_option("advertising_structures")
    page.locator("#list-status").select_option("expired")
    rows = page.locator("#list-results .list-row")
    rows.first.wait_for(timeout=WAIT_MS)
    statuses = page.locator("#list-results .status-badge").evaluate_all(
        "els => els.map(e => e.dataset.status)")
    assert statuses and set(statuses) == {"expired"}
    first = int(rows.first.get_attribute("data-id") or 0)
    rows.first.click()
    page.wait_for_function(CARD_READY, timeout=WAIT_MS)
    assert page.evaluate("window.portal.identify.current.id") == first
    assert page.locator("#list-note").inner_text()


def test_a_row_chosen_with_the_keyboard_leaves_it_on_the_card(desktop: Watched) -> None:
    """Enter on a list row opened the card, and the keyboard stayed on the row; the list is
    drawn anew when the map stops moving, and the keyboard dropped to the page's body. It
    goes to the card's title, as after a search, and Escape brings it back to the row."""
    page = desktop.open("#map=16/49.4195/26.9969&lang=en")
    page.locator("[role=tab][data-tab=list]").click()
    rows = page.locator("#list-results .list-row")
    rows.first.wait_for(timeout=WAIT_MS)
    row = rows.nth(min(3, rows.count() - 1))
    chosen = row.get_attribute("data-id")
    row.evaluate("(el) => { window.chosenRow = el; }")
    row.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(CARD_READY, timeout=WAIT_MS)
    # the list drawn anew after the map moved to the object
    page.wait_for_function("() => !window.chosenRow.isConnected", timeout=WAIT_MS)
    desktop.idle()
    focused = page.evaluate("[document.activeElement.tagName, document.activeElement.textContent]")
    assert focused == ["H2", page.locator("#card h2").first.inner_text()]
    page.keyboard.press("Escape")
    assert page.locator("#card").is_hidden()
    assert page.evaluate("document.activeElement.dataset.id") == chosen


def test_my_location_centres_the_map(browser: Any, server: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, locale="uk-UA", permissions=["geolocation"],
                                  geolocation={"latitude": 49.4216, "longitude": 26.9965})
    watched = Watched(context.new_page(), server)
    page = watched.open("#map=12/49.40/26.95")
    page.locator(".maplibregl-ctrl-geolocate").tap()
    page.wait_for_function("() => Math.abs(window.portal.map.getCenter().lat - 49.4216) < 0.001"
                           " && !window.portal.map.isMoving()", timeout=WAIT_MS)
    assert page.locator(".maplibregl-ctrl-geolocate").get_attribute("title") == \
        "Моє місцезнаходження"
    context.close()
    assert watched.errors == []


# -- pygeoapi's pages -------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/collections/advertising_structures/items?f=html&limit=20",
                                  "/collections/streets/items/{street}?f=html",
                                  "/openapi?f=html", "/collections/land_parcels?f=html"])
def test_ogc_html_pages_load_nothing_from_another_host(browser: Any, server: str,
                                                       path: str) -> None:
    street = httpx.get(f"{server}/collections/streets/items",
                       params={"f": "json", "limit": 1}).json()["features"][0]["id"]
    context = browser.new_context(locale="en-US")  # the browser prefers English
    page = context.new_page()
    foreign: list[str] = []
    origin = urlsplit(server).netloc
    page.on("request", lambda r: foreign.append(r.url)
            if urlsplit(r.url).scheme in ("http", "https") and urlsplit(r.url).netloc != origin
            else None)
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400
            else None)
    page.goto(server + path.format(street=street), wait_until="networkidle")
    assert page.evaluate("document.documentElement.lang") == "uk"  # Ukrainian first
    if "openapi" in path:
        page.locator(".opblock").first.wait_for(timeout=WAIT_MS)  # Swagger UI drew the API
    else:
        page.locator(".ogc-map canvas").wait_for(timeout=WAIT_MS)  # the city's map is there
    switch = page.locator(".ogc-top .lang")
    assert switch.inner_text() == "English"
    switch.click()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.lang") == "en"
    body = page.locator("main, body.swagger h1").first.inner_text()
    if "items" in path:
        assert "Advertising structures" in body or "Streets" in body
    context.close()
    assert foreign == [] and failed == []


def test_api_answers_with_the_openapi_document(server: str) -> None:
    doc = httpx.get(f"{server}/api")
    assert doc.status_code == 200
    assert doc.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    assert doc.json()["openapi"].startswith("3.")
    assert "/collections/{collectionId}/items" in str(doc.json()["paths"]) or \
        any("/items" in p for p in doc.json()["paths"])
    html = httpx.get(f"{server}/api", headers={"Accept": "text/html"})
    assert html.status_code == 200 and "swagger-ui" in html.text
    assert "unpkg.com" not in html.text and "<script>" not in html.text


def test_ogc_item_page_reads_in_plain_words(server: str) -> None:
    reg = default_catalog().get("advertising_structures")
    feature = sample(server, "advertising_structures")
    page = httpx.get(f"{server}/collections/advertising_structures/items/{feature['id']}",
                     params={"f": "html"}).text
    p = feature["properties"]
    assert reg.field("structure_type").title["uk"] in page
    assert reg.field("structure_type").choice_title(p["structure_type"]) in page
    assert expected_date(p["valid_until"], "uk") in page
    assert "<script>" not in page and "unpkg.com" not in page
    english = httpx.get(f"{server}/collections/advertising_structures/items/{feature['id']}",
                        params={"f": "html", "lang": "en"}).text
    assert reg.field("structure_type").title["en"] in english
    assert expected_date(p["valid_until"], "en") in english

