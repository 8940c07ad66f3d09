"""Run by tests with Debian's QGIS (system python3): draw our vector tiles as QGIS does.

Usage: python3 qgis_vector_tile_probe.py XYZ_URL LAYER X Y [X Y …] — points in EPSG:3857.
The tiles are loaded as a QGIS vector tile layer (XYZ template), the polygons of LAYER are
filled opaque red, a 256 × 256 image around the first point is rendered at about 1:1 000 and
the RGBA of the pixel at each point is reported as JSON.
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
    QgsVectorTileBasicRenderer,
    QgsVectorTileBasicRendererStyle,
    QgsVectorTileLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QSize

url, layer_name = sys.argv[1], sys.argv[2]
coords = [float(v) for v in sys.argv[3:]]
points = list(zip(coords[::2], coords[1::2], strict=True))
app = QgsApplication([], False)
app.initQgis()
layer = QgsVectorTileLayer(f"type=xyz&url={url}&zmin=0&zmax=20", "tiles")
report = {"valid": layer.isValid(), "crs": layer.crs().authid(), "points": []}
if layer.isValid():
    style = QgsVectorTileBasicRendererStyle("fill", layer_name, QgsWkbTypes.PolygonGeometry)
    style.setSymbol(QgsFillSymbol.createSimple({"color": "255,0,0,255",
                                                "outline_style": "no"}))
    renderer = QgsVectorTileBasicRenderer()
    renderer.setStyles([style])
    layer.setRenderer(renderer)
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
    settings.setOutputSize(QSize(256, 256))
    settings.setOutputDpi(96)
    x, y = points[0]
    half = 0.3 * 128
    extent = QgsRectangle(x - half, y - half, x + half, y + half)
    settings.setExtent(extent)
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
