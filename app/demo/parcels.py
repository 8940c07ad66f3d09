"""Blocks, land parcels, their cadastral numbers and their holders.

Every city cell inset by half its street widths is a block, cut into parcels that tile it
exactly (bilinear subdivision, shared vertices); parcels take their purpose from the district,
get cadastral numbers ``6810100000:ZZ:QQQ:PPPP`` and, as land-parcel rows, a holder (people,
ОСББ, the council, communal and private companies). It is about land, not the street network,
hence apart from the grid and streets; the holder rows read the house numbers that
``app.demo.addresses`` writes onto the ``Parcel`` objects, so the import still goes one way.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from app.demo import names as nm
from app.demo.common import CITY, CITY_KATOTTG, KOATUU, _pick
from app.demo.geometry import (
    EdgeKey,
    Point,
    Quad,
    _area,
    _bil,
    _dist,
    _inset,
    _multipolygon,
    _round,
)
from app.demo.grid import Grid
from app.demo.streets import Street

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
                         first_id: int, surveyed_earlier: set[int] | None = None
                         ) -> list[tuple[object, ...]]:
    """Return land-parcel rows with purpose, category, area (ha, 4 decimals) and holder.

    About one parcel in ten was surveyed earlier: its declared area differs from its
    geometry's by 3–22 m², beyond what the area rule allows, on purpose (their ids go into
    ``surveyed_earlier``)."""
    homes = [f"{CITY}, {streets[p.street].label()}, {p.house}" for p in parcels]
    residents = [h for h, p in zip(homes, parcels, strict=True) if p.purpose == "02.01"] or homes
    rows: list[tuple[object, ...]] = []
    for k, p in enumerate(parcels):
        area = _area(p.ring) / 10_000
        if rng.random() < 0.1:  # surveyed earlier, by older instruments
            # at least 3 m², so that the difference survives rounding to 0.0001 ha and the
            # rule's minimum allowance of 0.0001 ha (the draws stay those of the old 1–20)
            area += rng.choice((-1, 1)) * (rng.randint(1, 20) + 2) / 10_000
            if surveyed_earlier is not None:
                surveyed_earlier.add(first_id + k)
        ownership, kind, name, edrpou, rnokpp, home = _holder(
            rng, parties, p.purpose, homes[k], residents)
        registered = today - timedelta(days=rng.randint(60, 22 * 365))
        rows.append((first_id + k, p.cadastral_number, SECTION_CATEGORY[p.purpose[:2]],
                     p.purpose, PURPOSE_TEXT[p.purpose], ownership, round(area, 4), kind, name,
                     edrpou, rnokpp, home, registered, CITY_KATOTTG, _multipolygon(p.ring)))
    return rows
