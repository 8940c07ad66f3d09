"""Run by tests with Debian's QGIS (system python3): draw one vector tile of a grid QGIS's
vector tile layer does not know, through GDAL's MVT driver inside QGIS.

Usage: python3 qgis_mvt_file_probe.py TILESET_DIR LAYER CRS HALF X Y [X Y …]

TILESET_DIR holds ``0/0/0.pbf`` (the tile) and ``metadata.json`` naming the CRS, the tile's
upper-left corner and its side in metres as a one-tile tiling scheme, which GDAL's MVT reader
georeferences. The polygons of LAYER are filled opaque red, a 256 × 256 image of ±HALF metres
around the first point is rendered in CRS and the RGBA at each point is reported as JSON.
"""

import json
import os
import sys

from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsFillSymbol,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsRectangle,
    QgsSingleSymbolRenderer,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize

folder, layer_name, crs, half = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
coords = [float(v) for v in sys.argv[5:]]
points = list(zip(coords[::2], coords[1::2], strict=True))
app = QgsApplication([], False)
app.initQgis()
layer = QgsVectorLayer(f"MVT:{folder}/0|layername={layer_name}", "tile", "ogr")
report = {"valid": layer.isValid(), "crs": layer.crs().authid(),
          "features": layer.featureCount() if layer.isValid() else 0, "points": [],
          "extent": layer.extent().toString() if layer.isValid() else "",
          "geometry": layer.wkbType() if layer.isValid() else 0,
          "first": next(layer.getFeatures()).geometry().boundingBox().toString()
          if layer.isValid() and layer.featureCount() else ""}
if layer.isValid():
    layer.setRenderer(QgsSingleSymbolRenderer(QgsFillSymbol.createSimple(
        {"color": "255,0,0,255", "outline_style": "no"})))
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(QgsCoordinateReferenceSystem(crs))
    settings.setOutputSize(QSize(256, 256))
    settings.setOutputDpi(96)
    x, y = points[0]
    settings.setExtent(QgsRectangle(x - half, y - half, x + half, y + half))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    report["errors"] = [e.message for e in job.errors()]
    m2p = settings.mapToPixel()
    for px, py in points:
        p = m2p.transform(px, py)
        colour = image.pixelColor(int(round(p.x())), int(round(p.y())))
        report["points"].append([colour.red(), colour.green(), colour.blue(), colour.alpha()])
print(json.dumps(report), flush=True)
os._exit(0)  # QgsApplication.exitQgis() may crash a headless interpreter at exit
