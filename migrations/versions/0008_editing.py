"""editing: staff database logins and the lineage of split and merged objects

- ``auth.db_logins``: the PostgreSQL login of each user who edits straight from QGIS, and the
  user's name that history records for the login's edits (``gis.db_logins``);
- ``history.lineage``: which objects a split or a merge retired and which it created
  (``registries.reshape``), so an object's history leads to its parents and children.

The group roles, the grants derived from the registry declarations and the triggers that
use these tables are derived objects (``registries.schema.sync_derived``), not migrations.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'db_logins',
        sa.Column('login', sa.Text(), nullable=False),
        sa.Column('user_name', sa.Text(), nullable=False),
        sa.Column('user_id', sa.BigInteger(), nullable=True),
        sa.Column('source', sa.Text(), server_default='local', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['auth.users.id'], name='db_logins_user_id_fkey',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('login', name='db_logins_pkey'),
        schema='auth')
    op.create_index('db_logins_user_name_idx', 'db_logins', ['user_name'], unique=False,
                    schema='auth')
    op.create_table(
        'lineage',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('collection', sa.Text(), nullable=False),
        sa.Column('operation', sa.Text(), nullable=False),
        sa.Column('parent_id', sa.BigInteger(), nullable=False),
        sa.Column('parent_version', sa.Integer(), nullable=False),
        sa.Column('child_id', sa.BigInteger(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column('by', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lineage')),
        schema='history')
    op.create_index('ix_lineage_parent', 'lineage', ['collection', 'parent_id'], unique=False,
                    schema='history')
    op.create_index('ix_lineage_child', 'lineage', ['collection', 'child_id'], unique=False,
                    schema='history')


def downgrade() -> None:
    op.drop_table('lineage', schema='history')
    op.drop_table('db_logins', schema='auth')
