"""The cadastral exchange XML (0.7) of one parcel or a cadastral quarter, from the registry.

Written from the public view (``open_data``): no personal data ever enters the file — an
adjacent parcel held by a natural person names its proprietor with the public mask
(«фізична особа»), and the parcels' own proprietors are left out (they are optional; the
State Register of Property Rights keeps them). Vertices become points (``UIDP``; X =
northing, Y = easting, to the millimetre), every boundary edge one polyline (``ULID``)
shared by the parcels on both sides, and each parcel's edges are listed under the adjacent
parcel they border (or, where no registered parcel borders them, under the council's land).

The 0.7 schema requires parts the registry does not keep (the surveyor's documentation,
land types, monumented points): they are written as the schema's minimum — documentation
type ``000`` with three entries saying where the data come from, one land type (``LandCode``
empty: unknown) covering the parcel, ``ControlPoint`` 0, 0 as the xml_ua templates do — and
the ``AdditionalPart`` names the publisher (``GIS_OPEN_DATA__…``), not a surveyor.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import psycopg
from psycopg import sql

from gis.crs import UCS2000_TM_ZONES
from gis.errors import InvalidParameter, NotFound
from ingest.crs import REGION_LCS
from registries.model import Registry
from registries.parcels.cadastral_number import (
    cadastral_number_problem,
    normalise_cadastral_number,
    quarter_number_problem,
)

FORMAT_VERSION = "0.7"
SOFTWARE = ("Hromada GIS", "0.1")
SOURCE_DOCUMENTS = ("Відомості з реєстру земельних ділянок громади",
                    "Координати меж за даними реєстру земельних ділянок громади",
                    "Площа за даними реєстру земельних ділянок громади")


@dataclass(frozen=True)
class Publisher:
    """Who issues the file (``AdditionalPart``): the council's office."""

    name: str
    edrpou: str
    contact_name: str
    position: str
    phone: str
    email: str
    region: str = ""
    settlement: str = ""


@dataclass
class Topology:
    """Points and edges shared by every parcel of the file."""

    points: dict[tuple[int, int], int] = field(default_factory=dict)  # mm (x, y) → UIDP
    coords: dict[int, tuple[float, float]] = field(default_factory=dict)  # UIDP → (x, y)
    edges: dict[frozenset[int], tuple[int, int, int]] = field(default_factory=dict)

    def point(self, x: float, y: float) -> int:
        key = (round(x * 1000), round(y * 1000))
        if key not in self.points:
            self.points[key] = len(self.points) + 1
            self.coords[self.points[key]] = (key[0] / 1000, key[1] / 1000)
        return self.points[key]

    def edge(self, a: int, b: int) -> int:
        key = frozenset((a, b))
        if key not in self.edges:
            self.edges[key] = (len(self.edges) + 1, a, b)
        return self.edges[key][0]

    def ring(self, coords: list[tuple[float, float]]) -> list[int]:
        """Return the ULIDs of a closed ring's edges, in order."""
        ids = [self.point(x, y) for x, y in coords]
        out = []
        for a, b in zip(ids, ids[1:], strict=False):
            if a != b:
                out.append(self.edge(a, b))
        return out


def coordinate_system(storage_srid: int) -> tuple[str, str | None]:
    """Return the ``CoordinateSystem`` child for the storage CRS (tag, text)."""
    if storage_srid in UCS2000_TM_ZONES.values():
        return "USC2000", None
    for region, code in REGION_LCS.items():
        if code == storage_srid:
            return "Local", f"МСК-{region}"
    raise InvalidParameter(f"the exchange file needs coordinates in UCS-2000 (EPSG:6381–6387 or "
                           f"an LCS); the storage CRS is EPSG:{storage_srid}")


PARCEL_COLUMNS = ("id", "cadastral_number", "category", "purpose_code", "purpose_text",
                  "ownership_form", "area_declared_ha", "area_error_ha", "holder_kind",
                  "holder_name", "holder_edrpou")


def _parcels(conn: psycopg.Connection, reg: Registry, where: sql.Composable,
             value: str) -> list[dict[str, Any]]:
    cols = sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in PARCEL_COLUMNS)
    rows = conn.execute(sql.SQL(
        "SELECT {cols}, ST_AsBinary(t.geom), round((ST_Area(t.geom) / 10000)::numeric, 4) "
        "FROM {view} AS t WHERE {where} ORDER BY t.cadastral_number").format(
        cols=cols, view=sql.Identifier(*reg.public_view), where=where), (value,)).fetchall()
    return [{**dict(zip(PARCEL_COLUMNS, r[:-2], strict=True)), "wkb": bytes(r[-2]),
             "computed_ha": r[-1]} for r in rows]


def _neighbours(conn: psycopg.Connection, reg: Registry, ids: list[int]) -> list[dict[str, Any]]:
    rows = conn.execute(sql.SQL(
        "SELECT DISTINCT n.id, n.cadastral_number, n.holder_kind, n.holder_name, "
        "n.holder_edrpou, ST_AsBinary(n.geom) FROM {view} AS p JOIN {view} AS n ON n.id <> p.id "
        "AND ST_DWithin(n.geom, p.geom, 0.01) WHERE p.id = ANY(%s)").format(
        view=sql.Identifier(*reg.public_view)), (ids,)).fetchall()
    return [{"id": r[0], "cadastral_number": r[1], "holder_kind": r[2], "holder_name": r[3],
             "holder_edrpou": r[4], "wkb": bytes(r[5])} for r in rows]


def exchange_file(conn: psycopg.Connection, reg: Registry, *, storage_srid: int,
                  publisher: Publisher, parcel: str | None = None,
                  quarter: str | None = None, today: date | None = None) -> bytes:
    """Return the exchange XML (UTF-8) of parcel ``parcel`` or of every parcel of cadastral
    quarter ``quarter`` (``NNNNNNNNNN:ZZ:QQQ``)."""
    if reg.id != "land_parcels":
        raise InvalidParameter("the exchange XML holds land parcels: export land_parcels")
    if (parcel is None) == (quarter is None):
        raise InvalidParameter("name one parcel (--parcel NUMBER) or one quarter "
                               "(--quarter NNNNNNNNNN:ZZ:QQQ)")
    # a number as people write it (6810100000-01-001), and a malformed one said so, not
    # "has no cadastral quarter 123"
    if parcel is not None:
        problem = cadastral_number_problem(parcel)
        if problem:
            raise InvalidParameter(f"--parcel: {problem}", parameter="parcel")
        parcel = normalise_cadastral_number(parcel)
        parcels = _parcels(conn, reg, sql.SQL("t.cadastral_number = %s"), parcel)
        what = f"parcel {parcel}"
    else:
        problem = quarter_number_problem(quarter or "")
        if problem:
            raise InvalidParameter(f"--quarter {problem}", parameter="quarter")
        number = normalise_cadastral_number(quarter or "")
        parcels = _parcels(conn, reg, sql.SQL("left(t.cadastral_number, 17) = %s"), number)
        what = f"cadastral quarter {number}"
    if not parcels:
        raise NotFound(f"{reg.id} has no {what}", collection=reg.id)
    neighbours = _neighbours(conn, reg, [p["id"] for p in parcels])
    return _document(parcels, neighbours, storage_srid, publisher, today or date.today())


def _document(parcels: list[dict[str, Any]], neighbours: list[dict[str, Any]],
              storage_srid: int, publisher: Publisher, today: date) -> bytes:
    from lxml import etree
    from shapely import from_wkb

    topo = Topology()
    shapes = {p["id"]: from_wkb(p["wkb"]) for p in parcels}
    rings = {pid: [(topo.ring(list(poly.exterior.coords)),
                    [topo.ring(list(h.coords)) for h in poly.interiors])
                   for poly in geom.geoms] for pid, geom in shapes.items()}
    root = etree.Element("UkrainianCadastralExchangeFile")
    _additional_part(root, publisher, today)
    info = _sub(root, "InfoPart")
    _metric_info(info, topo, storage_srid)
    zones: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for p in parcels:
        number = p["cadastral_number"]
        zones.setdefault(number[:13], {}).setdefault(number[14:17], []).append(p)
    others = [n for n in neighbours if n["id"] not in shapes]
    for zone, quarters in zones.items():
        zone_el = _sub(info, "CadastralZoneInfo")
        _sub(zone_el, "CadastralZoneNumber", zone)
        qs = _sub(zone_el, "CadastralQuarters")
        for quarter, members in quarters.items():
            q = _sub(qs, "CadastralQuarterInfo")
            _sub(q, "CadastralQuarterNumber", quarter)
            parcels_el = _sub(q, "Parcels")
            for p in members:
                _parcel(parcels_el, p, rings[p["id"]], topo, shapes, parcels, others,
                        publisher, today)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                pretty_print=True))


def _sub(parent: Any, tag: str, text: str | None = None) -> Any:
    from lxml import etree

    el = etree.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def _name(parent: Any, tag: str, full: str) -> None:
    words = full.split()
    el = _sub(parent, tag)
    _sub(el, "LastName", words[0] if words else "—")
    _sub(el, "FirstName", " ".join(words[1:2]) or "—")
    if len(words) > 2:
        _sub(el, "MiddleName", " ".join(words[2:]))


def _additional_part(root: Any, pub: Publisher, today: date) -> None:
    part = _sub(root, "AdditionalPart")
    service = _sub(part, "ServiceInfo")
    file_id = _sub(service, "FileID")
    _sub(file_id, "FileDate", today.isoformat())
    _sub(file_id, "FileGUID", str(uuid.uuid4()).upper())
    _sub(service, "FormatVersion", FORMAT_VERSION)
    _sub(service, "ReceiverName", "")
    _sub(service, "Software", SOFTWARE[0])
    _sub(service, "SoftwareVersion", SOFTWARE[1])
    work = _sub(part, "InfoLandWork")
    executor = _sub(work, "Executor")
    _sub(executor, "CompanyName", pub.name)
    _sub(executor, "EDRPOU", pub.edrpou)
    chief = _sub(executor, "Chief")
    _name(chief, "ChiefName", pub.contact_name)
    _sub(chief, "ChiefPosition", pub.position or "—")
    person = _sub(executor, "Executor")
    _name(person, "ExecutorName", pub.contact_name)
    _sub(person, "ExecutorPosition", pub.position or "—")
    qualification = _sub(person, "Qualification")
    _sub(qualification, "QualificationNumber", "0")
    _sub(qualification, "QualificationDate", today.isoformat())
    contact = _sub(person, "ContactInfo")
    _sub(contact, "Phone", pub.phone)
    if pub.email:
        _sub(contact, "Email", pub.email)
    address = _sub(executor, "Address")
    for tag, value in (("Country", "804"), ("Region", pub.region), ("District", ""),
                       ("Settlement", pub.settlement), ("Street", ""), ("Building", "")):
        _sub(address, tag, value)


def _metric_info(info: Any, topo: Topology, storage_srid: int) -> None:
    metric = _sub(info, "MetricInfo")
    tag, text = coordinate_system(storage_srid)
    _sub(_sub(metric, "CoordinateSystem"), tag, text)
    _sub(_sub(metric, "HeightSystem"), "Baltic77")
    _sub(_sub(metric, "MeasurementUnit"), "M")
    points = _sub(metric, "PointInfo")
    for uid, (x, y) in topo.coords.items():
        p = _sub(points, "Point")
        _sub(p, "UIDP", str(uid))
        _sub(p, "PN", str(uid))
        _sub(_sub(p, "DeterminationMethod"), "Digitization")
        _sub(p, "X", f"{y:.3f}")  # X is the northing
        _sub(p, "Y", f"{x:.3f}")
    lines = _sub(metric, "Polyline")
    for ulid, a, b in topo.edges.values():
        pl = _sub(lines, "PL")
        _sub(pl, "ULID", str(ulid))
        pts = _sub(pl, "Points")
        _sub(pts, "P", str(a))
        _sub(pts, "P", str(b))
        (xa, ya), (xb, yb) = topo.coords[a], topo.coords[b]
        _sub(pl, "Length", f"{((xa - xb) ** 2 + (ya - yb) ** 2) ** 0.5:.2f}")
    control = _sub(metric, "ControlPoint")
    for _ in range(2):  # monumented points are not kept: none (as the xml_ua templates)
        _sub(control, "P", "0")


def _boundary(parent: Any, tag: str, ulids: list[int], closed: bool) -> None:
    b = _sub(parent, tag)
    lines = _sub(b, "Lines")
    for ulid in ulids:
        _sub(_sub(lines, "Line"), "ULID", str(ulid))
    _sub(b, "Closed", "true" if closed else "false")


def _externals(parent: Any, rings: list[tuple[list[int], list[list[int]]]]) -> None:
    ext = _sub(parent, "Externals")
    for outer, _ in rings:
        _boundary(ext, "Boundary", outer, True)
    holes = [h for _, hs in rings for h in hs]
    if holes:
        internals = _sub(ext, "Internals")
        for hole in holes:
            _boundary(internals, "Boundary", hole, True)


def _area(parent: Any, ha: Any, declared: bool) -> None:
    area = _sub(parent, "Area")
    _sub(area, "MeasurementUnit", "га")
    _sub(area, "Size", f"{float(ha):.4f}")
    _sub(_sub(area, "DeterminationMethod"), "DocExch" if declared else "ExhangeFileCoordinates")


def _parcel(parent: Any, p: dict[str, Any], rings: list[tuple[list[int], list[list[int]]]],
            topo: Topology, shapes: dict[int, Any], parcels: list[dict[str, Any]],
            others: list[dict[str, Any]], pub: Publisher, today: date) -> None:
    el = _sub(parent, "ParcelInfo")
    location = _sub(el, "ParcelLocationInfo")
    _sub(location, "Region", pub.region or "—")
    if pub.settlement:
        _sub(location, "Settlement", pub.settlement)
    _sub(_sub(location, "ParcelLocation"), "Urban")
    purpose = _sub(el, "CategoryPurposeInfo")
    _sub(purpose, "Category", p["category"] or "")
    _sub(purpose, "Purpose", p["purpose_code"] or "")
    if p["purpose_text"]:
        _sub(purpose, "Use", p["purpose_text"])
    if p["ownership_form"]:
        _sub(_sub(el, "OwnershipInfo"), "Code", p["ownership_form"])
    metric = _sub(el, "ParcelMetricInfo")
    _sub(metric, "ParcelID", p["cadastral_number"][18:])
    declared = p["area_declared_ha"] is not None
    _area(metric, p["area_declared_ha"] if declared else p["computed_ha"], declared)
    if p["area_error_ha"] is not None:
        _sub(metric, "Error", f"{float(p['area_error_ha']):.4f}")
    _externals(metric, rings)
    docs = _sub(el, "TechnicalDocumentationInfo")
    _sub(docs, "DocumentationType", "000")
    _sub(docs, "DraftingDate", today.isoformat())
    for text in SOURCE_DOCUMENTS:
        _sub(docs, "DocumentList", text)
    lands = _sub(_sub(el, "LandsParcel"), "LandParcelInfo")
    _sub(lands, "LandCode", "")
    land_metric = _sub(lands, "MetricInfo")
    _area(land_metric, p["computed_ha"], False)
    _externals(land_metric, rings)
    _adjacent(el, p, rings, topo, shapes, parcels, others, pub)


def _adjacent(el: Any, p: dict[str, Any], rings: list[tuple[list[int], list[list[int]]]],
              topo: Topology, shapes: dict[int, Any], parcels: list[dict[str, Any]],
              others: list[dict[str, Any]], pub: Publisher) -> None:
    """List the parcel's edges under the parcel each borders (the council's land else)."""
    from shapely import from_wkb
    from shapely.geometry import LineString

    by_ulid = {v[0]: v for v in topo.edges.values()}
    candidates = [(q, shapes[q["id"]]) for q in parcels if q["id"] != p["id"]]
    candidates += [(n, from_wkb(n["wkb"])) for n in others]
    near = [(q, g.boundary.buffer(0.005)) for q, g in candidates
            if g.distance(shapes[p["id"]]) < 0.01]
    groups: dict[int | None, list[int]] = {}
    owners: dict[int | None, dict[str, Any] | None] = {None: None}
    for outer, holes in rings:
        for ulid in [*outer, *(u for h in holes for u in h)]:
            _, a, b = by_ulid[ulid]
            segment = LineString([topo.coords[a], topo.coords[b]])
            hit = next((q for q, zone in near if zone.covers(segment)), None)
            key = hit["id"] if hit else None
            owners[key] = hit
            groups.setdefault(key, []).append(ulid)
    units = _sub(el, "AdjacentUnits")
    for key, ulids in groups.items():
        unit = _sub(units, "AdjacentUnitInfo")
        neighbour = owners[key]
        if neighbour is not None:
            _sub(unit, "CadastralNumber", neighbour["cadastral_number"])
        _boundary(unit, "AdjacentBoundary", ulids, False)
        proprietor = _sub(unit, "Proprietor")
        if neighbour is None:
            legal = _sub(proprietor, "LegalEntity")
            _sub(legal, "Name", pub.name)
            _sub(legal, "EDRPOU", pub.edrpou)
            note = _sub(unit, "AdditionalInfoBlock")
            _sub(note, "AdditionalInfo", "землі територіальної громади, не зареєстровані в "
                 "реєстрі як окремі ділянки")
        elif neighbour["holder_kind"] == "legal" and neighbour["holder_name"]:
            legal = _sub(proprietor, "LegalEntity")
            _sub(legal, "Name", neighbour["holder_name"])
            if neighbour["holder_edrpou"]:
                _sub(legal, "EDRPOU", neighbour["holder_edrpou"])
        elif neighbour["holder_kind"] == "sole_proprietor" and neighbour["holder_name"]:
            _name(_sub(proprietor, "NaturalPerson"), "FullName", neighbour["holder_name"])
        else:  # a natural person, or unknown: the public mask, never a name
            person = _sub(proprietor, "NaturalPerson")
            _name(person, "FullName", "фізична особа")
