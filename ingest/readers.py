"""Reading a council's files: Shapefile, GeoPackage, GeoJSON, KML, DXF (through fiona/GDAL),
CSV, Excel workbooks and the cadastral exchange XML (``ingest.formats``), and zips of any of
these.

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
from typing import Any, BinaryIO, Protocol

from pyproj import CRS

from gis.errors import InvalidFile, InvalidParameter

# GDAL files with more features than this stream through fiona (see GdalSource)
FAST_READ_MAX_FEATURES = 1_000_000
# what a zip may hold, in the order a member is chosen when several are there
DATA_SUFFIXES = (".shp", ".gpkg", ".tab", ".mif", ".geojson", ".json", ".kml", ".dxf", ".csv",
                 ".xlsx", ".ods", ".xml")
FIONA_DRIVERS = {".shp": "ESRI Shapefile", ".gpkg": "GPKG", ".tab": "MapInfo File",
                 ".mif": "MapInfo File", ".geojson": "GeoJSON", ".json": "GeoJSON",
                 ".kml": "KML", ".dxf": "DXF"}
# what a format is called in messages and reports
FORMAT_NAMES = {".shp": "Shapefile", ".gpkg": "GeoPackage", ".tab": "MapInfo TAB",
                ".mif": "MapInfo MIF/MID", ".geojson": "GeoJSON",
                ".json": "GeoJSON", ".kml": "KML", ".dxf": "DXF", ".csv": "CSV",
                ".xlsx": "Excel workbook (XLSX)", ".ods": "LibreOffice workbook (ODS)",
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
    # text columns the format holds in a fixed number of bytes (a DBF's), and the encoding
    # they are counted in: a value that fills its column may have been cut by the writer
    text_widths: dict[str, int] = field(default_factory=dict)
    width_encoding: str = "utf-8"
    # columns that hold the geometry (a CSV's coordinates or WKT): no field is mapped from them
    geometry_columns: tuple[str, ...] = ()

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
                display: str | None = None, fast_read_max: int = FAST_READ_MAX_FEATURES,
                feature_ids: bool = False) -> Iterator[Source]:
    """Yield the layer to import from ``path`` (a zip is unpacked into a temporary folder
    that is removed afterwards). ``feature_ids``: a GeoJSON file's features' own ids (their
    ``id`` members) are wanted as its ``id`` column (``--keep-ids``)."""
    display = display or path.name
    if encoding is not None:
        encoding = text_encoding(encoding)
    with _opened(path, layer, encoding, display, feature_ids) as source:
        if isinstance(source, GdalSource):
            source.fast_read_max = fast_read_max
        yield source


def text_encoding(name: str) -> str:
    """Return ``name`` if it is a text encoding Python reads, else raise InvalidParameter.

    >>> text_encoding("CP1251")
    'CP1251'
    >>> text_encoding("base64")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gis.errors.InvalidParameter: --encoding 'base64' is not a text encoding; e.g. utf-8, ...
    """
    import codecs

    try:
        known = codecs.lookup(name)._is_text_encoding  # base64, rot13 … are not
    except LookupError:
        known = False
    if not known:
        raise InvalidParameter(f"--encoding {name!r} is not a text encoding; e.g. utf-8, "
                               "cp1251 (Windows Cyrillic) or cp866 (DOS)", parameter="encoding")
    return name


@contextlib.contextmanager
def _opened(path: Path, layer: str | None, encoding: str | None,
            display: str, feature_ids: bool = False) -> Iterator[Source]:
    if not path.exists():
        raise _fail(display, "no such file")
    if path.is_dir():
        raise _fail(display, "is a folder; give the .shp, .gpkg … file itself or a zip")
    if path.stat().st_size == 0:
        raise _fail(display, "is empty (0 bytes); the copy or download may have failed")
    # a workbook is a zip of XML parts itself
    if path.suffix.lower() == ".zip" or (path.suffix.lower() not in (".xlsx", ".ods")
                                         and zipfile.is_zipfile(path)):
        with _unzipped(path, display, layer) as (member, inner_display, inner_layer):
            yield _open(member, inner_display, inner_layer, encoding, feature_ids)
        return
    yield _open(path, display, layer, encoding, feature_ids)


@contextlib.contextmanager
def _unzipped(path: Path, display: str,
              layer: str | None) -> Iterator[tuple[Path, str, str | None]]:
    """Unpack a zip's data file and its sidecars (CRCs checked) and yield the data file, its
    name in messages and the layer to read in it."""
    work = Path(tempfile.mkdtemp(prefix="hromada-ingest-"))
    try:
        chosen, layer, unpacked = _unzip(path, display, work, layer)
        yield unpacked, f"{display}!{chosen}", layer
    finally:
        shutil.rmtree(work, ignore_errors=True)


def zip_members(names: list[str]) -> list[str]:
    """Return the members of a zip an import could read, a Shapefile's metadata (ArcGIS's
    ``x.shp.xml``) and hidden or macOS files left out.

    >>> zip_members(["a/x.shp", "a/x.shx", "a/x.shp.xml", "b.csv", "__MACOSX/._b.csv"])
    ['a/x.shp', 'b.csv']
    """
    names = [n for n in names if not n.endswith("/") and not Path(n).name.startswith(".")
             and "__MACOSX" not in n]
    data = [n for n in names if Path(n).suffix.lower() in DATA_SUFFIXES]
    sidecar = {n for n in data for c in data if c != n and n.lower().startswith(c.lower() + ".")}
    return sorted((n for n in data if n not in sidecar),
                  key=lambda n: (DATA_SUFFIXES.index(Path(n).suffix.lower()), n))


# the zip format's flag saying a member's name is UTF-8; without it, zipfile reads the name as
# cp437 (the format's default)
ZIP_UTF8_FLAG = 0x800


def member_name(info: zipfile.ZipInfo) -> str:
    """Return a zip member's name as its writer meant it.

    A name without the UTF-8 flag is in the writing machine's OEM code page: on a Ukrainian or
    Russian Windows (Explorer's "Send to → Compressed folder", old Info-ZIP) that is cp866,
    which :mod:`zipfile` reads as cp437 (``Київ`` as ``è¿⌡ó``). Such a name is read as UTF-8
    when it is valid UTF-8 (some tools write it without the flag), else as cp866.

    >>> info = zipfile.ZipInfo("Київ.shp".encode("cp866").decode("cp437"))
    >>> member_name(info), member_name(zipfile.ZipInfo("plain.shp"))
    ('Київ.shp', 'plain.shp')
    """
    name = info.filename
    if info.flag_bits & ZIP_UTF8_FLAG or name.isascii():
        return name
    raw = name.encode("cp437")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp866")


def _unzip(path: Path, display: str, work: Path,
           layer: str | None) -> tuple[str, str | None, Path]:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {member_name(i): i for i in zf.infolist() if not i.filename.endswith("/")}
            names = list(infos)
            data = zip_members(names)
            if not data:
                raise _fail(display, "the zip holds no file this importer reads ("
                            + ", ".join(DATA_SUFFIXES) + "); it holds: "
                            + (", ".join(names[:10]) or "nothing"))
            chosen = data[0]
            if len(data) > 1:  # --layer names the member (its name, with or without folder)
                wanted = (layer or "").lower()
                hits = [n for n in data if wanted in (n.lower(), Path(n).name.lower(),
                                                       Path(n).stem.lower())]
                if not wanted or len(hits) != 1:
                    shown = ", ".join(data[:20]) + (f" … ({len(data)} in all)"
                                                     if len(data) > 20 else "")
                    raise _fail(display, f"the zip holds {len(data)} files this importer "
                                f"reads: {shown}; name the one to import with --layer (e.g. "
                                f"--layer {Path(data[0]).stem})"
                                + (f"; {layer!r} is none of them" if wanted else ""))
                chosen, layer = hits[0], None
            stem = chosen[: -len(Path(chosen).suffix)]
            members = [n for n in names if n == chosen or n.startswith(stem + ".")]
            _check_room(display, work, [infos[n] for n in members])
            base = Path(stem).name
            short = disk_stem(base)
            for name in members:  # the sidecars keep their suffixes after the stem
                _extract(zf, infos[name], work / (short + Path(name).name[len(base):]),
                         display)
            return chosen, layer, work / (short + Path(chosen).name[len(base):])
    except zipfile.BadZipFile as exc:
        raise _fail(display, f"not a readable zip archive ({exc}); the download or copy may "
                    "have been cut short: make the zip again") from None
    except (OSError, EOFError, zipfile.LargeZipFile) as exc:
        # an OSError's text would name the server's temporary folder
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise _fail(display, f"the zip archive is damaged ({why}); make the zip again") from None


def disk_stem(name: str, limit: int = 160) -> str:
    """Return ``name`` cut to ``limit`` bytes (UTF-8): a Windows name of 255 characters,
    Cyrillic ones taking two bytes each, is more than a Linux disk holds (255 bytes) once
    unpacked; its suffixes go after it.

    >>> disk_stem("Схема"), len(disk_stem("Схема розміщення " * 20).encode())
    ('Схема', 160)
    """
    while len(name.encode("utf-8", "surrogatepass")) > limit:
        name = name[:-1]
    return name


# room the unpacked files must leave on the temporary folder's disk
ZIP_SPARE_BYTES = 1 << 30


def _check_room(display: str, work: Path, members: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip whose files would not fit on the temporary disk with room to spare,
    before unpacking any (a zip bomb, or simply a city too large for the server's disk)."""
    need = sum(m.file_size for m in members)
    free = shutil.disk_usage(work).free
    if need > free - ZIP_SPARE_BYTES:
        raise _fail(display, f"unpacked, the zip's files take {need / 1e9:.1f} GB; the "
                    f"server's temporary folder has {max(free, 0) / 1e9:.1f} GB free and "
                    f"keeps {ZIP_SPARE_BYTES / 1e9:.1f} GB spare: import the files "
                    "unzipped, or free disk space")


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, display: str) -> None:
    """Unpack one member, never more bytes than its header declares (the CRC is checked
    at the end by zipfile)."""
    written = 0
    with zf.open(info) as src, target.open("wb") as out:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > info.file_size:
                raise _fail(display, f"{member_name(info)} unpacks to more than the "
                            f"{info.file_size} bytes its zip header declares; refused")
            out.write(chunk)


def _sniffed(path: Path, suffix: str) -> str:
    """Return the GDAL driver a GeoPackage's or GeoJSON's first bytes say it is ("" when
    they do not tell): a GeoPackage is an SQLite database, a GeoJSON a JSON object."""
    if suffix not in (".gpkg", ".geojson", ".json"):
        return ""
    with path.open("rb") as f:
        head = f.read(64)
    if head.startswith(b"SQLite format 3\x00"):
        return "GPKG"
    if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"{"):
        return "GeoJSON"
    return ""


# the formats GDAL may find a file to be, by content, and the names such a file has
CONTENT_SUFFIXES = {"GPKG": (".gpkg",), "GeoJSON": (".geojson", ".json"),
                    "ESRI Shapefile": (".shp",), "MapInfo File": (".tab", ".mif"),
                    "DXF": (".dxf",)}


def _check_content(display: str, suffix: str, driver: str) -> None:
    """Refuse a file GDAL read as another of our formats than its name says (a GeoJSON named
    .gpkg): each format has checks of its own (a GeoJSON's NUL texts and own ids, a
    Shapefile's code page), chosen by the name, and the report would name the wrong format.

    >>> _check_content("a.gpkg", ".gpkg", "GPKG")
    >>> _check_content("a.gpkg", ".gpkg", "GeoJSON")
    Traceback (most recent call last):
    gis.errors.InvalidFile: a.gpkg: is a GeoJSON file, not a GeoPackage; rename it a.geojson
    """
    names = CONTENT_SUFFIXES.get(driver)
    if names is None or suffix in names:
        return  # (a format of GDAL's we do not name, e.g. TopoJSON in a .json: as before)
    real = FORMAT_NAMES[names[0]]
    stem = display.rsplit("!", 1)[-1]
    stem = stem[: -len(suffix)] if stem.lower().endswith(suffix) else stem
    raise _fail(display, f"is a {real} file, not a {FORMAT_NAMES[suffix]}; rename it "
                f"{Path(stem).name}{names[0]}")


def _open(path: Path, display: str, layer: str | None, encoding: str | None,
          feature_ids: bool = False) -> Source:
    suffix = path.suffix.lower()
    if suffix == ".csv" or suffix == ".txt":
        from ingest.formats.csv import CsvSource

        return CsvSource.open(path, display, encoding)
    if suffix in (".xlsx", ".ods"):
        from ingest.formats.xlsx import SheetSource

        return SheetSource.open(path, display, layer)
    if suffix == ".xls":
        raise _fail(display, "is an Excel 97–2003 workbook, which this importer does not read; "
                    "save it from Excel as .xlsx (Excel workbook) or CSV")
    if suffix == ".xml":
        from ingest.formats.ua_xml import open_exchange_file

        return open_exchange_file(path, display, layer)
    if suffix == ".kml":
        from ingest.formats.kml import KmlSource

        return KmlSource.open(path, display, layer)
    if suffix == ".dxf":
        from ingest.formats.dxf import DxfSource

        return DxfSource.open(path, display, layer, encoding)
    if suffix in FIONA_DRIVERS:
        return GdalSource.open(path, display, layer, encoding, feature_ids=feature_ids)
    if suffix in (".dat", ".map", ".id", ".mid"):
        raise _fail(display, "is a part of a MapInfo table; give the .tab (with .dat, .map and "
                    ".id beside it) or the .mif (with its .mid), or a zip of them all")
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
        header_len = _dbf_header_length(f)
        if header_len is None:
            return None
        f.seek(header_len)
        return guess_encoding(f.read(sample_bytes))


def _dbf_header_length(f: BinaryIO) -> int | None:
    """Return the length of the DBF header ``f`` starts with (its field descriptors; the
    records follow), or None for a file too short to have one; ``f`` is left after its first
    32 bytes, where the descriptors begin."""
    header = f.read(32)
    return int.from_bytes(header[8:10], "little") if len(header) == 32 else None


# the most bytes a DBF text column holds: a writer cuts a longer value there (GDAL, and our
# Shapefile export, at a character's boundary: up to 3 bytes short in UTF-8)
DBF_TEXT_BYTES = 254


def dbf_text_widths(dbf: Path, encoding: str | None) -> dict[str, int]:
    """Return the width in bytes of each text (``C``) column of a DBF, by column name.

    A DBF holds a text value in a fixed number of bytes (at most 254, GDAL's default 80 … in
    the file's encoding): a longer value was cut when the file was written.
    """
    widths: dict[str, int] = {}
    with dbf.open("rb") as f:
        for desc in _dbf_descriptors(f):
            name = desc[:11].split(b"\0", 1)[0].decode(encoding or "utf-8", errors="replace")
            if desc[11:12] == b"C":
                widths[name.strip()] = desc[16]
    return widths


def _dbf_descriptors(f: BinaryIO) -> list[bytes]:
    """Return the 32-byte field descriptors of the DBF ``f`` starts with (name in the first
    11 bytes, type in the 12th, width in the 17th), leaving ``f`` where its records begin."""
    header_len = _dbf_header_length(f)
    found: list[bytes] = []
    while header_len is not None and f.tell() + 32 <= header_len:
        desc = f.read(32)
        if len(desc) < 32 or desc[0] == 0x0D:
            break
        found.append(desc)
    if header_len is not None:
        f.seek(header_len)
    return found


def cpg_encoding(cpg: Path) -> str:
    """Return the Python codec a ``.cpg`` names (``UTF-8``, ``1251``, ``ANSI 1251`` …;
    UTF-8 when it names none Python knows).

    >>> import tempfile
    >>> cpg = Path(tempfile.mkdtemp()) / "x.cpg"
    >>> [cpg.write_text(t) and cpg_encoding(cpg) for t in ("UTF-8", "1251", "ANSI 1251 ", "CP866",
    ...                                                     "nonsense")]
    ['utf-8', 'cp1251', 'cp1251', 'cp866', 'utf-8']
    >>> cpg.unlink(); cpg.parent.rmdir()
    """
    import codecs

    text = cpg.read_text(encoding="ascii", errors="replace").strip().upper()
    text = text.removeprefix("ANSI").strip()
    for name in (f"cp{text}" if text.isdigit() else text, text):
        try:
            return codecs.lookup(name).name.replace("_", "-")
        except LookupError:
            continue
    return "utf-8"


def check_cpg(dbf: Path, declared: str, display: str) -> None:
    """Refuse a Shapefile whose ``.cpg`` names another encoding than its text is in (a
    cp1251 file beside a ``.cpg`` saying UTF-8, as tools write it by default), saying what the
    text reads as and how to import it; the decoder's error named no file, column or cure.

    A single-byte code page decodes anything: a ``.cpg`` naming one over text that is valid
    UTF-8 (and not plain ASCII) is taken as the same mistake the other way.
    """
    with dbf.open("rb") as f:
        names = [desc[:11].split(b"\0", 1)[0] for desc in _dbf_descriptors(f)]
        sample = f.read(2 << 20)
        found = guess_encoding(sample)
    try:
        b"\n".join(names).decode(declared)
        names_ok = True
    except UnicodeDecodeError:
        names_ok = False
    wrong = not names_ok or (found is not None and found != declared and (
        declared == "utf-8" or found == "utf-8"))
    if wrong:
        reads = found if found and found != declared else "cp1251"
        raise _fail(display, f"its .cpg says the text is {declared}, but the "
                    f"{'column names are' if not names_ok else 'text is'} not: it reads as "
                    f"{reads}; import it with --encoding {reads} (or correct the .cpg)")
    cyrillic = cyrillic_mojibake(sample, declared)
    if cyrillic is not None:
        reads, word = cyrillic
        seen, meant = word.decode(declared, "replace"), word.decode(reads, "replace")
        raise _fail(display, f"its .cpg says the text is {declared}, a Western code page, but "
                    f"the text is Cyrillic in {reads} ({seen!r} is {meant!r}); import it with "
                    f"--encoding {reads} (or correct the .cpg)")


# single-byte code pages of Latin script that a .cpg names (ArcGIS on a Western PC writes
# "ANSI 1252"): Cyrillic text read in one of them is mojibake ("Ïàíäóñ" for "Пандус")
LATIN_CODE_PAGES = frozenset({"cp1252", "cp1250", "cp1254", "cp1257", "cp437", "cp850",
                              "cp852", "cp858", "iso8859-1", "iso8859-2", "iso8859-15",
                              "latin-1", "mac-roman"})


def cyrillic_mojibake(sample: bytes, declared: str) -> tuple[str, bytes] | None:
    """Return the Cyrillic code page ``sample`` (text a ``.cpg`` says is in ``declared``)
    really is in, and its first word that shows it, when the signal is strong; else None.

    Strong: most of the letters are not ASCII (a French or German text has a few accented
    letters among many plain ones, which read as Cyrillic letters too), and in the Cyrillic
    code page the text reads as lower-case words.

    >>> text = "Пандус біля школи №5".encode("cp1251")
    >>> cyrillic_mojibake(text, "cp1252")
    ('cp1251', b'\\xcf\\xe0\\xed\\xe4\\xf3\\xf1')
    >>> cyrillic_mojibake("Hélène Müller, Bürgerstraße, Café".encode("cp1252"), "cp1252")
    >>> cyrillic_mojibake("Ελληνικά γράμματα".encode("cp1253"), "cp1253")  # not Latin
    """
    if declared not in LATIN_CODE_PAGES or sample.isascii():
        return None
    letters = [c for c in sample.decode(declared, errors="replace") if c.isalpha()]
    high = sum(ord(c) > 127 for c in letters)
    if high < 8 or high < 0.5 * len(letters):
        return None
    reads = guess_encoding(sample)
    if reads not in ("cp1251", "cp866") or cyrillic_score(sample.decode(reads, "replace")) < 0.7:
        return None
    word = next(w for w in sample.replace(b"\0", b" ").split() if not w.isascii())
    return reads, word[:30]


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


def choose_layer(layers: list[str], wanted: str | None, display: str,
                 spatial: list[str] | None = None) -> str | None:
    """Return the layer to read: ``wanted``, the only one, the only one of ``spatial`` (the
    layers that have a geometry column, when known), or raise naming the choices.

    A GeoPackage often holds a layer and attribute tables beside it (a code list, QGIS's
    styles): no registry's objects come from a table without geometries, so they are no choice.

    >>> choose_layer(["parcels", "categories"], None, "x.gpkg", spatial=["parcels"])
    'parcels'
    >>> choose_layer(["parcels", "categories"], "categories", "x.gpkg", spatial=["parcels"])
    'categories'
    >>> choose_layer(["a", "b", "t"], None, "x.gpkg", spatial=["a", "b"])
    Traceback (most recent call last):
    ...
    gis.errors.InvalidFile: x.gpkg: holds 2 layers with geometries (a, b) and 1 table ...
    """
    if wanted is not None:
        if wanted not in layers:
            raise _fail(display, f"has no layer {wanted!r}; its layers: {', '.join(layers)}")
        return wanted
    if len(layers) <= 1:
        return layers[0] if layers else None
    if spatial is not None and len(spatial) == 1:
        return spatial[0]
    if spatial and len(spatial) < len(layers):
        tables = len(layers) - len(spatial)
        raise _fail(display, f"holds {len(spatial)} layers with geometries "
                    f"({', '.join(spatial)}) and {tables} table{'s' if tables > 1 else ''} "
                    "without; choose one with --layer NAME")
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


def structured(value: Any) -> Any:
    """Return a GeoJSON property's array or object, which GDAL hands over as JSON text (or a
    list type's numpy array), as a Python list or dict; any other value as it is.

    >>> import numpy as np
    >>> structured('[ "ramp" ]'), structured('{ "a": 1 }'), structured(np.array([1, 2]))
    (['ramp'], {'a': 1}, [1, 2])
    >>> structured("ramp"), structured("[not json"), structured(None)
    ('ramp', '[not json', None)
    """
    import json

    if isinstance(value, str):
        if value[:1] in ("{", "["):
            try:
                return json.loads(value)
            except ValueError:  # a text of its own that only begins like JSON
                return value
        return value
    return value.tolist() if hasattr(value, "tolist") else value


@dataclass
class GdalSource(Source):
    """A layer read through GDAL in batches of columns (pyogrio): Shapefile, GeoPackage,
    GeoJSON. GDAL hands over WKB and typed columns, so a row costs microseconds."""

    driver: str = ""
    total: int | None = None
    date_fields: list[str] = field(default_factory=list)  # fields GDAL types as date/time
    # set when GDAL cannot hand over a date (e.g. 30 February in a DBF): dates are then read
    # as text, so the importer names the row and field of the bad one instead of the file
    dates_as_text: bool = False
    # files with more features than this stream through fiona (one open dataset, constant
    # memory, ~10x slower): pyogrio's batches keep ~0.4 kB per feature read (GDAL/pyogrio
    # retain memory between chunked reads), which a file larger than memory cannot afford
    fast_read_max: int = FAST_READ_MAX_FEATURES
    # GeoJSON features' own ids (their "id" members), in file order, as the "id" column
    # (--keep-ids): our exports and OGC API pages carry the objects' ids there. GDAL reads
    # them as FIDs, and numbers a feature without one, or with a repeated one, itself
    own_ids: list[Any] | None = None
    # GeoJSON properties holding arrays or objects, which GDAL hands over as JSON text (with
    # ARRAY_AS_STRING: else it makes a one-item list of each plain value in an array's column,
    # and "ramp" could not be told from ["ramp"]); they are given as Python lists and dicts, so
    # the mapping can say that such a value is no value of a text field, or keep it for a JSON one
    structured: list[str] = field(default_factory=list)
    open_options: dict[str, str] = field(default_factory=dict)
    # a GeoJSON file's texts holding a NUL, by row and property, as the file has them: GDAL
    # cuts them there, and they are given in place of what it read (see geojson_nul_texts)
    nul_texts: dict[int, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path, display: str, layer: str | None,
             encoding: str | None, *, feature_ids: bool = False) -> GdalSource:
        import pyogrio

        suffix = path.suffix.lower()
        notes: list[str] = []
        if suffix == ".shp":
            check_shapefile(path, display)
            dbf, cpg = _sidecar(path, ".dbf"), _sidecar(path, ".cpg")
            assert dbf is not None
            if encoding is None and cpg is None:
                encoding = dbf_encoding(dbf)
                if encoding:
                    notes.append(f"no .cpg beside the Shapefile: its text reads as {encoding}")
            elif encoding is None and cpg is not None:
                check_cpg(dbf, cpg_encoding(cpg), display)
        options = {"ARRAY_AS_STRING": "YES"} if suffix in (".geojson", ".json") else {}
        _check_content(display, suffix, _sniffed(path, suffix))  # (before GDAL's warnings)
        try:
            listed = [(str(name), kind) for name, kind in pyogrio.list_layers(str(path))]
            layers = [name for name, _ in listed]
            spatial = [name for name, kind in listed if kind is not None]
            chosen = choose_layer(layers, layer, display, spatial)
            if layer is None and len(layers) > 1:
                others = [name for name in layers if name != chosen]
                notes.append(f"layer {chosen} read: the only one with geometries; the "
                             f"tables without ({', '.join(others)}) are left out")
            info = pyogrio.read_info(str(path), layer=chosen, encoding=encoding, **options)
        except InvalidFile:
            raise
        except Exception as exc:
            if isinstance(exc, UnicodeDecodeError) and suffix in (".geojson", ".json"):
                raise _not_utf8(path, display, encoding) from None  # (a property's name)
            raise _fail(display, f"cannot be read as {FORMAT_NAMES[suffix]}: "
                        f"{_gdal_reason(exc, path=path)}") from None
        _check_content(display, suffix, str(info.get("driver") or ""))
        if info.get("geometry_type") is None:  # e.g. an attribute table in a GeoPackage
            raise _fail(display, f"layer {chosen} has no geometry column: a registry's "
                        "objects need their geometry (a CSV may give coordinates or WKT)")
        widths: dict[str, int] = {}
        width_encoding = encoding or "utf-8"
        if suffix == ".shp":
            dbf, cpg = _sidecar(path, ".dbf"), _sidecar(path, ".cpg")
            if encoding is None and cpg is not None:
                width_encoding = cpg_encoding(cpg)
            assert dbf is not None
            widths = dbf_text_widths(dbf, width_encoding)
        fields = [str(f) for f in info["fields"]]
        count = int(info.get("features") or 0)
        own_ids = None
        if feature_ids and suffix in (".geojson", ".json") and not any(
                f.strip().lower() == "id" for f in fields):
            own_ids = geojson_feature_ids(path)
            if own_ids is not None and all(i is None for i in own_ids):
                own_ids = None
            if own_ids is not None:
                if len(own_ids) != count:
                    raise _fail(display, f"its {len(own_ids)} features' own ids cannot be "
                                f"matched to the {count} features GDAL reads; put each "
                                "object's id among its properties as a column id")
                fields.append("id")
                notes.append('the features\' own ids (GeoJSON "id") are read as the column id')
        nul_texts = (geojson_nul_texts(path) or {}) if suffix in (".geojson", ".json") else {}
        dates = [str(f) for f, t in zip(info["fields"], info["dtypes"], strict=True)
                 if str(t).startswith("datetime64")]
        subtypes = info.get("ogr_subtypes") or [""] * len(info["fields"])
        structured = [str(f) for f, t, sub in zip(info["fields"], info["dtypes"], subtypes,
                                                  strict=True)
                      if str(t).startswith("list(") or sub == "OFSTJSON"]
        return cls(path=path, display=display, format=FORMAT_NAMES[suffix], layer=chosen,
                   crs=crs_of(info.get("crs")), fields=fields, own_ids=own_ids,
                   encoding=encoding, notes=notes, driver=str(info.get("driver") or ""),
                   total=count if count >= 0 else None, date_fields=dates,
                   text_widths=widths, width_encoding=width_encoding, structured=structured,
                   open_options=options, nul_texts=nul_texts)

    def count(self) -> int | None:
        return self.total

    def batches(self, size: int = 20_000) -> Iterator[Batch]:
        if self.total is None or self.total > self.fast_read_max:
            return batched(self._streamed(), self.fields, size)
        return self._fast(size)

    def _streamed(self) -> Iterator[Record]:
        """Yield the features one by one from one open dataset (fiona): constant memory."""
        with _fiona().open(str(self.path), layer=self.layer, encoding=self.encoding) as c:
            for row, feat in _rows_or_fail(c, self):
                geometry = None
                if feat.geometry is not None:
                    from shapely.geometry import shape

                    try:
                        geometry = shape(feat.geometry).wkb
                    except Exception as exc:  # e.g. a ring of two points
                        yield Record(row, {**dict(feat.properties),
                                           "__geometry_error__": str(exc)}, None)
                        continue
                values = dict(feat.properties)
                if self.own_ids is not None:
                    values["id"] = self.own_ids[row - 1]
                values.update(self._nul_texts(row, values))
                yield Record(row, values, geometry)

    def _nul_texts(self, row: int, columns: Any) -> dict[str, str]:
        """Return the texts of ``row`` holding a NUL, as the file has them, for the columns
        GDAL read (a NUL in a column name: GDAL's column is another)."""
        return {k: v for k, v in self.nul_texts.get(row, {}).items() if k in columns}

    def _fast(self, size: int) -> Iterator[Batch]:
        from pyogrio import raw

        if self.format == "GeoJSON":
            size = max(size, 100_000)  # GDAL skips GeoJSON features by reading them
        done = 0
        while True:
            try:
                meta, _, geometry, values = raw.read(
                    str(self.path), encoding=self.encoding, skip_features=done,
                    max_features=size, **self._layer_or_sql(), **self.open_options)
            except Exception as exc:
                if isinstance(exc, UnicodeDecodeError) and self.format == "GeoJSON":
                    raise _not_utf8(self.path, self.display, self.encoding) from None
                if self.date_fields and not self.dates_as_text and _quotable(self):
                    self.dates_as_text = True  # and read this batch again
                    continue
                raise _fail(self.display, f"the rows after row {done} cannot be read: "
                            f"{_gdal_reason(exc, self)}", row=done + 1) from None
            n = len(geometry)
            if n == 0:
                return
            names = [str(f) for f in meta["fields"]]
            columns = {name: column(v) for name, v in zip(names, values, strict=True)}
            for name in self.structured:
                if name in columns:
                    columns[name] = [structured(v) for v in columns[name]]
            if self.own_ids is not None:
                columns["id"] = self.own_ids[done:done + n]
            for row in (r for r in self.nul_texts if done < r <= done + n):
                for name, text in self._nul_texts(row, columns).items():
                    columns[name][row - done - 1] = text
            yield Batch(list(range(done + 1, done + n + 1)), columns,
                        [bytes(g) if g is not None else None for g in geometry])
            done += n
            if n < size:
                return

    def _layer_or_sql(self) -> dict[str, str | None]:
        """Return how pyogrio picks the rows: the layer, or (dates as text) an OGR SQL query
        of every field with the date ones cast to text (GDAL writes them YYYY/MM/DD)."""
        if not self.dates_as_text:
            return {"layer": self.layer}
        read = [f for f in self.fields if not (self.own_ids is not None and f == "id")]
        cols = ", ".join(f'CAST("{f}" AS character(64)) AS "{f}"' if f in self.date_fields
                         else f'"{f}"' for f in read)
        # GDAL's SQL over the uploaded file itself, never PostgreSQL; every name is quoted and
        # _quotable refused names holding a quote
        return {"sql": f'SELECT {cols} FROM "{self.layer}"',  # noqa: S608
                "sql_dialect": "OGRSQL"}

    def records(self) -> Iterator[Record]:
        if self.total is None or self.total > self.fast_read_max:
            yield from self._streamed()
            return
        for batch in self.batches():
            for i, row in enumerate(batch.rows):
                yield Record(row, {k: v[i] for k, v in batch.columns.items()},
                             batch.geometries[i])


def geojson_feature_ids(path: Path, chunk: int = 1 << 20) -> list[Any] | None:
    """Return the ``id`` member of each feature of a GeoJSON FeatureCollection, in file order
    (None for a feature without one), reading one feature at a time; None when the file is
    not a FeatureCollection this can read (GDAL then says what is wrong with it).

    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "x.geojson"
    >>> _ = f.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
    ...                  '"id": 5, "properties": {}}, {"type": "Feature", "properties": '
    ...                  '{"id": 9}}, {"id": "a"}], "totalFeatures": 3}')
    >>> geojson_feature_ids(f), geojson_feature_ids(f, chunk=7)
    ([5, None, 'a'], [5, None, 'a'])
    >>> f.unlink(); f.parent.rmdir()
    """
    try:
        return [feature.get("id") if isinstance(feature, dict) else None
                for feature in geojson_features(path, chunk)]
    except ValueError:  # JSONDecodeError is a ValueError
        return None


# the JSON escape of a NUL character, as a file's bytes hold it (JSON has no "\\U", and its
# hex digits have no case: no other spelling)
_NUL_ESCAPE = b"\\u0000"


def geojson_nul_texts(path: Path, chunk: int = 1 << 20) -> dict[int, dict[str, str]] | None:
    """Return the properties holding a NUL character (JSON ``\\u0000``) of a GeoJSON file's
    features, by row (1-based, in file order), as the file has them; an empty dict when its
    bytes hold no such escape, which is what a file costs that has none: one pass over its
    bytes. None when the file cannot be read one feature at a time (GDAL then says why).

    GDAL cuts a text at its NUL ("a\\u0000b" becomes "a"), so the import, given GDAL's values,
    stored the cut text without a word; given these, it says what it says of a CSV's.

    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "x.geojson"
    >>> _ = f.write_text('{"type": "FeatureCollection", "features": [{"properties": '
    ...                  '{"a": "x"}}, {"properties": {"a": "x\\\\u0000y", "b": 1}}]}')
    >>> geojson_nul_texts(f, chunk=5)
    {2: {'a': 'x\\x00y'}}
    >>> _ = f.write_text('{"type": "FeatureCollection", "features": [{"properties": '
    ...                  '{"a": "x\\\\\\\\u0000"}}]}')  # an escaped backslash, then "u0000"
    >>> geojson_nul_texts(f)
    {}
    >>> f.unlink(); f.parent.rmdir()
    """
    with path.open("rb") as f:
        tail = b""
        while piece := f.read(chunk):
            if _NUL_ESCAPE in tail + piece:
                break
            tail = piece[-(len(_NUL_ESCAPE) - 1):]
        else:
            return {}
    found: dict[int, dict[str, str]] = {}
    try:
        for row, feature in enumerate(geojson_features(path, chunk), 1):
            props = feature.get("properties") if isinstance(feature, dict) else None
            texts = {str(k): v for k, v in (props or {}).items()
                     if isinstance(v, str) and "\x00" in v}
            if texts:
                found[row] = texts
    except ValueError:
        return None
    return found


def geojson_features(path: Path, chunk: int = 1 << 20) -> Iterator[Any]:
    """Yield the features of a GeoJSON FeatureCollection in file order, reading one at a time
    (a file larger than memory streams); raise ValueError when the file is not one."""
    import json

    decoder = json.JSONDecoder()
    with path.open(encoding="utf-8-sig", errors="replace") as f:
        buf, pos, eof = "", 0, False

        def more() -> bool:  # keep what is unread and append the next piece, at least as
            nonlocal buf, pos, eof  # long as that (a feature larger than a piece: no n² work)
            data = f.read(max(chunk, len(buf) - pos))
            if not data:
                eof = True
                return False
            buf, pos = buf[pos:] + data, 0
            return True

        def skip() -> str:  # the next character that is not white space ("" at the end)
            nonlocal pos
            while True:
                while pos < len(buf) and buf[pos] in " \t\r\n":
                    pos += 1
                if pos < len(buf):
                    return buf[pos]
                if not more():
                    return ""

        def value() -> Any:
            nonlocal pos
            while True:
                skip()
                try:
                    found, end = decoder.raw_decode(buf, pos)
                except json.JSONDecodeError:
                    if not more():
                        raise
                    continue
                if end == len(buf) and not eof and more():
                    continue  # a number at the piece's end may go on in the next one
                pos = end
                return found

        def take(char: str) -> None:
            nonlocal pos
            if skip() != char:
                raise ValueError(char)
            pos += 1

        try:
            take("{")
            while skip() != "}":
                key = value()
                take(":")
                if key != "features":
                    value()
                else:
                    take("[")
                    while skip() != "]":
                        yield value()
                        if skip() == ",":
                            pos += 1
                    return
                if skip() == ",":
                    pos += 1
        except IndexError:
            raise ValueError("not a FeatureCollection") from None
    raise ValueError("no features")


def _rows_or_fail(features: Any, source: Source) -> Iterator[tuple[int, Any]]:
    """Number the features from 1; a feature GDAL cannot hand over (a date of 30 February
    in a DBF …) is an error naming its row."""
    it = iter(features)
    row = 0
    while True:
        row += 1
        try:
            feat = next(it)
        except StopIteration:
            return
        except Exception as exc:
            if isinstance(exc, UnicodeDecodeError) and source.format == "GeoJSON":
                raise _not_utf8(source.path, source.display, source.encoding) from None
            raise _fail(source.display, f"row {row} cannot be read: "
                        f"{_gdal_reason(exc, source)}", row=row) from None
        yield row, feat


def _not_utf8(path: Path, display: str, encoding: str | None) -> InvalidFile:
    """Return the error of a GeoJSON file whose text is not UTF-8 (or not ``encoding``),
    naming its first line that is not and what it reads as: Python's decoder names neither,
    and GDAL's reader said only that the rows after row 0 cannot be read."""
    import codecs

    decoder = codecs.getincrementaldecoder(encoding or "utf-8")()
    line, sample = 1, b""
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                # the position counts from the bytes the decoder carried over from the last chunk
                start = max(exc.start - (len(exc.object) - len(chunk)), 0)
                line += chunk[:start].count(b"\n")
                sample = chunk[start:start + 4096]
                break
            line += chunk.count(b"\n")
    reads = guess_encoding(sample) if sample else None
    if reads == (encoding or "utf-8"):
        reads = None
    if encoding is not None:
        return _fail(display, f"line {line} is not {encoding} text"
                     + (f"; it reads as {reads}" if reads else ""), row=line)
    return _fail(display, f"line {line} is not UTF-8 text, which a GeoJSON file must be "
                 "(RFC 8259, RFC 7946)" + (f"; it reads as {reads}" if reads else "")
                 + ": save it as UTF-8" + (f", or import it with --encoding {reads}"
                                           if reads else ""), row=line)


def _quotable(source: GdalSource) -> bool:
    """Whether OGR SQL can name the layer and every field (a double quote cannot be)."""
    return not any('"' in name for name in (source.layer or "", *source.fields))


def _gdal_reason(exc: Exception, source: Source | None = None, path: Path | None = None) -> str:
    """Return GDAL's reason in words a user can act on: no server paths, no driver advice."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    where = path or (source.path if source is not None else None)
    if where is not None:
        text = text.replace(f"'{where}'", "the file").replace(str(where), "the file")
    if "not recognized as being in a supported file format" in text:
        text = "its content is not in this format (damaged, or another kind of file)"
    return text[:300]
