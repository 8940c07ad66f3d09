"""Things along the streets: advertising, scheme spots and temporary structures.

Advertising structures stand a few metres off the carriageway; placement-scheme spots lie on
the pavements of the wider streets and temporary structures (kiosks, pavilions, terraces)
occupy them, about 5 % breaking the scheme on purpose. ``StreetSites`` picks places, busier
streets more often, and ``Spacing`` keeps objects apart. These registries are placed on the
finished street network and named after its house numbers, so they sit above streets and
addresses, apart from both.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from app.demo import names as nm
from app.demo.common import ARCHITECTURE_BODY, EXECUTIVE_COMMITTEE, _pick
from app.demo.geometry import EdgeKey, Point, _point, _polygon, _rectangle, _round
from app.demo.grid import Grid
from app.demo.permits import Numbering, permit_term
from app.demo.streets import Street


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
                       today: date, count: int, first_id: int,
                       breaking: dict[str, set[int]] | None = None,
                       ) -> tuple[list[tuple[object, ...]], list[bool]]:
    """Return temporary-structure rows and which spots they occupy.

    About 5 % break the scheme on purpose, for the compliance rules to find: half stand
    outside every spot, half are larger than their spot allows (their ids go into
    ``breaking["outside"]`` and ``breaking["oversize"]``).
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
        if k in oversize and breaking is not None:
            breaking.setdefault("oversize", set()).add(first_id + len(rows))
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
        if breaking is not None:
            breaking.setdefault("outside", set()).add(first_id + len(rows))
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
