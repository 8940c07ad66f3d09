"""Users, API tokens and login sessions in the ``auth`` schema; the personal-data access log.

Passwords are argon2id hashes (argon2-cffi). Tokens and session ids are random secrets handed
out once; only their SHA-256 is stored, so a copy of the database lets nobody in.

Each user also gets a database login with the rights of the user's roles (``gis.db_logins``),
in the same transaction: its password is the user's (stored by PostgreSQL as a SCRAM
verifier), disabling the user disables the login.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from psycopg import errors as pgerrors

from gis import db_logins
from gis.auth import Principal, Role
from gis.errors import Conflict, InvalidParameter, NotFound

_hasher = PasswordHasher()
# verified when a name is unknown, so that a wrong name costs as long as a wrong password
_DUMMY_HASH = _hasher.hash("not a password of anyone")
TOKEN_PREFIX = "hgt_"  # tokens are recognisable in logs and secret scanners
NAME_PATTERN = r"[a-z][a-z0-9._-]{0,62}"


def secret_hash(secret: str) -> str:
    """Return the hex SHA-256 of a token or session secret (what the database stores).

    >>> secret_hash("abc")[:12]
    'ba7816bf8f01'
    """
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(prefix: str = "") -> str:
    """Return a fresh URL-safe random secret with 256 bits of entropy."""
    return prefix + secrets.token_urlsafe(32)


def parse_roles(names: list[str] | tuple[str, ...]) -> frozenset[Role]:
    """Return the roles named, or raise InvalidParameter naming the unknown one.

    >>> sorted(parse_roles(["planner", "registrar"]))
    [<Role.PLANNER: 'planner'>, <Role.REGISTRAR: 'registrar'>]
    """
    roles = set()
    for name in names:
        try:
            roles.add(Role(name.strip().lower()))
        except ValueError:
            raise InvalidParameter(f"unknown role {name!r}; roles are "
                                   + ", ".join(r.value for r in Role)) from None
    if not roles:
        raise InvalidParameter("give at least one role")
    return frozenset(roles)


@dataclass(frozen=True)
class User:
    id: int
    name: str
    display_name: str
    roles: frozenset[Role]
    active: bool
    created_at: datetime

    @property
    def principal(self) -> Principal:
        return Principal(self.name, self.roles)


@dataclass(frozen=True)
class Token:
    id: int
    owner: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _user(row: tuple[Any, ...]) -> User:
    return User(row[0], row[1], row[2], frozenset(Role(r) for r in row[3]), row[4], row[5])


USER_COLUMNS = "id, name, display_name, roles, active, created_at"


def check_user_name(name: str) -> None:
    """Refuse a name a user may not have (before anyone is asked for its password).

    >>> check_user_name("olena.k")
    >>> check_user_name("Olena")
    Traceback (most recent call last):
    gis.errors.InvalidParameter: user name 'Olena' must be lower-case letters, digits, ...
    """
    if len(name) > 63:  # the pattern's bound: it said the characters were wrong
        raise InvalidParameter(f"user name {name[:70]!r}… is {len(name)} characters long; "
                               "a user name has at most 63")
    if not re.fullmatch(NAME_PATTERN, name):
        raise InvalidParameter(f"user name {name[:70]!r} must be lower-case letters, digits, "
                               "'.', '_' or '-', starting with a letter")


def check_words(value: str, what: str, limit: int = 200) -> None:
    r"""Refuse a display name or a token label with a control character or too long: a tab
    or a line break in one wrote rows of its own into the tab-separated `gis users list` and
    `gis tokens list` (a "user" with the admin role that does not exist).

    >>> check_words("Олена Петрівна", "--display-name")
    >>> check_words("Олена\nfake\tadmin", "--display-name")
    Traceback (most recent call last):
    gis.errors.InvalidParameter: --display-name holds a control character (a tab, a line break …)
    """
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value):
        raise InvalidParameter(f"{what} holds a control character (a tab, a line break …)",
                               parameter=what)
    if len(value) > limit:
        raise InvalidParameter(f"{what} is {len(value)} characters long; at most {limit}",
                               parameter=what)


def add_user(conn: psycopg.Connection[Any], name: str, roles: frozenset[Role], *,
             password: str | None, display_name: str = "", db_login: str | None = None,
             with_db_login: bool = True) -> User:
    """Create a user; ``password`` None makes a token-only (service) user.

    The user's database login is created too (``with_db_login``), or the existing role
    ``db_login`` is mapped to the user; a database user that may not create roles skips it
    unless ``db_login`` asks for one.
    """
    check_user_name(name)
    check_words(display_name, "--display-name")
    if password is not None and len(password) < 8:
        raise InvalidParameter("the password must have at least 8 characters")
    pw_hash = _hasher.hash(password) if password is not None else None
    try:
        with conn.transaction():
            row = conn.execute(
                f"INSERT INTO auth.users (name, display_name, password_hash, roles) "  # noqa: S608
                f"VALUES (%s, %s, %s, %s) RETURNING {USER_COLUMNS}",
                (name, display_name, pw_hash, sorted(r.value for r in roles))).fetchone()
            assert row is not None
            if db_login is not None or (with_db_login and db_logins.can_manage_roles(conn)):
                db_logins.ensure_login(conn, name, roles, password=password, existing=db_login,
                                       user_id=row[0],
                                       source="mapped" if db_login else "local")
    except pgerrors.UniqueViolation:
        raise Conflict(f"user {name!r} already exists", user=name) from None
    return _user(row)


def list_users(conn: psycopg.Connection[Any]) -> list[User]:
    """Return every user, by name."""
    rows = conn.execute(f"SELECT {USER_COLUMNS} FROM auth.users ORDER BY name")  # noqa: S608
    return [_user(r) for r in rows]


def set_active(conn: psycopg.Connection[Any], name: str, active: bool) -> None:
    """Enable or disable a user; disabling also ends the user's sessions."""
    row = conn.execute("UPDATE auth.users SET active = %s WHERE name = %s RETURNING id",
                       (active, name)).fetchone()
    if row is None:
        raise NotFound(f"no user {name!r}", user=name)
    if not active:
        conn.execute("DELETE FROM auth.sessions WHERE user_id = %s", (row[0],))
    login = db_logins.login_of(conn, name)
    if login is not None:
        db_logins.set_login_enabled(conn, login.login, active)


def set_password(conn: psycopg.Connection[Any], name: str, password: str) -> None:
    if len(password) < 8:
        raise InvalidParameter("the password must have at least 8 characters")
    row = conn.execute("UPDATE auth.users SET password_hash = %s WHERE name = %s "
                       "RETURNING id, roles, active", (_hasher.hash(password), name)).fetchone()
    if row is None:
        raise NotFound(f"no user {name!r}", user=name)
    login = db_logins.login_of(conn, name)
    if login is not None and login.source == "mapped":
        return  # a role a DBA manages: its password is not ours to set
    if login is not None:
        db_logins.set_login_password(conn, login.login, password)
    elif db_logins.can_manage_roles(conn):  # a user from before database logins existed
        db_logins.ensure_login(conn, name, frozenset(Role(r) for r in row[1]),
                               password=password, user_id=row[0], active=row[2])


def check_password(conn: psycopg.Connection[Any], name: str, password: str) -> User | None:
    """Return the active user whose name and password these are, else None (constant work)."""
    row = conn.execute(f"SELECT {USER_COLUMNS}, password_hash FROM auth.users "  # noqa: S608
                       "WHERE name = %s AND active", (name,)).fetchone()
    stored = row[6] if row is not None and row[6] else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or not row[6]:
        return None
    return _user(row[:6])


# -- tokens ---------------------------------------------------------------------------------

def issue_token(conn: psycopg.Connection[Any], name: str, label: str = "") -> tuple[int, str]:
    """Return (id, secret) of a new token of user ``name``; the secret is not kept."""
    check_words(label, "--label")
    user = conn.execute("SELECT id FROM auth.users WHERE name = %s", (name,)).fetchone()
    if user is None:
        raise NotFound(f"no user {name!r}", user=name)
    secret = new_secret(TOKEN_PREFIX)
    row = conn.execute("INSERT INTO auth.tokens (token_hash, user_id, label) VALUES (%s, %s, %s) "
                       "RETURNING id", (secret_hash(secret), user[0], label)).fetchone()
    assert row is not None
    return int(row[0]), secret


def list_tokens(conn: psycopg.Connection[Any], name: str | None = None) -> list[Token]:
    """Return the tokens (of user ``name``, or all), newest first; never their secrets."""
    rows = conn.execute(
        "SELECT t.id, u.name, t.label, t.created_at, t.last_used_at, t.revoked_at "
        "FROM auth.tokens t JOIN auth.users u ON u.id = t.user_id "
        "WHERE %(name)s::text IS NULL OR u.name = %(name)s ORDER BY t.id DESC", {"name": name})
    return [Token(*r) for r in rows]


def revoke_token(conn: psycopg.Connection[Any], token_id: int) -> None:
    """Revoke a token by id (idempotent: a revoked token keeps its first revocation time)."""
    row = conn.execute("UPDATE auth.tokens SET revoked_at = coalesce(revoked_at, now()) "
                       "WHERE id = %s RETURNING id", (token_id,)).fetchone()
    if row is None:
        raise NotFound(f"no token {token_id}", token=token_id)


def token_user(conn: psycopg.Connection[Any], secret: str) -> tuple[User | None, bool]:
    """Return (user, known) for a bearer secret: user None when unknown, revoked or disabled.

    ``known`` tells whether the secret is one of ours at all (revoked ones included), so
    callers can say "revoked" without a second query. Marks the token used (once a minute).
    """
    row = conn.execute(
        f"UPDATE auth.tokens t SET last_used_at = now() FROM auth.users u "  # noqa: S608
        "WHERE t.token_hash = %s AND u.id = t.user_id AND t.revoked_at IS NULL AND u.active "
        "AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute') "
        f"RETURNING {', '.join('u.' + c for c in USER_COLUMNS.split(', '))}",
        (secret_hash(secret),)).fetchone()
    if row is not None:
        return _user(row), True
    row = conn.execute(
        f"SELECT {', '.join('u.' + c for c in USER_COLUMNS.split(', '))}, "  # noqa: S608
        "t.revoked_at IS NULL AND u.active FROM auth.tokens t JOIN auth.users u "
        "ON u.id = t.user_id WHERE t.token_hash = %s", (secret_hash(secret),)).fetchone()
    if row is None:
        return None, False
    return (_user(row[:6]) if row[6] else None), True


# -- sessions -------------------------------------------------------------------------------

def open_session(conn: psycopg.Connection[Any], user: User,
                 lifetime: timedelta) -> tuple[str, str]:
    """Return (session secret, CSRF token) of a new login session of ``user``."""
    session, csrf = new_secret(), new_secret()
    conn.execute("DELETE FROM auth.sessions WHERE expires_at < now()")
    conn.execute("INSERT INTO auth.sessions (session_hash, csrf_hash, user_id, expires_at) "
                 "VALUES (%s, %s, %s, now() + %s)",
                 (secret_hash(session), secret_hash(csrf), user.id, lifetime))
    return session, csrf


def session_user(conn: psycopg.Connection[Any], session: str) -> tuple[User, str] | None:
    """Return (user, CSRF hash) of a live session of an active user, else None."""
    row = conn.execute(
        f"SELECT {', '.join('u.' + c for c in USER_COLUMNS.split(', '))}, "  # noqa: S608
        "s.csrf_hash FROM auth.sessions s JOIN auth.users u ON u.id = s.user_id "
        "WHERE s.session_hash = %s AND s.expires_at > now() AND u.active",
        (secret_hash(session),)).fetchone()
    if row is None:
        return None
    return _user(row[:6]), str(row[6])


def close_session(conn: psycopg.Connection[Any], session: str) -> None:
    conn.execute("DELETE FROM auth.sessions WHERE session_hash = %s", (secret_hash(session),))


# -- the personal-data access log -----------------------------------------------------------

def log_personal_read(conn: psycopg.Connection[Any], who: Principal, collection: str, *,
                      method: str, path: str, query: str | None = None,
                      object_ids: list[int] | None = None) -> None:
    """Record that ``who`` read personal data of ``collection`` (one row per request)."""
    conn.execute("INSERT INTO auth.personal_access_log (principal, collection, object_ids, "
                 "query, method, path) VALUES (%s, %s, %s, %s, %s, %s)",
                 (who.name, collection, object_ids, query or None, method, path))
