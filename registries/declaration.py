"""Registries declared in YAML (``registries/declared/*.yml``): one file, no Python.

A file declares what a built-in registry declares in Python — id, titles, table, geometry,
fields (type, required, expected, personal or personal when another field says so,
searchable, temporal, pattern, choices), who edits it and which department holds it, tile
rules, a style and rules from a small vocabulary (``dates_ordered``, ``inside_community``,
``no_overlap``) — and yields the same ``Registry`` object. So it becomes an OGC collection, a
tile layer, a search target and an export column list like the built-in ones; its table comes
from an Alembic migration that ``gis db revision`` generates from the catalog
(docs/registries.md).

A field may be ``derived: {date_range: [from, until]}``: its value (``planned`` / ``active`` /
``ended``) follows from the date on every read, as a permit's status does.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from psycopg import sql

from gis.auth import Role
from registries.common import NATURAL_PERSON_MASK
from registries.holders import DEPARTMENTS, Holder, department
from registries.model import (
    CodeList,
    Derivation,
    Field,
    FieldType,
    GeometryKind,
    PersonalIf,
    Registry,
    Rule,
    TileRule,
)
from registries.rules import dates_ordered, inside_community, no_overlap
from registries.styles import Style

DECLARED = Path(__file__).with_name("declared")
REGISTRY_KEYS = {"id", "title", "description", "table", "geometry", "group", "noun", "label",
                 "key", "edit_roles", "keywords", "fields", "rules", "tiles", "style", "public",
                 "holder"}
FIELD_KEYS = {"name", "type", "title", "required", "expected", "personal", "personal_if",
              "searchable", "temporal", "unique", "pattern", "choices", "scale", "references",
              "description", "derived", "person", "identifies"}
DATE_RANGE_STATUSES = CodeList([  # capitalised as a permit's (registries.status), shown alike
    ("planned", "Заплановано", "Planned"),
    ("active", "Діє", "Active"),
    ("ended", "Завершено", "Ended"),
])


class DeclarationError(ValueError):
    """A YAML declaration that cannot become a registry; the message names file and key."""


def _text(value: Any, where: str) -> dict[str, str]:
    if isinstance(value, str):
        return {"uk": value, "en": value}
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return {str(k): v for k, v in value.items()}
    raise DeclarationError(f"{where}: expected a text or {{uk: ..., en: ...}}")


def _keywords(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    """Return a registry's keywords by language: ``{uk: [...], en: [...]}``.

    >>> _keywords({"uk": ["дороги"], "en": ["roads"]}, "x")
    {'uk': ('дороги',), 'en': ('roads',)}
    """
    if isinstance(value, dict) and all(isinstance(v, list) for v in value.values()) \
            and set(value) <= {"uk", "en"}:
        return {str(k): tuple(str(w) for w in v) for k, v in value.items()}
    raise DeclarationError(f"{where}: expected {{uk: [...], en: [...]}} (a catalogue shows "
                           "each language's own words)")


def _choices(value: Any, where: str) -> tuple[str, ...]:
    """Return a field's code list: ``[a, b]`` (codes only) or ``{a: {uk: …, en: …}, …}`` /
    ``{a: "назва"}`` (codes with titles, the way people read them)."""
    if isinstance(value, list) and value:
        return tuple(str(c) for c in value)
    if isinstance(value, dict) and value:
        items = []
        for code, title in value.items():
            text = _text(title, f"{where} {code!r}")
            items.append((str(code), text.get("uk", str(code)), text.get("en", str(code))))
        return CodeList(items)
    raise DeclarationError(f"{where}: expected a list of codes or {{code: {{uk: …, en: …}}}}")


def date_range_status(start: str, end: str) -> Derivation:
    """Return the derivation of ``planned`` / ``active`` / ``ended`` from two date fields."""
    def derive(alias: str, today: sql.Composable) -> sql.Composable:
        a, b = (sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(c))
                for c in (start, end))
        return sql.SQL("CASE WHEN {today} < {a} THEN 'planned' WHEN {b} IS NULL OR {today} <= {b}"
                       " THEN 'active' ELSE 'ended' END").format(today=today, a=a, b=b)
    return derive


def _derivation(spec: Any, where: str) -> tuple[Derivation, tuple[str, ...], tuple[str, ...]]:
    if (isinstance(spec, dict) and list(spec) == ["date_range"]
            and isinstance(spec["date_range"], list) and len(spec["date_range"]) == 2):
        start, end = (str(x) for x in spec["date_range"])
        return date_range_status(start, end), DATE_RANGE_STATUSES, (start, end)
    raise DeclarationError(f"{where}: derived must be {{date_range: [from_field, until_field]}}")


def _field(spec: Any, where: str) -> Field:
    if not isinstance(spec, dict) or "name" not in spec:
        raise DeclarationError(f"{where}: a field needs at least a name")
    where = f"{where} {spec['name']!r}"
    unknown = set(spec) - FIELD_KEYS
    if unknown:
        raise DeclarationError(f"{where}: unknown keys {sorted(unknown)}; known: "
                               f"{sorted(FIELD_KEYS)}")
    try:
        kind = FieldType(spec.get("type", "text"))
    except ValueError:
        raise DeclarationError(f"{where}: type must be one of "
                               f"{[t.value for t in FieldType]}") from None
    args: dict[str, Any] = {k: spec[k] for k in ("required", "expected", "personal", "searchable",
                                                  "temporal", "unique", "pattern", "scale",
                                                  "references", "person", "identifies")
                            if k in spec}
    if "choices" in spec:
        args["choices"] = _choices(spec["choices"], f"{where} choices")
    if not isinstance(spec.get("person", ""), str) or not isinstance(
            spec.get("identifies", False), bool) or (spec.get("identifies") and
                                                     "person" not in spec):
        raise DeclarationError(f"{where}: person is the name of the person the field is about "
                               "(holder, contact …); identifies: true needs it")
    if "personal_if" in spec:
        p = spec["personal_if"]
        if not isinstance(p, dict) or {"field", "equals"} - set(p):
            raise DeclarationError(f"{where}: personal_if needs field and equals")
        # mask: null hides the value without a stand-in; none given: «фізична особа»
        mask = p.get("mask", NATURAL_PERSON_MASK)
        args["personal_if"] = PersonalIf(str(p["field"]), str(p["equals"]),
                                         None if mask is None else _text(mask, where))
    if "derived" in spec:
        args["derived"], args["choices"], args["derived_from"] = _derivation(spec["derived"],
                                                                             where)
    for key in ("title", "description"):
        if key in spec:
            args[key] = _text(spec[key], f"{where} {key}")
    try:
        return Field(str(spec["name"]), kind, **args)
    except (TypeError, ValueError) as exc:
        raise DeclarationError(f"{where}: {exc}") from None


# each takes the rule's argument and the Ukrainian titles of the registry's fields
RULES: dict[str, Callable[[Any, dict[str, str]], Rule]] = {
    "dates_ordered": lambda v, titles: dates_ordered(str(v[0]), str(v[1]), titles_uk=titles),
    "inside_community": lambda v, _: inside_community(float(v)),
    "no_overlap": lambda v, _: no_overlap(float(v)),
}


def _rule(spec: Any, where: str, titles: dict[str, str]) -> Rule:
    if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in RULES:
        raise DeclarationError(f"{where}: a rule is one of {sorted(RULES)} with its argument")
    name, value = next(iter(spec.items()))
    try:
        return RULES[name](value, titles)
    except (TypeError, ValueError, IndexError) as exc:
        raise DeclarationError(f"{where}: {name}: {exc}") from None


def _style(spec: Any, where: str) -> Style:
    if not isinstance(spec, dict) or "colour" not in spec:
        raise DeclarationError(f"{where}: style needs at least a colour")
    try:
        return Style(**spec)
    except TypeError as exc:
        raise DeclarationError(f"{where}: {exc}") from None


def _holder(spec: Any, where: str) -> Holder:
    """Return the holder a declaration names: a known department's code (``trade``) or a
    department of its own, ``{code: …, title: {uk: …, en: …}}``."""
    if isinstance(spec, str):
        try:
            return department(spec)
        except KeyError:
            raise DeclarationError(f"{where}: unknown department {spec!r}; known: "
                                   f"{[d.code for d in DEPARTMENTS]}, or declare one as "
                                   "{code: …, title: {uk: …, en: …}}") from None
    if isinstance(spec, dict) and set(spec) == {"code", "title"} and isinstance(spec["code"], str):
        return Holder(spec["code"], _text(spec["title"], f"{where} title"))
    raise DeclarationError(f"{where}: holder is a department code or {{code: …, title: …}}")


def registry_from_mapping(doc: Any, where: str) -> Registry:
    """Return the Registry a parsed YAML document declares, or raise DeclarationError."""
    if not isinstance(doc, dict):
        raise DeclarationError(f"{where}: the file must hold one mapping")
    unknown = set(doc) - REGISTRY_KEYS
    missing = {"id", "title", "table", "geometry", "fields"} - set(doc)
    if unknown or missing:
        raise DeclarationError(f"{where}: unknown keys {sorted(unknown)}, missing keys "
                               f"{sorted(missing)}")
    try:
        geometry = GeometryKind(doc["geometry"])
        roles = frozenset(Role(r) for r in doc.get("edit_roles", ["admin"]))
    except ValueError as exc:
        raise DeclarationError(f"{where}: {exc}") from None
    try:
        fields = tuple(_field(f, f"{where} field") for f in doc["fields"])
        titles = {f.name: f.title.get("uk", f.name) for f in fields}
        return Registry(
            id=str(doc["id"]), title=_text(doc["title"], f"{where} title"),
            description=_text(doc.get("description", doc["title"]), f"{where} description"),
            table=str(doc["table"]), geometry=geometry,
            fields=fields,
            group=str(doc.get("group", "other")), edit_roles=roles,
            keywords=_keywords(doc.get("keywords", {}), f"{where} keywords"),
            tiles=tuple(TileRule(int(t["min_zoom"]), tuple(t.get("keep", ())))
                        for t in doc.get("tiles", ())),
            label=doc.get("label"), noun=doc.get("noun"), public=bool(doc.get("public", True)),
            key=doc.get("key"),
            rules=tuple(_rule(r, f"{where} rule", titles) for r in doc.get("rules", ())),
            style=_style(doc["style"], f"{where} style") if "style" in doc else None,
            holder=_holder(doc["holder"], f"{where} holder") if "holder" in doc else None)
    except DeclarationError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise DeclarationError(f"{where}: {exc}") from None


def load_registry(path: Path) -> Registry:
    """Return the registry declared in the YAML file ``path``."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DeclarationError(f"{path.name}: not valid YAML: {exc}") from None
    reg = registry_from_mapping(doc, path.name)
    if path.stem != reg.id:
        raise DeclarationError(f"{path.name}: the file must be named after its id ({reg.id}.yml)")
    return reg


@lru_cache(maxsize=8)
def declared_registries(folder: Path = DECLARED) -> tuple[Registry, ...]:
    """Return the registries declared in ``folder`` (``*.yml``, by file name).

    >>> [r.id for r in declared_registries()]
    ['accessibility_objects', 'road_closures', 'water_bodies']
    """
    return tuple(load_registry(p) for p in sorted(folder.glob("*.yml")))
