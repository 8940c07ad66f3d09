"""Open data out: downloads per registry (GeoJSON, CSV, GeoPackage, Shapefile), the data.gov.ua
passport, ``gis export`` — read back with GDAL and compared with what PostGIS holds."""

from __future__ import annotations

import csv
import http.client
import io
import json
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import fiona
import httpx
import psycopg
import pytest

from registries.catalog import default_catalog
from registries.parcels import CATEGORIES
from tests.conftest import GIS, SRID


def test_csv_download_opens_in_excel_and_names_its_codes(server: str, demo_url: str) -> None:
    r = httpx.get(f"{server}/downloads/land_parcels.csv", timeout=60)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="land_parcels.csv"' in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for Cyrillic
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    with psycopg.connect(demo_url) as conn:
        n, first = conn.execute(
            "SELECT count(*), min(id) FROM open_data.land_parcel").fetchone() or (0, 0)
        truth = conn.execute(
            "SELECT cadastral_number, category, registered_on::text, ST_X(ST_Transform("
            "ST_PointOnSurface(geom), 4326)) FROM open_data.land_parcel WHERE id = %s",
            (first,)).fetchone()
    assert len(rows) == n and truth is not None
    row = rows[0]
    assert (row["cadastral_number"], row["category"]) == truth[:2]
    assert row["category_title"] == CATEGORIES.title(truth[1])
    assert row["registered_on"] == (truth[2] or "")  # ISO dates
    assert abs(float(row["lon"]) - truth[3]) < 1e-6 and row["crs"] == "EPSG:6383"
    assert row["wkt"].startswith("MULTIPOLYGON(((") and "holder_rnokpp" not in row
    assert 5_400_000 < float(row["x_ucs2000"]) < 5_500_000  # X = northing
    assert 280_000 < float(row["y_ucs2000"]) < 320_000


def _sheet(path: Path) -> tuple[dict[str, Any], list[list[Any]]]:
    """Return a workbook's first sheet as GDAL reads it: its fields' OGR types by name, and
    its rows (the header row is the field names)."""
    from pyogrio import raw

    meta, _, _, columns = raw.read(str(path), HEADERS="FORCE", datetime_as_string=True)
    types = dict(zip(meta["fields"], meta["ogr_types"], strict=True))
    return types, [list(row) for row in zip(*columns, strict=True)]


def test_the_spreadsheet_is_the_csv_with_every_cell_typed(server: str, tmp_path: Path) -> None:
    """Excel in a Ukrainian locale opens the comma CSV as one column and reads a purpose code
    02.01 as a date: the workbook has the CSV's columns and values, each cell typed (codes
    text, dates dates, numbers numbers), read back here by GDAL."""
    import math

    import numpy as np

    text = httpx.get(f"{server}/downloads/land_parcels.csv", timeout=60).content
    table = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    r = httpx.get(f"{server}/downloads/land_parcels.xlsx", timeout=120)
    assert r.status_code == 200 and r.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert 'filename="land_parcels.xlsx"' in r.headers["content-disposition"]
    path = tmp_path / "p.xlsx"
    path.write_bytes(r.content)
    types, rows = _sheet(path)
    assert list(types) == table[0] and len(rows) == len(table) - 1 > 100
    assert types["purpose_code"] == types["cadastral_number"] == types["wkt"] == "OFTString"
    assert types["registered_on"] == "OFTDate" and types["area_declared_ha"] == "OFTReal"
    assert types["id"] in ("OFTInteger", "OFTInteger64")
    assert any(row[table[0].index("purpose_code")].startswith("0") for row in rows)  # as written
    for want, got in zip(table[1:], rows, strict=True):
        for name, cell, value in zip(table[0], want, got, strict=True):
            kind = types[name]
            if cell == "":
                assert value is None or (isinstance(value, float) and math.isnan(value)) or (
                    isinstance(value, np.datetime64) and np.isnat(value)), (name, value)
            elif kind == "OFTReal":
                assert float(value) == float(cell), (name, cell, value)
            elif kind == "OFTDate":
                assert str(value) == cell, (name, cell, value)
            else:
                assert str(value) == cell, (name, cell, value)
    # Debian's GDAL (QGIS 3.22's) opens it too
    info = subprocess.run(["ogrinfo", "-ro", "-so", "-al", str(path)], capture_output=True,
                          text=True, timeout=120)
    assert info.returncode == 0 and f"Feature Count: {len(rows)}" in info.stdout, info.stdout


def test_a_spreadsheet_cell_holds_any_text_as_text(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A stored text that looks like a formula, a number or markup is that text in the cell;
    what XML cannot carry is written as OOXML's _xHHHH_; a text past Excel's 32,767
    characters is cut there; and a registry past its rows is refused, not cut."""
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from ingest.formats import xlsx

    texts = ["=HYPERLINK(\"http://x\",\"клік\")", "+380 67 000", "0012", "02.01",
             "<b>&amp;</b> ' \"", "рядок\nдругий", "Кам’янецька", "x" * 40_000]
    rows = [(i, t, Decimal("12.3400"), date(2024, 2, 29), i % 2 == 0, float("nan"))
            for i, t in enumerate(texts, 1)]
    columns: list[tuple[str, Any]] = [("id", "integer"), ("note", "text"), ("area", "number"),
                                      ("on", "date"), ("ok", "boolean"), ("bad", "number")]
    path = tmp_path / "t.xlsx"
    n = xlsx.write_sheet(path, "a[b]:c", columns, rows, stamp=datetime(2024, 3, 1, tzinfo=UTC))
    types, back = _sheet(path)
    assert n == len(texts) and types["note"] == "OFTString" and types["on"] == "OFTDate"
    assert [row[1] for row in back] == [*texts[:-1], "x" * 32_767]
    assert {float(row[2]) for row in back} == {12.34}
    assert {str(row[3]) for row in back} == {"2024-02-29"}  # Excel's 1900 leap bug folded in
    with zipfile.ZipFile(path) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet and 'name="a_b__c"' in zf.read("xl/workbook.xml").decode()
    controls = tmp_path / "c.xlsx"
    xlsx.write_sheet(controls, "c", [("note", "text")], [("a\x01b\x00_x0041_",)],
                     stamp=datetime(2024, 3, 1, tzinfo=UTC))
    with zipfile.ZipFile(controls) as zf:  # well-formed XML, each character recoverable
        from xml.etree import ElementTree

        cell = ElementTree.fromstring(zf.read("xl/worksheets/sheet1.xml")).findall(
            ".//{*}row")[1]
        assert "".join(cell.itertext()) == "a_x0001_b_x0000__x005F_x0041_"
    monkeypatch.setattr(xlsx, "MAX_ROWS", 4)
    with pytest.raises(xlsx.TooManyRows, match="more than 3 rows"):
        xlsx.write_sheet(tmp_path / "big.xlsx", "big", columns, rows,
                         stamp=datetime(2024, 3, 1, tzinfo=UTC))


def test_geojson_download_is_rfc7946(server: str, demo_url: str) -> None:
    r = httpx.get(f"{server}/downloads/advertising_structures.geojson", timeout=60)
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    doc = r.json()
    with psycopg.connect(demo_url) as conn:
        n = conn.execute("SELECT count(*) FROM open_data.advertising_structure").fetchone()
    assert n is not None and len(doc["features"]) == n[0] > 0
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert 26.8 < lon < 27.2 and 49.3 < lat < 49.5  # lon/lat, not northing/easting
    assert "distributor_rnokpp" not in doc["features"][0]["properties"]
    assert "status" in doc["features"][0]["properties"]  # derived fields too


@pytest.mark.parametrize("fmt", ["gpkg", "shp.zip"])
def test_gdal_reads_the_geopackage_and_shapefile(server: str, demo_url: str, tmp_path: Path,
                                                 fmt: str) -> None:
    r = httpx.get(f"{server}/downloads/temporary_structures.{fmt}", timeout=120)
    assert r.status_code == 200
    path = tmp_path / f"ts.{fmt}"
    path.write_bytes(r.content)
    info = subprocess.run(["ogrinfo", "-so", "-al", str(path) if fmt == "gpkg"
                           else f"/vsizip/{path}"], capture_output=True, text=True, check=True)
    # Debian's GDAL (QGIS 3.22's) warned of a GeoPackage 1.4 it "may only partially support"
    assert info.stderr == "", info.stderr
    assert "UCS-2000 / Ukraine TM zone 9" in info.stdout
    with psycopg.connect(demo_url) as conn:
        n = conn.execute("SELECT count(*) FROM open_data.temporary_structure").fetchone()
    assert n is not None and f"Feature Count: {n[0]}" in info.stdout
    uri = str(path) if fmt == "gpkg" else f"zip://{path}"
    with fiona.open(uri) as c:
        props = set(c.schema["properties"])
    assert "owner_rnok" not in props and "owner_rnokpp" not in props
    assert "owner_home" not in props and "owner_home_address" not in props


def test_downloads_list_and_passport(server: str) -> None:
    index = httpx.get(f"{server}/downloads", timeout=30).json()
    ids = {d["id"] for d in index["downloads"]}
    assert ids == {r.id for r in default_catalog() if r.public}
    meta = httpx.get(f"{server}/downloads/land_parcels/metadata.json", timeout=30).json()
    assert meta["title"] == "Земельні ділянки" and meta["license_id"] == "CC-BY-4.0"
    extras = {e["key"]: e["value"] for e in meta["extras"]}
    assert extras["Код КОАТУУ"] == "6810100000"
    assert extras["Умови використання"].endswith(f": {server}/downloads")  # the licence's link
    assert "РНОКПП" in extras["Обмеження доступу"]  # says what is withheld, and why
    assert {r["format"] for r in meta["resources"]} >= {"GEOJSON", "CSV", "GPKG", "SHP"}
    for resource in meta["resources"]:  # a harvester follows each (the SHP link was a 404)
        head = httpx.head(resource["url"], timeout=30)
        assert head.status_code == 200, (resource["url"], head.status_code)
    fields = {f["name"]: f for f in meta["structure"]["fields"]}
    assert "holder_rnokpp" not in fields and fields["category"]["codes"][0]["code"] == "100"
    assert httpx.get(f"{server}/downloads/land_parcels.docx", timeout=30).status_code == 404
    assert httpx.get(f"{server}/downloads/nope.csv", timeout=30).status_code == 404


def test_gis_export_writes_every_format_and_its_staff_variant(demo_url: str,
                                                              tmp_path: Path) -> None:
    env = {"GIS_DATABASE_URL": demo_url, "PATH": "/usr/bin:/bin"}
    for fmt in ("geojson", "csv", "xlsx", "gpkg", "shp", "metadata"):
        r = subprocess.run([GIS, "export", "addresses", "--format", fmt, "-o",
                            str(tmp_path / f"a.{fmt}")], env=env, capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert (tmp_path / f"a.{fmt}").stat().st_size > 100
    public = subprocess.run([GIS, "export", "land_parcels", "--format", "csv", "-o", "-"],
                            env=env, capture_output=True, timeout=120).stdout
    staff = subprocess.run([GIS, "export", "land_parcels", "--format", "csv", "--staff", "-o",
                            "-"], env=env, capture_output=True, timeout=120).stdout
    assert b"holder_rnokpp" in staff.split(b"\n")[0] and b"holder_rnokpp" not in public
    json.loads((tmp_path / "a.metadata").read_text(encoding="utf-8"))
    # -o a.shp is the Shapefile QGIS opens, beside its parts; any other name is the zip
    assert sorted(p.name for p in tmp_path.glob("a.*") if p.stem == "a" and p.suffix in (
        ".shp", ".shx", ".dbf", ".prj", ".cpg")) == ["a.cpg", "a.dbf", "a.prj", "a.shp", "a.shx"]
    geojson = json.loads((tmp_path / "a.geojson").read_text(encoding="utf-8"))
    with fiona.open(tmp_path / "a.shp") as layer:
        assert len(layer) == len(geojson["features"]) > 100
        assert layer.crs.to_epsg() == 6383
    r = subprocess.run([GIS, "export", "addresses", "--format", "shp", "-o",
                        str(tmp_path / "a.shp.zip")], env=env, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(tmp_path / "a.shp.zip") as zf:
        assert {Path(n).suffix for n in zf.namelist()} >= {".shp", ".shx", ".dbf", ".prj"}


def test_gis_export_refuses_targets_it_cannot_write_and_never_leaves_half_a_file(
        demo_url: str, tmp_path: Path) -> None:
    env = {"GIS_DATABASE_URL": demo_url, "PATH": "/usr/bin:/bin"}

    def export(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([GIS, "export", "water_bodies", *args], env=env,
                              capture_output=True, timeout=120, cwd=tmp_path)

    missing = export("--format", "csv", "-o", str(tmp_path / "no" / "x.csv"))
    assert missing.returncode == 2 and b"the folder " in missing.stderr
    assert b"does not exist" in missing.stderr and b"Traceback" not in missing.stderr
    folder = export("--format", "gpkg", "-o", str(tmp_path))
    assert folder.returncode == 2 and b"is a folder; name the file" in folder.stderr
    # a folder that takes no new file (as root no permission stops us: /proc does)
    closed = export("--format", "gpkg", "-o", "/proc/water.gpkg")
    assert closed.returncode == 2, closed.stderr
    assert b"cannot write /proc/water.gpkg: the folder /proc refuses new files" \
        in closed.stderr and b"unexpected" not in closed.stderr
    assert folder.returncode == 2 and b"is a folder; name the file" in folder.stderr
    wrong = export("--format", "csv", "--parcel", "6810100000:02:001:0001")
    assert wrong.returncode == 2 and b"use them with --format ua-xml" in wrong.stderr
    full = export("--format", "gpkg", "-o", "/dev/full")  # a device: copied, never replaced
    assert full.returncode == 2 and b"cannot write /dev/full: No space left" in full.stderr
    assert Path("/dev/full").is_char_device()
    # a GeoPackage or zipped Shapefile to standard output: the file's bytes
    gpkg = export("--format", "gpkg", "-o", "-")
    assert gpkg.returncode == 0 and gpkg.stdout.startswith(b"SQLite format 3"), gpkg.stderr
    shp = export("--format", "shp", "-o", "-")
    assert shp.returncode == 0 and shp.stdout.startswith(b"PK"), shp.stderr
    # an existing file is replaced only by a complete export; nothing else is left beside it
    target = tmp_path / "water.geojson"
    target.write_text("old")
    assert export("--format", "geojson", "-o", str(target)).returncode == 0
    assert json.loads(target.read_text(encoding="utf-8"))["type"] == "FeatureCollection"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["water.geojson"]


def test_the_open_data_page_lists_every_file_in_either_language(server: str) -> None:
    """A browser asking /downloads gets the open-data page: each public data set with its
    count, date, every file and its passport, what it withholds; in English (?lang=en) with
    not one Ukrainian word (the portal's rule: never mixed); JSON clients still get JSON."""
    import re
    from html.parser import HTMLParser

    from ingest.export import FORMATS, file_name

    class Page(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.links: list[str] = []
            self.text: list[str] = []
            self.skip = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.skip += tag in ("style", "code")
            self.links += [v or "" for k, v in attrs if k == "href" and tag == "a"]

        def handle_endtag(self, tag: str) -> None:
            self.skip -= tag in ("style", "code")

        def handle_data(self, data: str) -> None:
            if not self.skip:
                self.text.append(data)

    public = [reg for reg in default_catalog() if reg.public]
    html = {"Accept": "text/html,application/xhtml+xml"}
    pages, sources = {}, {}
    for lang, query in (("uk", ""), ("en", "?lang=en")):
        r = httpx.get(f"{server}/downloads{query}", headers=html, timeout=60)
        sources[lang] = r.text
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert f'<html lang="{lang}">' in r.text and r.headers["content-language"] == lang
        page = Page()
        page.feed(r.text)
        pages[lang] = page
        for reg in public:
            assert f'<article id="{reg.id}">' in r.text
            assert {f"/downloads/{file_name(reg, fmt)}" for fmt in FORMATS} | {
                f"/downloads/{reg.id}/metadata.json"} <= set(page.links), reg.id
            assert reg.title[lang] in page.text
    text = " ".join(pages["en"].text)
    assert "Not published (personal data of natural persons" in text  # land parcels
    assert not re.search("[А-Яа-яЇїІіЄєҐґ]", text.replace("Українська", "")), re.findall(
        r"\S*[А-Яа-яЇїІіЄєҐґ]\S*", text)[:10]
    assert "Не оприлюднюються" in " ".join(pages["uk"].text)
    # the date each data set changed, as each language writes it: the English as the
    # geoportal's cards and pygeoapi's pages do (6 December 2026)
    months = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
    for lang, written in (("uk", "{d:02d}.{m:02d}.{y}"), ("en", "{d} {month} {y}")):
        stamps = re.findall(r'<time datetime="(\d{4})-(\d\d)-(\d\d)[^"]*">([^<]+)</time>',
                            sources[lang])
        assert len(stamps) >= len(public) // 2, lang  # the demo's data sets have changed
        for y, m, d, shown in stamps:
            assert shown == written.format(d=int(d), m=int(m), y=y,
                                           month=months[int(m) - 1]), (lang, shown)
    for link in {link for link in pages["uk"].links if link.startswith("/downloads/")}:
        head = httpx.head(f"{server}{link}", timeout=120)  # a link on the page is no 404
        assert head.status_code == 200, (link, head.status_code)
    assert httpx.get(f"{server}/downloads", timeout=60).json()["downloads"]  # JSON as before
    for other in ("xx", "\x00", "en" * 2000):  # a language we do not write: Ukrainian
        r = httpx.get(f"{server}/downloads", params={"lang": other, "f": "html"}, timeout=60)
        assert r.status_code == 200 and r.headers["content-language"] == "uk", other
        assert '<html lang="uk">' in r.text, other


def test_the_geoportal_offers_each_layers_downloads(server: str) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    from tests.test_portal import ARGS, CHROMIUM

    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page()
            page.goto(f"{server}/", wait_until="load")
            link = page.locator('#layer-groups a[href="/downloads/land_parcels.geojson"]')
            link.wait_for(state="attached", timeout=30_000)
            assert link.get_attribute("title") == "Завантажити відкриті дані: GEOJSON"
            assert page.get_attribute("a.open-data", "href") == "/downloads"
            page.click("#lang-switch")
            page.wait_for_function("() => document.querySelector('a.open-data')"
                                   ".getAttribute('href') === '/downloads?lang=en'")
            hrefs = page.eval_on_selector_all("#layer-groups .downloads a",
                                              "links => links.map(a => a.getAttribute('href'))")
        finally:
            browser.close()
    public = [r.id for r in default_catalog() if r.public]
    assert sorted(hrefs) == sorted(f"/downloads/{rid}.{fmt}" for rid in public
                                   for fmt in ("geojson", "csv", "xlsx"))
    assert httpx.get(f"{server}{hrefs[0]}", timeout=60).status_code == 200


LOCKS = ("SELECT count(*) FROM pg_locks WHERE relation = 'published.land_parcel'::regclass "
         "AND pid <> pg_backend_pid() AND granted = %s")


def _wait_for_export_blocked(conn: psycopg.Connection, seconds: float = 30.0) -> None:
    """Wait until a download's query waits for the lock the test holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if conn.execute(LOCKS, (False,)).fetchone()[0]:
            return
        time.sleep(0.05)
    raise AssertionError("no download reached the database: its slot was taken")


def test_a_download_left_mid_way_or_asked_by_head_gives_back_its_slot(
        server: str, demo_url: str) -> None:
    """Two cancelled downloads (or two HEADs) once kept both download slots and a pooled
    connection each: every later download was a 503 until a restart."""
    from app.export_routes import MAX_CONCURRENT

    host, port = server.removeprefix("http://").split(":")
    for _ in range(MAX_CONCURRENT + 2):
        head = httpx.head(f"{server}/downloads/land_parcels.csv", timeout=30)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-type"].startswith("text/csv")
    with psycopg.connect(demo_url, autocommit=True) as watch:
        for fmt in ["csv", "geojson"] * (MAX_CONCURRENT + 1):
            # The export waits for this lock, so the client surely leaves before it ends.
            with psycopg.connect(demo_url) as lock:
                lock.execute("LOCK TABLE published.land_parcel IN ACCESS EXCLUSIVE MODE")
                client = http.client.HTTPConnection(host, int(port), timeout=30)
                client.request("GET", f"/downloads/land_parcels.{fmt}")
                _wait_for_export_blocked(watch)
                client.close()
                time.sleep(0.2)  # the server hears the disconnect while the query waits
                lock.rollback()
            deadline = time.monotonic() + 30
            while watch.execute(LOCKS, (True,)).fetchone()[0]:  # the query ends, read or not
                assert time.monotonic() < deadline, "the left download's query still runs"
                time.sleep(0.05)
    r = httpx.get(f"{server}/downloads/land_parcels.csv", timeout=60)
    assert r.status_code == 200 and r.text.count("\n") > 100


def test_the_csv_streams_in_pieces_not_rows(demo_url: str) -> None:
    """PostgreSQL's COPY hands over a row at a time; sent so, each row cost a thread hop (the
    city's 61,444 parcels took 9.7 s against 1.1 s in pieces)."""
    from ingest.export import CHUNK_BYTES, csv_chunks

    reg = default_catalog().get("addresses")
    with psycopg.connect(demo_url) as conn:
        pieces = list(csv_chunks(conn, reg, SRID))
    size = sum(map(len, pieces))
    rows = b"".join(pieces).count(b"\n")
    assert rows > 500 and size > CHUNK_BYTES  # several pieces' worth
    assert all(len(p) >= CHUNK_BYTES for p in pieces[:-1])
    assert len(pieces) <= size // CHUNK_BYTES + 1


# rdflib's own JSON-LD parser still builds a ConjunctiveGraph (rdflib 7 deprecates it)
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_the_dcat_catalogue_reads_as_rdf_and_links_every_file(server: str) -> None:
    """data.gov.ua's CKAN harvests DCAT (ckanext-dcat parses it with rdflib): one request lists
    every public data set with its titles, publisher, licence, frequency and files, each file
    answering with the media type the catalogue names."""
    import rdflib

    r = httpx.get(f"{server}/downloads/catalog.jsonld", timeout=60)
    assert r.status_code == 200 and r.headers["content-type"] == "application/ld+json"
    g = rdflib.Graph().parse(data=r.text, format="json-ld")
    dcat, dct = rdflib.Namespace("http://www.w3.org/ns/dcat#"), rdflib.DCTERMS
    (cat,) = g.subjects(rdflib.RDF.type, dcat.Catalog)
    datasets = set(g.objects(cat, dcat.dataset))
    ids = {str(g.value(d, dct.identifier)) for d in datasets}
    assert ids == {f"6810100000-{reg.id}" for reg in default_catalog() if reg.public}
    publisher = g.value(cat, dct.publisher)
    assert {(str(n), n.language) for n in g.objects(publisher, rdflib.FOAF.name)} == {
        ("Хмельницька міська рада", "uk"), ("Khmelnytskyi City Council", "en")}
    files = 0
    for d in datasets:
        titles = {t.language for t in g.objects(d, dct.title)}
        assert titles == {"uk", "en"}, d
        assert g.value(d, dct.modified) is not None
        assert str(g.value(d, dct.accrualPeriodicity)).endswith("/frequency/QUARTERLY")
        assert str(g.value(d, dct.spatial / dcat.bbox)).startswith("POLYGON((26.")
        assert str(g.value(d, dcat.landingPage)) == f"{server}/downloads"  # the open-data page
        for dist in g.objects(d, dcat.distribution):
            url = str(g.value(dist, dcat.downloadURL))
            mime = str(g.value(dist, dcat.mediaType)).rsplit("media-types/", 1)[1]
            head = httpx.head(url, timeout=60)
            assert head.status_code == 200, url
            assert head.headers["content-type"].split(";")[0] == mime, (url, mime)
            assert g.value(dist, dct.license) == rdflib.URIRef(
                "https://creativecommons.org/licenses/by/4.0/")
            files += 1
    assert files == len(datasets) * 6  # five formats and the passport


def test_gdal_opens_the_written_downloads_by_their_urls(server: str, demo_url: str) -> None:
    """QGIS's "add vector layer" from a URL is GDAL's /vsicurl/: a HEAD for the length, then
    byte ranges."""
    with psycopg.connect(demo_url) as conn:
        n = conn.execute("SELECT count(*) FROM open_data.land_parcel").fetchone()[0]
    for source in (f"/vsicurl/{server}/downloads/land_parcels.gpkg",
                   f"/vsizip//vsicurl/{server}/downloads/land_parcels.shp.zip/land_parcels.shp"):
        out = subprocess.run(["ogrinfo", "-ro", "-so", "-al", source], capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert f"Feature Count: {n}" in out.stdout, out.stdout


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "xlsx"])
def test_the_same_data_writes_the_same_bytes(demo_url: str, tmp_path: Path, fmt: str) -> None:
    """GDAL stamps a GeoPackage with the time it is written and a DBF with the day: given the
    data's own stamp instead, two writes are one file (so ranges fit across servers too)."""
    from datetime import UTC, datetime

    from ingest.export import write_vector

    reg = default_catalog().get("streets")
    stamp = datetime(2024, 3, 1, 12, 30, tzinfo=UTC)
    with psycopg.connect(demo_url) as conn:
        one = write_vector(conn, reg, SRID, fmt, tmp_path / f"one.{fmt}", stamp=stamp)
        two = write_vector(conn, reg, SRID, fmt, tmp_path / f"two.{fmt}", stamp=stamp)
    assert one.read_bytes() == two.read_bytes()
    if fmt == "xlsx":
        with zipfile.ZipFile(one) as zf:
            assert {i.date_time for i in zf.infolist()} == {(2024, 3, 1, 12, 30, 0)}
    if fmt == "shp":
        with zipfile.ZipFile(one) as zf:
            dbf = zf.read("streets.dbf")
            assert {i.date_time for i in zf.infolist()} == {(2024, 3, 1, 12, 30, 0)}
        assert tuple(dbf[1:4]) == (124, 3, 1)  # the DBF's date of last update


def test_a_geopackage_1_2_whose_tag_names_its_writer(demo_url: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The GeoPackage is version 1.2 (older GDALs, QGIS 3.22's, read it without a warning), and
    the download's tag names the writer: other bytes of the same data get another tag."""
    import sqlite3

    from ingest import export

    reg = default_catalog().get("streets")
    with psycopg.connect(demo_url) as conn:
        path = export.write_vector(conn, reg, SRID, "gpkg", tmp_path / "s.gpkg")
        before = export.public_state(conn, reg).tag
        monkeypatch.setattr(export, "GEOPACKAGE_VERSION", "1.3")
        after = export.public_state(conn, reg).tag
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone() == (10200,)
    finally:
        db.close()
    assert before != after
    # GDAL's GeoPackage validator (Debian's python3-gdal, which QGIS brings) finds nothing; the
    # 1.4 file GDAL 3.12 wrote by default failed it (its R-tree triggers are newer than 3.6)
    check = subprocess.run(["/usr/bin/python3", "-m", "osgeo_utils.samples.validate_gpkg",
                            str(path)], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0 and check.stdout == "", check.stdout + check.stderr


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "xlsx"])
def test_gis_export_writes_the_downloads_bytes(server: str, demo_url: str, tmp_path: Path,
                                               fmt: str) -> None:
    """The CLI and the download endpoint are one export: the same file, byte for byte."""
    env = {"GIS_DATABASE_URL": demo_url, "PATH": "/usr/bin:/bin"}
    # the download's own name: a .shp alone is the Shapefile itself, beside its parts
    target = tmp_path / f"streets.{'shp.zip' if fmt == 'shp' else fmt}"
    r = subprocess.run([GIS, "export", "streets", "--format", fmt, "-o", str(target)], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    name = {"gpkg": "streets.gpkg", "shp": "streets.shp.zip", "xlsx": "streets.xlsx"}[fmt]
    download = httpx.get(f"{server}/downloads/{name}", timeout=120)
    assert download.status_code == 200 and download.content == target.read_bytes()


def test_text_downloads_come_gzipped_to_a_client_that_takes_it(server: str) -> None:
    """The same bytes as the plain file, a fraction of them on the wire, under their own ETag
    (a cache must not answer a plain request with the gzipped body)."""
    import gzip

    url = f"{server}/downloads/addresses.csv"
    plain = httpx.get(url, headers={"Accept-Encoding": "identity"}, timeout=60)
    assert "content-encoding" not in plain.headers
    with httpx.stream("GET", url, headers={"Accept-Encoding": "gzip"}, timeout=60) as r:
        assert r.headers["content-encoding"] == "gzip"
        assert "Accept-Encoding" in r.headers["vary"]
        packed = b"".join(r.iter_raw())
    assert gzip.decompress(packed) == plain.content and len(packed) < len(plain.content) / 3
    assert r.headers["etag"] != plain.headers["etag"]
    again = httpx.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": r.headers["etag"]},
                      timeout=60)
    assert again.status_code == 304
    assert httpx.get(url, headers={"Accept-Encoding": "identity",
                                   "If-None-Match": r.headers["etag"]}).status_code == 200


def test_written_files_keep_one_file_per_state_and_the_one_before(tmp_path: Path) -> None:
    """A file is written once per public state; a new state's file replaces all but the one
    before it (a response may be about to open that); the folder is the server's alone."""
    from app.export_routes import WrittenFiles
    from ingest.export import PublicState

    reg = default_catalog().get("streets")
    files = WrittenFiles(tmp_path)
    written: list[str] = []

    def write(_reg: Any, _fmt: str, state: PublicState, target: Path) -> None:
        written.append(state.tag)
        target.write_bytes(state.tag.encode())

    states = [PublicState(1, None, tag) for tag in ("a1", "b2", "c3")]
    paths = [files.get(reg, "gpkg", st, write) for st in states[:1] * 2 + states[1:]]
    assert written == ["a1", "b2", "c3"]  # the second ask for a1 read the written file
    assert paths[0] == paths[1] and paths[3].read_bytes() == b"c3"
    assert sorted(p.name for p in files.root().iterdir()) == [
        "streets-b2.gpkg", "streets-c3.gpkg"]
    assert files.cached(reg, "gpkg", states[0]) is None
    assert files.cached(reg, "shp", states[2]) is None  # another format, another file
    assert files.root().stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("fmt", ["geojson", "csv", "xlsx", "gpkg", "shp"])
def test_every_public_export_imports_back_unchanged(demo_url: str, tmp_path: Path,
                                                    fmt: str) -> None:
    """A council exports a registry, edits a few objects in QGIS or Excel (the workbook itself,
    or the CSV) and imports the file back (``--mode upsert --keep-ids``): every field the
    export carries maps back by itself —
    a Shapefile's numbered short names (``distribu_1``), GeoJSON's feature ids — and the
    untouched objects are unchanged: no text cut by the DBF's 254 bytes replaces the stored
    one, no known problem of an untouched object refuses the file."""
    from ingest.export import exported_fields, text_chunks, write_vector
    from ingest.job import FileOptions, import_file
    from ingest.load import ImportOptions

    for reg in default_catalog():
        path = tmp_path / f"{reg.id}.{fmt}"
        with psycopg.connect(demo_url) as conn:
            if fmt in ("geojson", "csv"):
                path.write_bytes(b"".join(text_chunks(conn, reg, SRID, fmt)))
            else:
                write_vector(conn, reg, SRID, fmt, path)
            report = import_file(conn, reg, path, FileOptions(), ImportOptions(
                mode="upsert", keep_ids=True, dry_run=True, storage_srid=SRID, user="tester"))
            conn.rollback()
        carried = {f.name for f in exported_fields(reg, False) if f.column and not f.derived}
        mapped = {m["field"] for m in report.mapping}
        assert carried - mapped == set(), (reg.id, report.mapping, report.ignored_columns)
        assert not report.refused, (reg.id, [p for p in report.problems
                                             if p.severity != "warning"][:5])
        assert (report.inserted, report.updated, report.deleted) == (0, 0, 0), reg.id
        assert report.unchanged == report.rows > 0 or report.rows == 0, reg.id


@pytest.mark.parametrize("registry", ["addresses", "advertising_structures"])
def test_a_csvs_lon_lat_alone_bring_its_points_back_unchanged(demo_url: str, tmp_path: Path,
                                                              registry: str) -> None:
    """A spreadsheet user keeps lon and lat and drops the WKT and the UCS-2000 columns: the
    points come back within the 5 mm an import calls unchanged (7 decimals of a degree were
    up to 5.5 mm off)."""
    from ingest.export import text_chunks
    from ingest.job import FileOptions, import_file
    from ingest.load import ImportOptions

    reg = default_catalog().get(registry)
    path = tmp_path / f"{registry}.csv"
    with psycopg.connect(demo_url) as conn:
        text = b"".join(text_chunks(conn, reg, SRID, "csv")).decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.DictWriter(out, [k for k in rows[0] if k not in (
                "wkt", "x_ucs2000", "y_ucs2000", "crs")],
                                    extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        report = import_file(conn, reg, path, FileOptions(), ImportOptions(
            mode="upsert", keep_ids=True, dry_run=True, storage_srid=SRID, user="tester"))
        conn.rollback()
    assert not report.refused, report.problems[:5]
    assert (report.updated, report.unchanged) == (0, len(rows)), report.problems[:5]


@pytest.mark.parametrize("path", ["/downloads/land_parcels/metadata.json",
                                  "/downloads/catalog.jsonld"])
def test_passports_and_the_catalogue_answer_a_harvesters_conditional_get(server: str,
                                                                         path: str) -> None:
    """A CKAN or DCAT harvester polls these daily: with the ETag it was given it gets 304 and
    no body while they are the same bytes, and the whole document once they are not."""
    import hashlib

    first = httpx.get(server + path, timeout=30)
    assert first.status_code == 200 and first.headers["cache-control"] == "no-cache"
    tag = first.headers["etag"]
    assert tag == '"m-' + hashlib.sha256(first.content).hexdigest()[:32] + '"'  # the bytes'
    again = httpx.get(server + path, headers={"If-None-Match": f'"other", W/{tag}'}, timeout=30)
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", tag)
    stale = httpx.get(server + path, headers={"If-None-Match": '"m-0"'}, timeout=30)
    assert stale.status_code == 200 and stale.content == first.content


def test_a_registry_past_a_worksheets_rows_is_refused_not_cut(
        demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worksheet holds 1,048,576 rows: a larger registry's workbook is a clear refusal that
    names the other formats (here with the limit lowered to the streets' few rows)."""
    from gis.errors import InvalidParameter
    from ingest.export import write_vector
    from ingest.formats import xlsx

    monkeypatch.setattr(xlsx, "MAX_ROWS", 4)
    with psycopg.connect(demo_url) as conn, pytest.raises(
            InvalidParameter, match=r"^streets has more than 3 rows: a worksheet holds no more; "
                                    r"take the CSV or the GeoPackage$"):
        write_vector(conn, default_catalog().get("streets"), SRID, "xlsx", tmp_path / "s.xlsx")


@pytest.mark.parametrize("fmt", ["csv", "geojson", "gpkg", "metadata"])
def test_gis_export_to_a_pipe_its_reader_closed_ends_quietly(db_url: str, fmt: str) -> None:
    """`gis export land_parcels --format csv -o - | head` (the docs' example) printed "error:
    cannot write -: Broken pipe" and exited 2. A reader that leaves is no error: no message,
    and the status of a tool SIGPIPE ended (141), as `cat` would give."""
    env = {"GIS_DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen([GIS, "export", "land_parcels", "--format", fmt, "-o", "-"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first byte
    stderr = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 141, stderr
    # (a GeoPackage's progress lines are there as always)
    assert b"error" not in stderr.lower() and b"pipe" not in stderr.lower(), stderr
    assert b"Exception" not in stderr and b"Traceback" not in stderr, stderr
