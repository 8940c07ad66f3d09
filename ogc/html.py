"""pygeoapi's HTML pages in the city's frame: local assets, the city's own map, plain words.

pygeoapi 0.24's own templates load Leaflet, Bootstrap and Swagger UI from unpkg.com and a
background from tile.openstreetmap.org, speak English inside a Ukrainian page and show raw field
names and codes. Ours (``ogc/templates/``, pygeoapi's ``server.templates.path``) replace the
pages a visitor reaches: the frame (Ukrainian first, an English switch), the collections list
(registries and rasters, rendered by :func:`render_page`), the collection, items and item pages
(a MapLibre map on the city's own tiles, field titles and code titles from the registry
declarations), a raster's page, the schema and queryables pages (the same titles and code
lists) and the OpenAPI viewer (Swagger UI from npm). No page has an inline
script: data travels in JSON blocks read by ``/static/portal/ogc-*.js``.

At startup :func:`prepare` copies the templates into the work folder and adds, derived from the
catalog, one Jinja file per collection with its field titles and code lists
(``hromada/fields/{id}.html``), and compiles the Ukrainian catalogue of pygeoapi's own
template strings (``locale/uk/LC_MESSAGES/messages.mo``), so the pages we keep from pygeoapi
(the conformance page) read in Ukrainian too.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from gis.writing import DECIMAL, ENGLISH_MONTHS, THOUSANDS
from ogc.features import GEOMETRY_FORMATS
from registries.catalog import Catalog

TEMPLATES = Path(__file__).with_name("templates")
# pygeoapi's own template strings (the pages we keep) in Ukrainian
UK_MESSAGES: dict[str, str] = {
    "text_direction": "ltr", "Home": "Головна", "Collections": "Набори даних",
    "Name": "Назва", "Title": "Заголовок", "Description": "Опис", "Browse": "Переглянути",
    "Browse Items": "Переглянути об'єкти", "Browse through the items of": "Об'єкти набору",
    "Queryables": "Поля для запитів", "Display Queryables": "Показати поля для запитів",
    "Display Queryables of": "Поля для запитів набору", "Schema": "Схема",
    "Display Schema": "Показати схему", "Display Schema of": "Схема набору",
    "Tiles": "Тайли", "Display Tiles": "Показати тайли", "Display Tiles of": "Тайли набору",
    "Coverage": "Покриття", "Display Coverage": "Показати покриття",
    "Display Coverage of": "Покриття набору", "Conformance": "Відповідність стандартам",
    "Exception": "Помилка", "License": "Ліцензія", "Links": "Посилання",
    "Reference Systems": "Системи координат", "Storage CRS": "Система координат зберігання",
    "CRS": "Система координат", "Epoch": "Епоха", "TileMatrixSets": "Набори матриць тайлів",
    "TileMatrixSet": "Набір матриць тайлів",
    "Tile matrix sets available in this service": "Набори матриць тайлів цього сервісу",
    "json": "JSON", "jsonld": "JSON-LD", "Powered by ": "Працює на ", "Admin": "Адміністрування",
    "Type": "Тип", "Value": "Значення", "Property": "Властивість", "Items": "Об'єкти",
}
EN_MESSAGES = {"text_direction": "ltr"}


def field_tables(catalog: Catalog) -> dict[str, dict[str, Any]]:
    """Return, per public collection, its public fields' titles, types, code titles and order."""
    out: dict[str, dict[str, Any]] = {}
    for reg in catalog:
        if not reg.public:
            continue
        fields: dict[str, Any] = {}
        for f in reg.public_fields:
            fields[f.name] = f.display
        # the geometry's own format: pygeoapi's queryables call every geometry geometry-any
        out[reg.id] = {"title": reg.title, "label": reg.label or "",
                       "order": [f.name for f in reg.public_fields], "fields": fields,
                       "geometry": GEOMETRY_FORMATS[reg.geometry]}
    return out


def jinja_literal(value: Any) -> str:
    """Return ``value`` (JSON data) as a Jinja literal: a null is ``none``, and a text is
    written as it is, whatever it holds (replacing "null" in the whole JSON renamed the
    field ``annulled_on`` and the code ``annulled``: the pages lost the column and showed
    the code instead of its title).

    >>> jinja_literal({"a": [True, 1, "x", None], "annulled": "Annulled on"})
    '{"a": [true, 1, "x", none], "annulled": "Annulled on"}'
    """
    if value is None:
        return "none"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {jinja_literal(v)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(jinja_literal(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def compile_messages(folder: Path, lang: str, messages: dict[str, str]) -> None:
    """Write a gettext catalogue (``messages.mo``) of ``messages`` for ``lang`` into
    ``folder/<lang>/LC_MESSAGES``."""
    from babel.messages.catalog import Catalog as Messages
    from babel.messages.mofile import write_mo

    catalogue = Messages(locale=lang, domain="messages")
    for msgid, text in messages.items():
        catalogue.add(msgid, text)
    target = folder / lang / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    with (target / "messages.mo").open("wb") as fh:
        write_mo(fh, catalogue)


def prepare(work_dir: Path, catalog: Catalog) -> tuple[Path, Path]:
    """Write the templates and the message catalogues pygeoapi reads into ``work_dir``;
    return (templates folder, locale folder)."""
    templates = work_dir / "templates"
    if templates.exists():
        shutil.rmtree(templates)
    shutil.copytree(TEMPLATES, templates)
    fields = templates / "hromada" / "fields"
    fields.mkdir(parents=True, exist_ok=True)
    for cid, table in field_tables(catalog).items():
        (fields / f"{cid}.html").write_text(
            "{% set table = " + jinja_literal(table) + " %}\n", encoding="utf-8")
    # numbers and dates as the server's own pages write them (one source: gis.writing)
    (templates / "hromada" / "writing.html").write_text(
        "".join(f"{{% set {name} = {jinja_literal(value)} %}}\n" for name, value in (
            ("thousands", THOUSANDS), ("decimal", DECIMAL), ("months", ENGLISH_MONTHS))),
        encoding="utf-8")
    locales = work_dir / "locale"
    compile_messages(locales, "uk", UK_MESSAGES)
    compile_messages(locales, "en", EN_MESSAGES)
    return templates, locales


def render_page(template: str, data: dict[str, Any], lang: str) -> str:
    """Return ``template`` (a path under ``ogc/templates/``) rendered with ``data`` in
    ``lang``, in the frame and with the words of the pages pygeoapi renders.

    For the documents served beside pygeoapi's (the raster collections, the collections list
    that holds them): one frame, one language switch, one set of strings. ``data`` is the
    page's document; its links give the frame its canonical address and the JSON link, as
    pygeoapi's own documents do. Needs the mounted OGC API (:func:`ogc.mount.pygeoapi_app`).
    """
    import sys

    from pygeoapi.l10n import str2locale
    from pygeoapi.util import render_j2_template

    api = sys.modules["pygeoapi.starlette_app"].api_
    return str(render_j2_template(api.tpl_config, api.config["server"]["templates"], template,
                                  data, str2locale(lang)))


def render_jsonld(data: dict[str, Any], collection: str, identifier: str | None) -> str:
    """Return an items page ``data`` (GeoJSON), or one object's (its URL ``identifier``), as
    JSON-LD: pygeoapi's linked-data document (each object a ``schema:Place`` with its
    properties, geometry encodings and ``@id``; the collection's ``linked-data`` context from
    the configuration) written by our templates (``collections/items/index.jsonld`` and
    ``item.jsonld``). Needs the mounted OGC API."""
    import sys

    from pygeoapi.linked_data import geojson2jsonld

    api = sys.modules["pygeoapi.starlette_app"].api_
    return str(geojson2jsonld(api, data, collection, identifier=identifier, id_field="id"))
