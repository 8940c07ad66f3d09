"""No personal value reaches the public: a walk over every anonymous output path of the demo city.

The forbidden values are read from the ``registry`` tables' personal columns as the registries
declare them (``Field.personal``, and ``Field.personal_if`` where it applies, e.g. the names of
natural-person holders). A value that the registries also publish in a public column (a sole
proprietor who shares a name with a natural-person holder, a home address that is also an
address object) proves nothing and is left out; every other one must appear in no response.
"""

from __future__ import annotations

import gzip
import math
import re
from typing import Any
from urllib.parse import quote

import httpx
import mapbox_vector_tile
import psycopg
import pytest
from psycopg import sql

from registries.catalog import default_catalog
from registries.model import FieldType

MIN_LENGTH = 6  # shorter values ("Іван") would match innocent text


def forbidden_values(conn: psycopg.Connection) -> dict[str, str]:
    """Return {value: "collection.field"} of every personal value stored in the registries."""
    found: dict[str, str] = {}
    public: set[str] = set()
    for reg in default_catalog():
        for f in reg.fields:
            if f.personal or f.personal_if:
                where = sql.SQL("TRUE")
                if f.personal_if and not f.personal:
                    where = sql.SQL("{} = {}").format(sql.Identifier(f.personal_if.field),
                                                      sql.Literal(f.personal_if.equals))
                rows = conn.execute(sql.SQL(
                    "SELECT DISTINCT {col}::text FROM {t} WHERE {col} IS NOT NULL AND {w}").format(
                    col=sql.Identifier(f.column), t=sql.Identifier(reg.schema, reg.table),
                    w=where))
                for (value,) in rows:
                    if len(value.strip()) >= MIN_LENGTH:
                        found.setdefault(value.strip(), f"{reg.id}.{f.name}")
        public_text = [f for f in reg.public_fields if f.type == FieldType.TEXT and f.is_stored]
        for f in public_text:
            view = sql.Identifier(*reg.public_view)
            public.update(r[0] for r in conn.execute(sql.SQL(
                "SELECT DISTINCT {}::text FROM {} WHERE {} IS NOT NULL").format(
                sql.Identifier(f.column), view, sql.Identifier(f.column))))
    return {v: where for v, where in found.items() if v not in public}


@pytest.fixture(scope="module")
def forbidden(demo_url: str) -> dict[str, str]:
    with psycopg.connect(demo_url) as conn:
        values = forbidden_values(conn)
    kinds = {where.split(".")[0] for where in values.values()}
    # the walk is only worth something if the demo city holds personal data to leak
    assert {"land_parcels", "advertising_structures", "temporary_structures"} <= kinds, kinds
    # sole proprietors' (ФОП) own phones and e-mails included: their names are public, their
    # contacts are a natural person's
    sources = set(values.values())
    assert {"advertising_structures.distributor_phone",
            "advertising_structures.distributor_email"} <= sources, sources
    return values


class Walk:
    """Fetch anonymous responses and remember every leak found in them."""

    def __init__(self, server: str, forbidden: dict[str, str]) -> None:
        self.server = server
        self.forbidden = forbidden
        # no keep-alive: checking a large page can outlast the server's keep-alive timeout
        self.client = httpx.Client(base_url=server, timeout=60,
                                   limits=httpx.Limits(max_keepalive_connections=0))
        self.pattern = re.compile("|".join(
            re.escape(v) for v in sorted(forbidden, key=len, reverse=True)))
        self.leaks: list[str] = []
        self.errors: list[str] = []
        self.visited = 0

    def check_text(self, where: str, text: str, echoed: str = "") -> None:
        if echoed:  # a value the request itself carried and the response repeats is no leak
            text = text.replace(echoed, "")
        for value in sorted({m.group(0) for m in self.pattern.finditer(text)}):
            self.leaks.append(f"{where}: {self.forbidden[value]} value {value!r}")

    def get(self, path: str, echoed: str = "", **kw: Any) -> httpx.Response:
        r = self.client.get(path, **kw)
        if r.status_code >= 500:  # not a leak (500 bodies carry no internals); said at the end
            self.errors.append(f"{r.status_code} {path}")
        self.visited += 1
        ctype = r.headers.get("content-type", "")
        if "protobuf" in ctype or "mvt" in ctype:
            self.check_tile(path, r.content)
        elif ctype.startswith("application/pdf"):
            self.check_pdf(path, r.content)
            self.check_text(path, str(r.headers), echoed)
        else:
            self.check_text(path, r.text, echoed)
            self.check_text(path, str(r.headers), echoed)
        return r

    def check_pdf(self, where: str, body: bytes) -> None:
        """Check the text of every page of a PDF (an extract) and its metadata."""
        import io

        import pdfplumber

        with pdfplumber.open(io.BytesIO(body)) as pdf:
            # map labels are drawn twice (halo, then glyphs): one copy of each character
            texts = [page.dedupe_chars().extract_text() for page in pdf.pages]
            texts.append(str(pdf.metadata))
        self.check_text(where, "\n".join(texts))

    def check_tile(self, where: str, body: bytes) -> None:
        if not body:
            return
        if body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        tile = mapbox_vector_tile.decode(body)
        texts = [str(v) for layer in tile.values() for feat in layer["features"]
                 for v in (*feat["properties"].keys(), *feat["properties"].values())]
        self.check_text(where, "\n".join(texts))


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def first_point(geometry: dict[str, Any]) -> tuple[float, float]:
    coords: Any = geometry["coordinates"]
    while isinstance(coords[0], list):
        coords = coords[0]
    return float(coords[0]), float(coords[1])


def test_the_walk_would_see_a_leak(demo_url: str, forbidden: dict[str, str]) -> None:
    """Control: what staff read of a natural-person parcel is caught as a leak."""
    walk = Walk("http://unused", forbidden)
    with psycopg.connect(demo_url) as conn:
        row = conn.execute("SELECT row_to_json(t)::text FROM staff_data.land_parcel t "
                           "WHERE holder_kind = 'natural' LIMIT 1").fetchone()
    assert row is not None
    walk.check_text("control", row[0])
    walk.client.close()
    assert any("holder_name" in leak for leak in walk.leaks), walk.leaks
    assert any("holder_rnokpp" in leak for leak in walk.leaks), walk.leaks


@pytest.mark.timeout(900)  # thousands of requests: minutes on a shared 2-core machine
def test_no_personal_value_in_any_anonymous_response(server: str,
                                                     forbidden: dict[str, str]) -> None:
    walk = Walk(server, forbidden)
    for path in ("/", "/?f=json", "/conformance?f=json", "/openapi?f=json", "/collections?f=json",
                 "/collections?f=html", "/tiles", "/maps", "/tileMatrixSets",
                 "/login", "/me", "/qgis/project.qgs", "/qgis/project.qgs?lang=en",
                 "/qgis/service-entry", "/qgis/server.crt", "/metrics"):
        walk.get(path)
    collections = walk.get("/collections?f=json").json()["collections"]
    staff_ids = {r.id for r in default_catalog() if any(f.personal or f.personal_if
                                                        for f in r.fields)}
    points: list[tuple[float, float]] = []
    for coll in collections:
        cid = coll["id"]
        base = f"/collections/{cid}"
        for path in (f"{base}?f=json", f"{base}?f=html", f"{base}/queryables?f=json",
                     f"{base}/queryables?f=html", f"{base}/schema?f=json",
                     f"{base}/schema?f=html", f"{base}/queryables?f=json&lang=en",
                     f"{base}/feature-schema", f"{base}/tiles"):
            walk.get(path)
        page = walk.get(f"{base}/items?f=json&limit=10000").json()
        features = page["features"]
        assert page["numberMatched"] == len(features), cid  # every object was checked
        walk.get(f"{base}/items?f=html&limit=500")
        walk.get(f"{base}/items?f=jsonld&limit=500")
        walk.get(f"{base}/items?f=csv&limit=10000")
        walk.get(f"{base}/items?f=json&limit=50&skipGeometry=true&sortby=-id")
        walk.get(f"{base}/items?f=json&limit=50&crs=http://www.opengis.net/def/crs/EPSG/0/6383")
        sample = features[:15] if cid in staff_ids else features[:2]
        for feat in sample:
            fid = feat["id"]
            walk.get(f"{base}/items/{fid}?f=json")
            walk.get(f"{base}/items/{fid}?f=html")
            walk.get(f"{base}/items/{fid}?f=html&lang=en")
            walk.get(f"{base}/items/{fid}?f=jsonld")  # our template (ogc/templates)
            walk.get(f"/registries/{cid}/items/{fid}/history")
            if cid in staff_ids and feat.get("geometry"):
                points.append(first_point(feat["geometry"]))
        for path in (f"/registries/{cid}/problems", f"/registries/{cid}/dismantling",
                     f"/registries/{cid}/as-of?at=2026-11-01T12:00:00Z"):
            walk.get(path)
        if cid == "land_parcels":
            for feat in features[:15]:
                number = feat["properties"]["cadastral_number"]
                walk.get(f"/reports/parcels/{quote(number)}")
                walk.get(f"/reports/parcels/{quote(number)}?f=html")
                walk.get(f"/reports/parcels/{quote(number)}?f=html&lang=en")
                # the printable extract (PDF text) and the register's check of it
                extract = walk.get(f"/extracts/parcels/{quote(number)}")
                issued = extract.headers.get("x-extract-number")
                assert extract.status_code == 200 and issued, extract.text[:300]
                walk.get(f"/extracts/{issued}")
                walk.get(f"/extracts/{issued}?f=html")
                walk.get(f"/extracts/{issued}?f=html&lang=en")
                walk.get(f"/extracts/{issued}?f=html")
        elif cid in staff_ids:
            for feat in features[:3]:
                extract = walk.get(f"/extracts/collections/{cid}/items/{feat['id']}")
                assert extract.status_code == 200, extract.text[:300]
                walk.get(f"/extracts/{extract.headers['x-extract-number']}")
    # tiles: the whole-city map and each collection, at every zoom band, where the objects
    # with personal data lie
    tms = "WebMercatorQuad"
    for z in (12, 14, 16, 18):
        for x, y in sorted({tile_of(lon, lat, z) for lon, lat in points}):
            walk.get(f"/tiles/{tms}/{z}/{y}/{x}")
            walk.get(f"/maps/city/{z}/{x}/{y}.mvt")
            for cid in staff_ids:
                walk.get(f"/collections/{cid}/tiles/{tms}/{z}/{y}/{x}")
    # the same in the UCS-2000 print grid (1:25 000 … 1:1 000) and the QGIS project
    from pyproj import Transformer

    from tiles.grids import vector_grids

    ucs = vector_grids(6383, 20, 49.42)["UCS2000TM9"]
    to_ucs = Transformer.from_crs("OGC:CRS84", 6383, always_xy=True)
    for z in (4, 6, 8):
        for x, y in sorted({ucs.tile_range((e, n, e, n), z)[:2]  # type: ignore[index]
                            for e, n in (to_ucs.transform(*p) for p in points[:40])}):
            walk.get(f"/tiles/UCS2000TM9/{z}/{y}/{x}")
            for cid in staff_ids:
                walk.get(f"/collections/{cid}/tiles/UCS2000TM9/{z}/{y}/{x}")
    walk.get("/qgis/project.qgs?access=public")
    # what the geoportal shows for a click on the ground there, and its map styles
    for lon, lat in points[:40]:
        walk.get("/search/place", params={"lon": lon, "lat": lat})
    for path in ("/maps/city/style.json", "/maps/city/style.json?lang=en", "/api"):
        walk.get(path)
    # search, and error messages that might quote data: asking with a personal value (e.g. a
    # surname) must neither find the person nor name anyone else's personal data
    contacts = [v for v, where in forbidden.items() if where.split(".")[1] in (
        "distributor_phone", "distributor_email")]
    for value in list(forbidden)[:40] + contacts:
        walk.get("/search", echoed=value, params={"q": value})
        walk.get("/search", echoed=value.split()[0], params={"q": value.split()[0]})
        walk.get("/search", echoed=value, params={"q": value,
                                                  "collections": "advertising_structures"})
        walk.get("/collections/land_parcels/items", echoed=value,
                 params={"f": "json", "filter": f"holder_name = '{value}'"})
        for fmt in ("json", "html"):
            for cid in ("land_parcels", "advertising_structures", "temporary_structures"):
                found = walk.get(f"/collections/{cid}/items", echoed=value,
                                 params={"f": fmt, "q": value})
                if fmt == "json" and found.status_code == 200:  # q never finds by a hidden value
                    assert found.json()["numberMatched"] == 0 or "ФОП" in value, (cid, value)
        walk.get("/collections/advertising_structures/items", echoed=value,
                 params={"f": "json", "filter": f"distributor_phone = '{value}'"})
        walk.get("/collections/advertising_structures/items", echoed=value,
                 params={"f": "html", "distributor_email": value})
    for lon, lat in points[:3]:  # a map view around objects with personal data
        walk.get("/extracts", params={"center": f"{lon},{lat}", "scale": "2000",
                                      "layers": ",".join(sorted(staff_ids))})
    for path in ("/collections/land_parcels/items/999999999?f=json",
                 "/collections/land_parcels/items/999999999?f=html",
                 "/collections/nope/items?f=json", "/collections/land_parcels/items?sortby=x",
                 "/collections/land_parcels/items?properties=holder_home_address",
                 "/collections/land_parcels/items?holder_rnokpp=1&f=json",
                 "/search?q=%25&limit=50", "/search/reverse?lon=27.0&lat=49.42",
                 "/collections/advertising_structures/items?f=html&limit=500&datetime=2020-01-01/..",
                 "/collections/advertising_structures/items?f=html&limit=500&q=ФОП",
                 "/collections/advertising_structures/items?f=json&limit=500&q=ФОП",
                 "/collections/advertising_structures/items?f=json&limit=500"
                 "&filter=distributor_kind='sole_proprietor'",
                 "/registries/advertising_structures/as-of?datetime=2026-11-01&limit=1000"):
        walk.get(path)
    walk.client.close()
    print(f"walked {walk.visited} responses; server errors: {walk.errors or 'none'}")
    assert walk.visited > 200
    assert not walk.errors, f"anonymous requests answered 5xx: {walk.errors}"
    assert not walk.leaks, f"{len(walk.leaks)} leaks, e.g.:\n" + "\n".join(walk.leaks[:20])


def _vector_text(path: str) -> str:
    """Return every attribute value of a GeoPackage or (zipped) Shapefile, one per line."""
    import fiona

    lines = []
    for layer in fiona.listlayers(path):
        with fiona.open(path, layer=layer) as c:
            lines += [str(v) for feat in c for v in (*feat.properties.keys(),
                                                      *feat.properties.values())]
    return "\n".join(lines)


def _workbook_text(content: bytes) -> str:
    """Return every text of a workbook, part by part: its cells, its names and properties."""
    import io
    import zipfile
    from xml.etree import ElementTree

    lines = []
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        for name in zf.namelist():
            root = ElementTree.fromstring(zf.read(name))
            lines += [t for el in root.iter() for t in (*el.itertext(), *el.attrib.values())]
    return "\n".join(lines)


def test_no_personal_value_in_any_export_or_download(server: str, demo_url: str,
                                                     forbidden: dict[str, str],
                                                     tmp_path: Any) -> None:
    """Every public registry in every download format, its passport, and the exchange XML of
    every cadastral quarter: nothing personal (the staff export, the control, leaks)."""
    from ingest.export import FORMATS, file_name
    from ingest.formats.ua_xml_export import Publisher, exchange_file

    walk = Walk(server, forbidden)
    walk.get("/downloads")
    walk.get("/downloads?f=html")  # the open-data page, in both languages
    walk.get("/downloads?f=html&lang=en")
    walk.get("/downloads/catalog.jsonld")  # the DCAT catalogue of every data set
    public = [reg for reg in default_catalog() if reg.public]
    for reg in public:
        walk.get(f"/downloads/{reg.id}/metadata.json")
        for fmt in FORMATS:
            r = walk.client.get(f"/downloads/{file_name(reg, fmt)}")
            assert r.status_code == 200, (reg.id, fmt, r.status_code)
            walk.visited += 1
            if fmt in ("geojson", "csv"):
                walk.check_text(f"{reg.id}.{fmt}", r.text)
                continue
            if fmt == "xlsx":
                walk.check_text(f"{reg.id}.{fmt}", _workbook_text(r.content))
                continue
            path = tmp_path / file_name(reg, fmt)
            path.write_bytes(r.content)
            walk.check_text(f"{reg.id}.{fmt}",
                            _vector_text(str(path) if fmt == "gpkg" else f"zip://{path}"))
    publisher = Publisher("Рада", "12345678", "Відповідальна особа", "Відділ", "+380000000000",
                          "gis@example.org")
    parcels = default_catalog().get("land_parcels")
    with psycopg.connect(demo_url) as conn:
        quarters = [r[0] for r in conn.execute(
            "SELECT DISTINCT left(cadastral_number, 17) FROM registry.land_parcel ORDER BY 1")]
        for quarter in quarters:
            xml = exchange_file(conn, parcels, storage_srid=6383, publisher=publisher,
                                quarter=quarter)
            walk.check_text(f"ua-xml {quarter}", xml.decode("utf-8"))
            walk.visited += 1
        # control: the staff export of the same registry is caught
        from ingest.export import csv_chunks

        staff = b"".join(csv_chunks(conn, parcels, 6383, personal=True)).decode("utf-8-sig")
        from ingest.export import write_vector

        book = write_vector(conn, parcels, 6383, "xlsx", tmp_path / "staff.xlsx", personal=True)
    walk.client.close()
    control = Walk("http://unused", forbidden)
    control.check_text("staff csv", staff)
    assert any("holder_rnokpp" in leak for leak in control.leaks)
    control.leaks.clear()
    control.check_text("staff xlsx", _workbook_text(book.read_bytes()))
    assert any("holder_rnokpp" in leak for leak in control.leaks), "the walk misses a workbook"
    assert quarters and walk.visited >= len(public) * len(FORMATS)
    assert not walk.leaks, f"{len(walk.leaks)} leaks, e.g.:\n" + "\n".join(walk.leaks[:20])
    assert not walk.errors, walk.errors  # every passport answered (one was a 500)


def test_error_reports_never_show_their_contacts(server: str, demo_url: str) -> None:
    """A visitor's contact details (personal data) reach the holder's staff only: neither the
    ticket lookup nor any public output shows them, and reports are no collection to export."""
    contacts = ["Ковальчук Ганна, +380671234567", "hanna.kovalchuk@example.ua",
                "Петрів Остап Іванович"]
    with psycopg.connect(demo_url) as conn:
        parcel, number = conn.execute("SELECT id, cadastral_number FROM open_data.land_parcel "
                                      "ORDER BY id LIMIT 1").fetchone()  # type: ignore[misc]
    walk = Walk(server, {c: "error_reports.contact" for c in contacts})
    tickets = []
    for i, contact in enumerate(contacts):
        r = httpx.post(f"{server}/error-reports", json={
            "collection": "land_parcels", "id": parcel, "contact": contact,
            "comment": f"Межа ділянки не збігається з парканом ({i})"}, timeout=30)
        assert r.status_code == 201, r.text
        assert contact not in r.text
        tickets.append(r.json()["ticket"])
    for ticket in tickets:
        looked = walk.get(f"/error-reports/{ticket}")
        assert looked.status_code == 200 and looked.json()["status"] == "new"
    walk.get(f"/collections/land_parcels/items/{parcel}?f=json")
    walk.get(f"/collections/land_parcels/items/{parcel}?f=html")
    walk.get(f"/registries/land_parcels/items/{parcel}/history")
    walk.get(f"/reports/parcels/{quote(number)}")
    walk.get(f"/extracts/parcels/{quote(number)}")
    for path in ("/", "/collections?f=json", "/registries/land_parcels/problems",
                 "/registries/land_parcels/error-reports", "/verification/summary",
                 "/registries/land_parcels/quality"):
        walk.get(path)
    for contact in contacts:
        walk.get("/search", echoed=contact, params={"q": contact})
    collections = walk.get("/collections?f=json").json()["collections"]
    assert not [c for c in collections if "report" in c["id"]]
    walk.client.close()
    assert not walk.leaks, walk.leaks
    # control: the holder's staff do read them (the walk would have seen a leak)
    with psycopg.connect(demo_url) as conn:
        stored = {r[0] for r in conn.execute(
            "SELECT contact FROM verification.error_reports WHERE ticket = ANY(%s)", (tickets,))}
        conn.execute("DELETE FROM verification.error_reports WHERE ticket = ANY(%s)",
                     (tickets,))  # the session's demo city stays as it was
        conn.commit()
    assert stored == set(contacts)
