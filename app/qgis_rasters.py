"""The published rasters in the generated QGIS project: WMTS layers under the vectors.

Each public raster becomes a QGIS raster layer read through the server's WMTS capabilities
(``/rasters/wmts``, the way QGIS 3.22 reads our tile grids) in the UCS-2000 print grid of the
storage CRS's zone: the project's own CRS, so QGIS reprojects nothing and picks the tile matrix
of the print scale it draws at. Orthophotos (RGB, grey) are opaque base layers; scanned plans
(paletted) lie over them at 70 % opacity, so the ground shows through. Staff-only rasters are
left out: QGIS would need an HTTP credential for them, which a project file must not carry.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from urllib.parse import quote

from gis.rasters import RasterRecord
from gis.settings import Settings
from gis.tms import ucs2000_grid_id

GROUP = {"uk": "Растрові карти й ортофото", "en": "Raster maps and orthophotos"}
PLAN_OPACITY = 0.7  # a scanned plan over the ground; an orthophoto is opaque


def raster_layer_id(rec: RasterRecord) -> str:
    """Return the QGIS layer id of a raster.

    >>> raster_layer_id(RasterRecord("plan-2021", "P", "EPSG:6383", 6383, (0, 0, 1, 1),
    ...     (0, 0, 1, 1), 1, 1, 1.0, 1.0, 1, "paletted", "p.tif", 1, "ab" * 32))
    'hromada_raster_plan-2021'
    """
    return f"hromada_raster_{rec.name}"


def opacity(rec: RasterRecord) -> float:
    return PLAN_OPACITY if rec.kind == "paletted" else 1.0


def wmts_source(settings: Settings, rec: RasterRecord) -> str:
    """Return the QGIS ``wms`` provider's data source of ``rec`` in the UCS-2000 grid."""
    srid = settings.city.storage_srid
    grid = ucs2000_grid_id(srid) or "WebMercatorQuad"
    crs = f"EPSG:{srid}" if grid != "WebMercatorQuad" else "EPSG:3857"
    return (f"contextualWMSLegend=0&crs={crs}&dpiMode=7&format=image/png&layers="
            f"{quote(rec.name)}&styles=default&tileMatrixSet={grid}"
            f"&url={settings.base_url}/rasters/wmts")


def raster_maplayers(parent: ET.Element, settings: Settings, rasters: Sequence[RasterRecord],
                     crs: Callable[[ET.Element], None], lang: str) -> None:
    """Append a ``maplayer`` per public raster to ``parent`` (``<projectlayers>``), titled
    for readers of ``lang``; ``crs`` fills an ``<srs>`` element with the project's CRS."""
    for rec in rasters:
        element = ET.SubElement(parent, "maplayer", type="raster",
                                hasScaleBasedVisibilityFlag="0",
                                styleCategories="AllStyleCategories", autoRefreshEnabled="0")
        ET.SubElement(element, "id").text = raster_layer_id(rec)
        ET.SubElement(element, "datasource").text = wmts_source(settings, rec)
        ET.SubElement(element, "layername").text = rec.title_in(lang)
        crs(ET.SubElement(element, "srs"))
        ET.SubElement(element, "provider", encoding="").text = "wms"
        pipe = ET.SubElement(element, "pipe")
        ET.SubElement(pipe, "rasterrenderer", type="singlebandcolordata", band="1",
                      alphaBand="-1", opacity=f"{opacity(rec):g}", nodataColor="")
        ET.SubElement(element, "blendMode").text = "0"


def raster_tree(tree: ET.Element, settings: Settings, rasters: Sequence[RasterRecord],
                lang: str) -> None:
    """Append the rasters' group to the layer tree (at the bottom: under the vectors);
    orthophotos below the plans, so a plan lies over the ground."""
    if not rasters:
        return
    group = ET.SubElement(tree, "layer-tree-group", name=GROUP[lang], expanded="1",
                          checked="Qt::Checked")
    for rec in ordered(rasters):
        ET.SubElement(group, "layer-tree-layer", id=raster_layer_id(rec), name=rec.title_in(lang),
                      providerKey="wms", source=wmts_source(settings, rec),
                      checked="Qt::Checked", expanded="0")


def ordered(rasters: Sequence[RasterRecord]) -> list[RasterRecord]:
    """Return the rasters top first: plans over orthophotos, then by name."""
    return sorted(rasters, key=lambda r: (r.kind != "paletted", r.name))
