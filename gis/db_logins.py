"""Database logins of staff: a PostgreSQL role per user, with exactly the rights of its roles.

A planner who edits in QGIS connects straight to PostGIS. Each user gets a login role of its
own (``<database>_<user>``, e.g. ``hromada_olena``; or an existing role a DBA made, mapped with
``--db-login``) that is a member of one *group role* per application role
(``hromada_planner``, ``hromada_registrar``, ``hromada_admin``, ``hromada_public``). What each
group may read and write is derived from the registry declarations
(``registries.grants``); the login only inherits it.

Roles are cluster-wide objects, databases are not: the names carry the database's name so
that two databases of one cluster (staging and production, the test suite's clones) never
share a group or a login.

``auth.db_logins`` maps a login to the user's name. The history trigger records that name as
the author of every edit made over the login — whatever the session sets ``gis.user`` to —
and the rule triggers never grant such a session the legacy-import leniency
(:func:`support_sql`: ``auth.login_user()``).

Passwords never reach the server in clear text: the SCRAM-SHA-256 verifier is computed by
libpq on this side (``PQencryptPasswordConn``) and only the verifier is sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from gis.auth import Role
from gis.errors import Conflict, EnvironmentProblem, InvalidParameter

MAX_NAME = 63  # PostgreSQL truncates longer identifiers (silently, but for a NOTICE)
CONNECTION_LIMIT = 20  # per login: QGIS opens a few connections per project, never dozens


def namespace(dbname: str) -> str:
    """Return the prefix of this database's roles: its name, lower-case, ``[a-z0-9_]`` only.

    >>> namespace("hromada"), namespace("Khm-GIS.prod")
    ('hromada', 'khm_gis_prod')
    """
    cleaned = re.sub(r"[^a-z0-9_]", "_", dbname.lower())
    return cleaned if re.match(r"[a-z_]", cleaned) else f"db_{cleaned}"


def group_role(dbname: str, role: Role) -> str:
    """Return the group role that holds the rights of ``role`` in database ``dbname``.

    >>> group_role("hromada", Role.PLANNER)
    'hromada_planner'
    """
    return _checked(f"{namespace(dbname)}_{role.value}")


def login_role(dbname: str, user: str) -> str:
    """Return the default login of ``user`` in database ``dbname``.

    >>> login_role("hromada", "olena"), login_role("hromada", "Olena.Koval@city.gov.ua")
    ('hromada_olena', 'hromada_olena_koval_city_gov_ua')
    """
    return _checked(f"{namespace(dbname)}_{re.sub(r'[^a-z0-9_]', '_', user.lower())}")


def _checked(name: str) -> str:
    if len(name.encode()) > MAX_NAME:
        raise InvalidParameter(f"database role name {name!r} is longer than {MAX_NAME} bytes; "
                               "choose a shorter user name or map an existing login "
                               "(--db-login)")
    return name


def current_database(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute("SELECT current_database()").fetchone()
    assert row is not None
    return str(row[0])


def can_manage_roles(conn: psycopg.Connection[Any]) -> bool:
    """Return True when this connection's user may create roles (superuser or CREATEROLE)."""
    row = conn.execute("SELECT rolsuper OR rolcreaterole FROM pg_roles "
                       "WHERE rolname = current_user").fetchone()
    return bool(row and row[0])


def support_sql() -> list[str]:
    """Return the DDL of ``auth.login_user()``: the user behind the session's login, or NULL.

    SECURITY DEFINER, so triggers running as any login can ask without reading
    ``auth.db_logins`` themselves; it answers only for the session's own login.
    """
    return ["""CREATE OR REPLACE FUNCTION auth.login_user() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT user_name FROM auth.db_logins WHERE login = session_user::text
$$""", "REVOKE ALL ON FUNCTION auth.login_user() FROM PUBLIC"]


def ensure_group_roles(conn: psycopg.Connection[Any], dbname: str) -> dict[Role, str]:
    """Create the group roles of ``dbname`` that do not exist yet (NOLOGIN); return them.

    Two upgrades of two databases may race to create the same role: the loser's error is
    swallowed inside the DO block, the role exists either way.
    """
    groups = {role: group_role(dbname, role) for role in Role}
    for role, name in groups.items():
        conn.execute(sql.SQL(
            "DO $do$ BEGIN CREATE ROLE {} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; "
            "END $do$").format(sql.Identifier(name)))
        conn.execute(sql.SQL("COMMENT ON ROLE {} IS {}").format(
            sql.Identifier(name),
            sql.Literal(f"Hromada GIS, database {dbname}: rights of the {role.value} role "
                        "(granted by gis db upgrade; members are users' logins)")))
    return groups


@dataclass(frozen=True)
class Login:
    """A user's database login."""

    login: str
    user_name: str
    source: str  # local (auth.users) | oidc (temporary credentials of a signed-in user)
    can_login: bool
    valid_until: datetime | None


def _role_flags(conn: psycopg.Connection[Any], name: str) -> tuple[bool, bool] | None:
    """Return (superuser, can log in) of role ``name``, or None when there is no such role."""
    row = conn.execute("SELECT rolsuper, rolcanlogin FROM pg_roles WHERE rolname = %s",
                       (name,)).fetchone()
    return None if row is None else (bool(row[0]), bool(row[1]))


def scram_verifier(conn: psycopg.Connection[Any], login: str, password: str) -> str:
    """Return the SCRAM-SHA-256 verifier of ``password`` for ``login`` (computed by libpq)."""
    return conn.pgconn.encrypt_password(password.encode(), login.encode(),
                                        b"scram-sha-256").decode()


def ensure_login(conn: psycopg.Connection[Any], user_name: str, roles: Iterable[Role], *,
                 password: str | None = None, existing: str | None = None,
                 user_id: int | None = None, source: str = "local",
                 valid_until: datetime | None = None, active: bool = True) -> str:
    """Create (or adopt) the login of ``user_name``, make it a member of exactly the group
    roles of ``roles`` and record the mapping; return the login's name.

    ``existing`` maps a role made elsewhere (by a DBA, e.g. authenticated by LDAP) instead of
    creating ``<database>_<user>``; its password is then left alone. A superuser, the
    application's own role, a group role or a login mapped to someone else is refused.
    """
    dbname = current_database(conn)
    if not can_manage_roles(conn):
        raise EnvironmentProblem(
            f"the database user of this server may not create roles, so {user_name!r} gets no "
            "database login; grant it CREATEROLE (or create the login yourself and map it "
            "with --db-login)")
    groups = ensure_group_roles(conn, dbname)
    ready = conn.execute("SELECT has_schema_privilege(%s, 'open_data', 'USAGE')",
                         (groups[Role.PUBLIC],)).fetchone()
    if not (ready and ready[0]):  # a restored or renamed database: its grants name old roles
        raise EnvironmentProblem(f"the rights of database logins are not set up in database "
                                 f"{dbname} yet; run: gis db upgrade")
    login = existing or login_role(dbname, user_name)
    if login in groups.values():
        raise InvalidParameter(f"{login!r} is a group role, not a login")
    mapped = conn.execute("SELECT user_name FROM auth.db_logins WHERE login = %s",
                          (login,)).fetchone()
    if mapped is not None and mapped[0] != user_name:
        raise Conflict(f"database login {login!r} already belongs to user {mapped[0]!r}",
                       user=user_name)
    owner = conn.execute("SELECT current_user, session_user").fetchone()
    assert owner is not None
    flags = _role_flags(conn, login)
    if existing is not None:
        if flags is None:
            raise InvalidParameter(f"there is no database role {existing!r} to map")
        if flags[0] or existing in owner:
            raise InvalidParameter(f"database role {existing!r} is a superuser or this "
                                   "server's own role; map a login of the user's own")
    elif flags is None:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN INHERIT CONNECTION LIMIT {}").format(
            sql.Identifier(login), sql.Literal(CONNECTION_LIMIT)))
        conn.execute(sql.SQL("COMMENT ON ROLE {} IS {}").format(
            sql.Identifier(login), sql.Literal(f"Hromada GIS user {user_name} "
                                               f"(database {dbname})")))
    elif flags[0]:
        raise InvalidParameter(f"database role {login!r} is a superuser; refusing to map it")
    elif mapped is None and not _is_ours(conn, login, groups.values()):
        raise Conflict(f"a database role {login!r} exists but is not a login of this server; "
                       "map it deliberately with --db-login or remove it", user=user_name)
    if password is not None and existing is None:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(
            sql.Identifier(login), sql.Literal(scram_verifier(conn, login, password))))
    if existing is None:
        conn.execute(sql.SQL("ALTER ROLE {} VALID UNTIL {}").format(
            sql.Identifier(login),
            sql.Literal(valid_until.isoformat() if valid_until else "infinity")))
    set_memberships(conn, login, roles, groups)
    conn.execute(
        "INSERT INTO auth.db_logins (login, user_name, user_id, source) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (login) DO UPDATE SET user_id = excluded.user_id, source = excluded.source",
        (login, user_name, user_id, source))
    set_login_enabled(conn, login, active)
    return login


def _is_ours(conn: psycopg.Connection[Any], login: str, groups: Iterable[str]) -> bool:
    """Return True when ``login`` is only a member of our group roles (a login we made for a
    database that was restored or whose mapping row was lost)."""
    rows = conn.execute(
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = %s", (login,)).fetchall()
    comment = conn.execute("SELECT shobj_description(oid, 'pg_authid') FROM pg_roles "
                           "WHERE rolname = %s", (login,)).fetchone()
    ours = set(groups)
    return bool(comment and comment[0] and str(comment[0]).startswith("Hromada GIS user")) \
        and all(r[0] in ours for r in rows)


def set_memberships(conn: psycopg.Connection[Any], login: str, roles: Iterable[Role],
                    groups: dict[Role, str] | None = None) -> None:
    """Make ``login`` a member of exactly the group roles of ``roles`` (others revoked)."""
    groups = groups or ensure_group_roles(conn, current_database(conn))
    wanted = set(roles)
    for role, group in groups.items():
        verb = "GRANT {} TO {}" if role in wanted else "REVOKE {} FROM {}"
        conn.execute(sql.SQL(verb).format(sql.Identifier(group), sql.Identifier(login)))


def login_of(conn: psycopg.Connection[Any], user_name: str) -> Login | None:
    """Return the database login mapped to ``user_name``, or None."""
    row = conn.execute(
        "SELECT l.login, l.user_name, l.source, coalesce(r.rolcanlogin, false), "
        "CASE WHEN r.rolvaliduntil = 'infinity' THEN NULL ELSE r.rolvaliduntil END "
        "FROM auth.db_logins l LEFT JOIN pg_roles r ON r.rolname = l.login "
        "WHERE l.user_name = %s ORDER BY l.created_at LIMIT 1", (user_name,)).fetchone()
    if row is None:
        return None
    return Login(row[0], row[1], row[2], row[3], row[4])


def set_login_enabled(conn: psycopg.Connection[Any], login: str, enabled: bool) -> None:
    """Let ``login`` connect, or not; disabling also ends its open sessions at once."""
    conn.execute(sql.SQL("ALTER ROLE {} {}").format(
        sql.Identifier(login), sql.SQL("LOGIN" if enabled else "NOLOGIN")))
    if not enabled:
        try:
            with conn.transaction():
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE usename = %s AND pid <> pg_backend_pid()", (login,))
        except psycopg.errors.InsufficientPrivilege:
            pass  # not a superuser: open sessions end when they disconnect


def set_login_password(conn: psycopg.Connection[Any], login: str, password: str) -> None:
    conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(
        sql.Identifier(login), sql.Literal(scram_verifier(conn, login, password))))


def is_loopback(host: str) -> bool:
    """Return True for a host name or address that only this machine reaches.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    return host in ("localhost", "::1") or host.startswith("127.")


def service_entry(service: str, *, host: str, port: int, dbname: str, login: str,
                  sslmode: str, note: str = "") -> str:
    """Return a ``pg_service.conf`` section QGIS (libpq) connects with; never a password.

    >>> print(service_entry("hromada", host="gis.city.local", port=5433, dbname="hromada",
    ...                     login="hromada_olena", sslmode="require"))
    [hromada]
    host=gis.city.local
    port=5433
    dbname=hromada
    user=hromada_olena
    sslmode=require
    application_name=QGIS
    <BLANKLINE>
    """
    lines = [f"# {line}" for line in note.splitlines()] if note else []
    lines += [f"[{service}]", f"host={host}", f"port={port}", f"dbname={dbname}",
              f"user={login}", f"sslmode={sslmode}", "application_name=QGIS"]
    return "\n".join(lines) + "\n"


def restore_logins(conn: psycopg.Connection[Any]) -> list[str]:
    """Give the users of a restored database their logins here; return whose need a password.

    Roles live in the cluster, not in the database, so a backup carries the mapping
    (``auth.db_logins``) but not the logins, and a restore under another database name maps
    users to another database's logins. Every local user whose login is missing, or is a login
    this server made for another database, gets ``<database>_<user>`` again with the rights of
    the user's roles; it cannot log in until ``gis users password`` sets a password (the old
    server only ever saw SCRAM verifiers, and none is kept). A DBA's role mapped with
    ``--db-login`` that exists here is left as mapped.
    """
    if not can_manage_roles(conn):
        return []
    dbname = current_database(conn)
    rows = conn.execute(
        "SELECT l.login, u.name, u.roles, u.id, u.active, r.rolname IS NOT NULL, "
        "coalesce(shobj_description(r.oid, 'pg_authid'), '') "
        "FROM auth.db_logins l JOIN auth.users u ON u.name = l.user_name "
        "LEFT JOIN pg_roles r ON r.rolname = l.login WHERE l.source = 'local' "
        "ORDER BY u.name").fetchall()
    needs_password = []
    for login, name, roles, user_id, active, exists, comment in rows:
        if exists and (login == login_role(dbname, name)
                       or not comment.startswith("Hromada GIS user")):
            continue  # this database's own login, or a DBA's role mapped on purpose
        conn.execute("DELETE FROM auth.db_logins WHERE login = %s", (login,))
        ensure_login(conn, name, frozenset(Role(r) for r in roles), user_id=user_id,
                     active=False)
        if active:
            needs_password.append(name)
    return needs_password
