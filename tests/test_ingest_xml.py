"""The State Land Cadastre exchange file: the shared templates filled in by the tests (never real
people's data) → PostGIS → XML, every vertex to the millimetre, areas as declared, the XSD."""

from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path

import psycopg
import pytest
from lxml import etree

from gis.errors import InvalidFile, InvalidParameter
from ingest.formats.ua_xml import schema
from ingest.formats.ua_xml_export import Publisher, exchange_file
from ingest.job import FileOptions
from registries.catalog import default_catalog
from tests.factories import approve_all
from tests.ingest_files import SRID, count, run

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "ua-cadastral-xml"
if not SHARED.exists():  # the lead's checkout: /work/main/tests → /work/shared
    SHARED = Path("/work/shared/data/ua-cadastral-xml")
TEMPLATES = {3: SHARED / "sample-usc2000-3-points.xml", 4: SHARED / "sample-usc2000-4-points.xml"}
PUBLISHER = Publisher("Хмельницька міська рада", "12345678", "Олена Ткачук", "Відділ ГІС",
                      "+380382000000", "gis@example.org", settlement="Хмельницький")
X0, Y0 = 5_476_633.0, 299_865.0  # northing, easting of the city centre


def fill(template: Path, points: dict[int, tuple[float, float]], *, parcel_id: str,
         area_ha: str, quarter: str = "099", holder: str | None = None) -> str:
    """Return the template with real-looking numbers: points (UIDP → (X, Y)), the parcel's
    number and declared area, a category and purpose, and optionally a proprietor."""
    return fill_text(template.read_text(encoding="utf-8"), template, points,
                     parcel_id=parcel_id, area_ha=area_ha, quarter=quarter, holder=holder)


def fill_text(text: str, template: Path, points: dict[int, tuple[float, float]], *,
              parcel_id: str, area_ha: str, quarter: str = "099",
              holder: str | None = None) -> str:

    def point(m: re.Match[str]) -> str:
        x, y = points[int(m.group(1))]
        return f"<UIDP>{m.group(1)}</UIDP>{m.group(2)}<X>{x:.2f}</X><Y>{y:.2f}</Y>"

    text = re.sub(r"<UIDP>(\d+)</UIDP>(.*?)<X>[^<]*</X><Y>[^<]*</Y>", point, text)
    text = text.replace("0000000000:00", "6810100000:02").replace(
        "<CadastralQuarterNumber>000", f"<CadastralQuarterNumber>{quarter}").replace(
        "<ParcelID/>", f"<ParcelID>{parcel_id}</ParcelID>").replace(
        "<Size>0.0000</Size>", f"<Size>{area_ha}</Size>").replace(
        "<Category>100</Category>", "<Category>200</Category>").replace(
        "<Purpose>01.01</Purpose>", "<Purpose>02.01</Purpose>")
    text = re.sub(r"<ControlPoint>.*?</ControlPoint>",
                  "<ControlPoint><P>1</P><P>2</P></ControlPoint>", text, flags=re.S)
    if holder:
        text = text.replace("<Proprietors/>", (
            "<Proprietors><ProprietorInfo><Authentication><NaturalPerson><FullName>"
            f"<LastName>{holder}</LastName><FirstName>Тестова</FirstName></FullName>"
            "<TaxNumber>1234567890</TaxNumber><Passport><DocumentType>паспорт</DocumentType>"
            "<PassportNumber>000000</PassportNumber><PassportIssuedDate>2001-01-01"
            "</PassportIssuedDate><IssuanceAuthority>—</IssuanceAuthority><PassportSeries>АА"
            "</PassportSeries></Passport><Address><Country>804</Country><Region>Хмельницька"
            "</Region><District>—</District><Settlement>Хмельницький</Settlement><Street>"
            "Тестова</Street><Building>1</Building></Address></NaturalPerson></Authentication>"
            "<ProprietorCode>1</ProprietorCode></ProprietorInfo></Proprietors>"))
    return text


def rectangle() -> dict[int, tuple[float, float]]:
    """A 40 × 25 m parcel (0.1000 ha) with odd centimetres: the points of the 4-point
    template (X = northing, Y = easting)."""
    return {1: (X0 + 0.37, Y0 + 0.11), 2: (X0 + 0.37, Y0 + 25.11), 3: (X0 - 39.63, Y0 + 25.11),
            4: (X0 - 39.63, Y0 + 0.11)}


def triangle() -> dict[int, tuple[float, float]]:
    """The 3-point template's parcel: a right triangle of 30 × 40 m (0.0600 ha) west of the
    rectangle, sharing none of its points."""
    return {1: (X0 + 10.05, Y0 - 60.02), 2: (X0 + 10.05, Y0 - 30.02), 3: (X0 - 29.95, Y0 - 60.02)}


def fill_skeleton(points: dict[int, tuple[float, float]], *, parcel_id: str,
                  area_ha: str) -> str:
    """Return the 3-point template (a skeleton: UIDP -1, one polyline -1) filled in: points
    1–3 and one closed polyline 1 → 2 → 3 → 1 as the whole boundary."""
    text = TEMPLATES[3].read_text(encoding="utf-8")
    uid = iter(sorted(points))

    def point(m: re.Match[str]) -> str:
        n = next(uid)
        x, y = points[n]
        return (f"<UIDP>{n}</UIDP>{m.group(1)}<X>{x:.2f}</X>{m.group(2)}<Y>{y:.2f}</Y>")

    text = re.sub(r"<UIDP>-1</UIDP>(.*?)<X>[^<]*</X>(\s*)<Y>[^<]*</Y>", point, text,
                  flags=re.S)
    text = re.sub(r"<PL>.*?</PL>", "<PL><ULID>1</ULID><Points><P>1</P><P>2</P><P>3</P><P>1</P>"
                  "</Points><Length>0</Length></PL>", text, flags=re.S)
    text = text.replace("<ULID>-1</ULID>", "<ULID>1</ULID>")
    text = text.replace("<ParcelID></ParcelID>", "<ParcelID/>").replace(
        "<Size>0.0</Size>", "<Size>0.0000</Size>")
    path = TEMPLATES[3]
    return fill_text(text, path, points, parcel_id=parcel_id, area_ha=area_ha)


def vertices(xml: bytes | str) -> dict[tuple[float, float], str]:
    doc = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    return {(round(float(p.findtext("X")), 3), round(float(p.findtext("Y")), 3)): p.findtext("UIDP")
            for p in doc.iterfind("InfoPart/MetricInfo/PointInfo/Point")}


def export(url: str, **which: str) -> bytes:
    """The exchange XML of what the council publishes: the import, once its holder approved."""
    with psycopg.connect(url) as conn:
        approve_all(conn)
        conn.commit()
        return exchange_file(conn, default_catalog().get("land_parcels"), storage_srid=SRID,
                             publisher=PUBLISHER, today=date(2026, 12, 1), **which)


def test_template_filled_in_goes_to_postgis_and_back_to_the_millimetre(db_url: str,
                                                                      tmp_path: Path) -> None:
    source = fill(TEMPLATES[4], rectangle(), parcel_id="0042", area_ha="0.1000",
                  holder="Тестенко")
    path = tmp_path / "parcel.xml"
    path.write_text(source, encoding="utf-8")
    report = run(db_url, path, "land_parcels")
    assert report.written and report.crs == "EPSG:6383", report.problems
    assert not [p for p in report.problems if p.rule == "area_matches_geometry"]
    with psycopg.connect(db_url) as conn:
        row = conn.execute(
            "SELECT area_declared_ha, round((ST_Area(geom) / 10000)::numeric, 4), holder_kind, "
            "holder_name, holder_rnokpp, ST_NPoints(geom), ST_XMin(geom), ST_YMax(geom) "
            "FROM registry.land_parcel WHERE cadastral_number = '6810100000:02:099:0042'"
        ).fetchone()
    assert row is not None
    assert str(row[0]) == "0.1000" == str(row[1])  # area as declared, and as drawn
    assert row[2:5] == ("natural", "Тестенко Тестова", "1234567890")  # personal fields only
    assert row[5] == 5 and (row[6], row[7]) == (Y0 + 0.11, X0 + 0.37)  # x = Y, y = X
    out = export(db_url, parcel="6810100000:02:099:0042")
    assert schema().validate(etree.fromstring(out)), schema().error_log
    assert set(vertices(out)) == set(vertices(source))  # every vertex, to the millimetre
    doc = etree.fromstring(out)
    assert doc.findtext(".//ParcelMetricInfo/Area/Size") == "0.1000"
    assert doc.findtext(".//ParcelMetricInfo/ParcelID") == "0042"
    assert b"1234567890" not in out and "Тестенко".encode() not in out  # nothing personal
    # and back again: the registry recognises its own export as unchanged
    again = tmp_path / "again.xml"
    again.write_bytes(out)
    second = run(db_url, again, "land_parcels", mode="upsert")
    assert (second.updated, second.unchanged) == (0, 1), second.problems
    assert count(db_url, "land_parcel", "holder_name = 'Тестенко Тестова'") == 1


def test_a_quarter_exports_shared_edges_once_and_lists_the_neighbours(db_url: str,
                                                                     tmp_path: Path) -> None:
    east = {1: (X0, Y0 + 40.0), 2: (X0, Y0 + 60.0), 3: (X0 - 30.0, Y0 + 60.0),
            4: (X0 - 30.0, Y0 + 40.0)}  # shares the edge Y0 + 40 with `west`
    west = {1: (X0, Y0 + 20.0), 2: (X0, Y0 + 40.0), 3: (X0 - 30.0, Y0 + 40.0),
            4: (X0 - 30.0, Y0 + 20.0)}
    for pid, pts in (("0001", west), ("0002", east)):
        path = tmp_path / f"{pid}.xml"
        path.write_text(fill(TEMPLATES[4], pts, parcel_id=pid, area_ha="0.0600"),
                        encoding="utf-8")
        assert run(db_url, path, "land_parcels").written
    tri = tmp_path / "tri.xml"
    tri.write_text(fill_skeleton(triangle(), parcel_id="0003", area_ha="0.0600"),
                   encoding="utf-8")
    report = run(db_url, tri, "land_parcels")
    assert report.written, report.problems
    out = export(db_url, quarter="6810100000:02:099")
    assert schema().validate(etree.fromstring(out)), schema().error_log
    # a quarter as documents write it is the same quarter; a malformed one is said so, where
    # it was "land_parcels has no cadastral quarter 123"
    dashed = etree.fromstring(export(db_url, quarter="6810100000-02-099"))
    assert len(dashed.findall(".//ParcelInfo")) == 3
    with pytest.raises(InvalidParameter, match=r"--quarter '123' is malformed: expected "
                                               r"NNNNNNNNNN:ZZ:QQQ"):
        export(db_url, quarter="123")
    with pytest.raises(InvalidParameter, match=r"--parcel: '6810100000:02:099' is malformed"):
        export(db_url, parcel="6810100000:02:099")
    doc = etree.fromstring(out)
    assert len(doc.findall(".//ParcelInfo")) == 3
    assert len(doc.findall(".//PointInfo/Point")) == 6 + 3  # two shared corners kept once
    assert len(doc.findall(".//Polyline/PL")) == 7 + 3  # the shared edge once
    units = {p.findtext("ParcelMetricInfo/ParcelID"): sorted(
        str(u.findtext("CadastralNumber")) for u in p.iterfind("AdjacentUnits/AdjacentUnitInfo"))
        for p in doc.iterfind(".//ParcelInfo")}
    assert units == {"0001": ["6810100000:02:099:0002", "None"],  # None: the council's land
                     "0002": ["6810100000:02:099:0001", "None"], "0003": ["None"]}
    areas = [a.text for a in doc.iterfind(".//ParcelMetricInfo/Area/Size")]
    assert areas == ["0.0600", "0.0600", "0.0600"]


def test_the_templates_as_they_are_say_what_is_missing(db_url: str) -> None:
    with pytest.raises(InvalidFile, match="USC2000 without a known KOATUU region"):
        run(db_url, TEMPLATES[4], "land_parcels")
    report = run(db_url, TEMPLATES[4], "land_parcels", files=FileOptions(crs="EPSG:6383"),
                 dry_run=True)
    assert report.refused
    assert any("no cadastral number (zone 0000000000:00, quarter 000, ParcelID empty)"
               in p.message for p in report.problems)
    assert any("departure(s) from the 0.7 schema" in n for n in report.notes)


def test_an_xml_off_the_schema_where_it_is_read_is_one_clear_message(db_url: str,
                                                                     tmp_path: Path) -> None:
    text = fill(TEMPLATES[4], rectangle(), parcel_id="0042", area_ha="0.1000")
    bad = tmp_path / "bad.xml"
    bad.write_text(text.replace(f"<X>{X0 + 0.37:.2f}</X>", "<X>п'ять</X>", 1),
                   encoding="utf-8")
    with pytest.raises(InvalidFile, match=r"bad.xml: does not match the exchange-file schema "
                                          r"0.7 where the importer reads it: line \d+: "
                                          r"Element 'X'"):
        run(db_url, bad, "land_parcels")
    other = tmp_path / "other.xml"
    other.write_text("<?xml version='1.0'?><Parcels/>", encoding="utf-8")
    with pytest.raises(InvalidFile, match="root element is <Parcels>"):
        run(db_url, other, "land_parcels")
    broken = tmp_path / "broken.xml"
    broken.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(InvalidFile, match="not well-formed XML at line"):
        run(db_url, broken, "land_parcels")
    entity = tmp_path / "entity.xml"
    entity.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd'
                      '">]><UkrainianCadastralExchangeFile>&e;</UkrainianCadastralExchangeFile>',
                      encoding="utf-8")
    with pytest.raises(InvalidFile) as refused:
        run(db_url, entity, "land_parcels")
    assert "root:" not in refused.value.detail
    assert count(db_url, "land_parcel") == 0


def test_a_file_in_windows_1251_that_does_not_say_so_is_read_and_noted(db_url: str,
                                                                        tmp_path: Path) -> None:
    text = fill(TEMPLATES[4], rectangle(), parcel_id="0042", area_ha="0.1000",
                holder="Тестенко")
    undeclared = re.sub(r"^<\?xml[^>]*\?>\s*", "", text)
    assert "encoding" not in undeclared[:100]
    old = tmp_path / "old-software.xml"
    old.write_bytes(undeclared.encode("cp1251"))
    report = run(db_url, old, "land_parcels", dry_run=True)
    assert report.rows == 1 and not report.refused, report.problems
    assert "the file does not name its encoding; its text reads as cp1251" in report.notes
    # a file that names UTF-8 but is not: the bytes are wrong, one message, no guessing
    lying = tmp_path / "lying.xml"
    lying.write_bytes(("<?xml version='1.0' encoding='UTF-8'?>\n" + undeclared).encode("cp1251"))
    with pytest.raises(InvalidFile, match=r"lying.xml: (not well-formed XML .*encoding|its text "
                                          r"is not in the encoding its XML declaration "
                                          r"names)") as caught:
        run(db_url, lying, "land_parcels", dry_run=True)
    assert str(tmp_path) not in str(caught.value)


def test_a_boundary_that_does_not_come_back_is_closed_and_reported(db_url: str,
                                                                    tmp_path: Path) -> None:
    text = fill(TEMPLATES[4], rectangle(), parcel_id="0042", area_ha="0.1000")
    whole = tmp_path / "whole.xml"
    whole.write_text(text, encoding="utf-8")
    # the boundaries list polylines 1-2, 2-3, 3-4 and no longer 4-1
    cut = tmp_path / "cut.xml"
    cut.write_text(re.sub(r"<Line>\s*<ULID>4</ULID>\s*</Line>", "", text), encoding="utf-8")
    assert cut.read_text(encoding="utf-8").count("<ULID>4</ULID>") == 1  # the polyline only
    before, after = (run(db_url, p, "land_parcels", dry_run=True) for p in (whole, cut))
    assert not [p for p in before.problems if "not at UIDP" in p.message]
    notes = [p for p in after.problems if "was closed with a straight line" in p.message]
    assert notes and {p.severity for p in notes} == {"warning"}, after.problems
    assert "ends at point UIDP 4, not at UIDP 1" in notes[0].message
    assert after.rows == 1 and not after.refused  # the same parcel: a warning, not a refusal


def test_a_file_in_a_regions_local_system_is_moved_by_proj(db_url: str, tmp_path: Path) -> None:
    """UCS-2000 / LCS-NN (МСК-NN, EPSG 9821–9865) are not in PostGIS 3.3's spatial_ref_sys:
    every local-system file failed with PostGIS's "Cannot find SRID (9861)". PROJ moves them:
    a parcel measured in МСК-71 lands on its UCS-2000 / Ukraine TM zone 9 place within the
    catalogue's centimetre (the file writes the local coordinates to 0.01 m)."""
    from pyproj import Transformer

    to_local = Transformer.from_crs(6383, 9861)  # both northing (X) first
    local = {k: to_local.transform(x, y) for k, (x, y) in rectangle().items()}
    source = fill(TEMPLATES[4], local, parcel_id="0043", area_ha="0.1000").replace(
        "<USC2000/>", "<Local>МСК-71</Local>")
    path = tmp_path / "local.xml"
    path.write_text(source, encoding="utf-8")
    report = run(db_url, path, "land_parcels")
    assert report.written and report.crs == "EPSG:9861", report.problems
    with psycopg.connect(db_url) as conn:
        stored = conn.execute(
            "SELECT ST_AsText(ST_SnapToGrid(geom, 0.001)) FROM registry.land_parcel "
            "WHERE cadastral_number = '6810100000:02:099:0043'").fetchone()[0]
    expected = [(y, x) for x, y in rectangle().values()]  # x = Y, y = X
    got = {tuple(float(v) for v in pair.split())
           for pair in stored.removeprefix("MULTIPOLYGON(((").rstrip(")").split(",")}
    assert len(got) == 4 and all(min(math.dist(g, e) for e in expected) < 0.006 for g in got), \
        (got, expected)


@pytest.mark.parametrize("system", ["<USC2000/>", "<SC42/>"])
def test_a_point_at_nan_or_inf_is_a_problem_of_its_parcel(db_url: str, tmp_path: Path,
                                                          system: str) -> None:
    """The schema's xsd:double takes NaN and INF: a NaN X was GEOS's «Points of LinearRing do
    not form a closed linestring», a NaN or INF first Y in an SK-42 file «cannot convert float
    NaN to integer» (a 500 on the upload page). It is the parcel's problem, naming the point."""
    text = fill(TEMPLATES[4], rectangle(), parcel_id="0042", area_ha="0.1000").replace(
        "<USC2000/>", system)
    for bad in ("NaN", "INF", "-INF"):
        path = tmp_path / f"{bad}.xml"
        path.write_text(text.replace(f"<X>{X0 + 0.37:.2f}</X>", f"<X>{bad}</X>", 1).replace(
            f"<Y>{Y0 + 0.11:.2f}</Y>", f"<Y>{bad}</Y>", 1), encoding="utf-8")
        report = run(db_url, path, "land_parcels", files=FileOptions(crs="EPSG:6383"),
                     dry_run=True)
        assert report.refused, report.problems
        assert any("point UIDP 1 (X " in p.message and "not a finite number" in p.message
                   for p in report.problems), report.problems


def test_a_point_or_polyline_numbered_twice_apart_is_refused_naming_both_lines(
        db_url: str, tmp_path: Path) -> None:
    """A UIDP (or ULID) given twice with other coordinates (points) silently took the last:
    the parcel was another shape than the surveyor's, or overlapped its neighbour, without a
    word about why. The templates' repeated UIDP -1 at 0, 0 stays a template's problem."""
    text = fill(TEMPLATES[4], rectangle(), parcel_id="0042", area_ha="0.1000")
    again = (f"<Point><UIDP>2</UIDP><PN>2</PN><DeterminationMethod><Survey/>"
             f"</DeterminationMethod><X>{X0 + 5.37:.2f}</X><Y>{Y0 + 25.11:.2f}</Y></Point>")
    points = tmp_path / "points.xml"
    points.write_text(text.replace("</PointInfo>", again + "</PointInfo>", 1), encoding="utf-8")
    with pytest.raises(InvalidFile, match=r"points.xml: line \d+: point UIDP 2 is given again "
                                          r"with other coordinates than at line \d+"):
        run(db_url, points, "land_parcels", dry_run=True)
    line = "<PL><ULID>2</ULID><Points><P>2</P><P>4</P></Points><Length>0</Length></PL>"
    lines = tmp_path / "lines.xml"
    lines.write_text(text.replace("</Polyline>", line + "</Polyline>", 1), encoding="utf-8")
    with pytest.raises(InvalidFile, match=r"lines.xml: line \d+: polyline ULID 2 is given "
                                          r"again with other points than at line \d+"):
        run(db_url, lines, "land_parcels", dry_run=True)
    same = tmp_path / "same.xml"  # the same point twice is no ambiguity
    first = re.search(r"<Point>\s*<UIDP>1</UIDP>.*?</Point>", text, flags=re.S)
    assert first is not None
    same.write_text(text.replace("</PointInfo>", first[0] + "</PointInfo>", 1),
                    encoding="utf-8")
    report = run(db_url, same, "land_parcels", dry_run=True)
    assert report.rows == 1 and not report.refused, report.problems
    assert count(db_url, "land_parcel") == 0


def test_a_line_cut_by_fp_or_tp_off_its_polyline_is_a_problem_of_its_parcel(
        db_url: str, tmp_path: Path) -> None:
    """FP/TP take a part of a shared polyline; one naming a point the polyline has not was
    ignored and the whole polyline taken: another boundary, without a word. FP/TP 0 (the
    schema's default) still mean none given."""
    text = fill(TEMPLATES[4], rectangle(), parcel_id="0042", area_ha="0.1000")
    start = text.index("<ParcelMetricInfo>")  # the parcel's boundary, not the quarter's
    line = re.compile(r"<Line>\s*<ULID>(\d+)</ULID>\s*</Line>").search(text, start)
    assert line is not None
    for cut, named in (("<FP>1</FP><TP>77</TP>", "TP 77"), ("<FP>88</FP>", "FP 88"),
                       ("<FP>0</FP><TP>0</TP>", None)):
        path = tmp_path / "cut.xml"
        path.write_text(text[:line.start()] + f"<Line><ULID>{line[1]}</ULID>{cut}</Line>"
                        + text[line.end():], encoding="utf-8")
        report = run(db_url, path, "land_parcels", dry_run=True)
        found = [p.message for p in report.problems if "not on polyline" in p.message]
        if named is None:
            assert not found and not report.refused, report.problems
        else:
            assert report.refused and len(found) == 1, report.problems
            assert f"{named} not on polyline ULID {line[1]}, whose points are" in found[0]
