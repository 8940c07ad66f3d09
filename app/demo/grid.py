"""The street grid, the city's outline and its districts.

A jittered grid of nodes around Khmelnytskyi's centre, turned off the TM axes and clipped to a
noisy ellipse with the river through it; every cell inside the city carries its district
(centre, multi-storey, houses, industry, parks …), postal code and cadastral zone. Streets,
blocks and zones are all derived from this grid, so it comes first and depends on nothing but
the geometry helpers.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from app.demo.geometry import EdgeKey, Point

CENTRE: Point = (299_865.0, 5_476_633.0)  # Khmelnytskyi centre, lon 26.9965 lat 49.4216
SEMI_AXES = (7_000.0, 5_500.0)  # city outline at scale 1, m (before the noise)
ROTATION = 0.12  # radians; the old town's grid is not aligned with the TM axes


@dataclass(slots=True)
class Cell:
    """A grid cell inside the city: its district and the codes that depend on where it is."""

    district: str
    rho: float  # 0 at the centre, 1 on the city outline
    postal_code: str
    cadastral_zone: int


@dataclass
class Grid:
    """The street grid: nodes in EPSG:6383 m, street half-widths per grid line, city cells."""

    nodes: list[list[Point]]  # [i][j]; i counts along the grid's x, j along its y
    half_v: list[float]  # half width of the street on vertical line i, m
    half_h: list[float]
    main_v: list[bool]
    main_h: list[bool]
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    river: list[Point] = field(default_factory=list)  # the river's centreline, west to east

    def edge_nodes(self, key: EdgeKey) -> tuple[Point, Point]:
        """Return the edge's end nodes, low grid index first."""
        kind, i, j = key
        return self.nodes[i][j], (self.nodes[i + 1][j] if kind == "h" else self.nodes[i][j + 1])

    def half_width(self, key: EdgeKey) -> float:
        """Return half the width of the street on this edge, m."""
        return self.half_h[key[2]] if key[0] == "h" else self.half_v[key[1]]

    def edge_cells(self, key: EdgeKey) -> tuple[Cell | None, Cell | None]:
        """Return the city cells on both sides of the edge (None outside the city)."""
        kind, i, j = key
        if kind == "h":
            return self.cells.get((i, j - 1)), self.cells.get((i, j))
        return self.cells.get((i - 1, j)), self.cells.get((i, j))


class Outline:
    """The city's outline (a noisy ellipse) and the river through it, in the grid's frame."""

    def __init__(self, rng: random.Random, a: float, b: float) -> None:
        self.a, self.b = a, b
        self.phases = [rng.uniform(0, 2 * math.pi) for _ in range(5)]

    def rho(self, x: float, y: float) -> float:
        """Return the normalised distance of (x, y) from the centre: 1 on the outline."""
        th = math.atan2(y / self.b, x / self.a)
        p = self.phases
        wobble = (1 + 0.07 * math.sin(3 * th + p[0]) + 0.04 * math.sin(5 * th + p[1])
                  + 0.025 * math.sin(8 * th + p[2]))
        return math.hypot(x / self.a, y / self.b) / wobble

    def river_y(self, x: float) -> float:
        """Return the river's y at x (the Southern Bug crosses the city north of the centre)."""
        return self.b * (0.25 + 0.12 * math.sin(2.2 * x / self.a + self.phases[3]))


def _line_positions(rng: random.Random, half: float, lo: float, hi: float) -> list[float]:
    out, pos = [], -half
    while pos <= half:
        out.append(pos)
        pos += rng.uniform(lo, hi)
    return out


def _line_widths(rng: random.Random, n: int, centre: int,
                 period: int) -> tuple[list[float], list[bool]]:
    """Return half widths (m) and main flags: every ``period``-th line is a main street."""
    halves, main = [], []
    for k in range(n):
        is_main = (k - centre) % period == 0
        medium = not is_main and (k - centre) % 3 == 0
        halves.append(rng.uniform(11, 13) if is_main else
                      rng.uniform(8, 9.5) if medium else rng.uniform(6, 7.5))
        main.append(is_main)
    return halves, main


def generate_grid(rng: random.Random, scale: float) -> Grid:
    """Return the jittered street grid with the city cells and their districts (EPSG:6383 m)."""
    k = math.sqrt(scale)
    outline = Outline(rng, SEMI_AXES[0] * k, SEMI_AXES[1] * k)
    xs = _line_positions(rng, outline.a * 1.2 + 260, 130, 250)
    ys = _line_positions(rng, outline.b * 1.2 + 260, 120, 220)
    local = [[(x + rng.uniform(-12, 12), y + rng.uniform(-12, 12)) for y in ys] for x in xs]
    cos, sin = math.cos(ROTATION), math.sin(ROTATION)
    nodes = [[(CENTRE[0] + x * cos - y * sin, CENTRE[1] + x * sin + y * cos) for x, y in col]
             for col in local]
    ic = min(range(len(xs)), key=lambda i: abs(xs[i]))
    jc = min(range(len(ys)), key=lambda j: abs(ys[j]))
    half_v, main_v = _line_widths(rng, len(xs), ic, 6)
    half_h, main_h = _line_widths(rng, len(ys), jc, 5)
    grid = Grid(nodes, half_v, half_h, main_v, main_h)
    for i in range(len(xs) - 1):
        for j in range(len(ys) - 1):
            corners = (local[i][j], local[i + 1][j], local[i + 1][j + 1], local[i][j + 1])
            cx, cy = sum(p[0] for p in corners) / 4, sum(p[1] for p in corners) / 4
            rho = outline.rho(cx, cy)
            if rho < 1:
                height = ys[j + 1] - ys[j]
                grid.cells[(i, j)] = _cell(rng, outline, cx, cy, rho, height)
    # the river's centreline through the park cells along it (no draw from rng: the city
    # stays the same as before the river was drawn)
    steps = 80
    for k in range(steps + 1):
        x = -1.25 * outline.a + 2.5 * outline.a * k / steps
        y = outline.river_y(x)
        grid.river.append((CENTRE[0] + x * cos - y * sin, CENTRE[1] + x * sin + y * cos))
    return grid


def _cell(rng: random.Random, outline: Outline, x: float, y: float, rho: float,
          height: float) -> Cell:
    angle = math.atan2(y, x)
    r = rho + 0.04 * math.sin(4 * angle + outline.phases[4]) + rng.uniform(-0.02, 0.02)
    if abs(y - outline.river_y(x)) < 0.55 * height and rho < 0.97:
        district = "park"  # parks along the river
    elif r < 0.17 or math.hypot(x, y) < 200:  # a small city still has a centre
        district = "centre"
    elif -1.0 < angle < -0.25 and 0.38 < r < 0.92:
        district = "transport" if r < 0.47 else "industrial"
    elif r < 0.33:
        district = "apartments_mid"
    elif r < 0.52:
        district = "apartments_high"
    elif 2.2 < angle < 2.5 and 0.8 < r < 0.97:
        district = "cemetery"
    else:
        district = "houses"
    if district in ("centre", "apartments_mid", "apartments_high"):
        u = rng.random()
        if u < 0.04:
            district = "park"  # squares (сквери) between the blocks
        elif u < 0.075 and district != "centre":
            district = "garages"

    def sector(n: int) -> int:
        return int((angle + math.pi) / (2 * math.pi) * n) % n

    postal = sector(2) if rho < 0.2 else 2 + sector(10) if rho < 0.5 else 12 + sector(16)
    zone = 1 if rho < 0.3 else 2 + sector(7)
    return Cell(district, rho, f"{29000 + postal}", zone)
