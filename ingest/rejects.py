"""The reject file of ``--on-error skip``: the refused rows in the input's own format, with a
``reason`` column, so they can be fixed and imported again.

Shapefile, GeoPackage, GeoJSON, CSV and Excel rejects keep the input's format (a LibreOffice
workbook's are an Excel one, which LibreOffice opens); KML, DXF, MapInfo and
the exchange XML give GeoJSON.
The file is read a second time (streaming), so the rows never sit in memory.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from ingest.readers import Source, _fiona

REASON = "reason"
KEEPS_FORMAT = {"ESRI Shapefile": ".shp", "GPKG": ".gpkg", "GeoJSON": ".geojson"}
# the bytes a DBF text column holds at most: a Shapefile's reason is cut to fit them
DBF_REASON_BYTES = 254
# plain stand-ins for characters of our messages that a code page may lack (cp1251 has no
# "²", cp866 no "…"); NFKC gives most others ("²" → "2", "…" → "...")
PLAIN = {"—": "-", "–": "-", "≤": "<=", "≥": ">=", "×": "x", "°": " deg", "«": '"',
         "»": '"', "“": '"', "”": '"', "‘": "'", "’": "'", "→": "->", "←": "<-", "≈": "~"}


def dbf_reason(reason: str, encoding: str, limit: int = DBF_REASON_BYTES) -> str:
    """Return ``reason`` as a Shapefile's reject file can hold it: every character in
    ``encoding`` (the input's, which the reject file keeps for its column names), those it
    lacks written plainly, and at most ``limit`` bytes in it — the first problems whole
    where they fit, the rest counted.

    GDAL dropped a character the encoding lacks ("450.0 m²" became "450.0 m") and cut a
    longer reason at the column's width, mid-word, without saying more was there.

    >>> dbf_reason("area 450.0 m² (now 0.0 m²)", "cp1251")
    'area 450.0 m2 (now 0.0 m2)'
    >>> dbf_reason("row 3: a…; row 3, field x: b; row 3, field y: c", "cp866", limit=30)
    'row 3: a...; ...(2 more)'
    >>> cut = dbf_reason("ї" * 300, "utf-8"); len(cut.encode()), cut[-2:]
    (253, 'ї…')
    """
    problems = [_encodable(p, encoding) for p in reason.split("; ")]
    ellipsis = _encodable("…", encoding)

    def size(text: str) -> int:
        return len(text.encode(encoding))

    kept: list[str] = []
    for i, problem in enumerate(problems):
        rest = len(problems) - i - 1
        tail = f"; {ellipsis}({rest} more)" if rest else ""
        if size("; ".join([*kept, problem]) + tail) <= limit:
            kept.append(problem)
            continue
        more = f"{ellipsis}({len(problems) - i} more)"
        if kept and size("; ".join([*kept, more])) <= limit:
            return "; ".join([*kept, more])
        # the first problem alone is too long (or the count does not fit after the others):
        # cut the text where it must, at a character, and count the problems not shown
        head = "; ".join([*kept, problem])[:limit]  # a character takes a byte at least
        more = f"{ellipsis}({len(problems) - i - 1} more)" if rest else ellipsis
        while head and size(head + more) > limit:
            head = head[:-1]
        return head + more
    return "; ".join(kept)


def _encodable(text: str, encoding: str) -> str:
    """Return ``text`` with each character ``encoding`` lacks written plainly (else "?")."""
    import unicodedata

    try:
        text.encode(encoding)
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for char in text:
        for candidate in (char, PLAIN.get(char, ""), unicodedata.normalize("NFKC", char), "?"):
            try:
                if candidate:
                    candidate.encode(encoding)
                    out.append(candidate)
                    break
            except UnicodeEncodeError:
                continue
    return "".join(out)


def rejects_path(source: Source, original: Path) -> Path:
    """Return where the rejects of ``original`` go: beside it, ``<name>.rejected.<ext>``."""
    driver = getattr(source, "driver", "")
    suffix = KEEPS_FORMAT.get(driver) or {"CSV": ".csv", "XLSX": ".xlsx", "ODS": ".xlsx"}.get(
        source.format, ".geojson")
    stem = original.name.split(".")[0] or "import"
    return original.with_name(f"{stem}.rejected{suffix}")


def write_rejects(source: Source, rows: dict[int, str], target: Path) -> Path:
    """Write the rows numbered in ``rows`` (row → reason) to ``target``; return it."""
    driver = getattr(source, "driver", "")
    if driver in KEEPS_FORMAT and getattr(source, "dates_as_text", False):
        _write_gdal_as_text(source, rows, target, driver)
    elif driver in KEEPS_FORMAT and not getattr(source, "structured", None):
        # (fiona cannot read back a GeoJSON column GDAL calls JSON when it also holds plain
        # text: such rejects are written from the records, arrays and objects kept)
        _write_fiona(source, rows, target, driver)
    elif source.format == "CSV":
        _write_csv(source, rows, target)
    elif source.format in ("XLSX", "ODS"):
        _write_xlsx(source, rows, target)
    else:
        _write_geojson(source, rows, target)
    return target


def _write_fiona(source: Source, rows: dict[int, str], target: Path, driver: str) -> None:
    fiona = _fiona()
    with fiona.open(str(source.path), layer=source.layer, encoding=source.encoding) as src:
        schema = {"geometry": src.schema["geometry"],
                  "properties": {**src.schema["properties"], REASON: "str:254"}}
        if driver == "ESRI Shapefile":  # a Shapefile field holds 254 characters at most
            schema["properties"][REASON] = "str:254"
        else:
            schema["properties"][REASON] = "str"
        parts = (".shp", ".shx", ".dbf", ".prj", ".cpg") if driver == "ESRI Shapefile" else ()
        for suffix in parts:
            target.with_suffix(suffix).unlink(missing_ok=True)
        target.unlink(missing_ok=True)
        # in the input's own encoding: a Shapefile's column name holds 10 bytes, and ten
        # Cyrillic letters in UTF-8 are twenty (GDAL cut one in half, unreadable)
        with fiona.open(str(target), "w", driver=driver, schema=schema, crs=src.crs,
                        encoding=source.encoding or "utf-8") as out:
            for row, feat in enumerate(src, 1):
                reason = rows.get(row)
                if reason is None:
                    continue
                props = dict(feat.properties)
                props[REASON] = (dbf_reason(reason, source.encoding or "utf-8")
                                 if driver == "ESRI Shapefile" else reason)
                out.write(fiona.Feature(geometry=feat.geometry,
                                        properties=fiona.Properties.from_dict(props)))


def _write_gdal_as_text(source: Source, rows: dict[int, str], target: Path,
                        driver: str) -> None:
    """Write the rejects of a file GDAL could not hand over typed (a date of 30 February):
    read as the import read it, every value as text, so the bad value is kept to be fixed."""
    import numpy as np
    import pyogrio
    from pyogrio import raw

    names = [*source.fields, REASON]
    columns: list[list[str | None]] = [[] for _ in names]
    geometries: list[bytes | None] = []
    for batch in source.batches():
        for i, row in enumerate(batch.rows):
            reason = rows.get(row)
            if reason is None:
                continue
            for values, name in zip(columns, source.fields, strict=False):
                value = batch.columns[name][i]
                values.append(None if value is None else str(value))
            columns[-1].append(dbf_reason(reason, "utf-8") if driver == "ESRI Shapefile"
                               else reason)
            geometries.append(batch.geometries[i])
    info = pyogrio.read_info(str(source.path), layer=source.layer)
    for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg") if driver == "ESRI Shapefile" else ():
        target.with_suffix(suffix).unlink(missing_ok=True)
    target.unlink(missing_ok=True)
    raw.write(str(target), np.array(geometries, dtype=object),
              [np.array(c, dtype=object) for c in columns], names, driver=driver,
              geometry_type=info.get("geometry_type") or "Unknown",
              crs=source.crs.to_wkt() if source.crs else None, encoding="utf-8")


def _write_csv(source: Source, rows: dict[int, str], target: Path) -> None:
    delimiter = getattr(source, "delimiter", ",")
    encoding = source.encoding or "utf-8"
    with source.path.open(encoding=encoding, newline="") as f, \
            target.open("w", encoding="utf-8-sig", newline="") as out:
        reader = csv.reader(f, delimiter=delimiter)
        writer = csv.writer(out, delimiter=delimiter)
        if getattr(source, "directive", False):  # Excel's "sep=;" line: not written back
            next(reader, None)  # (Excel would then read the file's UTF-8 as its code page)
        header = next(reader, [])
        writer.writerow([*header, REASON])
        # numbered as CsvSource.records numbers them: an empty line counts (it once did not
        # here, and every reject after one was another row, or none)
        # the reason stands in its own column: a short row is padded to the header's width,
        # and a long row's extra cells (its problem) follow the reason, kept to be fixed
        width = len(header)
        for row, cells in enumerate(reader, 1):
            if row in rows and any(c.strip() for c in cells):
                padded = [*cells[:width], *[""] * (width - len(cells))]
                writer.writerow([*padded, rows[row], *cells[width:]])


def _write_xlsx(source: Source, rows: dict[int, str], target: Path) -> None:
    from datetime import UTC, datetime

    from ingest.formats.xlsx import write_sheet

    kept = ([*(rec.values.get(f) for f in source.fields), rec.row, rows[rec.row]]
            for rec in source.records() if rec.row in rows)
    write_sheet(target, source.layer or "rejected",
                [*((f, "auto") for f in source.fields), ("row", "integer"), (REASON, "text")],
                kept, stamp=datetime.now(UTC))


def _write_geojson(source: Source, rows: dict[int, str], target: Path) -> None:
    import shapely
    from shapely.geometry import mapping

    with target.open("w", encoding="utf-8") as out:
        out.write('{"type": "FeatureCollection", "features": [\n')
        first = True
        for rec in source.records():
            reason = rows.get(rec.row)
            if reason is None:
                continue
            geometry = mapping(shapely.from_wkb(rec.geometry)) if rec.geometry else None
            props = {k: v for k, v in rec.values.items() if not k.startswith("__")}
            feature = {"type": "Feature", "properties": {**props, "row": rec.row,
                                                         REASON: reason},
                       "geometry": geometry}
            out.write(("" if first else ",\n") + json.dumps(feature, ensure_ascii=False,
                                                            default=str))
            first = False
        out.write("\n]}\n")
