"""``gis qgis-project``: the ready QGIS project, as ``GET /qgis/project.qgs`` serves it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from gis.errors import NotFound


@click.command("qgis-project")
@click.option("--user", "name", help="Staff project for this user's roles (PostGIS through "
                                     "their service entry); default: the public project.")
@click.option("--lang", type=click.Choice(["uk", "en"]), default="uk", show_default=True)
@click.option("--pending", is_flag=True, help="Staff project: the read-only layers show the "
                                              "working copy with its pending changes.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of standard output.")
def qgis_project(name: str | None, lang: str, pending: bool, output: Path | None) -> None:
    """Print a QGIS project of every registry layer (styles, forms, relations, UCS-2000).

    The public project reads the OGC API of GIS_PUBLIC_URL; a staff project (--user) reads
    PostGIS through the pg_service.conf entry of `gis users service-entry NAME`.
    """
    from app.cli import load_settings
    from app.qgis_access import connection_point
    from app.qgis_project import Access, project_xml
    from registries.catalog import default_catalog

    settings = load_settings()
    access = Access(lang=lang)
    if name is not None:
        import psycopg

        from app.runtime import database
        from gis.users import list_users

        with database(settings, quiet=True) as url, psycopg.connect(url) as conn:
            found = [u for u in list_users(conn) if u.name == name]
            point = connection_point(settings, url)
        if not found:
            raise NotFound(f"no user {name!r}", user=name)
        access = Access(found[0].roles, point.dbname, lang, pending)
    text = project_xml(settings, default_catalog(), access, _public_rasters(settings))
    if output is None:
        click.echo(text, nl=False)
    else:  # renamed into place when complete; a missing folder or a full disk: one line
        from app.cli_export import written

        with written(output, "project.qgs") as part:
            part.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


def _public_rasters(settings: Any) -> list[Any]:
    """Return the public rasters of the catalogue (the project shows them under the vectors)."""
    import psycopg

    from app.runtime import database
    from gis.rasters import list_rasters

    with database(settings, quiet=True, read_only=True) as url, psycopg.connect(url) as conn:
        return [r for r in list_rasters(conn, staff=False) if r.public]
