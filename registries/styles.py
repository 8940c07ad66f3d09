"""Colours and symbols of the registries, shared by map styles (tiles) and extracts.

A registry whose status is derived from its term (``registries.status``) is coloured by status;
the others by one colour of their own. Unknown registries (declared in YAML) get a colour of
their group, so every public layer is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

from registries.model import GeometryKind, Registry
from registries.status import TERM_STATUSES, has_term_status

# Chosen so that every pair stays apart (CIEDE2000 ≥ 15) for normal vision and simulated
# protanopia, deuteranopia and tritanopia (Machado et al. 2009); tests/test_colours.py checks.
STATUS_COLOURS: dict[str, str] = {
    "valid": "#117a5e",  # bluish green
    "expiring": "#e8a33d",  # amber: valid for ≤ 30 more days
    "expired": "#c0081b",  # red
    "dismantling_ordered": "#c2369b",  # magenta
    "dismantled": "#9e9e9e",  # grey
    "annulled": "#2b2b2b",  # near black
    "not_yet_valid": "#2aa3f0",  # sky blue
}
STATUS_TITLES: dict[str, dict[str, str]] = TERM_STATUSES.as_dict()
assert set(STATUS_COLOURS) == set(TERM_STATUSES) == set(STATUS_TITLES)


# Road closures and other date-range registries (registries.declaration.DATE_RANGE_STATUSES):
# drawn by status, the line pattern telling them apart as well as the colour.
RANGE_COLOURS: dict[str, str] = {"planned": "#e8a33d", "active": "#c0081b", "ended": "#9e9e9e"}
# The registries the city's base map is drawn from, bottom first (tiles.basemap): a resident's
# map of streets, buildings, water, green and the community's edge.
BASEMAP = ("community_boundaries", "water_bodies", "buildings", "streets")
# Drawn only when chosen (hidden in the style at first): they shade over everything else, and a
# resident's first look is the city map with its parcels, addresses and permits.
OFF_AT_FIRST = frozenset({"planning_zones", "planning_restrictions", "red_lines",
                          "cadastral_quarters", "ts_scheme_spots"})
TEXT_DARK, TEXT_LIGHT = "#1d252d", "#ffffff"


def relative_luminance(colour: str) -> float:
    """Return the WCAG relative luminance of ``#rrggbb`` (0 black – 1 white).

    >>> relative_luminance("#ffffff"), relative_luminance("#000000")
    (1.0, 0.0)
    """
    def linear(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(int(colour[i:i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """Return the WCAG contrast ratio of two colours (1–21).

    >>> round(contrast_ratio("#ffffff", "#000000"), 1)
    21.0
    """
    hi, lo = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_on(colour: str) -> str:
    """Return the text colour (dark or white) that reads best on ``colour``.

    >>> text_on("#e8a33d"), text_on("#117a5e")
    ('#1d252d', '#ffffff')
    """
    return max((TEXT_DARK, TEXT_LIGHT), key=lambda t: contrast_ratio(t, colour))


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
    "community_boundaries": Style("#7b5ea7", opacity=0.0, width=2.0, outline="#7b5ea7"),
    "planning_zones": Style("#9fa8da", outline="#5c6bc0", opacity=0.25),
    "land_parcels": Style("#c8a98a", outline="#a1887f", opacity=0.06, width=0.8),
    "buildings": Style("#ddd3c9", outline="#c5b7a9", opacity=1.0),
    "ts_scheme_spots": Style("#b2ebf2", outline="#00838f", opacity=0.3),
    "temporary_structures": Style("#00838f", outline="#004d40", opacity=0.8),
    "streets": Style("#ffffff", outline="#c2b5a6", width=3.0),
    "addresses": Style("#8d7f74", radius=2.0),
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
