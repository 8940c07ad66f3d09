"""Several instances on one database (#22): start-up serialised, every instance current.

Real ``gis serve`` processes on different ports over one database (``GIS_DATABASE_URL``):
started at the same moment they all come up (start-up takes an advisory lock; without it they
die with ``tuple concurrently updated``), and an edit through one is in the other's tiles and
items within a second (each follows the database's change feed; the tile cache is shared).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql

from gis.cluster import EmbeddedCluster, free_port
from tests.conftest import GIS, SRID, Server, drop, shared_tmp, start_server

TOKEN = "tok-instances"


def _spawn(env: dict[str, str], port: int) -> Server:
    log_path = shared_tmp("hromada-instance-log-") / "serve.log"
    with log_path.open("wb") as log:
        proc = Server([GIS, "serve", "--port", str(port)], env={**os.environ, **env},
                      stdout=log, stderr=subprocess.STDOUT)
    proc.log_path = log_path
    return proc


def _wait_healthy(procs: dict[int, Server], timeout_s: float = 180) -> dict[int, str]:
    """Return the output of every process that died; wait until the others answer /healthz."""
    dead: dict[int, str] = {}
    waiting = set(procs)
    deadline = time.monotonic() + timeout_s
    while waiting and time.monotonic() < deadline:
        for port in list(waiting):
            proc = procs[port]
            if proc.poll() is not None:
                dead[port] = proc.output()
                waiting.discard(port)
                continue
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    waiting.discard(port)
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    for port in waiting:
        dead[port] = "not healthy in time: " + procs[port].output()
    return dead


def _stop(procs: list[Server]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
        log_dir = proc.log_path.parent
        proc.log_path.unlink(missing_ok=True)
        log_dir.rmdir()


@pytest.fixture
def empty_db(cluster: EmbeddedCluster) -> str:
    """Return the URL of a new database with nothing in it (not even the schema)."""
    name = f"instances_{os.getpid()}_{time.monotonic_ns() % 10**9}"
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield cluster.url(name)
    drop(cluster, name)


@pytest.mark.parametrize("rounds", [2])
def test_instances_started_at_once_all_come_up(empty_db: str, rounds: int) -> None:
    """Three servers started at the same moment on one empty database all come up, twice:
    the first round migrates it, the second (a restart of all) refreshes views and grants."""
    env = {"GIS_DATABASE_URL": empty_db, "GIS_TILES__CACHE": "postgres"}
    for _ in range(rounds):
        procs = {free_port(): None for _ in range(3)}
        started = {port: _spawn(env, port) for port in procs}
        try:
            dead = _wait_healthy(started)
            assert not dead, "\n\n".join(f"instance on port {p}:\n{out}"
                                         for p, out in dead.items())
            for port in started:
                r = httpx.get(f"http://127.0.0.1:{port}/collections", timeout=30)
                assert r.status_code == 200, r.text
        finally:
            _stop(list(started.values()))
