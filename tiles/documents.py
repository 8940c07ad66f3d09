"""JSON documents about tiles: OGC API Tiles tilesets, TileJSON 3.0.0, MapLibre styles."""

from __future__ import annotations

from typing import Any

from gis.crs import crs_uri
from gis.tms import WEB_MERCATOR_QUAD, WEB_MERCATOR_URI, tileset_entry
from registries.declaration import DATE_RANGE_STATUSES
from registries.model import FieldType, GeometryKind, Registry
from registries.status import has_term_status
from registries.styles import BASEMAP, OFF_AT_FIRST, STATUS_COLOURS, draw_order, style_of
from registries.tiling import POINT_COUNT, min_zoom, rules
from tiles import basemap
from tiles.mvt import CITY, MVT, Source
from tiles.service import TileService, layer_matrices

TMS_URI = WEB_MERCATOR_URI
REL = "http://www.opengis.net/def/rel/ogc/1.0/"
MVT_TYPES = {FieldType.INTEGER: "Number", FieldType.NUMBER: "Number",
             FieldType.REFERENCE: "Number", FieldType.BOOLEAN: "Boolean"}


def _fields(reg: Registry) -> dict[str, str]:
    """Return every attribute the layer may carry with its TileJSON type."""
    out: dict[str, str] = {}
    for rule in rules(reg):
        for name in rule.keep:
            f = next((f for f in reg.fields if f.name == name), None)
            out[name] = MVT_TYPES.get(f.type, "String") if f is not None else "String"
        if rule.cluster_px:
            out[POINT_COUNT] = "Number"
    return out


def vector_layers(svc: TileService, source: Source) -> list[dict[str, Any]]:
    return [{"id": reg.id, "description": reg.title["uk"], "fields": _fields(reg),
             "minzoom": min_zoom(reg), "maxzoom": svc.max_zoom} for reg in source.layers]


def xyz_template(svc: TileService, source: Source) -> str:
    return f"{svc.base_url}/maps/{source.id}/{{z}}/{{x}}/{{y}}.mvt"


def ogc_tile_template(svc: TileService, source: Source,
                      tms_id: str = WEB_MERCATOR_QUAD) -> str:
    prefix = "" if source.id == CITY else f"/collections/{source.id}"
    return f"{svc.base_url}{prefix}/tiles/{tms_id}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"


def tilejson(svc: TileService, source: Source) -> dict[str, Any]:
    """Return TileJSON 3.0.0 of a source (QGIS, MapLibre, Leaflet plugins read it)."""
    w, s, e, n = svc.lonlat_bounds
    return {
        "tilejson": "3.0.0",
        "name": source.title["uk"],
        "description": source.title["en"],
        "attribution": "© Hromada GIS, CC BY 4.0",
        "scheme": "xyz",
        "tiles": [xyz_template(svc, source)],
        "minzoom": source.min_zoom,
        "maxzoom": svc.max_zoom,
        "bounds": [round(v, 6) for v in (w, s, e, n)],
        "center": [round((w + e) / 2, 6), round((s + n) / 2, 6), max(source.min_zoom, 13)],
        "vector_layers": vector_layers(svc, source),
    }


def tileset(svc: TileService, source: Source, tms_id: str = WEB_MERCATOR_QUAD,
            query: str = "") -> dict[str, Any]:
    """Return the OGC API Tiles tileset metadata of ``source`` (vector) in ``tms_id``, with
    the limits of the city's extent at every tile matrix the source draws something at;
    ``query`` (``collections=a,b``: the city map of those layers) goes on its links."""
    tail = f"?{query}" if query else ""
    grid = svc.grid(tms_id)
    limits = [{"tileMatrix": str(z), "minTileRow": y0, "maxTileRow": y1, "minTileCol": x0,
               "maxTileCol": x1} for z, (x0, y0, x1, y1) in svc.limits(source, grid).items()]
    layers = []
    for reg in source.layers:
        matrices = layer_matrices(grid, reg)
        if not matrices:
            continue
        layers.append({"id": reg.id, "title": reg.title["uk"], "dataType": "vector",
                       "geometryDimension": _dimension(reg),
                       "minTileMatrix": str(matrices[0]), "maxTileMatrix": str(matrices[-1]),
                       "propertiesSchema": {"type": "object", "properties": {
                           k: {"type": "number" if v == "Number" else "string"}
                           for k, v in _fields(reg).items()}}})
    links: list[dict[str, Any]] = [
        {"rel": "self", "type": "application/json",
         "href": ogc_tile_template(svc, source, tms_id).split("/{tileMatrix}")[0] + tail},
        {"rel": f"{REL}tiling-scheme", "type": "application/json",
         "href": f"{svc.base_url}/tileMatrixSets/{tms_id}"},
        {"rel": "item", "type": MVT, "templated": True,
         "href": ogc_tile_template(svc, source, tms_id) + tail},
    ]
    if grid.mercator and not query:  # TileJSON and styles: Web-Mercator documents of a map
        links += [
            {"rel": "describedby", "type": "application/json", "title": "TileJSON",
             "href": f"{svc.base_url}/maps/{source.id}/tilejson.json"},
            {"rel": "stylesheet", "type": "application/vnd.mapbox.style+json",
             "href": f"{svc.base_url}/maps/{source.id}/style.json"}]
    return {
        "title": source.title["uk"],
        "description": source.title["en"],
        "dataType": "vector",
        "crs": crs_uri(grid.srid),
        **({"tileMatrixSetURI": TMS_URI} if grid.mercator else {}),
        "tileMatrixSetLimits": limits,
        "layers": layers,
        "links": links,
    }


def tilesets(svc: TileService, source: Source) -> dict[str, Any]:
    """Return the list of tilesets of a source: one per tile matrix set (WebMercatorQuad and
    the UCS-2000 print grid of the storage CRS's zone), entries as ``gis.tms.tileset_entry``
    writes them."""
    return {"tilesets": [tileset_entry(tileset(svc, source, tms_id), tms_id)
                         for tms_id in svc.grids]}


def _dimension(reg: Registry) -> int:
    return {GeometryKind.POINT: 0, GeometryKind.LINESTRING: 1,
            GeometryKind.MULTILINESTRING: 1}.get(reg.geometry, 2)


def _colour(reg: Registry) -> Any:
    style = style_of(reg)
    if not style.by_status or not has_term_status(reg):
        return style.colour
    pairs: list[str] = []
    for status, colour in STATUS_COLOURS.items():
        pairs += [status, colour]
    return ["match", ["get", "status"], *pairs, style.colour]


def _has_range_status(reg: Registry) -> bool:
    return any(f.name == "status" and f.derived is not None
               and f.code_titles == DATE_RANGE_STATUSES.as_dict() for f in reg.fields)


def style_layers(reg: Registry, source_name: str) -> list[dict[str, Any]]:
    """Return the MapLibre layers that draw ``reg`` as an overlay (a registry's own look)."""
    style = style_of(reg)
    base = {"source": source_name, "source-layer": reg.id, "minzoom": min_zoom(reg) or 0,
            "metadata": {"hromada:collection": reg.id, "hromada:title": reg.title,
                         "hromada:role": "overlay",
                         **({"hromada:byStatus": True} if style.by_status else {})}}
    colour = _colour(reg)
    if reg.geometry == GeometryKind.POINT:
        # small at the city's scale, full size at street scale; clusters grow with their count
        clustered = any(r.cluster_px for r in rules(reg))

        def at(scale: float) -> Any:
            r = round(style.radius * scale, 2)
            if not clustered:
                return r
            return ["case", ["has", POINT_COUNT],
                    ["min", r * 2.2, ["+", r, ["*", 0.6, ["sqrt", ["get", POINT_COUNT]]]]], r]
        radius: Any = ["interpolate", ["linear"], ["zoom"], 12, at(0.6), 15, at(0.9), 18,
                       at(1.25)]
        paint: dict[str, Any] = {"circle-color": colour, "circle-radius": radius,
                                 "circle-stroke-color": "#ffffff", "circle-stroke-width": 1}
        if style.by_status:  # a dark rim keeps light status colours visible on the light map
            paint["circle-stroke-color"] = "#333333"
            paint["circle-stroke-width"] = 0.8
        if reg.id == "addresses":  # the house numbers take over from the dots at z17
            paint["circle-opacity"] = ["step", ["zoom"], 1, 17, 0]
            paint["circle-stroke-width"] = 0
        elif not style.by_status:  # a ring: never mistaken for a status-coloured dot
            paint.update({"circle-color": "#ffffff", "circle-stroke-color": colour,
                          "circle-stroke-width": 2.2})
        return [{**base, "id": reg.id, "type": "circle", "paint": paint}]
    if reg.geometry in (GeometryKind.LINESTRING, GeometryKind.MULTILINESTRING):
        if _has_range_status(reg):
            return basemap.range_layers(reg, source_name)
        out = []
        if style.outline:
            out.append({**base, "id": f"{reg.id}-casing", "type": "line",
                        "paint": {"line-color": style.outline, "line-width": style.width + 2}})
        out.append({**base, "id": reg.id, "type": "line",
                    "paint": {"line-color": colour, "line-width": style.width}})
        return out
    layers = [{**base, "id": f"{reg.id}-fill", "type": "fill",
               "paint": {"fill-color": colour, "fill-opacity": style.opacity}}]
    layers.append({**base, "id": f"{reg.id}-outline", "type": "line",
                   "paint": {"line-color": style.outline or colour, "line-width": style.width}})
    return layers


# areas that hold others draw below them: zones, restrictions, quarters, then parcels
BROAD = ("planning_zones", "planning_restrictions", "cadastral_quarters")


def _small(reg: Registry) -> bool:
    """Return True for polygons that stand in the street space (kiosks, scheme spots)."""
    return reg.group == "temporary"


def style(svc: TileService, source: Source, lang: str = "uk") -> dict[str, Any]:
    """Return the MapLibre style (v8) of a map: the city's base map from its own registries
    (ground, water, buildings, streets, labels; glyphs served by this server), the registries
    over it with their status colours. ``lang`` is the labels' language (uk, en)."""
    w, s, e, n = svc.lonlat_bounds
    regs = list(source.layers)
    by_id = {r.id: r for r in regs}
    name = "hromada"
    overlays = [r for r in draw_order(regs) if r.id not in BASEMAP]
    polygons = sorted((r for r in overlays if _dimension(r) == 2),
                      key=lambda r: BROAD.index(r.id) if r.id in BROAD else len(BROAD))
    layers: list[dict[str, Any]] = [{"id": "background", "type": "background",
                                     "paint": {"background-color": basemap.LAND}}]
    layers += basemap.ground_layers(by_id, name)
    for reg in polygons:
        if not _small(reg):
            layers += style_layers(reg, name)
    layers += basemap.building_layers(by_id, name)
    layers += basemap.street_layers(by_id, name)
    for reg in polygons:
        if _small(reg):
            layers += style_layers(reg, name)
    for reg in overlays:
        if _dimension(reg) == 1:
            layers += style_layers(reg, name)
    layers += basemap.boundary_layers(by_id, name)
    for reg in overlays:
        if _dimension(reg) == 0:
            layers += style_layers(reg, name)
    layers += basemap.label_layers(by_id, name, lang)
    for layer in layers:  # what waits until chosen (registries.styles.OFF_AT_FIRST)
        if layer.get("metadata", {}).get("hromada:collection") in OFF_AT_FIRST:
            layer["layout"] = {**layer.get("layout", {}), "visibility": "none"}
    return {
        "version": 8,
        "name": source.title.get(lang, source.title["uk"]),
        "metadata": {"hromada:statusColours": STATUS_COLOURS, "hromada:lang": lang},
        "center": [round((w + e) / 2, 6), round((s + n) / 2, 6)],
        "zoom": 13,
        "glyphs": f"{svc.base_url}/fonts/{{fontstack}}/{{range}}.pbf",
        # the tiles themselves, not a TileJSON link: one request less before the first tile
        "sources": {name: {"type": "vector", "tiles": [xyz_template(svc, source)],
                           "minzoom": source.min_zoom, "maxzoom": svc.max_zoom,
                           "bounds": [round(v, 6) for v in (w, s, e, n)],
                           "attribution": "© Hromada GIS, CC BY 4.0"}},
        "layers": layers,
    }


def maps(svc: TileService) -> dict[str, Any]:
    """Return the list of maps (the city and each collection) with their links."""
    out = []
    for source in svc.sources:
        base = f"{svc.base_url}/maps/{source.id}"
        out.append({"id": source.id, "title": source.title,
                    "layers": [r.id for r in source.layers],
                    "links": [
                        {"rel": "describedby", "type": "application/json", "title": "TileJSON",
                         "href": f"{base}/tilejson.json"},
                        {"rel": "stylesheet", "type": "application/vnd.mapbox.style+json",
                         "href": f"{base}/style.json"},
                        {"rel": "item", "type": MVT, "templated": True,
                         "href": xyz_template(svc, source)},
                        {"rel": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                         "type": "application/json",
                         "href": ogc_tile_template(svc, source).split("/" + WEB_MERCATOR_QUAD)[0]},
                    ]})
    return {"maps": out}


# OGC API – Tiles 1.0 requirements classes these documents and routes implement
CONFORMANCE = [
    f"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{name}"
    # not "oas30": the OpenAPI document (pygeoapi's) does not describe the tile routes
    for name in ("core", "tileset", "tilesets-list", "dataset-tilesets", "geodata-tilesets",
                 "collections-selection", "mvt")
] + ["http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
     "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset"]


def ogc_links(svc: TileService, path: str) -> list[dict[str, Any]]:
    """Return the tile links of the OGC API document at ``path`` (``/`` or a collection)."""
    if path == "/":
        return [{"rel": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                 "type": "application/json", "title": "Vector tiles of the city map",
                 "href": f"{svc.base_url}/tiles"},
                {"rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
                 "type": "application/json", "title": "Tile matrix sets",
                 "href": f"{svc.base_url}/tileMatrixSets"}]
    cid = path.removeprefix("/collections/")
    if path.startswith("/collections/") and cid in svc.sources.by_id:
        source = svc.sources.get(cid)
        return [{"rel": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                 "type": "application/json", "title": f"Vector tiles: {source.title['en']}",
                 "href": f"{svc.base_url}/collections/{cid}/tiles"}]
    return []
