"""Limits: one client's 20 parallel heavy HTML pages, and everyone else's latency.

Client A (127.0.0.51) asks for ``--pages`` land-parcel pages of ``--limit`` features as HTML
(the items pipeline renders them with its page template: the heaviest anonymous request there
is; 1,000 features is the most a rendered page holds, a 10,000-feature HTML page is served at
1,000) all at once; client B
(127.0.0.52) meanwhile reads small pages one after another, as a resident's browser would.
The same flood runs twice on the same server binary and database: with the anonymous work
limits at their defaults, and with them off (``GIS_LIMITS__ANON_CONCURRENCY=0``,
``…__ANON_WORK_S_PER_S=0``). B's latency under the flood is compared with B's alone, as a
ratio, in each run. Every 429 A receives is counted as a refused request. Writes the section
"Limits (one client's flood)" of docs/benchmarks.md.

    .venv/bin/python bench/limits.py [--scale 0.2] [--pages 20] [--limit 10000]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

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
    uncommitted,
    write_section,
)

FLOODER, RESIDENT = "127.0.0.51", "127.0.0.52"
LIMITS_OFF = {"GIS_LIMITS__ANON_CONCURRENCY": "0", "GIS_LIMITS__ANON_WORK_S_PER_S": "0"}


def client(base: str, address: str, timeout: float = 300) -> httpx.Client:
    return httpx.Client(base_url=base, timeout=timeout,
                        transport=httpx.HTTPTransport(local_address=address))


def resident(base: str, until: threading.Event, seconds: float | None
             ) -> list[tuple[float, str]]:
    """Read small pages one after another until ``until`` is set (or ``seconds`` pass);
    return (seconds, outcome) per request — a timeout counts with the time it took."""
    rng = random.Random(7)
    out: list[tuple[float, str]] = []
    stop = time.monotonic() + (seconds or 1e9)
    with client(base, RESIDENT, 60) as http:
        while not until.is_set() and time.monotonic() < stop:
            path = rng.choice((
                f"/collections/addresses/items?f=json&limit=10&offset={rng.randrange(0, 5000)}",
                f"/collections/streets/items/{rng.randrange(1, 50)}?f=json",
                "/collections?f=json"))
            t0 = time.perf_counter()
            try:
                outcome = str(http.get(path).status_code)
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            out.append((time.perf_counter() - t0, outcome))
            time.sleep(0.05)
    return out


def flood(base: str, pages: int, limit: int) -> tuple[Counter[str], float]:
    """Send ``pages`` heavy HTML pages from one client at once; return answers and wall time."""
    def one(n: int) -> str:
        with client(base, FLOODER) as http:
            try:
                return str(http.get(f"/collections/land_parcels/items?f=html&limit={limit}"
                                    f"&offset={n}").status_code)
            except httpx.HTTPError as exc:
                return type(exc).__name__

    t0 = time.monotonic()
    with ThreadPoolExecutor(pages) as pool:
        answers = Counter(pool.map(one, range(pages)))
    return answers, time.monotonic() - t0


def run(url: str, env_extra: dict[str, str], pages: int, limit: int,
        say: Callable[[str], None], resident_s: float = 10) -> dict[str, Any]:
    work = shared_tmp("hromada-limits-")
    port = 8000 + random.randrange(1000, 9000)
    env = {**os.environ, "GIS_DATABASE_URL": url, "GIS_PORT": str(port),
           "GIS_DATA_DIR": str(work), "GIS_TILES__CACHE_DIR": str(work / "tiles"), **env_extra}
    server = Service("hromada", [str(ROOT / ".venv" / "bin" / "gis"), "serve"], env,
                     f"http://127.0.0.1:{port}/readyz", work / "serve.log", ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        with running([server]):
            alone = resident(base, threading.Event(), seconds=resident_s)
            done = threading.Event()
            times: list[tuple[float, str]] = []
            watcher = threading.Thread(target=lambda: times.extend(resident(base, done, None)))
            watcher.start()
            answers, wall = flood(base, pages, limit)
            done.set()
            watcher.join()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say(f"limits: {env_extra or 'defaults'}: A {dict(answers)} in {wall:.0f} s")
    return {"alone": alone, "flood": times, "answers": answers, "wall": wall}


def row(name: str, r: dict[str, Any]) -> str:
    alone = [t for t, _ in r["alone"]]
    under = [t for t, _ in r["flood"]]
    b_answers = Counter(o for _, o in r["flood"])
    answers: Counter[str] = r["answers"]
    refused = sum(v for k, v in answers.items() if k != "200")
    return (f"| {name} | {percentile(alone, 50) * 1000:.0f} / {percentile(alone, 95) * 1000:.0f}"
            f" | {percentile(under, 50) * 1000:.0f} / {percentile(under, 95) * 1000:.0f} | "
            f"{percentile(under, 95) / percentile(alone, 95):.0f}× | "
            f"{', '.join(f'{k}: {v}' for k, v in sorted(b_answers.items()))} | "
            f"{answers.get('200', 0)} served, {refused} refused "
            f"({', '.join(f'{k}: {v}' for k, v in sorted(answers.items()))}) | "
            f"{float(r['wall']):.0f} s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args()
    say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    load_before = os.getloadavg()[0]
    with sigterm_as_interrupt(), demo_database(args.scale, say) as url:
        limited = run(url, {}, args.pages, args.limit, say)
        unlimited = run(url, LIMITS_OFF, args.pages, args.limit, say)
        refused = run(url, {}, args.pages, 10_000, say, resident_s=3)
    load_after = os.getloadavg()[0]
    # other work is told by the load average: above the cores' count, processes waited for one
    busy = ("shared with other work while this ran" if max(load_before, load_after) > 1.5
            else "otherwise quiet while this ran")
    body = "\n".join([
        f"Machine: {machine()}, {busy} (1-minute load average {load_before:.1f} at the "
        f"start, {load_after:.1f} at the end). Commit {git_commit()}"
        f"{uncommitted()}. Demo city at scale {args.scale}. "
        f"Client A sends {args.pages} requests for `land_parcels/items?f=html&limit="
        f"{args.limit}` at once (the HTML items page); client B reads small pages (10 "
        "addresses, one street, the collections list) one after another, 10 s alone first. "
        "Both from other loopback addresses than the exempt 127.0.0.1; server, PostgreSQL "
        "and both clients share the 2 cores.",
        "",
        "| anonymous work limits | B alone p50 / p95 ms | B under A's flood p50 / p95 ms | "
        "B p95 under flood ÷ alone | B's answers under the flood | A's pages | "
        "A's flood took |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        row("defaults (1 at once, 20 s line, 1 s/s after 120 s)", limited),
        row("off", unlimited),
        "",
        f"The same flood asking 10,000 features a page (`limit=10000`, HTML): "
        f"{dict(refused['answers'])} in {refused['wall']:.1f} s — a rendered page holds at "
        "most 1,000 (`GIS_LIMITS__MAX_RENDERED_ITEMS`), and a larger limit is served at that "
        "size (OGC API – Features Part 1: a limit over the maximum is no error); `f=json` "
        "takes up to 10,000 a page.",
        "",
        "A's refused pages (429 + Retry-After: its line or its work budget) are the price of "
        "B's latency; they are counted here as failures, as in every load table. B's requests "
        "time out after 60 s; a timed-out request counts with the time it took (a lower "
        "bound).",
    ])
    print(body)
    write_section("Limits (one client's flood)", "bench/limits.py", body)


if __name__ == "__main__":
    main()
