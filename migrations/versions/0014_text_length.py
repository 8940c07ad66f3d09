"""registries: every text value at most 1,000 characters, on every write path

A CHECK ``ck_<table>_<column>_length`` (``registries.schema.text_length_check``) on each text
column of each registry: the API, the browser editor and imports refuse longer text before
the database does, and a staff member's own PostGIS login (QGIS) meets the same limit. Tables
created by this code already have it; an older one gets it checked, or NOT VALID where rows
written before are longer (they keep their text; every new write is checked).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def _text_columns() -> list[tuple[str, str]]:
    from registries.catalog import default_catalog
    from registries.model import FieldType

    return [(reg.table, f.column) for reg in default_catalog() for f in reg.stored_fields
            if f.type is FieldType.TEXT]


def upgrade() -> None:
    from registries.schema import text_length_check

    bind = op.get_bind()
    for table, column in _text_columns():
        name = f"ck_{table}_{column}_length"
        present = bind.execute(sa.text(
            "SELECT to_regclass(:t) IS NULL OR EXISTS (SELECT 1 FROM pg_constraint WHERE "
            "conname = :name AND conrelid = to_regclass(:t))"),
            {"t": f'registry."{table}"', "name": name}).scalar()
        if present:
            continue
        longer = bind.execute(sa.text(
            f'SELECT EXISTS (SELECT 1 FROM registry."{table}" WHERE NOT '  # noqa: S608
            f"({text_length_check(column)}))")).scalar()
        # rows written before that are longer keep their text (NOT VALID): never lose data
        op.execute(f'ALTER TABLE registry."{table}" ADD CONSTRAINT "{name}" '
                   f"CHECK ({text_length_check(column)}){' NOT VALID' if longer else ''}")


def downgrade() -> None:
    for table, column in _text_columns():
        op.execute(f'ALTER TABLE IF EXISTS registry."{table}" DROP CONSTRAINT IF EXISTS '
                   f'"ck_{table}_{column}_length"')
