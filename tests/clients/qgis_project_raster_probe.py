"""Run by tests with Debian's QGIS (system python3): the rasters of a generated project.

Usage: python3 qgis_project_raster_probe.py PROJECT.qgs E N [E N …] — points in the project's
CRS. Reports every raster layer (valid, provider, CRS, opacity, its place in the layer order)
and, for each, the RGBA at each point: the middle of a 256 × 256 image of that layer alone
rendered around the point at 0.28 mm pixels (QGIS picks the matching tile matrix).
"""

import json
import os
import sys

from qgis.core import (
    QgsApplication,
    QgsMapLayerType,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsProject,
    QgsRectangle,
)
from qgis.PyQt.QtCore import QSize

app = QgsApplication([], False)
app.initQgis()
project = QgsProject.instance()
coords = [float(v) for v in sys.argv[2:]]
points = list(zip(coords[::2], coords[1::2], strict=True))
report = {"read": project.read(sys.argv[1]), "crs": project.crs().authid(), "rasters": {},
          "order": [layer.id() for layer in project.layerTreeRoot().layerOrder()]}
for layer in project.mapLayers().values():
    if layer.type() != QgsMapLayerType.RasterLayer:
        continue
    info = {"valid": layer.isValid(), "provider": layer.providerType(),
            "crs": layer.crs().authid(), "name": layer.name(), "pixels": []}
    if layer.isValid():
        info["opacity"] = layer.renderer().opacity()
        info["errors"] = []
        for x, y in points:  # one image per point, the point in its middle
            settings = QgsMapSettings()
            settings.setLayers([layer])
            settings.setDestinationCrs(project.crs())
            settings.setOutputSize(QSize(256, 256))
            settings.setOutputDpi(90.714)
            half = 0.14 * 128
            settings.setExtent(QgsRectangle(x - half, y - half, x + half, y + half))
            settings.setBackgroundColor(settings.backgroundColor().fromRgb(0, 0, 0, 0))
            job = QgsMapRendererSequentialJob(settings)
            job.start()
            job.waitForFinished()
            c = job.renderedImage().pixelColor(128, 128)
            info["pixels"].append([c.red(), c.green(), c.blue(), c.alpha()])
            info["errors"] += [e.message for e in job.errors()]
    report["rasters"][layer.id()] = info
print(json.dumps(report), flush=True)
os._exit(0)  # QgsApplication.exitQgis() may crash a headless interpreter at exit
