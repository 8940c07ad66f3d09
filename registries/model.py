"""The one schema of a registry: Registry, Field, TileRule, Access.

A registry is declared once (Python for the built-in ones, YAML in ``registries/declared/`` for
further ones); tables, history, public views, OGC collections, queryables, tiles, search and
exports are derived from the declaration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from gis.auth import Role

REGISTRY_SCHEMA = "registry"  # live objects
HISTORY_SCHEMA = "history"  # past versions, written by triggers only
PUBLIC_SCHEMA = "open_data"  # views without personal data: what anonymous users may read


class GeometryKind(StrEnum):
    POINT = "Point"
    LINESTRING = "LineString"
    POLYGON = "Polygon"
    MULTILINESTRING = "MultiLineString"
    MULTIPOLYGON = "MultiPolygon"


class FieldType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"  # numeric with the declared scale
    DATE = "date"
    BOOLEAN = "boolean"
    JSON = "json"
    REFERENCE = "reference"  # bigint id of another registry's object


Text = dict[str, str]  # {"uk": ..., "en": ...}


@dataclass(frozen=True)
class PersonalIf:
    """The field is personal when another field has a value, e.g. the holder is a natural person.

    Public outputs show ``mask`` instead of the value in that case.
    """

    field: str
    equals: str
    mask: Text


@dataclass(frozen=True)
class Field:
    """One attribute of a registry object."""

    name: str
    type: FieldType = FieldType.TEXT
    title: Text = field(default_factory=dict)
    required: bool = False
    personal: bool = False  # never public: natural persons' names, RNOKPP, passports, contacts
    personal_if: PersonalIf | None = None
    searchable: bool = False
    temporal: bool = False  # a date that `datetime` queries filter on
    unique: bool = False
    pattern: str | None = None  # regular expression the text must match
    choices: tuple[str, ...] | None = None  # a closed code list
    scale: int | None = None  # decimals of a NUMBER
    references: str | None = None  # registry id a REFERENCE points to
    description: Text = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", self.name):
            raise ValueError(f"field name {self.name!r} is not a lower-case identifier")
        if self.pattern is not None:
            re.compile(self.pattern)

    @property
    def column(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        """Return True when the public may see this field (perhaps masked, see ``personal_if``)."""
        return not self.personal


@dataclass(frozen=True)
class TileRule:
    """From ``min_zoom`` on, tiles carry the layer with the attributes in ``keep``."""

    min_zoom: int
    keep: tuple[str, ...] = ()


@dataclass(frozen=True)
class Registry:
    """A registry: its table, geometry, fields, who edits it and how it is shown."""

    id: str  # collection id: English snake_case plural
    title: Text
    description: Text
    table: str
    geometry: GeometryKind
    fields: tuple[Field, ...]
    group: str  # geoportal group: cadastre, addresses, advertising, temporary, planning …
    edit_roles: frozenset[Role] = frozenset({Role.ADMIN})
    keywords: tuple[str, ...] = ()
    tiles: tuple[TileRule, ...] = ()
    label: str | None = None  # the field that names an object in lists and messages
    schema: str = REGISTRY_SCHEMA
    public: bool = True  # False: staff only (e.g. networks under martial law)

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"registry {self.id}: duplicate fields {sorted(duplicates)}")
        reserved = {"id", "geom", "version", "sys_period", "changed_by"} & set(names)
        if reserved:
            raise ValueError(f"registry {self.id}: reserved field names {sorted(reserved)}")
        for f in self.fields:
            if f.personal_if and f.personal_if.field not in names:
                raise ValueError(f"registry {self.id}: {f.name} depends on unknown field "
                                 f"{f.personal_if.field}")
        if self.label and self.label not in names:
            raise ValueError(f"registry {self.id}: label {self.label} is not a field")

    def field(self, name: str) -> Field:
        """Return the field called ``name`` or raise KeyError."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"registry {self.id} has no field {name!r}")

    @property
    def public_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.is_public)

    @property
    def public_view(self) -> tuple[str, str]:
        """Return (schema, name) of the view that shows the public what it may see."""
        return (PUBLIC_SCHEMA, self.table)

    @property
    def history_table(self) -> tuple[str, str]:
        """Return (schema, name) of the table that keeps every past version of an object."""
        return (HISTORY_SCHEMA, self.table)
