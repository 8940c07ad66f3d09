"""GeoTIFFs the raster tests make with rasterio: an orthophoto-like RGB, a scan-like paletted
plan and a grey scan, each with four quadrants of known colours, in UCS-2000 or in WGS 84."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.control import GroundControlPoint
from rasterio.enums import ColorInterp
from rasterio.errors import NotGeoreferencedWarning
from rasterio.transform import from_bounds

# quadrants: north-west, north-east, south-west, south-east
RGB = {"nw": (220, 30, 30), "ne": (30, 180, 60), "sw": (40, 60, 200), "se": (250, 250, 250)}
# a zoning plan's palette: 0 is "no data" (outside the sheet)
PALETTE = {0: (0, 0, 0, 0), 1: (255, 230, 0, 255), 2: (0, 160, 0, 255), 3: (150, 0, 150, 255),
           4: (0, 100, 255, 255)}
PALETTE_QUADRANTS = {"nw": 1, "ne": 2, "sw": 3, "se": 4}
# a 1 km square in the middle of Khmelnytskyi: UCS-2000 / TM zone 9, and a lon/lat box there
UCS_BOUNDS = (299_000.0, 5_476_000.0, 300_000.0, 5_477_000.0)
WGS_BOUNDS = (26.985, 49.416, 26.998, 49.425)


def _quadrants(height: int, width: int) -> dict[str, tuple[slice, slice]]:
    h, w = height // 2, width // 2
    return {"nw": (slice(0, h), slice(0, w)), "ne": (slice(0, h), slice(w, None)),
            "sw": (slice(h, None), slice(0, w)), "se": (slice(h, None), slice(w, None))}


def quadrant_point(bounds: tuple[float, float, float, float], quadrant: str,
                   ) -> tuple[float, float]:
    """Return the centre of ``quadrant`` of ``bounds`` (x first)."""
    w, s, e, n = bounds
    fx = 0.25 if quadrant[1] == "w" else 0.75
    fy = 0.75 if quadrant[0] == "n" else 0.25
    return (w + (e - w) * fx, s + (n - s) * fy)


def make_rgb(path: Path, crs: str = "EPSG:6383",
             bounds: tuple[float, float, float, float] = UCS_BOUNDS, size: int = 1200,
             **profile: Any) -> Path:
    """Write an orthophoto-like RGB GeoTIFF (striped, uncompressed, no overviews)."""
    data = np.zeros((3, size, size), np.uint8)
    for q, (rows, cols) in _quadrants(size, size).items():
        for band, value in enumerate(RGB[q]):
            data[band, rows, cols] = value
    # texture, so overviews and compression have something to do
    data[:, ::7, :] = (data[:, ::7, :] * 0.9).astype(np.uint8)
    base = {"driver": "GTiff", "width": size, "height": size, "count": 3, "dtype": "uint8",
            "crs": crs, "transform": from_bounds(*bounds, size, size), "photometric": "RGB"}
    with rasterio.open(path, "w", **{**base, **profile}) as dst:
        dst.write(data)
    return path


GREY = {"nw": 40, "ne": 100, "sw": 160, "se": 220}


def make_grey(path: Path, crs: str = "EPSG:6383",
              bounds: tuple[float, float, float, float] = UCS_BOUNDS, size: int = 1000,
              **profile: Any) -> Path:
    """Write a grey scan (one band, no palette, no nodata): four quadrants of known greys."""
    data = np.zeros((1, size, size), np.uint8)
    for q, (rows, cols) in _quadrants(size, size).items():
        data[0, rows, cols] = GREY[q]
    base = {"driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": "uint8",
            "crs": crs, "transform": from_bounds(*bounds, size, size)}
    with rasterio.open(path, "w", **{**base, **profile}) as dst:
        dst.write(data)
        dst.colorinterp = [ColorInterp.gray]
    return path


def make_paletted(path: Path, crs: str = "EPSG:6383",
                  bounds: tuple[float, float, float, float] = UCS_BOUNDS, size: int = 1000,
                  blank: str | None = None, **profile: Any) -> Path:
    """Write a scan-like paletted GeoTIFF: four zones and a no-data (0) frame at the top;
    ``blank`` names a quadrant left as no data."""
    data = np.zeros((1, size, size), np.uint8)
    for q, (rows, cols) in _quadrants(size, size).items():
        data[0, rows, cols] = 0 if q == blank else PALETTE_QUADRANTS[q]
    data[0, :4, :] = 0  # a thin no-data frame at the top
    base = {"driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": "uint8",
            "crs": crs, "transform": from_bounds(*bounds, size, size), "nodata": 0}
    with rasterio.open(path, "w", **{**base, **profile}) as dst:
        dst.write(data)
        dst.colorinterp = [ColorInterp.palette]
        dst.write_colormap(1, PALETTE)
    return path


def make_plain(path: Path, size: int = 200) -> Path:
    """Write a TIFF with no georeferencing at all (a bare scan)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=3,
                           dtype="uint8") as dst:
            dst.write(np.full((3, size, size), 128, np.uint8))
    return path


def gcps_on_one_point(path: Path) -> Path:
    """Write an RGB scan whose ground control points all name one spot: GDAL cannot fit a
    placement to them (publishing it was a 500)."""
    points = [GroundControlPoint(row, row, 299000, 5477000) for row in range(3)]
    with rasterio.open(path, "w", driver="GTiff", width=50, height=50, count=3, dtype="uint8",
                       gcps=points, crs="EPSG:6383") as ds:
        ds.write(np.full((3, 50, 50), 90, np.uint8))
    return path
