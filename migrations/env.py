"""Alembic environment: the registry tables come from ``registries.schema``.

Run through ``gis db upgrade`` (or ``registries.migrate.upgrade``), which passes the database
URL and the storage SRID in ``config.attributes``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from gis.auth_schema import AUTH_SCHEMA
from gis.auth_schema import metadata as auth_metadata
from registries.catalog import default_catalog
from registries.schema import build_metadata

config = context.config
url: str = config.attributes["url"]
srid: int = config.attributes["srid"]
target_metadata = [build_metadata(default_catalog(), srid), auth_metadata]


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    # PostGIS' own tables and the derived views are not ours to diff
    if type_ == "table" and getattr(obj, "schema", None) not in ("registry", "history",
                                                                       "published", AUTH_SCHEMA):
        return False
    return True


def run_migrations_online() -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                           poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          include_schemas=True, include_object=include_object,
                          version_table_schema="public", compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
