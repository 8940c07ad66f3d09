"""10× the data: the demo city at scale 10 against scale 1, on the same machine in one run.

Both cities are built with ``gis demo --scale N`` (niced: the machine is shared) into their own
data folders, each with its embedded cluster, and served by ``gis serve`` side by side
(``GIS_TILES__CACHE=none``: every tile is rendered). Requests alternate between the two
servers so that machine noise falls on both alike. Measured per scale: start-up time (the
cluster stopped, ``gis serve`` until /readyz), cold tile p50 at z14/z16 over the densest z14
tile and its neighbours, items p50 (limit 100: plain pages at random offsets, a 500 m bbox, a
CQL2 filter), paging through every address (10,000 a page, following ``next`` links),
numberMatched uncached (a CQL2 filter over every parcel, each run a new threshold), address
search p95, database size and the data folder on disk, and the server's peak memory. Writes
the section "Scale: 10× the data" of docs/benchmarks.md.

    .venv/bin/python bench/scale.py [--scales 1 10] [--keep /var/tmp/hromada-scale] [--runs 15]

With ``--keep DIR`` the cities stay in ``DIR/scale-N`` and a later run reuses them (a scale-10
build takes minutes); without it they are built in a temporary folder and removed.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import random
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import (  # noqa: E402
    ROOT,
    Service,
    git_commit,
    machine,
    percentile,
    shared_tmp,
    sigterm_as_interrupt,
    uncommitted,
    write_section,
)

GIS = str(Path(sys.executable).parent / "gis")
ORIGIN = 20037508.342789244
CQL2 = "purpose_code='02.01' AND area_declared_ha > 0.08"
ADDRESS_PAGE = 10_000
_thresholds = itertools.count(1)  # every numberMatched request its own filter: never cached


def say(line: str) -> None:
    print(f"[scale] {line}", file=sys.stderr, flush=True)


def build(folder: Path, scale: float) -> float | None:
    """Build the demo city at ``scale`` in ``folder`` unless it is there; return the seconds."""
    if (folder / "pg" / "PG_VERSION").exists():
        return None
    folder.parent.mkdir(parents=True, exist_ok=True)
    say(f"building scale {scale:g} in {folder} (niced)")
    t0 = time.perf_counter()
    subprocess.run(["nice", "-n", "10", GIS, "demo", "--scale", str(scale)], check=True,
                   env={**os.environ, "GIS_DATA_DIR": str(folder)}, stdin=subprocess.DEVNULL)
    return time.perf_counter() - t0


def db_url(folder: Path) -> str:
    lines = (folder / "pg" / "postmaster.pid").read_text().splitlines()
    password = (folder / "pg.password").read_text().strip()
    return f"postgresql://gis:{password}@127.0.0.1:{lines[3]}/hromada"


def du(path: Path) -> int:
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True).stdout
    return int(out.split()[0]) if out else 0


def peak_rss_mib(pid: int) -> float:
    """Return the peak resident memory (VmHWM) of ``pid`` and its children, MiB."""
    total = 0
    pids = [str(pid)] + subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                       text=True).stdout.split()
    for p in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
    return total / 1024


class City:
    """One scale: its data folder, its server, what it measured."""

    def __init__(self, scale: float, folder: Path, port: int, log: Path) -> None:
        self.scale = scale
        self.folder = folder
        self.port = port
        self.log = log
        self.service = Service(f"scale {scale:g}", [GIS, "serve", "--port", str(port)],
                               {**os.environ, "GIS_DATA_DIR": str(folder),
                                "GIS_TILES__CACHE": "none", "GIS_LOG__ACCESS": "off",
                                # the benchmark client is on the exempt loopback anyway
                                "GIS_LIMITS__ANON_RATE_PER_S": "0"},
                               f"http://127.0.0.1:{port}/readyz", log, ROOT)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120,
                                 headers={"Accept-Encoding": "identity"})
        self.times: dict[str, list[float]] = {}
        self.sizes: dict[str, list[int]] = {}
        self.facts: dict[str, Any] = {}

    def upgrade(self) -> None:
        """Time ``gis db upgrade`` alone: the cluster's start, migrations, view refresh, stop."""
        t0 = time.perf_counter()
        subprocess.run([GIS, "db", "upgrade"], check=True, capture_output=True,
                       env={**os.environ, "GIS_DATA_DIR": str(self.folder)})
        self.facts["upgrade_s"] = time.perf_counter() - t0

    def start(self) -> None:
        t0 = time.perf_counter()
        self.service.start()
        self.service.wait_ready(timeout_s=900)
        self.facts["startup_s"] = time.perf_counter() - t0

    def get(self, kind: str, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        t0 = time.perf_counter()
        r = self.http.get(path, params=params)
        self.times.setdefault(kind, []).append(time.perf_counter() - t0)
        if r.status_code not in (200, 204):
            raise RuntimeError(f"{path} {params}: {r.status_code} {r.text[:300]}")
        self.sizes.setdefault(kind, []).append(len(r.content))
        return r

    def prepare(self) -> None:
        """Pick this city's tiles, bbox and search queries from its own data."""
        url = db_url(self.folder)
        with psycopg.connect(url) as conn:
            size = 2 * ORIGIN / 2 ** 14
            row = conn.execute(
                "SELECT floor((ST_X(p) + %(o)s) / %(s)s)::int, floor((%(o)s - ST_Y(p)) / %(s)s)"
                "::int, count(*) FROM (SELECT ST_PointOnSurface(geom_3857) p FROM "
                "open_data.land_parcel UNION ALL SELECT ST_PointOnSurface(geom_3857) FROM "
                "open_data.building UNION ALL SELECT geom_3857 FROM open_data.address) s "
                "GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1", {"o": ORIGIN, "s": size}).fetchone()
            x, y = row[0], row[1]
            self.tiles = [(14, x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)] + \
                [(16, x * 4 + dx, y * 4 + dy) for dx in range(4) for dy in range(4)]
            b = conn.execute(
                "WITH c AS (SELECT floor(ST_X(p) / 500) gx, floor(ST_Y(p) / 500) gy, count(*) n "
                "FROM (SELECT ST_PointOnSurface(geom) p FROM open_data.land_parcel) q "
                "GROUP BY 1, 2 ORDER BY n DESC, 1, 2 LIMIT 1) SELECT ST_XMin(b), ST_YMin(b), "
                "ST_XMax(b), ST_YMax(b) FROM c, LATERAL (SELECT ST_Transform(ST_MakeEnvelope("
                "gx * 500, gy * 500, (gx + 1) * 500, (gy + 1) * 500, 6383), 4326)::box2d b) x"
            ).fetchone()
            self.bbox = ",".join(f"{v:.6f}" for v in b)
            conn.execute("SELECT setseed(0.68)")
            self.queries = [r[0] for r in conn.execute(
                "SELECT full_address FROM open_data.address WHERE full_address IS NOT NULL "
                "ORDER BY random() LIMIT 40").fetchall()]
            self.facts["addresses"] = conn.execute(
                "SELECT count(*) FROM open_data.address").fetchone()[0]
            self.facts["parcels"] = conn.execute(
                "SELECT count(*) FROM open_data.land_parcel").fetchone()[0]
            self.facts["db_bytes"] = conn.execute(
                "SELECT pg_database_size(current_database())").fetchone()[0]
        self.facts["folder_bytes"] = du(self.folder)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")  # both cities settled alike, as after a night

    def page_through_addresses(self) -> None:
        t0 = time.perf_counter()
        pages = 0
        path: str | None = f"/collections/addresses/items?f=json&limit={ADDRESS_PAGE}"
        seen = 0
        while path:
            r = self.get("address page", path)
            body = r.json()
            seen += len(body["features"])
            pages += 1
            path = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
            if path:
                path = path.split(f":{self.port}", 1)[-1]
        self.facts["paging_s"] = time.perf_counter() - t0
        self.facts["paged"] = seen
        self.facts["pages"] = pages


def interleave(cities: list[City], runs: int) -> None:
    rng = random.Random(68)
    for run in range(runs):
        threshold = f"{0.05 + next(_thresholds) / 10_000:.4f}"
        for c in cities:
            for z, x, y in c.tiles:
                c.get(f"tile z{z}", f"/maps/city/{z}/{x}/{y}.mvt")
        for c in cities:
            c.get("items limit 100", "/collections/addresses/items",
                  {"f": "json", "limit": "100", "offset": str(rng.randrange(0, 50_000))})
            c.get("items bbox", "/collections/land_parcels/items",
                  {"f": "json", "limit": "100", "bbox": c.bbox})
            c.get("items CQL2", "/collections/land_parcels/items",
                  {"f": "json", "limit": "100", "filter": CQL2, "filter-lang": "cql2-text"})
            # a threshold no earlier request used: the count is computed, not cached
            r = c.get("numberMatched (uncached count)", "/collections/land_parcels/items",
                      {"f": "json", "limit": "1", "filter-lang": "cql2-text",
                       "filter": f"area_declared_ha > {threshold}"})
            c.facts["matched"] = r.json()["numberMatched"]
            for q in c.queries[run % 4::4]:
                c.get("address search", "/search", {"q": q, "collections": "addresses"})


def report(cities: list[City], runs: int, built: dict[float, float | None],
           seconds: float) -> str:
    one, big = cities[0], cities[-1]
    kinds = [("tile z14", 50), ("tile z16", 50), ("items limit 100", 50), ("items bbox", 50),
             ("items CQL2", 50), ("numberMatched (uncached count)", 50),
             ("address search", 95), ("address page", 50)]
    head = f"| measure | scale {one.scale:g} | scale {big.scale:g} | ratio | within 1.3× |"
    rows = [head, "| --- | --- | --- | --- | --- |"]
    for kind, p in kinds:
        a = percentile(one.times[kind], p) * 1000
        b = percentile(big.times[kind], p) * 1000
        ratio = b / a if a else float("nan")
        rows.append(f"| {kind} p{p} ms | {a:.1f} | {b:.1f} | {ratio:.2f} | "
                    f"{'yes' if ratio <= 1.3 else '**no**'} |")
    for label, key, unit, fmt in (
            ("paging through every address", "paging_s", "s", "{:.1f}"),
            ("start-up (cluster stopped → /readyz)", "startup_s", "s", "{:.1f}"),
            ("of which alike: `gis db upgrade` alone (cluster start, migrations, views, stop)",
             "upgrade_s", "s", "{:.1f}"),
            ("database size", "db_bytes", "MiB", "{:.0f}"),
            ("data folder on disk", "folder_bytes", "MiB", "{:.0f}"),
            ("server peak memory (RSS)", "rss_mib", "MiB", "{:.0f}")):
        a, b = one.facts[key], big.facts[key]
        if unit == "MiB" and key != "rss_mib":
            a, b = a / 2 ** 20, b / 2 ** 20
        verdict = "—" if key not in ("startup_s", "upgrade_s") else \
            ("yes" if b / a <= 1.3 else "**no**")
        rows.append(f"| {label}, {unit} | {fmt.format(a)} | {fmt.format(b)} | {b / a:.2f} | "
                    f"{verdict} |")
    for z in (14, 16):
        a, b = (sum(c.sizes[f"tile z{z}"]) / len(c.sizes[f"tile z{z}"]) / 1024 for c in (one, big))
        rows.append(f"| tile z{z}: mean size (gzip MVT), KiB — the work per tile | {a:.1f} | "
                    f"{b:.1f} | {b / a:.2f} | — |")
    per_page = [c.facts["paging_s"] / c.facts["pages"] for c in cities]
    rows.append(f"| paging: seconds per {ADDRESS_PAGE:,}-address page | {per_page[0]:.2f} | "
                f"{per_page[-1]:.2f} | {per_page[-1] / per_page[0]:.2f} | "
                f"{'yes' if per_page[-1] / per_page[0] <= 1.3 else '**no**'} |")
    builds = ", ".join(f"scale {s:g} {t:.0f} s" for s, t in built.items() if t is not None)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        f"Run {when} by `bench/scale.py --scales {' '.join(f'{c.scale:g}' for c in cities)} "
        f"--runs {runs}` ({seconds:.0f} s of measuring).",
        "",
        f"- **Machine:** {machine()}, **shared with other helpers' test runs while this ran** "
        "(their load falls on both scales alike: requests alternate between the two servers).",
        f"- **Commit:** {git_commit()}"
        f"{uncommitted()}.",
        f"- **Data:** demo city (seed 68) at scale {one.scale:g}: {one.facts['parcels']:,} "
        f"parcels, {one.facts['addresses']:,} addresses; at scale {big.scale:g}: "
        f"{big.facts['parcels']:,} parcels, {big.facts['addresses']:,} addresses"
        + (f"; built by `gis demo` (niced) in {builds}" if builds else "") + ".",
        "- **Method:** one `gis serve` per scale on its own embedded cluster, tile cache off "
        "(every tile rendered), one client, requests alternating between the servers; tiles: "
        "the densest z14 tile of each city and its 8 neighbours, the 16 z16 tiles inside it "
        f"(`/maps/city`), {runs} times; items: 100-feature pages (addresses at random offsets "
        "below 50,000; parcels in the densest 500 m box; parcels by the CQL2 filter "
        f"`{CQL2}`); numberMatched: a 1-feature parcel page whose filter threshold changes "
        "every run, so the count is computed, not taken from the count cache; search: 40 full "
        "addresses of each city, each asked "
        f"{runs // 4 or 1}×; paging: every address, {ADDRESS_PAGE:,} a page, following `next`.",
        "",
        *rows,
        "",
        f"Paging read {one.facts['paged']:,} and {big.facts['paged']:,} addresses in "
        f"{one.facts['pages']} and {big.facts['pages']} pages. The uncached numberMatched "
        f"counted {one.facts['matched']:,} and {big.facts['matched']:,} matching parcels.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", type=float, nargs=2, default=[1.0, 10.0])
    parser.add_argument("--keep", type=Path, help="keep the built cities in this folder")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    root = args.keep or shared_tmp("hromada-scale-")
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    logs = shared_tmp("hromada-scale-logs-")
    cities: list[City] = []
    started = time.perf_counter()
    try:
        with sigterm_as_interrupt():
            built = {s: build(root / f"scale-{s:g}", s) for s in args.scales}
            from gis.cluster import free_port

            cities = [City(s, root / f"scale-{s:g}", free_port(), logs / f"scale-{s:g}.log")
                      for s in args.scales]
            for c in cities:  # one at a time: each start-up alone on the machine
                c.upgrade()
                c.start()
                say(f"scale {c.scale:g} ready in {c.facts['startup_s']:.1f} s")
                c.prepare()
            t0 = time.perf_counter()
            interleave(cities[:1] + cities[1:], 1)  # warm-up: PostgreSQL's caches, the plans
            for c in cities:
                c.times.clear()
                c.sizes.clear()
            interleave(cities, args.runs)
            for c in cities:
                say(f"paging through the addresses of scale {c.scale:g}")
                c.page_through_addresses()
                assert c.service.proc is not None
                c.facts["rss_mib"] = peak_rss_mib(c.service.proc.pid)
            body = report(cities, args.runs, built, time.perf_counter() - t0)
    finally:
        for c in cities:
            c.http.close()
            c.service.stop()
        shutil.rmtree(logs, ignore_errors=True)
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print(body)
    write_section("Scale: 10× the data", "bench/scale.py", body)
    say(f"done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
