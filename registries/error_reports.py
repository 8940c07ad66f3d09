"""Reports of mistakes from the public (повідомлення про помилку) and their tickets.

A visitor reports a mistake on an object's card: a comment, optionally a point on the map and
contact details. The report lands in the queue of the registry's holder department with a
ticket the visitor can look up — its status (new, in work, fixed, rejected) and the holder's
answer. The ticket is a random code (48 bits), so nobody reads another visitor's report by
guessing; contact details are personal data: only the holder's staff read them, never a
lookup, an export or any public output.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from gis.auth import Principal
from gis.errors import InvalidParameter, NotFound
from registries.catalog import Catalog
from registries.model import CodeList, Registry

STATUSES = CodeList([
    ("new", "нове", "new"),
    ("in_work", "в роботі", "in work"),
    ("fixed", "виправлено", "fixed"),
    ("rejected", "відхилено", "rejected"),
])
TABLE = ("verification", "error_reports")
TICKET_ALPHABET = "ABCDEFHJKLMNPRSTUVWXYZ23456789"  # no 0/O, 1/I/G: read aloud, typed back
TICKET_PARTS = (5, 5)
MAX_ANSWER = 2000
NEAR_M = 2000.0  # a point must lie within this distance of the object it is about


def new_ticket() -> str:
    """Return a fresh random ticket, e.g. ``K7RFM-3XR2D`` (30 letters/digits, 10 of them).

    >>> t = new_ticket(); len(t), t[5], set(t) - set(TICKET_ALPHABET + "-")
    (11, '-', set())
    """
    return "-".join("".join(secrets.choice(TICKET_ALPHABET) for _ in range(n))
                    for n in TICKET_PARTS)


def normalise_ticket(text: str) -> str:
    """Return a ticket as stored: upper case, Latin look-alikes of Cyrillic letters folded,
    spaces dropped, the dash in its place; raise InvalidParameter when it cannot be one.

    >>> normalise_ticket(" k7rfm 3xr2d ")
    'K7RFM-3XR2D'
    """
    folded = str(text or "").upper().translate(str.maketrans("АВЕКМНОРСТХ", "ABEKMHOPCTX"))
    plain = "".join(c for c in folded if c.isalnum())
    if len(plain) != sum(TICKET_PARTS) or set(plain) - set(TICKET_ALPHABET):
        raise InvalidParameter("a ticket looks like K7RFM-3XR2D (10 letters and digits)",
                               parameter="ticket")
    return f"{plain[:TICKET_PARTS[0]]}-{plain[TICKET_PARTS[0]:]}"


@dataclass(frozen=True)
class NewReport:
    """A report as filed, validated."""

    collection: str
    object_id: int
    comment: str
    contact: str | None = None
    lon: float | None = None
    lat: float | None = None
    lang: str = "uk"


def _text(body: dict[str, Any], name: str, limit: int, *, required: bool) -> str | None:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidParameter(f"{name} is required", parameter=name)
        return None
    if not isinstance(value, str):
        raise InvalidParameter(f"{name} must be text", parameter=name)
    text = " ".join(value.replace("\r", "").split("\n")).strip() if name == "contact" \
        else value.replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise InvalidParameter(f"{name} is longer than {limit} characters ({len(text)})",
                               parameter=name)
    _no_control(text, name)
    return text


def _no_control(text: str, name: str) -> None:
    r"""Refuse a text holding a control character (but line breaks and tabs), naming it and
    its position.

    >>> _no_control("ok\tfine\n", "answer")
    >>> _no_control("a\x00b", "answer")
    Traceback (most recent call last):
    ...
    gis.errors.InvalidParameter: answer holds a control character (U+0000) at 2
    """
    at = next((i for i, c in enumerate(text, 1) if ord(c) < 32 and c not in "\n\t"), None)
    if at is not None:
        raise InvalidParameter(f"{name} holds a control character (U+{ord(text[at - 1]):04X}) "
                               f"at {at}", parameter=name)


def parse_report(body: Any, catalog: Catalog, *, max_comment: int = 2000,
                 max_contact: int = 200) -> NewReport:
    """Return the report a request body holds, or raise InvalidParameter naming the field."""
    if not isinstance(body, dict):
        raise InvalidParameter("the report must be a JSON object")
    known = {"collection", "id", "comment", "contact", "point", "lang"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise InvalidParameter(f"unknown fields {unknown}; a report has {sorted(known)}")
    collection = body.get("collection")
    if collection is None:  # said as Python's None before: "no public collection None"
        raise InvalidParameter("collection is required: the id of the object's collection "
                               "(e.g. land_parcels)", parameter="collection")
    if not isinstance(collection, str):
        raise InvalidParameter("collection must be the id of a collection, as text (e.g. "
                               "land_parcels)", parameter="collection")
    if collection not in catalog.ids or not catalog.get(collection).public:
        raise InvalidParameter(f"no public collection {collection[:40]!r}",
                               parameter="collection")
    obj_id = body.get("id")
    if isinstance(obj_id, bool) or not isinstance(obj_id, int | str) \
            or not str(obj_id).isascii() or not str(obj_id).isdigit() \
            or len(str(obj_id)) > 18:  # "²" is a digit to isdigit, and no number to int
        raise InvalidParameter("id must be the object's number", parameter="id")
    comment = _text(body, "comment", max_comment, required=True)
    assert comment is not None
    contact = _text(body, "contact", max_contact, required=False)
    lon = lat = None
    point = body.get("point")
    if point is not None:
        if (not isinstance(point, list) or len(point) != 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in point)
                or not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90)):
            raise InvalidParameter("point must be [longitude, latitude] in WGS 84",
                                   parameter="point")
        lon, lat = float(point[0]), float(point[1])
    lang = body.get("lang", "uk")
    return NewReport(collection, int(obj_id), comment, contact, lon, lat,
                     "en" if lang == "en" else "uk")


def file_report(conn: psycopg.Connection, catalog: Catalog, report: NewReport, *,
                storage_srid: int) -> dict[str, Any]:
    """Store ``report`` about a published object; return its ticket, status and time."""
    reg = catalog.get(report.collection)
    label = sql.SQL("coalesce(t.{}::text, '#' || t.id)").format(sql.Identifier(reg.label)) \
        if reg.label and reg.field(reg.label).is_public else sql.SQL("'#' || t.id")
    found = conn.execute(sql.SQL(
        "SELECT t.version, {label}, CASE WHEN %(lon)s::float8 IS NULL THEN NULL ELSE "
        "ST_Distance(t.geom, ST_Transform(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), "
        "%(srid)s)) END FROM {view} AS t WHERE t.id = %(id)s").format(
        label=label, view=sql.Identifier(*reg.public_view)),
        {"id": report.object_id, "lon": report.lon, "lat": report.lat,
         "srid": storage_srid}).fetchone()
    if found is None:
        raise NotFound(f"{reg.id} has no object {report.object_id}", collection=reg.id)
    version, label, distance = found
    if distance is not None and distance > NEAR_M:
        raise InvalidParameter(f"the point lies {distance / 1000:.1f} km from "
                               f"{reg.object_noun} {label}: mark the place of the mistake "
                               f"within {NEAR_M / 1000:g} km of it", parameter="point")
    for _ in range(5):  # a clash of two random tickets is as good as impossible; retry anyway
        ticket = new_ticket()
        row = conn.execute(sql.SQL(
            "INSERT INTO {} (ticket, collection, object_id, object_version, object_label, "
            "comment, location, contact, lang, department) VALUES (%(ticket)s, %(c)s, %(id)s, "
            "%(version)s, %(label)s, %(comment)s, CASE WHEN %(lon)s::float8 IS NULL THEN NULL "
            "ELSE ST_Transform(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), %(srid)s) "
            "END, %(contact)s, %(lang)s, %(dept)s) ON CONFLICT (ticket) DO NOTHING "
            "RETURNING ticket, status, created_at").format(sql.Identifier(*TABLE)),
            {"ticket": ticket, "c": reg.id, "id": report.object_id, "version": version,
             "label": label, "comment": report.comment, "lon": report.lon, "lat": report.lat,
             "srid": storage_srid, "contact": report.contact, "lang": report.lang,
             "dept": reg.holder_department.code}).fetchone()
        if row is not None:
            return {"ticket": row[0], "status": row[1], "created_at": row[2].isoformat()}
    raise RuntimeError("could not draw a free ticket")


def filed_today(conn: psycopg.Connection, time_zone: str) -> int:
    """Return how many reports were filed today (the city's day), by every client."""
    row = conn.execute(sql.SQL(
        "SELECT count(*) FROM {} WHERE created_at >= date_trunc('day', now() AT TIME ZONE "
        "%(tz)s) AT TIME ZONE %(tz)s").format(sql.Identifier(*TABLE)), {"tz": time_zone}
    ).fetchone()
    return int(row[0]) if row else 0


def lookup(conn: psycopg.Connection, ticket: str) -> dict[str, Any]:
    """Return what the visitor who holds ``ticket`` may read: never the contact details."""
    row = conn.execute(sql.SQL(
        "SELECT ticket, status, created_at, collection, object_id, object_label, comment, "
        "answer, answered_at, department, ST_AsGeoJSON(ST_Transform(location, 4326), 7)::json "
        "FROM {} WHERE ticket = %s").format(sql.Identifier(*TABLE)),
        (normalise_ticket(ticket),)).fetchone()
    if row is None:
        raise NotFound("no report with this ticket", parameter="ticket")
    keys = ("ticket", "status", "created_at", "collection", "id", "label", "comment", "answer",
            "answered_at", "department", "point")
    out = dict(zip(keys, row, strict=True))
    out["status_title"] = STATUSES.as_dict()[out["status"]]
    for k in ("created_at", "answered_at"):
        if isinstance(out[k], datetime):
            out[k] = out[k].isoformat()
    return out


def reports(conn: psycopg.Connection, reg: Registry, *, status: str | None = None,
            limit: int = 200, contacts: bool = True) -> list[dict[str, Any]]:
    """Return the reports about ``reg``'s objects, the open ones (new, in work) first, oldest
    first; with the visitors' contacts for its holder's staff only (``contacts``)."""
    if status is not None and status not in STATUSES:
        raise InvalidParameter(f"status must be one of {', '.join(STATUSES)}",
                               parameter="status")
    rows = conn.execute(sql.SQL(
        "SELECT ticket, status, created_at, object_id, object_version, object_label, comment, "
        "contact, ST_AsGeoJSON(ST_Transform(location, 4326), 7)::json, answer, answered_by, "
        "answered_at FROM {} WHERE collection = %(c)s AND (%(s)s::text IS NULL OR status = "
        "%(s)s) ORDER BY status NOT IN ('new', 'in_work'), created_at LIMIT %(limit)s").format(
        sql.Identifier(*TABLE)), {"c": reg.id, "s": status, "limit": limit}).fetchall()
    keys = ("ticket", "status", "created_at", "id", "version", "label", "comment", "contact",
            "point", "answer", "answered_by", "answered_at")
    out = []
    for r in rows:
        item = dict(zip(keys, r, strict=True))
        for k in ("created_at", "answered_at"):
            if isinstance(item[k], datetime):
                item[k] = item[k].isoformat()
        if not contacts:
            del item["contact"]
        out.append(item)
    return out


def open_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Return how many reports are open (new or in work) per collection."""
    rows = conn.execute(sql.SQL("SELECT collection, count(*) FROM {} WHERE status IN "
                                "('new', 'in_work') GROUP BY collection").format(
        sql.Identifier(*TABLE))).fetchall()
    return {str(c): int(n) for c, n in rows}


def report_registry(conn: psycopg.Connection, catalog: Catalog, ticket: str) -> Registry:
    """Return the registry a ticket's report is about."""
    row = conn.execute(sql.SQL("SELECT collection FROM {} WHERE ticket = %s").format(
        sql.Identifier(*TABLE)), (normalise_ticket(ticket),)).fetchone()
    if row is None:
        raise NotFound("no report with this ticket", parameter="ticket")
    return catalog.get(str(row[0]))


def answer(conn: psycopg.Connection, ticket: str, status: str, text: str | None,
           who: Principal) -> dict[str, Any]:
    """Set a report's status and the holder's answer (the caller checked ``who`` may)."""
    if status not in STATUSES:
        raise InvalidParameter(f"status must be one of {', '.join(STATUSES)}",
                               parameter="status")
    text = (text or "").strip() or None
    if text and len(text) > MAX_ANSWER:
        raise InvalidParameter(f"the answer is longer than {MAX_ANSWER} characters",
                               parameter="answer")
    if text:  # shown to the visitor who looks the ticket up: no NUL (a database error) nor
        _no_control(text.replace("\r\n", "\n"), "answer")  # a bell or an escape stored
    if status in ("fixed", "rejected") and not text:
        raise InvalidParameter("say what was done: a fixed or rejected report needs an answer "
                               "for the visitor", parameter="answer")
    row = conn.execute(sql.SQL(
        "UPDATE {} SET status = %s, answer = coalesce(%s, answer), answered_by = %s, "
        "answered_at = now() WHERE ticket = %s RETURNING ticket").format(
        sql.Identifier(*TABLE)), (status, text, who.name, normalise_ticket(ticket))).fetchone()
    if row is None:
        raise NotFound("no report with this ticket", parameter="ticket")
    return lookup(conn, str(row[0]))
