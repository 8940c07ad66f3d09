"""rasters: an English title beside the Ukrainian one

``rasters.catalog.title_en``: what the geoportal's English page, the English QGIS project and
``/rasters`` show for the raster; empty when none was given (then the raster's name is shown,
never the Ukrainian title among English words).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 01:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE rasters.catalog ADD COLUMN title_en text NOT NULL DEFAULT ''")


def downgrade() -> None:
    op.execute("ALTER TABLE rasters.catalog DROP COLUMN title_en")
