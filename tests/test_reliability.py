"""Honest and alive: database outages, restarts, timeouts, a full pool, SIGTERM and SIGKILL.

Each test runs its own ``gis serve`` on its own embedded cluster, so it can kill connections,
stop and start PostgreSQL and the server without disturbing other tests.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest

from gis.cluster import SUPERUSER, free_port
from tests.conftest import GIS, Server, shared_tmp, start_server

PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))[-1].parent


@dataclass
class Embedded:
    """A server with its own embedded cluster in ``data``."""

    data: Path
    port: int
    env: dict[str, str]
    proc: Server | None = None
    started: list[Server] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pgdata(self) -> Path:
        return self.data / "pg"

    def start(self, *args: str) -> Server:
        self.proc = start_server(self.env, self.port, *args)
        self.started.append(self.proc)
        return self.proc

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D",
                        str(self.pgdata), *args], check=True, capture_output=True, timeout=60)

    def restart_database(self, down_s: float, during: Callable[[], None]) -> float:
        """Stop PostgreSQL, run ``during``, wait, start it on the same port; return when up."""
        lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
        opts = f"-p {lines[3]} -k {lines[4]} -c listen_addresses=127.0.0.1"
        self.pg_ctl("stop", "-m", "fast", "-w")
        during()
        time.sleep(down_s)
        self.pg_ctl("start", "-w", "-l", str(self.data / "pg.log"), "-o", opts)
        return time.monotonic()

    def db_url(self) -> str:
        lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
        password = (self.data / "pg.password").read_text().strip()
        return f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{lines[3]}/hromada"

    def postmasters(self) -> list[str]:
        out = subprocess.run(["pgrep", "-f", f"postgres -D {self.pgdata}"], capture_output=True,
                             text=True).stdout
        return out.split()

    def watchdogs(self) -> list[str]:
        out = subprocess.run(["pgrep", "-f", f"gis.watchdog {self.data} "],
                             capture_output=True, text=True).stdout
        return out.split()


@pytest.fixture
def embedded() -> Iterator[Embedded]:
    root = shared_tmp("hromada-rel-")
    port = free_port()
    e = Embedded(root / "data", port, {"GIS_DATA_DIR": str(root / "data")})
    try:
        yield e
    finally:
        if e.proc and e.proc.poll() is None:
            e.proc.kill()
            e.proc.wait(timeout=30)
        for pid in e.watchdogs() + e.postmasters():
            os.kill(int(pid), signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)
        for proc in e.started:  # the servers' logs live in /tmp
            proc.log_path.unlink(missing_ok=True)


@dataclass
class Load:
    """Clients hammering a few URLs until stopped; every answer is recorded."""

    urls: list[str]
    clients: int = 6
    results: list[tuple[float, float, int | str, dict[str, str]]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        def client(i: int) -> None:
            with httpx.Client(timeout=10) as http:
                n = i
                while not self.stop.is_set():
                    url = self.urls[n % len(self.urls)]
                    n += 1
                    t0 = time.monotonic()
                    try:
                        r = http.get(url)
                        outcome: int | str = r.status_code
                        headers = {**r.headers, "x-url": url}
                    except httpx.HTTPError as exc:
                        outcome, headers = type(exc).__name__, {}
                    self.results.append((t0, time.monotonic(), outcome, headers))
                    time.sleep(0.02)

        self.pool = ThreadPoolExecutor(self.clients)
        for i in range(self.clients):
            self.pool.submit(client, i)

    def finish(self) -> None:
        self.stop.set()
        self.pool.shutdown(wait=True)


def test_outage_gives_503_then_recovers_without_a_restart(embedded: Embedded) -> None:
    embedded.start("--demo", "--scale", "0.01")
    base = embedded.base
    # tiles too: while the database is away the cache is not trusted (its change feed is
    # silent), so tiles are rendered, by the fast path in front of the app, and must 503 alike
    from gis.crs import transform_bbox
    from gis.settings import CitySettings
    from gis.tms import tile_range

    city = CitySettings()
    x0, y0, x1, y1 = tile_range(transform_bbox(city.extent, city.storage_srid, 3857), 13)
    tiles = [f"{base}/maps/city/13/{(x0 + x1) // 2 + d}/{(y0 + y1) // 2}.mvt" for d in (0, 1)]
    load = Load([f"{base}/collections/addresses/items?f=json&limit=50",
                 f"{base}/collections?f=json", f"{base}/collections/land_parcels/items/1?f=json",
                 f"{base}/collections/streets/items?f=html&limit=5", *tiles])
    probes: list[httpx.Response] = []

    def probe() -> None:
        time.sleep(0.5)
        probes.extend([httpx.get(f"{base}/healthz", timeout=5),
                       httpx.get(f"{base}/readyz", timeout=5)])

    load.run()
    try:
        time.sleep(1.0)
        killed = time.monotonic()
        # every connection killed
        with psycopg.connect(embedded.db_url(), autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = 'hromada' AND pid <> pg_backend_pid()")
        time.sleep(1.0)
        # the database restarted under the running server
        back = embedded.restart_database(2.0, probe)
        time.sleep(3.0)
    finally:
        load.finish()
    health, ready = probes

    assert health.status_code == 200 and health.json()["database"] == "unavailable"
    assert ready.status_code == 503
    outcomes = [r[2] for r in load.results]
    assert set(outcomes) <= {200, 204, 503}, {o for o in outcomes if o not in (200, 204, 503)}
    assert any(r[2] == 503 and "/maps/" in r[3]["x-url"] for r in load.results)
    unavailable = [r for r in load.results if r[2] == 503]
    assert unavailable, "the outage was not noticed"
    slowest = max(t1 - t0 for t0, t1, _, _ in unavailable)
    assert slowest <= 2.0, (f"a 503 took {slowest:.2f} s", sorted(
        ((round(t1 - t0, 2), round(t0 - killed, 2), round(back - killed, 2), h.get("x-url"))
         for t0, t1, _, h in unavailable), reverse=True)[:5])
    for _, _, _, headers in unavailable:  # a page asked as HTML gets the problem as a page
        expected = "text/html" if "f=html" in headers["x-url"] else "problem+json"
        assert headers.get("retry-after") and expected in headers["content-type"], headers
    after = sorted((t0, t1, o) for t0, t1, o, _ in load.results if t0 >= back)
    # recovered by the next request, not by a timer or a restart: a bound loose enough for a
    # busy 2-core runner (the test measures that it recovers, not how fast: no benchmark claims
    # a recovery time), and from the first answer on no request meets a dead connection
    first_ok = next(t1 for t0, t1, o in after if o == 200)
    assert first_ok - back <= 5.0, f"recovered {first_ok - back:.2f} s after the database"
    late = [o for t0, _, o in after if t0 >= first_ok]
    assert late and set(late) == {200}, [o for o in late if o != 200]


def test_statement_timeout_and_full_pool_answer_503_and_free_the_connection(
        embedded: Embedded) -> None:
    embedded.env.update({"GIS_POOL__MAX_SIZE": "2", "GIS_TIMEOUTS__ITEMS_S": "2.5",
                         "GIS_POOL__QUEUE_S": "1"})
    embedded.start("--demo", "--scale", "0.01")
    url = f"{embedded.base}/collections/addresses/items?f=json&limit=5"
    with psycopg.connect(embedded.db_url()) as blocker:
        # public items read the published copy (registries.publication)
        blocker.execute("LOCK TABLE published.address IN ACCESS EXCLUSIVE MODE")
        with ThreadPoolExecutor(4) as ex:
            futures = [ex.submit(httpx.get, url, timeout=10) for _ in range(4)]
            time.sleep(0.1)
            answers = [f.result() for f in futures]
        blocker.rollback()
    codes = sorted(a.json()["code"] for a in answers)
    assert [a.status_code for a in answers] == [503] * 4
    # the two behind a full pool cannot be served within the 1 s queue: busy, not unreachable
    assert codes == ["QueryTimeout", "QueryTimeout", "ServerBusy", "ServerBusy"], codes
    assert httpx.get(url, timeout=10).status_code == 200  # the connections are free again


def test_sigterm_lets_in_flight_requests_finish_and_stops_postgres(embedded: Embedded) -> None:
    proc = embedded.start("--demo", "--scale", "0.01")
    url = f"{embedded.base}/collections/addresses/items?f=json&limit=1000"
    with psycopg.connect(embedded.db_url()) as blocker:
        # public items read the published copy (registries.publication)
        blocker.execute("LOCK TABLE published.address IN ACCESS EXCLUSIVE MODE")
        with ThreadPoolExecutor(3) as ex:
            futures = [ex.submit(httpx.get, url, timeout=30) for _ in range(3)]
            time.sleep(0.5)  # the requests are in flight, waiting on the lock
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            blocker.rollback()
            blocker.close()
            answers = [f.result() for f in futures]
    assert [a.status_code for a in answers] == [200] * 3
    assert all(len(a.json()["features"]) > 0 for a in answers)
    proc.wait(timeout=60)
    assert proc.returncode == 0, proc.output()
    assert embedded.postmasters() == []
    log_size = (embedded.data / "pg.log").stat().st_size
    again = embedded.start()
    assert httpx.get(f"{embedded.base}/collections?f=json").status_code == 200
    new_log = (embedded.data / "pg.log").read_text()[log_size:]
    assert "not properly shut down" not in new_log and "recovery" not in new_log
    again.send_signal(signal.SIGTERM)
    again.wait(timeout=60)


def wait_until(check: Callable[[], bool], timeout_s: float) -> float:
    """Return the seconds until ``check()`` held (polled every 0.1 s), or raise."""
    t0 = time.monotonic()
    while not check():
        if time.monotonic() - t0 > timeout_s:
            raise AssertionError(f"not within {timeout_s} s")
        time.sleep(0.1)
    return time.monotonic() - t0


@pytest.mark.parametrize("kill", [signal.SIGKILL, signal.SIGSEGV], ids=["SIGKILL", "SIGSEGV"])
def test_a_killed_server_leaves_no_postgres_running(embedded: Embedded,
                                                    kill: signal.Signals) -> None:
    """SIGKILL or a segfault gives the server no chance to stop its cluster: its guard does
    (gis.watchdog), within a few seconds; a new server then starts cleanly."""
    proc = embedded.start("--demo", "--scale", "0.01")
    assert embedded.postmasters() and embedded.watchdogs()
    os.kill(proc.pid, kill)
    proc.wait(timeout=30)
    assert proc.returncode == -kill
    took = wait_until(lambda: not embedded.postmasters(), timeout_s=5.0)
    wait_until(lambda: not embedded.watchdogs(), timeout_s=5.0)
    print(f"cluster stopped {took:.2f} s after the server was killed by {kill.name}")
    assert "ended without stopping its database" in proc.output()
    again = embedded.start()
    assert "left running by an earlier server" not in again.output()
    assert httpx.get(f"{embedded.base}/collections?f=json").status_code == 200
    again.send_signal(signal.SIGTERM)
    again.wait(timeout=60)
    assert again.returncode == 0
    wait_until(lambda: not embedded.postmasters() and not embedded.watchdogs(), timeout_s=5.0)


def test_a_cluster_orphaned_with_its_guard_is_adopted(embedded: Embedded) -> None:
    """If the guard dies with the server (the whole process group killed), the cluster keeps
    running and the next server adopts it, as before the guard existed."""
    proc = embedded.start("--demo", "--scale", "0.01")
    for pid in embedded.watchdogs():
        os.kill(int(pid), signal.SIGKILL)
    proc.kill()
    proc.wait(timeout=30)
    time.sleep(1.0)
    assert embedded.postmasters(), "nothing was left to stop the cluster"
    again = embedded.start()
    assert "left running by an earlier server" in again.output()
    assert httpx.get(f"{embedded.base}/collections?f=json").status_code == 200
    again.send_signal(signal.SIGINT)
    again.wait(timeout=60)
    assert again.returncode == 0
    assert embedded.postmasters() == []


def test_stale_postmaster_pid_after_a_crash_is_handled(embedded: Embedded) -> None:
    proc = embedded.start("--demo", "--scale", "0.01")
    for pid in embedded.watchdogs():  # the machine "crashed": everything died at once
        os.kill(int(pid), signal.SIGKILL)
    proc.kill()
    proc.wait(timeout=30)
    for pid in embedded.postmasters():
        os.kill(int(pid), signal.SIGKILL)
    time.sleep(0.5)
    assert (embedded.pgdata / "postmaster.pid").exists()
    again = embedded.start()
    assert httpx.get(f"{embedded.base}/collections?f=json").status_code == 200
    again.send_signal(signal.SIGTERM)
    again.wait(timeout=60)
    assert again.returncode == 0 and embedded.postmasters() == []


def test_pool_larger_than_the_database_allows_is_one_clear_line(demo_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIS_")}
    env.update({"GIS_DATABASE_URL": demo_url, "GIS_POOL__MAX_SIZE": "1000"})
    r = subprocess.run([GIS, "serve", "--port", str(free_port())], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    lines = (r.stdout + r.stderr).strip().splitlines()
    assert len(lines) == 1 and "GIS_POOL__MAX_SIZE=1000" in lines[0], lines
