"""Publish a raster: a georeferenced scan or orthophoto → a Cloud-Optimised GeoTIFF + its row.

``publish`` checks the file first (readable, georeferenced, a CRS PROJ knows, 8-bit grey,
paletted, RGB or RGBA, within ``max_pixels``), then works in blocks so memory stays flat
however large the raster: the source is copied block by block into a tiled staging file
(rotated or GCP-only scans are resampled onto a north-up grid on the way), overviews are
built by GDAL, and GDAL's COG driver lays the result out as a Cloud-Optimised GeoTIFF. The
COG is validated (rio-cogeo), hashed (SHA-256), and only then registered: the catalogue row is
inserted and the file renamed from its temporary name to ``<name>.<sha12>.tif`` in one
transaction, so no row ever points at a missing file. Any failure — a damaged block, a full
disk, Ctrl-C — removes the temporary files and registers nothing. Source metadata (TIFF tags
such as Artist or the scanner's host name, which may name a person) is not copied.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import math
import os
import secrets
import shutil
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import rasterio
import rasterio.shutil
from pyproj import CRS as ProjCRS
from pyproj import Transformer
from pyproj.exceptions import CRSError as ProjCRSError
from rasterio._err import CPLE_BaseError
from rasterio.crs import CRS
from rasterio.enums import ColorInterp, MaskFlags, Resampling
from rasterio.errors import CRSError, NotGeoreferencedWarning, RasterioError, RasterioIOError
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from gis.errors import EnvironmentProblem
from gis.rasters import (
    RasterInputError,
    RasterRecord,
    RasterTooLarge,
    check_name,
    check_text,
    delete_raster,
    insert_raster,
    name_taken,
)

Progress = Callable[[str, int, int], None]
BLOCK = 512  # COG tile size (px)
INCOMING = ".incoming"  # temporary files, inside the rasters folder (same filesystem)
STALE_S = 24 * 3600  # temporary files older than this are leftovers of a killed run
GDAL_ENV = {"GDAL_CACHEMAX": 256, "CHECK_DISK_FREE_SPACE": "TRUE"}


def _quiet(progress: Progress | None) -> Progress:
    return progress or (lambda stage, done, total: None)


@dataclass(frozen=True)
class SourceRaster:
    """What ``inspect_source`` found in a file, and how it will be copied."""

    path: Path
    crs: CRS
    width: int  # of the north-up grid the COG gets (after resampling, if any)
    height: int
    transform: Any  # affine.Affine of that grid
    kind: str  # gis.rasters.KINDS
    indexes: tuple[int, ...]  # source bands copied (alpha last, as a band)
    nodata: float | None
    masked: bool  # a per-dataset mask (no nodata, no alpha): copied as an internal mask
    warp: bool  # rotated or GCP-only: resampled onto ``transform``
    colormap: dict[int, tuple[int, int, int, int]] | None
    by_gcps: bool = False  # placed by ground control points (polynomial warp by GDAL)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        t = self.transform
        return (t.c, t.f + t.e * self.height, t.c + t.a * self.width, t.f)

    @property
    def pixels(self) -> int:
        return self.width * self.height


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[Any]:
    """Open ``path`` with rasterio; unreadable files become one clear RasterInputError."""
    if not path.is_file():
        raise RasterInputError(f"{path}: no such file", file=str(path))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            src = rasterio.open(path)
    except RasterioIOError as exc:
        raise RasterInputError(f"{path}: not a raster that can be read, or a damaged one "
                               f"({_reason(exc)})", file=str(path)) from None
    with src:
        yield src


def _reason(exc: BaseException) -> str:
    """Return GDAL's message without the file path it repeats."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


def _parse_crs(text: str) -> CRS:
    try:
        crs = CRS.from_user_input(text)
    except (CRSError, ValueError):
        shown = text if len(text) <= 80 else text[:80] + "…"
        raise RasterInputError(f"unknown CRS {shown!r}; give an EPSG code such as EPSG:6383 "
                               "(UCS-2000 / Ukraine TM zone 9) or EPSG:4326",
                               parameter="crs") from None
    return crs


def _crs_name(proj: ProjCRS) -> str:
    """Return the CRS's name, or what it is when it has none (a bare PROJ string's "unknown")."""
    if proj.name and proj.name != "unknown":
        return str(proj.name)
    kind = "geographic " if proj.is_geographic else "projected " if proj.is_projected else ""
    datum = f" ({proj.datum.name})" if proj.datum is not None else ""
    return f"an unnamed {kind}CRS{datum}"


def _check_earth(path: Path, crs: CRS, bounds: tuple[float, float, float, float],
                 ) -> tuple[float, float, float, float]:
    """Return ``bounds`` in CRS84, raising when the CRS has no link to the Earth or the
    extent does not fit the CRS (the usual sign of a wrong ``--crs``)."""
    try:
        proj = ProjCRS.from_wkt(crs.to_wkt())
    except ProjCRSError:
        raise RasterInputError(f"{path}: its CRS is not one PROJ understands: "
                               f"{crs.to_string()[:120]}", file=str(path)) from None
    if proj.is_vertical:
        raise RasterInputError(f"{path}: its CRS {proj.name!r} is a height system, not a map's; "
                               "give the map's coordinate system with --crs, e.g. EPSG:6383",
                               file=str(path))
    if proj.is_engineering or proj.geodetic_crs is None:
        raise RasterInputError(f"{path}: its CRS {proj.name!r} is a local (engineering) system "
                               "with no link to the Earth; give the real one with --crs",
                               file=str(path))
    try:
        lonlat = Transformer.from_crs(proj, "OGC:CRS84", always_xy=True).transform_bounds(
            *bounds, densify_pts=21)
    except Exception:  # PROJ raises several types for coordinates it cannot place
        lonlat = (math.inf,) * 4
    w, s, e, n = lonlat
    if not all(map(math.isfinite, lonlat)) or not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise RasterInputError(
            f"{path}: its extent {tuple(round(v, 3) for v in bounds)} does not lie on the Earth "
            f"in {_crs_name(proj)} — is the CRS right? (pass --crs with the one it was drawn in)",
            file=str(path))
    return (w, s, e, n)


def _kind(src: Any, path: Path) -> tuple[str, tuple[int, ...]]:
    """Return how the raster is drawn and which source bands the COG keeps."""
    dtype = src.dtypes[0]
    if dtype != "uint8":
        raise RasterInputError(
            f"{path}: its values are {dtype}; only 8-bit images (RGB, RGBA, grey or paletted "
            "scans and orthophotos) are published as maps — convert it to 8-bit RGB first",
            file=str(path))
    ci = src.colorinterp
    if src.count == 1:
        if ci[0] == ColorInterp.palette:
            with contextlib.suppress(ValueError):
                if src.colormap(1):
                    return "paletted", (1,)
        return "gray", (1,)
    if src.count == 2 and ci[1] == ColorInterp.alpha:
        return "gray-alpha", (1, 2)
    if src.count == 3:
        return "rgb", (1, 2, 3)
    if src.count == 4:
        return ("rgba", (1, 2, 3, 4)) if ci[3] == ColorInterp.alpha else ("rgb", (1, 2, 3))
    raise RasterInputError(f"{path}: {src.count} bands; a published map has 1 (grey or "
                           "paletted), 3 (RGB) or 4 (RGBA) — choose the bands to keep first "
                           "(e.g. gdal_translate -b 1 -b 2 -b 3)", file=str(path))


def inspect_source(path: Path, crs: str | None = None,
                   max_pixels: int = 100_000_000_000) -> SourceRaster:
    """Return what ``publish`` will copy from ``path``, or raise RasterInputError/TooLarge.

    ``crs`` assigns the CRS (it does not reproject): for a file whose CRS is missing or wrong.
    """
    assigned = _parse_crs(crs) if crs else None
    with _opened(path) as src:
        kind, indexes = _kind(src, path)
        gcps, gcp_crs = src.gcps
        own_crs = src.crs if src.crs else (gcp_crs if gcps else None)
        georeferenced = not src.transform.is_identity or bool(gcps)
        if not georeferenced:
            raise RasterInputError(
                f"{path}: no georeferencing (no geotransform, no ground control points); "
                "georeference it first (QGIS Georeferencer) or put a world file "
                f"({path.stem}.tfw) beside it and pass --crs", file=str(path))
        chosen = assigned or own_crs
        if not chosen:
            raise RasterInputError(f"{path}: it is placed (a geotransform) but names no "
                                   "coordinate system; pass --crs, e.g. --crs EPSG:6383",
                                   file=str(path))
        if src.width * src.height > max_pixels:
            raise RasterTooLarge(
                f"{path}: {src.width:,} × {src.height:,} px is over the limit of "
                f"{max_pixels:,} px (GIS_RASTERS__MAX_PIXELS); cut it into sheets or raise "
                "the limit", file=str(path))
        t = src.transform
        by_gcps = bool(gcps) and t.is_identity
        if by_gcps and (gcp_crs is None or (assigned and assigned != gcp_crs)):
            raise RasterInputError(
                f"{path}: it is placed by ground control points "
                f"{'that name no CRS' if gcp_crs is None else 'in ' + gcp_crs.to_string()}; "
                "--crs cannot re-label GCPs — georeference it again in the CRS it was drawn "
                "in (QGIS Georeferencer)", file=str(path))
        warp = by_gcps or (t.b != 0 or t.d != 0) or t.e > 0
        if warp:
            try:
                with _warped(src, chosen, by_gcps) as vrt:
                    transform, width, height = vrt.transform, vrt.width, vrt.height
            except (RasterioError, CPLE_BaseError) as exc:  # GCPs GDAL cannot fit
                what = "its ground control points" if by_gcps else "its rotated geotransform"
                raise RasterInputError(
                    f"{path}: {what} do not place it on a grid ({_reason(exc)}); "
                    "georeference it again (QGIS Georeferencer: at least 3 points, not on one "
                    "line)", file=str(path)) from None
        else:
            transform, width, height = t, src.width, src.height
        masked = (src.nodata is None and kind not in ("rgba", "gray-alpha")
                  and MaskFlags.per_dataset in src.mask_flag_enums[0])
        colormap = None
        if kind == "paletted":
            colormap = src.colormap(1)
        found = SourceRaster(path=path, crs=chosen, width=width, height=height,
                             transform=transform, kind=kind, indexes=indexes,
                             nodata=src.nodata, masked=masked, warp=warp, colormap=colormap,
                             by_gcps=by_gcps)
    _check_earth(path, chosen, found.bounds)
    return found


def _warped(src: Any, crs: CRS, by_gcps: bool, **options: Any) -> Any:
    """Return GDAL's north-up warped view of ``src`` in ``crs`` (its own grid choice).

    For a GCP-placed file the source CRS is left to GDAL, which then fits the GCPs
    (polynomial); given explicitly it would take the identity geotransform instead.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        if by_gcps:
            return WarpedVRT(src, crs=crs, **options)
        return WarpedVRT(src, src_crs=crs, crs=crs, **options)


def _overview_factors(width: int, height: int) -> list[int]:
    """Return the decimation factors of the overviews (down to one block).

    >>> _overview_factors(5000, 3000), _overview_factors(400, 400)
    ([2, 4, 8, 16], [])
    """
    factors, f = [], 2
    while max(width, height) / (f // 2) > BLOCK:
        factors.append(f)
        f *= 2
    return factors


def _stage_profile(s: SourceRaster) -> dict[str, Any]:
    return {"driver": "GTiff", "width": s.width, "height": s.height, "count": len(s.indexes),
            "dtype": "uint8", "crs": s.crs, "transform": s.transform, "nodata": s.nodata,
            "tiled": True, "blockxsize": BLOCK, "blockysize": BLOCK, "compress": "ZSTD",
            "zstd_level": 1, "bigtiff": "IF_SAFER", "interleave": "pixel"}


def _copy_blocks(s: SourceRaster, stage: Path, progress: Progress) -> None:
    """Copy the source into the tiled staging file block by block (flat memory)."""
    with _opened(s.path) as src, contextlib.ExitStack() as stack:
        reader = src
        alpha_mask = False
        if s.warp:
            resampling = Resampling.nearest if s.kind == "paletted" else Resampling.bilinear
            add_alpha = s.nodata is None and s.kind not in ("rgba", "gray-alpha")
            reader = stack.enter_context(_warped(src, s.crs, s.by_gcps, resampling=resampling,
                                                 add_alpha=add_alpha))
            if (reader.width, reader.height) != (s.width, s.height):
                raise RuntimeError("GDAL chose another grid than at inspection")
            alpha_mask = add_alpha
        with rasterio.open(stage, "w", **_stage_profile(s)) as dst:
            if s.colormap:
                dst.write_colormap(1, s.colormap)
            interp = {"rgb": [ColorInterp.red, ColorInterp.green, ColorInterp.blue],
                      "rgba": [ColorInterp.red, ColorInterp.green, ColorInterp.blue,
                               ColorInterp.alpha],
                      "gray": [ColorInterp.gray], "paletted": [ColorInterp.palette],
                      "gray-alpha": [ColorInterp.gray, ColorInterp.alpha]}[s.kind]
            dst.colorinterp = interp
            windows = [w for _, w in dst.block_windows(1)]
            total = len(windows)
            for i, w in enumerate(windows):
                try:
                    data = reader.read(indexes=list(s.indexes), window=w)
                    mask = None
                    if alpha_mask:
                        mask = reader.read(reader.count, window=w)
                    elif s.masked:
                        mask = reader.dataset_mask(window=w)
                except RasterioError as exc:
                    raise RasterInputError(
                        f"{s.path}: damaged or truncated: reading pixels {_where(w)} failed "
                        f"({_reason(exc.__cause__ or exc)})", file=str(s.path)) from None
                dst.write(data, window=w)
                if mask is not None:
                    dst.write_mask(mask, window=w)
                progress("copy blocks", i + 1, total)


def _where(w: Window) -> str:
    return (f"rows {int(w.row_off)}–{int(w.row_off + w.height) - 1}, "
            f"columns {int(w.col_off)}–{int(w.col_off + w.width) - 1}")


def _cog_options(s: SourceRaster, compress: str) -> dict[str, Any]:
    opts: dict[str, Any] = {"BLOCKSIZE": BLOCK, "OVERVIEWS": "FORCE_USE_EXISTING",
                            "BIGTIFF": "IF_SAFER", "NUM_THREADS": "2"}
    if compress == "jpeg":
        opts.update(COMPRESS="JPEG", QUALITY=90)
    else:
        opts.update(COMPRESS="DEFLATE", LEVEL=6,
                    PREDICTOR="NO" if s.kind == "paletted" else "YES")
    return opts


def write_cog(s: SourceRaster, dst: Path, work: Path, compress: str = "deflate",
              progress: Progress | None = None) -> None:
    """Write ``s`` as a Cloud-Optimised GeoTIFF at ``dst`` (staging files in ``work``)."""
    report = _quiet(progress)
    if compress not in ("deflate", "jpeg"):
        raise RasterInputError(f"unknown compression {compress!r}: deflate (lossless) or jpeg",
                               parameter="compress")
    if compress == "jpeg" and s.kind not in ("rgb", "rgba"):
        raise RasterInputError(f"{s.path}: JPEG compression is for RGB orthophotos; a {s.kind} "
                               "scan keeps its exact colours with deflate", file=str(s.path))
    stage = work / (dst.name + ".stage.tif")
    try:
        with rasterio.Env(**GDAL_ENV):
            _copy_blocks(s, stage, report)
            factors = _overview_factors(s.width, s.height)
            report("overviews", 0, 1)
            if factors:
                resampling = Resampling.nearest if s.kind == "paletted" else Resampling.average
                with rasterio.open(stage, "r+") as ds:
                    ds.build_overviews(factors, resampling)
            report("overviews", 1, 1)
            report("COG layout", 0, 1)
            rasterio.shutil.copy(stage, dst, driver="COG", **_cog_options(s, compress))
            report("COG layout", 1, 1)
    except RasterioError as exc:
        if _is_disk_full(exc, work):
            raise EnvironmentProblem(f"the rasters folder {work.parent} ran out of space while "
                                     f"writing {s.path.name}; free "
                                     f"{_free_gb(work):.1f} GB left") from None
        raise
    finally:
        for p in (stage, Path(str(stage) + ".ovr"), Path(str(stage) + ".msk")):
            p.unlink(missing_ok=True)


def _is_disk_full(exc: BaseException, work: Path) -> bool:
    text = str(exc).lower()
    return "no space" in text or "disk" in text and "full" in text or _free_gb(work) < 0.01


def _free_gb(path: Path) -> float:
    return shutil.disk_usage(path).free / 1e9


def cog_problems(path: Path) -> list[str]:
    """Return why ``path`` is not a valid COG (tiled, overviews, IFDs first), or []."""
    from rio_cogeo.cogeo import cog_validate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        valid, errors, _ = cog_validate(str(path), strict=False, quiet=True)
    return [] if valid else list(errors) or ["not a valid COG"]


def file_sha256(path: Path, progress: Progress | None = None) -> str:
    """Return the SHA-256 (hex) of ``path``, read in 4 MiB chunks."""
    report = _quiet(progress)
    size = path.stat().st_size
    total_mb = max(1, math.ceil(size / (1 << 20)))
    h = hashlib.sha256()
    with path.open("rb") as fh:
        done = 0
        while chunk := fh.read(4 << 20):
            h.update(chunk)
            done += len(chunk)
            report("checksum (MB)", min(total_mb, done >> 20), total_mb)
    return h.hexdigest()


def _clean_stale(work: Path) -> None:
    """Remove temporary files of runs that were killed (older than a day)."""
    now = time.time()
    for p in work.glob("*"):
        with contextlib.suppress(OSError):
            if now - p.stat().st_mtime > STALE_S:
                p.unlink()


def _srid(crs: CRS) -> int | None:
    epsg = crs.to_epsg(confidence_threshold=90)
    return int(epsg) if epsg else None


def publish(conn: psycopg.Connection[Any], path: Path, *, name: str, raster_dir: Path,
            title: str | None = None, title_en: str = "", crs: str | None = None,
            source_document: str = "",
            dated: date | None = None, public: bool = False, compress: str = "deflate",
            added_by: str = "", max_pixels: int = 100_000_000_000,
            reserved: frozenset[str] = frozenset(),
            progress: Progress | None = None) -> RasterRecord:
    """Publish raster file ``path`` as ``name``: COG in ``raster_dir`` + its catalogue row.

    ``conn`` must have no transaction open: the row is committed here, together with the
    rename of the finished COG. ``reserved`` are names taken by other collections.
    """
    report = _quiet(progress)
    check_name(name)
    # before any work: a title the catalogue cannot show is refused, not converted for nothing
    title = check_text(title or "", "title") or name
    title_en = check_text(title_en, "title_en")
    source_document = check_text(source_document, "document")
    if name in reserved:
        raise RasterInputError(f"{name!r} is already the id of a registry collection; choose "
                               "another --name", parameter="name")
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raise RuntimeError("publish() needs a connection without an open transaction")
    with conn.transaction():
        if name_taken(conn, name):
            from gis.errors import Conflict

            raise Conflict(f"a raster named {name!r} exists already; remove it first (gis "
                           "raster remove) or choose another --name", name=name)
    source = inspect_source(path, crs, max_pixels)
    lonlat = _check_earth(path, source.crs, source.bounds)
    work = raster_dir / INCOMING
    try:
        work.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EnvironmentProblem(f"cannot create the rasters folder {raster_dir}: "
                                 f"{exc.strerror}") from None
    _clean_stale(work)
    needed = path.stat().st_size
    if shutil.disk_usage(work).free < needed:
        raise EnvironmentProblem(f"the rasters folder {raster_dir} has {_free_gb(work):.1f} GB "
                                 f"free; {path.name} needs at least {needed / 1e9:.1f} GB")
    temp = work / f"{name}.{secrets.token_hex(6)}.cog.tif"
    final: Path | None = None
    try:
        write_cog(source, temp, work, compress, report)
        problems = cog_problems(temp)
        if problems:  # our own output: a GDAL fault, not the user's
            raise RuntimeError(f"the COG written for {path.name} does not validate: "
                               + "; ".join(problems))
        sha = file_sha256(temp, report)
        final = raster_dir / f"{name}.{sha[:12]}.tif"
        t = source.transform
        rec = RasterRecord(
            name=name, title=title,
            crs=f"EPSG:{_srid(source.crs)}" if _srid(source.crs) else source.crs.to_wkt(),
            srid=_srid(source.crs), bounds=source.bounds, lonlat_bounds=lonlat,
            width=source.width, height=source.height, res_x=abs(t.a), res_y=abs(t.e),
            bands=len(source.indexes), kind=source.kind, file=final.name,
            file_size=temp.stat().st_size, sha256=sha, public=public,
            source_document=source_document, dated=dated, added_by=added_by,
            title_en=title_en)
        report("register", 0, 1)
        renamed = False
        try:
            with conn.transaction():
                insert_raster(conn, rec)
                os.replace(temp, final)  # before the commit: a row never names a missing file
                renamed = True
        except BaseException:
            if renamed:
                final.unlink(missing_ok=True)
            raise
        report("register", 1, 1)
        return rec
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise EnvironmentProblem(f"the rasters folder {raster_dir} ran out of space") from None
        raise
    finally:
        temp.unlink(missing_ok=True)


def unpublish(conn: psycopg.Connection[Any], name: str, raster_dir: Path) -> RasterRecord:
    """Remove raster ``name``: its row (committed here), then its file."""
    with conn.transaction():
        rec = delete_raster(conn, name)
    (raster_dir / rec.file).unlink(missing_ok=True)
    return rec
