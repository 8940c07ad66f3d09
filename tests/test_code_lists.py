"""Code lists are declared once, with the titles people read, in both languages."""

from __future__ import annotations

import pytest

from registries.catalog import default_catalog
from registries.declaration import DeclarationError, registry_from_mapping
from registries.model import CodeList


def test_every_code_list_has_a_title_in_both_languages() -> None:
    checked = 0
    for reg in default_catalog():
        for f in reg.fields:
            if f.choices is None:
                continue
            assert isinstance(f.choices, CodeList), f"{reg.id}.{f.name} has codes without titles"
            for lang in ("uk", "en"):
                titles = [f.choice_title(code, lang) for code in f.choices]
                assert all(t.strip() for t in titles), (reg.id, f.name, lang)
                assert len(set(titles)) == len(titles), f"{reg.id}.{f.name}: two codes read alike"
            checked += 1
    assert checked >= 20  # categories, ownership forms, structure types, statuses …


def test_a_title_is_the_label_of_its_code() -> None:
    parcels = default_catalog().get("land_parcels")
    assert parcels.field("ownership_form").choice_title("300") == "комунальна"
    assert parcels.field("category").choice_title("200", "en") == \
        "residential and public building land"
    assert parcels.field("category").choice_title("999") == "999"  # unknown code: shown as is
    assert parcels.field("cadastral_number").choice_title("x") == "x"  # no code list


def _declared(choices: object) -> dict[str, object]:
    return {"id": "wells", "title": {"uk": "Колодязі", "en": "Wells"}, "table": "well",
            "geometry": "Point", "group": "other",
            "fields": [{"name": "state", "choices": choices}]}


def test_yaml_code_lists_carry_titles() -> None:
    reg = registry_from_mapping(_declared({"dry": {"uk": "сухий", "en": "dry"},
                                           "wet": "мокрий"}), "wells.yml")
    state = reg.field("state")
    assert tuple(state.choices or ()) == ("dry", "wet")
    assert state.choice_title("dry", "en") == "dry"
    assert state.choice_title("wet", "en") == "мокрий"  # one text serves both languages
    plain = registry_from_mapping(_declared(["dry", "wet"]), "wells.yml").field("state")
    assert plain.choice_title("dry", "en") == "dry" and plain.code_titles is None


@pytest.mark.parametrize("choices", [[], {}, "dry", {"dry": 5}])
def test_bad_yaml_code_lists_are_named(choices: object) -> None:
    with pytest.raises(DeclarationError, match="wells.yml.*state"):
        registry_from_mapping(_declared(choices), "wells.yml")


def test_the_purpose_classifier_keeps_its_names_punctuation() -> None:
    """The classifier's names had lost their commas (an unquoted CSV): the demo city's parcels,
    which store the purpose as the documents write it, then differed from the classifier's
    name of the same code, and the card and the parcel report showed both texts, one after
    the other. A stored text is its code's name, or that name continued (a longer form)."""
    from app.demo.parcels import PURPOSE_TEXT
    from registries.parcels.purposes import purposes

    names = purposes()
    for code, text in PURPOSE_TEXT.items():
        assert text.startswith(names[code].name), (code, names[code].name, text)
    assert names["02.01"].name == ("Для будівництва і обслуговування житлового будинку, "
                                   "господарських будівель і споруд (присадибна ділянка)")
