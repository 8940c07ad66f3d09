"""Outdoor advertising (зовнішня реклама): structures and their permits (дозволи)."""

from __future__ import annotations

from gis.auth import Role
from registries.advertising.rules import ADVERTISING_RULES
from registries.common import (
    BUSINESS_KINDS,
    EDRPOU_PATTERN,
    PHONE_PATTERN,
    decision_fields,
    t,
    term_fields,
)
from registries.holders import ARCHITECTURE
from registries.model import (
    CodeList,
    Field,
    FieldType,
    GeometryKind,
    PersonalIf,
    Registry,
    TileRule,
)
from registries.terms import status_field

# structure types (domain §5.3)
STRUCTURE_TYPES = CodeList([
    ("billboard", "щит (біґборд)", "billboard"),
    ("backlight", "беклайт", "backlit board"),
    ("prismatron", "призматрон", "prismatron"),
    ("supersite", "суперсайт", "supersite"),
    ("citylight", "сіті-лайт", "city-light"),
    ("scroller", "скролер", "scroller"),
    ("pylon", "пілон, стела, тумба", "pylon, stele"),
    ("facade_banner", "брандмауер", "facade banner"),
    ("rooftop", "дахова установка", "rooftop installation"),
    ("street_banner", "перетяжка", "banner across a street"),
    ("bracket", "кронштейн", "bracket on a pole"),
    ("led_screen", "світлодіодний екран", "LED screen"),
])
LIGHTING = CodeList([
    ("none", "без освітлення", "none"),
    ("internal", "внутрішнє", "internal"),
    ("external", "зовнішнє", "external"),
    ("digital", "цифровий екран", "digital screen"),
])
MOUNTING = CodeList([
    ("ground", "на землі", "on the ground"),
    ("facade", "на фасаді", "on a facade"),
    ("roof", "на даху", "on a roof"),
    ("street_furniture", "на елементах вуличного обладнання", "on street furniture"),
    ("over_street", "над проїжджою частиною", "over the street"),
])
PLACE_OWNERS = CodeList([
    ("communal", "комунальна власність", "communal property"),
    ("state", "державна власність", "state property"),
    ("private", "приватна власність", "private property"),
])
SOLE_PROPRIETOR_CONTACT = PersonalIf("distributor_kind", "sole_proprietor", mask=None)

ADVERTISING_STRUCTURES = Registry(
    id="advertising_structures",
    title=t("Рекламні засоби", "Advertising structures"),
    description=t("Реєстр дозволів на розміщення зовнішньої реклами",
                  "Registry of outdoor advertising permits"),
    table="advertising_structure",
    geometry=GeometryKind.POINT,
    group="advertising",
    label="permit_number",
    key="permit_number",
    noun="advertising permit",
    fields=(
        Field("permit_number", title=t("Номер дозволу", "Permit number"), required=True,
              searchable=True),
        *term_fields(),
        *decision_fields(expected=True),
        Field("structure_type", title=t("Тип конструкції", "Structure type"), required=True,
              choices=STRUCTURE_TYPES),
        Field("width_m", FieldType.NUMBER, scale=2, title=t("Ширина, м", "Width, m")),
        Field("height_m", FieldType.NUMBER, scale=2, title=t("Висота, м", "Height, m")),
        Field("sides", FieldType.INTEGER, title=t("Кількість сторін", "Sides")),
        Field("lighting", title=t("Освітлення", "Lighting"), choices=LIGHTING),
        Field("mounting", title=t("Спосіб розміщення", "Mounting"), choices=MOUNTING),
        Field("distributor_kind", title=t("Розповсюджувач: вид", "Distributor kind"),
              choices=BUSINESS_KINDS, required=True, person="distributor"),
        Field("distributor_name", title=t("Розповсюджувач", "Distributor"), required=True,
              searchable=True, person="distributor", identifies=True),
        Field("distributor_edrpou", title=t("Код ЄДРПОУ", "EDRPOU"), pattern=EDRPOU_PATTERN,
              person="distributor", identifies=True),
        # a company's phone and e-mail are public; a sole proprietor's (ФОП) are a natural
        # person's own number and mailbox: hidden from the public (its name stays public,
        # as in the state register); the open-data set of CMU No. 835 publishes both
        Field("distributor_phone", title=t("Телефон", "Phone"), pattern=PHONE_PATTERN,
              personal_if=SOLE_PROPRIETOR_CONTACT, expected=True, person="distributor"),
        Field("distributor_email", title=t("Електронна пошта", "E-mail"),
              personal_if=SOLE_PROPRIETOR_CONTACT, expected=True, person="distributor"),
        Field("distributor_rnokpp", title=t("РНОКПП ФОП", "Sole proprietor's RNOKPP"),
              personal=True, pattern=r"^\d{10}$", person="distributor", identifies=True),
        Field("distributor_home_address", title=t("Адреса ФОП", "Sole proprietor's address"),
              personal=True, person="distributor"),
        Field("place_owner", title=t("Власник місця", "Place owner"), choices=PLACE_OWNERS),
        Field("contract_number", title=t("Номер договору", "Contract number")),
        Field("contract_date", FieldType.DATE, title=t("Дата договору", "Contract date")),
        Field("location_text", title=t("Місце розташування", "Location"), searchable=True),
        status_field(),
    ),
    edit_roles=frozenset({Role.REGISTRAR}),
    holder=ARCHITECTURE,
    keywords={"uk": ("реклама", "дозволи"), "en": ("advertising", "permits")},
    rules=ADVERTISING_RULES,
    # status colours from z12; below z15 the permits of one 32-px cell merge into one point
    tiles=(TileRule(12, ("status",), cluster_px=32), TileRule(15, ("status", "structure_type")),
           TileRule(16, ("status", "structure_type", "permit_number"))),
)

REGISTRIES = (ADVERTISING_STRUCTURES,)
