"""``gis service install | uninstall``: Hromada GIS as a systemd service (see app/service.py)."""

from __future__ import annotations

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
    return Plan(root=root.absolute(), data_dir=data_dir, backup_dir=backup_dir, gis=gis,
                **given)  # type: ignore[arg-type]


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
@click.option("--port", type=int, default=None, help="GIS_PORT for a new settings file.")
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
