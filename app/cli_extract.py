"""``gis extract …``: print a true-scale PDF extract, or check one in the register."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

import click

from gis.auth import ANONYMOUS, Principal, Role

SHEET_OPTIONS = [
    click.option("--scale", default="fit", show_default=True,
                 help="500, 1000, 2000, 5000, 10000, 25000 (or 1:2000), or fit."),
    click.option("--paper", type=click.Choice(["A4", "A3"], case_sensitive=False),
                 default="A4", show_default=True),
    click.option("--orientation", type=click.Choice(["portrait", "landscape"]),
                 default="portrait", show_default=True),
    click.option("--layers", default="",
                 help="Collections drawn besides parcels, buildings, streets and addresses, "
                      "e.g. planning_zones,planning_restrictions."),
    click.option("--personal", is_flag=True,
                 help="Print personal data (staff use; recorded in the register as cli:USER)."),
    click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                 help="PDF file to write [default: extract-<number>.pdf here; - for standard "
                      "output]."),
]


def _sheet_options(fn: Any) -> Any:
    for option in reversed(SHEET_OPTIONS):
        fn = option(fn)
    return fn


def _issue(params: dict[str, str], personal: bool, output: Path | None) -> None:
    import psycopg

    from app.cli import load_settings
    from app.cli_export import written
    from app.extract_params import deployment, parse_extract
    from app.runtime import database
    from extracts.issue import issue_extract
    from registries.catalog import default_catalog

    settings = load_settings()
    req = parse_extract(params, settings.city.storage_srid)
    who = (Principal(f"cli:{getpass.getuser()}", frozenset({Role.ADMIN})) if personal
           else ANONYMOUS)
    with database(settings, quiet=True) as url, psycopg.connect(url) as conn:
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            issued = issue_extract(conn, default_catalog(), req, who, deployment(settings))
            path = output or Path(issued.filename)
            # written inside the transaction: a PDF that cannot be written is no extract, and
            # the register does not keep its number (a file is complete or not there)
            with written(path, path.name or issued.filename) as part:
                part.write_bytes(issued.pdf)
    entry = issued.entry
    click.echo(f"extract {issued.number}: 1:{entry.scale} {entry.paper} {entry.orientation}, "
               f"{len(issued.pdf) / 1000:.0f} kB → {path}", err=True)
    if str(path) != "-":  # standard output holds the PDF then; the number is said above
        click.echo(issued.number)


def _params(scale: str, paper: str, orientation: str, layers: str,
            **target: str | None) -> dict[str, str]:
    out = {"scale": scale, "paper": paper, "orientation": orientation, "layers": layers}
    out.update({k: v for k, v in target.items() if v is not None})
    return out


@click.group()
def extract() -> None:
    """True-scale PDF extracts (викопіювання) in UCS-2000, and their register."""


@extract.command("parcel")
@click.argument("cadastral_number")
@_sheet_options
def extract_parcel(cadastral_number: str, scale: str, paper: str, orientation: str,
                   layers: str, personal: bool, output: Path | None) -> None:
    """Print the parcel CADASTRAL_NUMBER with its boundary-point catalogue."""
    _issue(_params(scale, paper, orientation, layers, parcel=cadastral_number), personal,
           output)


@extract.command("item")
@click.argument("collection")
@click.argument("item_id", type=int)
@_sheet_options
def extract_item(collection: str, item_id: int, scale: str, paper: str, orientation: str,
                 layers: str, personal: bool, output: Path | None) -> None:
    """Print object ITEM_ID of COLLECTION (any registry)."""
    _issue(_params(scale, paper, orientation, layers, collection=collection, id=str(item_id)),
           personal, output)


@extract.command("area")
@click.option("--bbox", help="min_lon,min_lat,max_lon,max_lat (or in --bbox-crs's axis order).")
@click.option("--bbox-crs", help="e.g. EPSG:6383 (northing first) [default: CRS84].")
@click.option("--center", help="lon,lat of the sheet's centre (needs --scale).")
@_sheet_options
def extract_area(bbox: str | None, bbox_crs: str | None, center: str | None, scale: str,
                 paper: str, orientation: str, layers: str, personal: bool,
                 output: Path | None) -> None:
    """Print an area: a box (fitted, or at --scale) or a centre at --scale."""
    from gis.errors import InvalidParameter

    # said in the command's own options (the shared parser speaks of query parameters)
    if not bbox and not center:
        raise InvalidParameter("say what to print: --bbox min_lon,min_lat,max_lon,max_lat "
                               "or --center lon,lat with --scale", parameter="bbox")
    if not bbox and scale.strip().lower() == "fit":
        raise InvalidParameter("--center needs a --scale, e.g. --scale 2000", parameter="scale")
    target = {"bbox": bbox, "bbox-crs": bbox_crs, "center": center}
    _issue(_params(scale, paper, orientation, layers, **target), personal, output)


@extract.command("check")
@click.argument("number")
@click.option("--hash", "given_hash", help="The check sum printed on the sheet.")
def extract_check(number: str, given_hash: str | None) -> None:
    """Say whether extract NUMBER is in the register and what it showed (JSON)."""
    import psycopg

    from app.cli import load_settings
    from app.runtime import database
    from extracts import register
    from registries.catalog import default_catalog

    catalog = default_catalog()
    with database(load_settings(), quiet=True) as url, psycopg.connect(url) as conn:
        entry = register.find(conn, number)
        reg = catalog.get(entry.collection) if entry.collection in catalog.ids else None
        now = (register.current_version(conn, reg.schema, reg.table, entry.object_id)
               if reg is not None and entry.object_id is not None else None)
    doc = register.describe(entry, staff=True, public_registry=reg is None or reg.public,
                            given_hash=given_hash, version_now=now)
    click.echo(json.dumps(doc, ensure_ascii=False, indent=2, default=str))
