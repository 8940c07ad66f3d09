"""How residents' queries and street names are folded for search (domain §4.3).

A street name and a typed query become the same *search key*: lower case, apostrophes
(ʼ ’ ' `) dropped, Russian letters folded to Ukrainian, and everything transliterated to Latin
by the official rules (CMU No. 55 of 27.01.2010), so that ``Кам’янецька``, ``кам'янецька`` and
``Kamianetska`` meet, and a typo stays a small trigram distance away. Street-type words
(вул., вулиця, просп., пров., бульв. …, also Russian and Latin forms) are taken out of the
query and kept as a hint. The key is computed in SQL for the stored names by
:func:`search_key_sql`, generated from the same tables, and a test checks the two agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from registries.addresses.house_number import parse_house_number
from registries.model import composed

APOSTROPHES = "'ʼ’`‘′´"
RUSSIAN = {"ё": "е", "ы": "и", "э": "е", "ъ": ""}
# CMU No. 55: letters with a different form at the start of a word, then every other letter.
INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
MULTI = {"ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "є": "ie",
         "ю": "iu", "я": "ia", "ї": "i", "й": "i", "ь": ""}
SINGLE = ("абвгґдезиіклмнопрстуф", "abvhgdezyiklmnoprstuf")
LETTERS = "a-zа-яґєії"  # what counts as a letter when deciding "start of a word"

# Street-type words as people write them → the registry's street type (registries.addresses).
STREET_TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "вулиця": ("вулиця", "вул", "вулиці", "ул", "улица", "vul", "vulytsia", "vulitsa",
               "ulitsa", "ulica", "ul", "street", "st", "str"),
    "провулок": ("провулок", "пров", "пров-к", "провулку", "переулок", "пер", "prov",
                 "provulok", "pereulok", "per", "lane", "ln"),
    "проспект": ("проспект", "просп", "пр-т", "пр-кт", "пр", "prosp", "prospekt", "pr",
                 "avenue", "ave", "av"),
    "бульвар": ("бульвар", "бульв", "б-р", "бул", "bulvar", "bulv", "blvd", "boulevard"),
    "площа": ("площа", "пл", "площадь", "ploshcha", "pl", "square", "sq"),
    "майдан": ("майдан", "maidan"),
    "проїзд": ("проїзд", "пр-д", "проезд", "proizd", "proezd"),
    "тупик": ("тупик", "туп", "tupyk", "tupik"),
    "узвіз": ("узвіз", "узв", "uzviz"),
    "шосе": ("шосе", "шоссе", "shose", "shosse", "highway", "hwy"),
    "набережна": ("набережна", "наб", "набережная", "naberezhna", "embankment"),
    "алея": ("алея", "аллея", "ал", "aleia", "alley"),
    "в'їзд": ("в'їзд", "вїзд", "въезд", "vizd", "vyizd"),
    "спуск": ("спуск", "spusk"),
}
TYPE_BY_WORD = {w: t for t, words in STREET_TYPE_WORDS.items() for w in words}
# Words that name the place or the building, not the street; dropped from queries.
NOISE_WORDS = frozenset((
    "україна", "украина", "ukraine", "область", "обл", "oblast", "буд", "будинок", "б", "д",
    "дом", "bud", "house", "no", "н", "місто", "город", "city", "м", "г",
))


def fold_apostrophes(text: str) -> str:
    """Return ``text`` with every apostrophe variant as the ASCII one.

    >>> fold_apostrophes("Кам’янецька") == fold_apostrophes("Камʼянецька") == "Кам'янецька"
    True
    """
    return text.translate(str.maketrans(APOSTROPHES, "'" * len(APOSTROPHES)))


# Latin and Cyrillic capitals that look alike: a permit number copied from paper on a Latin
# keyboard («XM-2022-0001», «TC-…») is the registry's «ХМ-2022-0001», and a Cyrillic query
# finds a number some clerk typed with Latin letters. ``~*`` compares without case, so one
# class per pair covers both cases.
LOOKALIKES = ("ABCEHIKMOPTXY", "АВСЕНІКМОРТХУ")
_LOOKALIKE_CLASS = {ch: f"[{latin}{cyrillic}]" for latin, cyrillic in zip(*LOOKALIKES, strict=True)
                    for ch in (latin, cyrillic, latin.lower(), cyrillic.lower())}


def contains_regex(text: str) -> str:
    r"""Return a PostgreSQL regular expression (for ``~*``, which the trigram indexes answer like
    ILIKE) matching ``text`` anywhere, literally, with any apostrophe variant where it has one
    (a phone types ``Кам’янецька``, a registry may hold ``Кам'янецька``) and either of a Latin
    and a Cyrillic letter that look alike (``XM`` and ``ХМ``).

    >>> print(contains_regex("Кам’ян"), contains_regex("d.g*(f)%_"), contains_regex("XM-2"))
    [KК][AА][MМ]['ʼ’`‘′´]я[HН] d\.g\*\(f\)%_ [XХ][MМ]\-2
    """
    # re.escape puts a backslash before non-alphanumerics only; in PostgreSQL's AREs that is
    # the character itself, inside and outside brackets
    variants = "[" + APOSTROPHES + "]"
    return "".join(variants if ch in APOSTROPHES else _LOOKALIKE_CLASS.get(ch, re.escape(ch))
                   for ch in text)


def transliterate(text: str) -> str:
    """Return ``text`` in the official Latin transliteration (CMU No. 55), lower case.

    >>> transliterate("Хмельницький"), transliterate("Згурський Юрій"), transliterate("Їжакевича")
    ('khmelnytskyi', 'zghurskyi yurii', 'yizhakevycha')
    """
    t = text.lower()
    t = t.translate(str.maketrans("", "", APOSTROPHES))
    for ru, uk in RUSSIAN.items():
        t = t.replace(ru, uk)
    t = t.replace("зг", "zgh")
    for ch, latin in INITIAL.items():
        t = re.sub(rf"(^|[^{LETTERS}]){ch}", rf"\g<1>{latin}", t)
    for ch, latin in MULTI.items():
        t = t.replace(ch, latin)
    return t.translate(str.maketrans(*SINGLE))


_UPPER = "АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ"
_CASED = "a-zA-Zа-яА-ЯґҐєЄіІїЇ"  # letters of either case: "start of a word" in latin_name


def latin_name(text: str) -> str:
    """Return a name in the official Latin transliteration (CMU No. 55), keeping its case:
    how a street name is written on English maps and signs.

    >>> latin_name("Героїв Майдану"), latin_name("Кам’янецька"), latin_name("Юрія Згурського")
    ('Heroiv Maidanu', 'Kamianetska', 'Yuriia Zghurskoho')
    >>> latin_name("Проскурівського підпілля"), latin_name("1-й Лісовий")
    ('Proskurivskoho pidpillia', '1-y Lisovyi')
    """
    t = text.translate(str.maketrans("", "", APOSTROPHES))
    t = t.replace("зг", "zgh").replace("Зг", "Zgh").replace("ЗГ", "ZGH")
    for ch, latin in INITIAL.items():
        t = re.sub(rf"(^|[^{_CASED}]){ch}", rf"\g<1>{latin}", t)
        t = re.sub(rf"(^|[^{_CASED}]){ch.upper()}", rf"\g<1>{latin.capitalize()}", t)
    for ch, latin in MULTI.items():
        t = t.replace(ch, latin).replace(ch.upper(), latin.capitalize())
    return t.translate(str.maketrans(SINGLE[0] + SINGLE[0].upper(),
                                     SINGLE[1] + SINGLE[1].upper()))


def latin_name_sql() -> str:
    """Return DDL of ``registry.latin_name(text)``: :func:`latin_name` step by step in SQL."""
    def lit(s: str) -> str:
        return "'" + s.replace("'", "''") + "'"

    expr = f"translate($1, {lit(APOSTROPHES)}, '')"
    for a, b in (("зг", "zgh"), ("Зг", "Zgh"), ("ЗГ", "ZGH")):
        expr = f"replace({expr}, {lit(a)}, {lit(b)})"
    for ch, latin in INITIAL.items():
        expr = f"regexp_replace({expr}, '(^|[^{_CASED}]){ch}', '\\1{latin}', 'g')"
        expr = (f"regexp_replace({expr}, '(^|[^{_CASED}]){ch.upper()}', "
                f"'\\1{latin.capitalize()}', 'g')")
    for ch, latin in MULTI.items():
        expr = f"replace(replace({expr}, {lit(ch)}, {lit(latin)}), {lit(ch.upper())}, " \
               f"{lit(latin.capitalize())})"
    expr = (f"translate({expr}, {lit(SINGLE[0] + SINGLE[0].upper())}, "
            f"{lit(SINGLE[1] + SINGLE[1].upper())})")
    return ("CREATE OR REPLACE FUNCTION registry.latin_name(text) RETURNS text "
            f"LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT {expr} $$")


def search_key(text: str) -> str:
    """Return the search key of a street name or the street part of a query.

    >>> search_key("Кам’янецька"), search_key("KAMIANETSKA"), search_key("Карпенка-Карого")
    ('kamianetska', 'kamianetska', 'karpenka karoho')
    """
    return " ".join(re.sub(r"[^a-z0-9]+", " ", transliterate(text)).split())


def search_key_sql() -> str:
    """Return DDL of ``registry.search_key(text)``: :func:`search_key` step by step in SQL."""
    def lit(s: str) -> str:
        return "'" + s.replace("'", "''") + "'"

    expr = f"translate(lower($1), {lit(APOSTROPHES)}, '')"
    for ru, uk in RUSSIAN.items():
        expr = f"replace({expr}, {lit(ru)}, {lit(uk)})"
    expr = f"replace({expr}, 'зг', 'zgh')"
    for ch, latin in INITIAL.items():
        expr = f"regexp_replace({expr}, '(^|[^{LETTERS}]){ch}', '\\1{latin}', 'g')"
    for ch, latin in MULTI.items():
        expr = f"replace({expr}, {lit(ch)}, {lit(latin)})"
    expr = f"translate({expr}, {lit(SINGLE[0])}, {lit(SINGLE[1])})"
    expr = f"btrim(regexp_replace({expr}, '[^a-z0-9]+', ' ', 'g'))"
    return ("CREATE OR REPLACE FUNCTION registry.search_key(text) RETURNS text "
            f"LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT {expr} $$")


@dataclass(frozen=True)
class AddressQuery:
    """What a resident typed, taken apart: the street's search key, type and house number."""

    text: str
    street_key: str
    street_type: str | None = None  # the registry's type when the query named one
    house_key: str | None = None  # registries.addresses.house_number key ("12АК2")
    house_num: int | None = None


_HOUSE_END = re.compile(
    r"(?:^|[\s,])(?:(?:буд|будинок|б|д|дом|bud|house|no|№)\.?\s*)?"
    r"(?P<house>\d{1,4}(?:\s*-?\s*[a-zа-щьюяґєії](?![a-zа-яґєії]))?"
    r"(?:\s*/\s*\d{1,4}[a-zа-щьюяґєії]?(?![a-zа-яґєії]))?"
    r"(?:\s*,?\s*(?:корпус|корп|к|korpus|korp|k)\.?\s*[0-9а-щьюяґєії]{1,3}(?![a-zа-яґєії]))?)"
    r"(?:\s*,?\s*(?:кв|квартира|оф|офіс|apt|flat)\.?\s*\d{1,4})?[\s.,]*$")
_HOUSE_START = re.compile(
    r"^\s*(?:№\s*)?(?P<house>\d{1,4}(?:[a-zа-щьюяґєії](?![a-zа-яґєії]))?(?:/\d{1,4})?)(?=[\s,])")
# A Latin house letter in an all-Latin query is the transliterated Cyrillic one (12b → 12Б).
_LATIN_LETTER = {"a": "а", "b": "б", "v": "в", "h": "г", "g": "ґ", "d": "д", "e": "е",
                 "z": "з", "y": "и", "i": "і", "k": "к", "l": "л", "m": "м", "n": "н",
                 "o": "о", "p": "п", "r": "р", "s": "с", "t": "т", "u": "у", "f": "ф"}


def _house_key(raw: str, latin_query: bool) -> tuple[str, int] | None:
    # korpus in any spelling (корпус, корп., к., korpus, korp., k.) after the number and letter
    text = re.sub(r"(?<=[\s,\d])\s*,?\s*(?:korpus|korp|k)\.?\s*(?=[0-9])", " корп. ", raw)
    text = re.sub(r"(?<=[a-z])\s*,?\s+(?:korpus|korp|k)\.?\s*(?=[0-9])", " корп. ", text)
    text = re.sub(r"(?<=[\s,\d])к\.?\s*(?=[0-9])", " корп. ", text)
    if latin_query:
        text = re.sub(r"(?<=\d)(\s*-?\s*)([a-z])(?![a-z])",
                      lambda m: m.group(1) + _LATIN_LETTER.get(m.group(2), m.group(2)), text)
    try:
        number = parse_house_number(text)
    except ValueError:
        return None
    return number.key, number.num


def parse_address_query(text: str, place_names: tuple[str, ...] = ()) -> AddressQuery:
    """Return the street key, street type and house number of what a resident typed.

    ``place_names`` are the deployment's settlement names (dropped with their "м." prefix).

    >>> q = parse_address_query("м. Хмельницький, вул. Кам’янецька, буд. 12-а", ("Хмельницький",))
    >>> q.street_key, q.street_type, q.house_key
    ('kamianetska', 'вулиця', '12А')
    >>> q = parse_address_query("prosp. Myru 24 k2")
    >>> q.street_key, q.street_type, q.house_key
    ('myru', 'проспект', '24К2')
    >>> parse_address_query("2-й Садовий провулок").street_key
    '2 y sadovyi'
    """
    t = fold_apostrophes(composed(text)).lower()
    t = re.sub(r"[«»\"“”„()\[\]{};:!?]", " ", t)
    t = re.sub(r"\b\d{5}\b", " ", t)  # a postal code
    latin_query = not re.search(r"[а-яґєії]", t)
    house = None
    m = _HOUSE_END.search(t)
    if m and m.start("house") > 0:
        house = _house_key(m.group("house"), latin_query)
        if house:
            t = t[:m.start()]
    if house is None and (m := _HOUSE_START.match(t)):
        house = _house_key(m.group("house"), latin_query)
        if house:
            t = t[m.end():]
    places = {search_key(p) for p in place_names}
    words = re.sub(r"[.,/\\]+", " ", t).split()
    street_type = None
    kept: list[str] = []
    for k, word in enumerate(words):
        bare = word.strip("-")
        if bare in TYPE_BY_WORD and street_type is None and len(words) > 1:
            street_type = TYPE_BY_WORD[bare]
        elif bare in NOISE_WORDS or search_key(bare) in places:
            continue
        elif k == 1 and words[0] in ("м", "місто", "г", "город", "city"):
            continue  # the settlement's name after "м."
        else:
            kept.append(word)
    return AddressQuery(text, search_key(" ".join(kept)), street_type,
                        house[0] if house else None, house[1] if house else None)
