"""``gis backup`` and ``gis restore`` round-trip the demo city with every row: registries, every
history row (insert, update, delete), users, tokens, sessions, the personal-read log and the
sequences; a non-empty target is refused unless --force; a bad archive is refused before
anything is touched, and a broken one leaves the target empty (one transaction)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from gis.auth import Principal, Role
from gis.backup import prune
from gis.cluster import EmbeddedCluster, running_cluster
from gis.users import (
    add_user,
    check_password,
    issue_token,
    log_personal_read,
    open_session,
    revoke_token,
    token_user,
)
from registries import writes
from registries.catalog import default_catalog
from tests.conftest import DEMO_TODAY, GIS, SRID, clone, drop, shared_tmp

PASSWORD = "backup and restore"
IVAN = Principal("ivan", frozenset({Role.REGISTRAR, Role.PLANNER}))


def run_gis(*args: str, env: dict[str, str], timeout: float = 300,
            ) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GIS_")}
    return subprocess.run([GIS, *args], env={**clean, **env}, capture_output=True, text=True,
                          timeout=timeout)


# a user's database login lives in the cluster, not in the archive: a restore makes it again
# for the database restored into (see login_remade)
REMADE = "auth.db_logins"


def fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Return {table: (rows, md5 of every row's text)} of every table, and {sequence: (last
    value, "")} of every sequence, but the tile cache's and the logins' mapping."""
    out: dict[str, tuple[int, str]] = {}
    with psycopg.connect(url) as conn:
        rels = conn.execute(
            "SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'S') AND n.nspname NOT IN "
            "('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_' "
            "AND NOT (n.nspname = 'tiles' AND c.relname = 'cache') ORDER BY 1, 2").fetchall()
        for schema, name, kind in rels:
            ident = sql.Identifier(schema, name)
            if kind == "S":
                row = conn.execute(sql.SQL("SELECT last_value, is_called FROM {}").format(
                    ident)).fetchone()
                out[f"{schema}.{name}"] = (int(row[0]), str(row[1]))
                continue
            if f"{schema}.{name}" == REMADE:
                continue
            row = conn.execute(sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), "
                "'')) FROM {} AS t").format(ident)).fetchone()
            out[f"{schema}.{name}"] = (int(row[0]), str(row[1]))
    return out


@pytest.fixture(scope="module")
def source(cluster: EmbeddedCluster, template_url: str) -> Iterator[dict[str, Any]]:
    """Return a database with the demo city, edits of every kind, users, tokens, a session."""
    from app.demo.load import load_demo

    url = clone(cluster, "gis_template", "backup_source")
    catalog = default_catalog()
    with psycopg.connect(url) as conn:
        load_demo(conn, scale=0.01, seed=68, today=DEMO_TODAY, srid=SRID)
        user = add_user(conn, "ivan", frozenset({Role.REGISTRAR, Role.PLANNER}),
                        password=PASSWORD)
        token = issue_token(conn, "ivan", "QGIS")[1]
        revoke_token(conn, issue_token(conn, "ivan", "old laptop")[0])
        open_session(conn, user, timedelta(hours=1))
        log_personal_read(conn, IVAN, "land_parcels", method="GET",
                          path="/collections/land_parcels/items", object_ids=[1, 2])
        conn.commit()  # edits in later transactions: each one leaves a history row
        ads = catalog.get("advertising_structures")
        first, second = (r[0] for r in conn.execute(
            "SELECT id FROM registry.advertising_structure ORDER BY id LIMIT 2"))
        writes.update(conn, ads, first, {"properties": {"sides": 2}}, IVAN, storage_srid=SRID)
        conn.commit()
        writes.delete(conn, ads, second, IVAN)
        conn.commit()
    with psycopg.connect(url) as conn:
        ops = {r[0] for r in conn.execute(
            "SELECT DISTINCT operation FROM history.advertising_structure")}
    assert len(ops) >= 2, ops  # the history holds more than the demo's inserts
    yield {"url": url, "token": token}
    drop(cluster, "backup_source")
    drop_login(cluster, "backup_source")


@pytest.fixture(scope="module")
def archive(source: dict[str, Any]) -> Iterator[Path]:
    work = shared_tmp("hromada-backup-")
    try:
        path = work / "city.dump"
        result = run_gis("backup", str(path), env={"GIS_DATABASE_URL": source["url"],
                                                   "GIS_DATA_DIR": str(work / "data")})
        assert result.returncode == 0, result.stderr
        assert f"written to {path}" in result.stderr and "backup: tables" in result.stderr
        assert "Traceback" not in result.stderr
        yield path
    finally:
        shutil.rmtree(work, ignore_errors=True)


def login_remade(url: str, stderr: str) -> None:
    """Assert that ivan's login was made again for the database at ``url``, unable to log in
    until a new password is set, with the rights of his roles, and that the restore said so."""
    from gis.db_logins import group_role, login_role

    with psycopg.connect(url) as conn:
        dbname = conn.info.dbname
        [(login,)] = conn.execute(
            "SELECT login FROM auth.db_logins WHERE user_name = 'ivan'").fetchall()
        assert login == login_role(dbname, "ivan")
        assert conn.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s",
                            (login,)).fetchone() == (False,)
        groups = {r[0] for r in conn.execute(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = %s", (login,))}
        assert groups == {group_role(dbname, Role.PLANNER), group_role(dbname, Role.REGISTRAR)}
    assert "database logins made again for ivan" in stderr and "gis users password" in stderr


def drop_login(cluster: EmbeddedCluster, dbname: str) -> None:
    from gis.db_logins import login_role

    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(
            sql.Identifier(login_role(dbname, "ivan"))))


def test_backup_is_a_private_complete_archive(archive: Path, source: dict[str, Any]) -> None:
    assert archive.stat().st_mode & 0o777 == 0o600  # personal data and password hashes
    assert not archive.with_name(archive.name + ".partial").exists()
    listing = subprocess.run(["pg_restore", "--list", str(archive)], capture_output=True,
                             text=True, check=True).stdout
    for entry in ("TABLE DATA history advertising_structure", "TABLE DATA auth users",
                  "TABLE DATA auth tokens", "TABLE DATA auth sessions",
                  "TABLE DATA registry land_parcel", "TABLE DATA public alembic_version"):
        assert entry in listing, entry
    assert "TABLE DATA tiles cache" not in listing
    assert source["url"].split("@")[0].split(":")[-1] not in archive.read_bytes().decode(
        "latin-1")  # the database password is not in the archive


def test_restore_into_an_empty_data_folder_round_trips_every_row(
        archive: Path, source: dict[str, Any]) -> None:
    expected = fingerprint(source["url"])
    assert expected["history.advertising_structure"][0] > 0
    assert expected["auth.tokens"][0] == 2 and expected["auth.sessions"][0] == 1
    root = shared_tmp("hromada-restore-")
    data = root / "data"
    env = {"GIS_DATA_DIR": str(data)}
    try:
        result = run_gis("restore", str(archive), env=env)
        assert result.returncode == 0, result.stderr
        assert "restore: objects" in result.stderr and "migrated it" in result.stderr
        with running_cluster(data, quiet=True) as restored:
            url = restored.ensure_database()
            assert fingerprint(url) == expected
            login_remade(url, result.stderr)
            with psycopg.connect(url) as conn:
                user, known = token_user(conn, source["token"])
                assert user is not None and user.name == "ivan" and known
                assert check_password(conn, "ivan", PASSWORD) is not None
        again = run_gis("restore", str(archive), env=env)
        assert again.returncode == 2, again.stderr
        lines = again.stderr.strip().splitlines()
        assert len(lines) == 1 and "is not empty" in lines[0] and "--force" in lines[0]
        forced = run_gis("restore", "--force", str(archive), env=env)
        assert forced.returncode == 0, forced.stderr
        with running_cluster(data, quiet=True) as restored:
            assert fingerprint(restored.ensure_database()) == expected
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_restore_into_a_configured_database(archive: Path, source: dict[str, Any],
                                            cluster: EmbeddedCluster) -> None:
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute("CREATE DATABASE restore_target")
    try:
        env = {"GIS_DATABASE_URL": cluster.url("restore_target")}
        result = run_gis("restore", str(archive), env=env)
        assert result.returncode == 0, result.stderr
        assert fingerprint(cluster.url("restore_target")) == fingerprint(source["url"])
        login_remade(cluster.url("restore_target"), result.stderr)
        refused = run_gis("restore", str(archive), env=env)
        assert refused.returncode == 2 and "not empty" in refused.stderr
        forced = run_gis("restore", "--force", str(archive), env=env)
        assert forced.returncode == 0, forced.stderr
        assert fingerprint(cluster.url("restore_target")) == fingerprint(source["url"])
    finally:
        drop(cluster, "restore_target")
        drop_login(cluster, "restore_target")


def test_bad_archives_are_refused_and_a_broken_one_leaves_nothing(
        archive: Path, cluster: EmbeddedCluster) -> None:
    work = shared_tmp("hromada-badarchive-")
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute("CREATE DATABASE restore_broken")
    try:
        env = {"GIS_DATABASE_URL": cluster.url("restore_broken")}
        text = work / "notes.dump"
        text.write_text("not an archive")
        result = run_gis("restore", str(text), env=env)
        assert result.returncode == 2
        assert result.stderr.strip() == (f"error: {text} is not a pg_dump custom-format "
                                         "archive (made by gis backup or pg_dump "
                                         "--format=custom)")
        missing = run_gis("restore", str(work / "none.dump"), env=env)
        assert missing.returncode == 2 and "cannot read" in missing.stderr
        # an archive of some other database
        other = work / "other.dump"
        subprocess.run(["pg_dump", "--format=custom", f"--file={other}",
                        f"--dbname={cluster.url('postgres')}"], check=True)
        foreign = run_gis("restore", str(other), env=env)
        assert foreign.returncode == 2 and "not a Hromada GIS database" in foreign.stderr
        # cut off: refused before anything is restored
        cut = work / "cut.dump"
        cut.write_bytes(archive.read_bytes()[: archive.stat().st_size * 2 // 3])
        truncated = run_gis("restore", str(cut), env=env)
        assert truncated.returncode == 2 and "cannot be read" in truncated.stderr
        # damaged in a table's rows: the table of contents reads, that table's data does not,
        # after other objects were restored
        damaged = damage_data(archive, work / "damaged.dump")
        broken = run_gis("restore", str(damaged), env=env)
        assert broken.returncode == 4 and "Traceback" not in broken.stderr
        assert broken.stderr.strip().splitlines()[-1].startswith("error: pg_restore failed")
        with psycopg.connect(cluster.url("restore_broken")) as conn:
            left = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN "
                "('pg_catalog', 'information_schema', 'public') OR tablename = "
                "'alembic_version'").fetchone()[0]
        assert left == 0  # one transaction: nothing of the broken restore stayed
    finally:
        drop(cluster, "restore_broken")
        shutil.rmtree(work, ignore_errors=True)


def test_a_forced_restore_of_a_damaged_archive_keeps_the_database_it_would_replace(
        archive: Path, source: dict[str, Any], cluster: EmbeddedCluster) -> None:
    """``--force`` drops the target before restoring: an archive whose rows cannot be read
    (cut short, or damaged past its table of contents) is refused before that, and the
    database it would have replaced is still there, whole (it was dropped and left empty)."""
    work = shared_tmp("hromada-forcebroken-")
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute("CREATE DATABASE restore_kept")
    try:
        env = {"GIS_DATABASE_URL": cluster.url("restore_kept")}
        assert run_gis("restore", str(archive), env=env).returncode == 0
        before = fingerprint(cluster.url("restore_kept"))
        damaged = damage_data(archive, work / "damaged.dump")
        refused = run_gis("restore", "--force", str(damaged), env=env)
        assert refused.returncode == 2, refused.stderr
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and "cannot be read to its end" in lines[0], lines
        assert "nothing was changed" in lines[0]
        assert fingerprint(cluster.url("restore_kept")) == before
        # an archive of another database is refused before the drop too
        other = work / "other.dump"
        subprocess.run(["pg_dump", "--format=custom", f"--file={other}",
                        f"--dbname={cluster.url('postgres')}"], check=True)
        foreign = run_gis("restore", "--force", str(other), env=env)
        assert foreign.returncode == 2 and "not a Hromada GIS database" in foreign.stderr
        assert fingerprint(cluster.url("restore_kept")) == before
    finally:
        drop(cluster, "restore_kept")
        drop_login(cluster, "restore_kept")
        shutil.rmtree(work, ignore_errors=True)


def test_a_restore_says_when_the_archive_was_made(archive: Path) -> None:
    """pg_restore lists «Archive created at 2026-12-07 18:57:24 UTC», with no colon after
    «at»: the restore's last line said «dumped ?»."""
    from gis.backup import inspect
    from gis.cluster import find_pg_bin_dir

    info = inspect(archive, find_pg_bin_dir())
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+", info.dumped_at), info
    assert info.database == "backup_source" and info.server_version.startswith("1")


def test_a_database_of_a_newer_version_is_backed_up_as_it_is_and_named_by_the_rest() -> None:
    """The embedded database is backed up as it is, never migrated first (a backup is what is
    taken before an upgrade, or after going back to an older commit); every other command
    says the database belongs to a newer version (it was Alembic's «Can't locate revision»
    as an unexpected CommandError, and «behind the newest schema» from the read-only ones)."""
    root = shared_tmp("hromada-newer-")
    env = {"GIS_DATA_DIR": str(root / "data")}
    try:
        assert run_gis("db", "upgrade", env=env).returncode == 0
        with running_cluster(root / "data", quiet=True) as embedded, \
                psycopg.connect(embedded.ensure_database()) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
        taken = run_gis("backup", str(root / "newer.dump"), env=env)
        assert taken.returncode == 0 and "Traceback" not in taken.stderr, taken.stderr
        with running_cluster(root / "data", quiet=True) as embedded, \
                psycopg.connect(embedded.ensure_database()) as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
                "9999_future",)
        for args in (["users", "list"], ["db", "upgrade"]):
            refused = run_gis(*args, env=env)
            lines = refused.stderr.strip().splitlines()
            assert refused.returncode == 3 and len(lines) == 1, refused.stderr
            assert "newer version of Hromada GIS" in lines[0] and "9999_future" in lines[0]
            assert "unexpected" not in lines[0]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def damage_data(archive: Path, damaged: Path) -> Path:
    """Write a copy of ``archive`` with a few bytes of one table's compressed rows changed:
    its table of contents still reads (``pg_restore --list``), its rows do not."""
    data = archive.read_bytes()
    for tenth in range(95, 50, -3):
        at = len(data) * tenth // 100
        damaged.write_bytes(data[:at] + b"\xff" * 8 + data[at + 8:])
        listed = subprocess.run(["pg_restore", "--list", str(damaged)], capture_output=True)
        replayed = subprocess.run(["pg_restore", "--file=/dev/null", str(damaged)],
                                  capture_output=True, text=True)
        if listed.returncode == 0 and "uncompress" in replayed.stderr:
            return damaged
    raise AssertionError("no place found where damage hits table data only")


def test_backups_in_a_folder_keep_the_newest(source: dict[str, Any]) -> None:
    work = shared_tmp("hromada-backups-")
    try:
        old = [work / f"hromada-backup_source-2026010{d}T023000Z.dump" for d in (1, 2, 3)]
        for p in old:
            p.write_bytes(b"PGDMP old")
        unrelated = work / "notes.txt"
        unrelated.write_text("kept")
        result = run_gis("backup", "--dir", str(work), "--keep", "2",
                         env={"GIS_DATABASE_URL": source["url"],
                              "GIS_DATA_DIR": str(work / "data")})
        assert result.returncode == 0, result.stderr
        left = sorted(p.name for p in work.glob("hromada-*.dump"))
        assert len(left) == 2 and left[0] == old[2].name  # the new one and the newest old one
        assert unrelated.exists()
        assert prune(work, 1) == [work / old[2].name]
        # refused before a backup is taken: a --keep below 1 (0 kept everything, -1 failed
        # after writing one), and "-" (it wrote a file named "-")
        before = sorted(work.iterdir())
        env = {"GIS_DATABASE_URL": source["url"], "GIS_DATA_DIR": str(work / "data")}
        for args in (["--dir", str(work), "--keep", "0"], ["--dir", str(work), "--keep", "-1"],
                     ["-"]):
            refused = run_gis("backup", *args, env=env)
            assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
        assert "not to standard output" in refused.stderr
        assert sorted(work.iterdir()) == before and not Path("-").exists()
    finally:
        shutil.rmtree(work, ignore_errors=True)
