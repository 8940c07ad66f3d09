"""Parameters of an extract, as the HTTP routes and ``gis extract`` take them.

``scale`` (500 … 25000, ``1:2000`` or ``fit``), ``paper`` (A4, A3), ``orientation`` (portrait,
landscape), ``layers`` (collection ids drawn besides parcels, buildings, streets and
addresses), and what to print: ``parcel`` (a cadastral number), ``collection`` + ``id``, a
``bbox`` (in ``bbox-crs``'s axis order, CRS84 by default) or a ``center`` (lon,lat) with a
scale — the geoportal's current view.
"""

from __future__ import annotations

import math

from extracts.issue import Deployment, ExtractRequest, Target
from extracts.layout import parse_scale
from gis.crs import (
    crs_param,
    is_northing_first,
    refuse_beyond_degrees,
    transform_bbox,
    transformer,
)
from gis.errors import InvalidParameter
from gis.params import object_id
from gis.settings import Settings


def _numbers(raw: str, name: str, count: int) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in raw.split(","))
    except ValueError:
        values = ()
    if len(values) != count or not all(math.isfinite(v) for v in values):
        raise InvalidParameter(f"{name} must be {count} comma-separated numbers, got {raw!r}",
                               parameter=name)
    return values


def storage_bbox(raw: str, crs_raw: str | None, storage_srid: int
                 ) -> tuple[float, float, float, float]:
    """Return ``bbox`` (in ``bbox-crs``'s axis order) as easting/northing in the storage CRS."""
    # the coverages' reading of bbox-crs and of a box in degrees (gis.crs): an EPSG code PROJ
    # does not know was a 500 here too
    crs = crs_param(crs_raw, "bbox-crs") if crs_raw else "OGC:CRS84"
    a, b, c, d = _numbers(raw, "bbox", 4)
    minx, miny, maxx, maxy = (b, a, d, c) if crs != "OGC:CRS84" and is_northing_first(crs) \
        else (a, b, c, d)
    if minx >= maxx or miny >= maxy:
        raise InvalidParameter(f"bbox {raw!r}: the lower corner must come first",
                               parameter="bbox")
    refuse_beyond_degrees((minx, miny, maxx, maxy), crs, raw)
    if crs == storage_srid:
        return (minx, miny, maxx, maxy)
    try:
        box = transform_bbox((minx, miny, maxx, maxy), crs, storage_srid)
    except Exception:  # pyproj's own errors: a box outside the CRS's area
        box = (math.inf,) * 4
    if not all(math.isfinite(v) for v in box):
        raise InvalidParameter(f"bbox {raw!r} cannot be transformed to EPSG:{storage_srid}",
                               parameter="bbox")
    return (box[0], box[1], box[2], box[3])


def parse_extract(params: dict[str, str], storage_srid: int,
                  path: dict[str, str] | None = None) -> ExtractRequest:
    """Return the extract request of query ``params`` (and route ``path`` parameters)."""
    path = path or {}
    paper = params.get("paper", "A4").strip().upper()
    orientation = params.get("orientation", "portrait").strip().lower()
    layers = tuple(v.strip() for v in params.get("layers", "").split(",") if v.strip())
    number = path.get("cadastral_number") or params.get("parcel")
    collection = path.get("collection_id") or params.get("collection")
    raw_id = path.get("item_id") or params.get("id")
    if number:
        target = Target(cadastral_number=number.strip())
    elif collection:
        if raw_id is None:
            raise InvalidParameter(f"say which {collection} object to print: "
                                   f"collection={collection}&id=<n>", parameter="id")
        obj_id = object_id(raw_id)
        if obj_id is None:
            raise InvalidParameter(f"id of the {collection} object must be a whole number, "
                                   f"got {str(raw_id)[:40]!r}", parameter="id")
        target = Target(collection=collection, object_id=obj_id)
    elif params.get("bbox"):
        target = Target(bbox=storage_bbox(params["bbox"], params.get("bbox-crs"), storage_srid))
    elif params.get("center"):
        lon, lat = _numbers(params["center"], "center", 2)
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidParameter(f"center {params['center']!r} must be lon,lat in degrees",
                                   parameter="center")
        e, n = transformer("OGC:CRS84", storage_srid).transform(lon, lat)
        if not (math.isfinite(e) and math.isfinite(n)):
            raise InvalidParameter(f"center {params['center']!r} cannot be transformed to "
                                   f"EPSG:{storage_srid}", parameter="center")
        target = Target(centre=(e, n))
    else:
        raise InvalidParameter("say what to print: parcel=<cadastral number>, "
                               "collection=<id>&id=<n>, bbox=… or center=lon,lat",
                               parameter="parcel")
    return ExtractRequest(target, parse_scale(params.get("scale")), paper, orientation, layers)


def deployment(settings: Settings) -> Deployment:
    """Return what every sheet of this deployment says about itself."""
    city = settings.city.name_uk
    return Deployment(srid=settings.city.storage_srid, city=city,
                      issuer=settings.extracts.issuer or settings.city.portal_name("uk"),
                      base_url=settings.base_url, time_zone=settings.city.time_zone,
                      font_dir=settings.extracts.font_dir,
                      max_features=settings.extracts.max_features,
                      extent=settings.city.extent,
                      base_raster=settings.extracts.base_raster,
                      raster_dir=settings.raster_dir)
