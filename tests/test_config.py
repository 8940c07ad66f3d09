"""pygeoapi-config.yml is generated from the registries and must not drift from them."""

from __future__ import annotations

from pathlib import Path

import yaml

from gis.settings import CitySettings
from ogc.config import pygeoapi_config, render
from registries.catalog import default_catalog

ROOT = Path(__file__).resolve().parent.parent


def test_committed_pygeoapi_config_is_in_sync_with_the_registries() -> None:
    generated = render(pygeoapi_config(default_catalog(), CitySettings()))
    committed = (ROOT / "pygeoapi-config.yml").read_text(encoding="utf-8")
    assert committed == generated, "run `make config` and commit pygeoapi-config.yml"


def test_every_public_registry_is_a_collection_on_its_public_view() -> None:
    config = yaml.safe_load((ROOT / "pygeoapi-config.yml").read_text(encoding="utf-8"))
    catalog = default_catalog()
    assert set(config["resources"]) == {r.id for r in catalog if r.public}
    for reg in catalog:
        provider = config["resources"][reg.id]["providers"][0]
        assert provider["table"] == reg.public_view[1]
        assert provider["data"]["search_path"][0] == reg.public_view[0]
        assert provider["storage_crs"].endswith("/6383")
        assert config["resources"][reg.id]["title"]["uk"] == reg.title["uk"]


def test_the_service_metadata_names_the_council_of_its_settings() -> None:
    """The OGC API's provider, contact and licence are the council's open-data settings — the
    same as its passports — not the software's project page and a placeholder address."""
    from gis.settings import OpenDataSettings

    council = OpenDataSettings(publisher="Вінницька міська рада",
                               publisher_en="Vinnytsia City Council",
                               contact_email="gis@vmr.gov.ua", licence="CC-BY-SA-4.0",
                               licence_url="https://creativecommons.org/licenses/by-sa/4.0/",
                               landing_page="https://opendata.vmr.gov.ua/")
    meta = pygeoapi_config(default_catalog(), CitySettings(), council)["metadata"]
    assert meta["provider"]["name"] == {"uk": "Вінницька міська рада",
                                        "en": "Vinnytsia City Council"}
    assert meta["contact"]["email"] == "gis@vmr.gov.ua"
    assert meta["license"] == {"name": "CC-BY-SA-4.0",
                               "url": "https://creativecommons.org/licenses/by-sa/4.0/"}
    assert meta["identification"]["url"] == meta["provider"]["url"] == \
        "https://opendata.vmr.gov.ua/"
    assert "github.com" not in render({"metadata": meta})
