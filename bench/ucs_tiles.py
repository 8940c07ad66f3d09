"""Vector tiles in the UCS-2000 print grid against WebMercatorQuad, in one run.

The demo city (scale 1 by default, or ``GIS_DATABASE_URL``); the square of ground of the
WebMercatorQuad z14 tile holding the most objects; for three pairs of matching scales
(WebMercatorQuad z14 / UCS2000TM9 matrix 4 = 1:25 000, z16 / 6 = 1:5 000, z18 / 8 = 1:1 000)
the tiles of each grid that cover the middle of that square (at most 16 per zoom, the same
ground for both grids). Each tile is fetched through ``gis serve`` cold (a server with
``GIS_TILES__CACHE=none``) and cached (a server with its cache, filled by a warm-up round),
and its SQL run straight on PostgreSQL (the floor), for the city map and the parcels;
rounds interleave the grids so that machine noise falls on both alike. p50/p95 and the
UCS/WebMercatorQuad ratio replace the "Vector tiles: UCS-2000 against WebMercatorQuad"
section of docs/benchmarks.md.

    .venv/bin/python bench/ucs_tiles.py [--scale 1] [--rounds 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.modules["_common"] = _common = importlib.util.module_from_spec(
    spec := importlib.util.spec_from_file_location("_common", HERE / "_common.py"))  # type: ignore[arg-type]
spec.loader.exec_module(_common)  # type: ignore[union-attr]
_tiles = importlib.util.module_from_spec(
    tspec := importlib.util.spec_from_file_location("_bench_tiles", HERE / "tiles.py"))  # type: ignore[arg-type]
tspec.loader.exec_module(_tiles)  # type: ignore[union-attr]
from _common import (  # noqa: E402
    ROOT,
    Service,
    demo_database,
    git_commit,
    machine,
    package_version,
    percentile,
    running,
    shared_tmp,
    write_section,
)

from gis.cluster import free_port  # noqa: E402
from gis.crs import transform_bbox  # noqa: E402
from gis.tms import tile_bounds  # noqa: E402
from registries.catalog import default_catalog  # noqa: E402
from tiles.grids import Grid, vector_grids  # noqa: E402
from tiles.mvt import Sources, TileQueries, configure  # noqa: E402

SRID = 6383
GIS = str(Path(sys.executable).parent / "gis")
PAIRS = [(14, 4), (16, 6), (18, 8)]  # WebMercatorQuad zoom, UCS2000TM9 matrix (same rules)
UCS = "UCS2000TM9"
WMQ = "WebMercatorQuad"
Tile = tuple[int, int, int]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def middle_tiles(grid: Grid, box: tuple[float, float, float, float], z: int,
                 most: int = 16) -> list[Tile]:
    """Return up to ``most`` tiles of ``grid`` at ``z`` nearest the middle of ``box``."""
    x0, y0, x1, y1 = grid.tile_range(box, z) or (0, 0, -1, -1)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    every = [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    return sorted(every, key=lambda t: (t[1] - cx) ** 2 + (t[2] - cy) ** 2)[:most]


def floor_fetch(url: str, queries: TileQueries, source: str, grid_id: str
                ) -> Callable[[Tile], int]:
    conn = psycopg.connect(url)
    configure(conn)
    conn.autocommit = True

    def fetch(t: Tile) -> int:
        return len(queries.render(conn, source, t[0], t[1], t[2], grid_id))
    return fetch


def http_fetch(port: int, template: str) -> Callable[[Tile], int]:
    return _tiles.http_target(port, template)()  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    versions: dict[str, str] = {}
    with demo_database(args.scale, say) as url:
        z, x, y = _tiles.densest_tiles(url)[13]  # the middle z14 tile
        box_3857 = tile_bounds(z, x, y)
        box_lonlat = transform_bbox(box_3857, 3857, "OGC:CRS84")
        w, s, e, n = box_lonlat
        grids = vector_grids(SRID, 20, (s + n) / 2)
        ground = math.cos(math.radians((s + n) / 2))  # a Mercator metre on the ground
        args.pixels = ", ".join(
            f"z{zw} {grids[WMQ].pixel_m(zw) * ground:.2f} m against matrix {zu} "
            f"{grids[UCS].pixel_m(zu):.2f} m" for zw, zu in PAIRS)
        boxes = {WMQ: box_3857, UCS: transform_bbox(box_lonlat, "OGC:CRS84", SRID)}
        tiles = {g: [t for zw, zu in PAIRS for t in middle_tiles(
            grids[g], boxes[g], zw if g == WMQ else zu)] for g in (WMQ, UCS)}
        queries = TileQueries(Sources(default_catalog()), 20, "Europe/Kyiv", grids)
        with psycopg.connect(url) as conn:
            versions["PostgreSQL"] = conn.execute("SHOW server_version").fetchone()[0]
            versions["PostGIS"] = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
        cache = shared_tmp("hromada-bench-ucs-")
        cold_port, warm_port = free_port(), free_port()
        env = {**os.environ, "GIS_DATABASE_URL": url, "GIS_TILES__CACHE_DIR": str(cache),
               "GIS_DATA_DIR": str(cache / "data")}
        services = [
            Service("hromada-cold", [GIS, "serve", "--port", str(cold_port)],
                    {**env, "GIS_TILES__CACHE": "none"},
                    f"http://127.0.0.1:{cold_port}/healthz", cache / "cold.log", ROOT),
            Service("hromada-warm", [GIS, "serve", "--port", str(warm_port)], env,
                    f"http://127.0.0.1:{warm_port}/healthz", cache / "warm.log", ROOT),
        ]
        paths = {"city map": "/tiles/{g}/{{z}}/{{y}}/{{x}}",
                 "parcels": "/collections/land_parcels/tiles/{g}/{{z}}/{{y}}/{{x}}"}
        sources = {"city map": "city", "parcels": "land_parcels"}
        lat: dict[tuple[str, str, str], list[tuple[int, float, int]]] = {}
        try:
            import contextlib

            with contextlib.ExitStack() as stack:
                for service in services:  # one by one: each `gis serve` migrates at start
                    stack.enter_context(running([service]))
                fetchers: dict[tuple[str, str, str], Callable[[Tile], int]] = {}
                for layer, path in paths.items():
                    for g in (WMQ, UCS):
                        fetchers[(layer, g, "floor")] = floor_fetch(url, queries,
                                                                    sources[layer], g)
                        fetchers[(layer, g, "cold")] = http_fetch(cold_port, path.format(g=g))
                        fetchers[(layer, g, "cached")] = http_fetch(warm_port, path.format(g=g))
                for key, fetch in fetchers.items():  # warm-up: fills the cache, plans
                    for t in tiles[key[1]]:
                        fetch(t)
                for i in range(args.rounds):
                    say(f"round {i + 1}/{args.rounds}")
                    for key, fetch in fetchers.items():
                        for t in tiles[key[1]]:
                            t0 = time.perf_counter()
                            size = fetch(t)
                            lat.setdefault(key, []).append((t[0], time.perf_counter() - t0,
                                                            size))
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    versions["Python"] = sys.version.split()[0]
    versions["hromada-gis"] = package_version(Path(sys.executable), "hromada-gis")
    report(lat, tiles, versions, args)


def report(lat: dict[tuple[str, str, str], list[tuple[int, float, int]]],
           tiles: dict[str, list[Tile]], versions: dict[str, str],
           args: argparse.Namespace) -> None:
    def ms(rows: list[tuple[int, float, int]], p: float) -> float:
        return percentile([s for _, s, _ in rows], p) * 1e3

    lines = [
        f"Machine: {machine()} (shared with other work during the run). "
        + ", ".join(f"{k} {v}" for k, v in versions.items()) + f". Commit {git_commit()}.",
        f"Demo city at scale {args.scale}; the ground of the densest WebMercatorQuad z14 tile; "
        "per pair of matching scales (WebMercatorQuad z14 / UCS2000TM9 4 = 1:25 000, z16 / 6 "
        "= 1:5 000, z18 / 8 = 1:1 000: the same tile rules) up to 16 tiles of each grid over "
        f"the same ground ({len(tiles[WMQ])} WebMercatorQuad, {len(tiles[UCS])} UCS tiles), "
        f"fetched once per round in {args.rounds} rounds after a warm-up round, concurrency 1, "
        "grids interleaved. *Floor*: the tile SQL straight on PostgreSQL; *cold*: `gis serve` "
        "with `GIS_TILES__CACHE=none`; *cached*: the memory front of a server with its cache. "
        f"The grids' pixels differ on the ground: {args.pixels}; a tile's ground area "
        "scales with the square, and so does what it carries.",
        "",
        "| layer | zooms | path | WMQ p50 ms | WMQ p95 ms | UCS p50 ms | UCS p95 ms "
        "| UCS/WMQ p50 | WMQ mean KB | UCS mean KB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for layer in ("city map", "parcels"):
        for zw, zu in [*PAIRS, (None, None)]:
            for path in ("floor", "cold", "cached"):
                a = [r for r in lat[(layer, WMQ, path)] if zw is None or r[0] == zw]
                b = [r for r in lat[(layer, UCS, path)] if zu is None or r[0] == zu]
                zooms = "all" if zw is None else f"z{zw} / {zu}"
                lines.append(
                    f"| {layer} | {zooms} | {path} | {ms(a, 50):.2f} | {ms(a, 95):.2f} | "
                    f"{ms(b, 50):.2f} | {ms(b, 95):.2f} | {ms(b, 50) / ms(a, 50):.2f} | "
                    f"{statistics.mean(s for *_, s in a) / 1024:.1f} | "
                    f"{statistics.mean(s for *_, s in b) / 1024:.1f} |")
    body = "\n".join(lines)
    print(body)
    write_section("Vector tiles: UCS-2000 against WebMercatorQuad", "ucs-tiles", body)


if __name__ == "__main__":
    main()
