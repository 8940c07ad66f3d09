"""What a registry puts into map tiles, resolved from its TileRule declarations.

The tile SQL itself is composed in ``tiles.mvt``; this module answers the registry-side
questions: which rule holds at a zoom, which attributes (public fields or derived ones) a
rule keeps and their SQL, and which columns a change must touch to change the tiles (the
change-feed trigger watches only those, so an edit of a hidden field drops no tile).
"""

from __future__ import annotations

from psycopg import sql

from registries.model import FieldType, Registry, TileRule
from registries.status import derived_attributes, derived_sources

POINT_COUNT = "point_count"  # attribute of a clustered point: how many objects it stands for


def rules(reg: Registry) -> tuple[TileRule, ...]:
    """Return ``reg``'s tile rules by ascending ``min_zoom``; empty when it is not public."""
    return tuple(sorted(reg.tiles, key=lambda r: r.min_zoom)) if reg.public else ()


def rule_at(reg: Registry, z: int) -> TileRule | None:
    """Return the rule in force at zoom ``z`` (the last one starting at or below it), or None.

    >>> from registries.catalog import default_catalog
    >>> rule_at(default_catalog().get("land_parcels"), 13) is None
    True
    """
    found = None
    for rule in rules(reg):
        if rule.min_zoom <= z:
            found = rule
    return found


def min_zoom(reg: Registry) -> int | None:
    """Return the first zoom at which ``reg`` appears in tiles, or None if it never does."""
    rs = rules(reg)
    return rs[0].min_zoom if rs else None


def check_rules(reg: Registry) -> None:
    """Raise ValueError when a rule keeps an unknown or personal attribute."""
    public = {f.name for f in reg.public_fields}
    derived = set(derived_sources(reg))
    for rule in reg.tiles:
        for name in rule.keep:
            if name in derived or name in public:
                continue
            known = {f.name for f in reg.fields}
            why = "is personal" if name in known else "is not a field"
            raise ValueError(f"registry {reg.id}: tile attribute {name!r} {why}")


def attributes(reg: Registry, rule: TileRule, today: sql.Composable,
               alias: str = "t") -> list[tuple[str, sql.Composable]]:
    """Return (name, SQL) of the attributes ``rule`` keeps, read from row ``alias``.

    Numbers become float8 and dates ISO text, the types MVT can hold.
    """
    check_rules(reg)
    derived = derived_attributes(reg, today, alias)
    out: list[tuple[str, sql.Composable]] = []
    for name in rule.keep:
        f = next((f for f in reg.public_fields if f.name == name), None)
        derivation = getattr(f, "derived", None)
        if derivation is not None:  # a field computed at query time (Field.derived)
            out.append((name, derivation(alias, today)))
            continue
        if name in derived:
            out.append((name, derived[name]))
            continue
        f = reg.field(name)
        col = sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(f.column))
        if f.type == FieldType.NUMBER:
            col = sql.SQL("{}::float8").format(col)
        elif f.type in (FieldType.DATE, FieldType.JSON):
            col = sql.SQL("{}::text").format(col)
        out.append((name, col))
    return out


def watched_columns(reg: Registry) -> tuple[str, ...]:
    """Return the columns whose change can change ``reg``'s tiles (geometry first)."""
    cols: list[str] = ["geom"]
    sources = derived_sources(reg)
    stored = [f.column for f in reg.fields if getattr(f, "derived", None) is None]
    for rule in reg.tiles:
        for name in rule.keep:
            f = next((f for f in reg.fields if f.name == name), None)
            opaque = f is not None and getattr(f, "derived", None) is not None
            # a derivation we cannot see into: any column may change it
            default = tuple(stored) if opaque and name not in sources else (name,)
            for col in sources.get(name, default):
                if col not in cols:
                    cols.append(col)
            if f is not None and f.personal_if and f.personal_if.field not in cols:
                cols.append(f.personal_if.field)  # the mask depends on it
    return tuple(cols)
