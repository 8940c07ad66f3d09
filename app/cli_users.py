"""``gis users …`` and ``gis tokens …``: the people who edit, and their API tokens."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import click
import psycopg

from gis.db_logins import login_of
from gis.errors import InvalidParameter, NotFound
from gis.users import (
    add_user,
    check_user_name,
    check_words,
    issue_token,
    list_tokens,
    list_users,
    parse_roles,
    revoke_token,
    set_active,
    set_password,
)

ROLE_HELP = "planner (cadastre, planning), registrar (advertising, temporary structures, " \
            "addresses), admin, or public (reads what the public reads); repeat for several."


@contextmanager
def _connection(read_only: bool = False) -> Iterator[psycopg.Connection[Any]]:
    with _connection_and_url(read_only) as (conn, _):
        yield conn


@contextmanager
def _connection_and_url(read_only: bool = False
                        ) -> Iterator[tuple[psycopg.Connection[Any], str]]:
    from app.cli import load_settings
    from app.runtime import database

    with database(load_settings(), quiet=True, read_only=read_only) as url, \
            psycopg.connect(url) as conn:
        yield conn, url
        conn.commit()


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InvalidParameter("--password-stdin: standard input held no password")
        return password
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at else "-"


@click.group()
def users() -> None:
    """Users of the editor and the API, and their roles."""


@users.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, help=ROLE_HELP)
@click.option("--display-name", default="", help="Full name shown in the editor.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--no-password", is_flag=True, help="A service user that signs in by token only.")
@click.option("--db-login", metavar="ROLE",
              help="Map this existing PostgreSQL login to the user instead of creating "
                   "<database>_<name> (e.g. a login your DBA authenticates by LDAP).")
@click.option("--no-db-login", is_flag=True, help="No database login (API and editor only).")
@click.option("--department", help="The council department NAME works in (land_resources, "
                                   "architecture, trade …; see docs/verification.md).")
@click.option("--verifies", "verifies", multiple=True, metavar="REGISTRY",
              help="A registry NAME verifies (its holder department's, one NAME's roles edit).")
def users_add(name: str, roles: tuple[str, ...], display_name: str, password_stdin: bool,
              no_password: bool, db_login: str | None, no_db_login: bool,
              department: str | None, verifies: tuple[str, ...]) -> None:
    """Add user NAME with its roles; the password is prompted for unless given on stdin.

    The user also gets a PostgreSQL login with exactly the rights of its roles and the same
    password, for QGIS straight on PostGIS (gis users service-entry NAME).
    """
    check_user_name(name)  # before the password is typed twice
    check_words(display_name or "", "--display-name")
    parsed = parse_roles(roles)
    if db_login and no_db_login:
        raise InvalidParameter("--db-login and --no-db-login exclude each other")
    password = None if no_password else _password(password_stdin)
    # one transaction: a department or verifier right refused leaves no user behind (add_user
    # committed the user and its login on its own, and the refusal came after)
    with _connection() as conn, conn.transaction():
        user = add_user(conn, name, parsed, password=password, display_name=display_name,
                        db_login=db_login, with_db_login=not no_db_login)
        login = login_of(conn, name)
        if department or verifies:  # registries.verification: who may verify what
            from registries.catalog import default_catalog
            from registries.verification import grant, place_user

            place_user(conn, default_catalog(), name, department)
            for collection in verifies:
                grant(conn, default_catalog(), name, collection, granted_by="cli")
    click.echo(f"added {user.name} ({', '.join(sorted(user.roles))})"
               + (f", database login {login.login}" if login else ", no database login"),
               err=True)


@users.command("list")
def users_list() -> None:
    """List users: name, roles, active, created, database login, display name, department,
    the registries the user verifies."""
    from gis.staff_rights import all_rights

    with _connection(read_only=True) as conn:
        rights = all_rights(conn)
        found = list_users(conn)
        if not found:  # an empty stdout alone does not tell a new install's admin it worked
            click.echo("no users yet: add one with gis users add NAME --role ROLE", err=True)
        for u in found:
            login = login_of(conn, u.name)
            r = rights.get(u.name)
            click.echo(f"{u.name}\t{','.join(sorted(u.roles))}\t"
                       f"{'active' if u.active else 'disabled'}\t{_when(u.created_at)}\t"
                       f"{login.login if login else '-'}\t{u.display_name}\t"
                       f"{(r.department if r else None) or '-'}\t"
                       f"{','.join(sorted(r.verifies)) if r and r.verifies else '-'}")


@users.command("disable")
@click.argument("name")
def users_disable(name: str) -> None:
    """Disable NAME: its tokens, sessions and database login stop working at once."""
    with _connection() as conn:
        set_active(conn, name, False)
    click.echo(f"disabled {name}", err=True)


@users.command("enable")
@click.argument("name")
def users_enable(name: str) -> None:
    """Enable NAME again (its tokens that were not revoked work again)."""
    with _connection() as conn:
        set_active(conn, name, True)
    click.echo(f"enabled {name}", err=True)


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_password(name: str, password_stdin: bool) -> None:
    """Set the password of NAME (the editor's and its database login's)."""
    password = _password(password_stdin)
    with _connection() as conn:
        set_password(conn, name, password)
    click.echo(f"password of {name} changed", err=True)


@users.command("service-entry")
@click.argument("name")
def users_service_entry(name: str) -> None:
    """Print the pg_service.conf section with which NAME's QGIS reaches the database.

    Append it to pg_service.conf (Windows: %APPDATA%\\postgresql\\.pg_service.conf; Linux:
    ~/.pg_service.conf); in QGIS, a PostgreSQL connection then only needs the service name.
    """
    from app.cli import load_settings
    from app.qgis_access import connection_point

    with _connection_and_url() as (conn, url):
        login = login_of(conn, name)
        known = any(u.name == name for u in list_users(conn))
    if not known:  # "has no database login (gis users password … makes one)" misled
        raise NotFound(f"no user {name!r}", user=name)
    if login is None:
        raise NotFound(f"user {name!r} has no database login (gis users password {name} "
                       "makes one)", user=name)
    point = connection_point(load_settings(), url)
    click.echo(point.entry(login.login, note=f"Hromada GIS: {name}'s QGIS connection"),
               nl=False)


@click.group()
def tokens() -> None:
    """API tokens (Authorization: Bearer …); only their SHA-256 is stored."""


@tokens.command("issue")
@click.argument("name")
@click.option("--label", default="", help="What the token is for, e.g. 'QGIS on the planner PC'.")
def tokens_issue(name: str, label: str) -> None:
    """Issue a token for user NAME and print its secret once (it cannot be shown again)."""
    with _connection() as conn:
        token_id, secret = issue_token(conn, name, label)
    click.echo(f"token {token_id} for {name}; store it now, it is not shown again:", err=True)
    click.echo(secret)


@tokens.command("list")
@click.option("--user", "name", help="Only the tokens of this user.")
def tokens_list(name: str | None) -> None:
    """List tokens: id, owner, label, created, last used, revoked."""
    with _connection(read_only=True) as conn:
        found = list_tokens(conn, name)
        if not found:
            click.echo(f"no tokens{f' of {name}' if name else ''}: issue one with "
                       f"gis tokens issue {name or 'NAME'}", err=True)
        for t in found:
            click.echo(f"{t.id}\t{t.owner}\t{t.label or '-'}\t{_when(t.created_at)}\t"
                       f"{_when(t.last_used_at)}\t"
                       f"{'revoked ' + _when(t.revoked_at) if t.revoked_at else 'active'}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID: requests with it get 401 from now on."""
    with _connection() as conn:
        revoke_token(conn, token_id)
    click.echo(f"revoked token {token_id}", err=True)
