"""The city's base map drawn from its own registries: ground, green, water, buildings, streets
and the labels a resident reads (street names along the line, house numbers, water names).

Every layer reads the city map's vector tiles (the registries' public attributes) and carries
``metadata``: ``hromada:collection`` (the registry it draws, so a click identifies the object
and the layer panel toggles it) and ``hromada:role`` (``basemap``, ``label``). Label layers
carry both languages in ``hromada:text`` ({uk, en} text-field expressions): the geoportal
switches them in place; ``style(..., lang="en")`` writes English ones. Abbreviations and code
titles come from the registry declarations (``registries.addresses.labels``, code lists).
"""

from __future__ import annotations

from typing import Any

from registries.addresses.labels import STREET_ABBREVIATIONS, STREET_ABBREVIATIONS_EN
from registries.declaration import DATE_RANGE_STATUSES
from registries.model import Registry
from registries.styles import RANGE_COLOURS, style_of

FONT = ["DejaVu Sans Book"]
FONT_BOLD = ["DejaVu Sans Bold"]
FONTS = {"DejaVu Sans Book": "DejaVuSans.ttf", "DejaVu Sans Bold": "DejaVuSans-Bold.ttf",
         "DejaVu Sans Oblique": "DejaVuSans-Oblique.ttf"}
LAND = "#f3efe7"  # outside the community
TERRITORY = "#f8f6f1"  # the community's own land
GREEN = "#cfe8bf"
CEMETERY = "#d6e2cc"
INDUSTRY = "#ebe4ec"
TEXT = "#333333"
HALO = "#ffffff"
MAJOR_TYPES = ("проспект", "шосе", "бульвар", "набережна")
MAJOR_LENGTH_M = 1500  # a street this long is a through street (as the red lines rule says)
# zoning-plan zones that are green or built-up in a way a map shows (zone codes, domain §7)
GREEN_ZONES = ("Р-1", "Р-2", "Р-3")
ZONE_FILLS = (("С-1", CEMETERY), ("В-1", INDUSTRY), ("В-2", INDUSTRY), ("КС-3", INDUSTRY))
RANGE_WORDS = {"uk": ("з", "до"), "en": ("from", "until")}

Layer = dict[str, Any]


def _meta(reg: Registry, role: str, **extra: Any) -> dict[str, Any]:
    return {"hromada:collection": reg.id, "hromada:title": reg.title, "hromada:role": role,
            **extra}


def _layer(reg: Registry, source: str, layer_id: str, kind: str, role: str,
           min_zoom: int, **rest: Any) -> Layer:
    return {"id": layer_id, "type": kind, "source": source, "source-layer": reg.id,
            "minzoom": min_zoom, "metadata": _meta(reg, role, **rest.pop("meta", {})), **rest}


def _major() -> list[Any]:
    return ["any", ["in", ["get", "street_type"], ["literal", list(MAJOR_TYPES)]],
            [">=", ["coalesce", ["get", "length_m"], 0], MAJOR_LENGTH_M]]


def _metres(major_m: float, local_m: float) -> list[Any]:
    """Return a line width ``major_m`` (main streets) or ``local_m`` metres wide on the ground
    at z16–18 (2.56 px per metre at z18 at the city's latitude), thinner below."""
    major = _major()
    return ["interpolate", ["exponential", 2], ["zoom"],
            12, ["case", major, major_m / 16, local_m / 13],
            18, ["case", major, major_m * 2.56, local_m * 2.56]]


def street_label(lang: str) -> list[Any]:
    """Return the text-field of a street name: ``вул. Соборна`` or ``Soborna St``."""
    if lang == "en":
        pairs: list[Any] = []
        for code, abbr in STREET_ABBREVIATIONS_EN.items():
            pairs += [code, f" {abbr}"]
        return ["concat", ["coalesce", ["get", "name_en"], ["get", "name"]],
                ["match", ["get", "street_type"], *pairs, ""]]
    pairs = []
    for code, abbr in STREET_ABBREVIATIONS.items():
        pairs += [code, f"{abbr} "]
    return ["concat", ["match", ["get", "street_type"], *pairs, ""], ["get", "name"]]


def house_label(lang: str) -> list[Any]:
    """Return the text-field of a house number with its korpus: ``12А к2``."""
    korpus = "к" if lang == "uk" else "bldg "
    return ["concat", ["get", "house_number"],
            ["case", ["has", "korpus"], ["concat", f" {korpus}", ["get", "korpus"]], ""]]


def _date(prop: str) -> list[Any]:
    """Return an expression writing an ISO date property as ``12.05.2026``."""
    d = ["get", prop]
    return ["concat", ["slice", d, 8, 10], ".", ["slice", d, 5, 7], ".", ["slice", d, 0, 4]]


def range_label(reg: Registry, lang: str) -> list[Any]:
    """Return the label of a date-range object: ``часткове перекриття до 12.05.2026``."""
    kind = next((f for f in reg.fields if f.name == "kind"), None)
    titles: list[Any] = []
    for code, text in (kind.code_titles or {}).items() if kind else ():
        titles += [code, text.get(lang) or text["uk"]]
    what: Any = ["match", ["get", "kind"], *titles, ""] if titles else ""
    since, until = RANGE_WORDS[lang]
    return ["case",
            ["==", ["get", "status"], "planned"],
            ["concat", what, f" {since} ", _date("closed_from")],
            ["==", ["get", "status"], "active"],
            ["concat", what, f" {until} ", _date("closed_until")],
            ""]


def _text(reg: Registry, source: str, layer_id: str, min_zoom: int, texts: dict[str, Any],
          lang: str, layout: dict[str, Any], paint: dict[str, Any],
          filter_: list[Any] | None = None) -> Layer:
    layer = _layer(reg, source, layer_id, "symbol", "label", min_zoom,
                   meta={"hromada:text": texts},
                   layout={"text-field": texts[lang], "text-font": FONT, **layout},
                   paint={"text-color": TEXT, "text-halo-color": HALO, "text-halo-width": 1.4,
                          **paint})
    if filter_ is not None:
        layer["filter"] = filter_
    return layer


def ground_layers(regs: dict[str, Registry], source: str) -> list[Layer]:
    """Return the bottom of the map: the community's land, green and zoned ground, water."""
    out: list[Layer] = []
    ids = regs
    if "community_boundaries" in ids:
        reg = regs["community_boundaries"]
        # the community's land is ground, not an object to click: no collection
        out.append({**_layer(reg, source, "basemap-territory", "fill", "basemap", 0,
                             paint={"fill-color": TERRITORY}),
                    "metadata": {"hromada:role": "basemap"}})
    if "planning_zones" in ids:
        reg = regs["planning_zones"]
        colour: list[Any] = ["match", ["get", "zone_code"]]
        for code in GREEN_ZONES:
            colour += [code, GREEN]
        for code, fill in ZONE_FILLS:
            colour += [code, fill]
        colour.append("rgba(0,0,0,0)")
        # a ground colour, not the zoning layer: a base-map layer of its own
        out.append({**_layer(reg, source, "basemap-landuse", "fill", "basemap", 10,
                             paint={"fill-color": colour}),
                    "metadata": {"hromada:role": "basemap"}})
    if "water_bodies" in ids:
        reg = regs["water_bodies"]
        style = style_of(reg)
        out.append(_layer(reg, source, "water_bodies-fill", "fill", "basemap", 0,
                          paint={"fill-color": style.colour}))
        out.append(_layer(reg, source, "water_bodies-outline", "line", "basemap", 13,
                          paint={"line-color": style.outline or style.colour,
                                 "line-width": style.width}))
    return out


def building_layers(regs: dict[str, Registry], source: str) -> list[Layer]:
    """Return the building footprints, fading in from z15."""
    if "buildings" not in regs:
        return []
    reg = regs["buildings"]
    style = style_of(reg)
    return [_layer(reg, source, "buildings-fill", "fill", "basemap", 15,
                   paint={"fill-color": style.colour,
                          "fill-opacity": ["interpolate", ["linear"], ["zoom"], 15, 0.5, 16, 1],
                          "fill-outline-color": style.outline or style.colour})]


def street_layers(regs: dict[str, Registry], source: str) -> list[Layer]:
    """Return the streets: a casing and a fill, main streets wider and tinted, widths true to
    the ground from z16 (13 m side streets, 24 m main ones)."""
    if "streets" not in regs:
        return []
    reg = regs["streets"]
    style = style_of(reg)
    major = _major()
    layout = {"line-cap": "round", "line-join": "round"}
    width, casing = _metres(24, 13), _metres(27, 15.5)
    return [
        _layer(reg, source, "streets-casing", "line", "basemap", 12, layout=layout,
               paint={"line-color": ["case", major, "#d8b46a", style.outline or "#c2b5a6"],
                      "line-width": casing}),
        _layer(reg, source, "streets", "line", "basemap", 12, layout=layout,
               paint={"line-color": ["case", major, "#fbe3a2", style.colour],
                      "line-width": width}),
    ]


def range_layers(reg: Registry, source: str) -> list[Layer]:
    """Return a date-range registry's lines (road closures): active solid red, planned dashed
    amber, ended thin grey dots — told apart by pattern as well as colour."""
    style = style_of(reg)
    base = {"line-cap": "butt"}
    layers = []
    for status, dash, width in (("ended", [0.5, 2], 0.5), ("planned", [2, 1.5], 0.8),
                                ("active", None, 1.0)):
        paint: dict[str, Any] = {"line-color": RANGE_COLOURS[status],
                                 "line-width": ["interpolate", ["linear"], ["zoom"], 11,
                                                style.width * width * 0.6, 17,
                                                style.width * width * 2]}
        if dash:
            paint["line-dasharray"] = dash
        layer = _layer(reg, source, f"{reg.id}-{status}", "line", "overlay",
                       min(r.min_zoom for r in reg.tiles), layout=base, paint=paint,
                       meta={"hromada:status": status})
        layer["filter"] = ["==", ["get", "status"], status]
        layers.append(layer)
    return layers


def boundary_layers(regs: dict[str, Registry], source: str) -> list[Layer]:
    """Return the community boundary: a soft wide band and a dashed line over it."""
    if "community_boundaries" not in regs:
        return []
    reg = regs["community_boundaries"]
    colour = style_of(reg).outline or "#7b5ea7"
    return [
        _layer(reg, source, "community_boundaries-band", "line", "basemap", 0,
               paint={"line-color": colour, "line-opacity": 0.18,
                      "line-width": ["interpolate", ["linear"], ["zoom"], 10, 4, 16, 10]}),
        _layer(reg, source, "community_boundaries", "line", "basemap", 0,
               paint={"line-color": colour, "line-width": 1.6, "line-dasharray": [4, 2]}),
    ]


def label_layers(regs: dict[str, Registry], source: str, lang: str) -> list[Layer]:
    """Return the labels, drawn last: water, road closures, streets, house numbers."""
    out: list[Layer] = []
    ids = regs
    if "water_bodies" in ids:
        reg = regs["water_bodies"]
        names = {"uk": ["get", "name"],
                 "en": ["coalesce", ["get", "name_en"], ["get", "name"]]}
        out.append(_text(reg, source, "water_bodies-label", 12, names, lang,
                         {"symbol-placement": "line", "text-size": 12,
                          "symbol-spacing": 500, "text-max-angle": 30,
                          "text-letter-spacing": 0.1},
                         {"text-color": "#2a6f97", "text-halo-color": "rgba(255,255,255,0.8)"},
                         ["in", ["get", "kind"], ["literal", ["river", "stream", "canal"]]]))
        out.append(_text(reg, source, "water_bodies-name", 14, names, lang,
                         {"text-size": 12, "text-letter-spacing": 0.1},
                         {"text-color": "#2a6f97", "text-halo-color": "rgba(255,255,255,0.8)"},
                         ["!", ["in", ["get", "kind"],
                                ["literal", ["river", "stream", "canal"]]]]))
    if "road_closures" in ids:
        reg = regs["road_closures"]
        if any(f.name == "status" and f.code_titles == DATE_RANGE_STATUSES.as_dict()
               for f in reg.fields):
            out.append(_text(reg, source, "road_closures-label", 15,
                             {k: range_label(reg, k) for k in ("uk", "en")}, lang,
                             {"symbol-placement": "line", "text-size": 11,
                              "text-offset": [0, -1]},
                             {"text-color": ["match", ["get", "status"], "active", "#9b0616",
                                             "planned", "#7a4a00", "#555555"]}))
    if "streets" in ids:
        reg = regs["streets"]
        out.append(_text(reg, source, "streets-label", 13,
                         {k: street_label(k) for k in ("uk", "en")}, lang,
                         {"symbol-placement": "line", "text-size":
                          ["interpolate", ["linear"], ["zoom"], 13, 10, 16, 12, 18, 14],
                          "symbol-spacing": 250, "text-max-angle": 35,
                          "text-letter-spacing": 0.02},
                         {}, ["any", [">=", ["zoom"], 14], _major()]))
    if "addresses" in ids:
        reg = regs["addresses"]
        out.append(_text(reg, source, "addresses-number", 17,
                         {k: house_label(k) for k in ("uk", "en")}, lang,
                         {"text-size": ["interpolate", ["linear"], ["zoom"], 17, 10, 19, 12],
                          "text-padding": 1},
                         {"text-color": "#5d5047", "text-halo-width": 1.2}))
    return out
