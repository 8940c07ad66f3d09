"""Run by tests with Debian's QGIS (system python3): read our OGC API as QGIS does.

Usage: python3 qgis_probe.py BASE_URL [TOKEN]; prints one JSON document with what QGIS saw.
"""

import json
import os
import sys

from qgis.core import (
    QgsApplication,
    QgsFeatureRequest,
    QgsRectangle,
    QgsVectorDataProvider,
    QgsVectorLayer,
)

base = sys.argv[1]
app = QgsApplication([], False)
app.initQgis()
report = {"layers": {}}
for typename in sys.argv[2].split(","):
    layer = QgsVectorLayer(f"url='{base}' typename='{typename}' pagingEnabled='true' "
                           "preferCoordinatesForWfsT11='false' restrictToRequestBBOX='0'",
                           typename, "OAPIF")
    info = {"valid": layer.isValid()}
    if layer.isValid():
        feats = list(layer.getFeatures())
        info["count"] = len(feats)
        info["fields"] = [f.name() for f in layer.fields()]
        info["crs"] = layer.crs().authid()
        first = feats[0].attributes() if feats else []
        info["first"] = {k: str(v) for k, v in zip(info["fields"], first, strict=False)}
        caps = layer.dataProvider().capabilities()
        info["can_add"] = bool(caps & QgsVectorDataProvider.AddFeatures)
        info["can_change"] = bool(caps & QgsVectorDataProvider.ChangeAttributeValues)
        ext = QgsRectangle(26.985, 49.415, 27.0, 49.425)
        request = QgsFeatureRequest().setFilterRect(ext)
        info["bbox_count"] = sum(1 for _ in layer.getFeatures(request))
    report["layers"][typename] = info
print(json.dumps(report, ensure_ascii=False, default=str), flush=True)
os._exit(0)  # QgsApplication.exitQgis() may crash a headless interpreter at exit
