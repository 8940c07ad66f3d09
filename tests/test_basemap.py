"""The city's base map over HTTP: label glyphs built and served locally, the MapLibre style with
its base-map and label layers in both languages, tiles gzip-compressed on the wire and in the
cache, and what is at a point (/search/place)."""

from __future__ import annotations

import gzip
import json
import math
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np
import psycopg
import pytest

from registries.styles import OFF_AT_FIRST
from tests.test_tiles import decode
from tiles.glyphs import BUFFER, Glyphs, sdf

FONT = Path(__file__).resolve().parent.parent / "app" / "static" / "node_modules" / \
    "dejavu-fonts-ttf" / "ttf" / "DejaVuSans.ttf"


def read_varint(data: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def fields(data: bytes) -> list[tuple[int, Any]]:
    """Return the (field number, value) pairs of one protobuf message (varints and bytes)."""
    out, i = [], 0
    while i < len(data):
        key, i = read_varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = read_varint(data, i)
        elif wire == 2:
            size, i = read_varint(data, i)
            value, i = data[i:i + size], i + size
        else:
            raise AssertionError(f"unexpected wire type {wire}")
        out.append((number, value))
    return out


def unzigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def glyphs_of(pbf: bytes) -> tuple[str, str, dict[int, dict[str, Any]]]:
    """Return the stack name, range and glyphs (by code point) of a glyph PBF."""
    (number, stack), = fields(pbf)
    assert number == 1
    name = rng = ""
    glyphs: dict[int, dict[str, Any]] = {}
    for n, value in fields(stack):
        if n == 1:
            name = value.decode()
        elif n == 2:
            rng = value.decode()
        elif n == 3:
            g = dict(fields(value))
            glyphs[g[1]] = {"bitmap": g.get(2, b""), "width": g[3], "height": g[4],
                            "left": unzigzag(g[5]), "top": unzigzag(g[6]), "advance": g[7]}
    return name, rng, glyphs


def test_sdf_of_a_square_rises_inside_and_falls_outside() -> None:
    alpha = np.zeros((20, 20))
    alpha[7:13, 7:13] = 1.0
    field = sdf(alpha).astype(int)
    assert field[10, 10] > 191 > field[0, 0]  # 191: the edge MapLibre's shader draws
    assert field[10, 7] > field[10, 6] > field[10, 3]  # falls off with the distance out
    assert field[0, 0] == 0  # beyond the radius


def test_cyrillic_glyphs_are_built_from_the_font() -> None:
    if not FONT.is_file():
        pytest.fail(f"{FONT} is missing: run scripts/bootstrap.sh (npm ci installs it)")
    pbf = Glyphs({"DejaVu Sans Book": FONT}).range("DejaVu Sans Book", 1024)
    assert pbf is not None
    name, rng, glyphs = glyphs_of(pbf)
    assert (name, rng) == ("DejaVu Sans Book", "1024-1279")
    for letter in "ЖжЇїҐґЄєІіЩщ":
        g = glyphs[ord(letter)]
        assert len(g["bitmap"]) == (g["width"] + 2 * BUFFER) * (g["height"] + 2 * BUFFER)
        assert 0 < g["advance"] <= 30 and g["top"] < 0
        assert max(g["bitmap"]) > 191 > min(g["bitmap"])  # an inside and an outside
    assert all(1024 <= code <= 1279 for code in glyphs)
    assert Glyphs({"DejaVu Sans Book": FONT}).range("Comic Sans", 0) is None


def test_glyphs_are_served_compressed_and_cached_by_browsers(server: str) -> None:
    url = f"{server}/fonts/{quote('DejaVu Sans Book')}/1024-1279.pbf"
    r = httpx.get(url, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-protobuf"
    assert r.headers["content-encoding"] == "gzip" and "max-age" in r.headers["cache-control"]
    name, rng, glyphs = glyphs_of(r.content)  # httpx decoded the gzip
    assert rng == "1024-1279" and ord("Ї") in glyphs
    again = httpx.get(url, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    stack = httpx.get(f"{server}/fonts/{quote('Open Sans Regular,DejaVu Sans Book')}/0-255.pbf")
    assert stack.status_code == 200 and ord("S") in glyphs_of(stack.content)[2]
    missing = httpx.get(f"{server}/fonts/{quote('Comic Sans')}/0-255.pbf")
    assert missing.status_code == 404 and "DejaVu Sans Book" in missing.json()["detail"]
    bad = httpx.get(f"{server}/fonts/{quote('DejaVu Sans Book')}/5-260.pbf")
    assert bad.status_code == 400 and bad.json()["code"] == "InvalidParameterValue"


def test_style_draws_a_labelled_city_map_in_both_languages(server: str) -> None:
    style = httpx.get(f"{server}/maps/city/style.json").json()
    assert style["glyphs"].endswith("/fonts/{fontstack}/{range}.pbf")
    assert style["glyphs"].startswith(server)
    layers = {layer["id"]: layer for layer in style["layers"]}
    order = list(layers)
    for wanted in ("basemap-territory", "water_bodies-fill", "buildings-fill", "streets",
                   "streets-label", "addresses-number", "community_boundaries",
                   "water_bodies-label"):
        assert wanted in layers, wanted
    # ground below buildings below streets below points below labels
    assert order.index("water_bodies-fill") < order.index("buildings-fill") < \
        order.index("streets") < order.index("advertising_structures") < \
        order.index("streets-label")
    label = layers["streets-label"]
    assert label["layout"]["symbol-placement"] == "line"
    assert label["layout"]["text-font"] == ["DejaVu Sans Book"]
    texts = label["metadata"]["hromada:text"]
    assert label["layout"]["text-field"] == texts["uk"] and "вул. " in str(texts["uk"])
    assert "name_en" in str(texts["en"]) and " St" in str(texts["en"])
    english = httpx.get(f"{server}/maps/city/style.json", params={"lang": "en"}).json()
    en = {layer["id"]: layer for layer in english["layers"]}
    assert en["streets-label"]["layout"]["text-field"] == texts["en"]
    # a language tag, as the OGC API's pages read it: en-GB is English, French is Ukrainian
    british = httpx.get(f"{server}/maps/city/style.json", params={"lang": "en-GB"})
    assert british.headers["content-language"] == "en" and british.json() == english
    french = httpx.get(f"{server}/maps/city/style.json", params={"lang": "fr"})
    assert french.status_code == 200 and french.headers["content-language"] == "uk"
    assert french.json() == style
    for layer in style["layers"]:  # planning layers wait until chosen
        hidden = layer.get("layout", {}).get("visibility") == "none"
        assert hidden == (layer.get("metadata", {}).get("hromada:collection") in OFF_AT_FIRST)


def test_every_style_passes_the_maplibre_style_validator(server: str, tmp_path: Path) -> None:
    """Every map's style, in both languages, is valid for the style spec of the MapLibre the
    portal ships (its own gl-style-validate; an unknown paint property or a bad expression
    would otherwise only show as a console warning in a browser)."""
    root = Path(__file__).resolve().parent.parent
    validate = (root / "app" / "static" / "node_modules" / "@maplibre" /
                "maplibre-gl-style-spec" / "dist" / "gl-style-validate.mjs")
    assert validate.is_file(), "the geoportal's npm packages are not installed (make test)"
    maps = [m["id"] for m in httpx.get(f"{server}/maps").json()["maps"]]
    assert "city" in maps and len(maps) > 10
    files = []
    for map_id in maps:
        for lang in ("uk", "en"):
            r = httpx.get(f"{server}/maps/{map_id}/style.json", params={"lang": lang})
            assert r.status_code == 200, (map_id, lang)
            files.append(tmp_path / f"{map_id}-{lang}.json")
            files[-1].write_bytes(r.content)
    bad = tmp_path / "bad.json"  # the validator can fail: a misspelt paint property
    style = json.loads(files[0].read_text())
    style["layers"][0]["paint"] = {"fill-colour": "red"}
    bad.write_text(json.dumps(style))
    for path in [*files, bad]:
        out = subprocess.run(["node", str(validate), str(path)], capture_output=True,
                             text=True, timeout=60)
        if path == bad:
            assert out.returncode != 0 and "fill-colour" in out.stdout + out.stderr
        else:
            assert out.returncode == 0 and not out.stdout.strip(), (path.name, out.stdout)


def test_tiles_carry_street_names_in_both_scripts(server: str, demo_url: str) -> None:
    with psycopg.connect(demo_url) as conn:
        row = conn.execute(
            "SELECT name, registry.latin_name(name), ST_X(p), ST_Y(p) FROM registry.street, "
            "LATERAL ST_Transform(ST_LineInterpolatePoint(ST_LineMerge(geom), 0.5), 4326) AS p"
            " WHERE ST_NumGeometries(geom) = 1 ORDER BY ST_Length(geom) DESC LIMIT 1"
        ).fetchone()
    assert row is not None
    name, latin, lon, lat = row
    z = 15
    x = int((lon + 180) / 360 * 2 ** z)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2 ** z)
    tile = decode(httpx.get(f"{server}/maps/city/{z}/{x}/{y}.mvt").content)
    streets = {f["properties"]["name"]: f["properties"] for f in tile["streets"]["features"]}
    assert streets[name]["name_en"] == latin and latin.isascii() and latin[0].isupper()
    assert streets[name]["length_m"] > 0


def test_tiles_are_gzip_on_the_wire_and_plain_for_clients_that_ask(server: str) -> None:
    style = httpx.get(f"{server}/maps/city/style.json").json()
    lon, lat = style["center"]
    z = 15
    x = int((lon + 180) / 360 * 2 ** z)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2 ** z)
    url = f"{server}/maps/city/{z}/{x}/{y}.mvt"
    packed = httpx.get(url, headers={"Accept-Encoding": "gzip"})
    assert packed.status_code == 200 and packed.headers["content-encoding"] == "gzip"
    assert packed.headers["vary"] == "Accept-Encoding"
    # the bytes on the wire: read without decoding
    with httpx.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as r:
        wire = b"".join(r.iter_raw())
    assert wire[:2] == b"\x1f\x8b" and int(r.headers["content-length"]) == len(wire)
    plain = httpx.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == gzip.decompress(wire) == packed.content
    assert len(wire) < 0.7 * len(plain.content)  # worth it
    assert plain.headers["etag"] == packed.headers["etag"]  # one tile, whatever the encoding
    assert httpx.get(url, headers={"If-None-Match": packed.headers["etag"]}).status_code == 304
    assert decode(plain.content)["streets"]["features"]


def test_place_tells_what_is_at_a_point(server: str, demo_url: str) -> None:
    with psycopg.connect(demo_url) as conn:
        row = conn.execute(
            "SELECT p.id, p.cadastral_number, ST_X(ST_Transform(q, 4326)),"
            " ST_Y(ST_Transform(q, 4326)), z.zone_code FROM open_data.land_parcel AS p"
            " CROSS JOIN LATERAL ST_PointOnSurface(p.geom) AS q"
            " JOIN open_data.planning_zone AS z ON ST_Intersects(z.geom, q)"
            " ORDER BY p.id LIMIT 1").fetchone()
    assert row is not None
    pid, number, lon, lat, zone = row
    doc = httpx.get(f"{server}/search/place", params={"lon": lon, "lat": lat}).json()
    assert doc["land_parcels"] == [{"collection": "land_parcels", "id": pid,
                                    "cadastral_number": number, **{
                                        k: doc["land_parcels"][0][k] for k in
                                        ("category", "purpose_code", "ownership_form")}}]
    assert zone in [z["zone_code"] for z in doc["planning_zones"]]
    assert doc["address"]["collection"] == "addresses" and doc["address"]["distance_m"] < 300
    assert "holder_name" not in str(doc)  # what is there, never who holds it
    far = httpx.get(f"{server}/search/place", params={"lon": 30.5, "lat": 50.45}).json()
    assert far["address"] is None and far["land_parcels"] == []
    bad = httpx.get(f"{server}/search/place", params={"lon": "x", "lat": 49})
    assert bad.status_code == 400 and bad.json()["parameter"] == "lon"
