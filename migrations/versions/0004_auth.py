"""auth: users, API tokens, login sessions, the personal-data access log

- ``auth.users``: name, display name, argon2 password hash, roles, active;
- ``auth.tokens``: SHA-256 of a random secret, owner, label, created, last used, revoked;
- ``auth.sessions``: web-editor logins (SHA-256 of the cookie and of the CSRF token, expiry);
- ``auth.personal_access_log``: one row per staff request that read personal data.

The tables match ``gis.auth_schema``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS auth")
    op.create_table(
        'users',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('display_name', sa.Text(), server_default='', nullable=False),
        sa.Column('password_hash', sa.Text(), nullable=True),
        sa.Column('roles', postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint('id', name='users_pkey'),
        sa.UniqueConstraint('name', name='users_name_key'),
        schema='auth')
    op.create_table(
        'tokens',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('token_hash', sa.Text(), nullable=False),
        sa.Column('user_id', sa.BigInteger(), nullable=False),
        sa.Column('label', sa.Text(), server_default='', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['auth.users.id'], name='tokens_user_id_fkey',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='tokens_pkey'),
        sa.UniqueConstraint('token_hash', name='tokens_token_hash_key'),
        schema='auth')
    op.create_table(
        'sessions',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('session_hash', sa.Text(), nullable=False),
        sa.Column('csrf_hash', sa.Text(), nullable=False),
        sa.Column('user_id', sa.BigInteger(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['auth.users.id'], name='sessions_user_id_fkey',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='sessions_pkey'),
        sa.UniqueConstraint('session_hash', name='sessions_session_hash_key'),
        schema='auth')
    op.create_table(
        'personal_access_log',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column('principal', sa.Text(), nullable=False),
        sa.Column('collection', sa.Text(), nullable=False),
        sa.Column('object_ids', postgresql.ARRAY(sa.BigInteger()), nullable=True),
        sa.Column('query', sa.Text(), nullable=True),
        sa.Column('method', sa.Text(), nullable=False),
        sa.Column('path', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name='personal_access_log_pkey'),
        schema='auth')
    op.create_index('personal_access_log_at_idx', 'personal_access_log', ['at'],
                    unique=False, schema='auth')


def downgrade() -> None:
    op.drop_table('personal_access_log', schema='auth')
    op.drop_table('sessions', schema='auth')
    op.drop_table('tokens', schema='auth')
    op.drop_table('users', schema='auth')
    op.execute("DROP SCHEMA IF EXISTS auth")
