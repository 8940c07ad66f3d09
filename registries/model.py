"""The one schema of a registry: Registry, Field, TileRule, Access.

A registry is declared once (Python for the built-in ones, YAML in ``registries/declared/`` for
further ones); tables, history, public views, OGC collections, queryables, tiles, search and
exports are derived from the declaration.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from psycopg import sql

from gis.auth import Role
from gis.text import first_unsafe

if TYPE_CHECKING:
    from registries.holders import Holder
    from registries.styles import Style

REGISTRY_SCHEMA = "registry"  # live objects
HISTORY_SCHEMA = "history"  # past versions, written by triggers only
PUBLIC_SCHEMA = "open_data"  # views without personal data: what anonymous users may read
STAFF_SCHEMA = "staff_data"  # views with every field, derived ones included: what staff read
PUBLISHED_SCHEMA = "published"  # the verified copy of every object: what the views above show
PENDING_SCHEMA = "pending_data"  # staff views of the working copy, with pending changes


class GeometryKind(StrEnum):
    POINT = "Point"
    LINESTRING = "LineString"
    POLYGON = "Polygon"
    MULTILINESTRING = "MultiLineString"
    MULTIPOLYGON = "MultiPolygon"


# the longest text value a registry field takes, on every write path: an indexed value must
# fit a B-tree entry (2,704 bytes; a Cyrillic letter is 2 bytes of UTF-8), and no registry
# value (a name, an address, a decision's title) comes near it
MAX_TEXT_CHARS = 1000


def composed(text: str) -> str:
    """Return ``text`` in Unicode NFC: each letter one code point where Unicode has one.

    One letter can be one code point or a base letter and a combining mark (й = и + U+0306,
    ї = і + U+0308: text copied from a PDF, a name typed on a Mac). Stored decomposed, a
    search typed on a keyboard (composed) never found it; so every stored text, every
    compared value and every search is composed.

    >>> composed("Героі\u0308в ") == "Героїв ", len(composed("и\u0306"))
    (True, 1)
    """
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


# what str.strip() strips (Unicode White_Space and the ASCII separators), spelled out for SQL:
# a staff database login's texts are stripped of the same (registries.schema.clean_login_row)
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
              "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def clean_text(text: str) -> str:
    """Return ``text`` as a registry stores it: stripped and ``composed``.

    >>> clean_text(" Героі\u0308в ") == "Героїв"
    True
    >>> WHITESPACE == "".join(c for c in map(chr, range(0x110000)) if c.isspace())
    True
    """
    return composed(text.strip())


def text_problem(text: str) -> str | None:
    """Return why ``text`` cannot be a registry value (a NUL PostgreSQL cannot store, a control
    or text-direction character in what is one line, or over ``MAX_TEXT_CHARS``), or None: the
    one check of the API, imports and the editor (the database's ``text_one_line`` rule holds
    the other write paths to the same).

    >>> text_problem("вул. Шевченка, 1") is None, text_problem("a" + chr(0) + "b")
    (True, 'the text holds a NUL character (at 2)')
    >>> text_problem("ХМ-0001" + chr(10) + "999")
    'the text holds a control character (U+000A) at position 8; it must be one line of text'
    """
    if "\x00" in text:
        return f"the text holds a NUL character (at {text.index(chr(0)) + 1})"
    unsafe = first_unsafe(text)
    if unsafe:
        return f"the text holds {unsafe}; it must be one line of text"
    if len(text) > MAX_TEXT_CHARS:
        return f"the text is {len(text):,} characters long; at most {MAX_TEXT_CHARS:,}"
    return None


class FieldType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"  # numeric with the declared scale
    DATE = "date"
    BOOLEAN = "boolean"
    JSON = "json"
    REFERENCE = "reference"  # bigint id of another registry's object


Text = dict[str, str]  # {"uk": ..., "en": ...}


class CodeList(tuple[str, ...]):
    """A closed code list: the codes a field may hold (a tuple of str), each with its title.

    Codes are what is stored and exchanged (``"100"``, ``"citylight"``); people read the
    titles, in cards, reports, extracts, exports and QGIS forms — declared once, here.

    >>> kinds = CodeList([("legal", "юридична особа", "legal entity"),
    ...                   ("natural", "фізична особа", "private person")])
    >>> "legal" in kinds, kinds.title("natural", "en"), kinds.title("other")
    (True, 'private person', 'other')
    """

    titles: dict[str, Text]

    def __new__(cls, items: Iterable[tuple[str, str, str]]) -> CodeList:
        items = list(items)
        self = super().__new__(cls, (code for code, _, _ in items))
        self.titles = {code: {"uk": uk, "en": en} for code, uk, en in items}
        if len(self.titles) != len(self):
            raise ValueError(f"code list repeats a code: {list(self)}")
        return self

    def __getnewargs__(self) -> tuple[list[tuple[str, str, str]]]:
        # pickle and deepcopy rebuild a tuple subclass from these (codes with their titles)
        return ([(c, self.titles[c]["uk"], self.titles[c]["en"]) for c in self],)

    def title(self, code: str, lang: str = "uk") -> str:
        """Return the title of ``code`` in ``lang`` (Ukrainian if missing), or the code."""
        titles = self.titles.get(code)
        if not titles:
            return code
        return titles.get(lang) or titles.get("uk") or code

    def as_dict(self) -> dict[str, Text]:
        """Return ``{code: {"uk": …, "en": …}}`` in the list's order."""
        return {code: dict(self.titles[code]) for code in self}


Derivation = Callable[[str, sql.Composable], sql.Composable]  # (row alias, today) → SQL


@dataclass(frozen=True)
class PersonalIf:
    """The field is personal when another field has a value, e.g. the holder is a natural person.

    Public outputs show ``mask`` instead of the value in that case, or nothing (null) when
    ``mask`` is None — a sole proprietor's phone has no stand-in worth showing.
    """

    field: str
    equals: str
    mask: Text | None = None


# a pattern's parts that a template shows: \d (with {n}), an escaped or a plain fixed character;
# anything else (a class, a group, a range of counts) is the last alternative
PATTERN_PART = re.compile(r"(\\d)(?:\{(\d+)\})?|\\([^dDwWsSbB])|([A-Za-z0-9:./ _-])|.")


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
    # required by the registry's procedure but not enforced at write time (data loaded from an
    # older register may lack it): the quality report lists the objects without it
    expected: bool = False
    pattern: str | None = None  # regular expression the text must match
    choices: tuple[str, ...] | None = None  # a closed code list; a CodeList carries titles
    scale: int | None = None  # decimals of a NUMBER
    references: str | None = None  # registry id a REFERENCE points to
    description: Text = field(default_factory=dict)
    # Computed at query time from the row, never stored nor written (e.g. a permit's status):
    # derived(alias, today) returns the SQL over row ``alias`` on the date ``today``.
    derived: Derivation | None = None
    derived_from: tuple[str, ...] = ()  # the columns a derived value is computed from
    # Optional faster form for views: (JOIN clause, expression over it) for row ``alias`` of
    # the table family in schema ``family`` (``registry``: the working copy, ``published``:
    # what the public sees), when ``derived`` needs a per-row subquery that a join answers.
    derived_join: Callable[[str, str], tuple[sql.Composable, sql.Composable]] | None = None
    indexed: bool = False  # a B-tree index: the field joins objects of two registries
    # the person the field is about (a holder's kind, name, codes and home address are one
    # person's): an import that names another person keeps none of the previous one's codes
    # and personal data on the object (``ingest.load``)
    person: str | None = None
    identifies: bool = False  # the field says who ``person`` is (a name, an EDRPOU, an RNOKPP)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", self.name):
            raise ValueError(f"field name {self.name!r} is not a lower-case identifier")
        if self.pattern is not None:
            re.compile(self.pattern)

    @property
    def column(self) -> str:
        return self.name

    @property
    def pattern_shape(self) -> str | None:
        r"""Return the field's pattern as people read it — a template in which 0 stands for a
        digit — or the pattern itself when it is more than digits and fixed characters (None
        without a pattern): a planner told "must match ^\d{10}:\d{2}:\d{3}:\d{4}$" is told
        nothing.

        >>> Field("n", pattern=r"^\d{10}:\d{2}:\d{3}:\d{4}$").pattern_shape
        '0000000000:00:000:0000'
        >>> Field("k", pattern=r"^UA\d{3}$").pattern_shape
        'UA000'
        >>> Field("z", pattern=r"^[А-Я]{1,3}-\d$").pattern_shape
        '^[А-Я]{1,3}-\\d$'
        """
        if self.pattern is None:
            return None
        shape = []
        for m in PATTERN_PART.finditer(self.pattern.removeprefix("^").removesuffix("$")):
            digits, times, escaped, plain = m.groups()
            if digits:
                shape.append("0" * int(times or 1))
            elif escaped or plain:
                shape.append(escaped or plain)
            else:
                return self.pattern
        return "".join(shape)

    def pattern_words(self, lang: str = "en") -> str:
        """Return the field's format as a message says it (``pattern_shape`` with what its 0s
        are), in ``lang`` (en, uk).

        >>> code = Field("n", pattern=r"^\\d{8}$")
        >>> code.pattern_words(), code.pattern_words("uk")
        ('00000000 (0 stands for a digit)', '00000000 (0 — будь-яка цифра)')
        """
        shape = self.pattern_shape or ""
        if shape == self.pattern or "0" not in shape:
            return shape
        return shape + (" (0 — будь-яка цифра)" if lang == "uk" else " (0 stands for a digit)")

    def choice_title(self, code: str, lang: str = "uk") -> str:
        """Return how people read ``code`` of this field's code list (the code itself when the
        list has no titles)."""
        if isinstance(self.choices, CodeList):
            return self.choices.title(code, lang)
        return code

    @property
    def mask(self) -> Text | None:
        """Return the public's stand-in for this field's personal value by language (the
        public views show it instead of a natural person's name), or None without one."""
        return self.personal_if.mask if self.personal_if else None

    @property
    def display(self) -> dict[str, Any]:
        """Return what a page needs to show this field's values — its title, type, code titles,
        the public's stand-in, decimals: the geoportal's cards (``app.portal``) and pygeoapi's
        pages (``ogc.html``) read the same.

        >>> Field("area", FieldType.NUMBER, {"uk": "Площа", "en": "Area"}, scale=2).display
        {'title': {'uk': 'Площа', 'en': 'Area'}, 'type': 'number', 'scale': 2}
        """
        out: dict[str, Any] = {"title": self.title or {"uk": self.name, "en": self.name},
                               "type": str(self.type)}
        if self.code_titles:
            out["codes"] = self.code_titles
        if self.mask:
            out["mask"] = dict(self.mask)
        if self.type is FieldType.NUMBER and self.scale is not None:
            out["scale"] = self.scale
        return out

    def stand_in(self, value: object, lang: str = "uk") -> str | None:
        """Return the public's stand-in for this field's personal value, in ``lang``, when
        ``value`` is it (the public views hold the Ukrainian one); None for any other value.

        >>> holder = Field("holder_name", personal_if=PersonalIf(
        ...     "holder_kind", "natural", {"uk": "фізична особа", "en": "private person"}))
        >>> holder.stand_in("фізична особа", "en"), holder.stand_in("ТОВ «Арка»", "en")
        ('private person', None)
        """
        mask = self.mask
        if mask is None or value != mask.get("uk"):
            return None
        return mask.get(lang, mask["uk"])

    @property
    def code_titles(self) -> dict[str, Text] | None:
        """Return ``{code: {"uk", "en"}}`` of the field's code list, or None without one."""
        if isinstance(self.choices, CodeList):
            return self.choices.as_dict()
        return None

    @property
    def is_public(self) -> bool:
        """Return True when the public may see this field (perhaps masked, see ``personal_if``)."""
        return not self.personal

    @property
    def is_stored(self) -> bool:
        """Return True when the field is a column of the table (not derived at query time)."""
        return self.derived is None


@dataclass(frozen=True)
class TileRule:
    """From ``min_zoom`` on (until the next rule), tiles carry the layer with ``keep``.

    ``keep`` names public fields or derived attributes (``status``, see registries.status).
    At low zooms a rule can keep tiles small: ``cluster_px`` merges the points of one
    screen cell of that many pixels (256-px tiles) into one feature with ``point_count``;
    ``simplify_px`` simplifies lines and polygons to that tolerance on screen; ``min_area_px``
    leaves out polygons smaller than that many square pixels.
    """

    min_zoom: int
    keep: tuple[str, ...] = ()
    cluster_px: int = 0
    simplify_px: float = 0.0
    min_area_px: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.min_zoom <= 24:
            raise ValueError(f"tile rule min_zoom {self.min_zoom} is outside 0–24")
        if self.cluster_px and 256 % self.cluster_px:
            raise ValueError(f"cluster_px {self.cluster_px} must divide 256 (cells align "
                             "with tiles)")


class Severity(StrEnum):
    """What a broken rule does to a write (``registries.rules``)."""

    ERROR = "error"  # the write is refused, whatever the path
    LEGACY = "legacy"  # refused, except in a legacy import (gis.legacy_import = on): reported
    WARNING = "warning"  # never refused: listed among the registry's problems


@dataclass(frozen=True)
class Rule:
    """A rule on a registry's objects, compiled into the database by ``registries.rules``.

    ``violations`` is SQL that selects ``id`` and ``message`` of every object of ``{rows}``
    (aliased ``n``) that breaks the rule. Placeholders: ``{rows}`` the objects checked,
    ``{table}`` the registry's live table, ``{name}`` SQL naming object ``n`` ("parcel
    6810100000:01:001:0001"), and one per key of ``params`` (SQL literals, or SQL itself when
    a psycopg ``Composable``; regular expressions with braces stay out of the template). ``on``
    lists the columns whose change re-checks an object on UPDATE; empty: every update does.
    ``description`` says in English what the rule checks (the error's detail, docs/rules.md),
    ``description_uk`` in Ukrainian (the staff's quality report titles its findings by it).
    """

    id: str
    description: str
    severity: Severity
    violations: str
    on: tuple[str, ...] = ()
    params: tuple[tuple[str, object], ...] = ()
    description_uk: str = ""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", self.id):
            raise ValueError(f"rule id {self.id!r} is not a lower-case identifier")
        if not self.description_uk:  # the staff's Ukrainian pages title findings by it
            raise ValueError(f"rule {self.id!r} has no Ukrainian description (description_uk)")


@dataclass(frozen=True)
class Reshaping:
    """How a registry's objects are split and merged (``registries.reshape``): the parts are
    new objects that inherit every field of their original(s) but ``clear`` and the unique
    ones (which the editor gives anew); merged objects must agree on ``merge_equal``."""

    clear: tuple[str, ...] = ()
    merge_equal: tuple[str, ...] = ()


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
    # the words a catalogue finds it by, in each language: {"uk": (…), "en": (…)}
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)
    tiles: tuple[TileRule, ...] = ()
    label: str | None = None  # the field that names an object in lists and messages
    schema: str = REGISTRY_SCHEMA
    public: bool = True  # False: staff only (e.g. networks under martial law)
    rules: tuple[Rule, ...] = ()  # besides those derived from the fields (registries.rules)
    noun: str | None = None  # one object in messages ("parcel"); default: from the id
    style: Style | None = None  # how it is drawn; None: registries.styles decides
    reshaping: Reshaping | None = None  # None: objects are not split or merged
    # the field that identifies an object across imports (upsert/replace match on it); None:
    # the first ``unique`` field, if any (see ``import_key``)
    key: str | None = None
    # the department accountable for it: its verifiers publish changes (registries.holders);
    # None means the GIS department (registries.holders.GIS_DEPARTMENT)
    holder: Holder | None = None

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"registry {self.id}: duplicate fields {sorted(duplicates)}")
        reserved = {"id", "geom", "geom_3857", "version", "sys_period", "changed_by",
                    "change_source", "verified_by", "verified_at", "published_at"} & set(names)
        if reserved:
            raise ValueError(f"registry {self.id}: reserved field names {sorted(reserved)}")
        for f in self.fields:
            if f.personal_if and f.personal_if.field not in names:
                raise ValueError(f"registry {self.id}: {f.name} depends on unknown field "
                                 f"{f.personal_if.field}")
        if self.label and self.label not in names:
            raise ValueError(f"registry {self.id}: label {self.label} is not a field")
        if self.reshaping:
            unknown = set(self.reshaping.clear + self.reshaping.merge_equal) - set(names)
            if unknown:
                raise ValueError(f"registry {self.id}: reshaping names unknown fields "
                                 f"{sorted(unknown)}")
        if self.key and (self.key not in names or not self.field(self.key).is_stored):
            raise ValueError(f"registry {self.id}: key {self.key} is not a stored field")

    def field(self, name: str) -> Field:
        """Return the field called ``name`` or raise KeyError."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"registry {self.id} has no field {name!r}")

    @property
    def import_key(self) -> Field | None:
        """Return the field that identifies an object across imports (cadastral number,
        permit number …): ``key``, else the first ``unique`` field; None when there is none.

        >>> from registries.catalog import default_catalog
        >>> default_catalog().get("land_parcels").import_key.name
        'cadastral_number'
        """
        if self.key:
            return self.field(self.key)
        return next((f for f in self.stored_fields if f.unique), None)

    @property
    def public_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.is_public)

    @property
    def stored_fields(self) -> tuple[Field, ...]:
        """Return the fields that are table columns (every field but the derived ones)."""
        return tuple(f for f in self.fields if f.is_stored)

    @property
    def object_noun(self) -> str:
        """Return how messages name one object: ``noun`` or the id without its plural 's'.

        >>> Registry("road_closures", {}, {}, "road_closure", GeometryKind.POINT, (),
        ...          "x").object_noun
        'road closure'
        """
        if self.noun:
            return self.noun
        singular = self.id[:-3] + "y" if self.id.endswith("ies") else self.id.removesuffix("s")
        return singular.replace("_", " ")

    @property
    def holder_department(self) -> Holder:
        """Return the department that holds ``reg`` (the GIS department unless declared)."""
        from registries.holders import GIS_DEPARTMENT

        return self.holder or GIS_DEPARTMENT

    @property
    def published_table(self) -> tuple[str, str]:
        """Return (schema, name) of the table of published (verified) versions."""
        return (PUBLISHED_SCHEMA, self.table)

    @property
    def pending_view(self) -> tuple[str, str]:
        """Return (schema, name) of the staff view of the working copy (pending changes)."""
        return (PENDING_SCHEMA, self.table)

    @property
    def staff_view(self) -> tuple[str, str]:
        """Return (schema, name) of the view staff read: every field, derived ones included, of
        the published versions."""
        return (STAFF_SCHEMA, self.table)

    @property
    def public_view(self) -> tuple[str, str]:
        """Return (schema, name) of the view that shows the public what it may see."""
        return (PUBLIC_SCHEMA, self.table)

    @property
    def history_table(self) -> tuple[str, str]:
        """Return (schema, name) of the table that keeps every past version of an object."""
        return (HISTORY_SCHEMA, self.table)
