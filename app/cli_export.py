"""``gis export REGISTRY --format …``: open data files, and the cadastral exchange XML.

Added to the ``gis`` command by ``app.cli``. Read-only: works beside a running server and
never changes the schema. Public by default (the public views: no personal data); ``--staff``
exports every field for the council's own use.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gis.errors import InvalidParameter

if TYPE_CHECKING:
    from gis.settings import Settings
    from ingest.formats.ua_xml_export import Publisher

EXPORT_FORMATS = ("geojson", "csv", "xlsx", "gpkg", "shp", "ua-xml", "metadata")


@click.command("export")
@click.argument("registry_id")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="geojson",
              show_default=True, help="geojson (RFC 7946), csv (UTF-8 with BOM), xlsx (a "
              "spreadsheet for Excel: the CSV's columns, every cell typed), gpkg, shp "
              "(zipped; -o NAME.shp: the Shapefile beside its parts), ua-xml (cadastral "
              "exchange file 0.7), metadata (the data.gov.ua passport).")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Where to write [REGISTRY.<ext> in the current folder; - for stdout].")
@click.option("--parcel", help="ua-xml: the cadastral number of one parcel.")
@click.option("--quarter", help="ua-xml: every parcel of a cadastral quarter NNNNNNNNNN:ZZ:QQQ.")
@click.option("--staff", is_flag=True,
              help="Every field, personal data included (not for publication).")
def export(registry_id: str, fmt: str, output: Path | None, parcel: str | None,
           quarter: str | None, staff: bool) -> None:
    """Export a registry: GeoJSON, CSV, XLSX, GeoPackage, Shapefile, cadastral XML, or its
    passport.

    Personal fields are removed at the query, exactly as in every public output; large
    registries stream.
    """
    import json

    import psycopg

    from app.cli import load_settings
    from app.progress import Progress
    from app.runtime import database
    from ingest.export import (
        FORMATS,
        STREAMED,
        file_name,
        public_state,
        text_chunks,
        write_vector,
    )
    from registries.catalog import default_catalog

    settings = load_settings()
    reg = default_catalog().get(registry_id)
    srid = settings.city.storage_srid
    if (parcel or quarter) and fmt != "ua-xml":
        raise InvalidParameter("--parcel and --quarter choose what an exchange XML holds; "
                               "use them with --format ua-xml")
    if fmt == "ua-xml":
        default = (parcel or quarter or reg.id).replace(":", "_") + ".xml"
    elif fmt == "metadata":
        default = f"{reg.id}.metadata.json"
    else:
        default = file_name(reg, fmt)
    target = output or Path(default)
    sidecars: list[Path] = []
    with database(settings, read_only=True, quiet=True) as url, psycopg.connect(url) as conn, \
            written(target, default) as path:
        if fmt in STREAMED:
            with path.open("wb") as out:
                for chunk in text_chunks(conn, reg, srid, fmt, personal=staff):
                    out.write(chunk)
        elif fmt in FORMATS:
            progress = Progress("export", rate="features")
            # a public export carries the data's stamp: the same bytes as the download
            stamp = None if staff else public_state(conn, reg).stamp
            write_vector(conn, reg, srid, fmt, path, personal=staff, progress=progress,
                         stamp=stamp)
            progress.close()
            if fmt == "shp" and target.suffix.lower() == ".shp":
                sidecars = _shapefile_set(path, target)
        elif fmt == "ua-xml":
            from ingest.formats.ua_xml_export import exchange_file

            path.write_bytes(exchange_file(conn, reg, storage_srid=srid,
                                           publisher=publisher(settings), parcel=parcel,
                                           quarter=quarter))
        else:
            from app.export_routes import package

            path.write_bytes(json.dumps(package(settings, conn, reg), ensure_ascii=False,
                                        indent=1, default=str).encode())
    if str(target) != "-":
        beside = f" and {', '.join(p.suffix for p in sidecars)} beside it" if sidecars else ""
        click.echo(f"wrote {target}{beside}", err=True)


def _shapefile_set(zipped: Path, target: Path) -> list[Path]:
    """Turn the zipped Shapefile at ``zipped`` into the Shapefile ``target`` names: its
    ``.shx``, ``.dbf``, ``.prj`` and ``.cpg`` are moved beside ``target`` under its name, and
    ``zipped`` becomes the ``.shp`` (which ``written`` moves into place last). A GIS user who
    writes ``-o parcels.shp`` means the file QGIS opens, not a zip under that name."""
    import shutil
    import zipfile

    moved: list[Path] = []
    with zipfile.ZipFile(zipped) as zf:
        members = zf.namelist()
        for name in members:  # streamed: a city's DBF is not read whole
            with zf.open(name) as src, (zipped.parent / Path(name).name).open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    zipped.unlink()
    for name in sorted(members, key=lambda n: Path(n).suffix == ".shp"):
        part = zipped.parent / Path(name).name
        if Path(name).suffix.lower() == ".shp":
            part.replace(zipped)
            continue
        beside = target.with_suffix(Path(name).suffix)
        try:
            part.replace(beside)
        except OSError as exc:
            raise InvalidParameter(f"cannot write {beside}: {exc.strerror or exc}") from None
        moved.append(beside)
    return moved


@contextlib.contextmanager
def written(target: Path, name: str, option: str = "--output") -> Iterator[Path]:
    """Yield where to write the export: a temporary file that becomes ``target`` only when
    complete (an export cut short leaves the old file, or none, never half of one), or is
    copied to standard output for ``-``. A target that cannot be written is one message."""
    import errno
    import shutil
    import sys
    import tempfile

    stdout = str(target) == "-"
    if not stdout:
        if target.is_dir():
            raise InvalidParameter(f"{option} {target} is a folder; name the file, e.g. "
                                   f"{target / name}")
        if not target.parent.is_dir():
            raise InvalidParameter(f"{option} {target}: the folder {target.parent} does not "
                                   "exist")
    # beside a regular target, so that the finished file is renamed into place; a device or
    # a pipe (/dev/stdout, /dev/full) is written by copying, from the temporary folder
    regular = not stdout and (not target.exists() or target.is_file())
    try:
        work = Path(tempfile.mkdtemp(prefix=".hromada-export-",
                                     dir=target.parent if regular else None))
    except OSError as exc:  # a folder nobody may write in (read-only, /proc …)
        # ENOENT here is /proc's way of saying no: "No such file" would mislead
        why = "" if exc.errno == errno.ENOENT else f" ({exc.strerror or exc})"
        raise InvalidParameter(f"cannot write {target}: the folder {target.parent} refuses "
                               f"new files{why}") from None
    try:
        part = work / name
        yield part
        if stdout:
            try:
                with part.open("rb") as src:
                    shutil.copyfileobj(src, sys.stdout.buffer, 1 << 20)
                sys.stdout.flush()
            except BrokenPipeError:  # the reader is gone (`| head`): no error of ours
                _reader_left()
        elif not regular:
            with part.open("rb") as src, target.open("wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
        else:
            part.replace(target)
    except OSError as exc:
        raise InvalidParameter(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


# how a shell reports a program that SIGPIPE ended (128 + 13), as `cat` in `cat f | head`
EXIT_READER_LEFT = 141


def _reader_left() -> None:
    """End quietly because standard output's reader has closed the pipe, as a Unix tool
    does: no message, and the status of one SIGPIPE ended (after our own clean-up, which
    dying of the signal would skip)."""
    import os
    import sys

    # whatever Python still holds for stdout would fail again when it flushes at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    raise SystemExit(EXIT_READER_LEFT)


def publisher(settings: Settings) -> Publisher:
    """Return the exchange XML's publisher from the open-data settings."""
    from ingest.formats.ua_xml_export import Publisher

    od = settings.open_data
    city = settings.city
    return Publisher(name=od.publisher, edrpou=od.publisher_edrpou,
                     contact_name=od.contact_name, position=od.contact_position,
                     phone=od.contact_phone, email=od.contact_email,
                     settlement=city.name_uk)
