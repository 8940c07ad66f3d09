"""The ``auth`` schema: users (with their department), API tokens, login sessions, database
logins, verifier rights and the personal-data access log.

Secrets never sit in these tables: passwords as argon2 hashes, tokens and session ids as the
SHA-256 of a random secret. ``migrations/versions/0004_auth.py`` creates them; this metadata
is what ``migrations/env.py`` and ``tests/test_schema.py`` compare the database with.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

AUTH_SCHEMA = "auth"

metadata = sa.MetaData(schema=AUTH_SCHEMA)

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("display_name", sa.Text, nullable=False, server_default=""),
    sa.Column("password_hash", sa.Text, nullable=True),  # NULL: token-only (service) user
    sa.Column("roles", postgresql.ARRAY(sa.Text), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    # the council department the user works in (registries.holders); NULL: none given
    sa.Column("department", sa.Text, nullable=True),
    sa.UniqueConstraint("name", name="users_name_key"),
)

tokens = sa.Table(
    "tokens", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True),
    sa.Column("token_hash", sa.Text, nullable=False),  # hex SHA-256 of the secret
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("auth.users.id", ondelete="CASCADE",
                                                      name="tokens_user_id_fkey"),
              nullable=False),
    sa.Column("label", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("token_hash", name="tokens_token_hash_key"),
)

sessions = sa.Table(
    "sessions", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True),
    sa.Column("session_hash", sa.Text, nullable=False),  # hex SHA-256 of the cookie value
    sa.Column("csrf_hash", sa.Text, nullable=False),  # hex SHA-256 of the CSRF token
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("auth.users.id", ondelete="CASCADE",
                                                      name="sessions_user_id_fkey"),
              nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("session_hash", name="sessions_session_hash_key"),
)

db_logins = sa.Table(
    "db_logins", metadata,
    # a PostgreSQL login role and the user whose name history records for its edits
    sa.Column("login", sa.Text, primary_key=True),
    sa.Column("user_name", sa.Text, nullable=False),
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("auth.users.id", ondelete="CASCADE",
                                                      name="db_logins_user_id_fkey"),
              nullable=True),  # NULL: an OpenID Connect user (no row in auth.users)
    sa.Column("source", sa.Text, nullable=False, server_default="local"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    sa.Index("db_logins_user_name_idx", "user_name"),
)

personal_access_log = sa.Table(
    "personal_access_log", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("principal", sa.Text, nullable=False),
    sa.Column("collection", sa.Text, nullable=False),
    sa.Column("object_ids", postgresql.ARRAY(sa.BigInteger), nullable=True),
    sa.Column("query", sa.Text, nullable=True),
    sa.Column("method", sa.Text, nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Index("personal_access_log_at_idx", "at"),
)

verifiers = sa.Table(
    # the right to verify (approve or reject) the pending changes of one registry
    "verifiers", metadata,
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("auth.users.id", ondelete="CASCADE",
                                                      name="verifiers_user_id_fkey"),
              primary_key=True),
    sa.Column("collection", sa.Text, primary_key=True),
    sa.Column("granted_by", sa.Text, nullable=True),
    sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
)
