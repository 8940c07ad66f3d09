"""The spreadsheet (Office Open XML, ``.xlsx``): open data written row by row for people who
open it in Excel, and a council's workbook (Excel's, or LibreOffice's ``.ods``) read back in
(:class:`SheetSource`).

A CSV is not enough for them: Excel in a Ukrainian locale splits a CSV at semicolons (its list
separator, the decimal one being the comma), so a comma-separated file opens as one column;
and it reads what looks like a date or a number as one — a purpose code ``02.01`` becomes
the 2nd of January, a code ``0012`` becomes 12. In a workbook every cell says what it is:
texts are inline strings (never a formula, whatever they begin with), numbers numbers, dates
dates (shown in the reader's own date format).

The sheet is streamed into the zip as the rows come, so a registry of any size takes the
memory of one row; the same rows and stamp give the same bytes (a download's byte ranges fit
together however often it is written). Excel's limits are kept: 1,048,576 rows, 32,767
characters a cell.

Read, a workbook is a table like a CSV (``ingest.formats.csv.TableSource``): its first row
names the columns, the geometry is in WKT, lon/lat or X/Y columns, and rows are numbered as
Excel numbers them (the header is row 1), so a report's "row 7" is the row a clerk sees.
GDAL reads the cells, typed as Excel typed them.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape

from gis.errors import InvalidFile
from ingest.formats.csv import TableSource
from ingest.readers import Record, column

Kind = Literal["text", "number", "integer", "date", "boolean", "auto"]
MAX_ROWS = 1_048_576  # the header's row included
MAX_CELL = 32_767  # characters
# XML 1.0 cannot carry these; OOXML writes a character it cannot carry as _xHHHH_ (and a
# literal "_xHHHH_" as _x005F_xHHHH_, so that it reads back as written)
# (a carriage return too: XML reads a line's CR LF as LF; Excel writes it _x000D_ as well)
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_ESCAPED = re.compile("_x([0-9A-Fa-f]{4})_")
_PLAIN = re.compile("[^&<>_\x00-\x1f\ufffe\uffff]*")
_EPOCH = date(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug folded in)

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
    'package.core-properties+xml"/></Types>')
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
    'relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/styles" Target="styles.xml"/></Relationships>')
# style 0: plain; 1: a date (built-in format 14: the reader's short date); 2: the bold header
STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="3">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '</cellXfs><cellStyles><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')
WIDTHS = {"text": 24, "number": 14, "integer": 10, "date": 12, "boolean": 8, "auto": 16}
# GDAL holds a sheet's cells in memory: a workbook whose parts unpack to more is refused before
# it is read (a workbook is a zip, and a zip may be a bomb)
MAX_UNPACKED_BYTES = 1 << 30
# what GDAL calls a column whose header cell is empty
_UNNAMED = re.compile(r"Field\d+")


class _ForcedHeaders:
    """GDAL's ``OGR_XLSX_HEADERS=FORCE`` while a workbook is read: row 1 of every sheet names
    its columns, even in a sheet of text cells only.

    The open option ``HEADERS=FORCE`` (GDAL 3.12, through pyogrio) takes effect on a
    workbook's first sheet only: another sheet of text cells was read with its header as data
    (columns ``Field1`` …). The config option holds for every sheet, but GDAL's config options
    belong to the process (pyogrio sets no thread-local ones), and the server imports uploads
    in threads: each read takes it on entering and the last one leaving puts back what was
    there before, so one thread's end never takes it from a read still under way in another.
    Nothing else here reads a workbook through GDAL, and every read of one wants the header.
    """

    KEY = "OGR_XLSX_HEADERS"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._readers = 0
        self._before: Any = None

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        import pyogrio

        with self._lock:
            if self._readers == 0:
                self._before = pyogrio.get_gdal_config_option(self.KEY)
                pyogrio.set_gdal_config_options({self.KEY: "FORCE"})
            self._readers += 1
        try:
            yield
        finally:
            with self._lock:
                self._readers -= 1
                if self._readers == 0:
                    pyogrio.set_gdal_config_options({self.KEY: self._before})


headers_forced = _ForcedHeaders()


class TooManyRows(ValueError):
    """The rows do not fit a worksheet."""


def column_letter(index: int) -> str:
    """Return the letters of the 0-based column ``index``.

    >>> column_letter(0), column_letter(25), column_letter(26), column_letter(16383)
    ('A', 'Z', 'AA', 'XFD')
    """
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_text(value: str) -> str:
    """Return ``value`` as a worksheet string's XML: escaped, at most ``MAX_CELL`` characters,
    characters XML cannot carry written the OOXML way.

    >>> cell_text("a<b & _x0041_\\x01")
    'a&lt;b &amp; _x005F_x0041__x0001_'
    """
    value = value[:MAX_CELL]
    if _PLAIN.fullmatch(value):  # most texts: nothing to escape
        return value
    value = _UNWRITABLE.sub(lambda m: "_x005F_" if m.group() == "_"
                            else f"_x{ord(m.group()):04X}_", value)
    return escape(value)


def _cell(ref: str, kind: Kind, value: Any) -> str:
    if value is None:
        return ""
    if kind == "auto":  # each cell as its value is (a reject file's cells, as they were read)
        kind = ("boolean" if isinstance(value, bool) else "date" if isinstance(value, date)
                else "number" if isinstance(value, int | float | Decimal) else "text")
    if kind == "text":
        text = value if isinstance(value, str) else str(value)
        return (f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{cell_text(text)}'
                "</t></is></c>")
    if kind == "date":
        day = value.date() if isinstance(value, datetime) else value
        return f'<c r="{ref}" s="1"><v>{(day - _EPOCH).days}</v></c>'
    if kind == "boolean":
        return f'<c r="{ref}" t="b"><v>{1 if value else 0}</v></c>'
    if isinstance(value, Decimal):
        if not value.is_finite():
            return ""
        text = format(value, "f")
    elif isinstance(value, int):
        text = str(value)
    else:
        number = float(value)
        if not math.isfinite(number):  # a worksheet has no NaN or infinity
            return ""
        text = repr(number)
    return f'<c r="{ref}"><v>{text}</v></c>'


def write_sheet(target: Path, sheet: str, columns: Sequence[tuple[str, Kind]],
                rows: Iterable[Sequence[Any]], *, stamp: datetime,
                title: str = "") -> int:
    """Write ``rows`` (one value per column, ``None`` for an empty cell) under a bold, frozen,
    filterable header of the ``columns``' names, as the one worksheet ``sheet`` of a workbook
    at ``target``. Return the number of rows written; raise :class:`TooManyRows` past
    Excel's limit (the file is then incomplete: the caller writes to a temporary path).

    >>> import tempfile, zipfile
    >>> from datetime import UTC
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = Path(d) / "t.xlsx"
    ...     n = write_sheet(path, "t", [("code", "text"), ("area", "number")],
    ...                     [("02.01", 1.5), ("0012", None)],
    ...                     stamp=datetime(2024, 1, 2, tzinfo=UTC))
    ...     cells = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    >>> n, '<t xml:space="preserve">0012</t>' in cells, '<c r="B2"><v>1.5</v></c>' in cells
    (2, True, True)
    """
    when = max(stamp, stamp.replace(year=1980, month=1, day=1)).timetuple()[:6]
    letters = [column_letter(i) for i in range(len(columns))]
    last = letters[-1] if letters else "A"
    name = escape(re.sub(r"[\[\]:*?/\\]", "_", sheet)[:31], {'"': "&quot;"})
    quoted = name.replace("'", "''")  # a sheet's name in a reference
    modified = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")

    def entry(zf: zipfile.ZipFile, part: str, text: str) -> None:
        info = zipfile.ZipInfo(part, date_time=when)
        info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
        zf.writestr(info, text.encode())

    count = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        entry(zf, "[Content_Types].xml", CONTENT_TYPES)
        entry(zf, "_rels/.rels", PACKAGE_RELS)
        entry(zf, "docProps/core.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{cell_text(title)}</dc:title>"
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{modified}</dcterms:modified>'
            "</cp:coreProperties>"))
        entry(zf, "xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        entry(zf, "xl/styles.xml", STYLES)
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", date_time=when)
        info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
        with zf.open(info, "w") as out:
            cols = "".join(f'<col min="{i}" max="{i}" width="{WIDTHS[kind]}" customWidth="1"/>'
                           for i, (_, kind) in enumerate(columns, 1))
            header = "".join(f'<c r="{letter}1" s="2" t="inlineStr"><is><t>{cell_text(n)}'
                             "</t></is></c>" for letter, (n, _) in zip(letters, columns,
                                                                       strict=True))
            out.write((
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
                f"<cols>{cols}</cols><sheetData>"
                f'<row r="1">{header}</row>').encode())
            kinds = [kind for _, kind in columns]
            piece: list[str] = []
            for row in rows:
                count += 1
                if count >= MAX_ROWS:
                    raise TooManyRows(f"more than {MAX_ROWS - 1:,} rows: a worksheet holds "
                                      "no more")
                r = count + 1
                piece.append(f'<row r="{r}">' + "".join(
                    _cell(f"{letter}{r}", kind, value)
                    for letter, kind, value in zip(letters, kinds, row, strict=True))
                    + "</row>")
                if len(piece) >= 1000:
                    out.write("".join(piece).encode())
                    piece.clear()
            out.write(("".join(piece) + "</sheetData>"
                       f'<autoFilter ref="A1:{last}{count + 1}"/></worksheet>').encode())
        entry(zf, "xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets>'
            '<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" '
            f'hidden="1">\'{quoted}\'!$A$1:${last}${count + 1}</definedName>'
            "</definedNames></workbook>"))
    return count


def _unescaped(text: str | None) -> str | None:
    """Return a workbook's text with OOXML's escapes (``_xHHHH_``) decoded: GDAL hands them
    over as written.

    >>> _unescaped("a_x000D_\\nb _x005F_x0041_"), _unescaped(None)
    ('a\\r\\nb _x0041_', None)
    """
    if not text or "_x" not in text:
        return text
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


def _when(text: str | None, kind: str) -> date | datetime | None:
    """Return a date cell GDAL wrote as ISO text as a date (or a date and time).

    >>> _when("2024-02-29", "OFTDate"), _when(None, "OFTDate")
    (datetime.date(2024, 2, 29), None)
    """
    if not text:
        return None
    return date.fromisoformat(text[:10]) if kind == "OFTDate" else datetime.fromisoformat(text)


@dataclass
class SheetSource(TableSource):
    """A worksheet of an Excel (``.xlsx``) or LibreOffice (``.ods``) workbook, read through
    GDAL (one sheet: ``--layer`` names it when the workbook has several with data)."""

    values: dict[str, list[Any]] = field(default_factory=dict)  # column → its cells
    total: int = 0

    @classmethod
    def open(cls, path: Path, display: str, layer: str | None) -> SheetSource:
        kind = "ODS" if path.suffix.lower() == ".ods" else "XLSX"
        name = ("a LibreOffice workbook (.ods)" if kind == "ODS"
                else "an Excel workbook (.xlsx)")

        try:
            with zipfile.ZipFile(path) as zf:
                unpacked = sum(info.file_size for info in zf.infolist())
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InvalidFile(f"{display}: cannot be read as {name}: it is not a whole zip "
                              f"package ({exc}); save it again as .xlsx", file=display) from None
        if unpacked > MAX_UNPACKED_BYTES:
            raise InvalidFile(f"{display}: unpacked, the workbook takes {unpacked / 1e6:,.0f} MB "
                              f"(at most {MAX_UNPACKED_BYTES / 1e6:,.0f} MB are read into "
                              "memory); save the sheet as CSV, which is read row by row",
                              file=display)
        try:
            with headers_forced():
                meta, values, chosen = cls._read(path, display, layer)
        except InvalidFile:
            raise
        except Exception as exc:
            reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise InvalidFile(f"{display}: cannot be read as {name}: {reason}; save it "
                              "again as .xlsx", file=display) from None
        fields = [str(f) for f in meta["fields"]]
        unnamed = [f for f in fields if _UNNAMED.fullmatch(f)]
        if not fields or len(unnamed) * 2 >= len(fields):
            named = len(fields) - len(unnamed)
            raise InvalidFile(f"{display}: sheet {chosen}: row 1 names {named} of its "
                              f"{len(fields)} columns; the first row must be the "
                              "header (the columns' names): remove the rows above it",
                              file=display, row=1)
        source = cls(path=path, display=display, format=kind, layer=chosen, crs=None,
                     fields=fields)
        source.values = {f: [_when(x, ogr_type) for x in v]
                         if ogr_type in ("OFTDate", "OFTDateTime")
                         else [_unescaped(x) for x in column(v)]
                         if ogr_type == "OFTString" and kind == "XLSX" else column(v)
                         for f, ogr_type, v in zip(fields, meta["ogr_types"], values,
                                                   strict=True)}
        source.total = len(values[0]) if values else 0
        source.notes.append(f"sheet {chosen}: rows are numbered as in Excel (row 1 is the "
                            "header)")
        first = next((r.values for r in source._rows()), {})
        source._find_geometry(first)
        return source

    @staticmethod
    def _read(path: Path, display: str, layer: str | None) -> tuple[Any, Any, str]:
        """Return the chosen sheet's columns (pyogrio's meta and values) and its name."""
        import pyogrio
        from pyogrio import raw

        # Excel's new workbook has three sheets; the empty ones are no choice to make
        sheets = [str(sheet) for sheet, _ in pyogrio.list_layers(str(path))]
        filled = [sheet for sheet in sheets if len(pyogrio.read_info(
            str(path), layer=sheet, HEADERS="FORCE")["fields"])]
        if layer is not None and layer not in sheets:
            raise InvalidFile(f"{display}: has no sheet {layer!r}; its sheets: "
                              + ", ".join(sheets), file=display)
        if layer is None and len(filled) > 1:
            raise InvalidFile(f"{display}: {len(filled)} of the workbook's sheets hold data "
                              f"({', '.join(filled)}); choose one with --layer SHEET",
                              file=display)
        chosen = layer or (filled[0] if filled else None)
        if chosen is None:
            raise InvalidFile(f"{display}: the workbook has no sheet with data", file=display)
        # dates as ISO text: pyogrio's conversion of an empty date cell warns (NumPy)
        meta, _, _, values = raw.read(str(path), layer=chosen, HEADERS="FORCE",
                                      datetime_as_string=True)
        return meta, values, chosen

    def _rows(self) -> Iterator[Record]:
        for i in range(self.total):
            values = {f: self.values[f][i] for f in self.fields}
            if all(v is None or (isinstance(v, str) and not v.strip())
                   for v in values.values()):
                continue  # an empty row between the data
            yield Record(i + 2, values, None)

    def count(self) -> int | None:
        return self.total

    def records(self) -> Iterator[Record]:
        for rec in self._rows():
            yield self._record(rec.row, rec.values)
