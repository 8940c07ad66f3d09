"""``gis backup`` and ``gis restore``: the database in one pg_dump archive, and back.

Both work on the configured database (``GIS_DATABASE_URL``) or the embedded one in
``GIS_DATA_DIR``; see gis/backup.py for what an archive holds and docs/operations.md for
schedules, point-in-time recovery and the service's nightly timer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import click
import psycopg
from psycopg import sql

from gis.errors import EnvironmentProblem, InvalidParameter
from gis.settings import Settings


def _bin_dir(settings: Settings) -> Path:
    from gis.cluster import find_pg_bin_dir

    return settings.pg_bin_dir or find_pg_bin_dir()


@contextlib.contextmanager
def _source(settings: Settings) -> Iterator[str]:
    """Yield the URL of the database to back up, as it is (a configured one is not migrated:
    a backup is what you take *before* an upgrade)."""
    from gis.db import check_connection

    if settings.database_url is not None:
        url = settings.database_url.get_secret_value()
        check_connection(url)
        yield url
        return
    from app.runtime import database  # the embedded cluster, or a running server's

    with database(settings, quiet=True, as_is=True) as url:
        yield url


def _target_file(file: str | None, folder: str | None, dbname: str) -> Path:
    if file and folder:
        raise InvalidParameter("give a FILE or --dir, not both")
    name = _backup_name(dbname)
    if folder:
        path = Path(folder)
        if not path.is_dir():
            raise InvalidParameter(f"--dir {folder}: no such folder", file=folder)
        return path / name
    return Path(file) if file else Path(name)


def _backup_name(dbname: str) -> str:
    from gis.backup import backup_name

    return backup_name(dbname, datetime.now(UTC))


@click.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--dir", "folder", type=click.Path(file_okay=False),
              help="Write hromada-<db>-<UTC time>.dump into this folder instead of FILE.")
@click.option("--keep", type=click.IntRange(min=1),
              help="With --dir: then delete all but the newest KEEP backups there.")
def backup(file: str | None, folder: str | None, keep: int | None) -> None:
    """Back up the whole database into FILE (pg_dump custom format).

    Registries with every history row, users, tokens and sessions, the personal-data read
    log: everything but the tile cache's rows. The archive holds personal data and password
    hashes and is written with mode 600; keep copies off this machine. Restore it with
    `gis restore FILE`, or with pg_restore. Default FILE: hromada-<db>-<UTC time>.dump here.
    """
    from app.cli import load_settings
    from app.progress import Progress
    from gis.backup import dump, prune

    settings = load_settings()
    if keep is not None and not folder:
        raise InvalidParameter("--keep works with --dir only")
    if file == "-":  # it made a file named "-": an archive is checked and renamed when complete
        raise InvalidParameter("a backup is written to a file, not to standard output: name "
                               "the FILE (or --dir)")
    with _source(settings) as url:
        dbname = psycopg.conninfo.conninfo_to_dict(url).get("dbname") or "db"
        target = _target_file(file, folder, str(dbname))
        progress = Progress("backup")
        info = dump(url, target, _bin_dir(settings), progress)
        progress.close()
    size = target.stat().st_size
    click.echo(f"backup of {info.database} written to {target} ({size / 1e6:.1f} MB, "
               f"{info.tables_with_data} tables with rows, {info.entries} entries)", err=True)
    if folder and keep:
        for gone in prune(Path(folder), keep):
            click.echo(f"removed old backup {gone}", err=True)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True,
              help="Replace a database that is not empty (its content is lost).")
def restore(file: str, force: bool) -> None:
    """Restore a backup made by `gis backup` into an empty database.

    Without GIS_DATABASE_URL the embedded cluster in GIS_DATA_DIR is used (created if the
    folder is empty; no server may be running on it). The restore is one transaction: all or
    nothing. The schema is then migrated to this version. A database that already holds
    tables is refused unless --force, which drops and recreates it (with GIS_DATABASE_URL:
    the connected role needs the right to drop and create it; connections to it are ended).
    """
    from app.cli import load_settings
    from app.progress import Progress
    from gis.backup import check_archive
    from gis.backup import restore as restore_archive
    from gis.db_logins import restore_logins
    from registries.migrate import upgrade

    settings = load_settings()
    source = Path(file)
    bin_dir = _bin_dir(settings)
    # a bad file is refused before anything is touched; one that replaces a database (--force
    # drops it first) is read to its end
    info = check_archive(source, bin_dir, whole=force)
    with _target(settings, force) as url:
        progress = Progress("restore")
        restore_archive(url, source, bin_dir, progress)
        progress.close()
        upgrade(url, settings.city.storage_srid)
        with psycopg.connect(url) as conn:
            waiting = restore_logins(conn)
            conn.commit()
    click.echo(f"restored {source} (database {info.database}, dumped {info.dumped_at}) "
               "and migrated it to this version", err=True)
    if waiting:
        click.echo(f"database logins made again for {', '.join(waiting)}: each needs a new "
                   "password before QGIS can connect (gis users password NAME)", err=True)


@contextlib.contextmanager
def _target(settings: Settings, force: bool) -> Iterator[str]:
    """Yield the URL of the empty database to restore into (emptied first with ``force``)."""
    from gis.backup import user_relations
    from gis.cluster import DATABASE, running_cluster
    from gis.db import check_connection

    if settings.database_url is not None:
        url = settings.database_url.get_secret_value()
        check_connection(url)
        if force:
            with psycopg.connect(url) as conn:
                nonempty = bool(user_relations(conn, 1))
            if nonempty:
                _replace_database(url)
        yield url
        return
    with running_cluster(settings.data_dir, bin_dir=settings.pg_bin_dir,
                         quiet=True) as cluster:
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  (DATABASE,)).fetchone()
        if exists and force:
            with psycopg.connect(cluster.url(DATABASE)) as conn:
                nonempty = bool(user_relations(conn, 1))
            if nonempty:
                _replace_database(cluster.url(DATABASE))
        yield cluster.ensure_database()


def _replace_database(url: str) -> None:
    """Drop and recreate the database of ``url`` (ending its connections)."""
    from gis.db import describe_url

    params = psycopg.conninfo.conninfo_to_dict(url)
    dbname = str(params.get("dbname"))
    maintenance = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    try:
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(dbname)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EnvironmentProblem(
            f"cannot replace the database at {describe_url(url)}: {reason}; restore into an "
            "empty database instead") from None
