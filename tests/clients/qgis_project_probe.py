"""Run by tests with Debian's QGIS (system python3): open a generated project as QGIS does.

Usage: python3 qgis_project_probe.py PROJECT.qgs [EDITS.json]; prints one JSON report: every
layer (valid, provider, CRS, features), the relations, the parcels layer's form setup and,
with EDITS, the outcome of editing through the PostGIS layer: a change (attribute and vertex),
a conflicting save by a colleague, and an insert.
"""

import json
import os
import sys

from qgis.core import (
    QgsApplication,
    QgsFeature,
    QgsFeatureRequest,
    QgsFieldConstraints,
    QgsGeometry,
    QgsProject,
    QgsVectorLayer,
)

app = QgsApplication([], False)
app.initQgis()
project = QgsProject.instance()
report = {"read": project.read(sys.argv[1]), "crs": project.crs().authid(), "layers": {}}
for layer in project.mapLayers().values():
    info = {"valid": layer.isValid(), "provider": layer.providerType(),
            "crs": layer.crs().authid(), "name": layer.name(),
            "read_only": layer.readOnly()}
    if layer.isValid():
        request = QgsFeatureRequest().setLimit(3)
        info["sample"] = sum(1 for _ in layer.getFeatures(request))
        info["fields"] = [f.name() for f in layer.fields()]
        info["editable"] = layer.supportsEditing() and not layer.readOnly()
    report["layers"][layer.id().removeprefix("hromada_")] = info
relations = {}
for rel in project.relationManager().relations().values():
    related = -1
    if rel.isValid():
        parent = next(rel.referencedLayer().getFeatures(QgsFeatureRequest().setLimit(1)), None)
        related = sum(1 for _ in rel.getRelatedFeatures(parent)) if parent else 0
    relations[rel.id()] = {"valid": rel.isValid(), "related_to_first": related}
report["relations"] = relations

parcels = project.mapLayer("hromada_land_parcels")
if parcels is not None and parcels.isValid():
    fields = parcels.fields()
    category = parcels.editorWidgetSetup(fields.indexOf("category"))
    number = fields.indexOf("cadastral_number")
    constraints = fields.at(number).constraints()
    version = fields.indexOf("version")
    report["form"] = {
        "category_widget": category.type(),
        "category_map": category.config().get("map"),
        "number_alias": parcels.attributeAlias(number),
        "number_not_null": bool(constraints.constraints() & QgsFieldConstraints.ConstraintNotNull),
        "number_expression": constraints.constraintExpression(),
        "version_default": parcels.defaultValueDefinition(version).expression()
        if version >= 0 else None,
        "version_on_update": parcels.defaultValueDefinition(version).applyOnUpdate()
        if version >= 0 else None,
    }

if len(sys.argv) > 2:
    edits = json.load(open(sys.argv[2]))
    outcome = {}

    def by_id(layer, obj_id):
        return next(layer.getFeatures(QgsFeatureRequest().setFilterExpression(f'"id" = {obj_id}')))

    # 1. a change of attributes and of a vertex
    feature = by_id(parcels, edits["edit_id"])
    parcels.startEditing()
    parcels.changeAttributeValue(feature.id(), parcels.fields().indexOf("purpose_text"),
                                 edits["purpose_text"])
    geometry = QgsGeometry(feature.geometry())
    vertex = geometry.vertexAt(0)
    centre = geometry.centroid().asPoint()
    dx, dy = centre.x() - vertex.x(), centre.y() - vertex.y()
    length = (dx * dx + dy * dy) ** 0.5
    moved = (vertex.x() + dx / length * 0.5, vertex.y() + dy / length * 0.5)
    geometry.moveVertex(moved[0], moved[1], 0)
    if geometry.vertexAt(geometry.constGet().nCoordinates() - 1).x() == vertex.x():
        geometry.moveVertex(moved[0], moved[1], geometry.constGet().nCoordinates() - 1)
    parcels.changeGeometry(feature.id(), geometry)
    outcome["edit"] = {"committed": parcels.commitChanges(), "errors": parcels.commitErrors(),
                       "moved_to": moved}

    # 2. a colleague saves the same parcel between our change and our save
    feature = by_id(parcels, edits["conflict_id"])
    parcels.startEditing()
    parcels.changeAttributeValue(feature.id(), parcels.fields().indexOf("purpose_text"), "моя")
    colleague = QgsVectorLayer(parcels.source(), "colleague", "postgres")
    theirs = by_id(colleague, edits["conflict_id"])
    colleague.startEditing()
    colleague.setDefaultValueDefinition(colleague.fields().indexOf("version"),
                                        parcels.defaultValueDefinition(
                                            parcels.fields().indexOf("version")))
    colleague.changeAttributeValue(theirs.id(), colleague.fields().indexOf("purpose_text"),
                                   "колеги")
    outcome["colleague"] = {"committed": colleague.commitChanges(),
                            "errors": colleague.commitErrors()}
    outcome["conflict"] = {"committed": parcels.commitChanges(),
                           "errors": parcels.commitErrors()}
    parcels.rollBack()
    # … after a reload the change goes through
    parcels.startEditing()
    feature = by_id(parcels, edits["conflict_id"])
    parcels.changeAttributeValue(feature.id(), parcels.fields().indexOf("purpose_text"), "моя")
    outcome["after_reload"] = {"committed": parcels.commitChanges(),
                               "errors": parcels.commitErrors()}

    # 3. a new parcel, as a planner digitises one
    parcels.startEditing()
    new = QgsFeature(parcels.fields())
    for name, value in edits["insert"]["properties"].items():
        new.setAttribute(name, value)
    new.setGeometry(QgsGeometry.fromWkt(edits["insert"]["wkt"]))
    outcome["insert"] = {"added": parcels.addFeature(new), "committed": parcels.commitChanges(),
                         "errors": parcels.commitErrors()}
    report["outcome"] = outcome

print(json.dumps(report, ensure_ascii=False, default=str), flush=True)
os._exit(0)  # QgsApplication.exitQgis() may crash a headless interpreter at exit
