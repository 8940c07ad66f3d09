"""Run by tests with Debian's QGIS (system python3): draw our raster tiles as QGIS does.

Usage: python3 qgis_raster_probe.py BASE_URL LAYER SPEC...; SPEC is
``tms:epsg:x:y`` (a point in that EPSG code, x first). For each tile matrix set the layer is
loaded from our WMTS capabilities, a 256 × 256 image around the points is rendered in the set's
CRS at its finest scale, and the RGBA of the pixel at each point is reported as JSON.
"""

import json
import os
import sys

from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsRasterLayer,
    QgsRectangle,
)
from qgis.PyQt.QtCore import QSize

base, layer_name = sys.argv[1], sys.argv[2]
app = QgsApplication([], False)
app.initQgis()
report = {"points": []}
for spec in sys.argv[3:]:
    tms, epsg, x, y = spec.split(":")
    x, y = float(x), float(y)
    uri = (f"contextualWMSLegend=0&crs=EPSG:{epsg}&dpiMode=7&format=image/png"
           f"&layers={layer_name}&styles=default&tileMatrixSet={tms}"
           f"&url={base}/rasters/wmts")
    layer = QgsRasterLayer(uri, f"{layer_name} {tms}", "wms")
    info = {"tms": tms, "valid": layer.isValid(), "crs": layer.crs().authid()}
    if layer.isValid():
        settings = QgsMapSettings()
        settings.setLayers([layer])
        settings.setDestinationCrs(QgsCoordinateReferenceSystem(f"EPSG:{epsg}"))
        settings.setOutputSize(QSize(256, 256))
        settings.setOutputDpi(90.714)  # 0.28 mm pixels: QGIS picks the matching tile matrix
        half = 0.14 * 128 if epsg != "3857" else 0.2986 * 128
        settings.setExtent(QgsRectangle(x - half, y - half, x + half, y + half))
        job = QgsMapRendererSequentialJob(settings)
        job.start()
        job.waitForFinished()
        image = job.renderedImage()
        colour = image.pixelColor(128, 128)
        info["rgba"] = [colour.red(), colour.green(), colour.blue(), colour.alpha()]
        info["errors"] = [e.message for e in job.errors()]
    report["points"].append(info)
print(json.dumps(report), flush=True)
os._exit(0)  # QgsApplication.exitQgis() may crash a headless interpreter at exit
