"""The ``gis`` command: serve, demo, db upgrade, config.

Settings are read once here and passed down. Every error a user can cause is a GisError and
ends as one ``error: ...`` line on stderr with its exit code; ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import warnings
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any, cast

import click

from gis.errors import EnvironmentProblem, GisError
from gis.settings import Settings

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool


class GisGroup(click.Group):
    """Turn GisError (and Ctrl-C) into one line and an exit code instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GisError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"error: {exc.detail}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            logging.getLogger("hromada").debug("unexpected error", exc_info=True)
            click.echo(f"error: unexpected {type(exc).__name__}: {exc} "
                       "(run with --debug for the traceback)", err=True)
            sys.exit(1)


class DemoScale(click.ParamType[float]):
    """A demo city's size: above 0, at most 20 (scale 10, 1.2 M addresses, took 2.8 GB and
    five minutes; 1e9 ran until the machine gave out), a number (nan passed a range's checks:
    comparisons with it are false)."""

    name = "scale"
    MAX = 20.0

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        import math

        try:
            scale = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not (math.isfinite(scale) and 0 < scale <= self.MAX):
            self.fail(f"{value!r} must be above 0 and at most {self.MAX:g} (1 is a city of "
                      "60,000 parcels; 0.01 for tests)", param, ctx)
        return scale


@click.group(cls=GisGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Hromada GIS: a city's registries on PostGIS, served over OGC API.

    Without GIS_DATABASE_URL every command starts its own PostgreSQL + PostGIS cluster in
    GIS_DATA_DIR (default ~/.local/share/hromada-gis, or /var/lib/hromada-gis as root) and
    stops it when done; beside a running `gis serve` it uses that server's database instead.
    Read-only commands (lists, exports, dry runs) never change the schema.
    """
    ctx.obj = {"debug": debug}
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not debug:  # pygeoapi's generic provider warns about every DATE column it meets
        logging.getLogger("pygeoapi").setLevel(logging.ERROR)
        # GDAL's and GEOS's remarks on a file's odd features ("Non closed ring detected");
        # the import reports each such row itself, with its number
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"(pyogrio|shapely)")
        warnings.filterwarnings("ignore", category=UserWarning, module=r"pyogrio")


def load_settings() -> Settings:
    import os

    from gis.settings import settings_problem

    try:
        return Settings()
    except Exception as exc:  # a validation error: named by the variables, not pydantic's text
        raise EnvironmentProblem(f"invalid settings: {settings_problem(exc, dict(os.environ))}"
                                 ) from None


@main.command()
@click.option("--host", help="Address to listen on [GIS_HOST, default 127.0.0.1].")
@click.option("--port", type=click.IntRange(1, 65535),
              help="Port to listen on [GIS_PORT, default 8000].")
@click.option("--demo", is_flag=True,
              help="Load the demo city first if the registries are empty.")
@click.option("--scale", type=DemoScale(), default=1.0, show_default=True,
              help="Demo city size (1.0 = Khmelnytskyi's order of magnitude).")
def serve(host: str | None, port: int | None, demo: bool, scale: float) -> None:
    """Serve the geoportal and the OGC API over HTTP until Ctrl-C or SIGTERM.

    Starts the embedded database when GIS_DATABASE_URL is unset, migrates it, and stops it
    cleanly on exit.
    """
    import uvicorn

    from app.factory import create_app
    from app.runtime import database, lock_holder
    from gis.cluster import port_is_free
    from gis.db import check_pool_size, open_pool
    from gis.startup_lock import startup_lock
    from registries.catalog import default_catalog

    settings = load_settings()
    if host:
        settings.host = host
    if port:
        settings.port = port
    if not port_is_free(settings.host, settings.port):
        raise EnvironmentProblem(f"port {settings.port} on {settings.host} is already in use; "
                                 "stop the other server or set GIS_PORT to a free port")
    catalog = default_catalog()
    holder = lock_holder(settings.data_dir) if settings.database_url is None else None
    if holder is not None:  # commands may share a running server's database; servers do not
        raise EnvironmentProblem(f"another Hromada GIS server (pid {holder}) is using data "
                                 f"folder {settings.data_dir}; stop it or set GIS_DATA_DIR to "
                                 "another folder")
    with stop_on_signals():
        with database(settings) as url:
            if demo:  # one instance loads it; others started with it wait, then find it
                with startup_lock(url, say=lambda line: click.echo(line, err=True)):
                    _load_demo_if_empty(url, settings, scale)
            check_pool_size(url, settings.pool.max_size)
            pool = open_pool(url, min_size=settings.pool.min_size,
                             max_size=settings.pool.max_size, timeout_s=settings.pool.timeout_s,
                             queue_s=settings.pool.queue_s)
            if settings.database.replica_urls:
                from app.replica_pools import with_replicas

                # a RoutedPool has the parts of a ConnectionPool the app uses (gis.replicas)
                pool = cast("ConnectionPool", with_replicas(pool, url, settings))
            app = create_app(settings, url, pool, catalog, settings.data_dir / "runtime")
            click.echo(f"Hromada GIS serving on {settings.base_url}/ (tile cache: "
                       f"{settings.tile_cache_kind}; Ctrl-C to stop)", err=True)
            server = uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port,
                                                   log_level="warning", lifespan="on",
                                                   timeout_graceful_shutdown=10,
                                                   timeout_keep_alive=settings.keep_alive_s))
            server.run()  # uvicorn drains requests on SIGINT/SIGTERM, then re-raises the signal
            pool.close()
    click.echo("stopped", err=True)


class _Stop(Exception):
    """Raised by the SIGINT/SIGTERM handler so that every ``with`` block cleans up."""


@contextlib.contextmanager
def stop_on_signals(work: bool = False) -> Iterator[None]:
    """Turn the first SIGINT/SIGTERM into a clean unwind (pool closed, cluster stopped).

    Later signals are ignored so that a second Ctrl-C cannot interrupt the database's
    shutdown halfway and leave a postgres process behind. For ``work`` (a seed, an export:
    not the server, for which a signal is the normal end) the unwound command then says it
    was interrupted and exits as the signal would (130, 143): it ended with status 0 and no
    word, as if the work were done.
    """
    def handler(signum: int, frame: object) -> None:
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, signal.SIG_IGN)
        raise _Stop(signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except _Stop as stop:
        if work:
            click.echo("interrupted", err=True)
            sys.exit(128 + int(stop.args[0]))
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _load_demo_if_empty(url: str, settings: Settings, scale: float) -> None:
    import psycopg

    from registries.catalog import default_catalog
    from registries.queries import is_empty

    with psycopg.connect(url) as conn:
        if not is_empty(conn, default_catalog()):
            return
    _load_demo(url, settings, scale=scale, seed=68, today=None)


def _load_demo(url: str, settings: Settings, *, scale: float, seed: int,
               today: date | None) -> dict[str, int]:
    import psycopg

    from app.demo.load import demo_place, load_demo
    from app.progress import Progress

    progress = Progress("demo")
    city = settings.city
    with psycopg.connect(url) as conn:
        counts = load_demo(conn, scale=scale, seed=seed, today=today, srid=city.storage_srid,
                           progress=progress, place=demo_place(city.storage_srid, city.extent))
        conn.commit()
    progress.close()
    click.echo("demo city: " + ", ".join(f"{k} {v}" for k, v in counts.items()), err=True)
    return counts


@main.command()
@click.option("--scale", type=DemoScale(), default=1.0, show_default=True,
              help="City size: 1.0 ≈ 113,000 addresses and 60,000 parcels; 0.01 for tests.")
@click.option("--seed", type=int, default=68, show_default=True, help="Random seed.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]),
              help="Date the permit terms are relative to [default: today].")
@click.option("--replace", is_flag=True, help="Empty the registries first.")
def demo(scale: float, seed: int, today: Any, replace: bool) -> None:
    """Generate the demo city (deterministic for a seed and date) into the database."""
    import psycopg
    from psycopg import sql

    from app.runtime import database
    from registries.catalog import default_catalog
    from registries.queries import is_empty

    settings = load_settings()
    catalog = default_catalog()
    with database(settings) as url:
        with psycopg.connect(url) as conn:
            if replace:
                tables = sql.SQL(", ").join(sql.Identifier(r.schema, r.table) for r in catalog)
                conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(tables))
                conn.commit()
            elif not is_empty(conn, catalog):
                raise GisError("the registries already hold data; use --replace to start over")
        _load_demo(url, settings, scale=scale, seed=seed, today=today.date() if today else None)


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema and refresh derived views and triggers.

    Beside a running server (same GIS_DATA_DIR) it migrates the server's database.
    """
    from app.runtime import upgrade_database

    where = upgrade_database(load_settings())
    click.echo(f"database is up to date ({where})", err=True)


@main.group()
def config() -> None:
    """Generated configuration files."""


@config.command("pygeoapi")
def config_pygeoapi() -> None:
    """Print pygeoapi-config.yml as generated from the registry declarations."""
    from ogc.config import pygeoapi_config, render
    from registries.catalog import default_catalog

    settings = load_settings()
    click.echo(render(pygeoapi_config(default_catalog(), settings.city, settings.open_data,
                                      settings.max_items)), nl=False)


@main.group()
def tiles() -> None:
    """Vector tiles: seed the cache, export PMTiles/MBTiles archives."""


def _tile_box(bbox: str | None, settings: Settings) -> tuple[float, float, float, float]:
    """Return the EPSG:3857 box of ``--bbox`` (lon/lat) or of the city's extent."""
    from app.tile_grids import lonlat_box
    from gis.crs import transform_bbox

    if not bbox:
        return transform_bbox(settings.city.extent, settings.city.storage_srid, 3857)
    return transform_bbox(lonlat_box(bbox), "OGC:CRS84", 3857)


def _zooms(min_zoom: int, max_zoom: int, settings: Settings) -> None:
    from gis.errors import InvalidParameter

    if not 0 <= min_zoom <= max_zoom <= settings.tiles.max_zoom:
        raise InvalidParameter(f"zooms {min_zoom}–{max_zoom} must lie within "
                               f"0–{settings.tiles.max_zoom} (GIS_TILES__MAX_ZOOM), low first")


TILE_OPTIONS = [
    click.option("--source", "source_id", default="city", show_default=True,
                 help="A map ('city': every public layer) or a collection id."),
    click.option("--bbox", help="min_lon,min_lat,max_lon,max_lat [default: the city extent]."),
    click.option("--min-zoom", type=int,
                 help="[default: 12; in a UCS-2000 grid its tile matrix 2, 1:100 000]"),
    click.option("--max-zoom", type=int,
                 help="[default: 16; in a UCS-2000 grid its tile matrix 6, 1:5 000]"),
    click.option("--tms", "tms_id", default="WebMercatorQuad", show_default=True,
                 help="Tile matrix set: WebMercatorQuad or the UCS-2000 grid (e.g. UCS2000TM9, "
                      "zooms are its tile matrices 0–9)."),
]


def _tile_options(fn: Any) -> Any:
    for option in reversed(TILE_OPTIONS):
        fn = option(fn)
    return fn


@tiles.command("seed")
@_tile_options
@click.option("--workers", type=click.IntRange(1, 16), default=2, show_default=True,
              help="Tiles rendered at once (database connections), 1–16.")
def tiles_seed(source_id: str, bbox: str | None, min_zoom: int | None, max_zoom: int | None,
               tms_id: str, workers: int) -> None:
    """Render the tiles of a box and zoom range into the tile cache.

    Resumable: tiles already cached are skipped, so an interrupted run continues where it
    stopped. Edits made while seeding still drop the tiles they touch.
    """
    import psycopg

    from app.progress import Progress
    from app.runtime import database
    from app.tile_grids import default_zooms, seed_grid
    from app.tile_server import tile_parts
    from registries.catalog import default_catalog
    from tiles.seed import seed

    settings = load_settings()
    min_zoom, max_zoom = default_zooms(tms_id, min_zoom, max_zoom)
    grid, box = seed_grid(settings, tms_id, bbox, min_zoom, max_zoom)
    if grid is None:
        _zooms(min_zoom, max_zoom, settings)
        box = _tile_box(bbox, settings)
    if settings.tiles.cache == "none":
        raise EnvironmentProblem("GIS_TILES__CACHE=none: there is no cache to seed")
    with stop_on_signals(work=True), database(settings, read_only=True) as url:
        sources, queries, cache, invalidator = tile_parts(settings, default_catalog(), url)
        sources.get(source_id)
        progress = Progress("seed")
        if invalidator is not None:
            invalidator.start()
        try:
            report = seed(queries, cache, invalidator, lambda: psycopg.connect(url), source_id,
                          box, min_zoom, max_zoom, workers=workers, progress=progress, grid=grid)
        finally:
            if invalidator is not None:
                invalidator.stop()
        progress.close()
        click.echo(f"seeded {source_id}: {report.rendered} rendered, {report.empty} empty, "
                   f"{report.cached} already cached ({report.bytes / 1e6:.1f} MB)", err=True)


@tiles.command("export")
@_tile_options
@click.option("--pmtiles", "pmtiles_path", type=click.Path(dir_okay=False),
              help="Write a PMTiles v3 archive here.")
@click.option("--mbtiles", "mbtiles_path", type=click.Path(dir_okay=False),
              help="Write an MBTiles 1.3 file here.")
def tiles_export(source_id: str, bbox: str | None, min_zoom: int | None,
                 max_zoom: int | None, tms_id: str, pmtiles_path: str | None,
                 mbtiles_path: str | None) -> None:
    """Export the tiles of a box and zoom range as PMTiles and/or MBTiles for offline use.

    Cached tiles are reused, missing ones rendered; empty tiles are left out.
    """
    from pathlib import Path

    import psycopg

    from app.cli_export import written
    from app.progress import Progress
    from app.runtime import database
    from app.tile_grids import default_zooms, export_grid
    from app.tile_server import tile_parts
    from gis.crs import transform_bbox
    from gis.errors import InvalidParameter
    from registries.catalog import default_catalog
    from tiles import documents
    from tiles.export import collect, write_mbtiles, write_pmtiles
    from tiles.service import TileService

    if not pmtiles_path and not mbtiles_path:
        raise InvalidParameter("name an output: --pmtiles FILE and/or --mbtiles FILE")
    export_grid(tms_id)
    min_zoom, max_zoom = default_zooms(tms_id, min_zoom, max_zoom)
    settings = load_settings()
    _zooms(min_zoom, max_zoom, settings)
    box = _tile_box(bbox, settings)
    with stop_on_signals(work=True), contextlib.ExitStack() as outputs, \
            database(settings, read_only=True) as url:
        # each archive is written to a temporary file renamed into place when complete (a
        # device or a pipe is copied to; - is standard output): an export cut short leaves
        # no half of one, and a target that cannot be written is refused before the work
        pmtiles = pmtiles_path and outputs.enter_context(
            written(Path(pmtiles_path), f"{source_id}.pmtiles", "--pmtiles"))
        mbtiles = mbtiles_path and outputs.enter_context(
            written(Path(mbtiles_path), f"{source_id}.mbtiles", "--mbtiles"))
        sources, queries, cache, invalidator = tile_parts(settings, default_catalog(), url)
        source = sources.get(source_id)
        if invalidator is not None:
            invalidator.catch_up()  # the cache must not hand out tiles older than the data
        progress = Progress("export")
        found = collect(queries, cache, lambda: psycopg.connect(url), source_id, box,
                        min_zoom, max_zoom, progress)
        progress.close()
        svc = TileService(sources, queries, cache, None, None, settings.base_url,
                          settings.tiles.max_zoom, 0, settings.city.extent,
                          settings.city.storage_srid)
        lonlat = transform_bbox(box, 3857, "OGC:CRS84")
        meta = {"name": source.title["uk"], "description": source.title["en"],
                "attribution": "© Hromada GIS, CC BY 4.0",
                "vector_layers": documents.vector_layers(svc, source)}
        if pmtiles:
            write_pmtiles(pmtiles, found, lonlat, meta)
        if mbtiles:
            write_mbtiles(mbtiles, found, lonlat, meta)
    size = sum(len(v) for v in found.values())
    click.echo(f"exported {len(found)} tiles of {source_id} ({size / 1e6:.1f} MB gzip) to "
               + " and ".join(p for p in (pmtiles_path, mbtiles_path) if p), err=True)


def _add_user_commands() -> None:
    from app.cli_users import tokens as tokens_group
    from app.cli_users import users as users_group

    main.add_command(users_group)
    main.add_command(tokens_group)


_add_user_commands()


def _add_registry_commands() -> None:
    from app.cli_registry import db_revision, registry

    main.add_command(registry)
    db.add_command(db_revision)


_add_registry_commands()


def _add_extract_commands() -> None:
    from app.cli_extract import extract

    main.add_command(extract)


_add_extract_commands()


def _add_qgis_commands() -> None:
    from app.cli_qgis import qgis_project

    main.add_command(qgis_project)


_add_qgis_commands()


def _add_operations_commands() -> None:  # backups and the system service (docs/operations.md)
    from app.cli_backup import backup, restore
    from app.cli_service import service

    main.add_command(backup)
    main.add_command(restore)
    main.add_command(service)


_add_operations_commands()


def _add_ingest_commands() -> None:
    from app.cli_export import export
    from app.cli_ingest import ingest

    main.add_command(ingest)
    main.add_command(export)


_add_ingest_commands()
def _add_raster_commands() -> None:
    from app.cli_rasters import raster

    main.add_command(raster)


_add_raster_commands()
def _add_holder_commands() -> None:
    from app.cli_holders import quality, users_department, users_verifier, verify
    from app.cli_users import users as users_group

    users_group.add_command(users_department)
    users_group.add_command(users_verifier)
    main.add_command(verify)
    main.add_command(quality)


_add_holder_commands()


if __name__ == "__main__":
    main()
