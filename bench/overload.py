"""Overload: 64 concurrent clients, each asking for six 1,000-feature parcel pages.

Every client has its own address (``X-Forwarded-For`` from the loopback, which ``gis serve``
trusts as a proxy, so the anonymous limits of each client apply as in production) and its own
keep-alive connection; all start together. Two patterns: *one after another* (a client reads
its six pages in turn) and *all six at once* (a client sends its six together). Targets, in
the same run on the same data: this server; this server with ``GIS_POOL__QUEUE_S=1`` (the old
behaviour: a 1 s wait for a pool connection, then refusal); tipg (a side virtualenv,
``bench/.venv-peers``, as ``bench/features.py``). Every 503 and 429 counts as a failure.
Writes the section "Overload (64 clients × six 1,000-feature pages)" of docs/benchmarks.md.

    .venv/bin/python bench/overload.py [--scale 1.0] [--clients 64] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import (  # noqa: E402
    Service,
    demo_database,
    git_commit,
    machine,
    package_version,
    peer_venv,
    percentile,
    running,
    shared_tmp,
    sigterm_as_interrupt,
    uncommitted,
    write_section,
)
from features import PEER_REQUIREMENTS, PEERS_VENV, public_fields  # noqa: E402

PAGES = 6
LIMIT = 1000


def say(line: str) -> None:
    print(f"[overload] {line}", file=sys.stderr, flush=True)


@dataclass
class Outcome:
    seconds: list[float] = field(default_factory=list)  # of every answered request
    statuses: Counter[int | str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)  # of the refusals
    wall_s: float = 0.0


async def client(i: int, base: str, path: str, offsets: list[int], together: bool,
                 out: Outcome, start: asyncio.Event) -> None:
    headers = {"X-Forwarded-For": f"10.64.{i // 250}.{i % 250 + 1}",
               "Accept": "application/geo+json"}
    async with httpx.AsyncClient(base_url=base, timeout=300, headers=headers,
                                 limits=httpx.Limits(max_connections=PAGES if together else 1)
                                 ) as http:
        async def one(offset: int) -> None:
            t0 = time.perf_counter()
            try:
                r = await http.get(path.format(limit=LIMIT, offset=offset))
                await r.aread()
                out.statuses[r.status_code] += 1
                if r.status_code in (429, 503):
                    code = r.json().get("code", "?") if r.headers.get(
                        "content-type", "").endswith("json") else "?"
                    out.codes[f"{r.status_code} {code}"] += 1
            except httpx.HTTPError as exc:
                out.statuses[type(exc).__name__] += 1
            out.seconds.append(time.perf_counter() - t0)

        await start.wait()
        if together:
            await asyncio.gather(*(one(o) for o in offsets))
        else:
            for o in offsets:
                await one(o)


async def load(base: str, path: str, clients: int, together: bool, seed: int) -> Outcome:
    rng = random.Random(seed)
    out = Outcome()
    start = asyncio.Event()
    tasks = [asyncio.create_task(client(i, base, path,
                                        [rng.randrange(0, 60) * LIMIT for _ in range(PAGES)],
                                        together, out, start)) for i in range(clients)]
    await asyncio.sleep(0.2)
    t0 = time.perf_counter()
    start.set()
    await asyncio.gather(*tasks)
    out.wall_s = time.perf_counter() - t0
    return out


def services(url: str, python: Path, work: Path) -> dict[str, Service]:
    from gis.cluster import free_port

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIS_", "TIPG_", "DATABASE_URL"))}
    gis = str(Path(sys.executable).parent / "gis")
    found: dict[str, Service] = {}
    for key, extra in (("ours", {}), ("ours, queue 1 s", {"GIS_POOL__QUEUE_S": "1"})):
        port = free_port()
        found[key] = Service(key, [gis, "serve", "--port", str(port)],
                             {**env, "GIS_DATABASE_URL": url, "GIS_LOG__ACCESS": "off",
                              "GIS_DATA_DIR": str(work / key.replace(" ", "_")), **extra},
                             f"http://127.0.0.1:{port}/collections/land_parcels/items?limit=1",
                             work / f"{key.replace(' ', '_')}.log", work)
    port = free_port()
    fields = public_fields()
    tipg_env = {**env, "DATABASE_URL": url, "TIPG_DB_SCHEMAS": '["open_data"]',
                "TIPG_MAX_FEATURES_PER_QUERY": "10000",
                "TIPG_TABLE_CONFIG__open_data_land_parcel__properties":
                    __import__("json").dumps(fields["land_parcel"])}
    found["tipg"] = Service(
        "tipg", [str(python.parent / "uvicorn"), "tipg.main:app", "--host", "127.0.0.1",
                 "--port", str(port), "--log-level", "warning", "--no-access-log"], tipg_env,
        f"http://127.0.0.1:{port}/collections/open_data.land_parcel/items?limit=1",
        work / "tipg.log", work)
    return found


PATHS = {"ours": "/collections/land_parcels/items?f=json&limit={limit}&offset={offset}",
         "ours, queue 1 s": "/collections/land_parcels/items?f=json&limit={limit}&offset={offset}",
         "tipg": "/collections/open_data.land_parcel/items?f=geojson&limit={limit}&offset={offset}"}
TITLES = {"ours": "Hromada GIS (queue ≤ 10 s, the default)",
          "ours, queue 1 s": "Hromada GIS with `GIS_POOL__QUEUE_S=1` (1 s in line, then 503, "
                             "the old pool's wait; the rest as this commit)",
          "tipg": "tipg"}


def report(results: dict[tuple[str, bool], list[Outcome]], clients: int, rounds: int,
           scale: float, versions: dict[str, str], seconds: float) -> str:
    rows = ["| target | pattern | requests | served | 503 | 429 | other failures | p50 s | "
            "p99 s | max s | wall s |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- | "
            "--- | --- |"]
    for (key, together), outs in results.items():
        statuses: Counter[int | str] = Counter()
        secs: list[float] = []
        for o in outs:
            statuses.update(o.statuses)
            secs.extend(o.seconds)
        total = sum(statuses.values())
        ok = sum(n for s, n in statuses.items() if isinstance(s, int) and 200 <= s < 300)
        other = total - ok - statuses[503] - statuses[429]
        wall = sum(o.wall_s for o in outs) / len(outs)
        rows.append(f"| {TITLES[key]} | {'all six at once' if together else 'one after another'}"
                    f" | {total} | {ok} ({100 * ok / total:.1f} %) | {statuses[503]} | "
                    f"{statuses[429]} | {other} | {percentile(secs, 50):.2f} | "
                    f"{percentile(secs, 99):.2f} | {max(secs):.2f} | {wall:.1f} |")
    return "\n".join([
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M UTC} by `bench/overload.py --scale {scale:g} "
        f"--clients {clients} --rounds {rounds}` ({seconds:.0f} s).",
        "",
        f"- **Machine:** {machine()}, **shared with other work while this ran**; the clients "
        "(one asyncio process), the servers and PostgreSQL all on these cores.",
        f"- **Commit:** {git_commit()}{uncommitted()}"
        f"; tipg {versions['tipg']} in `bench/.venv-peers`.",
        f"- **Load:** demo city at scale {scale:g}; {clients} clients, each with its own address "
        f"(`X-Forwarded-For` through the trusted loopback proxy: the anonymous limits apply per "
        f"client) and six pages of {LIMIT:,} parcels at random offsets, all clients starting "
        f"together; {rounds} rounds per target and pattern, targets one at a time. *served*: "
        "2xx; every 503 and 429 is a failure.",
        "- **What changed:** a request that finds every pool connection busy now waits in "
        "line (first come, first served) up to `GIS_POOL__QUEUE_S` (10 s), and is refused "
        "(503 `ServerBusy`, Retry-After = the expected wait) only when it got no connection "
        "in that time, or at once when the work already in line clearly cannot be served in "
        "it (more than twice the queue at the line's measured speed); a database that is down"
        " fails the line at once (503 `ServiceUnavailable`). The anonymous limits (one "
        "request of a client at a time, its others in line up to 20 s, a work budget of "
        "server seconds) are kept; the time a request waits for a connection is no longer "
        "charged to its client's budget. And the server has enough worker threads "
        "(`GIS_POOL__THREADS`, 256): with Starlette's default 40, the requests waiting for a "
        "connection held every thread, and the pages holding the connections — streamed in "
        "batches, each batch on a thread — could not go on, so the line stalled until it was "
        "refused.",
        "",
        *rows,
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--targets", nargs="+", default=list(TITLES), choices=list(TITLES))
    args = parser.parse_args()
    t0 = time.perf_counter()
    work = shared_tmp("hromada-overload-")
    try:
        with sigterm_as_interrupt():
            python = peer_venv(PEERS_VENV, PEER_REQUIREMENTS, say)
            versions = {"tipg": package_version(python, "tipg")}
            with demo_database(args.scale, say) as url:
                results: dict[tuple[str, bool], list[Outcome]] = {}
                for key, svc in services(url, python, work).items():
                    if key not in args.targets:
                        continue
                    with running([svc]):
                        base = svc.ready_url.split("/collections")[0]
                        for together in (False, True):
                            for r in range(args.rounds):
                                say(f"{key}, {'together' if together else 'in turn'}, "
                                    f"round {r + 1}")
                                out = asyncio.run(load(base, PATHS[key], args.clients,
                                                       together, seed=68 + r))
                                results.setdefault((key, together), []).append(out)
                                say(f"  {dict(out.statuses)} {dict(out.codes)} in "
                                    f"{out.wall_s:.1f} s")
                                time.sleep(2)
                body = report(results, args.clients, args.rounds, args.scale, versions,
                              time.perf_counter() - t0)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(body)
    write_section("Overload (64 clients × six 1,000-feature pages)", "bench/overload.py", body)


if __name__ == "__main__":
    main()
