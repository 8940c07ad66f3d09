"""Reading a council's files: Shapefile, GeoPackage, GeoJSON, KML, DXF (through fiona/GDAL),
CSV and the cadastral exchange XML (``ingest.formats``), and zips of any of these.

Every reader yields :class:`Record` s — the feature number, its attribute values and its
geometry as WKB in the file's own CRS — one at a time, so a file larger than memory streams
through. What cannot be read is an :class:`~gis.errors.InvalidFile` that names the file (and
the row or field), never GDAL's own text alone.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pyproj import CRS

from gis.errors import InvalidFile

# GDAL files with more features than this stream through fiona (see GdalSource)
FAST_READ_MAX_FEATURES = 1_000_000
# what a zip may hold, in the order a member is chosen when several are there
DATA_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".kml", ".dxf", ".csv", ".xml")
FIONA_DRIVERS = {".shp": "ESRI Shapefile", ".gpkg": "GPKG", ".geojson": "GeoJSON",
                 ".json": "GeoJSON", ".kml": "KML", ".dxf": "DXF"}
# what a format is called in messages and reports
FORMAT_NAMES = {".shp": "Shapefile", ".gpkg": "GeoPackage", ".geojson": "GeoJSON",
                ".json": "GeoJSON", ".kml": "KML", ".dxf": "DXF", ".csv": "CSV",
                ".xml": "cadastral exchange XML"}


@dataclass
class Record:
    """One feature of a file: its number (1-based, as people count rows), values, geometry."""

    row: int
    values: dict[str, Any]
    geometry: bytes | None  # WKB in the source CRS (x = easting/longitude)


@dataclass
class Batch:
    """Consecutive rows of a file, column by column (the fast path: no dict per row)."""

    rows: list[int]
    columns: dict[str, list[Any]]  # file column → one value per row (None when missing)
    geometries: list[bytes | None]
    extras: dict[int, dict[str, Any]] = field(default_factory=dict)  # row → reader notes


def batched(records: Iterator[Record], fields: list[str], size: int) -> Iterator[Batch]:
    """Return ``records`` grouped into batches of ``size``."""
    chunk: list[Record] = []
    for rec in records:
        chunk.append(rec)
        if len(chunk) >= size:
            yield _batch(chunk, fields)
            chunk = []
    if chunk:
        yield _batch(chunk, fields)


def _batch(chunk: list[Record], fields: list[str]) -> Batch:
    extras = {r.row: {k: v for k, v in r.values.items() if k.startswith("__")}
              for r in chunk if any(k.startswith("__") for k in r.values)}
    return Batch([r.row for r in chunk], {f: [r.values.get(f) for r in chunk] for f in fields},
                 [r.geometry for r in chunk], extras)


@dataclass
class Source:
    """An opened layer of a file and how to read it (the subclasses know the format)."""

    path: Path  # the file read (inside an unpacked zip: the member)
    display: str  # what messages call it: the name the user gave (zip!member)
    format: str  # Shapefile, GeoPackage, …
    layer: str | None
    crs: CRS | None
    fields: list[str]
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)  # what the reader decided (encoding …)
    crs_hint: str = ""  # why the CRS is unknown, when the format says something about it

    def count(self) -> int | None:
        """Return the number of features when known without reading them all."""
        return None

    def records(self) -> Iterator[Record]:
        raise NotImplementedError

    def batches(self, size: int = 10_000) -> Iterator[Batch]:
        """Yield the rows in batches (formats read row by row group their records)."""
        return batched(self.records(), self.fields, size)


class Opener(Protocol):
    def __call__(self, path: Path, display: str, layer: str | None,
                 encoding: str | None) -> Source: ...


def _fail(display: str, detail: str, **where: Any) -> InvalidFile:
    return InvalidFile(f"{display}: {detail}", file=display, **where)


@contextlib.contextmanager
def open_source(path: Path, *, layer: str | None = None, encoding: str | None = None,
                display: str | None = None,
                fast_read_max: int = FAST_READ_MAX_FEATURES) -> Iterator[Source]:
    """Yield the layer to import from ``path`` (a zip is unpacked into a temporary folder
    that is removed afterwards)."""
    display = display or path.name
    with _opened(path, layer, encoding, display) as source:
        if isinstance(source, GdalSource):
            source.fast_read_max = fast_read_max
        yield source


@contextlib.contextmanager
def _opened(path: Path, layer: str | None, encoding: str | None,
            display: str) -> Iterator[Source]:
    if not path.exists():
        raise _fail(display, "no such file")
    if path.is_dir():
        raise _fail(display, "is a folder; give the .shp, .gpkg … file itself or a zip")
    if path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
        with _unzipped(path, display) as (member, inner_display):
            yield _open(member, inner_display, layer, encoding)
        return
    yield _open(path, display, layer, encoding)


@contextlib.contextmanager
def _unzipped(path: Path, display: str) -> Iterator[tuple[Path, str]]:
    """Unpack a zip's data file and its sidecars (CRCs checked) and yield the data file."""
    work = Path(tempfile.mkdtemp(prefix="hromada-ingest-"))
    try:
        chosen = _unzip(path, display, work)
        yield work / Path(chosen).name, f"{display}!{chosen}"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _unzip(path: Path, display: str, work: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")
                     and not Path(n).name.startswith(".") and "__MACOSX" not in n]
            data = sorted((n for n in names if Path(n).suffix.lower() in DATA_SUFFIXES),
                          key=lambda n: (DATA_SUFFIXES.index(Path(n).suffix.lower()), n))
            if not data:
                raise _fail(display, "the zip holds no file this importer reads ("
                            + ", ".join(DATA_SUFFIXES) + "); it holds: "
                            + (", ".join(names[:10]) or "nothing"))
            chosen = data[0]
            stem = chosen[: -len(Path(chosen).suffix)]
            for name in (n for n in names if n.startswith(stem + ".")):
                with zf.open(name) as src, (work / Path(name).name).open("wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)  # the CRC is checked at the end
            return chosen
    except zipfile.BadZipFile as exc:
        raise _fail(display, f"not a readable zip archive ({exc}); the download or copy may "
                    "have been cut short: make the zip again") from None
    except (OSError, EOFError, zipfile.LargeZipFile) as exc:
        raise _fail(display, f"the zip archive is damaged ({exc}); make the zip again") from None


def _open(path: Path, display: str, layer: str | None, encoding: str | None) -> Source:
    suffix = path.suffix.lower()
    if suffix == ".csv" or suffix == ".txt":
        from ingest.formats.csv import CsvSource

        return CsvSource.open(path, display, encoding)
    if suffix == ".xml":
        from ingest.formats.ua_xml import open_exchange_file

        return open_exchange_file(path, display, layer)
    if suffix == ".kml":
        from ingest.formats.kml import KmlSource

        return KmlSource.open(path, display)
    if suffix == ".dxf":
        from ingest.formats.dxf import DxfSource

        return DxfSource.open(path, display, layer, encoding)
    if suffix in FIONA_DRIVERS:
        return GdalSource.open(path, display, layer, encoding)
    if suffix in (".shx", ".dbf", ".prj", ".cpg"):
        raise _fail(display, "is a part of a Shapefile; give the .shp (with .shx, .dbf and .prj "
                    "beside it) or a zip of them all")
    raise _fail(display, f"unknown file type {suffix or '(none)'}; this importer reads "
                + ", ".join(sorted(set(FORMAT_NAMES.values()))) + " and zips of them")


# -- Shapefile encodings -----------------------------------------------------------------

UA_LOWER = set("абвгґдеєжзиіїйклмнопрстуфхцчшщьюяыэъё")


def cyrillic_score(text: str) -> float:
    """Return the share of non-ASCII letters in ``text`` that are lower-case Cyrillic.

    Text decoded with the right code page reads mostly as lower-case words; the wrong one
    gives upper case, box drawing or Latin-1 symbols.

    >>> cyrillic_score("вулиця Шевченка"), cyrillic_score("Хмельницький".encode("cp866")
    ...                                                    .decode("cp1251", errors="replace"))
    (0.9285714285714286, 0.25)
    """
    high = [c for c in text if ord(c) > 127]
    if not high:
        return 0.0
    return sum(c in UA_LOWER for c in high) / len(high)


def guess_encoding(sample: bytes) -> str | None:
    """Return the encoding of DBF text without a ``.cpg``: UTF-8 when it decodes as such,
    else the Cyrillic code page (cp1251, or DOS cp866) whose reading looks like words;
    None for plain ASCII.

    >>> guess_encoding("Хмельницький".encode("cp1251")), guess_encoding("Київ".encode())
    ('cp1251', 'utf-8')
    >>> guess_encoding("Хмельницький".encode("cp866")), guess_encoding(b"Main st")
    ('cp866', None)
    """
    if sample.isascii():
        return None
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(sample) - 4:  # a character cut by the end of the sample
            return "utf-8"
    scores = {enc: cyrillic_score(sample.decode(enc, errors="replace"))
              for enc in ("cp1251", "cp866")}
    return max(scores, key=lambda e: scores[e])


def dbf_encoding(dbf: Path, sample_bytes: int = 2 << 20) -> str | None:
    """Return the encoding of a DBF's text read from its first records (None: ASCII)."""
    with dbf.open("rb") as f:
        header = f.read(32)
        if len(header) < 32:
            return None
        header_len = int.from_bytes(header[8:10], "little")
        f.seek(header_len)
        return guess_encoding(f.read(sample_bytes))


def _sidecar(path: Path, suffix: str) -> Path | None:
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.exists():
            return candidate
    return None


def check_shapefile(path: Path, display: str) -> None:
    """Raise InvalidFile naming what a Shapefile lacks (its index or its attributes)."""
    if _sidecar(path, ".shx") is None:
        raise _fail(display, f"the Shapefile's index {path.stem}.shx is missing (a Shapefile is "
                    ".shp + .shx + .dbf, with .prj for its CRS): put it beside the .shp or zip "
                    "all the parts together")
    if _sidecar(path, ".dbf") is None:
        raise _fail(display, f"the Shapefile's attribute table {path.stem}.dbf is missing: "
                    "put it beside the .shp or zip all the parts together")


# -- GDAL -----------------------------------------------------------------------------------

def _fiona() -> Any:
    import fiona

    fiona.drvsupport.supported_drivers.setdefault("KML", "r")  # GDAL reads it (expat)
    return fiona


def choose_layer(layers: list[str], wanted: str | None, display: str) -> str | None:
    """Return the layer to read: ``wanted``, the only one, or raise naming the choices."""
    if wanted is not None:
        if wanted not in layers:
            raise _fail(display, f"has no layer {wanted!r}; its layers: {', '.join(layers)}")
        return wanted
    if len(layers) <= 1:
        return layers[0] if layers else None
    raise _fail(display, f"holds {len(layers)} layers ({', '.join(layers)}); choose one with "
                "--layer NAME")


def crs_of(value: Any) -> CRS | None:
    """Return a pyproj CRS of a CRS that GDAL reported (None when the file has none)."""
    if not value:
        return None
    try:
        wkt = value.to_wkt() if hasattr(value, "to_wkt") else value
        return CRS.from_user_input(wkt) if wkt else None
    except Exception:  # an unreadable .prj is as good as none: --crs then says what it is
        return None


def column(values: Any) -> list[Any]:
    """Return a numpy column GDAL read as Python values: NaN and NaT → None, dates as dates."""
    import numpy as np

    kind = values.dtype.kind
    if kind == "M":
        return list(values.astype("datetime64[D]").astype(object))
    if kind == "f":
        return [None if v != v else v for v in values.tolist()]  # NaN is not equal to itself
    if kind in "iub":
        return list(values.tolist())
    return list(values.tolist() if isinstance(values, np.ndarray) else values)


@dataclass
class GdalSource(Source):
    """A layer read through GDAL in batches of columns (pyogrio): Shapefile, GeoPackage,
    GeoJSON. GDAL hands over WKB and typed columns, so a row costs microseconds."""

    driver: str = ""
    total: int | None = None
    # files with more features than this stream through fiona (one open dataset, constant
    # memory, ~10x slower): pyogrio's batches keep ~0.4 kB per feature read (GDAL/pyogrio
    # retain memory between chunked reads), which a file larger than memory cannot afford
    fast_read_max: int = FAST_READ_MAX_FEATURES

    @classmethod
    def open(cls, path: Path, display: str, layer: str | None,
             encoding: str | None) -> GdalSource:
        import pyogrio

        suffix = path.suffix.lower()
        notes: list[str] = []
        if suffix == ".shp":
            check_shapefile(path, display)
            if encoding is None and _sidecar(path, ".cpg") is None:
                dbf = _sidecar(path, ".dbf")
                assert dbf is not None
                encoding = dbf_encoding(dbf)
                if encoding:
                    notes.append(f"no .cpg beside the Shapefile: its text reads as {encoding}")
        try:
            layers = [str(name) for name, _ in pyogrio.list_layers(str(path))]
            chosen = choose_layer(layers, layer, display)
            info = pyogrio.read_info(str(path), layer=chosen, encoding=encoding)
        except InvalidFile:
            raise
        except Exception as exc:
            raise _fail(display, f"cannot be read as {FORMAT_NAMES[suffix]}: "
                        f"{_gdal_reason(exc)}") from None
        count = int(info.get("features") or 0)
        return cls(path=path, display=display, format=FORMAT_NAMES[suffix], layer=chosen,
                   crs=crs_of(info.get("crs")), fields=[str(f) for f in info["fields"]],
                   encoding=encoding, notes=notes, driver=str(info.get("driver") or ""),
                   total=count if count >= 0 else None)

    def count(self) -> int | None:
        return self.total

    def batches(self, size: int = 20_000) -> Iterator[Batch]:
        if self.total is None or self.total > self.fast_read_max:
            return batched(self._streamed(), self.fields, size)
        return self._fast(size)

    def _streamed(self) -> Iterator[Record]:
        """Yield the features one by one from one open dataset (fiona): constant memory."""
        with _fiona().open(str(self.path), layer=self.layer, encoding=self.encoding) as c:
            for row, feat in enumerate(c, 1):
                geometry = None
                if feat.geometry is not None:
                    from shapely.geometry import shape

                    try:
                        geometry = shape(feat.geometry).wkb
                    except Exception as exc:  # e.g. a ring of two points
                        yield Record(row, {**dict(feat.properties),
                                           "__geometry_error__": str(exc)}, None)
                        continue
                yield Record(row, dict(feat.properties), geometry)

    def _fast(self, size: int) -> Iterator[Batch]:
        from pyogrio import raw

        if self.format == "GeoJSON":
            size = max(size, 100_000)  # GDAL skips GeoJSON features by reading them
        done = 0
        while True:
            try:
                meta, _, geometry, values = raw.read(
                    str(self.path), layer=self.layer, encoding=self.encoding,
                    skip_features=done, max_features=size)
            except Exception as exc:
                raise _fail(self.display, f"features after row {done} cannot be read: "
                            f"{_gdal_reason(exc)}", row=done + 1) from None
            n = len(geometry)
            if n == 0:
                return
            names = [str(f) for f in meta["fields"]]
            yield Batch(list(range(done + 1, done + n + 1)),
                        {name: column(v) for name, v in zip(names, values, strict=True)},
                        [bytes(g) if g is not None else None for g in geometry])
            done += n
            if n < size:
                return

    def records(self) -> Iterator[Record]:
        if self.total is None or self.total > self.fast_read_max:
            yield from self._streamed()
            return
        for batch in self.batches():
            for i, row in enumerate(batch.rows):
                yield Record(row, {k: v[i] for k, v in batch.columns.items()},
                             batch.geometries[i])


def _gdal_reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]
