"""The verification queue of a registry's holder: pending changes, and decisions on them.

A change waits in ``verification.pending`` (kept by the database on every write path,
``registries.publication``) until a verifier of the registry's holder department approves or
rejects it, one by one or a whole batch (one transaction of an editor: an import, a split):

- **approve** copies the working version into ``published.<table>`` (or removes a deleted
  object from it) in one transaction; the change feed of the published table then drops
  exactly the tiles the change touches, and every public output shows it at once;
- **reject** gives the working copy back the published version (a new object is removed, a
  deleted one restored under its id, a changed one reverted as a new version), so the editor
  sees the rejection in the data and the published version stays as it was.

Every decision is a row of ``verification.decisions``: what (registry, object, operation, the
version decided and the version published before), who decided when and why, who had made
the change. A decision names the versions it was taken on: a change edited again meanwhile is
refused (409) rather than published unseen. Changes linked by a split or merge are decided
together (:func:`_with_partners`), and an approval never publishes an object whose referenced
objects are not public, nor removes one that published objects still reference.

Who may decide: an active user of the holder department with the ``verifier`` right on the
registry and a role that edits it (:func:`check_can_verify`); by default not on the user's own
changes (four eyes), unless the deployment allows it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import psycopg
from psycopg import errors as pgerrors
from psycopg import sql

from gis.auth import Principal, Role
from gis.errors import Conflict, Forbidden, InvalidParameter, NotFound, Unauthorized
from gis.history import RESTORE_SETTING
from gis.staff_rights import StaffRights, rights_of
from registries.catalog import Catalog
from registries.model import PUBLISHED_SCHEMA, FieldType, Registry, Severity
from registries.publication import DECISIONS, PENDING, upsert_sql
from registries.rules import all_rules, label_sql, violations_sql
from registries.schema import data_columns
from registries.views import readable
from registries.writes import refusal

MAX_REASON = 1000
MAX_ITEMS = 5000  # objects one decision may name (a bigger import is decided by its batch)


@dataclass(frozen=True)
class PendingChange:
    """One object waiting for verification."""

    collection: str
    id: int
    operation: str  # create | update | delete
    version: int | None  # the working version (None: deleted)
    published_version: int | None  # None: never published
    changed_by: str | None
    changed_at: datetime
    batch: int
    note: str | None
    label: str

    def as_dict(self) -> dict[str, Any]:
        return {"collection": self.collection, "id": self.id, "operation": self.operation,
                "version": self.version, "published_version": self.published_version,
                "changed_by": self.changed_by, "changed_at": self.changed_at.isoformat(),
                "batch": str(self.batch), "note": self.note, "label": self.label}


@dataclass
class Decided:
    """What one decision did."""

    collection: str
    decision: str  # approved | rejected
    ids: list[int] = field(default_factory=list)
    together: list[int] = field(default_factory=list)  # partners of a split or merge

    def as_dict(self) -> dict[str, Any]:
        return {"collection": self.collection, "decision": self.decision,
                "numberDecided": len(self.ids), "ids": self.ids, "together": self.together}


# -- who may verify ------------------------------------------------------------------------

def edits(roles: frozenset[Role], reg: Registry) -> bool:
    """Return True when ``roles`` may edit ``reg`` (admin edits everything).

    >>> from registries.catalog import default_catalog
    >>> edits(frozenset({Role.REGISTRAR}), default_catalog().get("land_parcels"))
    False
    """
    return Role.ADMIN in roles or bool(roles & reg.edit_roles)


def grant_problem(reg: Registry, roles: frozenset[Role], department: str | None) -> str | None:
    """Return why a user with ``roles`` in ``department`` may not verify ``reg``, or None.

    >>> from registries.catalog import default_catalog
    >>> grant_problem(default_catalog().get("land_parcels"), frozenset({Role.REGISTRAR}),
    ...               "land_resources")
    'land_parcels is edited by planner; a registrar may not verify it'
    """
    holder = reg.holder_department
    if department != holder.code:
        return (f"{reg.id} is held by {holder.title_in('en')} ({holder.code}); the user "
                f"works in {department or 'no department'}")
    if not edits(roles, reg):
        needed = ", ".join(sorted(r.value for r in reg.edit_roles))
        have = ", ".join(sorted(r.value for r in roles)) or "no role"
        return f"{reg.id} is edited by {needed}; a {have} may not verify it"
    return None


def check_can_verify(conn: psycopg.Connection, reg: Registry, who: Principal) -> StaffRights:
    """Return ``who``'s rights when ``who`` may verify ``reg``; else raise 401/403 saying why."""
    if not who.authenticated:
        raise Unauthorized(f"verifying {reg.id} needs a signed-in verifier", collection=reg.id)
    rights = rights_of(conn, who.name)
    if reg.id not in rights.verifies:
        raise Forbidden(f"user {who.name} has no right to verify {reg.id} (held by "
                        f"{reg.holder_department.title_in('en')})", collection=reg.id)
    problem = grant_problem(reg, who.roles, rights.department)
    if problem:
        raise Forbidden(f"user {who.name} may not verify {reg.id}: {problem}",
                        collection=reg.id)
    return rights


def verifiable(conn: psycopg.Connection, catalog: Catalog, who: Principal) -> list[Registry]:
    """Return the registries ``who`` may verify now (none for the public)."""
    if not who.authenticated:
        return []
    rights = rights_of(conn, who.name)
    return [reg for reg in catalog if reg.id in rights.verifies
            and grant_problem(reg, who.roles, rights.department) is None]


# -- the queue ------------------------------------------------------------------------------

def _row_label(reg: Registry, alias: str, family: str) -> sql.Composable:
    """Return SQL of object ``alias``'s label; a derived label (an address) is computed."""
    if reg.label and reg.field(reg.label).derived_join is not None:
        f = reg.field(reg.label)
        assert f.derived_join is not None
        _, expr = f.derived_join(alias, family)
        return expr
    return label_sql(reg, alias)


def pending_counts(conn: psycopg.Connection, catalog: Catalog) -> dict[str, int]:
    """Return how many changes wait per collection id (only collections with some)."""
    rows = conn.execute(sql.SQL("SELECT collection, count(*) FROM {} GROUP BY collection")
                        .format(sql.Identifier(*PENDING))).fetchall()
    known = set(catalog.ids)
    return {str(c): int(n) for c, n in rows if c in known}


def pending_changes(conn: psycopg.Connection, reg: Registry, *, batch: int | None = None,
                    ids: list[int] | None = None, limit: int = 100,
                    offset: int = 0) -> list[PendingChange]:
    """Return ``reg``'s pending changes, oldest first (one batch, or some objects, if asked)."""
    check_named([(i, None) for i in ids or ()], batch)
    label = sql.SQL(
        "coalesce((SELECT {w} FROM {work} AS w {wj} WHERE w.id = x.object_id), "
        "(SELECT {p} FROM {pub} AS p {pj} WHERE p.id = x.object_id), '#' || x.object_id)"
    ).format(w=_row_label(reg, "w", reg.schema), p=_row_label(reg, "p", "published"),
             wj=_label_join(reg, "w", reg.schema), pj=_label_join(reg, "p", "published"),
             work=sql.Identifier(reg.schema, reg.table),
             pub=sql.Identifier(*reg.published_table))
    rows = conn.execute(sql.SQL(
        "SELECT x.collection, x.object_id, x.operation, x.version, x.published_version, "
        "x.changed_by, x.changed_at, x.batch, x.note, {label} FROM {pending} AS x "
        "WHERE x.collection = %(c)s AND (%(batch)s::bigint IS NULL OR x.batch = %(batch)s) "
        "AND (%(ids)s::bigint[] IS NULL OR x.object_id = ANY(%(ids)s)) "
        "ORDER BY x.changed_at, x.object_id LIMIT %(limit)s OFFSET %(offset)s").format(
        label=label, pending=sql.Identifier(*PENDING)),
        {"c": reg.id, "batch": batch, "ids": ids, "limit": limit, "offset": offset}).fetchall()
    return [PendingChange(str(r[0]), int(r[1]), str(r[2]), r[3], r[4], r[5], r[6], int(r[7]),
                          r[8], str(r[9])) for r in rows]


def _label_join(reg: Registry, alias: str, family: str) -> sql.Composable:
    if reg.label and reg.field(reg.label).derived_join is not None:
        f = reg.field(reg.label)
        assert f.derived_join is not None
        return f.derived_join(alias, family)[0]
    return sql.SQL("")


def batches(conn: psycopg.Connection, reg: Registry) -> list[dict[str, Any]]:
    """Return ``reg``'s pending batches: one per editing transaction, newest first."""
    rows = conn.execute(sql.SQL(
        "SELECT batch, min(changed_at), max(changed_by), max(note), count(*), "
        "count(*) FILTER (WHERE operation = 'create'), "
        "count(*) FILTER (WHERE operation = 'update'), "
        "count(*) FILTER (WHERE operation = 'delete') FROM {} WHERE collection = %s "
        "GROUP BY batch ORDER BY min(changed_at) DESC").format(sql.Identifier(*PENDING)),
        (reg.id,)).fetchall()
    return [{"batch": str(b), "changed_at": at.isoformat(), "changed_by": by, "note": note,
             "count": n, "create": c, "update": u, "delete": d}
            for b, at, by, note, n, c, u, d in rows]


def change_detail(conn: psycopg.Connection, reg: Registry, obj_id: int) -> dict[str, Any]:
    """Return one pending change: the published and the working values (every field, for
    staff), what differs, both geometries in CRS84 and the objects decided with it."""
    found = pending_changes(conn, reg, ids=[obj_id], limit=1)
    if not found:
        raise NotFound(f"{reg.id} {obj_id} has no pending change", collection=reg.id)
    change = found[0]
    fields = [f for f in readable(reg, True) if f.is_stored]
    values = sql.SQL(", ").join(sql.SQL("{}, t.{}").format(sql.Literal(f.name),
                                                            sql.Identifier(f.column))
                                for f in fields)

    def side(table: tuple[str, str]) -> tuple[dict[str, Any], Any, int] | None:
        row = conn.execute(sql.SQL(
            "SELECT json_build_object({v}), ST_AsGeoJSON(ST_Transform(t.geom, 4326), 8)::json,"
            " t.version FROM {t} AS t WHERE t.id = %s").format(
            v=values, t=sql.Identifier(*table)), (obj_id,)).fetchone()
        return (row[0], row[1], row[2]) if row else None

    before = side(reg.published_table)
    after = side((reg.schema, reg.table))
    diff: dict[str, dict[str, Any]] = {}
    if before and after:
        diff = {f.name: {"from": before[0].get(f.name), "to": after[0].get(f.name)}
                for f in fields if before[0].get(f.name) != after[0].get(f.name)}
    geometry_changed = bool(before and after and conn.execute(sql.SQL(
        "SELECT NOT ST_Equals(p.geom, w.geom) FROM {p} AS p, {w} AS w "
        "WHERE p.id = %s AND w.id = %s").format(
        p=sql.Identifier(*reg.published_table), w=sql.Identifier(reg.schema, reg.table)),
        (obj_id, obj_id)).fetchone() == (True,))
    partners = sorted(_with_partners(conn, reg, {obj_id}) - {obj_id})
    return {
        **change.as_dict(),
        # how a page shows each field's values: the cards' description (Field.display)
        "fields": [{"name": f.name, **f.display,
                    "personal": f.personal or f.personal_if is not None} for f in fields],
        "before": None if before is None else {"version": before[2], "properties": before[0],
                                               "geometry": before[1]},
        "after": None if after is None else {"version": after[2], "properties": after[0],
                                             "geometry": after[1]},
        "changes": diff, "geometry_changed": geometry_changed, "together": partners,
    }


# -- decisions ------------------------------------------------------------------------------

def _with_partners(conn: psycopg.Connection, reg: Registry, ids: set[int]) -> set[int]:
    """Return ``ids`` with every pending change of the same undecided split or merge
    (history.lineage: a split's original and its parts, a merge's originals and the result),
    to closure."""
    found = set(ids)
    while True:
        rows = conn.execute(sql.SQL(
            "SELECT DISTINCT x.object_id FROM history.lineage AS l JOIN history.lineage AS m "
            "ON m.collection = l.collection AND m.at = l.at AND (m.parent_id = l.parent_id "
            "OR m.child_id = l.child_id) CROSS JOIN LATERAL (VALUES (m.parent_id), "
            "(m.child_id)) AS v(id) JOIN {pending} AS x ON x.collection = l.collection "
            "AND x.object_id = v.id WHERE l.collection = %s AND (l.parent_id = ANY(%s) "
            "OR l.child_id = ANY(%s)) "
            # a split or merge decided long ago links nothing: only one still undecided
            "AND l.at > coalesce((SELECT max(d.decided_at) FROM {decisions} AS d "
            "WHERE d.collection = l.collection AND d.object_id IN (l.parent_id, l.child_id)), "
            "'-infinity')").format(pending=sql.Identifier(*PENDING),
                                   decisions=sql.Identifier(*DECISIONS)),
            (reg.id, sorted(found), sorted(found))).fetchall()
        more = {int(r[0]) for r in rows} - found
        if not more:
            return found
        found |= more


def check_named(items: list[tuple[int, int | None]], batch: int | None) -> None:
    """Refuse (400) an object id, a version or a batch no object of the queue can have:
    ids and batches are bigints, versions integers (the database's "bigint out of range"
    reached the CLI as its own text).

    >>> check_named([(7, 3)], None)
    >>> check_named([(2**63, None)], None)
    Traceback (most recent call last):
    ...
    gis.errors.InvalidParameter: item 9223372036854775808 is no object id of the queue
    """
    for obj_id, version in items:
        if not 0 <= obj_id < 2**63:
            raise InvalidParameter(f"item {obj_id} is no object id of the queue",
                                   parameter="items")
        if version is not None and not -2**31 <= version < 2**31:
            raise InvalidParameter(f"item {obj_id}: version {version} is no version of an "
                                   "object", parameter="items")
    if batch is not None and not -2**63 <= batch < 2**63:
        raise InvalidParameter(f"batch {batch} is no batch of the queue", parameter="batch")


def _selected(conn: psycopg.Connection, reg: Registry, items: list[tuple[int, int | None]],
              batch: int | None) -> dict[int, tuple[str, int | None, str | None]]:
    """Lock and return the pending rows decided: id → (operation, version, changed_by)."""
    if batch is None and not items:
        raise InvalidParameter("name the changes to decide: items or a batch")
    check_named(items, batch)
    if len(items) > MAX_ITEMS:
        raise InvalidParameter(f"at most {MAX_ITEMS} objects per decision; decide an import "
                               "by its batch")
    wanted = dict(items)
    ids = sorted(wanted)
    rows = conn.execute(sql.SQL(
        "SELECT object_id, operation, version, changed_by FROM {} WHERE collection = %(c)s "
        "AND (%(batch)s::bigint IS NULL OR batch = %(batch)s) "
        "AND (%(ids)s::bigint[] IS NULL OR object_id = ANY(%(ids)s)) "
        "ORDER BY object_id FOR UPDATE").format(sql.Identifier(*PENDING)),
        {"c": reg.id, "batch": batch, "ids": ids or None}).fetchall()
    got = {int(r[0]): (str(r[1]), r[2], r[3]) for r in rows}
    missing = [i for i in ids if i not in got]
    if missing or not got:
        what = ", ".join(f"#{i}" for i in missing) if missing else f"batch {batch}"
        raise Conflict(f"{reg.id}: no pending change of {what} (already decided, or "
                       "withdrawn)", collection=reg.id)
    for obj_id, expected in wanted.items():
        if expected is not None and got[obj_id][1] != expected:
            now = got[obj_id][1]
            raise Conflict(f"{reg.id} #{obj_id} was changed again since you looked (now "
                           f"{'deleted' if now is None else f'version {now}'}, you saw "
                           f"version {expected}): reload the queue", collection=reg.id)
    return got


def decide(conn: psycopg.Connection, catalog: Catalog, reg: Registry, who: Principal,
           decision: str, *, items: list[tuple[int, int | None]] | None = None,
           batch: int | None = None, reason: str | None = None,
           self_approval: bool = False) -> Decided:
    """Approve or reject pending changes of ``reg`` (``items``: (id, version seen) pairs, or
    a whole ``batch``) in one transaction; return what was decided.

    Raise Forbidden when ``who`` may not verify ``reg`` or (unless ``self_approval``) made a
    change, Conflict when a change moved on or an approval would publish a dangling
    reference, RuleViolation when a rejection's restored version breaks a rule today.
    """
    if decision not in ("approve", "reject"):
        raise InvalidParameter("decision must be approve or reject", parameter="decision")
    reason = (reason or "").strip() or None
    if reason and len(reason) > MAX_REASON:
        raise InvalidParameter(f"the reason is longer than {MAX_REASON} characters",
                               parameter="reason")
    if decision == "reject" and not reason:
        raise InvalidParameter("a rejection needs its reason (the editor reads it)",
                               parameter="reason")
    check_can_verify(conn, reg, who)
    conn.execute("SELECT set_config('gis.user', %s, true)", (who.name,))
    selected = _selected(conn, reg, items or [], batch)
    together = _with_partners(conn, reg, set(selected)) - set(selected)
    if together:
        selected |= _selected(conn, reg, [(i, None) for i in sorted(together)], None)
    if not self_approval:
        own = _own_changes(conn, reg, selected, who.name)
        if own:
            raise Forbidden(f"{reg.id}: {', '.join(f'#{i}' for i in own[:10])} "
                            f"{'holds' if len(own) == 1 else 'hold'} your own change: another "
                            f"verifier of {reg.holder_department.title_in('en')} decides it",
                            collection=reg.id)
    ids = sorted(selected)
    by_op: dict[str, list[int]] = {"create": [], "update": [], "delete": []}
    for obj_id, (op, _, _) in selected.items():
        by_op[op].append(obj_id)
    label = "approved" if decision == "approve" else "rejected"
    try:
        with conn.transaction():
            if decision == "approve":
                _check_references(conn, catalog, reg, by_op)
                _log(conn, reg, ids, "approved", reason, who)
                _approve(conn, reg, by_op, who)
                _check_published(conn, reg, sorted(by_op["create"] + by_op["update"]))
            else:
                logged = _log(conn, reg, ids, "rejected", reason, who)
                _reject(conn, reg, by_op)
                conn.execute(sql.SQL(  # the version the rejection left public
                    "UPDATE {d} AS d SET published_version = p.version FROM {p} AS p "
                    "WHERE d.id = ANY(%s) AND p.id = d.object_id").format(
                    d=sql.Identifier(*DECISIONS), p=sql.Identifier(*reg.published_table)),
                    (logged,))
            conn.execute(sql.SQL("DELETE FROM {} WHERE collection = %s AND object_id = ANY(%s)")
                         .format(sql.Identifier(*PENDING)), (reg.id, ids))
    except (pgerrors.IntegrityError, pgerrors.RaiseException) as exc:
        from gis.errors import RuleViolation

        message = exc.diag.message_primary or "refused by the database"
        if isinstance(exc, pgerrors.ForeignKeyViolation):
            message = ("other objects still refer to it in the working copy; reject or "
                       "change those first")
        elif isinstance(exc, pgerrors.IntegrityError):  # in the registry's words, by field:
            # a constraint's own text named it ("duplicate key value violates unique …")
            message = refusal(reg, exc, {}).detail.removeprefix(f"{reg.id}: ")
        raise RuleViolation(f"{reg.id}: cannot {decision} {', '.join(f'#{i}' for i in ids[:10])}"
                            f": {message}", collection=reg.id) from None
    return Decided(reg.id, label, ids, sorted(together))


def _own_changes(conn: psycopg.Connection, reg: Registry,
                 selected: dict[int, tuple[str, int | None, str | None]], name: str) -> list[int]:
    """Return the objects of ``selected`` whose pending change holds a version ``name`` made:
    the latest (the queue's author) or any earlier one since the published version — a
    colleague's small edit on top of a verifier's own change does not make it theirs to
    approve. A deletion publishes nothing of the versions before it: only its author counts."""
    own = {i for i, (_, _, by) in selected.items() if by == name}
    changed = sorted(i for i, (op, _, _) in selected.items() if op != "delete")
    if changed:
        rows = conn.execute(sql.SQL(
            "SELECT DISTINCT h.id FROM {history} AS h JOIN {pending} AS x "
            "ON x.collection = %(c)s AND x.object_id = h.id WHERE h.id = ANY(%(ids)s) "
            "AND h.version > coalesce(x.published_version, 0) AND h.changed_by = %(who)s"
        ).format(history=sql.Identifier(*reg.history_table), pending=sql.Identifier(*PENDING)),
            {"c": reg.id, "ids": changed, "who": name}).fetchall()
        own |= {int(r[0]) for r in rows}
    return sorted(own)


def _log(conn: psycopg.Connection, reg: Registry, ids: list[int], decision: str,
         reason: str | None, who: Principal) -> list[int]:
    """Record the decision on each object, as the queue holds it; return the rows' ids."""
    published = sql.Identifier(*reg.published_table)
    rows = conn.execute(sql.SQL(
        "INSERT INTO {decisions} (collection, object_id, operation, version, previous_version,"
        " published_version, decision, reason, decided_by, changed_by, changed_at, batch, "
        "department) SELECT x.collection, x.object_id, x.operation, x.version, "
        "x.published_version, CASE WHEN %(d)s = 'approved' THEN CASE WHEN x.operation = "
        "'delete' THEN NULL ELSE x.version END ELSE (SELECT p.version FROM {published} AS p "
        "WHERE p.id = x.object_id) END, %(d)s, %(reason)s, %(who)s, x.changed_by, "
        "x.changed_at, x.batch, %(dept)s FROM {pending} AS x WHERE x.collection = %(c)s "
        "AND x.object_id = ANY(%(ids)s) RETURNING id").format(
        decisions=sql.Identifier(*DECISIONS), pending=sql.Identifier(*PENDING),
        published=published),
        {"d": decision, "reason": reason, "who": who.name, "c": reg.id, "ids": ids,
         "dept": reg.holder_department.code}).fetchall()
    return [int(r[0]) for r in rows]


def _approve(conn: psycopg.Connection, reg: Registry, by_op: dict[str, list[int]],
             who: Principal) -> None:
    changed = sorted(by_op["create"] + by_op["update"])
    if changed:
        rows = sql.SQL("(SELECT * FROM {} WHERE id = ANY({}::bigint[]))").format(
            sql.Identifier(reg.schema, reg.table), sql.Literal(changed))
        conn.execute(upsert_sql(reg, rows, sql.Literal(who.name), sql.SQL("now()")))
    if by_op["delete"]:
        conn.execute(sql.SQL("DELETE FROM {} WHERE id = ANY(%s)").format(
            sql.Identifier(*reg.published_table)), (by_op["delete"],))


def _reject(conn: psycopg.Connection, reg: Registry, by_op: dict[str, list[int]]) -> None:
    """Give the working copy back the published versions (creates first, so that a split's
    parts leave room for their original)."""
    work = sql.Identifier(reg.schema, reg.table)
    published = sql.Identifier(*reg.published_table)
    cols = data_columns(reg)
    if by_op["create"]:
        conn.execute(sql.SQL("DELETE FROM {} WHERE id = ANY(%s)").format(work),
                     (by_op["create"],))
    if by_op["delete"]:
        conn.execute("SELECT set_config(%s, 'on', true)", (RESTORE_SETTING,))
        names = sql.SQL(", ").join(sql.Identifier(c) for c in ("id", *cols))
        conn.execute(sql.SQL("INSERT INTO {work} ({names}) SELECT {names} FROM {published} "
                             "WHERE id = ANY(%s)").format(work=work, names=names,
                                                          published=published),
                     (by_op["delete"],))
        conn.execute("SELECT set_config(%s, '', true)", (RESTORE_SETTING,))
    if by_op["update"]:
        conn.execute(sql.SQL("UPDATE {work} AS w SET ({names}) = ({values}) FROM {published} "
                             "AS p WHERE p.id = w.id AND w.id = ANY(%s)").format(
            work=work, published=published,
            names=sql.SQL(", ").join(sql.Identifier(c) for c in cols),
            values=sql.SQL(", ").join(sql.SQL("p.{}").format(sql.Identifier(c)) for c in cols)),
            (by_op["update"],))
    restored = sorted(by_op["delete"] + by_op["update"])
    if restored:  # the same content under the working copy's new version number
        conn.execute(sql.SQL(
            "UPDATE {published} AS p SET version = w.version, sys_period = w.sys_period, "
            "changed_by = w.changed_by FROM {work} AS w WHERE w.id = p.id "
            "AND p.id = ANY(%s)").format(published=published, work=work), (restored,))


def _check_published(conn: psycopg.Connection, reg: Registry, ids: list[int]) -> None:
    """Refuse an approval that would make the published registry break a rule the working
    copy keeps, e.g. a new parcel approved where the old one's deletion still waits: the
    error rules are run over the published versions of the approved objects."""
    if not ids:
        return
    for f in reg.stored_fields:  # the working copy's unique constraints, over the published
        if not f.unique:
            continue
        twice = conn.execute(sql.SQL(
            "SELECT n.id, o.id, n.{col} FROM {pub} AS n JOIN {pub} AS o ON o.{col} = n.{col} "
            "AND o.id <> n.id WHERE n.id = ANY(%s) ORDER BY n.id, o.id LIMIT 1").format(
            col=sql.Identifier(f.column), pub=sql.Identifier(*reg.published_table)),
            (ids,)).fetchone()
        if twice:
            shown = f" {twice[2]!r}" if f.is_public and not f.personal_if else ""
            raise Conflict(f"approving #{twice[0]} would publish {reg.id}.{f.name}{shown} "
                           f"twice: the published {reg.object_noun} #{twice[1]} still has it; "
                           f"decide #{twice[1]}'s pending change first, or with it",
                           collection=reg.id, field=f.name)
    published = replace(reg, schema=PUBLISHED_SCHEMA)  # {table}: the published table
    rows = sql.SQL("(SELECT * FROM {} WHERE id = ANY({}::bigint[]))").format(
        sql.Identifier(*reg.published_table), sql.Literal(ids))
    for rule in all_rules(reg):
        if rule.severity is not Severity.ERROR or "{table}" not in rule.violations:
            continue
        hit = conn.execute(sql.SQL("SELECT v.message FROM ({}) AS v(id, message) "
                                   "ORDER BY v.id LIMIT 1").format(
            violations_sql(published, rule, rows))).fetchone()
        if hit:
            raise Conflict(f"approving would publish what the rules refuse: {hit[0]} (in the "
                           "published registry); decide the other object's pending change "
                           "first", collection=reg.id, rule=rule.id)


def _check_references(conn: psycopg.Connection, catalog: Catalog, reg: Registry,
                      by_op: dict[str, list[int]]) -> None:
    """Refuse an approval that would leave the public a reference to an unpublished object
    (a new address on a street nobody verified) or remove an object published ones name."""
    changed = sorted(by_op["create"] + by_op["update"])
    for f in reg.stored_fields:
        if f.type is not FieldType.REFERENCE or not f.references or not changed:
            continue
        target = catalog.get(f.references)
        row = conn.execute(sql.SQL(
            "SELECT w.id, w.{col} FROM {work} AS w WHERE w.id = ANY(%(ids)s) "
            "AND w.{col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {target} AS t "
            "WHERE t.id = w.{col}) AND NOT (%(same)s AND w.{col} = ANY(%(ids)s)) "
            "ORDER BY w.id LIMIT 1").format(
            col=sql.Identifier(f.column), work=sql.Identifier(reg.schema, reg.table),
            target=sql.Identifier(*target.published_table)),
            {"ids": changed, "same": target.id == reg.id}).fetchone()
        if row:
            raise Conflict(f"{reg.id} #{row[0]} refers to {target.object_noun} #{row[1]}, "
                           f"which is not published: verify {target.id} #{row[1]} first",
                           collection=reg.id)
    if not by_op["delete"]:
        return
    for other in catalog:
        for f in other.stored_fields:
            if f.references != reg.id:
                continue
            row = conn.execute(sql.SQL(
                "SELECT p.id, p.{col} FROM {pub} AS p WHERE p.{col} = ANY(%(ids)s) "
                "AND NOT (%(same)s AND p.id = ANY(%(ids)s)) ORDER BY p.id LIMIT 1").format(
                col=sql.Identifier(f.column), pub=sql.Identifier(*other.published_table)),
                {"ids": by_op["delete"], "same": other.id == reg.id}).fetchone()
            if row:
                raise Conflict(f"{reg.id} #{row[1]} is still named by the published "
                               f"{other.object_noun} #{row[0]} ({f.name}): verify that "
                               "change first", collection=reg.id)


# -- what the public history shows --------------------------------------------------------

def publications(conn: psycopg.Connection, reg: Registry, obj_id: int) -> list[dict[str, Any]]:
    """Return the decisions on one object, oldest first (who only for staff callers)."""
    rows = conn.execute(sql.SQL(
        "SELECT operation, version, previous_version, published_version, decision, reason, "
        "decided_by, decided_at, changed_by, changed_at FROM {} WHERE collection = %s "
        "AND object_id = %s ORDER BY decided_at, id").format(sql.Identifier(*DECISIONS)),
        (reg.id, obj_id)).fetchall()
    keys = ("operation", "version", "previous_version", "published_version", "decision",
            "reason", "decided_by", "decided_at", "changed_by", "changed_at")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def state(conn: psycopg.Connection, reg: Registry, obj_id: int) -> dict[str, Any]:
    """Return an object's verification state for staff: published and working versions,
    the pending change if any, who verified the published version when."""
    row = conn.execute(sql.SQL(
        "SELECT (SELECT version FROM {w} WHERE id = %(id)s), p.version, p.verified_by, "
        "p.verified_at, p.published_at, x.operation, x.changed_by, x.changed_at "
        "FROM (SELECT 1) AS one LEFT JOIN {p} AS p ON p.id = %(id)s "
        "LEFT JOIN {x} AS x ON x.collection = %(c)s AND x.object_id = %(id)s").format(
        w=sql.Identifier(reg.schema, reg.table), p=sql.Identifier(*reg.published_table),
        x=sql.Identifier(*PENDING)), {"id": obj_id, "c": reg.id}).fetchone()
    assert row is not None
    keys = ("version", "published_version", "verified_by", "verified_at", "published_at",
            "pending", "pending_by", "pending_since")
    out: dict[str, Any] = json.loads(json.dumps(dict(zip(keys, row, strict=True)), default=str))
    return out



def pending_features(conn: psycopg.Connection, catalog: Catalog,
                     limit: int = 2000) -> dict[str, Any]:
    """Return the pending changes as a GeoJSON FeatureCollection (CRS84) for staff's map:
    the working geometry, or the published one of a pending deletion; newest first."""
    counts = pending_counts(conn, catalog)
    parts = [sql.SQL(
        "SELECT x.changed_at, json_build_object('type', 'Feature', 'id', "
        "{c} || '/' || x.object_id, 'geometry', ST_AsGeoJSON(ST_Transform("
        "coalesce(w.geom, p.geom), 4326), 7)::json, "
        "'properties', json_build_object('collection', {c}, 'id', x.object_id, 'operation', "
        "x.operation, 'changed_by', x.changed_by, 'changed_at', x.changed_at)) AS f "
        "FROM {pending} AS x LEFT JOIN {work} AS w ON w.id = x.object_id "
        "LEFT JOIN {pub} AS p ON p.id = x.object_id WHERE x.collection = {c} "
        "AND coalesce(w.geom, p.geom) IS NOT NULL").format(
        c=sql.Literal(reg.id), pending=sql.Identifier(*PENDING),
        work=sql.Identifier(reg.schema, reg.table), pub=sql.Identifier(*reg.published_table))
        for reg in catalog if counts.get(reg.id)]
    if not parts:
        return {"type": "FeatureCollection", "features": []}
    rows = conn.execute(sql.SQL("SELECT f FROM ({}) AS u ORDER BY changed_at DESC LIMIT %s")
                        .format(sql.SQL(" UNION ALL ").join(parts)), (limit,)).fetchall()
    features: list[dict[str, Any]] = [r[0] for r in rows]
    return {"type": "FeatureCollection", "features": features}


# -- granting the right ---------------------------------------------------------------------

def departments(catalog: Catalog) -> dict[str, Any]:
    """Return the departments known here: the built-in ones and the registries' holders."""
    from registries.holders import DEPARTMENTS

    known = {d.code: d for d in DEPARTMENTS}
    for reg in catalog:
        known.setdefault(reg.holder_department.code, reg.holder_department)
    return known


def place_user(conn: psycopg.Connection, catalog: Catalog, name: str,
               department: str | None) -> list[str]:
    """Put user ``name`` into ``department`` (a code, None: none); return the verifier rights
    that ended because they no longer fit (another department holds those registries)."""
    from gis.staff_rights import revoke_verifier, set_department

    if department is not None and department not in departments(catalog):
        raise InvalidParameter(f"unknown department {department!r}; departments are "
                               f"{', '.join(sorted(departments(catalog)))}",
                               parameter="department")
    set_department(conn, name, department)
    ended = []
    for collection in sorted(rights_of(conn, name).verifies):
        if collection not in catalog.ids or \
                catalog.get(collection).holder_department.code != department:
            revoke_verifier(conn, name, collection)
            ended.append(collection)
    return ended


def grant(conn: psycopg.Connection, catalog: Catalog, name: str, collection: str,
          granted_by: str | None = None) -> None:
    """Give user ``name`` the right to verify ``collection``, or raise Forbidden saying why
    the user may not have it (another department holds it, or the user's roles do not edit
    it: a registrar never verifies the land cadastre)."""
    from gis.staff_rights import grant_verifier

    reg = catalog.get(collection)
    row = conn.execute("SELECT roles, department FROM auth.users WHERE name = %s",
                       (name,)).fetchone()
    if row is None:
        raise NotFound(f"no user {name!r}", user=name)
    roles = frozenset(Role(r) for r in row[0])
    problem = grant_problem(reg, roles, row[1])
    if problem:
        raise Forbidden(f"user {name} may not verify {collection}: {problem}",
                        collection=collection)
    grant_verifier(conn, name, collection, granted_by)
