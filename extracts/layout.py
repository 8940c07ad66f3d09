"""The sheet of a printed extract: paper, its frames and the true scale in UCS-2000 (domain §8).

Two units only: millimetres on paper (origin at the page's lower-left corner, as in PDF) and
metres on the ground in the storage CRS (easting, northing). 1 mm on paper is scale / 1000 m
on the ground; nothing here ever rescales the map to fit a page.

The sheet follows Ukrainian drawing practice: a border 20 mm from the binding (left) edge and
5 mm from the others, a title block at the top, the map frame with its coordinate grid every
10 cm of paper, the grid labels outside the frame (X = northing left and right, Y = easting
top and bottom), then the tables. Portrait sheets put the tables under the map, landscape
sheets beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gis.errors import InvalidParameter

MM = 72.0 / 25.4  # PDF points per millimetre
PAPERS: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
ORIENTATIONS = ("portrait", "landscape")
SCALES = (500, 1000, 2000, 5000, 10000, 25000)  # nominal scales (denominators)
GRID_MM = 100.0  # the coordinate grid: every 10 cm on paper (domain §8.1)
BAR_SEGMENT_MM = 10.0  # one segment of the scale bar
BAR_SEGMENTS = 5
CONTROL_MM = 100.0  # the control line a reader measures to check the print scale
FIT_MARGIN = 0.15  # "fit": the object plus this share of its size on every side

BINDING_MM, EDGE_MM = 20.0, 5.0  # the border's distance from the left / other paper edges
HEADER_MM = 28.0  # the title block
STRIP_MM = 28.0  # scale, control line, CRS note and QR codes under the map
LABEL_MM = 6.0  # grid labels between the map frame and its neighbours


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle: mm on paper or metres on the ground."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)

    def contains(self, other: Box) -> bool:
        return (self.x0 <= other.x0 and self.y0 <= other.y0 and other.x1 <= self.x1
                and other.y1 <= self.y1)


@dataclass(frozen=True)
class Sheet:
    """Where everything sits on one paper size and orientation (mm)."""

    paper: str
    orientation: str
    width: float
    height: float
    border: Box
    header: Box
    map: Box  # the map frame: its size × the scale is the ground shown
    strip: Box  # scale bar, control line, notes, QR codes
    flow: tuple[Box, ...]  # the tables on the first page, filled in order
    continuation: tuple[Box, ...]  # the tables' columns on further pages

    @property
    def name(self) -> str:
        return f"{self.paper} {self.orientation}"


def sheet(paper: str = "A4", orientation: str = "portrait") -> Sheet:
    """Return the layout of ``paper`` in ``orientation``.

    >>> s = sheet("A4", "portrait")
    >>> (s.width, s.height), (s.map.width, s.map.height)
    ((210.0, 297.0), (173.0, 139.0))
    >>> s = sheet("A3", "landscape")
    >>> (s.width, s.height), (s.map.width, s.map.height)
    ((420.0, 297.0), (278.0, 219.0))
    """
    if paper not in PAPERS:
        raise InvalidParameter(f"paper must be one of {', '.join(PAPERS)}, got {paper!r}",
                               parameter="paper")
    if orientation not in ORIENTATIONS:
        raise InvalidParameter(f"orientation must be portrait or landscape, got {orientation!r}",
                               parameter="orientation")
    short, long = PAPERS[paper]
    w, h = (short, long) if orientation == "portrait" else (long, short)
    border = Box(BINDING_MM, EDGE_MM, w - EDGE_MM, h - EDGE_MM)
    header = Box(border.x0, border.y1 - HEADER_MM, border.x1, border.y1)
    top = header.y0 - LABEL_MM  # the map frame's upper edge, under the Y labels
    big = paper == "A3"
    flow: tuple[Box, ...]
    if orientation == "portrait":
        strip = Box(border.x0, border.y0, border.x1, border.y0 + STRIP_MM)
        flow_top = strip.y1 + (100.0 if big else 80.0)
        frame = Box(border.x0 + LABEL_MM, flow_top + LABEL_MM, border.x1 - LABEL_MM, top)
        middle = float(math.floor((border.x0 + border.x1) / 2))
        flow = (Box(border.x0 + 1, strip.y1 + 1, middle - 1, flow_top - 1),
                Box(middle + 1, strip.y1 + 1, border.x1 - 1, flow_top - 1))
    else:
        side = 105.0 if big else 90.0
        strip = Box(border.x0, border.y0, border.x1 - side, border.y0 + STRIP_MM)
        frame = Box(border.x0 + LABEL_MM, strip.y1 + LABEL_MM, strip.x1 - LABEL_MM, top)
        flow = (Box(strip.x1 + 1, border.y0 + 1, border.x1 - 1, header.y0 - 1),)
    page_top = border.y1 - 14.0  # continuation pages: a short heading, then two columns
    middle = float(math.floor((border.x0 + border.x1) / 2))
    continuation = (Box(border.x0 + 1, border.y0 + 1, middle - 1, page_top - 1),
                    Box(middle + 1, border.y0 + 1, border.x1 - 1, page_top - 1))
    return Sheet(paper, orientation, w, h, border, header, frame, strip, flow, continuation)


def parse_scale(text: str | None) -> int | None:
    """Return the scale denominator of ``2000``, ``1:2000`` or None for ``fit`` (or nothing).

    >>> parse_scale("1:1000"), parse_scale("500"), parse_scale("fit"), parse_scale(None)
    (1000, 500, None, None)
    """
    if text is None or text.strip().lower() in ("", "fit", "auto"):
        return None
    raw = text.strip().removeprefix("1:").replace(" ", "")
    if not (raw.isascii() and raw.isdigit()) or int(raw) not in SCALES:  # "²".isdigit()
        raise InvalidParameter(
            f"scale must be one of {', '.join(f'1:{s}' for s in SCALES)} or fit, got {text!r}",
            parameter="scale")
    return int(raw)


def ground_box(frame: Box, scale: int, centre: tuple[float, float]) -> Box:
    """Return the ground (metres, storage CRS) the map frame shows at ``scale`` around ``centre``.

    >>> ground_box(Box(0, 0, 180, 150), 1000, (300_000.0, 5_476_000.0))
    Box(x0=299910.0, y0=5475925.0, x1=300090.0, y1=5476075.0)
    """
    half_w = frame.width * scale / 1000 / 2
    half_h = frame.height * scale / 1000 / 2
    cx, cy = centre
    return Box(cx - half_w, cy - half_h, cx + half_w, cy + half_h)


def fits(extent: Box, frame: Box, scale: int) -> bool:
    """Return True when a ground ``extent`` fits the map frame at ``scale``.

    >>> fits(Box(0, 0, 100, 40), Box(0, 0, 172, 138), 1000), fits(Box(0, 0, 200, 40),
    ...      Box(0, 0, 172, 138), 1000)
    (True, False)
    """
    return (extent.width <= frame.width * scale / 1000
            and extent.height <= frame.height * scale / 1000)


def fitted_scale(extent: Box, frame: Box, margin: float = FIT_MARGIN) -> int | None:
    """Return the most detailed nominal scale at which ``extent`` (plus ``margin`` of its size
    on every side) fits the frame, or None when none does.

    >>> fitted_scale(Box(0, 0, 30, 40), Box(0, 0, 172, 138))
    500
    >>> fitted_scale(Box(0, 0, 400, 300), Box(0, 0, 172, 138))
    5000
    """
    grown = Box(extent.x0 - margin * extent.width, extent.y0 - margin * extent.height,
                extent.x1 + margin * extent.width, extent.y1 + margin * extent.height)
    return next((s for s in SCALES if fits(grown, frame, s)), None)


def grid_step(scale: int) -> float:
    """Return the ground spacing (m) of the coordinate grid: 10 cm of paper.

    >>> grid_step(500), grid_step(2000)
    (50.0, 200.0)
    """
    return GRID_MM * scale / 1000


def grid_values(lo: float, hi: float, step: float) -> list[float]:
    """Return the multiples of ``step`` within [lo, hi].

    >>> grid_values(5_475_925.0, 5_476_075.0, 100.0)
    [5476000.0]
    """
    first = math.ceil(lo / step)
    last = math.floor(hi / step)
    return [k * step for k in range(first, last + 1)]


def bar_segment_m(scale: int) -> float:
    """Return the ground length (m) of one 10-mm segment of the scale bar.

    >>> bar_segment_m(2000)
    20.0
    """
    return BAR_SEGMENT_MM * scale / 1000


@dataclass(frozen=True)
class MapTransform:
    """Ground (easting, northing) → PDF points inside the map frame, at the true scale."""

    frame: Box  # mm
    ground: Box  # m
    scale: int

    def point(self, e: float, n: float) -> tuple[float, float]:
        """Return the PDF point (pt) where the ground point (e, n) is printed.

        >>> t = MapTransform(Box(10, 10, 190, 160), Box(0, 0, 180, 150), 1000)
        >>> [round(v / MM, 6) for v in t.point(100.0, 50.0)]
        [110.0, 60.0]
        """
        k = 1000.0 / self.scale * MM  # points per ground metre
        return ((self.frame.x0 * MM + (e - self.ground.x0) * k),
                (self.frame.y0 * MM + (n - self.ground.y0) * k))

    @property
    def points_per_metre(self) -> float:
        return 1000.0 / self.scale * MM
