"""Demo city: a deterministic, realistic Ukrainian city around Khmelnytskyi for every registry.

The city is a jittered street grid clipped to a noisy ellipse (about 14 × 11 km at scale 1).
Each grid cell inset by half the street widths is a block; blocks are cut into parcels that
tile them exactly (bilinear subdivision of the quadrilateral), each parcel gets one building
and a house number on the street it faces, and advertising structures, temporary structures
and their scheme spots stand along the streets. Districts (centre, multi-storey, houses,
industry, parks …) drive parcel sizes and purposes and give the zoning-plan zones.

Everything is generated with plain float arithmetic in EPSG:6383 metres (UCS-2000 / Ukraine
TM zone 9) and written with COPY as EWKT; PostGIS only unions the zone cells and derives the
overlays (cadastral quarters, red lines, planning restrictions, the YAML-declared registries)
from what was loaded. The load is a legacy import (``gis.legacy_import``): the database's
rules check every row, and the deliberately realistic-but-wrong objects (kiosks outside the
placement scheme) are accepted and listed among the problems instead of refused. The same
(scale, seed, today) gives byte-identical data: one ``random.Random(seed)``, no sets iterated.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import psycopg
from psycopg import sql

from app.demo import names as nm
from registries.addresses import ADDRESSES, BUILDINGS, STREET_TYPES, STREETS
from registries.advertising import ADVERTISING_STRUCTURES
from registries.catalog import default_catalog
from registries.model import Registry
from registries.parcels import CADASTRAL_QUARTERS, LAND_PARCELS
from registries.planning import (
    COMMUNITY_BOUNDARIES,
    PLANNING_RESTRICTIONS,
    PLANNING_ZONES,
    RED_LINES,
)
from registries.temporary import TEMPORARY_STRUCTURES, TS_SCHEME_SPOTS

Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]
EdgeKey = tuple[str, int, int]  # ("h", i, j): nodes (i, j)–(i+1, j); ("v", i, j): (i, j)–(i, j+1)
Progress = Callable[[str, int, int], None]

SOURCE_SRID = 6383  # the generator's coordinates: UCS-2000 / Ukraine TM zone 9, metres
CENTRE: Point = (299_865.0, 5_476_633.0)  # Khmelnytskyi centre, lon 26.9965 lat 49.4216
SEMI_AXES = (7_000.0, 5_500.0)  # city outline at scale 1, m (before the noise)
ROTATION = 0.12  # radians; the old town's grid is not aligned with the TM axes
KOATUU = "6810100000"
# Placeholders with the right shape (^UA\d{17}$), NOT the official codifier codes (domain §0:
# look those up in the current KATOTTG edition before using real data).
CITY_KATOTTG = "UA68040470010000000"
HROMADA_KATOTTG = "UA68040470000000000"
CITY = "м. Хмельницький"
COMMUNITY_NAME = "Хмельницька міська територіальна громада"
EXECUTIVE_COMMITTEE = "Виконавчий комітет Хмельницької міської ради"
ARCHITECTURE_BODY = "Управління архітектури та містобудування Хмельницької міської ради"
ADDRESS_BODY_SINCE = date(2021, 9, 1)  # CMU No. 690 moved address decisions to the UAM

PURPOSE_TEXT = {
    "02.01": "Для будівництва і обслуговування житлового будинку, господарських будівель і "
             "споруд (присадибна ділянка)",
    "02.03": "Для будівництва і обслуговування багатоквартирного житлового будинку",
    "02.06": "Для колективного гаражного будівництва",
    "02.10": "Для будівництва і обслуговування багатоквартирного житлового будинку з об'єктами "
             "торгово-розважальної та ринкової інфраструктури",
    "03.01": "Для будівництва та обслуговування будівель органів державної влади та місцевого "
             "самоврядування",
    "03.02": "Для будівництва та обслуговування будівель закладів освіти",
    "03.03": "Для будівництва та обслуговування будівель закладів охорони здоров'я та "
             "соціальної допомоги",
    "03.04": "Для будівництва та обслуговування будівель громадських та релігійних організацій",
    "03.07": "Для будівництва та обслуговування будівель торгівлі",
    "03.08": "Для будівництва та обслуговування об'єктів туристичної інфраструктури та закладів "
             "громадського харчування",
    "03.10": "Для будівництва та обслуговування будівель ринкової інфраструктури "
             "(адміністративних будинків, офісних приміщень)",
    "03.15": "Для будівництва та обслуговування інших будівель громадської забудови",
    "07.02": "Для будівництва та обслуговування об'єктів фізичної культури і спорту",
    "07.08": "Для збереження та використання зелених насаджень загального користування",
    "07.09": "Для розміщення місць поховання",
    "11.02": "Для розміщення та експлуатації основних, підсобних і допоміжних будівель та споруд "
             "підприємств переробної, машинобудівної та іншої промисловості",
    "12.04": "Для розміщення та експлуатації будівель і споруд автомобільного транспорту та "
             "дорожнього господарства",
    "12.11": "Для розміщення та експлуатації об'єктів дорожнього сервісу",
    "13.01": "Для розміщення та експлуатації об'єктів і споруд електронних комунікацій",
    "14.02": "Для розміщення, будівництва, експлуатації та обслуговування будівель і споруд "
             "об'єктів передачі електричної та теплової енергії",
}
# Land category of a purpose section (domain §1.5): 02/03 → 200, 07 → 500, 11–15 → 900.
SECTION_CATEGORY = {"01": "100", "02": "200", "03": "200", "04": "300", "05": "300",
                    "06": "400", "07": "500", "08": "600", "09": "700", "10": "800",
                    "11": "900", "12": "900", "13": "900", "14": "900", "15": "900"}

# Purposes of the parcels cut from a block, per district (weights).
PURPOSE_MIX: dict[str, tuple[tuple[str, float], ...]] = {
    "centre": (("02.10", 30), ("02.03", 18), ("03.01", 7), ("03.07", 13), ("03.08", 7),
               ("03.10", 13), ("03.02", 5), ("03.03", 4), ("03.04", 2), ("03.15", 3)),
    "apartments_mid": (("02.03", 66), ("02.10", 8), ("03.02", 9), ("03.03", 3), ("03.07", 8),
                       ("07.02", 2), ("03.15", 2), ("03.10", 2)),
    "apartments_high": (("02.03", 70), ("02.10", 8), ("03.02", 8), ("03.03", 3), ("03.07", 7),
                        ("07.02", 2), ("03.15", 2)),
    "industrial": (("11.02", 76), ("14.02", 8), ("13.01", 4), ("12.04", 6), ("12.11", 6)),
    "transport": (("12.04", 65), ("12.11", 35)),
    "garages": (("02.06", 1),),
}
# Mean parcel frontage per district, m (houses are sized by area instead).
FRONTAGE = {"centre": 55.0, "apartments_mid": 75.0, "apartments_high": 90.0,
            "industrial": 95.0, "transport": 80.0, "garages": 110.0}

# Zoning-plan zone of each district: code, name, max height (m), max coverage (%).
ZONES = {
    "centre": ("Г-1", "Багатофункціональна зона центру міста", 40.0, 60.0),
    "apartments_mid": ("Ж-3", "Зона багатоквартирної житлової забудови середньої поверховості",
                       30.0, 40.0),
    "apartments_high": ("Ж-4", "Зона багатоквартирної житлової забудови підвищеної "
                               "поверховості", 60.0, 35.0),
    "houses": ("Ж-1", "Зона садибної житлової забудови", 12.0, 40.0),
    "industrial": ("В-1", "Виробнича зона підприємств IV–V класу санітарної класифікації",
                   30.0, 60.0),
    "transport": ("ТР-2", "Зона транспортної інфраструктури (автомобільний транспорт)",
                  15.0, 50.0),
    "park": ("Р-2", "Зона парків, скверів, бульварів", 9.0, 5.0),
    "cemetery": ("С-1", "Зона кладовищ", 9.0, 10.0),
    "garages": ("КС-3", "Комунально-складська зона: гаражі та автостоянки", 9.0, 60.0),
}
ZONING_DECISIONS = ((date(2021, 12, 15), "37"), (date(2024, 6, 14), "112"))
RENAMINGS = {  # council decisions that renamed streets (sessions of the city council)
    "decommunisation": ((date(2015, 11, 27), "4"), (date(2016, 2, 19), "12"),
                        (date(2016, 4, 22), "35")),
    "decolonisation": ((date(2022, 7, 8), "41"), (date(2023, 2, 24), "17"),
                       (date(2023, 9, 29), "58"), (date(2024, 3, 22), "22")),
}


def _pick[T](rng: random.Random, options: Sequence[tuple[T, float]]) -> T:
    """Return one value of ``options`` ((value, weight) pairs) drawn by weight."""
    r = rng.random() * sum(w for _, w in options)
    for value, weight in options:
        r -= weight
        if r < 0:
            return value
    return options[-1][0]


# -- geometry on tuples (EPSG:6383 metres) ---------------------------------------------------

def _bil(q: Quad, u: float, v: float) -> Point:
    """Return the point at (u, v) of the bilinear patch q = (P00, P10, P11, P01)."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = q
    a, b, c, d = (1 - u) * (1 - v), u * (1 - v), u * v, (1 - u) * v
    return (a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3)


def _dist(p: Point, q: Point) -> float:
    return math.hypot(q[0] - p[0], q[1] - p[1])


def _round(p: Point) -> Point:
    return (round(p[0], 2), round(p[1], 2))


def _ring_text(ring: Sequence[Point]) -> str:
    return ",".join(f"{x:.2f} {y:.2f}" for x, y in (*ring, ring[0]))


def _polygon(ring: Sequence[Point]) -> str:
    return f"SRID={SOURCE_SRID};POLYGON(({_ring_text(ring)}))"


def _multipolygon(ring: Sequence[Point]) -> str:
    return f"SRID={SOURCE_SRID};MULTIPOLYGON((({_ring_text(ring)})))"


def _multilinestring(line: Sequence[Point]) -> str:
    return f"SRID={SOURCE_SRID};MULTILINESTRING(({','.join(f'{x:.2f} {y:.2f}' for x, y in line)}))"


def _point(p: Point) -> str:
    return f"SRID={SOURCE_SRID};POINT({p[0]:.2f} {p[1]:.2f})"


def _area(ring: Sequence[Point]) -> float:
    """Return the planar area of a ring in m² (shoelace)."""
    s = 0.0
    for k in range(len(ring)):
        (x1, y1), (x2, y2) = ring[k - 1], ring[k]
        s += x1 * y2 - x2 * y1
    return abs(s) / 2


def _rectangle(centre: Point, direction: Point, length: float, width: float) -> list[Point]:
    """Return the corners of a rectangle (length along the unit ``direction``), rounded."""
    (cx, cy), (dx, dy) = centre, direction
    nx, ny = -dy, dx
    hl, hw = length / 2, width / 2
    return [_round((cx + sx * hl * dx + sy * hw * nx, cy + sx * hl * dy + sy * hw * ny))
            for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]


def _inset(corners: Quad, halves: tuple[float, float, float, float]) -> Quad:
    """Return the CCW quad ``corners`` with side k moved inwards by ``halves[k]`` metres."""
    lines = []
    for k in range(4):
        (ax, ay), (bx, by) = corners[k], corners[(k + 1) % 4]
        dx, dy = bx - ax, by - ay
        n = math.hypot(dx, dy)
        lines.append((ax - dy / n * halves[k], ay + dx / n * halves[k], dx, dy))
    out = []
    for k in range(4):
        px, py, dx, dy = lines[k - 1]
        qx, qy, ex, ey = lines[k]
        t = ((qx - px) * ey - (qy - py) * ex) / (dx * ey - dy * ex)
        out.append((px + t * dx, py + t * dy))
    return (out[0], out[1], out[2], out[3])


# -- the grid, the outline and the districts -------------------------------------------------

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


# -- streets ---------------------------------------------------------------------------------

@dataclass(slots=True)
class Street:
    """A named street: a run of grid edges, its nodes ordered from the end nearer the centre."""

    id: int
    street_type: str
    name: str
    nodes: list[Point]
    edges: list[EdgeKey]
    former: list[dict[str, str]] | None = None
    # (t along the street, house number) on the left (odd) and right (even) side, by t.
    numbers: tuple[list[tuple[float, str]], list[tuple[float, str]]] = field(
        default_factory=lambda: ([], []))

    def label(self) -> str:
        """Return the short form used in addresses, e.g. ``вул. Соборна``."""
        return f"{nm.STREET_ABBREVIATIONS[self.street_type]} {self.name}"


def _consecutive(keys: list[EdgeKey], index: int) -> list[list[EdgeKey]]:
    """Return ``keys`` split where the grid index at ``index`` jumps (a gap in the city)."""
    runs: list[list[EdgeKey]] = []
    for key in keys:
        if runs and int(key[index]) == int(runs[-1][-1][index]) + 1:
            runs[-1].append(key)
        else:
            runs.append([key])
    return runs


def _segments(grid: Grid) -> list[tuple[bool, list[EdgeKey]]]:
    """Return the maximal runs of street edges along each grid line, with the main flag."""
    nx, ny = len(grid.nodes) - 1, len(grid.nodes[0]) - 1
    out: list[tuple[bool, list[EdgeKey]]] = []
    for j in range(ny + 1):
        keys = [("h", i, j) for i in range(nx) if any(grid.edge_cells(("h", i, j)))]
        out += [(grid.main_h[j], run) for run in _consecutive(keys, 1)]
    for i in range(nx + 1):
        keys = [("v", i, j) for j in range(ny) if any(grid.edge_cells(("v", i, j)))]
        out += [(grid.main_v[i], run) for run in _consecutive(keys, 2)]
    return out


def _split(rng: random.Random, run: list[EdgeKey], lo: int, hi: int) -> list[list[EdgeKey]]:
    out, k = [], 0
    while k < len(run):
        n = rng.randint(lo, hi)
        out.append(run[k:k + n])
        k += n
    return out


def _street_runs(grid: Grid, rng: random.Random,
                 target: int) -> list[tuple[bool, list[EdgeKey]]]:
    """Return the edge runs that become streets: long main streets, shorter local ones, and
    single edges in the centre that become squares."""
    segments = _segments(grid)
    runs = [(True, part) for main, seg in segments if main for part in _split(rng, seg, 10, 22)]
    local_edges = sum(len(seg) for main, seg in segments if not main)
    mean = max(1.0, local_edges / max(1, target - len(runs)))
    lo, hi = max(1, round(0.5 * mean)), max(1, round(1.5 * mean))
    for main, seg in segments:
        if main:
            continue
        for part in _split(rng, seg, lo, hi):
            if len(part) > 2 and _rho(grid, part[0]) < 0.2 and rng.random() < 0.3:
                runs += [(False, part[:1]), (False, part[1:])]  # a square at the corner
            else:
                runs.append((False, part))
    return runs


def _rho(grid: Grid, key: EdgeKey) -> float:
    return min(c.rho for c in grid.edge_cells(key) if c)


def _street_type(rng: random.Random, main: bool, run: list[EdgeKey], grid: Grid) -> str:
    """Return the street type that fits where the run lies (centre, river, outskirts)."""
    sides = [grid.edge_cells(k) for k in run]
    cells = [c for pair in sides for c in pair if c is not None]
    rho = sum(c.rho for c in cells) / len(cells)
    at_border = any(None in pair for pair in (sides[0], sides[-1]))
    parks = [sum(1 for c in pair if c is not None and c.district == "park") for pair in sides]
    if main:
        if at_border and rho > 0.8 and rng.random() < 0.6:
            return "шосе"
        return _pick(rng, (("вулиця", 0.6), ("проспект", 0.28), ("бульвар", 0.12)))
    if 2 * sum(1 for n in parks if n == 2) >= len(parks):
        return "алея"
    if any(parks) and rng.random() < 0.2:
        return _pick(rng, (("набережна", 0.4), ("узвіз", 0.3), ("спуск", 0.3)))
    if len(run) == 1 and rho < 0.22:
        return _pick(rng, (("площа", 0.8), ("майдан", 0.2)))
    if len(run) <= 2 and at_border and rng.random() < 0.3:
        return _pick(rng, (("тупик", 0.6), ("в'їзд", 0.4)))
    if rho > 0.5:
        return _pick(rng, (("вулиця", 0.5), ("провулок", 0.38), ("проїзд", 0.12)))
    return _pick(rng, (("вулиця", 0.7), ("провулок", 0.2), ("проїзд", 0.1)))


def _former_names(rng: random.Random, street_type: str, name: str,
                  today: date) -> list[dict[str, str]] | None:
    """Return the street's earlier names (decommunisation / decolonisation), or None."""
    renamed = name in nm.PERSON_NAMES or name in nm.GENITIVE_NAMES
    if street_type in ("алея", "набережна", "узвіз", "спуск", "тупик", "в'їзд") \
            or rng.random() >= (0.28 if renamed else 0.06):
        return None
    era = "decommunisation" if rng.random() < 0.6 else "decolonisation"
    decisions = [d for d in RENAMINGS[era] if d[0] < today]
    if not decisions:
        return None
    when, number = rng.choice(decisions)
    pool = (nm.DECOMMUNISED_GENITIVE + nm.DECOMMUNISED_ADJECTIVES if era == "decommunisation"
            else nm.DECOLONISED_GENITIVE + nm.DECOLONISED_ADJECTIVES)
    old_type = street_type if rng.random() < 0.9 else "вулиця"
    history = [{"name": nm.street_name_form(rng.choice(pool), old_type), "street_type": old_type,
                "until": when.isoformat(), "decision": f"рішення № {number} від {when:%d.%m.%Y}"}]
    if era == "decommunisation" and rng.random() < 0.1:
        history.insert(0, {"name": "Сталіна", "street_type": old_type, "until": "1961-11-10",
                           "decision": "рішення виконкому № 518 від 10.11.1961"})
    return history


def generate_streets(grid: Grid, rng: random.Random, scale: float, today: date,
                     first_id: int) -> tuple[list[Street], dict[EdgeKey, tuple[int, int, bool]]]:
    """Return the named streets and, per grid edge, (street index, position, same direction)."""
    runs = _street_runs(grid, rng, max(25, round(1500 * scale)))
    # Main streets first, from the centre out, so the big names go to the central avenues.
    def centre_distance(run: list[EdgeKey]) -> float:
        return _dist(grid.edge_nodes(run[len(run) // 2])[0], CENTRE)
    runs.sort(key=lambda r: (not r[0], centre_distance(r[1])))
    namer = nm.StreetNamer(rng)
    streets: list[Street] = []
    refs: dict[EdgeKey, tuple[int, int, bool]] = {}
    for main, run in runs:
        nodes = [grid.edge_nodes(run[0])[0]] + [grid.edge_nodes(k)[1] for k in run]
        forward = _dist(nodes[0], CENTRE) <= _dist(nodes[-1], CENTRE)
        if not forward:
            nodes.reverse()
            run = run[::-1]
        street_type, name = namer.pick(_street_type(rng, main, run, grid), main, rng)
        assert street_type in STREET_TYPES
        for pos, key in enumerate(run):
            refs[key] = (len(streets), pos, forward)
        streets.append(Street(first_id + len(streets), street_type, name, nodes, run,
                              _former_names(rng, street_type, name, today)))
    return streets, refs


# -- blocks and parcels ----------------------------------------------------------------------

@dataclass(slots=True)
class Block:
    """A block: the grid cell inset by half the street widths; u runs along its long side."""

    cell: tuple[int, int]
    quad: Quad  # P00, P10, P11, P01
    fronts: tuple[EdgeKey, EdgeKey]  # the street edge along v = 0 and along v = 1


@dataclass(slots=True)
class Parcel:
    """A land parcel with its building and main address, built up stage by stage."""

    ring: list[Point]  # rounded to 0.01 m, not closed
    frame: Quad  # front-left, front-right, back-right, back-left (front = street side)
    edge: EdgeKey  # the street edge it faces
    cell: tuple[int, int]
    purpose: str
    cadastral_number: str = ""
    street: int = -1
    house: str = ""
    building: list[Point] = field(default_factory=list)
    building_id: int = 0


def generate_blocks(grid: Grid) -> list[Block]:
    """Return the blocks of the city cells, in cell order (EPSG:6383 m)."""
    blocks = []
    for (i, j) in sorted(grid.cells):
        n = grid.nodes
        corners = (n[i][j], n[i + 1][j], n[i + 1][j + 1], n[i][j + 1])
        sides: tuple[EdgeKey, EdgeKey, EdgeKey, EdgeKey] = (
            ("h", i, j), ("v", i + 1, j), ("h", i, j + 1), ("v", i, j))
        b0, b1, b2, b3 = _inset(corners, (grid.half_width(sides[0]), grid.half_width(sides[1]),
                                          grid.half_width(sides[2]), grid.half_width(sides[3])))
        if _dist(b0, b1) + _dist(b3, b2) >= _dist(b1, b2) + _dist(b0, b3):
            blocks.append(Block((i, j), (b0, b1, b2, b3), (sides[0], sides[2])))
        else:
            blocks.append(Block((i, j), (b1, b2, b3, b0), (sides[1], sides[3])))
    return blocks


def _columns(rng: random.Random, district: str, length: float,
             depth: float) -> list[tuple[float, float, str]]:
    """Return one row of a block cut into parcels: (u0, u1, purpose) along the street."""
    widths: list[float] = []
    purposes: list[str] = []
    if district == "houses":
        while sum(widths) < length - 6:
            widths.append(min(30.0, max(12.0, rng.uniform(720, 1450) / depth)))
            purposes.append("02.01")
        if len(widths) >= 6 and rng.random() < 0.05:  # a school, a shop or a church
            k = rng.randrange(len(widths) - 3)
            widths[k:k + 4] = [sum(widths[k:k + 4])]
            purposes[k:k + 4] = [_pick(rng, (("03.02", 35), ("03.07", 45), ("03.04", 20)))]
    else:
        n = max(1, round(length / (FRONTAGE[district] * rng.uniform(0.7, 1.3))))
        widths = [rng.uniform(0.6, 1.4) for _ in range(n)]
        purposes = [_pick(rng, PURPOSE_MIX[district]) for _ in range(n)]
    total, acc, out = sum(widths) or 1.0, 0.0, []
    for w, purpose in zip(widths, purposes, strict=True):
        u0, acc = acc / total, acc + w
        out.append((u0, acc / total, purpose))
    return [(u0, 1.0 if k == len(out) - 1 else u1, p) for k, (u0, u1, p) in enumerate(out)]


def _row_ring(q: Quad, u0: float, u1: float, v0: float, v1: float,
              mid_splits: list[float], front_low: bool) -> list[Point]:
    """Return the parcel ring (u0..u1 × v0..v1) with the other row's splits on the midline,
    so that both rows share every vertex (exact tiling after rounding)."""
    inner = [u for u in mid_splits if u0 < u < u1]
    if front_low:  # row 0: the midline is its back edge at v1
        pts = [_bil(q, u0, v0), _bil(q, u1, v0), _bil(q, u1, v1),
               *(_bil(q, u, v1) for u in reversed(inner)), _bil(q, u0, v1)]
    else:  # row 1: the midline is its back edge at v0
        pts = [_bil(q, u0, v0), *(_bil(q, u, v0) for u in inner), _bil(q, u1, v0),
               _bil(q, u1, v1), _bil(q, u0, v1)]
    return [_round(p) for p in pts]


def _snap(row: list[tuple[float, float, str]], others: list[float],
          tol: float) -> list[tuple[float, float, str]]:
    """Return ``row`` with splits closer than ``tol`` to one of ``others`` moved onto it: two
    midline vertices centimetres apart would not survive rounding to 0.01 m cleanly."""
    def snap(u: float) -> float:
        near = min(others, key=lambda o: abs(o - u), default=u)
        return near if 0 < abs(near - u) < tol else u
    return [(snap(u0) if k else u0, snap(u1) if k < len(row) - 1 else u1, p)
            for k, (u0, u1, p) in enumerate(row)]


def generate_parcels(grid: Grid, blocks: list[Block], rng: random.Random) -> list[Parcel]:
    """Return parcels that tile every block without overlaps (EPSG:6383 m)."""
    parcels: list[Parcel] = []
    for block in blocks:
        q, district = block.quad, grid.cells[block.cell].district
        if district in ("park", "cemetery"):
            purpose = "07.09" if district == "cemetery" else (
                "07.02" if rng.random() < 0.08 else "07.08")
            parcels.append(Parcel([_round(p) for p in q], q, block.fronts[0], block.cell,
                                  purpose))
            continue
        length = (_dist(q[0], q[1]) + _dist(q[3], q[2])) / 2
        depth = (_dist(q[0], q[3]) + _dist(q[1], q[2])) / 2
        vm = rng.uniform(0.45, 0.55)
        rows = [_columns(rng, district, length, depth * vm),
                _columns(rng, district, length, depth * (1 - vm))]
        rows[1] = _snap(rows[1], [u0 for u0, _, _ in rows[0][1:]], 0.5 / length)
        splits = [[u0 for u0, _, _ in row[1:]] for row in rows]
        for u0, u1, purpose in rows[0]:
            frame = (_bil(q, u0, 0), _bil(q, u1, 0), _bil(q, u1, vm), _bil(q, u0, vm))
            parcels.append(Parcel(_row_ring(q, u0, u1, 0.0, vm, splits[1], True), frame,
                                  block.fronts[0], block.cell, purpose))
        for u0, u1, purpose in rows[1]:
            frame = (_bil(q, u1, 1), _bil(q, u0, 1), _bil(q, u0, vm), _bil(q, u1, vm))
            parcels.append(Parcel(_row_ring(q, u0, u1, vm, 1.0, splits[0], False), frame,
                                  block.fronts[1], block.cell, purpose))
    return parcels


def assign_cadastral_numbers(grid: Grid, parcels: list[Parcel], rng: random.Random) -> None:
    """Give each parcel ``6810100000:ZZ:QQQ:PPPP``: zone by district, quarter by block group."""
    quarters: dict[tuple[int, int, int], int] = {}
    last_quarter: dict[int, int] = {}
    last_parcel: dict[tuple[int, int, int], int] = {}
    for p in parcels:
        zone = grid.cells[p.cell].cadastral_zone
        key = (zone, p.cell[0] // 3, p.cell[1] // 3)
        if key not in quarters:
            last_quarter[zone] = last_quarter.get(zone, 0) + (2 if rng.random() < 0.1 else 1)
            quarters[key] = last_quarter[zone]
        # Numbers of parcels divided or merged earlier are retired, hence the gaps.
        last_parcel[key] = last_parcel.get(key, 0) + _pick(rng, ((1, 85), (2, 12), (3, 3)))
        p.cadastral_number = f"{KOATUU}:{zone:02d}:{quarters[key]:03d}:{last_parcel[key]:04d}"


# -- house numbers, buildings, addresses -----------------------------------------------------

def _street_position(street: Street, pos: int, p: Point) -> tuple[float, bool]:
    """Return (t along the street in edges, is on the left side) of point ``p``."""
    (ax, ay), (bx, by) = street.nodes[pos], street.nodes[pos + 1]
    dx, dy = bx - ax, by - ay
    f = ((p[0] - ax) * dx + (p[1] - ay) * dy) / (dx * dx + dy * dy)
    return pos + min(1.0, max(0.0, f)), dx * (p[1] - ay) - dy * (p[0] - ax) > 0


def number_houses(streets: list[Street], refs: dict[EdgeKey, tuple[int, int, bool]],
                  parcels: list[Parcel], rng: random.Random) -> None:
    """Give every parcel a house number: odd on the left, even on the right, from the centre."""
    sides: list[tuple[list[tuple[float, int]], list[tuple[float, int]]]] = [
        ([], []) for _ in streets]
    for k, p in enumerate(parcels):
        s, pos, _ = refs[p.edge]
        front = ((p.frame[0][0] + p.frame[1][0]) / 2, (p.frame[0][1] + p.frame[1][1]) / 2)
        t, left = _street_position(streets[s], pos, front)
        sides[s][0 if left else 1].append((t, k))
        p.street = s
    for street, by_side in zip(streets, sides, strict=True):
        for side, entries in enumerate(by_side):
            number = 1 if side == 0 else 2
            for t, k in sorted(entries):
                if rng.random() < 0.03:
                    number += 2  # a number left free for a plot not yet built on
                parcels[k].house = str(number)
                street.numbers[side].append((t, str(number)))
                number += 2


def _footprint(rng: random.Random, purpose: str, front: float,
               depth: float) -> tuple[float, float, float, float]:
    """Return the building's (s0, s1, r0, r1) in the parcel frame: near the street front."""
    section = purpose[:2]
    if purpose == "02.01":
        w, setback, d = rng.uniform(8, 14), rng.uniform(3, 7), rng.uniform(8, 12)
    elif purpose in ("02.03", "02.10"):
        w, setback, d = front * rng.uniform(0.5, 0.85), rng.uniform(6, 15), rng.uniform(12, 16)
    elif purpose == "02.06":
        w, setback, d = front * 0.8, 5.0, 6.0
    elif purpose == "07.02":
        w, setback, d = front * 0.5, 10.0, 20.0
    elif section == "07":
        w, setback, d = 8.0, rng.uniform(5, 20), 6.0
    elif section in ("11", "12", "13", "14"):
        w, setback, d = front * rng.uniform(0.3, 0.7), rng.uniform(8, 20), rng.uniform(20, 60)
    else:
        w, setback, d = front * rng.uniform(0.35, 0.7), rng.uniform(5, 12), rng.uniform(15, 30)
    w, setback, d = min(w, 0.8 * front), min(setback, 0.2 * depth), min(d, 0.6 * depth)
    s0 = rng.uniform(0.1, max(0.1, 0.9 - w / front))
    return s0, s0 + w / front, setback / depth, (setback + d) / depth


BUILDING_PURPOSE = {"02.01": "residential_house", "02.03": "apartment_block",
                    "02.10": "apartment_block", "02.06": "garage", "03.07": "commercial",
                    "03.08": "commercial", "03.10": "commercial", "07.02": "public",
                    "12.11": "commercial"}


def _building_kind(rng: random.Random, purpose: str, district: str) -> tuple[str, int]:
    """Return the building's purpose code and floors."""
    section = purpose[:2]
    kind = BUILDING_PURPOSE.get(purpose) or (
        "public" if section == "03" else "other" if section == "07" else "industrial")
    if kind == "residential_house":
        floors = rng.choice((1, 1, 1, 2, 2))
    elif kind == "apartment_block":
        floors = rng.choice((9, 9, 10, 12, 14, 16) if district == "apartments_high" else
                            (5, 5, 6, 9, 9) if district == "centre" else (5, 5, 5, 9, 9, 10))
    elif kind in ("public", "commercial"):
        floors = 1 if purpose == "03.04" else rng.randint(1, 4)
    elif kind == "industrial":
        floors = rng.randint(1, 3)
    else:
        floors = 1
    return kind, floors


def generate_buildings(grid: Grid, parcels: list[Parcel], rng: random.Random,
                       first_id: int) -> list[tuple[object, ...]]:
    """Return building rows (one footprint per parcel, near its street front)."""
    rows: list[tuple[object, ...]] = []
    for k, p in enumerate(parcels):
        f = p.frame
        front = _dist(f[0], f[1])
        depth = min(_dist(f[0], f[3]), _dist(f[1], f[2]))
        s0, s1, r0, r1 = _footprint(rng, p.purpose, front, depth)
        p.building = [_round(_bil(f, s, r)) for s, r in ((s0, r0), (s1, r0), (s1, r1), (s0, r1))]
        p.building_id = first_id + k
        kind, floors = _building_kind(rng, p.purpose, grid.cells[p.cell].district)
        rows.append((p.building_id, floors, kind, _multipolygon(p.building)))
    return rows


def _extra_numbers(rng: random.Random, purpose: str) -> list[tuple[str, str | None]]:
    """Return the further addresses on a parcel: (house number suffix, korpus)."""
    section = purpose[:2]
    if purpose == "02.01":
        n = _pick(rng, ((0, 0.3), (1, 0.55), (2, 0.15)))
        style = ("А", "Б") if rng.random() < 0.7 else ("/1", "/2")
        return [(style[k], None) for k in range(n)]
    if purpose in ("02.03", "02.10"):
        n = _pick(rng, ((0, 0.15), (1, 0.3), (2, 0.3), (3, 0.15), (4, 0.1)))
        return [("", str(k + 2)) for k in range(n)]
    if section == "03":
        return [("А", None)] if rng.random() < 0.3 else []
    if section in ("11", "12", "13", "14"):
        n = _pick(rng, ((0, 0.6), (1, 0.25), (2, 0.15)))
        return [("", str(k + 2)) for k in range(n)]
    return []


def _decision(rng: random.Random, today: date) -> tuple[str, date, str]:
    """Return the (number, date, body) of an address decision (CMU No. 690 since 2021)."""
    when = today - timedelta(days=rng.randint(10, 7300))
    body = ARCHITECTURE_BODY if when >= ADDRESS_BODY_SINCE else EXECUTIVE_COMMITTEE
    return str(rng.randint(1, 1800)), when, body


def generate_addresses(grid: Grid, streets: list[Street], parcels: list[Parcel],
                       rng: random.Random, today: date, first_id: int) -> list[tuple[object, ...]]:
    """Return address rows: each parcel's main number plus letters, fractions and korpusy."""
    rows: list[tuple[object, ...]] = []
    for p in parcels:
        street, cell = streets[p.street], grid.cells[p.cell]
        numbers = [("", None), *_extra_numbers(rng, p.purpose)]
        b = (p.building[0], p.building[1], p.building[2], p.building[3])
        for k, (suffix, korpus) in enumerate(numbers):
            s = (k + 0.5) / len(numbers)
            kind, status, spot = "building", "active", _bil(b, s, 0.3)
            building: int | None = p.building_id
            if p.purpose[:2] in ("12", "13", "14") and k == 0 and rng.random() < 0.3:
                kind = "structure"
            elif k > 0 and rng.random() < 0.03:  # a house being built: address before building
                kind, status, building, spot = ("construction_object", "planned", None,
                                                _bil(p.frame, s, 0.85))
            elif k > 0 and rng.random() < 0.015:
                status = "annulled"
            number, when, body = _decision(rng, today)
            rows.append((first_id + len(rows), street.id, p.house + suffix, korpus,
                         cell.postal_code, CITY_KATOTTG, kind, status, building,
                         p.cadastral_number, number, when, body, _point(_round(spot))))
    return rows


# -- parcel holders --------------------------------------------------------------------------

def _holder(rng: random.Random, parties: nm.Parties, purpose: str, home: str,
            residents: list[str]) -> tuple[str, str, str, str | None, str | None, str | None]:
    """Return (ownership form, holder kind, name, EDRPOU, RNOKPP, home address)."""
    council = parties.fixed(nm.CITY_COUNCIL)
    enterprise = nm.COMMUNAL_ENTERPRISES
    section = purpose[:2]
    if purpose == "02.01":
        if rng.random() < 0.93:
            name, code = parties.person()
            return "100", "natural", name, None, code, (
                home if rng.random() < 0.9 else rng.choice(residents))
        return "300", "legal", *council, None, None
    if purpose in ("02.03", "02.10") and rng.random() < (0.6 if purpose == "02.03" else 0.4):
        osbb = (home.split(", ", 1)[1].split(" ", 1)[1] if rng.random() < 0.5
                else rng.choice(nm.OSBB_NAMES))
        return "300", "legal", f"ОСББ «{osbb}»", parties.edrpou(), None, None
    if purpose in ("02.03", "02.06", "03.01") and rng.random() < 0.5:
        if purpose == "03.01":
            return "200", "legal", *parties.fixed(rng.choice(nm.STATE_BODIES)), None, None
        if purpose == "02.06":
            word = rng.choice(("Автомобіліст", "Мотор", "Гараж", "Сигнал", "Поділля"))
            return "300", "legal", f"ГК «{word}-{rng.randint(1, 40)}»", parties.edrpou(), None, None
    if purpose in ("02.03", "02.06", "03.01"):
        return "300", "legal", *council, None, None
    special = {"03.02": ("Хмельницький ліцей № {}", "Заклад дошкільної освіти № {}"),
               "03.03": ("КНП «Центр первинної медико-санітарної допомоги № {}»",
                         "КНП «Хмельницька міська лікарня № {}»"),
               "03.04": ("Релігійна громада парафії № {} ПЦУ м. Хмельницького",)}
    if purpose in special:
        return "300", "legal", *parties.numbered(rng.choice(special[purpose])), None, None
    if section == "07":
        key = {"07.02": "sport", "07.09": "cemetery"}.get(purpose, "parks")
        return "300", "legal", *parties.fixed(enterprise[key]), None, None
    if section == "03" and rng.random() < 0.15:
        name, code, _ = parties.sole_proprietor()
        return "100", "sole_proprietor", name, None, code, rng.choice(residents)
    if purpose == "12.04" and rng.random() < 0.4:
        return "300", "legal", *parties.fixed(enterprise["transport"]), None, None
    if section in ("11", "14") and rng.random() < 0.2:
        return "200", "legal", f"ДП «{nm.company_name(rng)}»", parties.edrpou(), None, None
    return ("300" if rng.random() < 0.2 else "100"), "legal", *parties.company(), None, None


def generate_parcel_rows(streets: list[Street], parcels: list[Parcel],
                         parties: nm.Parties, rng: random.Random, today: date,
                         first_id: int) -> list[tuple[object, ...]]:
    """Return land-parcel rows with purpose, category, area (ha, 4 decimals) and holder."""
    homes = [f"{CITY}, {streets[p.street].label()}, {p.house}" for p in parcels]
    residents = [h for h, p in zip(homes, parcels, strict=True) if p.purpose == "02.01"] or homes
    rows: list[tuple[object, ...]] = []
    for k, p in enumerate(parcels):
        area = _area(p.ring) / 10_000
        if rng.random() < 0.1:  # surveyed earlier, by older instruments
            area += rng.choice((-1, 1)) * rng.randint(1, 20) / 10_000
        ownership, kind, name, edrpou, rnokpp, home = _holder(
            rng, parties, p.purpose, homes[k], residents)
        registered = today - timedelta(days=rng.randint(60, 22 * 365))
        rows.append((first_id + k, p.cadastral_number, SECTION_CATEGORY[p.purpose[:2]],
                     p.purpose, PURPOSE_TEXT[p.purpose], ownership, round(area, 4), kind, name,
                     edrpou, rnokpp, home, registered, CITY_KATOTTG, _multipolygon(p.ring)))
    return rows


# -- permits and passports: terms relative to today -----------------------------------------

@dataclass(frozen=True, slots=True)
class Term:
    """Dates of a permit or passport: decision ≤ issue ≤ valid_from < valid_until (≤ 5 years)."""

    decided_on: date
    issued_on: date
    valid_from: date
    valid_until: date
    dismantling_ordered_on: date | None
    dismantled_on: date | None


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def permit_term(rng: random.Random, today: date) -> Term:
    """Return a term from the realistic mix relative to ``today``: ~65 % valid, ~7 % expiring
    within 30 days, ~20 % expired, ~5 % dismantling ordered, ~3 % dismantled."""
    years = _pick(rng, ((1, 10), (2, 15), (3, 20), (5, 55)))
    span = (_add_years(today, years) - today).days
    ordered = dismantled = None
    r = rng.random()
    if r < 0.65:
        until = today + timedelta(days=rng.randint(31, span - 1))
    elif r < 0.72:
        until = today + timedelta(days=rng.randint(0, 30))
    elif r < 0.92:
        until = today - timedelta(days=rng.randint(1, 1100))
    elif r < 0.97:
        until = today - timedelta(days=rng.randint(45, 900))
        ordered = until + timedelta(days=rng.randint(14, 40))
    else:
        until = today - timedelta(days=rng.randint(200, 1400))
        ordered = until + timedelta(days=rng.randint(14, 60))
        dismantled = ordered + timedelta(days=rng.randint(10, 90))
    valid_from = _add_years(until + timedelta(days=1), -years)
    issued = valid_from - timedelta(days=rng.randint(0, 21))
    return Term(issued - timedelta(days=rng.randint(3, 30)), issued, valid_from, until,
                ordered, dismantled)


class Numbering:
    """Document numbers unique per issuer: ``<prefix>-<year>-<0001>``."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.last: dict[int, int] = {}

    def next(self, year: int) -> str:
        """Return the next number of ``year``."""
        self.last[year] = self.last.get(year, 0) + 1
        return f"{self.prefix}-{year}-{self.last[year]:04d}"


# -- things along the streets: advertising, temporary structures -----------------------------

class Spacing:
    """A coarse spatial hash that keeps objects (discs of radius r, m) apart."""

    def __init__(self, cell: float = 25.0) -> None:
        self.cell = cell
        self.items: dict[tuple[int, int], list[tuple[float, float, float]]] = {}

    def free(self, p: Point, r: float) -> bool:
        """Return True when a disc of radius ``r`` at ``p`` touches nothing added so far."""
        ci, cj = int(p[0] // self.cell), int(p[1] // self.cell)
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                for x, y, rq in self.items.get((ci + di, cj + dj), ()):
                    if math.hypot(p[0] - x, p[1] - y) < r + rq:
                        return False
        return True

    def add(self, p: Point, r: float) -> None:
        """Reserve a disc of radius ``r`` at ``p``."""
        key = (int(p[0] // self.cell), int(p[1] // self.cell))
        self.items.setdefault(key, []).append((p[0], p[1], r))


DISTRICT_FOOTFALL = {"centre": 4.0, "apartments_mid": 2.0, "apartments_high": 2.0,
                     "transport": 1.2, "industrial": 0.6, "houses": 0.5, "park": 1.0,
                     "cemetery": 0.3, "garages": 0.4}


class StreetSites:
    """Pick places along the streets, busier streets more often (EPSG:6383 m)."""

    def __init__(self, grid: Grid, streets: list[Street],
                 refs: dict[EdgeKey, tuple[int, int, bool]], min_half: float = 0.0) -> None:
        self.grid, self.streets, self.refs = grid, streets, refs
        self.keys: list[EdgeKey] = []
        self.cum: list[float] = []
        total = 0.0
        for key in refs:
            half = grid.half_width(key)
            if half < min_half:
                continue
            footfall = max(DISTRICT_FOOTFALL[c.district] for c in grid.edge_cells(key) if c)
            total += (5.0 if half >= 11 else 2.0 if half >= 8 else 1.0) * footfall
            self.keys.append(key)
            self.cum.append(total)

    def edge(self, rng: random.Random) -> EdgeKey:
        """Return a street edge, busier ones more often."""
        return rng.choices(self.keys, cum_weights=self.cum)[0]

    def place(self, key: EdgeKey, t: float, offset: float) -> tuple[Point, Point]:
        """Return the point at ``t`` along the edge, ``offset`` m to its left, and the edge's
        unit direction."""
        (ax, ay), (bx, by) = self.grid.edge_nodes(key)
        n = math.hypot(bx - ax, by - ay)
        ux, uy = (bx - ax) / n, (by - ay) / n
        return (ax + t * (bx - ax) - uy * offset, ay + t * (by - ay) + ux * offset), (ux, uy)

    def location(self, key: EdgeKey, t: float, left: bool, prefix: str = "") -> str:
        """Return ``вул. Назва, 12``: the nearest house number on that side of the street."""
        s, pos, forward = self.refs[key]
        street = self.streets[s]
        t_run, left_run = pos + (t if forward else 1 - t), left == forward
        numbers = street.numbers[0 if left_run else 1] or street.numbers[1 if left_run else 0]
        if not numbers:
            return street.label()
        nearest = min(numbers, key=lambda e: abs(e[0] - t_run))
        return f"{street.label()}, {prefix}{nearest[1]}"


# type, weight, surfaces (w × h, m), sides, lighting, mounting (domain §5.3)
STRUCTURES: tuple[tuple[str, float, tuple[tuple[float, float], ...], tuple[int, ...],
                        tuple[str, ...], tuple[str, ...]], ...] = (
    ("citylight", 28, ((1.2, 1.8),), (2,), ("internal",), ("ground", "street_furniture")),
    ("billboard", 22, ((6.0, 3.0),), (1, 2), ("none", "external"), ("ground",)),
    ("bracket", 10, ((0.8, 1.2), (1.0, 1.5), (1.2, 1.8)), (2,), ("none", "internal"),
     ("street_furniture",)),
    ("backlight", 8, ((6.0, 3.0),), (1, 2), ("internal",), ("ground",)),
    ("scroller", 6, ((1.2, 1.8),), (2,), ("internal",), ("ground", "street_furniture")),
    ("pylon", 5, ((1.0, 3.0), (1.5, 4.0), (2.0, 6.0)), (2,), ("internal",), ("ground",)),
    ("supersite", 4, ((12.0, 4.0), (15.0, 5.0)), (1, 2), ("external",), ("ground",)),
    ("prismatron", 3, ((6.0, 3.0),), (1, 2), ("external", "internal"), ("ground",)),
    ("led_screen", 4, ((3.0, 2.0), (4.0, 3.0), (6.0, 3.0), (8.0, 4.5)), (1,), ("digital",),
     ("ground", "facade")),
    ("facade_banner", 4, ((6.0, 9.0), (10.0, 12.0), (12.0, 15.0), (18.0, 12.0)), (1,),
     ("none", "external"), ("facade",)),
    ("rooftop", 2, ((8.0, 2.0), (12.0, 3.0), (15.0, 4.0)), (1,), ("internal", "external"),
     ("roof",)),
    ("street_banner", 2, ((8.0, 0.9), (10.0, 1.0), (12.0, 1.2)), (2,), ("none",),
     ("over_street",)),
)


def _distributors(rng: random.Random, parties: nm.Parties, residents: list[str],
                  n: int = 60) -> list[tuple[str, str, str | None, str, str, str | None,
                                             str | None]]:
    """Return advertising distributors: (kind, name, EDRPOU, phone, e-mail, RNOKPP, home)."""
    out: list[tuple[str, str, str | None, str, str, str | None, str | None]] = []
    for _ in range(n):
        if rng.random() < 0.15:
            name, code, mail = parties.sole_proprietor()
            out.append(("sole_proprietor", name, None, nm.phone(rng), mail, code,
                        rng.choice(residents)))
        else:
            base = nm.company_name(rng, nm.MEDIA_WORDS)
            mail = f"{rng.choice(('info', 'office', 'reklama', 'sales'))}@" \
                   f"{nm.email_slug(base)}.com.ua"
            out.append(("legal", f"{rng.choice(('ТОВ', 'ТОВ', 'ТОВ', 'ПП'))} «{base}»",
                        parties.edrpou(), nm.phone(rng), mail, None, None))
    return out


def generate_advertising(sites: StreetSites, parties: nm.Parties, residents: list[str],
                         rng: random.Random, today: date, count: int,
                         first_id: int) -> list[tuple[object, ...]]:
    """Return advertising-structure rows: points a few metres off the carriageway."""
    distributors = _distributors(rng, parties, residents)
    weights = [1 / (k + 1) for k in range(len(distributors))]  # a few big operators
    spacing, numbers = Spacing(), Numbering("ХМ")
    rows: list[tuple[object, ...]] = []
    for _ in range(count):
        kind, _w, sizes, sides, lights, mounts = _pick(rng, [(s, s[1]) for s in STRUCTURES])
        mounting = rng.choice(mounts)
        for _attempt in range(10):
            key, t, side = sites.edge(rng), rng.uniform(0.12, 0.88), rng.choice((-1, 1))
            half = sites.grid.half_width(key)
            offset = (0.0 if mounting == "over_street" else
                      half + rng.uniform(4, 9) if mounting in ("facade", "roof") else
                      half - rng.uniform(1.0, 3.0))
            p, _ = sites.place(key, t, side * offset)
            if spacing.free(p, 2.0):
                break
        spacing.add(p, 2.0)
        width, height = rng.choice(sizes)
        term = permit_term(rng, today)
        owner = _pick(rng, (("private", 0.8), ("communal", 0.2)) if mounting in ("facade", "roof")
                      else (("communal", 0.8), ("state", 0.1), ("private", 0.1)))
        contract = ((f"{rng.randint(1, 999)}/{term.valid_from.year}",
                     term.valid_from - timedelta(days=rng.randint(0, 10)))
                    if owner == "communal" else (None, None))
        d_kind, d_name, d_edrpou, d_phone, d_mail, d_rnokpp, d_home = rng.choices(
            distributors, weights)[0]
        rows.append((first_id + len(rows), numbers.next(term.issued_on.year), term.issued_on,
                     term.valid_from, term.valid_until, term.dismantling_ordered_on,
                     term.dismantled_on, str(rng.randint(100, 1200)), term.decided_on,
                     EXECUTIVE_COMMITTEE, kind, width, height, rng.choice(sides),
                     rng.choice(lights), mounting, d_kind, d_name, d_edrpou, d_phone, d_mail,
                     d_rnokpp, d_home, owner, *contract, sites.location(key, t, side > 0),
                     _point(_round(p))))
    return rows


# kind, purpose, specialisation, (length, width) m, weight (domain §6.2; pavilions ≤ 30 m²)
TS_KINDS: tuple[tuple[str, str, str, tuple[float, float], float], ...] = (
    ("stationary", "trade", "преса", (3.0, 2.0), 10),
    ("stationary", "trade", "квіти", (4.0, 3.0), 10),
    ("stationary", "trade", "овочі та фрукти", (4.0, 3.0), 9),
    ("stationary", "trade", "хлібобулочні вироби", (3.0, 2.5), 8),
    ("stationary", "trade", "продовольчі товари", (5.0, 4.0), 8),
    ("stationary", "trade", "продовольчі товари", (6.0, 4.9), 3),  # a pavilion under 30 m²
    ("stationary", "trade", "молочна продукція", (3.0, 3.0), 4),
    ("stationary", "trade", "кондитерські вироби", (3.0, 2.5), 4),
    ("stationary", "trade", "лотерейні білети", (2.5, 2.0), 2),
    ("stationary", "trade", "непродовольчі товари", (6.0, 4.0), 3),
    ("stationary", "catering", "фастфуд", (5.0, 3.0), 7),
    ("stationary", "catering", "кава", (3.0, 2.0), 6),
    ("stationary", "services", "ремонт взуття", (3.0, 2.0), 3),
    ("stationary", "services", "виготовлення ключів", (2.5, 2.0), 2),
    ("stationary", "services", "ремонт одягу", (3.0, 2.5), 2),
    ("stationary", "social_cultural", "театральна каса", (2.5, 2.0), 1),
    ("stationary", "other", "пункт видачі замовлень", (4.0, 3.0), 3),
    ("mobile", "catering", "кава", (3.0, 2.0), 6),
    ("mobile", "trade", "морозиво", (2.0, 1.5), 3),
    ("mobile", "trade", "напої", (2.5, 2.0), 2),
    ("terrace", "catering", "літній майданчик", (8.0, 5.0), 4),
    ("terrace", "catering", "літній майданчик", (10.0, 6.0), 2),
)
SPOT_SIZES = (4, 6, 9, 12, 15, 18, 20, 24, 30, 40, 50, 60, 72, 80)  # max area steps, m²
SCHEME_DECISIONS = ((date(2021, 4, 27), "388"), (date(2023, 5, 26), "521"))


@dataclass(slots=True)
class Spot:
    """A spot of the placement scheme and the structure meant for it."""

    id: int
    number: str
    ring: list[Point]
    centre: Point
    direction: Point
    kind: tuple[str, str, str, tuple[float, float], float]
    max_area: float
    location: str
    stop: str


def generate_spots(sites: StreetSites, rng: random.Random, count: int,
                   first_id: int) -> tuple[list[Spot], Spacing]:
    """Return scheme spots on the pavements of the wider streets (no two overlap)."""
    spacing, spots, per_zone = Spacing(), list[Spot](), dict[int, int]()
    for _ in range(count * 20):
        if len(spots) == count:
            break
        kind = _pick(rng, [(k, k[4]) for k in TS_KINDS])
        (length, width), margin = kind[3], rng.uniform(0.5, 1.0)
        key, t, side = sites.edge(rng), rng.uniform(0.2, 0.8), rng.choice((-1, 1))
        half = sites.grid.half_width(key)
        if width + 2 * margin > half - 3.2:
            continue  # the pavement is too narrow for it
        centre, direction = sites.place(key, t, side * (half - 0.3 - width / 2 - margin))
        radius = math.hypot(length / 2 + margin, width / 2 + margin)
        if not spacing.free(centre, radius + 0.5):
            continue
        spacing.add(centre, radius)
        zone = next(c for c in sites.grid.edge_cells(key) if c).cadastral_zone
        per_zone[zone] = per_zone.get(zone, 0) + 1
        street = sites.streets[sites.refs[key][0]]
        spots.append(Spot(first_id + len(spots), f"{zone:02d}-{per_zone[zone]:03d}",
                          _rectangle(centre, direction, length + 2 * margin, width + 2 * margin),
                          centre, direction, kind,
                          # Above the nominal area: rounding the corners to 0.01 m must not
                          # make a compliant structure measure over the spot's maximum.
                          float(next(s for s in SPOT_SIZES if s >= length * width + 0.5)),
                          sites.location(key, t, side > 0, "біля буд. "), street.label()))
    return spots, spacing


def spot_rows(spots: list[Spot], occupied: list[bool], rng: random.Random,
              today: date) -> list[tuple[object, ...]]:
    """Return ts_scheme_spot rows; spots without a structure are free or reserved."""
    decisions = [d for d in SCHEME_DECISIONS if d[0] < today] or [SCHEME_DECISIONS[0]]
    rows: list[tuple[object, ...]] = []
    for spot, taken in zip(spots, occupied, strict=True):
        when, number = decisions[0] if rng.random() < 0.8 else rng.choice(decisions)
        status = "occupied" if taken else _pick(rng, (("free", 0.7), ("reserved", 0.3)))
        rows.append((spot.id, spot.number, spot.max_area, spot.kind[0],
                     spot.kind[2] if rng.random() < 0.9 else None, status, number, when,
                     EXECUTIVE_COMMITTEE, _polygon(spot.ring)))
    return rows


def generate_temporary(sites: StreetSites, spots: list[Spot], taken: Spacing,
                       parties: nm.Parties, residents: list[str], rng: random.Random,
                       today: date, count: int,
                       first_id: int) -> tuple[list[tuple[object, ...]], list[bool]]:
    """Return temporary-structure rows and which spots they occupy.

    About 5 % break the scheme on purpose, for the compliance rules to find: half stand
    outside every spot, half are larger than their spot allows.
    """
    wrong = max(2, round(0.05 * count))
    outside, in_spots = wrong // 2, min(len(spots), count - wrong // 2)
    oversize = set(rng.sample(range(in_spots), wrong - outside))
    numbers, rows = Numbering("ПП"), list[tuple[object, ...]]()
    occupied = [k < in_spots for k in range(len(spots))]
    for k, spot in enumerate(spots[:in_spots]):
        length, width = spot.kind[3]
        while k in oversize and length * width <= spot.max_area + 0.5:  # larger than allowed
            length, width = length + 1.0, width + 0.5
        slack = rng.uniform(-0.3, 0.3)
        centre = (spot.centre[0] + spot.direction[0] * slack,
                  spot.centre[1] + spot.direction[1] * slack)
        rows.append(_structure_row(rng, parties, residents, today, numbers, first_id + len(rows),
                                   spot.kind, length, width, spot.id,
                                   spot.location if rng.random() < 0.7 else
                                   f"зупинка громадського транспорту «{spot.stop}»",
                                   _rectangle(centre, spot.direction, length, width)))
    while len(rows) < count:
        kind_row = _pick(rng, [(k, k[4]) for k in TS_KINDS if k[0] != "terrace"])
        (length, width) = kind_row[3]
        key, t, side = sites.edge(rng), rng.uniform(0.2, 0.8), rng.choice((-1, 1))
        half = sites.grid.half_width(key)
        centre, direction = sites.place(key, t, side * (half - 0.5 - width / 2))
        if not taken.free(centre, math.hypot(length, width) / 2 + 1.0):
            continue
        taken.add(centre, math.hypot(length, width) / 2)
        rows.append(_structure_row(rng, parties, residents, today, numbers, first_id + len(rows),
                                   kind_row, length, width, None,
                                   sites.location(key, t, side > 0, "біля буд. "),
                                   _rectangle(centre, direction, length, width)))
    return rows, occupied


def _structure_row(rng: random.Random, parties: nm.Parties, residents: list[str], today: date,
                   numbers: Numbering, row_id: int,
                   kind: tuple[str, str, str, tuple[float, float], float], length: float,
                   width: float, spot_id: int | None, location: str,
                   ring: list[Point]) -> tuple[object, ...]:
    term = permit_term(rng, today)
    if rng.random() < 0.35:
        owner_kind, (name, edrpou), rnokpp, home = "legal", parties.company(), None, None
    else:
        name, rnokpp, _ = parties.sole_proprietor()
        owner_kind, edrpou, home = "sole_proprietor", None, rng.choice(residents)
    height = {"stationary": round(rng.uniform(2.6, 3.2), 2), "mobile": 2.4,
              "terrace": 2.5}[kind[0]]
    return (row_id, numbers.next(term.issued_on.year), term.issued_on, term.valid_from,
            term.valid_until, term.dismantling_ordered_on, term.dismantled_on,
            str(rng.randint(1, 900)), term.decided_on, ARCHITECTURE_BODY, owner_kind, name,
            edrpou, rnokpp, home, kind[0], kind[1], kind[2], length, width, height,
            round(length * width, 2), spot_id, location, _polygon(ring))


# -- zoning plan and the community boundary --------------------------------------------------

def generate_zones(grid: Grid, rng: random.Random, today: date,
                   first_id: int) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Return zone rows (attributes only) and cell rows (zone id, cell polygon): a zone is
    the cells of one district within a 4 × 4 macro-block, so zones tile the city."""
    decisions = [d for d in ZONING_DECISIONS if d[0] < today] or [ZONING_DECISIONS[0]]
    zones: dict[tuple[str, int, int], int] = {}
    zone_rows: list[tuple[object, ...]] = []
    cell_rows: list[tuple[object, ...]] = []
    n = grid.nodes
    for (i, j) in sorted(grid.cells):
        district = grid.cells[(i, j)].district
        key = (district, i // 4, j // 4)
        if key not in zones:
            zones[key] = first_id + len(zone_rows)
            code, name, height, coverage = ZONES[district]
            when, number = decisions[0] if rng.random() < 0.9 else rng.choice(decisions)
            zone_rows.append((zones[key], code, name, height, coverage, number, when,
                              nm.CITY_COUNCIL))
        ring = [_round(p) for p in (n[i][j], n[i + 1][j], n[i + 1][j + 1], n[i][j + 1])]
        cell_rows.append((zones[key], _polygon(ring)))
    return zone_rows, cell_rows


# -- the whole city --------------------------------------------------------------------------

STREET_COLUMNS = ("id", "street_type", "name", "former_names", "katottg", "geom")
BUILDING_COLUMNS = ("id", "floors", "purpose", "geom")
PARCEL_COLUMNS = ("id", "cadastral_number", "category", "purpose_code", "purpose_text",
                  "ownership_form", "area_declared_ha", "holder_kind", "holder_name",
                  "holder_edrpou", "holder_rnokpp", "holder_home_address", "registered_on",
                  "katottg", "geom")
ADDRESS_COLUMNS = ("id", "street_id", "house_number", "korpus", "postal_code", "katottg",
                   "object_kind", "status", "building_id", "cadastral_number",
                   "decision_number", "decision_date", "issuing_body", "geom")
ADVERTISING_COLUMNS = ("id", "permit_number", "issued_on", "valid_from", "valid_until",
                       "dismantling_ordered_on", "dismantled_on", "decision_number",
                       "decision_date", "issuing_body", "structure_type", "width_m",
                       "height_m", "sides", "lighting", "mounting", "distributor_kind",
                       "distributor_name", "distributor_edrpou", "distributor_phone",
                       "distributor_email", "distributor_rnokpp", "distributor_home_address",
                       "place_owner", "contract_number", "contract_date", "location_text",
                       "geom")
SPOT_COLUMNS = ("id", "spot_number", "max_area_m2", "allowed_kind", "allowed_specialisation",
                "status", "scheme_decision_number", "scheme_decision_date", "issuing_body",
                "geom")
TEMPORARY_COLUMNS = ("id", "passport_number", "issued_on", "valid_from", "valid_until",
                     "dismantling_ordered_on", "dismantled_on", "decision_number",
                     "decision_date", "issuing_body", "owner_kind", "owner_name",
                     "owner_edrpou", "owner_rnokpp", "owner_home_address", "structure_kind",
                     "purpose", "specialisation", "length_m", "width_m", "height_m", "area_m2",
                     "scheme_spot_id", "location_text", "geom")
ZONE_COLUMNS = ("id", "zone_code", "zone_name", "max_height_m", "max_coverage_pct",
                "plan_decision_number", "plan_decision_date", "issuing_body")
LOAD_ORDER = (STREETS, BUILDINGS, LAND_PARCELS, ADDRESSES, ADVERTISING_STRUCTURES,
              TS_SCHEME_SPOTS, TEMPORARY_STRUCTURES)  # parents before children
COLUMNS = dict(zip((r.id for r in LOAD_ORDER),
                   (STREET_COLUMNS, BUILDING_COLUMNS, PARCEL_COLUMNS, ADDRESS_COLUMNS,
                    ADVERTISING_COLUMNS, SPOT_COLUMNS, TEMPORARY_COLUMNS), strict=True))
ALL_REGISTRIES = (*LOAD_ORDER, PLANNING_ZONES, COMMUNITY_BOUNDARIES)


@dataclass
class DemoCity:
    """The generated rows of every registry, in each table's COPY column order."""

    rows: dict[str, list[tuple[object, ...]]]  # collection id → rows
    zone_cells: list[tuple[object, ...]]


def build_city(scale: float, seed: int, today: date, first_ids: dict[str, int],
               progress: Progress) -> DemoCity:
    """Return the demo city's rows (geometries as EWKT in EPSG:6383, metres)."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, not {scale}")
    rng, steps = random.Random(seed), 8
    progress("generating city", 0, steps)
    grid = generate_grid(rng, scale)
    streets, refs = generate_streets(grid, rng, scale, today, first_ids[STREETS.id])
    progress("generating city", 1, steps)
    parcels = generate_parcels(grid, generate_blocks(grid), rng)
    assign_cadastral_numbers(grid, parcels, rng)
    number_houses(streets, refs, parcels, rng)
    progress("generating city", 2, steps)
    buildings = generate_buildings(grid, parcels, rng, first_ids[BUILDINGS.id])
    addresses = generate_addresses(grid, streets, parcels, rng, today, first_ids[ADDRESSES.id])
    progress("generating city", 4, steps)
    parties = nm.Parties(rng)
    land = generate_parcel_rows(streets, parcels, parties, rng, today,
                                first_ids[LAND_PARCELS.id])
    kind, home = PARCEL_COLUMNS.index("holder_kind"), PARCEL_COLUMNS.index("holder_home_address")
    residents = [str(row[home]) for row in land if row[kind] == "natural"] or [CITY]
    progress("generating city", 5, steps)
    sites = StreetSites(grid, streets, refs)
    advertising = generate_advertising(sites, parties, residents, rng, today,
                                       max(12, round(3000 * scale)),
                                       first_ids[ADVERTISING_STRUCTURES.id])
    progress("generating city", 6, steps)
    n_ts = max(12, round(2000 * scale))
    wide = StreetSites(grid, streets, refs, min_half=8.0)
    spots, taken = generate_spots(wide, rng, n_ts + max(2, round(0.07 * n_ts)),
                                  first_ids[TS_SCHEME_SPOTS.id])
    structures, occupied = generate_temporary(wide, spots, taken, parties, residents, rng,
                                              today, n_ts, first_ids[TEMPORARY_STRUCTURES.id])
    progress("generating city", 7, steps)
    zones, cells = generate_zones(grid, rng, today, first_ids[PLANNING_ZONES.id])
    street_rows: list[tuple[object, ...]] = [
        (s.id, s.street_type, s.name, json.dumps(s.former, ensure_ascii=False) if s.former
         else None, CITY_KATOTTG, _multilinestring(s.nodes)) for s in streets]
    progress("generating city", steps, steps)
    return DemoCity({STREETS.id: street_rows, BUILDINGS.id: buildings, LAND_PARCELS.id: land,
                     ADDRESSES.id: addresses, ADVERTISING_STRUCTURES.id: advertising,
                     TS_SCHEME_SPOTS.id: spot_rows(spots, occupied, rng, today),
                     TEMPORARY_STRUCTURES.id: structures, PLANNING_ZONES.id: zones},
                    cells)


# -- loading ---------------------------------------------------------------------------------

def _check_columns(reg: Registry, columns: Sequence[str]) -> None:
    """Raise KeyError when a column is not declared by ``reg`` (the declarations are the truth)."""
    for name in columns:
        if name not in ("id", "geom"):
            reg.field(name)


def _copy(conn: psycopg.Connection, reg: Registry, columns: Sequence[str],
          rows: list[tuple[object, ...]], srid: int, progress: Progress) -> None:
    """COPY ``rows`` into the registry table; through a staging table when ``srid`` differs
    from the generator's, so that PostGIS transforms the geometries in one statement."""
    _check_columns(reg, columns)
    table = sql.Identifier(reg.schema, reg.table)
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    target = table
    if srid != SOURCE_SRID:
        conn.execute("DROP TABLE IF EXISTS pg_temp.demo_stage")
        conn.execute(sql.SQL("CREATE TEMP TABLE demo_stage AS SELECT {} FROM {} WITH NO DATA")
                     .format(cols, table))
        conn.execute("ALTER TABLE demo_stage ALTER COLUMN geom TYPE geometry")
        target = sql.Identifier("demo_stage")
    with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(target, cols)) as copy:
        for k, row in enumerate(rows, 1):
            copy.write_row(row)
            if k % 5000 == 0:
                progress(reg.id, k, len(rows))
    if srid != SOURCE_SRID:
        select = sql.SQL(", ").join(
            sql.SQL("ST_Transform(geom, {})").format(sql.Literal(srid)) if c == "geom"
            else sql.Identifier(c) for c in columns)
        conn.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM demo_stage")
                     .format(table, cols, select))
        conn.execute("DROP TABLE demo_stage")
    _reset_sequence(conn, reg)
    progress(reg.id, len(rows), len(rows))


def _reset_sequence(conn: psycopg.Connection, reg: Registry) -> None:
    conn.execute(sql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), max(id)) FROM {}")
                 .format(sql.Literal(f"{reg.schema}.{reg.table}"),
                         sql.Identifier(reg.schema, reg.table)))


def _load_planning(conn: psycopg.Connection, city: DemoCity, srid: int, first_boundary: int,
                   progress: Progress) -> dict[str, int]:
    """Load zones (their cells unioned by PostGIS) and the community boundary around them."""
    zones = city.rows[PLANNING_ZONES.id]
    _check_columns(PLANNING_ZONES, ZONE_COLUMNS)
    conn.execute("DROP TABLE IF EXISTS pg_temp.demo_zone, pg_temp.demo_cell")
    conn.execute(sql.SQL("CREATE TEMP TABLE demo_zone AS SELECT {} FROM {} WITH NO DATA").format(
        sql.SQL(", ").join(map(sql.Identifier, ZONE_COLUMNS)),
        sql.Identifier(PLANNING_ZONES.schema, PLANNING_ZONES.table)))
    conn.execute("CREATE TEMP TABLE demo_cell (zone_id bigint, geom geometry)")
    with conn.cursor().copy("COPY demo_zone FROM STDIN") as copy:
        for row in zones:
            copy.write_row(row)
    with conn.cursor().copy("COPY demo_cell (zone_id, geom) FROM STDIN") as copy:
        for row in city.zone_cells:
            copy.write_row(row)
    cols = sql.SQL(", ").join(map(sql.Identifier, ZONE_COLUMNS))
    conn.execute(sql.SQL(
        "INSERT INTO {} ({cols}, geom) SELECT {zcols}, ST_Transform(g.geom, {srid})"
        " FROM demo_zone z JOIN (SELECT zone_id, ST_Multi(ST_Union(geom)) AS geom"
        " FROM demo_cell GROUP BY zone_id) g ON g.zone_id = z.id").format(
        sql.Identifier(PLANNING_ZONES.schema, PLANNING_ZONES.table), cols=cols,
        zcols=sql.SQL(", ").join(sql.SQL("z.{}").format(sql.Identifier(c)) for c in ZONE_COLUMNS),
        srid=sql.Literal(srid)))
    progress(PLANNING_ZONES.id, len(zones), len(zones))
    _check_columns(COMMUNITY_BOUNDARIES, ("name", "katottg", "koatuu"))
    # The hromada reaches beyond the built-up city: a 250 m margin around every block.
    conn.execute(sql.SQL(
        "INSERT INTO {} (id, name, katottg, koatuu, geom) SELECT %s, %s, %s, %s,"
        " ST_Transform(ST_Multi(ST_Buffer(ST_Union(geom), 250, 'quad_segs=4')), {srid})"
        " FROM demo_cell").format(
        sql.Identifier(COMMUNITY_BOUNDARIES.schema, COMMUNITY_BOUNDARIES.table),
        srid=sql.Literal(srid)), (first_boundary, COMMUNITY_NAME, HROMADA_KATOTTG, KOATUU))
    conn.execute("DROP TABLE demo_zone, demo_cell")
    for reg in (PLANNING_ZONES, COMMUNITY_BOUNDARIES):
        _reset_sequence(conn, reg)
    progress(COMMUNITY_BOUNDARIES.id, 1, 1)
    return {PLANNING_ZONES.id: len(zones), COMMUNITY_BOUNDARIES.id: 1}


# Layers derived from the generated city by PostGIS: cadastral quarters (the union of their
# parcels), red lines and planning restrictions (buffers of streets and zones), and the two
# registries declared in YAML (registries/declared/), when the catalog has them.
OVERLAYS: dict[str, str] = {
    CADASTRAL_QUARTERS.id: """
        INSERT INTO registry.cadastral_quarter (quarter_number, katottg, geom)
        SELECT left(cadastral_number, 17), %(katottg)s, ST_Multi(ST_Union(geom))
        FROM registry.land_parcel WHERE id >= %(first_parcel)s GROUP BY 1 ORDER BY 1""",
    RED_LINES.id: """
        INSERT INTO registry.red_line (kind, street_name, source_document, decision_number,
                                       decision_date, issuing_body, geom)
        SELECT CASE WHEN id %% 7 = 0 THEN 'planned' ELSE 'existing' END,
               registry.street_label(street_type, name), 'Генеральний план м. Хмельницького',
               '37', DATE '2021-12-15', 'Хмельницька міська рада',
               ST_Multi(ST_Boundary(ST_Buffer(geom, 13, 'endcap=flat join=mitre')))
        FROM registry.street WHERE street_type IN ('проспект', 'бульвар', 'шосе')
           OR (street_type = 'вулиця' AND ST_Length(geom) > 1500) ORDER BY id""",
    PLANNING_RESTRICTIONS.id: """
        WITH z AS (SELECT zone_code, ST_Union(geom) AS g FROM registry.planning_zone
                   GROUP BY zone_code),
             b AS (SELECT ST_Union(geom) AS g FROM registry.community_boundary),
             r(kind, code, name, width, regime, g) AS (
          SELECT 'historical_area', '06.06.2', 'Історичний ареал м. Хмельницького', NULL::numeric,
                 'Будівництво за погодженням з органом охорони культурної спадщини', z.g
          FROM z WHERE zone_code = 'Г-1'
          UNION ALL SELECT 'heritage_protection', '01.02.1',
                 'Охоронна зона пам''яток історичного центру', 100, 'Заборона нового '
                 'будівництва, крім відтворення втрачених об''єктів', ST_Buffer(z.g, 100)
          FROM z WHERE zone_code = 'Г-1'
          UNION ALL SELECT 'water_protection', '05.01', 'Водоохоронна зона р. Південний Буг',
                 100, 'Обмеження господарської діяльності (Водний кодекс, ст. 87)',
                 ST_Buffer(z.g, 100) FROM z WHERE zone_code = 'Р-2'
          UNION ALL SELECT 'riverside_strip', '05.02', 'Прибережна захисна смуга р. Південний '
                 'Буг', 25, 'Заборона будівництва (Водний кодекс, ст. 88–89)',
                 ST_Buffer(z.g, 25) FROM z WHERE zone_code = 'Р-2'
          UNION ALL SELECT 'sanitary_protection', '03.01', 'Санітарно-захисна зона ' ||
                 CASE zone_code WHEN 'С-1' THEN 'кладовищ' ELSE 'промислових підприємств' END,
                 CASE zone_code WHEN 'С-1' THEN 300 ELSE 100 END, 'Заборона житлової забудови',
                 ST_Difference(ST_Buffer(z.g, CASE zone_code WHEN 'С-1' THEN 300 ELSE 100 END),
                               z.g)
          FROM z WHERE zone_code IN ('В-1', 'С-1')
          UNION ALL SELECT 'network_protection', '01.05', 'Охоронна зона ЛЕП 110 кВ', 20,
                 'Заборона будівництва під проводами',
                 ST_Buffer(ST_MakeLine(ST_Centroid(z.g), ST_Centroid(b.g)), 20)
          FROM z, b WHERE zone_code = 'В-1'
          UNION ALL SELECT 'red_lines', '06.01.1', 'Території в червоних лініях', NULL,
                 'Розміщення лише об''єктів вулично-дорожньої мережі',
                 ST_Union(ST_Buffer(geom, 13, 'endcap=flat join=mitre'))
          FROM registry.street WHERE street_type IN ('проспект', 'бульвар', 'шосе'))
        INSERT INTO registry.planning_restriction (kind, dzk_code, name, width_m, regime,
            decision_number, decision_date, issuing_body, geom)
        SELECT r.kind, r.code, r.name, r.width, r.regime, '37', DATE '2021-12-15',
               'Хмельницька міська рада',
               ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Intersection(r.g, b.g)), 3))
        FROM r, b WHERE r.g IS NOT NULL AND NOT ST_IsEmpty(ST_Intersection(r.g, b.g))""",
    "road_closures": """
        INSERT INTO registry.road_closure (reason, kind, closed_from, closed_until,
            organisation, permit_number, detour, contact_person, contact_phone, geom)
        SELECT (ARRAY['Ремонт водопровідної мережі', 'Ремонт дорожнього покриття',
                      'Реконструкція теплової мережі', 'Прокладання кабельної лінії',
                      'Міський святковий захід'])[1 + id %% 5],
               (ARRAY['full_closure', 'partial_closure', 'one_way', 'speed_limit'])[1 + id %% 4],
               %(today)s::date + ((k %% 9 - 6) * 7)::int,
               %(today)s::date + ((k %% 9 - 6) * 7 + 21)::int,
               (ARRAY['КП «Хмельницькводоканал»', 'КП «Шляхрембуд»',
                      'МКП «Хмельницьктеплокомуненерго»'])[1 + id %% 3],
               'ОР-' || to_char(%(today)s::date, 'YYYY') || '-' || lpad(k::text, 3, '0'),
               'Об''їзд прилеглими вулицями', 'Відповідальна особа підрядника',
               '+38067' || lpad(((id * 7919) %% 10000000)::text, 7, '0'),
               ST_Multi(ST_LineSubstring(ST_LineMerge(geom), 0.3, 0.6))
        FROM (SELECT *, row_number() OVER (ORDER BY id) AS k FROM registry.street
              WHERE ST_NumGeometries(geom) = 1) AS s
        WHERE k %% 25 = 1 ORDER BY id""",
    "accessibility_objects": """
        INSERT INTO registry.accessibility_object (name, kind, condition, address_text,
            cadastral_number, inspected_on, inspector_kind, inspector_name, geom)
        SELECT CASE left(p.purpose_code, 5) WHEN '03.02' THEN 'Заклад освіти'
                    WHEN '03.03' THEN 'Заклад охорони здоров''я' ELSE 'Адміністративна будівля'
               END || ': вхід', (ARRAY['ramp', 'accessible_entrance', 'tactile_paving', 'lift',
                                       'accessible_toilet', 'parking_place'])[1 + a.id %% 6],
               (ARRAY['usable', 'usable', 'usable', 'needs_repair', 'unusable'])[1 + a.id %% 5],
               registry.address_label(a.street_id, a.house_number, a.korpus),
               p.cadastral_number, %(today)s::date - (a.id %% 700)::int,
               CASE WHEN a.id %% 3 = 0 THEN 'natural' ELSE 'legal' END,
               CASE WHEN a.id %% 3 = 0 THEN 'Експерт з доступності'
                    ELSE 'ГО «Доступне місто»' END, a.geom
        FROM registry.land_parcel AS p JOIN registry.address AS a
          ON a.cadastral_number = p.cadastral_number AND a.korpus IS NULL
             AND a.house_number !~ '[^0-9]'
        WHERE p.id >= %(first_parcel)s AND p.purpose_code IN ('03.01', '03.02', '03.03')
        ORDER BY a.id""",
}


def load_overlays(conn: psycopg.Connection, today: date, first_parcel: int,
                  progress: Progress) -> dict[str, int]:
    """Load the layers PostGIS derives from the loaded city (``OVERLAYS``); return counts."""
    catalog = default_catalog()
    counts: dict[str, int] = {}
    for registry_id, query in OVERLAYS.items():
        if registry_id not in catalog.ids:
            continue  # a declared registry this deployment does not have
        cur = conn.execute(query, {"katottg": CITY_KATOTTG, "first_parcel": first_parcel,
                                   "today": today})
        counts[registry_id] = cur.rowcount
        progress(registry_id, cur.rowcount, cur.rowcount)
    return counts


def load_demo(conn: psycopg.Connection, *, scale: float = 1.0, seed: int = 68,
              today: date | None = None, srid: int = 6383,
              progress: Progress | None = None) -> dict[str, int]:
    """Generate the demo city at `scale` and COPY it into the registry tables in one
    transaction-friendly pass (caller commits); return row counts per collection id.

    Geometries are stored in ``srid`` (generated in EPSG:6383 and transformed by PostGIS when
    ``srid`` differs). Meant for empty registries (``gis demo --replace``): ids continue after
    existing rows, but a second load clashes on unique cadastral and spot numbers. An
    autocommit connection gets its own transaction so the load stays all-or-nothing.
    """
    report: Progress = progress or (lambda stage, done, total: None)
    today = today or date.today()
    scope = conn.transaction() if conn.autocommit else contextlib.nullcontext()
    with scope:
        conn.execute("SELECT set_config('gis.user', 'demo', true)")
        # the demo city is "existing data": its realistic-but-wrong objects (kiosks outside
        # the scheme …) load and show up among the problems instead of being refused
        conn.execute("SELECT set_config('gis.legacy_import', 'on', true)")
        first_ids = {}
        for reg in ALL_REGISTRIES:
            row = conn.execute(sql.SQL("SELECT coalesce(max(id), 0) + 1 FROM {}").format(
                sql.Identifier(reg.schema, reg.table))).fetchone()
            first_ids[reg.id] = int(row[0]) if row else 1
        city = build_city(scale, seed, today, first_ids, report)
        counts: dict[str, int] = {}
        for reg in LOAD_ORDER:
            _copy(conn, reg, COLUMNS[reg.id], city.rows[reg.id], srid, report)
            counts[reg.id] = len(city.rows[reg.id])
        counts |= _load_planning(conn, city, srid, first_ids[COMMUNITY_BOUNDARIES.id], report)
        counts |= load_overlays(conn, today, first_ids[LAND_PARCELS.id], report)
    return counts
