"""Verified before published, over HTTP and a planner's own database login.

A planner's edit — through the OGC API, and through a direct psycopg connection as the
planner's PostgreSQL login (as QGIS makes it) — is invisible to an anonymous client in items,
tiles, search, the open-data download and the printed extract until a verifier of the land
resources department approves it; then it is in each at once. Rejecting leaves the published
version as it was. A registrar cannot verify parcels.
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
from urllib.parse import quote

import httpx
import mapbox_vector_tile
import pdfplumber
import psycopg
import pytest

from gis.auth import Role
from gis.cluster import EmbeddedCluster
from gis.staff_rights import grant_verifier, set_department
from gis.users import add_user
from gis.writing import number_in
from registries.catalog import default_catalog
from tests.conftest import DEMO_TODAY, GIS, clone, serving

DB = "verify_http"
PASSWORD = "planner's own secret"
TOKENS = {"tok-olena": "olena:planner", "tok-taras": "taras:planner",
          "tok-ivan": "ivan:registrar", "tok-pavlo": "pavlo:public"}
OLENA = {"Authorization": "Bearer tok-olena"}
TARAS = {"Authorization": "Bearer tok-taras"}
IVAN = {"Authorization": "Bearer tok-ivan"}


@pytest.fixture(scope="module")
def city(cluster: EmbeddedCluster, template_url: str) -> Iterator[dict[str, Any]]:
    """A server over the demo city with a planner (olena, with a database login) and a
    verifier (taras) of the land resources department, and a registrar (ivan) of
    architecture who verifies addresses; tests may change the data."""
    from app.demo.load import load_demo

    url = clone(cluster, "gis_template", DB)
    with psycopg.connect(url) as conn:
        load_demo(conn, scale=0.01, seed=68, today=DEMO_TODAY, srid=6383)
        add_user(conn, "olena", frozenset({Role.PLANNER}), password=PASSWORD)
        add_user(conn, "taras", frozenset({Role.PLANNER}), password=None, with_db_login=False)
        add_user(conn, "ivan", frozenset({Role.REGISTRAR}), password=None,
                 with_db_login=False)
        set_department(conn, "olena", "land_resources")
        set_department(conn, "taras", "land_resources")
        grant_verifier(conn, "taras", "land_parcels")
        set_department(conn, "ivan", "architecture")
        grant_verifier(conn, "ivan", "addresses")
        conn.commit()
    with serving(cluster, DB, url, {"GIS_AUTH__TOKENS": json.dumps(TOKENS)}) as base:
        yield {"url": url, "server": base, "port": cluster.port}


def parcel(env: dict[str, Any], offset: int) -> tuple[int, str, str]:
    """Return (id, cadastral number, EWKT) of a demo parcel."""
    with psycopg.connect(env["url"]) as conn:
        row = conn.execute("SELECT id, cadastral_number, ST_AsEWKT(geom) FROM "
                           "registry.land_parcel ORDER BY id OFFSET %s LIMIT 1",
                           (offset,)).fetchone()
    assert row is not None
    return int(row[0]), str(row[1]), str(row[2])


def tile_path(env: dict[str, Any], ewkt: str, z: int = 16) -> str:
    with psycopg.connect(env["url"]) as conn:
        lon, lat = conn.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform("
                                "ST_PointOnSurface(%s::geometry), 4326) AS p) s",
                                (ewkt,)).fetchone()  # type: ignore[misc]
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"/maps/city/{z}/{x}/{y}.mvt"


class Public:
    """What an anonymous client sees of one parcel in every public output."""

    def __init__(self, env: dict[str, Any], obj_id: int, ewkt: str) -> None:
        self.server, self.obj_id = env["server"], obj_id
        self.tile = tile_path(env, ewkt)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.server + path, timeout=60, **kwargs)

    def item(self) -> str | None:
        r = self.get(f"/collections/land_parcels/items/{self.obj_id}?f=json")
        return r.json()["properties"]["cadastral_number"] if r.status_code == 200 else None

    def in_tile(self) -> str | None:
        r = self.get(self.tile)
        assert r.status_code == 200
        layer = mapbox_vector_tile.decode(r.content).get("land_parcels", {"features": []})
        found = [f["properties"].get("cadastral_number") for f in layer["features"]
                 if f.get("id") == self.obj_id]
        return found[0] if found else None

    def search(self, number: str) -> bool:
        r = self.get("/search", params={"q": number})
        assert r.status_code == 200, r.text
        return any(h["id"] == self.obj_id and h["collection"] == "land_parcels"
                   for h in r.json()["results"])

    def export(self) -> str | None:
        """The open-data download of the registry (the whole collection as GeoJSON)."""
        r = self.get("/downloads/land_parcels.geojson")
        assert r.status_code == 200, r.text[:300]
        found = [f["properties"]["cadastral_number"] for f in r.json()["features"]
                 if f["id"] == self.obj_id]
        return found[0] if found else None

    def extract(self) -> str:
        r = self.get(f"/extracts/collections/land_parcels/items/{self.obj_id}",
                            params={"scale": "1000"})
        assert r.status_code == 200, r.text
        with pdfplumber.open(io.BytesIO(r.content)) as pdf:
            return "\n".join(p.dedupe_chars().extract_text() for p in pdf.pages)

    def everywhere(self, number: str) -> dict[str, bool]:
        """Return in which public outputs ``number`` shows as the parcel's number."""
        return {"items": self.item() == number, "tiles": self.in_tile() == number,
                "search": self.search(number), "export": self.export() == number,
                "extract": number in self.extract()}


def edit(env: dict[str, Any], obj_id: int, properties: dict[str, Any]) -> None:
    """Have olena PATCH parcel ``obj_id`` over the working version's ETag (staff's)."""
    url = f"{env['server']}/collections/land_parcels/items/{obj_id}"
    item = httpx.get(f"{url}?f=json&pending=true", headers=OLENA)
    r = httpx.patch(url, json={"properties": properties},
                    headers={**OLENA, "If-Match": item.headers["etag"]})
    assert r.status_code == 204, r.text


def decide(env: dict[str, Any], headers: dict[str, str], decision: str,
           items: list[dict[str, Any]], reason: str = "") -> httpx.Response:
    return httpx.post(f"{env['server']}/registries/land_parcels/decisions", headers=headers,
                      json={"decision": decision, "items": items, "reason": reason}, timeout=60)


def test_an_api_edit_reaches_the_public_only_when_approved(city: dict[str, Any]) -> None:
    obj_id, number, ewkt = parcel(city, 3)
    new = number[:-4] + "9701"
    public = Public(city, obj_id, ewkt)
    everywhere_old = public.everywhere(number)
    assert all(everywhere_old.values()), everywhere_old
    edit(city, obj_id, {"cadastral_number": new})
    assert public.everywhere(number) == everywhere_old  # nothing public changed
    assert not any(public.everywhere(new).values())
    # staff see it on request, marked as waiting
    staff = httpx.get(f"{city['server']}/collections/land_parcels/items/{obj_id}?f=json&"
                      "pending=true", headers=TARAS).json()
    assert staff["properties"]["cadastral_number"] == new
    assert staff["verification"] == {"state": "changed", "published_version": 1}
    assert httpx.get(f"{city['server']}/collections/land_parcels/items/{obj_id}?f=json&"
                     "pending=true").status_code == 401  # not the public's to ask
    # the pages pygeoapi renders show published versions: asking them for the working copy
    # is told so, not answered with the published one as if it were
    for path in (f"/items/{obj_id}?f=html", "/items?f=html", f"/items/{obj_id}?f=jsonld"):
        page = httpx.get(f"{city['server']}/collections/land_parcels{path}&pending=true",
                         headers=TARAS)
        assert page.status_code == 400, (path, page.status_code)
        assert "answered as GeoJSON (f=json)" in page.text, page.text[:300]
    queue = httpx.get(f"{city['server']}/registries/land_parcels/pending", headers=TARAS).json()
    (change,) = [c for c in queue["changes"] if c["id"] == obj_id]
    assert (change["operation"], change["changed_by"], change["version"]) == ("update", "olena",
                                                                              2)
    detail = httpx.get(f"{city['server']}/registries/land_parcels/pending/{obj_id}",
                       headers=TARAS).json()
    assert detail["changes"] == {"cadastral_number": {"from": number, "to": new}}
    assert detail["before"]["geometry"]["type"] == "MultiPolygon"

    r = decide(city, TARAS, "approve", [{"id": obj_id, "version": 2}])
    assert r.status_code == 200, r.text
    assert r.json()["ids"] == [obj_id]
    assert all(public.everywhere(new).values()), public.everywhere(new)
    assert not public.everywhere(number)["items"]
    history = httpx.get(f"{city['server']}/registries/land_parcels/items/{obj_id}/history")
    assert [v["version"] for v in history.json()["versions"]] == [1, 2]
    assert history.json()["versions"][1]["verified_on"]


def test_a_published_text_reads_back_exactly_in_json_ld_and_escaped_in_html(
        city: dict[str, Any]) -> None:
    # pygeoapi's JSON-LD wrote < and > as &lt; &gt; (an HTML guard inside JSON): a value came
    # out other than stored; the pages must still show markup as text, never run it
    obj_id, _, _ = parcel(city, 11)
    text = "Для <б> & обслуговування > 1 <script>alert(1)</script>"
    edit(city, obj_id, {"purpose_text": text})
    assert decide(city, TARAS, "approve", [{"id": obj_id, "version": 2}]).status_code == 200
    base = f"{city['server']}/collections/land_parcels/items/{obj_id}"
    ld = httpx.get(f"{base}?f=jsonld", timeout=60)
    assert ld.status_code == 200 and ld.json()["purpose_text"] == text
    assert "<script>" not in ld.text  # JSON escapes (\u003c) keep it inert where embedded
    assert httpx.get(f"{base}?f=json", timeout=60).json()["properties"]["purpose_text"] == text
    page = httpx.get(f"{base}?f=html", timeout=60).text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_a_direct_database_edit_waits_for_verification_too(city: dict[str, Any]) -> None:
    obj_id, number, ewkt = parcel(city, 4)
    new = number[:-4] + "9702"
    public = Public(city, obj_id, ewkt)
    assert public.item() == number and public.in_tile() == number
    login = (f"postgresql://{DB}_olena:{quote(PASSWORD, safe='')}@127.0.0.1:{city['port']}/"
             f"{DB}")
    with psycopg.connect(login) as conn:
        # QGIS sends the version it loaded (the generated project's default); setting the
        # publication switch is the application's alone: a login gets a pending change anyway
        conn.execute("SET gis.publish = 'direct'")
        conn.execute("UPDATE registry.land_parcel SET cadastral_number = %s, "
                     "version = -version WHERE id = %s", (new, obj_id))
    assert not any(public.everywhere(new).values())
    assert public.everywhere(number) == {"items": True, "tiles": True, "search": True,
                                         "export": True, "extract": True}
    r = decide(city, TARAS, "approve", [{"id": obj_id, "version": 2}])
    assert r.status_code == 200, r.text
    assert all(public.everywhere(new).values())


def test_rejecting_leaves_the_published_version(city: dict[str, Any]) -> None:
    obj_id, number, ewkt = parcel(city, 5)
    public = Public(city, obj_id, ewkt)
    before = httpx.get(f"{city['server']}/collections/land_parcels/items/{obj_id}?f=json")
    edit(city, obj_id, {"purpose_code": "02.03", "cadastral_number": number[:-4] + "9703"})
    refused = decide(city, TARAS, "reject", [{"id": obj_id, "version": 2}])
    assert refused.status_code == 400 and "reason" in refused.json()["detail"]
    r = decide(city, TARAS, "reject", [{"id": obj_id, "version": 2}],
               reason="the decision names the old number")
    assert r.status_code == 200, r.text
    after = httpx.get(f"{city['server']}/collections/land_parcels/items/{obj_id}?f=json")
    assert after.json()["properties"] == before.json()["properties"]
    assert public.everywhere(number) == {"items": True, "tiles": True, "search": True,
                                         "export": True, "extract": True}
    working = httpx.get(f"{city['server']}/collections/land_parcels/items/{obj_id}?f=json&"
                        "pending=true", headers=OLENA).json()
    assert working["properties"]["cadastral_number"] == number  # the editor gets it back
    assert working["verification"]["state"] == "published"
    staff_log = httpx.get(f"{city['server']}/registries/land_parcels/items/{obj_id}/history",
                          headers=TARAS).json()["versions"]
    assert staff_log[1]["verification"][0] == {
        "decision": "rejected", "by": "taras", "at": staff_log[1]["verification"][0]["at"],
        "reason": "the decision names the old number"}


def test_a_registrar_cannot_verify_parcels(city: dict[str, Any]) -> None:
    obj_id, number, _ = parcel(city, 6)
    public = f"{city['server']}/collections/land_parcels/items/{obj_id}?f=json"
    published = httpx.get(public).json()["properties"]["purpose_code"]
    edit(city, obj_id, {"purpose_code": "02.03"})
    r = decide(city, IVAN, "approve", [{"id": obj_id, "version": 2}])
    assert r.status_code == 403 and "no right to verify land_parcels" in r.json()["detail"]
    r = decide(city, OLENA, "approve", [{"id": obj_id, "version": 2}])  # the editor neither
    assert r.status_code == 403
    assert httpx.post(f"{city['server']}/registries/land_parcels/decisions",
                      json={"decision": "approve", "items": [{"id": obj_id}]}).status_code == 401
    # nor can an administrator make it so from the command line
    granted = subprocess.run([GIS, "users", "verifier", "ivan", "--grant", "land_parcels"],
                             capture_output=True, text=True, timeout=300,
                             env={**os.environ, "GIS_DATABASE_URL": city["url"]})
    assert granted.returncode != 0
    assert "ivan may not verify land_parcels" in granted.stderr
    assert httpx.get(public).json()["properties"]["purpose_code"] == published != "02.03"


def test_the_queue_and_the_quality_report_from_the_command_line(city: dict[str, Any]) -> None:
    obj_id, number, _ = parcel(city, 7)
    edit(city, obj_id, {"area_declared_ha": None})
    env = {**os.environ, "GIS_DATABASE_URL": city["url"]}

    def gis(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([GIS, *args], capture_output=True, text=True, timeout=300,
                              env=env)

    listed = gis("verify", "list", "land_parcels")
    assert listed.returncode == 0, listed.stderr
    # whole lines: a bare "8\t" also matches a time of day ("02:28\t") in a batch's line
    assert any(line.startswith(f"{obj_id}\tupdate\tv2\tolena")
               for line in listed.stdout.splitlines()) and number in listed.stdout
    # the quality report reads the working copy: the emptied declared area shows at once
    report = gis("quality", "land_parcels", "--json")
    assert report.returncode == 0, report.stderr
    checks = {c["id"]: c for c in json.loads(report.stdout)["checks"]}
    assert obj_id in {i["id"] for i in checks["required_missing"]["items"]}
    refused = gis("verify", "approve", "land_parcels", "--item", f"{obj_id}:2", "--as", "ivan")
    assert refused.returncode != 0 and "no right to verify land_parcels" in refused.stderr
    done = gis("verify", "approve", "land_parcels", "--item", f"{obj_id}:2", "--as", "taras",
               "--reason", "checked against the survey")
    assert done.returncode == 0, done.stderr
    assert f"approved 1 change(s) of land_parcels: #{obj_id}" in done.stderr
    assert httpx.get(f"{city['server']}/collections/land_parcels/items/{obj_id}?f=json"
                     ).json()["properties"]["area_declared_ha"] is None
    assert not any(line.startswith(f"{obj_id}\t")
                   for line in gis("verify", "list", "land_parcels").stdout.splitlines())


def test_a_line_break_in_a_text_or_a_note_writes_no_row_of_its_own_in_the_queue(
        city: dict[str, Any]) -> None:
    """A planner's database login stored ``purpose_text`` with a line break and a tab, so
    ``gis verify list`` printed a forged row ("9999 delete v1 adm") under it; a change note
    (``gis.change_note``, free text) could do the same. The database now refuses the value,
    naming the field and the position; the note is printed escaped, on its own row."""
    obj_id, number, _ = parcel(city, 15)
    forged = "\n9999\tdelete\tv1\tadm\t2026-01-01 00:00\t1\t6810100000:01:001:0001"
    login = (f"postgresql://{DB}_olena:{quote(PASSWORD, safe='')}@127.0.0.1:{city['port']}/"
             f"{DB}")
    with psycopg.connect(login) as conn:
        for text in ("змішана" + forged, "напрямок \u202e1000"):
            with pytest.raises(psycopg.errors.CheckViolation) as refused:
                conn.execute("UPDATE registry.land_parcel SET purpose_text = %s, "
                             "version = -version WHERE id = %s", (text, obj_id))
            message = refused.value.diag.message_primary or ""
            assert f"parcel {number}: purpose holds a " in message, message
            assert re.search(r"\(U\+(000A|202E)\) at position (8|10);", message), message
            assert text not in message  # the value may be a person's name: never repeated
            conn.rollback()
        conn.execute("SELECT set_config('gis.change_note', %s, false)", ("note" + forged,))
        conn.execute("UPDATE registry.land_parcel SET purpose_text = 'один рядок', "
                     "version = -version WHERE id = %s", (obj_id,))
        conn.commit()
    listed = subprocess.run([GIS, "verify", "list", "land_parcels"], capture_output=True,
                            text=True, timeout=300,
                            env={**os.environ, "GIS_DATABASE_URL": city["url"]})
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert not any(line.startswith("9999") for line in lines), listed.stdout
    assert any(line.startswith("# batch ") and line.endswith(
        "\tnote\\n9999\\tdelete\\tv1\\tadm\\t2026-01-01 00:00\\t1\\t6810100000:01:001:0001")
        for line in lines), listed.stdout
    assert any(line.startswith(f"{obj_id}\tupdate\t") for line in lines)


def test_a_decision_naming_no_possible_object_is_refused_and_decides_nothing(
        city: dict[str, Any]) -> None:
    """``{"id": 3.7}`` approved object 3 and ``true`` object 1; an id past a bigint reached
    the command line as PostgreSQL's "bigint out of range"."""
    obj_id, _, _ = parcel(city, 8)
    edit(city, obj_id, {"purpose_text": "перевірка чисел"})
    for wrong in (obj_id + 0.7, True, "7 ", 2**63):
        r = decide(city, TARAS, "approve", [{"id": wrong}])
        assert r.status_code == 400, (wrong, r.text)
        assert r.json()["parameter"] == "items"
    r = decide(city, TARAS, "approve", [{"id": obj_id, "version": 2**40}])
    assert r.status_code == 400 and "version 1099511627776" in r.json()["detail"]
    env = {**os.environ, "GIS_DATABASE_URL": city["url"]}
    for args in (("--item", str(2**70)), ("--item", f"{obj_id}:{2**40}"), ("--batch", str(2**70))):
        done = subprocess.run([GIS, "verify", "approve", "land_parcels", *args, "--as", "taras"],
                              capture_output=True, text=True, timeout=300, env=env)
        assert done.returncode != 0
        assert done.stderr.startswith("error: ") and "out of range" not in done.stderr, \
            done.stderr
    listed = subprocess.run([GIS, "verify", "list", "land_parcels", "--batch", str(2**70)],
                            capture_output=True, text=True, timeout=300, env=env)
    assert listed.returncode != 0 and "batch 1180591620717411303424 is no batch" in listed.stderr
    pending = httpx.get(f"{city['server']}/collections/land_parcels/items/{obj_id}?f=json&"
                        "pending=true", headers=OLENA).json()
    assert pending["verification"]["state"] == "changed"  # nothing was decided


def test_the_quality_page_names_fields_and_writes_numbers_in_its_language(
        city: dict[str, Any]) -> None:
    """The English quality page said "missing ownership_form" (a column's name) and "2888
    objects" (where cards write 2,979). Empty fields are named by their declared titles, and
    counts are written as the page's language writes numbers."""
    server = city["server"]
    obj_id, _, _ = parcel(city, 13)
    edit(city, obj_id, {"ownership_form": None, "area_declared_ha": None})
    reg = default_catalog().get("land_parcels")
    titles = {lang: "; ".join(reg.field(n).title[lang]
                              for n in ("ownership_form", "area_declared_ha"))
              for lang in ("uk", "en")}
    for lang, missing in (("en", "missing"), ("uk", "не заповнено")):
        page = httpx.get(f"{server}/registries/land_parcels/quality",
                         params={"f": "html", "lang": lang}, headers=TARAS).text
        item = re.search(rf'/#obj=land_parcels/{obj_id}[^>]*>[^<]*</a> — ([^<]*)</li>', page)
        assert item and item.group(1) == f"{missing}: {titles[lang]}", item and item.group(1)
        assert "ownership_form" not in page
    # the registry with the most objects: past a thousand, written with its separator
    reports = [httpx.get(f"{server}/registries/{r}/quality", headers=TARAS).json()
               for r in ("addresses", "buildings", "land_parcels")]
    report = max(reports, key=lambda r: r["objects"])
    assert report["objects"] >= 1000, report["objects"]
    for lang in ("en", "uk"):
        page = httpx.get(f"{server}/registries/{report['collection']}/quality",
                         params={"f": "html", "lang": lang}, headers=TARAS).text
        objects = re.search(r"(?:Objects|Об'єктів): ([^ ·]+(?: \d{3})*) ·", page.replace(
            "\u00a0", " "))
        assert objects and objects.group(1) == number_in(report["objects"], lang).replace(
            "\u00a0", " "), objects and objects.group(1)


def test_the_holders_pages_are_for_staff(city: dict[str, Any]) -> None:
    server = city["server"]
    page = httpx.get(f"{server}/verification")
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/verification"
    # signed in without a staff role: refused, not sent to the login form it came through
    page = httpx.get(f"{server}/verification", headers={"Authorization": "Bearer tok-pavlo"})
    assert page.status_code == 403 and "has no staff role" in page.text
    for path in ("/verification/summary", "/verification/pending.geojson",
                 "/registries/land_parcels/pending", "/registries/land_parcels/quality",
                 "/registries/land_parcels/error-reports", "/static/verification/verification.js"):
        assert httpx.get(server + path).status_code in (401, 404), path
    summary = httpx.get(f"{server}/verification/summary", headers=TARAS).json()
    parcels = next(r for r in summary["registries"] if r["id"] == "land_parcels")
    assert parcels["verifies"] and parcels["holder"]["code"] == "land_resources"
    assert not next(r for r in summary["registries"] if r["id"] == "addresses")["verifies"]
    html = httpx.get(f"{server}/registries/land_parcels/quality?f=html", headers=TARAS)
    assert html.status_code == 200 and "Якість даних: Земельні ділянки" in html.text
    # one language per page (was Ukrainian and English side by side), the rules' English
    # messages marked as English on the Ukrainian page
    english = httpx.get(f"{server}/registries/land_parcels/quality?f=html&lang=en",
                        headers=TARAS)
    assert english.status_code == 200 and '<html lang="en">' in english.text
    assert "Data quality: Land parcels" in english.text and "Data quality" not in html.text
    headings = {lang: re.findall(r"<h[12]>(.*?)</h[12]>", page.text, re.S)
                for lang, page in (("uk", html), ("en", english))}
    assert len(headings["uk"]) == len(headings["en"]) > 5
    assert all(re.search("[а-яіїєґ]{3}", h, re.I) for h in headings["uk"]), headings["uk"]
    assert not any(re.search("[а-яіїєґ]", h, re.I) for h in headings["en"]), headings["en"]
    assert '<span lang="en">parcel ' in html.text and "lang=en" in html.text
    # an object's label is the registry's own text: marked Ukrainian on the English page
    assert re.search(r'<a href="/#obj=land_parcels/\d+&amp;lang=en" lang="uk">', english.text)
    assert not re.search(r'<a href="/#obj=[^"]*" lang="uk">', html.text)
    report = httpx.get(f"{server}/registries/land_parcels/quality", headers=TARAS).json()
    assert report["collection"] == "land_parcels" and report["objects"] > 0
    # a format it does not serve is refused, as everywhere (was: the JSON with 200)
    for path in ("/verification/summary", "/verification/pending.geojson", "/me",
                 "/registries/land_parcels/pending", "/registries/land_parcels/error-reports",
                 "/editor/session"):
        assert httpx.get(server + path, headers=TARAS).status_code == 200, path
        refused = httpx.get(server + path, params={"f": "xml"}, headers=TARAS)
        assert refused.status_code == 400 and refused.json()["parameter"] == "f", path
    refused = httpx.get(f"{server}/registries/land_parcels/quality?f=xml", headers=TARAS)
    assert refused.status_code == 400 and refused.json()["parameter"] == "f", refused.text[:300]
    assert httpx.get(f"{server}/registries/land_parcels/quality?f=JSON",
                     headers=TARAS).json()["collection"] == "land_parcels"
    assert all(i["href"].startswith(server) for c in report["checks"] for i in c["items"])


def test_a_download_changes_its_etag_exactly_when_its_public_data_changes(
        city: dict[str, Any]) -> None:
    """A harvester (data.gov.ua checks its resources) asks with If-None-Match: 304 costs no
    export. The tag must move with what the public gets, and only with that: not with a
    pending edit; yes with an approval, a street renamed (addresses show its name) and a
    withdrawal."""
    from registries.publication import publish_directly

    base = city["server"]

    def tag(name: str) -> str:
        r = httpx.head(f"{base}/downloads/{name}", timeout=60)
        assert r.status_code == 200
        return r.headers["etag"]

    def fresh(name: str, etag: str) -> httpx.Response:
        return httpx.get(f"{base}/downloads/{name}", headers={"If-None-Match": etag},
                         timeout=60)

    parcels, addresses = tag("land_parcels.csv"), tag("addresses.csv")
    got = httpx.get(f"{base}/downloads/land_parcels.csv", timeout=60)
    assert got.headers["etag"] == parcels and got.headers["last-modified"]
    assert tag("land_parcels.geojson") != parcels  # one tag per file, not per registry
    unchanged = fresh("land_parcels.csv", parcels)
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == parcels

    obj_id, number, _ = parcel(city, 9)
    new = number[:-4] + "9709"
    edit(city, obj_id, {"cadastral_number": new})
    assert fresh("land_parcels.csv", parcels).status_code == 304  # pending: not public
    assert decide(city, TARAS, "approve", [{"id": obj_id, "version": 2}]).status_code == 200
    changed = fresh("land_parcels.csv", parcels)
    assert changed.status_code == 200 and new in changed.text
    parcels = changed.headers["etag"]

    with psycopg.connect(city["url"]) as conn:  # the application's own direct publication
        publish_directly(conn)
        street_id, name = conn.execute(
            "SELECT s.id, s.name FROM registry.street AS s WHERE EXISTS (SELECT 1 FROM "
            "registry.address AS a WHERE a.street_id = s.id) ORDER BY s.id LIMIT 1").fetchone()
        conn.execute("UPDATE registry.street SET name = %s WHERE id = %s",
                     (name + " Нова", street_id))
    renamed = fresh("addresses.csv", addresses)
    assert renamed.status_code == 200 and f"{name} Нова" in renamed.text

    with psycopg.connect(city["url"]) as conn:
        publish_directly(conn)
        conn.execute("DELETE FROM registry.land_parcel WHERE id = %s", (obj_id,))
    withdrawn = fresh("land_parcels.csv", parcels)
    assert withdrawn.status_code == 200 and new not in withdrawn.text


def test_byte_ranges_of_a_download_come_from_one_file(city: dict[str, Any]) -> None:
    """GDAL's /vsicurl/ (QGIS opening a download's URL) and resumed downloads read byte
    ranges. Each range must come from the same file — the GeoPackage was once written anew for
    each request, with other bytes — and a range asked If-Range of an older version gets the
    whole new file."""
    base = f"{city['server']}/downloads/streets.gpkg"
    whole = httpx.get(base, timeout=60)
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    assert int(whole.headers["content-length"]) == len(whole.content)
    etag = whole.headers["etag"]
    for start in (0, 100, len(whole.content) - 500):
        part = httpx.get(base, headers={"Range": f"bytes={start}-{start + 499}"}, timeout=60)
        assert part.status_code == 206 and part.content == whole.content[start:start + 500]
    head = httpx.head(base, timeout=60)
    assert head.headers["content-length"] == str(len(whole.content))

    from registries.publication import publish_directly

    with psycopg.connect(city["url"]) as conn:
        publish_directly(conn)
        conn.execute("UPDATE registry.street SET name = name || ' ' WHERE id = "
                     "(SELECT min(id) FROM registry.street)")
    resumed = httpx.get(base, headers={"Range": "bytes=100-599", "If-Range": etag}, timeout=60)
    assert resumed.status_code == 200 and resumed.headers["etag"] != etag
    assert resumed.content.startswith(b"SQLite format 3\x00")
