"""History read back: a registry as of a past instant, and one object's change log.

The database keeps every past version (``gis.history``: triggers, so every write path is
covered). Here the past is read the way the present is: the public sees the same masked,
personal-free columns, derived fields are computed for the date of the instant asked
(a permit's status as it was then), and GeoJSON is built by PostGIS.

The public's past is the published past: a registry as of an instant shows the versions
published then (``verification.decisions``; before verification began here every written
version was public, so the working history answers), and an object's public change log lists
its published versions with the day each was verified. Staff see every version, each with
the decisions taken on it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from gis.errors import NotFound
from gis.history import as_of_sql
from registries.model import REGISTRY_SCHEMA, Registry
from registries.publication import DECISIONS
from registries.queries import Output, feature_sql
from registries.schema import data_columns
from registries.views import columns_sql, joins_sql, readable

AS_OF_TODAY = sql.SQL("registry.local_date(%(as_of)s::timestamptz)")


STARTED = sql.SQL("(SELECT min(at) FROM verification.started)")


def published_as_of_sql(reg: Registry) -> sql.Composed:
    """Return a SELECT of ``reg``'s published versions at ``%(as_of)s``: the version each
    object's latest publication (approved or direct) before that instant made public."""
    cols = sql.SQL(", ").join(sql.SQL("v.{}").format(sql.Identifier(c)) for c in (
        "id", *data_columns(reg), "version", "sys_period", "changed_by"))
    every = sql.SQL(", ").join(sql.Identifier(c) for c in (
        "id", *data_columns(reg), "version", "sys_period", "changed_by"))
    return sql.SQL(
        "SELECT {cols} FROM (SELECT DISTINCT ON (d.object_id) d.object_id, "
        "d.published_version FROM {decisions} AS d WHERE d.collection = {collection} "
        "AND d.decision IN ('approved', 'direct') AND d.decided_at <= %(as_of)s::timestamptz "
        "ORDER BY d.object_id, d.decided_at DESC, d.id DESC) AS pub "
        "JOIN (SELECT {every} FROM {live} UNION ALL SELECT {every} FROM {hist}) AS v "
        "ON v.id = pub.object_id AND v.version = pub.published_version").format(
        cols=cols, every=every, decisions=sql.Identifier(*DECISIONS),
        collection=sql.Literal(reg.id), live=sql.Identifier(reg.schema, reg.table),
        hist=sql.Identifier(*reg.history_table))


def as_of_rows_sql(reg: Registry, personal: bool, pending: bool = False) -> sql.Composed:
    """Return SQL of ``reg``'s objects as they were at ``%(as_of)s``, shown as its views show
    them (masked for the public, derived fields on that date): the published versions, or
    the working copy's for staff asking for pending changes."""
    pending = pending and personal
    if pending:
        source: sql.Composable = as_of_sql(reg.schema, reg.table, data_columns(reg))
    else:
        source = sql.SQL("{before} AND %(as_of)s::timestamptz < {started} UNION ALL "
                         "SELECT * FROM ({published}) AS p WHERE %(as_of)s::timestamptz >= "
                         "{started}").format(
            before=sql.SQL("SELECT * FROM ({}) AS w WHERE TRUE").format(
                as_of_sql(reg.schema, reg.table, data_columns(reg))),
            published=published_as_of_sql(reg), started=STARTED)
    family = REGISTRY_SCHEMA if pending else "published"
    return sql.SQL("SELECT {} FROM ({}) AS t {}").format(
        sql.SQL(", ").join(columns_sql(reg, "t", AS_OF_TODAY, personal=personal,
                                       family=family)),
        source, joins_sql(reg, "t", personal=personal, family=family))


def as_of_features_sql(reg: Registry, out: Output, storage_srid: int,
                       personal: bool, pending: bool = False) -> sql.Composed:
    """Return SQL of one GeoJSON feature (text) per object at ``%(as_of)s``; binds also
    ``limit`` and ``offset`` (objects by id)."""
    fields = out.fields if out.fields is not None else readable(reg, personal)
    return sql.SQL("SELECT {}::text FROM ({}) AS t ORDER BY t.id "
                   "LIMIT %(limit)s OFFSET %(offset)s").format(
        feature_sql(reg, fields, out, storage_srid), as_of_rows_sql(reg, personal, pending))


def as_of_features(conn: psycopg.Connection, reg: Registry, when: datetime, *,
                   storage_srid: int, personal: bool = False, limit: int = 10_000,
                   offset: int = 0, out: Output | None = None,
                   pending: bool = False) -> list[dict[str, Any]]:
    """Return ``reg``'s objects as GeoJSON features as they were at ``when``, by id: the
    published ones (the working copy's for staff asking for ``pending``)."""
    import json

    rows = conn.execute(as_of_features_sql(reg, out or Output(), storage_srid, personal,
                                           pending),
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


def _publications(conn: psycopg.Connection, reg: Registry,
                  obj_id: int) -> tuple[dict[int, list[dict[str, Any]]], list[Any], Any]:
    """Return (decisions by the version they were taken on, the approved deletions, when
    verification began here)."""
    rows = conn.execute(sql.SQL(
        "SELECT operation, version, published_version, decision, reason, decided_by, "
        "decided_at FROM {} WHERE collection = %s AND object_id = %s "
        "ORDER BY decided_at, id").format(sql.Identifier(*DECISIONS)),
        (reg.id, obj_id)).fetchall()
    by_version: dict[int, list[dict[str, Any]]] = {}
    deletions = []
    for op, version, published, decision, reason, by, at in rows:
        if op == "delete":
            deletions.append((at, decision, by, reason))
            continue
        if version is not None:
            by_version.setdefault(int(version), []).append(
                {"decision": decision, "by": by, "at": at, "reason": reason,
                 "published": published is not None and decision != "rejected"})
    started = conn.execute(STARTED).fetchone()
    return by_version, deletions, started[0] if started else None


def change_log(conn: psycopg.Connection, reg: Registry, obj_id: int, *,
               personal: bool = False) -> list[dict[str, Any]]:
    """Return the change log of one object: who changed what and when, oldest first.

    The public sees its published versions — only those that changed something public,
    numbered among themselves: what changed in public fields (masked values stay masked), when
    it was published and the day its holder verified it (``verified_on``); staff see every
    version by its number, who made it, from which source (an imported file) when not by hand,
    and every decision on it (who verified or rejected it, when and why). A deletion ends the
    log.
    """
    source = sql.SQL("SELECT 1 FROM {} WHERE id = %(id)s UNION ALL SELECT 1 FROM {} "
                     "WHERE id = %(id)s LIMIT 1").format(
        sql.Identifier(reg.schema, reg.table), sql.Identifier(*reg.history_table))
    if conn.execute(source, {"id": obj_id}).fetchone() is None:
        raise NotFound(f"{reg.id} has no object {obj_id}, now or in its history",
                       collection=reg.id)
    decided, deletions, started = _publications(conn, reg, obj_id)
    rows = conn.execute(versions_sql(reg, personal), {"id": obj_id}).fetchall()
    if not personal:
        rows = _published_only(rows, decided, deletions, started)
        if not rows:
            raise NotFound(f"{reg.id} has no published object {obj_id}", collection=reg.id)
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
        _verification(entry, decided.get(version, []), personal)
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
        published_deletions = [d for d in deletions if d[1] in ("approved", "direct")]
        if op == "D" and (personal or published_deletions):
            deleted: dict[str, Any] = {"version": version if personal else shown,
                                       "at": until.isoformat(), "action": "deleted"}
            if personal:
                deleted["by"] = ended_by
                if ended_source:
                    deleted["source"] = ended_source
                if deletions:
                    deleted["verification"] = [
                        {"decision": d, "by": by, "at": at.isoformat(),
                         **({"reason": why} if why else {})} for at, d, by, why in deletions]
            else:
                at, decision = published_deletions[-1][:2]
                deleted["at"] = at.isoformat()  # when the public lost it
                if decision == "approved":
                    deleted["verified_on"] = at.date().isoformat()
            log.append(deleted)
        previous, previous_geom = values, geom_hash
    return _with_lineage(conn, reg, obj_id, log)


def _published_only(rows: list[Any], decided: dict[int, list[dict[str, Any]]],
                    deletions: list[Any], started: Any) -> list[Any]:
    """Return the versions the public saw: every version written before verification began
    here, then those a publication made public (shown from the day they were published)."""
    out = []
    for row in rows:
        version, since = row[0], row[1]
        published = [d for d in decided.get(version, []) if d["published"]]
        if published:
            row = (version, published[0]["at"], *row[2:])
        elif started is None or since >= started:
            continue
        if row[4] == "D" and not [d for d in deletions if d[1] in ("approved", "direct")] \
                and started is not None and row[2] >= started:
            row = (*row[:4], None, *row[5:])  # the deletion waits for verification
        out.append(row)
    return out


def _verification(entry: dict[str, Any], decisions: list[dict[str, Any]],
                  personal: bool) -> None:
    """Add to a log entry the decisions on its version: for the public the day it was
    verified; for staff every decision with who took it and why."""
    if personal:
        if decisions:
            entry["verification"] = [
                {"decision": d["decision"], "by": d["by"], "at": d["at"].isoformat(),
                 **({"reason": d["reason"]} if d["reason"] else {})} for d in decisions]
        return
    verified = [d for d in decisions if d["decision"] == "approved"
                or (d["decision"] == "direct" and d["by"] is not None)]
    if verified:
        entry["verified_on"] = verified[0]["at"].date().isoformat()


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
