"""The address registry: the house-number grammar, its rules in the database, the search a
resident would type (apostrophes, abbreviations, Latin, typos, former names) and reverse lookup."""

from __future__ import annotations

import psycopg
import pytest

from gis.errors import NotFound, RuleViolation
from registries.addresses.house_number import house_key, house_number_problem, parse_house_number
from registries.addresses.search_text import latin_name, parse_address_query, search_key
from registries.catalog import default_catalog
from registries.rules import find_problems
from registries.search import find_addresses, find_objects, nearest_address, search
from tests.factories import E0, N0, SRID, create, make_address, make_street, multipolygon, ring

ADDRESSES = default_catalog().get("addresses")
FORMS = ["12", "12А", "12-А", "12 а", "12/1", "12А/3", "12/1А", "12 корп. 2", "12, корпус 2",
         "12-14", "0", "буд. 5", "12b", "012", "12–A"]


@pytest.mark.parametrize(("text", "canonical"), [
    ("12", "12"), ("12А", "12А"), ("12-А", "12А"), ("12 а", "12А"), ("12/1", "12/1"),
    ("12А/3", "12А/3"), ("12/1А", "12/1А"), ("12 корп. 2", "12 корп. 2"),
    ("12, корпус 2", "12 корп. 2"), ("12-a", "12А"),
])
def test_house_number_forms_parse_to_one_canonical_form(text: str, canonical: str) -> None:
    assert parse_house_number(text).canonical() == canonical


def test_legacy_range_is_not_a_house_number() -> None:
    assert house_number_problem("12-14") is not None


def test_sql_twins_agree_with_python(conn: psycopg.Connection) -> None:
    from app.demo import names

    words = {*names.PERSON_NAMES, *names.ADJECTIVE_NAMES, *names.DECOMMUNISED_GENITIVE,
             *names.DECOLONISED_GENITIVE, "Кам’янецька", "ЗГУРІВСЬКА", "Ёлкина", "Юності"}
    for word in sorted(words):
        got = conn.execute("SELECT registry.search_key(%s)", (word,)).fetchone()
        assert got == (search_key(word),), word
    for form in FORMS:
        got = conn.execute("SELECT registry.is_house_number(%s), registry.house_key(%s, %s)",
                           (form, form, "2")).fetchone()
        assert got == (house_number_problem(form) is None, house_key(form, "2")), form


def test_address_rules(conn: psycopg.Connection) -> None:
    street = make_street(conn, "Соборна")
    make_address(conn, street, "12")
    make_address(conn, street, "12А", at=(E0 + 3, N0 + 10))
    with pytest.raises(RuleViolation, match=r"address вул\. Соборна, 12-а is already registered "
                                            r"as address #\d+"):
        make_address(conn, street, "12-а", at=(E0 + 5, N0 + 10))
    make_address(conn, street, "12", at=(E0 + 5, N0 + 10), status="annulled")  # history: fine
    with pytest.raises(RuleViolation, match="house number '12-14' does not follow the grammar"):
        make_address(conn, street, "12-14", at=(E0 + 9, N0 + 10))
    conn.execute("SELECT set_config('gis.legacy_import', 'on', true)")
    make_address(conn, street, "12-14", at=(E0 + 9, N0 + 10))
    assert [p.rule for p in find_problems(conn, ADDRESSES)] == ["house_number_grammar"]


def test_address_point_outside_its_building_is_reported(conn: psycopg.Connection) -> None:
    street = make_street(conn)
    building = create(conn, "buildings", multipolygon(ring(E0, N0, 10)), floors=2)
    make_address(conn, street, "3", at=(E0 + 5, N0 + 5), building_id=building)
    make_address(conn, street, "5", at=(E0 + 25, N0 + 5), building_id=building)
    assert [p.message for p in find_problems(conn, ADDRESSES)
            if p.rule == "point_in_building"] == [
        f"address вул. Соборна, 5: the address point lies 15.0 m outside its building "
        f"#{building}"]


def test_former_names_must_have_a_name_and_a_date(conn: psycopg.Connection) -> None:
    with pytest.raises(RuleViolation, match="street Соборна: former names must be a list"):
        make_street(conn, former=[{"name": "Леніна", "until": "2016"}])


@pytest.fixture
def town(conn: psycopg.Connection) -> psycopg.Connection:
    """A few streets and addresses: renamed streets, apostrophes, a lane and a street alike."""
    soborna = make_street(conn, "Соборна", former=[{"name": "Леніна", "street_type": "вулиця",
                                                   "until": "2016-02-19"}])
    kam = make_street(conn, "Кам'янецька")
    shev = make_street(conn, "Тараса Шевченка")
    sad_st = make_street(conn, "Садова")
    sad_lane = make_street(conn, "Садовий", "провулок")
    myru = make_street(conn, "Миру", "проспект", former=[{"name": "Пушкіна",
                                                          "until": "2022-07-08"}])
    lisovyi = make_street(conn, "1-й Лісовий", "провулок")
    for k, (street, house, korpus) in enumerate([
            (soborna, "12", None), (soborna, "12А", None), (soborna, "14", None),
            (kam, "5", None), (kam, "5/1", None), (shev, "3", None), (sad_st, "7", None),
            (sad_lane, "7", None), (myru, "24", "2"), (myru, "24", None),
            (lisovyi, "2", None), (lisovyi, "13", None), (lisovyi, "13", "2")]):
        make_address(conn, street, house, at=(E0 + 15 * k, N0 + 10), korpus=korpus)
    return conn


@pytest.mark.parametrize(("query", "expected"), [
    ("вул. Соборна, 12", "вул. Соборна, 12"),
    ("соборна 12а", "вул. Соборна, 12А"),
    ("СОБОРНА 12-А", "вул. Соборна, 12А"),
    ("Soborna 14", "вул. Соборна, 14"),
    ("Саборна 14", "вул. Соборна, 14"),
    ("вулиця Леніна 12", "вул. Соборна, 12"),
    ("Кам’янецька 5", "вул. Кам'янецька, 5"),
    ("Камʼянецька 5/1", "вул. Кам'янецька, 5/1"),
    ("Kamianetska 5", "вул. Кам'янецька, 5"),
    ("Шевченка 3", "вул. Тараса Шевченка, 3"),
    ("пров. Садовий 7", "пров. Садовий, 7"),
    ("вул Садова 7", "вул. Садова, 7"),
    ("просп. Миру 24 корп. 2", "просп. Миру, 24, корп. 2"),
    ("prosp. Myru 24 k2", "просп. Миру, 24, корп. 2"),
    ("Пушкіна 24", "просп. Миру, 24"),
    # Latin forms parse like the Cyrillic ones: the house is 13 and the korpus 2, not house 2
    ("prov. 1-y Lisovyi, 13, korp. 2", "пров. 1-й Лісовий, 13, корп. 2"),
    ("пров. 1-й Лісовий, 13, корп. 2", "пров. 1-й Лісовий, 13, корп. 2"),
    ("1-y Lisovyi 13 korpus 2", "пров. 1-й Лісовий, 13, корп. 2"),
    ("1-y Lisovyi Ln 13 k. 2", "пров. 1-й Лісовий, 13, корп. 2"),
    ("prov. 1-y Lisovyi, 13", "пров. 1-й Лісовий, 13"),
    ("Soborna St, 12a", "вул. Соборна, 12А"),
])
def test_search_finds_what_residents_type(town: psycopg.Connection, query: str,
                                          expected: str) -> None:
    hits = find_addresses(town, query, limit=3)
    assert hits and hits[0].label == expected, [h.label for h in hits]


def test_a_former_name_is_answered_with_the_current_one(town: psycopg.Connection) -> None:
    hit = find_addresses(town, "Леніна 14")[0]
    assert (hit.label, hit.note) == ("вул. Соборна, 14", "колишня вул. Леніна")


def test_without_a_house_number_the_streets_are_found(town: psycopg.Connection) -> None:
    hits = find_addresses(town, "пров. Садовий")
    assert [h.collection for h in hits][:1] == ["streets"]
    assert hits[0].label == "пров. Садовий"


def test_query_parts() -> None:
    q = parse_address_query("м. Хмельницький, вул. Кам'янецька, буд. 5, кв. 3", ("Хмельницький",))
    assert (q.street_key, q.street_type, q.house_key) == ("kamianetska", "вулиця", "5")


def test_search_over_registries_never_matches_a_hidden_name(conn: psycopg.Connection) -> None:
    from tests.factories import make_parcel

    make_parcel(conn, holder_kind="natural", holder_name="Гордієнко Оксана",
                holder_rnokpp="1234567890", holder_edrpou=None)
    catalog = default_catalog()
    assert search(conn, catalog, "Гордієнко") == []
    staff = search(conn, catalog, "Гордієнко", personal=True)
    assert [h.label for h in staff] == ["6810100000:01:001:0001"]
    assert [h.label for h in search(conn, catalog, "6810100000 01 001 0001")] == [
        "6810100000:01:001:0001"]


@pytest.mark.parametrize("typed", [
    "6810100000-01-001-0001", "6810100000.01.001.0001", "6810100000/01/001/0001",
    "6810100000：01：001：0001", "6810100000 : 01 : 001 : 0001",
    "Кадастровий номер: 6810100000:01:001:0001", "к.н. 6810100000-01-001-0001",
    "6810100000-01-001",
    # typed: «Ж» is the colon's key with the Ukrainian layout on, a semicolon, the letter O
    # (Cyrillic, Latin) for a zero; they found nothing, or the addresses numbered 1
    "6810100000Ж01Ж001Ж0001", "6810100000ж01ж001ж0001", "6810100000;01;001;0001",
    "681О1ООООО:О1:ОО1:ООО1", "681o1ooooo:o1:oo1:ooo1"])
def test_a_cadastral_number_is_found_however_it_was_copied(conn: psycopg.Connection,
                                                           typed: str) -> None:
    # numbers come from documents and spreadsheets with dashes or dots, or with their label;
    # they used to find nothing, or addresses numbered 1
    from registries.report import parcel_id_by_number
    from tests.factories import make_parcel

    pid = make_parcel(conn)
    street = make_street(conn, "Соборна")
    make_address(conn, street, "1")
    hits = search(conn, default_catalog(), typed)
    assert [(h.collection, h.label) for h in hits] == [
        ("land_parcels", "6810100000:01:001:0001")], typed
    if typed.count("0001") == 2 and not typed.startswith(("К", "к")) or "О" in typed:
        assert parcel_id_by_number(conn, typed) == pid  # /reports/parcels/…, extracts


def test_the_beginning_of_a_cadastral_number_lists_the_numbers_in_order(
        conn: psycopg.Connection) -> None:
    """Typing a number's beginning reads down the numbers that follow it: a similarity score
    put 02:003:0003 before 02:001:0002."""
    from tests.factories import make_parcel

    numbers = ["6810100000:02:003:0003", "6810100000:02:001:0100", "6810100000:02:001:0002",
               "6810100000:02:010:0001", "6810100000:02:001:0010", "6810100000:03:001:0001",
               "6810100000:02:001:0001", "6810100000:02:004:0004"]
    for k, number in enumerate(numbers):
        make_parcel(conn, number, multipolygon(ring(E0 + 30 * k, N0, 20)))
    hits = search(conn, default_catalog(), "6810100000:02:00", limit=5)
    assert [h.label for h in hits] == ["6810100000:02:001:0001", "6810100000:02:001:0002",
                                       "6810100000:02:001:0010", "6810100000:02:001:0100",
                                       "6810100000:02:003:0003"]
    assert [h.label for h in search(conn, default_catalog(), "6810100000 02 001")] == [
        "6810100000:02:001:0001", "6810100000:02:001:0002", "6810100000:02:001:0010",
        "6810100000:02:001:0100"]
    assert {h.matched for h in hits} == {"cadastral_number"}


def test_hits_from_other_registries_say_why_they_matched(conn: psycopg.Connection) -> None:
    from tests.factories import make_boundary, make_permit

    make_boundary(conn)
    make_permit(conn, "ХМ-2026-0007", distributor_name="ТОВ «Бігборд Поділля»")
    catalog = default_catalog()
    hits = search(conn, catalog, "Поділля")
    assert [(h.collection, h.label, h.matched, h.matched_text) for h in hits] == [
        ("advertising_structures", "ХМ-2026-0007", "distributor_name", "ТОВ «Бігборд Поділля»")]
    one_by_one = find_objects(conn, catalog.get("advertising_structures"), "Поділля")
    assert [(h.id, h.matched) for h in one_by_one] == [(h.id, h.matched) for h in hits]


@pytest.mark.parametrize("typed", ["Кам’янецька, 7", "Камʼянецька", "кам'ЯН", "КАМ`ЯНЕЦЬКА, 7"])
def test_any_apostrophe_finds_the_text_of_other_registries(conn: psycopg.Connection,
                                                           typed: str) -> None:
    # a phone types ’ (or ʼ), a registry holds ' (or the other way round): the street search
    # folded them, the other registries' text (a permit's location, OGC ``q``) did not
    from psycopg import sql

    from registries.filters import Filter
    from tests.factories import make_boundary, make_permit

    make_boundary(conn)
    make_permit(conn, "ХМ-2026-0008", location_text="вул. Кам'янецька, 7")
    make_permit(conn, "ХМ-2026-0009", at=(E0 + 50, N0), location_text="вул. Кам’янецька, 9")
    catalog = default_catalog()
    hits = search(conn, catalog, typed, collections=["advertising_structures"])
    wanted = ["ХМ-2026-0008"] if typed.endswith("7") else ["ХМ-2026-0008", "ХМ-2026-0009"]
    assert sorted(h.label for h in hits) == wanted, typed
    reg = catalog.get("advertising_structures")
    where = Filter(reg, SRID)
    where.add_text(typed)
    found = conn.execute(sql.SQL("SELECT permit_number FROM registry.advertising_structure AS t "
                                 "WHERE {} ORDER BY 1").format(where.where()),
                         where.params).fetchall()
    # q's terms are comma-separated alternatives: the street's name matches both
    assert [r[0] for r in found] == ["ХМ-2026-0008", "ХМ-2026-0009"], typed


@pytest.mark.parametrize("typed", ["XM-2026-0012", "xm-2026-0012", "ХМ-2026-0012", "Xм-2026"])
def test_latin_look_alikes_find_a_permit_number(conn: psycopg.Connection, typed: str) -> None:
    """A permit number copied from paper on a Latin keyboard («XM-2026-0012»: Latin X and M)
    found nothing; the registry's is Cyrillic. Letters that look alike match either way, in
    the search and in OGC ``q``."""
    from psycopg import sql

    from registries.filters import Filter
    from tests.factories import make_boundary, make_permit

    make_boundary(conn)
    make_permit(conn, "ХМ-2026-0012")
    make_permit(conn, "ХМ-2026-0013", at=(E0 + 50, N0))
    catalog = default_catalog()
    hits = search(conn, catalog, typed, collections=["advertising_structures"])
    wanted = ["ХМ-2026-0012"] if typed.endswith("12") else ["ХМ-2026-0012", "ХМ-2026-0013"]
    assert sorted(h.label for h in hits) == wanted
    where = Filter(catalog.get("advertising_structures"), SRID)
    where.add_text(typed)
    found = conn.execute(sql.SQL("SELECT permit_number FROM registry.advertising_structure AS t "
                                 "WHERE {} ORDER BY 1").format(where.where()),
                         where.params).fetchall()
    assert [r[0] for r in found] == wanted


def test_street_names_in_latin_follow_the_official_rules(conn: psycopg.Connection) -> None:
    from app.demo import names

    words = {*names.PERSON_NAMES, *names.ADJECTIVE_NAMES, "Кам’янецька", "Згурського",
             "1-й Лісовий", "Юрія Іллєнка", "Ґалаґана", "Щорса"}
    for word in sorted(words):
        got = conn.execute("SELECT registry.latin_name(%s)", (word,)).fetchone()
        assert got == (latin_name(word),), word
        assert latin_name(word).isascii() or "’" in word, word
    assert latin_name("Ґалаґана") == "Galagana" and latin_name("Щорса") == "Shchorsa"


def test_reverse_lookup_finds_the_nearest_address(town: psycopg.Connection) -> None:
    lon, lat = town.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_SetSRID("
                            "ST_MakePoint(%s, %s), 6383), 4326) AS p) s",
                            (E0 + 2, N0 + 13)).fetchone()  # type: ignore[misc]
    hit, distance = nearest_address(town, lon, lat, storage_srid=SRID)
    assert hit.label == "вул. Соборна, 12" and distance == pytest.approx(3.6, abs=0.05)
    with pytest.raises(NotFound, match="no address within 250 m"):
        nearest_address(town, 27.5, 49.8, storage_srid=SRID)
