"""registry rules: cadastral quarters, planning restrictions, red lines, declared registries,
search indexes

- new registries: ``cadastral_quarter`` (кадастрові квартали), ``planning_restriction``
  (планувальні обмеження), ``red_line`` (червоні лінії), and the tables of the registries
  declared in ``registries/declared/*.yml`` that ship with the project (``road_closure``,
  ``accessibility_object``) — live and history tables, as ``registries.schema`` derives them;
- ``land_parcel.area_error_ha``: the stated area error the area rule allows (domain §1.7);
- trigram (pg_trgm) indexes on every searchable text field, and the ``search`` schema with
  ``search.street_name``: every current and former street name with its search key and the
  keys of its words (``whole`` false: "Шевченка" finds "Тараса Шевченка" through the trigram
  index), kept current by a trigger that ``registries.schema.sync_derived`` installs.

Rules, views and the search trigger are derived objects (``sync_derived``), not migrations.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 12:00:00
"""

from __future__ import annotations

import geoalchemy2
import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    srid = context.config.attributes["srid"]
    op.create_table('accessibility_object',
    sa.Column('history_id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('kind', sa.Text(), nullable=True),
    sa.Column('condition', sa.Text(), nullable=True),
    sa.Column('address_text', sa.Text(), nullable=True),
    sa.Column('cadastral_number', sa.Text(), nullable=True),
    sa.Column('inspected_on', sa.Date(), nullable=True),
    sa.Column('inspector_kind', sa.Text(), nullable=True),
    sa.Column('inspector_name', sa.Text(), nullable=True),
    sa.Column('inspector_phone', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('operation', sa.String(length=1), nullable=False),
    sa.Column('ended_by', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('history_id', name=op.f('pk_accessibility_object')),
    schema='history'
    )
    op.create_index('ix_history_accessibility_object_id', 'accessibility_object', ['id', 'version'], unique=False, schema='history')
    op.create_index('ix_history_accessibility_object_period', 'accessibility_object', ['sys_period'], unique=False, schema='history', postgresql_using='gist')
    op.create_table('cadastral_quarter',
    sa.Column('history_id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('quarter_number', sa.Text(), nullable=True),
    sa.Column('katottg', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('operation', sa.String(length=1), nullable=False),
    sa.Column('ended_by', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('history_id', name=op.f('pk_cadastral_quarter')),
    schema='history'
    )
    op.create_index('ix_history_cadastral_quarter_id', 'cadastral_quarter', ['id', 'version'], unique=False, schema='history')
    op.create_index('ix_history_cadastral_quarter_period', 'cadastral_quarter', ['sys_period'], unique=False, schema='history', postgresql_using='gist')
    op.create_table('planning_restriction',
    sa.Column('history_id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=True),
    sa.Column('dzk_code', sa.Text(), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('legal_basis', sa.Text(), nullable=True),
    sa.Column('width_m', sa.Numeric(precision=14, scale=1), nullable=True),
    sa.Column('regime', sa.Text(), nullable=True),
    sa.Column('decision_number', sa.Text(), nullable=True),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('issuing_body', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('operation', sa.String(length=1), nullable=False),
    sa.Column('ended_by', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('history_id', name=op.f('pk_planning_restriction')),
    schema='history'
    )
    op.create_index('ix_history_planning_restriction_id', 'planning_restriction', ['id', 'version'], unique=False, schema='history')
    op.create_index('ix_history_planning_restriction_period', 'planning_restriction', ['sys_period'], unique=False, schema='history', postgresql_using='gist')
    op.create_table('red_line',
    sa.Column('history_id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=True),
    sa.Column('street_name', sa.Text(), nullable=True),
    sa.Column('source_document', sa.Text(), nullable=True),
    sa.Column('decision_number', sa.Text(), nullable=True),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('issuing_body', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTILINESTRING', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('operation', sa.String(length=1), nullable=False),
    sa.Column('ended_by', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('history_id', name=op.f('pk_red_line')),
    schema='history'
    )
    op.create_index('ix_history_red_line_id', 'red_line', ['id', 'version'], unique=False, schema='history')
    op.create_index('ix_history_red_line_period', 'red_line', ['sys_period'], unique=False, schema='history', postgresql_using='gist')
    op.create_table('road_closure',
    sa.Column('history_id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('kind', sa.Text(), nullable=True),
    sa.Column('closed_from', sa.Date(), nullable=True),
    sa.Column('closed_until', sa.Date(), nullable=True),
    sa.Column('organisation', sa.Text(), nullable=True),
    sa.Column('permit_number', sa.Text(), nullable=True),
    sa.Column('detour', sa.Text(), nullable=True),
    sa.Column('contact_person', sa.Text(), nullable=True),
    sa.Column('contact_phone', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTILINESTRING', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.Column('operation', sa.String(length=1), nullable=False),
    sa.Column('ended_by', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('history_id', name=op.f('pk_road_closure')),
    schema='history'
    )
    op.create_index('ix_history_road_closure_id', 'road_closure', ['id', 'version'], unique=False, schema='history')
    op.create_index('ix_history_road_closure_period', 'road_closure', ['sys_period'], unique=False, schema='history', postgresql_using='gist')
    op.create_table('accessibility_object',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('condition', sa.Text(), nullable=False),
    sa.Column('address_text', sa.Text(), nullable=True),
    sa.Column('cadastral_number', sa.Text(), nullable=True),
    sa.Column('inspected_on', sa.Date(), nullable=True),
    sa.Column('inspector_kind', sa.Text(), nullable=True),
    sa.Column('inspector_name', sa.Text(), nullable=True),
    sa.Column('inspector_phone', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', geoalchemy2.types.Geometry(geometry_type='POINT', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), server_default=sa.text('tstzrange(now(), NULL)'), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.CheckConstraint("condition IN ('usable', 'needs_repair', 'unusable')", name=op.f('ck_accessibility_object_condition_choice')),
    sa.CheckConstraint("inspector_kind IN ('legal', 'natural')", name=op.f('ck_accessibility_object_inspector_kind_choice')),
    sa.CheckConstraint("kind IN ('ramp', 'lift', 'tactile_paving', 'accessible_toilet', 'parking_place', 'audio_signal', 'accessible_entrance')", name=op.f('ck_accessibility_object_kind_choice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accessibility_object')),
    schema='registry'
    )
    op.create_index('ix_accessibility_object_address_text_trgm', 'accessibility_object', ['address_text'], unique=False, schema='registry', postgresql_using='gin', postgresql_ops={'address_text': 'gin_trgm_ops'})
    op.create_index('ix_accessibility_object_geom', 'accessibility_object', ['geom'], unique=False, schema='registry', postgresql_using='gist')
    op.create_index('ix_accessibility_object_geom_3857', 'accessibility_object', ['geom_3857'], unique=False, schema='registry', postgresql_using='gist')
    op.create_index('ix_accessibility_object_name_trgm', 'accessibility_object', ['name'], unique=False, schema='registry', postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    op.create_table('cadastral_quarter',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('quarter_number', sa.Text(), nullable=False),
    sa.Column('katottg', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), server_default=sa.text('tstzrange(now(), NULL)'), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cadastral_quarter')),
    sa.UniqueConstraint('quarter_number', name=op.f('uq_cadastral_quarter_quarter_number')),
    schema='registry'
    )
    op.create_index('ix_cadastral_quarter_geom', 'cadastral_quarter', ['geom'], unique=False, schema='registry', postgresql_using='gist')
    op.create_index('ix_cadastral_quarter_geom_3857', 'cadastral_quarter', ['geom_3857'], unique=False, schema='registry', postgresql_using='gist')
    op.create_index('ix_cadastral_quarter_quarter_number_trgm', 'cadastral_quarter', ['quarter_number'], unique=False, schema='registry', postgresql_using='gin', postgresql_ops={'quarter_number': 'gin_trgm_ops'})
    op.create_table('planning_restriction',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('dzk_code', sa.Text(), nullable=True),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=True),
    sa.Column('width_m', sa.Numeric(precision=14, scale=1), nullable=True),
    sa.Column('regime', sa.Text(), nullable=True),
    sa.Column('decision_number', sa.Text(), nullable=True),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('issuing_body', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), server_default=sa.text('tstzrange(now(), NULL)'), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('heritage_protection', 'regulated_building', 'protected_landscape', 'archaeological_layer', 'historical_area', 'nature_reserve', 'water_protection', 'riverside_strip', 'sanitary_protection', 'network_protection', 'aviation', 'flood_area', 'red_lines', 'other')", name=op.f('ck_planning_restriction_kind_choice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_planning_restriction')),
    schema='registry'
    )
    op.create_index('ix_planning_restriction_geom', 'planning_restriction', ['geom'], unique=False, schema='registry', postgresql_using='gist')
    op.create_index('ix_planning_restriction_geom_3857', 'planning_restriction', ['geom_3857'], unique=False, schema='registry', postgresql_using='gist')
    op.create_index('ix_planning_restriction_name_trgm', 'planning_restriction', ['name'], unique=False, schema='registry', postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    op.create_table('red_line',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('street_name', sa.Text(), nullable=True),
    sa.Column('source_document', sa.Text(), nullable=True),
    sa.Column('decision_number', sa.Text(), nullable=True),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('issuing_body', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTILINESTRING', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', geoalchemy2.types.Geometry(geometry_type='MULTILINESTRING', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), server_default=sa.text('tstzrange(now(), NULL)'), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('existing', 'planned')", name=op.f('ck_red_line_kind_choice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_red_line')),
    schema='registry'
    )
    op.create_index('ix_red_line_geom', 'red_line', ['geom'], unique=False, schema='registry', postgresql_using='gist')
    op.create_index('ix_red_line_geom_3857', 'red_line', ['geom_3857'], unique=False, schema='registry', postgresql_using='gist')
    op.create_index('ix_red_line_street_name_trgm', 'red_line', ['street_name'], unique=False, schema='registry', postgresql_using='gin', postgresql_ops={'street_name': 'gin_trgm_ops'})
    op.create_table('road_closure',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('closed_from', sa.Date(), nullable=False),
    sa.Column('closed_until', sa.Date(), nullable=False),
    sa.Column('organisation', sa.Text(), nullable=True),
    sa.Column('permit_number', sa.Text(), nullable=True),
    sa.Column('detour', sa.Text(), nullable=True),
    sa.Column('contact_person', sa.Text(), nullable=True),
    sa.Column('contact_phone', sa.Text(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTILINESTRING', srid=srid, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_3857', geoalchemy2.types.Geometry(geometry_type='MULTILINESTRING', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('sys_period', postgresql.TSTZRANGE(), server_default=sa.text('tstzrange(now(), NULL)'), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('full_closure', 'partial_closure', 'one_way', 'speed_limit')", name=op.f('ck_road_closure_kind_choice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_road_closure')),
    schema='registry'
    )
    op.create_index('ix_road_closure_geom', 'road_closure', ['geom'], unique=False, schema='registry', postgresql_using='gist')
    op.create_index('ix_road_closure_geom_3857', 'road_closure', ['geom_3857'], unique=False, schema='registry', postgresql_using='gist')
    op.create_index('ix_road_closure_organisation_trgm', 'road_closure', ['organisation'], unique=False, schema='registry', postgresql_using='gin', postgresql_ops={'organisation': 'gin_trgm_ops'})
    op.create_index('ix_road_closure_permit_number_trgm', 'road_closure', ['permit_number'], unique=False, schema='registry', postgresql_using='gin', postgresql_ops={'permit_number': 'gin_trgm_ops'})
    op.create_index('ix_road_closure_reason_trgm', 'road_closure', ['reason'], unique=False, schema='registry', postgresql_using='gin', postgresql_ops={'reason': 'gin_trgm_ops'})
    op.add_column('land_parcel', sa.Column('area_error_ha', sa.Numeric(precision=14, scale=4), nullable=True), schema='history')
    op.create_index('ix_address_house_number_trgm', 'address', ['house_number'], unique=False, schema='registry', postgresql_using='gin', postgresql_ops={'house_number': 'gin_trgm_ops'})
    op.create_index('ix_advertising_structure_distributor_name_trgm', 'advertising_structure', ['distributor_name'], unique=False, schema='registry', postgresql_using='gin', postgresql_ops={'distributor_name': 'gin_trgm_ops'})
    op.create_index('ix_advertising_structure_location_text_trgm', 'advertising_structure', ['location_text'], unique=False, schema='registry', postgresql_using='gin', postgresql_ops={'location_text': 'gin_trgm_ops'})
    op.create_index('ix_advertising_structure_permit_number_trgm', 'advertising_structure', ['permit_number'], unique=False, schema='registry', postgresql_using='gin', postgresql_ops={'permit_number': 'gin_trgm_ops'})
    op.add_column('land_parcel', sa.Column('area_error_ha', sa.Numeric(precision=14, scale=4), nullable=True), schema='registry')
    op.create_index('ix_address_cadastral_number', 'address', ['cadastral_number'], unique=False, schema='registry')
    op.create_index('ix_land_parcel_cadastral_number_trgm', 'land_parcel', ['cadastral_number'], unique=False, schema='registry', postgresql_using='gin', postgresql_ops={'cadastral_number': 'gin_trgm_ops'})
    op.create_index('ix_land_parcel_holder_name_trgm', 'land_parcel', ['holder_name'], unique=False, schema='registry', postgresql_using='gin', postgresql_ops={'holder_name': 'gin_trgm_ops'})
    op.create_index('ix_planning_zone_zone_code_trgm', 'planning_zone', ['zone_code'], unique=False, schema='registry', postgresql_using='gin', postgresql_ops={'zone_code': 'gin_trgm_ops'})
    op.create_index('ix_street_name_trgm', 'street', ['name'], unique=False, schema='registry', postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    op.create_index('ix_temporary_structure_location_text_trgm', 'temporary_structure', ['location_text'], unique=False, schema='registry', postgresql_using='gin', postgresql_ops={'location_text': 'gin_trgm_ops'})
    op.create_index('ix_temporary_structure_owner_name_trgm', 'temporary_structure', ['owner_name'], unique=False, schema='registry', postgresql_using='gin', postgresql_ops={'owner_name': 'gin_trgm_ops'})
    op.create_index('ix_temporary_structure_passport_number_trgm', 'temporary_structure', ['passport_number'], unique=False, schema='registry', postgresql_using='gin', postgresql_ops={'passport_number': 'gin_trgm_ops'})

    op.execute("CREATE SCHEMA IF NOT EXISTS search")
    op.create_table('street_name',
    sa.Column('street_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('street_type', sa.Text(), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('whole', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['street_id'], ['registry.street.id'], name='fk_street_name_street_id', ondelete='CASCADE'),
    schema='search'
    )
    op.create_index('ix_street_name_street_id', 'street_name', ['street_id'], unique=False, schema='search')
    op.create_index('ix_street_name_key_trgm', 'street_name', ['key'], unique=False, schema='search', postgresql_using='gin', postgresql_ops={'key': 'gin_trgm_ops'})


def downgrade() -> None:
    op.execute("DROP SCHEMA IF EXISTS search CASCADE")
    for table in ('land_parcel', 'road_closure', 'accessibility_object', 'cadastral_quarter',
                  'planning_restriction', 'red_line', 'street', 'building', 'address',
                  'advertising_structure', 'temporary_structure', 'ts_scheme_spot',
                  'planning_zone', 'community_boundary'):
        # derived objects that depend on the columns and tables dropped below
        op.execute(f"DROP VIEW IF EXISTS open_data.{table}, staff_data.{table}")
        for operation in ('insert', 'update'):
            op.execute(f"DROP TRIGGER IF EXISTS check_rules_{operation} ON registry.{table}")
            op.execute(f"DROP FUNCTION IF EXISTS registry.rules_{table}_{operation}()")
    op.drop_index('ix_temporary_structure_passport_number_trgm', table_name='temporary_structure', schema='registry', postgresql_using='gin', postgresql_ops={'passport_number': 'gin_trgm_ops'})
    op.drop_index('ix_temporary_structure_owner_name_trgm', table_name='temporary_structure', schema='registry', postgresql_using='gin', postgresql_ops={'owner_name': 'gin_trgm_ops'})
    op.drop_index('ix_temporary_structure_location_text_trgm', table_name='temporary_structure', schema='registry', postgresql_using='gin', postgresql_ops={'location_text': 'gin_trgm_ops'})
    op.drop_index('ix_street_name_trgm', table_name='street', schema='registry', postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    op.drop_index('ix_planning_zone_zone_code_trgm', table_name='planning_zone', schema='registry', postgresql_using='gin', postgresql_ops={'zone_code': 'gin_trgm_ops'})
    op.drop_index('ix_land_parcel_holder_name_trgm', table_name='land_parcel', schema='registry', postgresql_using='gin', postgresql_ops={'holder_name': 'gin_trgm_ops'})
    op.drop_index('ix_land_parcel_cadastral_number_trgm', table_name='land_parcel', schema='registry', postgresql_using='gin', postgresql_ops={'cadastral_number': 'gin_trgm_ops'})
    op.drop_column('land_parcel', 'area_error_ha', schema='registry')
    op.drop_index('ix_address_cadastral_number', table_name='address', schema='registry')
    op.drop_index('ix_advertising_structure_permit_number_trgm', table_name='advertising_structure', schema='registry', postgresql_using='gin', postgresql_ops={'permit_number': 'gin_trgm_ops'})
    op.drop_index('ix_advertising_structure_location_text_trgm', table_name='advertising_structure', schema='registry', postgresql_using='gin', postgresql_ops={'location_text': 'gin_trgm_ops'})
    op.drop_index('ix_advertising_structure_distributor_name_trgm', table_name='advertising_structure', schema='registry', postgresql_using='gin', postgresql_ops={'distributor_name': 'gin_trgm_ops'})
    op.drop_index('ix_address_house_number_trgm', table_name='address', schema='registry', postgresql_using='gin', postgresql_ops={'house_number': 'gin_trgm_ops'})
    op.drop_column('land_parcel', 'area_error_ha', schema='history')
    op.drop_index('ix_road_closure_reason_trgm', table_name='road_closure', schema='registry', postgresql_using='gin', postgresql_ops={'reason': 'gin_trgm_ops'})
    op.drop_index('ix_road_closure_permit_number_trgm', table_name='road_closure', schema='registry', postgresql_using='gin', postgresql_ops={'permit_number': 'gin_trgm_ops'})
    op.drop_index('ix_road_closure_organisation_trgm', table_name='road_closure', schema='registry', postgresql_using='gin', postgresql_ops={'organisation': 'gin_trgm_ops'})
    op.drop_index('ix_road_closure_geom_3857', table_name='road_closure', schema='registry', postgresql_using='gist')
    op.drop_index('ix_road_closure_geom', table_name='road_closure', schema='registry', postgresql_using='gist')
    op.drop_table('road_closure', schema='registry')
    op.drop_index('ix_red_line_street_name_trgm', table_name='red_line', schema='registry', postgresql_using='gin', postgresql_ops={'street_name': 'gin_trgm_ops'})
    op.drop_index('ix_red_line_geom_3857', table_name='red_line', schema='registry', postgresql_using='gist')
    op.drop_index('ix_red_line_geom', table_name='red_line', schema='registry', postgresql_using='gist')
    op.drop_table('red_line', schema='registry')
    op.drop_index('ix_planning_restriction_name_trgm', table_name='planning_restriction', schema='registry', postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    op.drop_index('ix_planning_restriction_geom_3857', table_name='planning_restriction', schema='registry', postgresql_using='gist')
    op.drop_index('ix_planning_restriction_geom', table_name='planning_restriction', schema='registry', postgresql_using='gist')
    op.drop_table('planning_restriction', schema='registry')
    op.drop_index('ix_cadastral_quarter_quarter_number_trgm', table_name='cadastral_quarter', schema='registry', postgresql_using='gin', postgresql_ops={'quarter_number': 'gin_trgm_ops'})
    op.drop_index('ix_cadastral_quarter_geom_3857', table_name='cadastral_quarter', schema='registry', postgresql_using='gist')
    op.drop_index('ix_cadastral_quarter_geom', table_name='cadastral_quarter', schema='registry', postgresql_using='gist')
    op.drop_table('cadastral_quarter', schema='registry')
    op.drop_index('ix_accessibility_object_name_trgm', table_name='accessibility_object', schema='registry', postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    op.drop_index('ix_accessibility_object_geom_3857', table_name='accessibility_object', schema='registry', postgresql_using='gist')
    op.drop_index('ix_accessibility_object_geom', table_name='accessibility_object', schema='registry', postgresql_using='gist')
    op.drop_index('ix_accessibility_object_address_text_trgm', table_name='accessibility_object', schema='registry', postgresql_using='gin', postgresql_ops={'address_text': 'gin_trgm_ops'})
    op.drop_table('accessibility_object', schema='registry')
    op.drop_index('ix_history_road_closure_period', table_name='road_closure', schema='history', postgresql_using='gist')
    op.drop_index('ix_history_road_closure_id', table_name='road_closure', schema='history')
    op.drop_table('road_closure', schema='history')
    op.drop_index('ix_history_red_line_period', table_name='red_line', schema='history', postgresql_using='gist')
    op.drop_index('ix_history_red_line_id', table_name='red_line', schema='history')
    op.drop_table('red_line', schema='history')
    op.drop_index('ix_history_planning_restriction_period', table_name='planning_restriction', schema='history', postgresql_using='gist')
    op.drop_index('ix_history_planning_restriction_id', table_name='planning_restriction', schema='history')
    op.drop_table('planning_restriction', schema='history')
    op.drop_index('ix_history_cadastral_quarter_period', table_name='cadastral_quarter', schema='history', postgresql_using='gist')
    op.drop_index('ix_history_cadastral_quarter_id', table_name='cadastral_quarter', schema='history')
    op.drop_table('cadastral_quarter', schema='history')
    op.drop_index('ix_history_accessibility_object_period', table_name='accessibility_object', schema='history', postgresql_using='gist')
    op.drop_index('ix_history_accessibility_object_id', table_name='accessibility_object', schema='history')
    op.drop_table('accessibility_object', schema='history')
