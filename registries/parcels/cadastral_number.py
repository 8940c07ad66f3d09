"""The cadastral number (кадастровий номер) ``NNNNNNNNNN:ZZ:QQQ:PPPP`` (domain §1.1, §1.2).

The number is an identifier, not a number: it is displayed as stored and never loses its
leading zeros. The 10-digit prefix is the KOATUU code of the unit that held the cadastral zone
when it was indexed; treat it as opaque except for its first two digits, the region code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CADASTRAL_NUMBER_PATTERN = r"^\d{10}:\d{2}:\d{3}:\d{4}$"
QUARTER_NUMBER_PATTERN = r"^\d{10}:\d{2}:\d{3}$"
# The 27 region codes that open KOATUU and KATOTTG codes (domain §1.2; 63 Kharkiv, 65 Kherson).
REGION_CODES = ("01", "05", "07", "12", "14", "18", "21", "23", "26", "32", "35", "44", "46",
                "48", "51", "53", "56", "59", "61", "63", "65", "68", "71", "73", "74", "80",
                "85")
FORMAT_HINT = ("NNNNNNNNNN:ZZ:QQQ:PPPP (10-digit KOATUU code, 2-digit zone, 3-digit quarter, "
               "4-digit parcel)")
QUARTER_HINT = "NNNNNNNNNN:ZZ:QQQ (10-digit KOATUU code, 2-digit zone, 3-digit quarter)"


@dataclass(frozen=True)
class CadastralNumber:
    """The parts of a cadastral number."""

    koatuu: str
    zone: str
    quarter: str
    parcel: str

    def __str__(self) -> str:
        return f"{self.koatuu}:{self.zone}:{self.quarter}:{self.parcel}"

    @property
    def region(self) -> str:
        return self.koatuu[:2]

    @property
    def quarter_number(self) -> str:
        """Return ``NNNNNNNNNN:ZZ:QQQ``, the number of the cadastral quarter it lies in."""
        return f"{self.koatuu}:{self.zone}:{self.quarter}"


# what people put between the groups when they do not type colons: copied from documents and
# spreadsheets (6810100000-01-001-0001, 6810100000.01.001.0001, a full-width colon, spaces),
# or typed: a semicolon, and «Ж», the colon's key with the Ukrainian keyboard layout on
_SEPARATOR = r"\s*[:\-./：;Жж]\s*|\s+"
# a letter O (Cyrillic or Latin) for a zero, typed or read from a scan, in what is otherwise
# digits and separators
_ZEROS = "OoОо"
_NUMBER_CHARS = r"[\d" + _ZEROS + r"\s:\-./：;Жж]"
_WITH_ZEROS = re.compile(rf"{_NUMBER_CHARS}*\d{_NUMBER_CHARS}*")
_NUMBER_IN_TEXT = re.compile(r"(?<!\d)(\d{10}(?:%s)\d{2}(?:%s)\d{3}(?:%s)\d{4}|\d{19})(?!\d)"
                             % ((_SEPARATOR,) * 3))


def normalise_cadastral_number(text: str) -> str:
    """Return ``text`` as the registry writes a cadastral number: colons between the groups
    (for whatever separated them: spaces, dashes, dots, slashes), inserted into 19 bare digits.
    Text that is not digits and separators comes back without its whitespace.

    >>> normalise_cadastral_number(" 6810100000 01 001 0001 ")
    '6810100000:01:001:0001'
    >>> normalise_cadastral_number("6810100000-01-001-0001"), normalise_cadastral_number("68101")
    ('6810100000:01:001:0001', '68101')
    >>> normalise_cadastral_number("6810100000 : 01.001/0001")
    '6810100000:01:001:0001'
    >>> normalise_cadastral_number("681О1ООООО;О1Ж001ж0001")  # Cyrillic О for 0, Ж for :
    '6810100000:01:001:0001'
    """
    text = text.strip()
    if _WITH_ZEROS.fullmatch(text):
        text = text.translate(str.maketrans(_ZEROS, "0" * len(_ZEROS)))
    colons = re.sub(_SEPARATOR, ":", text)
    if re.fullmatch(r"\d{19}", colons):
        return f"{colons[:10]}:{colons[10:12]}:{colons[12:15]}:{colons[15:]}"
    if re.fullmatch(r"[\d:]+", colons):
        return colons
    return re.sub(r"\s+", "", text)


def cadastral_number_in(text: str) -> str | None:
    """Return the whole cadastral number a search text holds, normalised, or None: a number
    pasted with its label ("Кадастровий номер: 6810…") searches the parcel, not the addresses.

    >>> cadastral_number_in("Кадастровий номер: 6810100000-01-001-0001")
    '6810100000:01:001:0001'
    >>> cadastral_number_in("вул. Соборна, 1"), cadastral_number_in("6810100000:01:001")
    (None, None)
    """
    found = _NUMBER_IN_TEXT.search(text)
    return normalise_cadastral_number(found.group(1)) if found else None


def cadastral_number_problem(text: str) -> str | None:
    """Return why ``text`` is not a cadastral number (after normalising), or None.

    >>> cadastral_number_problem("68101:01:001:0001")  # doctest: +ELLIPSIS
    "'68101:01:001:0001' is malformed: expected NNNNNNNNNN:ZZ:QQQ:PPPP (10-digit KOATUU code, ..."
    >>> cadastral_number_problem("9910100000:01:001:0001")
    "'9910100000:01:001:0001': region code 99 is not one of Ukraine's 27 region codes"
    """
    number = normalise_cadastral_number(text)
    if not re.fullmatch(CADASTRAL_NUMBER_PATTERN, number):
        return f"{text!r} is malformed: expected {FORMAT_HINT}"
    if number[:2] not in REGION_CODES:
        return f"{number!r}: region code {number[:2]} is not one of Ukraine's 27 region codes"
    return None


def quarter_number_problem(text: str) -> str | None:
    """Return why ``text`` is not a cadastral quarter's number (after normalising), or None.

    >>> quarter_number_problem("6810100000-02-099") is None
    True
    >>> quarter_number_problem("123")  # doctest: +ELLIPSIS
    "'123' is malformed: expected NNNNNNNNNN:ZZ:QQQ (10-digit KOATUU code, 2-digit zone, ..."
    """
    if re.fullmatch(QUARTER_NUMBER_PATTERN, normalise_cadastral_number(text)):
        return None
    return f"{text[:40]!r} is malformed: expected {QUARTER_HINT}"


def parse_cadastral_number(text: str) -> CadastralNumber:
    """Return the parts of a cadastral number, or raise ValueError saying what is wrong.

    >>> parse_cadastral_number("6810100000:01:001:0001").zone
    '01'
    >>> parse_cadastral_number("6810100000010010001").quarter_number
    '6810100000:01:001'
    """
    problem = cadastral_number_problem(text)
    if problem:
        raise ValueError(f"cadastral number {problem}")
    koatuu, zone, quarter, parcel = normalise_cadastral_number(text).split(":")
    return CadastralNumber(koatuu, zone, quarter, parcel)


def looks_like_cadastral_number(text: str) -> bool:
    """Return True when a search text is (the start of) a cadastral number.

    >>> looks_like_cadastral_number("6810100000:01"), looks_like_cadastral_number("Соборна 1")
    (True, False)
    >>> looks_like_cadastral_number("6810100000-01-0")
    True
    """
    return bool(re.fullmatch(r"\d{10}(:\d{1,2}(:\d{0,3}(:\d{0,4})?)?)?:?|\d{19}",
                             normalise_cadastral_number(text)))
