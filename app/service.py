"""Hromada GIS as a systemd service: a system user, its data folder, the units, a nightly backup.

``gis service install`` (root) creates the system user (``hromada``), hands it the data folder
with the embedded cluster in it, and writes, under ``--root`` (``/`` by default):

    /etc/systemd/system/hromada-gis.service          gis serve, as the user, hardened
    /etc/systemd/system/hromada-gis-backup.service   gis backup --dir … --keep …
    /etc/systemd/system/hromada-gis-backup.timer     nightly, persistent
    /etc/hromada-gis/hromada-gis.env                 settings (kept if present; 640 root:user)
    /usr/local/bin/hromada-gis                       the gis command with those settings, as
                                                     the user (for operators: users, tokens …)

Who runs PostgreSQL: the service user. PostgreSQL refuses to run as root, and a process that
is not root cannot switch to ``postgres``; so in the service the embedded cluster runs as the
same unprivileged user as the server (``gis.cluster`` runs it as itself when not root), and
the install hands the cluster's folder (``pg/``, owned by ``postgres`` after root runs) to the
user. ``gis service uninstall`` removes the units and the command and gives the folder back to
root and ``postgres``; data, backups, settings and the user stay. Details: docs/operations.md.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gis.errors import EnvironmentProblem, InvalidParameter

DEFAULT_USER = "hromada"
DEFAULT_NAME = "hromada-gis"
DEFAULT_BACKUP_DIR = Path("/var/backups/hromada-gis")
DOCS = Path(__file__).resolve().parent.parent / "docs"  # this installation's docs/
STOP_TIMEOUT_S = 120  # > the server's drain (10 s) + pool close + pg_ctl stop -m fast (≤ 60 s)


@dataclass
class Plan:
    """Everything ``install`` writes, with paths as the target system sees them."""

    user: str
    gis: Path  # the installed gis command ExecStart runs
    data_dir: Path
    backup_dir: Path
    name: str = DEFAULT_NAME
    root: Path = Path("/")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    backup_at: str = "*-*-* 02:30:00"
    keep: int = 14
    extra_paths: list[Path] = field(default_factory=list)  # more writable folders (tile cache)

    # -- where things go (in the target system, and under --root on this one) ---------------
    def at(self, path: Path) -> Path:
        """Return ``path`` of the target system as a path on this machine (under ``root``)."""
        return self.root / path.relative_to("/")

    @property
    def unit(self) -> Path:
        return Path(f"/etc/systemd/system/{self.name}.service")

    @property
    def backup_unit(self) -> Path:
        return Path(f"/etc/systemd/system/{self.name}-backup.service")

    @property
    def timer(self) -> Path:
        return Path(f"/etc/systemd/system/{self.name}-backup.timer")

    @property
    def env_file(self) -> Path:
        return Path(f"/etc/{self.name}/{self.name}.env")

    @property
    def command(self) -> Path:
        return Path(f"/usr/local/bin/{self.name}")

    @property
    def writable(self) -> list[Path]:
        paths = [self.data_dir, self.backup_dir, *self.extra_paths]
        return [p for i, p in enumerate(paths) if p not in paths[:i]]


# -- the files --------------------------------------------------------------------------------
def _hardening(plan: Plan) -> str:
    home = any(str(plan.gis).startswith(p) for p in ("/home/", "/root/", "/run/user/"))
    capabilities = ("CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n"
                    "AmbientCapabilities=CAP_NET_BIND_SERVICE\n") if plan.port < 1024 else \
        "CapabilityBoundingSet=\n"
    return (
        "# hardening: see docs/operations.md (no MemoryDenyWriteExecute: PostgreSQL's JIT\n"
        "# needs writable code pages; no SystemCallFilter: not exercised under it yet)\n"
        "NoNewPrivileges=yes\n"
        "ProtectSystem=strict\n"
        f"ReadWritePaths={' '.join(str(p) for p in plan.writable)}\n"
        f"ProtectHome={'read-only' if home else 'yes'}\n"
        "PrivateTmp=yes\n"
        "PrivateDevices=yes\n"
        "ProtectKernelTunables=yes\n"
        "ProtectKernelModules=yes\n"
        "ProtectKernelLogs=yes\n"
        "ProtectControlGroups=yes\n"
        "ProtectClock=yes\n"
        "ProtectHostname=yes\n"
        "ProtectProc=invisible\n"
        "RestrictSUIDSGID=yes\n"
        "RestrictRealtime=yes\n"
        "RestrictNamespaces=yes\n"
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK\n"
        "LockPersonality=yes\n"
        "RemoveIPC=yes\n"
        "SystemCallArchitectures=native\n"
        f"{capabilities}"
        "UMask=0027\n"
    )


def _header(plan: Plan, what: str) -> str:
    return (f"# {what}\n# Written by `gis service install`; settings belong in {plan.env_file},\n"
            f"# local changes in `systemctl edit {plan.name}` drop-ins (kept on reinstall).\n")


def service_unit(plan: Plan) -> str:
    """Return the server's unit: ``gis serve`` as the service user, restarted on failure."""
    return (
        _header(plan, "Hromada GIS: the geoportal and OGC API server")
        + "[Unit]\n"
        "Description=Hromada GIS geoportal and OGC API server\n"
        f"Documentation=file://{DOCS / 'operations.md'}\n"
        "After=network-online.target\n"
        "Wants=network-online.target\n"
        "StartLimitIntervalSec=600\n"
        "StartLimitBurst=5\n"
        "\n[Service]\n"
        "Type=exec\n"
        f"User={plan.user}\n"
        f"Group={plan.user}\n"
        f"EnvironmentFile={plan.env_file}\n"
        "Environment=PYTHONUNBUFFERED=1\n"
        f"WorkingDirectory={plan.data_dir}\n"
        f"ExecStart={plan.gis} serve\n"
        "Restart=on-failure\n"
        "RestartSec=5s\n"
        "# the first start creates the cluster and migrates; a stop drains requests, then\n"
        "# stops PostgreSQL (the server does both: SIGTERM goes to it alone)\n"
        "TimeoutStartSec=900\n"
        "KillMode=mixed\n"
        "KillSignal=SIGTERM\n"
        f"TimeoutStopSec={STOP_TIMEOUT_S}\n"
        "StandardOutput=journal\n"
        "StandardError=journal\n"
        f"SyslogIdentifier={plan.name}\n"
        "LimitNOFILE=65536\n"
        + _hardening(plan)
        + "\n[Install]\n"
        "WantedBy=multi-user.target\n"
    )


def backup_unit(plan: Plan) -> str:
    """Return the backup's one-shot unit (started by the timer, or by hand)."""
    return (
        _header(plan, "Hromada GIS: one backup of the database (gis backup)")
        + "[Unit]\n"
        "Description=Hromada GIS database backup\n"
        f"After={plan.name}.service\n"
        "\n[Service]\n"
        "Type=oneshot\n"
        f"User={plan.user}\n"
        f"Group={plan.user}\n"
        f"EnvironmentFile={plan.env_file}\n"
        f"WorkingDirectory={plan.backup_dir}\n"
        f"ExecStart={plan.gis} backup --dir {plan.backup_dir} --keep {plan.keep}\n"
        "Nice=10\n"
        "IOSchedulingClass=idle\n"
        "TimeoutStartSec=6h\n"
        f"SyslogIdentifier={plan.name}-backup\n"
        + _hardening(plan)
    )


def backup_timer(plan: Plan) -> str:
    """Return the nightly timer (missed runs are made up after a shutdown)."""
    return (
        _header(plan, "Hromada GIS: the nightly backup")
        + "[Unit]\n"
        "Description=Nightly Hromada GIS database backup\n"
        "\n[Timer]\n"
        f"OnCalendar={plan.backup_at}\n"
        "RandomizedDelaySec=15min\n"
        "Persistent=true\n"
        f"Unit={plan.name}-backup.service\n"
        "\n[Install]\n"
        "WantedBy=timers.target\n"
    )


def env_file(plan: Plan) -> str:
    """Return the settings file written at the first install (never overwritten)."""
    public = f"GIS_PUBLIC_URL={plan.public_url}" if plan.public_url else \
        "# GIS_PUBLIC_URL=https://gis.example.gov.ua"
    return (
        f"# Hromada GIS settings of the {plan.name} service, read by systemd and by the\n"
        f"# {plan.command} command. One NAME=value per line (README: Configuration;\n"
        f"# docs/operations.md). Apply with: systemctl restart {plan.name}\n"
        f"GIS_DATA_DIR={plan.data_dir}\n"
        f"GIS_HOST={plan.host}\n"
        f"GIS_PORT={plan.port}\n"
        f"{public}\n"
        "# an external PostgreSQL instead of the embedded cluster in GIS_DATA_DIR:\n"
        "# GIS_DATABASE_URL=postgresql://gis:PASSWORD@db.example:5432/hromada\n"
        "# the access log goes to the journal; off, or a file (add it to ReadWritePaths):\n"
        "# GIS_LOG__ACCESS=stderr\n"
        "# /metrics for a Prometheus on another host (else loopback only):\n"
        "# GIS_METRICS__TOKEN=\n"
    )


def command_script(plan: Plan, python: Path) -> str:
    """Return the operators' command: gis with the service's settings, as the service user."""
    return f'''#!{python}
"""`gis` as the {plan.name} service runs it: its settings ({plan.env_file}), its user
({plan.user}). Written by `gis service install`; removed by `gis service uninstall`."""
import os
import pwd
import sys

from dotenv import dotenv_values

USER, GIS, ENV_FILE = {plan.user!r}, {str(plan.gis)!r}, {str(plan.env_file)!r}
who = pwd.getpwnam(USER)
env = dict(os.environ)
try:
    env.update((k, v) for k, v in dotenv_values(ENV_FILE).items() if v is not None)
except OSError as exc:
    sys.exit(f"error: cannot read {{ENV_FILE}}: {{exc.strerror}} (run with sudo)")
if os.geteuid() == 0:
    os.initgroups(USER, who.pw_gid)
    os.setgid(who.pw_gid)
    os.setuid(who.pw_uid)
elif os.geteuid() != who.pw_uid:
    sys.exit(f"error: run as root or as {{USER}}: sudo {{sys.argv[0]}} ...")
env.update(HOME=who.pw_dir, USER=USER, LOGNAME=USER)
if not os.access(".", os.R_OK | os.X_OK):
    os.chdir(who.pw_dir)
os.execve(GIS, [GIS, *sys.argv[1:]], env)
'''


# -- the user and the data folder -------------------------------------------------------------
def require_root(euid: int | None = None) -> None:
    """Raise EnvironmentProblem unless running as root."""
    if (os.geteuid() if euid is None else euid) != 0:
        raise EnvironmentProblem(
            "gis service must run as root (it creates a system user and writes "
            f"/etc/systemd/system); run: sudo {sys.argv[0]} service ...")


def passwd_entry(name: str, root: Path = Path("/")) -> tuple[int, int] | None:
    """Return (uid, gid) of user ``name`` in ``root``'s /etc/passwd, or None."""
    if root == Path("/"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            return None
        return entry.pw_uid, entry.pw_gid
    try:
        lines = (root / "etc" / "passwd").read_text().splitlines()
    except FileNotFoundError:
        return None
    for line in lines:
        fields = line.split(":")
        if len(fields) >= 4 and fields[0] == name:
            return int(fields[2]), int(fields[3])
    return None


def create_user(name: str, home: Path, root: Path = Path("/")) -> tuple[tuple[int, int], bool]:
    """Return ((uid, gid), created) of system user ``name``, created if missing (no login)."""
    found = passwd_entry(name, root)
    if found is not None:
        return found, False
    prefix = [] if root == Path("/") else ["--prefix", str(root)]
    (root / "etc").mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["useradd", *prefix, "--system", "--user-group", "--home-dir", str(home),
         "--no-create-home", "--shell", "/usr/sbin/nologin", "--comment",
         "Hromada GIS service", name], capture_output=True, text=True)
    if result.returncode != 0:
        raise EnvironmentProblem(f"useradd {name} failed: {result.stderr.strip()}")
    made = passwd_entry(name, root)
    assert made is not None
    return made, True


def check_stopped(data_dir: Path) -> None:
    """Raise EnvironmentProblem while a server or its PostgreSQL uses ``data_dir``."""
    lock = data_dir / "server.lock"
    if lock.exists():
        fd = os.open(lock, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = lock.read_text().strip() or "?"
            raise EnvironmentProblem(
                f"a Hromada GIS server (pid {pid}) is running on {data_dir}; stop it first "
                "(Ctrl-C, or systemctl stop)") from None
        finally:
            os.close(fd)
    pidfile = data_dir / "pg" / "postmaster.pid"
    if pidfile.exists():
        pg_pid = int(pidfile.read_text().split()[0])
        if Path(f"/proc/{pg_pid}").exists():
            raise EnvironmentProblem(f"PostgreSQL (pid {pg_pid}) is still running in "
                                     f"{data_dir / 'pg'}; stop it first")


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    os.lchown(path, uid, gid)
    for folder, dirs, files in os.walk(path):
        for name in (*dirs, *files):
            os.lchown(os.path.join(folder, name), uid, gid)


def hand_over(data_dir: Path, uid: int, gid: int) -> None:
    """Give the data folder (and the embedded cluster in it) to the service user."""
    data_dir.mkdir(parents=True, exist_ok=True)
    _chown_tree(data_dir, uid, gid)
    data_dir.chmod(0o750)
    if (data_dir / "pg").is_dir():
        (data_dir / "pg").chmod(0o700)  # PostgreSQL's own requirement
    if (data_dir / "pg.password").exists():
        (data_dir / "pg.password").chmod(0o600)


def give_back(data_dir: Path) -> None:
    """Return the data folder to root, the cluster to ``postgres``: as ``gis serve`` as root
    lays it out (see ``gis.cluster``)."""
    if not data_dir.is_dir():
        return
    _chown_tree(data_dir, 0, 0)
    data_dir.chmod(0o755)
    try:
        pg = pwd.getpwnam("postgres")
    except KeyError:
        return
    for name in ("pg", "run", "pg.log"):
        path = data_dir / name
        if path.is_dir():
            _chown_tree(path, pg.pw_uid, pg.pw_gid)
        elif path.exists():
            os.lchown(path, pg.pw_uid, pg.pw_gid)


def handed_over(folder: Path, uid: int) -> bool:
    """Return True when ``folder`` (and the cluster folder in it, if any) belongs to ``uid``."""
    try:
        if folder.stat().st_uid != uid:
            return False
    except FileNotFoundError:
        return False
    pg = folder / "pg"
    return not pg.exists() or pg.stat().st_uid == uid


def unreachable_part(path: Path, uid: int, gids: set[int]) -> Path | None:
    """Return the first folder on the way to ``path`` (symlinks resolved) that user ``uid``
    cannot enter, or ``path`` if it cannot read it; None when all is reachable."""
    target = path.resolve()
    for folder in [*reversed(target.parents)]:
        st = folder.stat()
        if not _may(st, uid, gids, stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH):
            return folder
    if not _may(target.stat(), uid, gids, stat.S_IRUSR, stat.S_IRGRP, stat.S_IROTH):
        return target
    return None


def _may(st: os.stat_result, uid: int, gids: set[int], user: int, group: int,
         other: int) -> bool:
    if st.st_uid == uid:
        return bool(st.st_mode & user)
    if st.st_gid in gids:
        return bool(st.st_mode & group)
    return bool(st.st_mode & other)


def check_runnable(gis: Path, uid: int, gid: int) -> None:
    """Raise EnvironmentProblem if the service user could not run ``gis`` (its Python, the
    project it imports) because a folder on the way is private (a checkout under /root)."""
    import sysconfig

    wanted = [gis, Path(sys.executable), Path(sysconfig.get_paths()["stdlib"]) / "os.py",
              Path(__file__)]
    for path in wanted:
        blocked = unreachable_part(path, uid, {gid})
        if blocked is not None:
            raise EnvironmentProblem(
                f"the service user cannot reach {path}: {blocked} is private to its owner; "
                "install the project where every user can read it (e.g. /opt/hromada-gis: "
                "git clone … /opt/hromada-gis && cd /opt/hromada-gis && scripts/bootstrap.sh "
                "run, with a Python outside /root) and run its .venv/bin/gis service install",
                path=str(path))


# -- install and uninstall ----------------------------------------------------------------
def _write(path: Path, text: str, mode: int, owner: tuple[int, int] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".new")
    tmp.write_text(text)
    tmp.chmod(mode)
    if owner is not None:
        os.chown(tmp, *owner)
    os.replace(tmp, path)


def systemd_running(root: Path) -> bool:
    return root == Path("/") and Path("/run/systemd/system").is_dir()


def install(plan: Plan, python: Path, say: Callable[[str], None]) -> None:
    """Create the user, hand over the folders, write the files; start when systemd runs."""
    if plan.keep < 1:
        raise InvalidParameter("--keep must be at least 1")
    known = passwd_entry(plan.user, plan.root)
    for folder in plan.writable:  # before anything changes: nothing may run on a folder to move
        target = plan.at(folder)
        if target.exists() and not (known and handed_over(target, known[0])):
            check_stopped(target)
    (uid, gid), created = create_user(plan.user, plan.data_dir, plan.root)
    say(f"{'created' if created else 'using'} system user {plan.user} (uid {uid})")
    if plan.root == Path("/"):
        check_runnable(plan.gis, uid, gid)
    else:
        say("not checked under --root: that the service user can run "
            f"{plan.gis} on the target system")
    for folder in plan.writable:
        target = plan.at(folder)
        if handed_over(target, uid):
            continue  # a reinstall (an upgrade): the service may be running on it
        hand_over(target, uid, gid)
        say(f"{folder} belongs to {plan.user} now")
    _write(plan.at(plan.unit), service_unit(plan), 0o644)
    _write(plan.at(plan.backup_unit), backup_unit(plan), 0o644)
    _write(plan.at(plan.timer), backup_timer(plan), 0o644)
    env = plan.at(plan.env_file)
    if env.exists():
        say(f"kept the settings in {plan.env_file}")
    else:
        _write(env, env_file(plan), 0o640, (0, gid))
        say(f"settings written to {plan.env_file}")
    _write(plan.at(plan.command), command_script(plan, python), 0o755)
    say(f"units written: {plan.unit}, {plan.backup_unit}, {plan.timer}")
    if systemd_running(plan.root):
        _systemctl("daemon-reload")
        _systemctl("enable", "--now", f"{plan.name}.service", f"{plan.name}-backup.timer")
        say(f"started: systemctl status {plan.name}; logs: journalctl -u {plan.name}")
    else:
        say(f"systemd is not running here; on the target run: systemctl daemon-reload && "
            f"systemctl enable --now {plan.name}.service {plan.name}-backup.timer")


def uninstall(plan: Plan, keep_owner: bool, say: Callable[[str], None]) -> None:
    """Stop and remove the units and the command; keep data, backups, settings and user."""
    if systemd_running(plan.root):
        _systemctl("disable", "--now", f"{plan.name}.service", f"{plan.name}-backup.timer",
                   check=False)
    data = plan.at(plan.data_dir)
    if data.exists():
        check_stopped(data)
    for path in (plan.unit, plan.backup_unit, plan.timer, plan.command):
        if plan.at(path).exists():
            plan.at(path).unlink()
            say(f"removed {path}")
    if systemd_running(plan.root):
        _systemctl("daemon-reload")
    if not keep_owner:
        for folder in plan.writable:
            give_back(plan.at(folder))
        say(f"{plan.data_dir} belongs to root again (PostgreSQL's folder to postgres), as "
            "for gis serve run as root")
    say(f"kept: {plan.data_dir}, {plan.backup_dir}, {plan.env_file} and user {plan.user} "
        f"(remove them by hand: userdel {plan.user}; the data folder holds the database)")


def _systemctl(*args: str, check: bool = True) -> None:
    result = subprocess.run(["systemctl", *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise EnvironmentProblem(f"systemctl {' '.join(args)} failed: "
                                 f"{result.stderr.strip()}")


def default_gis() -> Path:
    """Return the gis command of this installation (next to this Python)."""
    return Path(sys.executable).parent / "gis"
