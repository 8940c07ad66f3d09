"""A ready QGIS project (``.qgs``) of every registry layer, generated from the declarations.

For the public, the layers read OGC API – Features (QGIS 3.22's OAPIF provider reads
EPSG:4326 and reprojects); for staff they read PostGIS through the service entry of their own
database login (``gis users service-entry``): the registries their roles edit as the live
tables — editable, with snapping, topological editing and no overlaps among parcels; what
one saves there waits for the holder's verification before the public sees it — the
others as the staff views of the published versions, read-only (``pending=true``: the working
copies with their pending changes, each object marked ``new``, ``changed`` or ``published``).
Everything a layer needs comes from the registry
declarations: titles as aliases, code lists as value maps with their titles, required fields
and patterns as constraints (QGIS refuses to save what the database would refuse anyway),
the geoportal's colours and status colours, labels, and the relations between registries
(``registries.relations``). The project CRS is the city's UCS-2000 / Ukraine TM zone.

Editing straight in PostGIS never silently overwrites: the ``version`` field's default is
``-abs("version")``, applied on every update, so each UPDATE QGIS sends names the version
it was made from and the database refuses it if someone saved meanwhile (``gis.history``).

The XML follows what QGIS 3.22 itself writes (checked by ``tests/test_qgis_project.py``,
which opens the project in QGIS 3.22 and edits through it).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pyproj import CRS

from app.portal import GROUPS
from app.qgis_rasters import ordered, raster_layer_id, raster_maplayers, raster_tree
from gis.auth import Role
from gis.rasters import RasterRecord
from gis.settings import Settings
from registries.catalog import Catalog
from registries.model import Field, FieldType, GeometryKind, Registry
from registries.relations import Relation, relations
from registries.status import has_term_status
from registries.styles import STATUS_COLOURS, STATUS_TITLES, draw_order, style_of
from registries.tiling import min_zoom

MM_PER_PX = 0.2646  # 96 dpi: the geoportal's pixel widths as QGIS millimetres
SCALE_Z0 = 591_657_550.5  # map scale at web zoom 0 (256-px tiles, 96 dpi)
LABEL_ZOOM = 16  # labels from this zoom on at the earliest: the city at 1:9,000
HIDDEN = ("geom_3857", "sys_period")  # machinery a form never shows
READ_ONLY = ("id", "version", "changed_by")
VERSION_DEFAULT = '-abs("version")'  # see the module docstring and gis.history
MACHINERY = {"id": {"uk": "Ідентифікатор", "en": "ID"},
             "version": {"uk": "Версія", "en": "Version"},
             "changed_by": {"uk": "Змінив", "en": "Changed by"}}
QGIS_VERSION = "3.22.0"
GEOMETRY_TYPES = {GeometryKind.POINT: ("Point", "Point"),
                  GeometryKind.LINESTRING: ("Line", "LineString"),
                  GeometryKind.MULTILINESTRING: ("Line", "MultiLineString"),
                  GeometryKind.POLYGON: ("Polygon", "Polygon"),
                  GeometryKind.MULTIPOLYGON: ("Polygon", "MultiPolygon")}


@dataclass(frozen=True)
class Access:
    """Who the project is for: the public (OGC API) or staff with ``roles`` (PostGIS through
    the service entry ``service``)."""

    roles: frozenset[Role] = frozenset({Role.PUBLIC})
    service: str | None = None
    lang: str = "uk"
    # staff: the read-only layers show the working copy with its pending changes (and each
    # object's verification state) instead of the published versions
    pending: bool = False

    @property
    def staff(self) -> bool:
        return self.service is not None and bool(self.roles - {Role.PUBLIC})

    def edits(self, reg: Registry) -> bool:
        return self.staff and (Role.ADMIN in self.roles or bool(self.roles & reg.edit_roles))


@dataclass
class Layer:
    reg: Registry
    id: str
    provider: str
    source: str
    srid: int
    editable: bool
    fields: list[Field]
    columns: list[str] = field(default_factory=list)  # every attribute QGIS will list


def quoted(text: str) -> str:
    """Return ``text`` as a QGIS expression string literal.

    >>> quoted(r"^\\d{2}$")
    "'^\\\\\\\\d{2}$'"
    """
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: Any) -> ET.Element:
    element = ET.SubElement(parent, tag, {k.rstrip("_").replace("__", "-"): str(v)
                                          for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _options(parent: ET.Element, values: dict[str, Any]) -> ET.Element:
    """Write a QGIS ``<Option type="Map">`` of string values."""
    box = _sub(parent, "Option", type="Map")
    for key, value in values.items():
        _sub(box, "Option", name=key, value=value, type="QString")
    return box


def _value(option: ET.Element, value: Any, name: str | None = None) -> None:
    """Write any JSON-like value as a QGIS Option (maps, lists, strings, booleans)."""
    attrs = {"name": name} if name is not None else {}
    if isinstance(value, dict):
        box = _sub(option, "Option", type="Map", **attrs)
        for k, v in value.items():
            _value(box, v, k)
    elif isinstance(value, list):
        box = _sub(option, "Option", type="List", **attrs)
        for v in value:
            _value(box, v)
    elif isinstance(value, bool):
        _sub(option, "Option", type="bool", value="true" if value else "false", **attrs)
    else:
        _sub(option, "Option", type="QString", value=str(value), **attrs)


def _crs(parent: ET.Element, srid: int) -> None:
    crs = CRS.from_epsg(srid)
    ref = _sub(parent, "spatialrefsys")
    _sub(ref, "wkt", crs.to_wkt())
    _sub(ref, "srid", str(srid))
    _sub(ref, "authid", f"EPSG:{srid}")
    _sub(ref, "description", crs.name)
    _sub(ref, "geographicflag", "true" if crs.is_geographic else "false")


def _rgba(colour: str, alpha: float = 1.0) -> str:
    """Return a QGIS colour from ``#rrggbb`` and an opacity.

    >>> _rgba("#8d6e63", 0.3)
    '141,110,99,76'
    """
    c = colour.lstrip("#")
    return f"{int(c[0:2], 16)},{int(c[2:4], 16)},{int(c[4:6], 16)},{round(alpha * 255)}"


def _symbol(parent: ET.Element, reg: Registry, name: str, colour: str) -> None:
    style = style_of(reg)
    kind = GEOMETRY_TYPES[reg.geometry][0]
    symbol = _sub(parent, "symbol", name=name, type={"Point": "marker", "Line": "line"}.get(
        kind, "fill"), alpha="1", clip_to_extent="1", force_rhr="0")
    if kind == "Point":
        layer, props = "SimpleMarker", {
            "name": "circle", "color": _rgba(colour), "outline_color": "255,255,255,255",
            "outline_width": "0.2", "size": f"{2 * style.radius * MM_PER_PX:.2f}"}
    elif kind == "Line":
        layer, props = "SimpleLine", {"line_color": _rgba(colour),
                                      "line_width": f"{style.width * MM_PER_PX:.2f}"}
    else:
        layer, props = "SimpleFill", {
            "color": _rgba(colour, style.opacity), "style": "solid",
            "outline_color": _rgba(style.outline or colour),
            "outline_width": f"{style.width * MM_PER_PX:.2f}"}
    element = _sub(symbol, "layer", **{"class": layer}, enabled="1", locked="0", **{"pass": "0"})
    _options(element, props)
    for key, value in props.items():
        _sub(element, "prop", k=key, v=value)


def _renderer(parent: ET.Element, reg: Registry, by_status: bool, lang: str) -> None:
    style = style_of(reg)
    if by_status:
        renderer = _sub(parent, "renderer-v2", type="categorizedSymbol", attr="status",
                        symbollevels="0", enableorderby="0", forceraster="0")
        categories = _sub(renderer, "categories")
        symbols = _sub(renderer, "symbols")
        for i, (status, colour) in enumerate(STATUS_COLOURS.items()):
            _sub(categories, "category", symbol=str(i), value=status,
                 label=STATUS_TITLES[status].get(lang, status), render="true")
            _symbol(symbols, reg, str(i), colour)
        return
    renderer = _sub(parent, "renderer-v2", type="singleSymbol", symbollevels="0",
                    enableorderby="0", forceraster="0")
    _symbol(_sub(renderer, "symbols"), reg, "0", style.colour)


def label_scale(reg: Registry) -> int:
    """Return the largest scale denominator at which ``reg``'s labels show: from the zoom its
    tiles first carry the label (``LABEL_ZOOM`` at the earliest).

    >>> from registries.catalog import default_catalog
    >>> label_scale(default_catalog().get("land_parcels"))
    9027
    """
    zoom = next((r.min_zoom for r in reg.tiles if reg.label in r.keep), min_zoom(reg) or 0)
    return int(SCALE_Z0 / 2 ** max(zoom, LABEL_ZOOM))


def _labels(parent: ET.Element, reg: Registry, label: str) -> None:
    labeling = _sub(parent, "labeling", type="simple")
    settings = _sub(labeling, "settings", calloutType="simple")
    _sub(settings, "text-style", fieldName=label, isExpression="0", fontSize="8",
         fontSizeUnit="Point", textColor="40,40,40,255", fontFamily="Sans Serif",
         namedStyle="Regular", textOpacity="1")
    _sub(settings, "text-buffer", bufferDraw="1", bufferSize="0.8", bufferSizeUnits="MM",
         bufferColor="255,255,255,255", bufferOpacity="0.8")
    placement = {GeometryKind.POINT: "6", GeometryKind.LINESTRING: "2",
                 GeometryKind.MULTILINESTRING: "2"}.get(reg.geometry, "0")
    _sub(settings, "placement", placement=placement, dist="1", distUnits="MM",
         placementFlags="10")
    _sub(settings, "rendering", scaleVisibility="1", scaleMin="0",
         scaleMax=str(label_scale(reg)), obstacle="1", upsidedownLabels="0")


def _widget(f: Field, lang: str, layer: Layer, refs: dict[str, Relation]) -> tuple[str, Any]:
    """Return the QGIS edit widget (type, config) of field ``f`` in ``layer``."""
    if f.choices:
        return "ValueMap", {"map": [{f.choice_title(code, lang): code} for code in f.choices]}
    if f.type is FieldType.DATE:
        return "DateTime", {"allow_null": True, "calendar_popup": True,
                            "display_format": "dd.MM.yyyy", "field_format": "yyyy-MM-dd",
                            "field_iso_format": False}
    if f.type is FieldType.BOOLEAN:
        return "CheckBox", {"CheckedState": "true", "UncheckedState": "false"}
    if f.name in refs:
        return "RelationReference", {"Relation": refs[f.name].id, "AllowNULL": not f.required,
                                     "ShowForm": False, "OpenFormButton": True,
                                     "ReadOnly": not layer.editable}
    return "TextEdit", {"IsMultiline": f.type is FieldType.JSON, "UseHtml": False}


def _fields(parent: ET.Element, layer: Layer, lang: str, refs: dict[str, Relation]) -> None:
    declared = {f.name: f for f in layer.fields}
    config = _sub(parent, "fieldConfiguration")
    aliases = _sub(parent, "aliases")
    defaults = _sub(parent, "defaults")
    constraints = _sub(parent, "constraints")
    expressions = _sub(parent, "constraintExpressions")
    editable = _sub(parent, "editable")
    for index, name in enumerate(layer.columns):
        f = declared.get(name)
        holder = _sub(config, "field", name=name, configurationFlags="None")
        if f is not None:
            kind, options = _widget(f, lang, layer, refs)
        elif name in HIDDEN:
            kind, options = "Hidden", {}
        else:
            kind, options = "TextEdit", {"IsMultiline": False, "UseHtml": False}
        widget = _sub(holder, "editWidget", type=kind)
        _value(_sub(widget, "config"), options)
        title = f.title.get(lang, name) if f else MACHINERY.get(name, {}).get(lang, "")
        _sub(aliases, "alias", field=name, index=str(index), name=title)
        default = VERSION_DEFAULT if layer.editable and name == "version" else ""
        _sub(defaults, "default", field=name, expression=default,
             applyOnUpdate="1" if default else "0")
        flags, expression, description = 0, "", ""
        if f is not None and f.required:
            flags |= 1
        if f is not None and f.unique:
            flags |= 2
        if f is not None and f.pattern and f.type is FieldType.TEXT and layer.editable:
            flags |= 4
            expression = f'"{name}" IS NULL OR regexp_match("{name}", {quoted(f.pattern)})'
            description = {"uk": f"має відповідати шаблону {f.pattern}",
                           "en": f"must match {f.pattern}"}[lang if lang == "en" else "uk"]
        _sub(constraints, "constraint", field=name, constraints=str(flags),
             notnull_strength="1" if flags & 1 else "0",
             unique_strength="1" if flags & 2 else "0", exp_strength="1" if flags & 4 else "0")
        _sub(expressions, "constraint", field=name, exp=expression, desc=description)
        writable = layer.editable and name not in READ_ONLY and name not in HIDDEN \
            and (f is None or f.is_stored)
        _sub(editable, "field", name=name, editable="1" if writable else "0")


def layer_id(reg: Registry) -> str:
    """Return the QGIS layer id of ``reg`` (QGIS ignores ids of ten characters or fewer).

    >>> from registries.catalog import default_catalog
    >>> layer_id(default_catalog().get("streets"))
    'hromada_streets'
    """
    return f"hromada_{reg.id}"


def _layers(catalog: Catalog, settings: Settings, access: Access) -> list[Layer]:
    out = []
    for reg in draw_order([r for r in catalog if r.public or access.staff]):
        if not access.staff:
            source = (f"url='{settings.base_url}' typename='{reg.id}' pagingEnabled='true' "
                      "preferCoordinatesForWfsT11='false' restrictToRequestBBOX='1'")
            fields = list(reg.public_fields)
            out.append(Layer(reg, layer_id(reg), "OAPIF", source, 4326, False, fields,
                             [f.name for f in fields]))
            continue
        editable = access.edits(reg)
        # a layer one edits is the working copy (pending changes included: an editor edits
        # the newest version); the others show what is published, or the pending view
        schema, table = (reg.schema, reg.table) if editable else (
            reg.pending_view if access.pending else reg.staff_view)
        fields = list(reg.stored_fields if editable else reg.fields)
        kind = GEOMETRY_TYPES[reg.geometry][1]
        source = (f"service='{access.service}' key='id' estimatedmetadata=true "
                  f"srid={settings.city.storage_srid} type={kind} checkPrimaryKeyUnicity='0' "
                  f'table="{schema}"."{table}" (geom)')
        columns = ["id", *(f.name for f in fields), "version",
                   *(["sys_period"] if editable else []), "changed_by", "geom_3857",
                   *(["verification", "published_version"] if not editable and access.pending
                     else [])]
        out.append(Layer(reg, layer_id(reg), "postgres", source, settings.city.storage_srid,
                         editable, fields, columns))
    return out


def _maplayer(parent: ET.Element, layer: Layer, access: Access, refs: dict[str, Relation],
              virtual: dict[str, str]) -> None:
    reg = layer.reg
    geometry, wkb = GEOMETRY_TYPES[reg.geometry]
    element = _sub(parent, "maplayer", type="vector", geometry=geometry, wkbType=wkb,
                   readOnly="0" if layer.editable else "1", labelsEnabled="1" if reg.label
                   else "0", hasScaleBasedVisibilityFlag="0", minScale="100000000",
                   maxScale="0", styleCategories="AllStyleCategories")
    _sub(element, "id", layer.id)
    _sub(element, "datasource", layer.source)
    _sub(element, "layername", reg.title.get(access.lang, reg.title["uk"]))
    _crs(_sub(element, "srs"), layer.srid)
    _sub(element, "provider", layer.provider, encoding="")
    expression_fields = _sub(element, "expressionfields")
    for name, expression in virtual.items():
        _sub(expression_fields, "field", name=name, expression=expression, type="10",
             typeName="string", length="0", precision="0", subType="0", comment="")
    names = {f.name for f in layer.fields}
    by_status = has_term_status(reg) and style_of(reg).by_status and "status" in names
    _renderer(element, reg, by_status, access.lang)
    if reg.label and reg.label in names:
        _labels(element, reg, reg.label)
    _fields(element, layer, access.lang, refs)
    _sub(element, "editform", tolerant="1")
    _sub(element, "editorlayout", "generatedlayout")
    _sub(element, "previewExpression", f'"{reg.label}"' if reg.label in names else '"id"')


def project_xml(settings: Settings, catalog: Catalog, access: Access,
                rasters: Sequence[RasterRecord] = ()) -> str:
    """Return the ``.qgs`` document for ``access`` (see the module docstring), with the public
    ``rasters`` under the vectors (``app.qgis_rasters``)."""
    rasters = [r for r in rasters if r.public]
    layers = _layers(catalog, settings, access)
    by_reg = {layer.reg.id: layer for layer in layers}
    links = [r for r in relations(catalog) if r.parent in by_reg and r.child in by_reg
             and _has_key(by_reg[r.parent], r.parent_field)
             and (r.child_prefix or _has_key(by_reg[r.child], r.child_field))]
    city = settings.city.name_uk if access.lang == "uk" else settings.city.name_en
    root = ET.Element("qgis", version=QGIS_VERSION, projectname=f"Hromada GIS — {city}")
    _sub(root, "title", settings.city.portal_name(access.lang))
    _sub(root, "autotransaction", active="0")  # a rule lock held while editing blocks others
    _sub(root, "evaluateDefaultValues", active="0")
    _crs(_sub(root, "projectCrs"), settings.city.storage_srid)
    _tree(root, layers, access)
    raster_tree(root.find("layer-tree-group"), settings, rasters, access.lang)  # type: ignore[arg-type]
    _snapping(root, layers)
    rel = _sub(root, "relations")
    for r in links:
        element = _sub(rel, "relation", id=r.id, name=r.title.get(access.lang, r.title["uk"]),
                       referencingLayer=by_reg[r.child].id, referencedLayer=by_reg[r.parent].id,
                       strength="Association")
        _sub(element, "fieldRef", referencingField=r.child_key, referencedField=r.parent_field)
    project_layers = _sub(root, "projectlayers")
    for layer in layers:
        refs = {r.child_field: r for r in links if r.child == layer.reg.id and r.parent_field
                == "id"}
        virtual = {r.child_key: f'left("{r.child_field}", {r.child_prefix})' for r in links
                   if r.child == layer.reg.id and r.child_prefix}
        _maplayer(project_layers, layer, access, refs, virtual)
    raster_maplayers(project_layers, settings, rasters,
                     lambda srs: _crs(srs, settings.city.storage_srid), access.lang)
    order = _sub(root, "layerorder")
    for layer in reversed(layers):
        _sub(order, "layer", id=layer.id)
    for rec in ordered(rasters):  # under every vector layer
        _sub(order, "layer", id=raster_layer_id(rec))
    _properties(root, layers)
    view = _sub(root, "ProjectViewSettings", UseProjectScales="0", rotation="0")
    x0, y0, x1, y1 = settings.city.extent
    extent = _sub(view, "DefaultViewExtent", xmin=x0, ymin=y0, xmax=x1, ymax=y1)
    _crs(extent, settings.city.storage_srid)
    ET.indent(root)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + \
        ET.tostring(root, encoding="unicode") + "\n"


def _has_key(layer: Layer, name: str) -> bool:
    return name == "id" and layer.provider == "postgres" or any(f.name == name
                                                                for f in layer.fields)


def _tree(root: ET.Element, layers: list[Layer], access: Access) -> None:
    tree = _sub(root, "layer-tree-group")
    groups: dict[str, ET.Element] = {}
    for layer in reversed(layers):  # the tree lists the top layer first
        group = layer.reg.group if layer.reg.group in GROUPS else "other"
        if group not in groups:
            title = GROUPS[group].get(access.lang, GROUPS[group]["uk"])
            groups[group] = _sub(tree, "layer-tree-group", name=title, expanded="1",
                                 checked="Qt::Checked")
        _sub(groups[group], "layer-tree-layer", id=layer.id, name=layer.reg.title.get(
            access.lang, layer.reg.title["uk"]), providerKey=layer.provider,
             source=layer.source, checked="Qt::Checked", expanded="0")


def _snapping(root: ET.Element, layers: list[Layer]) -> None:
    """Snap to vertices and segments of every editable layer (12 px)."""
    editable = [layer for layer in layers if layer.editable]
    snapping = _sub(root, "snapping-settings", enabled="1" if editable else "0", mode="2",
                    type="3", tolerance="12", unit="1", intersection__snapping="0",
                    self__snapping="0", scaleDependencyMode="0", minScale="0", maxScale="0")
    individual = _sub(snapping, "individual-layer-settings")
    for layer in editable:
        _sub(individual, "layer-setting", id=layer.id, enabled="1", type="3", tolerance="12",
             units="1", minScale="0", maxScale="0")


def _properties(root: ET.Element, layers: list[Layer]) -> None:
    """Topological editing, and no overlaps among editable polygons that forbid them."""
    properties = _sub(root, "properties")
    digitizing = _sub(properties, "Digitizing")
    avoid = [layer.id for layer in layers if layer.editable and layer.reg.geometry in (
        GeometryKind.POLYGON, GeometryKind.MULTIPOLYGON) and any(
        r.id == "no_overlap" for r in layer.reg.rules)]
    _sub(digitizing, "TopologicalEditing", "1" if avoid else "0", type="int")
    _sub(digitizing, "AvoidIntersectionsMode", "2" if avoid else "0", type="int")
    listed = _sub(digitizing, "AvoidIntersectionsList", type="QStringList")
    for layer_id in avoid:
        _sub(listed, "value", layer_id)
    _sub(_sub(properties, "SpatialRefSys"), "ProjectionsEnabled", "1", type="int")
    # areas and lengths as the cadastre measures them: planar, in the storage CRS (as ST_Area)
    _sub(_sub(properties, "Measure"), "Ellipsoid", "NONE", type="QString")
    measurement = _sub(properties, "Measurement")
    _sub(measurement, "DistanceUnits", "meters", type="QString")
    _sub(measurement, "AreaUnits", "m2", type="QString")
