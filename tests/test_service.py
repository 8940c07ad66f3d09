"""``gis service install | uninstall`` into a test root: the system user, the data folder handed
over, units that systemd itself accepts (``systemd-analyze verify``) with their hardening, the
nightly backup timer, settings kept on reinstall; and, with a real system user that is removed
after, PostgreSQL running as that user on the handed-over cluster, and back as root."""

from __future__ import annotations

import configparser
import fcntl
import os
import pwd
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from dotenv import dotenv_values

from app.service import STOP_TIMEOUT_S, give_back, hand_over, require_root, unreachable_part
from gis.cluster import SUPERUSER, running_cluster
from gis.errors import EnvironmentProblem
from tests.conftest import GIS, shared_tmp

DATA = Path("/var/lib/hromada-gis")
BACKUPS = Path("/var/backups/hromada-gis")
UNITS = Path("etc/systemd/system")
SERVER_DRAIN_S = 10  # uvicorn's timeout_graceful_shutdown in `gis serve`
PG_STOP_S = 60  # pg_ctl stop -t in gis.cluster


def run_gis(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GIS_")}
    return subprocess.run([GIS, *args], env={**clean, **(env or {})}, capture_output=True,
                          text=True, timeout=120)


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(path.read_text())
    return parser


@pytest.fixture
def root() -> Iterator[Path]:
    """Return an empty target root with this machine's user database, and a data folder
    laid out as `gis serve` as root leaves it (cluster owned by postgres)."""
    base = shared_tmp("hromada-root-")
    target = base / "root"
    (target / "etc").mkdir(parents=True)
    for name in ("passwd", "group", "shadow", "gshadow"):
        shutil.copy2(f"/etc/{name}", target / "etc" / name)
    data = target / DATA.relative_to("/")
    (data / "pg").mkdir(parents=True)
    (data / "pg" / "PG_VERSION").write_text("15\n")
    (data / "pg.password").write_text("secret")
    (data / "tile-cache" / "abc").mkdir(parents=True)
    postgres = pwd.getpwnam("postgres")
    os.chown(data / "pg", postgres.pw_uid, postgres.pw_gid)
    yield target
    shutil.rmtree(base, ignore_errors=True)


def test_install_writes_hardened_units_that_systemd_accepts(root: Path) -> None:
    result = run_gis("service", "install", "--root", str(root), "--data-dir", str(DATA),
                     "--public-url", "https://gis.example.gov.ua")
    assert result.returncode == 0, result.stderr
    assert "created system user hromada" in result.stderr
    entry = next(ln.split(":") for ln in (root / "etc/passwd").read_text().splitlines()
                 if ln.startswith("hromada:"))
    uid, gid = int(entry[2]), int(entry[3])
    assert uid < 1000 and entry[5] == str(DATA) and entry[6] == "/usr/sbin/nologin"
    assert not any(ln.startswith("hromada:") for ln in Path("/etc/passwd").read_text().splitlines())

    server = unit(root / UNITS / "hromada-gis.service")["Service"]
    assert server["ExecStart"] == f"{GIS} serve"  # the installed gis, as the service user
    assert server["User"] == server["Group"] == "hromada"
    assert server["Restart"] == "on-failure" and server["KillMode"] == "mixed"
    assert int(server["TimeoutStopSec"]) > SERVER_DRAIN_S + PG_STOP_S
    assert int(server["TimeoutStopSec"]) == STOP_TIMEOUT_S
    assert server["StandardOutput"] == server["StandardError"] == "journal"
    assert server["EnvironmentFile"] == "/etc/hromada-gis/hromada-gis.env"
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict",
                       "PrivateTmp": "yes", "PrivateDevices": "yes", "ProtectHome": "yes",
                       "CapabilityBoundingSet": "", "RestrictSUIDSGID": "yes"}.items():
        assert server[key] == value, key
    assert server["ReadWritePaths"].split() == [str(DATA), str(BACKUPS)]
    backup = unit(root / UNITS / "hromada-gis-backup.service")["Service"]
    assert backup["ExecStart"] == f"{GIS} backup --dir {BACKUPS} --keep 14"
    assert backup["Type"] == "oneshot" and backup["User"] == "hromada"
    timer = unit(root / UNITS / "hromada-gis-backup.timer")
    assert timer["Timer"]["OnCalendar"] == "*-*-* 02:30:00"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["Unit"] == "hromada-gis-backup.service"
    assert timer["Install"]["WantedBy"] == "timers.target"

    # systemd's own reading of the three files: no unknown keys, executables present
    files = [str(root / UNITS / n) for n in ("hromada-gis.service", "hromada-gis-backup.service",
                                             "hromada-gis-backup.timer")]
    verify = subprocess.run(["systemd-analyze", "verify", *files], capture_output=True,
                            text=True)
    assert verify.returncode == 0, verify.stderr
    assert not re.search(r"Unknown|ignoring|not executable", verify.stdout + verify.stderr), \
        verify.stderr
    security = subprocess.run(["systemd-analyze", "security", "--offline=true", files[0]],
                              capture_output=True, text=True)
    exposure = float(re.search(r"Overall exposure level for \S+: ([\d.]+)",
                               security.stdout).group(1))  # type: ignore[union-attr]
    assert exposure <= 4.0, security.stdout  # systemd's scale: < 4 is "OK", 10 "UNSAFE"

    env = root / "etc/hromada-gis/hromada-gis.env"
    assert env.stat().st_mode & 0o777 == 0o640 and (env.stat().st_uid, env.stat().st_gid) == (
        0, gid)
    values = dotenv_values(env)
    assert values["GIS_DATA_DIR"] == str(DATA) and values["GIS_PORT"] == "8000"
    assert values["GIS_PUBLIC_URL"] == "https://gis.example.gov.ua"
    command = root / "usr/local/bin/hromada-gis"
    assert command.stat().st_mode & 0o777 == 0o755
    subprocess.run(["python3", "-m", "py_compile", str(command)], check=True,
                   env={**os.environ, "PYTHONPYCACHEPREFIX": str(root / "pycache")})
    assert f"GIS, ENV_FILE = 'hromada', '{GIS}', '/etc/hromada-gis/hromada-gis.env'" in \
        command.read_text()

    data = root / DATA.relative_to("/")
    for path in (data, data / "pg", data / "pg" / "PG_VERSION", data / "pg.password",
                 data / "tile-cache" / "abc", root / BACKUPS.relative_to("/")):
        assert (path.stat().st_uid, path.stat().st_gid) == (uid, gid), path
    assert data.stat().st_mode & 0o777 == 0o750
    assert (data / "pg").stat().st_mode & 0o777 == 0o700
    assert (data / "pg.password").stat().st_mode & 0o777 == 0o600

    # a reinstall (an upgrade) keeps the settings an operator edited, reuses the user, and
    # leaves the folder alone while the service runs on it
    with env.open("a") as f:
        f.write("GIS_LOG__FORMAT=logfmt\n")
    fd = os.open(data / "server.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        again = run_gis("service", "install", "--root", str(root), "--data-dir", str(DATA))
    finally:
        os.close(fd)
    assert again.returncode == 0, again.stderr
    assert "using system user hromada" in again.stderr and "kept the settings" in again.stderr
    assert dotenv_values(env)["GIS_LOG__FORMAT"] == "logfmt"

    # uninstall: units and command gone; data, backups, settings and user kept; the folder
    # laid out for `gis serve` as root again
    gone = run_gis("service", "uninstall", "--root", str(root), "--data-dir", str(DATA))
    assert gone.returncode == 0, gone.stderr
    assert not (root / UNITS / "hromada-gis.service").exists() and not command.exists()
    assert not (root / UNITS / "hromada-gis-backup.timer").exists()
    assert env.exists() and (data / "pg" / "PG_VERSION").exists()
    assert any(ln.startswith("hromada:") for ln in (root / "etc/passwd").read_text().split())
    assert data.stat().st_uid == 0 and (data / "pg").stat().st_uid == pwd.getpwnam(
        "postgres").pw_uid


def test_install_refuses_a_user_that_is_not_root() -> None:
    with pytest.raises(EnvironmentProblem, match="must run as root.*sudo"):
        require_root(euid=1000)
    require_root(euid=0)


def test_install_refuses_while_a_server_uses_the_data_folder(root: Path) -> None:
    data = root / DATA.relative_to("/")
    fd = os.open(data / "server.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, str(os.getpid()).encode())
        result = run_gis("service", "install", "--root", str(root), "--data-dir", str(DATA))
    finally:
        os.close(fd)
    assert result.returncode == 3
    assert result.stderr.strip() == (f"error: a Hromada GIS server (pid {os.getpid()}) is "
                                     f"running on {data}; stop it first (Ctrl-C, or "
                                     "systemctl stop)")
    assert not (root / UNITS).exists()  # nothing written
    assert data.stat().st_uid == 0


@pytest.mark.parametrize(("args", "needle"), [
    (["--name", "../../etc/evil"], "--name"),  # wrote /etc/evil.service and /usr/etc/evil
    (["--user", "bad name"], "--user"),  # useradd's own text, after the checks
    (["--port", "99999"], "--port"),
    (["--public-url", "not a url"], "--public-url"),
    (["--backup-at", "garbage"], "--backup-at"),  # a timer that never fires
    (["--backup-at", "daily\nExecStartPre=/bin/sh -c id"], "--backup-at"),  # a line of its own
])
def test_install_refuses_odd_options_before_anything_is_written(
        root: Path, args: list[str], needle: str) -> None:
    passwd = (root / "etc" / "passwd").read_text()
    result = run_gis("service", "install", "--root", str(root), "--data-dir", str(DATA), *args)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in root.iterdir()) == ["etc", "var"]
    assert sorted(p.name for p in (root / "etc").iterdir()) == [
        "group", "gshadow", "passwd", "shadow"]
    assert (root / "etc" / "passwd").read_text() == passwd  # no user made


def test_unreachable_folders_are_named(tmp_path: Path) -> None:
    base = shared_tmp("hromada-reach-")
    try:
        private = base / "private"
        (private / "venv").mkdir(parents=True)
        (private / "venv" / "gis").write_text("#!/bin/sh\n")
        private.chmod(0o700)
        nobody = pwd.getpwnam("nobody")
        assert unreachable_part(private / "venv" / "gis", nobody.pw_uid,
                                {nobody.pw_gid}) == private
        private.chmod(0o755)
        assert unreachable_part(private / "venv" / "gis", nobody.pw_uid,
                                {nobody.pw_gid}) is None
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def system_user() -> Iterator[pwd.struct_passwd]:
    """Return a real system user made for this test (removed after, with its group)."""
    name = f"hgis-t{os.getpid() % 100000}"
    subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--shell",
                    "/usr/sbin/nologin", name], check=True, capture_output=True)
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(["userdel", name], capture_output=True)
        assert not any(ln.startswith(f"{name}:") for ln in
                       Path("/etc/passwd").read_text().splitlines())


def test_the_service_user_runs_the_handed_over_cluster(system_user: pwd.struct_passwd) -> None:
    base = shared_tmp("hromada-handover-")
    data = base / "data"
    try:
        with running_cluster(data, quiet=True) as c:  # as root: PostgreSQL runs as postgres
            url = c.ensure_database()
            with psycopg.connect(url) as conn:
                conn.execute("CREATE TABLE kept (v text)")
                conn.execute("INSERT INTO kept VALUES ('before the handover')")
            bin_dir = c.bin_dir
        hand_over(data, system_user.pw_uid, system_user.pw_gid)
        port = str(c.port)
        as_user = ["runuser", "-u", system_user.pw_name, "--"]
        pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data / "pg")]
        subprocess.run([*as_user, *pg_ctl, "start", "-w", "-l", str(data / "pg.log"), "-o",
                        f"-p {port} -k {data / 'run'} -c listen_addresses=127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
        try:
            pid = int((data / "pg" / "postmaster.pid").read_text().split()[0])
            uid = next(int(ln.split()[1]) for ln in
                       Path(f"/proc/{pid}/status").read_text().splitlines()
                       if ln.startswith("Uid:"))
            assert uid == system_user.pw_uid  # PostgreSQL runs as the service user
            password = (data / "pg.password").read_text().strip()
            with psycopg.connect(f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{port}/"
                                 "hromada") as conn:
                assert conn.execute("SELECT v FROM kept").fetchone() == ("before the handover",)
                conn.execute("INSERT INTO kept VALUES ('as the service user')")
        finally:
            subprocess.run([*as_user, *pg_ctl, "stop", "-m", "fast", "-w"],
                           capture_output=True, timeout=60)
        give_back(data)  # as `gis service uninstall` does: root's layout again
        with running_cluster(data, quiet=True) as c:
            with psycopg.connect(c.ensure_database()) as conn:
                rows = [r[0] for r in conn.execute("SELECT v FROM kept ORDER BY v")]
        assert rows == ["as the service user", "before the handover"]
    finally:
        deadline = time.monotonic() + 10
        while (data / "pg" / "postmaster.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        shutil.rmtree(base, ignore_errors=True)
