"""Load: 64 concurrent clients, mixed vector tiles and items pages, on the demo city.

Records p50/p99 latency per request kind, answers by status and errors by kind, and the
server's peak memory while some clients stream 10,000-feature pages. Writes the section
"Load (64 clients)" of docs/benchmarks.md.

    .venv/bin/python bench/load.py [--scale 1.0] [--seconds 30] [--clients 64]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import (  # noqa: E402
    ROOT,
    Service,
    demo_database,
    git_commit,
    machine,
    percentile,
    running,
    shared_tmp,
    sigterm_as_interrupt,
    write_section,
)

CITY = (26.90, 49.38, 27.09, 49.47)  # lon/lat box of the demo city's built-up area


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """Return the WebMercatorQuad (x, y) of a point at zoom ``z``.

    >>> tile_of(26.9965, 49.4216, 14)
    (9420, 5597)
    """
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def requests_mix(rng: random.Random) -> tuple[str, str]:
    """Return (kind, path) of one request: tiles mostly, items pages, some huge pages."""
    r = rng.random()
    lon, lat = rng.uniform(CITY[0], CITY[2]), rng.uniform(CITY[1], CITY[3])
    if r < 0.55:
        z = rng.choice((13, 14, 15, 16))
        x, y = tile_of(lon, lat, z)
        return f"tile z{z}", f"/maps/city/{z}/{x}/{y}.mvt"
    if r < 0.75:
        return "items limit=100", (f"/collections/addresses/items?f=json&limit=100"
                                   f"&offset={rng.randrange(0, 100_000, 100)}")
    if r < 0.95:
        d = 0.003
        return "items bbox", (f"/collections/land_parcels/items?f=json&limit=1000&bbox="
                              f"{lon:.5f},{lat:.5f},{lon + d:.5f},{lat + d:.5f}")
    return "items limit=10000", (f"/collections/addresses/items?f=json&limit=10000"
                                 f"&offset={rng.randrange(0, 100_000, 10_000)}")


async def client(base: str, seed: int, until: float, results: list[tuple[str, float, str]]
                 ) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.monotonic() < until:
            kind, path = requests_mix(rng)
            t0 = time.perf_counter()
            try:
                r = await http.get(path)
                outcome = str(r.status_code)
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            results.append((kind, time.perf_counter() - t0, outcome))


async def sample_rss(pid: int, until: float, peaks: list[int]) -> None:
    while time.monotonic() < until:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    peaks.append(int(line.split()[1]) * 1024)
        except OSError:
            pass
        await asyncio.sleep(0.25)


async def load(base: str, pid: int, clients: int, seconds: float
               ) -> tuple[list[tuple[str, float, str]], int]:
    until = time.monotonic() + seconds
    results: list[tuple[str, float, str]] = []
    peaks: list[int] = []
    await asyncio.gather(sample_rss(pid, until, peaks),
                         *(client(base, i, until, results) for i in range(clients)))
    return results, max(peaks or [0])


def report(results: list[tuple[str, float, str]], rss: int, clients: int, seconds: float,
           scale: float) -> str:
    by_kind: dict[str, list[float]] = defaultdict(list)
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    for kind, secs, outcome in results:
        outcomes[kind][outcome] += 1
        if outcome.isdigit():
            by_kind[kind].append(secs)
    rows = ["| request | count | p50 ms | p99 ms | answers |", "| --- | --- | --- | --- | --- |"]
    for kind in sorted(outcomes):
        t = by_kind[kind] or [0.0]
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(outcomes[kind].items()))
        rows.append(f"| {kind} | {sum(outcomes[kind].values())} | "
                    f"{percentile(t, 50) * 1000:.1f} | {percentile(t, 99) * 1000:.1f} | "
                    f"{answers} |")
    total = Counter(o for _, _, o in results)
    errors = {k: v for k, v in total.items() if k not in ("200", "204", "503", "429")}
    return "\n".join([
        f"Machine: {machine()}. Commit {git_commit()}. Demo city at scale {scale}; "
        f"{clients} concurrent clients (one asyncio process on the same 2 cores as the server "
        f"and PostgreSQL) for {seconds:.0f} s; a random mix: 55 % city-map tiles z13–z16, "
        "20 % address pages (limit 100, random offsets), 20 % 300 m bbox parcel pages, 5 % "
        "10,000-address pages. The tile cache is on (disk), so repeated tiles are warm.",
        "",
        *rows,
        "",
        f"Throughput: {len(results) / seconds:.0f} requests/s. Answers: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(total.items()))
        + f". Errors other than deliberate 503/429: {sum(errors.values())}"
        + (f" ({errors})" if errors else "") + ".",
        f"Server peak memory (RSS) during the run: {rss / 2**20:.0f} MiB.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=64)
    args = parser.parse_args()
    say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    with sigterm_as_interrupt(), demo_database(args.scale, say) as url:
        work = shared_tmp("hromada-load-")
        port = 8000 + random.randrange(1000, 9000)
        env = {**os.environ, "GIS_DATABASE_URL": url, "GIS_PORT": str(port),
               "GIS_DATA_DIR": str(work), "GIS_TILES__CACHE_DIR": str(work / "tiles")}
        server = Service("hromada", [str(ROOT / ".venv" / "bin" / "gis"), "serve"], env,
                         f"http://127.0.0.1:{port}/readyz", work / "serve.log", ROOT)
        with running([server]):
            assert server.proc is not None
            say(f"load: {args.clients} clients for {args.seconds:.0f} s")
            results, rss = asyncio.run(load(f"http://127.0.0.1:{port}", server.proc.pid,
                                            args.clients, args.seconds))
    body = report(results, rss, args.clients, args.seconds, args.scale)
    print(body)
    write_section("Load (64 clients)", "bench/load.py", body)


if __name__ == "__main__":
    main()
