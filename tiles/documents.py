"""JSON documents about tiles: OGC API Tiles tilesets, TileJSON 3.0.0, MapLibre styles."""

from __future__ import annotations

from typing import Any

from gis.tms import WEB_MERCATOR_QUAD, tile_range
from registries.model import FieldType, GeometryKind, Registry
from registries.status import has_term_status
from registries.styles import STATUS_COLOURS, draw_order, style_of
from registries.tiling import POINT_COUNT, min_zoom, rules
from tiles.mvt import CITY, MVT, Source
from tiles.service import TileService

TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
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


def ogc_tile_template(svc: TileService, source: Source) -> str:
    prefix = "" if source.id == CITY else f"/collections/{source.id}"
    return (f"{svc.base_url}{prefix}/tiles/{WEB_MERCATOR_QUAD}"
            "/{tileMatrix}/{tileRow}/{tileCol}")


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


def tileset(svc: TileService, source: Source) -> dict[str, Any]:
    """Return the OGC API Tiles tileset metadata (WebMercatorQuad, vector)."""
    limits = []
    for z in range(source.min_zoom, svc.max_zoom + 1):
        x0, y0, x1, y1 = tile_range(svc.mercator_bounds, z)
        limits.append({"tileMatrix": str(z), "minTileRow": y0, "maxTileRow": y1,
                       "minTileCol": x0, "maxTileCol": x1})
    return {
        "title": source.title["uk"],
        "description": source.title["en"],
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": TMS_URI,
        "tileMatrixSetLimits": limits,
        "layers": [{"id": reg.id, "title": reg.title["uk"], "dataType": "vector",
                    "geometryDimension": _dimension(reg), "minTileMatrix": str(min_zoom(reg)),
                    "maxTileMatrix": str(svc.max_zoom),
                    "propertiesSchema": {"type": "object", "properties": {
                        k: {"type": "number" if v == "Number" else "string"}
                        for k, v in _fields(reg).items()}}}
                   for reg in source.layers],
        "links": [
            {"rel": "self", "type": "application/json",
             "href": ogc_tile_template(svc, source).split("/{tileMatrix}")[0]},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
             "type": "application/json",
             "href": f"{svc.base_url}/tileMatrixSets/{WEB_MERCATOR_QUAD}"},
            {"rel": "item", "type": MVT, "templated": True,
             "href": ogc_tile_template(svc, source)},
            {"rel": "describedby", "type": "application/json", "title": "TileJSON",
             "href": f"{svc.base_url}/maps/{source.id}/tilejson.json"},
            {"rel": "stylesheet", "type": "application/vnd.mapbox.style+json",
             "href": f"{svc.base_url}/maps/{source.id}/style.json"},
        ],
    }


def tilesets(svc: TileService, source: Source) -> dict[str, Any]:
    """Return the list of tilesets of a source (one: WebMercatorQuad)."""
    doc = tileset(svc, source)
    return {"tilesets": [{"title": doc["title"], "dataType": "vector", "crs": doc["crs"],
                          "tileMatrixSetURI": TMS_URI, "links": doc["links"][:2]}]}


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


def style_layers(reg: Registry, source_name: str) -> list[dict[str, Any]]:
    """Return the MapLibre layers that draw ``reg``."""
    style = style_of(reg)
    base = {"source": source_name, "source-layer": reg.id, "minzoom": min_zoom(reg) or 0,
            "metadata": {"hromada:collection": reg.id, "hromada:title": reg.title}}
    colour = _colour(reg)
    if reg.geometry == GeometryKind.POINT:
        radius: Any = style.radius
        if any(r.cluster_px for r in rules(reg)):  # clusters grow with their count
            radius = ["case", ["has", POINT_COUNT],
                      ["min", 14, ["+", style.radius, ["sqrt", ["get", POINT_COUNT]]]],
                      style.radius]
        return [{**base, "id": reg.id, "type": "circle",
                 "paint": {"circle-color": colour, "circle-radius": radius,
                           "circle-stroke-color": "#ffffff", "circle-stroke-width": 1}}]
    if reg.geometry in (GeometryKind.LINESTRING, GeometryKind.MULTILINESTRING):
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


def style(svc: TileService, source: Source) -> dict[str, Any]:
    """Return the MapLibre style (v8) of a map, with status colours; no glyphs or sprites."""
    w, s, e, n = svc.lonlat_bounds
    layers: list[dict[str, Any]] = [{"id": "background", "type": "background",
                                     "paint": {"background-color": "#f5f3ef"}}]
    for reg in draw_order(list(source.layers)):
        layers += style_layers(reg, "hromada")
    return {
        "version": 8,
        "name": source.title["uk"],
        "metadata": {"hromada:statusColours": STATUS_COLOURS},
        "center": [round((w + e) / 2, 6), round((s + n) / 2, 6)],
        "zoom": 13,
        "sources": {"hromada": {"type": "vector",
                                "url": f"{svc.base_url}/maps/{source.id}/tilejson.json"}},
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
