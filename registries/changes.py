"""History read back: a registry as of a past instant, and one object's change log.

The database keeps every past version (``gis.history``: triggers, so every write path is
covered). Here the past is read the way the present is: the public sees the same masked,
personal-free columns, derived fields are computed for the date of the instant asked
(a permit's status as it was then), and GeoJSON is built by PostGIS.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from gis.errors import NotFound
from gis.history import as_of_sql
from registries.model import Registry
from registries.queries import Output, feature_sql
from registries.schema import data_columns
from registries.views import columns_sql, joins_sql, readable

AS_OF_TODAY = sql.SQL("registry.local_date(%(as_of)s::timestamptz)")


def as_of_rows_sql(reg: Registry, personal: bool) -> sql.Composed:
    """Return SQL of ``reg``'s objects as they were at ``%(as_of)s``, shown as its views show
    them (masked for the public, derived fields on that date)."""
    return sql.SQL("SELECT {} FROM ({}) AS t {}").format(
        sql.SQL(", ").join(columns_sql(reg, "t", AS_OF_TODAY, personal=personal)),
        as_of_sql(reg.schema, reg.table, data_columns(reg)),
        joins_sql(reg, "t", personal=personal))


def as_of_features_sql(reg: Registry, out: Output, storage_srid: int,
                       personal: bool) -> sql.Composed:
    """Return SQL of one GeoJSON feature (text) per object at ``%(as_of)s``; binds also
    ``limit`` and ``offset`` (objects by id)."""
    fields = out.fields if out.fields is not None else readable(reg, personal)
    return sql.SQL("SELECT {}::text FROM ({}) AS t ORDER BY t.id "
                   "LIMIT %(limit)s OFFSET %(offset)s").format(
        feature_sql(reg, fields, out, storage_srid), as_of_rows_sql(reg, personal))


def as_of_features(conn: psycopg.Connection, reg: Registry, when: datetime, *,
                   storage_srid: int, personal: bool = False, limit: int = 10_000,
                   offset: int = 0, out: Output | None = None) -> list[dict[str, Any]]:
    """Return ``reg``'s objects as GeoJSON features as they were at ``when``, by id."""
    import json

    rows = conn.execute(as_of_features_sql(reg, out or Output(), storage_srid, personal),
                        {"as_of": when, "limit": limit, "offset": offset}).fetchall()
    return [json.loads(r[0]) for r in rows]


def versions_sql(reg: Registry, personal: bool) -> sql.Composed:
    """Return SQL of every version of object ``%(id)s``: readable columns as JSON, the
    geometry's hash, period, author, how it ended; oldest first."""
    cols = data_columns(reg)
    fields = readable(reg, personal)
    base = sql.SQL(", ").join(sql.Identifier(c) for c in ("id", *cols, "version", "sys_period",
                                                          "changed_by", "change_source"))
    shown = sql.SQL(", ").join(
        sql.SQL("{}, {}").format(sql.Literal(f.name), sql.Identifier(f.column))
        for f in fields if f.is_stored)
    return sql.SQL(
        "SELECT v.version, lower(v.sys_period), upper(v.sys_period), v.changed_by, v.op, "
        "v.ended_by, json_build_object({shown}), md5(ST_AsEWKB(v.geom)), v.change_source, "
        "v.ended_source FROM ("
        "SELECT {base}, NULL::text AS op, NULL::text AS ended_by, NULL::text AS ended_source "
        "FROM {live} WHERE id = %(id)s UNION ALL "
        "SELECT {base}, operation, ended_by, ended_source FROM {hist} WHERE id = %(id)s) AS v "
        "ORDER BY v.version, lower(v.sys_period)").format(
        shown=shown, base=base, live=sql.Identifier(reg.schema, reg.table),
        hist=sql.Identifier(*reg.history_table))


def change_log(conn: psycopg.Connection, reg: Registry, obj_id: int, *,
               personal: bool = False) -> list[dict[str, Any]]:
    """Return the change log of one object: who changed what and when, oldest first.

    The public sees what changed in public fields (masked values stay masked) and when —
    only the versions that changed something public, numbered among themselves; staff see
    every version by its number, who made it, and from which source (an imported file) when
    not by hand. A deletion ends the log.
    """
    source = sql.SQL("SELECT 1 FROM {} WHERE id = %(id)s UNION ALL SELECT 1 FROM {} "
                     "WHERE id = %(id)s LIMIT 1").format(
        sql.Identifier(reg.schema, reg.table), sql.Identifier(*reg.history_table))
    if conn.execute(source, {"id": obj_id}).fetchone() is None:
        raise NotFound(f"{reg.id} has no object {obj_id}, now or in its history",
                       collection=reg.id)
    rows = conn.execute(versions_sql(reg, personal), {"id": obj_id}).fetchall()
    masked = {f.name: f for f in reg.fields if f.personal_if and not personal}
    log: list[dict[str, Any]] = []
    previous: dict[str, Any] | None = None
    previous_geom = None
    shown = 0  # versions the reader sees; the public's are numbered among themselves
    for (version, since, until, author, op, ended_by, values, geom_hash, source,
         ended_source) in rows:
        for name, f in masked.items():  # the mask, as the public view applies it
            assert f.personal_if is not None
            if values.get(f.personal_if.field) == f.personal_if.equals:
                mask = f.personal_if.mask
                values[name] = None if mask is None else mask["uk"]
        entry: dict[str, Any] = {"at": since.isoformat(),
                                 "action": "created" if previous is None else "changed"}
        if previous is None:
            entry["values"] = values
        else:
            entry["changes"] = {k: {"from": previous.get(k), "to": v} for k, v in values.items()
                                if previous.get(k) != v}
            entry["geometry_changed"] = geom_hash != previous_geom
        # a version that changed only what the reader may not see is not shown at all: an
        # empty entry would still tell the public that, and when, a holder's data was edited
        visible = previous is None or entry["changes"] or entry["geometry_changed"]
        if visible:
            shown += 1
            entry = {"version": version if personal else shown, **entry}
            if personal:
                entry["by"] = author
                if source:  # what made the change when it was not an ordinary edit: an import
                    entry["source"] = source
            log.append(entry)
        if op == "D":
            deleted: dict[str, Any] = {"version": version if personal else shown,
                                       "at": until.isoformat(), "action": "deleted"}
            if personal:
                deleted["by"] = ended_by
                if ended_source:
                    deleted["source"] = ended_source
            log.append(deleted)
        previous, previous_geom = values, geom_hash
    return _with_lineage(conn, reg, obj_id, log)


def _with_lineage(conn: psycopg.Connection, reg: Registry, obj_id: int,
                  log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mark in the log where a split or merged object came from and what it became."""
    from registries.reshape import lineage

    links = lineage(conn, reg, obj_id)
    if links["from"] and log:
        log[0]["operation"] = links["from"][0]["operation"]
        log[0]["from"] = sorted({link["id"] for link in links["from"]})
    if links["into"] and log and log[-1]["action"] == "deleted":
        operation = links["into"][0]["operation"]
        log[-1]["action"] = "split" if operation == "split" else "merged"
        log[-1]["into"] = sorted({link["id"] for link in links["into"]})
    return log
