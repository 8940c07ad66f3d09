"""The State Land Cadastre exchange file (``UkrainianCadastralExchangeFile``, versions 0.4–0.7):
parcels (or cadastral quarters) assembled from points → polylines → boundary rings.

Domain §2: X is the northing and Y the easting (geometries are built as x = Y, y = X); a
``Boundary`` chains polylines (``ULID``), each oriented to continue the ring (or cut and
oriented by ``FP``/``TP``); holes (``Externals/Internals``) go to the outer ring holding them.
The file is checked against the 0.7 XSD: a departure where this importer reads (the metric
part, zone and quarter numbers, category, purpose, areas, boundaries) refuses the file with
its line; departures elsewhere (templates leave the surveyor's documentation half-filled)
are listed as notes. Owners' personal data (natural persons' names, tax numbers, addresses)
go only into the registry's personal fields.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from pyproj import CRS

from gis.errors import InvalidFile
from ingest.crs import REGION_LCS, region_tm_zone
from ingest.readers import Record, Source

XSD = Path(__file__).with_name("UAXML-0.7.xsd")
MAX_BYTES = 100 << 20  # an exchange file describes a parcel or a quarter, never gigabytes
ROOT = "UkrainianCadastralExchangeFile"
READ_PARTS = ("/MetricInfo", "/CadastralZoneNumber", "/CadastralQuarterNumber",
              "/CategoryPurposeInfo", "/Area", "/Externals", "/Internals", "/OwnershipInfo")
PARCEL_FIELDS = ["cadastral_number", "category", "purpose_code", "purpose_text",
                 "ownership_form", "area_declared_ha", "area_error_ha", "holder_kind",
                 "holder_name", "holder_edrpou", "holder_rnokpp", "holder_home_address"]
QUARTER_FIELDS = ["quarter_number"]
UCS2000_SWITCH = date(2017, 4, 27)  # the DZK accepts UCS-2000 from this date (domain §3)


@lru_cache(maxsize=1)
def schema() -> Any:
    """Return the 0.7 XML schema (parsed once)."""
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(XSD)))


def parse(path: Path, display: str) -> Any:
    """Return the parsed document (no DTDs, no entities, no network: a file from outside)."""
    from lxml import etree

    if path.stat().st_size > MAX_BYTES:
        raise InvalidFile(f"{display}: {path.stat().st_size >> 20} MB is not one exchange file "
                          f"(at most {MAX_BYTES >> 20} MB); split it by cadastral quarter",
                          file=display)
    try:
        doc = etree.parse(str(path), _parser())
    except etree.XMLSyntaxError as exc:
        doc = _in_code_page(path) if "encoding" in exc.msg.lower() else None
        if doc is None:
            reason = exc.msg.split(", use XML_PARSE_HUGE")[0]  # libxml2's advice to programmers
            raise InvalidFile(f"{display}: not well-formed XML at line {exc.lineno}: "
                              f"{reason}", file=display, row=exc.lineno or 0) from None
    except OSError:  # libxml2 stops reading at bytes that are not in the encoding
        doc = _in_code_page(path)
        if doc is None:
            raise InvalidFile(f"{display}: its text is not in the encoding its XML declaration "
                              "names (UTF-8 when it names none); write the right one, e.g. "
                              "<?xml version='1.0' encoding='windows-1251'?>",
                              file=display) from None
    if doc.docinfo.doctype or doc.docinfo.internalDTD is not None:
        raise InvalidFile(f"{display}: a DOCTYPE (DTD, entities) has no place in an exchange file;"
                          " refused", file=display)
    if doc.getroot().tag != ROOT:
        raise InvalidFile(f"{display}: the root element is <{doc.getroot().tag}>, not <{ROOT}>: "
                          "not a cadastral exchange file", file=display)
    return doc


def _parser(encoding: str | None = None) -> Any:
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, remove_comments=True, encoding=encoding)


def _in_code_page(path: Path) -> Any:
    """Return the document of a file written in a Cyrillic code page without saying so (no
    encoding in its XML declaration: older surveying software), or None when it is not one."""
    from lxml import etree

    from ingest.readers import guess_encoding

    data = path.read_bytes()
    if b"encoding=" in data[:200].split(b"?>", 1)[0]:
        return None  # it names its encoding: the bytes are wrong, not the declaration
    encoding = guess_encoding(data[: 1 << 20])
    if encoding not in ("cp1251", "cp866"):
        return None
    try:
        return etree.fromstring(data, _parser(encoding)).getroottree()
    except etree.XMLSyntaxError:
        return None


def schema_problems(doc: Any) -> tuple[list[str], list[str]]:
    """Return (blocking, other) departures from the 0.7 XSD as ``line N: message``."""
    from lxml import etree

    xsd = schema()
    try:
        xsd.validate(doc)
    except etree.Error as exc:
        return [f"the schema check failed: {exc}"], []
    blocking, other = [], []
    for err in xsd.error_log:
        text = f"line {err.line}: {err.message}"
        path = err.path or ""
        if any(part in path for part in READ_PARTS) and not path.endswith("/ParcelID"):
            blocking.append(text)
        else:
            other.append(text)
    return blocking, other


def _text(el: Any, path: str) -> str | None:
    found = el.find(path)
    if found is None or found.text is None or not found.text.strip():
        return None
    return str(found.text.strip())


@dataclass
class Metric:
    """Points (UIDP → (X, Y)) and polylines (ULID → [UIDP …]) of the file."""

    points: dict[int, tuple[float, float]]
    lines: dict[int, list[int]]


def read_metric(doc: Any, display: str) -> Metric:
    """Return the file's points and polylines; a number given twice with other coordinates or
    points is refused (which of the two the surveyor meant is not ours to guess)."""
    root = doc.getroot()
    points: dict[int, tuple[float, float]] = {}
    seen: dict[tuple[str, int], int] = {}  # (UIDP or ULID, number) → line of its first
    for p in root.iterfind("InfoPart/MetricInfo/PointInfo/Point"):
        try:
            uid = int(_text(p, "UIDP") or "")
            xy = (float(_text(p, "X") or ""), float(_text(p, "Y") or ""))
        except ValueError:
            raise InvalidFile(f"{display}: line {p.sourceline}: a point without a number "
                              "UIDP or numeric X/Y", file=display, row=p.sourceline) from None
        _once(display, seen, "point UIDP", uid, p.sourceline, points.setdefault(uid, xy) != xy)
    lines: dict[int, list[int]] = {}
    for pl in root.iterfind("InfoPart/MetricInfo/Polyline/PL"):
        try:
            ulid, seq = int(_text(pl, "ULID") or ""), [int(x.text) for x in pl.iterfind("Points/P")]
        except (ValueError, TypeError):
            raise InvalidFile(f"{display}: line {pl.sourceline}: a polyline without a number "
                              "ULID or point numbers", file=display, row=pl.sourceline) from None
        _once(display, seen, "polyline ULID", ulid, pl.sourceline,
              lines.setdefault(ulid, seq) != seq)
    return Metric(points, lines)


def _once(display: str, seen: dict[tuple[str, int], int], what: str, number: int, line: int,
          differs: bool) -> None:
    first = seen.setdefault((what, number), line)
    if differs:
        kind = "coordinates" if what.startswith("point") else "points"
        raise InvalidFile(f"{display}: line {line}: {what} {number} is given again with other "
                          f"{kind} than at line {first}; number them apart", file=display,
                          row=line)


class RingProblem(Exception):
    """A boundary that cannot be assembled; the message names the line and what is wrong."""


def assemble_ring(boundary: Any, metric: Metric,
                  notes: list[str] | None = None) -> list[tuple[float, float]]:
    """Return the ring of a ``Boundary`` as (easting, northing) pairs (domain §2.4); what the
    assembly had to mend (a ring closed by a line no polyline draws) goes to ``notes``."""
    refs = []
    for line in boundary.iterfind("Lines/Line"):
        ulid = int(_text(line, "ULID") or "-1")
        first, last = _text(line, "FP"), _text(line, "TP")
        if ulid not in metric.lines:
            raise RingProblem(f"line {line.sourceline}: polyline ULID {ulid} is not in the file")
        refs.append((ulid, int(first) if first else None, int(last) if last else None,
                     line.sourceline))
    if not refs:
        raise RingProblem(f"line {boundary.sourceline}: a boundary without lines")
    chain: list[int] = []
    for i, (ulid, fp, tp, where) in enumerate(refs):
        seq = list(metric.lines[ulid])
        stray = [f"{tag} {n}" for tag, n in (("FP", fp), ("TP", tp)) if n and n not in seq]
        if stray:  # (0 is the schema's default: none given) the whole polyline instead of
            # its part from FP to TP would be another boundary, silently
            raise RingProblem(f"line {where}: {' and '.join(stray)} not on polyline ULID "
                              f"{ulid}, whose points are {', '.join(map(str, seq[:20]))}")
        if fp is not None and tp is not None and fp in seq and tp in seq:
            a, b = seq.index(fp), seq.index(tp)
            seq = seq[a:b + 1] if a <= b else list(reversed(seq[b:a + 1]))
        elif chain:
            if seq[0] != chain[-1] and seq[-1] == chain[-1]:
                seq.reverse()
            elif seq[0] != chain[-1]:
                raise RingProblem(f"line {where}: polyline ULID {ulid} does not continue the "
                                  f"boundary at point UIDP {chain[-1]}")
        elif i + 1 < len(refs):  # the first line: the direction that meets the second
            nxt = metric.lines[refs[i + 1][0]]
            if seq[0] in (nxt[0], nxt[-1]) and seq[-1] not in (nxt[0], nxt[-1]):
                seq.reverse()
        chain += seq[1:] if chain and seq[0] == chain[-1] else seq
    closed = (_text(boundary, "Closed") or "true").lower() != "false"
    if closed and chain[0] != chain[-1]:
        if notes is not None:
            notes.append(f"line {boundary.sourceline}: the boundary ends at point UIDP "
                         f"{chain[-1]}, not at UIDP {chain[0]} where it began; it was closed "
                         "with a straight line no polyline of the file draws")
        chain.append(chain[0])
    missing = [u for u in chain if u not in metric.points]
    if missing:
        raise RingProblem(f"line {boundary.sourceline}: point UIDP {missing[0]} is not in the "
                          "file")
    for u in chain:  # the schema's xsd:double takes NaN and INF
        if not all(math.isfinite(v) for v in metric.points[u]):
            x, y = metric.points[u]
            raise RingProblem(f"line {boundary.sourceline}: point UIDP {u} (X {x}, Y {y}): a "
                              "coordinate is not a finite number")
    return [(metric.points[u][1], metric.points[u][0]) for u in chain]  # x = Y, y = X


def assemble_polygons(externals: Any, metric: Metric, notes: list[str] | None = None) -> bytes:
    """Return the MultiPolygon of an ``Externals`` element as WKB (holes to their rings)."""
    from shapely.geometry import MultiPolygon, Polygon
    from shapely.geometry.polygon import orient

    outers = [assemble_ring(b, metric, notes) for b in externals.iterfind("Boundary")]
    holes = [assemble_ring(b, metric, notes)
             for b in externals.iterfind("Internals/Boundary")]
    if not outers:
        raise RingProblem(f"line {externals.sourceline}: Externals without a Boundary")
    shells: list[list[Any]] = [[o, []] for o in outers]
    for hole in holes:
        inside = [s for s in shells if Polygon(s[0]).contains(Polygon(hole).representative_point())]
        if not inside:
            raise RingProblem(f"line {externals.sourceline}: a hole (Internals) outside every "
                              "outer boundary")
        inside[0][1].append(hole)
    return bytes(MultiPolygon([orient(Polygon(s, h)) for s, h in shells]).wkb)


def exchange_crs(doc: Any, display: str) -> tuple[CRS | None, str]:
    """Return the CRS the file's ``CoordinateSystem`` names (None: needs ``--crs``), and a note."""
    root = doc.getroot()
    system = root.find("InfoPart/MetricInfo/CoordinateSystem")
    tag = system[0].tag if system is not None and len(system) else ""
    zone = _text(root, "InfoPart/CadastralZoneInfo/CadastralZoneNumber") or ""
    region = zone[:2]
    ys = [v for v in (float(y.text) for y in root.iterfind("InfoPart/MetricInfo/PointInfo/Point/Y")
                      if y.text and y.text.strip()) if math.isfinite(v)][:1]
    if tag == "USC2000":
        srid = region_tm_zone(region)
        if srid is None:
            return None, (f"USC2000 without a known KOATUU region ({region or 'none'}): the TM "
                          "zone is not known; pass --crs")
        return CRS.from_epsg(srid), f"USC2000 in region {region}: EPSG:{srid}"
    if tag == "SC63":
        district = system[0][0].tag if len(system[0]) else "X"
        n = int(ys[0] // 1_000_000) if ys else 0
        if district == "X" and 1 <= n <= 7:
            return CRS.from_epsg(7824 + n), f"SK-63 zone X{n}: EPSG:{7824 + n}"
        return CRS.from_user_input(_sk63_custom(district, n)), f"SK-63 zone {district}{n}"
    if tag == "SC42":
        n = int(ys[0] // 1_000_000) if ys else 0
        return (CRS.from_epsg(28400 + n), f"SK-42 zone {n}") if 4 <= n <= 7 else (
            None, "SK-42 without a zone number in Y; pass --crs")
    if tag == "SC42_3":
        n = int(ys[0] // 1_000_000) if ys else 0
        return (CRS.from_epsg(2516 + n), f"SK-42 3° zone {n}") if 7 <= n <= 13 else (
            None, "SK-42 3° without a zone number in Y; pass --crs")
    if tag == "Local":
        text = (system[0].text or "").strip()
        code = "".join(c for c in text if c.isdigit())[:2]
        filed = _text(root, "AdditionalPart/ServiceInfo/FileID/FileDate")
        if code in REGION_LCS and filed and filed >= UCS2000_SWITCH.isoformat():
            return CRS.from_epsg(REGION_LCS[code]), f"{text}: EPSG:{REGION_LCS[code]}"
        return None, (f"local system {text!r} of a file dated {filed}: its parameters are not "
                      "public before 2017; pass --crs with the deployment's definition")
    if tag == "WGS84":
        return CRS.from_epsg(4326), "WGS 84"
    return None, f"unknown coordinate system <{tag}>; pass --crs"


def _sk63_custom(district: str, n: int) -> str:
    """Return the PROJ string of SK-63 districts C, P, T (domain §3.3; unconfirmed)."""
    params = {"C": (21.95, 250_000, 11_057.626), "P": (32.4833, 250_000, 12_900.563),
              "T": (32.9833, 300_000, 11_057.626)}
    lon0, fe, fn = params.get(district, (21.95, 250_000, 11_057.626))
    return (f"+proj=tmerc +lat_0=0 +lon_0={lon0 + 3 * (max(n, 1) - 1)} +k=1 "
            f"+x_0={max(n, 1) * 1_000_000 + fe} +y_0={fn} +ellps=krass +units=m +no_defs "
            "+type=crs +title=Pulkovo_1942_SK63")


def _area_ha(metric_info: Any) -> tuple[str | None, str | None]:
    areas = [(_text(a, "MeasurementUnit"), _text(a, "Size")) for a in metric_info.iterfind("Area")]
    for unit, size in areas:
        if unit == "га" and size:
            return size, _text(metric_info, "Error")
    for unit, size in areas:
        if unit == "кв.м" and size:
            return str(float(size.replace(",", ".")) / 10_000), _text(metric_info, "Error")
    return None, _text(metric_info, "Error")


def _full_name(el: Any) -> str | None:
    parts = [_text(el, p) for p in ("LastName", "FirstName", "MiddleName")]
    return " ".join(p for p in parts if p) or None


def _address(el: Any) -> str | None:
    if el is None:
        return None
    parts = [_text(el, p) for p in ("ZIP", "Region", "District", "Settlement", "Street",
                                    "Building", "Block", "BuildingUnit")]
    return ", ".join(p for p in parts if p) or None


def parcel_values(parcel: Any, zone: str | None, quarter: str | None) -> dict[str, Any]:
    """Return the land_parcels values of a ``ParcelInfo`` (personal data in personal fields)."""
    metric = parcel.find("ParcelMetricInfo")
    pid = _text(metric, "ParcelID") if metric is not None else None
    problems: list[tuple[str, ...]] = []  # (field, message[, severity])
    number = f"{zone}:{quarter}:{pid}" if zone and quarter and pid else None
    if number is None:
        problems.append(("cadastral_number", f"line {parcel.sourceline}: no cadastral number "
                         f"(zone {zone or '?'}, quarter {quarter or '?'}, "
                         f"ParcelID {pid or 'empty'})"))
    area, error = _area_ha(metric) if metric is not None else (None, None)
    values: dict[str, Any] = {
        "cadastral_number": number,
        "category": _text(parcel, "CategoryPurposeInfo/Category"),
        "purpose_code": _text(parcel, "CategoryPurposeInfo/Purpose"),
        "purpose_text": _text(parcel, "CategoryPurposeInfo/Use"),
        "ownership_form": _text(parcel, "OwnershipInfo/Code"),
        "area_declared_ha": area, "area_error_ha": error,
        "holder_kind": None, "holder_name": None, "holder_edrpou": None,
        "holder_rnokpp": None, "holder_home_address": None,
    }
    owners = parcel.findall("Proprietors/ProprietorInfo")
    if owners:
        auth = owners[0].find("Authentication")
        natural = auth.find("NaturalPerson") if auth is not None else None
        legal = auth.find("LegalEntity") if auth is not None else None
        if natural is not None:
            values.update(holder_kind="natural", holder_name=_full_name(natural.find("FullName")),
                          holder_rnokpp=_text(natural, "TaxNumber"),
                          holder_home_address=_address(natural.find("Address")))
        elif legal is not None:
            values.update(holder_kind="legal", holder_name=_text(legal, "Name"),
                          holder_edrpou=_text(legal, "EDRPOU"))
        if len(owners) > 1:
            problems.append(("holder_name", f"line {parcel.sourceline}: {len(owners)} "
                             "proprietors; the registry keeps one holder: the first",
                             "warning"))
    values["__problems__"] = problems
    return values


@dataclass
class ExchangeSource(Source):
    """The parcels (or, ``layer="quarters"``, the cadastral quarters) of an exchange file."""

    doc: Any = None
    metric: Metric | None = None
    warnings: list[str] = field(default_factory=list)

    def count(self) -> int | None:
        return len(list(self._units()))

    def _units(self) -> Iterator[tuple[Any, Any, str | None, str | None]]:
        for zone_el in self.doc.getroot().iterfind("InfoPart/CadastralZoneInfo"):
            zone = _text(zone_el, "CadastralZoneNumber")
            for q in zone_el.iterfind("CadastralQuarters/CadastralQuarterInfo"):
                quarter = _text(q, "CadastralQuarterNumber")
                if self.layer == "quarters":
                    yield q, q.find("Externals"), zone, quarter
                    continue
                for parcel in q.iterfind("Parcels/ParcelInfo"):
                    yield parcel, parcel.find("ParcelMetricInfo/Externals"), zone, quarter

    def records(self) -> Iterator[Record]:
        assert self.metric is not None
        for row, (el, externals, zone, quarter) in enumerate(self._units(), 1):
            if self.layer == "quarters":
                values: dict[str, Any] = {"quarter_number": f"{zone}:{quarter}"
                                          if zone and quarter else None}
            else:
                values = parcel_values(el, zone, quarter)
            wkb = None
            if externals is None:
                values["__geometry_error__"] = f"line {el.sourceline}: no Externals (boundary)"
            else:
                notes: list[str] = []
                try:
                    wkb = assemble_polygons(externals, self.metric, notes)
                except RingProblem as exc:
                    values["__geometry_error__"] = str(exc)
                if notes:
                    values["__problems__"] = [*values.get("__problems__", ()),
                                              *((None, n, "warning") for n in notes)]
            yield Record(row, values, wkb)


def open_exchange_file(path: Path, display: str, layer: str | None = None) -> ExchangeSource:
    """Open, check against the XSD and read the metric part of an exchange file."""
    doc = parse(path, display)
    blocking, other = schema_problems(doc)
    if blocking:
        more = f" (and {len(blocking) - 3} more)" if len(blocking) > 3 else ""
        raise InvalidFile(f"{display}: does not match the exchange-file schema 0.7 where the "
                          "importer reads it: " + "; ".join(blocking[:3]) + more, file=display)
    if layer not in (None, "parcels", "quarters"):
        raise InvalidFile(f"{display}: an exchange file has the layers parcels and quarters, "
                          f"not {layer!r}", file=display)
    version = _text(doc.getroot(), "AdditionalPart/ServiceInfo/FormatVersion") or "?"
    fields = QUARTER_FIELDS if layer == "quarters" else PARCEL_FIELDS
    if doc.getroot().find(".//ParcelInfo/Proprietors/ProprietorInfo") is None:
        # no proprietors in the file (e.g. one a registry exported): holders stay as stored
        fields = [f for f in fields if not f.startswith("holder_")]
    crs, crs_note = exchange_crs(doc, display)
    source = ExchangeSource(path=path, display=display, format="cadastral exchange XML",
                            layer=layer or "parcels", crs=crs, fields=fields,
                            encoding=doc.docinfo.encoding, doc=doc,
                            metric=read_metric(doc, display))
    source.notes.append(f"format version {version}; coordinate system: {crs_note}")
    if (doc.docinfo.encoding or "").lower() in ("cp1251", "cp866"):
        source.notes.append(f"the file does not name its encoding; its text reads as "
                            f"{doc.docinfo.encoding}")
    if crs is None:
        source.crs_hint = crs_note
    if other:
        source.notes.append(f"{len(other)} departure(s) from the 0.7 schema in parts not "
                            "imported (documentation, people), e.g. " + "; ".join(other[:2]))
    return source
