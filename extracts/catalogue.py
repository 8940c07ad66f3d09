"""The boundary-point catalogue (каталог координат) of a polygon object, domain §8.1 item 7.

Points are read from PostGIS in the storage CRS (X = northing, Y = easting, metres) exactly as
stored; each ring is made clockwise, starts at its north-western point and is numbered on from
the previous ring, as land-management catalogues do. Every line carries its length and its
grid bearing (дирекційний кут, clockwise from grid north). Area and perimeter are computed by
PostGIS in the storage CRS and set against the declared area and its tolerance (§1.7).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

POINTS_SQL = """
SELECT (d).path[1], (d).path[2], ST_X((d).geom), ST_Y((d).geom)
FROM (SELECT ST_DumpPoints(ST_ForcePolygonCW(ST_Multi(t.geom))) AS d
      FROM {src} AS t WHERE t.id = %(id)s) AS s
ORDER BY (d).path[1], (d).path[2], (d).path[3]
"""
MEASURES_SQL = "SELECT ST_Area(t.geom), ST_Perimeter(t.geom) FROM {src} AS t WHERE t.id = %(id)s"
MIN_TOLERANCE_HA = 0.0001  # 1 m²: the area precision of the cadastre (§1.7)


@dataclass(frozen=True)
class BoundaryPoint:
    """One numbered point and the line from it to the next point of its ring."""

    number: int
    x: float  # northing, m
    y: float  # easting, m
    length: float  # m, to the next point
    bearing: float  # degrees from grid north, clockwise
    contour: int  # 1-based: the part/ring it belongs to
    inner: bool  # a hole (внутрішній контур)


@dataclass(frozen=True)
class Catalogue:
    points: tuple[BoundaryPoint, ...]
    area_m2: float
    perimeter_m: float
    declared_ha: float | None = None
    error_ha: float | None = None

    @property
    def area_ha(self) -> float:
        return self.area_m2 / 10_000

    @property
    def difference_ha(self) -> float | None:
        if self.declared_ha is None:
            return None
        return round(self.area_ha, 4) - self.declared_ha

    @property
    def within_tolerance(self) -> bool | None:
        """Return whether |declared − computed| ≤ max(stated error, 0.0001 ha), or None."""
        diff = self.difference_ha
        if diff is None:
            return None
        return abs(diff) <= max(self.error_ha or 0.0, MIN_TOLERANCE_HA) + 1e-9

    def as_dict(self) -> dict[str, Any]:
        """Return what the register keeps of the catalogue (coordinates to the centimetre)."""
        return {"points": [[p.number, round(p.x, 2), round(p.y, 2), round(p.length, 2)]
                           for p in self.points],
                "area_m2": round(self.area_m2, 2), "perimeter_m": round(self.perimeter_m, 2),
                "declared_ha": self.declared_ha}


def bearing(dx_north: float, dy_east: float) -> float:
    """Return the grid bearing (degrees clockwise from grid north, 0–360) of a line.

    >>> bearing(1, 0), bearing(0, 1), bearing(-1, 0), round(bearing(-1, -1), 6)
    (0.0, 90.0, 180.0, 225.0)
    """
    return math.degrees(math.atan2(dy_east, dx_north)) % 360.0


def format_bearing(degrees: float) -> str:
    """Return a bearing as degrees and whole minutes.

    >>> format_bearing(225.0), format_bearing(12.9999)
    ('225°00′', '13°00′')
    """
    minutes = round(degrees * 60)
    return f"{minutes // 60 % 360}°{minutes % 60:02d}′"


def numbered_ring(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Return a closed ring's distinct points (easting, northing), starting at its
    north-western point (the largest northing − easting), order kept.

    >>> numbered_ring([(0, 0), (0, 10), (10, 10), (10, 0), (0, 0)])
    [(0, 10), (10, 10), (10, 0), (0, 0)]
    """
    ring = points[:-1] if len(points) > 1 and points[0] == points[-1] else list(points)
    start = max(range(len(ring)), key=lambda i: (ring[i][1] - ring[i][0], -i))
    return ring[start:] + ring[:start]


def number_points(rings: list[tuple[bool, list[tuple[float, float]]]]) -> list[BoundaryPoint]:
    """Return the catalogue rows of ``rings`` ((is a hole, closed ring of (e, n))), numbered on.

    >>> rows = number_points([(False, [(0, 0), (0, 100), (40, 100), (40, 0), (0, 0)])])
    >>> [(p.number, p.x, p.y, p.length, p.bearing) for p in rows][:2]
    [(1, 100, 0, 40.0, 90.0), (2, 100, 40, 100.0, 180.0)]
    """
    out: list[BoundaryPoint] = []
    for contour, (inner, ring) in enumerate(rings, start=1):
        pts = numbered_ring(ring)
        for i, (e, n) in enumerate(pts):
            e2, n2 = pts[(i + 1) % len(pts)]
            out.append(BoundaryPoint(len(out) + 1, n, e, math.hypot(e2 - e, n2 - n),
                                     bearing(n2 - n, e2 - e), contour, inner))
    return out


def read_catalogue(conn: psycopg.Connection, src: sql.Composable, object_id: int,
                   declared_ha: Any = None, error_ha: Any = None) -> Catalogue:
    """Return the catalogue of object ``object_id`` of relation ``src`` (a registry view)."""
    rings: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for part, ring, e, n in conn.execute(sql.SQL(POINTS_SQL).format(src=src), {"id": object_id}):
        rings.setdefault((part, ring), []).append((float(e), float(n)))
    row = conn.execute(sql.SQL(MEASURES_SQL).format(src=src), {"id": object_id}).fetchone()
    assert row is not None
    ordered = [(ring > 1, pts) for (_, ring), pts in sorted(rings.items())]
    return Catalogue(tuple(number_points(ordered)), float(row[0]), float(row[1]),
                     _number(declared_ha), _number(error_ha))


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(Decimal(str(value)))


def count_points(conn: psycopg.Connection, src: sql.Composable, object_id: int) -> int:
    """Return how many vertices the object has (a catalogue is printed for modest ones)."""
    row = conn.execute(sql.SQL("SELECT ST_NPoints(t.geom) FROM {} AS t WHERE t.id = %(id)s")
                       .format(src), {"id": object_id}).fetchone()
    return int(row[0]) if row and row[0] is not None else 0
