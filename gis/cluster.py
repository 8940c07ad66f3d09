"""Embedded PostgreSQL + PostGIS: a private cluster in a data folder this process owns.

The cluster lives in ``<data_dir>/pg`` and listens on 127.0.0.1, on a free port chosen at
its first start and kept (``<data_dir>/pg.port``, so staff's QGIS connections stay valid),
with a random password kept in ``<data_dir>/pg.password`` (mode 600). Every login
authenticates with SCRAM-SHA-256. Told to listen beyond the loopback (staff editing from QGIS
on their own machines), it also listens there, with TLS only (a self-signed certificate it
makes, ``gis.tls``) and never for the superuser, which stays on the loopback.

When the process runs as root, PostgreSQL refuses to run as root, so the server binaries run
as the ``postgres`` system user. A lock file (``<data_dir>/server.lock``) keeps two servers
from sharing one cluster. A server killed outright has its cluster stopped by its guard
process (``gis.watchdog``) within seconds; a cluster left running anyway (the guard was
killed too) is adopted, and a stale
``postmaster.pid`` is left to PostgreSQL, which checks it itself.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

from gis.errors import EnvironmentProblem
from gis.watchdog import start_watchdog

SUPERUSER = "gis"
DATABASE = "hromada"


def find_pg_bin_dir(root: Path = Path("/usr/lib/postgresql")) -> Path:
    """Return the newest ``<root>/<major>/bin`` that holds ``initdb``."""
    found = sorted(
        (p for p in root.glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not found:
        raise EnvironmentProblem(
            "PostgreSQL server binaries not found under /usr/lib/postgresql; "
            "install them with: apt-get install -y postgresql postgresql-15-postgis-3"
        )
    return found[-1]


def check_postgis_installed(bin_dir: Path) -> None:
    """Raise EnvironmentProblem unless PostGIS is installed for the PostgreSQL in ``bin_dir``."""
    major = bin_dir.parent.name
    share = run_capture([str(bin_dir / "pg_config"), "--sharedir"]).strip() if (
        bin_dir / "pg_config"
    ).exists() else f"/usr/share/postgresql/{major}"
    if not (Path(share) / "extension" / "postgis.control").exists():
        raise EnvironmentProblem(
            f"PostGIS is not installed for PostgreSQL {major}; "
            f"install it with: apt-get install -y postgresql-{major}-postgis-3"
        )


def run_capture(cmd: list[str]) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def process_alive(pid: int) -> bool:
    """Return True when ``pid`` is a running process (not gone, not a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def port_is_free(host: str, port: int) -> bool:
    """Return True when a server could bind ``host:port`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def _owner_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


@dataclass
class EmbeddedCluster:
    """A private PostgreSQL cluster in ``data_dir``; see the module docstring for the layout."""

    data_dir: Path
    bin_dir: Path = field(default_factory=find_pg_bin_dir)
    port: int = 0
    quiet: bool = False
    listen: str = "127.0.0.1"  # beyond the loopback: TLS for staff logins (see module doc)
    tls_names: tuple[str, ...] = ()  # host names the certificate names besides the address
    started_here: bool = False
    _lock: int | None = None

    # -- paths and identity -------------------------------------------------------------
    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pg"

    @property
    def socket_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "pg.log"

    @property
    def password_file(self) -> Path:
        return self.data_dir / "pg.password"

    @property
    def run_as(self) -> str | None:
        """Return the system user that runs PostgreSQL: ``postgres`` when we are root."""
        return "postgres" if os.geteuid() == 0 else None

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        return ["runuser", "-u", self.run_as, "--", *cmd] if self.run_as else cmd

    @property
    def port_file(self) -> Path:
        return self.data_dir / "pg.port"

    @property
    def cert_file(self) -> Path:
        return self.pgdata / "server.crt"

    @property
    def key_file(self) -> Path:
        return self.pgdata / "server.key"

    @property
    def beyond_loopback(self) -> bool:
        return not (self.listen in ("localhost", "::1") or self.listen.startswith("127."))

    @property
    def password(self) -> str:
        return self.password_file.read_text().strip()

    def url(self, dbname: str = DATABASE) -> str:
        """Return the libpq URL of ``dbname`` in this cluster (TCP on 127.0.0.1)."""
        return (
            f"postgresql://{SUPERUSER}:{quote(self.password, safe='')}"
            f"@127.0.0.1:{self.port}/{dbname}"
        )

    # -- checks -------------------------------------------------------------------------
    def check_folder(self) -> None:
        """Raise EnvironmentProblem if the data folder is someone else's or unreachable."""
        me = os.geteuid()
        for path, want in ((self.data_dir, me), (self.pgdata, None)):
            if not path.exists():
                continue
            st = path.stat()
            expected = want if want is not None else self._run_as_uid()
            if st.st_uid != expected:
                raise EnvironmentProblem(
                    f"data folder {path} is owned by {_owner_name(st.st_uid)}, not by "
                    f"{_owner_name(expected)}; choose another GIS_DATA_DIR or change its owner",
                    path=str(path),
                )
        if self.run_as:
            probe = self.data_dir if self.data_dir.exists() else self.data_dir.parent
            while not probe.exists():
                probe = probe.parent
            ok = subprocess.run(
                ["runuser", "-u", self.run_as, "--", "test", "-x", str(probe)], capture_output=True
            ).returncode == 0
            if not ok:
                raise EnvironmentProblem(
                    f"data folder {self.data_dir} is not reachable by the '{self.run_as}' user "
                    "that runs PostgreSQL (a parent folder is private); set GIS_DATA_DIR to a "
                    "folder it can enter, e.g. /var/lib/hromada-gis",
                    path=str(self.data_dir),
                )

    def _run_as_uid(self) -> int:
        return pwd.getpwnam(self.run_as).pw_uid if self.run_as else os.geteuid()

    # -- lifecycle ------------------------------------------------------------------------
    def lock(self) -> None:
        """Take the data folder's server lock, or raise when another server holds it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.data_dir / "server.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.read(fd, 32).decode().strip() or "?"
            os.close(fd)
            raise EnvironmentProblem(
                f"another Hromada GIS process (pid {other}) is using data folder {self.data_dir}; "
                "stop it or set GIS_DATA_DIR to another folder",
                path=str(self.data_dir),
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock = fd

    def unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def init(self) -> None:
        """Create the cluster with ``initdb`` unless it exists; scram auth, loopback only."""
        self.check_folder()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if (self.pgdata / "PG_VERSION").exists():
            return
        if self.pgdata.exists():
            shutil.rmtree(self.pgdata)  # a half-made cluster from an interrupted initdb
        if not self.password_file.exists():
            self.password_file.write_text(secrets.token_urlsafe(24))
            self.password_file.chmod(stat.S_IRUSR | stat.S_IWUSR)
        self.pgdata.mkdir(mode=0o700)
        self.socket_dir.mkdir(exist_ok=True)
        pwfile = self.data_dir / ".initdb-pw"
        pwfile.write_text(self.password)
        if self.run_as:
            uid = self._run_as_uid()
            for p in (self.pgdata, self.socket_dir, pwfile):
                os.chown(p, uid, -1)
            self.data_dir.chmod(0o755)  # traversable; pg.password stays 600 and root-owned
        try:
            result = subprocess.run(
                self._cmd("initdb", "-D", str(self.pgdata), "-U", SUPERUSER, "-E", "UTF8",
                          "--locale=C.UTF-8", "--auth=scram-sha-256", f"--pwfile={pwfile}"),
                capture_output=True, text=True,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            shutil.rmtree(self.pgdata, ignore_errors=True)
            raise EnvironmentProblem(
                f"initdb failed in {self.pgdata}: {result.stderr.strip().splitlines()[-1:]}"
            )
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# Hromada GIS embedded cluster\nlisten_addresses = '127.0.0.1'\n"
                "unix_socket_permissions = 0700\nshared_buffers = 256MB\n"
                "max_connections = 100\nfsync = on\n"
            )

    def running_pid(self) -> int | None:
        """Return the postmaster's pid when this cluster is running, else None."""
        pidfile = self.pgdata / "postmaster.pid"
        try:
            lines = pidfile.read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return None
        status = subprocess.run(self._cmd("pg_ctl", "status", "-D", str(self.pgdata)),
                                capture_output=True, text=True)
        if status.returncode != 0 or not process_alive(int(lines[0])):
            return None
        self.port = int(lines[3])
        return int(lines[0])

    def remove_stale_pidfile(self) -> None:
        """Delete ``postmaster.pid`` of a postmaster that was killed and is not yet reaped.

        PostgreSQL removes a lock file whose process is gone, but a killed postmaster can linger
        as a zombie (in containers nobody may reap it) and then still counts as running.
        """
        pidfile = self.pgdata / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return
        if not process_alive(pid):
            pidfile.unlink(missing_ok=True)
            self._say(f"removed the stale postmaster.pid of a PostgreSQL that died (pid {pid})")

    def start(self) -> None:
        """Start the cluster on a free loopback port (or adopt one left running), then wait."""
        self.init()
        pid = self.running_pid()
        if pid is not None:
            self._say(f"embedded PostgreSQL left running by an earlier server (pid {pid}, "
                      f"port {self.port}); using it")
            self.started_here = True
            return
        self.remove_stale_pidfile()
        self.port = self.port or self._remembered_port() or free_port()
        self.port_file.write_text(str(self.port))
        opts = f"-p {self.port} -k {self.socket_dir} -c listen_addresses={self._addresses()}"
        self._write_hba()
        if self.beyond_loopback:
            self._ensure_certificate()
            opts += " -c ssl=on"
        self.socket_dir.mkdir(exist_ok=True)
        if self.run_as:
            os.chown(self.socket_dir, self._run_as_uid(), -1)
            self._ensure_log_writable()
        for attempt in range(5):  # backends of a killed postmaster may take a moment to exit
            result = subprocess.run(
                self._cmd("pg_ctl", "start", "-D", str(self.pgdata), "-l", str(self.log_file),
                          "-w", "-t", "60", "-o", opts),
                capture_output=True, text=True,
            )
            if result.returncode == 0 or attempt == 4:
                break
            time.sleep(1.0)
            self.remove_stale_pidfile()
        if result.returncode != 0:
            tail = self._log_tail()
            raise EnvironmentProblem(
                f"embedded PostgreSQL did not start (see {self.log_file}): {tail}"
            )
        self.started_here = True
        self._wait_ready()

    def _remembered_port(self) -> int | None:
        """Return the port of the last start when it is still free (else None: pick anew)."""
        try:
            port = int(self.port_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return port if port_is_free("127.0.0.1", port) else None

    def _addresses(self) -> str:
        """Return ``listen_addresses``: the loopback, and ``listen`` when it is beyond it."""
        if not self.beyond_loopback:
            return "127.0.0.1"
        if self.listen in ("0.0.0.0", "::", "*"):
            return "'*'"
        return f"'127.0.0.1,{self.listen}'"

    HBA_MARK = "# Hromada GIS: beyond the loopback"

    def _write_hba(self) -> None:
        """Add the lines that let staff logins in from other machines over TLS only (the
        superuser never); the loopback lines initdb wrote stay first."""
        hba = self.pgdata / "pg_hba.conf"
        text = hba.read_text()
        if self.HBA_MARK in text:
            return
        block = [self.HBA_MARK + ": staff logins with TLS only, never the superuser"]
        for net in ("0.0.0.0/0", "::/0"):
            block.append(f"hostssl all {SUPERUSER} {net} reject")
        for net in ("0.0.0.0/0", "::/0"):
            block.append(f"hostssl all all {net} scram-sha-256")
        hba.write_text(text.rstrip("\n") + "\n\n" + "\n".join(block) + "\n")

    def _ensure_certificate(self) -> None:
        """Make the server's self-signed certificate unless one names every host wanted."""
        from gis.tls import certificate_names, write_self_signed

        names = [n for n in (*self.tls_names, self.listen, "localhost", "127.0.0.1")
                 if n and n not in ("0.0.0.0", "::", "*")]
        names = list(dict.fromkeys(names))
        if self.key_file.exists() and set(names) <= certificate_names(self.cert_file):
            return
        write_self_signed(self.cert_file, self.key_file, names)
        if self.run_as:
            uid = self._run_as_uid()
            for path in (self.cert_file, self.key_file):
                os.chown(path, uid, -1)

    def _ensure_log_writable(self) -> None:
        if not self.log_file.exists():
            self.log_file.touch()
        os.chown(self.log_file, self._run_as_uid(), -1)

    def _log_tail(self) -> str:
        try:
            lines = [ln for ln in self.log_file.read_text().splitlines() if ln.strip()]
        except OSError:
            return "no log"
        return lines[-1] if lines else "no log"

    def _wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise EnvironmentProblem(
                        f"embedded PostgreSQL is not accepting connections: {exc}") from exc
                time.sleep(0.1)

    def ensure_database(self, dbname: str = DATABASE) -> str:
        """Create ``dbname`` with PostGIS unless it exists; return its URL."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  (dbname,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        return self.url(dbname)

    def stop(self) -> None:
        """Stop the cluster if this process started or adopted it (fast shutdown, waits)."""
        if not self.started_here:
            return
        subprocess.run(
            self._cmd("pg_ctl", "stop", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "60"),
            capture_output=True, text=True,
        )
        self.started_here = False

    def remove(self) -> None:
        """Stop the cluster and delete the whole data folder (tests' throw-away clusters)."""
        self.stop()
        self.unlock()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def _say(self, line: str) -> None:
        if not self.quiet:
            print(line, flush=True)


@contextlib.contextmanager
def running_cluster(data_dir: Path, *, bin_dir: Path | None = None, quiet: bool = False,
                    listen: str = "127.0.0.1", port: int | None = None,
                    tls_names: tuple[str, ...] = ()) -> Iterator[EmbeddedCluster]:
    """Start the embedded cluster in ``data_dir`` (locked for this process) and stop it after.

    ``listen`` beyond the loopback also serves staff logins from other machines over TLS;
    ``port`` fixes the port (default: the last start's, else a free one).
    """
    bin_dir = bin_dir or find_pg_bin_dir()
    if not (bin_dir / "initdb").exists():
        raise EnvironmentProblem(f"no PostgreSQL server binaries (initdb) in {bin_dir}")
    check_postgis_installed(bin_dir)
    cluster = EmbeddedCluster(data_dir=data_dir, bin_dir=bin_dir, quiet=quiet, port=port or 0,
                              listen=listen, tls_names=tls_names)
    cluster.check_folder()
    cluster.lock()
    try:
        # a guard stops the cluster if this process is killed before it can (gis.watchdog)
        guard = start_watchdog(data_dir, bin_dir)
    except BaseException:
        cluster.unlock()
        raise
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        guard.release()
        cluster.unlock()
