"""What the access log and /metrics cost on the fastest path there is: cached tiles from memory.

Three warm servers over one demo city, in the same run, rounds interleaved: observability off
(``GIS_LOG__ACCESS=off``, ``GIS_METRICS__ENABLED=false``: the app without the observing layer,
as before it existed), metrics only, and metrics with the JSON access log written to a file
(as to the journal). The tile list and client are bench/tiles.py's (34 tiles over the densest
district, a raw-socket keep-alive client, concurrency 1 and 8). Results replace the
"Observability overhead" section of docs/benchmarks.md.

    .venv/bin/python bench/observability.py [--scale 0.2] [--rounds 6]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
for name in ("_common", "_tiles"):
    spec = importlib.util.spec_from_file_location(
        name, HERE / ("_common.py" if name == "_common" else "tiles.py"))
    assert spec is not None and spec.loader is not None
    sys.modules[name] = module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
from _common import (  # noqa: E402
    ROOT,
    Service,
    demo_database,
    git_commit,
    machine,
    package_version,
    running,
    shared_tmp,
    write_section,
)
from _tiles import GIS, densest_tiles, http_target, measure_all, say  # noqa: E402

from app.access_log import AccessLog  # noqa: E402
from app.metrics import Metrics  # noqa: E402
from app.observe import Observer  # noqa: E402
from gis.cluster import free_port  # noqa: E402
from gis.settings import LogSettings, MetricsSettings  # noqa: E402

VARIANTS = {
    "off": {"GIS_LOG__ACCESS": "off", "GIS_METRICS__ENABLED": "false"},
    "metrics": {"GIS_LOG__ACCESS": "off"},
    "metrics + access log": {},  # the log path is added per run
}


def in_process(repeats: int = 15, n: int = 20_000) -> dict[str, float]:
    """Return µs per request (best of ``repeats`` runs of ``n``) of an ASGI app answering a
    20 KB cached tile, bare and behind the observing layer: its own cost, without HTTP."""
    import asyncio

    body = b"x" * 20_000
    headers = [(b"etag", b'"a684c7c6-4e20"'), (b"cache-control", b"public, no-cache"),
               (b"x-tile-cache", b"hit"), (b"access-control-allow-origin", b"*"),
               (b"content-type", b"application/vnd.mapbox-vector-tile"),
               (b"content-length", b"20000")]

    async def tile(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    scope = {"type": "http", "method": "GET", "path": "/maps/city/14/9420/5594.mvt",
             "query_string": b"", "headers": [(b"host", b"127.0.0.1")],
             "client": ("127.0.0.1", 50000)}

    async def nothing(message: Any = None) -> Any:
        return {}

    with open(os.devnull, "wb") as devnull:
        apps = {"off": tile,
                "metrics": Observer(tile, Metrics(), None, MetricsSettings()),
                "metrics + access log": Observer(
                    tile, Metrics(), AccessLog(LogSettings(), stream=devnull),
                    MetricsSettings())}

        async def best() -> dict[str, float]:
            out = {name: float("inf") for name in apps}
            for _ in range(repeats):
                for name, app in apps.items():
                    t0 = time.perf_counter()
                    for _ in range(n):
                        await app(scope, nothing, nothing)
                    out[name] = min(out[name], (time.perf_counter() - t0) / n * 1e6)
            return out

        return asyncio.run(best())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=0.2)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--repeat", type=int, default=8)
    args = ap.parse_args()
    work = shared_tmp("hromada-bench-observe-")
    try:
        with demo_database(args.scale, say) as url:
            tiles = densest_tiles(url)
            services, targets = [], {}
            for name, extra in VARIANTS.items():
                port = free_port()
                data = work / name.replace(" ", "")
                env = {**os.environ, "GIS_DATABASE_URL": url, "GIS_DATA_DIR": str(data),
                       "GIS_TILES__CACHE_DIR": str(data / "tiles"), **extra}
                if name == "metrics + access log":
                    env["GIS_LOG__ACCESS"] = str(work / "access.log")
                services.append(Service(name, [GIS, "serve", "--port", str(port)], env,
                                        f"http://127.0.0.1:{port}/healthz",
                                        work / f"{name.replace(' ', '')}.out", ROOT))
                targets[name] = http_target(port, "/maps/city/{z}/{x}/{y}.mvt")
            with contextlib.ExitStack() as stack:
                for service in services:  # one by one: each `gis serve` migrates at start
                    stack.enter_context(running([service]))
                results = measure_all(targets, tiles, args.rounds, args.repeat)
            logged = sum(1 for _ in (work / "access.log").open())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(results, args, logged, len(tiles), in_process())


def report(results: dict[tuple[str, int], dict[str, object]], args: argparse.Namespace,
           logged: int, n_tiles: int, micro: dict[str, float]) -> None:
    def rate(name: str, c: int) -> float:
        v = results[(name, c)]["rate"]
        assert isinstance(v, float)
        return v

    lines = [
        f"Machine: {machine()} (shared with other work while measured). Python "
        f"{sys.version.split()[0]}, hromada-gis "
        f"{package_version(Path(sys.executable), 'hromada-gis')}, commit {git_commit()}.",
        f"Demo city at scale {args.scale}; the city map's {n_tiles} tiles over the densest "
        f"district (`/maps/city/{{z}}/{{x}}/{{y}}.mvt`), all served from the memory front of the "
        f"tile cache by the fast path, fetched {args.repeat}× per round in {args.rounds} rounds "
        "after a warm-up round, the three servers interleaved in every round; the access log "
        f"went to a file ({logged} lines written, one per request).",
        "",
        "| server | conc. | p50 ms | p95 ms | tiles/s | tiles/s against off |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for c in (1, 8):
        for name in VARIANTS:
            m = results[(name, c)]
            p50, p95 = m["p50"], m["p95"]
            assert isinstance(p50, float) and isinstance(p95, float)
            lines.append(f"| {name} | {c} | {p50 * 1e3:.2f} | {p95 * 1e3:.2f} | "
                         f"{rate(name, c):.0f} | {rate(name, c) / rate('off', c):.3f} |")
    lines += [
        "",
        "In process, without HTTP (an ASGI app answering a 20 KB cached tile, best of 15 runs "
        "of 20,000 requests; the log written to /dev/null): "
        + "; ".join(f"{name} {us:.2f} µs" for name, us in micro.items())
        + f" per request, i.e. the observing layer adds {micro['metrics'] - micro['off']:.1f} µs "
        f"with metrics and {micro['metrics + access log'] - micro['off']:.1f} µs with metrics "
        "and the access log to every request.",
    ]
    body = "\n".join(lines)
    print(body)
    write_section("Observability overhead", "bench/observability.py", body)


if __name__ == "__main__":
    main()
