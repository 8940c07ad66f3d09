"""Raster tiles and coverage subsets from the published COGs (rio-tiler over rasterio).

One reader abstraction for both grids: rio-tiler's ``Reader`` draws a tile of any morecantile
tile matrix set (WebMercatorQuad or the UCS-2000 grid of ``gis.tms``) from the COG's best
overview; ``coverage`` cuts a GeoTIFF subset in the raster's own grid (no resampling) or in
another CRS. Datasets are opened once per worker thread (a rasterio handle is not thread-safe)
and rendered tiles are kept in a memory LRU keyed by the file's content hash, so a cached tile
never outlives its raster. Everything here is synchronous: the routes run it in threads.
"""

from __future__ import annotations

import math
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import morecantile
import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import RasterioError
from rasterio.io import MemoryFile
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window, from_bounds
from rio_tiler.errors import TileOutsideBounds
from rio_tiler.io import Reader

from gis.crs import clip_box, transform_bbox
from gis.errors import EnvironmentProblem, NotFound
from gis.rasters import RasterRecord, RasterTooLarge
from gis.tms import Box, grid_tile_range

FORMATS = {"png": ("PNG", "image/png"), "webp": ("WEBP", "image/webp")}
GEOTIFF = "image/tiff; application=geotiff"
RENDER_VERSION = "1"  # part of every ETag: bump when the drawing of tiles changes
READERS_PER_THREAD = 16


def native_crs(rec: RasterRecord) -> CRS:
    """Return the raster's CRS as rasterio knows it."""
    return CRS.from_user_input(rec.crs)


def bounds_in(rec: RasterRecord, crs: str | int) -> Box:
    """Return the raster's extent in ``crs`` (x first; edges densified)."""
    source: str | int = rec.srid if rec.srid else rec.crs
    if source == crs:
        return rec.bounds
    return transform_bbox(rec.bounds, source, crs)


def tms_crs(tms: morecantile.TileMatrixSet) -> str:
    """Return the CRS of ``tms`` as an ``EPSG:n`` text (for transform_bbox)."""
    epsg = tms.crs._pyproj_crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else tms.crs._pyproj_crs.to_wkt()


def tile_limits(rec: RasterRecord, tms: morecantile.TileMatrixSet,
                ) -> dict[int, tuple[int, int, int, int]]:
    """Return {z: (xmin, ymin, xmax, ymax)} of the tiles of ``tms`` that touch the raster."""
    box = bounds_in(rec, tms_crs(tms))
    out = {}
    for z in range(tms.minzoom, tms.maxzoom + 1):
        found = grid_tile_range(tms, box, z)
        if found is not None:
            out[z] = found
    return out


def has_tile(rec: RasterRecord, tms: morecantile.TileMatrixSet, z: int, x: int, y: int) -> bool:
    """Return True when tile z/x/y of ``tms`` touches the raster's extent."""
    found = grid_tile_range(tms, bounds_in(rec, tms_crs(tms)), z)
    return found is not None and found[0] <= x <= found[2] and found[1] <= y <= found[3]


class TileMemory:
    """Rendered tiles by key, least recently used dropped first, up to ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.items: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            data = self.items.get(key)
            if data is not None:
                self.items.move_to_end(key)
            return data

    def put(self, key: str, data: bytes) -> None:
        if len(data) > self.max_bytes // 8:
            return
        with self.lock:
            old = self.items.pop(key, None)
            self.size += len(data) - (len(old) if old is not None else 0)
            self.items[key] = data
            while self.size > self.max_bytes and self.items:
                _, dropped = self.items.popitem(last=False)
                self.size -= len(dropped)


_env = threading.local()


def thread_env() -> None:
    """Enter one GDAL environment for this worker thread, for good.

    Without it every dataset opens (and on close tears down) the thread's environment of its
    own, and closing one dataset while another of the thread is open fails ("No GDAL
    environment exists").
    """
    if getattr(_env, "env", None) is None:
        _env.env = rasterio.Env(GDAL_CACHEMAX=128, GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR")
        _env.env.__enter__()


class Readers:
    """Open rio-tiler readers per worker thread, keyed by file and tile matrix set."""

    def __init__(self) -> None:
        self.local = threading.local()

    def get(self, path: Path, tms: morecantile.TileMatrixSet) -> Reader:
        cache: OrderedDict[tuple[str, str], Reader] | None = getattr(self.local, "cache", None)
        if cache is None:
            thread_env()
            cache = self.local.cache = OrderedDict()
        key = (str(path), str(tms.id))
        reader = cache.get(key)
        if reader is not None:
            cache.move_to_end(key)
            return reader
        if not path.is_file():
            raise EnvironmentProblem(f"the raster file {path.name} is missing from the rasters "
                                     "folder (run: gis raster list)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = Reader(str(path), tms=tms)
        cache[key] = reader
        while len(cache) > READERS_PER_THREAD:
            _, old = cache.popitem(last=False)
            old.close()  # type: ignore[no-untyped-call]  # rio-tiler's Reader is untyped
        return reader


def _draw(rec: RasterRecord) -> dict[str, Any]:
    """Return rio-tiler read options for a raster kind: exact colours for paletted scans."""
    exact = rec.kind == "paletted"
    method = "nearest" if exact else "bilinear"
    out: dict[str, Any] = {"resampling_method": method, "reproject_method": method}
    if rec.kind in ("rgb", "rgba"):
        out["indexes"] = (1, 2, 3)
    elif rec.kind in ("gray", "gray-alpha", "paletted"):
        out["indexes"] = (1,)
    return out


def render_tile(readers: Readers, path: Path, rec: RasterRecord,
                tms: morecantile.TileMatrixSet, z: int, x: int, y: int,
                fmt: str) -> bytes:
    """Return tile z/x/y of ``tms`` as ``fmt`` (png|webp), or b"" when it shows nothing."""
    reader = readers.get(path, tms)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = reader.tile(x, y, z, **_draw(rec))
    except TileOutsideBounds:
        return b""
    except RasterioError as exc:  # a damaged or vanished file: the operator must look
        raise EnvironmentProblem(f"the raster file {path.name} cannot be read ({exc})") from None
    if not img.mask.any():
        return b""
    colormap = reader.colormap if rec.kind == "paletted" else None
    driver = FORMATS[fmt][0]
    options: dict[str, Any] = {"lossless": True} if fmt == "webp" else {}
    if img.count == 1 and colormap is None:  # grey: render as RGB so every client agrees
        # the mask repeated explicitly: np.ma.concatenate drops an all-valid mask (nomask),
        # and rio-tiler cannot encode a tile without one (a tile wholly inside was a 500)
        grey = img.array
        img.array = np.ma.MaskedArray(np.repeat(grey.data, 3, axis=0),
                                      mask=np.repeat(np.ma.getmaskarray(grey), 3, axis=0))
    return img.render(img_format=driver, colormap=colormap, **options)


# -- coverage subsets -------------------------------------------------------------------------
@dataclass(frozen=True)
class CoverageRequest:
    """A coverage subset: ``box`` in ``box_crs`` (x first), output in ``crs``."""

    box: Box | None
    box_crs: str | int  # "OGC:CRS84" or an EPSG code
    crs: str | int | None  # None: the raster's own CRS
    strict: bool = False  # Prefer: handling=strict — refuse rather than downsample


@dataclass
class Coverage:
    data: bytes
    crs: CRS
    bounds: Box  # in ``crs``, x first
    width: int
    height: int
    downsampled: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def over_cell_limit(width: int, height: int, max_cells: int) -> bool:
    """Return True when a coverage of ``width`` × ``height`` cells is over the server's limit:
    averaged down to it, or refused under ``Prefer: handling=strict`` (and a raster's page
    says so of its whole coverage).

    >>> over_cell_limit(4096, 4096, 4096 ** 2), over_cell_limit(4097, 4096, 4096 ** 2)
    (False, True)
    """
    return width * height > max_cells


def coverage(path: Path, rec: RasterRecord, req: CoverageRequest, max_cells: int) -> Coverage:
    """Return the GeoTIFF of the raster within ``req.box`` (all of it without a box)."""
    if not path.is_file():
        raise EnvironmentProblem(f"the raster file {path.name} is missing from the rasters "
                                 "folder (run: gis raster list)")
    thread_env()
    with rasterio.open(path) as src:
        wanted = 4326 if req.crs == "OGC:CRS84" else req.crs
        out_crs = CRS.from_user_input(wanted) if wanted is not None else src.crs
        if out_crs == src.crs:
            return _cut(src, src, rec, req, out_crs, max_cells)
        method = Resampling.nearest if rec.kind == "paletted" else Resampling.bilinear
        with WarpedVRT(src, crs=out_crs, resampling=method,
                       add_alpha=src.nodata is None and rec.kind in ("rgb", "gray")) as vrt:
            return _cut(src, vrt, rec, req, out_crs, max_cells)


def _cut(src: Any, ds: Any, rec: RasterRecord, req: CoverageRequest, out_crs: CRS,
         max_cells: int) -> Coverage:
    window = Window(0, 0, ds.width, ds.height)
    if req.box is not None:
        target = out_crs.to_epsg() or out_crs.to_wkt()
        box = req.box
        if req.box_crs != target:
            # cut to where the target CRS holds: a box across the world folds in a TM zone
            # (-180…180° gave a third of the raster's rows)
            clipped = clip_box(box, req.box_crs, target) if isinstance(target, int) else box
            if clipped is None:  # the raster may well cover it: the crs asked for does not
                raise NotFound(f"the box {tuple(round(v, 6) for v in req.box)} lies outside "
                               f"the region EPSG:{target} describes (the crs asked for); ask "
                               f"for raster {rec.name!r} there in another crs",
                               collection=rec.name)
            box = transform_bbox(clipped, req.box_crs, target)
        asked = from_bounds(*box, transform=ds.transform)
        col0, row0 = math.floor(asked.col_off + 1e-9), math.floor(asked.row_off + 1e-9)
        col1 = math.ceil(asked.col_off + asked.width - 1e-9)
        row1 = math.ceil(asked.row_off + asked.height - 1e-9)
        col0, row0 = max(col0, 0), max(row0, 0)
        col1, row1 = min(col1, ds.width), min(row1, ds.height)
        if col1 <= col0 or row1 <= row0:
            raise NotFound(f"the box {tuple(round(v, 6) for v in req.box)} does not touch "
                           f"raster {rec.name!r}", collection=rec.name)
        window = Window(col0, row0, col1 - col0, row1 - row0)
    width, height = int(window.width), int(window.height)
    factor = 1
    if over_cell_limit(width, height, max_cells):
        if req.strict:
            raise RasterTooLarge(
                f"the subset is {width} × {height} cells, over this server's limit of "
                f"{max_cells:,}; ask for a smaller bbox (or drop Prefer: handling=strict "
                "to get it downsampled)", collection=rec.name)
        factor = math.ceil(math.sqrt(width * height / max_cells))
    out_w, out_h = max(1, width // factor), max(1, height // factor)
    bands = list(range(1, rec.bands + 1))
    if rec.kind in ("rgb", "gray") and ds is not src and ds.count > rec.bands:
        alpha = ds.count  # the warped alpha marks where the source has no pixels
    else:
        alpha = None
    method = Resampling.nearest if rec.kind == "paletted" else Resampling.average
    data = ds.read(bands, window=window, out_shape=(len(bands), out_h, out_w),
                   resampling=method)
    mask = ds.read(alpha, window=window, out_shape=(out_h, out_w), resampling=Resampling.nearest) \
        if alpha else None
    transform = ds.window_transform(window) @ rasterio.Affine.scale(width / out_w,
                                                                      height / out_h)
    profile: dict[str, Any] = {
        "driver": "GTiff", "width": out_w, "height": out_h, "count": len(bands),
        "dtype": "uint8", "crs": out_crs, "transform": transform, "nodata": src.nodata,
        "compress": "deflate", "photometric": "RGB" if rec.kind in ("rgb", "rgba") else None}
    if out_w >= 256 and out_h >= 256:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    profile = {k: v for k, v in profile.items() if v is not None}
    with MemoryFile() as mem:
        with mem.open(**profile) as dst:
            if rec.kind == "paletted":  # before the pixels: it sets the photometric tag
                dst.write_colormap(1, src.colormap(1))
            dst.write(data)
            if mask is not None:
                dst.write_mask(mask)
            dst.update_tags(TIFFTAG_DOCUMENTNAME=rec.title[:200])
        payload = mem.read()
    w, n = transform.c, transform.f
    e, s = w + transform.a * out_w, n + transform.e * out_h
    return Coverage(payload, out_crs, (w, s, e, n), out_w, out_h, factor > 1)


# -- the catalogue, as the server sees it -----------------------------------------------------
class CatalogueSnapshot:
    """The raster catalogue in memory, reloaded when older than ``refresh_s``.

    Tile requests must not wait on the database; a raster added or removed by ``gis raster``
    shows up (or disappears) within ``refresh_s``. While the database is unreachable the last
    snapshot keeps serving (the rasters are files).
    """

    # 0.5 s: a change reaches every instance well within the second an edit takes (#22); the
    # reload is one small indexed query, run only by a request that finds the snapshot old
    def __init__(self, load: Callable[[], list[RasterRecord]], refresh_s: float = 0.5) -> None:
        self.load = load
        self.refresh_s = refresh_s
        self.records: dict[str, RasterRecord] = {}
        self.loaded_at = -math.inf
        self.lock = threading.Lock()

    def _fresh(self) -> dict[str, RasterRecord]:
        if time.monotonic() - self.loaded_at < self.refresh_s:
            return self.records
        with self.lock:
            if time.monotonic() - self.loaded_at >= self.refresh_s:
                try:
                    self.records = {r.name: r for r in self.load()}
                except Exception:
                    if self.loaded_at == -math.inf:
                        raise
                self.loaded_at = time.monotonic()
        return self.records

    def get(self, name: str, staff: bool) -> RasterRecord:
        """Return raster ``name``; NotFound when absent, or staff-only and not ``staff``."""
        rec = self._fresh().get(name)
        if rec is None or not (rec.public or staff):
            raise NotFound(f"no raster {name!r}", collection=name)
        return rec

    def visible(self, staff: bool) -> list[RasterRecord]:
        return [r for r in self._fresh().values() if r.public or staff]

