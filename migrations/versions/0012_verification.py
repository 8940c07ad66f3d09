"""verification: published versions, the pending queue, decisions, holders, error reports

- ``published.<table>`` per registry: the version its holder verified (``registries.schema``);
  what the public views, tiles, search, reports, extracts and exports read;
- ``verification.pending``: one row per object whose working version awaits verification
  (kept by the publication triggers, ``registries.publication``);
- ``verification.decisions``: every publication and every verifier's decision — who, when,
  why, which version;
- ``verification.started``: when verification began here (the public history before that
  instant is the working history: everything was published on write then);
- ``verification.error_reports``: reports of mistakes from the public, with their tickets;
  contact details are personal data (never public, never exported);
- ``auth.users.department`` and ``auth.verifiers``: who works where and verifies what.

Objects present at the upgrade are published as they are (decision ``direct``, never
verified). The triggers and views that use these tables are derived objects
(``registries.schema.sync_derived``).

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-04 19:49:30.642069
"""

from __future__ import annotations

import geoalchemy2  # noqa: F401
import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    srid = context.config.attributes["srid"]
    op.execute("CREATE SCHEMA IF NOT EXISTS published")
    op.create_table('accessibility_object',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('kind', sa.Text(), nullable=True),
    sa.Column('condition', sa.Text(), nullable=True),
    sa.Column('address_text', sa.Text(), nullable=True),
    sa.Column('cadastral_number', sa.Text(), nullable=True),
    sa.Column('inspected_on', sa.Date(), nullable=True),
    sa.Column('inspector_kind', sa.Text(), nullable=True),
    sa.Column('inspector_name', sa.Text(), nullable=True),
    sa.Column('inspector_phone', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', geoalchemy2.types.Geometry(geometry_type='POINT', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('verified_by', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accessibility_object')),
    schema='published'
    )
    op.create_index('ix_published_accessibility_object_address_text_trgm', 'accessibility_object', ['address_text'], unique=False, schema='published', postgresql_using='gin', postgresql_ops={'address_text': 'gin_trgm_ops'})
    op.create_index('ix_published_accessibility_object_geom', 'accessibility_object', ['geom'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_accessibility_object_geom_3857', 'accessibility_object', ['geom_3857'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_accessibility_object_name_trgm', 'accessibility_object', ['name'], unique=False, schema='published', postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    op.create_table('address',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('house_number', sa.Text(), nullable=True),
    sa.Column('korpus', sa.Text(), nullable=True),
    sa.Column('postal_code', sa.Text(), nullable=True),
    sa.Column('katottg', sa.Text(), nullable=True),
    sa.Column('object_kind', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), nullable=True),
    sa.Column('building_id', sa.BigInteger(), nullable=True),
    sa.Column('cadastral_number', sa.Text(), nullable=True),
    sa.Column('decision_number', sa.Text(), nullable=True),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('issuing_body', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', geoalchemy2.types.Geometry(geometry_type='POINT', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('verified_by', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_address')),
    schema='published'
    )
    op.create_index('ix_published_address_building_id', 'address', ['building_id'], unique=False, schema='published')
    op.create_index('ix_published_address_cadastral_number', 'address', ['cadastral_number'], unique=False, schema='published')
    op.create_index('ix_published_address_geom', 'address', ['geom'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_address_geom_3857', 'address', ['geom_3857'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_address_house_number_trgm', 'address', ['house_number'], unique=False, schema='published', postgresql_using='gin', postgresql_ops={'house_number': 'gin_trgm_ops'})
    op.create_index('ix_published_address_street_id', 'address', ['street_id'], unique=False, schema='published')
    op.create_table('advertising_structure',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('permit_number', sa.Text(), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('dismantling_ordered_on', sa.Date(), nullable=True),
    sa.Column('dismantled_on', sa.Date(), nullable=True),
    sa.Column('annulled_on', sa.Date(), nullable=True),
    sa.Column('decision_number', sa.Text(), nullable=True),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('issuing_body', sa.Text(), nullable=True),
    sa.Column('structure_type', sa.Text(), nullable=True),
    sa.Column('width_m', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('height_m', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('sides', sa.Integer(), nullable=True),
    sa.Column('lighting', sa.Text(), nullable=True),
    sa.Column('mounting', sa.Text(), nullable=True),
    sa.Column('distributor_kind', sa.Text(), nullable=True),
    sa.Column('distributor_name', sa.Text(), nullable=True),
    sa.Column('distributor_edrpou', sa.Text(), nullable=True),
    sa.Column('distributor_phone', sa.Text(), nullable=True),
    sa.Column('distributor_email', sa.Text(), nullable=True),
    sa.Column('distributor_rnokpp', sa.Text(), nullable=True),
    sa.Column('distributor_home_address', sa.Text(), nullable=True),
    sa.Column('place_owner', sa.Text(), nullable=True),
    sa.Column('contract_number', sa.Text(), nullable=True),
    sa.Column('contract_date', sa.Date(), nullable=True),
    sa.Column('location_text', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', geoalchemy2.types.Geometry(geometry_type='POINT', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('verified_by', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advertising_structure')),
    schema='published'
    )
    op.create_index('ix_published_advertising_structure_distributor_name_trgm', 'advertising_structure', ['distributor_name'], unique=False, schema='published', postgresql_using='gin', postgresql_ops={'distributor_name': 'gin_trgm_ops'})
    op.create_index('ix_published_advertising_structure_geom', 'advertising_structure', ['geom'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_advertising_structure_geom_3857', 'advertising_structure', ['geom_3857'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_advertising_structure_location_text_trgm', 'advertising_structure', ['location_text'], unique=False, schema='published', postgresql_using='gin', postgresql_ops={'location_text': 'gin_trgm_ops'})
    op.create_index('ix_published_advertising_structure_permit_number_trgm', 'advertising_structure', ['permit_number'], unique=False, schema='published', postgresql_using='gin', postgresql_ops={'permit_number': 'gin_trgm_ops'})
    op.create_table('building',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('floors', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('verified_by', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_building')),
    schema='published'
    )
    op.create_index('ix_published_building_geom', 'building', ['geom'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_building_geom_3857', 'building', ['geom_3857'], unique=False, schema='published', postgresql_using='gist')
    op.create_table('cadastral_quarter',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('quarter_number', sa.Text(), nullable=True),
    sa.Column('katottg', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('verified_by', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cadastral_quarter')),
    schema='published'
    )
    op.create_index('ix_published_cadastral_quarter_geom', 'cadastral_quarter', ['geom'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_cadastral_quarter_geom_3857', 'cadastral_quarter', ['geom_3857'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_cadastral_quarter_quarter_number_trgm', 'cadastral_quarter', ['quarter_number'], unique=False, schema='published', postgresql_using='gin', postgresql_ops={'quarter_number': 'gin_trgm_ops'})
    op.create_table('community_boundary',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('katottg', sa.Text(), nullable=True),
    sa.Column('koatuu', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('verified_by', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_boundary')),
    schema='published'
    )
    op.create_index('ix_published_community_boundary_geom', 'community_boundary', ['geom'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_community_boundary_geom_3857', 'community_boundary', ['geom_3857'], unique=False, schema='published', postgresql_using='gist')
    op.create_table('water_body',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('kind', sa.Text(), nullable=True),
    sa.Column('name_en', sa.Text(), nullable=True),
    sa.Column('water_code', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('verified_by', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_water_body')),
    schema='published'
    )
    op.create_index('ix_published_water_body_geom', 'water_body', ['geom'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_water_body_geom_3857', 'water_body', ['geom_3857'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_water_body_name_trgm', 'water_body', ['name'], unique=False, schema='published', postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    op.create_table('land_parcel',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('cadastral_number', sa.Text(), nullable=True),
    sa.Column('category', sa.Text(), nullable=True),
    sa.Column('purpose_code', sa.Text(), nullable=True),
    sa.Column('purpose_text', sa.Text(), nullable=True),
    sa.Column('ownership_form', sa.Text(), nullable=True),
    sa.Column('area_declared_ha', sa.Numeric(precision=14, scale=4), nullable=True),
    sa.Column('holder_kind', sa.Text(), nullable=True),
    sa.Column('holder_name', sa.Text(), nullable=True),
    sa.Column('holder_edrpou', sa.Text(), nullable=True),
    sa.Column('holder_rnokpp', sa.Text(), nullable=True),
    sa.Column('holder_home_address', sa.Text(), nullable=True),
    sa.Column('registered_on', sa.Date(), nullable=True),
    sa.Column('katottg', sa.Text(), nullable=True),
    sa.Column('area_error_ha', sa.Numeric(precision=14, scale=4), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('verified_by', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_land_parcel')),
    schema='published'
    )
    op.create_index('ix_published_land_parcel_cadastral_number_trgm', 'land_parcel', ['cadastral_number'], unique=False, schema='published', postgresql_using='gin', postgresql_ops={'cadastral_number': 'gin_trgm_ops'})
    op.create_index('ix_published_land_parcel_geom', 'land_parcel', ['geom'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_land_parcel_geom_3857', 'land_parcel', ['geom_3857'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_land_parcel_holder_name_trgm', 'land_parcel', ['holder_name'], unique=False, schema='published', postgresql_using='gin', postgresql_ops={'holder_name': 'gin_trgm_ops'})
    op.create_table('planning_restriction',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.Text(), nullable=True),
    sa.Column('dzk_code', sa.Text(), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('legal_basis', sa.Text(), nullable=True),
    sa.Column('width_m', sa.Numeric(precision=14, scale=1), nullable=True),
    sa.Column('regime', sa.Text(), nullable=True),
    sa.Column('decision_number', sa.Text(), nullable=True),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('issuing_body', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('verified_by', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_planning_restriction')),
    schema='published'
    )
    op.create_index('ix_published_planning_restriction_geom', 'planning_restriction', ['geom'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_planning_restriction_geom_3857', 'planning_restriction', ['geom_3857'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_planning_restriction_name_trgm', 'planning_restriction', ['name'], unique=False, schema='published', postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    op.create_table('planning_zone',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('zone_code', sa.Text(), nullable=True),
    sa.Column('zone_name', sa.Text(), nullable=True),
    sa.Column('max_height_m', sa.Numeric(precision=14, scale=1), nullable=True),
    sa.Column('max_coverage_pct', sa.Numeric(precision=14, scale=1), nullable=True),
    sa.Column('plan_decision_number', sa.Text(), nullable=True),
    sa.Column('plan_decision_date', sa.Date(), nullable=True),
    sa.Column('issuing_body', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('verified_by', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_planning_zone')),
    schema='published'
    )
    op.create_index('ix_published_planning_zone_geom', 'planning_zone', ['geom'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_planning_zone_geom_3857', 'planning_zone', ['geom_3857'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_planning_zone_zone_code_trgm', 'planning_zone', ['zone_code'], unique=False, schema='published', postgresql_using='gin', postgresql_ops={'zone_code': 'gin_trgm_ops'})
    op.create_table('red_line',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.Text(), nullable=True),
    sa.Column('street_name', sa.Text(), nullable=True),
    sa.Column('source_document', sa.Text(), nullable=True),
    sa.Column('decision_number', sa.Text(), nullable=True),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('issuing_body', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTILINESTRING', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', geoalchemy2.types.Geometry(geometry_type='MULTILINESTRING', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('verified_by', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_red_line')),
    schema='published'
    )
    op.create_index('ix_published_red_line_geom', 'red_line', ['geom'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_red_line_geom_3857', 'red_line', ['geom_3857'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_red_line_street_name_trgm', 'red_line', ['street_name'], unique=False, schema='published', postgresql_using='gin', postgresql_ops={'street_name': 'gin_trgm_ops'})
    op.create_table('road_closure',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('kind', sa.Text(), nullable=True),
    sa.Column('closed_from', sa.Date(), nullable=True),
    sa.Column('closed_until', sa.Date(), nullable=True),
    sa.Column('organisation', sa.Text(), nullable=True),
    sa.Column('permit_number', sa.Text(), nullable=True),
    sa.Column('detour', sa.Text(), nullable=True),
    sa.Column('contact_person', sa.Text(), nullable=True),
    sa.Column('contact_phone', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTILINESTRING', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', geoalchemy2.types.Geometry(geometry_type='MULTILINESTRING', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('verified_by', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_road_closure')),
    schema='published'
    )
    op.create_index('ix_published_road_closure_geom', 'road_closure', ['geom'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_road_closure_geom_3857', 'road_closure', ['geom_3857'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_road_closure_organisation_trgm', 'road_closure', ['organisation'], unique=False, schema='published', postgresql_using='gin', postgresql_ops={'organisation': 'gin_trgm_ops'})
    op.create_index('ix_published_road_closure_permit_number_trgm', 'road_closure', ['permit_number'], unique=False, schema='published', postgresql_using='gin', postgresql_ops={'permit_number': 'gin_trgm_ops'})
    op.create_index('ix_published_road_closure_reason_trgm', 'road_closure', ['reason'], unique=False, schema='published', postgresql_using='gin', postgresql_ops={'reason': 'gin_trgm_ops'})
    op.create_table('street',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('street_type', sa.Text(), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('former_names', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('katottg', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTILINESTRING', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', geoalchemy2.types.Geometry(geometry_type='MULTILINESTRING', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('verified_by', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_street')),
    schema='published'
    )
    op.create_index('ix_published_street_geom', 'street', ['geom'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_street_geom_3857', 'street', ['geom_3857'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_street_name_trgm', 'street', ['name'], unique=False, schema='published', postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    op.create_table('temporary_structure',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('passport_number', sa.Text(), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('dismantling_ordered_on', sa.Date(), nullable=True),
    sa.Column('dismantled_on', sa.Date(), nullable=True),
    sa.Column('annulled_on', sa.Date(), nullable=True),
    sa.Column('decision_number', sa.Text(), nullable=True),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('issuing_body', sa.Text(), nullable=True),
    sa.Column('owner_kind', sa.Text(), nullable=True),
    sa.Column('owner_name', sa.Text(), nullable=True),
    sa.Column('owner_edrpou', sa.Text(), nullable=True),
    sa.Column('owner_rnokpp', sa.Text(), nullable=True),
    sa.Column('owner_home_address', sa.Text(), nullable=True),
    sa.Column('structure_kind', sa.Text(), nullable=True),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.Column('specialisation', sa.Text(), nullable=True),
    sa.Column('length_m', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('width_m', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('height_m', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('area_m2', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('scheme_spot_id', sa.BigInteger(), nullable=True),
    sa.Column('location_text', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', geoalchemy2.types.Geometry(geometry_type='POLYGON', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('verified_by', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_temporary_structure')),
    schema='published'
    )
    op.create_index('ix_published_temporary_structure_geom', 'temporary_structure', ['geom'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_temporary_structure_geom_3857', 'temporary_structure', ['geom_3857'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_temporary_structure_location_text_trgm', 'temporary_structure', ['location_text'], unique=False, schema='published', postgresql_using='gin', postgresql_ops={'location_text': 'gin_trgm_ops'})
    op.create_index('ix_published_temporary_structure_owner_name_trgm', 'temporary_structure', ['owner_name'], unique=False, schema='published', postgresql_using='gin', postgresql_ops={'owner_name': 'gin_trgm_ops'})
    op.create_index('ix_published_temporary_structure_passport_number_trgm', 'temporary_structure', ['passport_number'], unique=False, schema='published', postgresql_using='gin', postgresql_ops={'passport_number': 'gin_trgm_ops'})
    op.create_index('ix_published_temporary_structure_scheme_spot_id', 'temporary_structure', ['scheme_spot_id'], unique=False, schema='published')
    op.create_table('ts_scheme_spot',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('spot_number', sa.Text(), nullable=True),
    sa.Column('max_area_m2', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('allowed_kind', sa.Text(), nullable=True),
    sa.Column('allowed_specialisation', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), nullable=True),
    sa.Column('scheme_decision_number', sa.Text(), nullable=True),
    sa.Column('scheme_decision_date', sa.Date(), nullable=True),
    sa.Column('issuing_body', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', geoalchemy2.types.Geometry(geometry_type='POLYGON', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('verified_by', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ts_scheme_spot')),
    schema='published'
    )
    op.create_index('ix_published_ts_scheme_spot_geom', 'ts_scheme_spot', ['geom'], unique=False, schema='published', postgresql_using='gist')
    op.create_index('ix_published_ts_scheme_spot_geom_3857', 'ts_scheme_spot', ['geom_3857'], unique=False, schema='published', postgresql_using='gist')
    op.create_table('verifiers',
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('collection', sa.Text(), nullable=False),
    sa.Column('granted_by', sa.Text(), nullable=True),
    sa.Column('granted_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['auth.users.id'], name='verifiers_user_id_fkey', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'collection'),
    schema='auth'
    )
    op.add_column('users', sa.Column('department', sa.Text(), nullable=True), schema='auth')
    _verification_tables(srid)
    _publish_existing()


def _verification_tables(srid: int) -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS verification")
    op.execute("""
        CREATE TABLE verification.pending (
            collection text NOT NULL,
            object_id bigint NOT NULL,
            operation text NOT NULL CHECK (operation IN ('create', 'update', 'delete')),
            version integer,
            published_version integer,
            changed_by text,
            changed_at timestamptz NOT NULL DEFAULT now(),
            batch bigint NOT NULL,
            note text,
            PRIMARY KEY (collection, object_id))""")
    op.execute("CREATE INDEX pending_batch_idx ON verification.pending (batch)")
    op.execute("""
        CREATE TABLE verification.decisions (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            collection text NOT NULL,
            object_id bigint NOT NULL,
            operation text NOT NULL CHECK (operation IN ('create', 'update', 'delete')),
            version integer,
            previous_version integer,
            published_version integer,
            decision text NOT NULL CHECK (decision IN ('approved', 'rejected', 'direct')),
            reason text,
            decided_by text,
            decided_at timestamptz NOT NULL DEFAULT now(),
            changed_by text,
            changed_at timestamptz,
            batch bigint,
            department text)""")
    op.execute("CREATE INDEX decisions_object_idx ON verification.decisions "
               "(collection, object_id, decided_at)")
    op.execute("CREATE INDEX decisions_at_idx ON verification.decisions (decided_at)")
    op.execute("CREATE TABLE verification.started (at timestamptz NOT NULL DEFAULT now())")
    op.execute("INSERT INTO verification.started DEFAULT VALUES")
    op.execute(f"""
        CREATE TABLE verification.error_reports (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            ticket text NOT NULL UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now(),
            collection text NOT NULL,
            object_id bigint,
            object_version integer,
            object_label text,
            comment text NOT NULL CHECK (length(comment) BETWEEN 1 AND 2000),
            location geometry(Point, {int(srid)}),
            contact text CHECK (length(contact) <= 200),
            lang text NOT NULL DEFAULT 'uk',
            status text NOT NULL DEFAULT 'new'
                CHECK (status IN ('new', 'in_work', 'fixed', 'rejected')),
            answer text CHECK (length(answer) <= 2000),
            answered_by text,
            answered_at timestamptz,
            department text)""")
    op.execute("CREATE INDEX error_reports_queue_idx ON verification.error_reports "
               "(collection, status, created_at)")
    op.execute("CREATE INDEX error_reports_created_idx ON verification.error_reports "
               "(created_at)")


def _publish_existing() -> None:
    """Publish what the registries hold today, as it is (decision ``direct``): until now
    every accepted write was public at once."""
    from registries.catalog import default_catalog

    bind = op.get_bind()
    for reg in default_catalog():
        exists = bind.execute(sa.text("SELECT to_regclass(:t) IS NOT NULL"),
                              {"t": f"registry.{reg.table}"}).scalar()
        if not exists:
            continue
        names = bind.execute(sa.text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = "
            "'published' AND table_name = :t AND column_name NOT IN ('geom_3857', "
            "'verified_by', 'verified_at', 'published_at') ORDER BY ordinal_position"),
            {"t": reg.table}).scalars().all()
        cols = ", ".join(f'"{c}"' for c in names)
        bind.execute(sa.text(f'INSERT INTO published."{reg.table}" ({cols}) '  # noqa: S608
                             f'SELECT {cols} FROM registry."{reg.table}"'))
        bind.execute(sa.text(
            "INSERT INTO verification.decisions (collection, object_id, operation, version, "
            "published_version, decision, reason, decided_by, changed_by, changed_at, "
            "department) SELECT :collection, id, 'create', version, version, 'direct', "
            ":reason, NULL, changed_by, lower(sys_period), :department "
            f'FROM registry."{reg.table}"'),  # noqa: S608
            {"collection": reg.id, "department": reg.holder_department.code,
             "reason": "published before verification began (migration 0012)"})


def downgrade() -> None:
    op.execute("DROP SCHEMA IF EXISTS verification CASCADE")
    op.drop_column('users', 'department', schema='auth')
    op.drop_table('verifiers', schema='auth')
    op.drop_index('ix_published_ts_scheme_spot_geom_3857', table_name='ts_scheme_spot', schema='published', postgresql_using='gist')
    op.drop_index('ix_published_ts_scheme_spot_geom', table_name='ts_scheme_spot', schema='published', postgresql_using='gist')
    op.drop_table('ts_scheme_spot', schema='published')
    op.drop_table('water_body', schema='published')
    op.drop_index('ix_published_temporary_structure_scheme_spot_id', table_name='temporary_structure', schema='published')
    op.drop_index('ix_published_temporary_structure_passport_number_trgm', table_name='temporary_structure', schema='published', postgresql_using='gin', postgresql_ops={'passport_number': 'gin_trgm_ops'})
    op.drop_index('ix_published_temporary_structure_owner_name_trgm', table_name='temporary_structure', schema='published', postgresql_using='gin', postgresql_ops={'owner_name': 'gin_trgm_ops'})
    op.drop_index('ix_published_temporary_structure_location_text_trgm', table_name='temporary_structure', schema='published', postgresql_using='gin', postgresql_ops={'location_text': 'gin_trgm_ops'})
    op.drop_index('ix_published_temporary_structure_geom_3857', table_name='temporary_structure', schema='published', postgresql_using='gist')
    op.drop_index('ix_published_temporary_structure_geom', table_name='temporary_structure', schema='published', postgresql_using='gist')
    op.drop_table('temporary_structure', schema='published')
    op.drop_index('ix_published_street_name_trgm', table_name='street', schema='published', postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    op.drop_index('ix_published_street_geom_3857', table_name='street', schema='published', postgresql_using='gist')
    op.drop_index('ix_published_street_geom', table_name='street', schema='published', postgresql_using='gist')
    op.drop_table('street', schema='published')
    op.drop_index('ix_published_road_closure_reason_trgm', table_name='road_closure', schema='published', postgresql_using='gin', postgresql_ops={'reason': 'gin_trgm_ops'})
    op.drop_index('ix_published_road_closure_permit_number_trgm', table_name='road_closure', schema='published', postgresql_using='gin', postgresql_ops={'permit_number': 'gin_trgm_ops'})
    op.drop_index('ix_published_road_closure_organisation_trgm', table_name='road_closure', schema='published', postgresql_using='gin', postgresql_ops={'organisation': 'gin_trgm_ops'})
    op.drop_index('ix_published_road_closure_geom_3857', table_name='road_closure', schema='published', postgresql_using='gist')
    op.drop_index('ix_published_road_closure_geom', table_name='road_closure', schema='published', postgresql_using='gist')
    op.drop_table('road_closure', schema='published')
    op.drop_index('ix_published_red_line_street_name_trgm', table_name='red_line', schema='published', postgresql_using='gin', postgresql_ops={'street_name': 'gin_trgm_ops'})
    op.drop_index('ix_published_red_line_geom_3857', table_name='red_line', schema='published', postgresql_using='gist')
    op.drop_index('ix_published_red_line_geom', table_name='red_line', schema='published', postgresql_using='gist')
    op.drop_table('red_line', schema='published')
    op.drop_index('ix_published_planning_zone_zone_code_trgm', table_name='planning_zone', schema='published', postgresql_using='gin', postgresql_ops={'zone_code': 'gin_trgm_ops'})
    op.drop_index('ix_published_planning_zone_geom_3857', table_name='planning_zone', schema='published', postgresql_using='gist')
    op.drop_index('ix_published_planning_zone_geom', table_name='planning_zone', schema='published', postgresql_using='gist')
    op.drop_table('planning_zone', schema='published')
    op.drop_index('ix_published_planning_restriction_name_trgm', table_name='planning_restriction', schema='published', postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    op.drop_index('ix_published_planning_restriction_geom_3857', table_name='planning_restriction', schema='published', postgresql_using='gist')
    op.drop_index('ix_published_planning_restriction_geom', table_name='planning_restriction', schema='published', postgresql_using='gist')
    op.drop_table('planning_restriction', schema='published')
    op.drop_index('ix_published_land_parcel_holder_name_trgm', table_name='land_parcel', schema='published', postgresql_using='gin', postgresql_ops={'holder_name': 'gin_trgm_ops'})
    op.drop_index('ix_published_land_parcel_geom_3857', table_name='land_parcel', schema='published', postgresql_using='gist')
    op.drop_index('ix_published_land_parcel_geom', table_name='land_parcel', schema='published', postgresql_using='gist')
    op.drop_index('ix_published_land_parcel_cadastral_number_trgm', table_name='land_parcel', schema='published', postgresql_using='gin', postgresql_ops={'cadastral_number': 'gin_trgm_ops'})
    op.drop_table('land_parcel', schema='published')
    op.drop_index('ix_published_community_boundary_geom_3857', table_name='community_boundary', schema='published', postgresql_using='gist')
    op.drop_index('ix_published_community_boundary_geom', table_name='community_boundary', schema='published', postgresql_using='gist')
    op.drop_table('community_boundary', schema='published')
    op.drop_index('ix_published_cadastral_quarter_quarter_number_trgm', table_name='cadastral_quarter', schema='published', postgresql_using='gin', postgresql_ops={'quarter_number': 'gin_trgm_ops'})
    op.drop_index('ix_published_cadastral_quarter_geom_3857', table_name='cadastral_quarter', schema='published', postgresql_using='gist')
    op.drop_index('ix_published_cadastral_quarter_geom', table_name='cadastral_quarter', schema='published', postgresql_using='gist')
    op.drop_table('cadastral_quarter', schema='published')
    op.drop_index('ix_published_building_geom_3857', table_name='building', schema='published', postgresql_using='gist')
    op.drop_index('ix_published_building_geom', table_name='building', schema='published', postgresql_using='gist')
    op.drop_table('building', schema='published')
    op.drop_index('ix_published_advertising_structure_permit_number_trgm', table_name='advertising_structure', schema='published', postgresql_using='gin', postgresql_ops={'permit_number': 'gin_trgm_ops'})
    op.drop_index('ix_published_advertising_structure_location_text_trgm', table_name='advertising_structure', schema='published', postgresql_using='gin', postgresql_ops={'location_text': 'gin_trgm_ops'})
    op.drop_index('ix_published_advertising_structure_geom_3857', table_name='advertising_structure', schema='published', postgresql_using='gist')
    op.drop_index('ix_published_advertising_structure_geom', table_name='advertising_structure', schema='published', postgresql_using='gist')
    op.drop_index('ix_published_advertising_structure_distributor_name_trgm', table_name='advertising_structure', schema='published', postgresql_using='gin', postgresql_ops={'distributor_name': 'gin_trgm_ops'})
    op.drop_table('advertising_structure', schema='published')
    op.drop_index('ix_published_address_street_id', table_name='address', schema='published')
    op.drop_index('ix_published_address_house_number_trgm', table_name='address', schema='published', postgresql_using='gin', postgresql_ops={'house_number': 'gin_trgm_ops'})
    op.drop_index('ix_published_address_geom_3857', table_name='address', schema='published', postgresql_using='gist')
    op.drop_index('ix_published_address_geom', table_name='address', schema='published', postgresql_using='gist')
    op.drop_index('ix_published_address_cadastral_number', table_name='address', schema='published')
    op.drop_index('ix_published_address_building_id', table_name='address', schema='published')
    op.drop_table('address', schema='published')
    op.drop_index('ix_published_accessibility_object_name_trgm', table_name='accessibility_object', schema='published', postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    op.drop_index('ix_published_accessibility_object_geom_3857', table_name='accessibility_object', schema='published', postgresql_using='gist')
    op.drop_index('ix_published_accessibility_object_geom', table_name='accessibility_object', schema='published', postgresql_using='gist')
    op.drop_index('ix_published_accessibility_object_address_text_trgm', table_name='accessibility_object', schema='published', postgresql_using='gin', postgresql_ops={'address_text': 'gin_trgm_ops'})
    op.drop_table('accessibility_object', schema='published')
    op.execute("DROP SCHEMA IF EXISTS published")
