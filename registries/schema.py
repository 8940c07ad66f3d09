"""Database objects derived from the registry declarations.

Tables (live, history and published) are SQLAlchemy/geoalchemy2 models for Alembic; the history
triggers, the publication triggers and the views, pure derivations of the declarations, are
(re)created by :func:`sync_derived` after every upgrade.

Published versus pending (``registries.publication``): every write path writes the live table
(``registry.<table>``, the working copy the rules check); ``published.<table>`` holds the
version the registry's holder verified, and the public views (``open_data``), the staff views
(``staff_data``), tiles, search, reports, extracts and exports read only that. Staff read the
working copy with its pending changes through ``pending_data.<table>``.
"""

from __future__ import annotations

from typing import Any

import psycopg
from geoalchemy2 import Geometry
from psycopg import sql
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSTZRANGE
from sqlalchemy.schema import SchemaItem
from sqlalchemy.types import TypeEngine

from gis import changes
from gis.history import trigger_sql
from gis.view_refresh import drop_view, replace_view
from registries.catalog import Catalog
from registries.functions import DEFAULT_TIME_ZONE, SEARCH_SCHEMA
from registries.functions import install as install_functions
from registries.grants import LINEAGE, sync_grants
from registries.model import (
    HISTORY_SCHEMA,
    MAX_TEXT_CHARS,
    PENDING_SCHEMA,
    PUBLIC_SCHEMA,
    PUBLISHED_SCHEMA,
    REGISTRY_SCHEMA,
    STAFF_SCHEMA,
    WHITESPACE,
    Field,
    FieldType,
    Registry,
)
from registries.publication import install_publication
from registries.rules import TODAY, name_sql
from registries.tiling import watched_columns
from registries.views import columns_sql, joins_sql

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}


def text_length_check(column: str) -> str:
    """Return the CHECK that keeps a text column within ``MAX_TEXT_CHARS``.

    >>> text_length_check("house_number")
    'char_length(house_number) <= 1000'
    """
    return f"char_length({column}) <= {MAX_TEXT_CHARS}"


def column_type(f: Field) -> TypeEngine[Any]:
    """Return the SQL type of a field."""
    match f.type:
        case FieldType.TEXT:
            return Text()
        case FieldType.INTEGER:
            return Integer()
        case FieldType.NUMBER:
            return Numeric(14, f.scale if f.scale is not None else 2)
        case FieldType.DATE:
            return Date()
        case FieldType.BOOLEAN:
            return Boolean()
        case FieldType.JSON:
            return JSONB()
        case FieldType.REFERENCE:
            return BigInteger()
    raise ValueError(f"unknown field type {f.type}")


def _live_table(reg: Registry, catalog: Catalog, metadata: MetaData, srid: int) -> Table:
    cols: list[SchemaItem] = [Column("id", BigInteger, Identity(always=False), primary_key=True)]
    for f in reg.stored_fields:
        args: list[SchemaItem] = []
        if f.references:
            target = catalog.get(f.references)
            args.append(ForeignKey(f"{REGISTRY_SCHEMA}.{target.table}.id", ondelete="RESTRICT"))
        cols.append(Column(f.column, column_type(f), *args, nullable=not f.required,
                           unique=f.unique or None))
        if f.choices:
            values = ", ".join("'" + c.replace("'", "''") + "'" for c in f.choices)
            cols.append(CheckConstraint(f"{f.column} IN ({values})", name=f"{f.column}_choice"))
        if f.type is FieldType.TEXT:  # the limit of every write path, QGIS logins included
            cols.append(CheckConstraint(text_length_check(f.column),
                                        name=f"{f.column}_length"))
    cols += [
        Column("geom", Geometry(reg.geometry.value.upper(), srid=srid, spatial_index=False),
               nullable=False),
        # derived Web-Mercator copy for tiles: kept in sync by PostgreSQL on every write path
        Column(changes.GEOMETRY, Geometry(reg.geometry.value.upper(), srid=3857,
                                          spatial_index=False),
               Computed("ST_Transform(geom, 3857)", persisted=True)),
        *_version_columns(),
    ]
    table = Table(reg.table, metadata, *cols, schema=REGISTRY_SCHEMA)
    Index(f"ix_{reg.table}_geom", table.c.geom, postgresql_using="gist")
    Index(f"ix_{reg.table}_{changes.GEOMETRY}", table.c[changes.GEOMETRY],
          postgresql_using="gist")
    for f in reg.stored_fields:
        if f.references or f.indexed:
            Index(f"ix_{reg.table}_{f.column}", table.c[f.column])
        if f.searchable and f.type is FieldType.TEXT:  # registries.search: ILIKE / similarity
            Index(f"ix_{reg.table}_{f.column}_trgm", table.c[f.column], postgresql_using="gin",
                  postgresql_ops={f.column: "gin_trgm_ops"})
    return table


def _version_columns() -> list[Column[Any]]:
    """Return the columns every live row carries: row version, valid period, author."""
    return [
        Column("version", Integer, nullable=False, server_default=text("1")),
        Column("sys_period", TSTZRANGE, nullable=False,
               server_default=text("tstzrange(now(), NULL)")),
        Column("changed_by", Text, nullable=True),
        Column("change_source", Text, nullable=True),  # e.g. the imported file (gis.history)
    ]


def _history_table(reg: Registry, metadata: MetaData, srid: int) -> Table:
    cols: list[SchemaItem] = [
        Column("history_id", BigInteger, Identity(always=False), primary_key=True),
        Column("id", BigInteger, nullable=False),
        *(Column(f.column, column_type(f)) for f in reg.stored_fields),
        Column("geom", Geometry(reg.geometry.value.upper(), srid=srid, spatial_index=False)),
        Column("version", Integer, nullable=False),
        Column("sys_period", TSTZRANGE, nullable=False),
        Column("changed_by", Text),
        Column("operation", String(1), nullable=False),
        Column("ended_by", Text),
        Column("change_source", Text),
        Column("ended_source", Text),
    ]
    table = Table(reg.table, metadata, *cols, schema=HISTORY_SCHEMA)
    Index(f"ix_history_{reg.table}_id", table.c.id, table.c.version)
    Index(f"ix_history_{reg.table}_period", table.c.sys_period, postgresql_using="gist")
    return table


def _published_table(reg: Registry, metadata: MetaData, srid: int) -> Table:
    """Return ``published.<table>``: the verified version of each object, with who verified it
    and when (NULL: published without verification, e.g. data loaded from an older register).

    No constraints beyond the key: the working copy enforces them before anything is
    published. Indexed as the public reads need it (GiST on both geometries, the search
    trigrams, the join keys)."""
    cols: list[SchemaItem] = [Column("id", BigInteger, primary_key=True, autoincrement=False)]
    cols += [Column(f.column, column_type(f)) for f in reg.stored_fields]
    cols += [
        Column("geom", Geometry(reg.geometry.value.upper(), srid=srid, spatial_index=False),
               nullable=False),
        Column(changes.GEOMETRY, Geometry(reg.geometry.value.upper(), srid=3857,
                                          spatial_index=False),
               Computed("ST_Transform(geom, 3857)", persisted=True)),
        Column("version", Integer, nullable=False),
        Column("sys_period", TSTZRANGE, nullable=False),
        Column("changed_by", Text, nullable=True),
        Column("verified_by", Text, nullable=True),
        Column("verified_at", DateTime(timezone=True), nullable=True),
        Column("published_at", DateTime(timezone=True), nullable=False,
               server_default=func.now()),
    ]
    table = Table(reg.table, metadata, *cols, schema=PUBLISHED_SCHEMA)
    Index(f"ix_published_{reg.table}_geom", table.c.geom, postgresql_using="gist")
    Index(f"ix_published_{reg.table}_{changes.GEOMETRY}", table.c[changes.GEOMETRY],
          postgresql_using="gist")
    for f in reg.stored_fields:
        if f.references or f.indexed:
            Index(f"ix_published_{reg.table}_{f.column}", table.c[f.column])
        if f.searchable and f.type is FieldType.TEXT:
            Index(f"ix_published_{reg.table}_{f.column}_trgm", table.c[f.column],
                  postgresql_using="gin", postgresql_ops={f.column: "gin_trgm_ops"})
    return table


def _lineage_table(metadata: MetaData) -> Table:
    """Return ``history.lineage``: which objects a split or merge retired and created."""
    table = Table(
        LINEAGE[1], metadata,
        Column("id", BigInteger, Identity(always=False), primary_key=True),
        Column("collection", Text, nullable=False),
        Column("operation", Text, nullable=False),  # split | merge
        Column("parent_id", BigInteger, nullable=False),
        Column("parent_version", Integer, nullable=False),  # the version the parent ended at
        Column("child_id", BigInteger, nullable=False),
        Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("by", Text),
        schema=LINEAGE[0])
    Index("ix_lineage_parent", table.c.collection, table.c.parent_id)
    Index("ix_lineage_child", table.c.collection, table.c.child_id)
    return table


def build_metadata(catalog: Catalog, srid: int) -> MetaData:
    """Return the tables of every registry in ``catalog`` with geometries in ``srid``."""
    metadata = MetaData(naming_convention=NAMING)
    for reg in catalog:
        if reg.table == LINEAGE[1]:
            raise ValueError(f"registry {reg.id}: table name {reg.table!r} is reserved")
        _live_table(reg, catalog, metadata, srid)
        _history_table(reg, metadata, srid)
        _published_table(reg, metadata, srid)
    _lineage_table(metadata)
    return metadata


def public_view_sql(reg: Registry) -> sql.Composed:
    """Return CREATE VIEW for the public face of ``reg``: its published (verified) objects,
    personal fields dropped or masked."""
    cols = [*columns_sql(reg, "t", TODAY, personal=False),
            sql.SQL("t.{}").format(sql.Identifier(changes.GEOMETRY))]
    return sql.SQL("CREATE VIEW {view} AS SELECT {cols} FROM {table} AS t {joins}").format(
        view=sql.Identifier(*reg.public_view),
        cols=sql.SQL(", ").join(cols),
        table=sql.Identifier(*reg.published_table),
        joins=joins_sql(reg, "t", personal=False),
    )


def staff_view_sql(reg: Registry) -> sql.Composed:
    """Return CREATE VIEW for what staff read by default: the published objects with every
    field, derived ones computed, and who verified them when."""
    cols = [*columns_sql(reg, "t", TODAY, personal=True), sql.SQL("t.changed_by"),
            sql.SQL("t.{}").format(sql.Identifier(changes.GEOMETRY)),
            sql.SQL("t.verified_by"), sql.SQL("t.verified_at")]
    return sql.SQL("CREATE VIEW {view} AS SELECT {cols} FROM {table} AS t {joins}").format(
        view=sql.Identifier(*reg.staff_view), cols=sql.SQL(", ").join(cols),
        table=sql.Identifier(*reg.published_table), joins=joins_sql(reg, "t", personal=True))


def pending_view_sql(reg: Registry) -> sql.Composed:
    """Return CREATE VIEW for staff's "with pending changes": the working copy with every
    field, each object's ``verification`` state (``published``, ``changed``: a newer version
    waits for verification, ``new``: never published) and its ``published_version``.

    A pending deletion is simply absent here (the working copy no longer holds the object);
    the verification queue lists it."""
    cols = [*columns_sql(reg, "t", TODAY, personal=True, family=REGISTRY_SCHEMA),
            sql.SQL("t.changed_by"), sql.SQL("t.{}").format(sql.Identifier(changes.GEOMETRY)),
            sql.SQL("CASE WHEN p.id IS NULL THEN 'new' WHEN p.version = t.version THEN "
                    "'published' ELSE 'changed' END AS verification"),
            sql.SQL("p.version AS published_version")]
    return sql.SQL("CREATE VIEW {view} AS SELECT {cols} FROM {table} AS t "
                   "LEFT JOIN {published} AS p ON p.id = t.id {joins}").format(
        view=sql.Identifier(*reg.pending_view), cols=sql.SQL(", ").join(cols),
        table=sql.Identifier(reg.schema, reg.table),
        published=sql.Identifier(*reg.published_table),
        joins=joins_sql(reg, "t", personal=True, family=REGISTRY_SCHEMA))


def data_columns(reg: Registry) -> list[str]:
    """Return the columns of ``reg`` that history copies: the declared fields and the geometry."""
    return [*(f.column for f in reg.stored_fields), "geom"]


def clean_login_row(reg: Registry) -> sql.Composed:
    """Return the PL/pgSQL that stores a staff database login's texts as the API and imports
    store theirs (``registries.model.clean_text``, then an empty text as none): stripped,
    composed (NFC) — a name pasted into QGIS from a PDF (й as и + U+0306) or with a trailing
    space is then found by a search and compared by a uniqueness rule as typed on a keyboard."""
    texts = [f.column for f in reg.stored_fields if f.type == FieldType.TEXT]
    return sql.SQL(" ").join(
        sql.SQL("NEW.{c} := nullif(btrim(normalize(NEW.{c}, NFC), {ws}), '');").format(
            c=sql.Identifier(c), ws=sql.Literal(WHITESPACE))
        for c in texts) if texts else sql.Composed([sql.SQL("NULL;")])


def sync_derived(conn: psycopg.Connection, catalog: Catalog,
                 time_zone: str = DEFAULT_TIME_ZONE) -> None:
    """Refresh the derived objects (history and publication triggers, rule checks, public,
    staff and pending views — replaced in place, never dropped with what depends on them —,
    search index, the rights of staff database logins); idempotent. ``time_zone`` is the
    city's: date-driven statuses follow it."""
    for schema in (PUBLIC_SCHEMA, STAFF_SCHEMA, PENDING_SCHEMA, SEARCH_SCHEMA):
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    install_functions(conn, catalog, time_zone)
    for reg in catalog:
        for ddl in trigger_sql(reg.schema, reg.table, data_columns(reg), name_sql(reg, "old"),
                               login_row=clean_login_row(reg)):
            conn.execute(ddl)
        # the tiles show what is published: the change feed follows the published table, so a
        # pending write drops no tile and an approval drops exactly the tiles it touches
        for name in changes.TRIGGERS:
            conn.execute(sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(
                sql.Identifier(name), sql.Identifier(reg.schema, reg.table)))
        for ddl in changes.trigger_sql(*reg.published_table, watched_columns(reg),
                                       source=f"{reg.schema}.{reg.table}"):
            conn.execute(ddl)
        # in place: what a council built on these views survives (gis.view_refresh)
        if reg.public:
            replace_view(conn, reg.public_view, public_view_sql(reg))
        else:
            drop_view(conn, reg.public_view)
        replace_view(conn, reg.staff_view, staff_view_sql(reg))
        replace_view(conn, reg.pending_view, pending_view_sql(reg))
    install_publication(conn, catalog)  # the pending queue and direct publication
    sync_grants(conn, catalog)  # staff database logins: rights derived from the declarations
