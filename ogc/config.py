"""The pygeoapi configuration, generated from the registry catalog and the city's settings.

The server writes it at every start (:func:`write_config`: storage CRS of the city's UCS-2000
zone, its extent and name), so a city in another zone is served right without editing a file.
``pygeoapi-config.yml`` at the top of the repository is this module's output for the default
city (``gis config pygeoapi``), kept as the documented example; a test keeps the two in sync.
Connection details are ``${GIS_PG_*}`` placeholders that pygeoapi fills from the environment,
which ``ogc.mount`` sets from the resolved database URL, so one file serves the embedded cluster
and any other database.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from gis.crs import CRS84, crs_uri, output_crs_uris
from gis.negotiation import LANGUAGES
from gis.settings import CitySettings, OpenDataSettings, Settings
from registries.catalog import Catalog
from registries.model import PUBLIC_SCHEMA, Registry

CONNECTION = {
    "host": "${GIS_PG_HOST}",
    "port": "${GIS_PG_PORT}",
    "dbname": "${GIS_PG_DBNAME}",
    "user": "${GIS_PG_USER}",
    "password": "${GIS_PG_PASSWORD}",
    "search_path": [PUBLIC_SCHEMA, "public"],
}
# the largest page a client may ask for: GIS_MAX_ITEMS, its default in the committed file
MAX_ITEMS: int = Settings.model_fields["max_items"].default


def server_section(max_items: int = MAX_ITEMS) -> dict[str, Any]:
    return {
        "bind": {"host": "${GIS_HOST:-127.0.0.1}", "port": "${GIS_PORT:-8000}"},
        "url": "${GIS_PUBLIC_URL:-http://127.0.0.1:8000}",
        "mimetype": "application/json; charset=UTF-8",
        "encoding": "utf-8",
        "gzip": True,
        "languages": list(LANGUAGES),  # Content-Language as our own pages say it
        "pretty_print": False,
        # the API definition's limit maximum: the page the items handler serves at most
        # (ogc.params.parse_limit), so that the two never disagree
        "limits": {"default_items": 10, "max_items": max_items, "on_exceed": "error"},
        # our templates (ogc/html.py) draw the city's own map: nothing loads from elsewhere
        "map": {"url": "${GIS_PUBLIC_URL:-http://127.0.0.1:8000}/maps/city/style.json",
                "attribution": "© Hromada GIS, CC BY 4.0"},
        "templates": {"path": "${GIS_PYGEOAPI_TEMPLATES}"},
        "locale_dir": "${GIS_PYGEOAPI_LOCALES}",
    }


def metadata_section(city: CitySettings, publisher: OpenDataSettings) -> dict[str, Any]:
    """Return the service's metadata: the city's title, and the council as the publisher —
    the same publisher, contact and licence as its open-data passports (``GIS_OPEN_DATA__*``),
    in the landing page, its JSON-LD and the OpenAPI document."""
    home = publisher.landing_page or "${GIS_PUBLIC_URL:-http://127.0.0.1:8000}/downloads"
    return {
        "identification": {
            "title": {lang: city.portal_name(lang) for lang in LANGUAGES},
            "description": {
                "uk": "Реєстри міста: адреси, земельні ділянки, реклама, тимчасові споруди, "
                      "містобудівне зонування",
                "en": "City registries: addresses, land parcels, outdoor advertising, temporary "
                      "structures, zoning",
            },
            "keywords": {"uk": ["геопортал", "кадастр", "адреси"],
                         "en": ["geoportal", "cadastre", "addresses"]},
            "keywords_type": "theme",
            "terms_of_service": publisher.licence_url,
            "url": home,
        },
        "license": {"name": publisher.licence, "url": publisher.licence_url},
        "provider": {"name": {"uk": publisher.publisher, "en": publisher.publisher_en},
                     "url": home},
        "contact": {"name": publisher.contact_name, "position": publisher.contact_position,
                    # pygeoapi translates the provider's name, not the contact's fields: these
                    # are in the council's language, as its contact person's name is
                    "address": city.name_uk, "city": city.name_uk, "country": "Україна",
                    "email": publisher.contact_email, "phone": publisher.contact_phone,
                    "url": home, "role": "pointOfContact"},
    }


def collection_resource(reg: Registry, city: CitySettings) -> dict[str, Any]:
    """Return the pygeoapi resource of one registry: titles, extent, provider on its public view."""
    bbox = [round(v, 5) for v in city.lonlat_extent]
    return {
        "type": "collection",
        "title": dict(reg.title),
        "description": dict(reg.description),
        # each language's own words (pygeoapi shows the page's); none declared: the title
        "keywords": {lang: list(reg.keywords.get(lang) or [reg.title[lang]])
                     for lang in LANGUAGES},
        "links": [],
        "extents": {"spatial": {"bbox": bbox, "crs": CRS84}},
        "providers": [{
            "type": "feature",
            "name": "ogc.provider.RegistryProvider",
            "registry": reg.id,
            "editable": True,
            "data": dict(CONNECTION),
            "id_field": "id",
            **({"title_field": reg.label} if reg.label else {}),
            "table": reg.public_view[1],
            "geom_field": "geom",
            "storage_crs": crs_uri(city.storage_srid),
            "crs": output_crs_uris(city.storage_srid),
        }],
    }


def pygeoapi_config(catalog: Catalog, city: CitySettings,
                    publisher: OpenDataSettings | None = None,
                    max_items: int = MAX_ITEMS) -> dict[str, Any]:
    """Return the whole pygeoapi configuration for the public registries of ``catalog``."""
    return {
        "server": server_section(max_items),
        "logging": {"level": "ERROR"},
        "metadata": metadata_section(city, publisher or OpenDataSettings()),
        "resources": {reg.id: collection_resource(reg, city) for reg in catalog if reg.public},
    }


def write_config(path: Path, catalog: Catalog, city: CitySettings,
                 publisher: OpenDataSettings | None = None, max_items: int = MAX_ITEMS) -> Path:
    """Write the pygeoapi configuration of ``city`` to ``path`` (atomically); return ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(render(pygeoapi_config(catalog, city, publisher, max_items)),
                   encoding="utf-8")
    os.replace(tmp, path)
    return path


def render(config: dict[str, Any]) -> str:
    """Return ``config`` as the YAML text of ``pygeoapi-config.yml``."""
    header = ("# Generated from registries/ by `gis config pygeoapi`; do not edit by hand.\n"
              "# ${GIS_*} placeholders are filled from the environment by the server.\n")
    return header + yaml.safe_dump(config, allow_unicode=True, sort_keys=False, width=100)
