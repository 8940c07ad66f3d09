"""Colours and symbols of the registries, shared by map styles (tiles) and extracts.

A registry whose status is derived from its term (``registries.status``) is coloured by status;
the others by one colour of their own. Unknown registries (declared in YAML) get a colour of
their group, so every public layer is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

from registries.model import GeometryKind, Registry
from registries.status import TERM_STATUSES, has_term_status

STATUS_COLOURS: dict[str, str] = {
    "valid": "#2e7d32",  # green
    "expiring": "#f9a825",  # amber: valid for ≤ 30 more days
    "expired": "#c62828",  # red
    "dismantling_ordered": "#6a1b9a",  # purple
    "dismantled": "#757575",  # grey
    "annulled": "#424242",  # dark grey
    "not_yet_valid": "#1565c0",  # blue
}
STATUS_TITLES: dict[str, dict[str, str]] = TERM_STATUSES.as_dict()
assert set(STATUS_COLOURS) == set(TERM_STATUSES) == set(STATUS_TITLES)


@dataclass(frozen=True)
class Style:
    """How a registry is drawn: fill or line colour, outline, opacity, point radius (px)."""

    colour: str
    outline: str | None = None
    opacity: float = 0.35
    width: float = 1.0
    radius: float = 4.0
    by_status: bool = False  # colour by the derived ``status`` attribute


GROUP_COLOURS = {"cadastre": "#8d6e63", "addresses": "#37474f", "advertising": "#2e7d32",
                 "temporary": "#00838f", "planning": "#7986cb"}
STYLES: dict[str, Style] = {
    "community_boundaries": Style("#000000", opacity=0.0, width=2.5, outline="#263238"),
    "planning_zones": Style("#9fa8da", outline="#5c6bc0", opacity=0.25),
    "land_parcels": Style("#d7ccc8", outline="#8d6e63", opacity=0.3),
    "buildings": Style("#b0bec5", outline="#78909c", opacity=0.8),
    "ts_scheme_spots": Style("#b2ebf2", outline="#00838f", opacity=0.3),
    "temporary_structures": Style("#00838f", outline="#004d40", opacity=0.8),
    "streets": Style("#ffffff", outline="#90a4ae", width=3.0),
    "addresses": Style("#37474f", radius=2.5),
    "advertising_structures": Style("#2e7d32", radius=4.5),
}
# drawing order, bottom first: areas (large before small), then lines, then points
_ORDER = {GeometryKind.MULTIPOLYGON: 0, GeometryKind.POLYGON: 1, GeometryKind.MULTILINESTRING: 2,
          GeometryKind.LINESTRING: 2, GeometryKind.POINT: 3}


def style_of(reg: Registry) -> Style:
    """Return the style of ``reg``; date-driven registries are coloured by status.

    >>> from registries.catalog import default_catalog
    >>> style_of(default_catalog().get("advertising_structures")).by_status
    True
    """
    declared = getattr(reg, "style", None)  # Registry.style, when the declaration sets one
    base = declared or STYLES.get(reg.id) or Style(GROUP_COLOURS.get(reg.group, "#546e7a"))
    if has_term_status(reg) and not base.by_status:
        return Style(base.colour, base.outline, base.opacity, base.width, base.radius, True)
    return base


def draw_order(regs: list[Registry]) -> list[Registry]:
    """Return ``regs`` sorted bottom layer first (areas, lines, points; declaration order)."""
    return sorted(regs, key=lambda r: _ORDER.get(r.geometry, 3))
