"""Plain-float geometry on tuples in EPSG:6383 metres (UCS-2000 / Ukraine TM zone 9).

The ``Point``, ``Quad`` and ``EdgeKey`` aliases, bilinear patches, distances, areas, rectangles
and inset quadrilaterals, and the EWKT text of points, lines and polygons that COPY writes. It
knows nothing of streets, parcels or registries, which is why it sits apart at the bottom of
the package: every generator builds on it, and the rounding to 0.01 m done here is what keeps
neighbouring parcels tiling exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]
EdgeKey = tuple[str, int, int]  # ("h", i, j): nodes (i, j)–(i+1, j); ("v", i, j): (i, j)–(i, j+1)

SOURCE_SRID = 6383  # the generator's coordinates: UCS-2000 / Ukraine TM zone 9, metres


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
