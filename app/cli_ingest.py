"""``gis ingest FILE --registry NAME``: a council's file into a registry (dry run first).

Added to the ``gis`` command by ``app.cli``. Works beside a running server (its database);
a dry run never changes anything, the schema included.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

import click

from gis.text import printable
from ingest.load import MODES, ON_ERROR, Report


def render_report(report: Report) -> str:
    """Return the report as people read it in a terminal."""
    lines = [f"{'dry run: ' if report.dry_run else ''}{report.file} ({report.format}"
             + (f", layer {report.layer}" if report.layer else "")
             + (f", {report.encoding}" if report.encoding else "")
             + f", {report.crs}) → {report.registry}, mode {report.mode}"]
    lines += [f"  note: {n}" for n in report.notes]
    lines.append(f"  {report.rows} row(s); geometry: " + (", ".join(
        f"{k} {v}" for k, v in sorted(report.geometry_types.items())) or "none"))
    if report.extent_lonlat:
        lines.append("  extent (lon/lat): " + ", ".join(f"{v:.5f}" for v in report.extent_lonlat))
    lines.append("  mapping: " + ", ".join(
        f"{m['field']} ← {m['column'] if m['column'] is not None else repr(m.get('value'))}"
        + (f" ({m['how']})" if m["how"] not in ("name",) else "") for m in report.mapping))
    if report.ignored_columns:
        lines.append("  columns not imported: " + ", ".join(report.ignored_columns))
    if report.missing_fields:
        lines.append("  fields the file does not fill: " + ", ".join(report.missing_fields))
    if report.repaired:
        lines.append(f"  repaired geometries (ST_MakeValid): {report.repaired}")
    for p in report.problems:  # a message may quote the file's own text: one line each
        lines.append(f"  {p.severity:7} {p.rule:24} {printable(p.message)}")
    shown = len(report.problems)
    total = sum(report.problem_counts.values())
    if total > shown:
        lines.append(f"  … {total - shown} more; by rule: " + ", ".join(
            f"{r} {n}" for r, n in report.problem_counts.items()))
    verb = "would be" if report.dry_run else ""
    if report.refused:
        lines.append(f"  {report.blocking} row(s) refused: nothing {verb or 'was'} written "
                     "(fix them, or --on-error skip imports the others)")
    else:
        lines.append(f"  {'would insert' if report.dry_run else 'inserted'} {report.inserted}, "
                     f"{'update' if report.dry_run else 'updated'} {report.updated}, "
                     f"unchanged {report.unchanged}, "
                     f"{'delete' if report.dry_run else 'deleted'} {report.deleted}, "
                     f"{'reject' if report.dry_run else 'rejected'} {report.rejected}")
    rate = f", {report.rows / report.seconds:,.0f} rows/s" if report.seconds else ""
    lines.append(f"  took {report.seconds:.1f} s{rate}")
    return "\n".join(lines)


@click.command("ingest")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--registry", "registry_id", required=True, help="Collection id, e.g. land_parcels.")
@click.option("--dry-run", is_flag=True, help="Report what would happen; write nothing.")
@click.option("--mode", type=click.Choice(MODES), default="append", show_default=True,
              help="append: add every row; upsert: update objects with the same key (cadastral "
                   "number, permit number …), add the others; replace: the registry holds "
                   "exactly the file afterwards.")
@click.option("--on-error", type=click.Choice(ON_ERROR), default="abort", show_default=True,
              help="abort: any refused row stops the import (nothing written); skip: write the "
                   "valid rows and put the others in a reject file with a reason column.")
@click.option("--crs", help="The file's CRS when it has none or a wrong one (EPSG:6383, "
                            "EPSG:4326 …).")
@click.option("--layer", help="Layer of a GeoPackage/KML, drawing layer of a DXF.")
@click.option("--encoding", help="Text encoding (detected when missing: UTF-8, cp1251, cp866).")
@click.option("--mapping", "mapping_path", type=click.Path(exists=True, path_type=Path),
              help="YAML file: fields ← columns, value → code, constants (docs/ingest.md).")
@click.option("--rejects", type=click.Path(path_type=Path),
              help="Where --on-error skip writes refused rows [FILE.rejected.<ext> beside it].")
@click.option("--legacy", is_flag=True,
              help="Legacy data: accept rows that break LEGACY rules (they stay listed among "
                   "the registry's problems).")
@click.option("--repair", is_flag=True, help="Repair invalid geometries with ST_MakeValid.")
@click.option("--keep-ids", is_flag=True,
              help="The file's id column becomes the objects' ids (a whole city's round trip "
                   "keeps references between registries).")
@click.option("--user", "user", help="Author history records [your login name].")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def ingest(path: Path, registry_id: str, dry_run: bool, mode: str, on_error: str,
           crs: str | None, layer: str | None, encoding: str | None, mapping_path: Path | None,
           rejects: Path | None, legacy: bool, repair: bool, keep_ids: bool, user: str | None,
           as_json: bool) -> None:
    """Import PATH (Shapefile, GeoPackage, MapInfo TAB/MIF, GeoJSON, KML, DXF, CSV, an .xlsx or
    .ods workbook, cadastral XML, or a zip of one) into a registry.

    Everything goes through the registry's rules in one transaction: all or nothing, every
    change in history with the author and the file's name. Start with --dry-run.
    """
    import psycopg

    from app.cli import load_settings
    from app.progress import Progress
    from app.runtime import database
    from gis.auth import Principal, Role
    from ingest.job import FileOptions, import_file
    from ingest.load import ImportOptions
    from registries.catalog import default_catalog
    from registries.writes import check_can_edit

    settings = load_settings()
    reg = default_catalog().get(registry_id)
    author = user or getpass.getuser()
    opts = ImportOptions(mode=mode, on_error=on_error, dry_run=dry_run, legacy=legacy,
                         repair=repair, keep_ids=keep_ids, user=author, source_name=path.name,
                         storage_srid=settings.city.storage_srid, extent=settings.city.extent)
    files = FileOptions(layer=layer, encoding=encoding, crs=crs, mapping=mapping_path,
                        rejects=rejects,
                        fast_read_max=settings.ingest.fast_read_max_features)
    progress = Progress("ingest", rate="rows")
    with database(settings, read_only=dry_run, quiet=True) as url, \
            psycopg.connect(url) as conn:
        if user:  # a named author must be a user allowed to edit this registry
            principal = _user_principal(conn, user)
            check_can_edit(reg, principal)
        else:  # the server's shell account: an administrator
            principal = Principal(author, frozenset({Role.ADMIN}))
        report = import_file(conn, reg, path, files, opts,
                             transforms=settings.ingest.transforms, progress=progress)
        conn.commit()
    progress.close()
    click.echo(json.dumps(report.as_dict(), ensure_ascii=False, default=str, indent=1)
               if as_json else render_report(report))
    if report.refused:
        raise SystemExit(2)


def _user_principal(conn: Any, name: str) -> Any:
    from gis.auth import Principal
    from gis.errors import InvalidParameter
    from gis.users import list_users

    for u in list_users(conn):
        if u.name == name:
            if not u.active:
                raise InvalidParameter(f"--user {name}: the user is disabled")
            return u.principal
    return Principal(name, frozenset())  # unknown: check_can_edit refuses with the reason
