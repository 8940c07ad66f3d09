"""Test fixtures: one real PostGIS cluster per session (the server's own ``gis.cluster`` code).

The cluster lives in a folder under /tmp that the ``postgres`` user can reach (pytest's own
temporary folders are private to root): in this session's temporary folder, which
tests/hygiene.py makes, removes at the end, and checks that nothing was left elsewhere. A
migrated template database is cloned for tests that commit; the demo city at scale 0.01 is
loaded once and served by a real ``gis serve`` process.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql

from gis.cluster import EmbeddedCluster, free_port, running_cluster
from registries.migrate import upgrade
from tests import hygiene

# tests/clients/ holds scripts other programs run (QGIS's own Python), not tests
collect_ignore = ["clients"]

SRID = 6383
DEMO_TODAY = date(2026, 11, 1)
DEMO_SCALE = 0.01
GIS = str(Path(sys.executable).parent / "gis")
_names = itertools.count()


def shared_tmp(prefix: str) -> Path:
    """Return a new folder (in the session's folder in /tmp) the postgres user can enter."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=hygiene.session_root()))
    path.chmod(0o755)
    return path


# -- test hygiene (#22): one temporary folder per session, checked at the end ----------------
def pytest_configure(config: pytest.Config) -> None:
    hygiene.begin()


def pytest_sessionfinish(session: pytest.Session) -> None:
    hygiene.finish(session)


@pytest.fixture(scope="session")
def cluster() -> Iterator[EmbeddedCluster]:
    root = shared_tmp("hromada-test-")
    try:
        with running_cluster(root / "cluster", quiet=True) as c:
            yield c
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def template_url(cluster: EmbeddedCluster) -> str:
    """Return the URL of a migrated, empty database that tests clone."""
    url = cluster.ensure_database("gis_template")
    upgrade(url, SRID)
    return url


def clone(cluster: EmbeddedCluster, template: str, name: str) -> str:
    """Return the URL of a new database copied from ``template``.

    The copy's grants still name the template's group roles (roles are named after their
    database, ``gis.db_logins``): they are derived again for the copy, as ``gis db upgrade``
    does for a restored database.
    """
    from registries.catalog import default_catalog
    from registries.grants import sync_grants

    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)))
    with psycopg.connect(cluster.url(name)) as conn:
        sync_grants(conn, default_catalog())
    return cluster.url(name)


def drop(cluster: EmbeddedCluster, name: str) -> None:
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


@pytest.fixture
def db_url(cluster: EmbeddedCluster, template_url: str) -> Iterator[str]:
    """Return the URL of a fresh migrated database of this test's own (dropped after)."""
    name = f"test_{next(_names)}"
    url = clone(cluster, "gis_template", name)
    yield url
    drop(cluster, name)


@pytest.fixture
def conn(template_url: str) -> Iterator[psycopg.Connection]:
    """Return a connection to the migrated template inside a transaction that rolls back."""
    with psycopg.connect(template_url) as c:
        with c.transaction(force_rollback=True):
            yield c


@pytest.fixture(scope="session")
def demo_url(cluster: EmbeddedCluster, template_url: str) -> str:
    """Return the URL of a database holding the demo city at scale 0.01 (do not modify it)."""
    from app.demo.load import load_demo

    url = clone(cluster, "gis_template", "demo")
    with psycopg.connect(url) as c:
        load_demo(c, scale=DEMO_SCALE, seed=68, today=DEMO_TODAY, srid=SRID)
        c.commit()
    return url


class Server(subprocess.Popen[bytes]):
    """A ``gis serve`` process whose output goes to a log file (a pipe could fill and block)."""

    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(env: dict[str, str], port: int, *args: str, timeout_s: float = 120) -> Server:
    """Start ``gis serve`` with ``env`` and wait until /healthz answers 200."""
    log_path = Path(tempfile.mkstemp(prefix="gis-serve-", suffix=".log")[1])
    with log_path.open("wb") as log:
        proc = Server([GIS, "serve", "--port", str(port), *args], env={**os.environ, **env},
                      stdout=log, stderr=subprocess.STDOUT)
    proc.log_path = log_path
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = proc.output()
            log_path.unlink(missing_ok=True)
            raise AssertionError(f"gis serve exited with {proc.returncode}: {output}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    proc.wait(timeout=30)
    output = proc.output()
    log_path.unlink(missing_ok=True)
    raise AssertionError(f"gis serve did not become healthy in time: {output}")


@contextlib.contextmanager
def served(env: dict[str, str], *args: str) -> Iterator[str]:
    """Run ``gis serve`` with ``env`` (and ``args``) on a free port; yield its base URL; stop it
    after."""
    proc = start_server(env, port := free_port(), *args)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.log_path.unlink(missing_ok=True)


@contextlib.contextmanager
def serving(cluster: EmbeddedCluster, name: str, url: str,
            env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve database ``url`` (the clone ``name``) with ``gis serve`` and its own tile cache;
    yield the base URL; afterwards stop the server and drop the clone and the cache."""
    cache = shared_tmp(f"hromada-{name}-")
    try:
        with served({"GIS_DATABASE_URL": url, "GIS_TILES__CACHE_DIR": str(cache),
                     **(env or {})}) as base:
            yield base
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        drop(cluster, name)


@pytest.fixture(scope="session")
def server(demo_url: str) -> Iterator[str]:
    """Return the base URL of a real ``gis serve`` over the demo database."""
    tile_cache = shared_tmp("hromada-tile-cache-")
    try:
        with served({"GIS_DATABASE_URL": demo_url,
                     "GIS_TILES__CACHE_DIR": str(tile_cache)}) as base:
            yield base
    finally:
        shutil.rmtree(tile_cache, ignore_errors=True)
