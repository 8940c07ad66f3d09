"""Where staff users work and what they may verify: ``auth.users.department`` and
``auth.verifiers`` (one row per user and registry the user verifies).

These are stored facts only; which department holds which registry, and who may be given the
right to verify it, is the registries' policy (``registries.verification``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from gis.errors import NotFound


@dataclass(frozen=True)
class StaffRights:
    """A user's department and the collections the user verifies."""

    name: str
    department: str | None
    verifies: frozenset[str]


def _user_id(conn: psycopg.Connection[Any], name: str) -> int:
    row = conn.execute("SELECT id FROM auth.users WHERE name = %s", (name,)).fetchone()
    if row is None:
        raise NotFound(f"no user {name!r}", user=name)
    return int(row[0])


def rights_of(conn: psycopg.Connection[Any], name: str) -> StaffRights:
    """Return the department and verifier rights of user ``name`` (none for an unknown name,
    e.g. a token from the settings or an OpenID Connect user without a local account)."""
    row = conn.execute(
        "SELECT u.department, coalesce(array_agg(v.collection ORDER BY v.collection) "
        "FILTER (WHERE v.collection IS NOT NULL), '{}') FROM auth.users AS u "
        "LEFT JOIN auth.verifiers AS v ON v.user_id = u.id WHERE u.name = %s AND u.active "
        "GROUP BY u.department", (name,)).fetchone()
    if row is None:
        return StaffRights(name, None, frozenset())
    return StaffRights(name, row[0], frozenset(row[1]))


def set_department(conn: psycopg.Connection[Any], name: str, department: str | None) -> None:
    """Put user ``name`` into ``department`` (a code; None: none). Rights to verify registries
    of another department end with the move (the caller checks the code is known)."""
    user_id = _user_id(conn, name)
    conn.execute("UPDATE auth.users SET department = %s WHERE id = %s", (department, user_id))


def grant_verifier(conn: psycopg.Connection[Any], name: str, collection: str,
                   granted_by: str | None = None) -> None:
    """Give user ``name`` the right to verify ``collection`` (idempotent)."""
    user_id = _user_id(conn, name)
    conn.execute("INSERT INTO auth.verifiers (user_id, collection, granted_by) "
                 "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", (user_id, collection, granted_by))


def revoke_verifier(conn: psycopg.Connection[Any], name: str,
                    collection: str | None = None) -> int:
    """End user ``name``'s right to verify ``collection`` (every right when None); return how
    many rights ended."""
    user_id = _user_id(conn, name)
    cur = conn.execute("DELETE FROM auth.verifiers WHERE user_id = %s "
                       "AND (%s::text IS NULL OR collection = %s)",
                       (user_id, collection, collection))
    return cur.rowcount


def verifiers_of(conn: psycopg.Connection[Any], collection: str) -> list[str]:
    """Return the names of the active users who verify ``collection``."""
    rows = conn.execute("SELECT u.name FROM auth.verifiers AS v JOIN auth.users AS u "
                        "ON u.id = v.user_id WHERE v.collection = %s AND u.active "
                        "ORDER BY u.name", (collection,))
    return [str(r[0]) for r in rows]


def all_rights(conn: psycopg.Connection[Any]) -> dict[str, StaffRights]:
    """Return every user's department and verifier rights, by user name."""
    rows = conn.execute(
        "SELECT u.name, u.department, coalesce(array_agg(v.collection ORDER BY v.collection) "
        "FILTER (WHERE v.collection IS NOT NULL), '{}') FROM auth.users AS u "
        "LEFT JOIN auth.verifiers AS v ON v.user_id = u.id GROUP BY u.name, u.department")
    return {r[0]: StaffRights(r[0], r[1], frozenset(r[2])) for r in rows}
