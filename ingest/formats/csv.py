"""CSV with coordinates: lon/lat columns, X/Y in a plane CRS, or a WKT column.

:class:`TableSource` finds the geometry's columns of any table (the spreadsheet reader,
``ingest.formats.xlsx``, is one too); :class:`CsvSource` reads the text.

Councils' spreadsheets come in UTF-8 (with or without BOM) or cp1251, separated by commas or
semicolons (the latter with decimal commas), with Ukrainian or English headers. In Ukrainian
geodesy X is the northing: X/Y columns whose magnitudes say so are read that way (and the
report says it).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import CRS

from gis.errors import InvalidFile
from gis.params import shown
from ingest.readers import Record, Source, guess_encoding

WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "shape", "геометрія")
LON_NAMES = ("lon", "lng", "long", "longitude", "довгота")
LAT_NAMES = ("lat", "latitude", "широта")
X_NAMES = ("x", "x_ucs2000", "easting", "east")
Y_NAMES = ("y", "y_ucs2000", "northing", "north")
CRS_NAMES = ("crs", "srid", "epsg")
csv.field_size_limit(64 << 20)  # a WKT polygon of a large parcel is one long field


def _norm(name: str) -> str:
    return name.strip().lower().lstrip("\ufeff")


def number(text: str | float) -> float:
    """Return a number written with a decimal point or comma, spaces as thousands (or one
    a spreadsheet's cell holds already).

    >>> number("49,4216"), number(" 5 476 633.12 "), number(27)
    (49.4216, 5476633.12, 27.0)
    >>> number("1e400")
    Traceback (most recent call last):
    ...
    ValueError: '1e400' is not a finite number
    """
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = float(text)
    else:
        t = str(text).strip().replace("\u00a0", "").replace(" ", "")
        if "," in t and "." not in t:
            t = t.replace(",", ".")
        try:
            value = float(t)
        except ValueError:
            raise ValueError(f"{shown(text)} is not a number") from None
    if not math.isfinite(value):  # "nan", "inf", or past 1e308: no coordinate
        raise ValueError(f"{shown(text)} is not a finite number")
    return value


@dataclass
class TableSource(Source):
    """A table whose geometry is in columns: WKT, lon/lat, or X/Y in a plane CRS."""

    kind: str = "none"  # wkt | lonlat | xy | none
    swap_xy: bool = False

    def _column(self, names: tuple[str, ...]) -> str | None:
        by_norm = {_norm(f): f for f in self.fields}
        return next((by_norm[n] for n in names if n in by_norm), None)

    def _find_geometry(self, first: dict[str, Any]) -> None:
        """Choose the geometry's columns (and the CRS a ``crs`` column or EWKT declares) by
        the columns' names and the ``first`` row's values."""
        wkt, lon, lat = (self._column(WKT_NAMES), self._column(LON_NAMES),
                         self._column(LAT_NAMES))
        x, y, crs_col = self._column(X_NAMES), self._column(Y_NAMES), self._column(CRS_NAMES)
        code = first.get(crs_col) if crs_col and first else None
        if isinstance(code, float) and code.is_integer():  # a spreadsheet's number cell
            code = int(code)
        declared = _crs_value(str(code or "")) if code else None
        if code and declared is None:  # --crs overrides it; without, the refusal names it
            self.crs_hint = f"its column {crs_col} names {str(code)[:40]!r}, no CRS PROJ knows"
        if wkt:
            self.kind, self.geometry_columns = "wkt", (wkt,)
            ewkt = re.match(r"\s*SRID=(\d+);", str(first.get(wkt) or "") if first else "")
            self.crs = _crs_value(ewkt.group(1)) if ewkt else declared
            if ewkt and self.crs is None:
                self.crs_hint = (f"its column {wkt} names SRID={ewkt.group(1)[:20]}, no CRS "
                                 "PROJ knows")
        elif x and y and (declared is not None or not (lon and lat)):
            self.kind, self.geometry_columns = "xy", (x, y)
            self.crs = declared
            try:
                xv, yv = number(first[x]), number(first[y])
                # Ukrainian geodesy: X northing (millions of metres), Y easting
                self.swap_xy = abs(xv) > 1_000_000 > abs(yv) or (44 <= xv <= 53 and 22 <= yv <= 41)
            except (KeyError, ValueError, TypeError):
                self.swap_xy = False
            if self.swap_xy:
                self.notes.append(f"columns {x}/{y} read as northing/easting (X = northing, "
                                  "as Ukrainian surveys write it)")
        elif lon and lat:
            self.kind, self.geometry_columns = "lonlat", (lon, lat)
            self.crs = declared or CRS.from_epsg(4326)
        elif not _readable(self.fields):  # a wrong --encoding: reading the rows says so
            self.notes.append("no coordinate or WKT columns: rows have no geometry")
            return
        else:  # every registry's objects have a geometry: no CRS could help
            raise InvalidFile(
                f"{self.display}: no geometry column: a WKT column (wkt, geometry), or lon/lat "
                f"(or x/y) columns; its columns: {', '.join(self.fields[:30])}"
                + (f" … ({len(self.fields)} in all)" if len(self.fields) > 30 else ""),
                file=self.display)
        self.notes.append("the geometry is read from column" + (
            f" {self.geometry_columns[0]} (WKT)" if self.kind == "wkt" else
            f"s {'/'.join(self.geometry_columns)}"))

    def _record(self, row: int, values: dict[str, Any]) -> Record:
        """Return the row's record, its geometry read from the geometry's columns (what
        cannot be read is the row's ``__geometry_error__``)."""
        from shapely import wkt as shapely_wkt
        from shapely.geometry import Point

        geometry = None
        try:
            if self.kind == "wkt":
                text = str(values.get(self.geometry_columns[0]) or "").strip()
                text = re.sub(r"^\s*SRID=\d+;", "", text)
                with np.errstate(invalid="ignore"):  # "nan": the import's checks name it
                    geometry = shapely_wkt.loads(text).wkb if text else None
            elif self.kind in ("xy", "lonlat"):
                a, b = (values.get(c) for c in self.geometry_columns)
                a, b = ("" if v is None else v for v in (a, b))
                if str(a).strip() and str(b).strip():
                    xv, yv = (_coordinate(v, c) for v, c in zip((a, b), self.geometry_columns,
                                                                  strict=True))
                    if self.swap_xy:
                        xv, yv = yv, xv
                    geometry = Point(xv, yv).wkb
        except CoordinateProblem as exc:
            values["__geometry_error__"] = str(exc)
        except Exception as exc:
            values["__geometry_error__"] = (
                f"column {'/'.join(self.geometry_columns)}: "
                f"{str(exc).splitlines()[0][:200]}")
        return Record(row, values, geometry)


class CoordinateProblem(ValueError):
    """A coordinate column's value that is no number (the message names the column)."""


def _coordinate(value: Any, column: str) -> float:
    """Return ``value`` of coordinate ``column`` as a number, or say which column is wrong.

    >>> _coordinate("abc", "x")
    Traceback (most recent call last):
    ...
    ingest.formats.csv.CoordinateProblem: column x: 'abc' is not a number
    """
    try:
        return number(value)
    except ValueError as exc:
        raise CoordinateProblem(f"column {column}: {exc}") from None


@dataclass
class CsvSource(TableSource):
    """A CSV file read row by row (never whole)."""

    delimiter: str = ","
    directive: bool = False  # the file begins with Excel's "sep=;" line (not a header)

    @classmethod
    def open(cls, path: Path, display: str, encoding: str | None) -> CsvSource:
        with path.open("rb") as f:
            head = f.read(1 << 20)
        if encoding is None:
            if head.startswith(b"\xef\xbb\xbf"):
                encoding = "utf-8-sig"
            elif head.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
                encoding = "utf-16"
            else:
                encoding = guess_encoding(head) or "utf-8"
        try:
            text = head.decode(encoding, errors="replace")
        except UnicodeError as exc:  # UTF-16 without its byte-order mark …
            raise InvalidFile(f"{display}: not {encoding} text ({exc}); pass --encoding",
                              file=display) from None
        # Excel's own hint, a first line "sep=;": its delimiter, and no header of the file's
        directive = re.match(r"\ufeff?sep=([^\r\n])[ \t]*(?:\r\n|\n|\r)", text, re.I)
        if directive:
            text = text[directive.end():]
        # the sniffer splits lines at \n only: an old Mac's lone \r made the sample one line,
        # and the decimal commas of "27,0;49,42" outnumbered its semicolons
        sample = re.sub(r"\r\n?", "\n", text[:65536])
        try:
            if directive:
                delimiter = directive.group(1)
            else:
                delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        except csv.Error:
            first = sample.split("\n", 1)[0]
            delimiter = ";" if first.count(";") > first.count(",") else ","
        try:  # newline="": csv itself reads \r\n, \n and a lone \r (old Mac Excel)
            header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), None)
        except csv.Error as exc:
            raise InvalidFile(f"{display}: line 1: {exc}", file=display, row=1) from None
        if not header or not any(h.strip() for h in header):
            raise InvalidFile(f"{display}: the CSV has no header row", file=display)
        fields = [h.strip().lstrip("\ufeff") for h in header]
        source = cls(path=path, display=display, format="CSV", layer=None, crs=None,
                     fields=fields, encoding=encoding, delimiter=delimiter,
                     directive=directive is not None)
        if encoding not in ("utf-8", "utf-8-sig"):
            source.notes.append(f"the CSV's text reads as {encoding}")
        source._find_geometry(source._first_row(text))
        return source

    def _first_row(self, sample: str) -> dict[str, str]:
        """Return the first data row, its cells as text ("" for a short row). The sample may
        end inside a row (a long WKT, an unclosed quote): what it holds is taken."""
        reader = csv.DictReader(io.StringIO(sample, newline=""), fieldnames=self.fields,
                                delimiter=self.delimiter, restval="")
        try:
            next(reader, None)
            row = next(reader, None) or {}
        except csv.Error:
            return {}
        return {k: v for k, v in row.items() if isinstance(k, str) and isinstance(v, str)}

    def records(self) -> Iterator[Record]:
        with self.path.open(encoding=self.encoding, newline="", errors="strict") as f:
            reader = csv.reader(f, delimiter=self.delimiter)
            try:
                if self.directive:
                    next(reader, None)
                next(reader, None)
                for row, cells in enumerate(reader, 1):
                    if not any(c.strip() for c in cells):
                        continue
                    values: dict[str, Any] = dict(zip(self.fields, cells, strict=False))
                    # a short row's missing cells are empty values (tools drop trailing empty
                    # cells); a long row's extra ones would be lost, and they usually mean a
                    # delimiter inside an unquoted value ("вул. Тиха; 5")
                    if any(c.strip() for c in cells[len(self.fields):]):
                        values["__problems__"] = [(None, self._long_row(cells))]
                    yield self._record(row, values)
            except UnicodeError as exc:
                reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
                raise InvalidFile(f"{self.display}: line {reader.line_num + 1} is not "
                                  f"{self.encoding} text ({reason}); pass --encoding",
                                  file=self.display, row=reader.line_num) from None
            except csv.Error as exc:
                raise InvalidFile(f"{self.display}: line {reader.line_num}: {exc}",
                                  file=self.display, row=reader.line_num) from None

    def _long_row(self, cells: list[str]) -> str:
        """Return the problem of a row with more cells than the header names.

        >>> source = CsvSource(Path("x.csv"), "x.csv", "CSV", None, None, ["a", "b"],
        ...                    delimiter=";")
        >>> source._long_row(["1", "вул. Тиха", " 5"])  # doctest: +ELLIPSIS
        "has 3 cells; the header names 2: the extra cell ' 5' would be lost (a value ...)"
        """
        extra = cells[len(self.fields):]
        quoted = ", ".join(shown(c) for c in extra[:3]) + (" …" if len(extra) > 3 else "")
        return (f"has {len(cells)} cells; the header names {len(self.fields)}: the extra "
                f"cell{'s' if len(extra) > 1 else ''} {quoted} would be lost (a value holding "
                f"the delimiter {self.delimiter!r} needs quotes)")


def _readable(names: list[str]) -> bool:
    """Return whether column names read as a council's would: Latin or Cyrillic letters,
    digits and punctuation, not what text in another encoding than the one read gives.

    >>> _readable(["Назва", "площа, га"]), _readable(["鷐냐럐닐"]), _readable(["a\ufffd"])
    (True, False, False)
    """
    text = "".join(names)
    return "\ufffd" not in text and all(
        ord(c) < 0x250 or 0x400 <= ord(c) < 0x530 or 0x2000 <= ord(c) < 0x2200 for c in text)


def _crs_value(text: str) -> CRS | None:
    t = text.strip()
    if not t:
        return None
    try:
        return CRS.from_user_input(f"EPSG:{t}" if t.isdigit() else t)
    except Exception:
        return None
