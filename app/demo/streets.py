"""Named streets: runs of grid edges that become avenues, local streets and squares.

Each run gets a street type that fits where it lies (centre, river, outskirts), a Ukrainian
name and, for some, the former names of the decommunisation and decolonisation renamings;
``generate_streets`` also maps every grid edge to its street. Naming the street network is its
own concern, apart from the grid it is laid on and from the addresses that later number the
houses along it (``Street.numbers``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from app.demo import names as nm
from app.demo.common import _pick
from app.demo.geometry import EdgeKey, Point, _dist
from app.demo.grid import CENTRE, Grid
from registries.addresses import STREET_TYPES

RENAMINGS = {  # council decisions that renamed streets (sessions of the city council)
    "decommunisation": ((date(2015, 11, 27), "4"), (date(2016, 2, 19), "12"),
                        (date(2016, 4, 22), "35")),
    "decolonisation": ((date(2022, 7, 8), "41"), (date(2023, 2, 24), "17"),
                       (date(2023, 9, 29), "58"), (date(2024, 3, 22), "22")),
}


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
