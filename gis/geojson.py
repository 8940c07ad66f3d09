"""GeoJSON geometries from strangers: their shape checked before a geometry library sees them.

shapely (numpy underneath) refuses a badly nested ``coordinates`` member in its own words —
"Input operand 0 does not have enough dimensions (has 0, gufunc core with signature …)",
"'int' object is not iterable" — which name neither what is wrong nor where. A filter's
geometry and a written feature's are checked here first, so the answer says which position of
which ring is not a position, in the words of RFC 7946.
"""

from __future__ import annotations

import math
from typing import Any

# how deep each type's coordinates nest above its positions, and the names of those levels
# (outermost first): a Polygon is a list of rings, each a list of positions
NESTING: dict[str, tuple[str, ...]] = {
    "Point": (),
    "MultiPoint": ("point",),
    "LineString": ("position",),
    "MultiLineString": ("line", "position"),
    "Polygon": ("ring", "position"),
    "MultiPolygon": ("polygon", "ring", "position"),
}
TYPES = (*NESTING, "GeometryCollection")
# GEOS's words for a geometry too short to be one, and ours
TOO_FEW = {"point array must contain 0 or >1 elements": "a line needs at least 2 points",
           "A linearring requires at least 4 coordinates.":
               "a polygon's ring needs at least 3 corners"}


def geometry_problem(geojson: Any, where: str = "") -> str | None:
    """Return what is wrong with the nesting and the numbers of a GeoJSON geometry, naming
    where, or None when every position is 2 or 3 finite numbers at the depth its type asks.

    Emptiness, ring closure, too few points and validity are left to the caller's own checks.

    >>> geometry_problem({"type": "Point", "coordinates": [26.97, 49.42]}) is None
    True
    >>> geometry_problem({"type": "Point", "coordinates": [26.97]})
    'the Point is [26.97]: a position is 2 or 3 numbers (x, y[, z])'
    >>> geometry_problem({"type": "Polygon", "coordinates": [1, 2]})
    'ring 1 of the Polygon is not a list of positions'
    >>> geometry_problem({"type": "Polygon", "coordinates": [[1, 2]]})
    'ring 1, position 1 of the Polygon is 1: a position is 2 or 3 numbers (x, y[, z])'
    >>> geometry_problem({"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, "x"]]]]})
    ... # doctest: +ELLIPSIS
    "polygon 1, ring 1, position 2 of the MultiPolygon is [1, 'x']: a position is 2 or 3 ..."
    >>> geometry_problem({"type": "Circle", "coordinates": [0, 0]})  # doctest: +ELLIPSIS
    "'Circle' is not a GeoJSON geometry type (Point, MultiPoint, LineString, ...)"
    """
    if not isinstance(geojson, dict):
        return f"{where or 'the geometry'} is not a GeoJSON geometry object"
    kind = geojson.get("type")
    if kind not in TYPES:
        return f"{str(kind)[:40]!r} is not a GeoJSON geometry type ({', '.join(TYPES)})"
    if kind == "GeometryCollection":
        members = geojson.get("geometries")
        if not isinstance(members, list):
            return "a GeometryCollection needs a list of geometries"
        for i, member in enumerate(members, 1):
            problem = geometry_problem(member, f"geometry {i} of the GeometryCollection")
            if problem:
                return problem
        return None
    if "coordinates" not in geojson:
        return f"a {kind} needs coordinates"
    return _nesting_problem(geojson["coordinates"], NESTING[kind], [], kind)


def _nesting_problem(value: Any, levels: tuple[str, ...], path: list[str],
                     kind: str) -> str | None:
    if not levels:
        if _is_position(value):
            return None
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return f"{_named(path, kind)} is {shown}: a position is 2 or 3 numbers (x, y[, z])"
    if not isinstance(value, list):
        return f"{_named(path, kind)} is not a list"
    for i, member in enumerate(value, 1):
        if len(levels) > 1 and not isinstance(member, list):
            return f"{_named([*path, f'{levels[0]} {i}'], kind)} is not a list of {levels[1]}s"
        problem = _nesting_problem(member, levels[1:], [*path, f"{levels[0]} {i}"], kind)
        if problem:
            return problem
    return None


def _named(path: list[str], kind: str) -> str:
    return f"{', '.join(path)} of the {kind}" if path else f"the {kind}"


def _is_position(value: Any) -> bool:
    return (isinstance(value, list) and len(value) in (2, 3)
            and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                    for v in value))


def shape_refused(exc: Exception, kind: Any) -> str:
    """Return, in our words, why shapely refused a geometry :func:`geometry_problem` passed
    (too few points for its type); never the library's own text.

    >>> shape_refused(ValueError("point array must contain 0 or >1 elements"), "LineString")
    'a line needs at least 2 points'
    >>> shape_refused(ValueError("iteration over a 0-d array"), "MultiPoint")
    'its coordinates make no MultiPoint'
    """
    text = str(exc).strip().removeprefix("IllegalArgumentException: ")
    return TOO_FEW.get(text, f"its coordinates make no {str(kind)[:40]}")
