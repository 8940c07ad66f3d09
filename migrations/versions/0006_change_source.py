"""change source: which file (or other source) made each version of a registry object

Every live registry table gets ``change_source`` (what made the current version, e.g.
``ingest parcels.shp``), every history table ``change_source`` and ``ended_source`` (what
ended that version). The history triggers (``gis.history``) fill them from the transaction
setting ``gis.source``; ``NULL`` means an ordinary edit (API, web editor, QGIS).

Generic over the tables present: every table of the ``registry`` and ``history`` schemas that
keeps versions (has ``sys_period``), built-in or declared.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_TABLES = sa.text(
    "SELECT table_schema, table_name FROM information_schema.columns "
    "WHERE table_schema IN ('registry', 'history') AND column_name = 'sys_period' "
    "ORDER BY 1, 2")


def _tables() -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in op.get_bind().execute(_TABLES)]


def upgrade() -> None:
    for schema, table in _tables():
        op.add_column(table, sa.Column('change_source', sa.Text(), nullable=True), schema=schema)
        if schema == 'history':
            op.add_column(table, sa.Column('ended_source', sa.Text(), nullable=True),
                          schema=schema)


def downgrade() -> None:
    for schema, table in _tables():
        op.drop_column(table, 'change_source', schema=schema)
        if schema == 'history':
            op.drop_column(table, 'ended_source', schema=schema)
