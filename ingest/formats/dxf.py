"""Surveyors' drawings (DXF) through GDAL: the entities of the chosen drawing layer.

A drawing has no attribute table and no CRS (``--crs`` names it). Closed polylines become
polygons where the registry holds polygons (``ingest.load``), and the text entities lying
inside a closed outline — a cadastral or spot number written in the drawing — become that
outline's ``text`` value, which the field mapping can take as the registry's key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gis.errors import InvalidFile
from ingest.readers import Record, Source, _fiona, _gdal_reason

TEXT_FIELDS = ("layer", "text", "handle")
UNICODE_ESCAPE = re.compile(r"\\U\+([0-9A-Fa-f]{4})")


def drawing_text(text: str) -> str:
    r"""Return a DXF text with AutoCAD's ``\U+XXXX`` escapes decoded (Cyrillic in R12 files).

    >>> drawing_text(r"\U+0421-17")
    'С-17'
    """
    return UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


@dataclass
class DxfSource(Source):
    """The entities of a DXF drawing, optionally of one drawing layer."""

    drawing_layer: str | None = None
    layers_found: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, path: Path, display: str, layer: str | None,
             encoding: str | None) -> DxfSource:
        fiona = _fiona()
        try:
            with fiona.open(str(path)) as c:
                layers = sorted({str(f.properties.get("Layer") or "0") for f in c})
        except Exception as exc:
            raise InvalidFile(f"{display}: cannot be read as DXF: {_gdal_reason(exc, path=path)}",
                              file=display) from None
        if layer is not None and layer not in layers:
            raise InvalidFile(f"{display}: the drawing has no layer {layer!r}; its layers: "
                              + ", ".join(layers), file=display)
        source = cls(path=path, display=display, format="DXF", layer=layer, crs=None,
                     fields=list(TEXT_FIELDS), encoding=encoding, drawing_layer=layer,
                     layers_found=layers)
        if layer is None and len(layers) > 1:
            source.notes.append(f"every drawing layer read ({', '.join(layers)}); --layer NAME "
                                "takes one")
        return source

    def records(self) -> Iterator[Record]:
        from shapely import STRtree
        from shapely.geometry import Polygon, shape

        texts: list[tuple[Any, str]] = []
        shapes: list[tuple[int, dict[str, Any], Any]] = []
        with _fiona().open(str(self.path)) as c:
            for row, feat in enumerate(c, 1):
                props = feat.properties
                if self.drawing_layer is not None and props.get("Layer") != self.drawing_layer:
                    continue
                if feat.geometry is None:
                    continue
                geom = shape(feat.geometry)
                text = drawing_text((props.get("Text") or "").strip())
                if geom.geom_type == "Point" and text:
                    texts.append((geom, text))
                    continue
                shapes.append((row, {"layer": props.get("Layer"), "text": None,
                                     "handle": props.get("EntityHandle")}, geom))
        tree = STRtree([g for g, _ in texts]) if texts else None
        for row, values, geom in shapes:
            outline = None
            if geom.geom_type in ("Polygon", "MultiPolygon"):
                outline = geom
            elif geom.geom_type == "LineString" and geom.is_closed and len(geom.coords) >= 4:
                outline = Polygon(geom.coords)
            if tree is not None and outline is not None and outline.is_valid:
                inside = [texts[i][1] for i in tree.query(outline, predicate="contains")]
                values["text"] = "; ".join(inside) if inside else None
            yield Record(row, values, geom.wkb)
