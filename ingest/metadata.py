"""The data-set passport of a registry in the form the national open-data portal takes.

data.gov.ua runs CKAN: :func:`ckan_package` returns a ``package_create`` dict whose
``extras`` carry the passport fields a council publishes (CMU No. 835; domain §9.4) — the
responsible person, publisher EDRPOU, KOATUU, update frequency, what is withheld and why —
with one resource per download format and the data-set structure (every field with its
Ukrainian and English title, type and code list). Everything comes from the registry's
declaration; nothing is typed twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from registries.model import Field, Registry

STRUCTURE_TYPES = {"text": "string", "integer": "integer", "number": "number", "date": "date",
                   "boolean": "boolean", "json": "object", "reference": "integer"}


def field_structure(f: Field) -> dict[str, Any]:
    """Return one field of the data-set structure (a Frictionless-style field)."""
    out: dict[str, Any] = {"name": f.name, "title": f.title.get("uk", f.name),
                           "title_en": f.title.get("en", f.name),
                           "type": STRUCTURE_TYPES[f.type.value]}
    if f.description:
        out["description"] = f.description.get("uk", "")
    if f.pattern:
        out["constraints"] = {"pattern": f.pattern}
    if f.code_titles:
        out["codes"] = [{"code": c, "title": t["uk"], "title_en": t["en"]}
                        for c, t in f.code_titles.items()]
    if f.personal_if and f.personal_if.mask:
        out["note"] = (f"для фізичних осіб замість значення: «{f.personal_if.mask['uk']}» "
                       "(персональні дані)")
    elif f.personal_if:
        out["note"] = "для фізичних осіб не оприлюднюється (персональні дані)"
    return out


WITHHELD = {
    "uk": ("Не оприлюднюються (персональні дані фізичних осіб, Закон «Про захист персональних "
           "даних»): {fields}.", "{field}: для фізичних осіб зазначено «{mask}».",
           "{field}: для фізичних осіб не оприлюднюється.",
           "Усі відомості реєстру оприлюднюються."),
    "en": ("Not published (personal data of natural persons, Law of Ukraine on Personal Data "
           "Protection): {fields}.", "{field}: for natural persons it reads “{mask}”.",
           "{field}: not published for natural persons.",
           "Everything the registry holds is published."),
}


def withheld(reg: Registry, lang: str = "uk") -> str:
    """Return what the public data set leaves out and why (the passport must say it), in
    ``lang`` (``uk`` or ``en``)."""
    hidden_text, masked_text, dropped_text, nothing = WITHHELD[lang]
    hidden = [f.title.get(lang, f.name) for f in reg.fields if f.personal]
    masked = [f for f in reg.fields if f.personal_if and not f.personal]
    parts = []
    if hidden:
        parts.append(hidden_text.format(fields="; ".join(hidden)))
    for f in masked:
        assert f.personal_if is not None
        mask = f.personal_if.mask
        title = f.title.get(lang, f.name)
        parts.append(masked_text.format(field=title, mask=mask[lang]) if mask
                     else dropped_text.format(field=title))
    return " ".join(parts) or nothing


@dataclass(frozen=True)
class Resource:
    """One file of a data set as the passport and the catalogue list it."""

    format: str  # GEOJSON, CSV, GPKG, SHP (the EU file type too); JSON for the passport
    title: str
    url: str
    media_type: str
    data: bool  # a file of the data, not the passport


def resources(reg: Registry, base_url: str, files: dict[str, tuple[str, str]]) -> list[Resource]:
    """Return the data set's files — ``files`` maps each format to its file's name under
    ``/downloads/`` and its media type — and last its passport."""
    out = [Resource(fmt.upper(), f"{reg.title['uk']} ({fmt.upper()})",
                    f"{base_url}/downloads/{name}", mime, True)
           for fmt, (name, mime) in files.items()]
    out.append(Resource("JSON", "Структура набору даних",
                        f"{base_url}/downloads/{reg.id}/metadata.json", "application/json", False))
    return out


def description(reg: Registry, count: int) -> str:
    """Return the data set's Ukrainian description: what it is, what it withholds, its size."""
    return f"{reg.description.get('uk', '')}. {withheld(reg)} Кількість об'єктів: {count}."


def ckan_package(reg: Registry, *, base_url: str, publisher: dict[str, str], koatuu: str,
                 count: int, modified: datetime | None,
                 files: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """Return the CKAN ``package_create`` dict of ``reg``'s open data set (``files`` as for
    :func:`resources`)."""
    fields = [{"name": "id", "title": "Ідентифікатор", "title_en": "Identifier",
               "type": "integer"}, *(field_structure(f) for f in reg.public_fields)]
    modified_text = modified.isoformat() if modified else None
    listed = [{"name": r.title, "format": r.format, "url": r.url,
               **({"last_modified": modified_text} if r.data else {})}
              for r in resources(reg, base_url, files)]
    return {
        "name": f"{koatuu}-{reg.id.replace('_', '-')}",
        "title": reg.title["uk"][:254],
        "title_en": reg.title.get("en", ""),
        "notes": description(reg, count)[:4000],
        "license_id": publisher["licence"],
        "license_url": publisher["licence_url"],
        "author": publisher["name"],
        "maintainer": publisher["contact_name"],
        "maintainer_email": publisher["contact_email"],
        "tags": [{"name": k} for k in reg.keywords.get("uk", ())],  # a Ukrainian portal
        "extras": [{"key": k, "value": v} for k, v in (
            ("Ідентифікатор", f"{koatuu}-{reg.id}"),
            ("Відповідальна особа", publisher["contact_name"]),
            ("Електронна пошта відповідальної особи", publisher["contact_email"]),
            ("Код ЄДРПОУ розпорядника", publisher["edrpou"]),
            ("Код КОАТУУ", koatuu),
            ("Частота оновлення", publisher["update_frequency"]),
            ("Дата останньої зміни", modified_text or ""),
            ("Підстава та призначення збору", reg.description.get("uk", "")),
            ("Умови використання", "Вільне використання, зокрема комерційне, з обов'язковим "
             "посиланням на джерело (гіперпосилання на сторінку відкритих даних розпорядника)"
             + (f": {publisher['landing_page']}" if publisher.get("landing_page") else "")),
            ("Обмеження доступу", withheld(reg)),
        )],
        "resources": listed,
        "structure": {"fields": fields, "geometry": reg.geometry.value,
                      "crs": {"geojson": "OGC:CRS84", "csv": "WGS 84 (lon, lat) та УСК-2000",
                                      "xlsx": "як у CSV (WKT довший за 32 767 символів "
                                              "не вміщується в клітинку: лише точка)"}},
        "num_resources": len(listed),
    }


# The EU vocabularies DCAT-AP names (data.gov.ua's CKAN harvests DCAT with ckanext-dcat).
EU = "http://publications.europa.eu/resource/authority/"
FREQUENCIES = {  # the passport's words (CMU No. 835) → the EU frequency authority
    "щоденно": "DAILY", "щодня": "DAILY", "щотижня": "WEEKLY", "щотижнево": "WEEKLY",
    "щомісяця": "MONTHLY", "щомісячно": "MONTHLY", "щоквартально": "QUARTERLY",
    "щокварталу": "QUARTERLY", "щопівроку": "BIANNUAL", "раз на пів року": "BIANNUAL",
    "щороку": "ANNUAL", "щорічно": "ANNUAL", "постійно": "CONT", "безперервно": "CONT",
    "нерегулярно": "IRREG", "за потреби": "IRREG", "у разі змін": "IRREG"}
DCAT_CONTEXT = {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                "foaf": "http://xmlns.com/foaf/0.1/", "vcard": "http://www.w3.org/2006/vcard/ns#",
                "xsd": "http://www.w3.org/2001/XMLSchema#", "locn": "http://www.w3.org/ns/locn#",
                "gsp": "http://www.opengis.net/ont/geosparql#"}


def _texts(text: dict[str, str]) -> list[dict[str, str]]:
    return [{"@value": v, "@language": k} for k, v in text.items() if v]


def frequency_uri(words: str) -> str | None:
    """Return the EU frequency of the passport's update frequency, if it is a known one.

    >>> frequency_uri("Щоквартально")
    'http://publications.europa.eu/resource/authority/frequency/QUARTERLY'
    >>> frequency_uri("коли захочемо") is None
    True
    """
    code = FREQUENCIES.get(words.strip().lower())
    return f"{EU}frequency/{code}" if code else None


def dcat_dataset(reg: Registry, *, base_url: str, publisher: dict[str, str], koatuu: str,
                 count: int, modified: datetime | None, files: dict[str, tuple[str, str]],
                 bbox_wkt: str) -> dict[str, Any]:
    """Return ``reg``'s open data set as a DCAT-AP ``dcat:Dataset`` (JSON-LD; ``files`` as for
    :func:`resources`)."""
    when = {"@value": modified.isoformat(), "@type": "xsd:dateTime"} if modified else None
    licence = {"@id": publisher["licence_url"]}
    distributions = []
    for r in resources(reg, base_url, files):
        d: dict[str, Any] = {
            "@id": r.url, "@type": "dcat:Distribution", "dct:title": r.title,
            "dcat:accessURL": {"@id": r.url}, "dcat:downloadURL": {"@id": r.url},
            "dcat:mediaType": {"@id": f"https://www.iana.org/assignments/media-types/"
                                      f"{r.media_type}"},
            "dct:format": {"@id": f"{EU}file-type/{r.format}"}, "dct:license": licence}
        if when:
            d["dct:modified"] = when
        distributions.append(d)
    texts = {"uk": description(reg, count), "en": reg.description.get("en", "")}
    dataset: dict[str, Any] = {
        "@id": f"{base_url}/collections/{reg.id}", "@type": "dcat:Dataset",
        "dct:identifier": f"{koatuu}-{reg.id}",
        "dct:title": _texts(reg.title), "dct:description": _texts(texts),
        "dcat:keyword": [{"@value": k, "@language": lang}
                         for lang, words in reg.keywords.items() for k in words],
        "dct:publisher": {"@id": f"{base_url}/#publisher"},
        "dcat:contactPoint": {"@type": "vcard:Organization", "vcard:fn": publisher["contact_name"],
                              "vcard:hasEmail": {"@id": f"mailto:{publisher['contact_email']}"}},
        "dct:language": {"@id": f"{EU}language/UKR"},
        "dct:accessRights": {"@id": f"{EU}access-right/PUBLIC"},
        "dct:spatial": {"@type": "dct:Location", "dcat:bbox": {
            "@value": bbox_wkt, "@type": "gsp:wktLiteral"}},
        "dcat:landingPage": {"@id": publisher.get("landing_page") or f"{base_url}/downloads"},
        "dcat:distribution": distributions,
    }
    if when:
        dataset["dct:modified"] = when
    if frequency := frequency_uri(publisher["update_frequency"]):
        dataset["dct:accrualPeriodicity"] = {"@id": frequency}
    return dataset


def dcat_catalog(datasets: list[dict[str, Any]], *, base_url: str, publisher: dict[str, str],
                 city: dict[str, str]) -> dict[str, Any]:
    """Return the DCAT-AP catalogue (JSON-LD) of the council's open data sets: what
    ckanext-dcat's RDF harvester (data.gov.ua) and other portals read in one request."""
    return {
        "@context": DCAT_CONTEXT,
        "@id": f"{base_url}/downloads/catalog.jsonld", "@type": "dcat:Catalog",
        "dct:title": _texts({"uk": f"Відкриті дані: {publisher['name']}",
                             "en": f"Open data: {publisher['name_en']}"}),
        "dct:description": _texts({
            "uk": f"Реєстри та шари геопорталу ({city['uk']}), які оприлюднює "
                  f"{publisher['name']}",
            "en": f"Registries and map layers of the geoportal ({city['en']}) published by "
                  f"{publisher['name_en']}"}),
        "dct:publisher": {"@id": f"{base_url}/#publisher", "@type": "foaf:Agent",
                          "foaf:name": _texts({"uk": publisher["name"],
                                               "en": publisher["name_en"]}),
                          "dct:identifier": publisher["edrpou"]},
        "dct:license": {"@id": publisher["licence_url"]},
        "dct:language": {"@id": f"{EU}language/UKR"},
        "foaf:homepage": {"@id": f"{base_url}/"},
        "dcat:dataset": datasets,
    }
