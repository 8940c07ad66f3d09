"""Drawing the map frame on a reportlab canvas: layers, labels, the object, the grid, north.

Coordinates go from the storage CRS to PDF points through one ``MapTransform`` (true scale),
so a 100 m edge is 100 mm / (scale / 1000) on paper. Layers keep the geoportal's colours
(``registries.styles``); the object is outlined in red over everything, its boundary points
numbered as in the catalogue. Labels are placed in priority order and a label that would
overlap one already placed is left out.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from PIL import Image as PILImage
from reportlab.lib.colors import Color, HexColor, black, white
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from shapely.geometry import LineString, MultiLineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from extracts.layout import MM, MapTransform, grid_step, grid_values
from extracts.render import MapContent, MapLayer
from extracts.underlay import Underlay
from registries.styles import STATUS_COLOURS

HIGHLIGHT = "#d50000"  # the object of the extract: red, as on paper викопіювання
GRID_COLOUR = "#757575"
FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
PX = 0.5  # the geoportal's style widths are screen pixels: 1 px ≈ 0.5 pt on paper


def colour(hex_colour: str, alpha: float = 1.0) -> Color:
    c = HexColor(hex_colour)
    return Color(c.red, c.green, c.blue, alpha)


def _rings(geom: BaseGeometry) -> Iterator[list[tuple[float, float]]]:
    """Yield every ring (polygons) or line (lines) of ``geom`` as coordinate lists."""
    if isinstance(geom, Polygon):
        yield list(geom.exterior.coords)
        for hole in geom.interiors:
            yield list(hole.coords)
    elif isinstance(geom, LineString):
        yield list(geom.coords)
    elif hasattr(geom, "geoms"):
        for part in geom.geoms:
            yield from _rings(part)


def _points(geom: BaseGeometry) -> Iterator[Point]:
    if isinstance(geom, Point):
        yield geom
    elif hasattr(geom, "geoms"):
        for part in geom.geoms:
            yield from _points(part)


class MapPainter:
    """Paints one ``MapContent`` into its frame on ``canvas``."""

    def __init__(self, c: Canvas, content: MapContent) -> None:
        self.c = c
        self.content = content
        self.t: MapTransform = content.transform
        self.placed: list[tuple[float, float, float, float]] = []  # label boxes, pt

    # -- geometry ------------------------------------------------------------------------
    def _path(self, geom: BaseGeometry, close: bool) -> object:
        path = self.c.beginPath()
        for ring in _rings(geom):
            if len(ring) < 2:
                continue
            x, y = self.t.point(*ring[0])
            path.moveTo(x, y)
            for e, n in ring[1:]:
                x, y = self.t.point(e, n)
                path.lineTo(x, y)
            if close:
                path.close()
        return path

    def paint(self) -> None:
        frame = self.t.frame
        c = self.c
        c.saveState()
        clip = c.beginPath()
        clip.rect(frame.x0 * MM, frame.y0 * MM, frame.width * MM, frame.height * MM)
        c.clipPath(clip, stroke=0, fill=0)
        c.setLineJoin(1)
        c.setLineCap(1)
        if self.content.underlay is not None:
            self._underlay(self.content.underlay)
        for layer in self.content.layers:
            self._layer(layer)
        self._target()
        self._labels()
        c.restoreState()
        self._grid()
        c.setStrokeColor(black)
        c.setLineWidth(0.7)
        c.rect(frame.x0 * MM, frame.y0 * MM, frame.width * MM, frame.height * MM)
        self._north_arrow()

    def _underlay(self, under: Underlay) -> None:
        """Draw the raster under every layer, its ground box on the frame at true scale."""
        x0, y0 = self.t.point(under.ground.x0, under.ground.y0)
        x1, y1 = self.t.point(under.ground.x1, under.ground.y1)
        image = ImageReader(PILImage.fromarray(under.rgba, "RGBA"))
        self.c.drawImage(image, x0, y0, x1 - x0, y1 - y0, mask="auto")

    def _layer(self, layer: MapLayer) -> None:
        c, s = self.c, layer.style
        kind = layer.reg.geometry
        if kind in ("Polygon", "MultiPolygon"):
            c.setLineWidth(max(0.3, s.width * PX))
            for f in layer.features:
                fill = STATUS_COLOURS.get(f.status or "", s.colour) if s.by_status else s.colour
                c.setFillColor(colour(fill, s.opacity))
                c.setStrokeColor(colour(s.outline or fill))
                c.drawPath(self._path(f.geom, True), stroke=1, fill=1 if s.opacity else 0,
                           fillMode=0)
        elif kind in ("LineString", "MultiLineString"):
            line = s.outline if s.colour.lower() in ("#ffffff", "#fff") and s.outline \
                else s.colour
            c.setStrokeColor(colour(line))
            c.setLineWidth(max(0.4, s.width * PX))
            for f in layer.features:
                c.drawPath(self._path(f.geom, False), stroke=1, fill=0)
        else:
            r = max(0.8, s.radius * 0.45)
            c.setLineWidth(0.3)
            c.setStrokeColor(white)
            for f in layer.features:
                fill = STATUS_COLOURS.get(f.status or "", s.colour) if s.by_status else s.colour
                c.setFillColor(colour(fill))
                for p in _points(f.geom):
                    # address points are read by their house numbers: a small dot only
                    x, y = self.t.point(p.x, p.y)
                    c.circle(x, y, r, stroke=1, fill=1)

    def _target(self) -> None:
        target = self.content.target
        if target is None:
            return
        c = self.c
        c.setStrokeColor(colour(HIGHLIGHT))
        c.setFillColor(colour(HIGHLIGHT, 0.08))
        if target.geom_type in ("Point", "MultiPoint"):
            c.setLineWidth(1.2)
            for p in _points(target):
                x, y = self.t.point(p.x, p.y)
                c.circle(x, y, 5, stroke=1, fill=0)
                c.line(x - 8, y, x - 3, y)
                c.line(x + 3, y, x + 8, y)
                c.line(x, y - 8, x, y - 3)
                c.line(x, y + 3, x, y + 8)
            return
        closed = target.geom_type in ("Polygon", "MultiPolygon")
        c.setLineWidth(1.6)
        c.drawPath(self._path(target, closed), stroke=1, fill=1 if closed else 0, fillMode=1)
        centre = target.centroid
        c.setLineWidth(0.6)
        for number, e, n in self.content.points:
            x, y = self.t.point(e, n)
            c.setFillColor(white)
            c.circle(x, y, 1.3, stroke=1, fill=1)
            # the number sits outside the polygon, away from its centre
            cx, cy = self.t.point(centre.x, centre.y)
            d = math.hypot(x - cx, y - cy) or 1.0
            text = str(number)
            size = 5.5
            w = stringWidth(text, BOLD, size)
            tx, ty = x + (x - cx) / d * 5.0 - w / 2, y + (y - cy) / d * 5.0 - size / 3
            # numbered in order, each where it is free of those before: points closer than
            # a number's width (a curved boundary surveyed every metre, at 1:500) keep their
            # marks, and the catalogue lists every one
            self._text(text, tx, ty, size, HIGHLIGHT, BOLD, pad=1.2)

    # -- labels --------------------------------------------------------------------------
    def _free(self, box: tuple[float, float, float, float]) -> bool:
        x0, y0, x1, y1 = box
        return all(x1 < a or x0 > c or y1 < b or y0 > d for a, b, c, d in self.placed)

    def _text(self, text: str, x: float, y: float, size: float, fill: str,
              font: str = FONT, angle: float = 0.0, force: bool = False,
              pad: float = 0.0) -> bool:
        """Draw ``text`` from (x, y) with a white halo unless it (with ``pad`` pt around it)
        would overlap another."""
        w = stringWidth(text, font, size)
        if angle:
            ca, sa = math.cos(math.radians(angle)), math.sin(math.radians(angle))
            xs = [x, x + w * ca, x - size * sa, x + w * ca - size * sa]
            ys = [y, y + w * sa, y + size * ca, y + w * sa + size * ca]
            box = (min(xs), min(ys), max(xs), max(ys))
        else:
            box = (x, y - size * 0.25, x + w, y + size * 0.8)
        box = (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad)
        if not force and not self._free(box):
            return False
        self.placed.append(box)
        c = self.c
        c.saveState()
        c.translate(x, y)
        if angle:
            c.rotate(angle)
        c.setStrokeColor(white)
        c.setFillColor(colour(fill))
        c.setLineWidth(1.4)
        c.setLineJoin(1)
        t = c.beginText(0, 0)
        t.setFont(font, size)
        t.setTextRenderMode(1)  # the halo: a white stroke under the glyphs
        t.textOut(text)
        t.setTextOrigin(0, 0)
        t.setTextRenderMode(0)  # then the glyphs filled (one text object: mode changes stick)
        t.textOut(text)
        c.drawText(t)
        c.restoreState()
        return True

    def _labels(self) -> None:
        by_id = {layer.reg.id: layer for layer in self.content.layers}
        scale = self.t.scale
        order = sorted(self.content.layers, key=lambda la: _LABEL_PRIORITY.get(la.reg.id, 5))
        for layer in order:
            if layer.reg.geometry in ("LineString", "MultiLineString"):
                for f in layer.features:
                    if f.label:
                        self._line_label(f.geom, f.label)
            elif layer.reg.geometry == "Point":
                if layer.reg.id != "addresses" or scale > 2000:
                    continue  # house numbers only where they can be read
                for f in layer.features:
                    if f.label:
                        for p in _points(f.geom):
                            x, y = self.t.point(p.x, p.y)
                            self._text(f.label, x + 1.2, y + 0.8, 4.6, "#37474f")
            else:
                self._area_labels(layer, by_id)

    def _area_labels(self, layer: MapLayer, by_id: dict[str, MapLayer]) -> None:
        size = 6.5 if layer.reg.group == "planning" else 4.8
        font = BOLD if layer.reg.group == "planning" else FONT
        fill = layer.style.outline or layer.style.colour
        if layer.reg.id == "land_parcels":
            fill = "#4e342e"
        k = self.t.points_per_metre
        for f in layer.features:
            if not f.label or f.geom.is_empty:
                continue
            minx, miny, maxx, maxy = f.geom.bounds
            w = stringWidth(f.label, font, size)
            if (maxx - minx) * k < w * 0.9 or (maxy - miny) * k < size * 1.2:
                continue  # too small on paper for its number
            p = f.geom.representative_point()
            x, y = self.t.point(p.x, p.y)
            self._text(f.label, x - w / 2, y - size / 3, size, fill, font)

    def _line_label(self, geom: BaseGeometry, text: str) -> None:
        """Label a street along its longest straight piece inside the frame."""
        frame = self.t.frame
        best: tuple[float, tuple[float, float], tuple[float, float]] | None = None
        lines = geom.geoms if isinstance(geom, MultiLineString) else [geom]
        for line in lines:
            coords = [self.t.point(e, n) for e, n in getattr(line, "coords", [])]
            for a, b in zip(coords, coords[1:], strict=False):
                length = math.hypot(b[0] - a[0], b[1] - a[1])
                inside = all(frame.x0 * MM + 4 < x < frame.x1 * MM - 4
                             and frame.y0 * MM + 4 < y < frame.y1 * MM - 4 for x, y in (a, b))
                if inside and (best is None or length > best[0]):
                    best = (length, a, b)
        size = 6.0
        w = stringWidth(text, FONT, size)
        if best is None or best[0] < w + 6:
            return
        _, a, b = best
        if b[0] < a[0]:  # read left to right
            a, b = b, a
        angle = math.degrees(math.atan2(b[1] - a[1], b[0] - a[0]))
        mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
        ca, sa = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        x = mx - ca * w / 2 + sa * size / 3
        y = my - sa * w / 2 - ca * size / 3
        self._text(text, x, y, size, "#263238", FONT, angle)

    # -- grid and north ------------------------------------------------------------------
    def _grid(self) -> None:
        """Grid lines every 10 cm of paper; X (northing) labels left and right, Y (easting)
        top and bottom, written along the frame outside it."""
        c, t, frame = self.c, self.t, self.t.frame
        step = grid_step(t.scale)
        c.saveState()
        c.setStrokeColor(colour(GRID_COLOUR))
        c.setLineWidth(0.3)
        c.setDash(2, 1.5)
        x0, y0, x1, y1 = (frame.x0 * MM, frame.y0 * MM, frame.x1 * MM, frame.y1 * MM)
        size = 6.0
        for e in grid_values(t.ground.x0, t.ground.x1, step):
            x, _ = t.point(e, t.ground.y0)
            c.line(x, y0, x, y1)
            label = f"Y = {e:.0f}"
            w = stringWidth(label, FONT, size)
            c.setFillColor(black)
            c.setFont(FONT, size)
            c.drawString(x - w / 2, y1 + 1.6 * MM, label)
            c.drawString(x - w / 2, y0 - 1.6 * MM - size * 0.75, label)
        for n in grid_values(t.ground.y0, t.ground.y1, step):
            _, y = t.point(t.ground.x0, n)
            c.line(x0, y, x1, y)
            label = f"X = {n:.0f}"
            w = stringWidth(label, FONT, size)
            c.setFillColor(black)
            c.setFont(FONT, size)
            for x, angle in ((x0 - 1.6 * MM, 90), (x1 + 1.6 * MM, -90)):
                c.saveState()
                c.translate(x, y)
                c.rotate(angle)
                c.drawString(-w / 2, 0, label)
                c.restoreState()
        c.restoreState()

    def _north_arrow(self) -> None:
        c, frame = self.c, self.t.frame
        x, y = frame.x1 * MM - 9 * MM, frame.y1 * MM - 15 * MM
        c.saveState()
        c.setFillColor(colour("#ffffff", 0.85))
        c.setStrokeColor(colour("#9e9e9e"))
        c.setLineWidth(0.3)
        c.roundRect(x - 5.5 * MM, y - 3.5 * MM, 11 * MM, 16 * MM, 1.2 * MM, stroke=1, fill=1)
        c.setFillColor(black)
        c.setStrokeColor(black)
        c.setLineWidth(0.5)
        top, bottom, half = y + 8.5 * MM, y, 2.2 * MM
        path = c.beginPath()
        path.moveTo(x, top)
        path.lineTo(x - half, bottom)
        path.lineTo(x, bottom + 2.2 * MM)
        path.close()
        c.drawPath(path, stroke=1, fill=1)
        path = c.beginPath()
        path.moveTo(x, top)
        path.lineTo(x + half, bottom)
        path.lineTo(x, bottom + 2.2 * MM)
        path.close()
        c.setFillColor(white)
        c.drawPath(path, stroke=1, fill=1)
        c.setFillColor(black)
        c.setFont(BOLD, 7)
        c.drawCentredString(x, top + 1.2 * MM, "Пн")
        c.setFont(FONT, 4.5)
        c.drawCentredString(x, y - 2.5 * MM, "північ сітки")
        c.restoreState()


_LABEL_PRIORITY = {"streets": 0, "planning_zones": 1, "land_parcels": 2, "addresses": 4}

