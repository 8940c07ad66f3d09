"""One import from a file, as the CLI (``gis ingest``) and the staff upload page run it:
open → map → resolve the CRS → stage, check, write (``ingest.load``) → reject file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from gis.errors import InvalidParameter
from ingest.crs import parse_crs, resolve
from ingest.load import ImportOptions, Progress, Report, run_import
from ingest.mapping import build_mapping, load_overrides
from ingest.readers import FAST_READ_MAX_FEATURES, Source, open_source
from ingest.rejects import rejects_path, write_rejects
from registries.model import Registry


@dataclass(frozen=True)
class FileOptions:
    """How to read the file: layer, text encoding, CRS, a YAML field mapping."""

    layer: str | None = None
    encoding: str | None = None
    crs: str | None = None
    mapping: Path | None = None
    overrides: dict[str, Any] | None = None  # the mapping's content (the upload page)
    rejects: Path | None = None  # where --on-error skip writes refused rows
    fast_read_max: int = FAST_READ_MAX_FEATURES  # bigger GDAL files stream (constant memory)


def _first_xy(source: Source) -> tuple[float, float] | None:
    import shapely

    for rec in source.records():
        if rec.geometry:
            coords = shapely.get_coordinates(shapely.from_wkb(rec.geometry))
            if len(coords):
                return float(coords[0][0]), float(coords[0][1])
        if rec.row > 50:
            return None
    return None


def import_file(conn: psycopg.Connection, reg: Registry, path: Path, files: FileOptions,
                opts: ImportOptions, *, transforms: dict[str, str] | None = None,
                progress: Progress | None = None, display: str | None = None) -> Report:
    """Import (or dry-run) ``path`` into ``reg``; the caller commits. With ``--on-error skip``
    and refused rows, the rejects are written after the import."""
    overrides = files.overrides if files.overrides is not None else load_overrides(files.mapping)
    layer = files.layer
    if layer is None and reg.id == "cadastral_quarters" and path.suffix.lower() == ".xml":
        layer = "quarters"  # an exchange file's quarters, not its parcels
    with open_source(path, layer=layer, encoding=files.encoding, display=display,
                     fast_read_max=files.fast_read_max, feature_ids=opts.keep_ids) as source:
        given = parse_crs(files.crs) if files.crs else None
        sample = _first_xy(source) if given is None and source.crs is None else None
        crs = resolve(source.crs, given, opts.storage_srid, source.display, transforms or {},
                      sample, source.crs_hint, in_postgis=lambda code: conn.execute(
                          "SELECT EXISTS (SELECT 1 FROM spatial_ref_sys WHERE srid = %s)",
                          (code,)).fetchone() == (True,))
        columns = [c for c in source.fields if c not in source.geometry_columns]
        mapping = build_mapping(reg, columns, overrides,
                                drawing=source.format == "DXF", keep_ids=opts.keep_ids,
                                display=source.display)
        target = files.rejects or rejects_path(source, path)
        if opts.on_error == "skip" and not opts.dry_run:
            _check_writable(target)  # before the import, not after its work
        # one transaction holds the write and the reject file: on a connection with none
        # open, the import's own transaction committed before the rejects were written, and
        # a reject file that failed left the valid rows imported and the refused ones lost
        with conn.transaction():
            report = run_import(conn, reg, source, mapping, crs, opts, progress)
            if crs.note:
                report.notes.insert(0, crs.note)
            if report.rejected_rows and not opts.dry_run and report.written:
                try:
                    write_rejects(source, report.rejected_rows, target)
                except Exception as exc:  # noqa: BLE001 - GDAL and the OS fail many ways
                    why = getattr(exc, "strerror", None) or exc
                    raise InvalidParameter(f"cannot write the reject file {target}: {why}; "
                                           "nothing was imported") from None
                report.notes.append(f"{report.rejected} refused row(s) written to {target}")
    return report


def _check_writable(target: Path) -> None:
    """Refuse a reject file that could not be written, naming why."""
    import os

    folder = target.parent
    if not folder.is_dir():
        raise InvalidParameter(f"the reject file {target} cannot be written: the folder "
                               f"{folder} does not exist (--rejects names another place)")
    if not os.access(folder, os.W_OK) or target.is_dir():
        raise InvalidParameter(f"the reject file {target} cannot be written here "
                               "(--rejects names another place)")
