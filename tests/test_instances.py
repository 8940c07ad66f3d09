"""Several instances on one database (#22): start-up serialised, every instance current.

Real ``gis serve`` processes on different ports over one database (``GIS_DATABASE_URL``):
started at the same moment they all come up (start-up takes an advisory lock; without it they
die with ``tuple concurrently updated``), and an edit through one reaches the other's tiles,
items and reports (each follows the database's change feed; the tile cache is shared). How
soon is measured by bench/instances.py, not here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator

import httpx
import psycopg
import pytest
import shapely
import shapely.geometry
from psycopg import sql

from gis.cluster import EmbeddedCluster, free_port
from tests.conftest import (
    DEMO_SCALE,
    DEMO_TODAY,
    GIS,
    SRID,
    Server,
    drop,
    shared_tmp,
    start_server,
)
from tiles.mvt import configure

TOKEN = "tok-instances"
VERIFIER = "tok-instances-verifier"


def _spawn(env: dict[str, str], port: int) -> Server:
    log_path = shared_tmp("hromada-instance-log-") / "serve.log"
    with log_path.open("wb") as log:
        proc = Server([GIS, "serve", "--port", str(port)], env={**os.environ, **env},
                      stdout=log, stderr=subprocess.STDOUT)
    proc.log_path = log_path
    return proc


def _wait_healthy(procs: dict[int, Server], timeout_s: float = 180) -> dict[int, str]:
    """Return the output of every process that died; wait until the others answer /healthz."""
    dead: dict[int, str] = {}
    waiting = set(procs)
    deadline = time.monotonic() + timeout_s
    while waiting and time.monotonic() < deadline:
        for port in list(waiting):
            proc = procs[port]
            if proc.poll() is not None:
                dead[port] = proc.output()
                waiting.discard(port)
                continue
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    waiting.discard(port)
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    for port in waiting:
        dead[port] = "not healthy in time: " + procs[port].output()
    return dead


def _stop(procs: list[Server]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
        log_dir = proc.log_path.parent
        proc.log_path.unlink(missing_ok=True)
        log_dir.rmdir()


@pytest.fixture
def empty_db(cluster: EmbeddedCluster) -> Iterator[str]:
    """Return the URL of a new database with nothing in it (not even the schema)."""
    name = f"instances_{os.getpid()}_{time.monotonic_ns() % 10**9}"
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield cluster.url(name)
    drop(cluster, name)


def test_instances_started_at_once_all_come_up(empty_db: str) -> None:
    """Three servers started at the same moment on one empty database all come up: one
    migrates it, the others wait their turn and find it current."""
    env = {"GIS_DATABASE_URL": empty_db, "GIS_TILES__CACHE": "postgres"}
    started = {port: _spawn(env, port) for port in (free_port() for _ in range(3))}
    try:
        dead = _wait_healthy(started)
        assert not dead, "\n\n".join(f"instance on port {p}:\n{out}" for p, out in dead.items())
        for port in started:
            r = httpx.get(f"http://127.0.0.1:{port}/collections", timeout=30)
            assert r.status_code == 200, r.text
    finally:
        _stop(list(started.values()))


def test_restarts_at_once_refresh_the_derived_objects_without_conflict(db_url: str) -> None:
    """Three start-ups at once on a migrated database (all instances restarted together; here
    ``gis db upgrade``, the same start-up work): each refreshes triggers, functions, views and
    grants in turn; none fails (without the lock: ``tuple concurrently updated``)."""
    env = {**os.environ, "GIS_DATABASE_URL": db_url}
    procs = [subprocess.Popen([GIS, "db", "upgrade"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), "\n\n".join(outputs)


@pytest.fixture
def two_instances(db_url: str) -> Iterator[tuple[str, str, str]]:
    """Return the base URLs of two servers on one database holding the demo city, and its URL.

    Neither names a tile cache folder: with an external database the tile cache defaults to
    the shared table in PostgreSQL.
    """
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
    env = {"GIS_DATABASE_URL": db_url,
           "GIS_AUTH__TOKENS": json.dumps({TOKEN: "olena:planner", VERIFIER: "taras:planner"})}
    procs: list[Server] = []
    folders = [shared_tmp("hromada-instance-") for _ in range(2)]  # as on two machines
    try:
        for folder in folders:
            port = free_port()
            procs.append(start_server({**env, "GIS_DATA_DIR": str(folder)}, port))
            procs[-1].base = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
        yield procs[0].base, procs[1].base, db_url  # type: ignore[attr-defined]
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
            proc.log_path.unlink(missing_ok=True)
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


def test_an_edit_through_one_instance_reaches_the_others_tiles_items_and_reports(
        two_instances: tuple[str, str, str]) -> None:
    from tests.test_tiles_cache import QUERIES, covering, fetch, fresh

    one, other, url = two_instances
    with psycopg.connect(url, autocommit=True) as conn, httpx.Client(timeout=30) as client:
        configure(conn)
        pid = conn.execute("SELECT id FROM registry.land_parcel ORDER BY id LIMIT 1"
                           ).fetchone()[0]
        tiles = sorted(t for t in covering(conn, pid) if t[1] >= 14)
        item_url = f"/collections/land_parcels/items/{pid}"
        before = client.get(other + item_url)
        assert before.status_code == 200
        box = ",".join(f"{v:.6f}" for v in shapely.geometry.shape(
            before.json()["geometry"]).bounds)
        page_url = f"/collections/land_parcels/items?bbox={box}&limit=100"
        area_before = _area_in_page(client.get(other + page_url).json(), pid)
        report_url = f"/reports/parcels/{before.json()['properties']['cadastral_number']}?f=json"
        report_before = client.get(other + report_url)
        assert report_before.status_code == 200, report_before.text
        # the other instance has every covering tile cached, in memory too
        for tile in tiles:
            fetch(other, tile, client)
        for tile in tiles:
            assert fetch(other, tile, client).headers["x-tile-cache"] == "hit", tile
        # the cache is shared: the first instance finds the tiles the other rendered
        assert fetch(one, tiles[0], client).headers["x-tile-cache"] == "hit"
        assert conn.execute("SELECT count(*) FROM tiles.cache").fetchone()[0] >= len(tiles)

        staff_etag = client.get(one + item_url, headers={
            "Authorization": f"Bearer {TOKEN}"}).headers["ETag"]
        old = shapely.geometry.shape(before.json()["geometry"])
        p = old.representative_point()
        square = shapely.box(p.x - 0.00003, p.y - 0.00003, p.x + 0.00003, p.y + 0.00003)
        r = client.patch(one + item_url, json={
            "type": "Feature", "properties": {},
            "geometry": shapely.geometry.mapping(shapely.MultiPolygon([square]))},
            headers={"Authorization": f"Bearer {TOKEN}", "If-Match": staff_etag,
                     "Content-Type": "application/geo+json"})
        assert r.status_code == 204, r.text
        # published when its verifier approves it (#21), through the same instance
        r = client.post(f"{one}/registries/land_parcels/decisions",
                        json={"decision": "approve", "items": [{"id": pid}]},
                        headers={"Authorization": f"Bearer {VERIFIER}"})
        assert r.status_code == 200, r.text
        edited = time.monotonic()
        want = {tile: fresh(conn, QUERIES, tile) for tile in tiles}

        pending = set(tiles)
        item_fresh = page_fresh = report_fresh = False
        while pending or not (item_fresh and page_fresh and report_fresh):
            # how soon is bench/instances.py's figure; here only that it gets there at all
            assert time.monotonic() - edited < 30.0, (
                f"after 30 s the other instance still serves the old state: tiles {pending}, "
                f"item fresh {item_fresh}, page fresh {page_fresh}, report {report_fresh}")
            report_fresh = client.get(other + report_url).json() != report_before.json()
            for tile in list(pending):
                if fetch(other, tile, client).content == want[tile]:
                    pending.discard(tile)
            now = client.get(other + item_url)
            item_fresh = (now.headers["ETag"] != before.headers["ETag"]
                          and shapely.geometry.shape(now.json()["geometry"]).area
                          < 0.5 * old.area)
            page_fresh = _area_in_page(client.get(other + page_url).json(), pid) \
                < 0.5 * area_before
            time.sleep(0.02)
        print(f"the other instance served the edit after {time.monotonic() - edited:.3f} s "
              f"({len(tiles)} tiles, item, page, report)")
        # and what the other instance now serves stays fresh (nothing stale re-cached)
        for tile in tiles:
            r = fetch(other, tile, client)
            assert r.content == want[tile], tile


def _area_in_page(page: dict, pid: int) -> float:
    return sum(shapely.geometry.shape(f["geometry"]).area for f in page["features"]
               if f["id"] == pid)


def test_a_start_up_waits_for_the_one_holding_the_lock_and_says_whom(db_url: str) -> None:
    """While another session holds the start-up lock, an upgrade waits (and says for whom);
    it runs as soon as the lock is free."""
    import threading

    from gis.startup_lock import STARTUP_KEY
    from registries.migrate import upgrade

    said: list[str] = []
    done: list[float] = []

    def start_up() -> None:
        upgrade(db_url, SRID, say=said.append)
        done.append(time.monotonic())

    with psycopg.connect(db_url, autocommit=True, application_name="other start-up") as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (STARTUP_KEY,))
        pid = holder.info.backend_pid
        worker = threading.Thread(target=start_up)
        worker.start()
        time.sleep(1.5)
        assert worker.is_alive(), "the upgrade did not wait for the lock"
        assert said and f"pid {pid} (other start-up" in said[0], said
        released = time.monotonic()
        holder.execute("SELECT pg_advisory_unlock(%s)", (STARTUP_KEY,))
        worker.join(timeout=120)
    assert done and done[0] > released  # it ran, after the lock was free
