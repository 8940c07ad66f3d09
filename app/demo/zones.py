"""The zoning plan: zones that tile the city, one per district and macro-block.

A zone is the cells of one district within a 4 × 4 macro-block of the grid, with its code,
height and coverage limits and the council decision that approved it. Only the attributes and
the cell polygons are generated here; PostGIS unions the cells into zones and buffers them into
the community boundary at load time (``app.demo.load``). It needs nothing but the grid, so it
stands alone.
"""

from __future__ import annotations

import random
from datetime import date

from app.demo import names as nm
from app.demo.geometry import _polygon, _round
from app.demo.grid import Grid

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
