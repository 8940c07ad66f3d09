"""``gis raster add|list|remove``: publish scans and orthophotos as Cloud-Optimised GeoTIFFs."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import psycopg

from gis.settings import Settings


@contextmanager
def _connection() -> Iterator[tuple[Settings, psycopg.Connection[Any]]]:
    from app.cli import load_settings
    from app.runtime import database

    settings = load_settings()
    with database(settings, quiet=True) as url, psycopg.connect(url, autocommit=True) as conn:
        yield settings, conn


@click.group()
def raster() -> None:
    """Published rasters: scanned plans and orthophotos as tiles and coverages."""


@raster.command("add")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--name", required=True,
              help="Collection id: lowercase Latin letters, digits, '_' or '-'.")
@click.option("--title", help="Title shown to users, e.g. 'Генеральний план, 2021' [NAME].")
@click.option("--title-en", default="",
              help="Title on the English pages, e.g. 'Master plan, 2021' [NAME].")
@click.option("--crs", help="Assign this CRS (EPSG:6383 …) to a file that names none or a "
                            "wrong one; it does not reproject.")
@click.option("--document", default="",
              help="The source document, e.g. 'рішення міської ради № 12 від 01.03.2021'.")
@click.option("--date", "dated", type=click.DateTime(["%Y-%m-%d"]),
              help="When the image was taken or the plan approved (YYYY-MM-DD).")
@click.option("--public/--staff-only", default=False, show_default=True,
              help="Whether anonymous users may see it; staff-only until you say --public.")
@click.option("--compress", type=click.Choice(["deflate", "jpeg"]), default="deflate",
              show_default=True,
              help="deflate keeps every pixel (plans); jpeg (quality 90) is ~10× smaller for "
                   "RGB orthophotos.")
def raster_add(file: Path, name: str, title: str | None, title_en: str, crs: str | None,
               document: str, dated: datetime | None, public: bool, compress: str) -> None:
    """Publish FILE (GeoTIFF or any raster GDAL reads) as the raster NAME.

    The file becomes a Cloud-Optimised GeoTIFF with overviews in the rasters folder
    (GIS_RASTERS__DIR, default <data dir>/rasters), registered in the catalogue in one
    transaction: on any error nothing is registered and nothing is left behind.
    """
    from app.progress import Progress
    from app.raster_upload import placement_notes
    from ingest.cog import publish
    from registries.catalog import default_catalog

    reserved = frozenset(reg.id for reg in default_catalog())
    with _connection() as (settings, conn):
        progress = Progress("raster")
        rec = publish(conn, file, name=name, raster_dir=settings.raster_dir, title=title,
                      title_en=title_en, crs=crs, source_document=document,
                      dated=dated.date() if dated else None, public=public,
                      compress=compress, added_by=getpass.getuser(),
                      max_pixels=settings.rasters.max_pixels, reserved=reserved,
                      progress=progress)
        progress.close()
    click.echo(f"added raster {rec.name} ({'public' if rec.public else 'staff only'}): "
               f"{rec.width} × {rec.height} px, {rec.res_x:g} × {rec.res_y:g} {rec.crs} units "
               f"per pixel, {rec.file_size / 1e6:.1f} MB", err=True)
    for note in placement_notes(rec.crs, rec.lonlat_bounds, settings.city):
        click.echo(f"note: {note['message']}", err=True)


@raster.command("list")
def raster_list() -> None:
    """List rasters: name, visibility, size, CRS, resolution, date, title, source document."""
    from gis.rasters import list_rasters

    with _connection() as (settings, conn):
        found = list_rasters(conn, staff=True)
        if not found:
            click.echo("no rasters yet: publish one with gis raster add FILE --name NAME",
                       err=True)
        for r in found:
            missing = "" if (settings.raster_dir / r.file).is_file() else "\tFILE MISSING"
            click.echo(f"{r.name}\t{'public' if r.public else 'staff-only'}\t"
                       f"{r.width}x{r.height}\t{r.crs if r.srid else 'custom CRS'}\t"
                       f"{r.res_x:g}\t{r.dated or '-'}\t{r.file_size / 1e6:.1f} MB\t{r.title}\t"
                       f"{r.source_document or '-'}{missing}")


@raster.command("remove")
@click.argument("name")
def raster_remove(name: str) -> None:
    """Remove raster NAME: its catalogue row and its COG file."""
    from ingest.cog import unpublish

    with _connection() as (settings, conn):
        rec = unpublish(conn, name, settings.raster_dir)
    click.echo(f"removed raster {rec.name} ({rec.file})", err=True)
