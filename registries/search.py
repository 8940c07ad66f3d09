"""Search: addresses as residents type them, any registry's searchable fields, reverse lookup.

Search reads the published versions (``published.<table>``, ``registries.publication``): a
change waiting for verification is not found until its holder approves it.

Addresses: the query is taken apart in Python (``registries.addresses.search_text``: street
key, street type, house number), then one SQL statement ranks the street names — current and
former, in ``search.street_name`` — by trigram similarity of their keys (pg_trgm), and joins
the addresses of the best streets whose house number matches (``registry.house_key``).
Ranking: street similarity (word similarity counts, so "Шевченка" finds "Тараса Шевченка"),
a bonus when the street type matches the query's, a small preference for current names, then
how exactly the house number matches (same key, same number and letter, same number).

Other registries: their searchable text fields, ``~*`` (contains; any apostrophe matches any
other) / similarity on the trigram indexes, and never a hidden value: personal fields are not
searched for the public, and a field that is personal for natural persons is searched only
where it is not (``PersonalIf``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from gis.crs import in_query_domain
from gis.errors import InvalidParameter, NotFound
from registries.addresses.search_text import AddressQuery, contains_regex, parse_address_query
from registries.catalog import Catalog
from registries.model import PUBLIC_SCHEMA, STAFF_SCHEMA, FieldType, Registry
from registries.parcels.cadastral_number import (
    cadastral_number_in,
    looks_like_cadastral_number,
    normalise_cadastral_number,
)
from registries.queries import source
from registries.rules import label_sql

STREET_CANDIDATES = 12  # streets whose addresses are ranked
MAX_QUERY = 200


@dataclass(frozen=True)
class Hit:
    """One search result: an object of a collection, its label and where it is (CRS84)."""

    collection: str
    id: int
    label: str
    score: float
    lon: float
    lat: float
    note: str | None = None  # e.g. "колишня вул. Леніна" when a former name matched
    matched: str | None = None  # the field whose text matched (another registry's object)
    matched_text: str | None = None  # that field's text: why a hit named otherwise came up
    former: str | None = None  # the former street name that matched

    def as_dict(self) -> dict[str, Any]:
        return {"collection": self.collection, "id": self.id, "label": self.label,
                "score": round(self.score, 4), "note": self.note, "matched": self.matched,
                "matched_text": self.matched_text, "former": self.former,
                "geometry": {"type": "Point", "coordinates": [round(self.lon, 7),
                                                              round(self.lat, 7)]}}


# The street names nearest the query's key: through the trigram index (similarity ≥ 0.3 with
# a whole name or one of its words), or — when that finds nothing — over every name.
NAMES_SQL = """
    SELECT sn.street_id, sn.name, sn.street_type, sn.is_current,
           similarity(sn.key, %(key)s) * CASE WHEN sn.whole THEN 1 ELSE 0.9 END
           + CASE WHEN %(type)s::text IS NULL THEN 0
                  WHEN sn.street_type = %(type)s THEN 0.1 ELSE -0.05 END
           - CASE WHEN sn.is_current THEN 0 ELSE 0.02 END AS score
    FROM search.street_name AS sn {where}
    ORDER BY score DESC LIMIT %(candidates)s * 3
"""
INDEXED = "WHERE sn.key %% %(key)s"

ADDRESS_SQL = """
WITH names AS ({names}), streets AS (
    SELECT DISTINCT ON (street_id) * FROM names ORDER BY street_id, score DESC
), best AS (
    SELECT * FROM streets ORDER BY score DESC, street_id LIMIT %(candidates)s
)
SELECT a.id, registry.published_address_label(a.street_id, a.house_number, a.korpus),
       b.score + CASE WHEN h.key = %(house)s THEN 0.5
                      WHEN regexp_replace(h.key, 'К[0-9А-Я]{{1,3}}$', '')
                           = regexp_replace(%(house)s, 'К[0-9А-Я]{{1,3}}$', '') THEN 0.35
                      ELSE 0.25 END AS score,
       ST_X(p.geom), ST_Y(p.geom),
       CASE WHEN NOT b.is_current THEN 'колишня ' || registry.street_label(b.street_type, b.name)
       END,
       CASE WHEN NOT b.is_current THEN registry.street_label(b.street_type, b.name) END
FROM best AS b
JOIN {addresses} AS a ON a.street_id = b.street_id AND a.status <> 'annulled'
CROSS JOIN LATERAL (SELECT registry.house_key(a.house_number, a.korpus) AS key) AS h
CROSS JOIN LATERAL (SELECT ST_Transform(a.geom, 4326) AS geom) AS p
WHERE substring(a.house_number FROM '^[0-9]+')::int = %(num)s
ORDER BY score DESC, substring(a.house_number FROM '^[0-9]+')::int, h.key, a.id
LIMIT %(limit)s
"""

STREET_SQL = """
WITH names AS ({names}), streets AS (
    SELECT DISTINCT ON (street_id) * FROM names ORDER BY street_id, score DESC
)
SELECT s.id, registry.street_label(s.street_type, s.name), b.score, ST_X(p.geom), ST_Y(p.geom),
       CASE WHEN NOT b.is_current THEN 'колишня ' || registry.street_label(b.street_type, b.name)
       END,
       CASE WHEN NOT b.is_current THEN registry.street_label(b.street_type, b.name) END
FROM streets AS b JOIN {streets} AS s ON s.id = b.street_id
CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(s.geom), 4326) AS geom) AS p
ORDER BY b.score DESC, s.id LIMIT %(limit)s
"""


def _query(template: str, indexed: bool, personal: bool) -> str:
    """Return address or street search SQL over the views the reader may read."""
    view = STAFF_SCHEMA if personal else PUBLIC_SCHEMA
    return template.format(names=NAMES_SQL.format(where=INDEXED if indexed else ""),
                           addresses=f"{view}.address", streets=f"{view}.street")


def _hits(collection: str, rows: list[tuple[Any, ...]]) -> list[Hit]:
    return [Hit(collection, int(r[0]), str(r[1]), float(r[2]), float(r[3]), float(r[4]),
                r[5] if len(r) > 5 else None, former=r[6] if len(r) > 6 else None)
            for r in rows]


def _params(q: AddressQuery, limit: int) -> dict[str, Any]:
    return {"key": q.street_key, "type": q.street_type, "house": q.house_key,
            "num": q.house_num, "limit": limit, "candidates": STREET_CANDIDATES}


def find_addresses(conn: psycopg.Connection, text: str, *, limit: int = 10,
                   place_names: tuple[str, ...] = (), personal: bool = False) -> list[Hit]:
    """Return the addresses best matching what a resident typed, best first.

    Without a house number in the query, return the matching streets instead.
    """
    q = parse_address_query(_checked(text), place_names)
    if not q.street_key:
        return []
    template, collection = (STREET_SQL, "streets") if q.house_key is None else (
        ADDRESS_SQL, "addresses")
    rows = conn.execute(_query(template, True, personal), _params(q, limit)).fetchall()
    if not rows:  # a short or badly mistyped name: compare with every name
        rows = conn.execute(_query(template, False, personal), _params(q, limit)).fetchall()
    return _hits(collection, rows)


def _checked(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidParameter("the search text is empty", parameter="q")
    if "\x00" in text:
        raise InvalidParameter("the search text contains a NUL character", parameter="q")
    if len(text) > MAX_QUERY:
        raise InvalidParameter(f"the search text is longer than {MAX_QUERY} characters",
                               parameter="q")
    return text


def searchable_fields(reg: Registry, personal: bool) -> list[str]:
    """Return the text fields of ``reg`` a reader may search (public ones for the public)."""
    fields = reg.stored_fields if personal else tuple(
        f for f in reg.stored_fields if f.is_public)
    return [f.name for f in fields if f.searchable and f.type is FieldType.TEXT]


def objects_sql(reg: Registry, personal: bool) -> sql.Composed:
    """Return SQL of ``reg``'s objects whose searchable fields contain ``%(q)s``; binds ``q``
    (the text), ``pattern`` (its :func:`contains_regex`) and ``limit``.

    Each field is asked on its own (its trigram index answers it), the hits are merged per
    object (its best score; the field of that score, the first declared on a tie, says why
    it matched), and only the best ``limit`` are read whole: their label and a point on their
    surface. One condition over every field (``a ~* p OR b ~* p``) kept a masked field's view
    expression in it, which no index answers: a scan of 61,000 parcels, 65–157 ms a query
    (measured by hand on the full city before the change; ``bench/search.py`` measures this
    one). A text too short for a trigram (one or two characters) has no index
    to help either way, and costs about as much as before.
    """
    branches: list[sql.Composable] = []
    for rank, name in enumerate(searchable_fields(reg, personal)):
        f = reg.field(name)
        table: sql.Composable = source(reg, personal)
        where: sql.Composable = sql.SQL("TRUE")
        if f.personal_if and not personal:
            # never match a name the public may not read: the published table's own column
            # (indexed) for the objects the public view's mask leaves alone, whose value the
            # view shows as it is
            table = sql.Identifier(*reg.published_table)
            where = sql.SQL("m.{} IS DISTINCT FROM {}").format(
                sql.Identifier(f.personal_if.field), sql.Literal(f.personal_if.equals))
        col = sql.SQL("m.{}").format(sql.Identifier(f.column))
        # an object among the best ``limit`` by its best field is among the best ``limit``
        # of that field: each field's best are enough, however common the text ("12")
        branches.append(sql.SQL(
            "(SELECT m.id, {rank} AS rank, {name} AS field, {col}::text AS text, "
            "greatest(0.5, similarity(lower({col}), lower(%(q)s))) AS score "
            "FROM {table} AS m WHERE {col} ~* %(pattern)s AND {where} "
            "ORDER BY score DESC, m.id LIMIT %(limit)s)").format(
            rank=sql.Literal(rank), name=sql.Literal(name), col=col, table=table, where=where))
    return sql.SQL(
        "SELECT t.id, {label}, b.score, ST_X(p.geom), ST_Y(p.geom), ARRAY[b.field, b.text] "
        "FROM (SELECT h.id, max(h.score) AS score, (array_agg(h.field ORDER BY h.score DESC, "
        "h.rank))[1] AS field, (array_agg(h.text ORDER BY h.score DESC, h.rank))[1] AS text "
        "FROM ({branches}) AS h GROUP BY h.id ORDER BY score DESC, h.id LIMIT %(limit)s) AS b "
        "JOIN {table} AS t ON t.id = b.id "
        "CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(t.geom), 4326) AS geom) AS p "
        "ORDER BY b.score DESC, b.id").format(
        label=label_sql(reg, "t"), branches=sql.SQL(" UNION ALL ").join(branches),
        table=source(reg, personal))


def objects_union_sql(regs: list[Registry], personal: bool) -> sql.Composed | None:
    """Return one statement searching every registry of ``regs`` (``objects_sql`` of each,
    with its collection id first), or None when none has a searchable field."""
    parts = [sql.SQL("(SELECT {cid}::text AS collection, q.* FROM ({one}) AS q)").format(
        cid=sql.Literal(reg.id), one=objects_sql(reg, personal))
        for reg in regs if searchable_fields(reg, personal)]
    return sql.SQL(" UNION ALL ").join(parts) if parts else None


def find_all_objects(conn: psycopg.Connection, regs: list[Registry], text: str, *,
                     limit: int = 10, personal: bool = False) -> list[Hit]:
    """Return the objects of every registry in ``regs`` whose searchable text fields contain
    ``text``, in one statement (one round trip, one plan).

    The trigram indexes are forced (``enable_seqscan`` off for this statement's transaction):
    on a few thousand rows the planner prefers a scan, but ILIKE costs microseconds a row, and
    a scan of the 3,000 advertising permits took 22 ms where the indexes answer in 0.2 ms.
    """
    query = objects_union_sql(regs, personal)
    if query is None:
        return []
    with conn.transaction():
        # jit off: a registry without a trigram index keeps its scan at the 1e10 cost
        # enable_seqscan=off charges, which would JIT-compile the statement (3–4 s, measured)
        conn.execute("SET LOCAL enable_seqscan = off; SET LOCAL jit = off")
        rows = conn.execute(query, {"q": text, "pattern": contains_regex(text),
                                    "limit": limit}).fetchall()
    return [Hit(str(r[0]), int(r[1]), str(r[2]), float(r[3]), float(r[4]), float(r[5]),
                matched=r[6][0] if r[6] else None, matched_text=r[6][1] if r[6] else None)
            for r in rows]


def find_objects(conn: psycopg.Connection, reg: Registry, text: str, *, limit: int = 10,
                 personal: bool = False) -> list[Hit]:
    """Return objects of ``reg`` whose searchable text fields contain ``text``."""
    text = _checked(text)
    if not searchable_fields(reg, personal):
        return []
    if reg.id == "land_parcels" and looks_like_cadastral_number(text):
        return _numbered(conn, reg, normalise_cadastral_number(text), limit, personal)
    rows = conn.execute(objects_sql(reg, personal),
                        {"q": text, "pattern": contains_regex(text), "limit": limit}).fetchall()
    return [Hit(reg.id, int(r[0]), str(r[1]), float(r[2]), float(r[3]), float(r[4]),
                matched=r[5][0] if r[5] else None, matched_text=r[5][1] if r[5] else None)
            for r in rows]


def _numbered(conn: psycopg.Connection, reg: Registry, start: str, limit: int,
              personal: bool) -> list[Hit]:
    """Return the parcels whose cadastral number begins with ``start`` (digits and colons), in
    number order: someone typing a number's beginning reads down the numbers that follow it,
    which a similarity score shuffles. Numbers have one width per group, so their text order
    is their number order; the trigram index finds them (LIKE), as it did for the score."""
    rows = conn.execute(sql.SQL(
        "SELECT t.id, {label}, 1.0, ST_X(p.geom), ST_Y(p.geom) FROM {table} AS t "
        "CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(t.geom), 4326) AS geom) "
        "AS p WHERE t.cadastral_number LIKE %(start)s "
        "ORDER BY t.cadastral_number, t.id LIMIT %(limit)s").format(
        label=label_sql(reg, "t"), table=source(reg, personal)),
        {"start": start + "%", "limit": limit}).fetchall()
    return [Hit(reg.id, int(r[0]), str(r[1]), float(r[2]), float(r[3]), float(r[4]),
                matched="cadastral_number", matched_text=str(r[1])) for r in rows]


def search(conn: psycopg.Connection, catalog: Catalog, text: str, *, limit: int = 10,
           collections: list[str] | None = None, personal: bool = False,
           place_names: tuple[str, ...] = ()) -> list[Hit]:
    """Return the best hits over the address registry and every searchable registry.

    Addresses (or streets) come first when the query reads as an address; a cadastral number
    (or its beginning, with any separators, or a whole one inside the text) searches parcels
    only.
    """
    text = _checked(text)
    regs = [catalog.get(c) for c in collections] if collections else [
        r for r in catalog if r.public or personal]
    ids = {r.id for r in regs}
    number = cadastral_number_in(text)  # a whole number, perhaps pasted with its label
    if (number or looks_like_cadastral_number(text)) and "land_parcels" in ids:
        return find_objects(conn, catalog.get("land_parcels"), number or text, limit=limit,
                            personal=personal)
    hits: list[Hit] = []
    if "addresses" in ids or "streets" in ids:
        found = find_addresses(conn, text, limit=limit, place_names=place_names,
                               personal=personal)
        hits += [h for h in found if h.collection in ids and h.score >= 0.35]
    others = [r for r in regs if r.id not in ("addresses", "streets")]
    hits += find_all_objects(conn, others, text, limit=limit, personal=personal)
    hits.sort(key=lambda h: -h.score)
    return hits[:limit]


NEAREST_SQL = """
SELECT a.id, registry.published_address_label(a.street_id, a.house_number, a.korpus),
       ST_Distance(a.geom, g.p) AS distance, ST_X(w.geom), ST_Y(w.geom)
FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), %(srid)s), %(storage)s) AS p)
     AS g
CROSS JOIN LATERAL (SELECT * FROM open_data.address AS a WHERE a.status <> 'annulled'
                    ORDER BY a.geom <-> g.p LIMIT 1) AS a
CROSS JOIN LATERAL (SELECT ST_Transform(a.geom, 4326) AS geom) AS w
"""


def nearest_address(conn: psycopg.Connection, x: float, y: float, *, srid: int = 4326,
                    storage_srid: int, max_distance_m: float = 250.0) -> tuple[Hit, float]:
    """Return the address nearest to (x, y) — lon/lat for 4326 — and its distance in metres.

    Raise NotFound when none is within ``max_distance_m``.
    """
    if srid == 4326 and not in_query_domain(x, y, storage_srid):  # far beyond the city's CRS
        raise NotFound(f"no address within {max_distance_m:g} m of ({x}, {y})")
    row = conn.execute(NEAREST_SQL, {"x": x, "y": y, "srid": srid,
                                     "storage": storage_srid}).fetchone()
    if row is None or float(row[2]) > max_distance_m:
        raise NotFound(f"no address within {max_distance_m:g} m of ({x}, {y})")
    hit = Hit("addresses", int(row[0]), str(row[1]), 1.0, float(row[3]), float(row[4]))
    return hit, round(float(row[2]), 1)
