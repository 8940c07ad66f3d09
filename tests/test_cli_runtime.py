"""Commands beside a running server (its embedded database, never a second PostgreSQL), read-only
commands that never change the schema, and an import killed with SIGKILL mid-way."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
from alembic import command

from gis.cluster import EmbeddedCluster, free_port
from registries.migrate import alembic_config
from tests.conftest import GIS, SRID, clone, drop, shared_tmp, start_server
from tests.ingest_files import PARCEL_SCHEMA, count, parcel, write
from tests.test_cli import assert_one_error_line, postmasters, run_gis


def test_commands_work_beside_a_running_server(tmp_path: Path) -> None:
    root = shared_tmp("hromada-beside-")
    data = root / "data"
    env = {"GIS_DATA_DIR": str(data)}
    port = free_port()
    try:
        proc = start_server(env, port, "--demo", "--scale", "0.01")
        running = postmasters(data)
        added = run_gis("users", "add", "olena", "--role", "planner", "--no-password", env=env)
        assert added.returncode == 0, added.stderr
        listed = run_gis("users", "list", env=env)
        assert listed.returncode == 0 and "olena\tplanner\tactive" in listed.stdout
        path = write(tmp_path / "p.shp", [parcel(i) for i in range(1, 4)], PARCEL_SCHEMA)
        dry = run_gis("ingest", str(path), "--registry", "land_parcels", "--dry-run", env=env)
        assert dry.returncode in (0, 2) and "dry run: p.shp" in dry.stdout, dry.stderr
        exported = run_gis("export", "streets", "--format", "csv", "-o", "-", env=env)
        assert exported.returncode == 0 and exported.stdout.count("\n") > 10
        problems = run_gis("registry", "problems", "land_parcels", env=env)
        assert problems.returncode == 0, problems.stderr
        assert postmasters(data) == running  # the server's own PostgreSQL, no second one
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).status_code == 200
        second = run_gis("serve", "--port", str(free_port()), env=env)
        assert_one_error_line(second, "another Hromada GIS server", str(data))
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        assert proc.returncode == 0, proc.output()
        deadline = time.monotonic() + 5
        while postmasters(data) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert postmasters(data) == []
    finally:
        for pid in postmasters(data):
            os.kill(int(pid), signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)


def test_a_user_refused_a_verifier_right_is_not_added(db_url: str, tmp_path: Path) -> None:
    """«gis users add zoya --role planner --department architecture --verifies
    advertising_structures» said the planner may not verify it (registrars edit it) and still
    added zoya, with her database login and no department. Nothing is added; the command
    corrected adds her."""
    env = {"GIS_DATABASE_URL": db_url, "GIS_DATA_DIR": str(tmp_path / "data")}
    args = ["users", "add", "zoya", "--role", "planner", "--no-password",
            "--department", "architecture"]
    refused = run_gis(*args, "--verifies", "advertising_structures", env=env)
    assert_one_error_line(refused, "zoya may not verify advertising_structures")
    assert "zoya" not in run_gis("users", "list", env=env).stdout
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_roles WHERE rolname LIKE %s",
                            ("%_zoya",)).fetchone() == (0,)
    added = run_gis(*args, "--verifies", "planning_zones", env=env)
    assert added.returncode == 0, added.stderr
    listed = run_gis("users", "list", env=env).stdout
    assert re.search(r"^zoya\tplanner\tactive\t.*\tarchitecture\tplanning_zones$", listed,
                     re.MULTILINE), listed


def test_read_only_commands_never_migrate(cluster: EmbeddedCluster, template_url: str) -> None:
    name = "behind_schema"
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")  # noqa: S608 (a fixed name)
        conn.execute(f"CREATE DATABASE {name}")
    url = cluster.url(name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        command.upgrade(alembic_config(url, SRID), "0004")
        env = {"GIS_DATABASE_URL": url}
        for args in (["users", "list"], ["tokens", "list"], ["export", "streets", "-o", "-"],
                     ["registry", "problems", "streets"]):
            result = run_gis(*args, env=env)
            assert_one_error_line(result, "behind the newest schema", "run: gis db upgrade")
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0004",)
        upgraded = run_gis("db", "upgrade", env=env)
        assert upgraded.returncode == 0, upgraded.stderr
        # a new install's lists are empty: stdout stays empty for scripts, stderr says so
        for args, said in ((["users", "list"], "no users yet: add one with gis users add"),
                           (["tokens", "list"], "no tokens: issue one with gis tokens issue"),
                           (["raster", "list"], "no rasters yet: publish one with gis raster"),
                           (["verify", "list"], "no changes wait for verification"),
                           (["verify", "list", "streets"],
                            "no changes of streets wait for verification")):
            listed = run_gis(*args, env=env)
            assert (listed.returncode, listed.stdout) == (0, ""), listed.stderr
            assert said in listed.stderr, (args, listed.stderr)
    finally:
        drop(cluster, name)


def test_sigkill_mid_import_leaves_the_registry_as_it_was(cluster: EmbeddedCluster,
                                                           template_url: str,
                                                           tmp_path: Path) -> None:
    url = clone(cluster, "gis_template", "killed_import")
    try:
        before = write(tmp_path / "before.gpkg", [parcel(i) for i in range(1, 11)],
                       PARCEL_SCHEMA, driver="GPKG")
        env = {"GIS_DATABASE_URL": url}
        assert run_gis("ingest", str(before), "--registry", "land_parcels",
                       env=env).returncode == 0
        with psycopg.connect(url) as conn:
            snapshot = conn.execute("SELECT id, version, cadastral_number, md5(ST_AsEWKB(geom)) "
                                    "FROM registry.land_parcel ORDER BY id").fetchall()
        # a replace of 40,000 parcels: long enough to be killed while it streams and writes
        big = write(tmp_path / "big.gpkg", [parcel(i, KADNUM=f"6810100000:03:{i // 9000:03d}:"
                                                      f"{i % 9000 + 1:04d}")
                                            for i in range(40_000)],
                    PARCEL_SCHEMA, driver="GPKG")
        for stage in ("read", "write"):
            log = tmp_path / f"{stage}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen([GIS, "ingest", str(big), "--registry", "land_parcels",
                                         "--mode", "replace"], stdout=out,
                                        stderr=subprocess.STDOUT,
                                        env={**os.environ, **env})
            deadline = time.monotonic() + 120
            while stage not in log.read_text(errors="replace") or (
                    stage == "read" and "/40000" not in log.read_text(errors="replace")):
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            assert proc.returncode == -signal.SIGKILL
            deadline = time.monotonic() + 30
            while _imports_running(url) and time.monotonic() < deadline:
                time.sleep(0.1)  # the server notices the lost client and rolls back
            with psycopg.connect(url) as conn:
                after = conn.execute("SELECT id, version, cadastral_number, md5(ST_AsEWKB(geom))"
                                     " FROM registry.land_parcel ORDER BY id").fetchall()
                history = conn.execute("SELECT count(*) FROM history.land_parcel").fetchone()
            assert after == snapshot, stage
            assert history == (0,)
        assert count(url, "land_parcel") == 10
    finally:
        drop(cluster, "killed_import")


def _imports_running(url: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND pid <> pg_backend_pid() AND "
                           "state <> 'idle'").fetchone()
    return bool(row and row[0])


def _peak_rss_mb(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Return the peak resident memory (MB) of ``gis args`` and its output."""
    probe = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], "
             "capture_output=True, text=True); print(r.returncode, r.stdout[-2000:], "
             "r.stderr[-2000:]); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, GIS, *args], capture_output=True,
                         text=True, env={**os.environ, **env}, timeout=600).stdout
    *report, peak_kb = out.strip().splitlines()
    return int(peak_kb) / 1024, "\n".join(report)


def test_a_large_file_streams_in_bounded_memory(db_url: str, tmp_path: Path) -> None:
    """Ten times the rows, nearly the same memory: the importer never holds the file (a file
    past GIS_INGEST__FAST_READ_MAX_FEATURES streams feature by feature, rows go to PostgreSQL
    by COPY as they come). The limit is set to 0 here so that both files take that path."""
    schema = {"geometry": "Point", "properties": {"name": "str:80", "kind": "str:20",
                                                  "condition": "str:20"}}
    env = {"GIS_DATABASE_URL": db_url, "GIS_INGEST__FAST_READ_MAX_FEATURES": "0"}
    peaks = {}
    for n in (20_000, 200_000):
        path = write(tmp_path / f"p{n}.gpkg", (
            {"geometry": {"type": "Point", "coordinates": (299_000.0 + i % 1000,
                                                           5_476_000.0 + i // 1000)},
             "properties": {"name": f"Об'єкт доступності № {i} на вулиці Проскурівській",
                            "kind": "ramp", "condition": "usable"}} for i in range(n)),
            schema, driver="GPKG")
        peaks[n], report = _peak_rss_mb(["ingest", str(path), "--registry",
                                         "accessibility_objects", "--dry-run"], env)
        assert f"would insert {n}" in report, report
    size_mb = (tmp_path / "p200000.gpkg").stat().st_size / 2**20
    assert size_mb > 30  # the larger file is 10x the rows and well over 30 MB …
    assert peaks[200_000] - peaks[20_000] < 20, (peaks, size_mb)  # … the peak barely moves
