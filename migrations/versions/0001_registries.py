"""registries: live and history tables of the built-in registries

Geometry columns take the deployment's storage SRID (``GIS_CITY__STORAGE_SRID``) from the
Alembic config attributes that ``registries.migrate.upgrade`` sets.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 16:00:45.249921
"""

from __future__ import annotations

import geoalchemy2
import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    srid = context.config.attributes["srid"]
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE SCHEMA IF NOT EXISTS registry")
    op.execute("CREATE SCHEMA IF NOT EXISTS history")
    op.create_table('address',
    sa.Column('history_id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
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
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('operation', sa.String(length=1), nullable=False),
    sa.Column('ended_by', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('history_id', name=op.f('pk_address')),
    schema='history'
    )
    op.create_index('ix_history_address_id', 'address', ['id', 'version'], unique=False, schema='history')
    op.create_index('ix_history_address_period', 'address', ['sys_period'], unique=False, schema='history', postgresql_using='gist')
    op.create_table('advertising_structure',
    sa.Column('history_id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
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
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('operation', sa.String(length=1), nullable=False),
    sa.Column('ended_by', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('history_id', name=op.f('pk_advertising_structure')),
    schema='history'
    )
    op.create_index('ix_history_advertising_structure_id', 'advertising_structure', ['id', 'version'], unique=False, schema='history')
    op.create_index('ix_history_advertising_structure_period', 'advertising_structure', ['sys_period'], unique=False, schema='history', postgresql_using='gist')
    op.create_table('building',
    sa.Column('history_id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('floors', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('operation', sa.String(length=1), nullable=False),
    sa.Column('ended_by', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('history_id', name=op.f('pk_building')),
    schema='history'
    )
    op.create_index('ix_history_building_id', 'building', ['id', 'version'], unique=False, schema='history')
    op.create_index('ix_history_building_period', 'building', ['sys_period'], unique=False, schema='history', postgresql_using='gist')
    op.create_table('community_boundary',
    sa.Column('history_id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('katottg', sa.Text(), nullable=True),
    sa.Column('koatuu', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('operation', sa.String(length=1), nullable=False),
    sa.Column('ended_by', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('history_id', name=op.f('pk_community_boundary')),
    schema='history'
    )
    op.create_index('ix_history_community_boundary_id', 'community_boundary', ['id', 'version'], unique=False, schema='history')
    op.create_index('ix_history_community_boundary_period', 'community_boundary', ['sys_period'], unique=False, schema='history', postgresql_using='gist')
    op.create_table('land_parcel',
    sa.Column('history_id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
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
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('operation', sa.String(length=1), nullable=False),
    sa.Column('ended_by', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('history_id', name=op.f('pk_land_parcel')),
    schema='history'
    )
    op.create_index('ix_history_land_parcel_id', 'land_parcel', ['id', 'version'], unique=False, schema='history')
    op.create_index('ix_history_land_parcel_period', 'land_parcel', ['sys_period'], unique=False, schema='history', postgresql_using='gist')
    op.create_table('planning_zone',
    sa.Column('history_id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('zone_code', sa.Text(), nullable=True),
    sa.Column('zone_name', sa.Text(), nullable=True),
    sa.Column('max_height_m', sa.Numeric(precision=14, scale=1), nullable=True),
    sa.Column('max_coverage_pct', sa.Numeric(precision=14, scale=1), nullable=True),
    sa.Column('plan_decision_number', sa.Text(), nullable=True),
    sa.Column('plan_decision_date', sa.Date(), nullable=True),
    sa.Column('issuing_body', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('operation', sa.String(length=1), nullable=False),
    sa.Column('ended_by', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('history_id', name=op.f('pk_planning_zone')),
    schema='history'
    )
    op.create_index('ix_history_planning_zone_id', 'planning_zone', ['id', 'version'], unique=False, schema='history')
    op.create_index('ix_history_planning_zone_period', 'planning_zone', ['sys_period'], unique=False, schema='history', postgresql_using='gist')
    op.create_table('street',
    sa.Column('history_id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('street_type', sa.Text(), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('former_names', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('katottg', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTILINESTRING', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('operation', sa.String(length=1), nullable=False),
    sa.Column('ended_by', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('history_id', name=op.f('pk_street')),
    schema='history'
    )
    op.create_index('ix_history_street_id', 'street', ['id', 'version'], unique=False, schema='history')
    op.create_index('ix_history_street_period', 'street', ['sys_period'], unique=False, schema='history', postgresql_using='gist')
    op.create_table('temporary_structure',
    sa.Column('history_id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
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
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('operation', sa.String(length=1), nullable=False),
    sa.Column('ended_by', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('history_id', name=op.f('pk_temporary_structure')),
    schema='history'
    )
    op.create_index('ix_history_temporary_structure_id', 'temporary_structure', ['id', 'version'], unique=False, schema='history')
    op.create_index('ix_history_temporary_structure_period', 'temporary_structure', ['sys_period'], unique=False, schema='history', postgresql_using='gist')
    op.create_table('ts_scheme_spot',
    sa.Column('history_id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('spot_number', sa.Text(), nullable=True),
    sa.Column('max_area_m2', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('allowed_kind', sa.Text(), nullable=True),
    sa.Column('allowed_specialisation', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), nullable=True),
    sa.Column('scheme_decision_number', sa.Text(), nullable=True),
    sa.Column('scheme_decision_date', sa.Date(), nullable=True),
    sa.Column('issuing_body', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('operation', sa.String(length=1), nullable=False),
    sa.Column('ended_by', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('history_id', name=op.f('pk_ts_scheme_spot')),
    schema='history'
    )
    op.create_index('ix_history_ts_scheme_spot_id', 'ts_scheme_spot', ['id', 'version'], unique=False, schema='history')
    op.create_index('ix_history_ts_scheme_spot_period', 'ts_scheme_spot', ['sys_period'], unique=False, schema='history', postgresql_using='gist')
    op.create_table('advertising_structure',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('permit_number', sa.Text(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('dismantling_ordered_on', sa.Date(), nullable=True),
    sa.Column('dismantled_on', sa.Date(), nullable=True),
    sa.Column('annulled_on', sa.Date(), nullable=True),
    sa.Column('decision_number', sa.Text(), nullable=True),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('issuing_body', sa.Text(), nullable=True),
    sa.Column('structure_type', sa.Text(), nullable=False),
    sa.Column('width_m', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('height_m', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('sides', sa.Integer(), nullable=True),
    sa.Column('lighting', sa.Text(), nullable=True),
    sa.Column('mounting', sa.Text(), nullable=True),
    sa.Column('distributor_kind', sa.Text(), nullable=False),
    sa.Column('distributor_name', sa.Text(), nullable=False),
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
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), server_default=sa.text('tstzrange(now(), NULL)'), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.CheckConstraint("distributor_kind IN ('legal', 'sole_proprietor')", name=op.f('ck_advertising_structure_distributor_kind_choice')),
    sa.CheckConstraint("lighting IN ('none', 'internal', 'external', 'digital')", name=op.f('ck_advertising_structure_lighting_choice')),
    sa.CheckConstraint("mounting IN ('ground', 'facade', 'roof', 'street_furniture', 'over_street')", name=op.f('ck_advertising_structure_mounting_choice')),
    sa.CheckConstraint("place_owner IN ('communal', 'state', 'private')", name=op.f('ck_advertising_structure_place_owner_choice')),
    sa.CheckConstraint("structure_type IN ('billboard', 'backlight', 'prismatron', 'supersite', 'citylight', 'scroller', 'pylon', 'facade_banner', 'rooftop', 'street_banner', 'bracket', 'led_screen')", name=op.f('ck_advertising_structure_structure_type_choice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advertising_structure')),
    schema='registry'
    )
    op.create_index('ix_advertising_structure_geom', 'advertising_structure', ['geom'], unique=False, schema='registry', postgresql_using='gist')
    op.create_table('building',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('floors', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), server_default=sa.text('tstzrange(now(), NULL)'), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.CheckConstraint("purpose IN ('residential_house', 'apartment_block', 'public', 'commercial', 'industrial', 'garage', 'other')", name=op.f('ck_building_purpose_choice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_building')),
    schema='registry'
    )
    op.create_index('ix_building_geom', 'building', ['geom'], unique=False, schema='registry', postgresql_using='gist')
    op.create_table('community_boundary',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('katottg', sa.Text(), nullable=True),
    sa.Column('koatuu', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), server_default=sa.text('tstzrange(now(), NULL)'), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_boundary')),
    schema='registry'
    )
    op.create_index('ix_community_boundary_geom', 'community_boundary', ['geom'], unique=False, schema='registry', postgresql_using='gist')
    op.create_table('land_parcel',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('cadastral_number', sa.Text(), nullable=False),
    sa.Column('category', sa.Text(), nullable=False),
    sa.Column('purpose_code', sa.Text(), nullable=False),
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
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), server_default=sa.text('tstzrange(now(), NULL)'), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.CheckConstraint("category IN ('100', '200', '300', '400', '500', '600', '700', '800', '900')", name=op.f('ck_land_parcel_category_choice')),
    sa.CheckConstraint("holder_kind IN ('legal', 'sole_proprietor', 'natural')", name=op.f('ck_land_parcel_holder_kind_choice')),
    sa.CheckConstraint("ownership_form IN ('100', '200', '300')", name=op.f('ck_land_parcel_ownership_form_choice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_land_parcel')),
    sa.UniqueConstraint('cadastral_number', name=op.f('uq_land_parcel_cadastral_number')),
    schema='registry'
    )
    op.create_index('ix_land_parcel_geom', 'land_parcel', ['geom'], unique=False, schema='registry', postgresql_using='gist')
    op.create_table('planning_zone',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('zone_code', sa.Text(), nullable=False),
    sa.Column('zone_name', sa.Text(), nullable=True),
    sa.Column('max_height_m', sa.Numeric(precision=14, scale=1), nullable=True),
    sa.Column('max_coverage_pct', sa.Numeric(precision=14, scale=1), nullable=True),
    sa.Column('plan_decision_number', sa.Text(), nullable=True),
    sa.Column('plan_decision_date', sa.Date(), nullable=True),
    sa.Column('issuing_body', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), server_default=sa.text('tstzrange(now(), NULL)'), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_planning_zone')),
    schema='registry'
    )
    op.create_index('ix_planning_zone_geom', 'planning_zone', ['geom'], unique=False, schema='registry', postgresql_using='gist')
    op.create_table('street',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('street_type', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('former_names', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('katottg', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTILINESTRING', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), server_default=sa.text('tstzrange(now(), NULL)'), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.CheckConstraint("street_type IN ('вулиця', 'провулок', 'проспект', 'бульвар', 'площа', 'майдан', 'проїзд', 'тупик', 'узвіз', 'шосе', 'набережна', 'алея', 'в''їзд', 'спуск')", name=op.f('ck_street_street_type_choice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_street')),
    schema='registry'
    )
    op.create_index('ix_street_geom', 'street', ['geom'], unique=False, schema='registry', postgresql_using='gist')
    op.create_table('ts_scheme_spot',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('spot_number', sa.Text(), nullable=False),
    sa.Column('max_area_m2', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('allowed_kind', sa.Text(), nullable=True),
    sa.Column('allowed_specialisation', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), nullable=True),
    sa.Column('scheme_decision_number', sa.Text(), nullable=True),
    sa.Column('scheme_decision_date', sa.Date(), nullable=True),
    sa.Column('issuing_body', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), server_default=sa.text('tstzrange(now(), NULL)'), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.CheckConstraint("allowed_kind IN ('stationary', 'mobile', 'terrace')", name=op.f('ck_ts_scheme_spot_allowed_kind_choice')),
    sa.CheckConstraint("status IN ('free', 'occupied', 'reserved')", name=op.f('ck_ts_scheme_spot_status_choice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ts_scheme_spot')),
    sa.UniqueConstraint('spot_number', name=op.f('uq_ts_scheme_spot_spot_number')),
    schema='registry'
    )
    op.create_index('ix_ts_scheme_spot_geom', 'ts_scheme_spot', ['geom'], unique=False, schema='registry', postgresql_using='gist')
    op.create_table('address',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('street_id', sa.BigInteger(), nullable=False),
    sa.Column('house_number', sa.Text(), nullable=False),
    sa.Column('korpus', sa.Text(), nullable=True),
    sa.Column('postal_code', sa.Text(), nullable=True),
    sa.Column('katottg', sa.Text(), nullable=False),
    sa.Column('object_kind', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('building_id', sa.BigInteger(), nullable=True),
    sa.Column('cadastral_number', sa.Text(), nullable=True),
    sa.Column('decision_number', sa.Text(), nullable=True),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('issuing_body', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), server_default=sa.text('tstzrange(now(), NULL)'), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.CheckConstraint("object_kind IN ('construction_object', 'building', 'structure', 'premises')", name=op.f('ck_address_object_kind_choice')),
    sa.CheckConstraint("status IN ('active', 'planned', 'annulled')", name=op.f('ck_address_status_choice')),
    sa.ForeignKeyConstraint(['building_id'], ['registry.building.id'], name=op.f('fk_address_building_id'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['street_id'], ['registry.street.id'], name=op.f('fk_address_street_id'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_address')),
    schema='registry'
    )
    op.create_index('ix_address_building_id', 'address', ['building_id'], unique=False, schema='registry')
    op.create_index('ix_address_geom', 'address', ['geom'], unique=False, schema='registry', postgresql_using='gist')
    op.create_index('ix_address_street_id', 'address', ['street_id'], unique=False, schema='registry')
    op.create_table('temporary_structure',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('passport_number', sa.Text(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
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
    sa.Column('structure_kind', sa.Text(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.Column('specialisation', sa.Text(), nullable=True),
    sa.Column('length_m', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('width_m', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('height_m', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('area_m2', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('scheme_spot_id', sa.BigInteger(), nullable=True),
    sa.Column('location_text', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), server_default=sa.text('tstzrange(now(), NULL)'), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.CheckConstraint("owner_kind IN ('legal', 'sole_proprietor', 'natural')", name=op.f('ck_temporary_structure_owner_kind_choice')),
    sa.CheckConstraint("purpose IN ('trade', 'services', 'catering', 'social_cultural', 'other')", name=op.f('ck_temporary_structure_purpose_choice')),
    sa.CheckConstraint("structure_kind IN ('stationary', 'mobile', 'terrace')", name=op.f('ck_temporary_structure_structure_kind_choice')),
    sa.ForeignKeyConstraint(['scheme_spot_id'], ['registry.ts_scheme_spot.id'], name=op.f('fk_temporary_structure_scheme_spot_id'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_temporary_structure')),
    schema='registry'
    )
    op.create_index('ix_temporary_structure_geom', 'temporary_structure', ['geom'], unique=False, schema='registry', postgresql_using='gist')
    op.create_index('ix_temporary_structure_scheme_spot_id', 'temporary_structure', ['scheme_spot_id'], unique=False, schema='registry')


def downgrade() -> None:
    op.drop_index('ix_temporary_structure_scheme_spot_id', table_name='temporary_structure', schema='registry')
    op.drop_index('ix_temporary_structure_geom', table_name='temporary_structure', schema='registry', postgresql_using='gist')
    op.drop_table('temporary_structure', schema='registry')
    op.drop_index('ix_address_street_id', table_name='address', schema='registry')
    op.drop_index('ix_address_geom', table_name='address', schema='registry', postgresql_using='gist')
    op.drop_index('ix_address_building_id', table_name='address', schema='registry')
    op.drop_table('address', schema='registry')
    op.drop_index('ix_ts_scheme_spot_geom', table_name='ts_scheme_spot', schema='registry', postgresql_using='gist')
    op.drop_table('ts_scheme_spot', schema='registry')
    op.drop_index('ix_street_geom', table_name='street', schema='registry', postgresql_using='gist')
    op.drop_table('street', schema='registry')
    op.drop_index('ix_planning_zone_geom', table_name='planning_zone', schema='registry', postgresql_using='gist')
    op.drop_table('planning_zone', schema='registry')
    op.drop_index('ix_land_parcel_geom', table_name='land_parcel', schema='registry', postgresql_using='gist')
    op.drop_table('land_parcel', schema='registry')
    op.drop_index('ix_community_boundary_geom', table_name='community_boundary', schema='registry', postgresql_using='gist')
    op.drop_table('community_boundary', schema='registry')
    op.drop_index('ix_building_geom', table_name='building', schema='registry', postgresql_using='gist')
    op.drop_table('building', schema='registry')
    op.drop_index('ix_advertising_structure_geom', table_name='advertising_structure', schema='registry', postgresql_using='gist')
    op.drop_table('advertising_structure', schema='registry')
    op.drop_index('ix_history_ts_scheme_spot_period', table_name='ts_scheme_spot', schema='history', postgresql_using='gist')
    op.drop_index('ix_history_ts_scheme_spot_id', table_name='ts_scheme_spot', schema='history')
    op.drop_table('ts_scheme_spot', schema='history')
    op.drop_index('ix_history_temporary_structure_period', table_name='temporary_structure', schema='history', postgresql_using='gist')
    op.drop_index('ix_history_temporary_structure_id', table_name='temporary_structure', schema='history')
    op.drop_table('temporary_structure', schema='history')
    op.drop_index('ix_history_street_period', table_name='street', schema='history', postgresql_using='gist')
    op.drop_index('ix_history_street_id', table_name='street', schema='history')
    op.drop_table('street', schema='history')
    op.drop_index('ix_history_planning_zone_period', table_name='planning_zone', schema='history', postgresql_using='gist')
    op.drop_index('ix_history_planning_zone_id', table_name='planning_zone', schema='history')
    op.drop_table('planning_zone', schema='history')
    op.drop_index('ix_history_land_parcel_period', table_name='land_parcel', schema='history', postgresql_using='gist')
    op.drop_index('ix_history_land_parcel_id', table_name='land_parcel', schema='history')
    op.drop_table('land_parcel', schema='history')
    op.drop_index('ix_history_community_boundary_period', table_name='community_boundary', schema='history', postgresql_using='gist')
    op.drop_index('ix_history_community_boundary_id', table_name='community_boundary', schema='history')
    op.drop_table('community_boundary', schema='history')
    op.drop_index('ix_history_building_period', table_name='building', schema='history', postgresql_using='gist')
    op.drop_index('ix_history_building_id', table_name='building', schema='history')
    op.drop_table('building', schema='history')
    op.drop_index('ix_history_advertising_structure_period', table_name='advertising_structure', schema='history', postgresql_using='gist')
    op.drop_index('ix_history_advertising_structure_id', table_name='advertising_structure', schema='history')
    op.drop_table('advertising_structure', schema='history')
    op.drop_index('ix_history_address_period', table_name='address', schema='history', postgresql_using='gist')
    op.drop_index('ix_history_address_id', table_name='address', schema='history')
    op.drop_table('address', schema='history')
