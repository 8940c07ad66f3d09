"""``gis raster add|list|remove``: COGs that validate, one transaction, one clear error per bad
file, flat memory for rasters far larger than it, and nothing left behind on failure."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psycopg
import pytest
import rasterio
from affine import Affine
from rasterio.control import GroundControlPoint
from rasterio.enums import ColorInterp
from rasterio.transform import from_origin
from rasterio.windows import Window

from gis.cluster import EmbeddedCluster
from gis.errors import Conflict, GisError, NotFound
from gis.rasters import RasterInputError, RasterTooLarge, list_rasters
from ingest.cog import cog_problems, publish, unpublish
from tests.conftest import GIS, clone, drop, shared_tmp
from tests.raster_files import (
    PALETTE,
    UCS_BOUNDS,
    WGS_BOUNDS,
    gcps_on_one_point,
    make_paletted,
    make_plain,
    make_rgb,
)


@pytest.fixture
def folder() -> Iterator[Path]:
    path = shared_tmp("hromada-raster-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def env(db_url: str, folder: Path) -> dict[str, str]:
    return {"GIS_DATABASE_URL": db_url, "GIS_DATA_DIR": str(folder / "data")}


@pytest.fixture(scope="module")
def module_db(cluster: EmbeddedCluster, template_url: str) -> Iterator[str]:
    """Return a database of this module's own, for tests that leave the catalogue empty."""
    url = clone(cluster, "gis_template", "rasters_module")
    yield url
    drop(cluster, "rasters_module")


def gis(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GIS, *args], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=300)


def leftovers(folder: Path) -> list[str]:
    """Return every file under the rasters folder (the empty staging folder aside)."""
    root = folder / "data" / "rasters"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) \
        if root.exists() else []


def catalogue(db_url: str) -> list[str]:
    with psycopg.connect(db_url) as conn:
        return [r.name for r in list_rasters(conn, staff=True)]


@pytest.mark.parametrize(("make", "crs", "bounds", "kind"), [
    (make_rgb, "EPSG:6383", UCS_BOUNDS, "rgb"),
    (make_paletted, "EPSG:6383", UCS_BOUNDS, "paletted"),
    (make_rgb, "EPSG:4326", WGS_BOUNDS, "rgb"),
    (make_paletted, "EPSG:4326", WGS_BOUNDS, "paletted"),
])
def test_published_raster_is_a_valid_cog_with_overviews(db_url: str, folder: Path, make: object,
                                                         crs: str, bounds: tuple[float, ...],
                                                         kind: str) -> None:
    src = make(folder / "in.tif", crs=crs, bounds=bounds)  # type: ignore[operator]
    raster_dir = folder / "rasters"
    with psycopg.connect(db_url, autocommit=True) as conn:
        rec = publish(conn, src, name="sheet", raster_dir=raster_dir, title="Аркуш 1",
                      public=True)
    cog = raster_dir / rec.file
    assert rec.kind == kind and rec.crs == crs and rec.bounds == pytest.approx(bounds)
    assert rec.file == f"sheet.{rec.sha256[:12]}.tif" and cog.stat().st_size == rec.file_size
    assert cog_problems(cog) == []  # rio-cogeo: tiled, overviews, IFDs ahead of the data
    with rasterio.open(cog) as ds:
        assert ds.block_shapes[0] == (512, 512) and ds.profile["tiled"]
        # overviews halve the size until it fits one block: 1000 px → 500; 1200 → 600 → 300
        assert ds.overviews(1) == ([2] if ds.width <= 1024 else [2, 4])
        assert ds.crs.to_string() == crs and ds.profile["compress"] == "deflate"
        with rasterio.open(src) as orig:  # lossless: every pixel kept
            assert np.array_equal(ds.read(), orig.read())
        if kind == "paletted":
            assert ds.colormap(1)[2] == PALETTE[2] and ds.nodata == 0
    assert sorted(p.name for p in raster_dir.rglob("*") if p.is_file()) == [rec.file]
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT title, public, ST_AsText(ST_Envelope(footprint)) "
                           "FROM rasters.catalog").fetchone()
    assert row is not None and row[0] == "Аркуш 1" and row[1] is True


def test_cli_adds_lists_and_removes(env: dict[str, str], folder: Path, db_url: str) -> None:
    src = make_rgb(folder / "ortho.tif")
    out = gis(env, "raster", "add", str(src), "--name", "ortho-2024", "--title", "Ортофото",
              "--title-en", "Orthophoto", "--document", "договір № 7", "--date", "2024-05-01",
              "--compress", "jpeg")
    assert out.returncode == 0, out.stderr
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT title, title_en FROM rasters.catalog").fetchone() == (
            "Ортофото", "Orthophoto")
    assert "added raster ortho-2024 (staff only)" in out.stderr
    assert "raster: copy blocks" in out.stderr and "done in" in out.stderr  # the progress bar
    assert "note:" not in out.stderr  # on the city, in UCS-2000: nothing to check
    listed = gis(env, "raster", "list")
    assert listed.returncode == 0
    cols = listed.stdout.strip().split("\t")
    assert cols[:2] == ["ortho-2024", "staff-only"] and "2024-05-01" in cols
    assert "Ортофото" in cols and "договір № 7" in cols
    (file,) = leftovers(folder)
    with rasterio.open(folder / "data" / "rasters" / file) as ds:
        assert ds.profile["compress"] == "jpeg"
    removed = gis(env, "raster", "remove", "ortho-2024")
    assert removed.returncode == 0, removed.stderr
    assert leftovers(folder) == [] and catalogue(db_url) == []


def test_cli_notes_a_sheet_far_from_the_city_and_a_datum_proj_can_only_guess(
        env: dict[str, str], folder: Path, db_url: str) -> None:
    """Published either way (the CRS is the file's word), with a note of what to check: a
    zone 9 sheet labelled zone 8 lies ~200 km west; a custom CRS on the Krassovsky ellipsoid
    without its datum shift (an SK-63 .prj that lost TOWGS84) is placed by a ballpark guess."""
    west = gis(env, "raster", "add", str(make_paletted(folder / "west.tif", crs="EPSG:6382")),
               "--name", "west")
    assert west.returncode == 0, west.stderr
    (far,) = [line for line in west.stderr.splitlines() if line.startswith("note:")]
    assert re.fullmatch(r"note: the raster lies \d+ km from Khmelnytskyi's extent; if it should "
                        r"cover the city, its CRS is probably wrong \(remove it and add it again "
                        r"with --crs\)", far), far
    guessed = gis(env, "raster", "add", str(make_paletted(
        folder / "guessed.tif", crs="+proj=tmerc +lon_0=27 +k=1 +x_0=300000 +ellps=krass "
        "+units=m +no_defs")), "--name", "guessed")
    assert guessed.returncode == 0, guessed.stderr
    (datum,) = [line for line in guessed.stderr.splitlines() if line.startswith("note:")]
    assert "to UCS-2000 only by a null or ballpark transformation" in datum
    assert sorted(catalogue(db_url)) == ["guessed", "west"]
    for name in ("west", "guessed"):
        assert gis(env, "raster", "remove", name).returncode == 0


def test_cli_error_is_one_line(env: dict[str, str], folder: Path, db_url: str) -> None:
    out = gis(env, "raster", "add", str(_truncated(folder)), "--name", "sheet")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1].startswith(
        "error: " + str(folder / "truncated.tif") + ": damaged or truncated: reading pixels")
    assert "Traceback" not in out.stderr
    assert catalogue(db_url) == [] and leftovers(folder) == []


def _truncated(folder: Path) -> Path:
    data = make_rgb(folder / "whole.tif", size=1200).read_bytes()
    path = folder / "truncated.tif"
    path.write_bytes(data[: len(data) // 2])  # header and first strips intact
    return path


def _int16(folder: Path) -> Path:
    path = folder / "dem.tif"
    with rasterio.open(path, "w", driver="GTiff", width=10, height=10, count=1, dtype="int16",
                       crs="EPSG:6383", transform=from_origin(299000, 5477000, 1, 1)) as ds:
        ds.write(np.zeros((1, 10, 10), np.int16))
    return path


def _huge(folder: Path) -> Path:
    """A 400,000 × 400,000 px header with no pixels written (a few kB on disk)."""
    path = folder / "huge.tif"
    with rasterio.open(path, "w", driver="GTiff", width=400_000, height=400_000, count=3,
                       dtype="uint8", crs="EPSG:6383", tiled=True, blockxsize=4096,
                       blockysize=4096, sparse_ok=True, bigtiff="YES",
                       transform=from_origin(290000, 5480000, 0.05, 0.05)):
        pass
    return path


BAD_FILES = {
    "no georeferencing": (lambda f: make_plain(f / "scan.tif"), [], "no georeferencing"),
    "no CRS": (lambda f: make_rgb(f / "nocrs.tif", crs=None), [],
               "names no coordinate system; pass --crs"),
    "unknown CRS": (lambda f: make_rgb(f / "a.tif"), ["--crs", "EPSG:999999"],
                    "unknown CRS 'EPSG:999999'"),
    "wrong CRS": (lambda f: make_rgb(f / "a.tif"), ["--crs", "EPSG:4326"],
                  "does not lie on the Earth in WGS 84 — is the CRS right?"),
    # was "a local (engineering) system", and "on the Earth in unknown"
    "height CRS": (lambda f: make_rgb(f / "a.tif"), ["--crs", "EPSG:5703"],
                   "its CRS 'NAVD88 height' is a height system, not a map's"),
    "nameless CRS": (lambda f: make_rgb(f / "a.tif"), ["--crs", "+proj=longlat +ellps=WGS84"],
                     "does not lie on the Earth in an unnamed geographic CRS (Unknown based on "
                     "WGS 84 ellipsoid) — is the CRS right?"),
    "long unknown CRS": (lambda f: make_rgb(f / "a.tif"), ["--crs", "x" * 5000],
                         f"unknown CRS '{'x' * 80}…'; give an EPSG code"),
    "not a raster": (lambda f: (f / "notes.tif").write_text("hello") and f / "notes.tif", [],
                     "not a raster that can be read"),
    "corrupt": (lambda f: (f / "c.tif").write_bytes(b"II*\x00" + bytes(200)) and f / "c.tif",
                [], "not a raster that can be read, or a damaged one"),
    "truncated": (_truncated, [], "damaged or truncated: reading pixels rows"),
    "16-bit": (_int16, [], "its values are int16; only 8-bit images"),
    "unsolvable GCPs": (lambda f: gcps_on_one_point(f / "gcps.tif"), [],
                        "its ground control points do not place it on a grid"),
    "too large": (_huge, [], "400,000 × 400,000 px is over the limit"),
    "missing": (lambda f: f / "nowhere.tif", [], "no such file"),
    "bad name": (lambda f: make_rgb(f / "a.tif"), ["--name", "Генплан"], "raster name"),
    "registry name": (lambda f: make_rgb(f / "a.tif"), ["--name", "land_parcels"],
                      "already the id of a registry collection"),
    "jpeg plan": (lambda f: make_paletted(f / "p.tif"), ["--compress", "jpeg"],
                  "JPEG compression is for RGB orthophotos"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_input_gets_one_clear_error_and_leaves_nothing(case: str, module_db: str,
                                                           folder: Path) -> None:
    make, options, message = BAD_FILES[case]
    path = make(folder)
    args = dict(zip(options[::2], options[1::2], strict=True))
    raster_dir = folder / "data" / "rasters"
    with psycopg.connect(module_db, autocommit=True) as conn:
        with pytest.raises(GisError) as caught:
            publish(conn, path, name=args.get("--name", "sheet"), raster_dir=raster_dir,
                    crs=args.get("--crs"), compress=args.get("--compress", "deflate"),
                    reserved=frozenset({"land_parcels"}))
    assert message in caught.value.detail
    assert caught.value.exit_code == 2 or case == "missing"
    assert catalogue(module_db) == [] and leftovers(folder) == []


def test_rotated_and_gcp_scans_become_north_up(db_url: str, folder: Path) -> None:
    rotated = folder / "rotated.tif"
    with rasterio.open(rotated, "w", driver="GTiff", width=200, height=200, count=3,
                       dtype="uint8", crs="EPSG:6383", transform=Affine.translation(
                           299000, 5477000) @ Affine.rotation(10) @ Affine.scale(1, -1)) as ds:
        ds.write(np.full((3, 200, 200), 200, np.uint8))
    gcps = folder / "gcps.tif"
    points = [GroundControlPoint(0, 0, 299000, 5477000), GroundControlPoint(0, 200, 299400,
              5477000), GroundControlPoint(200, 0, 299000, 5476600),
              GroundControlPoint(200, 200, 299400, 5476600)]
    with rasterio.open(gcps, "w", driver="GTiff", width=200, height=200, count=3,
                       dtype="uint8", gcps=points, crs="EPSG:6383") as ds:
        ds.write(np.full((3, 200, 200), 90, np.uint8))
    with psycopg.connect(db_url, autocommit=True) as conn:
        rot = publish(conn, rotated, name="rotated", raster_dir=folder / "r")
        by_gcps = publish(conn, gcps, name="by-gcps", raster_dir=folder / "r")
    assert by_gcps.bounds == pytest.approx((299000, 5476600, 299400, 5477000))
    with rasterio.open(folder / "r" / by_gcps.file) as ds:
        assert ds.transform.b == ds.transform.d == 0 and ds.read_masks(1).all()
        assert (ds.read(1) == 90).all()
    with rasterio.open(folder / "r" / rot.file) as ds:
        assert ds.transform.b == 0 and ds.transform.e < 0
        masks = ds.read_masks(1)
        assert 0.5 < masks.mean() / 255 < 0.95  # the rotated square inside its north-up box
        assert (ds.read(1)[masks > 0] > 150).mean() > 0.95


def test_source_metadata_does_not_travel(db_url: str, folder: Path) -> None:
    src = make_rgb(folder / "scan.tif")
    with rasterio.open(src, "r+") as ds:
        ds.update_tags(TIFFTAG_ARTIST="Петренко Іван Іванович", TIFFTAG_HOSTCOMPUTER="pc-ivan")
    with psycopg.connect(db_url, autocommit=True) as conn:
        rec = publish(conn, src, name="scan", raster_dir=folder / "r")
    data = (folder / "r" / rec.file).read_bytes()
    assert "Петренко".encode() not in data and b"pc-ivan" not in data


def test_failure_after_the_copy_registers_nothing(db_url: str, folder: Path) -> None:
    src = make_paletted(folder / "plan.tif")
    with psycopg.connect(db_url, autocommit=True) as conn:
        publish(conn, src, name="plan", raster_dir=folder / "r")
        # the name is checked first; the same name again must fail before any work
        with pytest.raises(Conflict):
            publish(conn, src, name="plan", raster_dir=folder / "r")
        # a unique violation at insert time (a concurrent add) also leaves no file behind
        conn.execute("ALTER TABLE rasters.catalog ADD CONSTRAINT no_second "
                     "CHECK (name = 'plan')")
        with pytest.raises(psycopg.errors.CheckViolation):
            publish(conn, src, name="other", raster_dir=folder / "r")
        conn.execute("ALTER TABLE rasters.catalog DROP CONSTRAINT no_second")
        assert len([p for p in (folder / "r").rglob("*") if p.is_file()]) == 1
        rec = unpublish(conn, "plan", folder / "r")
        with pytest.raises(NotFound, match="no raster 'plan'"):
            unpublish(conn, "plan", folder / "r")
    assert not (folder / "r" / rec.file).exists()
    assert catalogue(db_url) == []


def test_errors_are_gis_errors(db_url: str, folder: Path) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        with pytest.raises(RasterInputError):
            publish(conn, make_plain(folder / "p.tif"), name="p", raster_dir=folder / "r")
        with pytest.raises(RasterTooLarge):
            publish(conn, _huge(folder), name="h", raster_dir=folder / "r")


def _big_plan(path: Path, n: int) -> Path:
    """Write an n × n paletted plan block by block (compressed: small on disk)."""
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="uint8",
                       crs="EPSG:6383", transform=from_origin(290000, 5480000, 0.1, 0.1),
                       tiled=True, blockxsize=1024, blockysize=1024, compress="zstd") as ds:
        ds.colorinterp = [ColorInterp.palette]
        ds.write_colormap(1, {0: (0, 0, 0, 0), 1: (255, 230, 0, 255), 2: (0, 0, 0, 255)})
        block = np.ones((1, 1024, 1024), np.uint8)
        block[:, ::16, :] = 2
        for r in range(0, n, 1024):
            for c in range(0, n, 1024):
                ds.write(block, window=Window(c, r, min(1024, n - c), min(1024, n - r)))
    return path


CONVERT = """
import sys
from pathlib import Path
from ingest.cog import inspect_source, write_cog
src, dst = Path(sys.argv[1]), Path(sys.argv[2])
write_cog(inspect_source(src), dst, dst.parent)
"""


def test_a_raster_larger_than_the_memory_it_is_given_is_worked_in_blocks(folder: Path) -> None:
    n = 32_768  # 1.07 GB of pixels; the converting process must stay far below that
    src = _big_plan(folder / "big.tif", n)
    dst = folder / "big.cog.tif"
    proc = subprocess.Popen([sys.executable, "-c", CONVERT, str(src), str(dst)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_kb = 0
    while proc.poll() is None:
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            peak_kb = max(peak_kb, int(status.split("VmHWM:")[1].split()[0]))
        except (OSError, IndexError):
            pass
        time.sleep(0.05)
    _, err = proc.communicate()
    assert proc.returncode == 0, err
    raw_mb = n * n / 1e6
    assert peak_kb / 1024 < 400 < raw_mb / 2, (peak_kb, raw_mb)
    assert cog_problems(dst) == []
    with rasterio.open(dst) as ds:
        assert ds.shape == (n, n) and len(ds.overviews(1)) == 6


def test_a_missing_file_is_a_clear_server_problem(db_url: str, folder: Path) -> None:
    from gis.errors import EnvironmentProblem
    from gis.tms import ucs2000_tms
    from tiles.raster import Readers, render_tile

    with psycopg.connect(db_url, autocommit=True) as conn:
        rec = publish(conn, make_paletted(folder / "p.tif"), name="p", raster_dir=folder / "r")
    (folder / "r" / rec.file).unlink()
    with pytest.raises(EnvironmentProblem, match="missing from the rasters folder"):
        render_tile(Readers(), folder / "r" / rec.file, rec, ucs2000_tms(6383), 5, 277, 590,
                    "png")


def test_a_box_outside_the_asked_crs_is_named_so_not_as_missing_the_raster(
        db_url: str, folder: Path) -> None:
    """A world map asked for in EPSG:6383 over the Pacific: the box touches the raster, but
    the crs asked for does not reach there (it said "does not touch raster")."""
    from gis.errors import NotFound
    from tiles.raster import CoverageRequest, coverage

    world = make_rgb(folder / "world.tif", crs="EPSG:4326", bounds=(-180, -90, 180, 90),
                     size=360)
    with psycopg.connect(db_url, autocommit=True) as conn:
        rec = publish(conn, world, name="world", raster_dir=folder / "r")
    path = folder / "r" / rec.file
    with pytest.raises(NotFound) as caught:
        coverage(path, rec, CoverageRequest((170.0, -10.0, 180.0, 10.0), "OGC:CRS84", 6383),
                 4096 * 4096)
    assert "lies outside the region EPSG:6383 describes" in caught.value.detail
    assert "does not touch" not in caught.value.detail
    # in the raster's own crs the same box is there
    assert coverage(path, rec, CoverageRequest((170.0, -10.0, 180.0, 10.0), "OGC:CRS84", None),
                    4096 * 4096).width > 0
