"""Users, tokens, sessions, CSRF, roles and the personal-data access log, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from gis.auth import Role
from gis.cluster import EmbeddedCluster
from gis.errors import Conflict, InvalidParameter
from gis.users import (
    add_user,
    check_password,
    issue_token,
    list_tokens,
    revoke_token,
    set_active,
    token_user,
)
from tests.conftest import DEMO_TODAY, clone, drop, served
from tests.factories import approve_all

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def secured(cluster: EmbeddedCluster, template_url: str) -> Iterator[dict[str, Any]]:
    """Return a server over a demo database with users and tokens in ``auth`` (may change)."""
    from app.demo.load import load_demo

    url = clone(cluster, "gis_template", "secured")
    with psycopg.connect(url) as conn:
        load_demo(conn, scale=0.01, seed=68, today=DEMO_TODAY, srid=6383)
        add_user(conn, "olena", frozenset({Role.PLANNER}), password=PASSWORD)
        add_user(conn, "ivan", frozenset({Role.REGISTRAR}), password=PASSWORD)
        add_user(conn, "petro", frozenset({Role.REGISTRAR}), password=PASSWORD)
        tokens = {name: issue_token(conn, name, "tests")[1] for name in ("olena", "ivan", "petro")}
        revoked_id, revoked = issue_token(conn, "ivan", "old laptop")
        revoke_token(conn, revoked_id)
        set_active(conn, "petro", False)
        conn.commit()
    with served({"GIS_DATABASE_URL": url, "GIS_AUTH__COOKIE_SECURE": "false"}) as base:
        yield {"server": base, "url": url, "tokens": tokens, "revoked": revoked}
    drop(cluster, "secured")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def first_id(server: str, collection: str) -> int:
    r = httpx.get(f"{server}/collections/{collection}/items?limit=1&f=json")
    return int(r.json()["features"][0]["id"])


def test_users_and_tokens_store_only_hashes(conn: psycopg.Connection) -> None:
    add_user(conn, "maria", frozenset({Role.PLANNER}), password=PASSWORD)
    with pytest.raises(Conflict):
        add_user(conn, "maria", frozenset({Role.PLANNER}), password=PASSWORD)
    with pytest.raises(InvalidParameter):
        add_user(conn, "Robert'); DROP TABLE auth.users;--", frozenset({Role.ADMIN}),
                 password=PASSWORD)
    assert check_password(conn, "maria", PASSWORD) is not None
    assert check_password(conn, "maria", "wrong password") is None
    assert check_password(conn, "nobody", PASSWORD) is None
    token_id, secret = issue_token(conn, "maria", "QGIS")
    stored = conn.execute("SELECT password_hash, (SELECT token_hash FROM auth.tokens "
                          "WHERE id = %s) FROM auth.users WHERE name = 'maria'",
                          (token_id,)).fetchone()
    assert stored is not None
    assert stored[0].startswith("$argon2id$") and PASSWORD not in stored[0]
    assert secret not in stored[1] and len(stored[1]) == 64
    user, known = token_user(conn, secret)
    assert user is not None and user.principal.roles == frozenset({Role.PLANNER}) and known
    assert list_tokens(conn, "maria")[0].last_used_at is not None
    revoke_token(conn, token_id)
    assert token_user(conn, secret) == (None, True)
    assert token_user(conn, "hgt_unknown") == (None, False)


def test_anonymous_writes_get_401(secured: dict[str, Any]) -> None:
    server = secured["server"]
    oid = first_id(server, "advertising_structures")
    items = f"{server}/collections/advertising_structures/items"
    assert httpx.post(items, json={"type": "Feature"}).status_code == 401
    assert httpx.patch(f"{items}/{oid}", json={"properties": {}}).status_code == 401
    assert httpx.put(f"{items}/{oid}", json={"type": "Feature"}).status_code == 401
    assert httpx.delete(f"{items}/{oid}").status_code == 401


def test_planner_editing_an_advertising_structure_gets_403(secured: dict[str, Any]) -> None:
    server = secured["server"]
    oid = first_id(server, "advertising_structures")
    item = f"{server}/collections/advertising_structures/items/{oid}"
    before = httpx.get(f"{item}?f=json").json()
    r = httpx.patch(item, json={"properties": {"sides": 3}},
                    headers=bearer(secured["tokens"]["olena"]))
    assert r.status_code == 403, r.text
    assert "olena" in r.json()["detail"]
    assert httpx.delete(item, headers=bearer(secured["tokens"]["olena"])).status_code == 403
    assert httpx.get(f"{item}?f=json").json()["properties"] == before["properties"]


def test_registrar_edits_an_advertising_structure(secured: dict[str, Any]) -> None:
    server = secured["server"]
    oid = first_id(server, "advertising_structures")
    item = f"{server}/collections/advertising_structures/items/{oid}"
    r = httpx.patch(item, json={"properties": {"sides": 2}},
                    headers=bearer(secured["tokens"]["ivan"]))
    assert r.status_code == 204, r.text
    with psycopg.connect(secured["url"]) as conn:
        row = conn.execute("SELECT sides, changed_by FROM registry.advertising_structure "
                           "WHERE id = %s", (oid,)).fetchone()
    assert row == (2, "ivan")


def test_revoked_token_and_disabled_user_get_401(secured: dict[str, Any]) -> None:
    server = secured["server"]
    oid = first_id(server, "advertising_structures")
    item = f"{server}/collections/advertising_structures/items/{oid}"
    for token in (secured["revoked"], secured["tokens"]["petro"], "hgt_made-up"):
        r = httpx.patch(item, json={"properties": {"sides": 1}}, headers=bearer(token))
        assert r.status_code == 401, r.text
        assert r.headers["www-authenticate"] == 'Bearer realm="hromada-gis"'
        # a bad token is refused on reads too, on every route (not silently anonymous)
        assert httpx.get(f"{item}?f=json", headers=bearer(token)).status_code == 401
        assert httpx.get(f"{server}/collections?f=json", headers=bearer(token)).status_code == 401
    r = httpx.get(f"{item}?f=json", headers=bearer(secured["revoked"]))
    assert "revoked" in r.json()["detail"]


def test_login_session_cookies_and_csrf(secured: dict[str, Any]) -> None:
    server = secured["server"]
    oid = first_id(server, "advertising_structures")
    item = f"/collections/advertising_structures/items/{oid}"
    with httpx.Client(base_url=server) as client:
        assert client.post("/login", json={"name": "ivan", "password": "nope"}).status_code == 401
        form = client.get("/login")
        assert form.status_code == 200 and 'name="password"' in form.text
        r = client.post("/login", json={"name": "ivan", "password": PASSWORD})
        assert r.status_code == 200, r.text
        cookies = r.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("gis_session="))
        assert "HttpOnly" in session and "SameSite=lax" in session
        assert "HttpOnly" not in next(c for c in cookies if c.startswith("gis_csrf="))
        csrf = r.json()["csrf_token"]
        assert client.cookies["gis_csrf"] == csrf
        assert client.get("/me").json()["name"] == "ivan"
        # a change without the CSRF token (what a cross-site form would send) is refused
        r = client.patch(item, json={"properties": {"sides": 1}})
        assert r.status_code == 403 and "X-CSRF-Token" in r.text
        r = client.patch(item, json={"properties": {"sides": 1}},
                         headers={"X-CSRF-Token": "guessed"})
        assert r.status_code == 403
        r = client.patch(item, json={"properties": {"sides": 1}}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 204, r.text
        # staff read through the session: personal fields are there
        assert "distributor_rnokpp" in client.get(f"{item}?f=json").json()["properties"]
        assert client.post("/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
        stale = {"gis_session": session.split(";")[0].split("=", 1)[1], "gis_csrf": csrf}
    with httpx.Client(base_url=server, cookies=stale) as client:  # the old cookie after logout
        assert client.get("/me").json()["name"] == "anonymous"
        r = client.patch(item, json={"properties": {"sides": 1}}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 401


def test_login_form_redirects_only_to_this_site(secured: dict[str, Any]) -> None:
    r = httpx.post(f"{secured['server']}/login",
                   data={"name": "olena", "password": PASSWORD, "next": "//evil.example/"})
    assert r.status_code == 303 and r.headers["location"] == "/"
    # a browser drops tabs and line breaks from an address: "/\t/evil.example" would be
    # "//evil.example" (and was, after an English login, whose path is rebuilt)
    for lang in ("", "?lang=en"):
        for hostile in ("/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example",
                        "/\\evil.example", "/ /evil.example", "/\x0b/evil.example",
                        "https://evil.example", "\t//evil.example"):
            r = httpx.post(f"{secured['server']}/login{lang}",
                           data={"name": "olena", "password": PASSWORD, "next": hostile})
            where = r.headers["location"]
            assert r.status_code == 303 and where.startswith("/") and not where.startswith(
                "//") and "evil" not in where, (lang, hostile, where)
    r = httpx.post(f"{secured['server']}/login", data={"name": "olena", "password": "x"})
    assert r.status_code == 401 and "Невірне" in r.text


def test_the_login_page_in_english_comes_back_to_the_page_with_its_query(
        secured: dict[str, Any]) -> None:
    """The login form was Ukrainian only, and a staff page asked in English sent its visitor
    to it; the page it came back to lost its query (``?registry=…&lang=en``), and a wrong
    password lost the way back altogether."""
    import re

    server = secured["server"]
    r = httpx.get(f"{server}/verification", params={"registry": "land_parcels", "lang": "en"})
    assert r.status_code == 303
    assert r.headers["location"] == ("/login?next=/verification%3Fregistry%3Dland_parcels"
                                     "%26lang%3Den&lang=en")
    page = httpx.get(f"{server}{r.headers['location']}")
    assert page.headers["content-language"] == "en" and '<html lang="en">' in page.text
    assert "<h1>Staff sign-in</h1>" in page.text and 'action="/login?lang=en"' in page.text
    assert not re.search("[А-Яа-яЇїІіЄєҐґ]", page.text.replace("Українська", ""))
    kept = 'value="/verification?registry=land_parcels&amp;lang=en"'
    assert kept in page.text
    other = re.search(r'<a href="([^"]+)" lang="uk"', page.text).group(1)
    assert "lang=uk" in other and "next=" in other
    wrong = httpx.post(f"{server}/login?lang=en", data={
        "name": "olena", "password": "x", "next": "/verification?registry=land_parcels&lang=en"})
    assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text
    assert kept in wrong.text  # the way back survives a mistyped password
    right = httpx.post(f"{server}/login?lang=en", data={
        "name": "olena", "password": PASSWORD,
        "next": "/verification?registry=land_parcels&lang=en"})
    assert right.status_code == 303
    assert right.headers["location"] == "/verification?registry=land_parcels&lang=en"
    # the visitor switched the form to Ukrainian (its link keeps next): the page after the
    # login is Ukrainian too, the last choice made
    switched = httpx.get(f"{server}{other.replace('&amp;', '&')}")
    assert '<html lang="uk">' in switched.text and kept in switched.text
    right = httpx.post(f"{server}/login", data={
        "name": "olena", "password": PASSWORD,
        "next": "/verification?registry=land_parcels&lang=en"})
    assert right.status_code == 303
    assert right.headers["location"] == "/verification?registry=land_parcels&lang=uk"
    ukrainian = httpx.get(f"{server}/login")
    assert '<html lang="uk">' in ukrainian.text and "Вхід для працівників" in ukrainian.text


def test_head_of_the_login_page_is_the_page_not_a_login(secured: dict[str, Any]) -> None:
    """HEAD ran the login with the body it carried: a safe method signing in (and setting
    the session cookie), or counting a failed login; it is GET's page without its body."""
    server = secured["server"]
    body = "name=olena&password=" + PASSWORD
    r = httpx.request("HEAD", f"{server}/login", content=body.encode(),
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    page = httpx.get(f"{server}/login")
    assert r.status_code == page.status_code == 200 and not r.content
    assert r.headers["content-type"] == page.headers["content-type"]
    assert "gis_session" not in r.headers.get("set-cookie", "")


def test_a_login_posted_from_another_site_is_refused(secured: dict[str, Any]) -> None:
    """Login CSRF: a hostile page must not sign the visitor into someone else's account."""
    server = secured["server"]
    good = {"name": "olena", "password": PASSWORD}
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Origin": "null"}):
        r = httpx.post(f"{server}/login", data=good, headers=headers)
        assert r.status_code == 403 and "gis_session" not in r.headers.get("set-cookie", ""), (
            headers, r.status_code)
    same = httpx.post(f"{server}/login", data=good,
                      headers={"Origin": server, "Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 303 and "gis_session=" in same.headers["set-cookie"]


def test_staff_reads_of_personal_data_are_logged_once_per_request(
        secured: dict[str, Any]) -> None:
    server, url = secured["server"], secured["url"]

    def log_rows() -> list[tuple[Any, ...]]:
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT principal, collection, object_ids, query, path "
                                "FROM auth.personal_access_log ORDER BY id").fetchall()

    before = len(log_rows())
    items = f"{server}/collections/land_parcels/items"
    assert httpx.get(f"{items}?limit=50&f=json").status_code == 200  # the public: no row
    assert len(log_rows()) == before
    r = httpx.get(f"{items}?limit=50&f=json", headers=bearer(secured["tokens"]["olena"]))
    assert r.status_code == 200
    assert "holder_rnokpp" in r.json()["features"][0]["properties"]
    oid = r.json()["features"][0]["id"]
    assert httpx.get(f"{items}/{oid}?f=json",
                     headers=bearer(secured["tokens"]["olena"])).status_code == 200
    rows = log_rows()[before:]
    assert rows == [("olena", "land_parcels", None, "limit=50&f=json",
                     "/collections/land_parcels/items"),
                    ("olena", "land_parcels", [oid], "f=json",
                     f"/collections/land_parcels/items/{oid}")]
    # the registry routes log staff reads too (change log, search), the public's never
    assert httpx.get(f"{server}/registries/land_parcels/items/{oid}/history").status_code == 200
    assert len(log_rows()) == before + 2
    history = httpx.get(f"{server}/registries/land_parcels/items/{oid}/history",
                        headers=bearer(secured["tokens"]["olena"]))
    search = httpx.get(f"{server}/search?q=6810100000", headers=bearer(secured["tokens"]["olena"]))
    assert history.status_code == 200 and search.status_code == 200
    assert [(r[0], r[1], r[4]) for r in log_rows()[before + 2:]] == [
        ("olena", "land_parcels", f"/registries/land_parcels/items/{oid}/history"),
        ("olena", "search", "/search")]


SQL_INJECTIONS = [
    ("filter", "holder_name = 'x'; DROP TABLE registry.land_parcel; --"),
    ("filter", "cadastral_number = '' OR 1=1 --"),
    ("filter", "\"cadastral_number\" = 'x' UNION SELECT holder_rnokpp FROM registry.land_parcel"),
    ("filter", "holder_rnokpp = '3012345678'"),  # a personal field is not queryable by the public
    ("filter", "pg_sleep(5) = 1"),
    ("filter", "S_INTERSECTS(geom, POINT(27 49)) OR 1=1)--"),
    ("sortby", "id;DROP TABLE registry.land_parcel"),
    ("sortby", "-holder_rnokpp"),
    ("sortby", "(SELECT 1)"),
    ("bbox", "27,49,28,50);DROP TABLE registry.land_parcel;--"),
    ("bbox", "1 OR 1=1"),
    ("bbox-crs", "EPSG:4326'; DROP TABLE registry.land_parcel;--"),
    ("datetime", "2020-01-01'; DROP TABLE registry.land_parcel;--"),
    ("properties", "holder_rnokpp"),
    ("limit", "1; DROP TABLE registry.land_parcel"),
]


@pytest.mark.parametrize(("param", "value"), SQL_INJECTIONS)
def test_sql_injection_attempts_get_400_and_change_nothing(
        server: str, demo_url: str, param: str, value: str) -> None:
    with psycopg.connect(demo_url) as conn:
        before = conn.execute("SELECT count(*), max(version) FROM registry.land_parcel").fetchone()
    r = httpx.get(f"{server}/collections/land_parcels/items",
                  params={param: value, "f": "json"}, timeout=30)
    assert r.status_code == 400, (param, value, r.status_code, r.text[:300])
    assert "3012345678" not in r.text and "holder_rnokpp" not in r.text.replace(
        value, "") or r.status_code == 400
    with psycopg.connect(demo_url) as conn:
        after = conn.execute("SELECT count(*), max(version) FROM registry.land_parcel").fetchone()
    assert after == before


@pytest.mark.parametrize("value", ["x' OR '1'='1", "1); DROP TABLE registry.land_parcel;--",
                                   "%' OR holder_rnokpp LIKE '%"])
def test_property_filter_values_are_bound_never_sql(server: str, demo_url: str,
                                                    value: str) -> None:
    """A property filter's value is data: it matches nothing, it never runs."""
    r = httpx.get(f"{server}/collections/land_parcels/items",
                  params={"cadastral_number": value, "f": "json"})
    assert r.status_code in (200, 400), r.text
    if r.status_code == 200:
        assert r.json()["numberMatched"] == 0
    with psycopg.connect(demo_url) as conn:
        assert conn.execute("SELECT to_regclass('registry.land_parcel')").fetchone() == (
            "registry.land_parcel",)
    r = httpx.get(f"{server}/collections/land_parcels/items",
                  params={"holder_rnokpp": "3012345678", "f": "json"})
    assert r.status_code == 400  # the public cannot filter on a personal field


def test_a_box_of_any_size_is_a_valid_request_on_every_path(secured: dict[str, Any]) -> None:
    """No area limit (work is bounded instead, docs/security.md): what OWSLib and QGIS send
    zoomed out over the region is answered, and a box beyond the world is the whole city."""
    server = secured["server"]
    items = f"{server}/collections/land_parcels/items"
    with psycopg.connect(secured["url"]) as conn:
        total = conn.execute("SELECT count(*) FROM open_data.land_parcel").fetchone()[0]
    for box in ("26,49,28,50", "-180,-90,180,90", "0,0,1e308,1e308", "-1e308,-1e308,1e308,1e308"):
        r = httpx.get(items, params={"bbox": box, "f": "json", "limit": 1})
        assert r.status_code == 200, (box, r.text)
        assert r.json()["numberMatched"] == total, box
    far = httpx.get(items, params={"bbox": "100,0,120,10", "f": "json"})
    assert far.status_code == 200 and far.json()["numberMatched"] == 0
    wide = "5400000,200000,5560000,360000"  # EPSG:6383 northing, easting: 160 × 160 km
    r = httpx.get(items, params={"bbox": wide, "f": "json", "limit": 1, "bbox-crs":
                                 "http://www.opengis.net/def/crs/EPSG/0/6383"})
    assert r.status_code == 200 and r.json()["numberMatched"] == total
    for polygon in ("POLYGON((26 49, 28 49, 28 50, 26 50, 26 49))",
                    "POLYGON((-180 -90, 180 -90, 180 90, -180 90, -180 -90))"):
        r = httpx.get(items, params={"filter": f"S_INTERSECTS(geom, {polygon})", "f": "json",
                                     "limit": 1})
        assert r.status_code == 200 and r.json()["numberMatched"] == total, r.text
    r = httpx.get(items, params={"filter": "S_DWITHIN(geom, POINT(27 49.4), 1e9, meters)",
                                 "f": "json", "limit": 1})
    assert r.status_code == 200 and r.json()["numberMatched"] == total
    r = httpx.get(items, params={"filter": "S_INTERSECTS(geom, POINT(1000 1000))"})
    assert r.status_code == 400 and "±180" in r.json()["detail"]
    assert httpx.get(items, params={"bbox": "26,49,28,50", "f": "html"}).status_code == 200
    # any bad parameter on pygeoapi's pages is a 400 as on GeoJSON (it was pygeoapi's 500)
    assert httpx.get(items, params={"bbox": "27,49.5,26.9,49.4", "f": "html"}
                     ).status_code == 400


def natural_parcel(secured: dict[str, Any]) -> int:
    with psycopg.connect(secured["url"]) as conn:
        return int(conn.execute("SELECT id FROM registry.land_parcel WHERE holder_kind = "
                                "'natural' ORDER BY id LIMIT 1").fetchone()[0])  # type: ignore[index]


def test_staff_answers_are_private_with_their_own_etag(secured: dict[str, Any]) -> None:
    """A caching proxy must never hand the staff copy (personal data) to the public: staff
    answers are ``private, no-store``, every personalised answer varies on the credentials,
    and the public ETag is never the staff one; public answers stay cacheable."""
    server, token = secured["server"], secured["tokens"]["olena"]
    pid = natural_parcel(secured)
    item = f"{server}/collections/land_parcels/items/{pid}?f=json"
    public = httpx.get(item)
    staff = httpx.get(item, headers=bearer(token))
    assert public.status_code == staff.status_code == 200
    assert public.json()["properties"]["holder_name"] == "фізична особа"
    assert staff.json()["properties"]["holder_name"] != "фізична особа"
    assert "holder_rnokpp" in staff.json()["properties"]
    with psycopg.connect(secured["url"]) as conn:
        version = conn.execute("SELECT version FROM registry.land_parcel WHERE id = %s",
                               (pid,)).fetchone()[0]  # type: ignore[index]
    assert staff.headers["etag"] == f'"{version}"'  # what If-Match on a write checks
    assert public.headers["etag"].startswith('"p-') and public.headers["etag"] != \
        staff.headers["etag"]
    for r in (public, staff):
        vary = {v.strip().lower() for v in r.headers.get("vary", "").split(",")}
        assert {"authorization", "cookie"} <= vary, r.headers
    assert staff.headers["cache-control"] == "private, no-store"
    assert "private" not in public.headers.get("cache-control", "")
    assert "no-store" not in public.headers.get("cache-control", "")
    # conditional requests stay within one reader's representation
    assert httpx.get(item, headers={"If-None-Match": public.headers["etag"]}).status_code == 304
    assert httpx.get(item, headers={**bearer(token), "If-None-Match": public.headers["etag"]}
                     ).status_code == 200
    # pages, history and search read by staff are private too; tiles are the same for all
    for path in ("/collections/land_parcels/items?f=json&limit=5",
                 f"/registries/land_parcels/items/{pid}/history", "/search?q=Соборна"):
        r = httpx.get(f"{server}{path}", headers=bearer(token))
        assert r.status_code == 200 and r.headers["cache-control"] == "private, no-store", path
        assert "private" not in httpx.get(f"{server}{path}").headers.get("cache-control", "")
    tile = httpx.get(f"{server}/maps/city/12/2355/1398.mvt", headers=bearer(token))
    assert "private" not in tile.headers.get("cache-control", "")
    # a public ETag is no version to write against
    r = httpx.patch(item.split("?")[0], json={"properties": {"purpose_code": "02.01"}},
                    headers={**bearer(token), "If-Match": public.headers["etag"]})
    assert r.status_code == 412 and "public copy" in r.json()["detail"]


def approve(url: str) -> None:
    """Publish every pending change, as the registries' holders would."""
    with psycopg.connect(url) as conn:
        approve_all(conn)


def test_a_change_of_personal_fields_only_leaves_no_public_trace(
        secured: dict[str, Any]) -> None:
    """The public neither sees a new history entry nor a new ETag when only a holder's
    personal data changed: both would tell that, and when, it was edited."""
    server, token = secured["server"], secured["tokens"]["olena"]
    pid = natural_parcel(secured)
    item = f"{server}/collections/land_parcels/items/{pid}"
    history = f"{server}/registries/land_parcels/items/{pid}/history"
    etag, log = httpx.get(f"{item}?f=json").headers["etag"], httpx.get(history).json()
    staff_log = httpx.get(history, headers=bearer(token)).json()["versions"]
    r = httpx.patch(item, json={"properties": {"holder_name": "Іваненко Ганна Петрівна",
                                               "holder_rnokpp": "2999999999"}},
                    headers=bearer(token))
    assert r.status_code == 204, r.text
    approve(secured["url"])  # published: still no public trace
    assert httpx.get(f"{item}?f=json").headers["etag"] == etag
    assert httpx.get(history).json() == log
    after = httpx.get(history, headers=bearer(token)).json()["versions"]
    assert len(after) == len(staff_log) + 1 and "holder_name" in after[-1]["changes"]
    # a public change shows, numbered among the public's versions only
    current = httpx.get(f"{item}?f=json").json()["properties"]["purpose_code"]
    new_code = "02.03" if current != "02.03" else "02.01"
    r = httpx.patch(item, json={"properties": {"purpose_code": new_code}}, headers=bearer(token))
    assert r.status_code == 204, r.text
    approve(secured["url"])
    versions = httpx.get(history).json()["versions"]
    assert len(versions) == len(log["versions"]) + 1
    assert versions[-1]["changes"] == {"purpose_code": {"from": current, "to": new_code}}
    assert [v["version"] for v in versions] == list(range(1, len(versions) + 1))
    assert httpx.get(f"{item}?f=json").headers["etag"] != etag
