"""Files the ingest tests make with fiona (and by hand where GDAL writes no such file): parcels,
points, lines, in UCS-2000 or WGS 84, any encoding. Coordinates are easting/northing metres
in EPSG:6383 around Khmelnytskyi's centre unless said otherwise."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import fiona
import psycopg
from fiona.crs import CRS
from psycopg import sql
from pyproj import Transformer

from gis.auth import Principal, Role
from ingest.job import FileOptions, import_file
from ingest.load import ImportOptions, Report
from registries.catalog import default_catalog

E0, N0 = 299_865.0, 5_476_633.0
SRID = 6383
TESTER = Principal("tester", frozenset({Role.ADMIN}))
PARCEL_SCHEMA = {"geometry": "Polygon", "properties": {
    "KADNUM": "str:30", "CATEG": "str:60", "CILPR": "str:10", "VLASN": "str:40",
    "KIND": "str:20", "OWNER": "str:80", "PLOSHCHA": "float"}}


def square(x: float, y: float, w: float = 20.0) -> list[tuple[float, float]]:
    return [(x, y), (x + w, y), (x + w, y + w), (x, y + w), (x, y)]


def bow_tie(x: float, y: float, w: float = 20.0) -> list[tuple[float, float]]:
    return [(x, y), (x + w, y + w), (x + w, y), (x, y + w), (x, y)]


def parcel(i: int, ring: list[tuple[float, float]] | None = None,
           **props: Any) -> dict[str, Any]:
    """Return parcel ``i`` (a 20 m square on a row east of the centre) as a fiona record."""
    values = {"KADNUM": f"6810100000:02:099:{i:04d}", "CATEG": "200", "CILPR": "02.01",
              "VLASN": "Приватна власність", "KIND": "фізична особа",
              "OWNER": f"Ковальчук Олена Петрівна {i}", "PLOSHCHA": 0.04}
    values.update(props)
    x, y = E0 + (i % 40) * 30, N0 + (i // 40) * 30
    return {"geometry": {"type": "Polygon", "coordinates": [ring or square(x, y)]},
            "properties": values}


def write(path: Path, records: Iterable[dict[str, Any]], schema: dict[str, Any], *,
          driver: str = "ESRI Shapefile", crs: int | None = SRID,
          encoding: str = "utf-8", layer: str | None = None) -> Path:
    kwargs: dict[str, Any] = {"layer": layer} if layer else {}
    with fiona.open(str(path), "w", driver=driver, schema=schema,
                    crs=CRS.from_epsg(crs) if crs else None, encoding=encoding, **kwargs) as out:
        for rec in records:
            out.write(fiona.Feature.from_dict(rec))
    return path


def to_wgs84(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the records with their (polygon) coordinates moved to lon/lat."""
    t = Transformer.from_crs(SRID, 4326, always_xy=True)
    out = []
    for rec in records:
        rings = [[t.transform(x, y) for x, y in ring] for ring in rec["geometry"]["coordinates"]]
        out.append({**rec, "geometry": {**rec["geometry"], "coordinates": rings}})
    return out


def run(url: str, path: Path, registry: str, *, files: FileOptions | None = None,
        **opts: Any) -> Report:
    """Import ``path`` into ``registry`` of the database at ``url`` (committed unless dry)."""
    options = ImportOptions(user=opts.pop("user", "tester"), source_name=path.name,
                            storage_srid=SRID, **opts)
    with psycopg.connect(url) as conn:
        report = import_file(conn, default_catalog().get(registry), path,
                             files or FileOptions(), options)
        conn.commit()
    return report


def count(url: str, table: str, where: str = "TRUE") -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {} WHERE {}").format(
            sql.Identifier("registry", table), sql.SQL(where))).fetchone()
    assert row is not None
    return int(row[0])
