"""How soon an edit through one server instance is served by another on the same database.

Two ``gis serve`` processes over one database of the demo city (seed 68, ``--scale``, 0.05 by
default), each with its own data folder as on two machines; the tile cache is the shared table
in PostgreSQL. For each of ``--edits`` parcels: the other instance's covering tiles (both tile
sources, z14–z18), the parcel's item and its bbox page are read (so cached), then a planner
shrinks the parcel through the first instance and a verifier approves it there. The clock runs
from the approval's answer until the other instance serves the new state everywhere: every
covering tile byte-equal to a fresh render from the database, the item with a new ETag and
geometry, the bbox page with the new geometry. Polled every 10 ms.

    .venv/bin/python bench/instances.py [--scale 0.05] [--edits 30]

tests/test_instances.py checks that the other instance gets there; this script measures how soon.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg
import shapely
import shapely.geometry

# bench/tiles.py would shadow the tiles package: load _common by path, keep bench/ off sys.path
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.modules["_common"] = _common = importlib.util.module_from_spec(
    spec := importlib.util.spec_from_file_location("_common", HERE / "_common.py"))  # type: ignore[arg-type]
spec.loader.exec_module(_common)  # type: ignore[union-attr]
from _common import (  # noqa: E402
    ROOT,
    SEED,
    Service,
    demo_database,
    git_commit,
    machine,
    percentile,
    running,
    shared_tmp,
    sigterm_as_interrupt,
    uncommitted,
    write_section,
)

from gis.cluster import free_port  # noqa: E402
from registries.catalog import default_catalog  # noqa: E402
from registries.tiling import min_zoom  # noqa: E402
from tiles.invalidate import tiles_touched  # noqa: E402
from tiles.mvt import Sources, TileQueries, configure  # noqa: E402

PLANNER = "tok-bench-planner"
VERIFIER = "tok-bench-verifier"
Tile = tuple[str, int, int, int]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def covering(conn: psycopg.Connection, parcel_id: int) -> list[Tile]:
    """Return the tiles (both sources, z14–z18) that draw the parcel as it is now."""
    row = conn.execute("SELECT ST_AsBinary(geom_3857) FROM registry.land_parcel WHERE id = %s",
                       (parcel_id,)).fetchone()
    assert row is not None
    geom = shapely.from_wkb(bytes(row[0]))
    parcels_from = min_zoom(default_catalog().get("land_parcels")) or 0
    out: set[Tile] = set()
    for z in range(14, 19):
        keys, _ranges = tiles_touched(np.array([geom]), z)
        out |= {(s, z, x, y) for s in ("city", "land_parcels") for x, y in keys
                if s == "city" or z >= parcels_from}
    return sorted(out)


def tile_path(tile: Tile) -> str:
    source, z, x, y = tile
    return (f"/tiles/WebMercatorQuad/{z}/{y}/{x}" if source == "city"
            else f"/collections/{source}/tiles/WebMercatorQuad/{z}/{y}/{x}")


def page_area(page: dict[str, Any], pid: int) -> float:
    return float(sum(shapely.geometry.shape(f["geometry"]).area for f in page["features"]
               if f["id"] == pid))


def one_edit(conn: psycopg.Connection, client: httpx.Client, one: str, other: str,
             pid: int, queries: TileQueries) -> tuple[float, int]:
    """Edit parcel ``pid`` through ``one``; return (seconds until ``other`` serves it, tiles)."""
    tiles = covering(conn, pid)
    item_url = f"/collections/land_parcels/items/{pid}"
    before = client.get(other + item_url)
    before.raise_for_status()
    old = shapely.geometry.shape(before.json()["geometry"])
    box = ",".join(f"{v:.6f}" for v in old.bounds)
    page_url = f"/collections/land_parcels/items?bbox={box}&limit=100"
    area_before = page_area(client.get(other + page_url).json(), pid)
    for tile in tiles:  # cached on the other instance, in its memory front too
        client.get(other + tile_path(tile))
        client.get(other + tile_path(tile))
    etag = client.get(one + item_url, headers={"Authorization": f"Bearer {PLANNER}"}
                      ).headers["ETag"]
    p = old.representative_point()
    square = shapely.box(p.x - 0.00003, p.y - 0.00003, p.x + 0.00003, p.y + 0.00003)
    r = client.patch(one + item_url, json={
        "type": "Feature", "properties": {},
        "geometry": shapely.geometry.mapping(shapely.MultiPolygon([square]))},
        headers={"Authorization": f"Bearer {PLANNER}", "If-Match": etag,
                 "Content-Type": "application/geo+json"})
    assert r.status_code == 204, r.text
    r = client.post(f"{one}/registries/land_parcels/decisions",
                    json={"decision": "approve", "items": [{"id": pid}]},
                    headers={"Authorization": f"Bearer {VERIFIER}"})
    assert r.status_code == 200, r.text
    approved = time.monotonic()
    want = {tile: queries.render(conn, *tile) for tile in tiles}
    pending = set(tiles)
    item_fresh = page_fresh = False
    while pending or not (item_fresh and page_fresh):
        if time.monotonic() - approved > 60:
            raise RuntimeError(f"parcel {pid}: the other instance still serves the old state "
                               f"after 60 s (tiles {sorted(pending)}, item {item_fresh}, "
                               f"page {page_fresh})")
        for tile in list(pending):
            if client.get(other + tile_path(tile)).content == want[tile]:
                pending.discard(tile)
        now = client.get(other + item_url)
        item_fresh = (now.headers["ETag"] != before.headers["ETag"]
                      and shapely.geometry.shape(now.json()["geometry"]).area < 0.5 * old.area)
        page_fresh = page_area(client.get(other + page_url).json(), pid) < 0.5 * area_before
        if pending or not (item_fresh and page_fresh):
            time.sleep(0.01)
    return time.monotonic() - approved, len(tiles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--edits", type=int, default=30)
    args = parser.parse_args()
    from gis.auth import Role
    from gis.staff_rights import grant_verifier, set_department
    from gis.users import add_user

    load_before = os.getloadavg()[0]
    folders = [shared_tmp("hromada-bench-instance-") for _ in range(2)]
    seconds: list[float] = []
    tile_counts: list[int] = []
    try:
        with sigterm_as_interrupt(), demo_database(args.scale, say) as url:
            with psycopg.connect(url) as conn:
                if conn.execute("SELECT 1 FROM auth.users WHERE name = 'taras'"
                                ).fetchone() is None:
                    add_user(conn, "taras", frozenset({Role.PLANNER}), password=None,
                             with_db_login=False)
                    set_department(conn, "taras", "land_resources")
                    grant_verifier(conn, "taras", "land_parcels")
                conn.commit()
            tokens = json.dumps({PLANNER: "olena:planner", VERIFIER: "taras:planner"})
            services = []
            for n, folder in enumerate(folders):
                port = free_port()
                services.append(Service(
                    f"instance {n + 1}", [str(ROOT / ".venv" / "bin" / "gis"), "serve",
                                          "--port", str(port)],
                    {**os.environ, "GIS_DATABASE_URL": url, "GIS_DATA_DIR": str(folder),
                     "GIS_AUTH__TOKENS": tokens},
                    f"http://127.0.0.1:{port}/healthz", folder / "serve.log", ROOT))
            with running(services), psycopg.connect(url, autocommit=True) as conn, \
                    httpx.Client(timeout=30) as client:
                configure(conn)
                one, other = (s.ready_url.removesuffix("/healthz") for s in services)
                queries = TileQueries(Sources(default_catalog()), 20, "Europe/Kyiv")
                ids = [r[0] for r in conn.execute(
                    "SELECT id FROM registry.land_parcel ORDER BY id LIMIT %s", (args.edits,))]
                for n, pid in enumerate(ids, 1):
                    s, t = one_edit(conn, client, one, other, pid, queries)
                    seconds.append(s)
                    tile_counts.append(t)
                    say(f"  edit {n}/{len(ids)}: parcel {pid}, {t} tiles, {s * 1000:.0f} ms")
    finally:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
    ms = [s * 1000 for s in seconds]
    load_after = os.getloadavg()[0]
    # other work is told by the load average before the start (the run itself loads both cores)
    busy = "shared with other work" if load_before > 1.0 else "otherwise quiet"
    body = "\n".join([
        f"Demo city at scale {args.scale} (seed {SEED}), two `gis serve` instances on one "
        f"database, each with its own data folder; the tile cache is the shared table. "
        f"Machine: {machine()}, {busy} (1-minute load average {load_before:.1f} at the start, "
        f"{load_after:.1f} at the end); commit {git_commit()}{uncommitted() or ' (clean tree)'}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. "
        f"`bench/instances.py --scale {args.scale} --edits {args.edits}`.",
        "",
        "From the verifier's approval (through the first instance) until the second serves the "
        "edited parcel in every covering tile (both sources, z14–z18, "
        f"{min(tile_counts)}–{max(tile_counts)} tiles per parcel), its item and its bbox page, "
        "polled every 10 ms:",
        "",
        "| edits | p50 | p95 | max |",
        "| --- | --- | --- | --- |",
        f"| {len(ms)} | {percentile(ms, 50):.0f} ms | {percentile(ms, 95):.0f} ms | "
        f"{max(ms):.0f} ms |",
    ])
    write_section("Several instances: an edit's reach", "bench/instances.py", body)
    print(body)


if __name__ == "__main__":
    main()
