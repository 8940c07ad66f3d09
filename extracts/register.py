"""The extract register: every issued extract, its number, and what the sheet showed.

A number reads ``2026-000123-K7QF``: the year, the register's running number and four random
characters, so that the register cannot be walked by counting. The content hash is the SHA-256
of the canonical JSON of everything the sheet printed (values, catalogue, frame, scale …);
the sheet prints its first 16 hex digits and its QR code links to the check with them.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from gis.errors import NotFound

SUFFIX_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1: read off paper safely
NUMBER_PATTERN = re.compile(r"^(\d{4})-(\d{6,})-([A-Z2-9]{4})$")
PRINTED_HASH = 16  # hex digits of the hash printed on the sheet


def new_number(conn: psycopg.Connection, year: int) -> str:
    """Return a fresh extract number for ``year`` (the running part from the register's
    sequence; a failed extract leaves a gap, never a half-written row)."""
    row = conn.execute("SELECT nextval('extracts.register_seq')").fetchone()
    assert row is not None
    suffix = "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(4))
    return f"{year}-{int(row[0]):06d}-{suffix}"


def normalise_number(text: str) -> str:
    """Return the number as the register keeps it, or raise NotFound naming what was given.

    >>> normalise_number(" 2026-000123-k7qf ")
    '2026-000123-K7QF'
    """
    number = text.strip().upper()
    if not NUMBER_PATTERN.match(number):
        raise NotFound(f"{text.strip()!r} is not an extract number (they read like "
                       "2026-000123-K7QF)", number=text.strip()[:40])
    return number


def canonical_json(content: dict[str, Any]) -> str:
    """Return ``content`` as canonical JSON (sorted keys, no spaces) for hashing.

    >>> canonical_json({"b": 1, "a": [1.5, "ї"]})
    '{"a":[1.5,"ї"],"b":1}'
    """
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)


def content_hash(content: dict[str, Any]) -> str:
    """Return the SHA-256 (hex) of ``content``'s canonical JSON."""
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def printed_hash(full: str) -> str:
    """Return the hash as printed on the sheet: 16 hex digits in groups of four.

    >>> printed_hash("0123456789abcdef" * 4)
    '0123 4567 89ab cdef'
    """
    short = full[:PRINTED_HASH]
    return " ".join(short[i:i + 4] for i in range(0, len(short), 4))


@dataclass(frozen=True)
class Entry:
    """One row of the register."""

    number: str
    issued_at: datetime
    issued_by: str | None  # None: the anonymous public
    personal: bool  # the sheet printed personal data (staff only)
    kind: str  # object | area
    collection: str | None
    object_id: int | None
    object_label: str | None
    object_version: int | None
    scale: int
    paper: str
    orientation: str
    srid: int
    bbox: tuple[float, float, float, float]  # the map frame's ground box (easting, northing)
    content: dict[str, Any]
    content_hash: str


COLUMNS = ("number", "issued_at", "issued_by", "personal", "kind", "collection", "object_id",
           "object_label", "object_version", "scale", "paper", "orientation", "srid", "bbox",
           "content", "content_hash")


def record(conn: psycopg.Connection, entry: Entry) -> None:
    """Write ``entry`` into the register (in the caller's transaction)."""
    values = [getattr(entry, c) for c in COLUMNS]
    values[COLUMNS.index("bbox")] = list(entry.bbox)
    values[COLUMNS.index("content")] = Jsonb(entry.content)
    conn.execute(f"INSERT INTO extracts.register ({', '.join(COLUMNS)}) "  # noqa: S608
                 f"VALUES ({', '.join(['%s'] * len(COLUMNS))})", values)


def find(conn: psycopg.Connection, number: str) -> Entry:
    """Return the register's entry ``number`` or raise NotFound naming it."""
    number = normalise_number(number)
    row = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM extracts.register "  # noqa: S608
                       "WHERE number = %s", (number,)).fetchone()
    if row is None:
        raise NotFound(f"no extract {number} in the register: the sheet is not genuine or "
                       "the number was misread", number=number)
    values = dict(zip(COLUMNS, row, strict=True))
    values["bbox"] = tuple(values["bbox"])
    return Entry(**values)


def current_version(conn: psycopg.Connection, schema: str, table: str,
                    object_id: int) -> int | None:
    """Return the object's version now (None: it no longer exists)."""
    from psycopg import sql

    row = conn.execute(sql.SQL("SELECT version FROM {} WHERE id = %s").format(
        sql.Identifier(schema, table)), (object_id,)).fetchone()
    return None if row is None else int(row[0])


def hash_matches(entry: Entry, given: str | None) -> bool | None:
    """Return whether a hash read off a sheet (≥ 8 hex digits, spaces ignored) is the
    entry's, or None when none was given."""
    if not given:
        return None
    text = given.replace(" ", "").lower()
    return len(text) >= 8 and entry.content_hash.startswith(text)


def describe(entry: Entry, *, staff: bool, public_registry: bool, given_hash: str | None,
             version_now: int | None, public_underlay: bool = True) -> dict[str, Any]:
    """Return what the check of ``entry`` says to its reader.

    The public learns that the sheet is genuine and what it showed, but never personal data:
    the values of a sheet printed for staff (``personal``) are withheld, the whole content of
    a sheet of a registry the public cannot read, and the name of the staff member always.
    A staff-only raster under a staff sheet's map (``public_underlay`` False) does not exist
    for the public here either: its name and hash are left out.
    """
    out: dict[str, Any] = {
        "number": entry.number, "genuine": True,
        "issued_at": entry.issued_at.isoformat(),
        "issued_by": (entry.issued_by or "anonymous") if staff else
        ("staff" if entry.issued_by else "anonymous"),
        "kind": entry.kind, "collection": entry.collection, "object_id": entry.object_id,
        "object": entry.object_label if (public_registry or staff) else None,
        "scale": entry.scale, "paper": entry.paper, "orientation": entry.orientation,
        "crs": f"EPSG:{entry.srid}", "frame": list(entry.bbox),
        "content_hash": entry.content_hash, "hash_printed": printed_hash(entry.content_hash),
    }
    matches = hash_matches(entry, given_hash)
    if matches is not None:
        out["hash_matches"] = matches
    if entry.object_version is not None:
        out["object_version_printed"] = entry.object_version
        out["object_version_now"] = version_now
        out["object_changed_since"] = version_now != entry.object_version
    content = entry.content if staff or public_underlay else {
        k: v for k, v in entry.content.items() if k != "underlay"}
    if staff or (public_registry and not entry.personal):
        out["content"] = content
    elif public_registry:
        out["content"] = {k: v for k, v in content.items() if k != "attributes"}
        out["withheld"] = ("the sheet was printed for staff with personal data: its "
                           "attribute values are shown to staff only")
    else:
        out["withheld"] = "the registry is not public: what the sheet showed is for staff only"
    return out
