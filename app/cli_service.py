"""``gis service install | uninstall``: Hromada GIS as a systemd service (see app/service.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from app.service import DEFAULT_BACKUP_DIR, DEFAULT_NAME, DEFAULT_USER, Plan


@click.group()
def service() -> None:
    """Run Hromada GIS as a systemd service (root): install, uninstall."""


def _plan(settings_data_dir: Path, **given: object) -> Plan:
    from app.service import default_gis

    root = Path(str(given.pop("root")))
    data_dir = Path(str(given.pop("data_dir") or settings_data_dir))
    backup_dir = Path(str(given.pop("backup_dir")))
    gis = Path(str(given.pop("gis") or default_gis()))
    for name, path in (("--data-dir", data_dir), ("--backup-dir", backup_dir), ("--gis", gis)):
        if not path.is_absolute():
            raise click.BadParameter(f"{path} must be an absolute path", param_hint=name)
    _check_words(given)
    return Plan(root=root.absolute(), data_dir=data_dir, backup_dir=backup_dir, gis=gis,
                **given)  # type: ignore[arg-type]


# what a unit, a command and a settings file may be named; a user as useradd takes one
UNIT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
USER_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")


def _check_words(given: dict[str, object]) -> None:
    """Refuse, before anything is written, a value that would land somewhere else or break
    the files it goes into: a --name with a slash wrote units outside /etc/systemd/system
    (``../../etc/evil``), a line break in a value is a line of its own in a unit or the
    settings file, and a --backup-at systemd cannot read left a timer that never fires."""
    name, user = str(given.get("name")), str(given.get("user"))
    if not UNIT_NAME.fullmatch(name):
        raise click.BadParameter(f"{name!r} must be letters, digits, '_', '.' or '-' (it names "
                                 "units, a folder and a command)", param_hint="--name")
    if not USER_NAME.fullmatch(user):
        raise click.BadParameter(f"{user!r} must be lower-case letters, digits, '_' or '-', "
                                 "starting with a letter", param_hint="--user")
    for option in ("host", "public_url", "backup_at"):
        value = given.get(option)
        if isinstance(value, str) and any(c < " " or c == "\x7f" for c in value):
            raise click.BadParameter(f"{value!r} holds a control character (a line break …)",
                                     param_hint=f"--{option.replace('_', '-')}")
    url = given.get("public_url")
    if isinstance(url, str) and not re.fullmatch(r"https?://[^/\s]+(/\S*)?", url):
        raise click.BadParameter(f"{url!r} must be an http(s) URL, e.g. "
                                 "https://gis.city.gov.ua", param_hint="--public-url")
    when = given.get("backup_at")
    analyze = shutil.which("systemd-analyze")
    if isinstance(when, str) and analyze:
        checked = subprocess.run([analyze, "calendar", when], capture_output=True, text=True)
        if checked.returncode != 0:
            raise click.BadParameter(f"{when!r} is no systemd calendar time (OnCalendar), "
                                     "e.g. '*-*-* 02:30:00'", param_hint="--backup-at")


COMMON = [
    click.option("--user", default=DEFAULT_USER, show_default=True,
                 help="The system user the server and PostgreSQL run as."),
    click.option("--name", default=DEFAULT_NAME, show_default=True,
                 help="Name of the units, the settings folder and the command."),
    click.option("--data-dir", type=click.Path(path_type=Path),
                 help="The data folder [GIS_DATA_DIR, as root /var/lib/hromada-gis]."),
    click.option("--backup-dir", type=click.Path(path_type=Path),
                 default=DEFAULT_BACKUP_DIR, show_default=True,
                 help="Where the nightly backups go."),
    click.option("--root", type=click.Path(file_okay=False, path_type=Path), default="/",
                 show_default=True,
                 help="Write into this folder as the target's / (images, tests); systemd "
                      "is then not touched."),
]


def _common[F: Callable[..., Any]](fn: F) -> F:
    for option in reversed(COMMON):
        fn = option(fn)
    return fn


@service.command("install")
@_common
@click.option("--gis", type=click.Path(path_type=Path),
              help="The gis command the units run [this installation's].")
@click.option("--host", default=None, help="GIS_HOST for a new settings file [current].")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="GIS_PORT for a new settings file.")
@click.option("--public-url", default=None, help="GIS_PUBLIC_URL for a new settings file.")
@click.option("--backup-at", default="*-*-* 02:30:00", show_default=True,
              help="When the backup timer fires (systemd OnCalendar).")
@click.option("--keep", type=int, default=14, show_default=True,
              help="Backups kept in --backup-dir.")
def service_install(**options: object) -> None:
    """Install the service: system user, data folder, units, nightly backup; start it.

    Creates the system user (no login), gives it the data folder with the embedded
    PostgreSQL cluster (which then runs as that user, never as root), writes the server's
    unit (restart on failure, graceful stop, journal, hardened), the backup service and its
    nightly timer, a settings file (kept if present) and a command of the service's name
    that runs gis with those settings as that user. Stop a running `gis serve` first.
    Reinstalling updates the units and keeps the settings.
    """
    from app.cli import load_settings
    from app.service import install, require_root

    require_root()
    settings = load_settings()
    options["host"] = options["host"] or settings.host
    options["port"] = options["port"] or settings.port
    extra = []
    cache = settings.tiles.cache_dir
    if cache is not None and cache.is_absolute():
        extra.append(cache)
    plan = _plan(settings.data_dir, extra_paths=extra, **options)
    install(plan, Path(sys.executable), lambda line: click.echo(line, err=True))


@service.command("uninstall")
@_common
@click.option("--keep-owner", is_flag=True,
              help="Leave the data folder to the service user (default: give it back to "
                   "root and postgres, as `gis serve` as root expects).")
def service_uninstall(keep_owner: bool, **options: object) -> None:
    """Stop and remove the service's units and command; keep data, backups and settings."""
    from app.cli import load_settings
    from app.service import default_gis, require_root, uninstall

    require_root()
    settings = load_settings()
    plan = _plan(settings.data_dir, gis=default_gis(), **options)
    uninstall(plan, keep_owner, lambda line: click.echo(line, err=True))
