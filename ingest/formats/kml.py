"""KML (Google Earth, phones, many council web maps): placemarks with their name, description
and ``ExtendedData`` values, streamed with lxml's iterparse.

GDAL's KML driver in the fiona wheel reads names and descriptions only; attributes councils
keep in ``ExtendedData`` (``Data`` or ``SchemaData/SimpleData``) would be lost, so this reader
takes them as columns. KML is always WGS 84 lon/lat (EPSG:4326).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyproj import CRS

from gis.errors import InvalidFile
from ingest.readers import Record, Source

GEOMETRIES = ("Point", "LineString", "Polygon", "MultiGeometry")


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _coords(el: Any) -> list[tuple[float, float]]:
    text = next((c.text for c in el.iter() if _local(c.tag) == "coordinates"), "") or ""
    out = []
    for item in text.split():
        parts = item.split(",")
        out.append((float(parts[0]), float(parts[1])))
    return out


def _geometry(el: Any) -> Any:
    from shapely.geometry import GeometryCollection, LineString, Point, Polygon
    from shapely.ops import unary_union

    kind = _local(el.tag)
    if kind == "Point":
        return Point(_coords(el)[0])
    if kind == "LineString":
        return LineString(_coords(el))
    if kind == "Polygon":
        outer = next(c for c in el if _local(c.tag) == "outerBoundaryIs")
        inner = [c for c in el if _local(c.tag) == "innerBoundaryIs"]
        return Polygon(_coords(outer), [_coords(i) for i in inner])
    parts = [_geometry(c) for c in el if _local(c.tag) in GEOMETRIES]
    kinds = {p.geom_type for p in parts}
    if len(kinds) == 1 and kinds <= {"Point", "LineString", "Polygon"}:
        from shapely.geometry import MultiLineString, MultiPoint, MultiPolygon

        multi = {"Point": MultiPoint, "LineString": MultiLineString,
                 "Polygon": MultiPolygon}[kinds.pop()]
        return multi(parts)
    return GeometryCollection(parts) if parts else unary_union([])


@dataclass
class KmlSource(Source):
    """The placemarks of a KML file: every folder's, or (``layer``) those of one folder, its
    subfolders included — Google Earth's and most web maps' way of keeping layers apart."""

    @classmethod
    def open(cls, path: Path, display: str, layer: str | None = None) -> KmlSource:
        fields: list[str] = ["name", "description"]
        folders: set[str] = set()
        for placemark in _placemarks(path, display=display):
            inside = _folders(placemark)
            folders.update(inside)
            if layer is None or layer in inside:
                for key in _extended(placemark):
                    if key not in fields:
                        fields.append(key)
            placemark.clear()
        if layer is not None and layer not in folders:
            # a --layer the file does not have was read as the whole file
            named = ", ".join(sorted(folders)) or "none: every placemark is at its top level"
            raise InvalidFile(f"{display}: no folder {layer!r} holds placemarks; its folders: "
                              f"{named}", file=display)
        return cls(path=path, display=display, format="KML", layer=layer,
                   crs=CRS.from_epsg(4326), fields=fields)

    def records(self) -> Iterator[Record]:
        placemarks = (p for p in _placemarks(self.path, display=self.display)
                      if self.layer is None or self.layer in _folders(p))
        for row, placemark in enumerate(placemarks, 1):
            values: dict[str, Any] = {"name": None, "description": None}
            for child in placemark:
                if _local(child.tag) in ("name", "description"):
                    values[_local(child.tag)] = (child.text or "").strip() or None
            values.update(_extended(placemark))
            geometry = None
            found = next((c for c in placemark.iter() if _local(c.tag) in GEOMETRIES), None)
            if found is not None:
                try:
                    geometry = _geometry(found).wkb
                except Exception as exc:
                    values["__geometry_error__"] = f"line {found.sourceline}: {exc}"
            placemark.clear()
            yield Record(row, values, geometry)


def _placemarks(path: Path, display: str | None = None) -> Iterator[Any]:
    from lxml import etree

    try:
        for _, el in etree.iterparse(str(path), events=("end",), resolve_entities=False,
                                     no_network=True, load_dtd=False, huge_tree=True):
            if _local(el.tag) == "Placemark":
                yield el
                # a placemark read is dropped with the ones before it: clear() alone leaves
                # an empty element per placemark in its folder, which a file larger than
                # memory cannot afford
                el.clear()
                parent = el.getparent()
                if parent is not None:  # a folder's <name> stays: it names the next ones too
                    for before in list(el.itersiblings(preceding=True)):
                        if _local(before.tag) != "name":
                            parent.remove(before)
    except etree.XMLSyntaxError as exc:
        raise InvalidFile(f"{display or path.name}: not well-formed KML at line {exc.lineno}: "
                          f"{exc.msg}", file=display or path.name, row=exc.lineno or 0) from None


def _folders(placemark: Any) -> list[str]:
    """Return the names of the folders (and the document) ``placemark`` lies in, innermost
    first; a folder's name comes before its placemarks, so it is read by then."""
    names = []
    for parent in placemark.iterancestors():
        if _local(parent.tag) in ("Folder", "Document"):
            name = next((c.text for c in parent if _local(c.tag) == "name"), None)
            if name and name.strip():
                names.append(name.strip())
    return names


def _extended(placemark: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for el in placemark.iter():
        kind = _local(el.tag)
        if kind == "Data" and el.get("name"):
            value = next((c.text for c in el if _local(c.tag) == "value"), None)
            out[el.get("name")] = (value or "").strip() or None
        elif kind == "SimpleData" and el.get("name"):
            out[el.get("name")] = (el.text or "").strip() or None
    return out
