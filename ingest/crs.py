"""Which CRS a file's coordinates are in, and whether they may be moved into UCS-2000.

The file's own CRS (``.prj``, GeoPackage, GeoJSON) or ``--crs``; a file without either is
refused with what its coordinates look like (domain §3.6). SK-42 and SK-63 (Pulkovo 1942)
reach UCS-2000 in PROJ only through a null transformation good to 3.5 m, useless for a
cadastre: such files are refused unless the deployment configured its own keys (a PROJ
pipeline to the storage CRS, ``GIS_INGEST__TRANSFORMS``). So is any CRS PROJ relates to
UCS-2000 only by a "ballpark" operation (a datum it knows no transformation for).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyproj import CRS, Transformer

from gis.crs import UCS2000_TM_ZONES
from gis.errors import InvalidFile, InvalidParameter

# UCS-2000 / LCS-NN (МСК-NN) per KOATUU region: EPSG code and central meridian (domain §3.4)
REGION_LCS = {"01": 9831, "05": 9832, "07": 9833, "12": 9834, "14": 9835, "18": 9836,
              "21": 9837, "23": 9838, "26": 9839, "32": 9821, "35": 9840, "44": 9841,
              "46": 9851, "48": 9852, "51": 9853, "53": 9854, "56": 9855, "59": 9856,
              "61": 9857, "63": 9858, "65": 9859, "68": 9860, "71": 9861, "73": 9862,
              "74": 9863, "80": 9864, "85": 9865}
REGION_MERIDIAN = {"01": 34.5, "05": 28 + 2 / 3, "07": 24 + 5 / 6, "12": 35.0, "14": 37.5,
                   "18": 28.5, "21": 23.5, "23": 36.0, "26": 24.75, "32": 30.5, "35": 32.0,
                   "44": 39.0, "46": 24.0, "48": 31 + 5 / 6, "51": 30.0, "53": 33 + 5 / 6,
                   "56": 27.0, "59": 34.5, "61": 25.5, "63": 36.5, "65": 33.5, "68": 27.0,
                   "71": 31.5, "73": 26.0, "74": 32.0, "80": 30.5, "85": 33.0}
LEGACY_DATUMS = ("pulkovo", "system 1942", "system 1963", "sk-42", "sk-63", "sk42", "sk63")


@dataclass(frozen=True)
class SourceCrs:
    """How coordinates reach the storage CRS: PostGIS (``srid``) or a pyproj pipeline."""

    crs: CRS
    srid: int | None  # EPSG code PostGIS transforms from; None: ``transformer`` does it
    transformer: Transformer | None = None
    label: str = ""
    note: str = ""  # what the report should say about it (a look-alike of UCS-2000's zone)


def region_tm_zone(region: str) -> int | None:
    """Return the UCS-2000 / Ukraine TM zone (EPSG) holding a KOATUU region's central
    meridian, the usual CRS of a ``<USC2000/>`` exchange file (domain §2.3).

    >>> region_tm_zone("68"), region_tm_zone("80"), region_tm_zone("99")
    (6383, 6384, None)
    """
    from gis.crs import tm_zone_srid

    meridian = REGION_MERIDIAN.get(region)
    return tm_zone_srid(meridian) if meridian is not None else None


def parse_crs(text: str) -> CRS:
    """Return the CRS of a ``--crs`` value: ``EPSG:6383``, ``6383``, ``WGS84`` or a PROJ/WKT
    definition.

    >>> parse_crs("6383").to_epsg(), parse_crs("wgs84").to_epsg()
    (6383, 4326)
    """
    t = text.strip()
    if t.isascii() and t.isdigit():
        t = f"EPSG:{t}"
    if t.lower().replace(" ", "").replace("-", "") in ("wgs84", "crs84"):
        t = "EPSG:4326"
    try:
        return CRS.from_user_input(t)
    except Exception:
        raise InvalidParameter(f"--crs {text!r} is not a known CRS; use an EPSG code, e.g. "
                               "EPSG:6383 (UCS-2000 / Ukraine TM zone 9) or EPSG:4326 "
                               "(WGS 84)") from None


def is_legacy(crs: CRS) -> bool:
    """Return True for CRSs on the Pulkovo 1942 datum (SK-42, SK-63 and their zones).

    >>> [is_legacy(CRS.from_epsg(code)) for code in (28405, 7826, 6383)]
    [True, True, False]
    """
    geodetic = crs.geodetic_crs
    names = " ".join(n.lower() for n in (
        crs.name, geodetic.name if geodetic else "",
        geodetic.datum.name if geodetic and geodetic.datum else ""))
    return any(word in names for word in LEGACY_DATUMS)


def epsg_of(crs: CRS) -> int | None:
    """Return the EPSG code of ``crs`` when it is one (a .prj without the code included)."""
    code = crs.to_epsg(min_confidence=90)
    if code is not None:
        return int(code)
    guess = crs.to_epsg(min_confidence=50)
    if guess is not None and CRS.from_epsg(guess).equals(crs, ignore_axis_order=True):
        return int(guess)
    return None


def resolve(file_crs: CRS | None, given: CRS | None, storage_srid: int, display: str,
            transforms: dict[str, str], sample: tuple[float, float] | None = None,
            hint: str = "", in_postgis: Callable[[int], bool] = lambda code: True
            ) -> SourceCrs:
    """Return how to bring the file's coordinates into the storage CRS, or raise.

    ``in_postgis(code)`` says whether PostGIS's ``spatial_ref_sys`` holds an EPSG code; one
    it lacks is moved by PROJ (pyproj) instead: PostGIS 3.3's table predates the regions'
    UCS-2000 / LCS-NN (МСК-NN, EPSG 9821–9865), and every local-system file failed with
    PostGIS's "Cannot find SRID".
    """
    crs = given or file_crs
    if crs is None:
        why = "; ".join(w for w in (hint, describe_coordinates(*sample) if sample else "") if w)
        raise InvalidFile(f"{display}: the file does not say its coordinate system"
                          + (f" ({why})" if why else "")
                          + "; pass --crs, e.g. --crs EPSG:6383 (UCS-2000 / Ukraine TM zone 9)"
                          " or --crs EPSG:4326 (WGS 84)", file=display)
    code = epsg_of(crs)
    label = f"EPSG:{code}" if code else crs.name
    legacy = is_legacy(crs)
    storage = CRS.from_epsg(storage_srid)
    if only_approximately(crs, storage):
        # the deployment's own keys move them; PROJ alone is 3.5 m off, or only guesses
        pipeline = transforms.get(label) or transforms.get(crs.name)
        if pipeline:
            return SourceCrs(crs, None, Transformer.from_pipeline(pipeline), label)
        if legacy:
            raise InvalidFile(
                f"{display}: coordinates in {crs.name} ({label}) reach UCS-2000 in PROJ only "
                "through a null transformation good to 3.5 m, not enough for a cadastre; "
                "configure the region's keys (ключі перерахунку) as a PROJ pipeline in "
                f"GIS_INGEST__TRANSFORMS='{{\"{label}\": \"+proj=pipeline …\"}}' or convert "
                "the file first", file=display)
        datum = crs.datum.name if crs.datum else "none named"
        what = "its own coordinate system" if crs.name.lower() in ("unknown", "unnamed", "") \
            else crs.name if label == crs.name else f"{crs.name} ({label})"
        raise InvalidFile(
            f"{display}: PROJ knows no transformation from {what}, on datum {datum}, to "
            "UCS-2000, only a ballpark one that can put objects metres off (SK-42 or SK-63 "
            "without its parameters looks like this): give its EPSG code with --crs, a .prj "
            "that names its datum or carries its TOWGS84 parameters, or configure a PROJ "
            f"pipeline in GIS_INGEST__TRANSFORMS='{{\"{label}\": \"+proj=pipeline …\"}}'",
            file=display)
    note = "" if given is not None else lookalike_note(crs, storage)
    if code is not None and in_postgis(code):
        return SourceCrs(crs, code, None, label, note)
    return SourceCrs(crs, None, Transformer.from_crs(crs, storage, always_xy=True), label, note)


def ukraine_tm_lookalike(crs: CRS) -> int | None:
    """Return the UCS-2000 / Ukraine TM zone (EPSG) whose projection ``crs`` has on another
    datum: what a file that lost UCS-2000's datum says (GDAL's MapInfo writer puts WGS 84's
    in its place; so does a hand-made CRS on the WGS 84 ellipsoid).

    >>> wgs = CRS.from_proj4("+proj=tmerc +lat_0=0 +lon_0=27 +k=1 +x_0=300000 +y_0=0 "
    ...                      "+datum=WGS84 +units=m")
    >>> ukraine_tm_lookalike(wgs), ukraine_tm_lookalike(CRS.from_epsg(6383))
    (6383, None)
    >>> ukraine_tm_lookalike(CRS.from_epsg(32635)) is None  # UTM 35N: k 0.9996
    True
    """
    op = crs.coordinate_operation if crs.is_projected else None
    if op is None or "transverse mercator" not in op.method_name.lower():
        return None
    params: dict[str, float] = {p.name.lower(): float(p.value) for p in op.params
                                if isinstance(p.value, int | float)}
    lon0 = params.get("longitude of natural origin")
    if (params.get("latitude of natural origin"), params.get("scale factor at natural origin"),
            params.get("false easting"), params.get("false northing")) != (0, 1, 300_000, 0) \
            or lon0 is None or lon0 % 3 or int(lon0 // 3) not in UCS2000_TM_ZONES:
        return None
    zone = UCS2000_TM_ZONES[int(lon0 // 3)]
    datum = crs.datum.name.lower() if crs.datum else ""
    if crs.equals(CRS.from_epsg(zone), ignore_axis_order=True) or "ukraine 2000" in datum:
        return None
    return zone


def lookalike_note(crs: CRS, storage: CRS) -> str:
    """Return the report's warning for a file in a look-alike of a UCS-2000 TM zone (see
    :func:`ukraine_tm_lookalike`): how far its objects move, and how to keep them where
    their numbers say (empty for any other CRS)."""
    zone = ukraine_tm_lookalike(crs)
    if zone is None:
        return ""
    meridian = 3 * next(n for n, code in UCS2000_TM_ZONES.items() if code == zone)
    # measured on the zone's central meridian at 49°N, the middle of Ukraine
    x, y = Transformer.from_crs(4326, zone, always_xy=True).transform(meridian, 49.0)
    as_file = Transformer.from_crs(crs, storage, always_xy=True).transform(x, y)
    as_zone = Transformer.from_crs(zone, storage, always_xy=True).transform(x, y)
    moved = ((as_file[0] - as_zone[0]) ** 2 + (as_file[1] - as_zone[1]) ** 2) ** 0.5
    datum = crs.datum.name if crs.datum else "another datum"
    return (f"the file's coordinate system is the projection of UCS-2000 / Ukraine TM "
            f"(EPSG:{zone}) on {datum}, not on UCS-2000: read so, its objects land {moved:,.0f} "
            "m from where the same numbers lie in UCS-2000. If its coordinates are UCS-2000 "
            "(a file that lost UCS-2000's datum: GDAL's MapInfo writer, for one, puts WGS 84's "
            f"in its place), import it with --crs EPSG:{zone}")


def only_approximately(crs: CRS, storage: CRS) -> bool:
    """Return True when PROJ alone moves ``crs`` into ``storage`` only approximately: SK-42
    or SK-63 (a null transformation good to 3.5 m), or a datum it can only guess. The import
    refuses such files without the deployment's keys; a raster is published with a note.

    >>> [only_approximately(CRS.from_epsg(c), CRS.from_epsg(6383)) for c in (28405, 4326)]
    [True, False]
    """
    return is_legacy(crs) or only_ballpark(crs, storage)


def only_ballpark(crs: CRS, storage: CRS) -> bool:
    """Return True when PROJ relates ``crs`` to ``storage`` only by a "ballpark" operation:
    a datum it has no transformation for (a custom .prj on the Krassovsky ellipsoid that lost
    its TOWGS84 — SK-42 or SK-63 in disguise — is taken as UCS-2000 by it, metres off).

    >>> krassovsky = CRS.from_proj4("+proj=tmerc +lon_0=27 +x_0=300000 +ellps=krass +units=m")
    >>> only_ballpark(krassovsky, CRS.from_epsg(6383))
    True
    >>> [only_ballpark(CRS.from_epsg(code), CRS.from_epsg(6383)) for code in (4326, 6384, 9860)]
    [False, False, False]
    """
    from pyproj.transformer import TransformerGroup

    if crs.equals(storage, ignore_axis_order=True):
        return False
    try:
        group = TransformerGroup(crs, storage, always_xy=True)
    except Exception:  # PROJ cannot relate them at all
        return True
    return all("ballpark" in t.description.lower() for t in group.transformers)


def describe_coordinates(x: float, y: float) -> str:
    """Return what plane or geographic coordinates look like (domain §3.6), for a message.

    >>> describe_coordinates(299865, 5476633)
    'its coordinates (x 299865, y 5476633) look like UCS-2000 / Ukraine TM, EPSG:6381–6387'
    >>> describe_coordinates(26.99, 49.42)
    'its coordinates (x 26.99, y 49.42) look like longitude/latitude, EPSG:4326'
    """
    easting, northing = (y, x) if abs(x) > 1_000_000 > abs(y) else (x, y)
    where = f"its coordinates (x {x:.10g}, y {y:.10g}) look like "
    if 19 <= x <= 41 and 43 <= y <= 53:
        return where + "longitude/latitude, EPSG:4326"
    if 4_800_000 <= northing <= 5_900_000:
        millions, rest = divmod(easting, 1_000_000)
        if 100_000 <= easting <= 500_000:
            first, last = min(UCS2000_TM_ZONES.values()), max(UCS2000_TM_ZONES.values())
            return where + f"UCS-2000 / Ukraine TM, EPSG:{first}–{last}"
        if 1 <= millions <= 7 and 150_000 <= rest <= 450_000:
            return where + f"SK-63 zone X{int(millions)} (EPSG:{7824 + int(millions)})"
        if 4 <= millions <= 7:
            return where + f"a 6° Gauss-Kruger zone {int(millions)}"
    return where + "no Ukrainian CRS we know"
