"""Error reports from the public: bounded per client and per day, size-limited, answered by the
registry's holder, looked up by ticket; a flood from one client stores nothing beyond the limit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from gis.auth import Role
from gis.cluster import EmbeddedCluster
from gis.settings import ErrorReportSettings
from gis.staff_rights import grant_verifier, set_department
from gis.users import add_user
from registries.error_reports import filed_today
from tests.conftest import DEMO_TODAY, clone, drop, served

DB = "error_reports"
TOKENS = {"tok-taras": "taras:planner", "tok-ivan": "ivan:registrar"}


@pytest.fixture(scope="module")
def city(cluster: EmbeddedCluster, template_url: str) -> Iterator[dict[str, Any]]:
    """A server over the demo city where the loopback is an ordinary client (no exemption):
    three reports at once, then one every 10 minutes, five a day."""
    from app.demo.load import load_demo

    url = clone(cluster, "gis_template", DB)
    with psycopg.connect(url) as conn:
        load_demo(conn, scale=0.01, seed=68, today=DEMO_TODAY, srid=6383)
        add_user(conn, "taras", frozenset({Role.PLANNER}), password=None, with_db_login=False)
        set_department(conn, "taras", "land_resources")
        grant_verifier(conn, "taras", "land_parcels")
        add_user(conn, "ivan", frozenset({Role.REGISTRAR}), password=None, with_db_login=False)
        parcel = conn.execute("SELECT id FROM open_data.land_parcel ORDER BY id LIMIT 1"
                              ).fetchone()[0]  # type: ignore[index]
        conn.commit()
    try:
        with served({"GIS_DATABASE_URL": url, "GIS_LIMITS__RATE_EXEMPT": "[]",
                     "GIS_AUTH__TOKENS": json.dumps(TOKENS),
                     "GIS_ERROR_REPORTS__CLIENT_BURST": "3",
                     "GIS_ERROR_REPORTS__CLIENT_EVERY_MIN": "10",
                     "GIS_ERROR_REPORTS__PER_CLIENT_DAY": "5"}) as base:
            yield {"url": url, "server": base, "parcel": parcel}
    finally:
        drop(cluster, DB)


def stored(env: dict[str, Any]) -> int:
    with psycopg.connect(env["url"]) as conn:
        return int(conn.execute("SELECT count(*) FROM verification.error_reports"
                                ).fetchone()[0])  # type: ignore[index]


def report(env: dict[str, Any], **extra: Any) -> httpx.Response:
    body = {"collection": "land_parcels", "id": env["parcel"],
            "comment": "Ділянка насправді ширша на два метри", **extra}
    return httpx.post(f"{env['server']}/error-reports", json=body, timeout=30)


def test_bad_reports_are_refused_naming_the_field_and_store_nothing(
        city: dict[str, Any]) -> None:
    before = stored(city)
    cases = [({"comment": ""}, 400, "comment is required"),
             ({"comment": "я" * 2001}, 400, "comment is longer than 2000"),
             ({"contact": "x" * 201}, 400, "contact is longer than 200"),
             ({"point": [27.0]}, 400, "point must be [longitude, latitude]"),
             ({"point": [30.5, 50.45]}, 400, "mark the place of the mistake within 2 km"),
             ({"id": 999_999_999}, 404, "land_parcels has no object 999999999"),
             ({"collection": "nope"}, 400, "no public collection 'nope'"),
             ({"collection": None}, 400, "collection is required"),  # not "… None"
             ({"collection": ["land_parcels"]}, 400, "collection must be the id of a"),
             ({"shoe_size": 42}, 400, "unknown fields ['shoe_size']"),
             # a digit to str.isdigit, no number to int: was a 500
             ({"id": "\u00b2"}, 400, "id must be the object's number")]
    for extra, status, needle in cases:
        r = report(city, **extra)
        assert r.status_code == status, (extra, r.text)
        assert needle in r.json()["detail"], r.json()["detail"]
    big = httpx.post(f"{city['server']}/error-reports", content=b"{" + b" " * 9000 + b"}",
                     headers={"Content-Type": "application/json"}, timeout=30)
    assert big.status_code == 413
    assert httpx.get(f"{city['server']}/error-reports/not-a-ticket").status_code == 400
    assert httpx.get(f"{city['server']}/error-reports/AAAAA-AAAAA").status_code == 404
    assert stored(city) == before


def test_a_report_is_answered_by_its_holder_and_looked_up_by_ticket(
        city: dict[str, Any]) -> None:
    r = report(city, contact="+380501112233", point=None)
    assert r.status_code == 201, r.text
    ticket = r.json()["ticket"]
    looked = httpx.get(f"{city['server']}/error-reports/{ticket.lower().replace('-', ' ')}")
    assert looked.json()["status"] == "new" and "contact" not in looked.json()
    answer = {"status": "fixed", "answer": "Межу виправлено за матеріалами обміру 2026 року"}
    refused = httpx.patch(f"{city['server']}/error-reports/{ticket}", json=answer,
                          headers={"Authorization": "Bearer tok-ivan"})
    assert refused.status_code == 403  # a registrar of no department answers no parcel report
    queue = httpx.get(f"{city['server']}/registries/land_parcels/error-reports",
                      headers={"Authorization": "Bearer tok-taras"}).json()["reports"]
    assert [q["contact"] for q in queue if q["ticket"] == ticket] == ["+380501112233"]
    # a visitor's contact is for the holder's staff only: a registrar of another department
    # sees the report, not who wrote it (any staff read the contacts)
    other = httpx.get(f"{city['server']}/registries/land_parcels/error-reports",
                      headers={"Authorization": "Bearer tok-ivan"})
    assert other.status_code == 200 and "+380501112233" not in other.text
    assert [q["comment"] for q in other.json()["reports"] if q["ticket"] == ticket]
    for wrong, at in (("Виправлено\x00", 11), ("\x1b[31mВиправлено", 1)):  # was a 500-like
        r = httpx.patch(f"{city['server']}/error-reports/{ticket}",  # database refusal, and
                        json={"status": "fixed", "answer": wrong},  # an escape was stored
                        headers={"Authorization": "Bearer tok-taras"})
        assert r.status_code == 400, r.text
        assert r.json()["parameter"] == "answer"
        assert f"answer holds a control character (U+{ord(wrong[at - 1]):04X}) at {at}" \
            in r.json()["detail"]
    assert httpx.get(f"{city['server']}/error-reports/{ticket}").json()["status"] == "new"
    r = httpx.patch(f"{city['server']}/error-reports/{ticket}", json=answer,
                    headers={"Authorization": "Bearer tok-taras"})
    assert r.status_code == 200, r.text
    looked = httpx.get(f"{city['server']}/error-reports/{ticket}").json()
    assert (looked["status"], looked["answer"]) == ("fixed", answer["answer"])
    assert looked["status_title"] == {"uk": "виправлено", "en": "fixed"}


def test_flooding_from_one_client_is_cut_off_and_stores_nothing_beyond_the_limit(
        city: dict[str, Any]) -> None:
    before = stored(city)
    answers = [report(city, comment=f"повідомлення {i}") for i in range(12)]
    codes = [a.status_code for a in answers]
    # the earlier tests of this module spent 1 of the client's burst of 3
    assert codes.count(201) == 2 and codes[:2] == [201, 201], codes
    assert set(codes[2:]) == {429}, codes
    assert all(int(a.headers["retry-after"]) > 0 for a in answers[2:])
    assert "too many reports from 127.0.0.1" in answers[2].json()["detail"]
    assert stored(city) == before + 2


def test_the_day_is_capped_for_everybody_together(conn: psycopg.Connection) -> None:
    from app.report_limits import ReportAdmission
    from gis.errors import TooManyRequests

    admission = ReportAdmission(ErrorReportSettings(per_day=2, client_burst=0),
                                frozenset(), "Europe/Kyiv")
    for ticket in ("AAAAA-AAAA2", "AAAAA-AAAA3"):
        conn.execute("INSERT INTO verification.error_reports (ticket, collection, object_id, "
                     "comment) VALUES (%s, 'land_parcels', 1, 'x')", (ticket,))
    with pytest.raises(TooManyRequests, match="taken 2 reports today"):
        admission.check_day(filed_today(conn, "Europe/Kyiv"))
    admission.check_day(1)  # under the cap: admitted
