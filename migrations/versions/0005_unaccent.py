"""unaccent: accent-insensitive comparison for CQL2 ACCENTI

CQL2's ``accent-insensitive-comparison`` class compares ``ACCENTI(a) = ACCENTI(b)`` with
diacritics removed (``Café`` = ``Cafe``, ``Ёлка`` = ``Елка``); ``registries.cql`` calls
PostgreSQL's ``unaccent`` (contrib, shipped with Debian's postgresql-<major> package and
trusted: the database owner may create it) with its dictionary named, so the search path of
the connection does not matter.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public")


def downgrade() -> None:
    op.execute("DROP EXTENSION IF EXISTS unaccent")
