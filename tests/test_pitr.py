"""Point-in-time recovery of the embedded cluster, by the steps of docs/operations.md: WAL
archiving in postgresql.conf, a base backup with pg_basebackup, then recovery to a moment between
two commits — the first is there, the second is not, and the tile cache takes the recovered
database for another one."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

import psycopg

from app.tile_server import database_identity
from gis.cluster import SUPERUSER, running_cluster
from registries.migrate import upgrade
from tests.conftest import SRID, shared_tmp

DOCS = Path(__file__).resolve().parent.parent / "docs" / "operations.md"
# the cluster's user here (hromada in the service)
AS_PG = [shutil.which("runuser") or "runuser", "-u", "postgres", "--"]


def documented(block_start: str, **paths: str) -> str:
    """Return the lines the doc appends after ``block_start``, with its paths replaced."""
    text = DOCS.read_text()
    body = text.split(block_start, 1)[1].split("EOF", 1)[0]
    for old, new in paths.items():
        body = body.replace(old, new)
    return body.strip("\n") + "\n"


def test_recovery_to_a_moment_between_two_commits() -> None:
    base = shared_tmp("hromada-pitr-")
    data, wal, backup = base / "data", base / "wal", base / "base" / "b1"
    pg = pwd.getpwnam("postgres")
    try:
        wal.mkdir()
        shutil.chown(wal, pg.pw_uid, pg.pw_gid)
        wal.chmod(0o700)
        with running_cluster(data, quiet=True) as c:
            bin_dir = c.bin_dir
            url = c.ensure_database()
            upgrade(url, SRID)  # the schema the server keeps (tiles.state names its cache)
            with psycopg.connect(url) as conn:
                conn.execute("CREATE TABLE edits (n int)")
        # 1. archive every WAL segment (the doc's lines, with this test's folders)
        lines = documented("tee -a /var/lib/hromada-gis/pg/postgresql.conf <<'EOF'\n",
                           **{"/var/backups/hromada-gis/wal": str(wal)})
        assert "archive_mode = on" in lines and "archive_command" in lines
        with (data / "pg" / "postgresql.conf").open("a") as conf:
            conf.write(lines)
        with running_cluster(data, quiet=True) as c:
            url = c.ensure_database()
            with psycopg.connect(url, autocommit=True) as conn:
                assert conn.execute("SHOW archive_mode").fetchone() == ("on",)
                # 2. a base backup beside the running cluster, as documented
                port = (data / "pg" / "postmaster.pid").read_text().splitlines()[3]
                backup.parent.mkdir()
                shutil.chown(backup.parent, pg.pw_uid, pg.pw_gid)
                subprocess.run([*AS_PG, str(bin_dir / "pg_basebackup"), "-h", "127.0.0.1", "-p",
                                port, "-U", SUPERUSER, "-D", str(backup), "-Ft", "-z"],
                               check=True, env={**os.environ, "PGPASSWORD": c.password},
                               capture_output=True, timeout=120)
                conn.execute("INSERT INTO edits VALUES (1)")
                time.sleep(1.1)
                target = conn.execute("SELECT now()::text").fetchone()[0]
                time.sleep(1.1)
                conn.execute("INSERT INTO edits VALUES (2)")  # the mistake to undo
                segment = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()[0]
                deadline = time.monotonic() + 30
                while not (wal / segment).exists() and time.monotonic() < deadline:
                    time.sleep(0.2)
                assert (wal / segment).exists(), "the segment was not archived"
                before = database_identity(conn)
        # 3. recover, as documented (the folder steps as root here: the data folder is root's
        # in this layout, the service user's in the service)
        (data / "pg").rename(data / "pg.before-recovery")
        (data / "pg").mkdir(mode=0o700)
        shutil.chown(data / "pg", pg.pw_uid, pg.pw_gid)
        subprocess.run([*AS_PG, "tar", "-xzf", str(backup / "base.tar.gz"), "-C",
                        str(data / "pg")], check=True)
        subprocess.run([*AS_PG, "tar", "-xzf", str(backup / "pg_wal.tar.gz"), "-C",
                        str(data / "pg" / "pg_wal")], check=True)
        recovery = documented("tee -a pg/postgresql.auto.conf <<'EOF'\n",
                              **{"/var/backups/hromada-gis/wal": str(wal),
                                 "2026-11-14 16:19:00+02": target})
        assert f"recovery_target_time = '{target}'" in recovery
        with (data / "pg" / "postgresql.auto.conf").open("a") as conf:
            conf.write(recovery)
        subprocess.run([*AS_PG, "touch", str(data / "pg" / "recovery.signal")], check=True)
        pg_ctl = [*AS_PG, str(bin_dir / "pg_ctl"), "-D", str(data / "pg")]
        subprocess.run([*pg_ctl, "-l", str(data / "pg.log"), "-w", "start", "-o",
                        f"-c listen_addresses='' -k {data / 'run'}"], check=True,
                       capture_output=True, timeout=300)
        deadline = time.monotonic() + 300
        while "in production" not in subprocess.run(
                [*AS_PG, str(bin_dir / "pg_controldata"), str(data / "pg")],
                capture_output=True, text=True).stdout:  # the doc's `until … in production`
            assert time.monotonic() < deadline, "the recovery did not finish"
            time.sleep(0.5)
        subprocess.run([*pg_ctl, "-w", "stop"], check=True, capture_output=True, timeout=120)
        log = (data / "pg.log").read_text()
        assert "recovery stopping before commit" in log and "archive recovery complete" in log
        with running_cluster(data, quiet=True) as c:  # the server's start, as after recovery
            with psycopg.connect(c.ensure_database()) as conn:
                assert [r[0] for r in conn.execute("SELECT n FROM edits")] == [1]
                assert database_identity(conn) != before  # a fresh tile cache
                conn.execute("INSERT INTO edits VALUES (3)")  # and it takes writes again
    finally:
        shutil.rmtree(base, ignore_errors=True)
