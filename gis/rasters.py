"""The raster catalogue (``rasters.catalog``): published scans and orthophotos and their COGs.

A row describes one Cloud-Optimised GeoTIFF under the rasters folder (``file`` is relative to
it): the plan or orthophoto it shows (title, source document, date), its native CRS, extent
and resolution, whether the public may see it, and the file's size and SHA-256 (the tiles'
ETags derive from it). ``ingest.cog`` writes rows and files together; ``tiles.raster`` reads
them. Staff-only rasters exist only for staff: every public reader passes ``staff=False`` and
gets ``NotFound`` exactly as for a name that was never added.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from gis.errors import Conflict, GisError, InvalidParameter, NotFound
from gis.text import BIDI_CONTROLS, unsafe

Box = tuple[float, float, float, float]
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
KINDS = ("rgb", "rgba", "paletted", "gray", "gray-alpha")


class RasterInputError(GisError, status=422, code="InvalidRaster", exit_code=2):
    """A raster file that cannot be published as it is: not georeferenced, damaged, …"""


class RasterTooLarge(GisError, status=413, code="PayloadTooLarge", exit_code=2):
    """A raster (or a coverage request) over a configured size limit."""


@dataclass(frozen=True)
class RasterRecord:
    """One published raster, as the catalogue holds it."""

    name: str
    title: str
    crs: str  # "EPSG:6383", or WKT2 for a CRS without an EPSG code
    srid: int | None
    bounds: Box  # native CRS, x (easting/longitude) first
    lonlat_bounds: Box  # CRS84
    width: int
    height: int
    res_x: float  # pixel size in native CRS units
    res_y: float
    bands: int
    kind: str  # one of KINDS: how a tile is drawn
    file: str  # relative to the rasters folder
    file_size: int
    sha256: str
    public: bool = True
    source_document: str = ""
    dated: date | None = None  # when the image was taken or the plan approved
    added_by: str = ""
    added_at: datetime | None = None
    title_en: str = ""  # empty: English readers see the name (never the Ukrainian title)

    def title_in(self, lang: str) -> str:
        """Return the title for readers of ``lang`` ("uk" or "en").

        >>> r = RasterRecord("plan-2021", "План", "EPSG:6383", 6383, (0, 0, 1, 1),
        ...                  (0, 0, 1, 1), 1, 1, 1.0, 1.0, 3, "rgb", "a.tif", 1, "ab" * 32)
        >>> r.title_in("uk"), r.title_in("en")
        ('План', 'plan-2021')
        """
        if lang == "uk":
            return self.title
        return self.title_en or self.name

    @property
    def version(self) -> str:
        """Return the short content hash that names this file's version (ETags, caches).

        >>> RasterRecord("a", "A", "EPSG:6383", 6383, (0, 0, 1, 1), (0, 0, 1, 1), 1, 1, 1.0,
        ...              1.0, 3, "rgb", "a.tif", 1, "ab" * 32).version
        'abababababababab'
        """
        return self.sha256[:16]


def check_name(name: str) -> str:
    """Return ``name`` if it can name a raster (and its collection), else raise.

    >>> check_name("master-plan_2024")
    'master-plan_2024'
    """
    if not NAME.match(name):
        raise InvalidParameter(f"raster name {name!r} must be 1–63 lowercase Latin letters, "
                               "digits, '_' or '-', starting with a letter (it becomes the "
                               "collection id in URLs)", parameter="name")
    return name


MAX_TEXT = 300  # a title or a source document is one line on a map's layer list


def check_text(value: str, field: str, *, max_len: int = MAX_TEXT) -> str:
    """Return ``value`` without surrounding blanks if it can be one line of a raster's
    description (title, English title, source document), else raise InvalidParameter naming
    the field and the position of the first character that cannot be shown.

    >>> check_text("  План зонування, 2021 ", "title")
    'План зонування, 2021'
    >>> check_text("plan" + chr(0), "title_en")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    gis.errors.InvalidParameter: title_en has a control character (U+0000) at position 5; ...
    """
    text = value.strip()
    for i, ch in enumerate(text, start=1):
        if unsafe(ch):
            kind = "a control character" if ch not in BIDI_CONTROLS else "a text-direction control"
            raise InvalidParameter(f"{field} has {kind} (U+{ord(ch):04X}) at position {i}; it "
                                   "must be one line of text", parameter=field)
    if len(text) > max_len:
        raise InvalidParameter(f"{field} is {len(text)} characters long; at most {max_len}",
                               parameter=field)
    return text


COLUMNS = ("name, title, crs, srid, min_x, min_y, max_x, max_y, width, height, res_x, res_y, "
           "bands, kind, file, file_size, sha256, public, source_document, dated, added_by, "
           "added_at, title_en, ST_XMin(footprint) AS lon0, ST_YMin(footprint) AS lat0, "
           "ST_XMax(footprint) AS lon1, ST_YMax(footprint) AS lat1")


def _record(row: dict[str, Any]) -> RasterRecord:
    return RasterRecord(
        name=row["name"], title=row["title"], crs=row["crs"], srid=row["srid"],
        bounds=(row["min_x"], row["min_y"], row["max_x"], row["max_y"]),
        lonlat_bounds=(row["lon0"], row["lat0"], row["lon1"], row["lat1"]),
        width=row["width"], height=row["height"], res_x=row["res_x"], res_y=row["res_y"],
        bands=row["bands"], kind=row["kind"], file=row["file"], file_size=row["file_size"],
        sha256=row["sha256"], public=row["public"], source_document=row["source_document"],
        dated=row["dated"], added_by=row["added_by"], added_at=row["added_at"],
        title_en=row["title_en"])


def list_rasters(conn: psycopg.Connection[Any], staff: bool) -> list[RasterRecord]:
    """Return the rasters ``staff`` (or the public) may see, by name."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(f"SELECT {COLUMNS} FROM rasters.catalog "  # noqa: S608 - constant columns
                    "WHERE public OR %(staff)s ORDER BY name", {"staff": staff})
        return [_record(r) for r in cur.fetchall()]


def get_raster(conn: psycopg.Connection[Any], name: str, staff: bool) -> RasterRecord:
    """Return raster ``name``; NotFound when absent or staff-only and ``staff`` is False."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(f"SELECT {COLUMNS} FROM rasters.catalog "  # noqa: S608 - constant columns
                    "WHERE name = %(name)s AND (public OR %(staff)s)",
                    {"name": name, "staff": staff})
        row = cur.fetchone()
    if row is None:
        raise NotFound(f"no raster {name!r}", collection=name)
    return _record(row)


def insert_raster(conn: psycopg.Connection[Any], rec: RasterRecord) -> None:
    """Insert ``rec`` (in the caller's transaction); Conflict when the name is taken."""
    w, s, e, n = rec.lonlat_bounds
    try:
        with conn.transaction():
            conn.execute(
                "INSERT INTO rasters.catalog (name, title, crs, srid, min_x, min_y, max_x, "
                "max_y, footprint, width, height, res_x, res_y, bands, kind, file, file_size, "
                "sha256, public, source_document, dated, added_by, title_en) VALUES (%(name)s, "
                "%(title)s, %(crs)s, %(srid)s, %(x0)s, %(y0)s, %(x1)s, %(y1)s, "
                "ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326), %(width)s, %(height)s, "
                "%(rx)s, %(ry)s, %(bands)s, %(kind)s, %(file)s, %(size)s, %(sha)s, %(public)s, "
                "%(doc)s, %(dated)s, %(by)s, %(title_en)s)",
                {"name": rec.name, "title": rec.title, "crs": rec.crs, "srid": rec.srid,
                 "x0": rec.bounds[0], "y0": rec.bounds[1], "x1": rec.bounds[2],
                 "y1": rec.bounds[3], "w": w, "s": s, "e": e, "n": n, "width": rec.width,
                 "height": rec.height, "rx": rec.res_x, "ry": rec.res_y, "bands": rec.bands,
                 "kind": rec.kind, "file": rec.file, "size": rec.file_size, "sha": rec.sha256,
                 "public": rec.public, "doc": rec.source_document, "dated": rec.dated,
                 "by": rec.added_by, "title_en": rec.title_en})
    except psycopg.errors.UniqueViolation:
        raise Conflict(f"a raster named {rec.name!r} exists already; remove it first "
                       "(gis raster remove) or choose another --name", name=rec.name) from None


def delete_raster(conn: psycopg.Connection[Any], name: str) -> RasterRecord:
    """Delete raster ``name``'s row (in the caller's transaction) and return what it was."""
    rec = get_raster(conn, name, staff=True)
    conn.execute("DELETE FROM rasters.catalog WHERE name = %(name)s", {"name": name})
    return rec


def name_taken(conn: psycopg.Connection[Any], name: str) -> bool:
    """Return True when a raster called ``name`` exists (staff-only ones included)."""
    row = conn.execute("SELECT 1 FROM rasters.catalog WHERE name = %(name)s",
                       {"name": name}).fetchone()
    return row is not None
