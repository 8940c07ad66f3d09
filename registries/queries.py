"""Read SQL over the registries: composed from declarations, values always bound."""

from __future__ import annotations

import psycopg
from psycopg import sql

from registries.catalog import Catalog
from registries.model import Registry


def count_sql(reg: Registry) -> sql.Composed:
    """Return SQL counting the objects the public sees in ``reg``."""
    return sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(*reg.public_view))


def feature_counts(conn: psycopg.Connection, catalog: Catalog) -> dict[str, int]:
    """Return the number of public objects per collection id, in one round trip."""
    public = [reg for reg in catalog if reg.public]
    if not public:
        return {}
    query = sql.SQL("SELECT {}").format(
        sql.SQL(", ").join(sql.SQL("({})").format(count_sql(reg)) for reg in public))
    row = conn.execute(query).fetchone()
    assert row is not None
    return {reg.id: int(n) for reg, n in zip(public, row, strict=True)}


def is_empty(conn: psycopg.Connection, catalog: Catalog) -> bool:
    """Return True when no registry holds any object (a fresh database)."""
    return all(
        conn.execute(sql.SQL("SELECT NOT EXISTS (SELECT 1 FROM {})").format(
            sql.Identifier(reg.schema, reg.table))).fetchone() == (True,)
        for reg in catalog
    )
