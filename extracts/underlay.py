"""A published raster (a scanned plan, an orthophoto) underneath the vectors of an extract.

The COG is read with rasterio for exactly the extract's ground box, warped into the extract's
CRS (the storage CRS: a raster kept in the city's zone is read without resampling across CRSs)
at a fixed print resolution, through a ``WarpedVRT`` so that only the overview level and the
blocks the box needs are read, whatever the file's size. What lies outside the raster, nodata
and masked pixels come out transparent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.enums import ColorInterp, Resampling
from rasterio.transform import from_bounds
from rasterio.vrt import WarpedVRT

from extracts.layout import Box

DPI = 200  # print resolution of the raster under the vectors (a plan's lines stay crisp)


@dataclass(frozen=True)
class Underlay:
    """The raster's pixels over the ground box, RGBA (height × width × 4), north up."""

    name: str
    version: str  # the file's SHA-256: which version of the raster a sheet shows
    rgba: np.ndarray
    ground: Box


def read_underlay(path: Path, name: str, version: str, ground: Box, srid: int,
                  width_mm: float, height_mm: float, paletted: bool) -> Underlay:
    """Return the raster at ``path`` over ``ground`` (CRS ``srid``) for a frame of the given
    size on paper, at ``DPI``."""
    width = max(1, round(width_mm / 25.4 * DPI))
    height = max(1, round(height_mm / 25.4 * DPI))
    resampling = Resampling.nearest if paletted else Resampling.bilinear
    # the VRT's own grid is the sheet's: exactly the ground box at the print resolution
    grid = from_bounds(ground.x0, ground.y0, ground.x1, ground.y1, width, height)
    with rasterio.open(path) as src, WarpedVRT(
            src, crs=CRS.from_epsg(srid), transform=grid, width=width, height=height,
            resampling=resampling,
            add_alpha=ColorInterp.alpha not in src.colorinterp) as vrt:  # last band: alpha
        data = vrt.read()
        colormap = src.colormap(1) if paletted else None
    if colormap is not None:
        lut = np.zeros((256, 4), np.uint8)
        for code, rgba in colormap.items():
            lut[code] = rgba
        rgba = lut[data[0]]
        rgba[..., 3] = np.minimum(rgba[..., 3], data[-1])  # the warp's alpha: outside, nodata
    else:
        bands = data[:-1]
        colour = bands[:3] if len(bands) >= 3 else np.repeat(bands[:1], 3, axis=0)
        rgba = np.concatenate([colour, data[-1:]]).transpose(1, 2, 0)
    return Underlay(name, version, np.ascontiguousarray(rgba, dtype=np.uint8), ground)
