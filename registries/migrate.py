"""Schema upgrades: Alembic migrations, then the derived objects (triggers, public views)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from gis.errors import EnvironmentProblem
from gis.startup_lock import startup_lock
from registries.catalog import Catalog, default_catalog
from registries.schema import sync_derived

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str, srid: int) -> Config:
    """Return the Alembic config for ``url`` with geometries in ``srid``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["url"] = url
    cfg.attributes["srid"] = srid
    return cfg


def upgrade(url: str, srid: int, catalog: Catalog | None = None,
            say: Callable[[str], None] | None = None) -> None:
    """Bring the database at ``url`` to the newest schema; idempotent.

    One process at a time per database (``gis.startup_lock``): instances starting together
    take turns; ``say`` hears whom this one waits for.
    """
    with startup_lock(url, say=say):
        pending_revisions(url, srid)  # refuses a database of a newer version in its words
        command.upgrade(alembic_config(url, srid), "head")
        with psycopg.connect(url) as conn:
            sync_derived(conn, catalog or default_catalog())


def pending_revisions(url: str, srid: int) -> bool:
    """Return True when the database at ``url`` is behind the newest migration; refuse one
    migrated by a newer version of Hromada GIS (a revision this one does not know), which no
    command of this version may change or read as its own."""
    script = ScriptDirectory.from_config(alembic_config(url, srid))
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                           poolclass=pool.NullPool)
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = sorted(set(current) - known)
    if unknown:
        from gis.db import describe_url

        raise EnvironmentProblem(
            f"the database at {describe_url(url)} was migrated by a newer version of Hromada "
            f"GIS (schema revision {', '.join(unknown)}, which this version does not know); "
            "run that version, or restore a backup made with this one (gis restore --force)")
    return set(current) != set(script.get_heads())
