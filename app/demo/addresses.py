"""House numbers, buildings and addresses on the parcels.

Parcels are numbered odd on the left and even on the right of their street, counting from the
centre; each gets one building footprint near its street front; address rows add letters,
fractions and korpusy, a few planned and annulled addresses, and the decision that assigned
each. It turns parcels and streets into the objects of the address register, reading and
annotating them, so it sits above both and apart from how the land was cut.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from app.demo.common import (
    ADDRESS_BODY_SINCE,
    ARCHITECTURE_BODY,
    CITY_KATOTTG,
    EXECUTIVE_COMMITTEE,
    _pick,
)
from app.demo.geometry import EdgeKey, Point, _bil, _dist, _multipolygon, _point, _round
from app.demo.grid import Grid
from app.demo.parcels import Parcel
from app.demo.streets import Street


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
