"""Issuing an extract: one request → the data read once, the PDF, a row in the register.

Everything happens in the caller's transaction (repeatable read: the sheet shows one moment
of the data): resolve the object or the area, choose or check the scale, count the frame,
read the map, the object's values (what the API's item shows the same reader), the parcel
report and the catalogue, draw the PDF, record it. Any error before the end leaves nothing
in the register.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql
from shapely.geometry.base import BaseGeometry

from extracts import contents, register
from extracts.catalogue import Catalogue, count_points, read_catalogue
from extracts.layout import Box, MapTransform, Sheet, fits, fitted_scale, ground_box, sheet
from extracts.pdf import SheetText, TableBlock, render_pdf
from extracts.render import (
    MapContent,
    check_size,
    count_features,
    map_registries,
    object_geometry,
    read_layers,
)
from extracts.underlay import Underlay, read_underlay
from gis.auth import Principal
from gis.crs import NEAR_CITY_M, box_gap_km, crs_title, grid_convergence, transformer
from gis.errors import EnvironmentProblem, InvalidParameter, NotFound
from gis.rasters import get_raster
from registries import report
from registries.catalog import Catalog
from registries.model import FieldType, Registry
from registries.queries import Output, item_sql, readable_fields, source

MAX_CATALOGUE_POINTS = 400  # objects other than parcels get a catalogue up to this size


@dataclass(frozen=True)
class Target:
    """What to print: an object (by collection and id, or a parcel by cadastral number) or an
    area (a ground box, or a centre at a given scale), in the storage CRS (metres)."""

    collection: str | None = None
    object_id: int | None = None
    cadastral_number: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # easting/northing min, max
    centre: tuple[float, float] | None = None  # easting, northing


@dataclass(frozen=True)
class ExtractRequest:
    target: Target
    scale: int | None = None  # None: fit
    paper: str = "A4"
    orientation: str = "portrait"
    layers: tuple[str, ...] = ()  # collections drawn besides the base layers


@dataclass(frozen=True)
class Deployment:
    """What every sheet of this deployment says: who issues it, the city, its CRS, links."""

    srid: int
    city: str
    issuer: str
    base_url: str
    time_zone: str
    font_dir: Path
    max_features: int
    extent: tuple[float, float, float, float]  # the city's box (CitySettings.extent)
    # a published raster drawn under the vectors (GIS_EXTRACTS__BASE_RASTER), and its folder
    base_raster: str = ""
    raster_dir: Path | None = None


@dataclass(frozen=True)
class Issued:
    number: str
    pdf: bytes
    entry: register.Entry

    @property
    def filename(self) -> str:
        return f"extract-{self.number}.pdf"


@dataclass(frozen=True)
class Subject:
    """The object of an object extract, read the way the API reads it for this reader."""

    reg: Registry
    id: int
    props: dict[str, Any]
    version: int
    geom: BaseGeometry
    label: str


def _subject(conn: psycopg.Connection, catalog: Catalog, target: Target, personal: bool,
             srid: int) -> Subject:
    if target.cadastral_number is not None:
        reg = catalog.get("land_parcels")
        object_id = report.parcel_id_by_number(conn, target.cadastral_number)
    else:
        assert target.collection is not None and target.object_id is not None
        reg = catalog.get(target.collection)
        if not reg.public and not personal:
            raise NotFound(f"no collection {reg.id!r}", collection=reg.id)
        object_id = target.object_id
    row = conn.execute(item_sql(reg, Output(crs=srid, skip_geometry=True), srid, personal),
                       {"id": object_id}).fetchone()
    if row is None:
        raise NotFound(f"{reg.id} has no object {object_id}", collection=reg.id,
                       item=object_id)
    feature = json.loads(row[0])
    geom = object_geometry(conn, source(reg, personal), object_id)
    if geom is None or geom.is_empty:
        raise InvalidParameter(f"{reg.object_noun} {object_id} of {reg.id} has no geometry "
                               "to print", collection=reg.id)
    props = feature["properties"]
    label_field = reg.label if reg.label and reg.label in props else None
    label = str(props[label_field]) if label_field and props[label_field] else f"№ {object_id}"
    return Subject(reg, object_id, props, int(row[1]), geom, label)


def _other_sheets(sh: Sheet) -> list[Sheet]:
    """Return the sheets worth suggesting instead of ``sh``: its other orientation, then A3."""
    flip = "landscape" if sh.orientation == "portrait" else "portrait"
    asks = [(sh.paper, flip), ("A3", sh.orientation), ("A3", flip)]
    return [sheet(p, o) for p, o in dict.fromkeys(asks) if (p, o) != (sh.paper, sh.orientation)]


def choose_scale(asked: int | None, extent: Box, sh: Sheet, what: str) -> int:
    """Return the scale: ``asked`` if ``extent`` fits the frame at it, else 400 naming one
    that would; the most detailed fitting nominal scale when nothing is asked."""
    frame = sh.map
    if asked is None:
        fitted = fitted_scale(extent, frame)
        if fitted is None:
            # another sheet only where it helps: a box of the whole region fits none
            other = next(((s.name, at) for s in _other_sheets(sh)
                          if (at := fitted_scale(extent, s.map)) is not None), None)
            hint = (f"print a part of it (bbox), or use {other[0]}: it fits at 1:{other[1]}"
                    if other else "print a part of it (bbox)")
            raise InvalidParameter(
                f"{what} measures {extent.width:,.0f} × {extent.height:,.0f} m: too large for "
                f"one {sh.name} sheet even at 1:25000; {hint}", parameter="scale")
        return fitted
    if fits(extent, frame, asked):
        return asked
    would = fitted_scale(extent, frame, margin=0.0)
    a3 = sheet("A3", sh.orientation)
    hint = f"it fits at 1:{would}" if would else "it fits no scale on this paper"
    if sh.paper != "A3" and fits(extent, a3.map, asked):
        hint += f", or on A3 {sh.orientation} at 1:{asked}"
    raise InvalidParameter(
        f"{what} measures {extent.width:,.0f} × {extent.height:,.0f} m but the {sh.name} map "
        f"frame covers {frame.width * asked / 1000:,.0f} × {frame.height * asked / 1000:,.0f} m "
        f"at 1:{asked}; {hint}", parameter="scale", fits_at=would or 0)


def _check_near_city(ground: Box, extent: tuple[float, float, float, float], what: str,
                     parameter: str) -> None:
    """Raise InvalidParameter when an area's frame lies where no object of the city's registries
    can (farther than NEAR_CITY_M from its box): a sheet of nothing, off its UCS-2000 zone, is
    no extract, and would still take a number in the register."""
    gap = box_gap_km((ground.x0, ground.y0, ground.x1, ground.y1), extent)
    if gap * 1000 > NEAR_CITY_M:
        raise InvalidParameter(
            f"{what} lies {gap:,.0f} km from the city's area; extracts print the city's "
            f"registries, within {NEAR_CITY_M / 1000:.0f} km of it", parameter=parameter,
            outside_km=round(gap))


def _references(conn: psycopg.Connection, catalog: Catalog, subject: Subject) -> dict[str, str]:
    """Return the labels of the objects the subject's reference fields point to."""
    out = {}
    for f in subject.reg.fields:
        value = subject.props.get(f.name)
        if f.type != FieldType.REFERENCE or value is None or not f.references:
            continue
        ref = catalog.get(f.references)
        label = ref.label
        if not label or not ref.public:
            continue
        row = conn.execute(sql.SQL("SELECT {} FROM {} WHERE id = %s").format(
            sql.Identifier(label), sql.Identifier(*ref.public_view)), (value,)).fetchone()
        if row and row[0]:
            out[f.name] = str(row[0])
    return out


def _title(city: str, layers: tuple[str, ...], subject: Subject | None) -> str:
    if "planning_zones" in layers:
        return f"Викопіювання з плану зонування території м. {city}"
    if subject is not None and subject.reg.group == "cadastre":
        return f"Викопіювання з кадастрового плану м. {city}"
    return f"Викопіювання з карти м. {city}"


def _subtitle(subject: Subject) -> str:
    """Return the object line: its label under the label field's title, and the registry."""
    reg = subject.reg
    named = reg.field(reg.label).title.get("uk") if reg.label else None
    return f"{named or 'Об’єкт'}: {subject.label} ({reg.title.get('uk', reg.id)})"


def _portal_url(base: str, centre: tuple[float, float], scale: int, srid: int,
                subject: Subject | None) -> str:
    lon, lat = transformer(srid, 4326).transform(*centre)
    # the screen zoom that shows about the sheet's scale (0.28-mm pixels, OGC's convention)
    zoom = math.log2(156543.03392 * math.cos(math.radians(lat)) / (scale * 0.00028))
    url = f"{base}/#map={min(zoom, 20):.2f}/{lat:.5f}/{lon:.5f}"
    if subject is not None:
        url += f"&obj={subject.reg.id}/{subject.id}"
    return url


def issue_extract(conn: psycopg.Connection, catalog: Catalog, req: ExtractRequest,
                  who: Principal, dep: Deployment, now: datetime | None = None) -> Issued:
    """Return the issued extract (PDF and register entry), recorded in ``conn``'s transaction."""
    personal = who.sees_personal_data
    sh = sheet(req.paper, req.orientation)
    t = req.target
    subject = None
    if t.cadastral_number is not None or t.collection is not None:
        subject = _subject(conn, catalog, t, personal, dep.srid)
        extent = Box(*subject.geom.bounds)
        what = f"{subject.reg.object_noun} {subject.label}"
        centre = extent.centre
    elif t.bbox is not None:
        extent = Box(*t.bbox)
        what = "the area"
        centre = extent.centre
        # far away first: a large box there was told it is too large (and to use A3)
        _check_near_city(extent, dep.extent, what, "bbox")
    elif t.centre is not None:
        if req.scale is None:
            raise InvalidParameter("a map view (center) needs a scale, e.g. scale=2000",
                                   parameter="scale")
        extent, what, centre = Box(*t.centre, *t.centre), "the view", t.centre
    else:
        raise InvalidParameter("say what to print: a parcel, a collection's object, a bbox or "
                               "a center", parameter="bbox")
    scale = choose_scale(req.scale, extent, sh, what)
    ground = ground_box(sh.map, scale, centre)
    if subject is None:
        _check_near_city(ground, dep.extent, what, "bbox" if t.bbox is not None else "center")
    regs = map_registries(catalog, req.layers, subject.reg if subject else None)
    counts = count_features(conn, regs, ground, dep.srid, dep.max_features)
    check_size(counts, dep.max_features, scale, ground)
    layers = read_layers(conn, regs, ground, dep.srid, scale)

    blocks: list[TableBlock] = []
    catalogue: Catalogue | None = None
    parcel_report: dict[str, Any] | None = None
    attributes: list[tuple[str, str]] = []
    crs_short = f"УСК-2000, EPSG:{dep.srid}"
    if subject is not None:
        reg = subject.reg
        attributes = contents.attribute_rows(reg, subject.props, readable_fields(reg, personal),
                                             _references(conn, catalog, subject))
        if reg.id == "land_parcels":
            parcel_report = report.parcel_report(conn, catalog, subject.id)
            attributes += contents.report_rows(parcel_report)
        blocks.append(contents.attributes_block(attributes))
        polygonal = subject.geom.geom_type in ("Polygon", "MultiPolygon")
        src = source(reg, personal)
        if polygonal and (reg.id == "land_parcels"
                          or count_points(conn, src, subject.id) <= MAX_CATALOGUE_POINTS):
            catalogue = read_catalogue(conn, src, subject.id,
                                       subject.props.get("area_declared_ha"),
                                       subject.props.get("area_error_ha"))
            blocks.append(contents.catalogue_block(catalogue, crs_short))
        elif subject.geom.geom_type == "Point":
            p = subject.geom
            blocks.append(contents.point_block(p.x, p.y, crs_short))
        if parcel_report is not None:
            zones = contents.zones_block(parcel_report)
            if zones:
                blocks.append(zones)
            blocks.append(contents.restrictions_block(parcel_report))

    now = now or datetime.now(UTC)
    local = now.astimezone(ZoneInfo(dep.time_zone))
    number = register.new_number(conn, local.year)
    convergence = grid_convergence(dep.srid, *centre)
    title = _title(dep.city, req.layers, subject)
    content = {
        "number": number, "issued_at": now.isoformat(), "title": title,
        "object": None if subject is None else {
            "collection": subject.reg.id, "id": subject.id, "label": subject.label,
            "version": subject.version},
        "attributes": [list(r) for r in attributes],
        "catalogue": catalogue.as_dict() if catalogue else None,
        "zones": [[z.get("zone_code"), z["area_m2"], z["share_pct"]]
                  for z in (parcel_report or {}).get("zones", [])],
        "restrictions": [[r.get("name"), r.get("dzk_code"), r["area_m2"], r["share_pct"]]
                         for r in (parcel_report or {}).get("restrictions", [])],
        "scale": scale, "paper": sh.paper, "orientation": sh.orientation, "srid": dep.srid,
        "frame": [round(v, 2) for v in (ground.x0, ground.y0, ground.x1, ground.y1)],
        "layers": {cid: sum(1 for _ in layer.features)
                   for cid, layer in ((la.reg.id, la) for la in layers)},
    }
    underlay = _underlay(conn, dep, ground, sh.map, who.is_public)
    if underlay is not None:  # the register names the raster's very version
        content["underlay"] = {"raster": underlay.name, "sha256": underlay.version}
    digest = register.content_hash(content)
    check_url = f"{dep.base_url}/extracts/{number}?hash={digest[:register.PRINTED_HASH]}"
    map_content = MapContent(
        MapTransform(sh.map, ground, scale), layers, subject.geom if subject else None,
        [(p.number, p.y, p.x) for p in catalogue.points] if catalogue else [], convergence,
        underlay)
    subtitle = "Ділянка карти в заданих межах" if subject is None else _subtitle(subject)
    when = local.strftime("%d.%m.%Y %H:%M")
    text = SheetText(
        issuer=dep.issuer, title=title, subtitle=subtitle, number=number,
        issued=when, as_of=when, scale=scale, crs=crs_title(dep.srid),
        grid_note="X — північ, Y — схід.",
        north_note=(f"Північ сітки; зближення меридіанів у центрі аркуша γ = "
                    f"{_angle(convergence)}. Дані: відкриті реєстри геопорталу"
                    + (" (з персональними даними — лише для службового користування)."
                       if personal else ".")),
        disclaimer=report.DISCLAIMER, hash_printed=register.printed_hash(digest),
        check_url=check_url,
        portal_url=_portal_url(dep.base_url, centre, scale, dep.srid, subject),
        pdf_title=f"{content['title']} № {number}", author=dep.issuer)
    legend = contents.legend_entries(layers, target=subject is not None,
                                     points=catalogue is not None, scale=scale)
    pdf = render_pdf(sh, text, map_content, legend, blocks, dep.font_dir)
    entry = register.Entry(
        number=number, issued_at=now, issued_by=None if not who.authenticated else who.name,
        personal=personal, kind="object" if subject else "area",
        collection=subject.reg.id if subject else None,
        object_id=subject.id if subject else None,
        object_label=subject.label if subject else None,
        object_version=subject.version if subject else None, scale=scale, paper=sh.paper,
        orientation=sh.orientation, srid=dep.srid,
        bbox=(ground.x0, ground.y0, ground.x1, ground.y1), content=content,
        content_hash=digest)
    register.record(conn, entry)
    return Issued(number, pdf, entry)


def _angle(degrees: float) -> str:
    """Return a small angle as ±D°MM′SS″.

    >>> _angle(-0.0027)
    '−0°00′10″'
    """
    sign = "−" if degrees < 0 else "+"
    seconds = round(abs(degrees) * 3600)
    return f"{sign}{seconds // 3600}°{seconds // 60 % 60:02d}′{seconds % 60:02d}″"


def _underlay(conn: psycopg.Connection, dep: Deployment, ground: Box, frame: Box,
              public: bool) -> Underlay | None:
    """Return the configured raster over ``ground``; None when none is configured, or when it
    is staff-only and the caller is the public (their sheet has no underlay)."""
    if not dep.base_raster or dep.raster_dir is None:
        return None
    try:
        rec = get_raster(conn, dep.base_raster, staff=True)
    except NotFound:
        raise EnvironmentProblem(
            f"GIS_EXTRACTS__BASE_RASTER names the raster {dep.base_raster!r}, which is not "
            "published (gis raster list)") from None
    if public and not rec.public:
        return None
    return read_underlay(dep.raster_dir / rec.file, rec.name, rec.sha256, ground, dep.srid,
                         frame.width, frame.height, rec.kind == "paletted")
