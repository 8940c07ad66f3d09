"""Demo city: a deterministic, realistic Ukrainian city around Khmelnytskyi for every registry.

The city is a jittered street grid clipped to a noisy ellipse (about 14 × 11 km at scale 1).
Each grid cell inset by half the street widths is a block; blocks are cut into parcels that
tile them exactly (bilinear subdivision of the quadrilateral), each parcel gets one building
and a house number on the street it faces, and advertising structures, temporary structures
and their scheme spots stand along the streets. Districts (centre, multi-storey, houses,
industry, parks …) drive parcel sizes and purposes and give the zoning-plan zones.

Everything is generated with plain float arithmetic in EPSG:6383 metres (UCS-2000 / Ukraine
TM zone 9) and written with COPY as EWKT; PostGIS only unions the zone cells and derives the
overlays (cadastral quarters, red lines, planning restrictions, the YAML-declared registries)
from what was loaded. The load is a legacy import (``gis.legacy_import``): the database's
rules check every row, and the deliberately realistic-but-wrong objects (kiosks outside the
placement scheme) are accepted and listed among the problems instead of refused. The same
(scale, seed, today) gives byte-identical data: one ``random.Random(seed)``, no sets iterated.

The generator is split by concept, imports flowing one way: ``common`` (identity, weighted
draw) and ``geometry`` (tuples, EWKT) at the bottom, then ``grid``, ``streets``, ``parcels``,
``addresses``, ``permits``, ``street_sites`` and ``zones``, then ``build`` (``DemoCity``,
``build_city``) and ``load`` (``load_demo``, ``load_overlays``). This module keeps the entry
points importable from ``app.demo.city``.
"""

from __future__ import annotations

from app.demo.build import ALL_REGISTRIES, DemoCity, Progress, build_city
from app.demo.load import load_demo, load_overlays

__all__ = ["ALL_REGISTRIES", "DemoCity", "Progress", "build_city", "load_demo", "load_overlays"]
