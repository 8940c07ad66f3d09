"""The PDF of an extract: the page at its exact paper size, drawn with reportlab as vectors.

Page 1 carries the title block, the map frame (``extracts.map_frame``), the scale bar, the
100 mm control line, the CRS note, the disclaimer and two QR codes (the check of the extract
and the object on the geoportal); the tables (legend, attributes, boundary-point catalogue,
zones and restrictions) flow through the sheet's columns and on to further pages, each with
the extract's number and "аркуш i з n". DejaVu Sans is embedded (subset) for the Cyrillic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

import segno
from reportlab.lib.colors import Color, black, white
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    FrameBreak,
    NextPageTemplate,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from extracts.layout import BAR_SEGMENT_MM, BAR_SEGMENTS, CONTROL_MM, MM, Box, Sheet
from extracts.map_frame import BOLD, FONT, HIGHLIGHT, MapPainter, colour
from extracts.render import MapContent
from gis.errors import EnvironmentProblem

FONT_FILES = {FONT: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
GREY = Color(0.93, 0.93, 0.93)


@lru_cache(maxsize=4)
def register_fonts(font_dir: Path) -> None:
    """Register DejaVu Sans (regular, bold) from ``font_dir`` once per process."""
    for name, file in FONT_FILES.items():
        path = font_dir / file
        if not path.is_file():
            raise EnvironmentProblem(
                f"font {path} is missing: install Debian's fonts-dejavu-core "
                "(scripts/bootstrap.sh does) or set GIS_EXTRACTS__FONT_DIR to a folder with "
                + " and ".join(FONT_FILES.values()))
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


@dataclass(frozen=True)
class LegendEntry:
    """One line of the legend: a symbol (fill, line, point, target, points, grid) and text."""

    kind: str
    text: str
    fill: str | None = None
    stroke: str | None = None
    opacity: float = 1.0


@dataclass(frozen=True)
class TableBlock:
    """A table under a heading; ``widths`` are shares of the column, numbers right-aligned."""

    heading: str
    header: tuple[str, ...] | None
    rows: Sequence[tuple[str, ...]]
    widths: tuple[float, ...]
    numeric: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()
    new_column: bool = False  # start in the next column (the catalogue beside the attributes)


@dataclass(frozen=True)
class SheetText:
    """Everything the sheet says besides the map and the tables."""

    issuer: str
    title: str
    subtitle: str
    number: str
    issued: str  # date and time of issue, local
    as_of: str  # the data's date
    scale: int
    crs: str
    grid_note: str
    north_note: str
    disclaimer: str
    hash_printed: str
    check_url: str
    portal_url: str | None
    pdf_title: str
    author: str
    notes: tuple[str, ...] = field(default_factory=tuple)


def _style(size: float, bold: bool = False, leading: float | None = None,
           colour_: Color = black) -> ParagraphStyle:
    return ParagraphStyle(f"s{size}{bold}", fontName=BOLD if bold else FONT, fontSize=size,
                          leading=leading or size * 1.22, textColor=colour_)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Legend(Flowable):  # type: ignore[misc]
    """The legend in two columns of symbols and texts."""

    ROW = 4.0 * MM

    def __init__(self, entries: list[LegendEntry], width: float) -> None:
        super().__init__()
        self.entries = entries
        self.cols = 2 if width > 70 * MM else 1
        self.width = width
        self.rows = -(-len(entries) // self.cols)
        self.height = self.rows * self.ROW + 5 * MM

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        c.setFont(BOLD, 7.5)
        c.setFillColor(black)
        c.drawString(0, self.height - 3.2 * MM, "Умовні позначення")
        col_w = self.width / self.cols
        for i, e in enumerate(self.entries):
            col, row = divmod(i, self.rows)
            x = col * col_w
            y = self.height - 5 * MM - (row + 1) * self.ROW + 1.0 * MM
            self._symbol(c, e, x, y)
            text = e.text
            size = 6.0
            while pdfmetrics.stringWidth(text, FONT, size) > col_w - 11 * MM and len(text) > 8:
                text = text[:-2].rstrip() + "…" if text.endswith("…") else text[:-1] + "…"
            c.setFont(FONT, size)
            c.setFillColor(black)
            c.drawString(x + 9.5 * MM, y + 0.4 * MM, text)

    @staticmethod
    def _symbol(c: Canvas, e: LegendEntry, x: float, y: float) -> None:
        w, h = 6.5 * MM, 2.6 * MM
        c.saveState()
        if e.kind == "fill":
            c.setFillColor(colour(e.fill or "#ffffff", e.opacity))
            c.setStrokeColor(colour(e.stroke or e.fill or "#000000"))
            c.setLineWidth(0.5)
            c.rect(x, y, w, h, stroke=1, fill=1 if e.opacity else 0)
        elif e.kind == "line":
            c.setStrokeColor(colour(e.stroke or "#000000"))
            c.setLineWidth(1.2)
            c.line(x, y + h / 2, x + w, y + h / 2)
        elif e.kind == "point":
            c.setFillColor(colour(e.fill or "#000000"))
            c.setStrokeColor(white)
            c.circle(x + w / 2, y + h / 2, 1.5, stroke=1, fill=1)
        elif e.kind == "target":
            c.setStrokeColor(colour(HIGHLIGHT))
            c.setFillColor(colour(HIGHLIGHT, 0.08))
            c.setLineWidth(1.6)
            c.rect(x, y, w, h, stroke=1, fill=1)
        elif e.kind == "points":
            c.setStrokeColor(colour(HIGHLIGHT))
            c.setFillColor(white)
            c.setLineWidth(0.6)
            c.circle(x + 1.5 * MM, y + h / 2, 1.3, stroke=1, fill=1)
            c.setFillColor(colour(HIGHLIGHT))
            c.setFont(BOLD, 5.5)
            c.drawString(x + 2.7 * MM, y + 0.5 * MM, "1")
        elif e.kind == "label":
            c.setFillColor(colour(e.fill or "#000000"))
            c.setFont(FONT, 3.8)
            c.drawString(x, y + 0.6 * MM, e.stroke or "")
        elif e.kind == "grid":
            c.setStrokeColor(colour("#757575"))
            c.setLineWidth(0.3)
            c.setDash(2, 1.5)
            c.line(x, y + h / 2, x + w, y + h / 2)
            c.line(x + w / 2, y - 0.3 * MM, x + w / 2, y + h + 0.3 * MM)
        c.restoreState()


def _table(block: TableBlock, width: float) -> list[Any]:
    """Return the block as flowables: one table whose first row is the heading (so a table
    split over two columns repeats it, and a heading never stays behind alone), then notes."""
    cell = _style(6.3)
    cell_bold = _style(6.3, True)
    ncols = len(block.widths)
    data: list[list[Any]] = [[Paragraph(_escape(block.heading), _style(7.5, True))]
                             + [""] * (ncols - 1)]
    if block.header:
        data.append([Paragraph(_escape(h), cell_bold) for h in block.header])
    number = ParagraphStyle("num", parent=cell, alignment=2)
    for row in block.rows:
        data.append([Paragraph(_escape(v), number if i in block.numeric else cell)
                     for i, v in enumerate(row)])
    if len(data) == 1:  # nothing to tabulate: the heading and the notes say it
        return [data[0][0], *(Paragraph(_escape(n), _style(6.2, leading=7.6))
                              for n in block.notes), Spacer(1, 2.5 * MM)]
    heads = 2 if block.header else 1
    table = Table(data, colWidths=[width * share for share in block.widths], repeatRows=heads,
                  hAlign="LEFT")
    style = [("SPAN", (0, 0), (-1, 0)),
             ("GRID", (0, 1), (-1, -1), 0.3, Color(0.55, 0.55, 0.55)),
             ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("TOPPADDING", (0, 0), (-1, -1), 0.6),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 1.1),
             ("LEFTPADDING", (0, 0), (-1, -1), 2.0),
             ("RIGHTPADDING", (0, 0), (-1, -1), 2.0),
             ("LEFTPADDING", (0, 0), (0, 0), 0),
             ("BOTTOMPADDING", (0, 0), (-1, 0), 2.0)]
    if block.header:
        style.append(("BACKGROUND", (0, 1), (-1, 1), GREY))
    table.setStyle(TableStyle(style))
    out: list[Any] = [table]
    for note in block.notes:
        out.append(Paragraph(_escape(note), _style(6.2, leading=7.6)))
    out.append(Spacer(1, 2.5 * MM))
    return out


SAFETY = 2.0 * MM  # what the pre-placement leaves free in a column (platypus's rounding)


def _place(items: list[Any], width: float, height: float) -> tuple[list[Any], list[Any]]:
    """Return (the flowables that fit a column width × height, the rest), splitting a table
    at a row where it must; the rest goes on to the next column or page."""
    placed: list[Any] = []
    avail = height - SAFETY
    queue = list(items)
    while queue:
        f = queue.pop(0)
        _, h = f.wrap(width, avail)
        if h <= avail:
            placed.append(f)
            avail -= h
            continue
        parts = f.split(width, avail) if isinstance(f, Table) and avail > 12 * MM else []
        if len(parts) > 1:
            placed.append(parts[0])
            return placed, [*parts[1:], *queue]
        return placed, [f, *queue]
    return placed, []


def _qr(c: Canvas, url: str, x: float, y: float, size: float) -> None:
    """Draw the QR code of ``url`` as vector squares, ``size`` pt wide, lower-left at (x, y)."""
    code = segno.make(url, error="m")
    matrix = code.matrix
    n = len(matrix)
    m = size / n
    c.setFillColor(black)
    path = c.beginPath()
    for row, bits in enumerate(matrix):
        for col, bit in enumerate(bits):
            if bit:
                path.rect(x + col * m, y + size - (row + 1) * m, m, m)
    c.drawPath(path, stroke=0, fill=1)


class SheetPainter:
    """Draws the fixed parts of the pages (everything but the flowing tables)."""

    def __init__(self, sheet: Sheet, text: SheetText, content: MapContent) -> None:
        self.sheet, self.text, self.content = sheet, text, content

    def border(self, c: Canvas) -> None:
        b = self.sheet.border
        c.setStrokeColor(black)
        c.setLineWidth(0.8)
        c.rect(b.x0 * MM, b.y0 * MM, b.width * MM, b.height * MM)

    def first_page(self, c: Canvas, doc: Any) -> None:
        c.saveState()
        self.border(c)
        self.header(c)
        MapPainter(c, self.content).paint()
        self.strip(c)
        c.restoreState()

    def later_page(self, c: Canvas, doc: Any) -> None:
        c.saveState()
        self.border(c)
        b = self.sheet.border
        c.setFont(BOLD, 8)
        c.drawString((b.x0 + 3) * MM, (b.y1 - 7) * MM,
                     f"Витяг (викопіювання) № {self.text.number} — продовження")
        c.setFont(FONT, 6.5)
        c.drawString((b.x0 + 3) * MM, (b.y1 - 11) * MM, self.text.subtitle)
        c.setLineWidth(0.4)
        c.line(b.x0 * MM, (b.y1 - 13) * MM, b.x1 * MM, (b.y1 - 13) * MM)
        c.restoreState()

    def header(self, c: Canvas) -> None:
        h, t = self.sheet.header, self.text
        c.setLineWidth(0.6)
        c.line(h.x0 * MM, h.y0 * MM, h.x1 * MM, h.y0 * MM)
        box_w = 58.0
        split = h.x1 - box_w
        c.line(split * MM, h.y0 * MM, split * MM, h.y1 * MM)
        left = Frame(h.x0 * MM, h.y0 * MM, (split - h.x0) * MM, h.height * MM,
                     leftPadding=3 * MM, rightPadding=2 * MM, topPadding=2.2 * MM,
                     bottomPadding=1 * MM, showBoundary=0)
        left.addFromList([
            Paragraph(_escape(t.issuer), _style(7.2, colour_=Color(0.25, 0.25, 0.25))),
            Spacer(1, 1.4 * MM),
            *self.title_lines(),
            Spacer(1, 1.0 * MM),
            Paragraph(_escape(t.subtitle), _style(8.6, True, 10.4)),
        ], c)
        right = Frame(split * MM, h.y0 * MM, box_w * MM, h.height * MM, leftPadding=2.5 * MM,
                      rightPadding=2 * MM, topPadding=2.2 * MM, bottomPadding=1 * MM,
                      showBoundary=0)
        right.addFromList([
            Paragraph("Витяг (викопіювання)", _style(6.5)),
            Paragraph(f"№ {_escape(t.number)}", _style(10, True, 12.5)),
            Paragraph(f"Видано: {_escape(t.issued)}", _style(6.5, leading=8.2)),
            Paragraph(f"Дані станом на: {_escape(t.as_of)}", _style(6.5, leading=8.2)),
            Paragraph(f"Контрольна сума: {_escape(t.hash_printed)}", _style(6.5, leading=8.2)),
        ], c)

    def title_lines(self) -> list[Any]:
        """Return the document's name in capitals over what it is taken from, as Ukrainian
        documents head themselves ("ВИКОПІЮВАННЯ / з плану зонування території м. …")."""
        kind, _, rest = self.text.title.partition(" ")
        if not rest:
            return [Paragraph(_escape(self.text.title), _style(10.5, True, 12.6))]
        return [Paragraph(_escape(kind.upper()), _style(13, True, 15.0)),
                Paragraph(_escape(rest), _style(9.5, True, 11.4))]

    def strip(self, c: Canvas) -> None:
        s, t = self.sheet.strip, self.text
        c.setLineWidth(0.6)
        c.line(s.x0 * MM, s.y1 * MM, s.x1 * MM, s.y1 * MM)
        qr_mm, gap = 21.0, 2.5
        qrs = [(t.check_url, "Перевірка витягу")] + (
            [(t.portal_url, "Об'єкт на геопорталі")] if t.portal_url else [])
        qr_left = s.x1 - len(qrs) * (qr_mm + gap)
        for i, (url, caption) in enumerate(qrs):
            x = qr_left + i * (qr_mm + gap) + gap / 2
            _qr(c, url, x * MM, (s.y0 + 4.5) * MM, qr_mm * MM)
            c.setFont(FONT, 5.2)
            c.setFillColor(black)
            c.drawCentredString((x + qr_mm / 2) * MM, (s.y0 + 1.6) * MM, caption)
        x0 = s.x0 + 2.5
        self.scale_bar(c, x0, s.y1 - 4.5)
        self.control_line(c, x0, s.y1 - 13.0)
        notes = Frame(s.x0 * MM, s.y0 * MM, (qr_left - s.x0) * MM, 14.0 * MM,
                      leftPadding=2.5 * MM, rightPadding=2 * MM, topPadding=0,
                      bottomPadding=0.8 * MM, showBoundary=0)
        style = _style(6.0, leading=7.2)
        lines = [Paragraph(_escape(line), style) for line in (
            f"Система координат: {t.crs}. {t.grid_note}", t.north_note, *t.notes)]
        items = [Paragraph(_escape(t.disclaimer), _style(6.0, True, 7.2)), *lines]
        notes.addFromList(items, c)  # takes what it drew off the list
        if items:  # the disclaimer must never be lost off a sheet
            raise RuntimeError(f"{len(items)} note(s) do not fit the {self.sheet.name} strip")

    def scale_bar(self, c: Canvas, x: float, y: float) -> None:
        """'Масштаб 1:N', then the bar: 5 segments of exactly 10 mm with ground lengths."""
        scale = self.text.scale
        c.setFont(BOLD, 9)
        c.setFillColor(black)
        label = f"Масштаб 1:{scale}"
        c.drawString(x * MM, (y - 1.2) * MM, label)
        c.setFont(FONT, 6)
        seg_m = BAR_SEGMENT_MM * scale / 1000
        unit = "м" if seg_m < 1000 else "км"
        c.drawString(x * MM, (y - 4.2) * MM, f"в 1 сантиметрі {seg_m:g} м")
        bx = x + 36.0
        c.setLineWidth(0.4)
        c.setStrokeColor(black)
        for i in range(BAR_SEGMENTS):
            c.setFillColor(black if i % 2 == 0 else white)
            c.rect((bx + i * BAR_SEGMENT_MM) * MM, (y - 2.0) * MM, BAR_SEGMENT_MM * MM,
                   1.4 * MM, stroke=1, fill=1)
        c.setFillColor(black)
        c.setFont(FONT, 5.5)
        for i in range(BAR_SEGMENTS + 1):
            value = seg_m * i if unit == "м" else seg_m * i / 1000
            c.drawCentredString((bx + i * BAR_SEGMENT_MM) * MM, (y - 4.6) * MM, f"{value:g}")
        c.drawString((bx + BAR_SEGMENTS * BAR_SEGMENT_MM + 2) * MM, (y - 2.0) * MM, unit)

    def control_line(self, c: Canvas, x: float, y: float) -> None:
        """The 100 mm control line: a reader measures it to check the print was not scaled."""
        c.setStrokeColor(black)
        c.setLineWidth(0.5)
        c.line(x * MM, y * MM, (x + CONTROL_MM) * MM, y * MM)
        for tick in (x, x + CONTROL_MM):
            c.line(tick * MM, (y - 1.2) * MM, tick * MM, (y + 1.2) * MM)
        c.setLineWidth(0.3)
        for k in range(1, 10):
            c.line((x + 10 * k) * MM, (y - 0.6) * MM, (x + 10 * k) * MM, y * MM)
        c.setFont(FONT, 5.8)
        c.setFillColor(black)
        c.drawString(x * MM, (y + 1.8) * MM,
                     "Контрольний відрізок 100 мм. Друкувати в масштабі 100 % "
                     "(вимкніть «припасувати до сторінки»)")


def numbered_canvas(sheet: Sheet, number: str) -> type[Canvas]:
    """Return a canvas class that writes "аркуш i з n" on every page once n is known."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for i, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                b = sheet.border
                self.setFont(FONT, 6.5)
                self.setFillColor(black)
                self.drawRightString((b.x1 - 2) * MM, (b.y1 + 1.2) * MM,
                                     f"№ {number} · аркуш {i} з {total}")
                super().showPage()
            super().save()

    return NumberedCanvas


def render_pdf(sheet: Sheet, text: SheetText, content: MapContent, legend: list[LegendEntry],
               blocks: list[TableBlock], font_dir: Path) -> bytes:
    """Return the PDF of the extract: page size exactly ``sheet``'s paper."""
    register_fonts(font_dir)
    painter = SheetPainter(sheet, text, content)
    buf = BytesIO()
    doc = BaseDocTemplate(buf, pagesize=(sheet.width * MM, sheet.height * MM),
                          leftMargin=0, rightMargin=0, topMargin=0, bottomMargin=0,
                          title=text.pdf_title, author=text.author, subject=text.subtitle,
                          creator="Hromada GIS", pageCompression=1)

    def frames(boxes: tuple[Box, ...], prefix: str) -> list[Frame]:
        return [Frame(b.x0 * MM, b.y0 * MM, b.width * MM, b.height * MM, leftPadding=0,
                      rightPadding=0, topPadding=1.5 * MM, bottomPadding=0,
                      id=f"{prefix}{i}") for i, b in enumerate(boxes)]

    doc.addPageTemplates([
        PageTemplate(id="first", frames=frames(sheet.flow, "f"), onPage=painter.first_page),
        PageTemplate(id="later", frames=frames(sheet.continuation, "c"),
                     onPage=painter.later_page)])
    widths = [b.width * MM for b in sheet.flow]
    heights = [b.height * MM - 1.5 * MM for b in sheet.flow]
    legend_items: list[Any] = [Legend(legend, min(widths)), Spacer(1, 2 * MM)] if legend else []
    split = next((i for i, b in enumerate(blocks) if b.new_column), None)
    columns: list[list[Any]]
    if len(sheet.flow) > 1 and split is not None:
        # portrait: what the object is on the left; its catalogue and the legend on the right
        left = [f for b in blocks[:split] for f in _table(b, widths[0])]
        # the catalogue, then the legend: both belong beside the map on the first page
        right = ([f for f in _table(blocks[split], widths[1])] + legend_items
                 + [f for b in blocks[split + 1:] for f in _table(b, widths[1])])
        (first, rest1), (second, rest2) = (_place(left, widths[0], heights[0]),
                                           _place(right, widths[1], heights[1]))
        columns, rest = [first, second], rest1 + rest2
    else:
        queue = legend_items + [f for b in blocks for f in _table(b, min(widths))]
        columns = []
        for w, h in zip(widths, heights, strict=True):
            placed, queue = _place(queue, w, h)
            columns.append(placed)
        rest = queue
    story: list[Any] = [NextPageTemplate("later")]
    for i, placed in enumerate(columns):
        story.extend(placed)
        if i < len(columns) - 1 or rest:
            story.append(FrameBreak())
    story.extend(rest)
    doc.build(story, canvasmaker=numbered_canvas(sheet, text.number))
    return buf.getvalue()

