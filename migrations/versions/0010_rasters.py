"""rasters: the catalogue of published scans and orthophotos (Cloud-Optimised GeoTIFFs)

``rasters.catalog`` holds one row per COG under ``<data_dir>/rasters``: name (the collection
id), title, the source document and its date, native CRS, extent (native and a CRS84
footprint), size and resolution, band layout, public or staff-only, and the file's path, size
and SHA-256. ``gis raster add`` writes a row and its file together (see ``ingest/cog.py``);
the table matches ``gis.rasters``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS rasters")
    op.execute("""CREATE TABLE rasters.catalog (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name text NOT NULL UNIQUE CHECK (name ~ '^[a-z][a-z0-9_-]{0,62}$'),
        title text NOT NULL CHECK (title <> ''),
        source_document text NOT NULL DEFAULT '',
        dated date,
        public boolean NOT NULL DEFAULT true,
        crs text NOT NULL,
        srid integer,
        min_x double precision NOT NULL,
        min_y double precision NOT NULL,
        max_x double precision NOT NULL,
        max_y double precision NOT NULL,
        footprint geometry(Polygon, 4326) NOT NULL,
        width integer NOT NULL CHECK (width > 0),
        height integer NOT NULL CHECK (height > 0),
        res_x double precision NOT NULL CHECK (res_x > 0),
        res_y double precision NOT NULL CHECK (res_y > 0),
        bands smallint NOT NULL CHECK (bands BETWEEN 1 AND 4),
        kind text NOT NULL CHECK (kind IN ('rgb', 'rgba', 'paletted', 'gray', 'gray-alpha')),
        file text NOT NULL UNIQUE,
        file_size bigint NOT NULL CHECK (file_size > 0),
        sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        added_by text NOT NULL DEFAULT '',
        added_at timestamptz NOT NULL DEFAULT now(),
        CHECK (min_x < max_x AND min_y < max_y))""")
    op.execute("CREATE INDEX ix_catalog_footprint ON rasters.catalog USING gist (footprint)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS rasters.catalog")
    op.execute("DROP SCHEMA IF EXISTS rasters")
