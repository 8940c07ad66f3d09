"""The data-set passport of a registry in the form the national open-data portal takes.

data.gov.ua runs CKAN: :func:`ckan_package` returns a ``package_create`` dict whose
``extras`` carry the passport fields a council publishes (CMU No. 835; domain §9.4) — the
responsible person, publisher EDRPOU, KOATUU, update frequency, what is withheld and why —
with one resource per download format and the data-set structure (every field with its
Ukrainian and English title, type and code list). Everything comes from the registry's
declaration; nothing is typed twice.
"""

from __future__ import annotations

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
    if f.personal_if:
        out["note"] = (f"для фізичних осіб замість значення: «{f.personal_if.mask['uk']}» "
                       "(персональні дані)")
    return out


def withheld(reg: Registry) -> str:
    """Return what the public data set leaves out and why (the passport must say it)."""
    hidden = [f.title.get("uk", f.name) for f in reg.fields if f.personal]
    masked = [f.title.get("uk", f.name) for f in reg.fields if f.personal_if and not f.personal]
    parts = []
    if hidden:
        parts.append("Не оприлюднюються (персональні дані фізичних осіб, Закон «Про захист "
                     "персональних даних»): " + "; ".join(hidden) + ".")
    if masked:
        parts.append("Для фізичних осіб замість імені зазначено «фізична особа»: "
                     + "; ".join(masked) + ".")
    return " ".join(parts) or "Усі відомості реєстру оприлюднюються."


def ckan_package(reg: Registry, *, base_url: str, publisher: dict[str, str], koatuu: str,
                 count: int, modified: datetime | None, files: dict[str, str]) -> dict[str, Any]:
    """Return the CKAN ``package_create`` dict of ``reg``'s open data set; ``files`` maps each
    format to its file's name under ``/downloads/``."""
    description = (f"{reg.description.get('uk', '')}. {withheld(reg)} "
                   f"Кількість об'єктів: {count}.")
    fields = [{"name": "id", "title": "Ідентифікатор", "title_en": "Identifier",
               "type": "integer"}, *(field_structure(f) for f in reg.public_fields)]
    modified_text = modified.isoformat() if modified else None
    resources = [{"name": f"{reg.title['uk']} ({fmt.upper()})", "format": fmt.upper(),
                  "url": f"{base_url}/downloads/{name}",
                  "last_modified": modified_text} for fmt, name in files.items()]
    resources.append({"name": "Структура набору даних", "format": "JSON",
                      "url": f"{base_url}/downloads/{reg.id}/metadata.json"})
    return {
        "name": f"{koatuu}-{reg.id.replace('_', '-')}",
        "title": reg.title["uk"][:254],
        "title_en": reg.title.get("en", ""),
        "notes": description[:4000],
        "license_id": publisher["licence"],
        "license_url": publisher["licence_url"],
        "author": publisher["name"],
        "maintainer": publisher["contact_name"],
        "maintainer_email": publisher["contact_email"],
        "tags": [{"name": k} for k in reg.keywords],
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
        "resources": resources,
        "structure": {"fields": fields, "geometry": reg.geometry.value,
                      "crs": {"geojson": "OGC:CRS84", "csv": "WGS 84 (lon, lat) та УСК-2000"}},
        "num_resources": len(resources),
    }
