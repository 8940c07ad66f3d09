"""Coordinate reference systems: UCS-2000 (УСК-2000) zones, OGC CRS URIs, cached transformers."""

from __future__ import annotations

import math
from functools import lru_cache

from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from gis.errors import InvalidParameter

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
UCS2000_GEOGRAPHIC = 5561
UCS2000_TM_ZONES = {7: 6381, 8: 6382, 9: 6383, 10: 6384, 11: 6385, 12: 6386, 13: 6387}
# what lies farther than this from the city's box (CitySettings.extent) is not the city's: an
# object imported there has the wrong CRS, an extract printed there shows no registry
NEAR_CITY_M = 50_000.0


def crs_uri(srid: int) -> str:
    """Return the OGC URI of an EPSG code.

    >>> crs_uri(6383)
    'http://www.opengis.net/def/crs/EPSG/0/6383'
    """
    return f"http://www.opengis.net/def/crs/EPSG/0/{srid}"


def tm_zone_srid(longitude: float) -> int:
    """Return the EPSG code of the UCS-2000 / Ukraine TM zone whose 3° strip holds ``longitude``.

    >>> tm_zone_srid(26.9965)
    6383
    """
    zone = int((longitude + 1.5) // 3)
    if zone not in UCS2000_TM_ZONES:
        raise ValueError(f"longitude {longitude} is outside Ukraine's TM zones 7–13 (19.5–40.5°E)")
    return UCS2000_TM_ZONES[zone]


def output_crs_uris(storage_srid: int) -> list[str]:
    """Return the CRSs an OGC API collection offers: CRS84, WGS 84, Web Mercator, UCS-2000."""
    srids = [4326, 3857, UCS2000_GEOGRAPHIC, *UCS2000_TM_ZONES.values()]
    if storage_srid not in srids:
        srids.append(storage_srid)
    return [CRS84, *(crs_uri(s) for s in srids)]


@lru_cache(maxsize=64)
def transformer(source: int | str, target: int | str) -> Transformer:
    """Return a cached transformer; ``always_xy`` so that x is easting/longitude everywhere."""
    return Transformer.from_crs(CRS.from_user_input(source), CRS.from_user_input(target),
                                always_xy=True)


def transform_bbox(bbox: tuple[float, float, float, float], source: int | str,
                   target: int | str) -> tuple[float, float, float, float]:
    """Return ``bbox`` (x/lon first) transformed with densified edges.

    >>> box = transform_bbox((299000, 5476000, 300000, 5477000), 6383, "OGC:CRS84")
    >>> [round(v, 3) for v in box]
    [26.985, 49.416, 26.998, 49.425]
    """
    return transformer(source, target).transform_bounds(*bbox, densify_pts=21)


@lru_cache(maxsize=64)
def is_northing_first(crs: int | str) -> bool:
    """Return True when the CRS declares latitude/northing as its first axis.

    >>> is_northing_first(4326), is_northing_first(6383), is_northing_first("OGC:CRS84")
    (True, True, False)
    """
    axis = CRS.from_user_input(crs).axis_info
    return bool(axis) and axis[0].direction.lower() in ("north", "south")


def srid_from_uri(uri: str) -> int | str:
    """Return the EPSG code of an OGC CRS URI (or ``"OGC:CRS84"``), raising ValueError.

    >>> srid_from_uri("http://www.opengis.net/def/crs/EPSG/0/6383")
    6383
    >>> srid_from_uri("http://www.opengis.net/def/crs/OGC/1.3/CRS84")
    'OGC:CRS84'
    >>> srid_from_uri("https://www.opengis.net/def/crs/OGC/1.3/CRS84")  # OGC's newer spelling
    'OGC:CRS84'
    """
    text = uri.strip()
    if text in (CRS84, "OGC:CRS84", "CRS84", "[OGC:CRS84]", "https" + CRS84.removeprefix("http")):
        return "OGC:CRS84"
    for prefix in ("http://www.opengis.net/def/crs/EPSG/0/", "https://www.opengis.net/def/crs/EPSG/0/",
                   "EPSG:", "urn:ogc:def:crs:EPSG::", "[EPSG:"):
        if text.startswith(prefix):
            code = text[len(prefix):].rstrip("]")
            if code.isascii() and code.isdigit():
                return int(code)
    raise ValueError(f"unknown CRS {uri!r}")


def crs_param(raw: str, name: str) -> int | str:
    """Return the CRS a request names in parameter ``name`` (an OGC URI, a safe CURIE or
    ``EPSG:n``), or raise InvalidParameter: not a CRS name, a code PROJ does not know (a 500
    deeper down), or no flat map (heights, geocentric: a box there means nothing).

    >>> crs_param("[EPSG:6383]", "bbox-crs"), crs_param(CRS84, "crs")
    (6383, 'OGC:CRS84')
    >>> crs_param("EPSG:5703", "bbox-crs")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    gis.errors.InvalidParameter: bbox-crs: EPSG:5703 (NAVD88 height) is not a two-dimensional...
    """
    try:
        found = srid_from_uri(raw)
    except ValueError:
        raise InvalidParameter(f"{name}={raw[:80]!r} is not a CRS URI or safe CURIE such as "
                               f"{crs_uri(6383)} or [EPSG:6383]", parameter=name) from None
    if isinstance(found, int):
        try:
            crs = CRS.from_epsg(found)
        except CRSError:
            raise InvalidParameter(f"{name}: EPSG:{found} is no CRS this server knows",
                                   parameter=name) from None
        if not (crs.is_projected or crs.is_geographic) or len(crs.axis_info) != 2:
            raise InvalidParameter(f"{name}: EPSG:{found} ({crs.name}) is not a two-"
                                   "dimensional map CRS", parameter=name)
    return found


def refuse_beyond_degrees(box: tuple[float, float, float, float], crs: int | str,
                          raw: str) -> None:
    """Refuse a box (lon/lat first) of a geographic ``crs`` beyond ±180° or ±90°: a box in
    metres sent without its bbox-crs, a typo. PROJ made a NaN of it (a 500) or folded it.

    >>> refuse_beyond_degrees((26.9, 49.4, 27.0, 49.5), "OGC:CRS84", "…")
    >>> refuse_beyond_degrees((299100, 5476100, 299500, 5476400), "OGC:CRS84", "…")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    gis.errors.InvalidParameter: bbox='…' lies beyond longitude ±180° or latitude ±90° of CRS84...
    """
    if not is_geographic(crs):
        return
    w, s, e, n = box
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= 90 and -90 <= n <= 90):
        raise InvalidParameter(
            f"bbox={raw[:80]!r} lies beyond longitude ±180° or latitude ±90° of "
            f"{'CRS84' if crs == 'OGC:CRS84' else f'EPSG:{crs}'} (a box there is in degrees); "
            f"a box in metres needs its bbox-crs (e.g. bbox-crs={crs_uri(6383)})",
            parameter="bbox")


# UCS-2000 → WGS 84 as PROJ chooses it (EPSG "UCS-2000 to WGS 84 (2)", a 3-parameter shift)
UCS2000_TOWGS84 = "24,-121,-76"


def ucs2000_proj4(srid: int) -> str:
    """Return the proj4js definition of the UCS-2000 TM zone ``srid`` (easting, northing; m).

    >>> ucs2000_proj4(6383).split(" +ellps")[0]
    '+proj=tmerc +lat_0=0 +lon_0=27 +k=1 +x_0=300000 +y_0=0'
    """
    operation = CRS.from_epsg(srid).coordinate_operation
    if operation is None:
        raise ValueError(f"EPSG:{srid} is not a projected CRS")
    p = {param.code: param.value for param in operation.params}  # EPSG parameter codes
    return (f"+proj=tmerc +lat_0={p['8801']:g} +lon_0={p['8802']:g} +k={p['8805']:g} "
            f"+x_0={p['8806']:g} +y_0={p['8807']:g} +ellps=krass "
            f"+towgs84={UCS2000_TOWGS84} +units=m +no_defs")


def crs_title(srid: int) -> str:
    """Return how a printed sheet names the projected CRS ``srid`` (Ukrainian).

    >>> crs_title(6383)
    'УСК-2000 / Ukraine TM zone 9 (осьовий меридіан 27°), EPSG:6383'
    """
    zones = {s: z for z, s in UCS2000_TM_ZONES.items()}
    if srid in zones:
        return (f"УСК-2000 / Ukraine TM zone {zones[srid]} (осьовий меридіан "
                f"{3 * zones[srid]}°), EPSG:{srid}")
    return f"{CRS.from_epsg(srid).name}, EPSG:{srid}"


def grid_convergence(srid: int, easting: float, northing: float) -> float:
    """Return the meridian convergence γ (degrees, ≈ Δλ·sin φ: negative west of the central
    meridian) at a point of the projected CRS ``srid``: what a sheet's north arrow states.

    >>> round(grid_convergence(6383, 299_865.0, 5_476_633.0), 4)  # Khmelnytskyi, 27°E
    -0.0027
    """
    from pyproj import Proj

    lon, lat = transformer(srid, 4326).transform(easting, northing)
    return float(Proj(CRS.from_epsg(srid)).get_factors(lon, lat).meridian_convergence)


def box_gap_km(box: tuple[float, float, float, float],
               other: tuple[float, float, float, float]) -> float:
    """Return the gap between two boxes (x0, y0, x1, y1) in one metric CRS, km; 0 when they
    touch or overlap.

    >>> box_gap_km((0, 0, 1000, 1000), (4000, 5000, 6000, 6000))
    5.0
    >>> box_gap_km((0, 0, 1000, 1000), (500, 500, 600, 600))
    0.0
    """
    dx = max(0.0, other[0] - box[2], box[0] - other[2])
    dy = max(0.0, other[1] - box[3], box[1] - other[3])
    return math.hypot(dx, dy) / 1000


# How far around its area of use a storage CRS is asked about: query boxes and filter
# geometries are clipped to this (in degrees), where the projection still behaves; stored
# objects lie well inside it.
DOMAIN_MARGIN_DEG = 20.0


@lru_cache(maxsize=16)
def query_domain(storage_srid: int) -> tuple[float, float, float, float]:
    """Return the lon/lat box that queries on data stored in ``storage_srid`` are clipped to.

    Beyond it a transverse Mercator zone fails ("point outside of projection domain") or folds
    (both poles of a world box land on one line), so a box of any size is first cut to it.

    >>> [round(v, 2) for v in query_domain(6383)]
    [5.5, 25.26, 48.5, 71.94]
    """
    area = CRS.from_epsg(storage_srid).area_of_use
    if area is None:
        return (-180.0, -85.0, 180.0, 85.0)
    m = DOMAIN_MARGIN_DEG
    return (max(-180.0, area.west - m), max(-85.0, area.south - m),
            min(180.0, area.east + m), min(85.0, area.north + m))


def is_geographic(crs: int | str) -> bool:
    """Return True for a CRS in degrees (CRS84, WGS 84, UCS-2000 geographic …).

    >>> is_geographic("OGC:CRS84"), is_geographic(4326), is_geographic(6383)
    (True, True, False)
    """
    return isinstance(crs, str) or CRS.from_user_input(crs).is_geographic


@lru_cache(maxsize=64)
def domain_in(crs: int | str, storage_srid: int) -> tuple[float, float, float, float]:
    """Return :func:`query_domain` of ``storage_srid`` as an x/lon-first box in ``crs``."""
    lon0, lat0, lon1, lat1 = query_domain(storage_srid)
    if is_geographic(crs):
        return (lon0, lat0, lon1, lat1)
    return transform_bbox((lon0, lat0, lon1, lat1), "OGC:CRS84", crs)


def clip_box(box: tuple[float, float, float, float], crs: int | str,
             storage_srid: int) -> tuple[float, float, float, float] | None:
    """Return ``box`` (x/lon first, in ``crs``) cut to the query domain, or None when it lies
    wholly outside it (it then matches nothing stored).

    >>> clip_box((0.0, 0.0, 1e308, 1e308), "OGC:CRS84", 6383) == query_domain(6383)
    True
    >>> clip_box((26.9, 49.4, 27.0, 49.5), "OGC:CRS84", 6383)
    (26.9, 49.4, 27.0, 49.5)
    >>> clip_box((100.0, 0.0, 120.0, 10.0), "OGC:CRS84", 6383) is None
    True
    """
    d0, d1, d2, d3 = domain_in(crs, storage_srid)
    x0, y0, x1, y1 = max(box[0], d0), max(box[1], d1), min(box[2], d2), min(box[3], d3)
    if x0 > x1 or y0 > y1:
        return None
    return (x0, y0, x1, y1)


def in_query_domain(lon: float, lat: float, storage_srid: int) -> bool:
    """Return True when (lon, lat) lies where data stored in ``storage_srid`` can be asked about.

    >>> in_query_domain(27.0, 49.4, 6383), in_query_domain(117.0, 0.0, 6383)
    (True, False)
    """
    lon0, lat0, lon1, lat1 = query_domain(storage_srid)
    return lon0 <= lon <= lon1 and lat0 <= lat <= lat1
