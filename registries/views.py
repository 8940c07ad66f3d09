"""How a registry's rows are shown: one column expression per field, for the public or staff.

The public never reads a personal field; a field personal for natural persons shows the mask
(«фізична особа»); a derived field is computed on the reading date. The public and staff
views (``registries.schema``) and the as-of reads (``registries.changes``) use these same
expressions, so a past state is masked exactly as the present one.
"""

from __future__ import annotations

from psycopg import sql

from registries.model import PUBLISHED_SCHEMA, Field, Registry


def field_sql(f: Field, alias: str, today: sql.Composable, *, personal: bool,
              family: str = PUBLISHED_SCHEMA) -> sql.Composable:
    """Return ``<expression> AS <field>`` of field ``f`` over row ``alias`` (of the table
    family ``family``: ``published`` or the working copy ``registry``)."""
    col = sql.Identifier(f.column)
    if f.derived_join:
        value = f.derived_join(alias, family)[1]
    elif f.derived:
        value = f.derived(alias, today)
    elif f.personal_if and not personal:
        mask = f.personal_if.mask
        value = sql.SQL("CASE WHEN {a}.{dep} = {val} THEN {mask} ELSE {a}.{col} END").format(
            a=sql.Identifier(alias), dep=sql.Identifier(f.personal_if.field),
            val=sql.Literal(f.personal_if.equals),
            mask=sql.SQL("NULL") if mask is None else sql.Literal(mask["uk"]), col=col)
    else:
        value = sql.SQL("{}.{}").format(sql.Identifier(alias), col)
    return sql.SQL("{} AS {}").format(value, col)


def readable(reg: Registry, personal: bool) -> tuple[Field, ...]:
    """Return the fields a reader sees: all for staff, the public ones otherwise."""
    return reg.fields if personal else reg.public_fields


def joins_sql(reg: Registry, alias: str, *, personal: bool,
              family: str = PUBLISHED_SCHEMA) -> sql.Composable:
    """Return the JOIN clauses the readable derived fields' faster forms need (may be empty)."""
    return sql.SQL(" ").join(f.derived_join(alias, family)[0]
                             for f in readable(reg, personal) if f.derived_join)


def columns_sql(reg: Registry, alias: str, today: sql.Composable, *, personal: bool,
                family: str = PUBLISHED_SCHEMA) -> list[sql.Composable]:
    """Return ``id``, every readable field, ``geom`` and ``version`` over row ``alias``."""
    a = sql.Identifier(alias)
    return [sql.SQL("{}.id").format(a),
            *(field_sql(f, alias, today, personal=personal, family=family)
              for f in readable(reg, personal)),
            sql.SQL("{}.geom").format(a), sql.SQL("{}.version").format(a)]
