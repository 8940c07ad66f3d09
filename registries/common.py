"""Fields and code lists that several registries share (one place per rule)."""

from __future__ import annotations

from registries.model import CodeList, Field, FieldType, PersonalIf

KATOTTG_PATTERN = r"^UA\d{17}$"
EDRPOU_PATTERN = r"^\d{8}$"
RNOKPP_PATTERN = r"^\d{10}$"
PHONE_PATTERN = r"^\+380\d{9}$"

PARTY_KINDS = CodeList([
    ("legal", "юридична особа", "legal entity"),
    ("sole_proprietor", "фізична особа-підприємець", "sole proprietor"),
    ("natural", "фізична особа", "private person"),
])
BUSINESS_KINDS = CodeList([(c, PARTY_KINDS.title(c), PARTY_KINDS.title(c, "en"))
                           for c in ("legal", "sole_proprietor")])
NATURAL_PERSON_MASK = {"uk": "фізична особа", "en": "private person"}


def t(uk: str, en: str) -> dict[str, str]:
    """Return a two-language text.

    >>> t("Вулиці", "Streets")["en"]
    'Streets'
    """
    return {"uk": uk, "en": en}


def katottg(required: bool = False) -> Field:
    return Field("katottg", title=t("Код КАТОТТГ", "KATOTTG code"), pattern=KATOTTG_PATTERN,
                 required=required)


def decision_fields(prefix: str = "decision", *, expected: bool = False) -> tuple[Field, ...]:
    """Return the number, date and issuing body of the council decision behind a record;
    ``expected``: the registry's procedure requires them (the quality report lists gaps)."""
    return (
        Field(f"{prefix}_number", title=t("Номер рішення", "Decision number"),
              expected=expected),
        Field(f"{prefix}_date", FieldType.DATE, title=t("Дата рішення", "Decision date"),
              expected=expected),
        Field("issuing_body", title=t("Орган, що видав", "Issuing body"), expected=expected),
    )


def party_fields(role: str, title_uk: str, title_en: str) -> tuple[Field, ...]:
    """Return the fields of a holder, owner or distributor.

    Legal entities and sole proprietors' business names are public (ЄДР publishes them);
    a natural person's name is masked, and RNOKPP and home address are always hidden.
    """
    kind = f"{role}_kind"
    return (
        Field(kind, title=t(f"{title_uk}: вид особи", f"{title_en}: kind"), choices=PARTY_KINDS,
              person=role),
        Field(f"{role}_name", title=t(title_uk, title_en), searchable=True,
              personal_if=PersonalIf(kind, "natural", NATURAL_PERSON_MASK), person=role,
              identifies=True),
        Field(f"{role}_edrpou", title=t(f"{title_uk}: код ЄДРПОУ", f"{title_en}: EDRPOU"),
              pattern=EDRPOU_PATTERN, person=role, identifies=True),
        Field(f"{role}_rnokpp", title=t(f"{title_uk}: РНОКПП", f"{title_en}: RNOKPP"),
              pattern=RNOKPP_PATTERN, personal=True, person=role, identifies=True),
        Field(f"{role}_home_address", title=t(f"{title_uk}: адреса проживання",
                                              f"{title_en}: home address"), personal=True,
              person=role),
    )


def term_fields() -> tuple[Field, ...]:
    """Return the issue date and the validity period of a permit or passport."""
    return (
        Field("issued_on", FieldType.DATE, title=t("Дата видачі", "Issued on"), required=True),
        Field("valid_from", FieldType.DATE, title=t("Діє з", "Valid from"), required=True,
              temporal=True),
        Field("valid_until", FieldType.DATE, title=t("Діє до", "Valid until"), required=True,
              temporal=True),
        Field("dismantling_ordered_on", FieldType.DATE,
              title=t("Припис на демонтаж", "Dismantling ordered on")),
        Field("dismantled_on", FieldType.DATE, title=t("Демонтовано", "Dismantled on")),
        Field("annulled_on", FieldType.DATE, title=t("Скасовано", "Annulled on")),
    )
