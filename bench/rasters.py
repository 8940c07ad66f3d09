"""Raster tiles: this server cold and cached against rio-tiler reading the same COG directly.

One run: an orthophoto-like RGB raster (JPEG COG, 0.1 m pixels) and a paletted plan (deflate
COG, 0.25 m) in UCS-2000 / TM zone 9, published with ``ingest.cog.publish`` into a private
embedded PostGIS; ``gis serve`` over it. For each grid and zoom, the same fixed list of
distinct tiles inside the raster is drawn three ways: rio-tiler in this process (an open
``Reader``, ``tile()`` + ``render(PNG)``: the floor, no HTTP), the server cold (first request
of the tile: read, warp and encode) and the server cached (the same tile again: its memory
LRU), plus a revalidation (``If-None-Match`` → 304). p50/p95 in ms and the cold/floor ratio
replace the "Raster tiles" section of docs/benchmarks.md.

    .venv/bin/python bench/rasters.py [--tiles 60] [--size 16384]
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import os
import random
import shutil
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import psycopg
import rasterio
from rasterio.enums import ColorInterp
from rasterio.transform import from_origin
from rasterio.windows import Window

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.modules["_common"] = _common = importlib.util.module_from_spec(
    spec := importlib.util.spec_from_file_location("_common", HERE / "_common.py"))  # type: ignore[arg-type]
spec.loader.exec_module(_common)  # type: ignore[union-attr]
from _common import (  # noqa: E402
    Service,
    git_commit,
    machine,
    package_version,
    percentile,
    running,
    shared_tmp,
    write_section,
)

from gis.cluster import free_port, running_cluster  # noqa: E402
from gis.rasters import RasterRecord  # noqa: E402
from gis.tms import tile_matrix_set  # noqa: E402
from ingest.cog import publish  # noqa: E402
from registries.migrate import upgrade  # noqa: E402
from tiles.raster import tile_limits  # noqa: E402

SRID = 6383
GIS = str(Path(sys.executable).parent / "gis")
GRIDS = [("WebMercatorQuad", 17), ("WebMercatorQuad", 19), ("UCS2000TM9", 6),
         ("UCS2000TM9", 9)]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def make_ortho(path: Path, n: int) -> None:
    """Write an n × n RGB 'orthophoto' (0.1 m): smooth fields with noise, in blocks."""
    rng = np.random.default_rng(68)
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=3, dtype="uint8",
                       crs=f"EPSG:{SRID}", transform=from_origin(298_000, 5_477_500, 0.1, 0.1),
                       tiled=True, blockxsize=1024, blockysize=1024, compress="deflate",
                       photometric="RGB") as ds:
        yy, xx = np.mgrid[0:1024, 0:1024]
        for r in range(0, n, 1024):
            for c in range(0, n, 1024):
                base = (np.sin((xx + c) / 90.0) + np.cos((yy + r) / 70.0)) * 50 + 120
                noise = rng.integers(-25, 25, (3, 1024, 1024))
                block = np.clip(base[None] + noise + np.array([[[10]], [[30]], [[-10]]]),
                                0, 255).astype(np.uint8)
                w = Window(c, r, min(1024, n - c), min(1024, n - r))
                ds.write(block[:, : int(w.height), : int(w.width)], window=w)


def make_plan(path: Path, n: int) -> None:
    """Write an n × n paletted 'zoning plan' (0.25 m): zones, streets, a line grid."""
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="uint8",
                       crs=f"EPSG:{SRID}", transform=from_origin(298_000, 5_477_500, 0.25, 0.25),
                       tiled=True, blockxsize=1024, blockysize=1024, compress="deflate") as ds:
        ds.colorinterp = [ColorInterp.palette]
        ds.write_colormap(1, {0: (255, 255, 255, 255), 1: (255, 230, 0, 255),
                              2: (0, 160, 0, 255), 3: (150, 0, 150, 255), 4: (0, 0, 0, 255)})
        yy, xx = np.mgrid[0:1024, 0:1024]
        for r in range(0, n, 1024):
            for c in range(0, n, 1024):
                zone = (((xx + c) // 700 + (yy + r) // 500) % 3 + 1).astype(np.uint8)
                zone[((xx + c) % 350 < 6) | ((yy + r) % 350 < 6)] = 4
                w = Window(c, r, min(1024, n - c), min(1024, n - r))
                ds.write(zone[None, : int(w.height), : int(w.width)], window=w)


def tiles_of(rec: RasterRecord, tms_id: str, z: int, count: int) -> list[tuple[int, int, int]]:
    """Return ``count`` distinct tiles inside the raster at ``z`` (fixed seed)."""
    x0, y0, x1, y1 = tile_limits(rec, tile_matrix_set(tms_id, SRID))[z]
    inner = [(z, x, y) for x in range(x0 + 1, x1) for y in range(y0 + 1, y1)] or \
        [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    random.Random(68).shuffle(inner)
    return inner[:count]


class Floor:
    """rio-tiler on the same COG in this process: an open Reader, tile() + render(PNG)."""

    def __init__(self, path: Path, rec: RasterRecord, tms_id: str) -> None:
        from rio_tiler.io import Reader

        from tiles.raster import _draw  # the same read options as the server's

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.reader = Reader(str(path), tms=tile_matrix_set(tms_id, SRID))
        self.options = _draw(rec)
        self.cmap = self.reader.colormap if rec.kind == "paletted" else None

    def time_ms(self, z: int, x: int, y: int) -> float:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = self.reader.tile(x, y, z, **self.options)
        img.render(img_format="PNG", colormap=self.cmap)
        return (time.perf_counter() - t0) * 1000

    def close(self) -> None:
        self.reader.close()


def fetch(conn: http.client.HTTPConnection, path: str, etag: str | None = None,
          ) -> tuple[float, int, str]:
    headers = {"If-None-Match": etag} if etag else {}
    t0 = time.perf_counter()
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    resp.read()
    return (time.perf_counter() - t0) * 1000, resp.status, resp.getheader("etag") or ""


def ms(values: list[float]) -> str:
    return f"{percentile(values, 50):.1f} / {percentile(values, 95):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiles", type=int, default=60, help="distinct tiles per grid/zoom")
    parser.add_argument("--size", type=int, default=16384, help="ortho side in pixels")
    parser.add_argument("--scale", type=float, help="ignored (make bench passes it to all)")
    args = parser.parse_args()
    started = time.time()
    load_before = os.getloadavg()[0]
    root = shared_tmp("hromada-bench-rasters-")
    try:
        with running_cluster(root / "cluster", quiet=True) as cluster:
            url = cluster.ensure_database("bench")
            upgrade(url, SRID)
            data = root / "data"
            recs = {}
            for name, make, side, compress in (("ortho", make_ortho, args.size, "jpeg"),
                                               ("plan", make_plan, args.size // 2, "deflate")):
                src = root / f"{name}-src.tif"
                t0 = time.perf_counter()
                make(src, side)
                with psycopg.connect(url, autocommit=True) as conn:
                    recs[name] = publish(conn, src, name=name, raster_dir=data / "rasters",
                                         public=True, compress=compress)
                say(f"{name}: {side}² px published in {time.perf_counter() - t0:.0f} s "
                    f"({recs[name].file_size / 1e6:.0f} MB COG)")
                src.unlink()
            port = free_port()
            env = {**os.environ, "GIS_DATABASE_URL": url, "GIS_DATA_DIR": str(data),
                   "GIS_PORT": str(port), "GIS_TILES__CACHE": "none"}
            server = Service("hromada", [GIS, "serve"], env,
                             f"http://127.0.0.1:{port}/healthz", root / "serve.log", root)
            rows = []
            with running([server]):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                for name, rec in recs.items():
                    path = data / "rasters" / rec.file
                    for tms_id, z in GRIDS:
                        tiles = tiles_of(rec, tms_id, z, args.tiles)
                        direct = Floor(path, rec, tms_id)
                        low: list[float] = []
                        cold, cached, revalidate, statuses = [], [], [], set()
                        # interleaved per tile, so that both sides see the same machine load
                        for tz, x, y in tiles:
                            low.append(direct.time_ms(tz, x, y))
                            p = f"/collections/{name}/map/tiles/{tms_id}/{tz}/{y}/{x}"
                            t, status, etag = fetch(conn, p)
                            cold.append(t)
                            statuses.add(status)
                            t, status, _ = fetch(conn, p)
                            cached.append(t)
                            t, status304, _ = fetch(conn, p, etag)
                            revalidate.append(t)
                            statuses.add(status304)
                        direct.close()
                        ratio = percentile(cold, 50) / percentile(low, 50)
                        rows.append(f"| {name} | {tms_id} {z} | {len(tiles)} | {ms(low)} | "
                                    f"{ms(cold)} | {ratio:.2f}× | {ms(cached)} | "
                                    f"{ms(revalidate)} | {', '.join(map(str, sorted(statuses)))} |")
                        say(rows[-1])
                conn.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    python = Path(sys.executable)
    body = "\n".join([
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `bench/rasters.py "
        f"--tiles {args.tiles} --size {args.size}` ({time.time() - started:.0f} s in all).",
        "",
        f"- **Machine:** {machine()}; the client, the server and PostgreSQL share it, and "
        f"other work ran on it at the same time (1-minute load average {load_before:.1f} at "
        f"the start, {os.getloadavg()[0]:.1f} at the end, on 2 cores): compare the columns "
        "of one run, not the milliseconds across runs.",
        f"- **Versions:** Hromada GIS {git_commit()} (working tree may hold more), rio-tiler "
        f"{package_version(python, 'rio-tiler')}, rasterio "
        f"{package_version(python, 'rasterio')} (GDAL {rasterio.__gdal_version__}).",
        f"- **Data:** ortho: {args.size}² px RGB, 0.1 m, JPEG COG; plan: {args.size // 2}² px "
        "paletted, 0.25 m, deflate COG; both in EPSG:6383. WebMercatorQuad 17/19 ≈ 1.2/0.3 m "
        "pixels; UCS2000TM9 6/9 = 1:2 000 (0.56 m) / 1:500 (0.14 m).",
        "- **Method:** per grid and zoom the same distinct tiles, sequential, loopback "
        "HTTP/1.1 keep-alive (`http.client`). floor = rio-tiler in-process on an open COG "
        "(`Reader.tile` + `render(PNG)`, the server's read options); cold = the server's first "
        "request of the tile; cached = the same tile again (memory LRU); 304 = revalidation by "
        "ETag. Times in ms, p50 / p95; ratio = cold p50 ÷ floor p50.",
        "",
        "| raster | grid, zoom | tiles | floor (rio-tiler) | server cold | cold ÷ floor | "
        "server cached | 304 | statuses |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        *rows,
    ])
    write_section("Raster tiles", "bench/rasters.py", body)
    say("docs/benchmarks.md: Raster tiles section written")


if __name__ == "__main__":
    main()
