"""The tile cache: an edit — through the API or straight in PostGIS — drops exactly its tiles
when its registry's holder approves it (the tiles are public: a pending edit drops none).

A server with a disk cache runs over a database of its own holding the small demo city. After
each approved edit, every tile covering the parcel's old and new geometry at z12–z18 (city map
and the parcel collection) must equal a fresh render from PostGIS, and tiles elsewhere must
still be served from the cache.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import mapbox_vector_tile
import psycopg
import pytest
import shapely

from registries.catalog import default_catalog
from registries.publication import publish_directly
from registries.tiling import min_zoom
from tests.conftest import DEMO_SCALE, DEMO_TODAY, SRID, served, shared_tmp
from tests.factories import approve_all
from tiles.invalidate import tiles_touched
from tiles.mvt import Sources, TileQueries, configure

ZOOMS = range(12, 19)
PARCELS_FROM = min_zoom(default_catalog().get("land_parcels"))
SOURCES = ("city", "land_parcels")
TOKEN = "tok"
VERIFIER = "tok-verifier"
Tile = tuple[str, int, int, int]


@pytest.fixture
def tile_server(db_url: str) -> Iterator[tuple[str, str]]:
    from app.demo.load import load_demo
    from gis.auth import Role
    from gis.staff_rights import grant_verifier, set_department
    from gis.users import add_user

    with psycopg.connect(db_url) as conn:
        load_demo(conn, scale=DEMO_SCALE, seed=68, today=DEMO_TODAY, srid=SRID)
        add_user(conn, "taras", frozenset({Role.PLANNER}), password=None, with_db_login=False)
        set_department(conn, "taras", "land_resources")
        grant_verifier(conn, "taras", "land_parcels")
        conn.commit()
    import shutil

    cache_dir = shared_tmp("hromada-tiles-")
    try:
        with served({"GIS_DATABASE_URL": db_url, "GIS_TILES__CACHE_DIR": str(cache_dir),
                     "GIS_AUTH__TOKENS": json.dumps({TOKEN: "olena:planner",
                                                     VERIFIER: "taras:planner"})}) as base:
            yield base, db_url
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)


def covering(conn: psycopg.Connection, parcel_id: int) -> set[Tile]:
    """Return every tile (both sources, z12–z18) that draws the parcel as it is now."""
    wkb = conn.execute("SELECT ST_AsBinary(geom_3857) FROM registry.land_parcel WHERE id = %s",
                       (parcel_id,)).fetchone()[0]
    geom = shapely.from_wkb(bytes(wkb))
    out: set[Tile] = set()
    for z in ZOOMS:
        import numpy as np

        keys, ranges = tiles_touched(np.array([geom]), z)
        assert not ranges
        # the collection's tileset starts where parcels are drawn (its limits: 404 below)
        out |= {(s, z, x, y) for s in SOURCES for x, y in keys
                if s == "city" or z >= PARCELS_FROM}
    return out


def fetch(base: str, tile: Tile, client: httpx.Client) -> httpx.Response:
    source, z, x, y = tile
    path = (f"/tiles/WebMercatorQuad/{z}/{y}/{x}" if source == "city"
            else f"/collections/{source}/tiles/WebMercatorQuad/{z}/{y}/{x}")
    r = client.get(base + path)
    assert r.status_code in (200, 204), r.text
    return r


def fresh(conn: psycopg.Connection, queries: TileQueries, tile: Tile) -> bytes:
    source, z, x, y = tile
    return queries.render(conn, source, z, x, y)


def drawn_area(data: bytes, parcel_id: int) -> float:
    """Return the area (tile units²) of the parcel's polygon in a served tile (0 if absent)."""
    layer = mapbox_vector_tile.decode(data).get("land_parcels", {"features": []})
    return sum(shapely.geometry.shape(f["geometry"]).area for f in layer["features"]
               if f["id"] == parcel_id)


def parcel_ids(conn: psycopg.Connection, tile: Tile) -> set[int]:
    source, z, x, y = tile
    layer = mapbox_vector_tile.decode(TileQueries.render(QUERIES, conn, source, z, x, y)) \
        .get("land_parcels", {"features": []})
    return {f["id"] for f in layer["features"]}


QUERIES = TileQueries(Sources(default_catalog()), 20, "Europe/Kyiv")


def far_tiles(conn: psycopg.Connection, near: set[Tile], parcel_id: int) -> set[Tile]:
    """Return tiles at z14–z18 drawing the parcel farthest from the edited one."""
    other = conn.execute(
        "SELECT b.id FROM registry.land_parcel a, registry.land_parcel b WHERE a.id = %s "
        "ORDER BY ST_Distance(a.geom, b.geom) DESC LIMIT 1", (parcel_id,)).fetchone()
    tiles = {t for t in covering(conn, other[0]) if t[1] >= 14} - near
    assert tiles
    return tiles


def assert_fresh_and_far_cached(base: str, conn: psycopg.Connection, near: set[Tile],
                                far: set[Tile], client: httpx.Client) -> None:
    for tile in sorted(near):
        r = fetch(base, tile, client)
        assert r.content == fresh(conn, QUERIES, tile), f"stale tile {tile}"
    for tile in sorted(far):
        assert fetch(base, tile, client).headers["x-tile-cache"] == "hit", tile


def warm(base: str, tiles: set[Tile], client: httpx.Client) -> None:
    for tile in tiles:
        fetch(base, tile, client)
    for tile in tiles:
        assert fetch(base, tile, client).headers["x-tile-cache"] == "hit", tile


def test_api_edit_refreshes_every_covering_tile_and_keeps_the_rest(
        tile_server: tuple[str, str]) -> None:
    base, url = tile_server
    with psycopg.connect(url, autocommit=True) as conn, httpx.Client(timeout=30) as client:
        configure(conn)
        conn.autocommit = True
        # a parcel drawn in several z18 tiles: shrunk to a small square it is drawn in fewer
        pid = next(p for (p,) in conn.execute("SELECT id FROM registry.land_parcel ORDER BY id")
                   if len({t for t in covering(conn, p) if t[1] == 18}) > 2)
        before = covering(conn, pid)
        far = far_tiles(conn, before, pid)
        # z12–13 city tiles do not draw parcels: a parcel edit must leave them cached
        low = {t for t in before if t[1] < 14 and t[0] == "city"}
        warm(base, before | far, client)
        z18 = sorted(t for t in before if t[0] == "land_parcels" and t[1] == 18)
        area_before = sum(drawn_area(fetch(base, t, client).content, pid) for t in z18)

        feature = client.get(f"{base}/collections/land_parcels/items/{pid}").json()
        old = shapely.geometry.shape(feature["geometry"])
        p = old.representative_point()  # a ≈ 4 × 6 m square inside the parcel: no overlaps
        square = shapely.box(p.x - 0.00003, p.y - 0.00003, p.x + 0.00003, p.y + 0.00003)
        assert square.within(old)
        moved = shapely.geometry.mapping(shapely.MultiPolygon([square]))
        r = client.patch(f"{base}/collections/land_parcels/items/{pid}",
                         json={"type": "Feature", "geometry": moved, "properties": {}},
                         headers={"Authorization": f"Bearer {TOKEN}",
                                  "Content-Type": "application/geo+json"})
        assert r.status_code == 204, r.text
        # pending: the public tiles stay as they were, every one still cached
        for tile in sorted(before | far):
            assert fetch(base, tile, client).headers["x-tile-cache"] == "hit", tile
        r = client.post(f"{base}/registries/land_parcels/decisions",
                        json={"decision": "approve", "items": [{"id": pid}]},
                        headers={"Authorization": f"Bearer {VERIFIER}"})
        assert r.status_code == 200, r.text
        after = covering(conn, pid)
        assert after < before  # the edit changed which tiles draw it
        # at once after the approval (no waiting): every old and new covering tile is fresh,
        # the parcel is drawn only where it now is, and the far tiles were never dropped
        assert_fresh_and_far_cached(base, conn, before | after, far, client)
        # the new geometry is what is drawn: the small square, not the old parcel
        area_after = sum(drawn_area(fetch(base, t, client).content, pid) for t in z18)
        assert 0 < area_after < 0.2 * area_before
        for tile in after - before:
            if tile[0] == "land_parcels":
                assert pid in parcel_ids(conn, tile)
        for tile in before - after:
            if tile[0] == "land_parcels":
                assert pid not in parcel_ids(conn, tile)
        for tile in low:
            assert fetch(base, tile, client).headers["x-tile-cache"] == "hit", tile


def test_plain_sql_edit_invalidates_too_and_hidden_fields_do_not(
        tile_server: tuple[str, str]) -> None:
    base, url = tile_server
    with psycopg.connect(url) as conn, httpx.Client(timeout=30) as client:
        configure(conn)
        pid = conn.execute("SELECT id FROM registry.land_parcel ORDER BY id DESC LIMIT 1"
                           ).fetchone()[0]
        before = covering(conn, pid)
        far = far_tiles(conn, before, pid)
        warm(base, before | far, client)

        # a hidden field changes no tile: nothing is dropped
        conn.execute("UPDATE registry.land_parcel SET holder_rnokpp = '1234567890' "
                     "WHERE id = %s", (pid,))
        conn.commit()
        time.sleep(0.5)
        for tile in before:
            assert fetch(base, tile, client).headers["x-tile-cache"] == "hit", tile

        # a planner's QGIS-style edit straight in PostGIS waits for its verifier; once
        # approved, the trigger on the published table and NOTIFY drop the tiles
        conn.execute("UPDATE registry.land_parcel SET geom = ST_Multi(ST_Buffer(geom, -3)) "
                     "WHERE id = %s", (pid,))
        conn.commit()
        time.sleep(0.5)
        for tile in before:
            assert fetch(base, tile, client).headers["x-tile-cache"] == "hit", tile
        approve_all(conn)
        conn.commit()
        after = covering(conn, pid)
        probe = max(t for t in before if t[0] == "city")  # cached before: must be dropped
        deadline = time.monotonic() + 10
        while fetch(base, probe, client).content != fresh(conn, QUERIES, probe):
            assert time.monotonic() < deadline, "the SQL edit never reached the tile cache"
            time.sleep(0.05)
        assert_fresh_and_far_cached(base, conn, before | after, far, client)


def test_cli_seed_resumes_and_exports_pmtiles_and_mbtiles(db_url: str, tmp_path: Path) -> None:
    import gzip
    import os
    import sqlite3
    import subprocess

    from pmtiles.reader import MmapSource, Reader

    from app.demo.load import load_demo
    from tests.conftest import GIS

    with psycopg.connect(db_url) as conn:
        load_demo(conn, scale=DEMO_SCALE, seed=68, today=DEMO_TODAY, srid=SRID)
        conn.commit()
    cache = shared_tmp("hromada-seed-")
    env = {**os.environ, "GIS_DATABASE_URL": db_url, "GIS_TILES__CACHE_DIR": str(cache)}
    args = [GIS, "tiles", "seed", "--min-zoom", "12", "--max-zoom", "14"]
    first = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "seed:" in first.stderr and "already cached" in first.stderr
    again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert " 0 rendered, 0 empty" in again.stderr, again.stderr  # resumable: nothing redone
    pm, mb = tmp_path / "city.pmtiles", tmp_path / "city.mbtiles"
    out = subprocess.run([GIS, "tiles", "export", "--min-zoom", "12", "--max-zoom", "15",
                          "--pmtiles", str(pm), "--mbtiles", str(mb)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    with pm.open("rb") as f:
        reader = Reader(MmapSource(f))
        header = reader.header()
        assert (header["min_zoom"], header["max_zoom"]) == (12, 15)
        meta = reader.metadata()
        assert "land_parcels" in {v["id"] for v in meta["vector_layers"]}
        with sqlite3.connect(mb) as db:
            z, x, row, data = db.execute("SELECT * FROM tiles ORDER BY zoom_level DESC "
                                         "LIMIT 1").fetchone()
        y = (1 << z) - 1 - row
        assert reader.get(z, x, y) == data
        assert mapbox_vector_tile.decode(gzip.decompress(data))
    bad = subprocess.run([GIS, "tiles", "seed", "--min-zoom", "9", "--max-zoom", "30"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("error: zooms 9–30")
    # a device or a pipe is written to, never replaced: the MBTiles writer unlinked its
    # target first (as root, --mbtiles /dev/full deleted the device node); a missing folder
    # or a full disk is one line, not Python's OperationalError / FileNotFoundError
    import threading

    fifo = tmp_path / "pipe.mbtiles"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader_thread = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader_thread.start()
    piped = subprocess.run([GIS, "tiles", "export", "--min-zoom", "12", "--max-zoom", "12",
                            "--mbtiles", str(fifo)], env=env, capture_output=True, text=True,
                           timeout=300)
    if reader_thread.is_alive():  # the export never opened the pipe: end the reader
        with fifo.open("wb"):
            pass
    reader_thread.join(10)
    assert piped.returncode == 0, piped.stderr
    assert fifo.is_fifo() and got and got[0].startswith(b"SQLite format 3"), got[:1]
    for flag, target in (("--mbtiles", tmp_path / "none" / "a.mbtiles"),
                         ("--pmtiles", tmp_path / "none" / "a.pmtiles")):
        missing = subprocess.run([GIS, "tiles", "export", "--max-zoom", "12", flag,
                                  str(target)], env=env, capture_output=True, text=True,
                                 timeout=300)
        assert missing.returncode == 2, missing.stderr
        assert missing.stderr.strip() == (f"error: {flag} {target}: the folder "
                                          f"{target.parent} does not exist"), missing.stderr
    assert not list(tmp_path.glob(".hromada-export-*"))
    import shutil

    shutil.rmtree(cache, ignore_errors=True)


def test_postgres_cache_and_invalidator_without_a_server(db_url: str) -> None:
    """The PostgreSQL backend behind the same invalidator: a long transaction committing late
    is not missed, and an edit drops only its tiles."""
    import numpy as np

    from tiles.cache import PostgresCache
    from tiles.invalidate import Invalidator

    square = ("SRID=6383;MULTIPOLYGON(((299000 5476000,299030 5476000,299030 5476030,"
              "299000 5476030,299000 5476000)))")
    cache = PostgresCache(lambda: psycopg.connect(db_url), QUERIES.fingerprint)
    inv = Invalidator(lambda: psycopg.connect(db_url), cache, QUERIES.sources, 18,
                      "Europe/Kyiv")
    inv.catch_up()
    with psycopg.connect(db_url) as conn:
        wkb = conn.execute("SELECT ST_AsBinary(ST_Transform(%s::geometry, 3857))",
                           (square,)).fetchone()[0]
    keys, _ = tiles_touched(np.array([shapely.from_wkb(bytes(wkb))]), 16)
    (x, y), far = sorted(keys)[0], (0, 0)
    for key in (("land_parcels", 16, x, y), ("city", 16, x, y), ("city", 16, *far)):
        cache.put(*key, b"old")
    slow = psycopg.connect(db_url)  # starts first, commits last
    publish_directly(slow)  # a load of the register: published as it commits
    slow.execute("INSERT INTO registry.land_parcel (cadastral_number, category, purpose_code, "
                 "geom) VALUES ('6810100000:01:001:0001', '200', '02.01', %s)", (square,))
    inv.drain()  # nothing committed yet
    assert cache.get("city", 16, x, y) == b"old"
    slow.commit()
    slow.close()
    assert inv.drain() >= 2
    assert cache.get("city", 16, x, y) is None and cache.get("land_parcels", 16, x, y) is None
    assert cache.get("city", 16, *far) == b"old"
    assert inv.drain() == 0  # applied once
    cache.clear()
    assert cache.read_state() is None and cache.get("city", 16, *far) is None
    inv.stop()


@pytest.mark.parametrize(("command", "sig"), [("seed", signal.SIGTERM), ("export", signal.SIGINT)])
def test_an_interrupted_seed_or_export_says_so_and_fails(db_url: str, tmp_path: Path,
                                                         command: str, sig: int) -> None:
    """Ctrl-C or SIGTERM ended `gis tiles seed|export` with status 0 and no word, as if the
    work were done (a script or a systemd job took it for a complete seed); an export
    leaves no file."""
    from tests.conftest import GIS

    env = {**os.environ, "GIS_DATABASE_URL": db_url, "GIS_TILES__CACHE_DIR": str(tmp_path / "c")}
    out = ["--pmtiles", str(tmp_path / "city.pmtiles")] if command == "export" else []
    proc = subprocess.Popen([GIS, "tiles", command, "--min-zoom", "18", "--max-zoom", "18", *out],
                            env=env, stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(6)  # past the start-up, into the tiles (30,704 of them at z18)
    assert proc.poll() is None, "finished before the signal"
    os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, err
    assert err.strip().splitlines()[-1] == "interrupted" and "Traceback" not in err
    assert not (tmp_path / "city.pmtiles").exists()
    assert not list(tmp_path.glob(".hromada-export-*"))


def test_an_outage_is_logged_once_and_the_return_once(db_url: str,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """The invalidator retries every second while the database is down: it logged a warning
    with a traceback at every try (a 10-minute outage: 600 tracebacks in the journal)."""
    import logging

    from tiles.cache import NoCache
    from tiles.invalidate import Invalidator

    down = [True]

    def connect() -> psycopg.Connection:
        if down[0]:
            raise psycopg.OperationalError("connection refused")
        return psycopg.connect(db_url)

    inv = Invalidator(connect, NoCache(), QUERIES.sources, 18, "Europe/Kyiv")
    inv.healthy = True  # as a server that was following the feed when the database went
    with caplog.at_level(logging.DEBUG, logger="hromada.tiles"):
        inv._thread = threading.Thread(target=inv._run, daemon=True)
        inv._thread.start()
        time.sleep(3.5)  # four tries
        down[0] = False
        deadline = time.monotonic() + 10
        while not inv.healthy and time.monotonic() < deadline:
            time.sleep(0.1)
        inv.stop()
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert inv.healthy and warned == [
        "tile invalidation lost the database; tiles bypass the cache",
        "tile invalidation follows the database again; tiles use the cache"], warned
    tries = [r for r in caplog.records if "lost the database" in r.getMessage()]
    assert len(tries) >= 3  # the retries are still there, at debug level
