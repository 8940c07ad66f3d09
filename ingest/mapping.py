"""Which column of a file fills which field of a registry, and how its values become the
registry's values (code-list titles → codes, decimal commas, dd.mm.yyyy dates …).

Automatic by name: the field's name (or its first 10 characters, as a Shapefile cuts it),
its Ukrainian or English title, or a column name councils commonly use (``KADNUM``,
``ПЛОЩА``). A small YAML file overrides it::

    fields:                  # registry field: file column (null: do not import)
      cadastral_number: KN
      holder_name: null
    values:                  # registry field: {value in the file: code}
      ownership_form: {"приватна власність": "100", "КОМ": "300"}
    set:                     # one value for every row
      category: "200"
"""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from gis.errors import InvalidFile, InvalidParameter
from gis.params import shown
from gis.text import UNSAFE
from registries.model import (
    MAX_TEXT_CHARS,
    CodeList,
    Field,
    FieldType,
    Registry,
    clean_text,
    text_problem,
)

# column names councils' files use for a field besides its name and titles (normalised)
ALIASES: dict[str, tuple[str, ...]] = {
    "cadastral_number": ("cadnum", "cad_num", "kadnum", "kad_num", "kadastr", "kn",
                         "cadastral", "кадастровий_номер", "кад_номер", "кадномер", "kad_nomer"),
    "category": ("kategoria", "kategoriya", "cat", "categ", "категорія", "kateg"),
    "purpose_code": ("purpose", "cilpr", "kvcpz", "code_purpose", "цільове_призначення",
                     "кодцп", "kod_cp", "kvcpz_code", "квцпз", "код_квцпз"),
    "purpose_text": ("use", "purpose_txt", "призначення", "використання"),
    "ownership_form": ("ownership", "vlasnist", "vlasn", "forma_vl", "форма_власності",
                       "власність"),
    "area_declared_ha": ("area", "area_ha", "ploshcha", "площа", "площа_га", "s_ha"),
    "holder_name": ("owner", "vlasnyk", "власник", "користувач", "koristuvach"),
    "holder_kind": ("kind", "owner_kind", "holder_kin", "вид_особи", "тип_особи"),
    "holder_edrpou": ("edrpou", "єдрпоу"),
    "permit_number": ("permit", "nomer_dozvolu", "номер_дозволу", "dozvil"),
    "passport_number": ("passport", "номер_паспорта", "pasport"),
    "spot_number": ("spot", "номер_місця", "misce"),
    "quarter_number": ("quarter", "kvartal", "кадастровий_квартал"),
    "house_number": ("house", "nomer", "номер_будинку", "budynok", "будинок"),
    "postal_code": ("zip", "postcode", "індекс", "index"),
}
TRUE_WORDS = {"true", "t", "yes", "y", "1", "так", "т", "да", "+"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "ні", "н", "нет", "-"}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%y", "%Y%m%d")


def normalise(name: str) -> str:
    """Return a column name or title reduced for matching: lower case, words joined by _.

    >>> normalise(" Кадастровий  номер "), normalise("AREA_HA"), normalise("Форма власності")
    ('кадастровий_номер', 'area_ha', 'форма_власності')
    """
    text = name.strip().lower().replace("'", "").replace("ʼ", "").replace("’", "")
    return re.sub(r"[^\w]+", "_", text).strip("_")


@dataclass(frozen=True)
class FieldMap:
    """A registry field and where its values come from."""

    field: Field
    column: str | None  # the file's column, or None for a constant (``set``)
    how: str  # name | title | alias | short name | yaml | set | drawing text
    constant: Any = None
    values: dict[str, str] = dataclasses.field(default_factory=dict)  # explicit value → code


@dataclass
class Mapping:
    """The field mapping of one import."""

    fields: list[FieldMap]
    ignored: list[str]  # file columns no field takes
    missing: list[Field]  # stored fields the file does not fill

    def as_dict(self) -> list[dict[str, Any]]:
        return [{"field": m.field.name, "column": m.column, "how": m.how,
                 **({"value": m.constant} if m.column is None else {})} for m in self.fields]


class _Loader(yaml.SafeLoader):
    """YAML's safe loader without its timestamps: a date stays the text written, which the
    import reads and checks as every file's dates (``2024-02-30`` would be Python's
    ValueError from inside YAML, not a line of the mapping)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def load_overrides(path: Path | None) -> dict[str, Any]:
    """Return the YAML mapping file's content, checked for its three sections."""
    if path is None:
        return {}
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
    except UnicodeDecodeError as exc:  # (the decoder's own text names no file and no cure)
        line = exc.object[:exc.start].count(b"\n") + 1
        raise InvalidFile(f"{path.name}: line {line} of the mapping file is not UTF-8 text; "
                          "save it as UTF-8 (in Notepad: Save as, Encoding UTF-8)",
                          file=path.name, row=line) from None
    except yaml.MarkedYAMLError as exc:  # one line: what, and where (YAML's own text is a
        # few lines quoting the file with a caret under the place)
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = exc.problem or exc.context or "not YAML"
        raise InvalidFile(f"{path.name}: not a readable YAML mapping: {where}{what}",
                          file=path.name, row=mark.line + 1 if mark else None) from None
    except (OSError, yaml.YAMLError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise InvalidFile(f"{path.name}: not a readable YAML mapping: {reason}",
                          file=path.name) from None
    if not isinstance(doc, dict) or set(doc) - {"fields", "values", "set"}:
        raise InvalidFile(f"{path.name}: a mapping file has the sections fields, values and "
                          "set (see docs/ingest.md)", file=path.name)
    for section, shape in SECTION_SHAPES.items():
        if not _shaped(doc.get(section), section):
            raise InvalidFile(f"{path.name}: the section {section} must be {shape} (see "
                              "docs/ingest.md)", file=path.name)
    return doc


SECTION_SHAPES = {"fields": "pairs of field: column (a column's name, or null)",
                  "set": "pairs of field: value",
                  "values": "a field: followed by pairs of value in the file: code"}


def _shaped(part: Any, section: str) -> bool:
    """Return True when ``part`` (a mapping file's section, or None) has its section's shape:
    a dict of names to a column name (fields), a plain value (set) or a dict of plain values
    (values).

    >>> _shaped({"cadastral_number": "KADNUM", "area_ha": None}, "fields"), _shaped(None, "set")
    (True, True)
    >>> _shaped("KADNUM", "fields"), _shaped({"ownership_form": [1, 2]}, "values")
    (False, False)
    """
    if part is None:
        return True
    if not isinstance(part, dict) or not all(isinstance(k, str) for k in part):
        return False
    plain = (str, int, float, bool, date, type(None))
    if section == "fields":
        return all(isinstance(v, str | None) for v in part.values())
    if section == "set":
        return all(isinstance(v, plain) for v in part.values())
    return all(v is None or (isinstance(v, dict) and all(
        isinstance(a, plain) and isinstance(b, plain) for a, b in v.items()))
        for v in part.values())


def build_mapping(reg: Registry, columns: list[str], overrides: dict[str, Any], *,
                  drawing: bool = False, keep_ids: bool = False, display: str = "") -> Mapping:
    """Return how ``columns`` of a file (``display`` in messages) fill ``reg``'s stored
    fields."""
    stored = {f.name: f for f in reg.stored_fields}
    explicit: dict[str, Any] = dict(overrides.get("fields") or {})
    constants: dict[str, Any] = dict(overrides.get("set") or {})
    values: dict[str, dict[str, str]] = {k: {str(a): str(b) for a, b in (v or {}).items()}
                                         for k, v in (overrides.get("values") or {}).items()}
    for name in (*explicit, *constants, *values):
        if name not in stored:
            raise InvalidParameter(f"the mapping names {name!r}, which {reg.id} does not have "
                                   f"(its fields: {', '.join(stored)})")
    for name in values:  # else the pairs would be ignored without a word
        if not (stored[name].type is FieldType.TEXT and stored[name].choices):
            raise InvalidParameter(f"the mapping's values: gives codes for {name}, which has no "
                                   f"code list in {reg.id}: its values are taken as the file "
                                   "has them; remove the field from values:")
    for name in explicit:
        if name in constants:  # set: would win and the column be read for nothing
            raise InvalidParameter(f"the mapping gives {name} both under fields: (column "
                                   f"{explicit[name]!r}) and under set: (value "
                                   f"{constants[name]!r}); keep one of them")
    for name, column in explicit.items():
        if column is not None and column not in columns:
            raise InvalidParameter(f"the mapping takes {name} from column {column!r}, which the "
                                   f"file does not have (its columns: {', '.join(columns)})")
    taken: set[str] = set()
    out: list[FieldMap] = []
    exported = export_short_names(reg, columns)
    for name, f in stored.items():
        if name in constants:
            out.append(FieldMap(f, None, "set", constant=constants[name]))
            continue
        if name in explicit:
            if explicit[name] is not None:
                _check_one_column(explicit[name], columns, name, display)
                out.append(FieldMap(f, explicit[name], "yaml", values=values.get(name, {})))
                taken.add(explicit[name])
            continue
        found = _auto_column(f, columns, taken, exported.get(name), display)
        if found is not None:
            _check_one_column(found[0], columns, name, display)
            out.append(FieldMap(f, found[0], found[1], values=values.get(name, {})))
            taken.add(found[0])
    key = reg.import_key
    if drawing and key is not None and "text" in columns and "text" not in taken \
            and not any(m.field.name == key.name for m in out):
        out.append(FieldMap(key, "text", "drawing text"))
        taken.add("text")
    if keep_ids:
        taken.add(_id_column(columns))
    mapped = {m.field.name for m in out}
    # (a column without a name — the empty ones after Excel's last — is nothing to report)
    ignored = [c for c in columns if c not in taken and not c.startswith("__") and c.strip()]
    return Mapping(out, ignored, [f for n, f in stored.items() if n not in mapped])


def _id_column(columns: list[str]) -> str:
    for c in columns:
        if normalise(c) in ("id", "fid", "object_id"):
            return c
    raise InvalidParameter("--keep-ids needs an id column in the file")


def id_column(columns: list[str]) -> str:
    """Return the file's id column (for ``--keep-ids``)."""
    return _id_column(columns)


def export_short_names(reg: Registry, columns: list[str]) -> dict[str, str]:
    """Return the column names our own Shapefile export of ``reg`` gives its fields when
    ``columns`` are those of one (public, or staff with personal fields): 10 characters,
    made unique by number in the export's field order (``distributor_name`` →
    ``distribu_1``), so they map back whatever the order the registry declares them in."""
    from ingest.export import exported_fields, short_names

    present = {normalise(c) for c in columns}
    for personal in (True, False):  # the staff export's columns include the public ones
        names = short_names(["id", *(f.name for f in exported_fields(reg, personal))])
        if {normalise(n) for n in names.values()} <= present:
            return names
    return {}


def _where(display: str) -> str:
    return f"{display}: " if display else ""


def _check_one_column(column: str, columns: list[str], name: str, display: str) -> None:
    """Refuse a column the file's header names twice: a row's values are read by column name,
    so only the last of them would be read, whatever a mapping file says."""
    if columns.count(column) > 1:
        raise InvalidFile(f"{_where(display)}the header names the column {column!r} "
                          f"{columns.count(column)} times, which would fill the "
                          f"field {name} with the last one's values only; rename the others in "
                          "the file", file=display, field=name)


def _auto_column(f: Field, columns: list[str], taken: set[str],
                 exported: str | None = None, display: str = "") -> tuple[str, str] | None:
    """Return the column that fills ``f`` and how it was found, or None; raise InvalidFile
    when several columns match it alike (``name`` and ``NAME``): the last one won unseen."""
    free = [c for c in columns if c not in taken]
    by_norm: dict[str, list[str]] = {}
    for c in free:
        found = by_norm.setdefault(normalise(c), [])
        if c not in found:
            found.append(c)

    def hit(candidate: str) -> str | None:
        alike = by_norm.get(normalise(candidate))
        if not alike:
            return None
        if len(alike) > 1:
            both = " and ".join(repr(c) for c in alike)
            raise InvalidFile(f"{_where(display)}the columns {both} would both fill the field "
                              f"{f.name}; choose one in a mapping file (--mapping) under "
                              f"fields:, e.g. fields: {{{f.name}: {alike[0]}}}",
                              file=display, field=f.name)
        return alike[0]

    tries: list[tuple[str, str]] = [(f.name, "name")]
    tries += [(t, "title") for t in (f.title.get("uk", ""), f.title.get("en", "")) if t]
    tries += [(a, "alias") for a in ALIASES.get(f.name, ())]
    if exported is not None:
        tries.append((exported, "short name"))
    if len(f.name) > 10:  # a Shapefile keeps 10 characters of a column name
        tries.append((f.name[:10], "short name"))  # "structure_kind" → "structure_"
    for candidate, how in tries:
        column = hit(candidate)
        if column is not None:
            return column, how
    return None


# -- values ---------------------------------------------------------------------------------

class ValueProblem(Exception):
    """A value that cannot become the field's type; the message says why."""


def code_for(choices: tuple[str, ...], value: str, explicit: dict[str, str]) -> str:
    """Return the code a file's value stands for: the code itself, an explicit mapping, a
    title (Ukrainian or English, any case), or a title its words start with; else the value.

    >>> from registries.parcels import OWNERSHIP_FORMS, CATEGORIES
    >>> code_for(OWNERSHIP_FORMS, "Комунальна власність", {}), code_for(OWNERSHIP_FORMS, "300", {})
    ('300', '300')
    >>> code_for(CATEGORIES, "землі житлової та громадської забудови", {})
    '200'
    >>> from registries.common import PARTY_KINDS
    >>> code_for(PARTY_KINDS, "Фізична особа-підприємець Іваненко", {})
    'sole_proprietor'
    >>> ramps = CodeList([("ramp", "пандус", "ramp")])
    >>> code_for(ramps, "Пандус біля входу", {}), code_for(ramps, "Пандусище", {})
    ('ramp', 'Пандусище')
    """
    text = value.strip()
    if text in choices:
        return text
    if text in explicit:
        return explicit[text]
    low = normalise(text)
    for k, v in explicit.items():
        if normalise(k) == low:
            return v
    if isinstance(choices, CodeList) and low:
        titles = {code: [normalise(t) for t in choices.titles[code].values() if t]
                  for code in choices}
        exact = [c for c, ts in titles.items() if low in ts]
        if len(exact) == 1:
            return exact[0]
        # a title followed by more words ("Комунальна власність" for "Комунальна"), never
        # by more letters of a word: "пандусище" is not a "пандус" (ramp); of two titles the
        # text starts with, the longer says more ("фізична особа-підприємець Іваненко")
        near = {(len(t), c) for c, ts in titles.items() for t in ts
                if low.startswith(t) and not low[len(t):len(t) + 1].isalnum()}
        if near:
            longest = [c for n, c in near if n == max(near)[0]]
            if len(longest) == 1:
                return longest[0]
    return text


def convert(f: Field, value: Any, explicit: dict[str, str] | None = None) -> Any:
    """Return a file's value as the field's Python value (None for empty), or raise
    ValueProblem with the reason.

    >>> from registries.model import Field, FieldType
    >>> convert(Field("a", FieldType.NUMBER, scale=2), "12,345"), \\
    ...     convert(Field("d", FieldType.DATE), "31.01.2025")
    (Decimal('12.35'), datetime.date(2025, 1, 31))
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    if hasattr(value, "tolist") and not isinstance(value, str):  # a numpy array (or scalar)
        value = value.tolist()
    if isinstance(value, list | tuple | dict) and f.type is not FieldType.JSON:
        what = "an object" if isinstance(value, dict) else "a list"
        raise ValueProblem(f"{shown(value, json_strings=True)} is {what}, not one value")
    match f.type:
        case FieldType.TEXT:
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, datetime | date):
                value = value.isoformat()
            text = clean_text(str(value))
            _check_text(text)
            if f.choices:
                text = code_for(f.choices, text, explicit or {})
            return text
        case FieldType.INTEGER:
            try:
                number = Decimal(str(value).replace(",", ".").replace(" ", ""))
            except InvalidOperation:
                raise ValueProblem(f"{value!r} is not a whole number") from None
            if not number.is_finite() or number != number.to_integral_value():
                raise ValueProblem(f"{value!r} is not a whole number")
            if abs(number) > 2**31 - 1:
                raise ValueProblem(f"{value!r} is out of range (at most ±2147483647)")
            return int(number)
        case FieldType.NUMBER:
            try:
                number = Decimal(str(value).replace("\u00a0", "").replace(" ", "")
                                 .replace(",", "."))
            except InvalidOperation:
                raise ValueProblem(f"{value!r} is not a number") from None
            if not number.is_finite():
                raise ValueProblem(f"{value!r} is not a number")
            if number and number.adjusted() >= 12:  # before quantize: 1e308 overflows it
                raise ValueProblem(f"{value!r} is too large")
            quantised = number.quantize(Decimal(1).scaleb(-(f.scale or 2)), ROUND_HALF_UP)
            if len(quantised.as_tuple().digits) - (f.scale or 2) > 12:
                raise ValueProblem(f"{value!r} is too large")
            return quantised
        case FieldType.DATE:
            return _date(value)
        case FieldType.BOOLEAN:
            word = str(value).strip().lower()
            if isinstance(value, bool):
                return value
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
            raise ValueProblem(f"{value!r} is not yes/no (так/ні)")
        case FieldType.JSON:
            if isinstance(value, str):
                try:
                    json.loads(value)
                except ValueError:
                    return json.dumps(value, ensure_ascii=False)
                return value
            return json.dumps(value, ensure_ascii=False, default=str)
        case FieldType.REFERENCE:
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            return str(value).strip()
    raise ValueProblem(f"unsupported field type {f.type}")


def _check_text(text: str) -> None:
    why = text_problem(text)
    if why:
        raise ValueProblem(why)


def _text_ok(value: str) -> bool:
    return text_problem(value) is None


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text)  # the common case, fast
    except ValueError:
        pass
    if "T" in text:
        text = text.split("T", 1)[0]
    elif " " in text and ":" in text:
        text = text.split(" ", 1)[0]
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueProblem(f"{value!r} is not a date (YYYY-MM-DD or DD.MM.YYYY)")


Problems = list[tuple[int, str]]  # (index in the batch, reason)


def column_converter(f: Field, explicit: dict[str, str] | None = None
                     ) -> Callable[[list[Any]], tuple[list[Any], Problems]]:
    """Return a function converting a column of file values to the field's values at once.

    The values GDAL already typed (numbers, dates) pass through; text is stripped, code-list
    titles become codes (each distinct value looked up once); everything else goes through
    :func:`convert`, whose reasons come back with the value's index.

    >>> from registries.model import Field, FieldType
    >>> column_converter(Field("n", FieldType.NUMBER, scale=2))([1.5, " 2,25 ", "x", None])
    ([1.5, Decimal('2.25'), None, None], [(2, "'x' is not a number")])
    >>> [i for i, _ in column_converter(Field("d", FieldType.DATE))(["02.01.2024", "x", None,
    ...                                                              "x"])[1]]
    [1, 3]
    """
    cache: dict[Any, Any] = {}
    plain_text = f.type is FieldType.TEXT and not f.choices

    def slow(value: Any) -> tuple[Any, str | None]:
        key = (type(value), value)
        try:
            found = cache.get(key)
        except TypeError:  # a list or an object (a GeoJSON property's): no key of a dict
            try:
                return convert(f, value, explicit), None
            except ValueProblem as exc:
                return None, str(exc)
        if found is None:
            try:
                found = (convert(f, value, explicit), None)
            except ValueProblem as exc:
                found = (None, str(exc))
            if len(cache) > 50_000:  # a column of unique values: stop remembering them
                cache.clear()
            cache[key] = found
        return found

    def run(values: list[Any]) -> tuple[list[Any], Problems]:
        if plain_text:  # the common column: text as GDAL read it, one pass in C loops
            if all(v.__class__ is str or v is None for v in values):
                texts = [v for v in values if v is not None]
                # checked as a whole: a space composes with nothing, so the column is NFC
                # exactly when every value is; a control character (a line break inside a
                # value …) sends the column the slow way, where each value is stripped first
                joined = " ".join(texts)
                if not texts or max(map(len, texts)) <= MAX_TEXT_CHARS and \
                        "\x00" not in joined and UNSAFE.search(joined) is None and \
                        unicodedata.is_normalized("NFC", joined):
                    return [v.strip() or None if v is not None else None for v in values], []
        elif all(v.__class__ is str or v is None for v in values):
            # codes, dates, numbers as text: each distinct value converted once
            memo = {v: slow(v) for v in set(values) if v is not None}
            return ([memo[v][0] if v is not None else None for v in values],
                    [(i, memo[v][1] or "") for i, v in enumerate(values)
                     if v is not None and memo[v][1]])
        if f.type is FieldType.REFERENCE:  # ids as GDAL typed them (float: a column with NULLs)
            if all(v.__class__ is int or v is None for v in values):
                return [str(v) if v is not None else None for v in values], []
            if all(v is None or v.__class__ is float and v.is_integer() and abs(v) < 2**31
                   for v in values):
                return [str(int(v)) if v is not None else None for v in values], []
        out: list[Any] = []
        problems: Problems = []
        for i, v in enumerate(values):
            if v is None:
                out.append(None)
            elif plain_text and isinstance(v, str) and _text_ok(v):
                out.append(clean_text(v) or None)
            elif f.type is FieldType.NUMBER and isinstance(v, float | int) \
                    and not isinstance(v, bool) and abs(v) < 1e10:
                out.append(v)  # PostgreSQL rounds it to the column's scale (half away from 0)
            elif f.type is FieldType.DATE and isinstance(v, date):
                out.append(v if not isinstance(v, datetime) else v.date())
            elif f.type is FieldType.INTEGER and isinstance(v, int) and not isinstance(v, bool) \
                    and abs(v) < 2**31:
                out.append(v)
            elif f.type is FieldType.REFERENCE and isinstance(v, int) and not isinstance(v, bool):
                out.append(str(v))
            elif f.type in (FieldType.REFERENCE, FieldType.INTEGER) and isinstance(v, float) \
                    and v.is_integer() and abs(v) < 2**31:  # a whole-number column with NULLs
                out.append(str(int(v)) if f.type is FieldType.REFERENCE else int(v))
            else:
                value, reason = slow(v)
                out.append(value)
                if reason:
                    problems.append((i, reason))
        return out, problems

    return run
