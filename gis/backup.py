"""Backups with PostgreSQL's own tools: ``pg_dump`` custom format out, ``pg_restore`` back in.

A backup is one ``pg_dump --format=custom`` archive of the whole database: the registries and
their history, users, tokens, sessions and the personal-data read log, the change feed; only
the tile cache's rows are left out (they are rebuilt on demand). It is written to
``<file>.partial`` (mode 600: it holds personal data and password hashes), read back with
``pg_restore --list`` and only then renamed to its name, so a file with the final name is
always a complete, readable archive. The archive restores with plain ``pg_restore`` too.

A restore goes into a database without tables (``--force`` replaces a non-empty one), in one
transaction that stops at the first error: it is all there or nothing is. The target already
has PostGIS (its extension entries in the archive are skipped, so a restoring user that does
not own the extension can restore). The password travels in ``PGPASSWORD``, never on the
command line (``ps`` shows command lines).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from gis.db import describe_url
from gis.errors import EnvironmentProblem, GisError, InvalidParameter

Progress = Callable[[str, int, int], None]
EXCLUDED_DATA = ("tiles.cache",)  # rebuilt on demand; can be gigabytes
SKIPPED_ENTRIES = re.compile(r"^\d+; \d+ \d+ (EXTENSION|COMMENT) - (EXTENSION )?postgis\b")
NAME = re.compile(r"^hromada-(?P<db>[\w-]+)-(?P<at>\d{8}T\d{6}Z)\.dump$")
MAGIC = b"PGDMP"


class BackupError(GisError, status=500, code="BackupFailed", exit_code=4):
    """pg_dump or pg_restore failed; ``detail`` carries their own last line."""


@dataclass(frozen=True)
class ArchiveInfo:
    """What ``pg_restore --list`` tells about an archive."""

    database: str
    dumped_at: str
    server_version: str
    entries: int
    tables_with_data: int
    is_hromada: bool


def backup_name(dbname: str, when: datetime) -> str:
    """Return the file name of a backup of ``dbname`` taken at ``when`` (UTC).

    >>> backup_name("hromada", datetime(2026, 11, 1, 2, 30, tzinfo=UTC))
    'hromada-hromada-20261101T023000Z.dump'
    """
    return f"hromada-{dbname}-{when.astimezone(UTC):%Y%m%dT%H%M%SZ}.dump"


def client_env(url: str) -> tuple[str, dict[str, str]]:
    """Return a conninfo without the password and the environment that carries it.

    >>> client_env("postgresql://gis:s3cret@127.0.0.1:5433/hromada")[0]
    'user=gis dbname=hromada host=127.0.0.1 port=5433'
    """
    params = conninfo_to_dict(url)
    password = params.pop("password", None)
    env = {**os.environ}
    if password:
        env["PGPASSWORD"] = str(password)
    return make_conninfo(**{k: str(v) for k, v in params.items()}), env


def _major(text: str) -> int:
    """Return the major version in a ``--version`` line or a ``server_version``.

    >>> _major("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"), _major("16.4")
    (15, 16)
    """
    found = re.search(r"\(PostgreSQL\)\s+(\d+)", text) or re.match(r"\s*(\d+)", text)
    return int(found.group(1)) if found else 0


def check_client(bin_dir: Path, tool: str, url: str) -> Path:
    """Return ``bin_dir/tool`` after checking it can talk to the server at ``url``."""
    exe = bin_dir / tool
    if not exe.exists():
        raise EnvironmentProblem(f"{tool} not found in {bin_dir}; install postgresql-client "
                                 "or set GIS_PG_BIN_DIR")
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout
    with psycopg.connect(url, connect_timeout=10) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    server = str(row[0]) if row else "?"
    if _major(version) < _major(server):
        raise EnvironmentProblem(
            f"{exe} is PostgreSQL {_major(version)}'s but the database at "
            f"{describe_url(url)} runs PostgreSQL {server}; install "
            f"postgresql-client-{_major(server)} and set GIS_PG_BIN_DIR to its bin folder")
    return exe


def _last_error(lines: list[str], tool: str) -> str:
    errors = [ln for ln in lines if "error:" in ln or "FATAL" in ln or "ERROR" in ln]
    text = (errors or lines or [f"{tool} failed"])[-1].strip()
    return text.removeprefix(f"{tool}: ").removeprefix("error: ")


def _follow(cmd: list[str], env: dict[str, str], tool: str, step: re.Pattern[str],
            total: int, stage: str, progress: Progress | None,
            stdin: str | None = None) -> list[str]:
    """Run ``cmd``, advancing ``progress`` on stderr lines matching ``step``; return them."""
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE if stdin is not None else None,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if stdin is not None:
        assert proc.stdin is not None
        proc.stdin.write(stdin)
        proc.stdin.close()
    assert proc.stderr is not None
    lines, done = [], 0
    for line in proc.stderr:
        lines.append(line.rstrip("\n"))
        if step.search(line):
            done += 1
            if progress is not None:
                progress(stage, min(done, total), total)
    if proc.wait() != 0:
        raise BackupError(f"{tool} failed: {_last_error(lines, tool)}")
    if progress is not None:
        progress(stage, total, total)
    return lines


def table_count(url: str) -> int:
    """Return the number of tables a dump of ``url`` writes rows for (progress total)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', "
            "'information_schema') AND n.nspname NOT LIKE 'pg_toast%'").fetchone()
    return int(row[0]) if row else 0


def dump(url: str, target: Path, bin_dir: Path, progress: Progress | None = None,
         ) -> ArchiveInfo:
    """Write a custom-format archive of the database at ``url`` to ``target`` (atomically)."""
    pg_dump = check_client(bin_dir, "pg_dump", url)
    conninfo, env = client_env(url)
    target = target.absolute()
    if target.exists():
        raise InvalidParameter(f"{target} exists; name a new file or remove it first",
                               file=str(target))
    if not target.parent.is_dir():
        raise InvalidParameter(f"folder {target.parent} does not exist", file=str(target))
    partial = target.with_name(target.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    try:
        cmd = [str(pg_dump), "--format=custom", "--verbose", "--lock-wait-timeout=60s",
               *(f"--exclude-table-data={t}" for t in EXCLUDED_DATA),
               f"--file={partial}", f"--dbname={conninfo}"]
        _follow(cmd, env, "pg_dump", re.compile(r"dumping contents of table"),
                max(1, table_count(url) - len(EXCLUDED_DATA)), "tables", progress)
        with partial.open("rb") as f:
            os.fsync(f.fileno())
        info = inspect(partial, bin_dir)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return info


def inspect(path: Path, bin_dir: Path) -> ArchiveInfo:
    """Return what an archive holds, or raise InvalidParameter if it is not one we can read."""
    try:
        with path.open("rb") as f:
            head = f.read(5)
    except OSError as exc:
        raise InvalidParameter(f"cannot read {path}: {exc.strerror}", file=str(path)) from None
    if head != MAGIC:
        raise InvalidParameter(f"{path} is not a pg_dump custom-format archive "
                               "(made by gis backup or pg_dump --format=custom)",
                               file=str(path))
    listed = subprocess.run([str(bin_dir / "pg_restore"), "--list", str(path)],
                            capture_output=True, text=True)
    if listed.returncode != 0:
        reason = _last_error(listed.stderr.splitlines(), "pg_restore")
        raise InvalidParameter(f"{path} cannot be read: {reason}", file=str(path))
    return _archive_info(listed.stdout)


def _archive_info(listing: str) -> ArchiveInfo:
    def header(name: str) -> str:
        # «;     dbname: hromada», but «; Archive created at 2026-12-07 18:57:24 UTC»
        found = re.search(rf"^;\s+{name}:?\s+(.*)$", listing, re.MULTILINE)
        return found.group(1).strip() if found else "?"

    entries = [ln for ln in listing.splitlines() if ln and not ln.startswith(";")]
    return ArchiveInfo(
        database=header("dbname"), dumped_at=header("Archive created at"),
        server_version=header("Dumped from database version"), entries=len(entries),
        tables_with_data=sum(" TABLE DATA " in ln for ln in entries),
        is_hromada=any(" TABLE public alembic_version " in ln for ln in entries)
        and any(" SCHEMA - registry " in ln for ln in entries))


def user_relations(conn: psycopg.Connection, limit: int = 5) -> list[str]:
    """Return up to ``limit`` tables, views or sequences not owned by an extension."""
    rows = conn.execute(
        "SELECT n.nspname || '.' || c.relname FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname !~ '^pg_(toast|temp)' AND NOT EXISTS (SELECT 1 FROM pg_depend d "
        "WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e') "
        "ORDER BY 1 LIMIT %s", (limit,)).fetchall()
    return [str(r[0]) for r in rows]


def check_archive(source: Path, bin_dir: Path, *, whole: bool = False) -> ArchiveInfo:
    """Return what the archive ``source`` holds; refuse a file that is no archive, an archive
    of another database, and with ``whole`` one whose rows cannot be read to the end (cut
    short, damaged): ``pg_restore --list`` reads only the table of contents, so a restore
    that replaces a database (``--force``) reads the whole archive first, writing nothing."""
    info = inspect(source, bin_dir)
    if not info.is_hromada:
        raise InvalidParameter(f"{source} is an archive of database '{info.database}', which "
                               "is not a Hromada GIS database (no registry schema)",
                               file=str(source))
    if whole:
        read = subprocess.run([str(bin_dir / "pg_restore"), "--file=/dev/null", str(source)],
                              capture_output=True, text=True)
        if read.returncode != 0:
            reason = _last_error(read.stderr.splitlines(), "pg_restore")
            raise InvalidParameter(f"{source} cannot be read to its end ({reason}): it is "
                                   "damaged or cut short; nothing was changed",
                                   file=str(source))
    return info


def restore(url: str, source: Path, bin_dir: Path, progress: Progress | None = None,
            ) -> ArchiveInfo:
    """Restore the archive ``source`` into the empty database at ``url`` (one transaction)."""
    info = check_archive(source, bin_dir)
    pg_restore = check_client(bin_dir, "pg_restore", url)
    with psycopg.connect(url) as conn:
        found = user_relations(conn)
        if found:
            raise InvalidParameter(
                f"the database at {describe_url(url)} is not empty (it holds "
                f"{', '.join(found)} …); restore into an empty one, or use --force to "
                "replace it", database=describe_url(url))
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        conn.commit()
    listed = subprocess.run([str(pg_restore), "--list", str(source)], capture_output=True,
                            text=True, check=True).stdout
    keep = "\n".join(ln for ln in listed.splitlines() if not SKIPPED_ENTRIES.match(ln))
    conninfo, env = client_env(url)
    # --no-acl: the archive's GRANTs name the group roles of the database it came from
    # (``<database>_planner`` …), which need not exist here; the upgrade after a restore
    # derives the rights again for this database (registries.grants)
    cmd = [str(pg_restore), "--verbose", "--single-transaction", "--exit-on-error",
           "--no-owner", "--no-acl", "--use-list=/dev/stdin", f"--dbname={conninfo}",
           str(source)]
    _follow(cmd, env, "pg_restore", re.compile(r": (creating|processing data for) "),
            info.entries, "objects", progress, stdin=keep + "\n")
    return info


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups in ``folder`` (only files named as
    ``backup_name`` names them); return the deleted ones."""
    if keep < 1:
        raise InvalidParameter("--keep must be at least 1")
    ours = sorted((p for p in folder.iterdir() if NAME.match(p.name) and p.is_file()),
                  key=lambda p: NAME.match(p.name).group("at"),  # type: ignore[union-attr]
                  reverse=True)
    gone = ours[keep:]
    for p in gone:
        p.unlink()
    return gone
