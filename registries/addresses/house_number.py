"""House numbers (номер будинку): the grammar of domain §4.2, canonical form, keys and sort.

Forms seen: ``12``, ``12А``, ``12-А``, ``12 а``, ``12/1``, ``12А/3``, ``12/1А``, ``12 корп. 2``,
``12, корпус 2``; legacy ranges such as ``12-14`` do not parse (stored raw, flagged by the
``house_number_grammar`` rule, accepted only in a legacy import). The same grammar is compiled
into SQL (:func:`functions_sql`) so the database checks what Python parses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Capital Latin letters that look like Cyrillic ones, typed on the wrong keyboard layout.
LOOKALIKE_LATIN, LOOKALIKE_CYRILLIC = "ABCEHIKMOPTX", "АВСЕНІКМОРТХ"
DASHES = "‐‑‒–—−"
LETTER = "А-ЩЬЮЯҐЄІЇ"  # capitals an address letter may be (no Ъ Ы Э Ё)
# Matched against the folded text (upper case, one dash, Cyrillic look-alikes; see fold()).
HOUSE_NUMBER_PATTERN = (
    rf"^(\d{{1,4}})(?:\s*-?\s*([{LETTER}]))?(?:\s*/\s*(\d{{1,4}}[{LETTER}]?))?"
    rf"(?:\s*,?\s*КОРП(?:УС|\.)?\s*([0-9{LETTER}]{{1,3}}))?$"
)
_HOUSE = re.compile(HOUSE_NUMBER_PATTERN)
ALPHABET = "АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ"  # Ukrainian order, for sorting letters


@dataclass(frozen=True)
class HouseNumber:
    """A parsed house number: number, address letter, fraction, korpus."""

    num: int
    letter: str = ""
    frac: str = ""
    korpus: str = ""

    def canonical(self) -> str:
        """Return the stored form: ``12А``, ``12А/3``, ``12 корп. 2``.

        >>> parse_house_number("12-а, корпус 2").canonical()
        '12А корп. 2'
        """
        text = f"{self.num}{self.letter}" + (f"/{self.frac}" if self.frac else "")
        return text + (f" корп. {self.korpus}" if self.korpus else "")

    @property
    def key(self) -> str:
        """Return the comparison key: every form of one number gives the same key.

        >>> parse_house_number("12 а").key == parse_house_number("12-А").key == "12А"
        True
        """
        return f"{self.num}{self.letter}" + (f"/{self.frac}" if self.frac else "") + (
            f"К{self.korpus}" if self.korpus else "")

    @property
    def sort_key(self) -> tuple[int, int, int, str, str]:
        """Return (num, letter in Ukrainian order, fraction number, fraction rest, korpus).

        >>> sorted(["12Б", "12", "3", "12А/2", "12А"], key=lambda s: parse_house_number(s).sort_key)
        ['3', '12', '12А', '12А/2', '12Б']
        """
        letter = ALPHABET.index(self.letter) + 1 if self.letter in ALPHABET else 0
        digits = re.match(r"\d*", self.frac)
        frac_num = int(digits.group()) if digits and digits.group() else 0
        return (self.num, letter, frac_num, self.frac, self.korpus)


_FOLD = str.maketrans(DASHES + LOOKALIKE_LATIN, "-" * len(DASHES) + LOOKALIKE_CYRILLIC)


def fold(text: str) -> str:
    """Return ``text`` upper-cased, with one kind of dash, Cyrillic for Latin look-alikes and
    single spaces: the form the grammar is matched against (SQL: the same steps).

    >>> fold(" 12–a  корп.2 ")
    '12-А КОРП.2'
    """
    return re.sub(r"\s+", " ", text.strip().upper().translate(_FOLD))


def parse_house_number(text: str) -> HouseNumber:
    """Return the parts of a house number or raise ValueError naming the text.

    >>> parse_house_number("12А/3")
    HouseNumber(num=12, letter='А', frac='3', korpus='')
    >>> parse_house_number("12-14")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: house number '12-14' does not follow the grammar 12, 12А, 12-А, 12/1, ...
    """
    m = _HOUSE.match(fold(text))
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"house number {text!r} does not follow the grammar "
                         "12, 12А, 12-А, 12/1, 12А/3, 12 корп. 2")
    num, letter, frac, korpus = m.groups()
    return HouseNumber(int(num), letter or "", frac or "", korpus or "")


def house_number_problem(text: str) -> str | None:
    """Return why ``text`` is not a house number, or None when it is one.

    >>> house_number_problem("12 корп. 2") is None, house_number_problem("буд. 5")[:35]
    (True, "house number 'буд. 5' does not foll")
    """
    try:
        parse_house_number(text)
    except ValueError as exc:
        return str(exc)
    return None


def house_key(house_number: str, korpus: str | None = None) -> str:
    """Return the comparison key of a stored number and korpus (what ``registry.house_key``
    computes): folded (:func:`fold`), "корпус"/"корп." as К, separators and leading zeros
    dropped. Every form of one number gives its parsed ``HouseNumber.key``; legacy forms
    still compare equal to themselves.

    >>> house_key("12А", "2"), house_key("12-a корп.2"), house_key("012 / 1"), house_key("12-14")
    ('12АК2', '12АК2', '12/1', '12-14')
    """
    text = fold(house_number + (f" корп. {korpus}" if korpus else ""))
    text = text.replace("КОРПУС", "К").replace("КОРП", "К")
    return re.sub(r"[\s.,]+|-(?=[^0-9])", "", text).lstrip("0")


def fold_sql(arg: str) -> str:
    """Return SQL of :func:`fold` applied to the SQL text expression ``arg``."""
    dashes = DASHES + LOOKALIKE_LATIN
    return (f"regexp_replace(translate(upper(btrim({arg})), '{dashes}', "
            f"'{'-' * len(DASHES) + LOOKALIKE_CYRILLIC}'), '\\s+', ' ', 'g')")


def functions_sql() -> list[str]:
    """Return the DDL of the SQL twins: ``registry.is_house_number(text)`` and
    ``registry.house_key(house_number, korpus)`` (the same grammar and key as above)."""
    pattern = HOUSE_NUMBER_PATTERN.replace("'", "''")
    return [
        # one expression, so that PostgreSQL inlines it (a bulk load checks 100,000 numbers)
        f"""CREATE OR REPLACE FUNCTION registry.is_house_number(text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT {fold_sql('$1')} ~ '{pattern}' AND btrim($1) !~ '^0+([^0-9]|$)' $$""",
        "CREATE OR REPLACE FUNCTION registry.house_key(text, text) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT ltrim(regexp_replace(replace("
        "replace(" + fold_sql("$1 || CASE WHEN coalesce($2, '') <> '' THEN ' корп. ' || $2 "
                              "ELSE '' END") + ", 'КОРПУС', 'К'), 'КОРП', 'К'), "
        "'[\\s.,]+|-(?=[^0-9])', '', 'g'), '0') $$",
    ]
