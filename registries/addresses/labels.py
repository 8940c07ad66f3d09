"""How an address is written: ``вул. Соборна, 12А, корп. 2`` (display, messages, search).

Addresses are stored in parts (domain §4.1); the display string is derived — in Python by
:func:`address_label` and in SQL by ``registry.address_label(street_id, house, korpus)``
(:func:`functions_sql`), which the public view, the rules' messages and search use.
"""

from __future__ import annotations

STREET_ABBREVIATIONS = {
    "вулиця": "вул.", "провулок": "пров.", "проспект": "просп.", "бульвар": "бульв.",
    "площа": "пл.", "майдан": "майдан", "проїзд": "проїзд", "тупик": "туп.", "узвіз": "узвіз",
    "шосе": "шосе", "набережна": "наб.", "алея": "алея", "в'їзд": "в'їзд", "спуск": "спуск",
}

# on English maps the type follows the transliterated name: "Soborna St", "Myru Ave"
STREET_ABBREVIATIONS_EN = {
    "вулиця": "St", "провулок": "Ln", "проспект": "Ave", "бульвар": "Blvd", "площа": "Sq",
    "майдан": "Maidan", "проїзд": "Pass", "тупик": "Dead End", "узвіз": "Uzviz",
    "шосе": "Hwy", "набережна": "Emb", "алея": "Alley", "в'їзд": "Entry", "спуск": "Spusk",
}
assert set(STREET_ABBREVIATIONS_EN) == set(STREET_ABBREVIATIONS)


def street_label_en(street_type: str, latin: str) -> str:
    """Return the English form of a street from its Latin name: name, then type.

    >>> street_label_en("проспект", "Myru")
    'Myru Ave'
    """
    return f"{latin} {STREET_ABBREVIATIONS_EN.get(street_type, '')}".strip()


def street_label(street_type: str, name: str) -> str:
    """Return the short form of a street: type abbreviation, then the name.

    >>> street_label("проспект", "Миру")
    'просп. Миру'
    """
    return f"{STREET_ABBREVIATIONS.get(street_type, street_type)} {name}"


def address_label(street_type: str, street_name: str, house_number: str,
                  korpus: str | None = None) -> str:
    """Return the display form of an address.

    >>> address_label("вулиця", "Соборна", "12А", "2")
    'вул. Соборна, 12А, корп. 2'
    """
    return f"{street_label(street_type, street_name)}, {house_number}" + (
        f", корп. {korpus}" if korpus else "")


def functions_sql() -> list[str]:
    """Return DDL of ``registry.street_label(type, name)``, ``registry.address_label(...)``
    and its twin over the published streets, ``registry.published_address_label(...)``."""
    cases = " ".join(
        "WHEN '{}' THEN '{}'".format(k.replace("'", "''"), v.replace("'", "''"))
        for k, v in STREET_ABBREVIATIONS.items())
    return [
        "CREATE OR REPLACE FUNCTION registry.street_label(street_type text, name text) "
        "RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT "
        f"(CASE street_type {cases} ELSE street_type END) || ' ' || name $$",
        "CREATE OR REPLACE FUNCTION registry.address_label(street bigint, house text, "
        "korpus text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT "
        "(SELECT registry.street_label(s.street_type, s.name) FROM registry.street AS s "
        "WHERE s.id = street) || ', ' || house || CASE WHEN coalesce(korpus, '') <> '' "
        "THEN ', корп. ' || korpus ELSE '' END $$",
        # the same over the published streets: what the public reads (a pending renaming of
        # a street stays unseen until it is verified)
        "CREATE OR REPLACE FUNCTION registry.published_address_label(street bigint, house "
        "text, korpus text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT "
        "(SELECT registry.street_label(s.street_type, s.name) FROM published.street AS s "
        "WHERE s.id = street) || ', ' || house || CASE WHEN coalesce(korpus, '') <> '' "
        "THEN ', корп. ' || korpus ELSE '' END $$",
    ]
