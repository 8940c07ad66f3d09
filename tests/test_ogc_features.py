"""OGC API – Features Parts 1–3 over the demo city, checked against PostGIS's own answers."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import psycopg
import pytest

from registries.catalog import default_catalog
from tests.conftest import served

EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def get(server: str, path: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{server}{path}", params={"f": "json", **params}, timeout=60)


def ids(doc: dict[str, Any]) -> list[int]:
    return [f["id"] for f in doc["features"]]


def sql_ids(demo_url: str, query: str, *args: Any) -> list[int]:
    with psycopg.connect(demo_url) as conn:
        return [r[0] for r in conn.execute(query, args or None).fetchall()]


# -- Part 1 ----------------------------------------------------------------------------------

def test_paging_walks_every_feature_once_with_next_links(server: str, demo_url: str) -> None:
    seen: list[int] = []
    url: str | None = f"{server}/collections/addresses/items?f=json&limit=97"
    pages = 0
    while url:
        doc = httpx.get(url, timeout=60).json()
        seen += ids(doc)
        assert doc["numberReturned"] == len(doc["features"])
        url = next((lk["href"] for lk in doc["links"] if lk["rel"] == "next"), None)
        pages += 1
    expected = sql_ids(demo_url, "SELECT id FROM registry.address ORDER BY id")
    assert seen == expected
    assert pages == -(-len(expected) // 97)
    assert doc["numberMatched"] == len(expected)


def test_head_of_a_long_page_gives_its_connection_back(server: str, demo_url: str) -> None:
    """A page longer than one batch is read from a server-side cursor while it is sent. Asked
    by HEAD it was never sent, and its pooled connection never came back: about twenty HEADs
    left every later read waiting for a 503."""
    from gis.settings import PoolSettings
    from ogc.features import BATCH

    n = sql_ids(demo_url, "SELECT id FROM registry.address ORDER BY id")
    assert len(n) > BATCH  # the cursor's path, not the one-batch page
    page = f"{server}/collections/addresses/items?f=json&limit={BATCH * 2}"
    for _ in range(PoolSettings().max_size * 3):
        head = httpx.head(page, timeout=30)
        assert head.status_code == 200 and head.content == b""
    doc = httpx.get(page, timeout=30)
    assert doc.status_code == 200 and len(doc.json()["features"]) == min(len(n), BATCH * 2)


@pytest.mark.parametrize("limit", [10, 1000])  # one batch; a cursor read while it is sent
def test_items_are_sent_gzipped_to_a_client_that_takes_it(server: str, limit: int) -> None:
    """A page of items is a tenth of its size gzipped. The gzipped body is the same page; a
    client that does not take gzip gets it plain; either answer says it varies by encoding."""
    import gzip
    import http.client
    from urllib.parse import urlsplit

    def raw(encoding: str) -> tuple[dict[str, str], bytes]:
        u = urlsplit(server)  # http.client: the body as sent, not decoded
        conn = http.client.HTTPConnection(u.hostname or "", u.port, timeout=60)
        try:
            conn.request("GET", f"/collections/addresses/items?f=json&limit={limit}",
                         headers={"Accept-Encoding": encoding})
            r = conn.getresponse()
            assert r.status == 200
            return {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    zipped_headers, zipped = raw("gzip, deflate")
    plain_headers, plain = raw("identity")
    assert zipped_headers["content-encoding"] == "gzip" and "content-encoding" not in plain_headers
    for h in (zipped_headers, plain_headers):
        assert "accept-encoding" in h["vary"].lower()
        assert h["content-type"].startswith("application/geo+json")
    page, doc = json.loads(gzip.decompress(zipped)), json.loads(plain)
    assert page["numberMatched"] == doc["numberMatched"] > 500  # 1000: more than one batch
    assert page["features"] == doc["features"]
    assert len(page["features"]) == min(limit, doc["numberMatched"])
    if limit > 100:
        assert len(zipped) < len(plain) / 5


@pytest.mark.parametrize("collection", [r.id for r in default_catalog() if r.public])
def test_features_match_their_described_by_schema(server: str, collection: str) -> None:
    """The collection links its feature schema (describedBy), and a page of its features
    validates against it once empty properties (null: an unknown value) are left out."""
    import jsonschema

    doc = get(server, f"/collections/{collection}").json()
    link = next(lk for lk in doc["links"] if lk["rel"] == "describedBy")
    assert link["type"] == "application/schema+json"
    r = httpx.get(link["href"], timeout=30)
    assert r.status_code == 200 and r.headers["content-type"] == "application/schema+json"
    schema = r.json()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    page = get(server, f"/collections/{collection}/items", limit=300).json()
    declared = set(schema["properties"]["properties"]["properties"])
    for feature in page["features"]:
        assert set(feature["properties"]) == declared
        feature["properties"] = {k: v for k, v in feature["properties"].items() if v is not None}
        errors = [e.message for e in validator.iter_errors(feature)]
        assert not errors, (feature["id"], errors[:3])


def test_prev_link_and_offset(server: str) -> None:
    doc = get(server, "/collections/addresses/items", limit=10, offset=20).json()
    prev = next(lk["href"] for lk in doc["links"] if lk["rel"] == "prev")
    assert "offset=10" in prev
    first = get(server, "/collections/addresses/items", limit=30).json()
    assert ids(doc) == ids(first)[20:30]


def test_single_item_with_etag_and_conditional_get(server: str, demo_url: str) -> None:
    with psycopg.connect(demo_url) as conn:
        pid, version = conn.execute(
            "SELECT id, version FROM registry.land_parcel ORDER BY id LIMIT 1").fetchone()
    r = get(server, f"/collections/land_parcels/items/{pid}")
    assert r.status_code == 200 and r.json()["id"] == pid
    # the public's ETag hashes what it was sent; the row version is staff's (test_caching)
    assert r.headers["etag"].startswith('"p-') and r.headers["etag"] != f'"{version}"'
    again = httpx.get(f"{server}/collections/land_parcels/items/{pid}?f=json",
                      headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    star = httpx.get(f"{server}/collections/land_parcels/items/{pid}?f=json",
                     headers={"If-None-Match": "*"})
    assert star.status_code == 304  # any representation the item has (RFC 9110, 13.1.2)


def test_sortby_orders_like_postgres(server: str, demo_url: str) -> None:
    doc = get(server, "/collections/advertising_structures/items", limit=50,
              sortby="-valid_until,permit_number").json()
    expected = sql_ids(demo_url, "SELECT id FROM registry.advertising_structure "
                                 "ORDER BY valid_until DESC, permit_number, id LIMIT 50")
    assert ids(doc) == expected


def test_property_filter_and_properties_selection(server: str, demo_url: str) -> None:
    doc = get(server, "/collections/land_parcels/items", limit=1000, purpose_code="02.01",
              properties="cadastral_number,purpose_code").json()
    expected = sql_ids(demo_url, "SELECT id FROM registry.land_parcel "
                                 "WHERE purpose_code = '02.01' ORDER BY id")
    assert ids(doc) == expected
    assert all(set(f["properties"]) == {"cadastral_number", "purpose_code"}
               for f in doc["features"])


def test_a_property_asked_twice_is_written_once(server: str) -> None:
    """``properties=a,b,a`` wrote ``a`` twice in each GeoJSON object (names must be unique)
    and twice as a CSV column."""
    asked = {"limit": 2, "properties": "purpose_code,cadastral_number,purpose_code"}
    r = get(server, "/collections/land_parcels/items", **asked)
    first = r.text[r.text.index('"properties"'):]
    first = first[:first.index("}")]
    assert first.count('"purpose_code"') == 1 and first.index('"purpose_code"') < first.index(
        '"cadastral_number"')  # in the order first asked
    header = get(server, "/collections/land_parcels/items", f="csv", **asked).text.splitlines()[0]
    assert header == "\ufeffid,purpose_code,cadastral_number,wkt"


def test_a_next_link_survives_a_client_that_encodes_its_values_again(server: str) -> None:
    """The official suite pages through a bbox query (FeaturesBBox, numberMatched) by taking
    the next link's query apart and encoding each raw value again: ``%2C`` became ``%252C``
    and the bbox was refused. The link writes commas, colons and slashes as they are."""
    extent = get(server, "/collections/streets", f="json").json()["extent"]["spatial"]["bbox"][0]
    bbox = ",".join(f"{v:.7f}" for v in extent)
    first = get(server, "/collections/streets/items", f="json", bbox=bbox, limit=10,
                crs="http://www.opengis.net/def/crs/EPSG/0/6383").json()
    assert first["numberMatched"] > 10
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
    url, query = nxt.split("?")
    raw = dict(pair.split("=", 1) for pair in query.split("&"))  # as written, not decoded
    assert raw["bbox"] == bbox and raw["crs"] == "http://www.opengis.net/def/crs/EPSG/0/6383"
    again = httpx.get(url, params={**raw, "limit": "10000"}, timeout=60)  # httpx encodes them
    assert again.status_code == 200, again.text
    assert again.json()["numberReturned"] == first["numberMatched"] - 10


LITERAL_SHAPES = [
    # CQL2's own test predicates (clause7_16 and the abstract tests) meet literal with literal,
    # anywhere on Earth: these were cut to the city's CRS region first, and met nothing
    "S_INTERSECTS(POINT(0 0), POINT(0 0))",
    "S_INTERSECTS(POINT(0 0), POINT(1 1))",
    "S_WITHIN(POINT(0 0), BBOX(-1,-1,1,1))",
    "S_INTERSECTS(BBOX(-1,-1,1,1), BBOX(-2,-2,0.5,0.5))",
    "S_DISJOINT(BBOX(-1,-1,1,1), POINT(5 5))",
    "S_CROSSES(LINESTRING(43.72992 -79.2998, 43.73005 -79.2991, 43.73006 -79.2984), "
    "POLYGON((43.7286 -79.2986, 43.7311 -79.2996, 43.7319 -79.2964, 43.7286 -79.2986)))",
    "S_TOUCHES(BBOX(170,10,180,20), BBOX(-180,10,-170,20))",
    "S_INTERSECTS(BBOX(170,10,-170,20), POINT(179.5 15))",  # across the antimeridian
]


@pytest.mark.parametrize("cql", LITERAL_SHAPES)
def test_two_geometry_literals_meet_where_they_are(server: str, cql: str) -> None:
    import shapely
    from shapely import wkt

    def shape(text: str) -> shapely.Geometry:
        if text.startswith("BBOX"):
            w, s_, e, n = (float(v) for v in text[5:-1].split(","))
            if w > e:
                return shapely.union(shapely.box(w, s_, 180, n), shapely.box(-180, s_, e, n))
            return shapely.box(w, s_, e, n)
        return wkt.loads(text)

    fn, args = cql.split("(", 1)
    first, second = re.split(r"(?<=\)), ", args[:-1], maxsplit=1)
    holds = getattr(shape(first), fn.removeprefix("S_").lower())(shape(second))
    everything = get(server, "/collections/streets/items", f="json").json()["numberMatched"]
    r = get(server, "/collections/streets/items", f="json", filter=cql)
    assert r.status_code == 200, r.text
    assert r.json()["numberMatched"] == (everything if holds else 0), holds


def test_the_geometry_queryable_takes_is_null(server: str) -> None:
    """geometry is a queryable (/queryables lists it); IS NULL refused it as unknown."""
    everything = get(server, "/collections/streets/items", f="json").json()["numberMatched"]
    for cql, lang, count in (
            ("geometry IS NOT NULL", "cql2-text", everything),
            ("geometry IS NULL", "cql2-text", 0),
            ('{"op": "not", "args": [{"op": "isNull", "args": [{"property": "geometry"}]}]}',
             "cql2-json", everything)):
        r = get(server, "/collections/streets/items", f="json", filter=cql,
                **{"filter-lang": lang})
        assert r.status_code == 200 and r.json()["numberMatched"] == count, (cql, r.text)


def test_datetime_selects_permits_valid_in_the_interval(server: str, demo_url: str) -> None:
    doc = get(server, "/collections/advertising_structures/items", limit=10000,
              datetime="2026-01-01/2026-03-31").json()
    expected = sql_ids(demo_url, "SELECT id FROM registry.advertising_structure WHERE "
                                 "valid_from <= '2026-03-31' AND valid_until >= '2026-01-01' "
                                 "ORDER BY id")
    assert expected and ids(doc) == expected


def test_datetime_and_a_cql2_timestamp_read_one_instant_as_one_day(server: str,
                                                                    demo_url: str) -> None:
    """An instant is its UTC date in both: ``datetime`` took the date as written
    (2006-08-07T01:00+03:00 → 7 August) where CQL2's TIMESTAMP took its UTC date (6 August),
    and the same moment selected other parcels in each."""
    from datetime import timedelta

    with psycopg.connect(demo_url) as conn:
        registered = conn.execute("SELECT registered_on FROM registry.land_parcel WHERE "
                                  "registered_on IS NOT NULL ORDER BY id LIMIT 1").fetchone()[0]
    stamp = f"{(registered + timedelta(days=1)).isoformat()}T01:00:00+03:00"  # UTC: the day
    expected = sql_ids(demo_url, "SELECT id FROM registry.land_parcel WHERE registered_on = %s "
                                 "ORDER BY id", registered)
    by_parameter = get(server, "/collections/land_parcels/items", limit=10000, datetime=stamp)
    by_filter = get(server, "/collections/land_parcels/items", limit=10000,
                    filter=f"T_INTERSECTS(registered_on, TIMESTAMP('{stamp}'))")
    assert expected and ids(by_filter.json()) == expected
    # datetime also keeps the parcels with no date (Part 1, /req/core/fc-time-response C);
    # a CQL2 comparison with NULL is not true
    dateless = sql_ids(demo_url, "SELECT id FROM registry.land_parcel WHERE registered_on IS "
                                 "NULL ORDER BY id")
    assert ids(by_parameter.json()) == sorted(expected + dateless)


def test_datetime_keeps_every_feature_without_a_date(server: str) -> None:
    """/req/core/fc-time-response C: "The datetime parameter SHALL match all features in the
    collection that are not associated with a temporal geometry, too": a parcel registered on
    no known day, and every street (streets have no date: this was a 400). The syntax is
    still checked."""
    with_date = get(server, "/collections/streets/items", f="json", datetime="2020-01-01/..")
    without = get(server, "/collections/streets/items", f="json")
    assert with_date.status_code == 200, with_date.text
    assert with_date.json()["numberMatched"] == without.json()["numberMatched"] > 0
    assert get(server, "/collections/streets/items", datetime="yesterday").status_code == 400


def test_datetime_keeps_a_parcel_registered_on_no_known_day(db_url: str) -> None:
    from tests.factories import E0, N0, approve_all, make_parcel, multipolygon, ring

    with psycopg.connect(db_url) as conn:
        dated = make_parcel(conn, "6810100000:01:001:0001", registered_on="2020-05-04")
        dateless = make_parcel(conn, "6810100000:01:001:0002",
                               multipolygon(ring(E0 + 40, N0, 20)))
        approve_all(conn)
        conn.commit()
    with served({"GIS_DATABASE_URL": db_url}) as base:
        def found(when: str) -> list[int]:
            return ids(get(base, "/collections/land_parcels/items", datetime=when).json())

        assert found("2020-05-04") == sorted([dated, dateless])
        assert found("1800-01-01") == [dateless]
        # a CQL2 comparison with the unknown date is not true: only the dated parcel
        by_filter = get(base, "/collections/land_parcels/items",
                        filter="T_INTERSECTS(registered_on, DATE('2020-05-04'))")
        assert ids(by_filter.json()) == [dated]


@pytest.mark.parametrize("written", ["20060807", "2026-W01", "2006W321", "2006-08-07T01:00"])
def test_a_date_is_rfc_3339_or_refused(server: str, written: str) -> None:
    """Python's fromisoformat also reads basic and week dates; the messages say RFC 3339."""
    for params in ({"datetime": written}, {"registered_on": written},
                   {"filter": f"registered_on = DATE('{written}')"}):
        r = get(server, "/collections/land_parcels/items", **params)
        assert r.status_code == 400, (params, r.status_code)
        assert written in r.json()["detail"], r.json()


def test_bbox_in_crs84_matches_postgis(server: str, demo_url: str) -> None:
    bbox = (26.985, 49.415, 27.0, 49.425)
    doc = get(server, "/collections/land_parcels/items", limit=10000,
              bbox=",".join(map(str, bbox))).json()
    expected = sql_ids(demo_url, "SELECT id FROM registry.land_parcel WHERE ST_Intersects(geom, "
                       "ST_Transform(ST_Segmentize(ST_MakeEnvelope(%s, %s, %s, %s, 4326), 0.001),"
                       " 6383)) ORDER BY id", *bbox)
    assert expected and ids(doc) == expected


def test_bbox_in_ucs2000_is_northing_first(server: str, demo_url: str) -> None:
    # EPSG:6383 declares X = northing first: bbox = minN, minE, maxN, maxE
    doc = get(server, "/collections/addresses/items", limit=10000,
              bbox="5475500,299000,5477000,300500", **{"bbox-crs": EPSG + "6383"}).json()
    expected = sql_ids(demo_url, "SELECT id FROM registry.address WHERE ST_Intersects(geom, "
                       "ST_MakeEnvelope(299000, 5475500, 300500, 5477000, 6383)) ORDER BY id")
    assert expected and ids(doc) == expected


@pytest.mark.parametrize("f", ["json", "csv", "html"])
def test_a_box_of_no_area_is_the_point_or_line_it_is(server: str, demo_url: str,
                                                      f: str) -> None:
    """A box of one point (a click) or of one line: as a polygon its ring collapsed, a 500 in
    CRS84 (GEOS refused the transformed ring) and nothing found in the storage CRS."""
    with psycopg.connect(demo_url) as conn:
        fid, e, n, lon, lat, lon2 = conn.execute(
            "SELECT id, ST_X(p), ST_Y(p), ST_X(ST_Transform(p, 4326)), "
            "ST_Y(ST_Transform(p, 4326)), ST_X(ST_Transform(p, 4326)) + 0.0001 FROM "
            "(SELECT id, ST_PointOnSurface(geom) p FROM registry.land_parcel ORDER BY id "
            "LIMIT 1) s").fetchone()
    boxes = [{"bbox": f"{lon},{lat},{lon},{lat}"},  # a point
             {"bbox": f"{lon},{lat},{lon2},{lat}"},  # a line
             {"bbox": f"{n},{e},{n},{e}", "bbox-crs": EPSG + "6383"},
             {"filter": f"S_INTERSECTS(geometry, BBOX({lon},{lat},{lon},{lat}))"}]
    for box in boxes:
        r = get(server, "/collections/land_parcels/items", limit=100, f=f, **box)
        assert r.status_code == 200, (box, r.text[:300])
        if f == "json":
            assert fid in ids(r.json()), box
        elif f == "csv":
            assert any(line.startswith(f"{fid},") for line in r.text.splitlines()[1:]), box


def test_a_filter_polygon_left_open_is_closed_and_a_broken_one_named(server: str,
                                                                     demo_url: str) -> None:
    """CQL2 text typed by a person often leaves a ring open: it was sent to PostGIS as it
    was, and GEOS failed on it (a 500); a geometry too short or crossing itself is a 400
    saying so, in our words, not GEOS's ("point array must contain 0 or >1 elements")."""
    ring = "26.985 49.415, 27.0 49.415, 27.0 49.425, 26.985 49.425"
    open_ring = get(server, "/collections/land_parcels/items", limit=10000,
                    filter=f"S_INTERSECTS(geometry, POLYGON(({ring})))")
    closed = get(server, "/collections/land_parcels/items", limit=10000,
                 filter=f"S_INTERSECTS(geometry, POLYGON(({ring}, 26.985 49.415)))")
    assert open_ring.status_code == closed.status_code == 200, open_ring.text[:300]
    assert ids(open_ring.json()) == ids(closed.json()) and ids(closed.json())
    for geometry, said in (
            ("LINESTRING(26.97 49.42)", "the filter's LineString: a line needs at least 2"),
            ("POLYGON((26.97 49.42, 26.98 49.42))", "a polygon's ring needs at least 3 corners"),
            ("POLYGON((26.97 49.42, 26.98 49.43, 26.98 49.42, 26.97 49.43, 26.97 49.42))",
             "the filter's Polygon is not valid: self-intersection at (26.975, 49.425)")):
        for f in ("json", "html"):
            r = get(server, "/collections/land_parcels/items", f=f,
                    filter=f"S_WITHIN(geometry, {geometry})")
            assert r.status_code == 400, (geometry, f, r.status_code)
            text = html.unescape(r.text)
            assert said in text and "Exception" not in text, (geometry, text[:300])


@pytest.mark.parametrize(("geometry", "said"), [
    ({"type": "Point", "coordinates": [26.97]},
     "the Point is [26.97]: a position is 2 or 3 numbers"),
    ({"type": "Point", "coordinates": ["a", "b"]}, "the Point is ['a', 'b']"),
    ({"type": "Point", "coordinates": {"a": 1}}, "the Point is {'a': 1}"),
    ({"type": "LineString", "coordinates": [[26.97, 49.42], [3]]},
     "position 2 of the LineString is [3]"),
    ({"type": "Polygon", "coordinates": [[1, 2]]}, "ring 1, position 1 of the Polygon is 1"),
    ({"type": "MultiPolygon", "coordinates": [[[[26.9, 49.4], [27, 49.4], [27, True],
                                                [26.9, 49.4]]]]},
     "polygon 1, ring 1, position 3 of the MultiPolygon is [27, True]"),
    ({"type": "Circle", "coordinates": [26.97, 49.42]}, "'Circle' is not a GeoJSON geometry"),
])
def test_a_malformed_cql2_json_geometry_is_named_where(server: str, geometry: dict[str, Any],
                                                        said: str) -> None:
    """A CQL2-JSON geometry nested wrongly was refused in numpy's words ("Input operand 0
    does not have enough dimensions (has 0, gufunc core …)", "'int' object is not iterable"):
    now which position of which ring is not a position, in every format."""
    cql = {"op": "s_intersects", "args": [{"property": "geometry"}, geometry]}
    for f in ("json", "html", "jsonld"):
        r = get(server, "/collections/land_parcels/items", f=f, limit=1,
                **{"filter-lang": "cql2-json", "filter": json.dumps(cql)})
        assert r.status_code == 400, (geometry, f, r.status_code)
        text = html.unescape(r.text)
        assert said in text, (f, text[:400])
        assert not any(w in text for w in ("operand", "iterable", "np.", "ndarray", "array")), \
            text[:400]


def test_a_like_pattern_ending_in_its_escape_character_is_named(server: str) -> None:
    """PostgreSQL refuses such a pattern; its error was answered as "a value in the request
    does not fit where it is used (a NUL character, a number or date out of range)"."""
    for pattern in ("\\", "%\\", "%\\\\\\"):
        r = get(server, "/collections/land_parcels/items", filter=f"cadastral_number LIKE "
                f"'{pattern}'")
        assert r.status_code == 400 and "ends in the escape character" in r.json()["detail"], \
            (pattern, r.text[:300])
    escaped = get(server, "/collections/land_parcels/items", filter="cadastral_number LIKE "
                  "'%\\\\'")
    assert escaped.status_code == 200 and escaped.json()["numberMatched"] == 0


# -- Part 2: CRS -----------------------------------------------------------------------------

@pytest.mark.parametrize("srid", [6383, 6384, 3857, 4326, 5561])
def test_crs_output_matches_postgis_transform_to_the_millimetre(server: str, demo_url: str,
                                                                srid: int) -> None:
    r = get(server, "/collections/addresses/items", limit=20, crs=f"{EPSG}{srid}")
    assert r.headers["content-crs"] == f"<{EPSG}{srid}>"
    got = {f["id"]: f["geometry"]["coordinates"] for f in r.json()["features"]}
    with psycopg.connect(demo_url) as conn:
        rows = conn.execute("SELECT id, ST_X(ST_Transform(geom, %s)), ST_Y(ST_Transform(geom, "
                            "%s)), ST_X(geom), ST_Y(geom) FROM registry.address WHERE id = ANY(%s)",
                            (srid, srid, list(got))).fetchall()
    for fid, x, y, *_ in rows:
        first, second = got[fid]
        # 4326, 5561 (lat, lon) and the TM zones (northing, easting) are northing-first
        exp = (x, y) if srid == 3857 else (y, x)
        if srid in (4326, 5561):
            assert abs(first - exp[0]) < 1e-8 and abs(second - exp[1]) < 1e-8  # < 1.1 mm
        else:
            assert abs(first - exp[0]) <= 0.0005 and abs(second - exp[1]) <= 0.0005


@pytest.mark.parametrize("srid", [6383, 4326])
def test_a_csv_writes_its_wkt_easting_first_in_any_crs(server: str, demo_url: str,
                                                       srid: int) -> None:
    """The CSV's WKT followed the CRS's axis order, northing first under EPSG:6383 and
    EPSG:4326: GDAL reads WKT's first number as x (tests/test_clients.py), and put every
    object 5,000 km away (or lat for lon). GeoJSON keeps the CRS's order."""
    r = get(server, "/collections/addresses/items", limit=5, f="csv", crs=f"{EPSG}{srid}")
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    with psycopg.connect(demo_url) as conn:
        for row in rows:
            x, y = conn.execute("SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(geom, %s) g "
                                "FROM registry.address WHERE id = %s) s",
                                (srid, int(row["id"]))).fetchone()
            first, second = map(float, row["wkt"].removeprefix("POINT(").rstrip(")").split())
            near = 1e-7 if srid == 4326 else 1e-3  # 1 cm either way
            assert (first, second) == (pytest.approx(x, abs=near), pytest.approx(y, abs=near))
    assert len(rows) == 5


def test_a_page_and_json_ld_are_crs84_and_say_so(server: str) -> None:
    """pygeoapi writes pages and JSON-LD in CRS84 whatever ``crs`` asked, and answered
    ``Content-Crs`` of the CRS asked (an EPSG:6383 header over lon/lat coordinates). Another
    CRS is refused there, and a GeoJSON page in EPSG:6383 links its HTML and JSON-LD twins
    without it."""
    ucs = f"{EPSG}6383"
    for path, paged in (("/collections/land_parcels/items", {"limit": 2}),
                        ("/collections/land_parcels/items/1", {})):
        for f in ("jsonld", "html"):
            refused = get(server, path, f=f, crs=ucs, **paged)
            assert refused.status_code == 400, (path, f, refused.status_code)
            assert f"crs '{ucs}': f={f} is written in CRS84" in html.unescape(refused.text)
            plain = get(server, path, f=f, crs=CRS84, **paged)
            assert plain.status_code == 200 and plain.headers["content-crs"] == f"<{CRS84}>"
    page = get(server, "/collections/land_parcels/items", crs=ucs, limit=2).json()
    for link in page["links"]:
        if link["type"] in ("text/html", "application/ld+json"):
            assert "crs=" not in link["href"], link
            assert httpx.get(link["href"], timeout=60).status_code == 200, link
        elif link["rel"] in ("self", "next") or link["type"] == "text/csv":
            assert "crs=" in link["href"], link


def test_a_json_ld_page_is_json_and_holds_what_the_geojson_page_holds(server: str) -> None:
    """pygeoapi's JSON-LD items template wrote each object's @id and @type only, and an empty
    page (a filter matching nothing, an offset past the end) ended in a trailing comma: not
    JSON. Each object now carries its properties as the GeoJSON page's, and the page its count
    and links."""
    items = "/collections/land_parcels/items"
    for empty in ({"filter": "id = -5"}, {"offset": "100000"}):
        r = get(server, items, f="jsonld", **empty)
        assert r.status_code == 200 and r.headers["content-type"].startswith(
            "application/ld+json"), r.text[:200]
        doc = json.loads(r.text)
        assert doc["features"] == [] and doc["type"] == "FeatureCollection", empty
    asked = {"limit": 3, "sortby": "cadastral_number"}
    ld = json.loads(get(server, items, f="jsonld", **asked).text)
    geo = get(server, items, f="json", **asked).json()
    assert ld["numberMatched"] == geo["numberMatched"] and ld["numberReturned"] == 3
    for place, feature in zip(ld["features"], geo["features"], strict=True):
        assert place["@id"] == f"{server}{items}/{feature['id']}"
        for name, value in feature["properties"].items():
            assert place[name] == value, (name, place.get(name), value)
        assert place["geometry"]["type"] == feature["geometry"]["type"]
    assert {"next"} <= {link["rel"] for link in ld["links"]}


def test_default_output_is_crs84_lon_lat(server: str, demo_url: str) -> None:
    r = get(server, "/collections/addresses/items", limit=5)
    assert r.headers["content-crs"] == f"<{CRS84}>"
    # OGC's newer https spelling of CRS84 names the same CRS (it was a 400, as EPSG's was not)
    https = CRS84.replace("http://", "https://")
    same = get(server, "/collections/addresses/items", limit=5, crs=https,
               **{"bbox-crs": https, "bbox": "20,44,41,53"})
    assert same.status_code == 200, same.text
    assert same.headers["content-crs"] == f"<{CRS84}>"
    assert same.json()["features"] == r.json()["features"]
    f = r.json()["features"][0]
    lon, lat = f["geometry"]["coordinates"]
    with psycopg.connect(demo_url) as conn:
        x, y = conn.execute("SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(geom, 4326) g "
                            "FROM registry.address WHERE id = %s) s", (f["id"],)).fetchone()
    assert abs(lon - x) < 1e-8 and abs(lat - y) < 1e-8


# -- Part 3: CQL2 ----------------------------------------------------------------------------

CQL_CASES = [
    ("purpose_code = '02.01' AND area_declared_ha > 0.08",
     "purpose_code = '02.01' AND area_declared_ha > 0.08"),
    ("cadastral_number LIKE '6810100000:01:%'", "cadastral_number LIKE '6810100000:01:%'"),
    ("purpose_code IN ('03.07', '03.10', '11.02')", "purpose_code IN ('03.07','03.10','11.02')"),
    ("area_declared_ha BETWEEN 0.05 AND 0.1", "area_declared_ha BETWEEN 0.05 AND 0.1"),
    ("NOT (ownership_form = '100') OR holder_edrpou IS NULL",
     "NOT (ownership_form = '100') OR holder_edrpou IS NULL"),
    ("S_INTERSECTS(geometry, POLYGON((26.985 49.415, 27.0 49.415, 27.0 49.425, 26.985 49.425, "
     "26.985 49.415)))",
     "ST_Intersects(geom, ST_Transform(ST_GeomFromText('POLYGON((26.985 49.415, 27.0 49.415, "
     "27.0 49.425, 26.985 49.425, 26.985 49.415))', 4326), 6383))"),
    ("S_WITHIN(geometry, POLYGON((26.985 49.415, 27.0 49.415, 27.0 49.425, 26.985 49.425, "
     "26.985 49.415)))",
     "ST_Within(geom, ST_Transform(ST_GeomFromText('POLYGON((26.985 49.415, 27.0 49.415, "
     "27.0 49.425, 26.985 49.425, 26.985 49.415))', 4326), 6383))"),
    ("S_DWITHIN(geometry, POINT(26.9965 49.4216), 300, meters)",
     "ST_DWithin(geom, ST_Transform(ST_GeomFromText('POINT(26.9965 49.4216)', 4326), 6383), 300)"),
    ("T_AFTER(registered_on, DATE('2020-01-01'))", "registered_on > '2020-01-01'"),
    ("T_DURING(registered_on, INTERVAL('2010-01-01', '2015-12-31'))",  # strictly inside
     "registered_on > '2010-01-01' AND registered_on < '2015-12-31'"),
]


@pytest.mark.parametrize(("cql", "where"), CQL_CASES)
def test_cql2_text_matches_the_same_sql(server: str, demo_url: str, cql: str,
                                        where: str) -> None:
    doc = get(server, "/collections/land_parcels/items", limit=10000, filter=cql).json()
    expected = sql_ids(demo_url, f"SELECT id FROM registry.land_parcel WHERE {where} "  # noqa: S608
                                 "ORDER BY id")
    assert expected, "the case must select something to prove anything"
    assert ids(doc) == expected
    assert doc["numberMatched"] == len(expected)


def test_cql2_json(server: str, demo_url: str) -> None:
    cql = {"op": "and", "args": [
        {"op": "=", "args": [{"property": "structure_type"}, "billboard"]},
        {"op": "s_intersects", "args": [{"property": "geometry"}, {
            "type": "Polygon", "coordinates": [[[26.9, 49.38], [27.1, 49.38], [27.1, 49.47],
                                                [26.9, 49.47], [26.9, 49.38]]]}]}]}
    doc = get(server, "/collections/advertising_structures/items", limit=10000,
              filter=json.dumps(cql), **{"filter-lang": "cql2-json"}).json()
    expected = sql_ids(demo_url, "SELECT id FROM registry.advertising_structure WHERE "
                                 "structure_type = 'billboard' ORDER BY id")
    assert expected and ids(doc) == expected


@pytest.mark.parametrize(("filter_", "lang", "said"), [
    ('{"op": "=", "args": [{"property": "category"}, "200"]}', None,
     "the filter is CQL2 JSON (it begins with '{'), read as CQL2 text: add "
     "filter-lang=cql2-json"),
    (' {"op": "isNull", "args": [{"property": "area_error_ha"}]}', "cql2-text",
     "add filter-lang=cql2-json"),
    ("category = '200'", "cql2-json", "filter-lang=cql2-json, but the filter is no JSON (it "
     "begins with \"category = '200'\"): for CQL2 text leave out filter-lang"),
    ("T_AFTER(registered_on, DATE('2020-01-01'))", "CQL2-JSON", "for CQL2 text leave out"),
])
@pytest.mark.parametrize("f", ["json", "csv", "html"])
def test_a_filter_in_the_other_cql2_encoding_is_named(server: str, filter_: str,
                                                      lang: str | None, said: str,
                                                      f: str) -> None:
    """A CQL2 JSON filter sent without filter-lang was "invalid cql2-text filter at line 1,
    column 1: expected Expr", and CQL2 text sent as cql2-json "cql2-json filter is not JSON:
    Expecting value at line 1 column 1": neither said that the encoding was the mistake."""
    params = {"f": f, "filter": filter_, **({"filter-lang": lang} if lang else {})}
    r = httpx.get(f"{server}/collections/land_parcels/items", params=params, timeout=60)
    assert r.status_code == 400, r.text[:300]
    text = html.unescape(r.text) if f == "html" else r.json()["detail"]
    assert said in text, text[:500]
    fixed = {**params, "filter-lang": "cql2-text" if filter_[0] not in " {" else "cql2-json"}
    assert httpx.get(f"{server}/collections/land_parcels/items", params=fixed,
                     timeout=60).status_code == 200


@pytest.mark.parametrize(("filter_", "lang", "said"), [
    ("category = 200", None, "category is a text; 200 is a number: write it in quotes, '200'"),
    ("category IN ('100', 200)", None, "200 is a number: write it in quotes, '200'"),
    ("purpose_code = 2.01", None, "purpose_code is a text; 2.01 is a number: write it in "
     "quotes, '2.01'"),
    ('{"op": "=", "args": [{"property": "cadastral_number"}, 6810100000]}', "cql2-json",
     "cadastral_number is a text; 6810100000 is a number: write it in quotes"),
    ("registered_on = 2020", None, "registered_on is a date; 2020 is not a date"),
    ("area_declared_ha = 'x'", None, "area_declared_ha is a number; 'x' is not a number"),
])
def test_a_number_compared_with_a_text_is_named_as_written(server: str, filter_: str,
                                                           lang: str | None, said: str) -> None:
    """CQL2 text reads every number as a float: ``category = 200`` (a code written without
    quotes, the commonest slip) was "category is a text; 200.0 is not a text" — a number the
    reader never wrote, and no word of the quotes that were missing."""
    params = {"filter": filter_, **({"filter-lang": lang} if lang else {})}
    r = get(server, "/collections/land_parcels/items", **params)
    assert r.status_code == 400, r.text[:300]
    assert said in r.json()["detail"] and ".0 " not in r.json()["detail"], r.json()["detail"]


@pytest.mark.parametrize(("filter_", "said"), [
    ("S_INTERSECTS(geometry, ENVELOPE(26.95, 49.40, 27.0, 49.43))",
     "ENVELOPE(…) is no geometry of CQL2, where a spatial predicate takes the geometry "
     "property or a POINT"),
    ("S_INTERSECTS(geometry, ENVELOPE(26.95, 49.40, 27.0, 49.43))",
     "a box is BBOX(minx, miny, maxx, maxy)"),
    ("S_WITHIN(geometry, BUFFER(POINT(26.99 49.42), 100))",
     "for a distance use S_DWITHIN(geometry, <geometry>, <distance>, meters)"),
    ("S_INTERSECTS(geometry, 'POINT(26.99 49.42)')",
     'a spatial predicate takes the geometry property or a geometry (POINT, POLYGON …, BBOX), '
     'got "POINT(26.99 49.42)"'),
])
def test_a_spatial_predicate_names_what_is_no_geometry(server: str, filter_: str,
                                                       said: str) -> None:
    """ECQL's ENVELOPE (CQL2's is BBOX), a BUFFER or a quoted WKT in a spatial predicate was
    "a geometry was expected in a spatial predicate": it named neither what was given nor
    what is taken."""
    r = get(server, "/collections/land_parcels/items", filter=filter_)
    assert r.status_code == 400, r.text[:300]
    assert said in r.json()["detail"], r.json()["detail"]


@pytest.mark.parametrize("written", ["٣", "３", "1_0", "0x3", "3,0"])
@pytest.mark.parametrize(("field", "kind"), [("width_m", "a number"), ("sides", "an integer")])
def test_a_number_is_written_in_ascii_digits_for_every_numeric_field(
        server: str, written: str, field: str, kind: str) -> None:
    """A number field took what Python's Decimal reads — «٣» (an Arabic-Indic 3), a
    full-width «３», «1_0» — and found the structures 3 or 10 m wide, while an integer field
    refused the same values: one spelling of a number, as the object ids and If-Match have."""
    for params in ({field: written}, {"filter": f"{field} = '{written}'"}):
        r = get(server, "/collections/advertising_structures/items", **params)
        assert r.status_code == 400, (params, r.text[:300])
        assert f"{field} is {kind}; {written!r} is not {kind}" in r.json()["detail"]
    assert get(server, "/collections/advertising_structures/items",
               **{field: "3"}).status_code == 200


def test_cql2_with_filter_crs_in_ucs2000(server: str, demo_url: str) -> None:
    # northing-first coordinates in EPSG:6383
    cql = "S_DWITHIN(geometry, POINT(5476633 299865), 400, meters)"
    doc = get(server, "/collections/addresses/items", limit=10000, filter=cql,
              **{"filter-crs": EPSG + "6383"}).json()
    expected = sql_ids(demo_url, "SELECT id FROM registry.address WHERE ST_DWithin(geom, "
                                 "ST_SetSRID(ST_MakePoint(299865, 5476633), 6383), 400) "
                                 "ORDER BY id")
    assert expected and ids(doc) == expected
    # CQL2's numbers may carry an exponent (approximateNumericLiteral), a WKT's coordinates too
    written = "S_DWITHIN(geometry, POINT(5.476633E6 2.99865e+5), 4e2, meters)"
    doc = get(server, "/collections/addresses/items", limit=10000, filter=written,
              **{"filter-crs": EPSG + "6383"}).json()
    assert ids(doc) == expected


# -- bad requests: 400/404 with an OGC exception naming the problem ---------------------------

BAD = [
    ("/collections/nonexistent/items", {}, 404, "nonexistent"),
    ("/collections/nonexistent", {}, 404, ""),
    ("/collections/land_parcels/items/999999999", {}, 404, "999999999"),
    ("/collections/land_parcels/items/abc", {}, 404, "abc"),
    ("/collections/land_parcels/items", {"bbox": "1,2,3"}, 400, "bbox"),
    ("/collections/land_parcels/items", {"bbox": "a,b,c,d"}, 400, "bbox"),
    ("/collections/land_parcels/items", {"bbox": "27,49.5,26,49.4"}, 400, "bbox"),
    ("/collections/land_parcels/items", {"crs": "EPSG:999999"}, 400, "crs"),
    ("/collections/land_parcels/items", {"bbox": "1,2,3,4", "bbox-crs": "urn:nope"}, 400,
     "bbox-crs"),
    ("/collections/land_parcels/items", {"filter": "purpose_code = "}, 400, "cql2-text"),
    ("/collections/land_parcels/items", {"filter": "-area_declared_ha < -4"}, 400,
     "(-area_declared_ha < -4 is area_declared_ha > 4)"),
    ("/collections/land_parcels/items", {"filter": "area_declared_ha + 1 > 2"}, 400,
     "arithmetic (+) is not supported"),
    # parameter names are case-sensitive: a WFS user's BBOX= returned every parcel
    ("/collections/land_parcels/items", {"BBOX": "26.9,49.3,27.1,49.5"}, 400,
     "did you mean 'bbox'?"),
    ("/collections/land_parcels/items", {"Category": "100"}, 400, "did you mean 'category'?"),
    # a WFS URL's names, and near misses, were ignored the same way
    ("/collections/land_parcels/items", {"maxFeatures": "5"}, 400, "this API's is 'limit'"),
    ("/collections/land_parcels/items", {"srsName": "EPSG:6383"}, 400, "this API's is 'crs'"),
    ("/collections/land_parcels/items", {"typeNames": "land_parcels"}, 400,
     "names the collection in the path"),
    ("/collections/land_parcels/items", {"CQL_FILTER": "category = '100'"}, 400,
     "(GeoServer): this API's is 'filter'"),
    ("/collections/land_parcels/items", {"limt": "5"}, 400, "did you mean 'limit'?"),
    ("/collections/land_parcels/items", {"categroy": "100"}, 400, "did you mean 'category'?"),
    ("/collections/land_parcels/items", {"sort": "area_declared_ha"}, 400,
     "did you mean 'sortby'?"),
    # a value outside a closed code list (a typo, a title) found nothing, silently
    ("/collections/land_parcels/items", {"category": "2OO"}, 400,
     "category: '2OO' is not one of its codes (100, 200, 300"),
    ("/collections/advertising_structures/items", {"status": "expird"}, 400,
     "status: 'expird' is not one of its codes"),
    ("/collections/advertising_structures/items", {"filter": "status = 'expird'"}, 400,
     "status: 'expird' is not one of its codes"),
    ("/collections/land_parcels/items", {"filter": "category IN ('100', '2OO')"}, 400,
     "category: '2OO' is not one of its codes"),
    ("/collections/land_parcels/items", {"filter": "owner_password = 'x'"}, 400,
     "owner_password"),
    ("/collections/land_parcels/items", {"filter": "holder_rnokpp = '1'"}, 400, "holder_rnokpp"),
    ("/collections/land_parcels/items", {"filter": "{", "filter-lang": "cql2-json"}, 400,
     "cql2-json"),
    ("/collections/land_parcels/items", {"limit": "-1"}, 400, "limit must be between 1 and"),
    ("/collections/land_parcels/items", {"limit": "0"}, 400, "limit"),
    ("/collections/land_parcels/items", {"offset": "ten"}, 400, "offset"),
    ("/collections/land_parcels/items", {"sortby": "shoe_size"}, 400, "shoe_size"),
    ("/collections/land_parcels/items", {"datetime": "yesterday"}, 400, "datetime"),
    ("/collections/land_parcels/items", {"properties": "holder_rnokpp"}, 400, "holder_rnokpp"),
    ("/collections/land_parcels/items", {"area_declared_ha": "big"}, 400,
     "area_declared_ha is a number"),
]


@pytest.mark.parametrize(("path", "params", "status", "needle"), BAD)
def test_bad_requests_get_an_ogc_exception_naming_the_problem(
        server: str, path: str, params: dict[str, str], status: int, needle: str) -> None:
    r = get(server, path, **params)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] and body["description"]
    assert needle in body["description"]


def test_html_pages_come_from_pygeoapi_with_the_same_data(server: str) -> None:
    html = httpx.get(f"{server}/collections/land_parcels/items?f=html&limit=3", timeout=60)
    assert html.status_code == 200 and "text/html" in html.headers["content-type"]
    geo = get(server, "/collections/land_parcels/items", limit=3).json()
    assert geo["features"][0]["properties"]["cadastral_number"] in html.text
    # the browser tab names the collection (pygeoapi 0.24 leaves that page's title empty)
    plain = httpx.get(f"{server}/collections/land_parcels/items?f=html&limit=3",
                      headers={"Accept-Encoding": "identity"})
    assert int(plain.headers["content-length"]) == len(plain.content)
    assert re.search(r"<title>\s*Земельні ділянки\s*</title>", plain.text)
    assert re.search(r"<title>\s*Земельні ділянки\s*</title>", html.text), \
        re.search(r"<title>.*?</title>", html.text, re.S)
    english = httpx.get(f"{server}/collections/land_parcels/items?f=html&limit=1&lang=en")
    assert re.search(r"<title>\s*Land parcels\s*</title>", english.text)


@pytest.mark.parametrize("page", ["schema", "queryables"])
def test_schema_and_queryables_pages_speak_one_language(server: str, page: str) -> None:
    """pygeoapi's own schema page put English column heads and English field titles into a
    Ukrainian page; ours name every field and code in the page's language only."""
    reg = default_catalog().get("land_parcels")
    category = reg.field("category")
    assert category.code_titles
    code, titles = next(iter(category.code_titles.items()))
    for lang, other in (("uk", "en"), ("en", "uk")):
        r = httpx.get(f"{server}/collections/land_parcels/{page}?f=html&lang={lang}")
        assert r.status_code == 200
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", r.text))
        assert reg.field("cadastral_number").title[lang] in text
        assert reg.field("cadastral_number").title[other] not in text
        assert f"{code} — {titles[lang]}" in text and titles[other] not in text
    uk = re.sub(r"<[^>]+>", " ", httpx.get(
        f"{server}/collections/land_parcels/{page}?f=html").text)
    for english in ("Name", "Title", "Units", "Values", "Queryables", "Schema"):
        assert not re.search(rf"\b{english}\b", uk), english


def test_the_pages_say_our_own_words_in_their_language(server: str) -> None:
    """A collection's page listed the keywords of both languages ("cadastre, кадастр, земельні
    ділянки") on each, and the English items page showed the public's stand-in for a natural
    person's name in Ukrainian («фізична особа»), as did a YAML registry's default stand-in."""
    from registries.declaration import registry_from_mapping

    reg = default_catalog().get("land_parcels")
    for lang, other in (("uk", "en"), ("en", "uk")):
        page = httpx.get(f"{server}/collections/land_parcels?f=html&lang={lang}").text
        listed = re.search(r'<p class="keywords">(.*?)</p>', page, re.S)
        assert listed, page[:2000]
        assert all(word in listed.group(1) for word in reg.keywords[lang])
        assert not [w for w in reg.keywords[other] if w not in reg.keywords[lang]
                    and w in listed.group(1)], listed.group(1)
    natural = {"holder_kind": "natural", "limit": "5"}
    uk = httpx.get(f"{server}/collections/land_parcels/items", params={**natural, "f": "html"})
    en = httpx.get(f"{server}/collections/land_parcels/items",
                   params={**natural, "f": "html", "lang": "en"})
    assert "фізична особа" in uk.text and "фізична особа" not in en.text
    assert en.text.count("private person") >= 2 * 5  # the kind and the stand-in, each row
    field = registry_from_mapping({
        "id": "inspections", "title": {"uk": "Обстеження", "en": "Inspections"},
        "table": "inspection", "geometry": "Point", "group": "other",
        "fields": [{"name": "inspector_kind"}, {"name": "inspector_name", "personal_if": {
            "field": "inspector_kind", "equals": "natural"}}]}, "test").field("inspector_name")
    assert field.personal_if and field.personal_if.mask == {"uk": "фізична особа",
                                                            "en": "private person"}


def test_the_pages_name_the_product_in_each_language(server: str) -> None:
    """The Ukrainian pages' footer named the product «Хромада ГІС», a back-transliteration of
    "Hromada" (the word is громада)."""
    for lang, name in (("uk", "Громада ГІС на основі pygeoapi"),
                       ("en", "Hromada GIS on pygeoapi")):
        for path in ("/collections", "/collections/land_parcels/items",
                     "/collections/land_parcels/items/1"):
            page = httpx.get(f"{server}{path}", params={"f": "html", "lang": lang}, timeout=60)
            foot = re.search(r'<footer class="ogc-foot">([^<]*)</footer>', page.text)
            assert foot and foot.group(1).startswith(name), (path, lang, foot)


def test_the_registries_own_words_are_marked_ukrainian_on_english_pages(server: str) -> None:
    """An English items page showed names, addresses and documents' wording (Ukrainian data)
    unmarked, so a screen reader voiced them in English (WCAG 3.1.2): every cell or title
    holding Cyrillic carries lang="uk"; a Ukrainian page marks nothing; codes and numbers
    stay unmarked."""
    cyrillic = re.compile(r"[А-Яа-яЇїІіЄєҐґ]")
    for reg in default_catalog():
        if not reg.public:
            continue
        for path in (f"/collections/{reg.id}/items", f"/collections/{reg.id}/items/1"):
            en = httpx.get(f"{server}{path}", params={"f": "html", "lang": "en", "limit": 50},
                           timeout=60)
            if en.status_code == 404:
                continue
            # (the tab's title, "Проскурівська — Streets", is one string: left so)
            body = re.sub(r"<(script|style|title)[^>]*>.*?</\1>", " ", en.text, flags=re.S)
            body = re.sub(r'<(\w+)[^>]*lang="uk"[^>]*>.*?</\1>', " ", body, flags=re.S)
            left = cyrillic.findall(re.sub(r"<[^>]+>", " ", body))
            assert not left, (path, re.findall(r"\S*[А-Яа-яЇїІіЄєҐґ]\S*",
                                               re.sub(r"<[^>]+>", " ", body))[:5])
            uk = httpx.get(f"{server}{path}", params={"f": "html", "limit": 50}, timeout=60)
            assert not re.search(r'<(td|a|h1)[^>]* lang="uk"', uk.text), path
    numbers = httpx.get(f"{server}/collections/land_parcels/items",
                        params={"f": "html", "lang": "en", "limit": 5}).text
    assert not re.search(r'<td lang="uk">\d', numbers)  # a code or a number is not marked


def test_conformance_and_openapi_declare_what_is_served(server: str) -> None:
    classes = set(get(server, "/conformance").json()["conformsTo"])
    for suffix in ("ogcapi-features-1/1.0/conf/core", "ogcapi-features-2/1.0/conf/crs",
                   "ogcapi-features-3/1.0/conf/filter", "cql2/1.0/conf/cql2-json",
                   "ogcapi-features-4/1.0/conf/create-replace-delete"):
        assert f"http://www.opengis.net/spec/{suffix}" in classes
    oas = get(server, "/openapi").json()
    assert "/collections/land_parcels/items" in oas["paths"]
    queryables = get(server, "/collections/land_parcels/queryables").json()["properties"]
    reg = default_catalog().get("land_parcels")
    assert {f.name for f in reg.public_fields} <= set(queryables)
    assert not {f.name for f in reg.fields if f.personal} & set(queryables)


@pytest.mark.parametrize(("collection", "params"), [
    ("advertising_structures", {"datetime": "2026-01-01/.."}),
    ("advertising_structures", {"datetime": "../2025-06-30"}),
    ("advertising_structures", {"q": "ТОВ"}),
    ("advertising_structures", {"q": "ФОП,реклама", "sortby": "-valid_until"}),
    ("land_parcels", {"filter": "T_INTERSECTS(registered_on, INTERVAL('2015-01-01', '..'))"}),
    ("land_parcels", {"filter": "CASEI(purpose_code) LIKE '02.%'", "sortby": "-area_declared_ha"}),
    ("land_parcels", {"purpose_code": "02.01", "bbox": "26,49,28,50"}),
    ("land_parcels", {"filter": json.dumps({"op": ">", "args": [{"property": "area_declared_ha"},
                                                                0.08]}),
                      "filter-lang": "cql2-json", "offset": "3"}),
])
def test_html_pages_filter_exactly_as_geojson(server: str, collection: str,
                                              params: dict[str, str]) -> None:
    """One filter path for every format: pygeoapi's HTML page lists the same objects, in the
    same order, as the GeoJSON page of the same request."""
    path = f"/collections/{collection}/items"
    geo = get(server, path, limit=500, **params).json()
    page = httpx.get(f"{server}{path}", params={**params, "f": "html", "limit": "500"},
                     timeout=60)
    assert page.status_code == 200, page.text[:300]
    listed = [int(i) for i in re.findall(rf'href="[^"]*/collections/{collection}/items/(\d+)'
                                         r'(?:\?[^"]*)?"', page.text)]
    listed = list(dict.fromkeys(listed))  # each row may link its item more than once
    assert geo["features"], "the case must select something to prove anything"
    assert listed == ids(geo), params


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_schema_and_queryables_describe_fields_from_the_declarations(server: str,
                                                                     lang: str) -> None:
    """A filter builder reads the queryables: titles in one language (the document's), the
    code lists, the geometry's type. pygeoapi titled queryables by column name, schemas in
    English under a Ukrainian title, and every geometry ``geometry-any``."""
    from jsonschema import Draft201909Validator

    from ogc.features import GEOMETRY_FORMATS

    for reg in (r for r in default_catalog() if r.public):
        for kind in ("schema", "queryables"):
            r = httpx.get(f"{server}/collections/{reg.id}/{kind}", params={"lang": lang},
                          timeout=60)
            assert r.status_code == 200 and \
                r.headers["content-type"].startswith("application/schema+json"), r.text[:200]
            doc = r.json()
            Draft201909Validator.check_schema(doc)
            assert doc["title"] == reg.title[lang]
            props = doc["properties"]
            assert props["geometry"]["format"] == GEOMETRY_FORMATS[reg.geometry]
            for f in reg.public_fields:
                if f.name not in props:
                    continue
                assert props[f.name]["title"] == f.title[lang], (reg.id, kind, f.name)
                if f.choices:
                    assert props[f.name]["enum"] == list(f.choices), (reg.id, f.name)
            assert {n for n in props if n != "geometry"} == {f.name for f in reg.public_fields}
            # the page says it too (pygeoapi's page data calls every geometry geometry-any)
            page = httpx.get(f"{server}/collections/{reg.id}/{kind}",
                             params={"lang": lang, "f": "html"}, timeout=60).text
            assert GEOMETRY_FORMATS[reg.geometry] in page and "geometry-any" not in page, reg.id


def test_a_text_with_decomposed_letters_finds_what_a_keyboard_typed(server: str,
                                                                    demo_url: str) -> None:
    """й and ї can arrive as a letter and a combining mark (copied from a PDF, typed on a
    Mac). Stored texts are composed (NFC); a filter's text is composed too, or ``q``, a CQL2
    comparison and an equality filter found nothing."""
    import unicodedata

    with psycopg.connect(demo_url) as conn:
        name = conn.execute("SELECT name FROM open_data.street WHERE name ~ '[йї]' "
                            "ORDER BY id LIMIT 1").fetchone()[0]  # type: ignore[index]
    decomposed = unicodedata.normalize("NFD", name)
    assert decomposed != name
    word = next(w for w in name.split() if any(c in w for c in "йї"))
    typed = unicodedata.normalize("NFD", word)

    def matched(**params: str) -> int:
        r = get(server, "/collections/streets/items", limit="1", **params)
        assert r.status_code == 200, r.text
        return int(r.json()["numberMatched"])

    expected = matched(q=word)
    assert expected >= 1
    assert matched(q=typed) == expected
    assert matched(filter=f"name = '{decomposed}'") == matched(filter=f"name = '{name}'") >= 1
    assert matched(filter=f"name LIKE '%{typed}%'") == matched(filter=f"name LIKE '%{word}%'")
    assert matched(name=decomposed) == matched(name=name)


def test_the_landing_page_and_openapi_name_the_council(server: str) -> None:
    from gis.settings import OpenDataSettings

    council = OpenDataSettings()
    for lang, name in (("uk", council.publisher), ("en", council.publisher_en)):
        doc = get(server, "/", f="jsonld", lang=lang).json()
        assert doc["provider"]["name"] == name
        assert doc["provider"]["contactPoint"]["email"] == council.contact_email
    info = get(server, "/openapi").json()["info"]
    assert info["contact"]["name"] == council.publisher
    assert info["license"]["url"] == council.licence_url
    assert "gis@example.org" not in str(info) and "github.com" not in str(info)


def test_the_openapi_describes_our_public_routes_as_they_answer(server: str,
                                                               demo_url: str) -> None:
    """``/openapi`` described pygeoapi's paths only: not the search, the parcel report, the
    open-data files or the tiles a developer reading it would use. Each documented operation
    answers, filled with a real object's values."""
    with psycopg.connect(demo_url) as conn:
        number, lon, lat = conn.execute(
            "SELECT cadastral_number, ST_X(p), ST_Y(p) FROM (SELECT cadastral_number, "
            "ST_Transform(ST_PointOnSurface(geom), 4326) AS p FROM open_data.land_parcel "
            "ORDER BY id LIMIT 1) s").fetchone()  # type: ignore[misc]
    doc = get(server, "/openapi").json()
    ours = {p: op["get"] for p, op in doc["paths"].items() if "hromada" in op["get"]["tags"]}
    values = {"cadastralNumber": number, "file": "land_parcels.csv",
              "tileMatrixSetId": "WebMercatorQuad", "collectionId": "land_parcels",
              "tileMatrix": "14", "tileRow": "5594", "tileCol": "9420"}
    query = {"q": number, "lon": str(lon), "lat": str(lat)}
    assert len(ours) >= 11
    for path, op in ours.items():
        if "{rasterId}" in path:  # this server has no raster: tests/test_rasters_http.py
            continue
        url = path.format(**values)
        params = {p["name"]: query[p["name"]] for p in op["parameters"]
                  if p["in"] == "query" and p["required"]}
        r = httpx.get(f"{server}{url}", params=params, timeout=60)
        assert r.status_code in (200, 204), (path, r.status_code, r.text[:200])
        media = r.headers.get("content-type", "").split(";")[0]
        assert r.status_code == 204 or media in op["responses"]["200"]["content"], (path, media)


def test_the_api_definition_declares_no_parameter_the_items_refuse(server: str) -> None:
    """The items GET of every collection declared pygeoapi's "free-form parameters that are
    not explicitly defined" (``vendorSpecificParameters``), while the server answers any such
    parameter 400 (Part 1's /req/core/query-param-unknown). Every query parameter the
    document declares is one the items take."""
    doc = get(server, "/openapi").json()
    components = doc["components"]["parameters"]
    for path, item in doc["paths"].items():
        if not re.fullmatch(r"/collections/[^/]+/items", path):
            continue
        declared = [components.get(p["$ref"].rsplit("/", 1)[-1], {"name": p["$ref"]})
                    if str(p.get("$ref", "")).startswith("#") else p
                    for p in item["get"]["parameters"]]
        names = [p.get("name") or p["$ref"] for p in declared if p.get("in", "query") == "query"]
        assert "vendorSpecificParameters" not in names, path
        for name in names:
            if name.startswith("http"):  # sortby, by a reference to OGC API - Records
                continue
            r = httpx.get(f"{server}{path}", params={name: "x"}, timeout=60)
            assert "unknown parameter" not in r.text, (path, name, r.text[:200])


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(("accept", "answered"), [
    # HTML only if nothing else: a substring test of "text/html" answered HTML
    ("text/html;q=0.1, application/geo+json", "application/geo+json"),
    ("application/json, text/html;q=0.9", "application/geo+json"),
    (BROWSER, "text/html"),
    ("text/csv", "text/csv"),
    ("application/ld+json", "application/ld+json"),
    ("text/csv;q=0.5, application/ld+json;q=0.2", "text/csv"),
    ("*/*", "application/geo+json"),
    ("application/xml", "application/geo+json"),  # none offered: the default
])
def test_an_items_page_follows_accept_by_quality(server: str, accept: str,
                                                 answered: str) -> None:
    """Without ``f`` the format is the one ``Accept`` ranks highest (RFC 9110 12.5.1), and
    the answer says it varies by ``Accept``."""
    r = httpx.get(f"{server}/collections/land_parcels/items", params={"limit": 2},
                  headers={"Accept": accept}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == answered
    assert "accept" in [v.strip().lower() for v in r.headers["vary"].split(",")]


DOCUMENTS = ["/", "/collections", "/conformance", "/collections/land_parcels",
             "/collections/land_parcels/items/1", "/collections/land_parcels/queryables",
             "/openapi"]


@pytest.mark.parametrize(("accept", "answered"), [
    # a refusal (q=0) beside another choice: pygeoapi ranked choices by 1/q, a 500
    ("application/geo+json;q=0, application/json;q=0, text/html;q=0.5", "html"),
    ("application/json;q=0", "json"),  # nothing acceptable offered: the default
    ("text/*", "html"),  # pygeoapi took it for JSON (and an items page's crs for applied)
    ("image/png", "json"),  # pygeoapi labelled its JSON answer image/png
    ("application/ld+json;q=0.9, text/html;q=0.3", "jsonld"),
])
def test_every_document_follows_accept_by_quality(server: str, accept: str,
                                                  answered: str) -> None:
    """pygeoapi's documents are negotiated as ours are (``gis.negotiation``), whatever
    ``Accept`` says, and say they vary by it; a document not offered in JSON-LD (the OpenAPI
    document, the queryables) answers in its own JSON type."""
    types = {"html": ("text/html",), "json": ("application/json", "application/geo+json",
                                              "application/schema+json",
                                              "application/vnd.oai.openapi+json"),
             "jsonld": ("application/ld+json",)}
    for path in DOCUMENTS:
        r = httpx.get(f"{server}{path}", headers={"Accept": accept}, timeout=60)
        assert r.status_code == 200, (path, r.status_code, r.text[:200])
        media = r.headers["content-type"].split(";")[0]
        wanted = types[answered] if answered != "jsonld" or path not in (
            "/openapi", "/collections/land_parcels/queryables") else types["json"]
        assert media in wanted, (path, accept, media)
        if media != "text/html":
            r.json()  # the body is what the type says
        names = [v.strip().lower() for v in r.headers["vary"].split(",")]
        assert "accept" in names, (path, r.headers["vary"])


@pytest.mark.parametrize("refusal", ["en;q=0", "uk, en;q=0", "en;q=x"])
def test_a_language_refused_by_q_0_is_no_server_error(server: str, refusal: str) -> None:
    """``lang`` and ``Accept-Language`` are read as preferences: a choice of ``q=0`` (a
    refusal) or no number is left out, never divided by (pygeoapi answered 500)."""
    for path in DOCUMENTS:
        for f in ("json", "html"):
            by_lang = httpx.get(f"{server}{path}", params={"f": f, "lang": refusal},
                                timeout=60)
            by_header = httpx.get(f"{server}{path}", params={"f": f},
                                  headers={"Accept-Language": refusal}, timeout=60)
            for r in (by_lang, by_header):
                assert r.status_code == 200, (path, f, r.status_code, r.text[:200])
                # English was refused: Ukrainian (the geoportal's page and our GeoJSON
                # name no language)
                assert r.headers.get("content-language", "uk") == "uk", (path, f)


def test_a_negotiated_page_says_it_varies_by_accept(server: str) -> None:
    """``/`` is the geoportal for a browser and the OGC landing page for a program; its Vary
    lacked Accept whenever it was gzipped (``Accept`` was found inside ``Accept-Encoding``)."""
    for accept in (BROWSER, "application/json"):
        r = httpx.get(f"{server}/", headers={"Accept": accept, "Accept-Encoding": "gzip"},
                      timeout=60)
        assert r.status_code == 200
        names = [v.strip().lower() for v in r.headers["vary"].split(",")]
        assert "accept" in names, r.headers["vary"]
        if r.headers.get("content-encoding") == "gzip":
            assert "accept-encoding" in names, r.headers["vary"]


def test_an_error_follows_accept_by_quality(server: str) -> None:
    """A program preferring JSON gets the problem document, a browser the page."""
    for accept, answered in (("application/json, text/html;q=0.5", "application/problem+json"),
                             (BROWSER, "text/html")):
        r = httpx.get(f"{server}/collections/nowhere", headers={"Accept": accept}, timeout=60)
        assert r.status_code == 404
        assert r.headers["content-type"].split(";")[0] == answered


@pytest.mark.parametrize("limit", [5, 2000])
def test_an_items_page_links_itself_in_every_format_it_is_served_in(server: str,
                                                                    limit: int) -> None:
    """The page linked only its HTML twin (even past the 1,000 features a rendered page holds:
    a link to a 400), not its CSV or JSON-LD; each alternate now answers in its type."""
    doc = get(server, "/collections/land_parcels/items", limit=limit, offset=3).json()
    alternates = {lk["type"]: lk["href"] for lk in doc["links"] if lk["rel"] == "alternate"}
    wanted = {"text/csv"} | ({"text/html", "application/ld+json"} if limit <= 1000 else set())
    assert set(alternates) == wanted, alternates
    for kind, href in alternates.items():
        r = httpx.get(href, timeout=60)
        assert r.status_code == 200, (href, r.text[:300])
        assert r.headers["content-type"].split(";")[0] == kind
        assert "offset=3" in href and f"limit={limit}" in href


def test_a_page_too_long_to_render_holds_what_a_rendered_page_holds(demo_url: str) -> None:
    """Part 1 (/req/core/fc-limit-response-1 C): a limit over what is served is answered with
    the most that is served, not an error. A rendered page (HTML, JSON-LD) holds at most
    GIS_LIMITS__MAX_RENDERED_ITEMS features (1,000; 100 here): over it was a 400; it is the
    first page of that size, and its links ask that size."""
    with served({"GIS_DATABASE_URL": demo_url, "GIS_LIMITS__MAX_RENDERED_ITEMS": "100"}) as base:
        first = get(base, "/collections/land_parcels/items", f="json", limit=100).json()
        assert first["numberMatched"] > 100
        doc = get(base, "/collections/land_parcels/items", f="jsonld", limit=250)
        assert doc.status_code == 200, doc.text[:300]
        graph = json.loads(doc.text)
        items = graph.get("features") or graph.get("@graph") or []
        assert len(items) == 100
        page = get(base, "/collections/land_parcels/items", f="html", limit=250, offset=100)
        assert page.status_code == 200
        text = html.unescape(page.text)
        assert "limit=100" in text and "limit=250" not in text  # its links ask what it holds
        shown = set(re.findall(r"/items/(\d+)\?", text))
        assert shown and str(first["features"][-1]["id"]) not in shown
        # the cap keeps the rest of the query as it was
        q = get(base, "/collections/addresses/items", f="html", limit=5000, q="Соборна")
        assert q.status_code == 200
        assert "q=%D0%A1%D0%BE%D0%B1%D0%BE%D1%80%D0%BD%D0%B0" in html.unescape(q.text)


@pytest.mark.parametrize(("lang", "fragment"), [("uk", "obj=land_parcels/{id}"),
                                                ("en", "lang=en&obj=land_parcels/{id}")])
def test_an_item_page_opens_its_object_on_the_map(server: str, lang: str, fragment: str) -> None:
    """The item page's link to the geoportal: its fragment names the object (the English one
    was written "lang=en&amp;amp;obj=…", which a browser reads as a parameter "amp;obj")."""
    doc = get(server, "/collections/land_parcels/items", limit=1).json()
    pid = doc["features"][0]["id"]
    page = httpx.get(f"{server}/collections/land_parcels/items/{pid}",
                     params={"f": "html", "lang": lang}).text
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]*obj=[^"]*)"', page)]
    assert hrefs and all(h.endswith("/?f=html#" + fragment.format(id=pid)) for h in hrefs), hrefs


@pytest.mark.parametrize(("lang", "separator"), [("uk", "\u00a0"), ("en", ",")])
def test_an_items_page_groups_thousands_as_the_cards_do(server: str, lang: str,
                                                        separator: str) -> None:
    """The count of an items page read "5365" where the geoportal's cards write 5 365 (uk) or
    5,365 (en), as toLocaleString does."""
    matched = get(server, "/collections/addresses/items", limit=1).json()["numberMatched"]
    assert matched >= 1000
    page = httpx.get(f"{server}/collections/addresses/items",
                     params={"f": "html", "lang": lang, "limit": 1}).text
    grouped = f"{matched:,}".replace(",", separator)
    assert grouped in page and str(matched) not in page.replace(grouped, ""), grouped


@pytest.mark.parametrize("f", ["json", "html"])
def test_a_shared_links_tracking_parameters_are_ignored(server: str, f: str) -> None:
    """OGC API Features asks a 400 for a parameter the API does not define, but a link shared
    on a social network or from a newsletter carries its tracking (``fbclid``, ``utm_…``) and
    a script its cache-buster (``_``): those must still open the page, with every filter it
    asked for."""
    plain = httpx.get(f"{server}/collections/land_parcels/items",
                      params={"f": f, "limit": 2, "sortby": "-area_declared_ha"}, timeout=60)
    tracked = httpx.get(f"{server}/collections/land_parcels/items", params={
        "f": f, "limit": 2, "sortby": "-area_declared_ha", "fbclid": "IwAR0x",
        "utm_source": "facebook", "utm_medium": "social", "gclid": "Cj0K",
        "_": "1733530000000"}, timeout=60)
    assert (plain.status_code, tracked.status_code) == (200, 200), tracked.text
    if f == "json":
        assert ids(tracked.json()) == ids(plain.json()) and len(ids(plain.json())) == 2


@pytest.mark.parametrize("f", ["json", "csv"])
@pytest.mark.parametrize("asked", ["10001", "1" + "0" * 30])
def test_a_limit_over_the_maximum_is_served_at_the_maximum(server: str, f: str,
                                                           asked: str) -> None:
    """Part 1's /req/core/fc-limit-response-1 C: a limit larger than the maximum the API
    definition gives "SHALL NOT result in an error (instead use the maximum as the parameter
    value)". It was a 400, and a script asking ``limit=100000`` to page through everything
    got nothing. The page's links ask the limit served; a shared link's tracking is not
    carried on."""
    api = httpx.get(f"{server}/api", params={"f": "json"}, timeout=60).json()
    limit = next(p for p in api["paths"]["/collections/addresses/items"]["get"]["parameters"]
                 if p.get("name") == "limit")
    most = limit["schema"]["maximum"]
    assert int(asked) > most == 10000
    r = httpx.get(f"{server}/collections/addresses/items",
                  params={"f": f, "limit": asked, "fbclid": "IwAR0x"}, timeout=120)
    assert r.status_code == 200, r.text[:300]
    whole = httpx.get(f"{server}/collections/addresses/items",
                      params={"f": "json", "limit": 1}, timeout=60).json()["numberMatched"]
    if f == "json":
        page = r.json()
        assert page["numberReturned"] == len(page["features"]) == min(whole, most)
        paged = [link["href"] for link in page["links"] if "/items?" in link["href"]]
        assert paged and all(f"limit={most}" in h and "fbclid" not in h for h in paged), paged
    else:  # the CSV's Link header names the next and previous pages only: none here
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert len(rows) - 1 == min(whole, most)
    for refused in ("0", "-5", "ten"):
        bad = httpx.get(f"{server}/collections/addresses/items",
                        params={"f": f, "limit": refused}, timeout=60)
        assert bad.status_code == 400, (refused, bad.status_code)


def test_the_api_definition_gives_the_maximum_the_server_serves(demo_url: str) -> None:
    """``GIS_MAX_ITEMS`` set the largest page served, but the API definition's ``maximum``
    came from a constant of its own (10,000): a client reading it asked pages the server
    then cut. Both now come from the one setting."""
    with served({"GIS_DATABASE_URL": demo_url, "GIS_MAX_ITEMS": "50"}) as base:
        api = httpx.get(f"{base}/api", params={"f": "json"}, timeout=60).json()
        limit = next(p for p in api["paths"]["/collections/addresses/items"]["get"]
                     ["parameters"] if p.get("name") == "limit")
        assert limit["schema"]["maximum"] == 50
        page = httpx.get(f"{base}/collections/addresses/items", params={"limit": 51},
                         timeout=60).json()
        assert page["numberReturned"] == 50 < page["numberMatched"]


UNKNOWN_PARAMETER_CASES = [
    ("/collections/land_parcels/items", "json",
     "not a parameter of items (/api) nor a queryable of land_parcels"),
    ("/collections/land_parcels/items", "html", "not a parameter of items"),
    ("/collections/land_parcels/items", "csv", "not a parameter of items"),
    ("/collections/land_parcels/items/1", "json", "takes crs, f, lang and pending"),
    ("/collections/land_parcels/items/1", "html", "takes crs, f, lang and pending"),
    ("/", "json", "takes f and lang"),
    ("/conformance", "json", "takes f and lang"),
    ("/conformance", "html", "takes f and lang"),
    ("/collections", "json", "takes f and lang"),
    ("/collections/land_parcels", "json", "takes f and lang"),
    ("/collections/land_parcels/", "html", "takes f and lang"),
    ("/collections/land_parcels/queryables", "json", "takes f, lang, profile and properties"),
    ("/collections/land_parcels/schema", "json", "takes f and lang"),
    ("/api", "json", "takes f, lang and ui"),
]


@pytest.mark.parametrize(("path", "f", "takes"), UNKNOWN_PARAMETER_CASES)
def test_a_parameter_no_resource_takes_is_refused(server: str, path: str, f: str,
                                                  takes: str) -> None:
    """Part 1's /req/core/query-param-unknown: a name the API does not define (``ooga``, a
    client's or another server's extension) was ignored, and every object came back as if it
    had been applied. It is a 400 that says what the resource takes, on every resource of the
    OGC API and in every format; link tracking alone is let through (the test above)."""
    r = httpx.get(f"{server}{path}", params={"f": f, "ooga": "booga"}, timeout=60)
    assert r.status_code == 400, (r.status_code, r.text[:300])
    said = html.unescape(r.text) if f == "html" else str(r.json().get("description"))
    assert "unknown parameter 'ooga'" in said and takes in said, said[:400]
    known = httpx.get(f"{server}{path}", params={"f": f, "lang": "en", "fbclid": "IwAR0x"},
                      timeout=60)
    assert known.status_code == 200, (known.status_code, known.text[:300])


@pytest.mark.parametrize(("path", "f"), [
    ("/collections/land_parcels/items", "json"), ("/collections/land_parcels/items", "csv"),
    ("/collections/land_parcels/items", "html"), ("/collections/land_parcels/items/1", "json"),
    ("/collections/land_parcels", "json")])
@pytest.mark.parametrize("name", ["token", "access_token", "api_key"])
def test_a_token_in_the_address_is_refused_naming_the_header(server: str, path: str, f: str,
                                                             name: str) -> None:
    """``token`` was a parameter of items that nothing read: ``items?token=<a staff token>``
    (an ArcGIS habit) answered the public copy as if signed in, while an item refused it as
    unknown. Every resource refuses a credential in the address and says where it goes."""
    r = httpx.get(f"{server}{path}", params={"f": f, name: "hgt_x"}, timeout=60)
    assert r.status_code == 400, (r.status_code, r.text[:300])
    said = html.unescape(r.text) if f == "html" else r.text
    assert f"unknown parameter '{name}': a token is sent in the Authorization header" in said


@pytest.mark.parametrize("path", ["/", "/collections", "/collections/land_parcels/items"])
def test_a_wms_or_wfs_request_is_told_what_this_server_is(server: str, path: str) -> None:
    """A GIS user who adds the address as a WMS or WFS connection sends ``SERVICE=…&
    REQUEST=GetCapabilities``; the landing page answered its JSON as if asked. The 400 says
    what the server is, and how to connect."""
    r = httpx.get(f"{server}{path}", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities"},
                  headers={"Accept": "application/json"}, timeout=60)
    assert r.status_code == 400, r.text[:300]
    assert "not a WMS or WFS; add its address as an OGC API - Features connection" in \
        r.json()["description"]


@pytest.mark.parametrize("f", ["json", "html", "csv"])
def test_a_parameter_given_twice_with_two_values_is_refused(server: str, f: str) -> None:
    """The last value won: ``category=100&category=200``, a reader's "either", found category
    200 only, and ``limit=5&limit=500`` was a page of 500. The same value twice is one."""
    items = f"{server}/collections/land_parcels/items"
    either = httpx.get(items, params=[("f", f), ("category", "100"), ("category", "200")],
                       timeout=60)
    assert either.status_code == 400, either.text
    said = description(either)
    assert said == ("category is given 2 times ('100', '200'): give it once; for any of "
                    "several values, filter=category IN ('100', '200')"), said
    limits = httpx.get(items, params=[("f", f), ("limit", "5"), ("limit", "500")], timeout=60)
    assert limits.status_code == 400
    assert description(limits) == "limit is given 2 times ('5', '500'): give it once"
    same = httpx.get(items, params=[("f", f), ("limit", "2"), ("limit", "2")], timeout=60)
    assert same.status_code == 200, same.text


@pytest.mark.parametrize("path", ["/", "/conformance", "/collections",
                                  "/collections/land_parcels",
                                  "/collections/land_parcels/queryables",
                                  "/collections/land_parcels/items/1"])
def test_every_resource_refuses_a_parameter_given_twice(server: str, path: str) -> None:
    """Items refused ``f=html&f=json``; the other resources answered the last (pygeoapi's
    reading), the collections list as HTML to a client that asked JSON too. Two CRS URIs are
    quoted whole: cut at 40 characters, both read 'http://www.opengis.net/def/crs/…'."""
    r = httpx.get(f"{server}{path}", params=[("f", "json"), ("f", "html")], timeout=60)
    assert r.status_code == 400, (r.status_code, r.text[:200])
    assert description(r) == "f is given 2 times ('json', 'html'): give it once"
    same = httpx.get(f"{server}{path}", params=[("f", "json"), ("f", "json")], timeout=60)
    assert same.status_code == 200, same.text[:200]
    ucs, crs84 = f"{EPSG}6383", CRS84
    two = httpx.get(f"{server}/collections/land_parcels/items/1",
                    params=[("crs", ucs), ("crs", crs84)], timeout=60)
    assert two.status_code == 400 and f"('{ucs}', '{crs84}')" in two.json()["description"]


def test_a_feature_links_itself_in_every_format_served(server: str) -> None:
    """Part 1's /req/core/f-links (and the OGC test suite's Feature test) asks a feature to link
    itself in every other format the server serves (``alternate``): it linked only itself as
    GeoJSON and its collection, and the HTML conformance class went unlinked."""
    ucs = f"{EPSG}6383"
    doc = get(server, "/collections/land_parcels/items/1", f="json", crs=ucs).json()
    links = {(lk["rel"], lk["type"]): lk["href"] for lk in doc["links"]}
    assert set(links) == {("self", "application/geo+json"), ("alternate", "text/html"),
                          ("alternate", "application/ld+json"),
                          ("collection", "application/json")}, links
    assert "crs=" in links["self", "application/geo+json"]
    for (rel, kind), href in links.items():
        r = httpx.get(href, timeout=60)
        assert r.status_code == 200 and r.headers["content-type"].startswith(kind), (href, r)
        if rel == "alternate":  # written in CRS84 only: asked without crs
            assert "crs=" not in href


def description(response: httpx.Response) -> str:
    """Return an OGC exception's description, from its JSON or from the HTML page it makes."""
    if "html" in response.headers["content-type"]:
        found = re.search(r"(\w+ is given .*?give it once[^<]*)", html.unescape(response.text))
        return found[1].strip() if found else response.text
    return str(response.json()["description"])


def test_the_language_switch_of_a_filtered_items_page_keeps_its_filter(server: str) -> None:
    """The switch to the other language went to the collection's first page, unfiltered: an
    English reader of the active addresses got every address, in Ukrainian."""
    page = httpx.get(f"{server}/collections/addresses/items", timeout=60, params={
        "f": "html", "lang": "en", "status": "active", "limit": 5}).text
    found = re.search(r'<a class="lang"[^>]*href="([^"]+)"', page)
    assert found, page[:500]
    switch = urlsplit(html.unescape(found[1]))
    assert switch.path == "/collections/addresses/items"
    assert sorted(parse_qsl(switch.query)) == [("f", "html"), ("lang", "uk"), ("limit", "5"),
                                               ("status", "active")], switch
    other = httpx.get(html.unescape(found[1]), timeout=60)
    assert other.status_code == 200 and '<html lang="uk"' in other.text
    back = re.search(r'<a class="lang"[^>]*href="([^"]+)"', other.text)
    assert back and sorted(parse_qsl(urlsplit(html.unescape(back[1])).query)) == [
        ("f", "html"), ("lang", "en"), ("limit", "5"), ("status", "active")]
    # and its page: the switch of the second page opened the first (pygeoapi's self link
    # left the offset out)
    second = httpx.get(f"{server}/collections/addresses/items", timeout=60, params={
        "f": "html", "lang": "en", "status": "active", "limit": 5, "offset": 5}).text
    found = re.search(r'<a class="lang"[^>]*href="([^"]+)"', second)
    assert found and ("offset", "5") in parse_qsl(urlsplit(html.unescape(found[1])).query)


def test_an_items_page_shows_every_public_field_and_its_codes_titles(server: str,
                                                                      demo_url: str) -> None:
    """The pages' field tables were written for Jinja with every "null" in their JSON made
    "none": ``annulled_on`` became ``annoneed_on`` and the code ``annulled`` ``annoneed``, so
    the permits' pages had no «Annulled on» column and an annulled address showed the code
    "annulled" on the Ukrainian page. Every public field is a column of its registry's page,
    titled in the page's language, and every code found in the data shows its title."""
    for reg in default_catalog():
        if not reg.public:
            continue
        for lang in ("uk", "en"):
            r = httpx.get(f"{server}/collections/{reg.id}/items",
                          params={"f": "html", "lang": lang, "limit": 1}, timeout=60)
            assert r.status_code == 200, (reg.id, r.text[:300])
            if "<thead>" not in r.text:
                continue  # no object in the demo at this scale
            heads = [html.unescape(h).strip() for h in re.findall(r"<th>([^<]*)", r.text)]
            wanted = [f.title.get(lang) or f.name for f in reg.public_fields
                      if f.name != reg.label]
            assert heads[1:] == wanted, (reg.id, lang, heads)
        for f in reg.public_fields:
            if not f.code_titles:
                continue
            with psycopg.connect(demo_url) as conn:
                found = [r[0] for r in conn.execute(psycopg.sql.SQL(
                    "SELECT DISTINCT {} FROM {} WHERE {} IS NOT NULL").format(
                        psycopg.sql.Identifier(f.name), psycopg.sql.Identifier(*reg.public_view),
                        psycopg.sql.Identifier(f.name))).fetchall()]
            for code in found:
                page = httpx.get(f"{server}/collections/{reg.id}/items", timeout=60, params={
                    "f": "html", "limit": 1, f.name: code}).text
                cells = " | " + " | ".join(html.unescape(c).strip() for c in re.findall(
                    r"<td[^>]*>([^<]*)</td>", page))  # (a long title is cut at 60 characters)
                assert f"| {f.code_titles[code]['uk'][:40]}" in cells, (reg.id, f.name, code)


UKRAINIAN_ALPHABET = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"


@pytest.mark.parametrize("f", ["json", "csv", "html"])
def test_a_text_is_sorted_in_the_ukrainian_alphabets_order(server: str, f: str) -> None:
    """``sortby=name`` sorted by code point (the database's C.UTF-8): «Європейська» and
    «Івана Франка» came before «Анатолія …», «Січова» after «Степана Бандери». Every format
    (one items pipeline) lists the names in the alphabet's order, either way."""
    for sign in ("", "-"):
        r = httpx.get(f"{server}/collections/streets/items", timeout=60, params={
            "f": f, "sortby": f"{sign}name", "limit": 1000, "properties": "name"})
        assert r.status_code == 200, r.text[:300]
        if f == "json":
            names = [ft["properties"]["name"] for ft in r.json()["features"]]
        elif f == "csv":
            names = [row["name"] for row in csv.DictReader(io.StringIO(r.text.lstrip("\ufeff")))]
        else:
            names = [html.unescape(n) for n in re.findall(
                r'<td><a href="[^"]*/items/\d+\?f=html[^"]*"[^>]*>([^<]*)</a>', r.text)]
        # (a number first, «1-й Роський», as every collation puts digits before letters)
        keys = [[-1] if n[0].isdigit() else [UKRAINIAN_ALPHABET.index(c) for c in n.lower()[:2]
                                             if c in UKRAINIAN_ALPHABET] for n in names]
        assert len(names) > 20 and any(n[0] in "ЄІЇҐ" for n in names), names
        assert keys == sorted(keys, reverse=sign == "-"), (f, sign, names)


@pytest.mark.parametrize(("filter_", "first_letters"), [
    ("name < 'Б'", "0123456789а"),
    ("name >= 'В' AND name < 'Д'", "вгґ"),
    ("name BETWEEN 'Е' AND 'Ж'", "еє"),
    ("CASEI(name) <= 'ї'", "0123456789абвгґдеєжзиії"),
    ("name > 'Ю'", "юя"),
])
def test_a_text_comparison_follows_the_ukrainian_alphabet(server: str, filter_: str,
                                                          first_letters: str) -> None:
    """``name < 'Б'`` compared code points (the database's C.UTF-8): it held «Європейська» and
    «Івана …», whose Є and І come before А there, and ``name > 'Ю'`` would hold Ґ. Texts are
    compared as ``sortby`` orders them."""
    every = get(server, "/collections/streets/items", limit=1000, properties="name").json()
    names = [ft["properties"]["name"] for ft in every["features"]]
    assert any(n[0] in "ЄІ" for n in names)
    expected = sorted(n for n in names if n[0].lower() in first_letters)
    r = get(server, "/collections/streets/items", limit=1000, properties="name",
            filter=filter_)
    assert r.status_code == 200, r.text[:300]
    assert sorted(ft["properties"]["name"] for ft in r.json()["features"]) == expected


@pytest.mark.parametrize("f", ["json", "html"])
def test_the_queryables_properties_are_named_as_the_items_name_them(server: str,
                                                                     f: str) -> None:
    """pygeoapi answered ``queryables?properties=…`` with "unknown properties specified" for a
    name it did not know (naming none), for ``geometry`` (which its document lists) and for a
    name after ", ". The unknown names are named; geometry and spaces are taken."""
    path = f"{server}/collections/land_parcels/queryables"
    r = httpx.get(path, params={"f": f, "properties": "category, nope,holder_rnokpp"},
                  timeout=60)
    assert r.status_code == 400, r.text[:300]
    said = html.unescape(r.text)
    assert "unknown properties ['nope', 'holder_rnokpp'] for collection land_parcels" in said
    r = httpx.get(path, params={"f": f, "properties": "category, geometry, registered_on"},
                  timeout=60)
    assert r.status_code == 200, r.text[:300]
    if f == "json":
        assert set(r.json()["properties"]) == {"geometry", "category", "registered_on"}
    alone = httpx.get(path, params={"f": f, "properties": "geometry"}, timeout=60)
    assert alone.status_code == 400
    assert "the geometry is in every queryables document" in html.unescape(alone.text)
