"""A real streaming replica: reads go to it, a writer reads its own writes, it can go away.

The session's test cluster is copied with ``pg_basebackup -R`` into a temporary folder and
started as a hot standby (as the ``postgres`` system user, like every cluster here) that
applies the primary's commits 2 s late (``recovery_min_apply_delay``): a read served by the
replica shows the old value for those 2 s, a read served by the primary the new one at once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest

from gis.cluster import SUPERUSER, EmbeddedCluster, free_port
from tests.conftest import served, shared_tmp

PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))[-1].parent
TOKENS = {"tok-writer": "olena:planner", "tok-other": "petro:planner"}
WRITER = {"Authorization": "Bearer tok-writer"}
OTHER = {"Authorization": "Bearer tok-other"}


def _as_postgres(*argv: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True, capture_output=True,
                   timeout=120, env={**os.environ, **(env or {})})


class Replica:
    """A hot standby of the test cluster in its own folder, on its own port."""

    def __init__(self, cluster: EmbeddedCluster) -> None:
        self.root = shared_tmp("hromada-replica-")
        self.pgdata = self.root / "pg"
        self.port = free_port()
        self.primary = cluster
        os.chown(self.root, _uid("postgres"), -1)

    def build(self) -> None:
        _as_postgres(str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p",
                     str(self.primary.port), "-U", SUPERUSER, "-D", str(self.pgdata), "-R",
                     "-X", "stream", "-c", "fast",
                     env={"PGPASSWORD": self.primary.password})
        with (self.pgdata / "postgresql.auto.conf").open("a") as conf:
            conf.write("hot_standby = on\nrecovery_min_apply_delay = '2s'\n")

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        _as_postgres(str(PG_BIN / "pg_ctl"), "start", "-D", str(self.pgdata), "-w", "-t", "60",
                     "-l", str(self.root / "replica.log"), "-o", opts)

    def stop(self) -> None:
        if (self.pgdata / "postmaster.pid").exists():
            _as_postgres(str(PG_BIN / "pg_ctl"), "stop", "-D", str(self.pgdata), "-m", "fast",
                         "-w")

    def url(self, primary_url: str) -> str:
        parts = urlsplit(primary_url)
        return primary_url.replace(f":{parts.port}/", f":{self.port}/")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _uid(name: str) -> int:
    import pwd

    return pwd.getpwnam(name).pw_uid


@pytest.fixture
def replicated(cluster: EmbeddedCluster, db_url: str) -> Iterator[tuple[str, str, Replica]]:
    """Return (server URL, primary URL, replica) of a server reading on a streaming replica."""
    from app.demo.load import load_demo

    with psycopg.connect(db_url) as conn:
        load_demo(conn, scale=0.01, seed=68, srid=6383)
        conn.commit()
    replica = Replica(cluster)
    try:
        replica.build()
        replica.start()
        replica_url = replica.url(db_url)
        _wait(lambda: _replayed(replica_url, db_url), 30)
        with served({"GIS_DATABASE_URL": db_url,
                     "GIS_DATABASE__REPLICA_URLS": json.dumps([replica_url]),
                     "GIS_AUTH__TOKENS": json.dumps(TOKENS),
                     "GIS_TILES__CACHE_DIR": str(replica.root / "tile-cache")}) as base:
            yield base, db_url, replica
    finally:
        replica.remove()


def _replayed(replica_url: str, primary_url: str) -> bool:
    with psycopg.connect(primary_url) as p, psycopg.connect(replica_url) as r:
        lsn = p.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        return bool(r.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn",
                              (lsn,)).fetchone()[0])


def _wait(check: object, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout_s} s")


def _backends(url: str, pool: str = "hromada-replica") -> int:
    """Return how many connections of the server's pool ``pool`` ``url``'s database has."""
    with psycopg.connect(url) as conn:
        return int(conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
            "AND datname = current_database()", (pool,)).fetchone()[0])


def test_reads_on_the_replica_own_writes_from_the_primary_and_it_may_go(
        replicated: tuple[str, str, Replica]) -> None:
    server, primary_url, replica = replicated
    replica_url = replica.url(primary_url)
    with psycopg.connect(primary_url) as conn:
        obj_id, before = conn.execute(
            "SELECT id, purpose_code FROM registry.land_parcel ORDER BY id LIMIT 1").fetchone()
    # staff (both tokens) read the working copy: an edit waits for verification before the
    # published copy shows it
    item = f"{server}/collections/land_parcels/items/{obj_id}?f=json&pending=true"
    page = f"{server}/collections/land_parcels/items?f=json&limit=50"

    # reads are served by the replica: the server's reading pool is connected there
    assert httpx.get(page, timeout=30).status_code == 200
    assert httpx.get(item, headers=OTHER, timeout=30).status_code == 200
    assert _backends(replica_url) >= 1
    assert _backends(primary_url) == 0  # the primary serves the pool named hromada-gis
    # tiles render there too (while it holds all the primary wrote)
    tiles = iter(range(37680, 37780))
    _wait(lambda: httpx.get(f"{server}/maps/city/16/{next(tiles)}/22372.mvt", timeout=30
                            ).status_code in (200, 204)
          and _backends(replica_url, "hromada-tiles-replica") >= 1, 15)
    # the change feed is heard on the primary: its LISTEN is there, never on the replica
    with psycopg.connect(primary_url) as conn:
        listeners = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE query ILIKE "
                                 "'LISTEN%%'").fetchone()[0]
    assert listeners >= 1

    # the writer reads its own write at once; another user, reading on the replica that
    # applies commits 2 s late, still sees the old value, then the new one
    after = "02.03" if before != "02.03" else "02.01"
    etag = httpx.get(item, headers=WRITER, timeout=30).headers["etag"]
    r = httpx.patch(item.split("?")[0], json={"properties": {"purpose_code": after}},
                    headers={**WRITER, "If-Match": etag}, timeout=30)
    assert r.status_code == 204, r.text
    own = httpx.get(item, headers=WRITER, timeout=30)
    assert own.json()["properties"]["purpose_code"] == after
    other = httpx.get(item, headers=OTHER, timeout=30)
    assert other.json()["properties"]["purpose_code"] == before  # the replica, 2 s behind
    _wait(lambda: httpx.get(item, headers=OTHER, timeout=30).json()["properties"][
        "purpose_code"] == after, 15)

    # the replica goes away: every read falls back to the primary, none fails
    replica.stop()
    answers = [httpx.get(url if h else url.replace("&pending=true", ""), headers=h,
                         timeout=30).status_code  # the public reads the published copy
               for url in (page, item) for h in ({}, OTHER, WRITER) for _ in range(3)]
    assert answers == [200] * 18, answers
    assert httpx.get(item, headers=OTHER, timeout=30).json()["properties"][
        "purpose_code"] == after
    # … and comes back: reads return to it
    replica.start()
    _wait(lambda: httpx.get(page, timeout=30).status_code == 200 and _backends(replica_url) >= 1,
          15)
