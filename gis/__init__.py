"""Hromada GIS core: settings, errors, database, embedded PostGIS, CRS, geometry, history, roles.

Knows PostGIS, knows no registry.
"""
