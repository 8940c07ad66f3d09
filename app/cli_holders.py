"""``gis users department|verifier``, ``gis verify …`` and ``gis quality``: the holders' work
from the command line (``registries.verification``, ``registries.quality``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
import psycopg

from gis.auth import Principal
from gis.errors import InvalidParameter, NotFound
from gis.text import printable


@contextmanager
def _connection() -> Iterator[psycopg.Connection[Any]]:
    from app.cli import load_settings
    from app.runtime import database

    with database(load_settings(), quiet=True) as url, psycopg.connect(url) as conn:
        yield conn
        conn.commit()


def _catalog() -> Any:
    from registries.catalog import default_catalog

    return default_catalog()


def _principal(conn: psycopg.Connection[Any], name: str) -> Principal:
    from gis.users import list_users

    found = [u for u in list_users(conn) if u.name == name and u.active]
    if not found:
        raise NotFound(f"no active user {name!r}", user=name)
    return found[0].principal


@click.command("department")
@click.argument("name")
@click.argument("department", required=False)
def users_department(name: str, department: str | None) -> None:
    """Put user NAME into DEPARTMENT (a code: land_resources, architecture, trade …; none
    without it). Rights to verify registries another department holds end."""
    from registries.verification import place_user

    with _connection() as conn:
        ended = place_user(conn, _catalog(), name, department)
    click.echo(f"{name} works in {department or 'no department'}"
               + (f"; no longer verifies {', '.join(ended)}" if ended else ""), err=True)


@click.command("verifier")
@click.argument("name")
@click.option("--grant", "grants", multiple=True, metavar="REGISTRY",
              help="Give NAME the right to verify this registry (repeat for several).")
@click.option("--revoke", "revokes", multiple=True, metavar="REGISTRY",
              help="End NAME's right to verify this registry ('all': every right).")
def users_verifier(name: str, grants: tuple[str, ...], revokes: tuple[str, ...]) -> None:
    """Give or end user NAME's right to verify registries. Only a member of the registry's
    holder department whose roles edit it may verify it (a registrar never verifies parcels).
    """
    from gis.staff_rights import revoke_verifier, rights_of
    from registries.verification import grant

    if not grants and not revokes:
        raise InvalidParameter("give --grant REGISTRY or --revoke REGISTRY")
    catalog = _catalog()
    with _connection() as conn:
        for collection in revokes:
            revoke_verifier(conn, name, None if collection == "all" else
                            catalog.get(collection).id)
        for collection in grants:
            grant(conn, catalog, name, collection, granted_by="cli")
        now = sorted(rights_of(conn, name).verifies)
    click.echo(f"{name} verifies: {', '.join(now) or 'nothing'}", err=True)


@click.group()
def verify() -> None:
    """The verification queue: changes waiting for their registry's holder."""


@verify.command("list")
@click.argument("registry", required=False)
@click.option("--batch", type=int, help="Only this batch (one editing transaction).")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
def verify_list(registry: str | None, batch: int | None, as_json: bool) -> None:
    """List pending changes (of REGISTRY, or a count per registry without it)."""
    from registries.verification import batches, pending_changes, pending_counts

    catalog = _catalog()
    with _connection() as conn:
        if registry is None:
            counts = pending_counts(conn, catalog)
            if not counts:
                click.echo("no changes wait for verification", err=True)
            for collection, n in sorted(counts.items()):
                click.echo(f"{collection}\t{n}")
            return
        reg = catalog.get(registry)
        if not pending_counts(conn, catalog).get(reg.id):
            click.echo(f"no changes of {reg.id} wait for verification", err=True)
            return
        if as_json:
            for c in pending_changes(conn, reg, batch=batch, limit=100_000):
                click.echo(json.dumps(c.as_dict(), ensure_ascii=False))
            return
        # a note (an import's file name, a database login's gis.change_note) and a label are
        # free text: printed escaped, one row each, so none writes rows of its own
        for b in batches(conn, reg):
            who = printable(b["changed_by"] or "-")
            click.echo(f"# batch {b['batch']}\t{b['changed_at']}\t{who}\t{b['count']} changes"
                       f"\t{printable(b['note'] or '')}")
        for c in pending_changes(conn, reg, batch=batch, limit=100_000):
            click.echo(f"{c.id}\t{c.operation}\tv{c.version or '-'}\t"
                       f"{printable(c.changed_by or '-')}\t{c.changed_at:%Y-%m-%d %H:%M}\t"
                       f"{c.batch}\t{printable(c.label)}")


def _decide(decision: str, registry: str, items: tuple[str, ...], batch: int | None,
            user: str, reason: str | None) -> None:
    from app.cli import load_settings
    from registries.verification import decide

    parsed: list[tuple[int, int | None]] = []
    for item in items:
        obj, _, version = item.partition(":")
        try:
            parsed.append((int(obj), int(version) if version else None))
        except ValueError:
            raise InvalidParameter(f"--item {item!r}: give ID or ID:VERSION") from None
    catalog = _catalog()
    settings = load_settings()
    with _connection() as conn:
        who = _principal(conn, user)
        done = decide(conn, catalog, catalog.get(registry), who, decision, items=parsed,
                      batch=batch, reason=reason,
                      self_approval=settings.verification.self_approval)
    click.echo(f"{done.decision} {len(done.ids)} change(s) of {registry}: "
               + ", ".join(f"#{i}" for i in done.ids), err=True)


_ITEM = click.option("--item", "items", multiple=True, metavar="ID[:VERSION]",
                     help="A pending change (VERSION: the one you checked).")
_BATCH = click.option("--batch", type=int, help="Every change of this batch.")
_AS = click.option("--as", "user", required=True, help="The verifier deciding (a user name).")


@verify.command("approve")
@click.argument("registry")
@_ITEM
@_BATCH
@_AS
@click.option("--reason", help="Why (kept in the decision's record).")
def verify_approve(registry: str, items: tuple[str, ...], batch: int | None, user: str,
                   reason: str | None) -> None:
    """Publish pending changes of REGISTRY (the public sees them at once)."""
    _decide("approve", registry, items, batch, user, reason)


@verify.command("reject")
@click.argument("registry")
@_ITEM
@_BATCH
@_AS
@click.option("--reason", required=True, help="Why (the editors read it).")
def verify_reject(registry: str, items: tuple[str, ...], batch: int | None, user: str,
                  reason: str) -> None:
    """Reject pending changes of REGISTRY: the working copy gets the published version back."""
    _decide("reject", registry, items, batch, user, reason)


@click.command("quality")
@click.argument("registry", required=False)
@click.option("--limit", type=click.IntRange(0, 10_000), default=20, show_default=True,
              help="Objects listed per check (0–10,000).")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
def quality(registry: str | None, limit: int, as_json: bool) -> None:
    """Print the quality report of REGISTRY (of every registry without it)."""
    from registries.quality import quality_report

    catalog = _catalog()
    regs = [catalog.get(registry)] if registry else list(catalog)
    with _connection() as conn:
        for reg in regs:
            report = quality_report(conn, catalog, reg, limit=limit)
            if as_json:
                click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
                continue
            click.echo(f"{reg.id}: {report.objects} objects, {report.total} findings")
            for c in report.checks:
                click.echo(f"  {c.id}\t{c.count}\t{c.title['en']}")
                for f in c.findings:
                    click.echo(f"    #{f.id}\t{printable(f.message)}")
